"""FilmEdit: one edit of film.yaml, read once, changed with set/delete/append/insert, previewed as a diff and
committed (the splice is splice.py's, the file on disk disk.py's)."""

from __future__ import annotations

import copy
import difflib
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from ..diagnostics import Collector
from ..errors import FilmError
from .disk import read_regular, replace_checked
from .document import Text
from .emit import Key
from .splice import Op, PathLike, Splice, pointer, shown

BOM = "\ufeff"


class YamlEditError(FilmError):
    """An edit refused (Y6xx): located, exit 1 like any input problem."""


@dataclass(frozen=True)
class EditResult:
    path: Path  # the file as named (a symlink stays a symlink)
    target: Path  # the real file written
    changed: bool  # the edit changes the text
    written: bool  # the file on disk was replaced
    diff: str  # unified diff of the change ('' when unchanged)
    before: str
    after: str


class FilmEdit:
    """One edit of film.yaml: read once, changed with set/delete/append, previewed, committed."""

    def __init__(self, path: Path, target: Path, raw: bytes, display: str) -> None:
        from ..load import load_film

        self.path = path
        self.target = target
        self.display = display
        self._digest = hashlib.sha256(raw).digest()
        self.bom = raw.startswith(b"\xef\xbb\xbf")
        try:
            text = raw[3:].decode("utf-8") if self.bom else raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            load_film(path, display=display)  # reports the encoding problem, located (L102)
            raise self._unreadable(display)
        # the same loader as validate: any file validate refuses is refused here with its L1xx diagnostics
        self.doc = load_film(path, display=display, text=text)
        self.text = text
        self.data: dict[str, Any] = self.doc.data  # what the file means now (do not mutate: use set/delete/append)
        self._expected = copy.deepcopy(self.doc.data)
        self._ops: list[Op] = []
        self._layouts: dict[tuple[Key, ...], list[int | None]] = {}  # per list: original item numbers, None if added
        self._result: str | None = None

    @staticmethod
    def _unreadable(display: str) -> FilmError:
        c = Collector(display)
        c.error("L102", f"{display} is not UTF-8 text")
        return FilmError(c.items)

    # -- reading

    @classmethod
    def open(cls, path: str | Path, *, display: str | None = None) -> FilmEdit:
        """Read film.yaml (through a symlink) for editing; nothing is locked, commit() checks it is unchanged."""
        p = Path(path)
        shown = display or str(path)
        target = Path(os.path.realpath(p))
        raw = read_regular(target, shown, p)
        return cls(p, target, raw, shown)

    def get(self, path: PathLike, default: Any = None) -> Any:
        cur: Any = self._expected
        for k in path:
            if isinstance(cur, Mapping) and isinstance(k, str) and k in cur:
                cur = cur[k]
            elif isinstance(cur, list) and isinstance(k, int) and -len(cur) <= k < len(cur):
                cur = cur[k]
            else:
                return default
        return cur

    # -- changing

    def set(self, path: PathLike, value: Any, *, after: Sequence[str] = ()) -> None:
        """Set a mapping key or a list item. A new key goes after the first of `after` its mapping has, else last."""
        path = tuple(path)
        if not path:
            raise ValueError("cannot replace the whole document")
        parent = self.get(path[:-1])
        last = path[-1]
        if isinstance(parent, Mapping) and isinstance(last, str):
            parent[last] = copy.deepcopy(value)  # type: ignore[index]
        elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
            parent[last] = copy.deepcopy(value)
        else:
            self._refuse("Y606", path[:-1], f"{shown(path)}: there is no mapping or list item to set this in")
        earlier = [o for o in self._ops if o.path == path and o.kind not in ("append", "insert")]
        self._ops = [o for o in self._ops if o not in earlier]  # the last change of a value wins
        after = tuple(after) or next((o.after for o in earlier if o.after), ())
        self._ops.append(Op("set", path, copy.deepcopy(value), tuple(after)))
        self._result = None

    def delete(self, path: PathLike) -> None:
        path = tuple(path)
        parent = self.get(path[:-1])
        if not (isinstance(parent, Mapping) and isinstance(path[-1], str) and path[-1] in parent):
            return
        del parent[path[-1]]  # type: ignore[attr-defined]
        self._ops = [o for o in self._ops if not (o.path == path and o.kind == "set")]
        if self._node_in(self.data, path):  # a key this edit added is simply not added
            self._ops.append(Op("delete", path))
        self._result = None

    def append(self, path: PathLike, value: Any) -> None:
        path = tuple(path)
        seq = self.get(path)
        if not isinstance(seq, list):
            self._refuse("Y606", path, f"{shown(path)}: not a list to append to")
        self._layout(path, len(seq)).append(None)
        seq.append(copy.deepcopy(value))
        self._ops.append(Op("append", path, copy.deepcopy(value), index=len(seq) - 1))
        self._result = None

    def insert(self, path: PathLike, index: int, value: Any) -> None:
        """Insert a list item before item `index` of the list as edited so far (index == its length appends).
        The new item is written just after the item it follows, before any comment that heads the next one."""
        path = tuple(path)
        seq = self.get(path)
        if not isinstance(seq, list) or not 0 <= index <= len(seq):
            self._refuse("Y606", path, f"{shown(path)}: not a list with an item {index} to insert before")
        if index == len(seq):
            self.append(path, value)
            return
        layout = self._layout(path, len(seq))
        anchor = max((n for n in layout[:index] if n is not None), default=-1)
        layout.insert(index, None)
        for o in self._ops:
            if o.path == path and o.kind in ("append", "insert") and o.index >= index:
                o.index += 1
        seq.insert(index, copy.deepcopy(value))
        self._ops.append(Op("insert", path, copy.deepcopy(value), index=index, anchor=anchor))
        self._result = None

    def _layout(self, path: tuple[Key, ...], length: int) -> list[int | None]:
        return self._layouts.setdefault(path, list(range(length)))

    @staticmethod
    def _node_in(data: Any, path: PathLike) -> bool:
        for k in path:
            if isinstance(data, Mapping) and k in data:
                data = data[k]
            elif isinstance(data, list) and isinstance(k, int) and -len(data) <= k < len(data):
                data = data[k]
            else:
                return False
        return True

    # -- the result

    @property
    def after(self) -> str:
        if self._result is None:
            import yaml

            try:
                self._result = Splice(self.text, self._ops, refuse=self._refuse, reparse=self._reparse,
                                      expected=self._expected).apply()
            except FilmError:
                raise
            except (ValueError, TypeError, LookupError, AttributeError, RecursionError, yaml.YAMLError) as e:
                # a form of YAML the splicer does not know: refuse rather than guess (or fail with a traceback)
                path = self._ops[0].path if self._ops else ()
                raise self._diag("Y604", path, f"{shown(path)}: filmc cannot make this edit in this file's form "
                                 f"({type(e).__name__}: {e})", hint="edit film.yaml by hand") from None
        return self._result

    @property
    def digest(self) -> bytes:
        """The sha256 of film.yaml as read (the bytes the edit starts from)."""
        return self._digest

    @property
    def changed(self) -> bool:
        return self.after != self.text

    def diff(self) -> str:
        name = self.display
        a, b = (name, name) if os.path.isabs(name) else (f"a/{name}", f"b/{name}")
        lines = difflib.unified_diff([ln.rstrip("\r\n") for ln in Text(self.text).lines()],
                                    [ln.rstrip("\r\n") for ln in Text(self.after).lines()], a, b, lineterm="")
        return "\n".join(lines) + ("\n" if self.changed else "")

    def commit(self, *, dry_run: bool = False, before_replace: Callable[[], None] | None = None) -> EditResult:
        """Write the edit (unless dry_run or unchanged). before_replace runs just before the final check and
        rename (where another program's save would race with this one)."""
        after = self.after
        result = EditResult(self.path, self.target, after != self.text, False, self.diff(), self.text, after)
        if dry_run or after == self.text:
            return result
        replace_checked(self.target, ((BOM if self.bom else "") + after).encode("utf-8"), digest=self._digest,
                        display=self.display, named=self.path, refuse=self._refuse, before_replace=before_replace)
        return EditResult(result.path, result.target, True, True, result.diff, result.before, result.after)

    # -- internals

    def _diag(self, code: str, path: PathLike, message: str, hint: str | None = None,
              at: tuple[int, int] | None = None) -> YamlEditError:
        c = Collector(self.display, self.doc)
        c.error(code, message, pointer(path), hint=hint, at=at)
        return YamlEditError(c.items, {self.display: self.doc.lines})

    def _refuse(self, code: str, path: PathLike, message: str, hint: str | None = None,
                at: tuple[int, int] | None = None) -> NoReturn:
        raise self._diag(code, path, message, hint, at)

    def _reparse(self, text: str) -> Any:
        """What text means, loaded as validate loads film.yaml (None: it does not load)."""
        from ..load import load_film

        try:
            return load_film(self.path, display=self.display, text=text).data
        except FilmError:
            return None


def edit_film(path: str | Path, change: Callable[[FilmEdit], None], *, dry_run: bool = False,
              display: str | None = None, before_replace: Callable[[], None] | None = None) -> EditResult:
    """Read film.yaml, let change() call set/delete/append on the edit, and write it (unless dry_run)."""
    edit = FilmEdit.open(path, display=display)
    change(edit)
    return edit.commit(dry_run=dry_run, before_replace=before_replace)


def set_song_fields(path: Path, fields: dict[str, float]) -> bool:
    """Insert or update keys under `song:` (bpm after duration/audio, beat_offset after bpm); True if written."""
    order = {"bpm": ("duration", "audio"), "beat_offset": ("bpm", "duration", "audio")}

    def change(e: FilmEdit) -> None:
        for k, v in fields.items():
            e.set(("song", k), v, after=order.get(k, ()))

    return edit_film(path, change).written
