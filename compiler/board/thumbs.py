"""The board's thumbnails: one JPEG frame per take and first-frame image, made with ffmpeg, cached by content.

A thumbnail is named after the hash of the file it shows (`thumbs/<hash>.jpg`), so an unchanged take is never
decoded again and a take replaced in place gets a new one. The hash of a file is remembered by its path, size
and modification time (`thumbs/.hashes.json`) so a large video is not read again on every build. Thumbnails no
card uses any more are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostic
from ..store.takes import VIDEO_EXTS
from .data import Board

WIDTH = 480  # pixels: sharp on a phone, small enough for a hundred cards
VERSION = b"board-thumb-1\0"  # part of every hash: a change of how thumbnails are made makes new ones
MEMO = ".hashes.json"
_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")
TIMEOUT = 120.0  # seconds for one ffmpeg run


@dataclass
class Thumbs:
    made: int = 0
    reused: int = 0
    removed: int = 0
    warnings: list[Diagnostic] = field(default_factory=list)


def content_hash(path: Path) -> str:
    h = hashlib.sha256(VERSION)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:32]


def _frame(src: Path, out: Path, *, video: bool) -> str | None:
    """Write one frame of `src` to `out` (atomically); ffmpeg's last error line when it could not."""
    from ..interrupt import run_child
    from ..probe import ffmpeg_exe

    tmp = out.with_name(f".{out.stem}.{os.getpid()}.{id(out)}.tmp.jpg")
    base = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y"]
    tail = ["-i", str(src), "-map", "0:v:0", "-frames:v", "1", "-vf", f"scale='min({WIDTH},iw)':-2",
            "-q:v", "4", "-map_metadata", "-1", "-flags", "+bitexact", "-fflags", "+bitexact", "-update", "1",
            "-f", "image2", str(tmp)]
    attempts = [[*base, "-ss", "1", *tail], [*base, *tail]] if video else [[*base, *tail]]
    error = "ffmpeg made no picture"
    try:
        for argv in attempts:
            try:
                r = run_child(argv, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                return f"ffmpeg did not finish within {TIMEOUT:g} s"
            except OSError as e:
                return f"ffmpeg could not run ({e.strerror or e})"
            if r.returncode == 0 and tmp.is_file() and tmp.stat().st_size > 0:
                os.replace(tmp, out)
                return None
            lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
            if lines:
                error = lines[-1].strip()
        return error
    finally:
        if tmp.exists():
            tmp.unlink()


def _read_memo(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / MEMO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(data, dict) else {}


def make_thumbs(board: Board, folder: Path, *, workers: int = 4) -> Thumbs:
    """Give every take and card picture of `board` its thumbnail in `folder` (the board's thumbs/)."""
    from ..fsutil import write_atomic

    report = Thumbs()
    folder.mkdir(parents=True, exist_ok=True)
    memo = _read_memo(folder)
    new_memo: dict[str, str] = {}
    wanted: dict[str, str] = {}  # rel path -> kind
    for t in board.take_files():
        if t.inside:
            wanted[t.path] = t.kind
    for s in board.shots:
        for rel, _ in s.pictures:
            wanted.setdefault(rel, "video" if rel.lower().endswith(VIDEO_EXTS) else "image")
    names: dict[str, str] = {}
    todo: list[tuple[str, Path, Path, bool]] = []
    scheduled: set[Path] = set()
    for rel, kind in sorted(wanted.items()):
        src = board.root / rel
        try:
            st = os.stat(src)
            key = f"{rel}|{st.st_size}|{st.st_mtime_ns}"
            digest = memo.get(key) or content_hash(src)
        except OSError as e:
            report.warnings.append(_warn(board.root, rel, f"the file cannot be read ({e.strerror or e})"))
            continue
        new_memo[key] = digest
        name = f"{digest}.jpg"
        names[rel] = name
        out = folder / name
        if out.is_file():
            report.reused += 1
        elif out not in scheduled:  # two takes with the same content share one thumbnail
            scheduled.add(out)
            todo.append((rel, src, out, kind == "video"))

    def one(item: tuple[str, Path, Path, bool]) -> tuple[str, str | None]:
        rel, src, out, video = item
        return rel, _frame(src, out, video=video)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for rel, error in pool.map(one, todo):
            if error is None:
                report.made += 1
            else:
                names.pop(rel, None)
                report.warnings.append(_warn(board.root, rel, f"no frame could be taken ({error})"))
    for rel in list(names):  # a duplicate of a file that failed has no thumbnail either
        if not (folder / names[rel]).is_file():
            names.pop(rel)
    for t in board.take_files():
        t.thumb = f"thumbs/{names[t.path]}" if t.path in names else None
    for s in board.shots:  # the card's picture: the selected take's frame, else the first frame, else the slate
        s.picture, s.picture_from, s.thumb = None, "slate", None
        for rel, origin in s.pictures:
            if rel in names:
                s.picture, s.picture_from, s.thumb = rel, origin, f"thumbs/{names[rel]}"
                break
    keep = set(names.values())
    for p in _ours(folder):
        if p.name not in keep:
            p.unlink(missing_ok=True)
            report.removed += 1
    write_atomic(folder / MEMO, json.dumps(dict(sorted(new_memo.items())), indent=0) + "\n")
    return report



def _ours(folder: Path) -> Iterable[Path]:
    try:
        return [folder / n for n in sorted(os.listdir(folder)) if _NAME.match(n)]
    except OSError:
        return []


def _warn(root: Path, rel: str, message: str) -> Diagnostic:
    return Diagnostic("B801", "warning", f"no thumbnail: {message}", str(root / rel),
                      hint="check the file plays (filmc takes --check); the card shows its slate instead")
