"""Checks of the media an edit uses, before ffmpeg starts: every problem located at the shot.

A take that ffmpeg cannot read, an image that is not one, a take without video, a LUT that
is not a .cube file: each becomes a diagnostic naming the shot and the file, instead of a
failed render with an ffmpeg log.
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Collector
from ..errors import FilmError
from ..probe import ffmpeg_exe
from ..resolve import Production
from .plan import EditPlan

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\d+:\d+.*?: Video:")
_AUDIO = re.compile(r"Stream #\d+:\d+.*?: Audio:")


@dataclass(frozen=True)
class MediaInfo:
    ok: bool
    reason: str = ""
    duration: float | None = None
    video: bool = False
    audio: bool = False


def probe_media(path: Path) -> MediaInfo:
    try:
        proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", "file:" + str(path)],
                              capture_output=True, text=True, errors="replace", timeout=60)
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
    return MediaInfo(True, "", dur, bool(_VIDEO.search(err)), bool(_AUDIO.search(err)))


def _lut_problem(path: Path) -> str | None:
    if path.suffix.lower() != ".cube":
        return "only .cube LUTs are supported"
    try:
        head = path.read_text(encoding="utf-8", errors="strict")[:200_000]
    except (OSError, UnicodeDecodeError) as e:
        return f"cannot read it as text ({e.__class__.__name__})"
    if "LUT_3D_SIZE" not in head:
        return "no LUT_3D_SIZE line: not a 3D .cube LUT"
    return None


def check_media(plan: EditPlan, prod: Production) -> Collector:
    """Probe every take and image (in parallel) and read every LUT; FilmError on any problem.

    Returns the collector holding the warnings (takes shorter than their shots)."""
    c = prod.collector()
    clips = [cl for cl in plan.clips if cl.media is not None]
    with ThreadPoolExecutor(max_workers=4) as pool:
        infos = list(pool.map(lambda cl: probe_media(cl.media), clips))
    for cl, info in zip(clips, infos):
        what = "take" if cl.source == "take" else "image"
        if not info.ok:
            c.error("R101", f"{cl.pointer}/take: shot '{cl.id}': cannot read {what} '{cl.media_rel}': {info.reason}",
                    f"{cl.pointer}/take", hint="re-download or re-generate the file, or remove `take:` to use a slate")
        elif not info.video:
            c.error("R102", f"{cl.pointer}/take: shot '{cl.id}': {what} '{cl.media_rel}' has no picture",
                    f"{cl.pointer}/take")
        elif cl.source == "take" and info.duration is not None:
            need = cl.trim_in + cl.frames / plan.fps * cl.speed
            if info.duration + 0.5 / plan.fps < need:
                c.warning("R202", f"{cl.pointer}/take: shot '{cl.id}' needs {need:.2f} s of '{cl.media_rel}' "
                          f"(trim, speed and dissolves included), but it lasts {info.duration:.2f} s: its last "
                          "frame is held", f"{cl.pointer}/take")
    luts = {}
    for cl in plan.clips:
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


def _lut_pointer(prod: Production, shot_id: str) -> str:
    s = prod.shot(shot_id)
    if s.world and s.world.grade and s.world.grade.lut:
        return f"{s.world.pointer}/grade/lut"
    return "/edit/grade/lut"
