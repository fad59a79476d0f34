"""SubRip subtitles of the lyric lines, on the output timeline (title cards included)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .clips import Cue
from .text import clean_text


def srt_time(seconds: float) -> str:
    ms = max(round(seconds * 1000), 0)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


_ARROW = re.compile(r"-{2,}>")


def _srt_text(text: str) -> str:
    """A cue's text that any SRT reader takes as text: a blank line would end the cue, so empty lines go; a
    line with an arrow ('00:00:01,000 --> 00:00:02,000') would read as a timing line, so each '-->' becomes
    '->' (a lone number line is harmless once no timing line follows it)."""
    lines = [_ARROW.sub("->", ln).strip() for ln in clean_text(text).split("\n")]
    return "\n".join(ln for ln in lines if ln) or "\u00a0"


def render_srt(cues: Iterable[Cue]) -> str:
    out = []
    n = 0
    for q in cues:
        if q.end <= q.start:
            continue
        n += 1
        out.append(f"{n}\n{srt_time(q.start)} --> {srt_time(q.end)}\n{_srt_text(q.text)}\n")
    return "\n".join(out)
