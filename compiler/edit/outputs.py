"""build/edit/: the edit as files a render without filmc uses (render.sh, the filter graph, the texts it draws,
the subtitles and the font). Deterministic: no timestamps, every path relative to build/edit/ (render.sh cds
there), and a few files whatever the film's length: every text drawn is in one file (texts.txt), which render.sh
unpacks for ffmpeg at render time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..fonts import font_file
from ..paths import build_folder
from ..resolve import Production
from .graph import Paths, Slates, build_graph, ffmpeg_args, muxer
from .plan import plan_edit
from .render import GRAPH_FILE, default_output
from .script import render_script
from .srt import render_srt

TEXTS_FILE = "texts.txt"
_TEXTS_HEAD = ("# The texts drawn on slates, cards and subtitles. render.sh unpacks them into text/ (where the filter "
               "graph's drawtext reads them): each is a line '<number of lines> <file>', then its lines.\n")


def pack_texts(texts: Mapping[str, str]) -> str:
    """Texts by file name (text/<key>.txt) as one file. A text is drawtext's file content exactly: lines joined
    by LF with no final LF (its texts hold no other line break: see text.clean_text)."""
    parts = [_TEXTS_HEAD]
    for name, text in texts.items():
        lines = text.split("\n")
        parts.append(f"{len(lines)} {name}\n" + "".join(line + "\n" for line in lines))
    return "".join(parts)


def unpack_texts(packed: str) -> dict[str, str]:
    """The texts of pack_texts' file, as render.sh unpacks them."""
    lines = packed.split("\n")
    out: dict[str, str] = {}
    i = 1  # after the head
    while i < len(lines) and lines[i]:
        count, name = lines[i].split(" ", 1)
        n = int(count)
        out[name] = "\n".join(lines[i + 1:i + 1 + n])
        i += 1 + n
    return out


def _rel(path: Path, start: Path) -> str:
    return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(start))).as_posix()


def edit_outputs(prod: Production, *, edit_dir: Path | None = None,
                 slates: Slates | None = None) -> dict[str, str | bytes]:
    """build/edit/ as {relative path: content}: render.sh, filter_graph.txt, texts.txt (every text drawtext
    draws), lyrics.srt and the font they use (font/*; bytes). `slates`: see build_graph (the last build's,
    replaced by this one's)."""
    plan = plan_edit(prod)
    edit_dir = edit_dir or build_folder(prod.film.root) / "edit"
    font, bold = font_file(), font_file(bold=True)
    font_name, bold_name = "font/regular" + font.suffix.lower(), "font/bold" + bold.suffix.lower()
    paths = Paths(media=lambda p: _rel(p, edit_dir), text=lambda n: n, font=font_name, bold=bold_name)
    g = build_graph(plan, paths, slates)
    output = default_output(prod)
    args = ffmpeg_args(g, GRAPH_FILE, muxer(output))
    root = os.path.abspath(prod.film.root)
    inside = os.path.abspath(edit_dir).startswith(root + os.sep) and os.path.abspath(output).startswith(root + os.sep)
    # A build folder outside the film's folder gets its film there too: no path to this machine's tree.
    target = _rel(output, edit_dir) if inside else f"../{output.name}"
    script = render_script(plan.title, args, target, "lyrics.srt" if plan.subtitles == "sidecar" else None,
                           texts=TEXTS_FILE if g.texts else None)
    out: dict[str, str | bytes] = {"render.sh": script, GRAPH_FILE: g.script, "lyrics.srt": render_srt(plan.cues)}
    if g.texts:
        out[TEXTS_FILE] = pack_texts(g.texts)
    out[font_name] = font.read_bytes()
    out[bold_name] = bold.read_bytes()
    return dict(sorted(out.items()))
