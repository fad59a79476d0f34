"""A loaded film.yaml: its plain data, and where each value and key came from (JSON pointer -> line:col)."""

from __future__ import annotations

import marshal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, SourceLike

COLUMNS = 1 << 20


def place(line: int, col: int) -> int:
    """line:col as one number (a column past a million counts as the last one)."""
    return line * COLUMNS + min(col, COLUMNS - 1)


def line_col(at: int) -> tuple[int, int]:
    return divmod(at, COLUMNS)


def list_blob(items: list[bytes]) -> bytes:
    """What marshal's format 0 writes for a list whose items it wrote as `items` (a list is its items in a row)."""
    return b"[" + len(items).to_bytes(4, "little") + b"".join(items)


@dataclass
class Document(SourceLike):
    """A loaded film.yaml: the data and where each value and key came from."""

    path: Path
    display: str  # the file name used in diagnostics
    data: dict[str, Any]
    values: Mapping[str, int]  # pointer -> place (see place): a film's tens of thousands of values take no tuple each
    keys: Mapping[str, int]  # (a dict, or a kept film's source_map.SourceMap)
    lines: list[str]
    warnings: tuple[Diagnostic, ...] = ()  # found while reading (control characters removed)
    # load_film(kept=...): the records the next load splices into (see splice.py); () the kept file is to be
    # removed, None it is as it should be
    keep: tuple[bytes, ...] | None = None
    # the items of `shots` that may differ from a parse that passed validation (see splice.py); None: any may
    changed: tuple[int, ...] | None = None
    digest: str | None = None  # sha256 of the bytes read (of the text, when it was given): what a build is made from
    _shot_blobs: list[bytes] | None = field(default=None, init=False, repr=False, compare=False)
    # load_film(keep_later=True): what makes `keep` when it is first asked for (kept_records), unless another process
    # that loaded the same bytes hands it over first (kept_by_another)
    _keep_later: Callable[[Document], tuple[bytes, ...]] | None = field(default=None, init=False, repr=False,
                                                                         compare=False)

    def kept_records(self) -> tuple[bytes, ...] | None:
        """`keep`, made now if the load left it for later."""
        if self._keep_later is not None:
            self.keep, self._keep_later = self._keep_later(self), None
        return self.keep

    def keep_later(self, make: Callable[[Document], tuple[bytes, ...]]) -> None:
        """`make(self)` makes `keep` when it is first asked for."""
        self._keep_later = make

    def kept_by_another(self, digest: str | None, records: tuple[bytes, ...] | None) -> None:
        """`keep` as another process made it from a load of the same bytes (`digest`), if this one left it for later
        (the same code on the same text: the same records)."""
        if self._keep_later is not None and records is not None and digest is not None and digest == self.digest:
            self.keep, self._keep_later = records, None

    def shot_blobs(self) -> list[bytes] | None:
        """Each item of `shots` as marshal's format 0 writes it (equal data, equal bytes), made once: a build hashes
        each shot for its key and all of them for the edit's (the data is not changed once loaded). None when
        `shots` is not a list."""
        shots = self.data.get("shots")
        if not isinstance(shots, list):
            return None
        if self._shot_blobs is None or len(self._shot_blobs) != len(shots):
            self._shot_blobs = [marshal.dumps(item, 0) for item in shots]
        return self._shot_blobs

    def kept_blobs(self, blobs: list[bytes]) -> None:
        """shot_blobs as a kept parse holds them (see splice.py): the items' bytes of the parse this one is made from."""
        self._shot_blobs = blobs

    def data_blob(self) -> bytes:
        """marshal.dumps(self.data, 0), byte for byte, made from shot_blobs."""
        blobs = self.shot_blobs()
        if blobs is None:
            return marshal.dumps(self.data, 0)
        return b"".join([b"{", *(marshal.dumps(k, 0) + (list_blob(blobs) if k == "shots" else marshal.dumps(v, 0))
                                 for k, v in self.data.items()), b"0"])

    def locate(self, pointer: str, *, key: bool = False) -> tuple[int, int]:
        """line:col (1-based) of a pointer; the nearest located ancestor otherwise."""
        table = self.keys if key else self.values
        p = pointer
        while True:
            if p in table:
                return line_col(table[p])
            if p in self.values:
                return line_col(self.values[p])
            if not p:
                return (1, 1)
            p = p.rsplit("/", 1)[0]
