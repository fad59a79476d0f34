"""The storyboard board: the film as a page of shot cards over the song's timeline (`filmc board`)."""

from __future__ import annotations

from .build import BoardResult, build_board

__all__ = ["BoardResult", "build_board"]
