"""A kept film's source map with its `shots` items apart: where each value (or key) came from, by JSON pointer.

A big film's map holds tens of thousands of pointers, nearly all inside the items of `shots`. Kept for the next
build (load.splice), each item's part is stored on its own as marshal data, its places counted from the item's
first line: a build after an edit inside one shot replaces that item's part and moves nothing else (the items
after it follow their first lines), and an item's part is read only when a pointer inside it is looked up (to
place a diagnostic). The rest of the map (the film around the shots) is a plain dict.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterator, Mapping

from .document import COLUMNS

SHOTS = "/shots"
_ITEM = SHOTS + "/"

Part = list[tuple[str, int]]  # an item's entries: (pointer after "/shots/<n>", place counted from its first line)


class SourceMap(Mapping[str, int]):
    """pointer -> place (see document.place), in the order the loader made them: the film's entries, with every
    item's entries right after `/shots` (where the loader's walk puts them)."""

    __slots__ = ("top", "parts", "sizes", "starts", "_open")

    def __init__(self, top: dict[str, int], parts: list[bytes], sizes: list[int], starts: list[int]) -> None:
        self.top = top  # the entries outside the items ("/shots" itself among them)
        self.parts = parts  # each item's Part, as marshal data
        self.sizes = sizes  # each item's number of entries
        self.starts = starts  # each item's first line (0-based, the line of its `-`)
        self._open: dict[int, dict[str, int]] = {}

    @classmethod
    def split(cls, table: Mapping[str, int], starts: list[int]) -> SourceMap:
        """A whole parse's map, its items' entries set apart (the loader's pointers: `/shots/<digits>/...`)."""
        top: dict[str, int] = {}
        items: list[Part] = [[] for _ in starts]
        for p, at in table.items():
            if p.startswith(_ITEM):
                n, slash, rest = p[len(_ITEM):].partition("/")
                i = int(n)
                items[i].append((slash + rest, at - starts[i] * COLUMNS))
            else:
                top[p] = at
        return cls(top, [marshal.dumps(part) for part in items], [len(part) for part in items], starts)

    def with_item(self, i: int, entries: Mapping[str, int], starts: list[int], moved: int, shift: int) -> SourceMap:
        """This map with item `i`'s entries replaced (`entries`: whole pointers and places, the item starting at
        starts[i]) and the film's places at or after `moved` moved by `shift` (the items follow `starts`)."""
        top = self.top if not shift else {p: at + shift if at >= moved else at for p, at in self.top.items()}
        prefix = len(_ITEM + str(i))
        base = starts[i] * COLUMNS
        part = [(p[prefix:], at - base) for p, at in entries.items()]
        parts = list(self.parts)
        parts[i] = marshal.dumps(part)
        sizes = list(self.sizes)
        sizes[i] = len(part)
        return SourceMap(top, parts, sizes, starts)

    def _item(self, i: int) -> dict[str, int]:
        table = self._open.get(i)
        if table is None:
            prefix = _ITEM + str(i)
            base = self.starts[i] * COLUMNS
            table = self._open[i] = {prefix + rest: at + base for rest, at in marshal.loads(self.parts[i])}
        return table

    def __getitem__(self, pointer: str) -> int:
        if pointer.startswith(_ITEM):
            n = pointer[len(_ITEM):].partition("/")[0]
            if n.isascii() and n.isdigit() and len(n) < 10 and int(n) < len(self.parts):
                return self._item(int(n))[pointer]
        return self.top[pointer]

    def __iter__(self) -> Iterator[str]:
        for p in self.top:
            yield p
            if p == SHOTS:
                for i in range(len(self.parts)):
                    yield from self._item(i)

    def __len__(self) -> int:
        return len(self.top) + sum(self.sizes)

    def dump(self) -> tuple[dict[str, int], list[bytes], list[int]]:
        """As marshal data (with the items' first lines, kept beside it: see from_dump)."""
        return self.top, self.parts, self.sizes

    @classmethod
    def from_dump(cls, dumped: tuple[dict[str, int], list[bytes], list[int]], starts: list[int]) -> SourceMap:
        top, parts, sizes = dumped
        if not (isinstance(top, dict) and isinstance(parts, list) and isinstance(sizes, list)
                and len(parts) == len(sizes) == len(starts)):
            raise ValueError("not a kept source map")
        return cls(top, parts, sizes, starts)
