"""Edits of film.yaml that change only what they change (`filmc beats`, and any command that writes film.yaml).

An edit is a splice of the text: the file is parsed (the same parser as `validate`), each edited value
is located, and only its characters change, or a line is inserted or removed. Nothing else is re-emitted,
so comments, quoting, key order, indentation, flow-style mappings, anchors, tabs before comments, CRLF
line ends and a byte-order mark all stay as they were. Before anything is written the result is checked
twice: parsed again, it must mean the old document plus the change; and every line outside the edited
values must be byte-identical to the original. An edit that cannot meet both is refused with a located
Y6xx error, never guessed.

The write is atomic (a temp file beside the real file, fsync, os.replace), goes through a symlink to the
file it names, keeps the file's mode and (where allowed) its owner, and is refused when the file changed
on disk since it was read.

    with_edit = FilmEdit.open("film.yaml")
    with_edit.set(("song", "bpm"), 100, after=("duration",))
    print(with_edit.diff())
    with_edit.commit()

or, in one call: edit_film("film.yaml", lambda e: e.set(("song", "bpm"), 100)).
"""

from __future__ import annotations

import bisect
import copy
import difflib
import hashlib
import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Collector
from .errors import FilmError

Key = str | int
PathLike = Sequence[Key]
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


# ---------------------------------------------------------------- the located document (parser events)


@dataclass
class _Node:
    kind: str  # "map" | "seq" | "scalar" | "alias"
    start: int  # character offsets in the text
    end: int
    flow: bool = False
    anchor: str | None = None
    alias: str | None = None  # for "alias": the anchor it names
    style: str | None = None  # for "scalar": '', "'", '"', '|', '>'
    keys: list[_Node] = field(default_factory=list)  # "map": key nodes, parallel to items
    items: list[_Node] = field(default_factory=list)  # "map": values; "seq": items
    open_end: int = -1  # flow collections: just after '{' or '['
    value: str | None = None  # "scalar": its text as parsed (keys are looked up by it)

    def key_index(self, key: str) -> int | None:
        return next((i for i, k in enumerate(self.keys) if k.kind == "scalar" and k.value == key), None)

    def value_of(self, key: str) -> _Node | None:
        i = self.key_index(key)
        return None if i is None else self.items[i]


@dataclass
class _Index:
    root: _Node
    anchors: dict[str, list[_Node]]  # name -> nodes defining it, in order
    aliases: list[_Node]


def _index(text: str) -> _Index:
    import yaml

    try:
        from yaml.cyaml import CParser as Parser
    except ImportError:  # pragma: no cover - PyYAML without libyaml
        from yaml import Loader as Parser  # type: ignore[assignment]

    parser = Parser(text)
    anchors: dict[str, list[_Node]] = {}
    aliases: list[_Node] = []

    def node() -> _Node:
        e = parser.get_event()
        s, t = e.start_mark.index, e.end_mark.index
        if isinstance(e, yaml.AliasEvent):
            n = _Node("alias", s, t, alias=e.anchor)
            aliases.append(n)
            return n
        if isinstance(e, yaml.ScalarEvent):
            n = _Node("scalar", s, t, anchor=e.anchor, style=e.style or "", value=e.value)
        else:
            kind = "map" if isinstance(e, yaml.MappingStartEvent) else "seq"
            n = _Node(kind, s, t, flow=bool(e.flow_style), anchor=e.anchor)
            if n.flow:
                n.open_end = text.index("{" if kind == "map" else "[", s) + 1
            end_type = yaml.MappingEndEvent if kind == "map" else yaml.SequenceEndEvent
            while not parser.check_event(end_type):
                if kind == "map":
                    n.keys.append(node())
                n.items.append(node())
            n.end = parser.get_event().end_mark.index
        if n.anchor:
            anchors.setdefault(n.anchor, []).append(n)
        return n

    try:
        parser.get_event()  # stream start
        parser.get_event()  # document start
        root = node()
    finally:
        parser.dispose()
    return _Index(root, anchors, aliases)


# ---------------------------------------------------------------- text helpers


class _Text:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r(?!\n)", text)]
        nl = re.search(r"\r\n|\n|\r", text)
        self.nl = nl.group(0) if nl else "\n"

    def lines(self) -> list[str]:
        """The lines with their breaks (only CR, LF and CRLF end a line, as for the parser's marks)."""
        ends = [*self.starts[1:], len(self.text)]
        return [self.text[a:b] for a, b in zip(self.starts, ends) if a < b]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos) - 1

    def col(self, pos: int) -> int:
        return pos - self.starts[self.line(pos)]

    def line_end(self, line: int) -> int:
        """Offset just past line's line break (or the end of the text)."""
        return self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)

    def content_end(self, n: _Node) -> int:
        """Offset just past the last character that belongs to n (trailing breaks and comments excluded)."""
        if n.kind == "map" and not n.flow and n.items:
            return self.content_end(n.items[-1])
        if n.kind == "seq" and not n.flow and n.items:
            return self.content_end(n.items[-1])
        if n.kind == "scalar" and n.style in ("|", ">"):
            return n.start + len(self.text[n.start:n.end].rstrip(" \t\r\n"))
        return n.end

    def last_line(self, n: _Node) -> int:
        return self.line(max(self.content_end(n) - 1, n.start))


def format_number(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./()'!?@%+ -]*")


def _scalar(value: Any, *, flow: bool) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError("film.yaml takes finite numbers only")
        return format_number(value)
    if isinstance(value, str):
        if (_PLAIN.fullmatch(value) and value == value.strip() and ": " not in value and " #" not in value
                and value not in ("null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "~")
                and not (flow and re.search(r"[,\[\]{}]", value))):
            return value
        quoted = json.dumps(value, ensure_ascii=False)
        for ch, esc in (("\u0085", "\\N"), ("\u2028", "\\L"), ("\u2029", "\\P"), ("\ufeff", "\\uFEFF")):
            quoted = quoted.replace(ch, esc)
        return quoted
    raise TypeError(f"cannot write a {type(value).__name__} into film.yaml")


def _literal_ok(value: str) -> bool:
    if "\n" not in value.rstrip("\n") or value.endswith("\n\n") or value[:1] in (" ", "\t"):
        return False
    return all(ch == "\n" or ch == "\t" or ch >= " " for ch in value) and not any(
        ch in value for ch in ("\r", "\u0085", "\u2028", "\u2029", "\ufeff")) and not any(
        ln != ln.rstrip() for ln in value.split("\n"))


def _flow(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_scalar(str(k), flow=True)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value, flow=True)


def _after_colon(value: Any, indent: int, nl: str) -> str:
    """The text after 'key:' for value in a block mapping whose keys sit at column indent."""
    if isinstance(value, Mapping) and value:
        return nl + nl.join(_entry(k, v, indent + 2, nl) for k, v in value.items())
    if isinstance(value, list) and value:
        return nl + nl.join(_item(v, indent + 2, nl) for v in value)
    if isinstance(value, str) and _literal_ok(value):
        body = value[:-1] if value.endswith("\n") else value
        return " |" + ("" if value.endswith("\n") else "-") + "".join(
            nl + (" " * (indent + 2) + ln if ln else "") for ln in body.split("\n"))
    return " " + _flow(value)


def _entry(key: Key, value: Any, indent: int, nl: str) -> str:
    return " " * indent + _scalar(str(key), flow=False) + ":" + _after_colon(value, indent, nl)


def _item(value: Any, indent: int, nl: str) -> str:
    """A block sequence item '- ...' with its dash at column indent."""
    if isinstance(value, Mapping) and value:
        text = nl.join(_entry(k, v, indent + 2, nl) for k, v in value.items())
        return " " * indent + "- " + text[indent + 2:]
    if isinstance(value, list) and value:
        text = nl.join(_item(v, indent + 2, nl) for v in value)
        return " " * indent + "- " + text[indent + 2:]
    if isinstance(value, str) and _literal_ok(value):
        return " " * indent + "-" + _after_colon(value, indent, nl)
    return " " * indent + "- " + _flow(value)


# ---------------------------------------------------------------- the transaction


def _pointer(path: PathLike) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _shown(path: PathLike) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


@dataclass
class _Op:
    kind: str  # "set" | "delete" | "append" | "insert"
    path: tuple[Key, ...]
    value: Any = None
    after: tuple[str, ...] = ()
    index: int = -1  # "append", "insert": the new item's index
    anchor: int = -1  # "insert": the original item it follows (-1: it goes first)


class FilmEdit:
    """One edit of film.yaml: read once, changed with set/delete/append, previewed, committed."""

    def __init__(self, path: Path, target: Path, raw: bytes, display: str) -> None:
        from .load import load_film

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
        self._ops: list[_Op] = []
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
        raw = _read_regular(target, shown, p)
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
            self._refuse("Y606", path[:-1], f"{_shown(path)}: there is no mapping or list item to set this in")
        earlier = [o for o in self._ops if o.path == path and o.kind not in ("append", "insert")]
        self._ops = [o for o in self._ops if o not in earlier]  # the last change of a value wins
        after = tuple(after) or next((o.after for o in earlier if o.after), ())
        self._ops.append(_Op("set", path, copy.deepcopy(value), tuple(after)))
        self._result = None

    def delete(self, path: PathLike) -> None:
        path = tuple(path)
        parent = self.get(path[:-1])
        if not (isinstance(parent, Mapping) and isinstance(path[-1], str) and path[-1] in parent):
            return
        del parent[path[-1]]  # type: ignore[attr-defined]
        self._ops = [o for o in self._ops if not (o.path == path and o.kind == "set")]
        if self._node_in(self.data, path):  # a key this edit added is simply not added
            self._ops.append(_Op("delete", path))
        self._result = None

    def append(self, path: PathLike, value: Any) -> None:
        path = tuple(path)
        seq = self.get(path)
        if not isinstance(seq, list):
            self._refuse("Y606", path, f"{_shown(path)}: not a list to append to")
        self._layout(path, len(seq)).append(None)
        seq.append(copy.deepcopy(value))
        self._ops.append(_Op("append", path, copy.deepcopy(value), index=len(seq) - 1))
        self._result = None

    def insert(self, path: PathLike, index: int, value: Any) -> None:
        """Insert a list item before item `index` of the list as edited so far (index == its length appends).
        The new item is written just after the item it follows, before any comment that heads the next one."""
        path = tuple(path)
        seq = self.get(path)
        if not isinstance(seq, list) or not 0 <= index <= len(seq):
            self._refuse("Y606", path, f"{_shown(path)}: not a list with an item {index} to insert before")
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
        self._ops.append(_Op("insert", path, copy.deepcopy(value), index=index, anchor=anchor))
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
                self._result = self._apply()
            except FilmError:
                raise
            except (ValueError, TypeError, LookupError, AttributeError, RecursionError, yaml.YAMLError) as e:
                # a form of YAML the splicer does not know: refuse rather than guess (or fail with a traceback)
                path = self._ops[0].path if self._ops else ()
                raise self._diag("Y604", path, f"{_shown(path)}: filmc cannot make this edit in this file's form "
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
        lines = difflib.unified_diff([ln.rstrip("\r\n") for ln in _Text(self.text).lines()],
                                    [ln.rstrip("\r\n") for ln in _Text(self.after).lines()], a, b, lineterm="")
        return "\n".join(lines) + ("\n" if self.changed else "")

    def commit(self, *, dry_run: bool = False, before_replace: Callable[[], None] | None = None) -> EditResult:
        """Write the edit (unless dry_run or unchanged). before_replace runs just before the final check and
        rename (where another program's save would race with this one)."""
        after = self.after
        result = EditResult(self.path, self.target, after != self.text, False, self.diff(), self.text, after)
        if dry_run or after == self.text:
            return result
        self._write(((BOM if self.bom else "") + after).encode("utf-8"), before_replace)
        return EditResult(result.path, result.target, True, True, result.diff, result.before, result.after)

    # -- internals

    def _diag(self, code: str, path: PathLike, message: str, hint: str | None = None,
              at: tuple[int, int] | None = None) -> YamlEditError:
        c = Collector(self.display, self.doc)
        c.error(code, message, _pointer(path), hint=hint, at=at)
        return YamlEditError(c.items, {self.display: self.doc.lines})

    def _refuse(self, code: str, path: PathLike, message: str, hint: str | None = None,
                at: tuple[int, int] | None = None) -> None:
        raise self._diag(code, path, message, hint, at)

    def _apply(self) -> str:
        if not self._ops:
            return self.text
        idx = _index(self.text)
        t = _Text(self.text)
        splices: list[tuple[int, int, str, int]] = []  # (start, end, text, order)
        allowed_old: set[int] = set()
        for order, op in enumerate(self._ops):
            for s in self._plan(op, idx, t, allowed_old):
                splices.append((*s, order))
        splices.sort(key=lambda s: (s[0], s[1], s[3]))
        eof = len(self.text)
        if self.text and not self.text.endswith(("\n", "\r")):  # lines added at the end: the last line gets a break
            first = next((i for i, s in enumerate(splices) if s[0] == eof and s[2].endswith(t.nl)), None)
            if first is not None:
                start, end, rep, order = splices[first]
                splices[first] = (start, end, t.nl + rep, order)
        out, pos = [], 0
        for start, end, rep, _ in splices:
            if start < pos:
                self._refuse("Y606", (), "two changes of this edit overlap; make them one at a time")
            out.append(self.text[pos:start])
            out.append(rep)
            pos = end
        out.append(self.text[pos:])
        new = "".join(out)
        self._check(new, allowed_old)
        return new

    def _locate(self, idx: _Index, path: tuple[Key, ...], whole: tuple[Key, ...]) -> tuple[_Node, list[_Node]]:
        """The node at path and the nodes above it; refuses paths through aliases or shared anchors."""
        cur, chain = idx.root, [idx.root]
        for i, k in enumerate(path):
            if cur.kind == "alias":
                self._alias_refusal(idx, cur, path[:i], whole)
            nxt = None
            if cur.kind == "map" and isinstance(k, str):
                nxt = cur.value_of(k)
            elif cur.kind == "seq" and isinstance(k, int) and -len(cur.items) <= k < len(cur.items):
                nxt = cur.items[k]
            if nxt is None:
                self._refuse("Y606", path[:i + 1], f"{_shown(whole)}: {_shown(path[:i + 1])} is not in film.yaml")
            cur = nxt  # type: ignore[assignment]
            chain.append(cur)
        return cur, chain

    def _alias_refusal(self, idx: _Index, node: _Node, path: PathLike, whole: PathLike) -> None:
        t = _Text(self.text)
        src = idx.anchors.get(node.alias or "", [])
        where = f" (defined at line {t.line(src[0].start) + 1})" if src else ""
        self._refuse("Y603", path, f"{_shown(whole)}: {_shown(path)} is an alias (*{node.alias}) of a value written "
                     f"elsewhere{where}; changing it here would change that value too",
                     hint="edit the value by hand, or write it out in place of the alias",
                     at=(t.line(node.start) + 1, t.col(node.start) + 1))

    def _shared(self, idx: _Index, chain: list[_Node], path: PathLike, span: tuple[int, int] | None) -> None:
        """Refuse when a node being changed is shared through an alias: the change would reach the alias too."""
        t = _Text(self.text)
        for n in chain[1:]:
            if n.anchor:
                users = [a for a in idx.aliases if a.alias == n.anchor and a.start > n.start
                         and not (span and span[0] <= a.start < span[1])]
                if users:
                    u = users[0]
                    self._refuse("Y602", path, f"{_shown(path)}: the value is anchored (&{n.anchor}) and used again "
                                 f"as *{n.anchor} at line {t.line(u.start) + 1}; changing it would change both",
                                 hint="edit it by hand, or write the value out in place of the alias",
                                 at=(t.line(n.start) + 1, t.col(n.start) + 1))
        if span:  # anchors defined inside a replaced value and used after it
            for name, defs in idx.anchors.items():
                inside = [d for d in defs if span[0] <= d.start < span[1]]
                users = [a for a in idx.aliases if a.alias == name and a.start >= span[1]]
                if inside and users:
                    u = users[0]
                    self._refuse("Y602", path, f"{_shown(path)}: the value defines &{name}, used again as *{name} at "
                                 f"line {t.line(u.start) + 1}; replacing it would break that alias",
                                 hint="edit it by hand", at=(t.line(inside[0].start) + 1, t.col(inside[0].start) + 1))

    def _plan(self, op: _Op, idx: _Index, t: _Text, allowed: set[int]) -> list[tuple[int, int, str]]:
        if op.kind in ("append", "insert"):
            seq, chain = self._locate(idx, op.path, op.path)
            if seq.kind == "alias":
                self._alias_refusal(idx, seq, op.path, op.path)
            self._shared(idx, chain, op.path, None)
            if seq.kind != "seq":
                self._refuse("Y606", op.path, f"{_shown(op.path)}: not a list to append to")
            if op.kind == "insert":
                return self._insert_item(seq, op, t)
            return self._append(seq, op.value, t, allowed)
        parent, chain = self._locate(idx, op.path[:-1], op.path)
        if parent.kind == "alias":
            self._alias_refusal(idx, parent, op.path[:-1], op.path)
        key = op.path[-1]
        if parent.kind == "seq":
            item = parent.items[key]  # type: ignore[index]
            self._shared(idx, [*chain, item], op.path, (item.start, t.content_end(item)))
            allowed.update(range(t.line(item.start), t.last_line(item) + 1))
            return self._replace(item, op.value, t, indent=t.col(item.start), in_flow=parent.flow)
        if parent.kind != "map":
            self._refuse("Y606", op.path[:-1], f"{_shown(op.path)}: {_shown(op.path[:-1]) or 'the document'} is not "
                         "a mapping", hint="edit film.yaml by hand")
        i = next((j for j, k in enumerate(parent.keys) if k.kind == "scalar" and k.value == key), None)
        if i is None:
            if op.kind == "delete":
                return []
            self._shared(idx, chain, op.path, None)
            return self._insert(idx, parent, str(key), op.value, op.after, t, allowed)
        knode, vnode = parent.keys[i], parent.items[i]
        span = (vnode.start, t.content_end(vnode))
        self._shared(idx, [*chain, vnode], op.path, span)
        if parent.flow:
            allowed.update(range(t.line(parent.start), t.line(max(parent.end - 1, parent.start)) + 1))
        else:
            allowed.update(range(t.line(knode.start), t.last_line(vnode) + 1))
        if op.kind == "delete":
            return self._delete(parent, i, t, allowed, op.path)
        return self._replace(vnode, op.value, t, indent=t.col(knode.start), in_flow=parent.flow, key=knode)

    def _replace(self, node: _Node, value: Any, t: _Text, *, indent: int, in_flow: bool,
                 key: _Node | None = None) -> list[tuple[int, int, str]]:
        nl = t.nl
        block = (isinstance(value, (Mapping, list)) and bool(value)) or (isinstance(value, str) and _literal_ok(value))
        if in_flow or node.flow or (node.kind in ("scalar", "alias") and not block):
            # in place: a flow value stays flow, a scalar stays on its line (its anchor kept)
            rep = (f"&{node.anchor} " if node.anchor else "") + _flow(value)
            start, end = node.start, t.content_end(node)
            if node.kind == "scalar" and node.style not in ("|", ">") and t.line(start) == t.line(end):
                # keep a trailing comment where it was: `bpm: 96      # note` -> `bpm: 97.5    # note`
                m = re.match(r"( +)#", self.text[end:t.line_end(t.line(end))])
                if m:
                    pad = len(m.group(1)) + (end - start) - len(rep)
                    rep += " " * max(pad, 1)
                    end += len(m.group(1))
            return [(start, end, rep)]
        # block context: rewrite from just after "key:" (or "- ") to the end of the old value
        if key is not None:
            colon = self.text.find(":", key.end)
            if colon < 0 or self.text[key.end:colon].strip():
                self._refuse("Y606", (), "cannot find the ':' after a key (an explicit '? key'); edit by hand",
                             at=(t.line(key.start) + 1, t.col(key.start) + 1))
            start = colon + 1
            rep = _after_colon(value, indent, nl)
        else:  # a block list item: rewrite after its "- "; continuation lines align with the item's column
            start = node.start
            rep = _item(value, indent - 2, nl)[indent:]
        if node.anchor:
            self._refuse("Y602", (), f"the value is anchored (&{node.anchor}); replacing it whole would drop the "
                         "anchor", hint="edit it by hand", at=(t.line(node.start) + 1, t.col(node.start) + 1))
        return [(start, t.content_end(node), rep)]

    def _insert(self, idx: _Index, parent: _Node, key: str, value: Any, after: tuple[str, ...], t: _Text,
                allowed: set[int]) -> list[tuple[int, int, str]]:
        nl = t.nl
        if parent.flow:
            allowed.update(range(t.line(parent.start), t.line(max(parent.end - 1, parent.start)) + 1))
            entry = f"{_scalar(key, flow=True)}: {_flow(value)}"
            if not parent.items:
                return [(parent.open_end, parent.open_end, entry)]
            anchor_i = self._after_index(parent, after)
            at = t.content_end(parent.items[anchor_i])
            return [(at, at, ", " + entry)]
        if not parent.keys:
            self._refuse("Y606", (), f"cannot add '{key}' to an empty mapping; edit by hand")
        indent = t.col(parent.keys[0].start)
        if any(t.col(k.start) != indent for k in parent.keys):
            self._refuse("Y606", (), f"cannot add '{key}': the mapping's keys are not aligned",
                         at=(t.line(parent.keys[0].start) + 1, indent + 1))
        anchor_i = self._after_index(parent, after)
        last = t.last_line(parent.items[anchor_i])
        at = t.line_end(last)
        text = _entry(key, value, indent, nl) + nl
        return [(at, at, text)]

    def _after_index(self, parent: _Node, after: tuple[str, ...]) -> int:
        """Which entry a new key follows: the first of `after` present, else the last entry. Keys this edit adds
        go where they were asked, in the order they were added (they share the insertion point)."""
        names = [k.value for k in parent.keys]
        for a in after:
            if a in names:
                return names.index(a)
            if any(o.kind == "set" and o.path[-1] == a for o in self._ops):
                continue
        return len(parent.keys) - 1

    def _delete(self, parent: _Node, i: int, t: _Text, allowed: set[int], path: PathLike) -> list[tuple[int, int, str]]:
        knode, vnode = parent.keys[i], parent.items[i]
        if parent.flow:
            if len(parent.keys) == 1:
                return [(parent.open_end, t.content_end(vnode), "")]
            if i == 0:
                return [(knode.start, parent.keys[1].start, "")]
            return [(t.content_end(parent.items[i - 1]), t.content_end(vnode), "")]
        line = t.line(knode.start)
        if self.text[t.starts[line]:knode.start].strip():
            self._refuse("Y606", path, f"{_shown(path)}: cannot remove the first key of a list item; edit by hand",
                         at=(line + 1, t.col(knode.start) + 1))
        return [(t.starts[line], t.line_end(t.last_line(vnode)), "")]

    def _append(self, seq: _Node, value: Any, t: _Text, allowed: set[int]) -> list[tuple[int, int, str]]:
        nl = t.nl
        if seq.flow:
            allowed.update(range(t.line(seq.start), t.line(max(seq.end - 1, seq.start)) + 1))
            if not seq.items:
                return [(seq.open_end, seq.open_end, _flow(value))]
            at = t.content_end(seq.items[-1])
            return [(at, at, ", " + _flow(value))]
        dash = self.text.rfind("-", t.starts[t.line(seq.items[0].start)], seq.items[0].start + 1)
        indent = t.col(dash) if dash >= 0 else t.col(seq.start)
        last = t.last_line(seq.items[-1])
        at = t.line_end(last)
        text = _item(value, indent, nl) + nl
        return [(at, at, text)]

    def _insert_item(self, seq: _Node, op: _Op, t: _Text) -> list[tuple[int, int, str]]:
        if seq.flow:
            self._refuse("Y606", op.path, f"{_shown(op.path)}: filmc inserts only into block lists ('- item' lines)",
                         hint="edit film.yaml by hand")
        dash = self.text.rfind("-", t.starts[t.line(seq.items[0].start)], seq.items[0].start + 1)
        indent = t.col(dash) if dash >= 0 else t.col(seq.start)
        at = (t.line_end(t.last_line(seq.items[op.anchor])) if op.anchor >= 0
              else t.starts[t.line(dash if dash >= 0 else seq.items[0].start)])
        return [(at, at, _item(op.value, indent, t.nl) + t.nl)]

    def _check(self, new: str, allowed_old: set[int]) -> None:
        """The edit means what was asked and leaves every other line byte-identical; refuse otherwise."""
        from .load import load_film

        try:
            got = load_film(self.path, display=self.display, text=new).data
        except FilmError:
            got = None
        if got != self._expected or not _same_types(got, self._expected):
            self._refuse("Y604", self._ops[0].path, f"{_shown(self._ops[0].path)}: the edit could not be made "
                         "without changing other values of film.yaml", hint="edit film.yaml by hand")
        idx = _index(new)
        t = _Text(new)
        allowed_new: set[int] = set()
        for op in self._ops:
            if op.kind == "delete":
                parent = self._node_at(idx, op.path[:-1])
                if parent is not None and parent.flow:
                    allowed_new.update(range(t.line(parent.start), t.line(max(parent.end - 1, parent.start)) + 1))
                continue
            path = (*op.path, op.index) if op.kind in ("append", "insert") else op.path
            parent = self._node_at(idx, path[:-1])
            node = self._node_at(idx, path)
            if parent is None or node is None:
                continue  # a later delete removed it
            if parent.flow:
                allowed_new.update(range(t.line(parent.start), t.line(max(parent.end - 1, parent.start)) + 1))
            else:
                first = node.start
                if parent.kind == "map":
                    first = next(k.start for k, v in zip(parent.keys, parent.items) if v is node)
                allowed_new.update(range(t.line(first), t.last_line(node) + 1))
        old_lines, new_lines = _Text(self.text).lines(), t.lines()
        for lines in (old_lines, new_lines):  # a line break added at the end of the file changes nothing
            if lines and not lines[-1].endswith(("\n", "\r")):
                lines[-1] += t.nl
        old_kept = [(i, ln) for i, ln in enumerate(old_lines) if i not in allowed_old]
        new_kept = [ln for i, ln in enumerate(new_lines) if i not in allowed_new]
        if [ln for _, ln in old_kept] != new_kept:
            pairs = list(zip(old_kept, new_kept))
            bad = next((i for (i, a), b in pairs if a != b), None)
            if bad is None:
                bad = old_kept[len(pairs)][0] if len(old_kept) > len(pairs) else (old_kept[-1][0] if old_kept else 0)
            self._refuse("Y604", self._ops[0].path, f"{_shown(self._ops[0].path)}: the edit would also change line "
                         f"{bad + 1}, which is not part of the edited value", hint="edit film.yaml by hand",
                         at=(bad + 1, 1))

    @staticmethod
    def _node_at(idx: _Index, path: PathLike) -> _Node | None:
        cur: _Node | None = idx.root
        for k in path:
            if cur is None:
                return None
            if cur.kind == "map" and isinstance(k, str):
                cur = cur.value_of(k)
            elif cur.kind == "seq" and isinstance(k, int) and -len(cur.items) <= k < len(cur.items):
                cur = cur.items[k]
            else:
                return None
        return cur

    def _write(self, raw: bytes, before_replace: Callable[[], None] | None) -> None:
        target = self.target
        try:
            st = os.stat(target)
        except OSError as e:
            self._refuse("Y601", (), f"{self.display} is gone or unreadable ({e.strerror}); nothing was written")
        if not os.access(target, os.W_OK):
            self._refuse("Y605", (), f"{self.display} is read-only; nothing was written",
                         hint="make it writable (chmod u+w) and run again")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as e:
            self._refuse("Y605", (), f"cannot write beside {target}: {e.strerror}; nothing was written")
        try:
            with os.fdopen(fd, "wb") as f:
                _keep_owner_and_mode(f.fileno(), st)
                f.write(raw)
                f.flush()
                os.fsync(f.fileno())
            if before_replace is not None:
                before_replace()
            try:
                now = _read_regular(target, self.display, self.path)
            except FilmError:
                now = None
            if now is None or hashlib.sha256(now).digest() != self._digest:
                self._refuse("Y601", (), f"{self.display} changed on disk after it was read; nothing was written "
                             "(the file keeps the other change)", hint="run the command again")
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        try:  # make the rename durable
            dfd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass


def _keep_owner_and_mode(fd: int, st: os.stat_result) -> None:
    """Give the new file the old one's owner (where allowed) and mode."""
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        for uid, gid in ((st.st_uid, st.st_gid), (-1, st.st_gid)):  # a user may still set a group they are in
            try:
                os.fchown(fd, uid, gid)
                break
            except (OSError, AttributeError):
                continue
    os.fchmod(fd, stat.S_IMODE(st.st_mode))


def _same_types(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return all(_same_types(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b)
    return True  # int and float compare by value: 96 is 96.0


def _read_regular(target: Path, shown: str, named: Path) -> bytes:
    """The file's bytes; a FIFO or device is refused without blocking on it."""
    from .load import MAX_BYTES

    c = Collector(shown)
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        c.error("L100", f"no such file: {shown}", hint="run 'filmc init' to create a film.yaml")
        raise FilmError(c.items) from None
    except OSError as e:
        c.error("L100", f"cannot read {shown}: {e.strerror}")
        raise FilmError(c.items) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file (a pipe or device)"
            c.error("Y605", f"{shown} is {what}: film.yaml edits need a regular file")
            raise FilmError(c.items)
        if st.st_size > MAX_BYTES:
            c.error("L103", f"the file is too large ({st.st_size} bytes; the limit is {MAX_BYTES})")
            raise FilmError(c.items)
        chunks = []
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


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
