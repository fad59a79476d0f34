"""How an extended shot is split into generations: one length per segment, for one video target.

Segment 1 is the shot's own motion and camera; an `extend` list adds continuation segments, each
continuing from the last frame of the one before. A listed `duration` is generated as the smallest
length the target offers that is at least that long. Segment 1 and listed segments without one share
what is left of the shot: the lengths that cover it with the fewest seconds generated (each one is paid
for), as even as those seconds allow, longest first (Hailuo's 6 and 10 s cover 12 s as 6 + 6, not
10 + 6). `extend: true` adds as few segments as cover the shot (each one more seam to continue across),
their lengths chosen the same way.
"""

from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass
from functools import cache

from .model import Shot

EPS = 1e-6


@dataclass(frozen=True, slots=True)
class SegmentProblem:
    """What is wrong with the lengths of an extended shot's segments, and where."""

    code: str  # V298 (a length the target cannot make) | V299 (the segments do not cover the shot)
    severity: str  # error | warning
    segment: int  # 1-based; 0: the shot as a whole
    message: str
    hint: str = ""


def _seconds(t: float) -> str:
    """Seconds as the messages say them: "14 s", "13.3 s", "12.042 s" (to the millisecond, no trailing zeros)."""
    return f"{round(t, 3):g} s"


def _offered(durations: tuple[float, ...], asked: float) -> float | None:
    """The shortest of `durations` (ascending) that is at least `asked` long (None: none is)."""
    i = bisect.bisect_left(durations, asked - EPS)
    return durations[i] if i < len(durations) else None


def _fewest(durations: tuple[float, ...], left: float) -> int:
    """How many segments at least cover `left` seconds."""
    return max(1, int(-(-(left - EPS) // durations[-1])))  # (ceil, within EPS)


_WORK = 200_000  # sums times lengths a search may go through before it gives up (lengths no target has: bounded time)


@cache
def _cover(durations: tuple[float, ...], left: float, count: int) -> tuple[float, ...] | None:
    """`count` lengths from `durations` whose sum is at least `left` and the smallest such sum, longest first;
    None when `count` of the longest do not cover `left`.

    From `count` of the shortest, the fewest seconds are added to reach `left`; or, from `count` of the longest,
    the most seconds are taken off while `left` stays covered: whichever has less to add or take off, so the sums
    gone through stay few whatever the count (a shot of an hour, a thousand segments)."""
    if count < _fewest(durations, left):
        return None
    shortest, longest = durations[0], durations[-1]
    more = left - count * shortest  # seconds to add to the shortest
    if more <= EPS:
        return (shortest,) * count
    fewer = count * longest - left  # seconds that may be taken off the longest
    if fewer <= EPS:
        return (longest,) * count
    lengths: list[float] | None = None
    if more <= fewer:
        steps = sorted({round(d - shortest, 6) for d in durations[1:]})
        sums = _Sums(steps, more + steps[-1], count)  # (a sum past that has a step to spare)
        if sums.order is not None:
            added = sums.path(next(x for x in sums.order if x + EPS >= more))
            lengths = [shortest + e for e in added] + [shortest] * (count - len(added))
    else:
        steps = sorted({round(longest - d, 6) for d in durations[:-1]})
        sums = _Sums(steps, fewer, count)
        if sums.order is not None:
            taken = sums.path(sums.order[-1])
            lengths = [longest - e for e in taken] + [longest] * (count - len(taken))
    if lengths is not None:
        lengths = [min(durations, key=lambda d: abs(d - x)) for x in lengths]  # (sums of steps: float error)
        return _balanced(durations, sum(lengths), count) or tuple(sorted(lengths, reverse=True))
    lengths, rest = [], left  # too many sums (lengths no target has): each the smallest covering its share of the rest
    for n in range(count, 0, -1):
        share = rest / n
        lengths.append(_offered(durations, share) or longest if share > EPS else shortest)
        rest -= lengths[-1]
    return tuple(sorted(lengths, reverse=True))


def _balanced(durations: tuple[float, ...], total: float, count: int) -> tuple[float, ...] | None:
    """`count` lengths from `durations` summing to `total`, as even as they can be (the least sum of squares:
    Wan's 12 s in three is 4 + 4 + 4, not 5 + 5 + 2, each segment long enough for its motion), longest first;
    None when the search would take more than _WORK steps."""
    level: dict[float, tuple[float, float, float]] = {0.0: (0.0, 0.0, 0.0)}  # sum -> squares, sum before, length
    levels = []
    seen = 0
    for _ in range(count):
        step: dict[float, tuple[float, float, float]] = {}
        for s, (squares, _, _) in level.items():
            for d in durations:
                t = round(s + d, 6)
                if t > total + EPS:
                    break
                v = squares + d * d
                if t not in step or v < step[t][0] - EPS:
                    step[t] = (v, s, d)
        seen += len(step) * len(durations)
        if seen > _WORK:
            return None
        levels.append(step)
        level = step
    at = round(total, 6)
    if at not in level:
        return None
    out = []
    for step in reversed(levels):
        _, at, d = step[at]
        out.append(d)
    return tuple(sorted(out, reverse=True))


class _Sums:
    """Each sum up to `bound` of at most `count` of `steps` (sorted; each any number of times), smallest first
    (`order`, None past _WORK steps), and the fewest steps that make one (`path`)."""

    def __init__(self, steps: list[float], bound: float, count: int) -> None:
        best: dict[float, tuple[int, float, float]] = {0.0: (0, 0.0, 0.0)}  # sum -> steps, sum before, step
        heap = [0.0]
        order: list[float] = []
        while heap:
            s = heapq.heappop(heap)  # (every smaller sum is done: its fewest steps are known)
            order.append(s)
            if len(order) * len(steps) > _WORK:
                break
            n = best[s][0]
            if n == count:
                continue
            for e in steps:
                t = round(s + e, 6)
                if t > bound + EPS:
                    break
                if t not in best:
                    heapq.heappush(heap, t)
                    best[t] = (n + 1, s, e)
                elif best[t][0] > n + 1:
                    best[t] = (n + 1, s, e)
        self.order: list[float] | None = order if len(order) * len(steps) <= _WORK else None
        self._best = best

    def path(self, s: float) -> list[float]:
        out = []
        while s:
            _, s, step = self._best[s]
            out.append(step)
        return out


def segment_lengths(durations: tuple[float, ...], need: float, shot: Shot, target: str,
                    first: float | None = None) -> tuple[list[float], list[SegmentProblem]]:
    """The generation length of each segment of `shot` for a target offering `durations` (sorted), covering
    `need` seconds; `first` is the length asked for segment 1 (`generate.<target>.duration`)."""
    durations = tuple(sorted(set(durations)))  # (a film's own target may list them in any order, twice)
    longest = durations[-1]
    problems: list[SegmentProblem] = []
    if not shot.extend:
        return [first if first is not None else (_offered(durations, need) or longest)], problems
    if not shot.segments:  # extend: true: as many as it takes
        if first is not None:
            left = need - first
            rest = _cover(durations, left, _fewest(durations, left)) if left > EPS else None
            return [first, *(rest or ())], problems
        return list(_cover(durations, need, _fewest(durations, need)) or (longest,)), problems
    fixed: list[float | None] = [first]
    for n, seg in enumerate(shot.segments, start=2):
        if seg.duration is None:
            fixed.append(None)
            continue
        made = _offered(durations, seg.duration)
        if made is None:
            problems.append(SegmentProblem(
                "V298", "error", n, f"segment {n} asks for {seg.duration:g} s, longer than '{target}' generates "
                f"({longest:g} s at most)", f"use at most {longest:g} s, or split it into two segments"))
            made = longest
        elif abs(made - seg.duration) > EPS and n <= len(shot.segments):  # the last one is trimmed in the edit
            problems.append(SegmentProblem(
                "V298", "warning", n, f"segment {n} asks for {seg.duration:g} s, a length '{target}' does not "
                f"offer: it generates {made:g} s", "lengths offered: " + ", ".join(f"{d:g} s" for d in durations)))
        fixed.append(made)
    # what is left is shared among the segments that name no length (longest first)
    open_ = sum(1 for x in fixed if x is None)
    left = need - sum(x for x in fixed if x is not None)
    shares = list((_cover(durations, left, open_) or (longest,) * open_) if left > EPS else (durations[0],) * open_)
    lengths = [x if x is not None else shares.pop(0) for x in fixed]
    covered = 0.0
    for n, length in enumerate(lengths, start=1):
        if n > 1 and covered + EPS >= need:
            problems.append(SegmentProblem(
                "V299", "error", n, f"segment {n} is never on screen: the segments before it already cover the "
                f"{_seconds(need)} the shot needs from '{target}'",
                "remove the segment, or make the shot longer"))
        covered += length
    if covered + EPS < need:
        problems.append(SegmentProblem(
            "V299", "error", 0, f"the segments cover {_seconds(covered)}, but the shot needs {_seconds(need)} from "
            f"'{target}'",
            "leave out the last segment's duration so it covers what is left, or add a segment"
            if shot.segments[-1].duration is not None and covered - lengths[-1] + longest + EPS >= need else
            f"add a segment ('{target}' makes {longest:g} s at most each)"))
    return lengths, problems
