"""lint's findings and emit's pieces, shot by shot: those of the shots the compile made (in the process that
compiled them: ShotWork), the last build's where they still hold, the others made after the compile."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from ..build_cache import Cache
from ..diagnostics import Diagnostic
from ..resolve import Production, ResolvedShot

if TYPE_CHECKING:
    from ..expand import Plan
    from ..expand.lint import PromptFindings, ShotLinter
    from ..expand.plan import CacheEntry, CompiledPrompt


_TARGET_PLACE = re.compile(r"^(?:/shots/\d+/(?:prompt|generate)|/targets/options)/([^/]+)")


def of_targets(d: Diagnostic, targets: Collection[str]) -> bool:
    """Whether a finding concerns `targets` (or no target): one at a target's prompt override or options does not
    concern the others."""
    m = _TARGET_PLACE.match(d.pointer)
    return m is None or m.group(1) in targets


def lint_compiled(plan: Plan, cache: Cache, pieces: dict[tuple[str, str], Any] | None,
                  workers: int, only: Collection[str] | None = None
                  ) -> tuple[list[Diagnostic], list[str], list[Diagnostic]]:
    """lint_plan's findings, each shot's reused while its compiled shot-and-targets are the ones they were found in
    (the cache keys hash what each was compiled from: the shot, the film around it, the targets); the checks that
    compare shots run again over the whole plan. The shots found again, and emit's pieces not in `pieces` (which
    gets them; None: no pieces are made), are made on `workers` processes when there are many. `only`: the
    targets whose findings are reported (see lint_plan). Returns the findings, the shots linted again, and every
    finding of the plan (those of `only` when None)."""
    from ..expand.lint import ShotFindings, lint_plan

    prod = plan.prod
    if prod.doc is None:
        shown = lint_plan(plan, only=only)
        return shown, [rs.id for rs in plan.shots], shown if only is None else lint_plan(plan)
    keys_of: dict[str, list[str]] = {}  # shot -> its pairs' keys, in target order
    for (shot, _), k in plan.keys.items():
        keys_of.setdefault(shot, []).append(k)
    prompts_of: dict[str, list[CompiledPrompt]] = {rs.id: [] for rs in plan.shots}
    for p in plan.prompts:
        prompts_of[p.shot].append(p)
    lint_keys: dict[str, str] = {}
    stored_of: dict[str, Any] = {}
    for rs in plan.shots:
        keys = keys_of.get(rs.id, [])
        prompts = prompts_of[rs.id]
        if prompts and len(keys) == len(prompts):  # else nothing compiled, or compiled without a key: lint it
            # (led by the shot's key's first digits: the findings are kept in the bucket of the shot's pairs)
            key = lint_keys[rs.id] = "lint:" + keys[0][:2] + hashlib.sha1(
                "\n".join([rs.id, rs.shot.pointer, *keys]).encode()).hexdigest()
            stored = cache.get(key)
            if isinstance(stored, tuple) and len(stored) == 2:
                stored_of[rs.id] = stored
    linted = [rs.id for rs in plan.shots if rs.id not in stored_of]
    stored_of.update(_shot_work(plan, prompts_of, set(linted), pieces, workers))

    def found(linter: ShotLinter, rs: ResolvedShot, prompts: Sequence[CompiledPrompt]) -> ShotFindings:
        stored = stored_of[rs.id]
        if rs.id in lint_keys:
            plan.cache[lint_keys[rs.id]] = stored
        shot_items, by_target = stored
        if shot_items is None:  # nothing found in the shot (see _shot_work)
            return [], {t: ((), vk, (), (), ()) for t, vk in by_target}
        return (_located(shot_items, prod), {
            t: (_located(a, prod), vk, _located(b, prod), _located(v, prod), _located(f, prod))
            for t, a, vk, b, v, f in by_target})

    shown = lint_plan(plan, found, only)
    return shown, linted, shown if only is None else lint_plan(plan, found)


def _shot_work(plan: Plan, prompts_of: dict[str, list[CompiledPrompt]], to_lint: set[str],
               pieces: dict[tuple[str, str], Any] | None, workers: int) -> dict[str, Any]:
    """What is left to make shot by shot once the plan is compiled: the findings of the shots in `to_lint` (plain,
    see _stored), returned by shot, and emit's pieces of pairs not in `pieces`, added to it (None: none made). What
    the compile made of a shot already (ShotWork, in the plan's `per_shot`) is taken as it is."""
    from ..expand.lint import ShotLinter
    from ..expand.parallel import compile_all

    made_already = pieces if pieces is not None else {(p.shot, p.target): None for p in plan.prompts}
    out: dict[str, Any] = {}

    def take(rs: ResolvedShot, stored: Any, made: list[tuple[str, Any]]) -> None:
        if stored is not None and rs.id in to_lint:
            out[rs.id] = stored
        for target, made_piece in made:
            if (rs.id, target) not in made_already:
                made_already[(rs.id, target)] = made_piece

    todo = []
    for rs in plan.shots:
        if rs.id in to_lint or any((rs.id, p.target) not in made_already for p in prompts_of[rs.id]):
            done = plan.per_shot.get(rs.id)
            if done is not None:
                take(rs, *done)
            if rs.id in to_lint and rs.id not in out or any((rs.id, p.target) not in made_already
                                                           for p in prompts_of[rs.id]):
                todo.append(rs)
    if not todo:
        return out
    linter = ShotLinter(plan)
    plan.jobs.of("", "")  # (its index of the pairs made once, before the workers fork)

    def one(n: int) -> tuple[str, Any]:
        rs = todo[n]
        return ("ok", _work(linter, plan, rs, prompts_of[rs.id], rs.id in to_lint,
                            {p.target for p in prompts_of[rs.id] if (p.shot, p.target) not in made_already}))

    for rs, (_, (stored, made)) in zip(todo, compile_all(len(todo), one, workers=workers)):
        take(rs, stored, made)
    return out


def _work(linter: ShotLinter, plan: Plan, rs: ResolvedShot, prompts: Sequence[CompiledPrompt], lint: bool,
          make: Collection[str]) -> tuple[Any, list[tuple[str, Any]]]:
    """One shot's findings (plain: see _stored; None when not `lint`) and the pieces of its prompts for the targets
    in `make`, from a plan that holds the shot's pairs."""
    from ..emit.files import piece

    prod = plan.prod
    stored: tuple[Any, list[tuple[Any, ...]]] | None = None  # (see found, in lint_compiled)
    if lint:
        shot_found, by_target = linter.shot(rs, prompts, plan)
        if shot_found or any(a or b or v or f for a, _, b, v, f in by_target.values()):
            stored = ([_stored(d, prod) for d in shot_found], [_stored_prompt(t, pf, prod)
                                                             for t, pf in by_target.items()])
        else:  # (most shots: nothing found, only the keys P404 compares across shots kept)
            stored = (None, [(t, pf[1]) for t, pf in by_target.items()])
    made = [(p.target, piece(plan, p, plan.jobs.of(p.shot, p.target))) for p in prompts if p.target in make]
    return stored, made


class ShotWork:
    """expand_production's per_shot: what a shot's compiled pairs are made into where they were compiled (a cold
    build's workers share this work too), as _shot_work makes it: lint's findings, and emit's pieces (`pieces`)."""

    def __init__(self, prod: Production, pieces: bool) -> None:
        self.prod = prod
        self.pieces = pieces
        self.linter: ShotLinter | None = None

    def __call__(self, rs: ResolvedShot, entries: Sequence[CacheEntry]) -> tuple[Any, list[tuple[str, Any]]]:
        from ..expand import Plan
        from ..expand.lint import ShotLinter
        from ..expand.plan import Contexts, Jobs, unpacked

        prompts, jobs, contexts = [], [], {}
        for entry in entries:
            prompt, fields, packed = unpacked(entry)
            prompts.append(prompt)
            jobs.append((fields, packed))
            contexts[(prompt.shot, prompt.target)] = packed
        plan = Plan(self.prod, (), (rs,), tuple(prompts), Jobs(jobs), Contexts(contexts))
        if self.linter is None:
            self.linter = ShotLinter(plan)
        return _work(self.linter, plan, rs, prompts, True, {p.target for p in prompts} if self.pieces else ())


def _stored_prompt(target: str, pf: PromptFindings, prod: Production) -> tuple[Any, ...]:
    """One prompt's findings as plain data (see _stored)."""
    a, vk, b, v, f = pf
    return (target, [_stored(d, prod) for d in a], vk, *([_stored(d, prod) for d in x] for x in (b, v, f)))


def _located(found: list[Any], prod: Production) -> list[Diagnostic]:
    """Stored findings located again: a change elsewhere in film.yaml (a comment, a shot above) moves them without
    changing them."""
    if not found:
        return []
    c = prod.collector()
    for code, severity, message, pointer, hint, on_key in found:
        c.add(code, message, pointer, severity=severity, hint=hint, key=on_key)
    return c.items


def _stored(d: Diagnostic, prod: Production) -> tuple[str, str, str, str, str | None, bool]:
    """A finding as plain data, without its place: whether it points at the key or the value of its pointer."""
    doc = prod.doc
    on_key = doc is not None and bool(d.line) and doc.locate(d.pointer) != (d.line, d.col)
    return (d.code, d.severity, d.message, d.pointer, d.hint, on_key)
