"""Cut points on the song clock: how a section's length is shared among its shots, the beat grid, snapping."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from ..model import Song

EPS = 1e-6


def allocate(length: float, durations: Sequence[float | None]) -> tuple[list[float], float]:
    """Durations for each shot, and the surplus (> 0 under-filled, < 0 over-filled).

    Shots without a duration share what the explicit ones leave, equally.
    """
    fixed = sum(d for d in durations if d is not None)
    free = sum(1 for d in durations if d is None)
    rest = length - fixed
    if free:
        share = rest / free if rest > EPS else 0.0
        out = [d if d is not None else share for d in durations]
        return out, (0.0 if rest > EPS else rest)
    return [float(d) for d in durations if d is not None], rest


def beat_grid(song: Song, duration: float) -> tuple[float, ...]:
    """Beat times: song.beats as given, else the grid of song.bpm from song.beat_offset."""
    if song.beats:
        return tuple(sorted(b for b in song.beats if b <= duration + EPS))
    if song.bpm:
        step = 60.0 / song.bpm
        first = song.beat_offset % step
        n = int((duration - first) / step + EPS) + 1
        return tuple(round(first + k * step, 6) for k in range(max(n, 0)))
    return ()


def snap_to_beats(bounds: list[float], beats: tuple[float, ...], min_gap: float) -> list[float]:
    """Move inner cut points to the nearest beat when that keeps every shot at least min_gap long."""
    out = list(bounds)
    for i in range(1, len(out) - 1):
        j = bisect.bisect_left(beats, out[i])
        near = [beats[k] for k in (j - 1, j) if 0 <= k < len(beats)]
        if not near:
            continue
        b = min(near, key=lambda x: abs(x - out[i]))
        if out[i - 1] + min_gap <= b <= out[i + 1] - min_gap:
            out[i] = b
    return out


def shot_bounds(start: float, end: float, durations: Sequence[float | None], beats: Sequence[float] = (),
                min_gap: float = 0.0) -> list[float]:
    """Cut points of a section's shots: durations shared as `allocate` says, then snapped to beats if given."""
    durs, _ = allocate(end - start, durations)
    bounds = [start]
    for d in durs:
        bounds.append(bounds[-1] + d)
    bounds[-1] = end  # no drift from float sums: the section ends where the next starts
    if beats:
        bounds = snap_to_beats(bounds, tuple(beats), min_gap)
    return bounds
