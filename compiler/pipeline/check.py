"""The checking commands: validate a film, print its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..plurals import plural
from .options import Loading

if TYPE_CHECKING:
    from ..diagnostics import Diagnostic
    from ..resolve import Production


@dataclass(frozen=True, slots=True)
class Checked:
    """`filmc validate` of one film that loads: its size, its song's length and its warnings."""

    film: str
    shots: int
    sections: int
    song_duration: float
    warnings: tuple[Diagnostic, ...]
    sources: dict[str, list[str]]

    def ok_line(self) -> str:
        from ..timeline import format_time

        return f"{self.film}: ok ({plural(self.shots, 'shot')}, {plural(self.sections, 'section')}, {format_time(self.song_duration)})"


def check_film(loading: Loading) -> Checked:
    """load -> validate -> resolve; FilmError carries every problem of the first failing stage."""
    prod = loading.resolve()
    return Checked(loading.film, len(prod.shots), len(prod.sections), prod.song_duration, tuple(prod.warnings),
                   prod.sources() if prod.warnings else {})


@dataclass(frozen=True, slots=True)
class TimelineView:
    """`filmc timeline`: when each section and shot plays."""

    prod: Production

    def as_data(self) -> list[dict[str, Any]]:
        from ..resolve import timeline_data

        return timeline_data(self.prod)

    def text(self) -> str:
        from ..timeline_text import render_timeline

        return render_timeline(self.prod)


def film_timeline(loading: Loading) -> TimelineView:
    return TimelineView(loading.resolve())
