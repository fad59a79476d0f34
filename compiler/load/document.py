"""A loaded film.yaml: its plain data, and where each value and key came from (JSON pointer -> line:col)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, SourceLike

COLUMNS = 1 << 20


def place(line: int, col: int) -> int:
    """line:col as one number (a column past a million counts as the last one)."""
    return line * COLUMNS + min(col, COLUMNS - 1)


def line_col(at: int) -> tuple[int, int]:
    return divmod(at, COLUMNS)


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
