"""The splice: each change of an edit located in the parsed text and made by replacing only its characters (or
inserting or removing whole lines); then the result is checked: parsed again it must mean the old document plus
the changes, and every line outside the edited values must be byte-identical. Anything else is refused (Y6xx)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from .document import Index, Node, Text, index_text
from .emit import Key, after_colon, entry, flow_text, item_text, literal_ok, scalar

PathLike = Sequence[Key]


def pointer(path: PathLike) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def shown(path: PathLike) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


@dataclass
class Op:
    kind: str  # "set" | "delete" | "append" | "insert"
    path: tuple[Key, ...]
    value: Any = None
    after: tuple[str, ...] = ()
    index: int = -1  # "append", "insert": the new item's index
    anchor: int = -1  # "insert": the original item it follows (-1: it goes first)


class Refuse(Protocol):
    """Raises the located refusal of an edit (YamlEditError)."""

    def __call__(self, code: str, path: PathLike, message: str, hint: str | None = None,
                 at: tuple[int, int] | None = None) -> NoReturn: ...


class Splice:
    """The changes `ops` made to `text`. `reparse` parses a text as validate does (None: it does not load);
    `expected` is what the edited document must mean."""

    def __init__(self, text: str, ops: Sequence[Op], *, refuse: Refuse, reparse: Callable[[str], Any],
                 expected: Any) -> None:
        self.text = text
        self.ops = list(ops)
        self._refuse = refuse
        self._reparse = reparse
        self._expected = expected

    def apply(self) -> str:
        """The new text: every change spliced in, checked (see check); a located Y6xx refusal otherwise."""
        if not self.ops:
            return self.text
        idx = index_text(self.text)
        t = Text(self.text)
        splices: list[tuple[int, int, str, int]] = []  # (start, end, text, order)
        allowed_old: set[int] = set()
        for order, op in enumerate(self.ops):
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
        self.check(new, allowed_old)
        return new

    def _locate(self, idx: Index, path: tuple[Key, ...], whole: tuple[Key, ...]) -> tuple[Node, list[Node]]:
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
                self._refuse("Y606", path[:i + 1], f"{shown(whole)}: {shown(path[:i + 1])} is not in film.yaml")
            cur = nxt
            chain.append(cur)
        return cur, chain

    def _alias_refusal(self, idx: Index, node: Node, path: PathLike, whole: PathLike) -> NoReturn:
        t = Text(self.text)
        src = idx.anchors.get(node.alias or "", [])
        where = f" (defined at line {t.line(src[0].start) + 1})" if src else ""
        self._refuse("Y603", path, f"{shown(whole)}: {shown(path)} is an alias (*{node.alias}) of a value written "
                     f"elsewhere{where}; changing it here would change that value too",
                     hint="edit the value by hand, or write it out in place of the alias",
                     at=(t.line(node.start) + 1, t.col(node.start) + 1))

    def _shared(self, idx: Index, chain: list[Node], path: PathLike, span: tuple[int, int] | None) -> None:
        """Refuse when a node being changed is shared through an alias: the change would reach the alias too."""
        t = Text(self.text)
        for n in chain[1:]:
            if n.anchor:
                users = [a for a in idx.aliases if a.alias == n.anchor and a.start > n.start
                         and not (span and span[0] <= a.start < span[1])]
                if users:
                    u = users[0]
                    self._refuse("Y602", path, f"{shown(path)}: the value is anchored (&{n.anchor}) and used again "
                                 f"as *{n.anchor} at line {t.line(u.start) + 1}; changing it would change both",
                                 hint="edit it by hand, or write the value out in place of the alias",
                                 at=(t.line(n.start) + 1, t.col(n.start) + 1))
        if span:  # anchors defined inside a replaced value and used after it
            for name, defs in idx.anchors.items():
                inside = [d for d in defs if span[0] <= d.start < span[1]]
                users = [a for a in idx.aliases if a.alias == name and a.start >= span[1]]
                if inside and users:
                    u = users[0]
                    self._refuse("Y602", path, f"{shown(path)}: the value defines &{name}, used again as *{name} at "
                                 f"line {t.line(u.start) + 1}; replacing it would break that alias",
                                 hint="edit it by hand", at=(t.line(inside[0].start) + 1, t.col(inside[0].start) + 1))

    def _plan(self, op: Op, idx: Index, t: Text, allowed: set[int]) -> list[tuple[int, int, str]]:
        if op.kind in ("append", "insert"):
            seq, chain = self._locate(idx, op.path, op.path)
            if seq.kind == "alias":
                self._alias_refusal(idx, seq, op.path, op.path)
            self._shared(idx, chain, op.path, None)
            if seq.kind != "seq":
                self._refuse("Y606", op.path, f"{shown(op.path)}: not a list to append to")
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
            self._refuse("Y606", op.path[:-1], f"{shown(op.path)}: {shown(op.path[:-1]) or 'the document'} is not "
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

    def _replace(self, node: Node, value: Any, t: Text, *, indent: int, in_flow: bool,
                 key: Node | None = None) -> list[tuple[int, int, str]]:
        nl = t.nl
        block = (isinstance(value, (Mapping, list)) and bool(value)) or (isinstance(value, str) and literal_ok(value))
        if in_flow or node.flow or (node.kind in ("scalar", "alias") and not block):
            # in place: a flow value stays flow, a scalar stays on its line (its anchor kept)
            rep = (f"&{node.anchor} " if node.anchor else "") + flow_text(value)
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
            rep = after_colon(value, indent, nl)
        else:  # a block list item: rewrite after its "- "; continuation lines align with the item's column
            start = node.start
            rep = item_text(value, indent - 2, nl)[indent:]
        if node.anchor:
            self._refuse("Y602", (), f"the value is anchored (&{node.anchor}); replacing it whole would drop the "
                         "anchor", hint="edit it by hand", at=(t.line(node.start) + 1, t.col(node.start) + 1))
        return [(start, t.content_end(node), rep)]

    def _insert(self, idx: Index, parent: Node, key: str, value: Any, after: tuple[str, ...], t: Text,
                allowed: set[int]) -> list[tuple[int, int, str]]:
        nl = t.nl
        if parent.flow:
            allowed.update(range(t.line(parent.start), t.line(max(parent.end - 1, parent.start)) + 1))
            pair = f"{scalar(key, flow=True)}: {flow_text(value)}"
            if not parent.items:
                return [(parent.open_end, parent.open_end, pair)]
            anchor_i = self._after_index(parent, after)
            at = t.content_end(parent.items[anchor_i])
            return [(at, at, ", " + pair)]
        if not parent.keys:
            self._refuse("Y606", (), f"cannot add '{key}' to an empty mapping; edit by hand")
        indent = t.col(parent.keys[0].start)
        if any(t.col(k.start) != indent for k in parent.keys):
            self._refuse("Y606", (), f"cannot add '{key}': the mapping's keys are not aligned",
                         at=(t.line(parent.keys[0].start) + 1, indent + 1))
        anchor_i = self._after_index(parent, after)
        last = t.last_line(parent.items[anchor_i])
        at = t.line_end(last)
        text = entry(key, value, indent, nl) + nl
        return [(at, at, text)]

    def _after_index(self, parent: Node, after: tuple[str, ...]) -> int:
        """Which entry a new key follows: the first of `after` present, else the last entry. Keys this edit adds
        go where they were asked, in the order they were added (they share the insertion point)."""
        names = [k.value for k in parent.keys]
        for a in after:
            if a in names:
                return names.index(a)
            if any(o.kind == "set" and o.path[-1] == a for o in self.ops):
                continue
        return len(parent.keys) - 1

    def _delete(self, parent: Node, i: int, t: Text, allowed: set[int], path: PathLike) -> list[tuple[int, int, str]]:
        knode, vnode = parent.keys[i], parent.items[i]
        if parent.flow:
            if len(parent.keys) == 1:
                return [(parent.open_end, t.content_end(vnode), "")]
            if i == 0:
                return [(knode.start, parent.keys[1].start, "")]
            return [(t.content_end(parent.items[i - 1]), t.content_end(vnode), "")]
        line = t.line(knode.start)
        if self.text[t.starts[line]:knode.start].strip():
            self._refuse("Y606", path, f"{shown(path)}: cannot remove the first key of a list item; edit by hand",
                         at=(line + 1, t.col(knode.start) + 1))
        return [(t.starts[line], t.line_end(t.last_line(vnode)), "")]

    def _append(self, seq: Node, value: Any, t: Text, allowed: set[int]) -> list[tuple[int, int, str]]:
        nl = t.nl
        if seq.flow:
            allowed.update(range(t.line(seq.start), t.line(max(seq.end - 1, seq.start)) + 1))
            if not seq.items:
                return [(seq.open_end, seq.open_end, flow_text(value))]
            at = t.content_end(seq.items[-1])
            return [(at, at, ", " + flow_text(value))]
        dash = self.text.rfind("-", t.starts[t.line(seq.items[0].start)], seq.items[0].start + 1)
        indent = t.col(dash) if dash >= 0 else t.col(seq.start)
        last = t.last_line(seq.items[-1])
        at = t.line_end(last)
        text = item_text(value, indent, nl) + nl
        return [(at, at, text)]

    def _insert_item(self, seq: Node, op: Op, t: Text) -> list[tuple[int, int, str]]:
        if seq.flow:
            self._refuse("Y606", op.path, f"{shown(op.path)}: filmc inserts only into block lists ('- item' lines)",
                         hint="edit film.yaml by hand")
        dash = self.text.rfind("-", t.starts[t.line(seq.items[0].start)], seq.items[0].start + 1)
        indent = t.col(dash) if dash >= 0 else t.col(seq.start)
        at = (t.line_end(t.last_line(seq.items[op.anchor])) if op.anchor >= 0
              else t.starts[t.line(dash if dash >= 0 else seq.items[0].start)])
        return [(at, at, item_text(op.value, indent, t.nl) + t.nl)]

    def check(self, new: str, allowed_old: set[int]) -> None:
        """The edit means what was asked and leaves every other line byte-identical; refuse otherwise."""
        got = self._reparse(new)
        if got != self._expected or not same_types(got, self._expected):
            self._refuse("Y604", self.ops[0].path, f"{shown(self.ops[0].path)}: the edit could not be made "
                         "without changing other values of film.yaml", hint="edit film.yaml by hand")
        idx = index_text(new)
        t = Text(new)
        allowed_new: set[int] = set()
        for op in self.ops:
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
        old_lines, new_lines = Text(self.text).lines(), t.lines()
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
            self._refuse("Y604", self.ops[0].path, f"{shown(self.ops[0].path)}: the edit would also change line "
                         f"{bad + 1}, which is not part of the edited value", hint="edit film.yaml by hand",
                         at=(bad + 1, 1))

    @staticmethod
    def _node_at(idx: Index, path: PathLike) -> Node | None:
        cur: Node | None = idx.root
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


def same_types(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return all(same_types(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return all(same_types(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b)
    return True  # int and float compare by value: 96 is 96.0

