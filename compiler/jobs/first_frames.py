"""First frames of a run's video jobs: the image a job starts (or ends) from, chosen among the takes of the image
job it waits for (or the shot's `take:`), a reference file, or the last frame of the segment it continues; each put
into the request in a form its provider accepts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store.frame_stamps import (
    Pick,
    accepted,
    by_job,
    chosen_image,
    dependency,
    frame_shot,
    picks,
    take_marks,
    waiting_text,
)
from ..store.ledger import Ledger
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
    film_jobs: Mapping[str, Mapping[str, Any]]
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

    async def _frames(self, job: Mapping[str, Any]) -> tuple[dict[str, Pick | None], dict[str, frozenset[str] | None]]:
        """Once the jobs of this run that make them are done (a shot's image `take:` is not waited for): the image
        each placeholder of the job that takes an image from a take is sent with, and the images its takes may have
        been made from and still count (frame_stamps.accepted), both from one reading of the ledger."""
        marks = take_marks(job["body"])
        for mark in marks:
            if mark.startswith(LAST_FRAME) or chosen_image(self.root, self.selected,
                                                           frame_shot(job, mark, self.film_jobs)) is None:
                await self._wait(dependency(mark))
        if not marks:
            return {}, {}
        index = by_job(self.ledger.attempts.values())
        ok = accepted(self.root, job, self.film_jobs, index, self.selected)
        return picks(self.root, job, self.film_jobs, index, self.selected, chained=self.chained, ok=ok), ok

    async def _body(self, job: Mapping[str, Any], found: Mapping[str, Pick | None]) -> tuple[Any, dict[str, str]]:
        """The request as it leaves, and the digest of each image from a take it carries (for the intent)."""
        marks = placeholders(job["body"])
        if not marks:
            return job["body"], {}
        key = f"{job['target']}/{job['provider']}"
        forms = self.first_frames.get(key) or ["url", "data_url"]
        end_forms = self.end_forms.get(key) or forms
        ref_forms = self.ref_forms.get(key) or [f for f in forms if f != "url"]
        values: dict[str, str] = {}
        digests: dict[str, str] = {}
        for mark in marks:
            if mark in values:
                continue
            dep = mark.split(":", 1)[1]
            if mark.startswith((REF, END_FILE)):
                values[mark] = file_image(self.root, mark, ref_forms if mark.startswith(REF) else end_forms)
                continue
            pick = found.get(mark)
            if not isinstance(pick, Pick):
                raise FrameError(self._no_frame(mark, dep))
            digests[mark] = pick.digest
            if mark.startswith((JOB, END_JOB)):
                values[mark] = encode(pick.path, end_forms if mark.startswith(END_JOB) else forms, self._url(pick))
            elif mark.startswith(LAST_FRAME):
                if pick.attempt is not None:
                    self.chained[str(job["job"])] = pick.attempt.attempt
                png = await asyncio.to_thread(last_frame, pick.path, self.ffmpeg())
                try:
                    values[mark] = encode(png, [f for f in forms if f != "url"] or forms, None)
                finally:
                    for p in (png, png.parent):
                        try:
                            p.unlink() if p.is_file() else p.rmdir()
                        except OSError:
                            pass
        return substitute(job["body"], lambda m: values[m]), digests

    async def _wait(self, dep: str) -> Mapping[str, Any] | None:
        if dep in self.finished:
            await self.finished[dep].wait()
            return self.jobs[dep]
        return None

    def _no_frame(self, mark: str, dep: str) -> str:
        """frame_stamps.waiting_text, with what became of the job that was to make the image in this run."""
        why = self.outcomes.get(dep)
        return waiting_text(mark) + (f" ({why.state}: {why.reason})" if why and why.reason
                                     and not mark.startswith(LAST_FRAME) else "")

    def _url(self, pick: Pick) -> str | None:
        """The provider's URL of an image take while it is still valid (a shot's `take:` file has none)."""
        a = pick.attempt
        if a is None:
            return None
        ttl = self.result_ttl.get(f"{a.target}/{a.provider}")
        if a.urls and ttl and a.t_result and time.time() - a.t_result < ttl * 0.8:
            return a.urls[0] if a.urls[0].startswith("https://") else None
        return None
