"""The song clock: time values (parse_time, format_time), the cut-point grid and the timeline of a film.

Below validation and resolve, which both read the timeline from here: one computation of where things play.
"""

from __future__ import annotations

from .grid import EPS, allocate, beat_grid, shot_bounds, snap_to_beats
from .song import OrderProblem, SectionSpan, ShotSpan, TimedLine, Timeline, section_lines, song_timeline
from .times import MAX_SECONDS, TimeError, format_time, parse_time

__all__ = [
    "EPS", "MAX_SECONDS", "OrderProblem", "SectionSpan", "ShotSpan", "TimeError", "TimedLine", "Timeline",
    "allocate", "beat_grid", "format_time", "parse_time", "section_lines", "shot_bounds", "snap_to_beats",
    "song_timeline",
]
