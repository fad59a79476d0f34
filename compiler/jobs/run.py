"""`filmc run` as one pipeline function: compile, check keys and names, estimate, then send, poll, download."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    held: dict[str, str] = field(default_factory=dict)  # job -> why it is not sent (a name in its prompt)
    no_api: list[str] = field(default_factory=list)  # targets without an API (Midjourney)
    plan: Any = None

    @property
    def sendable(self) -> list[dict[str, Any]]:
        return [j for j in self.jobs if j["job"] not in self.held]


def prepare_run(film: str | Path, *, targets: list[str] | None = None, select: str | None = None,
                allow_outside: bool = False, env: Mapping[str, str] | None = None) -> Prepared:
    """Compile the film as `build` does and bind each job to its provider; nothing is sent."""
    from ..expand import select_shots
    from ..pipeline import compile_film

    env = os.environ if env is None else env
    plan, _, _ = compile_film(film, targets=targets, allow_outside=allow_outside)
    prod = plan.prod
    chosen = {s.id for s in select_shots(prod, select)}
    jobs = [j.as_dict() for j in plan.jobs if j.shot in chosen]
    providers: dict[str, HttpProvider] = {}
    first_frames: dict[str, list[str]] = {}
    ttl: dict[str, float | None] = {}
    missing: dict[str, list[str]] = {}
    for j in jobs:
        key = f"{j['target']}/{j['provider']}"
        if key in providers:
            continue
        spec = prod.targets[j["target"]].providers[j["provider"]]
        p = providers[key] = make_provider(j["provider"], spec, env)
        first_frames[key] = list(spec.get("first_frame") or ["url", "data_url"])
        ttl[key] = float(spec["result_ttl"]) if spec.get("result_ttl") else None
        if p.missing_env():
            missing[j["provider"]] = p.missing_env()
    held = _names_in_prompts(plan, jobs)
    no_api = sorted({t.name for t in plan.targets if not t.providers})
    return Prepared(prod.film.root, jobs, providers, {t.name: t.kind for t in plan.targets}, first_frames, ttl,
                    {s.id: s.shot.take for s in prod.shots}, missing, held, no_api, plan)


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
        for rx, name, cid in rxs:
            if rx.search(p.text) or (p.negative and rx.search(p.negative)):
                held[j["job"]] = (f"the prompt contains the name '{name}' (P401): describe '{cid}' instead, or "
                                  "set allow_names: true on the shot")
                break
    return held


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
    from ..probe import ffmpeg_exe
    from .ledger import Ledger

    with Ledger(prep.root, redact=redact) as ledger:
        runner = Runner(prep.root, prep.sendable, prep.providers, ledger, options, reporter, kinds=prep.kinds,
                        first_frames=prep.first_frames, result_ttl=prep.result_ttl, selected=prep.selected,
                        price=price, ffmpeg=ffmpeg_exe)
        runner.t0 = time.time()
        return asyncio.run(_main(runner))


async def _main(runner: Runner) -> RunResult:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        return await runner.run()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
