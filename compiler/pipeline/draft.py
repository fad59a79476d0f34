"""`filmc draft`: Gemini proposes part of the film; the change is shown as a diff and written only when asked."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ..draft.client import DEFAULT_MODEL
from .options import Loading

if TYPE_CHECKING:
    from ..draft.run import DraftResult

__all__ = ["DEFAULT_MODEL", "DRAFTS", "draft_film"]

DRAFTS = ("lyrics", "song", "storyboard", "prompt", "concept")


def draft_film(kind: str, loading: Loading, *, model: str | None = None, write: bool = False,
               options: Mapping[str, object] | None = None, say: Callable[[str], None] = lambda s: None) -> DraftResult:
    """read film.yaml -> ask Gemini -> record the spend -> check the answer -> the diff (written with `write`)."""
    import importlib

    from ..draft.run import draft

    if kind not in DRAFTS:
        raise ValueError(f"unknown draft '{kind}'")
    module = importlib.import_module(f"..draft.{kind}", __package__)
    return draft(module, loading.film, model=model or DEFAULT_MODEL, write=write, options=dict(options or {}),
                 allow_outside=loading.allow_outside, say=say)
