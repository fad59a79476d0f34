"""PyYAML's parse errors, located and explained (a tab in the indentation, an unquoted ': ', an unclosed quote)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from ..diagnostics import Collector
from ..plurals import plural


def _colon_in_flow(lines: list[str], line: int, col: int) -> bool:
    """The parser stopped inside a { } mapping just after a plain value that holds ': '."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    before = text[:col]  # the parser stops at the colon of "she says: go"
    return "{" in before and before.rstrip().endswith(":")


_KEY = re.compile(r"[^\s#:{}\[\],'\"][^:#{}\[\]]*?:(\s|$)")  # `key:` (a plain key), at the start of what follows


def _content(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith("#")


def _key_column(text: str) -> int:
    """0-based column of a line's first key: past its indentation and any `- ` of a sequence item."""
    col = len(text) - len(text.lstrip(" "))
    while text.startswith("- ", col) or text[col:].rstrip() == "-":
        col += 2
        col += len(text[col:]) - len(text[col:].lstrip(" "))
    return col


def _item(text: str) -> bool:
    stripped = text.lstrip(" ")
    return stripped.startswith("- ") or stripped.rstrip() == "-"


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


_BLOCK_SCALAR = re.compile(r"(?:^|:\s+|^-\s+)(?:[&!][^\s:]*\s+)*[|>][0-9+-]*\s*(?:#.*)?$")  # (after an anchor, a tag)


def _block_text(lines: list[str], upto: int) -> set[int]:
    """The lines (0-based, before `upto`) that are a block scalar's text (`lyrics: |`): not keys, whatever they
    look like."""
    text: set[int] = set()
    i = 0
    while i < upto:
        stripped = lines[i].strip()
        m = _BLOCK_SCALAR.search(stripped) if _content(lines[i]) else None
        comment = stripped.find(" #")
        # its text is deeper than the key (`lyrics: |`), or than the dash of an item (`- |`); not `size: WS  # was: >`
        if m and (comment < 0 or m.start() < comment):
            parent = _indent(lines[i]) if m.group(0).startswith("-") else _key_column(lines[i])
            j, indent = i + 1, None
            while j < upto:
                if lines[j].strip():
                    here = _indent(lines[j])
                    if indent is None:
                        if here <= parent:
                            break
                        indent = here
                    elif here < indent:
                        break
                text.add(j)
                j += 1
            i = j
            continue
        i += 1
    return text


def _neighbour(lines: list[str], line: int, here: int, item: bool, too_far: bool) -> int | None:
    """The line (0-based) a key or list item at column `here` on `line` (1-based) should line up with. Walking up,
    past a block scalar's text: the lines deeper than it belong to the values above (their children, or its
    siblings when it is too little indented), until a line at its column or less. It is that line, or the nearest of
    the least indented lines passed, whichever column is nearer its own (a tie: that line when the parser found it
    too far in, the line passed when too little)."""
    column = _indent if item else _key_column
    skip = _block_text(lines, line - 1)
    passed: list[tuple[int, int]] = []
    for i in range(line - 2, -1, -1):
        if i in skip or not _content(lines[i]) or (item and not _item(lines[i]) and column(lines[i]) > here):
            continue
        c = column(lines[i])
        if c > here:
            passed.append((c, i))
            continue
        if c == here:
            return None
        stop = i if (not item or _item(lines[i])) else None
        if not passed:
            return stop
        least = min(c for c, _ in passed)
        if stop is not None and (here - c < least - here or here - c == least - here and too_far):
            return stop
        return next(j for d, j in passed if d == least)
    if not passed:
        return None
    least = min(c for c, _ in passed)
    return next(i for c, i in passed if c == least)


def _misindented(lines: list[str], line: int, col: int, problem: str) -> Misindented | None:
    """When the parser stopped on a key or list item indented unlike its neighbour above (one space too far: the key
    became part of the value above, "mapping values are not allowed"; too little: "did not find expected key / '-'"):
    what it is, its column, and the line it does not line up with."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if _item(text) and "mapping values are not allowed" not in problem:
        here = _indent(text)
        if col - 1 != here:
            return None
        above = _neighbour(lines, line, here, True, False)
        if above is None or _indent(lines[above]) == here:
            return None
        return Misindented("the list item", here, above + 1, _indent(lines[above]))
    here = _key_column(text)
    if not _KEY.match(text[here:]):
        return None
    key = text[here:].split(":", 1)[0]
    too_far = "mapping values are not allowed" in problem
    if too_far:
        if col - 1 != here + len(key):  # the colon of this line's key, not one inside a value
            return None
    elif col - 1 != here:  # the parser stopped at the key itself
        return None
    above = _neighbour(lines, line, here, False, too_far)
    if above is None or _key_column(lines[above]) == here:
        return None
    return Misindented(f"'{key}'", here, above + 1, _key_column(lines[above]))


@dataclass(frozen=True)
class Misindented:
    """A key or list item that does not line up with its neighbour above."""

    what: str  # "'size'", "the list item"
    col: int  # 0-based
    above: int  # the line it does not line up with (1-based), and that line's column
    above_col: int


def _open_quote(lines: list[str], line: int, col: int) -> tuple[int, int] | None:
    """Where a quoted value opens that runs over lines and closes on the line where parsing failed (line, col; 1-based):
    a quote left open reads on to the next quote, often many lines below, and parsing fails just after it. A
    quoted value that spans lines legally and ends elsewhere is not blamed."""
    from yaml.tokens import ScalarToken

    try:
        from yaml import CSafeLoader as Scanner
    except ImportError:  # PyYAML without libyaml
        from yaml import SafeLoader as Scanner  # type: ignore[assignment,unused-ignore]
    scanner = Scanner("\n".join(lines))
    found = None
    try:
        while (token := scanner.get_token()) is not None:
            start, end = token.start_mark, token.end_mark
            if (start.line, start.column) >= (line - 1, col - 1):
                break
            if isinstance(token, ScalarToken) and token.style in ('"', "'") and start.line < end.line == line - 1:
                found = (start.line + 1, start.column + 1)
    except yaml.YAMLError:
        pass
    finally:
        scanner.dispose()
    return found


def parse_error(e: yaml.MarkedYAMLError, lines: list[str], diags: Collector) -> None:
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
    off = (_misindented(lines, line, col, problem) if "mapping values are not allowed" in problem
           or "did not find expected key" in problem or "did not find expected '-'" in problem else None)
    if off is not None:
        diags.error("L101", f"invalid YAML: {off.what} on line {line} is indented {plural(off.col, 'space')}, line "
                    f"{off.above} above it {plural(off.above_col, 'space')}", at=(line, off.col + 1),
                    hint=f"the keys of one mapping (the items of one list) line up: give line {line} the indentation "
                         "of the one it belongs with; YAML reads what is inside what from the spaces")
        return
    ctx = e.context_mark
    if "while scanning a quoted scalar" in (e.context or "") and ctx is not None:  # the file ends inside the quotes
        diags.error("L101", f"invalid YAML: this quoted value is never closed ({problem} on line {line})",
                    at=(ctx.line + 1, ctx.column + 1), hint="close the quote where the value ends")
        return
    flow = {"while parsing a flow sequence": ("list", "[", "]"), "while parsing a flow mapping": ("mapping", "{", "}")}
    opener = flow.get((e.context or "").strip())
    if opener is not None and ctx is not None and ctx.line + 1 < line and "did not find expected" in problem:
        what, start, close = opener
        opened_on = lines[ctx.line] if ctx.line < len(lines) else ""
        # (a closer on the way, down to the line YAML stopped at: the mistake is inside the list, not its end)
        closed = close in opened_on[ctx.column:] or any(close in lt for lt in lines[ctx.line + 1:line])
        if opened_on[ctx.column:ctx.column + 1] == start and not closed:
            diags.error("L101", f"invalid YAML: the {what} opened here with '{start}' is not closed on its line, so "
                        f"YAML read on to line {line} ({problem} there)", at=(ctx.line + 1, ctx.column + 1),
                        hint=f"an unclosed '{start}': close it with '{close}' where the {what} ends")
            return
    if "did not find expected" in problem or "could not find expected ':'" in problem:
        opened = _open_quote(lines, line, col)
        if opened is not None:
            diags.error("L101", f"invalid YAML: the quote opened here is not closed on its line, so YAML read on to "
                        f"line {line} ({problem} there)", at=opened,
                        hint="close the quote where the value ends, or leave the value unquoted")
            return
    if "expected hexdecimal number" in problem or "expected escape sequence" in problem \
            or "found unknown escape character" in problem:  # (libyaml's words, then PyYAML's own)
        hint = ("inside \"double quotes\" a backslash starts an escape (\\n, \\\", \\xHH): write \\\\ for a backslash, "
                "or use 'single quotes', where a backslash is just a backslash")
    elif "mapping values are not allowed" in problem:
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
        alias = re.match(r"\*[^\s,\[\]{}]+", text[col - 1:]) if col >= 1 else None
        if alias:
            problem = f"found undefined alias '{alias.group(0)}'"
        hint = "define the anchor (&name) before using the alias (*name)"
    diags.error("L101", f"invalid YAML: {problem}", at=(line, col), hint=hint)
