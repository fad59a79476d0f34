"""PNG stills of the slates and title cards an editor timeline shows (they have no media of their own), drawn
by ffmpeg with the same filters the render uses."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from ..edit.clips import CardClip, Clip, EditPlan
from ..edit.slates import card_chain, slate_chain
from ..edit.stale import sweep, temp_prefix
from ..fonts import FontMissing, font_file
from ..fsutil import write_atomic
from ..interrupt import interruptible, run_child
from ..plurals import plural
from ..probe import ProbeError, ffmpeg_exe
from .errors import ExportError

SECONDS = 60.0  # the most one ffmpeg run of the stills may take, plus PER_STILL for each
PER_STILL = 2.0


def stills(plan: EditPlan, clips: list[Clip], folder: Path) -> dict[str, Path]:
    """PNG stills of slates and cards, in one ffmpeg run, drawn aside and put in `folder` once all are drawn (a
    still already there with the same bytes is left untouched)."""
    if not clips:
        return {}
    try:
        font, bold = str(font_file()), str(font_file(bold=True))
        exe = ffmpeg_exe()
    except (FontMissing, ProbeError) as e:
        raise ExportError(str(e)) from None
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    drawn: dict[str, Path] = {}  # each clip's still, as ffmpeg draws it
    sweep()
    with interruptible(), tempfile.TemporaryDirectory(prefix=temp_prefix("export")) as work:
        wdir = Path(work)
        (wdir / "text").mkdir()

        def sink(key: str, text: str) -> str:
            p = wdir / "text" / f"{key}.txt"
            p.write_text(text, encoding="utf-8", newline="\n")
            return str(p)

        lines, args = [], []
        for i, clip in enumerate(clips):
            one = replace(clip, start=0, end=1, pre=0, post=0, fade_in=0, fade_out=0)
            key = f"{i + 1:03d}"
            chain = (card_chain(plan, one, sink, font, key) if isinstance(one, CardClip)
                     else slate_chain(plan, one, sink, font, bold, key))
            lines.append(",".join([*chain, "format=rgb24"]) + f"[s{i + 1}]")
            args += ["-map", f"[s{i + 1}]", "-frames:v", "1", "-update", "1", "file:" + str(wdir / f"{key}.png")]
            drawn[clip.id] = wdir / f"{key}.png"
        graph = wdir / "stills.txt"
        graph.write_text(";\n".join(lines) + "\n", encoding="utf-8")
        argv = [exe, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-/filter_complex", str(graph), *args]
        try:
            proc = run_child(argv, timeout=SECONDS + PER_STILL * len(clips))
        except subprocess.TimeoutExpired:
            raise ExportError(f"ffmpeg took over {SECONDS + PER_STILL * len(clips):g} s drawing "
                              f"{plural(len(clips), 'still')} of slates and cards; stopped") from None
        if proc.returncode != 0:
            log = proc.stderr.splitlines()
            raise ExportError(f"ffmpeg could not draw the slates: {log[-1] if log else 'no message'}", log)
        for cid, png in drawn.items():
            out[cid] = folder / f"{cid}.png"
            write_atomic(out[cid], png.read_bytes())
    return out
