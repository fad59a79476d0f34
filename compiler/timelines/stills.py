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
from ..interrupt import interruptible
from ..probe import ProbeError, ffmpeg_exe
from .errors import ExportError


def stills(plan: EditPlan, clips: list[Clip], folder: Path) -> dict[str, Path]:
    """PNG stills of slates and cards, in one ffmpeg run."""
    if not clips:
        return {}
    try:
        font, bold = str(font_file()), str(font_file(bold=True))
        exe = ffmpeg_exe()
    except (FontMissing, ProbeError) as e:
        raise ExportError(str(e)) from None
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
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
            path = folder / f"{clip.id}.png"
            args += ["-map", f"[s{i + 1}]", "-frames:v", "1", "-update", "1", "file:" + str(path)]
            out[clip.id] = path
        graph = wdir / "stills.txt"
        graph.write_text(";\n".join(lines) + "\n", encoding="utf-8")
        proc = subprocess.run([exe, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
                               "-/filter_complex", str(graph), *args], capture_output=True, text=True, errors="replace")
        if proc.returncode != 0:
            log = proc.stderr.splitlines()
            raise ExportError(f"ffmpeg could not draw the slates: {log[-1] if log else 'no message'}", log)
    return out
