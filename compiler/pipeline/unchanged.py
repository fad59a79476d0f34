"""A rebuild with nothing changed: recognised before it starts (film.yaml's bytes, the other files' stats), so it
compiles and writes nothing.

A build records a hash of what it may read: film.yaml's bytes (those the build was made from), the stat (size,
mtime, inode, ctime) of every other file in the film's folder (but the build folder), filmc's own code and data,
and the options and settings it ran with. The next build with the same hash, whose outputs are all as that build
left them (build/.filmc/outputs.state), is done before it starts. film.yaml is hashed by its content because it
is the file saved just before a build: its stat could not tell a save made a moment later (the same mtime), and
waiting that moment out would slow the build a creator runs right after saving. Another file changed too
recently for its mtime to tell (as in emit's state) makes the build wait that moment, or record nothing.
The record names the state file it was made with (its hash), so a later build that changed the outputs, even
one killed before it could record anything, never leaves them trusted under the old record.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Diagnostic

RECORD = ".filmc/unchanged.key"
STATE = ".filmc/outputs.state"  # emit's (see compiler.emit.state)
_VERSION = 3  # 3: the outputs the build covered; 2: each warning's identity (see build._warning_keys) kept with it
_SKIP = frozenset({".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_MAX_FILES = 100_000  # files the build reads or could: past this, every build compiles
_WAIT_NS = 100_000_000  # a build started right after a save waits this long at most to trust what it reads
_LIBRARIES = ("jinja2", "lemminflect", "pyyaml", "font-source-sans-pro")  # their versions change what a build writes
_ENV = ("FILMC_FONT", "FILMC_FONT_BOLD", "FFMPEG", "XDG_CACHE_HOME")


@dataclass(frozen=True)
class Summary:
    """What the recorded build reported."""

    warnings: tuple[Diagnostic, ...]
    shots: int
    total_shots: int
    targets: int
    total_targets: int
    jobs: int
    keys: tuple[str, ...] = ()  # each warning's identity across builds (see pipeline.build)
    files: int = 0  # the outputs it covered (written or unchanged: those of its targets, for a partial build)


def inputs_key(film: Path, out_dir: Path, options: tuple[object, ...]) -> str | None:
    """The hash of what a build of `film` into `out_dir` may read but film.yaml's bytes (see with_film); None when it
    cannot be trusted (a file changed too recently for its stat to show a further change, or the build folder holds
    the film)."""
    from .. import __version__
    from ..emit.state import racy_window
    from ..resources import data_dir

    root = film.parent.resolve()
    out = out_dir.resolve()
    if root == out or root.is_relative_to(out):
        return None
    folders = (root, Path(__file__).resolve().parent.parent, data_dir("targets"), data_dir("schema"))
    for _ in range(2):
        h = hashlib.sha256(repr((__version__, sys.version, str(film.resolve()), str(out), options,
                                 [os.environ.get(k) for k in _ENV], _outside())).encode())
        budget = [_MAX_FILES]
        newest = max(_walk(h, folder, out, budget, film if folder == root else None) for folder in folders)
        if budget[0] < 0:  # a film in a folder holding much else (a home folder): not worth the walk each time
            return None
        wait = racy_window(newest) - (time.time_ns() - newest)
        if wait <= 0:
            return h.hexdigest()
        if wait > _WAIT_NS:  # a coarse clock (whole-millisecond mtimes): not worth waiting for
            return None
        time.sleep(wait / 1e9)  # a file saved a moment ago: once its stat would show a further change, look again
    return None


def with_film(key: str | None, digest: str | None) -> str | None:
    """The key of a build: inputs_key's with the hash of film.yaml's bytes (Document.digest, or film_digest before
    a build: the bytes it would read). None when either is."""
    if key is None or digest is None:
        return None
    return hashlib.sha256(f"{key}\0{digest}".encode()).hexdigest()


def film_digest(film: Path) -> str | None:
    """sha256 of film.yaml's bytes now, as the loader reads them; None when it cannot be read (the build says why)."""
    from ..paths import NotRegularFile, open_regular

    try:
        with open_regular(film) as f:
            return hashlib.sha256(f.read()).hexdigest()
    except (OSError, NotRegularFile, ValueError):
        return None


def _outside() -> list[str]:
    """What a build reads outside these folders: the edit's fonts (the file copied into build/edit/font/) and the
    installed libraries whose versions change the prompts."""
    from ..fonts import FontMissing, font_file

    out = []
    for bold in (False, True):
        try:
            font = font_file(bold=bold)
            st = font.stat()
            out.append(f"{font}|{st.st_size}|{st.st_mtime_ns}")
        except (FontMissing, OSError):
            out.append("no font")
    return out + _libraries()


def _dist_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _libraries() -> list[str]:
    """The installed versions of _LIBRARIES, as their metadata folders name them (`Jinja2-3.1.4.dist-info`): read
    from the folders on the import path, the first one found of each as Python would import it (importlib.metadata
    finds the same, at many times the cost)."""
    want = {_dist_name(d) for d in _LIBRARIES}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for name in names:
            stem, dot, kind = name.rpartition(".")
            if not dot or kind not in ("dist-info", "egg-info"):
                continue
            dist = _dist_name(stem.split("-", 1)[0])
            if dist in want and dist not in found:
                found[dist] = f"{entry}/{name}"
        if len(found) == len(want):
            break
    return [found.get(d, f"{d} -") for d in sorted(want)]


def _walk(h: hashlib._Hash, folder: Path, out: Path, budget: list[int], film: Path | None = None) -> int:
    """Feed every file under `folder` (links followed, `out`, tool folders and `film`, hashed by its content, left
    out) to `h`; the newest mtime. Stops once `budget[0]` files have been seen (leaving it negative)."""
    newest = 0
    seen: set[str] = set()
    todo = [str(folder)]
    skip = str(out)
    film_at = str(folder / film.name) if film is not None else None
    while todo:
        top = todo.pop()
        real = os.path.realpath(top)
        if real in seen or real == skip:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(top), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if e.name in _SKIP:
                continue
            try:
                st = e.stat()
            except OSError:  # a broken link (its own stat), or gone since the folder was read
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
            if stat.S_ISDIR(st.st_mode):
                todo.append(e.path)
                continue
            if e.path == film_at:
                continue
            budget[0] -= 1
            if budget[0] < 0:
                return newest
            h.update(f"{e.path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0{st.st_ctime_ns}\n".encode())
            newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
    return newest


def unchanged(out_dir: Path, key: str | None) -> Summary | None:
    """The last build's summary when it ran with `key` and left every output as it is now; else None."""
    from ..emit.state import read_state
    from ..records import stat_key

    if key is None:
        return None
    try:
        version, recorded, state_sha, fields, warnings = marshal.loads((out_dir / RECORD).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if version != _VERSION or recorded != key:
        return None
    state = read_state(out_dir)
    if not state.entries or state.raw is None or hashlib.sha256(state.raw).hexdigest() != state_sha:
        return None
    root = str(out_dir)
    for rel, (sha, st) in state.entries.items():
        if sha is None:
            return None
        try:
            if st is None:  # written too recently to be trusted by its stat then: its content
                with open(f"{root}/{rel}", "rb") as f:
                    if hashlib.sha256(f.read()).hexdigest() != sha:
                        return None
            elif stat_key(os.lstat(f"{root}/{rel}")) != st:
                return None
        except OSError:
            return None
    try:
        shots, total_shots, targets, total_targets, jobs, files = fields
        return Summary(tuple(Diagnostic(*d[:8]) for d in warnings), shots, total_shots, targets, total_targets, jobs,
                       tuple(d[8] for d in warnings), files)
    except (TypeError, ValueError, IndexError):
        return None


def remember(out_dir: Path, key: str | None, summary: Summary) -> None:
    """After a build: its key, its state file's hash and what it reported (written only when they changed)."""
    from ..emit import write_internal

    if key is None:
        (out_dir / RECORD).unlink(missing_ok=True)
        return
    try:
        state_sha = hashlib.sha256((out_dir / STATE).read_bytes()).hexdigest()
    except OSError:
        return
    fields = (summary.shots, summary.total_shots, summary.targets, summary.total_targets, summary.jobs, summary.files)
    warnings = [(d.code, d.severity, d.message, d.file, d.line, d.col, d.pointer, d.hint, k)
                for d, k in zip(summary.warnings, summary.keys, strict=True)]
    write_internal(out_dir, RECORD, marshal.dumps((_VERSION, key, state_sha, fields, warnings)))
