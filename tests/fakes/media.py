"""Result bytes the fakes serve: a small PNG and small MP4 clips, made once per process with the bundled ffmpeg.

Every task gets its own deterministic bytes: the shared file plus a marker carrying the task id (a PNG `tEXt`
chunk before `IEND`, an MP4 top-level `free` box at the end). Both stay valid files that ffprobe reads as before,
so QC sees the same frames, size and duration, while two takes never share a sha256.
"""

from __future__ import annotations

import atexit
import shutil
import struct
import subprocess
import tempfile
import threading
import zlib
from pathlib import Path

IMAGE_SIZE = (640, 360)
VIDEO_SIZE = (160, 90)
VIDEO_FPS = 24

_lock = threading.Lock()
_cache: dict[tuple, bytes] = {}
_dir: Path | None = None


def _workdir() -> Path:
    global _dir
    if _dir is None:
        _dir = Path(tempfile.mkdtemp(prefix="filmc-fakes-"))
        atexit.register(shutil.rmtree, _dir, True)
    return _dir


def _ffmpeg(args: list[str], out: Path) -> bytes:
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    cmd = [exe, "-hide_banner", "-loglevel", "error", "-y", *args, str(out)]
    proc = subprocess.run(cmd, capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}")
    return out.read_bytes()


def png(size: tuple[int, int] = IMAGE_SIZE) -> bytes:
    """A solid-colour PNG (made once per size)."""
    key = ("png", size)
    with _lock:
        if key not in _cache:
            w, h = size
            out = _workdir() / f"image-{w}x{h}.png"
            _cache[key] = _ffmpeg(["-f", "lavfi", "-i", f"color=c=0x2b4a6f:s={w}x{h}", "-frames:v", "1",
                                   "-c:v", "png", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                                   "-map_metadata", "-1"], out)
        return _cache[key]


def mp4(seconds: float = 1.0, size: tuple[int, int] = VIDEO_SIZE, *, audio: bool = False) -> bytes:
    """An H.264 MP4 test pattern of the given length (made once per length, size and audio)."""
    seconds = round(max(0.2, min(float(seconds), 30.0)), 3)
    key = ("mp4", seconds, size, audio)
    with _lock:
        if key not in _cache:
            w, h = size
            out = _workdir() / f"video-{seconds}s-{w}x{h}{'-a' if audio else ''}.mp4"
            args = ["-f", "lavfi", "-i", f"testsrc=size={w}x{h}:rate={VIDEO_FPS}:duration={seconds}"]
            if audio:
                args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                         "-c:a", "aac", "-b:a", "32k"]
            args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-threads", "1",
                     "-movflags", "+faststart", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                     "-flags:a", "+bitexact", "-map_metadata", "-1", "-t", str(seconds)]
            _cache[key] = _ffmpeg(args, out)
        return _cache[key]


def tag_png(data: bytes, text: str) -> bytes:
    """The PNG with a `tEXt` chunk (keyword `filmc-fake`) inserted before IEND."""
    iend = data.rfind(b"IEND")
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or iend < 4:
        raise ValueError("not a PNG")
    payload = b"filmc-fake\x00" + text.encode("latin-1", "replace")
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload + struct.pack(">I", zlib.crc32(b"tEXt" + payload))
    at = iend - 4  # the length field of the IEND chunk
    return data[:at] + chunk + data[at:]


def tag_mp4(data: bytes, text: str) -> bytes:
    """The MP4 with a top-level `free` box appended (players and ffprobe skip it)."""
    payload = b"filmc-fake:" + text.encode("utf-8")
    return data + struct.pack(">I", 8 + len(payload)) + b"free" + payload


def tag(data: bytes, text: str) -> bytes:
    """Per-task bytes for a PNG or MP4; other formats come back unchanged."""
    kind = sniff(data)
    if kind == "image/png":
        return tag_png(data, text)
    if kind == "video/mp4":
        return tag_mp4(data, text)
    return data


def sniff(data: bytes) -> str:
    """The content type of result bytes, from their magic numbers."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    return "application/octet-stream"


EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "video/mp4": ".mp4",
              "video/quicktime": ".mov"}


def seconds_from(body: object, default: float = 1.0) -> float:
    """The clip length a create body asks for: `duration` as 5, "5" or "5s" (top level or under `input`)."""
    if isinstance(body, dict):
        for holder in (body, body.get("input")):
            if isinstance(holder, dict) and "duration" in holder:
                value = holder["duration"]
                try:
                    return float(str(value).strip().rstrip("s"))
                except ValueError:
                    return default
    return default
