"""The prompt commands: show one shot's compiled prompts, lint them, lock them, diff them against the lock."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .options import Loading

if TYPE_CHECKING:
    from ..diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class ShotPrompt:
    """One target's compiled prompt for a shot, with the options and generation it was compiled with."""

    target: str
    kind: str
    prompt: str
    negative: str | None
    overridden: bool
    options: dict[str, Any]
    generation: dict[str, Any]
    segments: tuple[tuple[str, str | None], ...]
    refs: tuple[str, ...]  # what the request sends besides the prompt, a line each

    @property
    def lengths(self) -> list[float]:
        """The seconds generated, per segment."""
        gen = self.generation
        return [x for x in gen.get("lengths") or [gen.get("duration")] if x]


@dataclass(frozen=True, slots=True)
class ShotView:
    """`filmc show`: a shot's place in the film and its prompt for every target."""

    shot: str
    section: str
    start: float
    end: float
    duration: float
    look: tuple[str, ...]
    modes: tuple[str, ...]
    prompts: tuple[ShotPrompt, ...]

    def as_dict(self) -> list[dict[str, Any]]:
        return [{"shot": self.shot, "target": p.target, "kind": p.kind, "prompt": p.prompt, "negative": p.negative,
                 "overridden": p.overridden, "options": p.options, "generation": p.generation,
                 "segments": [{"prompt": x, "negative": y} for x, y in p.segments]} for p in self.prompts]

    def lines(self) -> Iterator[tuple[str, str]]:
        """The text view, a line at a time: (the part shown bold, the rest)."""
        from ..timeline import format_time

        yield "", f"{self.shot}  {self.section}  {format_time(self.start)}-{format_time(self.end)}  " \
                  f"({self.duration:.3f} s)"
        for line in (*self.look, *self.modes):
            yield "", line
        for p in self.prompts:
            lengths = p.lengths
            extra = f", generate {' + '.join(f'{x:g} s' for x in lengths)}" if lengths else ""
            yield "", ""
            yield f"[{p.target}] {p.kind}{extra}{' (override)' if p.overridden else ''}", ""
            for line in p.refs:
                yield "", line
            for n, (text, negative) in enumerate(((p.prompt, p.negative), *p.segments), start=1):
                if p.segments:
                    yield f"segment {n} ({lengths[n - 1]:g} s):", ""
                yield "", text
                if negative:
                    yield "negative: ", negative


def show_shot(loading: Loading, shot: str, *, targets: Sequence[str] = ()) -> ShotView:
    """load -> validate -> resolve -> expand one shot (for every target, or those asked for)."""
    from ..build_cache import Buckets
    from ..diagnostics import did_you_mean
    from ..errors import UsageError
    from ..expand import expand_production
    from ..timeline_text import look_lines, mode_lines, refs_lines

    prod = loading.resolve()
    ids = [s.id for s in prod.shots]
    if shot not in ids:
        hint = did_you_mean(shot, ids)
        raise UsageError(f"no shot '{shot}' in {loading.film}" + (f" ({hint})" if hint else ""))
    # the last build's compiled shots answer without rendering a template; nothing is written
    plan = expand_production(prod, targets=list(targets) or None, select=[shot], cache=Buckets(loading.build_dir))
    rs = prod.shot(shot)
    rows = []
    for p in plan.prompts:
        ctx = plan.contexts[(p.shot, p.target)]
        rows.append(ShotPrompt(p.target, p.kind, p.text, p.negative, p.overridden, ctx["options"], ctx["generation"],
                               p.segments, tuple(refs_lines(ctx))))
    return ShotView(shot, rs.section.id, rs.start, rs.end, rs.duration, tuple(look_lines(prod, shot)), tuple(mode_lines(rs.shot)),
                    tuple(rows))


@dataclass(frozen=True, slots=True)
class LintResult:
    """`filmc lint`: what the checks of the compiled prompts found."""

    prompts: int
    findings: tuple[Diagnostic, ...]
    sources: dict[str, list[str]]


def lint_film(loading: Loading, *, targets: Sequence[str] = ()) -> LintResult:
    """load -> validate -> resolve -> expand -> lint (the film's warnings included)."""
    from ..compiling import compile_film

    compiled = compile_film(loading.film, targets=list(targets) or None, allow_outside=loading.allow_outside,
                            cache_dir=loading.build_dir, workers=_workers(), sheets=False)
    return LintResult(len(compiled.plan.prompts), tuple(compiled.warnings), compiled.plan.prod.sources())


@dataclass(frozen=True, slots=True)
class LockResult:
    """`filmc lock`: where prompts.lock is, whether it changed, and how many prompts it holds."""

    path: Path
    changed: bool
    prompts: int


def lock_film(loading: Loading, *, lock_path: Path | None = None) -> LockResult:
    """Compile every prompt and write prompts.lock (atomically; untouched when nothing changed)."""
    from ..compiling import compile_film
    from ..fsutil import write_atomic
    from ..snapshots import lock_text

    plan = compile_film(loading.film, allow_outside=loading.allow_outside, cache_dir=loading.build_dir,
                        workers=_workers(), sheets=False).plan
    path = lock_path or loading.folder / "prompts.lock"
    return LockResult(path, write_atomic(path, lock_text(plan)), len(plan.prompts))


@dataclass(frozen=True, slots=True)
class DiffResult:
    """`filmc diff`: a unified diff per shot and target, and how many prompts changed."""

    text: str
    changes: int


def diff_film(loading: Loading, *, lock_path: Path | None = None) -> DiffResult:
    """Compile every prompt and compare it with prompts.lock."""
    from ..compiling import compile_film
    from ..errors import UsageError
    from ..snapshots import diff_lock

    path = lock_path or loading.folder / "prompts.lock"
    plan = compile_film(loading.film, allow_outside=loading.allow_outside, cache_dir=loading.build_dir,
                        workers=_workers(), sheets=False).plan
    if not path.is_file():
        raise UsageError(f"no lock file at {path}; run 'filmc lock {loading.film}' first")
    text, changes = diff_lock(plan, path)
    return DiffResult(text, changes)


def _workers() -> int:
    """The last build's compiled shots answer from its cache (read, never written here); the rest is compiled on
    the cores this process may use."""
    from ..expand.parallel import workers_available

    return workers_available()
