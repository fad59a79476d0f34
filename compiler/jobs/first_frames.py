"""First frames of a run's video jobs: the image a job starts (or ends) from, chosen among the takes of the image
job it waits for (or the shot's `take:`), a reference file, or the last frame of the segment it continues; each put
into the request in a form its provider accepts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store.ledger import Attempt, Ledger
from ..store.takes import is_image
from .frames import (
    END_FILE,
    END_JOB,
    JOB,
    LAST_FRAME,
    REF,
    FrameError,
    encode,
    file_image,
    last_frame,
    placeholders,
    substitute,
)

if TYPE_CHECKING:
    from .runner import Outcome


class FrameSteps:
    """The first-frame steps of a job; the Runner holds the state they share."""

    root: Path
    jobs: dict[str, Mapping[str, Any]]
    ledger: Ledger
    first_frames: Mapping[str, list[str]]
    ref_forms: Mapping[str, list[str]]
    end_forms: Mapping[str, list[str]]
    result_ttl: Mapping[str, float | None]
    selected: Mapping[str, str | None]
    chained: dict[str, str]
    ffmpeg: Callable[[], str]
    finished: dict[str, asyncio.Event]
    outcomes: dict[str, Outcome]

    async def _body(self, job: Mapping[str, Any]) -> Any:
        marks = placeholders(job["body"])
        if not marks:
            return job["body"]
        key = f"{job['target']}/{job['provider']}"
        forms = self.first_frames.get(key) or ["url", "data_url"]
        end_forms = self.end_forms.get(key) or forms
        ref_forms = self.ref_forms.get(key) or [f for f in forms if f != "url"]
        values: dict[str, str] = {}
        for mark in marks:
            if mark in values:
                continue
            dep = mark.split(":", 1)[1]
            if mark.startswith((JOB, END_JOB)):
                path, url = await self._image_for(job, dep, end=mark.startswith(END_JOB))
                values[mark] = encode(path, end_forms if mark.startswith(END_JOB) else forms, url)
            elif mark.startswith((REF, END_FILE)):
                values[mark] = file_image(self.root, mark, ref_forms if mark.startswith(REF) else end_forms)
            elif mark.startswith(LAST_FRAME):
                video = await self._take_of(dep, str(job["job"]))
                png = await asyncio.to_thread(last_frame, video, self.ffmpeg())
                try:
                    values[mark] = encode(png, [f for f in forms if f != "url"] or forms, None)
                finally:
                    for p in (png, png.parent):
                        try:
                            p.unlink() if p.is_file() else p.rmdir()
                        except OSError:
                            pass
        return substitute(job["body"], lambda m: values[m])

    async def _wait(self, dep: str) -> Mapping[str, Any] | None:
        if dep in self.finished:
            await self.finished[dep].wait()
            return self.jobs[dep]
        return None

    async def _image_for(self, job: Mapping[str, Any], dep: str, end: bool = False) -> tuple[Path, str | None]:
        """The shot's chosen image (`take:`), else the newest good take of the image job's current prompt. `end`:
        the image job is another shot's (an end frame joining to the next shot's first frame)."""
        shot = str(self.jobs[dep]["shot"]) if dep in self.jobs else dep.rsplit(".", 1)[0] if end else str(job["shot"])
        chosen = self.selected.get(shot)
        if chosen and is_image(chosen) and (self.root / chosen).is_file():
            return self.root / chosen, None
        dep_job = await self._wait(dep)
        cands = [a for a in self.ledger.attempts.values() if a.job == dep and a.good and a.path
                 and (dep_job is None or a.hash == dep_job["hash"]) and (self.root / a.path).is_file()]
        if not cands:
            why = self.outcomes.get(dep)
            detail = f" ({why.state}: {why.reason})" if why and why.reason else ""
            raise FrameError(f"no {'end' if end else 'first'} frame: the image job {dep} has no take{detail}")
        a = max(cands, key=lambda x: (x.t_final or 0, x.take))
        assert a.path is not None  # every candidate has one
        url = None
        ttl = self.result_ttl.get(f"{a.target}/{a.provider}")
        if a.urls and ttl and a.t_result and time.time() - a.t_result < ttl * 0.8:
            url = a.urls[0] if a.urls[0].startswith("https://") else None
        return self.root / a.path, url

    async def _take_of(self, dep: str, job: str) -> Path:
        """The take of segment `dep` that segment `job` continues (noted, so the ledger records it)."""
        dep_job = await self._wait(dep)
        cands = [a for a in self.ledger.attempts.values() if a.job == dep and a.good and a.path
                 and (dep_job is None or a.hash == dep_job["hash"]) and (self.root / a.path).is_file()]
        if not cands:
            raise FrameError(f"no last frame: the segment {dep} has no take")
        pick = self._continued(dep, cands)
        assert pick.path is not None  # every candidate has one
        self.chained[job] = pick.attempt
        return self.root / pick.path

    def _continued(self, dep: str, cands: list[Attempt]) -> Attempt:
        """Which take of segment job `dep` the next segment starts from: the one the edit plays. Segment 1: the shot's
        `take:` when it is one of them; a later segment: the take made from the one its own segment started from
        (the chain the edit follows); else the newest."""
        from ..output_names import job_id
        from ..store.attempts import clean_path
        from ..store.segment_takes import segment_of

        def newest(xs: list[Attempt]) -> Attempt:
            return max(xs, key=lambda x: (x.t_final or 0, x.take))

        first = cands[0]
        n = segment_of(first)
        if n == 1:
            chosen = clean_path(self.selected.get(first.shot))
            return next((a for a in cands if clean_path(a.path) == chosen), None) or newest(cands)
        before = self.chained.get(dep)
        if before is None and n > 1:  # made by an earlier run: follow the chain from segment 1
            prev = job_id(first.shot, first.target, n - 1)
            prev_cands = [a for a in self.ledger.attempts.values() if a.job == prev and a.good and a.path
                          and (self.root / a.path).is_file()]
            before = self._continued(prev, prev_cands).attempt if prev_cands else None
        return newest([a for a in cands if before and a.chained_from == before] or cands)
