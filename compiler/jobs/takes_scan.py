"""The takes of a film's shots, found in the ledger (what `filmc run` downloaded, and the attempts that made no
take) and on the disk (files a creator put under takes/<shot>/, and the flat names render reads)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic
from ..store.attempts import clean_path, qc_findings
from ..store.frame_stamps import frame_change
from ..store.ledger import Attempt
from ..store.segment_takes import segment_of
from .takes_model import MEDIA_EXTS, QC, JobAttempts, ShotInfo, ShotTakes, Take, TargetTakes, as_number, media_kind

_NUMBERED = re.compile(r"^(\d+)\.[A-Za-z0-9]+$")
MAX_FILES = 10_000  # per shot folder: a takes/ tree larger than this is cut short, with a warning


def in_folder(path: str) -> bool:
    """A clean relative path that stays inside the folder it is relative to."""
    return not os.path.isabs(path) and path != ".." and not path.startswith("../")


def _plain_name(name: object) -> bool:
    """A shot id or target name usable as one folder name (never a way out of takes/)."""
    return isinstance(name, str) and name not in ("", ".", "..") and not any(c in name for c in "/\\\x00")


def regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _mtime(path: Path) -> float | None:
    try:
        return os.stat(path).st_mtime
    except (OSError, ValueError):
        return None


def collect(root: Path, shots: Sequence[ShotInfo], *, film_targets: Sequence[str], kinds: Mapping[str, str | None],
            attempts: Mapping[str, Attempt], hashes: Mapping[str, str] | None = None,
            frames: Mapping[str, Mapping[str, Collection[str] | None]] | None = None,
            orphans: bool = True) -> tuple[list[ShotTakes], list[Diagnostic]]:
    """The takes of `shots` (in their order), plus shots only the ledger knows when `orphans`.

    `kinds`: every known target -> image|video (None: a target only the ledger names); `film_targets`: the
    film's own, in order; `hashes`: each current job's hash by job id (None: not known, nothing is marked stale);
    `frames`: the images a take of each job may have been made from and still count (frame_stamps.current_frames).
    """
    warnings: list[Diagnostic] = []
    ids = [s.id for s in shots]
    wanted = set(ids)
    by_shot: dict[str, dict[str | None, TargetTakes]] = {}
    infos = {s.id: s for s in shots}

    def group(shot: str, target: str | None) -> TargetTakes:
        groups = by_shot.setdefault(shot, {})
        g = groups.get(target)
        if g is None:
            g = groups[target] = TargetTakes(target, kinds.get(target) if target else None,
                                             target in film_targets if target else False)
        return g

    for sid in ids:
        for t in film_targets:
            group(sid, t)
    # 1. The ledger: takes downloaded, and the attempts that made none.
    known: dict[str, Take] = {}
    jobs: dict[tuple[str, str, str], JobAttempts] = {}
    for a in attempts.values():
        if not _plain_name(a.shot) or not _plain_name(a.target):
            continue
        if a.shot not in wanted and not orphans:
            continue
        if a.state == "downloaded":
            path = clean_path(a.path)
            if path is None:
                continue
            take = Take(path, media_kind(path) or kinds.get(a.target) or "video", "runner", a.target,
                        a.take if isinstance(a.take, int) and a.take > 0 else None,
                        provider=a.provider or None, model=a.model if isinstance(a.model, str) else None,
                        job=a.job or None, hash=a.hash or None, attempt=a.attempt, time=as_number(a.t_final))
            take.exists = in_folder(path) and regular(root / path)
            if hashes is not None:
                take.stale = hashes.get(a.job) != a.hash
            if frames is not None and a.job in frames and not take.stale:
                take.older_frame = frame_change(a, frames[a.job])
            if a.qc_ok is not None:
                take.qc = QC(a.qc_ok, qc_findings(a.qc_findings))
            take.segment, take.chained_from = segment_of(a) or None, a.chained_from
            earlier = known.get(path)
            if earlier is not None:  # downloaded again to the same file: the later attempt made what is there
                for g in by_shot.get(a.shot, {}).values():
                    g.takes = [t for t in g.takes if t is not earlier]
            known[path] = take
            group(a.shot, a.target).takes.append(take)
        else:
            key = (a.shot, a.target, a.job or f"{a.shot}.{a.target}")
            ja = jobs.get(key)
            if ja is None:
                ja = jobs[key] = JobAttempts(key[2])
            ja.add(a)
    for (shot, job_target, _), ja in sorted(jobs.items()):
        if not ja.empty:
            group(shot, job_target).jobs.append(ja)
    _number_segments(by_shot, infos, attempts)
    # 2. The disk: files under takes/<shot>/ the ledger does not know.
    all_shots = list(dict.fromkeys([*ids, *by_shot]))
    base = root / "takes"
    for sid in all_shots:
        for rel, target, number in _dropped(base, sid, kinds, warnings):
            if rel in known:
                continue
            kind = media_kind(rel) or "video"
            take = Take(rel, kind, "dropped", target, number, time=_mtime(root / rel))
            known[rel] = take
            group(sid, target).takes.append(take)
    # 3. The flat names render reads: takes/<shot>.<ext>, takes/<shot>.<target>.<ext>.
    for rel, sid, target in _flat(base, all_shots, kinds):
        if rel in known:
            continue
        take = Take(rel, media_kind(rel) or "video", "flat", target, time=_mtime(root / rel))
        known[rel] = take
        group(sid, target).takes.append(take)
    # 4. The shots' `take:`.
    for sid in ids:
        chosen = infos[sid].take
        path = clean_path(chosen)
        if path is None:
            continue
        picked = known.get(path)
        if picked is None and os.path.isabs(path):
            inside = _relative_inside(root, Path(path))
            picked = known.get(inside) if inside else None
        if picked is None:
            full = Path(path) if os.path.isabs(path) else root / path
            picked = Take(path, media_kind(path) or "video", "selected", exists=regular(full), time=_mtime(full))
            known[path] = picked
            group(sid, None).takes.append(picked)
        picked.selected = True
        if picked.source == "runner" and picked.segment == 1 and (picked.segments or 1) > 1 and picked.attempt:
            _mark_following(root, sid, picked, attempts, known)
    out: list[ShotTakes] = []
    for sid in all_shots:
        info = infos.get(sid)
        groups = by_shot.get(sid, {})
        order: list[str | None] = [t for t in film_targets if t in groups]
        order += sorted(t for t in groups if t is not None and t not in film_targets)
        if None in groups:
            order.append(None)
        for g in groups.values():
            g.takes.sort(key=_take_order)
        st = ShotTakes(sid, info is not None, info.section if info else None, info.duration if info else None,
                       info.take if info else None, [groups[t] for t in order])
        if info is not None or st.takes or any(g.jobs for g in st.groups):
            out.append(st)
    return out, warnings


def _take_order(t: Take) -> tuple[Any, ...]:
    return (t.number is None, t.number or 0, t.path)


def _number_segments(by_shot: Mapping[str, Mapping[str | None, TargetTakes]], infos: Mapping[str, ShotInfo],
                     attempts: Mapping[str, Attempt]) -> None:
    """How many segments each extended shot has per target (the film's count, else the most the ledger knows):
    its runner takes are marked segment n of that many; a shot made in one piece keeps no segment marks."""
    seen: dict[tuple[str, str], int] = {}
    for a in attempts.values():
        n = segment_of(a)
        if n:
            seen[(a.shot, a.target)] = max(seen.get((a.shot, a.target), 1), n)
    for sid, groups in by_shot.items():
        info = infos.get(sid)
        for target, g in groups.items():
            if target is None:
                continue
            count = max(info.segments.get(target, 1) if info else 1, seen.get((sid, target), 1))
            for t in g.takes:
                if t.source != "runner":
                    continue
                if count > 1 and t.segment:
                    t.segments = count
                else:
                    t.segment = None


def _mark_following(root: Path, shot: str, chosen: Take, attempts: Mapping[str, Attempt],
                    known: Mapping[str, Take]) -> None:
    """The later segments render plays after the shot's segment-1 take."""
    from ..store.segment_takes import follow

    a = attempts.get(chosen.attempt or "")
    if a is None or not chosen.target or not chosen.segments:
        return
    for path in follow(root, shot, chosen.target, chosen.segments, a, dict(attempts)).takes:
        t = known.get(path)
        if t is not None:
            t.follows = True


def _relative_inside(root: Path, path: Path) -> str | None:
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return None


def _dropped(base: Path, shot: str, kinds: Mapping[str, str | None],
             warnings: list[Diagnostic]) -> Iterable[tuple[str, str | None, int | None]]:
    """(path, target, number) of every media file under takes/<shot>/ (hidden files and partial downloads
    left out; links to folders not followed)."""
    folder = base / shot
    if not folder.is_dir():
        return []
    found: list[tuple[str, str | None, int | None]] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        parts = here.relative_to(folder).parts
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(MEDIA_EXTS) or not regular(here / name):
                continue
            target = parts[0] if parts and parts[0] in kinds else None
            m = _NUMBERED.match(name) if target and len(parts) == 1 else None
            found.append(((here / name).relative_to(base.parent).as_posix(), target, int(m.group(1)) if m else None))
            if len(found) >= MAX_FILES:
                warnings.append(Diagnostic("C527", "warning", f"takes/{shot}/ holds more than {MAX_FILES} media "
                                           "files: only the first are listed", str(folder)))
                return found
    return found


def _flat(base: Path, shots: Sequence[str], kinds: Mapping[str, str | None]) -> list[tuple[str, str, str | None]]:
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    ids = set(shots)
    out = []
    for name in names:
        if name.startswith(".") or not name.lower().endswith(MEDIA_EXTS):
            continue
        stem = name.rsplit(".", 1)[0]
        if stem in ids:
            sid, target = stem, None
        elif "." in stem and stem.rsplit(".", 1)[0] in ids and stem.rsplit(".", 1)[1] in kinds:
            sid, target = stem.rsplit(".", 1)
        else:
            continue
        if regular(base / name):
            out.append((f"takes/{name}", sid, target))
    return out

