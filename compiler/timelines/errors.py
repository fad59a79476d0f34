"""The error of an export that cannot be written (ffmpeg's log when it failed drawing the stills), and its stop."""

from __future__ import annotations

from ..errors import FilmcError
from ..interrupt import Interrupted


class ExportError(FilmcError):
    """An export that cannot be written; `log`: ffmpeg's, when drawing the stills failed."""

    def __init__(self, message: str, log: list[str] | None = None):
        super().__init__(message)
        self.log = log or []


class ExportStopped(Interrupted):
    """An export stopped by a signal: the stills and the timeline are each written whole or not at all."""

    line_format = "filmc: stopped ({message}): no file is half-written; export again to finish"
    late_format = "filmc: stopped ({message}) as the export ended: the timeline and its stills are written"
