"""load: film.yaml bytes -> Document (plain data + a source map from JSON pointers to line:col).

PyYAML's C parser composes the node graph; we construct values ourselves so that
scalars follow YAML 1.2 core-schema rules (`1:30` and `no` stay strings), duplicate
keys are reported with both places, and alias expansion is bounded.
"""

from __future__ import annotations

import gc
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import Collector, Diagnostic, SourceLike
from .errors import FilmError
from .paths import NotRegularFile, open_regular

MAX_BYTES = 8 * 1024 * 1024
# Values built from the node graph: bounded so an alias bomb fails fast.
MAX_EXPANDED_NODES = 1_000_000

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"

_INT_RE = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_FLOATS = ("inf", "nan")
# Characters that are not text: C0 controls but tab and newline (NUL, ESC, BEL, CR...), DEL, C1 controls (CSI, OSC),
# and the bidirectional overrides that make a line read differently from what it holds. YAML escapes ("\e", "\0",
# "\x9b") can put them in a value; they would reach prompts, job JSON, render scripts and the terminal.
# One rule for every output: they are removed here, at load, with a warning that points at the value.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


try:
    from yaml.cyaml import CParser as _Parser
except ImportError:  # PyYAML built without libyaml: the pure-Python parser, same results
    from yaml import Loader as _Parser  # type: ignore[assignment]


class _Composer(_Parser):  # type: ignore[misc,valid-type]
    """The C composer with YAML 1.2 core-schema implicit typing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)

    def descend_resolver(self, parent: Any, index: Any) -> None:  # path resolvers: not used
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:  # noqa: D401
        if kind is ScalarNode:
            if not implicit[0]:
                return STR
            if value in _NULLS:
                return NULL
            if value in _BOOLS:
                return BOOL
            c = value[0]
            if c in "0123456789+-.":
                if _INT_RE.fullmatch(value):
                    return INT
                if _FLOAT_RE.fullmatch(value):
                    return FLOAT
            return STR
        return SEQ if kind is SequenceNode else MAP


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


@dataclass
class Document(SourceLike):
    """A loaded film.yaml: the data and where each value and key came from."""

    path: Path
    display: str  # the file name used in diagnostics
    data: dict[str, Any]
    values: dict[str, tuple[int, int]]
    keys: dict[str, tuple[int, int]]
    lines: list[str]
    warnings: tuple[Diagnostic, ...] = ()  # found while reading (control characters removed)

    def locate(self, pointer: str, *, key: bool = False) -> tuple[int, int]:
        """line:col (1-based) of a pointer; the nearest located ancestor otherwise."""
        table = self.keys if key else self.values
        p = pointer
        while True:
            if p in table:
                return table[p]
            if p in self.values:
                return self.values[p]
            if not p:
                return (1, 1)
            p = p.rsplit("/", 1)[0]


class _Builder:
    def __init__(self, diags: Collector) -> None:
        self.diags = diags
        self.values: dict[str, tuple[int, int]] = {}
        self.keys: dict[str, tuple[int, int]] = {}
        self.count = 0

    def build(self, node: Node, ptr: str) -> Any:
        self.count += 1
        if self.count > MAX_EXPANDED_NODES:
            raise _Bomb()
        mark = node.start_mark
        self.values[ptr] = (mark.line + 1, mark.column + 1)
        if isinstance(node, ScalarNode):
            return self.scalar(node, ptr)
        if node.tag not in (SEQ, MAP):
            self._bad_tag(node, ptr)
        if isinstance(node, SequenceNode):
            return [self.build(child, f"{ptr}/{i}") for i, child in enumerate(node.value)]
        out: dict[str, Any] = {}
        firsts: dict[str, Node] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, ScalarNode):
                m = knode.start_mark
                self.diags.error("L110", "a mapping key must be a plain value, not a list or mapping",
                                 ptr, at=(m.line + 1, m.column + 1))
                continue
            key = knode.value if knode.tag != NULL else ""
            if CONTROL_CHARS.search(key):
                key = self._clean(knode, ptr, key)
            if knode.tag not in (STR, INT, FLOAT, BOOL, NULL):
                self._bad_tag(knode, ptr)
            child = f"{ptr}/{_escape(key)}"
            km = knode.start_mark
            if key in firsts:
                fm = firsts[key].start_mark
                self.diags.error(
                    "L111",
                    f"duplicate key '{key}' (first defined at line {fm.line + 1}, column {fm.column + 1})",
                    child, at=(km.line + 1, km.column + 1),
                    hint="YAML keeps only one of them; delete or rename one",
                )
                continue
            firsts[key] = knode
            self.keys[child] = (km.line + 1, km.column + 1)
            out[key] = self.build(vnode, child)
        return out

    def scalar(self, node: ScalarNode, ptr: str) -> Any:
        tag, v = node.tag, node.value
        if tag == STR:
            return self._clean(node, ptr, v) if CONTROL_CHARS.search(v) else v
        if tag == INT:
            try:
                n = int(v, 0) if v.startswith(("0o", "0x")) else int(v, 10)
                if abs(n) > 2**53:  # beyond what a time or option can mean, and beyond exact floats
                    return self._bad_value(node, ptr, "number (it is too large)")
                return n
            except ValueError:
                return self._bad_value(node, ptr, "integer")
        if tag == FLOAT:
            try:
                low = v.lower().lstrip("+")
                if low.lstrip("-").lstrip(".") in _SPECIAL_FLOATS:
                    m = node.start_mark
                    self.diags.error("L112", f"'{v}' is not a usable number: film.yaml takes finite numbers only",
                                     ptr, at=(m.line + 1, m.column + 1))
                    return None
                f = float(v)
                if not math.isfinite(f):
                    return self._bad_value(node, ptr, "number (it is too large)")
                return f
            except ValueError:
                return self._bad_value(node, ptr, "number")
        if tag == BOOL:
            if v in _BOOLS:
                return _BOOLS[v]
            return self._bad_value(node, ptr, "boolean (true or false)")
        if tag == NULL:
            return None
        self._bad_tag(node, ptr)
        return v

    def _clean(self, node: ScalarNode, ptr: str, v: str) -> str:
        found = sorted(set(CONTROL_CHARS.findall(v)))
        m = node.start_mark
        names = ", ".join(f"U+{ord(c):04X}" for c in found[:4]) + (", ..." if len(found) > 4 else "")
        self.diags.warning("L114", f"control character{'s' if len(found) > 1 else ''} {names} removed from the text",
                           ptr, at=(m.line + 1, m.column + 1),
                           hint="an escape such as \\0, \\e or \\x1b in a quoted value puts a control character "
                                "in it; delete the escape")
        return CONTROL_CHARS.sub("", v)

    def _bad_value(self, node: ScalarNode, ptr: str, what: str) -> Any:
        m = node.start_mark
        shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
        self.diags.error("L112", f"'{shown}' is not a valid {what}", ptr, at=(m.line + 1, m.column + 1))
        return node.value

    def _bad_tag(self, node: Node, ptr: str) -> None:
        m = node.start_mark
        self.diags.error(
            "L113", f"unsupported YAML tag '{node.tag}'", ptr, at=(m.line + 1, m.column + 1),
            hint="film.yaml uses plain YAML values only; remove the '!' tag",
        )


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC: building tens of thousands of acyclic objects otherwise triggers
    collections that cost more than the parse itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class _Bomb(Exception):
    pass


def _expanded_size(root: Node) -> int:
    """How many values the graph expands to, counted per distinct node (aliases share nodes)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        nid = id(node)
        if nid in sizes:
            return sizes[nid]
        if nid in active:
            raise _Bomb()  # an alias inside its own anchor: infinite
        if isinstance(node, ScalarNode):
            return 1
        active.add(nid)
        if isinstance(node, SequenceNode):
            total = 1 + sum(size(c) for c in node.value)
        else:
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        active.discard(nid)
        if total > MAX_EXPANDED_NODES:
            raise _Bomb()
        sizes[nid] = total
        return total

    return size(root)


def _decode(raw: bytes, diags: Collector) -> str | None:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        diags.error("L102", "the file is UTF-16 encoded; film.yaml must be UTF-8", at=(1, 1),
                    hint="re-save the file as UTF-8 in your editor")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[: e.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        diags.error("L102", f"the file is not valid UTF-8 (byte 0x{raw[e.start]:02x})", at=(line, col),
                    hint="re-save the file as UTF-8 in your editor")
        return None


def _colon_in_flow(lines: list[str], line: int, col: int) -> bool:
    """The parser stopped inside a { } mapping just after a plain value that holds ': '."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    before = text[:col]  # the parser stops at the colon of "she says: go"
    return "{" in before and before.rstrip().endswith(":")


def _parse_error(e: yaml.MarkedYAMLError, lines: list[str], diags: Collector) -> None:
    mark = e.problem_mark or e.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in text[: len(text) - len(text.lstrip(" \t"))] or "'\\t'" in str(e.problem):
        tab_line = line
        for i in range(max(line - 1, 0), -1, -1):  # the tab may be on the line before the mark
            lt = lines[i] if i < len(lines) else ""
            if "\t" in lt[: len(lt) - len(lt.lstrip(" \t"))]:
                tab_line = i + 1
                break
        lt = lines[tab_line - 1] if tab_line <= len(lines) else ""
        diags.error("L104", "a tab character is used for indentation", at=(tab_line, lt.index("\t") + 1 if "\t" in lt else 1),
                    hint="YAML allows only spaces for indentation; replace the tab with spaces")
        return
    problem = (e.problem or e.context or "invalid YAML").strip()
    hint = None
    if "mapping values are not allowed" in problem:
        hint = "a value containing ': ' must be quoted, e.g. action: \"she says: go\""
    elif "found character" in problem and "'@'" in problem or "'`'" in problem:
        hint = "values starting with @ or ` must be quoted"
    elif "could not find expected ':'" in problem:
        hint = "each mapping entry needs 'key: value'; check the line above for a missing colon or quote"
    elif "did not find expected ',' or '}'" in problem and _colon_in_flow(lines, line, col):
        hint = ("inside { } a value containing ': ' or ', ' must be quoted, e.g. {subject: \"she says: go\"}")
    elif "did not find expected" in problem or "while scanning a quoted scalar" in (e.context or ""):
        hint = "look for an unclosed quote, bracket or brace on this line or the lines above"
    elif "found undefined alias" in problem:
        hint = "define the anchor (&name) before using the alias (*name)"
    diags.error("L101", f"invalid YAML: {problem}", at=(line, col), hint=hint)


def load_film(path: str | Path, *, display: str | None = None, text: str | None = None) -> Document:
    """Read and parse film.yaml; raise FilmError with located diagnostics on any problem."""
    with paused_gc():
        return _load(path, display, text)


def _load(path: str | Path, display: str | None, text: str | None) -> Document:
    p = Path(path)
    shown = display or str(path)
    diags = Collector(shown)
    if text is None:
        try:
            if p.is_dir():
                diags.error("L100", f"{shown} is a directory", hint="pass the film.yaml file, or the folder holding film.yaml")
                raise FilmError(diags.items)
            try:
                f = open_regular(p)  # a pipe or device in film.yaml's place would block a plain read
            except NotRegularFile as e:
                diags.error("L100", f"cannot read {shown}: {str(e).replace(str(p), 'it')}",
                            hint="film.yaml must be a regular file")
                raise FilmError(diags.items) from None
            with f:
                size = os.fstat(f.fileno()).st_size
                if size > MAX_BYTES:
                    diags.error("L103", f"the file is too large ({size} bytes; the limit is {MAX_BYTES})")
                    raise FilmError(diags.items)
                raw = f.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                diags.error("L103", f"the file is too large (over {MAX_BYTES} bytes)")
                raise FilmError(diags.items)
        except FileNotFoundError:
            diags.error("L100", f"no such file: {shown}", hint="run 'filmc init' to create a film.yaml")
            raise FilmError(diags.items) from None
        except PermissionError:
            diags.error("L100", f"cannot read {shown}: permission denied")
            raise FilmError(diags.items) from None
        except (OSError, ValueError) as e:
            diags.error("L100", f"cannot read {shown}: {getattr(e, 'strerror', None) or e}")
            raise FilmError(diags.items) from None
        decoded = _decode(raw, diags)
        if decoded is None:
            shown_lines = raw.decode("utf-8", "replace").splitlines() if not raw.startswith((b"\xff\xfe", b"\xfe\xff")) else []
            raise FilmError(diags.items, {shown: shown_lines})
        text = decoded
    elif len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        diags.error("L103", f"the file is too large (the limit is {MAX_BYTES} bytes)")
        raise FilmError(diags.items)
    lines = text.splitlines()
    sources = {shown: lines}
    if "\x00" in text:
        nul = text.index("\x00")
        diags.error("L102", "the file contains a NUL byte: it is binary, not YAML", at=(text.count("\n", 0, nul) + 1, 1))
        raise FilmError(diags.items, sources)
    try:
        composer = _Composer(text)
        try:
            node = composer.get_single_node()
        finally:
            composer.dispose()
    except yaml.MarkedYAMLError as e:
        _parse_error(e, lines, diags)
        raise FilmError(diags.items, sources) from None
    except yaml.YAMLError as e:
        diags.error("L101", f"invalid YAML: {e}", at=(1, 1))
        raise FilmError(diags.items, sources) from None
    except RecursionError:
        diags.error("L103", "the document nests too deeply", at=(1, 1))
        raise FilmError(diags.items, sources) from None
    if node is None:
        diags.error("L105", "the file is empty", at=(1, 1), hint="run 'filmc init' for a starter film.yaml")
        raise FilmError(diags.items, sources)
    if not isinstance(node, MappingNode):
        m = node.start_mark
        kind = "a list" if isinstance(node, SequenceNode) else "a single value"
        diags.error("L106", f"the top level must be a mapping of keys (version, film, song, ...), not {kind}",
                    at=(m.line + 1, m.column + 1), hint="start with 'version: 1' then 'film:' and 'song:'")
        raise FilmError(diags.items, sources)
    builder = _Builder(diags)
    try:
        if "&" in text and "*" in text:  # only documents with anchors can expand
            _expanded_size(node)
        data = builder.build(node, "")
    except _Bomb:
        diags.items.clear()
        diags.error("L107", "the document expands to too many values through anchors and aliases (&/*)",
                    at=(1, 1), hint="aliases are limited to keep a file's meaning small; write the values out")
        raise FilmError(diags.items, sources) from None
    except RecursionError:
        diags.error("L107", "the document nests too deeply (or an alias refers to itself)", at=(1, 1))
        raise FilmError(diags.items, sources) from None
    if diags.has_errors:
        raise FilmError(diags.items, sources)
    return Document(p, shown, data, builder.values, builder.keys, lines, tuple(diags.items))
