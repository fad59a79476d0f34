"""How an extended shot is split into generations: one length per segment, for one video target.

Segment 1 is the shot's own motion and camera; an `extend` list adds continuation segments, each
continuing from the last frame of the one before. A listed `duration` is generated as the smallest
length the target offers that is at least that long; segment 1 and listed segments without one take
the smallest length that covers what is left of the shot (so the last segment is never longer than
it needs to be). `extend: true` adds as many segments as the shot needs, each minimized the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _offered(durations: tuple[float, ...], asked: float) -> float | None:
    for d in durations:
        if d + EPS >= asked:
            return d
    return None


def segment_lengths(durations: tuple[float, ...], need: float, shot: Shot, target: str,
                    first: float | None = None) -> tuple[list[float], list[SegmentProblem]]:
    """The generation length of each segment of `shot` for a target offering `durations` (sorted), covering
    `need` seconds; `first` is the length asked for segment 1 (`generate.<target>.duration`)."""
    longest = durations[-1]
    problems: list[SegmentProblem] = []
    if not shot.extend:
        return [first if first is not None else (_offered(durations, need) or longest)], problems
    if not shot.segments:  # extend: true: as many as it takes, each the smallest covering what is left
        lengths = [first if first is not None else (_offered(durations, need) or longest)]
        while sum(lengths) + EPS < need:
            lengths.append(_offered(durations, need - sum(lengths)) or longest)
        return lengths, problems
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
    lengths = []
    for n, length in enumerate(fixed, start=1):
        if length is None:  # what is left is shared among the segments that name no length, this one and those after
            after = sum(x for x in fixed[n:] if x is not None)
            open_ = 1 + sum(1 for x in fixed[n:] if x is None)
            left = need - sum(lengths) - after
            length = _offered(durations, left / open_) or longest if left > EPS else durations[0]
        lengths.append(length)
    covered = 0.0
    for n, length in enumerate(lengths, start=1):
        if n > 1 and covered + EPS >= need:
            problems.append(SegmentProblem(
                "V299", "error", n, f"segment {n} is never on screen: the segments before it already cover the "
                f"{need:.3f} s the shot needs from '{target}'",
                "remove the segment, or make the shot longer"))
        covered += length
    if covered + EPS < need:
        problems.append(SegmentProblem(
            "V299", "error", 0, f"the segments cover {covered:g} s, but the shot needs {need:.3f} s from '{target}'",
            "add a segment, or leave out the last segment's duration so it covers what is left"))
    return lengths, problems
