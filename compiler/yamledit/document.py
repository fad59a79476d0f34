"""The located document: film.yaml's nodes with their character offsets (from the parser's events, the same
parser as `validate`), and the text's lines, columns and line ends."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field


@dataclass
class Node:
    kind: str  # "map" | "seq" | "scalar" | "alias"
    start: int  # character offsets in the text
    end: int
    flow: bool = False
    anchor: str | None = None
    alias: str | None = None  # for "alias": the anchor it names
    style: str | None = None  # for "scalar": '', "'", '"', '|', '>'
    keys: list[Node] = field(default_factory=list)  # "map": key nodes, parallel to items
    items: list[Node] = field(default_factory=list)  # "map": values; "seq": items
    open_end: int = -1  # flow collections: just after '{' or '['
    value: str | None = None  # "scalar": its text as parsed (keys are looked up by it)

    def key_index(self, key: str) -> int | None:
        return next((i for i, k in enumerate(self.keys) if k.kind == "scalar" and k.value == key), None)

    def value_of(self, key: str) -> Node | None:
        i = self.key_index(key)
        return None if i is None else self.items[i]


@dataclass
class Index:
    root: Node
    anchors: dict[str, list[Node]]  # name -> nodes defining it, in order
    aliases: list[Node]


def index_text(text: str) -> Index:
    import yaml

    try:
        from yaml.cyaml import CParser as Parser
    except ImportError:  # pragma: no cover - PyYAML without libyaml
        from yaml import Loader as Parser

    parser = Parser(text)
    anchors: dict[str, list[Node]] = {}
    aliases: list[Node] = []

    def node() -> Node:
        e = parser.get_event()
        s, t = e.start_mark.index, e.end_mark.index
        if isinstance(e, yaml.AliasEvent):
            n = Node("alias", s, t, alias=e.anchor)
            aliases.append(n)
            return n
        if isinstance(e, yaml.ScalarEvent):
            n = Node("scalar", s, t, anchor=e.anchor, style=e.style or "", value=e.value)
        else:
            kind = "map" if isinstance(e, yaml.MappingStartEvent) else "seq"
            n = Node(kind, s, t, flow=bool(e.flow_style), anchor=e.anchor)
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
    return Index(root, anchors, aliases)


# ---------------------------------------------------------------- text helpers


class Text:
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

    def content_end(self, n: Node) -> int:
        """Offset just past the last character that belongs to n (trailing breaks and comments excluded)."""
        if n.kind == "map" and not n.flow and n.items:
            return self.content_end(n.items[-1])
        if n.kind == "seq" and not n.flow and n.items:
            return self.content_end(n.items[-1])
        if n.kind == "scalar" and n.style in ("|", ">"):
            return n.start + len(self.text[n.start:n.end].rstrip(" \t\r\n"))
        return n.end

    def last_line(self, n: Node) -> int:
        return self.line(max(self.content_end(n) - 1, n.start))

