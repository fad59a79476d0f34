"""Reading film.yaml again after an edit inside one shot: only that shot's lines are parsed; the rest of the last
parse (its values and source map) is kept, the places after the shot moved by the lines it gained or lost.

A build keeps its parse (`kept`: marshal data) in build/.filmc/; the next build's load compares the new text with
the kept one line by line. When every changed line lies inside one item of the top-level `shots` list, that item's
lines are parsed on their own and put in the old item's place. Anything that could make the item mean something
else in the whole file than on its own makes the load parse the whole file as before: anchors or aliases (`&`,
`*`), directives, tabs or other line breaks than `\\n`, a line of the item that leaves its indentation (a new key
or item at the list's level), an item that is not one (two items, or none), any diagnostic, a kept parse that had
warnings. tests/unit/test_splice.py checks the spliced document is the whole parse's, for random edits.
"""

from __future__ import annotations

import marshal
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from yaml.nodes import SequenceNode

from .document import COLUMNS, Document
from .source_map import SourceMap
from .values import MAX_EXPANDED_NODES

LAYOUT = 3  # 3: each shot's item as marshal wrote it (Document.shot_blobs); 2: the source map's items apart
MAX_DEPTH = 64  # levels of nesting an item may have (a film has a handful; far below what the whole parse refuses)
SPLICE_MIN = 32 * 1024  # characters: a smaller film parses faster than its kept parse is read back
# Where an anchor or an alias can start (conservative: `*bold*` after a space counts too, and only costs the splice).
_ANCHOR_OR_ALIAS = re.compile(r"(?:^|[\s\[\]{},])[&*][^\s\[\]{},]", re.M)
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


@dataclass
class Kept:
    """A parse kept for the next load: the text, its values and source map, and where each shot's item starts."""

    text: str
    data: dict[str, Any]
    values: SourceMap
    keys: SourceMap
    starts: list[int]  # 0-based line of each item of `shots` (the line of its `-`)
    end: int  # 0-based line where the list's region ends: the next top-level key's, or the line count
    column: int  # 0-based column of the items' `-`
    blobs: list[bytes]  # each item of `shots` as marshal's format 0 writes it (see Document.shot_blobs)


@cache
def stamp() -> str:
    """What a kept parse was made by: this loader's code, and film.yaml's schema (what the kept parse was validated
    against: a build keeps a parse only when it passed)."""
    import hashlib

    from ..resources import schema_path

    here = Path(__file__).parent
    try:
        code = [(here / n).stat() for n in ("values.py", "read.py", "document.py", "splice.py", "source_map.py")]
        schema = hashlib.sha1(schema_path("film").read_bytes()).hexdigest()
    except OSError:
        return "?"
    return "|".join([str(LAYOUT), *(f"{c.st_size}:{c.st_mtime_ns}" for c in code), schema])


def keep(doc: Document, text: str) -> Kept | None:
    """What the next load can splice into (None: this parse cannot be spliced into: no block list of shots whose
    items each start on a line of their own, anchors, directives, other line breaks, warnings)."""
    if len(text) < SPLICE_MIN or doc.warnings or _OTHER_BREAKS.search(text) or _ANCHOR_OR_ALIAS.search(text):
        return None
    shots = doc.data.get("shots")
    if not isinstance(shots, list) or not shots or "\t" in text or text.startswith("%") or "\n%" in text:
        return None
    lines = text.split("\n")
    starts: list[int] = []
    column = -1
    for i in range(len(shots)):
        at = doc.values.get(f"/shots/{i}")
        if at is None:
            return None
        line = at // COLUMNS - 1
        body = lines[line]
        dash = len(body) - len(body.lstrip(" "))
        if column < 0:
            column = dash
        if dash != column or not body.startswith("- ", dash) or (starts and line <= starts[-1]):
            return None
        starts.append(line)
    shots_key = doc.keys.get("/shots")
    if shots_key is None or shots_key // COLUMNS - 1 >= starts[0]:
        return None
    after = [at // COLUMNS - 1 for ptr, at in doc.keys.items() if ptr.count("/") == 1 and at > shots_key]
    end = min(after, default=len(lines))
    if end <= starts[-1]:
        return None
    blobs = doc.shot_blobs()
    assert blobs is not None  # (shots is a list)
    return Kept(text, doc.data, SourceMap.split(doc.values, starts), SourceMap.split(doc.keys, starts), starts, end,
                column, blobs)


def dump(kept: Kept) -> tuple[bytes, ...]:
    """The kept parse as records (see records.py)."""
    return (marshal.dumps(stamp()), marshal.dumps((kept.text, kept.data, kept.values.dump(), kept.keys.dump(),
                                                   kept.starts, kept.end, kept.column, kept.blobs)))


def read(path: Path) -> Kept | None:
    """The parse kept in a file of records; None when there is none, or it is not whole or of another filmc."""
    from ..records import load_records

    try:
        return _from_loaded(list(load_records(path)))  # (to the end: the checksum is checked after the last record)
    except (OSError, ValueError, EOFError, TypeError, OverflowError, MemoryError):
        return None


def read_from(records: Sequence[bytes]) -> Kept | None:
    """The parse dump() made (None: something else)."""
    try:
        return _from_loaded([marshal.loads(r) for r in records])
    except (ValueError, EOFError, TypeError, OverflowError, MemoryError):
        return None


def _from_loaded(loaded: list[Any]) -> Kept | None:
    """dump()'s records, unmarshalled: the kept parse, None when of another filmc (ValueError, TypeError: not one)."""
    now = stamp()
    if len(loaded) != 2 or now == "?" or loaded[0] != now:
        return None
    return _kept(loaded[1])


def _kept(loaded: Any) -> Kept:
    """dump()'s second record, read back (ValueError, TypeError: something else)."""
    text, data, values, keys, starts, end, column, blobs = loaded
    if not isinstance(starts, list) or not isinstance(blobs, list) or not isinstance(data, dict) \
            or not isinstance(data.get("shots"), list) or len(blobs) != len(data["shots"]):
        raise ValueError("not a kept parse")
    return Kept(text, data, SourceMap.from_dump(values, starts), SourceMap.from_dump(keys, starts), starts, end,
                column, blobs)


def splice(kept: Kept, text: str, path: Path, display: str,
           lines: list[str] | None = None) -> tuple[Document, Kept] | None:
    """The document of `text` made from the kept parse and a parse of the one shot that changed, and what to keep
    of it; None when the whole file must be parsed (see the module's doc). `kept` is used up: its data becomes the
    new document's (changed in place; its source maps are made anew). `lines`: text.splitlines(), if made already."""
    if text == kept.text:
        return _document(kept, path, display, (), lines), kept
    if len(text) < SPLICE_MIN or "\t" in text or _OTHER_BREAKS.search(text):
        return None
    old = kept.text.split("\n")
    new = text.split("\n")
    top = 0
    most = min(len(old), len(new))
    while top < most and old[top] == new[top]:
        top += 1
    tail = 0
    while tail < most - top and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    old_stop = len(old) - tail  # changed: old[top:old_stop] -> new[top:len(new) - tail]
    starts = kept.starts
    i = _item_at(starts, top)
    if i > 0 and top == starts[i] and old_stop == top:
        i -= 1  # lines put right above an item's `-` end the item before (a block scalar's text, say), not this one
    if i < 0:
        return None
    item_end = starts[i + 1] if i + 1 < len(starts) else kept.end
    if old_stop > item_end:
        return None
    delta = len(new) - len(old)
    chunk = new[starts[i]:item_end + delta]
    item = _parse_item(chunk, item_end + delta < len(new), kept.column, path, display, i, starts[i])
    if item is None:
        return None
    value, values, keys, first = item
    if first != starts[i] or len(kept.values) + len(values) > MAX_EXPANDED_NODES:  # (the whole parse's bound)
        return None  # something before the `-` that was not there (it could be the item before's)
    moved = (item_end + 1) * COLUMNS  # the film's places at or after the old item's end move by delta lines
    shift = delta * COLUMNS
    data = kept.data
    data["shots"][i] = value
    blobs = kept.blobs
    blobs[i] = marshal.dumps(value, 0)
    now = [*starts[:i], first, *(s + delta for s in starts[i + 1:])]  # (the items after it follow their lines)
    made = Kept(text, data, kept.values.with_item(i, values, now, moved, shift),
                kept.keys.with_item(i, keys, now, moved, shift), now, kept.end + delta, kept.column, blobs)
    return _document(made, path, display, (i,), lines), made


def _item_at(starts: list[int], line: int) -> int:
    """The item whose lines hold `line` (-1: a line before the first item's)."""
    import bisect

    return bisect.bisect_right(starts, line) - 1


def _parse_item(chunk: list[str], broken: bool, column: int, path: Path, display: str, index: int,
                line0: int) -> tuple[Any, dict[str, int], dict[str, int], int] | None:
    """One item's lines parsed on their own: its value, source map (places in the whole file) and first line.
    `broken`: a line break follows the last line (it is not the file's last), which a block scalar keeps."""
    first = -1
    for n, body in enumerate(chunk):
        stripped = body.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(body) - len(stripped)
        if first < 0:
            if indent != column or not stripped.startswith("- "):
                return None
            first = n
        elif indent <= column:  # a new item, or a key of the list's parent: the item is not one any more
            return None
    if first < 0:
        return None
    part = "\n".join(chunk) + ("\n" if broken else "")
    if _ANCHOR_OR_ALIAS.search(part) or part.lstrip().startswith(("%", "---")) or "\n---" in part or "\n..." in part:
        return None
    import yaml

    from ..diagnostics import Collector
    from .values import ValueBuilder, compose

    diags = Collector(display)
    try:
        node = compose(part)
    except (yaml.YAMLError, RecursionError):
        return None
    if not isinstance(node, SequenceNode) or len(node.value) != 1:
        return None
    builder = ValueBuilder(diags)
    try:
        value = builder.build(node.value[0], f"/shots/{index}")
    except Exception:  # (an alias bomb, a nesting too deep: the whole parse reports it, located)
        return None
    if diags.items:
        return None
    lines = builder.values.values()
    if (builder.values[f"/shots/{index}"] // COLUMNS != first + 1  # the item's value starts on its `-` line
            or (broken and any(at // COLUMNS > len(chunk) for at in lines))  # a place past the item: at the next
            # token, as an empty value at the item's end has (in the whole file that is the next item's `-`)
            or max(p.count("/") for p in builder.values) > MAX_DEPTH):  # (nesting the whole parse may refuse)
        return None
    lift = line0 * COLUMNS
    return (value, {p: at + lift for p, at in builder.values.items()}, {p: at + lift for p, at in builder.keys.items()},
            line0 + first)


def _document(kept: Kept, path: Path, display: str, changed: tuple[int, ...] = (),
              lines: list[str] | None = None) -> Document:
    doc = Document(path, display, kept.data, kept.values, kept.keys,
                   kept.text.splitlines() if lines is None else lines, changed=changed)
    doc.kept_blobs(kept.blobs)
    return doc
