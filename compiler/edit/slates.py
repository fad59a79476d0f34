"""Slates, title cards and overlay text as filter chains: a lavfi colour frame, drawtext, then loop.

A slate's text is drawn once (on one frame) and that frame is looped for the shot's length,
so an animatic costs about what encoding a plain colour source costs.
"""

from __future__ import annotations

from collections.abc import Callable

from .clips import CardClip, EditPlan, Overlay, ShotClip
from .text import escape_value, fit, wrap

# A sink stores one text under a name and returns the path the filter graph uses for it.
TextSink = Callable[[str, str], str]


def _draw(sink: TextSink, font: str, name: str, text: str, size: int, x: str, y: str, *,
          color: str = "white", align: str | None = None, extra: str = "") -> str:
    path = sink(name, text)
    opts = [f"fontfile={escape_value(font)}", f"textfile={escape_value(path)}", "expansion=none",
            f"fontcolor={color}", f"fontsize={max(size, 4)}", f"line_spacing={max(size // 4, 1)}",
            f"x={escape_value(x)}", f"y={escape_value(y)}"]
    if align:
        opts.append(f"text_align={align}")
    return "drawtext=" + ":".join(opts) + (":" + extra if extra else "")


def _still(plan: EditPlan, color: str, frames: int, draws: list[str]) -> list[str]:
    """A colour frame with text drawn on it, looped to `frames` frames."""
    src = f"color=c={color}:s={plan.width}x{plan.height}:r={plan.rate},trim=end_frame=1"
    loop = f"loop=loop={max(frames - 1, 0)}:size=1:start=0,setpts=N/FRAME_RATE/TB"
    return [src, *draws, "format=yuv420p", loop]


def subtitle_band_top(plan: EditPlan) -> int:
    """The highest row a burned-in subtitle of up to three lines reaches (see overlay_filter)."""
    h = plan.height
    size = max(int(h * 0.05), 5)
    return h - max(int(h * 0.06), 2) - 3 * size - 2 * max(size // 4, 1) - max(size // 3, 1)


def slate_chain(plan: EditPlan, clip: ShotClip, sink: TextSink, font: str, bold: str, key: str, *,
                subtitles: bool = False) -> list[str]:
    """The filters of a shot's slate: id, section and times, framing, what happens, the lyric.

    subtitles: burned-in subtitles will be drawn over the slate, so it leaves their band at the bottom
    free: no lyric line of its own (the subtitles show it), and what happens ends above the band."""
    w, h = plan.width, plan.height
    st = clip.slate
    assert st is not None
    m = max(int(h * 0.06), 2)
    box = w - 2 * m
    title_s, meta_s, framing_s = max(int(h * 0.11), 6), max(int(h * 0.036), 4), max(int(h * 0.052), 4)
    title_y = m
    meta_y = title_y + int(title_s * 1.25)
    framing_y = meta_y + int(meta_s * 1.9)
    body_y = framing_y + int(framing_s * 1.7)
    body, body_s = fit(st.body, box, max(int(h * 0.042), 4), max_lines=6)
    if subtitles:
        room = max((subtitle_band_top(plan) - body_y) // (body_s + max(body_s // 4, 1)), 1)
        if body.count("\n") + 1 > room:
            body = wrap(st.body, int(box / (body_s * 0.5)), room)
    draws = [
        _draw(sink, bold, f"{key}-title", wrap(st.title, int(box / (title_s * 0.55)), 1), title_s, str(m), str(title_y)),
        _draw(sink, font, f"{key}-meta", wrap(st.meta, int(box / (meta_s * 0.52)), 1), meta_s, str(m), str(meta_y),
              color="white@0.75"),
    ]
    if st.framing:
        draws.append(_draw(sink, font, f"{key}-framing", wrap(st.framing, int(box / (framing_s * 0.52)), 1),
                           framing_s, str(m), str(framing_y)))
    if st.body:
        draws.append(_draw(sink, font, f"{key}-body", body, body_s, str(m), str(body_y), color="white@0.9"))
    if st.lyric and not subtitles:
        lyric, lyric_s = fit(st.lyric, box, max(int(h * 0.045), 4), max_lines=2)
        draws.append(_draw(sink, font, f"{key}-lyric", lyric, lyric_s, str(m), f"h-{m}-th", color="0xffe9a8"))
    return _still(plan, clip.color, clip.frames, draws)


def card_chain(plan: EditPlan, clip: CardClip, sink: TextSink, font: str, key: str) -> list[str]:
    """A full-frame title card: the text centred on black."""
    w, h = plan.width, plan.height
    text, size = fit(clip.text, int(w * 0.8), max(int(h * 0.06), 5), max_lines=8)
    draw = _draw(sink, font, key, text, size, "(w-tw)/2", "(h-th)/2", align="C")
    return _still(plan, clip.color, clip.frames, [draw])


def overlay_filter(plan: EditPlan, ov: Overlay, sink: TextSink, font: str, key: str) -> str:
    """drawtext over the picture between two output times (cards fade in and out; cues do not)."""
    w, h = plan.width, plan.height
    a, b = round(ov.start, 6), round(ov.end, 6)
    enable = f"gte(t,{a})*lt(t,{b})"  # half-open: a cue ending at t and the next starting at t never overlap
    if ov.kind == "card":
        text, size = fit(ov.text, int(w * 0.8), max(int(h * 0.06), 5), max_lines=6)
        f = ov.fade
        alpha = (f"if(lt(t,{a}+{f}),(t-{a})/{f},if(gt(t,{b}-{f}),({b}-t)/{f},1))" if f > 0 else "1")
        extra = f"alpha={escape_value(alpha)}:enable={escape_value(enable)}:box=1:boxcolor=black@0.45:" \
                f"boxborderw={max(size // 2, 1)}"
        return _draw(sink, font, key, text, size, "(w-tw)/2", "(h-th)/2", align="C", extra=extra)
    text, size = fit(ov.text, int(w * 0.86), max(int(h * 0.05), 5), max_lines=3)
    extra = f"enable={escape_value(enable)}:box=1:boxcolor=black@0.5:boxborderw={max(size // 3, 1)}"
    return _draw(sink, font, key, text, size, "(w-tw)/2", f"h-th-{max(int(h * 0.06), 2)}", align="C", extra=extra)
