"""The `pattern`s of a target's options schema, matched against film values within a time bound.

Python's `re` backtracks without limit: a pattern such as `^(a+)+$` takes exponential time on a
34-character value and cannot be interrupted. These patterns are taken out of the schemas given to
the JSON Schema validators and matched here with the `regex` module, whose matching gives up after
PATTERN_SECONDS (same syntax as `re`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

PATTERN_SECONDS = 0.5


@cache
def _compiled(pattern: str) -> Any:
    import regex

    return regex.compile(pattern)


def pattern_error(pattern: str) -> str | None:
    """Why `pattern` is not a usable regular expression (None: it is)."""
    try:
        _compiled(pattern)
    except Exception as e:  # noqa: BLE001 - regex.error and the odd ValueError/OverflowError alike
        return str(e)
    return None


_slow: set[str] = set()


def matches(pattern: str, value: str) -> bool | None:
    """Whether `value` matches `pattern` (searched, as JSON Schema does); None when matching took too long."""
    if pattern in _slow:
        return None
    try:
        return _compiled(pattern).search(value, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        _slow.add(pattern)  # every other value would take as long: give up on this pattern at once
        return None


def split_patterns(schema: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """An options schema without its properties' patterns, and those patterns by option name."""
    props = schema.get("properties")
    if not isinstance(props, dict):
        return dict(schema), {}
    patterns: dict[str, str] = {}
    out_props: dict[str, Any] = {}
    for name, prop in props.items():
        if isinstance(prop, dict) and isinstance(prop.get("pattern"), str):
            patterns[name] = prop["pattern"]
            prop = {k: v for k, v in prop.items() if k != "pattern"}
        out_props[name] = prop
    return {**schema, "properties": out_props}, patterns
