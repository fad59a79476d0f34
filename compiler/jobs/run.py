"""`filmc run` as one pipeline function: compile, check keys and names, estimate, then send, poll, download."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..plurals import noun, plural
from .providers import make_provider
from .providers.http import HttpProvider
from .runner import Charge, Reporter, Runner, RunOptions, RunResult


@dataclass
class Prepared:
    """Everything a run needs, known before anything is sent."""

    root: Path
    jobs: list[dict[str, Any]]
    providers: dict[str, HttpProvider]
    kinds: dict[str, str]
    first_frames: dict[str, list[str]]
    result_ttl: dict[str, float | None]
    selected: dict[str, str | None]
    missing: dict[str, list[str]] = field(default_factory=dict)  # provider -> variables to set
    ref_forms: dict[str, list[str]] = field(default_factory=dict)  # "<target>/<provider>" -> forms of a reference
    end_forms: dict[str, list[str]] = field(default_factory=dict)  # "<target>/<provider>" -> forms of an end frame
    held: dict[str, str] = field(default_factory=dict)  # job -> why it is not sent (a name in its prompt)
    no_api: list[str] = field(default_factory=list)  # targets without an API (Midjourney)
    plan: Any = None
    film_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # every job of the film by id (all targets)

    @property
    def sendable(self) -> list[dict[str, Any]]:
        return [j for j in self.jobs if j["job"] not in self.held]


def prepare_run(film: str | Path, *, targets: list[str] | None = None, select: str | None = None,
                allow_outside: bool = False, env: Mapping[str, str] | None = None) -> Prepared:
    """Compile the film as `build` does and bind each job to its provider; nothing is sent."""
    from ..compiling import compile_film
    from ..expand import select_shots

    env = os.environ if env is None else env
    from ..paths import build_folder, film_path

    # the last build's compiled shots come from its cache (read, never written here); every target is compiled, as
    # a build does: a take counts by the images its job starts from now, whatever this run sends
    plan = compile_film(film, targets=targets, allow_outside=allow_outside, all_targets=True,
                        cache_dir=build_folder(film_path(film).parent), sheets=False).plan
    prod = plan.prod
    chosen = {s.id for s in select_shots(prod, select)}
    wanted = set(targets) if targets else None
    film_jobs = {j.job: j.as_dict() for j in plan.jobs}
    jobs = [film_jobs[j.job] for j in plan.jobs if j.shot in chosen and (wanted is None or j.target in wanted)]
    providers: dict[str, HttpProvider] = {}
    first_frames: dict[str, list[str]] = {}
    ref_forms: dict[str, list[str]] = {}
    end_forms: dict[str, list[str]] = {}
    ttl: dict[str, float | None] = {}
    missing: dict[str, list[str]] = {}
    for j in jobs:
        key = f"{j['target']}/{j['provider']}"
        if key in providers:
            continue
        spec = prod.targets[j["target"]].providers[j["provider"]]
        p = providers[key] = make_provider(j["provider"], spec.spec, env)
        first_frames[key] = list(spec.first_frame)
        if spec.references:
            ref_forms[key] = list(spec.references)
        if spec.end_frame:
            end_forms[key] = list(spec.end_frame)
        ttl[key] = spec.result_ttl
        if p.missing_env():
            missing[j["provider"]] = p.missing_env()
    held = _names_in_prompts(plan, jobs)
    no_api = sorted({t.name for t in plan.targets if not t.providers and (wanted is None or t.name in wanted)})
    return Prepared(prod.film.root, jobs, providers, {t.name: t.kind for t in plan.targets}, first_frames, ttl,
                    {s.id: s.shot.take for s in prod.shots}, missing, ref_forms, end_forms, held, no_api, plan,
                    film_jobs)


def _names_in_prompts(plan: Any, jobs: list[dict[str, Any]]) -> dict[str, str]:
    """Jobs whose prompt carries a character's name (never sent, unless the shot says `allow_names: true`)."""
    film = plan.prod.film
    names = [(c.name.strip(), cid) for cid, c in film.characters.items() if c.name and c.name.strip()]
    if not names:
        return {}
    rxs = [(re.compile(r"(?<!\w)" + re.escape(n) + r"(?!\w)"), n, cid) for n, cid in names]
    shots = {s.id: s.shot for s in plan.prod.shots}
    held: dict[str, str] = {}
    for j in jobs:
        if getattr(shots[j["shot"]], "allow_names", False):
            continue
        p = plan.prompt(j["shot"], j["target"])
        sent = json.dumps(j.get("body"), ensure_ascii=False)  # what leaves: every segment's own prompt included
        for rx, name, cid in rxs:
            if rx.search(p.text) or (p.negative and rx.search(p.negative)) or rx.search(sent):
                held[j["job"]] = (f"the prompt contains the name '{name}' (V270, P401): describe '{cid}' instead, or "
                                  "set allow_names: true on the shot")
                break
    return held


def pricing(prep: Prepared) -> Callable[[Mapping[str, Any]], Charge | None]:
    """What one generation of a job costs, from its target's prices (cost.py), or None when unknown."""
    from .cost import generation_price

    targets = prep.plan.prod.targets
    options = {k: v["options"] for k, v in prep.plan.contexts.items()}

    def charge(job: Mapping[str, Any]) -> Charge | None:
        found = generation_price(job, targets.get(str(job["target"])),
                                 options=options.get((str(job["shot"]), str(job["target"]))))
        return Charge(found[0], found[1].currency) if found else None

    return charge


@dataclass
class Summary:
    """What a run will do before it sends anything: jobs that have their takes, tasks to collect, creates to send
    (each with what it costs, and why a job that had its takes is made again), jobs waiting on a create of unknown
    outcome."""

    jobs: int
    have: int = 0
    resume: int = 0
    sends: int = 0
    blocked: list[str] = field(default_factory=list)
    cost: dict[str, float] = field(default_factory=dict)
    unpriced: int = 0
    creates: list[tuple[str, str, Charge | None, int]] = field(default_factory=list)  # job, endpoint, price, how many
    again: dict[str, str] = field(default_factory=dict)  # job -> why its takes no longer count (an image changed)
    waiting: dict[str, str] = field(default_factory=dict)  # job -> why nothing is sent for it (no image to start from)
    capped: dict[str, str] = field(default_factory=dict)  # job -> why --max-cost keeps (some of) its creates back
    kept: dict[str, str] = field(default_factory=dict)  # job -> why a clip from an older image is not made again

    def text(self, *, listing: bool = False) -> str:
        lines = [f"{plural(self.jobs, 'job')}: {self.have} {noun(self.have, 'has its', 'have their')} takes, {plural(self.resume, 'task')} to collect, "
                 f"{plural(self.sends, 'create')} to send" + (f", {len(self.blocked)} waiting on a create of unknown "
                                                              "outcome (--resubmit-unknown)" if self.blocked else "")]
        if listing:
            for job, where, price, n in self.creates:
                cost = f"{price.amount:.2f} {price.currency}" if price else "price unknown"
                lines.append(f"  {job}{f' x{n}' if n > 1 else ''}  {where}  {cost}"
                             + (f"  (made again: {self.again[job]})" if job in self.again else ""))
        else:
            lines += [f"  {job}: made again: {why}" for job, why in self.again.items()]
        lines += [f"  {job}: not sent: {why}" for job, why in self.waiting.items()]
        lines += [f"  {job}: not sent under --max-cost: {why}" for job, why in self.capped.items()]
        lines += [f"  {job}: not made again: {why}" for job, why in self.kept.items()]
        if self.sends:
            money = ", ".join(f"{v:.2f} {k}" for k, v in sorted(self.cost.items()))
            unknown = f"{plural(self.unpriced, 'create')} of unknown price"
            lines.append("this run costs " + (f"about {money}" + (f" plus {unknown}" if self.unpriced else "")
                                              if money else f"an unknown amount ({unknown})")
                         + " (filmc cost estimates every generation until the takes you keep: takes / keep_rate)")
        return "\n".join(lines)


def images_sent(body: Any) -> str:
    """What images a request carries besides its prompt: " + first frame, 2 refs, end frame"."""
    from .frames import END_FILE, END_JOB, JOB, LAST_FRAME, REF, placeholders

    marks = set(placeholders(body))
    parts = []
    if any(m.startswith((JOB, LAST_FRAME)) for m in marks):
        parts.append("first frame")
    refs = sum(1 for m in marks if m.startswith(REF))
    if refs:
        parts.append(plural(refs, "ref"))
    if any(m.startswith((END_JOB, END_FILE)) for m in marks):
        parts.append("end frame")
    return " + " + ", ".join(parts) if parts else ""


def summarize(prep: Prepared, takes: int, charge: Callable[[Mapping[str, Any]], Charge | None],
              resubmit_unknown: bool, max_cost: float | None = None) -> Summary:
    """Count, job by job, what the ledger already holds and what this run would send. A job is judged after the
    jobs whose takes it starts from (frame_stamps: a take made from another image than the run would send now no
    longer counts, and an image job that makes a new take here changes the image)."""
    from ..store.attempts import read_attempts
    from ..store.frame_stamps import accepted, by_job, held, standing, waiting_text, waits_for

    attempts, _ = read_attempts(prep.root)
    index = by_job(attempts.values())
    jobs = prep.film_jobs or {str(j["job"]): j for j in prep.jobs}
    out = Summary(len(prep.sendable))
    remade: set[str] = set()  # jobs this run makes a new take of (their images change for the jobs after them)
    needs: dict[str, int] = {}
    for j in deps_first(prep.sendable):
        name = str(j["job"])
        mine = [a for a in index.get(name, ()) if a.hash == j["hash"]]
        ok = accepted(prep.root, j, jobs, index, prep.selected)
        hold = held(prep.root, prep.selected, str(j["shot"]))
        now = standing(mine, ok, remade=remade, hold=hold)
        if hold and (unheld := standing(mine, ok, remade=remade)).why:
            out.kept[name] = (f"the shot's take: is one of its clips ({unheld.why}); 'filmc select "
                              f"{os.path.relpath(prep.root)} {j['shot']} --clear' lets the run make it again")
        in_flight = sum(1 for a in mine if a.open and a.state != "intent")  # collected whatever images they had
        older_open = sum(1 for a in index.get(name, ()) if a.hash != j["hash"] and a.open
                         and a.state != "intent")  # an older prompt's task still at the provider: collected
        out.resume += older_open + in_flight
        if in_flight:
            remade.add(name)
        if any(a.state in ("unknown", "intent") for a in mine) and not resubmit_unknown:
            out.blocked.append(name)
            continue
        need = max(0, takes - now.good - now.open)
        out.have += now.good >= takes
        if need:
            mark = waits_for(ok, remade)
            if mark is not None:  # no image to start from, and none made in this run: nothing is sent
                out.waiting[name] = waiting_text(mark)
                continue
            needs[name] = need
            remade.add(name)
            if now.why:
                out.again[name] = now.why
    cap = _Cap(max_cost)
    for j in prep.sendable:
        need = needs.get(str(j["job"]), 0)
        if not need:
            continue
        c = charge(j)
        kept, why = cap.fit(c, need)
        if why:
            out.capped[str(j["job"])] = why
        need -= kept
        if not need:
            continue
        out.sends += need
        out.creates.append((str(j["job"]), f"{j['provider']} {httpx_path(str(j['url']))}"
                            + (f" ({j['model']})" if j.get("model") else "") + images_sent(j["body"]), c, need))
        if c is None:
            out.unpriced += need
        else:
            out.cost[c.currency] = out.cost.get(c.currency, 0.0) + c.amount * need
    order = [str(j["job"]) for j in prep.sendable]
    out.again = {k: out.again[k] for k in order if k in out.again}
    out.waiting = {k: out.waiting[k] for k in order if k in out.waiting}
    out.kept = {k: out.kept[k] for k in order if k in out.kept}
    return out


class _Cap:
    """--max-cost as the runner applies it, create by create in the run's order: a create with no known price is not
    sent; once a create would take what is spent past the cap (in its currency), it and every create after it are
    not sent."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent: dict[str, float] = {}
        self.passed: str | None = None

    def fit(self, price: Charge | None, n: int) -> tuple[int, str | None]:
        """How many of n creates at `price` are kept back, and why (None: all are sent)."""
        if self.limit is None:
            return 0, None
        if price is None:
            return n, "no known price (run without a cap, or add a price to the target)"
        if self.passed is not None:
            return n, self.passed
        spent = self.spent.get(price.currency, 0.0)
        fits = 0
        while fits < n and spent + price.amount * (fits + 1) <= self.limit + 1e-9:
            fits += 1
        self.spent[price.currency] = spent + price.amount * fits
        if fits < n:
            self.passed = f"the cost cap ({self.limit:g} {price.currency}) would be passed"
            return n - fits, self.passed
        return 0, None


def deps_first(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The jobs in their order, each after the jobs whose takes it starts from (first frames, end frames, the
    segment before)."""
    from ..store.frame_stamps import dependency, take_marks

    by_name = {str(j["job"]): j for j in jobs}
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(j: dict[str, Any]) -> None:
        name = str(j["job"])
        if name in seen:
            return
        seen.add(name)  # (before its dependencies: a cycle, which the compiler never makes, cannot loop)
        for mark in take_marks(j.get("body")):
            dep = by_name.get(dependency(mark))
            if dep is not None:
                visit(dep)
        out.append(j)

    for j in jobs:
        visit(j)
    return out


def httpx_path(url: str) -> str:
    """The path of an endpoint, for a listing (the host is the provider's)."""
    from urllib.parse import urlsplit

    return urlsplit(url).path or url


def quality_check(prep: Prepared) -> Callable[[Path, Mapping[str, Any]], dict[str, Any]]:
    """The check every downloaded take gets (qc.py): decodes fully, long enough, the film's aspect, not black or
    frozen. A take that fails stays on disk, flagged, and is never used as a first frame."""
    from .qc import check_take, expect_for_job

    aspect = prep.plan.prod.film.info.aspect

    def check(path: Path, job: Mapping[str, Any]) -> dict[str, Any]:
        kind = prep.kinds.get(str(job["target"]), "image")
        result = check_take(path, expect_for_job(job, kind, aspect=aspect), display=path.name)
        return result.event()

    return check


def run_prepared(prep: Prepared, options: RunOptions, reporter: Reporter, *,
                 price: Callable[[Mapping[str, Any]], Charge | None],
                 redact: Callable[[str], str] = lambda s: s) -> RunResult:
    """Send the prepared jobs; SIGTERM and Ctrl-C stop it cleanly (what was sent is collected by the next run)."""
    from ..errors import UsageError
    from ..probe import ffmpeg_exe
    from ..store.ledger import Ledger, LedgerBusy

    try:
        ledger = Ledger(prep.root, redact=redact)
    except LedgerBusy as e:
        raise UsageError(str(e)) from None
    for provider in prep.providers.values():  # predictions the ledger knows are never taken for a lost one
        claimed = getattr(provider, "claimed", None)
        if isinstance(claimed, set):
            claimed.update(a.task_id for a in ledger.attempts.values() if a.task_id)
    with ledger:
        runner = Runner(prep.root, prep.sendable, prep.providers, ledger, options, reporter, kinds=prep.kinds,
                        first_frames=prep.first_frames, result_ttl=prep.result_ttl, selected=prep.selected,
                        ref_forms=prep.ref_forms, end_forms=prep.end_forms,
                        price=price, ffmpeg=ffmpeg_exe, film_jobs=prep.film_jobs)
        runner.t0 = time.time()
        try:
            return asyncio.run(_main(runner))
        except (asyncio.CancelledError, KeyboardInterrupt):  # Ctrl-C, SIGTERM or SIGHUP stopped the run
            left = sum(1 for a in ledger.attempts.values() if a.state in ("intent", "unknown")
                       and (a.t_intent or 0) >= runner.t0)
            raise _RunStopped(left, runner.stopped_by or signal.SIGINT) from None


class _RunStopped(KeyboardInterrupt):
    """A run stopped by a signal: control flow, a KeyboardInterrupt as before, that also says how many creates of
    this run were sent without an answer (`unknown`: of unknown outcome) for the command's last line, and which
    signal stopped it (`signum`: the exit code is 128 plus it, as for any command a signal stops)."""

    def __init__(self, unknown: int, signum: int) -> None:
        super().__init__()
        self.unknown = unknown
        self.signum = signum


def _stop(runner: Runner, task: asyncio.Task[Any], sig: int) -> None:
    """A stop signal: the run's task is cancelled (see task.STOP_GRACE); the first signal names the exit code."""
    if runner.stopped_by is None:
        runner.stopped_by = sig
    task.cancel()


async def _main(runner: Runner) -> RunResult:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None  # asyncio.run runs this coroutine as a task
    installed = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # the run stops (a create already out is waited
        try:                                                     # for: see task.STOP_GRACE), once more: at once
            before = signal.getsignal(sig)
            loop.add_signal_handler(sig, _stop, runner, task, sig)
            installed[sig] = before
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        return await runner.run()
    finally:
        for sig, before in installed.items():  # (the handlers from before the run again, not the defaults)
            loop.remove_signal_handler(sig)
            if before is not None:
                signal.signal(sig, before)
