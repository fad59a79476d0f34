"""Time values: seconds, or "m:ss", "m:ss.fff", "h:mm:ss.fff"."""

from __future__ import annotations

import math
import re

from ..errors import FilmcError

_CLOCK = re.compile(r"\s*(?:(\d+):)?(\d+):(\d+)(\.\d+)?\s*")
_PLAIN = re.compile(r"\s*\d+(\.\d+)?\s*")


class TimeError(FilmcError, ValueError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def parse_time(value: object) -> float:
    """Seconds from a time value; TimeError with a reason otherwise."""
    if isinstance(value, bool):
        raise TimeError(f"{value!r} is not a time", "write seconds (12.5) or 'm:ss' (\"1:05\")")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise TimeError(f"{value} is not a time")
        if value < 0:
            raise TimeError(f"{value} is negative; times count from the start of the song")
        return _finite(float(value), value)
    if not isinstance(value, str):
        raise TimeError(f"expected a time, got {type(value).__name__}", "write seconds (12.5) or 'm:ss' (\"1:05\")")
    if len(value) > 40:
        raise TimeError(f"'{value[:40]}...' is not a time")
    if _PLAIN.fullmatch(value):
        return _finite(float(value), value)
    m = _CLOCK.fullmatch(value)
    if not m:
        raise TimeError(f"'{value}' is not a time", "write seconds (12.5), 'm:ss' (\"1:05\") or 'm:ss.fff' (\"1:05.250\")")
    hours, minutes, seconds, frac = m.groups()
    if len(seconds) != 2:
        raise TimeError(f"'{value}' is not a time: seconds need two digits", f"did you mean '{minutes}:{int(seconds):02d}'?")
    if int(seconds) >= 60:
        mm, ss = divmod(int(minutes) * 60 + int(seconds), 60)
        raise TimeError(f"'{value}' is not a time: seconds must be below 60", f"did you mean '{mm}:{ss:02d}'?")
    if hours is not None and int(minutes) >= 60:
        raise TimeError(f"'{value}' is not a time: minutes must be below 60 when hours are given")
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + (float(frac) if frac else 0.0)
    return _finite(float(total), value)


MAX_SECONDS = 24 * 3600.0  # a film longer than a day is a typo


def _finite(seconds: float, shown: object) -> float:
    if not math.isfinite(seconds) or seconds > MAX_SECONDS:
        raise TimeError(f"{shown!r} is longer than a day", "times are seconds or m:ss within the song")
    return seconds


def format_time(seconds: float) -> str:
    """m:ss.fff for display."""
    ms = round(seconds * 1000)
    m, rest = divmod(ms, 60000)
    return f"{m}:{rest // 1000:02d}.{rest % 1000:03d}"
