"""What `filmc beats` writes into film.yaml: a detected value fills in what is not set, and replaces what is
set only with --write when they disagree."""

from __future__ import annotations

from dataclasses import dataclass

from .detect import AGREE_BPM, AGREE_OFFSET, Detection


@dataclass(frozen=True)
class BeatsPlan:
    write: dict[str, float]  # song fields to write: bpm, beat_offset
    lines: list[str]  # the report: what is set, what was detected, what happens


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e6 else str(v)


def plan_beats(det: Detection, set_bpm: float | str | None, set_offset: float | str | None, *,
               replace: bool) -> BeatsPlan:
    """Fill in what is not set (None); change what the creator set only when replace (--write) is given and
    it disagrees with the detection (tempo by more than AGREE_BPM, first beat by more than AGREE_OFFSET).
    A set value that is not usable (given as text: what validate refuses there) is replaced only with --write."""
    write: dict[str, float] = {}
    bpm_line, grid_bpm = _plan_bpm(det, set_bpm, replace, write)
    return BeatsPlan(write, [bpm_line, _plan_offset(det, grid_bpm, set_offset, replace, write)])


def _plan_bpm(det: Detection, set_bpm: float | str | None, replace: bool, write: dict[str, float]) -> tuple[str, float]:
    """The report line, and the tempo whose grid the first beat is measured on."""
    detected = f"detected {_fmt(det.bpm)} (confidence {det.confidence:.2f})"
    if set_bpm is None:
        write["bpm"] = det.bpm
        return f"song.bpm: not set, {detected}: written", det.bpm
    if isinstance(set_bpm, str):
        if replace:
            write["bpm"] = det.bpm
        return f"song.bpm: set {set_bpm}, not a usable tempo; {detected}: {_verb(replace)}", det.bpm
    if abs(set_bpm - det.bpm) <= AGREE_BPM:
        return f"song.bpm: set {_fmt(set_bpm)}, {detected}: agrees", set_bpm
    conf, _ = det.fit(set_bpm, det.offset_for(set_bpm))
    line = (f"song.bpm: set {_fmt(set_bpm)}, {detected}; the set tempo drifts {det.drift(set_bpm):.2f} s from the "
            f"beats by the end of the song and fits {conf:.0%} of them: {_verb(replace)}")
    if replace:
        write["bpm"] = det.bpm
        return line, det.bpm
    return line, set_bpm


def _plan_offset(det: Detection, grid_bpm: float, set_offset: float | str | None, replace: bool,
                 write: dict[str, float]) -> str:
    offset = det.beat_offset if grid_bpm == det.bpm else det.offset_for(grid_bpm)
    detected = f"detected {_fmt(offset)} s" + (f" for {_fmt(grid_bpm)} BPM" if grid_bpm != det.bpm else "")
    if set_offset is None:
        write["beat_offset"] = offset
        return f"song.beat_offset: not set, {detected}: written"
    if isinstance(set_offset, str):
        if replace:
            write["beat_offset"] = offset
        return f"song.beat_offset: set {set_offset}, not a usable time; {detected}: {_verb(replace)}"
    period = 60.0 / grid_bpm
    gap = abs(set_offset - offset) % period
    if min(gap, period - gap) <= AGREE_OFFSET:
        return f"song.beat_offset: set {_fmt(set_offset)}, {detected}: agrees (within {AGREE_OFFSET * 1000:.0f} ms)"
    if replace:
        write["beat_offset"] = offset
    return f"song.beat_offset: set {_fmt(set_offset)}, {detected}: {_verb(replace)}"


def _verb(replace: bool) -> str:
    return "replaced" if replace else "kept (--write replaces it)"
