"""PyYAML's parse errors, located and explained (a tab in the indentation, an unquoted ': ', an unclosed quote)."""

from __future__ import annotations

import yaml

from ..diagnostics import Collector


def _colon_in_flow(lines: list[str], line: int, col: int) -> bool:
    """The parser stopped inside a { } mapping just after a plain value that holds ': '."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    before = text[:col]  # the parser stops at the colon of "she says: go"
    return "{" in before and before.rstrip().endswith(":")


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
