"""YAML nodes -> plain values with YAML 1.2 core-schema typing (`1:30` and `no` stay strings), the source map,
duplicate keys reported with both places, control characters removed, and alias expansion bounded."""

from __future__ import annotations

import math
import re
from typing import Any

from yaml.nodes import Node, ScalarNode, SequenceNode

from ..diagnostics import Collector
from ..errors import FilmcError
from ..plurals import noun
from .document import COLUMNS

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
    from yaml import Loader as _Parser  # type: ignore[assignment,unused-ignore]  # one parser class or the other


class Composer(_Parser):  # type: ignore[misc,valid-type,unused-ignore]  # PyYAML's stubs may not type CParser
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


def compose(text: str) -> Node | None:
    """The text's single document as YAML nodes (None: empty); yaml.YAMLError when it is not YAML."""
    composer = Composer(text)
    try:
        node: Node | None = composer.get_single_node()
        return node
    finally:
        composer.dispose()


def escape_key(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class ValueBuilder:
    def __init__(self, diags: Collector) -> None:
        self.diags = diags
        self.values: dict[str, int] = {}  # pointer -> place(line, col)
        self.keys: dict[str, int] = {}
        self.count = 0

    def build(self, node: Node, ptr: str) -> Any:
        self.count += 1
        if self.count > MAX_EXPANDED_NODES:
            raise AliasBomb()
        mark = node.start_mark
        self.values[ptr] = (mark.line + 1) * COLUMNS + min(mark.column + 1, COLUMNS - 1)  # place(), inline
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
            child = f"{ptr}/{escape_key(key)}"
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
            self.keys[child] = (km.line + 1) * COLUMNS + min(km.column + 1, COLUMNS - 1)
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
        self.diags.warning("L114", f"{noun(len(found), 'control character')} {names} removed from the text",
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


class AliasBomb(FilmcError):
    """YAML aliases that expand without bound (an alias inside its own anchor, or a billion laughs); read.py
    turns it into a located error."""


def expanded_size(root: Node) -> int:
    """How many values the graph expands to, counted per distinct node (aliases share nodes)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        nid = id(node)
        if nid in sizes:
            return sizes[nid]
        if nid in active:
            raise AliasBomb()  # an alias inside its own anchor: infinite
        if isinstance(node, ScalarNode):
            return 1
        active.add(nid)
        if isinstance(node, SequenceNode):
            total = 1 + sum(size(c) for c in node.value)
        else:
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        active.discard(nid)
        if total > MAX_EXPANDED_NODES:
            raise AliasBomb()
        sizes[nid] = total
        return total

    return size(root)
