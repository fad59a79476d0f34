"""Checks of the media an edit uses, before ffmpeg starts: every problem located at the shot.

A take that ffmpeg cannot read, an image that is not one, a take without video, a LUT that
is not a .cube file: each becomes a diagnostic naming the shot and the file, instead of a
failed render with an ffmpeg log.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Collector
from ..errors import FilmError
from ..interrupt import run_child
from ..paths import NotRegularFile, open_regular
from ..plurals import plural
from ..probe import ffmpeg_exe
from ..resolve import Production
from .clips import EditPlan, ShotClip

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\d+:\d+.*?: Video:")
_AUDIO = re.compile(r"Stream #\d+:\d+.*?: Audio:")
_FPS = re.compile(r"Stream #\d+:\d+.*?: Video:.*?, (\d+(?:\.\d+)?) (?:fps|tbr)")
_FRAMES = re.compile(r"^frame=\s*(\d+)", re.M)
_TOO_BIG = re.compile(r"(?:picture|image) size", re.IGNORECASE)
_TAG = re.compile(r"^(?:\[[^\]]*\]\s*)+")


@dataclass(frozen=True)
class MediaInfo:
    ok: bool
    reason: str = ""
    duration: float | None = None
    video: bool = False
    audio: bool = False
    fps: float | None = None  # of the first video stream


def probe_media(path: Path) -> MediaInfo:
    """What the file's header says (ffmpeg -i): readable, its length, its streams."""
    try:
        proc = run_child([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", "file:" + str(path)], timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return MediaInfo(False, f"could not run ffmpeg: {e}")
    err = proc.stderr
    if "Invalid data found" in err or not (_VIDEO.search(err) or _AUDIO.search(err)):
        lines = [ln.strip() for ln in err.splitlines() if ln.strip() and "At least one output" not in ln]
        reason = lines[-1] if lines else "not a media file"
        if str(path) in reason:
            reason = reason.split(str(path), 1)[1].lstrip(": ") or reason
        return MediaInfo(False, reason)
    m = _DURATION.search(err)
    dur = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]) if m else None
    fps = _FPS.search(err)
    return MediaInfo(True, "", dur, bool(_VIDEO.search(err)), bool(_AUDIO.search(err)),
                     float(fps[1]) if fps else None)


@dataclass(frozen=True)
class Decoded:
    frames: int  # pictures decoded (an image), or video frames in the file over the range used (a take)
    error: str  # the first demuxer or decoder error, if any
    checked: bool = True  # False: the check could not run (ffmpeg missing, or over its time budget)


DECODE_BUDGET = 60.0  # seconds per ffmpeg run: the check is bounded even for a huge or pathological file


def decode_media(path: Path, *, image: bool, start: float = 0.0, seconds: float | None = None) -> Decoded:
    """Check what the render will use: an image decodes; a take's first frame (at `start`) decodes, and the
    file holds `seconds` of video from there (counted without decoding: fast for any length)."""
    if image:
        return _null(["-f", "image2", "-pattern_type", "none", "-i", "file:" + str(path), "-frames:v", "1"])
    src = [*(["-ss", f"{start:.6f}"] if start > 0 else []), *(["-t", f"{seconds:.6f}"] if seconds else []),
           "-i", "file:" + str(path)]
    first = _null([*src, "-frames:v", "1"])
    if not first.checked or first.frames == 0:
        return first
    count = _null([*src, "-c:v", "copy"])
    return Decoded(count.frames, count.error or first.error, count.checked)


def _null(args: list[str]) -> Decoded:
    """ffmpeg `args` into the null muxer (first video stream): frames out, and the first error it logged."""
    try:
        proc = run_child([ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
                          "-progress", "pipe:1", *args, "-map", "0:v:0", "-f", "null", "-"], timeout=DECODE_BUDGET)
    except (OSError, subprocess.TimeoutExpired):
        return Decoded(0, "", checked=False)
    frames = [int(x) for x in _FRAMES.findall(proc.stdout)]
    return Decoded(frames[-1] if frames else 0, decode_error(proc.stderr.splitlines()))


_NOISE = ("Task finished", "Terminating thread", "Decode error rate", "Nothing was written", "Could not open encoder",
          "Cannot determine format", "Error number", "Conversion failed", "Exiting with")


def decode_error(log: Iterable[str]) -> str:
    """The line of an ffmpeg log that says what is wrong with the input, without ffmpeg's [context @ 0x..] tags."""
    for line in log:
        text = _TAG.sub("", line).strip().rstrip(".")
        if text and not any(n in text for n in _NOISE):
            return text
    return ""


LUT_MAX_BYTES = 64 * 1024 * 1024  # a 65-point cube is ~10 MB of text
_LUT_HEAD = 1024 * 1024  # the header must come within this many bytes


def _lut_problem(path: Path) -> str | None:
    """Why `path` is not a 3D .cube LUT ffmpeg can apply (None: it is one). Reads the file as a stream of
    lines, and not at all when it is larger than LUT_MAX_BYTES or not a regular file."""
    if path.suffix.lower() != ".cube":
        return "only .cube LUTs are supported"
    try:
        with open_regular(path) as f:
            size_bytes = os.fstat(f.fileno()).st_size
            if size_bytes > LUT_MAX_BYTES:
                return (f"it is {size_bytes / 2**20:.0f} MiB; a .cube LUT is at most "
                        f"{LUT_MAX_BYTES // 2**20} MiB (a 65-point cube is about 10 MiB)")
            return _cube_problem(io.TextIOWrapper(f, encoding="utf-8-sig", errors="strict"))
    except NotRegularFile as e:
        return str(e).replace(str(path), "it", 1) + ", not a regular file"
    except (OSError, UnicodeDecodeError) as e:
        return f"cannot read it as text ({e.__class__.__name__})"


def _cube_problem(lines: Iterable[str]) -> str | None:
    size = None
    rows = 0
    read = 0
    for line in lines:
        read += len(line)
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if size is None:
            if text.startswith("LUT_3D_SIZE"):
                parts = text.split()
                if len(parts) != 2 or not parts[1].isdigit() or not 2 <= int(parts[1]) <= 256:
                    return f"'{text[:40]}': the size must be a whole number from 2 to 256"
                size = int(parts[1])
            elif text.startswith("LUT_1D_SIZE"):
                return "a 1D LUT: only 3D .cube LUTs (LUT_3D_SIZE) are supported"
            elif read > _LUT_HEAD or text[0] in "+-.0123456789":
                return "no LUT_3D_SIZE line before the data: not a 3D .cube LUT"
            continue
        if text[0] in "+-.0123456789":
            rows += 1
    if size is None:
        return "no LUT_3D_SIZE line: not a 3D .cube LUT"
    if rows < size ** 3:
        return f"{rows} colour rows, but LUT_3D_SIZE {size} needs {size ** 3}: the file is cut short"
    return None


def check_media(plan: EditPlan, prod: Production) -> Collector:
    """Probe and decode every take and image (in parallel) and read every LUT; FilmError on any problem.

    Returns the collector holding the warnings (takes shorter than their shots)."""
    c = prod.collector()
    clips = [cl for cl in plan.shots() if cl.media is not None]
    with ThreadPoolExecutor(max_workers=4) as pool:
        infos = list(pool.map(lambda cl: _inspect(cl, plan), clips))
    for cl, (info, decoded) in zip(clips, infos):
        what = "take" if cl.source == "take" else "image"
        ptr = f"{cl.pointer}/take"
        if not info.ok:
            c.error("R101", f"{ptr}: shot '{cl.id}': cannot read {what} '{cl.media_rel}': {info.reason}",
                    ptr, hint=fix_hint(cl, prod))
            continue
        if not info.video:
            c.error("R102", f"{ptr}: shot '{cl.id}': {what} '{cl.media_rel}' has no picture", ptr)
            continue
        if decoded is not None and decoded.checked and decoded.frames == 0:
            why = decoded.error or "no picture came out"
            c.error("R104", f"{ptr}: shot '{cl.id}': ffmpeg cannot decode {what} '{cl.media_rel}': {why}", ptr,
                    hint="scale the image down (at most 16384 pixels a side)" if _TOO_BIG.search(why) else
                    fix_hint(cl, prod))
            continue
        if cl.source != "take":
            continue
        need = cl.frames / plan.fps * cl.speed  # seconds of the take, from trim_in
        length = info.duration
        for seg, seg_rel in zip(cl.segments, cl.segments_rel):  # an extended shot's later segments follow it
            seg_info = probe_media(seg)
            if not seg_info.ok or not seg_info.video:
                c.error("R101", f"{ptr}: shot '{cl.id}': cannot read segment take '{seg_rel}': "
                        f"{seg_info.reason or 'no picture'}", ptr, hint="re-generate it (filmc run)")
                length = None
            elif length is not None:
                length = length + seg_info.duration if seg_info.duration is not None else None
        if length is not None and length + 0.5 / plan.fps < cl.trim_in + need:
            names = "' + '".join((cl.media_rel or "", *cl.segments_rel))
            c.warning("R202", f"{ptr}: shot '{cl.id}' needs {cl.trim_in + need:.2f} s of '{names}' "
                      f"(trim, speed and dissolves included), but it lasts {length:.2f} s: its last "
                      "frame is held", ptr)
        elif decoded is not None and decoded.checked and info.fps:
            got = decoded.frames / info.fps
            if got + 0.5 / info.fps < min(need, (info.duration or need) - cl.trim_in):
                c.warning("R203", f"{ptr}: shot '{cl.id}' needs {need:.2f} s of '{cl.media_rel}' (from "
                          f"{cl.trim_in:g} s), but the file holds only {plural(decoded.frames, 'frame')} ({got:.2f} s) of it: "
                          "it is cut short or damaged" + (f" ({decoded.error})" if decoded.error else "")
                          + "; its last good frame is held", ptr,
                          hint="re-download or re-generate the take")
    luts = {}
    for cl in plan.shots():
        if cl.lut is not None and cl.lut not in luts:
            luts[cl.lut] = cl
    for lut, cl in luts.items():
        problem = _lut_problem(lut)
        if problem:
            ptr = _lut_pointer(prod, cl.id)
            c.error("R103", f"{ptr}: LUT '{cl.grade.lut if cl.grade else lut}' (used by shot '{cl.id}'): {problem}",
                    ptr)
    if c.has_errors:
        raise FilmError(c.items, prod.sources())
    return c


def fix_hint(cl: ShotClip, prod: Production) -> str:
    """What to do about a shot's unusable take or image."""
    if cl.media_rel and cl.media_rel == prod.shot(cl.id).shot.take:
        return "re-download or re-generate the file, or remove `take:` to use a slate"
    return f"replace or delete '{cl.media_rel}' (the shot's first-frame image, found by its name)"


def _inspect(cl: ShotClip, plan: EditPlan) -> tuple[MediaInfo, Decoded | None]:
    assert cl.media is not None
    info = probe_media(cl.media)
    if not info.ok or not info.video:
        return info, None
    if cl.source == "take":
        return info, decode_media(cl.media, image=False, start=cl.trim_in,
                                  seconds=(cl.frames + 2) / plan.fps * cl.speed)
    return info, decode_media(cl.media, image=True)


def _lut_pointer(prod: Production, shot_id: str) -> str:
    s = prod.shot(shot_id)
    if s.world and s.world.grade and s.world.grade.lut:
        return f"{s.world.pointer}/grade/lut"
    return "/edit/grade/lut"
