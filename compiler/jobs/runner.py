"""The run: jobs go to their providers, tasks are polled, results land in takes/; the ledger records each step.

Guarantees (the ledger makes them hold across crashes):
- a create is recorded (`intent`) before it leaves and its task id (`submitted`) before any polling;
- a create whose outcome is unknown is never sent again without the creator's word (`resubmit_unknown`);
- only errors that cannot have made a task are retried (connection refused, 429, documented "not created");
- a task the provider failed or moderated is not retried in the same run;
- results are streamed to a temp file, checked (size, non-empty) and renamed into place, then recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from ..plurals import plural
from ..store.frame_stamps import held, standing
from ..store.ledger import Attempt, Ledger, new_attempt
from ..store.takes import next_number, rel
from .first_frames import FrameSteps
from .frames import FrameError
from .providers.base import Submitted
from .providers.http import HttpProvider
from .task import Stop, TaskSteps, sweep_parts


class Reporter(Protocol):
    def job(self, job: str, target: str, state: str, detail: str = "") -> None: ...
    def line(self, text: str) -> None: ...


@dataclass
class RunOptions:
    takes: int = 1
    max_cost: float | None = None
    concurrency: int | None = None
    resubmit_unknown: bool = False
    max_creates: int | None = None  # never more creates than the creator confirmed
    task_timeout: float = 6 * 3600.0  # a task still running after this is left for the next run
    poll_interval: float | None = None
    qc: Callable[[Path, Mapping[str, Any]], dict[str, Any]] | None = None  # (take, job) -> the `qc` event


@dataclass
class Outcome:
    job: str
    target: str
    state: str  # done | failed | unknown | skipped | stopped | waiting
    takes: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass
class RunResult:
    outcomes: dict[str, Outcome]
    spent: dict[str, float]  # currency -> amount recorded as spent in this run
    submitted: int = 0
    unpriced: int = 0  # generations made whose price is not known

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.state == state)


@dataclass
class Charge:
    amount: float
    currency: str


class Runner(FrameSteps, TaskSteps):
    def __init__(self, root: Path, jobs: Sequence[Mapping[str, Any]], providers: Mapping[str, HttpProvider],
                 ledger: Ledger, options: RunOptions, reporter: Reporter, *,
                 kinds: Mapping[str, str], first_frames: Mapping[str, list[str]],
                 result_ttl: Mapping[str, float | None], selected: Mapping[str, str | None],
                 price: Callable[[Mapping[str, Any]], Charge | None], ffmpeg: Callable[[], str],
                 ref_forms: Mapping[str, list[str]] | None = None, end_forms: Mapping[str, list[str]] | None = None,
                 film_jobs: Mapping[str, Mapping[str, Any]] | None = None):
        self.root = root
        self.jobs = {str(j["job"]): j for j in jobs}
        self.film_jobs = film_jobs or self.jobs  # every job of the film by id: the current prompt of each
        self.providers = providers  # "<target>/<provider>" -> adapter
        self.ledger = ledger
        self.opt = options
        self.ui = reporter
        self.kinds = kinds  # target -> image | video
        self.first_frames = first_frames  # "<target>/<provider>" -> accepted forms
        self.ref_forms = ref_forms or {}  # "<target>/<provider>" -> forms of a reference image
        self.end_forms = end_forms or {}  # "<target>/<provider>" -> forms of an end frame
        self.result_ttl = result_ttl  # "<target>/<provider>" -> seconds a result URL stays valid
        self.selected = selected  # shot -> the film's `take:` (relative path) or None
        self.chained: dict[str, str] = {}  # a later segment's job -> the attempt whose take it continues
        self.price = price
        self.ffmpeg = ffmpeg
        self.finished: dict[str, asyncio.Event] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.sems: dict[str, asyncio.Semaphore] = {}
        self.lock = asyncio.Lock()
        self.spent: dict[str, float] = {}
        self.unpriced = 0
        self.creates = 0  # creates begun by this run
        self.in_flight: dict[str, tuple[str, float]] = {}  # attempt -> (currency, what it will cost)
        self.dead: dict[str, str] = {}  # provider key -> why every job of it stops
        self.stopped: str | None = None
        self.submitted = 0

    # -- the run ----------------------------------------------------------------------------------------------------
    async def run(self) -> RunResult:
        sweep_parts(self.root)
        for key, p in self.providers.items():
            cap = self.opt.concurrency or p.max_concurrency
            self.sems.setdefault(key.split("/", 1)[1], asyncio.Semaphore(max(1, cap)))
        self.finished = {j: asyncio.Event() for j in self.jobs}
        transport = httpx.AsyncHTTPTransport(retries=0)  # never let the client resend a create on its own
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        async with httpx.AsyncClient(transport=transport, limits=limits, follow_redirects=False) as client:
            tasks = [asyncio.create_task(self._job(client, j), name=name) for name, j in self.jobs.items()]
            try:
                await asyncio.gather(*tasks)
            finally:
                for t in tasks:
                    if not t.cancelling():  # (one stopped already may be waiting for a create's answer)
                        t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        return RunResult(self.outcomes, dict(self.spent), self.submitted, self.unpriced)

    def _attempts(self, job: Mapping[str, Any]) -> list[Attempt]:
        """The attempts of the job's current prompt."""
        return [a for a in self.ledger.attempts.values() if a.job == job["job"] and a.hash == job["hash"]]

    def _all_attempts(self, job: Mapping[str, Any]) -> list[Attempt]:
        return [a for a in self.ledger.attempts.values() if a.job == job["job"]]

    def _finish(self, job: Mapping[str, Any], state: str, reason: str | None = None) -> None:
        takes = [a.path for a in self._attempts(job) if a.good and a.path]
        self.outcomes[job["job"]] = Outcome(job["job"], job["target"], state, takes, reason)
        self.ui.job(job["job"], job["target"], state, reason or (takes[-1] if takes else ""))
        self.finished[job["job"]].set()

    async def _job(self, client: httpx.AsyncClient, job: Mapping[str, Any]) -> None:
        try:
            await self._job_inner(client, job)
        except asyncio.CancelledError:
            self.outcomes.setdefault(job["job"], Outcome(job["job"], job["target"], "stopped", [], "interrupted"))
            raise
        except Stop as e:
            self._finish(job, "stopped", str(e))
        finally:
            self.finished[job["job"]].set()

    async def _job_inner(self, client: httpx.AsyncClient, job: Mapping[str, Any]) -> None:
        key = f"{job['target']}/{job['provider']}"
        provider = self.providers[key]
        # 1. What earlier runs left open: polled and collected, never sent again.
        resumed = []
        for a in self._all_attempts(job):  # an older prompt's open task is collected too: it was paid for
            if a.state == "intent":
                self.ledger.record("unknown", a.attempt, reason="the run stopped before the provider answered the "
                                   "create; the task may exist")
            elif a.open:
                price = self.price(job)
                if price is not None:
                    self.in_flight[a.attempt] = (price.currency, price.amount)
                resumed.append(asyncio.create_task(self._resume(client, job, provider, a)))
            elif a.state == "downloaded" and a.qc_ok is None and a.path and self.opt.qc is not None:
                resumed.append(asyncio.create_task(self._check(job, a.attempt, self.root / a.path)))  # cut short
        if resumed:
            self.ui.job(job["job"], job["target"], "running", f"resuming {plural(len(resumed), 'task')}")
            await asyncio.gather(*resumed)
        attempts = self._attempts(job)
        unknown = [a for a in attempts if a.state == "unknown"]
        if unknown and self.opt.resubmit_unknown:
            for a in unknown:
                self.ledger.record("resolved", a.attempt, reason="outcome unknown; sent again on request")
            unknown = []
        # 2. The images it takes from other jobs' takes (video jobs): once those jobs are done, the takes made from
        # images that no longer count do not count either (frame_stamps: the rule the dry run shows).
        found, ok = await self._frames(job)
        hold = held(self.root, self.selected, str(job["shot"]))
        now = standing(self._attempts(job), ok, hold=hold)
        need = self.opt.takes - now.good - now.open  # open: at the provider still, never sent again
        if need <= 0:
            if now.good >= self.opt.takes:
                return self._finish(job, "done", "had its takes already" if not resumed else None)
            return self._finish(job, "waiting", "still running at the provider, or its result not fetched yet: run "
                                "again to collect it")
        if unknown:
            return self._finish(job, "unknown", f"{plural(len(unknown), 'create')} of unknown outcome: check the provider's "
                                "dashboard, then 'filmc run --resubmit-unknown' to send again")
        failed_now = [a for a in self._attempts(job) if a.state == "failed" and a.stage != "resolved"
                      and a.t_final and a.t_final >= self.t0]
        if failed_now:
            return self._finish(job, "failed", failed_now[-1].reason)
        # 3. The request, its images in the form the provider takes.
        try:
            body, frames = await self._body(job, found)
        except FrameError as e:
            return self._finish(job, "skipped", str(e))
        # 4. New attempts, each a create that is recorded (with the images it starts from) before it leaves.
        results = await asyncio.gather(*(self._attempt(client, job, provider, body, frames) for _ in range(need)),
                                       return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        for r in errors:
            if isinstance(r, (asyncio.CancelledError, KeyboardInterrupt)):
                raise r
        stops = [r for r in errors if isinstance(r, Stop)]
        others = [r for r in errors if not isinstance(r, Stop)]
        if others:
            raise others[0]
        attempts = self._attempts(job)
        if standing(attempts, ok, hold=hold).good >= self.opt.takes:  # (a take from older images does not count)
            return self._finish(job, "done")
        last = [a for a in attempts if a.t_intent and a.t_intent >= self.t0]
        if any(a.state == "unknown" for a in last):
            return self._finish(job, "unknown", next(a.reason for a in last if a.state == "unknown"))
        if stops and not any(a.state == "failed" for a in last):
            return self._finish(job, "stopped", str(stops[0]))
        if any(a.open for a in last):
            return self._finish(job, "waiting", "still running at the provider: run again to collect it")
        reasons = [a.reason for a in last if a.reason] or [str(s) for s in stops]
        return self._finish(job, "failed", reasons[-1] if reasons else "no take")

    t0: float = 0.0
    stopped_by: int | None = None  # the signal that stopped the run (see run._main)

    # -- one attempt ----------------------------------------------------------------------------------------------------
    async def _attempt(self, client: httpx.AsyncClient, job: Mapping[str, Any], provider: HttpProvider,
                       body: Any, frames: Mapping[str, str]) -> None:
        key = f"{job['target']}/{job['provider']}"
        sem = self.sems[job["provider"]]
        async with sem:
            if key in self.dead:
                raise Stop(self.dead[key])
            price = self.price(job)
            if self.opt.max_cost is not None and price is None:  # what cannot be priced cannot be kept under a cap
                raise Stop(f"no known price for {job['target']} on {job['provider']}: not sent under --max-cost "
                           "(run it without a cap, or add a price to the target)")
            if self.stopped:
                raise Stop(self.stopped)
            attempt = new_attempt()
            async with self.lock:
                if self.opt.max_creates is not None and self.creates >= self.opt.max_creates:
                    raise Stop("more creates than were confirmed before the run: run again to send them")
                estimate = price.amount if price else None
                if self.opt.max_cost is not None and price is not None:
                    cur = price.currency
                    committed = self.spent.get(cur, 0.0) + sum(v for c, v in self.in_flight.values() if c == cur)
                    if committed + price.amount > self.opt.max_cost + 1e-9:
                        self.stopped = (f"the cost cap ({self.opt.max_cost:g} {cur}) would be passed: "
                                        f"{committed:.2f} {cur} spent or in flight, this job {price.amount:.2f}")
                        raise Stop(self.stopped)
                n = next_number(self.root, str(job["shot"]), str(job["target"]), self.ledger.attempts)
                self.ledger.record("intent", attempt, job=job["job"], shot=job["shot"], target=job["target"],
                                   provider=job["provider"], hash=job["hash"], model=job.get("model"), take=n,
                                   estimate=estimate, currency=price.currency if price else None,
                                   prompt=_prompt_text(job["body"]), params=_elide(body), sync=False,
                                   **({"chained_from": self.chained[job["job"]]} if job["job"] in self.chained else {}),
                                   **({"made_from": dict(frames)} if frames else {}))
                if price is not None:
                    self.in_flight[attempt] = (price.currency, price.amount)
                self.creates += 1
            try:
                await self.ledger.flush()  # the intent is on disk before the create leaves
            except asyncio.CancelledError:  # stopped before the create left: nothing was sent
                self._made_nothing(attempt, "the run stopped before the create was sent")
                self._settle(attempt)
                raise
            self.ui.job(job["job"], job["target"], "sending")
            final: Path | None = None
            try:
                sub = await self._create(client, job, provider, attempt, body)
                if sub is None:
                    return
                self.submitted += 1
                self.ui.job(job["job"], job["target"], "sent", "the provider has it")
                final = await self._collect(client, job, provider, attempt, sub)
            finally:
                self._settle(attempt)
        if final is not None:  # the provider's slot is free again while the take is checked
            await self._check(job, attempt, final)

    async def _resume(self, client: httpx.AsyncClient, job: Mapping[str, Any], provider: HttpProvider,
                      a: Attempt) -> None:
        """A task an earlier run sent: it is in flight at the provider, so it takes a slot while it is collected."""
        async with self.sems[job["provider"]]:
            try:
                final = await self._collect(client, job, provider, a.attempt, Submitted(a.task_id or "", a.extra),
                                            resume=a)
            finally:
                self._settle(a.attempt)
        if final is not None:
            await self._check(job, a.attempt, final)

    def _settle(self, attempt: str) -> None:
        """An attempt's estimate stops counting against the cap only when its cost is known: downloaded (then it is
        spent) or refused unbilled. Still running, unknown or billed without a take, it stays committed."""
        a = self.ledger.attempts.get(attempt)
        if a is not None and (a.state == "downloaded" or a.state == "failed" and a.billed is False):
            self.in_flight.pop(attempt, None)

    async def _check(self, job: Mapping[str, Any], attempt: str, final: Path) -> None:
        if self.opt.qc is None:
            return
        self.ui.job(job["job"], job["target"], "checking", "")
        event = await asyncio.to_thread(self.opt.qc, final, job)
        self.ledger.record("qc", attempt, **{**event, "path": rel(self.root, final)}, sync=False)
        if not event.get("ok", True):
            worst = next((f.get("message") for f in event.get("findings", ())), "quality check failed")
            self.ui.job(job["job"], job["target"], "checking", f"{rel(self.root, final)} failed its check: {worst}")


def _prompt_text(body: Any) -> str:
    for k in ("prompt", "promptText", "text"):
        if isinstance(body, dict) and isinstance(body.get(k), str):
            return str(body[k])
    parts = body.get("parts") if isinstance(body, dict) else None  # a Gemini call: the first text part
    return next((str(p["text"]) for p in parts or () if isinstance(p, dict) and isinstance(p.get("text"), str)), "")


def _elide(body: Any) -> Any:
    """The body for the ledger: inline images (base64, data URLs) shortened to their size."""
    if isinstance(body, str):
        if body.startswith("data:") or (len(body) > 512 and " " not in body):
            return f"<{len(body)} characters of image data>"
        return body
    if isinstance(body, dict):
        return {k: _elide(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_elide(v) for v in body]
    return body
