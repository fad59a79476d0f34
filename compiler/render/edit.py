"""The edit's two products: a render now (`render_plan`) and build/edit/ for later (`edit_outputs`)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..fsutil import write_atomic
from ..probe import ProbeError, ffmpeg_exe
from ..resolve import Production
from .graph import Paths, build_graph, ffmpeg_args, muxer
from .plan import EditPlan, plan_edit
from .run import PlainProgress, RenderError, RichProgress, run_ffmpeg
from .script import render_script
from .srt import render_srt
from .text import FontMissing, font_file

GRAPH_FILE = "filter_graph.txt"


def default_output(prod: Production, animatic: bool = False) -> Path:
    root = prod.film.root
    if animatic:
        return root / "build" / "animatic.mp4"
    return root / (prod.film.edit.output.file or "build/film.mp4")


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
    """Render an edit plan with one ffmpeg run into `output` (atomically); the .srt beside it for sidecar subtitles."""
    font, bold = _fonts()
    try:
        exe = ffmpeg_exe()
    except ProbeError as e:
        raise RenderError(str(e)) from None
    with tempfile.TemporaryDirectory(prefix="filmc-render-") as work:
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
        run_ffmpeg(exe, args, output, total=plan.duration, progress=progress)
    srt = None
    if plan.subtitles == "sidecar":
        srt = output.with_suffix(".srt")
        write_atomic(srt, render_srt(plan.cues))
    return Rendered(output, srt, plan.duration)


def _rel(path: Path, start: Path) -> str:
    return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(start))).as_posix()


def edit_outputs(prod: Production, *, edit_dir: Path | None = None) -> dict[str, str | bytes]:
    """build/edit/ as {relative path: content}: render.sh, filter_graph.txt, lyrics.srt, the drawtext
    text files (text/*.txt) and the font they use (font/*; bytes). Deterministic: no timestamps, every path
    relative to build/edit/ (render.sh cds there)."""
    plan = plan_edit(prod)
    edit_dir = edit_dir or prod.film.root / "build" / "edit"
    font, bold = font_file(), font_file(bold=True)
    font_name, bold_name = "font/regular" + font.suffix.lower(), "font/bold" + bold.suffix.lower()
    paths = Paths(media=lambda p: _rel(p, edit_dir), text=lambda n: n, font=font_name, bold=bold_name)
    g = build_graph(plan, paths)
    output = default_output(prod)
    args = ffmpeg_args(g, GRAPH_FILE, muxer(output))
    srt = render_srt(plan.cues)
    root = os.path.abspath(prod.film.root)
    inside = os.path.abspath(edit_dir).startswith(root + os.sep) and os.path.abspath(output).startswith(root + os.sep)
    # A build folder outside the film's folder gets its film there too: no path to this machine's tree.
    target = _rel(output, edit_dir) if inside else f"../{output.name}"
    script = render_script(plan.title, args, target,
                           "lyrics.srt" if plan.subtitles == "sidecar" else None)
    out: dict[str, str | bytes] = {"render.sh": script, GRAPH_FILE: g.script, "lyrics.srt": srt}
    out.update(g.texts)
    out[font_name] = font.read_bytes()
    out[bold_name] = bold.read_bytes()
    return dict(sorted(out.items()))
