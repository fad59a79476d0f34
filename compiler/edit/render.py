"""A render now: an edit plan through one ffmpeg run into the film (and its sidecar subtitles)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Diagnostic
from ..errors import FilmError
from ..fonts import FontMissing, font_file
from ..fsutil import write_atomic
from ..interrupt import interruptible
from ..paths import build_folder
from ..probe import ProbeError, ffmpeg_exe
from ..progress import PlainProgress, RichProgress
from ..resolve import Production
from .clips import EditPlan
from .graph import Paths, build_graph, ffmpeg_args, muxer
from .run import RenderError, run_ffmpeg
from .srt import render_srt
from .stale import sweep, temp_prefix

GRAPH_FILE = "filter_graph.txt"


def default_output(prod: Production, animatic: bool = False) -> Path:
    root = prod.film.root
    if animatic:
        return build_folder(root) / "animatic.mp4"
    return root / prod.film.edit.output.file if prod.film.edit.output.file else build_folder(root) / "film.mp4"


def edit_warnings(*groups: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The warnings of an edit, each problem once: a missing take validate reports (V261) and the edit
    reports again with what it uses instead (R201) is shown as R201 only."""
    items = [d for g in groups for d in g]
    fallback = {d.pointer for d in items if d.code == "R201"}
    return [d for d in items if not (d.code == "V261" and d.pointer in fallback)]


@dataclass(frozen=True)
class Rendered:
    output: Path
    srt: Path | None
    seconds: float  # length of the output


def _fonts() -> tuple[Path, Path]:
    try:
        return font_file(), font_file(bold=True)
    except FontMissing as e:
        raise RenderError(str(e)) from None


def render_plan(plan: EditPlan, output: Path, *, progress: PlainProgress | RichProgress | None = None) -> Rendered:
    """Render an edit plan with one ffmpeg run into `output` (atomically); the .srt beside it for sidecar subtitles.

    Temp files of renders that were killed are swept first. A RenderError caused by a take or image
    names its clips (`failed`)."""
    font, bold = _fonts()
    try:
        exe = ffmpeg_exe()
    except ProbeError as e:
        raise RenderError(str(e)) from None
    sweep(output.parent)
    with interruptible(), tempfile.TemporaryDirectory(prefix=temp_prefix("render")) as work:
        wdir = Path(work)
        paths = Paths(media=lambda p: str(Path(os.path.abspath(p))), text=lambda n: str(wdir / n), font=str(font),
                      bold=str(bold))
        g = build_graph(plan, paths)
        (wdir / "text").mkdir()
        for name, text in g.texts.items():
            (wdir / name).write_text(text, encoding="utf-8", newline="\n")
        graph_file = wdir / GRAPH_FILE
        graph_file.write_text(g.script, encoding="utf-8", newline="\n")
        args = [*ffmpeg_args(g, str(graph_file), muxer(output)), "file:{out}"]
        try:
            run_ffmpeg(exe, args, output, total=plan.duration, progress=progress)
        except RenderError as e:
            e.failed = [c for i in failed_inputs(e.log) if i < len(g.sources) and (c := g.sources[i]) is not None]
            raise
    srt = None
    if plan.subtitles == "sidecar":
        srt = output.with_suffix(".srt")
        write_atomic(srt, render_srt(plan.cues))
    return Rendered(output, srt, plan.duration)


# ffmpeg log lines that blame an input: "[vist#2:0/png @ 0x..] [dec:png @ 0x..] Decoding error: ...",
# "[in#2/mov,mp4 @ 0x..] Error during demuxing: ...", "Cannot determine format of input 2:0 after EOF".
_BLAME = ("decoding error", "error during demuxing", "error opening input", "invalid data", "partial file",
          "cannot determine format of input", "error while decoding")
_INPUT = re.compile(r"\[(?:in|[vasdt]?ist)#(\d+)|\binput (?:file )?#?(\d+):\d+|\bstream #(\d+):\d+", re.IGNORECASE)


def failed_inputs(log: Sequence[str]) -> list[int]:
    """The ffmpeg inputs (by index) its log says it could not read or decode, in the order it says so."""
    out: list[int] = []
    for line in log:
        low = line.lower()
        if not any(b in low for b in _BLAME):
            continue
        for m in _INPUT.finditer(line):
            i = int(next(g for g in m.groups() if g is not None))
            if i not in out:
                out.append(i)
    return out


def render_failure(e: RenderError, prod: Production, plan: EditPlan) -> FilmError | None:
    """A render that failed on a take or image as located errors (R105) naming each shot and file,
    with the decoder's reason; None when ffmpeg's log blames no take or image."""
    if not e.failed:
        return None
    from .media import decode_media, fix_hint

    c = prod.collector()
    for clip in e.failed:
        assert clip.media is not None
        what = "take" if clip.source == "take" else "image"
        found = decode_media(clip.media, image=what == "image", start=clip.trim_in,
                             seconds=clip.frames / plan.fps * clip.speed)
        reason = found.error or str(e).removeprefix("ffmpeg failed ")
        c.error("R105", f"{clip.pointer}/take: shot '{clip.id}': the render failed reading {what} "
                f"'{clip.media_rel}': {reason}", f"{clip.pointer}/take",
                hint=fix_hint(clip, prod))
    return FilmError(c.items, prod.sources())
