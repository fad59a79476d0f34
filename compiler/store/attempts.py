"""The ledger's attempts for commands that only read it (`filmc takes`, `filmc select`, render's first frames).

Reading never blocks and never fails on what a crash or a hand edit leaves: the ledger is opened without
blocking (a FIFO in its place is refused, C506), a line that is not a JSON event is skipped (C505), and an
event whose fields have the wrong types is left out of the replay (C526); an event of a kind this version does
not know (written by a newer filmc) is skipped without a word. The replay is the runner's own (`ledger.replay`),
so every command sees an attempt in the state the runner does.
"""

from __future__ import annotations

import os
import posixpath
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic
from .ledger import KINDS, LEDGER, Attempt, read_lines, replay

__all__ = ["clean_path", "qc_findings", "qc_rejected", "read_attempts"]


def read_attempts(root: Path) -> tuple[dict[str, Attempt], list[Diagnostic]]:
    """Every attempt of the film in `root`, in the order they began, and a warning per line or event left out.

    FilmError (C506) when the ledger exists but is not a regular file."""
    display = str(root / LEDGER)
    lines, skipped = read_lines(root / LEDGER, display)
    usable: list[dict[str, Any]] = []
    for n, e in lines:
        if e["ev"] not in KINDS:
            continue
        if not isinstance(e.get("attempt"), str):
            skipped.append(Diagnostic("C526", "warning", f"a '{e.get('ev')}' event without an attempt id was "
                                      "ignored", display, n, 1))
            continue
        try:
            replay([e])  # the fields this event sets must have types the replay can take
        except (TypeError, ValueError):
            skipped.append(Diagnostic("C526", "warning", f"the '{e['ev']}' event of attempt {e['attempt'][:12]} "
                                      "has a field of the wrong type: ignored", display, n, 1))
            continue
        usable.append(e)
    return replay(usable), sorted(skipped, key=lambda d: d.line)


def clean_path(path: object) -> str | None:
    """A ledger or film.yaml path as one spelling (posix, no './'), or None when it is not a path."""
    if not isinstance(path, str) or not path.strip() or "\x00" in path:
        return None
    return posixpath.normpath(path.strip().replace("\\", "/"))


def qc_findings(raw: object) -> tuple[dict[str, str], ...]:
    """The findings of a `qc` event as {code, message, severity} with text values (odd items made readable)."""
    out = []
    for f in raw if isinstance(raw, (list, tuple)) else ():
        if isinstance(f, dict):
            out.append({"code": str(f.get("code") or "?"), "message": str(f.get("message") or ""),
                        "severity": str(f.get("severity") or "error")})
        else:
            out.append({"code": "?", "message": str(f), "severity": "error"})
    return tuple(out)


def qc_rejected(root: Path) -> frozenset[str]:
    """Paths of takes whose last quality check in the ledger failed (nothing when the ledger is unreadable)."""
    path = root / LEDGER
    try:
        st = os.stat(path)
    except OSError:
        return frozenset()
    return _rejected(str(path), st.st_size, st.st_mtime_ns, st.st_ino)


@lru_cache(maxsize=8)
def _rejected(path: str, size: int, mtime: int, ino: int) -> frozenset[str]:  # noqa: ARG001 - the cache key
    from ..errors import FilmError

    try:
        attempts, _ = read_attempts(Path(path).parent.parent)
    except FilmError:
        return frozenset()
    out = set()
    for a in attempts.values():
        p = clean_path(a.path)
        if a.produced and a.qc_ok is False and p:
            out.add(p)
    return frozenset(out)
