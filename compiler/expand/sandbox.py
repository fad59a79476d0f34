"""Sandboxed Jinja for target templates: StrictUndefined, no paths outside the target folder, pure filters."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, FileSystemBytecodeCache, StrictUndefined, TemplateNotFound
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .vocab import positive


class FolderLoader(BaseLoader):
    """Loads templates from one target folder only; names with '..' or absolute paths are refused."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        path = (self.root / template).resolve()
        if template.startswith("/") or ".." in Path(template).parts or not path.is_relative_to(self.root):
            raise TemplateNotFound(template)
        if not path.is_file():
            raise TemplateNotFound(template)
        text = path.read_text(encoding="utf-8")
        mtime = path.stat().st_mtime
        return text, str(path), lambda: path.stat().st_mtime == mtime


def _json(value: Any) -> str:
    """JSON for request templates (Jinja's tojson HTML-escapes, which would corrupt prompts)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _join(values: Any, sep: str = ", ", last: str | None = None) -> str:
    items = [str(v).strip() for v in (values or []) if v is not None and str(v).strip()]
    if last and len(items) > 1:
        return sep.join(items[:-1]) + last + items[-1]
    return sep.join(items)


def _sentence(text: Any) -> str:
    """Capitalised, ending with a full stop; empty stays empty."""
    s = " ".join(str(text or "").split())
    if not s:
        return ""
    s = s[0].upper() + s[1:]
    return s if s[-1] in ".!?" else s + "."


def _a(text: Any) -> str:
    """'a'/'an' before a noun phrase."""
    s = str(text or "").strip()
    if not s:
        return ""
    return ("an " if s[0].lower() in "aeiou" else "a ") + s


def _positive(terms: Any) -> list[str]:
    out: list[str] = []
    for t in terms or []:
        p = positive(str(t))
        if p and p not in out:
            out.append(p)
    return out


def _capitalize_first(text: Any) -> str:
    s = str(text or "")
    return s[:1].upper() + s[1:]


def tidy(text: str) -> str:
    """One paragraph: whitespace collapsed, no space before punctuation, no doubled punctuation."""
    out = " ".join(text.split())
    out = re.sub(r" +([,.;:!?])", r"\1", out)
    out = re.sub(r"([,.;:])\1+", r"\1", out)
    out = re.sub(r"\.,|,\.", ".", out)
    return out.strip()


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    """Compiled templates cached on disk (keyed by source): `filmc show` stays fast."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "filmc" / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(folder))


class _Sandbox(ImmutableSandboxedEnvironment):
    """Also bounds `*` and `**`, so a template cannot build a gigantic string or number."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 100:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > 100_000:
                    raise SecurityError("result too large")
        return super().call_binop(context, operator, left, right)


@cache
def environment(folder: Path) -> ImmutableSandboxedEnvironment:
    env = _Sandbox(
        loader=FolderLoader(folder), undefined=StrictUndefined, autoescape=False, bytecode_cache=_bytecode_cache(),
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )
    # Output must be deterministic: no random choices, no lorem ipsum.
    env.filters.pop("random", None)
    env.globals.pop("lipsum", None)
    env.filters.update({
        "json": _json, "join_nonempty": _join, "sentence": _sentence, "a": _a, "positive": _positive,
        "capfirst": _capitalize_first,
    })
    return env
