"""How neighbouring clips join: frame-exact fades and dissolves centred on the cut, and the checks that only
rounding to frames can fail (a shot shorter than a frame, dissolves that overlap)."""

from __future__ import annotations

from dataclasses import replace

from ..diagnostics import Collector
from ..resolve import Production
from .clips import Clip, ShotClip


def _adjacent(a: Clip | None, b: Clip | None) -> bool:
    """Two shots that follow each other in the film (not across a card or a gap of --select)."""
    return isinstance(a, ShotClip) and isinstance(b, ShotClip) and b.number == a.number + 1


def join(clips: list[Clip], prod: Production, fps: float) -> list[Clip]:
    """Work out fades and dissolves between neighbouring clips (a dissolve is centred on the cut)."""
    out = list(clips)
    shots = {s.id: s for s in prod.shots}
    for i, cl in enumerate(out):
        if not isinstance(cl, ShotClip):
            continue
        tr = shots[cl.id].shot.transition
        prev = out[i - 1] if i > 0 else None
        nxt = out[i + 1] if i + 1 < len(out) else None
        fade_in = fade_out = 0
        if tr.into == "fade" or (tr.into == "dissolve" and not _adjacent(prev, cl)):
            fade_in = int(round(tr.duration * fps))
        if tr.out == "fade" or (tr.out == "dissolve" and not _adjacent(cl, nxt)):
            fade_out = int(round(tr.duration * fps))
        fades = (min(fade_in, cl.nominal), min(fade_out, cl.nominal))
        if fades != (cl.fade_in, cl.fade_out):  # (most cuts are plain: no copy of the clip for them)
            out[i] = replace(cl, fade_in=fades[0], fade_out=fades[1])
    for i in range(1, len(out)):
        a, b = out[i - 1], out[i]
        if not _adjacent(a, b):
            continue
        ta, tb = shots[a.id].shot.transition, shots[b.id].shot.transition
        d = max(ta.duration if ta.out == "dissolve" else 0.0, tb.duration if tb.into == "dissolve" else 0.0)
        frames = int(round(d * fps))
        if frames <= 0:
            continue
        half = frames // 2
        # a dissolve replaces any fade at this cut
        out[i - 1] = replace(a, post=half, fade_out=0)
        out[i] = replace(b, pre=frames - half, dissolve_in=frames, fade_in=0)
    return out


def check_joins(clips: list[Clip], fps: float, c: Collector) -> None:
    """R110 (a shot shorter than a frame) and R111 (its dissolves overlap), located at the shot."""
    for i, cl in enumerate(clips):
        if not isinstance(cl, ShotClip):
            continue
        if cl.nominal < 1:
            c.error("R110", f"{cl.pointer}: shot '{cl.id}' lasts {cl.song_end - cl.song_start:.3f} s, "
                    f"less than one frame at {fps:g} fps", f"{cl.pointer}/id",
                    hint="lengthen the shot or remove it")
            continue
        d_out = clips[i + 1].dissolve_in if i + 1 < len(clips) else 0
        used = (cl.dissolve_in - cl.pre) + (d_out - cl.post)
        if used > cl.nominal:
            c.error("R111", f"{cl.pointer}/transition: the dissolves into and out of shot '{cl.id}' overlap: they "
                    f"take {used / fps:.3f} s of it, and it lasts {cl.nominal / fps:.3f} s at {fps:g} fps",
                    f"{cl.pointer}/transition", hint="shorten a dissolve, or lengthen the shot")
