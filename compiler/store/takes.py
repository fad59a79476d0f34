"""Where takes live: `takes/<shot>/<target>/<n>.<ext>`, numbered per shot and target, never reused."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the ledger (asyncio) loads only where takes are recorded
    from .ledger import Attempt

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp")
VIDEO_EXTS = (".mp4", ".mov", ".webm", ".mkv", ".m4v")
_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "video/mp4": ".mp4",
          "video/quicktime": ".mov", "video/webm": ".webm"}
_NUMBERED = r"^(\d+)\.[A-Za-z0-9]+$"  # a numbered take: 3.mp4 (compiled when takes are listed)


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
    import mimetypes

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
            m = re.match(_NUMBERED, p.name)
            if m:
                top = max(top, int(m.group(1)))
    for a in attempts.values():
        if a.shot == shot and a.target == target:
            top = max(top, a.take)
    return top + 1


def is_image(path: Path | str) -> bool:
    return str(path).lower().endswith(IMAGE_EXTS)


def newest_image(root: Path, shot: str, targets: Sequence[str]) -> str | None:
    """The runner's image take a shot's first frame comes from: of the first image target (in the film's order)
    that has one, the highest-numbered `takes/<shot>/<target>/<n>.<ext>` that is a regular file inside the film's
    folder and did not fail the quality checks the ledger recorded. Its path relative to the film folder."""
    from .attempts import qc_rejected

    rejected: frozenset[str] | None = None
    real_root = os.path.realpath(root)
    for target in targets:
        folder = take_dir(root, shot, target)
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        found: list[tuple[int, str]] = []
        for name in names:
            m = re.match(_NUMBERED, name)
            if m and is_image(name):
                found.append((int(m.group(1)), name))
        for _, name in sorted(found, reverse=True):
            path = folder / name
            try:
                regular = stat.S_ISREG(os.stat(path).st_mode)
            except OSError:
                continue
            real = os.path.realpath(path)
            if not regular or os.path.commonpath([real_root, real]) != real_root:
                continue
            if rejected is None:
                rejected = qc_rejected(root)
            candidate = f"takes/{shot}/{target}/{name}"
            if candidate not in rejected:
                return candidate
    return None


def image_takes_stamp(root: Path) -> str:
    """What `newest_image` depends on, for a cache key: the numbered image takes (name, size, time) under
    takes/<shot>/<target>/ and the takes the ledger's quality checks rejected."""
    from .attempts import qc_rejected

    parts: list[str] = []
    base = root / "takes"
    try:
        shots = sorted(e.name for e in os.scandir(base) if e.is_dir(follow_symlinks=False))
    except OSError:
        return ""
    for shot in shots:
        try:
            targets = sorted(e.name for e in os.scandir(base / shot) if e.is_dir(follow_symlinks=False))
        except OSError:
            continue
        for target in targets:
            try:
                entries = sorted(os.scandir(base / shot / target), key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                if re.match(_NUMBERED, e.name) and is_image(e.name):
                    try:
                        st = e.stat()
                    except OSError:
                        continue
                    parts.append(f"{shot}/{target}/{e.name}|{st.st_size}|{st.st_mtime_ns}")
    if parts:
        parts += sorted(qc_rejected(root))
    return "\n".join(parts)
