"""The takes an extended shot plays end to end: its chosen segment-1 take, then a take of each later segment.

`filmc run` makes an extended shot as several jobs per video target (`<shot>.<target>`, `<shot>.<target>.2`, ...),
each later one starting from the last frame of the one before, and downloads them all into
`takes/<shot>/<target>/`. The ledger says which job each take came from. When the shot's `take:` is a segment-1
take, the edit follows it with the newest good take of segment 2, then of segment 3, ... (preferring the take the
run chained from the take before it, when the ledger records that).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..output_names import job_id
from ..store.ledger import Attempt


@dataclass(frozen=True, slots=True)
class Chain:
    target: str
    count: int  # segments the shot has on this target
    takes: tuple[str, ...]  # paths (relative to the film's folder) of segments 2, 3, ... that have a take, in order
    missing: int = 0  # the first segment without a take (0: none missing)


def parse_take(path: str) -> tuple[str, str, int] | None:
    """(shot, target, number) of a runner take path `takes/<shot>/<target>/<n>.<ext>`."""
    parts = path.split("/")
    if len(parts) != 4 or parts[0] != "takes":
        return None
    number = parts[3].split(".", 1)[0]
    return (parts[1], parts[2], int(number)) if number.isdigit() else None


def segment_of(a: Attempt) -> int:
    """Which segment of its shot an attempt's job makes (1 for a job of an unextended shot)."""
    base = job_id(a.shot, a.target)
    if a.job == base:
        return 1
    tail = a.job[len(base) + 1:] if a.job.startswith(base + ".") else ""
    return int(tail) if tail.isdigit() and int(tail) > 1 else 0


def _usable(root: Path, path: str) -> bool:
    real_root = os.path.realpath(root)
    full = root / path
    return full.is_file() and os.path.commonpath([real_root, os.path.realpath(full)]) == real_root


def follow(root: Path, shot: str, target: str, count: int, chosen: Attempt,
           attempts: dict[str, Attempt]) -> Chain:
    """The takes of segments 2..count that follow `chosen` (a good take of segment 1)."""
    from ..store.attempts import clean_path

    found: list[str] = []
    before = chosen
    for n in range(2, count + 1):
        job = job_id(shot, target, n)
        cands = [a for a in attempts.values() if a.job == job and a.good and a.path
                 and _usable(root, clean_path(a.path) or "")]
        if not cands:
            return Chain(target, count, tuple(found), n)
        chained = [a for a in cands if a.chained_from == before.attempt]
        pick = max(chained or cands, key=lambda a: (a.t_final or 0, a.take))
        found.append(clean_path(pick.path) or "")
        before = pick
    return Chain(target, count, tuple(found))


def chain_for(root: Path, shot: str, take: str, count_of: dict[str, int]) -> Chain | None:
    """The later segments that follow the shot's `take:` when it is a segment-1 take of a video target whose job
    the shot splits into segments (`count_of`: target -> segments); None otherwise."""
    from ..errors import FilmError
    from ..store.attempts import clean_path, read_attempts

    path = clean_path(take)
    parsed = parse_take(path) if path else None
    if parsed is None or parsed[0] != shot or count_of.get(parsed[1], 1) < 2:
        return None
    target = parsed[1]
    try:
        attempts, _ = read_attempts(root)
    except FilmError:
        return None
    chosen = next((a for a in attempts.values() if a.produced and clean_path(a.path) == path
                   and a.shot == shot and a.target == target), None)
    if chosen is None or segment_of(chosen) != 1:
        return None
    return follow(root, shot, target, count_of[target], chosen, attempts)
