"""`filmc takes`: every take of a film, per shot and target, from the ledger and from the disk.

Three kinds of take are found:
- *runner* takes: attempts of `filmc run` the ledger says were downloaded (`takes/<shot>/<target>/<n>.<ext>`),
  with their provider, model, job hash and quality checks;
- *dropped* takes: media files a creator put under `takes/<shot>/` (from a web app, say), at any depth; a file
  in `takes/<shot>/<target>/` belongs to that target and, named `<n>.<ext>`, has that number;
- *flat* takes: the older names render reads, `takes/<shot>.<ext>` and `takes/<shot>.<target>.<ext>`.

Each take is marked when it is the shot's `take:`, when it is the first frame render uses, when it was made
from an older prompt (its job's hash is not the job's hash now), and when the ledger says it was downloaded
but the file is gone. Attempts that made no take are counted per job (failed, unknown, cancelled, still open)
with the last reason given.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic
from ..store.attempts import clean_path, qc_findings, read_attempts
from ..store.ledger import Attempt
from ..store.segment_takes import segment_of
from ..store.takes import IMAGE_EXTS, VIDEO_EXTS

# What a take may be: the runner's formats and every picture render reads.
MEDIA_EXTS = (*IMAGE_EXTS, *VIDEO_EXTS, ".bmp", ".tif", ".tiff")
_NUMBERED = re.compile(r"^(\d+)\.[A-Za-z0-9]+$")
MAX_FILES = 10_000  # per shot folder: a takes/ tree larger than this is cut short, with a warning


def media_kind(path: str) -> str | None:
    low = path.lower()
    if low.endswith(VIDEO_EXTS):
        return "video"
    if low.endswith(MEDIA_EXTS):
        return "image"
    return None


@dataclass
class QC:
    ok: bool
    findings: tuple[dict[str, str], ...] = ()
    source: str = "ledger"  # ledger | check (run now, by --check or select)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "findings": [dict(f) for f in self.findings], "source": self.source}


@dataclass
class Take:
    path: str  # relative to the film folder (posix), or absolute for a `take:` outside it
    kind: str  # image | video
    source: str  # runner | dropped | flat | selected
    target: str | None = None
    number: int | None = None
    exists: bool = True
    provider: str | None = None
    model: str | None = None
    job: str | None = None
    hash: str | None = None
    attempt: str | None = None
    time: float | None = None  # unix time: downloaded (runner) or the file's modification time
    stale: bool | None = None  # made from an older prompt; None: not known (not a runner take)
    selected: bool = False
    first_frame: bool = False  # the image render starts the shot with (no video take selected)
    qc: QC | None = None
    segment: int | None = None  # an extended shot's take: which segment of the shot its job makes (1, 2, ...)
    segments: int | None = None  # ... of how many
    chained_from: str | None = None  # a later segment: the attempt whose take's last frame it started from
    follows: bool = False  # a later segment render plays after the shot's take

    @property
    def later(self) -> bool:
        """A take of segment 2, 3, ... of an extended shot: part of the shot, never a take of its own."""
        return (self.segment or 1) > 1

    @property
    def ref(self) -> str:
        """How `filmc select` names it: <target>/<n>, else its path."""
        if self.target and self.number is not None:
            return f"{self.target}/{self.number}"
        return self.path

    @property
    def failed_qc(self) -> bool:
        return self.qc is not None and not self.qc.ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref, "path": self.path, "kind": self.kind, "source": self.source, "target": self.target,
            "number": self.number, "exists": self.exists, "selected": self.selected,
            "first_frame": self.first_frame, "stale": self.stale, "provider": self.provider, "model": self.model,
            "job": self.job, "hash": self.hash, "attempt": self.attempt,
            "time": _iso(self.time), "qc": self.qc.as_dict() if self.qc else None,
            "segment": self.segment, "segments": self.segments, "follows": self.follows,
        }


@dataclass
class JobAttempts:
    """A job's attempts that made no take: counts per outcome and the last reason."""

    job: str
    failed: int = 0
    unknown: int = 0
    cancelled: int = 0
    open: int = 0  # sent and not finished: the next `filmc run` collects them
    last_reason: str | None = None
    last_state: str | None = None
    _last_t: float = -1.0

    def add(self, a: Attempt) -> None:
        if a.open:
            self.open += 1
            return
        if a.state == "failed":
            self.failed += 1
        elif a.state == "unknown":
            self.unknown += 1
        elif a.state == "cancelled":
            self.cancelled += 1
        else:
            return
        t = _num(a.t_final) or _num(a.t_intent) or 0.0
        if t >= self._last_t:
            self._last_t = t
            self.last_state = a.state
            self.last_reason = str(a.reason) if a.reason is not None else None

    @property
    def empty(self) -> bool:
        return not (self.failed or self.unknown or self.cancelled or self.open)

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "failed": self.failed, "unknown": self.unknown, "cancelled": self.cancelled,
                "open": self.open, "last_state": self.last_state, "last_reason": self.last_reason}


@dataclass
class TargetTakes:
    target: str | None  # None: files in takes/<shot>/ that belong to no target
    kind: str | None  # image | video (None: not a target this film knows)
    in_film: bool  # one of the film's targets
    takes: list[Take] = field(default_factory=list)
    jobs: list[JobAttempts] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "kind": self.kind, "in_film": self.in_film,
                "takes": [t.as_dict() for t in self.takes], "attempts": [j.as_dict() for j in self.jobs]}


@dataclass
class ShotTakes:
    shot: str
    in_film: bool  # False: the ledger knows the shot, film.yaml no longer has it
    section: str | None = None
    duration: float | None = None
    take: str | None = None  # the shot's `take:` as written
    groups: list[TargetTakes] = field(default_factory=list)

    @property
    def takes(self) -> list[Take]:
        return [t for g in self.groups for t in g.takes]

    def as_dict(self) -> dict[str, Any]:
        return {"shot": self.shot, "in_film": self.in_film, "section": self.section,
                "duration": None if self.duration is None else round(self.duration, 3), "take": self.take,
                "targets": [g.as_dict() for g in self.groups]}


@dataclass
class Listing:
    title: str
    shots: list[ShotTakes]
    warnings: list[Diagnostic] = field(default_factory=list)
    checked: bool = False  # --check ran QC on the takes the ledger had not checked

    @property
    def takes(self) -> list[Take]:
        return [t for s in self.shots for t in s.takes]

    def as_dict(self) -> dict[str, Any]:
        return {"film": self.title, "checked": self.checked, "shots": [s.as_dict() for s in self.shots],
                "warnings": [d.as_dict() for d in self.warnings]}


@dataclass(frozen=True)
class ShotInfo:
    """What the listing needs of a shot of the film."""

    id: str
    section: str | None = None
    duration: float | None = None
    take: str | None = None
    need: float | None = None  # seconds of video the edit needs (trim and speed included)
    segments: Mapping[str, int] = field(default_factory=dict)  # video target -> segments the shot is made in


def _num(x: object) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    import datetime as dt

    try:
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def in_folder(path: str) -> bool:
    """A clean relative path that stays inside the folder it is relative to."""
    return not os.path.isabs(path) and path != ".." and not path.startswith("../")


def _plain_name(name: object) -> bool:
    """A shot id or target name usable as one folder name (never a way out of takes/)."""
    return isinstance(name, str) and name not in ("", ".", "..") and not any(c in name for c in "/\\\x00")


def _regular(path: Path) -> bool:
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
            orphans: bool = True) -> tuple[list[ShotTakes], list[Diagnostic]]:
    """The takes of `shots` (in their order), plus shots only the ledger knows when `orphans`.

    `kinds`: every known target -> image|video (None: a target only the ledger names); `film_targets`: the
    film's own, in order; `hashes`: each current job's hash by job id (None: not known, nothing is marked stale).
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
                        job=a.job or None, hash=a.hash or None, attempt=a.attempt, time=_num(a.t_final))
            take.exists = in_folder(path) and _regular(root / path)
            if hashes is not None:
                take.stale = hashes.get(a.job) != a.hash
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
            picked = Take(path, media_kind(path) or "video", "selected", exists=_regular(full), time=_mtime(full))
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
            if name.startswith(".") or not name.lower().endswith(MEDIA_EXTS) or not _regular(here / name):
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
        if _regular(base / name):
            out.append((f"takes/{name}", sid, target))
    return out


# ---------------------------------------------------------------- the film's listing


def film_takes(film: str | Path, *, select: str | None = None, check: bool = False, allow_outside: bool = False,
               workers: int = 4) -> Listing:
    """Compile the film (as `filmc build`, writing nothing) and list its takes; with `check`, QC every take
    the ledger has no result for."""
    from ..compiling import read_cache
    from ..edit.shots import find_image, select_shots  # a term matching no shot: UsageError, did-you-mean
    from ..expand import expand_production
    from ..loading import film_path, resolve_film

    prod = resolve_film(film, allow_outside=allow_outside)
    root = prod.film.root
    chosen = select_shots(prod, select) if select else prod.shots
    plan = expand_production(prod, cache=read_cache(film_path(film).parent / "build"))
    hashes = {j.job: j.hash for j in plan.jobs}
    attempts, warnings = read_attempts(root)
    film_targets = [*prod.film.targets.image, *prod.film.targets.video]
    kinds: dict[str, str | None] = {name: t.kind for name, t in prod.targets.items()}
    for a in attempts.values():  # targets the film no longer knows keep their takes' folder
        if isinstance(a.target, str) and a.target and a.target not in kinds:
            kinds[a.target] = None
    counts: dict[str, dict[str, int]] = {}
    for j in plan.jobs:
        per = counts.setdefault(j.shot, {})
        per[j.target] = max(per.get(j.target, 1), j.segment)
    infos = [replace(shot_info(s), segments=counts.get(s.id, {})) for s in chosen]
    shots, more = collect(root, infos, film_targets=film_targets, kinds=kinds,
                          attempts=attempts, hashes=hashes, orphans=not select)
    warnings += more
    resolved = {s.id: s for s in prod.shots}
    for st in shots:
        rs = resolved.get(st.shot)
        if rs is None:
            continue
        img = find_image(prod, rs)
        if img and not _video_selected(st, root):
            for t in st.takes:
                if t.path == img[1]:
                    t.first_frame = True
    listing = Listing(prod.film.info.title, shots, warnings, check)
    if check:
        run_checks(listing, prod, plan.jobs, workers=workers)
    return listing


def _video_selected(st: ShotTakes, root: Path) -> bool:
    """The shot plays a video take (render then shows no first-frame image)."""
    return bool(st.take and media_kind(st.take) == "video" and _regular(root / st.take))


def shot_info(rs: Any) -> ShotInfo:
    return ShotInfo(rs.id, rs.section.id, rs.duration, rs.shot.take,
                    rs.duration * rs.shot.speed + rs.shot.trim_in)


def expectation(take: Take, need: float | None, aspect: str | None, job: Any = None) -> Any:
    """What a take should be: a runner take what its job asked, any other what its shot needs."""
    from .qc import Expect, expect_for_job

    if job is not None:
        job = job.as_dict() if hasattr(job, "as_dict") else job
        length = job.get("duration")
        needed = min(need, float(length)) if need is not None and length else need
        return expect_for_job(job, take.kind, aspect=aspect, needed=needed)
    return Expect(kind=take.kind, min_duration=need if take.kind == "video" else None, aspect=aspect)


def run_checks(listing: Listing, prod: Any, jobs: Sequence[Any], *, workers: int = 4) -> None:
    """QC (in parallel) every take on disk inside the film's folder that the ledger has no result for."""
    from concurrent.futures import ThreadPoolExecutor

    from .qc import check_take

    root = prod.film.root
    by_job = {j.job: j for j in jobs}
    needs = {s.id: shot_info(s).need for s in prod.shots}
    aspect = prod.film.info.aspect
    todo = [(t, needs.get(st.shot)) for st in listing.shots for t in st.takes
            if t.qc is None and t.exists and in_folder(t.path)]
    if not todo:
        return

    def one(item: tuple[Take, float | None]) -> QC:
        t, need = item
        r = check_take(root / t.path, expectation(t, need, aspect, by_job.get(t.job or "")), display=t.path)
        return QC(r.ok, tuple(f.as_dict() for f in r.findings), "check")

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for (t, _), qc in zip(todo, pool.map(one, todo)):
            t.qc = qc
