"""Helpers for a film project's own tests (pytest + syrupy).

    from compiler.testing import compiled_prompts

    def test_prompts(snapshot):
        assert compiled_prompts("film.yaml") == snapshot

A template or film.yaml change then shows up as a snapshot diff to review
(`pytest --snapshot-update` accepts it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["compiled_prompts"]


def compiled_prompts(film: str | Path, *, targets: list[str] | None = None,
                     select: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """Every compiled prompt of a film: {shot: {target: {"kind", "prompt", "negative"?}}}.

    Raises compiler.errors.FilmError (with located diagnostics) when the film is invalid.
    """
    from .expand import expand_production
    from .loading import resolve_film
    from .snapshots import prompts_data

    prod = resolve_film(film)
    return prompts_data(expand_production(prod, targets=targets, select=select))
