"""Media facts from ffmpeg (the one imageio-ffmpeg bundles unless FFMPEG says otherwise)."""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")


class ProbeError(Exception):
    pass


@cache
def ffmpeg_exe() -> str:
    env = os.environ.get("FFMPEG")
    if env:
        return env
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as e:  # noqa: BLE001 - any failure means: no bundled ffmpeg
        raise ProbeError(f"no ffmpeg found ({e}); install imageio-ffmpeg or set FFMPEG") from None


def media_duration(path: Path) -> float:
    """Duration in seconds of an audio or video file; ProbeError when ffmpeg cannot read it."""
    try:
        proc = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
            capture_output=True, text=True, errors="replace", timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ProbeError(f"could not run ffmpeg: {e}") from None
    err = proc.stderr
    m = _DURATION.search(err)
    if not m or "Invalid data found" in err:
        reason = err.strip().splitlines()[-1] if err.strip() else "unknown format"
        raise ProbeError(reason.split(": ", 1)[-1] if str(path) in reason else reason)
    h, mi, s = m.groups()
    return int(h) * 3600 + int(mi) * 60 + float(s)
