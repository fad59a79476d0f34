"""Media facts from ffmpeg (the one imageio-ffmpeg bundles unless FFMPEG says otherwise)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from functools import cache
from pathlib import Path

from .errors import FilmcError

_DURATION = r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)"  # in ffmpeg's report; compiled when one is read


class ProbeError(FilmcError):
    pass


@cache
def ffmpeg_exe() -> str:
    env = os.environ.get("FFMPEG")
    if env:
        return env
    # Find imageio-ffmpeg's bundled binary without importing it: the import and its
    # self-check cost ~50 ms, a third of `filmc validate`'s budget.
    spec = importlib.util.find_spec("imageio_ffmpeg")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            bins = sorted(Path(folder, "binaries").glob("ffmpeg-*"))
            exe = [b for b in bins if os.access(b, os.X_OK) and not b.name.endswith((".txt", ".md"))]
            if exe:
                return str(exe[-1])
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as e:  # noqa: BLE001 - any failure means: no bundled ffmpeg
        raise ProbeError(f"no ffmpeg found ({e}); install imageio-ffmpeg or set FFMPEG") from None


def _cache_file(path: Path) -> Path | None:
    try:
        st = path.stat()
    except OSError:
        return None
    key = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:32]
    from .resources import cache_dir

    return cache_dir("probe") / f"{key}.json"


def media_duration(path: Path) -> float:
    """Duration in seconds of an audio or video file; ProbeError when ffmpeg cannot read it.

    Cached by path, size and modification time, so re-validating costs no ffmpeg run.
    """
    cached = _cache_file(path)
    if cached is not None:
        try:
            return float(json.loads(cached.read_text())["duration"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    duration = _probe_duration(path)
    if cached is not None:
        try:
            from .fsutil import write_atomic

            write_atomic(cached, json.dumps({"duration": duration}))
        except OSError:
            pass
    return duration


def _probe_duration(path: Path) -> float:
    import subprocess

    try:
        proc = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
            capture_output=True, text=True, errors="replace", timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ProbeError(f"could not run ffmpeg: {e}") from None
    err = proc.stderr
    m = re.search(_DURATION, err)
    if not m or "Invalid data found" in err:
        reason = err.strip().splitlines()[-1] if err.strip() else "unknown format"
        raise ProbeError(reason.split(": ", 1)[-1] if str(path) in reason else reason)
    h, mi, s = m.groups()
    return int(h) * 3600 + int(mi) * 60 + float(s)
