"""PNG stills of the slates and title cards an editor timeline shows (they have no media of their own), drawn
by ffmpeg with the same filters the render uses.

Each still carries what it was drawn from (a digest of its filters, texts, fonts and ffmpeg, in a PNG text
chunk): an export draws again only the stills whose slate or card changed, or that are missing or not its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import replace
from pathlib import Path

from ..edit.clips import CardClip, Clip, EditPlan
from ..edit.slates import TextSink, card_chain, slate_chain
from ..edit.stale import sweep, temp_prefix
from ..fonts import FontMissing, font_file
from ..fsutil import write_atomic
from ..interrupt import interruptible, run_child
from ..plurals import plural
from ..probe import ProbeError, ffmpeg_exe
from .errors import ExportError

SECONDS = 60.0  # the most one ffmpeg run of the stills may take, plus PER_STILL for each
PER_STILL = 2.0


KEY_CHUNK = b"filmc-still"  # (the tEXt keyword of the digest a still was drawn from)


def stills(plan: EditPlan, clips: list[Clip], folder: Path) -> dict[str, Path]:
    """PNG stills of slates and cards, in one ffmpeg run, drawn aside and put in `folder` once all are drawn; a
    still already there drawn from the same filters, texts, fonts and ffmpeg (and whole) is not drawn again, and
    one of ours that no clip shows any more is removed."""
    _remove_others(folder, {f"{clip.id}.png" for clip in clips})
    if not clips:
        return {}
    try:
        font, bold = str(font_file()), str(font_file(bold=True))
        exe = ffmpeg_exe()
    except (FontMissing, ProbeError) as e:
        raise ExportError(str(e)) from None
    folder.mkdir(parents=True, exist_ok=True)
    out = {clip.id: folder / f"{clip.id}.png" for clip in clips}
    tools = _identity(font, bold, exe)
    keys = {clip.id: _key(plan, clip, font, bold, tools) for clip in clips}
    clips = [clip for clip in clips if _drawn_from(out[clip.id]) != keys[clip.id]]
    if not clips:
        return out
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
            key = f"{i + 1:03d}"
            chain = _chain(plan, clip, sink, font, bold, key)
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
            write_atomic(out[cid], _with_key(png.read_bytes(), keys[cid]))
    return out


def _chain(plan: EditPlan, clip: Clip, sink: TextSink, font: str, bold: str, key: str) -> list[str]:
    one = replace(clip, start=0, end=1, pre=0, post=0, fade_in=0, fade_out=0)
    return (card_chain(plan, one, sink, font, key) if isinstance(one, CardClip)
            else slate_chain(plan, one, sink, font, bold, key))


def _remove_others(folder: Path, kept: set[str]) -> None:
    """Our stills in `folder` (those with our text chunk) that no clip shows any more: a removed shot's slate."""
    try:
        names = [p for p in folder.iterdir() if p.suffix == ".png" and p.name not in kept]
    except OSError:
        return
    for p in names:
        if _drawn_from(p) is not None:
            with contextlib.suppress(OSError):
                p.unlink()


def _identity(*files: str) -> str:
    """The fonts' and ffmpeg's paths, sizes and times: another font or ffmpeg draws the stills again."""
    parts = []
    for f in files:
        f = shutil.which(f) or f  # (FFMPEG=ffmpeg: the one on PATH)
        try:
            st = os.stat(f)
            parts.append(f"{f}\0{st.st_size}\0{st.st_mtime_ns}")
        except OSError:
            parts.append(f)
    return "\0".join(parts)


def _key(plan: EditPlan, clip: Clip, font: str, bold: str, tools: str) -> str:
    """A digest of what a clip's still is drawn from: its filters (without the place of their text files), their
    texts, the fonts and ffmpeg."""
    texts: list[str] = []

    def sink(key: str, text: str) -> str:
        texts.append(f"{key}\0{text}")
        return key

    chain = _chain(plan, clip, sink, font, bold, "t")
    return hashlib.sha256("\0\0".join([tools, *chain, *texts]).encode("utf-8", "surrogatepass")).hexdigest()


def _drawn_from(png: Path) -> str | None:
    """The digest a still of ours was drawn from (None: no such file, not one of ours, or not whole: its pixels
    are not those it was drawn with, or it was cut short)."""
    try:
        data = png.read_bytes()
    except OSError:
        return None
    if not data.startswith(_PNG):
        return None
    at = len(_PNG)
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind = data[at + 4:at + 8]
        if kind == b"tEXt":
            word, _, value = data[at + 8:at + 8 + length].partition(b"\0")
            key, _, whole = value.decode("ascii", "replace").partition(" ")
            if word == KEY_CHUNK and whole == _digest(data[:at] + data[at + 12 + length:]):
                return key
        if kind in (b"IDAT", b"IEND"):
            return None
        at += 12 + length
    return None


def _digest(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()


_PNG = b"\x89PNG\r\n\x1a\n"


def _with_key(png: bytes, key: str) -> bytes:
    """The PNG with a text chunk naming what it was drawn from, right after its header chunk."""
    if not png.startswith(_PNG):
        return png
    (length,) = struct.unpack(">I", png[8:12])
    end = 8 + 12 + length  # (IHDR comes first)
    data = KEY_CHUNK + b"\0" + f"{key} {_digest(png)}".encode("ascii")  # (and the PNG as drawn: a change shows)
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    return png[:end] + chunk + png[end:]
