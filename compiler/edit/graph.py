"""graph: EditPlan -> the ffmpeg command line and its filter-graph script.

One ffmpeg run renders the whole film: every shot is a chain in one filter graph (a take
trimmed, reversed, sped up, scaled and padded; an image with a camera-like zoompan; a
slate drawn once and looped), clips joined by cuts are concatenated, dissolves are
`xfade`s centred on the cut, fades are frame-exact `fade`s, cards at song times and
burned-in subtitles are drawtext over the result, and the song is trimmed, delayed by the
title cards and padded to the exact length.

The graph goes into a file passed with `-/filter_complex` (ffmpeg >= 7), so no user text
ever reaches a shell; texts go into files read by drawtext (see text.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Camera, Grade
from ..paths import VIDEO_OUTPUTS
from .clips import CardClip, EditPlan, ShotClip
from .slates import card_chain, overlay_filter, slate_chain
from .text import clean_text, escape_value

AUDIO_RATE = 48000
MUXERS = VIDEO_OUTPUTS  # output extension -> ffmpeg muxer

# Camera moves on still images: how far the frame zooms or travels (share of the frame).
_AMOUNT = {"slow": 0.06, None: 0.12, "fast": 0.22}
_IN = ("push-in", "zoom-in", "dolly-in")
_OUT = ("pull-out", "zoom-out", "dolly-out")
_LEFT = ("pan-left", "truck-left", "orbit-left")
_RIGHT = ("pan-right", "truck-right", "orbit-right", "tracking")
_UP = ("tilt-up", "crane-up")
_DOWN = ("tilt-down", "crane-down")


@dataclass(frozen=True)
class Paths:
    """How the graph names files: absolute for `filmc render`, relative to build/edit/ for render.sh."""

    media: Callable[[Path], str]  # a take, image, LUT or the song
    text: Callable[[str], str]  # a text file's name (text/<key>.txt) as the graph spells it
    font: str
    bold: str  # the font of slate titles


@dataclass
class Graph:
    inputs: list[list[str]] = field(default_factory=list)  # per input: its options, then -i FILE
    sources: list[ShotClip | None] = field(default_factory=list)  # per input: the clip it feeds (None: the song)
    script: str = ""
    texts: dict[str, str] = field(default_factory=dict)  # text/<key>.txt -> content
    encode: list[str] = field(default_factory=list)  # -map ... codec options (before the output)


def _f(x: float) -> str:
    """A number as the graph writes it: short, exact enough, no exponent."""
    s = f"{x:.6f}".rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


def _tb(plan: EditPlan) -> str:
    """The time base of one frame (1/rate)."""
    num, _, den = plan.rate.partition("/")
    return f"{den or 1}/{num}"


def _fps_div(plan: EditPlan) -> str:
    return f"({plan.rate})" if "/" in plan.rate else plan.rate


def camera_exprs(camera: Camera | None, frames: int) -> tuple[str, str, str] | None:
    """zoompan z, x, y expressions for a camera move on a still (None: static)."""
    if camera is None or camera.move == "static":
        return None
    k = _AMOUNT.get(camera.speed, 0.12)
    p = f"(on/{max(frames - 1, 1)})"
    cx, cy = "(iw-iw/zoom)/2", "(ih-ih/zoom)/2"
    mv = camera.move
    if mv in _IN:
        return f"1+{k}*{p}", cx, cy
    if mv in _OUT:
        return f"1+{k}*(1-{p})", cx, cy
    z = f"{1 + k:g}"
    if mv in _LEFT:
        return z, f"(iw-iw/zoom)*(1-{p})", cy
    if mv in _RIGHT:
        return z, f"(iw-iw/zoom)*{p}", cy
    if mv in _UP:
        return z, cx, f"(ih-ih/zoom)*(1-{p})"
    if mv in _DOWN:
        return z, cx, f"(ih-ih/zoom)*{p}"
    # handheld: a gentle drift around the centre
    return f"{1 + max(k, 0.05):g}", "(iw-iw/zoom)/2*(1+0.35*sin(on/9))", "(ih-ih/zoom)/2*(1+0.35*cos(on/13))"


def _grade(grade: Grade | None, lut: str | None) -> list[str]:
    out = []
    if lut:
        out.append(f"lut3d=file={escape_value(lut)}")
    if grade:
        parts = [f"{k}={_f(v)}" for k, v in (("brightness", grade.brightness), ("contrast", grade.contrast),
                                             ("saturation", grade.saturation), ("gamma", grade.gamma)) if v is not None]
        if parts:
            out.append("eq=" + ":".join(parts))
    return out


def _fit(plan: EditPlan) -> list[str]:
    w, h = plan.width, plan.height
    return [f"scale={w}:{h}:force_original_aspect_ratio=decrease",
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black", "setsar=1", "format=yuv420p"]


def _length(frames: int) -> list[str]:
    """Exactly `frames` frames: hold the last frame if the source is short, cut the rest."""
    return ["tpad=stop_mode=clone:stop=-1", f"trim=end_frame={frames}", "setpts=PTS-STARTPTS"]


def _take_chain(plan: EditPlan, clip: ShotClip, idx: int, joined: str | None = None) -> list[str]:
    """A take's chain; `joined`: the label of an extended shot's segments played end to end (trimmed here)."""
    if joined is None:
        chain = [f"[{idx}:v:0]setpts=PTS-STARTPTS"]
    else:
        chain = [f"[{joined}]" + (f"trim=start={_f(clip.trim_in)}" if clip.trim_in > 0 else "null"),
                 "setpts=PTS-STARTPTS"]
    if clip.reverse:
        chain += ["reverse", "setpts=PTS-STARTPTS"]
    if clip.speed != 1.0:
        chain.append(f"setpts=PTS/{_f(clip.speed)}")
    chain += [f"fps={plan.rate}", *_fit(plan), *_length(clip.frames)]
    return chain


def _image_chain(plan: EditPlan, clip: ShotClip, idx: int) -> list[str]:
    w, h = plan.width, plan.height
    n = clip.frames
    exprs = camera_exprs(clip.camera, n)
    if exprs is None:
        return [f"[{idx}:v:0]scale={w}:{h}:force_original_aspect_ratio=increase", f"crop={w}:{h}", "setsar=1",
                "format=yuv420p", f"loop=loop={max(n - 1, 0)}:size=1:start=0",
                f"setpts=N/{_fps_div(plan)}/TB", f"fps={plan.rate}", *_length(n)]
    z, x, y = exprs
    w2, h2 = w * 2, h * 2  # zoom on a 2x frame: smooth motion without jitter
    return [f"[{idx}:v:0]scale={w2}:{h2}:force_original_aspect_ratio=increase", f"crop={w2}:{h2}", "setsar=1",
            "format=yuv420p",
            f"zoompan=z={escape_value(z)}:x={escape_value(x)}:y={escape_value(y)}:d={n}:s={w}x{h}:fps={plan.rate}",
            "setsar=1", *_length(n)]


def _fades(clip: ShotClip | CardClip) -> list[str]:
    out = []
    if clip.fade_in:
        out.append(f"fade=t=in:s=0:n={clip.fade_in}")
    if clip.fade_out:
        out.append(f"fade=t=out:s={clip.frames - clip.fade_out}:n={clip.fade_out}")
    return out


def _segments(plan: EditPlan, label: str, idxs: list[int]) -> list[str]:
    """Graph lines playing the inputs `idxs` (an extended shot's segments) end to end, as [label]."""
    lines = [f"[{i}:v:0]setpts=PTS-STARTPTS,fps={plan.rate},{','.join(_fit(plan))}[{label}s{k + 1}]"
             for k, i in enumerate(idxs)]
    lines.append("".join(f"[{label}s{k + 1}]" for k in range(len(idxs))) + f"concat=n={len(idxs)}:v=1:a=0[{label}j]")
    return lines


def input_args(clip: ShotClip, plan: EditPlan, paths: Paths) -> list[str]:
    assert clip.media is not None
    if clip.source == "image":
        return ["-f", "image2", "-pattern_type", "none", "-i", "file:" + paths.media(clip.media)]
    if clip.segments:  # the segments are joined first, then trimmed: each is read whole
        return ["-i", "file:" + paths.media(clip.media)]
    need = (clip.frames + 2) / plan.fps * clip.speed
    args = ["-ss", _f(clip.trim_in)] if clip.trim_in > 0 else []
    return [*args, "-t", _f(need), "-i", "file:" + paths.media(clip.media)]


# Slate chains by what they are drawn from: (the chain, the texts it draws as (name, text) in order).
Slates = dict[str, tuple[list[str], list[tuple[str, str]]]]


def _slate(plan: EditPlan, clip: ShotClip, sink: Callable[[str, str], str], paths: Paths, key: str, old: Slates,
           new: Slates, frame: str) -> list[str]:
    """slate_chain's filters, the last graph's when drawn from the same texts, colour, length and place."""
    memo = f"{frame}|{key}|{clip.color}|{clip.frames}|{clip.slate!r}"
    hit = old.get(memo)
    if hit is None:
        drawn: list[tuple[str, str]] = []

        def keep(name: str, text: str) -> str:
            drawn.append((name, text))
            return sink(name, text)

        hit = (slate_chain(plan, clip, keep, paths.font, paths.bold, key, subtitles=plan.subtitles == "burn"), drawn)
    else:
        for name, text in hit[1]:
            sink(name, text)
    new[memo] = hit
    return list(hit[0])


def build_graph(plan: EditPlan, paths: Paths, slates: Slates | None = None) -> Graph:
    """The filter graph of the edit. `slates` (the chains of an earlier graph with the same paths) are reused for
    slates drawn from the same texts, sizes and place; the graph's own are put in it instead."""
    g = Graph()
    old_slates = dict(slates) if slates is not None else None
    if slates is not None:
        slates.clear()
    frame = f"{plan.width}x{plan.height}@{plan.rate}|{paths.font}|{paths.bold}|{plan.subtitles == 'burn'}"
    lines: list[str] = []

    def sink(key: str, text: str) -> str:
        name = f"text/{key}.txt"
        g.texts[name] = text
        return paths.text(name)

    labels: list[str] = []
    for i, clip in enumerate(plan.clips):
        key = f"{i + 1:03d}-{clip.kind}"
        if isinstance(clip, CardClip):
            chain = card_chain(plan, clip, sink, paths.font, key)
        elif clip.source in ("take", "image"):
            g.inputs.append(input_args(clip, plan, paths))
            g.sources.append(clip)
            idx = len(g.inputs) - 1
            joined = None
            if clip.source == "take" and clip.segments:
                idxs = [idx]
                for seg in clip.segments:
                    g.inputs.append(["-i", "file:" + paths.media(seg)])
                    g.sources.append(clip)
                    idxs.append(len(g.inputs) - 1)
                lines += _segments(plan, f"c{i + 1}", idxs)
                joined = f"c{i + 1}j"
            chain = _take_chain(plan, clip, idx, joined) if clip.source == "take" else _image_chain(plan, clip, idx)
            lut = paths.media(clip.lut) if clip.lut else None
            chain += _grade(clip.grade, lut)
        elif old_slates is None or slates is None:
            chain = slate_chain(plan, clip, sink, paths.font, paths.bold, key, subtitles=plan.subtitles == "burn")
        else:
            chain = _slate(plan, clip, sink, paths, key, old_slates, slates, frame)
        chain += _fades(clip)
        label = f"c{i + 1}"
        lines.append(",".join(chain) + f"[{label}]")
        labels.append(label)

    # Join. xfade costs time on every frame it passes, so each dissolve crossfades only the frames that
    # overlap: a clip is split into head (dissolving in), body and tail (dissolving out), and one concat
    # joins bodies and crossfades in screen order.
    clips = plan.clips
    pieces: list[str] = []
    tails: dict[int, str] = {}
    for i, (clip, label) in enumerate(zip(clips, labels)):
        head = clip.dissolve_in
        tail = clips[i + 1].dissolve_in if i + 1 < len(clips) else 0
        body = clip.frames - head - tail
        if not head and not tail:
            pieces.append(label)
            continue
        parts = [(n, lo, hi) for n, lo, hi in (("h", 0, head), ("m", head, head + body), ("t", head + body, clip.frames))
                 if hi > lo]
        outs = "".join(f"[{label}{n}]" for n, _, _ in parts)
        lines.append(f"[{label}]split={len(parts)}{outs}" if len(parts) > 1 else f"[{label}]null{outs}")
        for n, lo, hi in parts:
            lines.append(f"[{label}{n}]trim=start_frame={lo}:end_frame={hi},setpts=PTS-STARTPTS[{label}{n}x]")
        if head:
            x = f"d{i + 1}"
            lines.append(f"[{tails[i - 1]}][{label}hx]xfade=transition=fade:duration={_f(head / plan.fps)}:offset=0[{x}]")
            pieces.append(x)
        if body:
            pieces.append(f"{label}mx")
        if tail:
            tails[i] = f"{label}tx"
    if not pieces:  # nothing to show: black for the whole length
        lines.append(f"color=c=black:s={plan.width}x{plan.height}:r={plan.rate},trim=end_frame={plan.frames},"
                     "format=yuv420p[c0]")
        acc = "c0"
    elif len(pieces) == 1:
        acc = pieces[0]
    else:
        lines.append("".join(f"[{p}]" for p in pieces) + f"concat=n={len(pieces)}:v=1:a=0,settb={_tb(plan)}[seq]")
        acc = "seq"

    post = [overlay_filter(plan, ov, sink, paths.font, f"overlay-{k + 1:03d}-{ov.kind}")
            for k, ov in enumerate(plan.overlays)]
    lines.append(f"[{acc}]" + ",".join([*post, "format=yuv420p"]) + "[vout]")

    # The song: the selected pieces, after the title cards, padded with silence to the exact length.
    total = round(plan.frames / plan.fps * AUDIO_RATE)
    audio = plan.audio
    if audio.path is not None and audio.runs:
        g.inputs.append(["-i", "file:" + paths.media(audio.path)])
        g.sources.append(None)
        a = len(g.inputs) - 1
        song = f"[{a}:a:0]aresample={AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
        if len(audio.runs) == 1:
            r = audio.runs[0]
            lines.append(f"{song},atrim=start={_f(r.start)}:end={_f(r.end)},asetpts=PTS-STARTPTS[a1]")
            src = "[a1]"
        else:
            pieces_n = len(audio.runs)
            lines.append(f"{song},asplit={pieces_n}" + "".join(f"[as{k + 1}]" for k in range(pieces_n)))
            for k, r in enumerate(audio.runs):
                lines.append(f"[as{k + 1}]atrim=start={_f(r.start)}:end={_f(r.end)},asetpts=PTS-STARTPTS[ap{k + 1}]")
            lines.append("".join(f"[ap{k + 1}]" for k in range(pieces_n)) + f"concat=n={pieces_n}:v=0:a=1[a1]")
            src = "[a1]"
        delay = round(round(audio.delay * plan.fps) / plan.fps * AUDIO_RATE)
        chain = [f"adelay=delays={delay}S:all=1"] if delay else []
        chain += [f"apad=whole_len={total}", f"atrim=end_sample={total}"]
        lines.append(src + ",".join(chain) + "[aout]")
    else:
        lines.append(f"anullsrc=r={AUDIO_RATE}:cl=stereo,atrim=end_sample={total}[aout]")

    g.script = ";\n".join(lines) + "\n"
    g.encode = ["-map", "[vout]", "-map", "[aout]",
                "-c:v", "libx264", "-preset", plan.preset, "-crf", str(plan.crf), "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "192k", *(["-aac_coder", "fast"] if plan.animatic else []), "-ar", str(AUDIO_RATE),
                "-map_metadata", "-1", "-metadata", f"title={metadata_text(plan.title)}", "-movflags", "+faststart"]
    return g


def metadata_text(text: str) -> str:
    """Text for a container's metadata (the title): one line, no control characters (an argument cannot hold a NUL)."""
    return " ".join(clean_text(text).split())


def muxer(output: Path) -> str:
    return MUXERS.get(output.suffix.lower(), "mp4")


def ffmpeg_args(g: Graph, graph_file: str, fmt: str) -> list[str]:
    """ffmpeg's arguments without the program and the output file: inputs, the graph file, encoding."""
    args = ["-hide_banner", "-nostdin", "-y"]
    for inp in g.inputs:
        args += inp
    return [*args, "-/filter_complex", graph_file, *g.encode, "-f", fmt]
