"""What expand produces: compiled prompts, jobs and the plan that holds them; which shots a selection picks."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..resolve import Production, ResolvedShot
from ..targets import TargetDef


@dataclass(frozen=True, slots=True)
class CompiledPrompt:
    """The prompt one shot compiles to for one target."""

    shot: str
    target: str
    kind: str  # image | video
    text: str
    negative: str | None = None
    overridden: bool = False
    segments: tuple[tuple[str, str | None], ...] = ()  # an extended shot's later segments: (prompt, negative)

    @property
    def texts(self) -> tuple[str, ...]:
        """Every segment's prompt, the shot's own first."""
        return (self.text, *(t for t, _ in self.segments))


@dataclass(frozen=True, slots=True)
class Job:
    """A generation job: one request to a provider for one shot and target."""

    job: str
    shot: str
    target: str
    provider: str
    method: str
    url: str
    body: dict[str, Any]
    depends_on: tuple[str, ...]
    hash: str
    duration: float | None = None  # seconds generated (video)
    segment: int = 1
    poll: str | None = None  # the URL that reports the task's state, with {task_id} to fill in
    model: str | None = None  # the model option the job asks for (for the ledger and cost)

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job, "shot": self.shot, "target": self.target, "provider": self.provider,
            "method": self.method, "url": self.url, "body": self.body, "depends_on": list(self.depends_on),
            "hash": self.hash, "duration": self.duration, "segment": self.segment, "poll": self.poll,
            "model": self.model,
        }


PromptFields = tuple[str, str, str, str, str | None, bool]  # shot, target, kind, text, negative, overridden
JobFields = tuple[str, str, str, str, str, str, dict[str, Any], list[str], str, float | None, int, str | None,
                  str | None]  # Job's fields in order, depends_on as a list
CacheEntry = tuple[PromptFields, list[JobFields], dict[str, Any]]  # a CompiledPair as plain data (marshal)


@dataclass(frozen=True, slots=True)
class CompiledPair:
    """What one shot compiles to for one target: its prompt, its jobs and what the sheet and lint need to know
    (`context`: options, generation, left_out, refs, refs_left_out, end_frame, end_frame_dropped, segments)."""

    prompt: CompiledPrompt
    jobs: tuple[Job, ...]
    context: dict[str, Any]

    def plain(self) -> CacheEntry:
        p = self.prompt
        return ((p.shot, p.target, p.kind, p.text, p.negative, p.overridden),
                [(j.job, j.shot, j.target, j.provider, j.method, j.url, j.body, list(j.depends_on), j.hash,
                  j.duration, j.segment, j.poll, j.model) for j in self.jobs], self.context)

    @classmethod
    def from_plain(cls, entry: CacheEntry) -> CompiledPair:
        (shot, target, kind, text, negative, overridden), job_fields, context = entry
        segs = tuple((x["prompt"], x["negative"]) for x in context.get("segments") or ())
        jobs = tuple(Job(f[0], f[1], f[2], f[3], f[4], f[5], f[6], tuple(f[7]), f[8], f[9], f[10], f[11], f[12])
                     for f in job_fields)
        return cls(CompiledPrompt(shot, target, kind, text, negative, overridden, segs), jobs, context)


@dataclass(frozen=True)
class Plan:
    """The compiled film: the prompts and jobs of the selected shots for every target."""

    prod: Production
    targets: tuple[TargetDef, ...]  # in film order: image targets, then video targets
    shots: tuple[ResolvedShot, ...]  # the selected shots
    prompts: tuple[CompiledPrompt, ...]
    jobs: tuple[Job, ...]
    contexts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (shot, target) -> options, generation
    cache: dict[str, Any] = field(default_factory=dict)  # for the next build (see expand_production)

    def prompt(self, shot: str, target: str) -> CompiledPrompt:
        for p in self.prompts:
            if p.shot == shot and p.target == target:
                return p
        raise KeyError((shot, target))


def select_shots(prod: Production, select: str | Iterable[str] | None) -> tuple[ResolvedShot, ...]:
    """Shots matching a selection: ids, globs (`s0*`) or `section:<id>`, comma-separated."""
    if not select:
        return prod.shots
    terms = [t.strip() for t in (select.split(",") if isinstance(select, str) else select) if t.strip()]
    out = []
    for s in prod.shots:
        for t in terms:
            if t.startswith("section:") and s.section.id == t[8:] or fnmatch.fnmatchcase(s.id, t):
                out.append(s)
                break
    return tuple(out)
