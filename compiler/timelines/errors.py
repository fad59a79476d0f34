"""The error of an export that cannot be written (ffmpeg's log when it failed drawing the stills)."""

from __future__ import annotations

from ..errors import FilmcError


class ExportError(FilmcError):
    """An export that cannot be written; `log`: ffmpeg's, when drawing the stills failed."""

    def __init__(self, message: str, log: list[str] | None = None):
        super().__init__(message)
        self.log = log or []
