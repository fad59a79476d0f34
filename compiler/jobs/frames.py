"""Images a job sends: its placeholders become the image itself, in the form the provider takes (a URL still valid,
base64, a data URL). `@job:<shot>.<image target>` is a first frame (an image job's take), `@last-frame:<job>` the
last frame of the segment before, `@end-frame:<job>` an end frame from another shot's image job, and
`@end-file:<path>#<sha>` / `@ref:<path>#<sha>` an end frame or a reference image from the film's folder (the hash
is the file's when the film was built)."""

from __future__ import annotations

import base64
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import FilmcError
from ..store.frame_stamps import END_JOB as END_JOB
from ..store.frame_stamps import JOB as JOB
from ..store.frame_stamps import LAST_FRAME as LAST_FRAME

END_FILE, REF = "@end-file:", "@ref:"  # an end frame or a reference image from a file of the film
MARKS = (JOB, LAST_FRAME, END_JOB, END_FILE, REF)
MAX_INLINE_BYTES = 5 * 1024 * 1024  # the strictest documented inline limit (Runway data URIs); larger goes as a URL
_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


class FrameError(FilmcError):
    """A first frame the job cannot have (yet): the reason says which and why."""


def placeholders(body: Any) -> list[str]:
    """Every placeholder in a body, in order."""
    from ..store.frame_stamps import marks_in

    return marks_in(body, MARKS)


def substitute(body: Any, value_of: Callable[[str], str]) -> Any:
    """A copy of body with each placeholder replaced by value_of(placeholder)."""
    if isinstance(body, str):
        return value_of(body) if body.startswith(MARKS) else body
    if isinstance(body, dict):
        return {k: substitute(v, value_of) for k, v in body.items()}
    if isinstance(body, list):
        return [substitute(v, value_of) for v in body]
    return body


def file_of(mark: str) -> tuple[str, str]:
    """(path, sha256 prefix) of an `@end-file:` or `@ref:` placeholder."""
    body = mark.split(":", 1)[1]
    path, _, digest = body.rpartition("#")
    return path, digest


def file_image(root: Path, mark: str, forms: list[str]) -> str:
    """An `@ref:` or `@end-file:` image of the film's folder, inline in one of `forms`: read once, and refused when
    its bytes are no longer those the build hashed into the request (the job would send what it was not made of)."""
    import hashlib

    rel, digest = file_of(mark)
    what = "reference image" if mark.startswith(REF) else "end frame"
    try:
        data = (root / rel).read_bytes()
    except OSError:
        raise FrameError(f"the {what} {rel} is missing") from None
    if hashlib.sha256(data).hexdigest()[:16] != digest:
        raise FrameError(f"the {what} {rel} changed after the build: run filmc build (or filmc run, which builds "
                         "first) so the request carries the new image")
    return _inline(data, Path(rel), [f for f in forms if f != "url"], what)


def encode(path: Path, forms: list[str], url: str | None) -> str:
    """The image as the provider takes it: its URL (when one is valid and accepted), else inline bytes."""
    if url and "url" in forms:
        return url
    if not [f for f in forms if f in ("base64", "data_url")]:
        raise FrameError(f"the provider takes the first frame only as a URL it can fetch, and {path.name} has none: "
                         "its provider gave no https URL, or that URL has expired (generate the image again shortly "
                         "before, or pick a provider that takes the image inline)")
    return _inline(path.read_bytes(), path, forms, "image")


def _inline(data: bytes, path: Path, forms: list[str], what: str) -> str:
    inline = [f for f in forms if f in ("base64", "data_url")]
    if not inline:
        raise FrameError(f"the provider takes the {what} {path.name} only as a URL it can fetch, and a file of the "
                         "film has none: pick a provider that takes images inline")
    if len(data) > MAX_INLINE_BYTES:
        raise FrameError(f"{path.name} is {len(data) // 1024} KiB; inline images are limited to "
                         f"{MAX_INLINE_BYTES // (1024 * 1024)} MiB (use a smaller image)")
    b64 = base64.b64encode(data).decode("ascii")
    if inline[0] == "base64":
        return b64
    return f"data:{_MIME.get(path.suffix.lower(), 'image/png')};base64,{b64}"


def last_frame(video: Path, ffmpeg: str, timeout: float = 120.0) -> Path:
    """The last frame of a take as a PNG (in a temp folder the caller removes), for chaining `extend` segments."""
    out = Path(tempfile.mkdtemp(prefix="filmc-frame-")) / "last.png"
    cmd = [ffmpeg, "-v", "error", "-nostdin", "-sseof", "-1", "-i", str(video), "-map", "0:v:0", "-update", "1",
           "-q:v", "1", "-y", str(out)]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise FrameError(f"extracting the last frame of {video.name} took too long") from None
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise FrameError(f"cannot extract the last frame of {video.name}: {msg[-1] if msg else 'ffmpeg failed'}")
    return out
