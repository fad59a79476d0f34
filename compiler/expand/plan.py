"""What expand produces: compiled prompts, jobs and the plan that holds them; which shots a selection picks."""

from __future__ import annotations

import fnmatch
import marshal
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from ..resolve import Production, ResolvedShot
from ..targets import TargetDef


# The three classes a build makes thousands of are not frozen (a frozen class's __init__ sets each field through
# object.__setattr__: five times the cost); nothing changes them once made.
@dataclass(slots=True)
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


class Packed:
    """A compiled pair's request bodies and context (options, generation, refs...), kept as marshal bytes until one
    of them is asked for: a rebuild reuses thousands of pairs from the cache whose bodies only the runner reads."""

    __slots__ = ("raw", "value")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.value: tuple[list[dict[str, Any]], dict[str, Any]] | None = None

    def get(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """(the jobs' bodies in order, the context)."""
        if self.value is None:
            self.value = marshal.loads(self.raw)
        return self.value


@dataclass(slots=True, eq=False)
class Job:
    """A generation job: one request to a provider for one shot and target."""

    job: str
    shot: str
    target: str
    provider: str
    method: str
    url: str
    packed: Packed  # the body is the `index`th of the pair's bodies
    index: int
    depends_on: tuple[str, ...]
    hash: str
    duration: float | None = None  # seconds generated (video)
    segment: int = 1
    poll: str | None = None  # the URL that reports the task's state, with {task_id} to fill in
    model: str | None = None  # the model option the job asks for (for the ledger and cost)

    @property
    def body(self) -> dict[str, Any]:
        """The request body (JSON data)."""
        return self.packed.get()[0][self.index]

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job, "shot": self.shot, "target": self.target, "provider": self.provider,
            "method": self.method, "url": self.url, "body": self.body, "depends_on": list(self.depends_on),
            "hash": self.hash, "duration": self.duration, "segment": self.segment, "poll": self.poll,
            "model": self.model,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]  # (a body is a dict)


PromptFields = tuple[str, str, str, str, str | None, bool]  # shot, target, kind, text, negative, overridden
JobFields = tuple[str, str, str, str, str, str, list[str], str, float | None, int, str | None,
                  str | None]  # Job's fields in order but the body (packed) and its index, depends_on as a list
Segments = list[tuple[str, str | None]]  # an extended shot's later segments: (prompt, negative)
# a CompiledPair as plain data (marshal): the bodies and the context packed (see Packed)
CacheEntry = tuple[PromptFields, list[JobFields], Segments, bytes]


def _jobs(job_fields: list[JobFields], packed: Packed) -> tuple[Job, ...]:
    return tuple(Job(f[0], f[1], f[2], f[3], f[4], f[5], packed, n, tuple(f[6]), f[7], f[8], f[9], f[10], f[11])
                 for n, f in enumerate(job_fields))


def interned(entry: CacheEntry) -> CacheEntry:
    """An entry whose few distinct strings (ids, targets, providers, URLs, models) are interned: the cache writes each
    once per record and loads the others as references to it (a rebuild loads thousands of entries: half the time)."""
    intern = sys.intern
    (shot, target, kind, text, negative, overridden), job_fields, segments, raw = entry
    shot, target = intern(shot), intern(target)
    jobs = [(f[0], shot, target, intern(f[3]), intern(f[4]), intern(f[5]), f[6], f[7], f[8], f[9],
             intern(f[10]) if f[10] else f[10], intern(f[11]) if f[11] else f[11]) for f in job_fields]
    return (shot, target, intern(kind), text, negative, overridden), jobs, segments, raw


@dataclass(slots=True)
class CompiledPair:
    """What one shot compiles to for one target: its prompt, its jobs and what the sheet and lint need to know
    (`context`: options, generation, left_out, refs, refs_left_out, end_frame, end_frame_dropped, segments).
    The jobs are made from their fields when first asked for (a rebuild reuses thousands of pairs whose jobs only
    the manifest's hashes and the counts read: Jobs)."""

    prompt: CompiledPrompt
    job_fields: list[JobFields]
    packed: Packed

    @property
    def jobs(self) -> tuple[Job, ...]:
        return _jobs(self.job_fields, self.packed)

    @property
    def context(self) -> dict[str, Any]:
        return self.packed.get()[1]

    @classmethod
    def from_plain(cls, entry: CacheEntry) -> CompiledPair:
        return cls(*unpacked(entry))


def unpacked(entry: CacheEntry) -> tuple[CompiledPrompt, list[JobFields], Packed]:
    """A CompiledPair's fields from the plain entry (the plan of a big film is made of thousands: no pair object)."""
    (shot, target, kind, text, negative, overridden), job_fields, segments, raw = entry
    segs = tuple(map(tuple, segments)) if segments else ()
    return (CompiledPrompt(shot, target, kind, text, negative, overridden, segs),  # type: ignore[arg-type]
            job_fields, Packed(raw))


class Jobs(Sequence[Job]):
    """The plan's jobs, in order: made from their pairs' fields when first read one by one (the run, show, the
    board); the manifest's hashes, the counts and one pair's jobs are read from the fields (a rebuild after one shot
    changed makes the Job objects of that shot's pairs alone)."""

    def __init__(self, pairs: Iterable[tuple[list[JobFields], Packed]]) -> None:
        self._pairs = [p for p in pairs if p[0]]
        self._made: tuple[Job, ...] | None = None
        self._by_pair: dict[tuple[str, str], tuple[list[JobFields], Packed]] | None = None

    def _all(self) -> tuple[Job, ...]:
        if self._made is None:
            self._made = tuple(j for fields, packed in self._pairs for j in _jobs(fields, packed))
        return self._made

    @overload
    def __getitem__(self, i: int) -> Job: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Job, ...]: ...

    def __getitem__(self, i: int | slice) -> Job | tuple[Job, ...]:
        return self._all()[i]

    def __iter__(self) -> Iterator[Job]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._made) if self._made is not None else sum(len(f) for f, _ in self._pairs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Jobs):
            return self._all() == other._all()
        return isinstance(other, tuple) and self._all() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Jobs({self._all()!r})"

    def hashes(self) -> dict[str, str]:
        """Each job's hash, by its name."""
        return {f[0]: f[7] for fields, _ in self._pairs for f in fields}

    def count_of(self, shots: Collection[str] | None = None, targets: Collection[str] | None = None) -> int:
        """How many jobs are of these shots and targets (None: any)."""
        if shots is None and targets is None:
            return sum(len(fields) for fields, _ in self._pairs)
        return sum(1 for fields, _ in self._pairs for f in fields
                   if (shots is None or f[1] in shots) and (targets is None or f[2] in targets))

    def of(self, shot: str, target: str) -> tuple[Job, ...]:
        """One shot's jobs for one target, in order."""
        if self._by_pair is None:
            self._by_pair = {(p[0][0][1], p[0][0][2]): p for p in self._pairs}
        pair = self._by_pair.get((shot, target))
        return _jobs(*pair) if pair is not None else ()


class Contexts(Mapping[tuple[str, str], dict[str, Any]]):
    """Each compiled pair's context by (shot, target), unpacked when asked for."""

    def __init__(self, packed: dict[tuple[str, str], Packed]) -> None:
        self._packed = packed

    def __getitem__(self, key: tuple[str, str]) -> dict[str, Any]:
        return self._packed[key].get()[1]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


@dataclass(frozen=True)
class Plan:
    """The compiled film: the prompts and jobs of the selected shots for every target."""

    prod: Production
    targets: tuple[TargetDef, ...]  # in film order: image targets, then video targets
    shots: tuple[ResolvedShot, ...]  # the selected shots
    prompts: tuple[CompiledPrompt, ...]
    jobs: Jobs
    contexts: Mapping[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (shot, target) -> options, generation...
    cache: dict[str, Any] = field(default_factory=dict)  # for the next build (see expand_production)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (shot, target) -> its entry's key in `cache`
    per_shot: dict[str, Any] = field(default_factory=dict)  # what expand_production's per_shot made, by shot

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
