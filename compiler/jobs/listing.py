"""`filmc takes`: every take of a film, per shot and target, from the ledger and from the disk.

Three kinds of take are found:
- *runner* takes: attempts of `filmc run` the ledger says were downloaded (`takes/<shot>/<target>/<n>.<ext>`),
  with their provider, model, job hash and quality checks;
- *dropped* takes: media files a creator put under `takes/<shot>/` (from a web app, say), at any depth; a file
  in `takes/<shot>/<target>/` belongs to that target and, named `<n>.<ext>`, has that number;
- *flat* takes: the older names render reads, `takes/<shot>.<ext>` and `takes/<shot>.<target>.<ext>`.

Each take is marked when it is the shot's `take:`, when it is the first frame render uses, when it was made
from an older prompt (its job's hash is not the job's hash now), when it was made from an older first frame (or
end frame, or take of the segment before: the rule `filmc run` decides by, store/frame_stamps.py), and when the
ledger says it was downloaded but the file is gone. Attempts that made no take are counted per job (failed, unknown, cancelled, still open)
with the last reason given.

Here: a film's listing and the checks of its takes; what is listed is takes_model.py, how takes are found in
the ledger and on the disk takes_scan.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..store.attempts import read_attempts
from ..store.frame_stamps import current_frames
from .takes_model import QC, Listing, ShotInfo, ShotTakes, Take, media_kind
from .takes_scan import collect, in_folder, regular


def film_takes(film: str | Path, *, select: str | None = None, check: bool = False, allow_outside: bool = False,
               workers: int = 4) -> Listing:
    """Compile the film (as `filmc build`, writing nothing) and list its takes; with `check`, QC every take
    the ledger has no result for."""
    from ..build_cache import read_cache
    from ..edit.shots import find_image, select_shots  # a term matching no shot: UsageError, did-you-mean
    from ..expand import expand_production
    from ..loading import film_path, resolve_film
    from ..paths import build_folder

    prod = resolve_film(film, allow_outside=allow_outside)
    root = prod.film.root
    chosen = select_shots(prod, select, option=None) if select else prod.shots
    plan = expand_production(prod, cache=read_cache(build_folder(film_path(film).parent)))
    hashes = plan.jobs.hashes()
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
    frames = current_frames(root, [j.as_dict() for j in plan.jobs], attempts,
                            {s.id: s.shot.take for s in prod.shots})
    shots, more = collect(root, infos, film_targets=film_targets, kinds=kinds,
                          attempts=attempts, hashes=hashes, frames=frames, orphans=not select)
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
    return bool(st.take and media_kind(st.take) == "video" and regular(root / st.take))


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
