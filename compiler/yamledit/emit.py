"""The text of a value written into film.yaml: plain or quoted scalars, flow collections, block entries and items
(as a person would write them, in the file's own line ends)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

Key = str | int


def format_number(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./()'!?@%+ -]*")


def scalar(value: Any, *, flow: bool) -> str:
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


def literal_ok(value: str) -> bool:
    if "\n" not in value.rstrip("\n") or value.endswith("\n\n") or value[:1] in (" ", "\t"):
        return False
    return all(ch == "\n" or ch == "\t" or ch >= " " for ch in value) and not any(
        ch in value for ch in ("\r", "\u0085", "\u2028", "\u2029", "\ufeff")) and not any(
        ln != ln.rstrip() for ln in value.split("\n"))


def flow_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{scalar(str(k), flow=True)}: {flow_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow_text(v) for v in value) + "]"
    return scalar(value, flow=True)


def after_colon(value: Any, indent: int, nl: str) -> str:
    """The text after 'key:' for value in a block mapping whose keys sit at column indent."""
    if isinstance(value, Mapping) and value:
        return nl + nl.join(entry(k, v, indent + 2, nl) for k, v in value.items())
    if isinstance(value, list) and value:
        return nl + nl.join(item_text(v, indent + 2, nl) for v in value)
    if isinstance(value, str) and literal_ok(value):
        body = value[:-1] if value.endswith("\n") else value
        return " |" + ("" if value.endswith("\n") else "-") + "".join(
            nl + (" " * (indent + 2) + ln if ln else "") for ln in body.split("\n"))
    return " " + flow_text(value)


def entry(key: Key, value: Any, indent: int, nl: str) -> str:
    return " " * indent + scalar(str(key), flow=False) + ":" + after_colon(value, indent, nl)


def item_text(value: Any, indent: int, nl: str) -> str:
    """A block sequence item '- ...' with its dash at column indent."""
    if isinstance(value, Mapping) and value:
        text = nl.join(entry(k, v, indent + 2, nl) for k, v in value.items())
        return " " * indent + "- " + text[indent + 2:]
    if isinstance(value, list) and value:
        text = nl.join(item_text(v, indent + 2, nl) for v in value)
        return " " * indent + "- " + text[indent + 2:]
    if isinstance(value, str) and literal_ok(value):
        return " " * indent + "-" + after_colon(value, indent, nl)
    return " " * indent + "- " + flow_text(value)

