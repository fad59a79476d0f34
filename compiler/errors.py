"""Exceptions that carry diagnostics from a stage to the CLI (the only place that exits)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .diagnostics import Diagnostic


class FilmError(Exception):
    """Problems in the user's input: exit code 1."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: Mapping[str, Sequence[str]] | None = None):
        self.diagnostics = list(diagnostics)
        self.sources = dict(sources or {})
        first = self.diagnostics[0].message if self.diagnostics else "invalid input"
        super().__init__(first)


class UsageError(Exception):
    """A command used wrongly (exit code 2)."""
