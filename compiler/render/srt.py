"""SubRip subtitles of the lyric lines, on the output timeline (title cards included)."""

from __future__ import annotations

from collections.abc import Iterable

from .plan import Cue
from .text import clean_text


def srt_time(seconds: float) -> str:
    ms = max(round(seconds * 1000), 0)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def _srt_text(text: str) -> str:
    # A blank line ends a cue in SRT: keep the text's lines, drop empty ones.
    lines = [ln.strip() for ln in clean_text(text).split("\n")]
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
