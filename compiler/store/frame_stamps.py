"""The images a video job takes from other jobs' takes, and the one rule by which its takes count as done.

A video job may start from a take of another job: `@job:<shot>.<image target>` (its shot's first frame, the image
job's take), `@end-frame:<job>` (an end frame: another shot's image take) or `@last-frame:<job>` (the last frame of
the take of the segment before). Its job hash names those jobs, not the images, so a new image take leaves the
hash as it was. The runner therefore records, in each create's `intent`, the sha256 of every such image it sends
(`made_from`: placeholder -> digest; for `@last-frame:` the digest of the video take the frame is cut from).

The rule (`accepted`, `frame_change`, `standing`): a take counts for its job while each image it was made from is
still acceptable: a first or end frame, the shot's image `take:` when it has one, else any good take of the image
job's current prompt (the film's, whatever a run sends: an extra take of the same prompt leaves the clips made from
an earlier one as they are); the segment before, any of its good takes that count. An attempt without the record
(made before filmc recorded it) counts; a shot whose `take:` is a video holds its video jobs as they are (`held`).
A job whose takes do not count and whose image has no take that counts, made by no job of the run, waits
(`waits_for`: nothing is sent). The planner (`filmc run --dry-run`), the run itself, `filmc takes` and the board all
decide with these functions.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .takes import is_image

if TYPE_CHECKING:  # the ledger (asyncio) loads only where it is read
    from .ledger import Attempt

JOB, LAST_FRAME, END_JOB = "@job:", "@last-frame:", "@end-frame:"
FROM_TAKES = (JOB, END_JOB, LAST_FRAME)  # the placeholders whose image comes from a take


@dataclass(frozen=True, slots=True)
class Pick:
    """The image (or, for `@last-frame:`, the video take) a placeholder stands for now."""

    path: Path
    digest: str
    attempt: Attempt | None = None  # the ledger's attempt that made it (None: the shot's `take:` file)


def marks_in(body: Any, prefixes: tuple[str, ...]) -> list[str]:
    """Every string of a job's body (JSON data) that starts with one of `prefixes` (its placeholders), in order."""
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if v.startswith(prefixes):
                out.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(body)
    return out


def take_marks(body: Any) -> list[str]:
    """The placeholders of a job's body whose image comes from a take, each once, in order."""
    return list(dict.fromkeys(marks_in(body, FROM_TAKES)))


def dependency(mark: str) -> str:
    """The job a placeholder's image comes from."""
    return mark.split(":", 1)[1]


def by_job(attempts: Iterable[Attempt]) -> dict[str, list[Attempt]]:
    """The attempts of each job, in the order they began."""
    out: dict[str, list[Attempt]] = {}
    for a in attempts:
        out.setdefault(a.job, []).append(a)
    return out


def frame_shot(job: Mapping[str, Any], mark: str, jobs: Mapping[str, Mapping[str, Any]]) -> str:
    """The shot whose `take:` may stand for an `@job:` or `@end-frame:` image (an end frame: the other shot's)."""
    dep = dependency(mark)
    if dep in jobs:
        return str(jobs[dep]["shot"])
    return dep.rsplit(".", 1)[0] if mark.startswith(END_JOB) else str(job["shot"])


def chosen_image(root: Path, selected: Mapping[str, str | None], shot: str) -> Path | None:
    """The shot's `take:` when it is an image on disk: it is the shot's first frame whatever the image job made."""
    chosen = selected.get(shot)
    if chosen and is_image(chosen) and (root / chosen).is_file():
        return root / chosen
    return None


def good_takes(root: Path, attempts: Iterable[Attempt], dep_hash: str | None) -> list[Attempt]:
    """The good takes of a job's current prompt (`dep_hash`; None: a job the film no longer has, any prompt's) whose
    file is there."""
    return [a for a in attempts if a.good and a.path and (dep_hash is None or a.hash == dep_hash)
            and (root / a.path).is_file()]


def _newest(takes: Iterable[Attempt]) -> Attempt:
    return max(takes, key=lambda x: (x.t_final or 0, x.take))


def image_take(root: Path, attempts: Sequence[Attempt], dep_hash: str | None) -> Attempt | None:
    """The image job's take a new video create starts from: the newest good one of its current prompt."""
    cands = good_takes(root, attempts, dep_hash)
    return _newest(cands) if cands else None


def segment_take(root: Path, index: Mapping[str, Sequence[Attempt]], dep: str, dep_hash: str | None,
                 selected: Mapping[str, str | None], chained: Mapping[str, str],
                 valid: Collection[str] | None = None) -> Attempt | None:
    """The take of segment job `dep` the next segment starts from (its last frame): the one the edit plays, among
    those that count (`valid`: their digests; None: any). Segment 1: the shot's `take:` when it is one of them; a
    later segment: the take made from the one its own segment started from (`chained`: a segment job of this run ->
    the attempt it continued; else the chain the ledger records from segment 1); else the newest."""
    cands = [a for a in good_takes(root, index.get(dep, ()), dep_hash)
             if valid is None or digest(root / str(a.path), a) in valid]
    return _continued(root, index, dep, cands, selected, chained) if cands else None


def _continued(root: Path, index: Mapping[str, Sequence[Attempt]], dep: str, cands: list[Attempt],
               selected: Mapping[str, str | None], chained: Mapping[str, str]) -> Attempt:
    from ..output_names import job_id
    from .attempts import clean_path
    from .segment_takes import segment_of

    first = cands[0]
    n = segment_of(first)
    if n == 1:
        chosen = clean_path(selected.get(first.shot))
        return next((a for a in cands if clean_path(a.path) == chosen), None) or _newest(cands)
    before = chained.get(dep)
    if before is None and n > 1:  # made by an earlier run: follow the chain from segment 1
        prev = job_id(first.shot, first.target, n - 1)
        prev_cands = [a for a in index.get(prev, ()) if a.good and a.path and (root / a.path).is_file()]
        before = _continued(root, index, prev, prev_cands, selected, chained).attempt if prev_cands else None
    return _newest([a for a in cands if before and a.chained_from == before] or cands)


def picks(root: Path, job: Mapping[str, Any], jobs: Mapping[str, Mapping[str, Any]],
          index: Mapping[str, Sequence[Attempt]], selected: Mapping[str, str | None], *,
          chained: Mapping[str, str] | None = None,
          ok: Mapping[str, frozenset[str] | None] | None = None) -> dict[str, Pick | None]:
    """The image each take placeholder of `job` is sent with by a new create: the shot's image `take:`, else the
    newest good take of the image job's current prompt; for `@last-frame:` the take of the segment before that the
    edit plays, among those that count. None: there is no take to start from. `jobs`: every job of the film by id
    (whatever this run sends), for the current prompt of each; `ok`: `accepted` for the job, when known already."""
    out: dict[str, Pick | None] = {}
    for mark in take_marks(job.get("body")):
        dep = dependency(mark)
        dep_hash = str(jobs[dep]["hash"]) if dep in jobs else None
        if mark.startswith(LAST_FRAME):
            if ok is None:
                ok = accepted(root, job, jobs, index, selected)
            a = segment_take(root, index, dep, dep_hash, selected, chained or {}, ok.get(mark))
        else:
            fixed = chosen_image(root, selected, frame_shot(job, mark, jobs))
            if fixed is not None:
                out[mark] = Pick(fixed, digest(fixed, _made(index, dep, root, fixed)))
                continue
            a = image_take(root, index.get(dep, ()), dep_hash)
        out[mark] = None if a is None or a.path is None else Pick(root / a.path, digest(root / a.path, a), a)
    return out


def accepted(root: Path, job: Mapping[str, Any], jobs: Mapping[str, Mapping[str, Any]],
             index: Mapping[str, Sequence[Attempt]], selected: Mapping[str, str | None]) -> dict[str, frozenset[str] | None]:
    """The images a take of `job` may have been made from and still count, by placeholder: their digests (None: any).

    A first or end frame: the shot's image `take:` when it has one, else any good take of the image job's current
    prompt (an extra take of the same prompt leaves the clips made from an earlier one as they are). The segment
    before: any of its good takes that count themselves. `jobs`: every job of the film by id, so the answer is the
    same whatever a run selects."""
    out: dict[str, frozenset[str] | None] = {}
    for mark in take_marks(job.get("body")):
        dep = dependency(mark)
        dep_job = jobs.get(dep)
        dep_hash = str(dep_job["hash"]) if dep_job is not None else None
        if mark.startswith(LAST_FRAME):
            before = accepted(root, dep_job, jobs, index, selected) if dep_job is not None else {}
            out[mark] = frozenset(d for a in good_takes(root, index.get(dep, ()), dep_hash)
                                  if frame_change(a, before) is None and (d := digest(root / str(a.path), a)))
            continue
        fixed = chosen_image(root, selected, frame_shot(job, mark, jobs))
        if fixed is not None:  # (a file that cannot be read: nothing to compare, as with a take made before records)
            d = digest(fixed, _made(index, dep, root, fixed))
            out[mark] = frozenset((d,)) if d else None
            continue
        out[mark] = frozenset(d for a in good_takes(root, index.get(dep, ()), dep_hash)
                              if (d := digest(root / str(a.path), a)))
    return out


def held(root: Path, selected: Mapping[str, str | None], shot: str) -> bool:
    """The shot's `take:` is a video on disk: the edit plays it, so its video jobs are not made again for an image
    that changed (their takes count whatever they were made from)."""
    chosen = selected.get(shot)
    return bool(chosen) and not is_image(str(chosen)) and (root / str(chosen)).is_file()


def waits_for(ok: Mapping[str, frozenset[str] | None], remade: Collection[str]) -> str | None:
    """The placeholder whose image does not exist (no take counts) and is not made in this run (`remade`: the jobs
    this run makes takes of): a new create has nothing to start from, so nothing is sent. None: none such."""
    return next((m for m, s in ok.items() if s is not None and not s and dependency(m) not in remade), None)


def waiting_text(mark: str) -> str:
    """Why a job is not sent, in a creator's words (`waits_for`'s placeholder)."""
    dep = dependency(mark)
    if mark.startswith(LAST_FRAME):
        return f"waits for the segment before it: {dep} has no take to continue from"
    what = "end" if mark.startswith(END_JOB) else "first"
    return f"waits for its {what} frame: the image job {dep} has no take of its current prompt"


def _made(index: Mapping[str, Sequence[Attempt]], dep: str, root: Path, path: Path) -> Attempt | None:
    """The attempt of `dep` that downloaded `path` (a `take:` the runner made), for its recorded digest."""
    from .attempts import clean_path

    want = clean_path(os.path.relpath(path, root))
    return next((a for a in index.get(dep, ()) if a.produced and clean_path(a.path) == want), None)


_digests: dict[tuple[str, int, int], str] = {}


def digest(path: Path, made: Attempt | None = None) -> str:
    """The sha256 of a take's file: the ledger's, recorded when it was downloaded, while the file keeps that size;
    else read from the file (remembered per file, size and modification time)."""
    try:
        st = os.stat(path)
    except OSError:
        return ""
    if made is not None and made.sha256 and made.bytes == st.st_size:
        return made.sha256
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    if key not in _digests:
        h = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError:  # a folder in its place, a file that cannot be read: no digest (nothing to compare)
            return ""
        _digests[key] = h.hexdigest()
    return _digests[key]


_WHAT = {JOB: "first frame", END_JOB: "end frame", LAST_FRAME: "the segment before it"}


def frame_change(a: Attempt, ok: Mapping[str, Collection[str] | None], remade: Collection[str] = ()) -> str | None:
    """Why `a`'s take no longer counts for its job, in a creator's words; None while it counts: every image it was
    made from is one `accepted` takes (an attempt without the record, or an image it was not sent with, counts).
    `remade`: the jobs this run makes takes of (the words say the image is made again)."""
    for mark, was in sorted(a.made_from.items()):
        good = ok.get(mark)
        if good is None or was in good:
            continue
        what = next(v for k, v in _WHAT.items() if mark.startswith(k))
        again = dependency(mark) in remade and not good  # (no take of it counts yet: this run makes the first)
        if mark.startswith(LAST_FRAME):
            return f"{what} is made again in this run" if again else \
                f"{what} has another take since this one was made"
        return f"its {what} is made again in this run" if again else \
            f"its {what} changed since the take was made"
    return None


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a job stands: good takes and tasks still at the provider that count, and why others do not."""

    good: int
    open: int
    why: str | None = None  # why a good take or an open task of the current prompt no longer counts


def standing(attempts: Iterable[Attempt], ok: Mapping[str, Collection[str] | None], *, remade: Collection[str] = (),
             hold: bool = False) -> Standing:
    """The takes of a job's current prompt (`attempts`) that count, by the rule (`frame_change` against `accepted`);
    `hold` (`held`: the shot's `take:` is a video): every take counts."""
    good = still = 0
    why = None
    for a in attempts:
        if not (a.good or a.open and a.state != "intent"):
            continue
        change = None if hold else frame_change(a, ok, remade)
        if change is not None:
            why = why or change
            continue
        if a.good:
            good += 1
        else:
            still += 1
    return Standing(good, still, why)


def current_frames(root: Path, jobs: Iterable[Mapping[str, Any]], attempts: Mapping[str, Attempt],
                   selected: Mapping[str, str | None]) -> dict[str, dict[str, frozenset[str] | None]]:
    """The images a take of each job that takes images from takes may have been made from and still count
    (`accepted`), as things are on disk and in the ledger: job -> placeholder -> digests. `jobs`: the film's."""
    listed = list(jobs)
    by_name = {str(j["job"]): j for j in listed}
    index = by_job(attempts.values())
    return {str(j["job"]): accepted(root, j, by_name, index, selected) for j in listed if take_marks(j.get("body"))}
