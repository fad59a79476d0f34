"""Where takes live: `takes/<shot>/<target>/<n>.<ext>`, numbered per shot and target, never reused."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path, PurePosixPath

from .ledger import Attempt

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp")
VIDEO_EXTS = (".mp4", ".mov", ".webm", ".mkv", ".m4v")
_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "video/mp4": ".mp4",
          "video/quicktime": ".mov", "video/webm": ".webm"}
_NUMBERED = re.compile(r"^(\d+)\.[A-Za-z0-9]+$")


def take_dir(root: Path, shot: str, target: str) -> Path:
    return root / "takes" / shot / target


def rel(root: Path, path: Path) -> str:
    return PurePosixPath(path.relative_to(root).as_posix()).as_posix()


def extension(content_type: str, url: str, kind: str) -> str:
    """The file extension for a result: from its content type, else its URL, else the target's kind."""
    if content_type in _TYPES:
        return _TYPES[content_type]
    path = url.split("?", 1)[0].lower()
    for ext in (*IMAGE_EXTS, *VIDEO_EXTS):
        if path.endswith(ext):
            return ".jpg" if ext == ".jpeg" else ext
    guess = mimetypes.guess_extension(content_type or "") if content_type else None
    if guess in (*IMAGE_EXTS, *VIDEO_EXTS):
        return guess
    return ".png" if kind == "image" else ".mp4"


def next_number(root: Path, shot: str, target: str, attempts: dict[str, Attempt]) -> int:
    """One more than any take number on disk or promised to an attempt of the ledger."""
    top = 0
    folder = take_dir(root, shot, target)
    if folder.is_dir():
        for p in folder.iterdir():
            m = _NUMBERED.match(p.name)
            if m:
                top = max(top, int(m.group(1)))
    for a in attempts.values():
        if a.shot == shot and a.target == target:
            top = max(top, a.take)
    return top + 1


def is_image(path: Path | str) -> bool:
    return str(path).lower().endswith(IMAGE_EXTS)
