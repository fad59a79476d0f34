"""Diagnostics: located problems, collected per stage and rendered for humans or tools."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .plurals import plural

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in an input file: its code, severity, message and place."""

    code: str
    severity: Severity
    message: str
    file: str
    line: int = 0  # 1-based; 0 when the problem has no place in the file
    col: int = 0
    pointer: str = ""
    hint: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "pointer": self.pointer,
            "hint": self.hint,
        }


@dataclass
class Collector:
    """Gathers the diagnostics of one stage so they can be reported all at once."""

    file: str
    source: SourceLike | None = None
    items: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        code: str,
        message: str,
        pointer: str = "",
        *,
        severity: Severity = "error",
        hint: str | None = None,
        key: bool = False,
        at: tuple[int, int] | None = None,
    ) -> None:
        line, col = at if at else (self.source.locate(pointer, key=key) if self.source else (0, 0))
        self.items.append(Diagnostic(code, severity, message, self.file, line, col, pointer, hint))

    def error(self, code: str, message: str, pointer: str = "", **kw: object) -> None:
        self.add(code, message, pointer, severity="error", **kw)  # type: ignore[arg-type]

    def warning(self, code: str, message: str, pointer: str = "", **kw: object) -> None:
        self.add(code, message, pointer, severity="warning", **kw)  # type: ignore[arg-type]

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)


class SourceLike:  # pragma: no cover - protocol-like base
    def locate(self, pointer: str, *, key: bool = False) -> tuple[int, int]:
        raise NotImplementedError


def did_you_mean(value: object, choices: Iterable[str]) -> str | None:
    """A hint naming the closest allowed value, or the allowed values when few."""
    options = sorted({str(c) for c in choices})
    if not options:
        return None
    import difflib

    close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if len(options) <= 12:
        return "expected one of: " + ", ".join(options)
    return None


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (d.file, d.line or 10**9, d.col, d.code, d.message)


def render_text(diags: Sequence[Diagnostic], lines_of: Mapping[str, Sequence[str]] | None = None, color: bool = False) -> str:
    """`file:line:col: error[CODE] message`, the source line with a caret, then the hint."""
    out: list[str] = []
    for d in diags:
        where = f"{d.file}:{d.line}:{d.col}" if d.line else d.file
        sev: str = d.severity
        if color:
            sev = ("\x1b[1;31m" if sev == "error" else "\x1b[1;33m") + sev + "\x1b[0m"
        out.append(f"{where}: {sev}[{d.code}] {d.message}")
        src = (lines_of or {}).get(d.file)
        if src and 0 < d.line <= len(src):
            text = src[d.line - 1].rstrip("\r\n")
            gutter = f"{d.line:>5} | "
            out.append(gutter + text)
            out.append(" " * (len(gutter) - 2) + "| " + " " * max(d.col - 1, 0) + "^")
        if d.hint:
            out.append(f"  = hint: {d.hint}")
    return "\n".join(out) + ("\n" if out else "")


def render_json(diags: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diags)
    payload = {
        "diagnostics": [d.as_dict() for d in diags],
        "errors": errors,
        "warnings": len(diags) - errors,
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def summary(diags: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    parts = []
    if errors:
        parts.append(plural(errors, "error"))
    if warnings:
        parts.append(plural(warnings, "warning"))
    return ", ".join(parts) if parts else "no problems"
