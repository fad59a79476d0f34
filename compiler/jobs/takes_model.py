"""What `filmc takes` lists: a take (its file, where it came from, its marks), a job's attempts that made none,
and how they group by target and shot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Diagnostic
from ..store.ledger import Attempt
from ..store.takes import IMAGE_EXTS, VIDEO_EXTS

# What a take may be: the runner's formats and every picture render reads.
MEDIA_EXTS = (*IMAGE_EXTS, *VIDEO_EXTS, ".bmp", ".tif", ".tiff")


def media_kind(path: str) -> str | None:
    low = path.lower()
    if low.endswith(VIDEO_EXTS):
        return "video"
    if low.endswith(MEDIA_EXTS):
        return "image"
    return None


@dataclass
class QC:
    ok: bool
    findings: tuple[dict[str, str], ...] = ()
    source: str = "ledger"  # ledger | check (run now, by --check or select)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "findings": [dict(f) for f in self.findings], "source": self.source}


@dataclass
class Take:
    path: str  # relative to the film folder (posix), or absolute for a `take:` outside it
    kind: str  # image | video
    source: str  # runner | dropped | flat | selected
    target: str | None = None
    number: int | None = None
    exists: bool = True
    provider: str | None = None
    model: str | None = None
    job: str | None = None
    hash: str | None = None
    attempt: str | None = None
    time: float | None = None  # unix time: downloaded (runner) or the file's modification time
    stale: bool | None = None  # made from an older prompt; None: not known (not a runner take)
    older_frame: str | None = None  # made from another image than a run would start from now: why (frame_stamps)
    selected: bool = False
    first_frame: bool = False  # the image render starts the shot with (no video take selected)
    qc: QC | None = None
    segment: int | None = None  # an extended shot's take: which segment of the shot its job makes (1, 2, ...)
    segments: int | None = None  # ... of how many
    chained_from: str | None = None  # a later segment: the attempt whose take's last frame it started from
    follows: bool = False  # a later segment render plays after the shot's take

    @property
    def later(self) -> bool:
        """A take of segment 2, 3, ... of an extended shot: part of the shot, never a take of its own."""
        return (self.segment or 1) > 1

    @property
    def ref(self) -> str:
        """How `filmc select` names it: <target>/<n>, else its path."""
        if self.target and self.number is not None:
            return f"{self.target}/{self.number}"
        return self.path

    @property
    def failed_qc(self) -> bool:
        return self.qc is not None and not self.qc.ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref, "path": self.path, "kind": self.kind, "source": self.source, "target": self.target,
            "number": self.number, "exists": self.exists, "selected": self.selected,
            "first_frame": self.first_frame, "stale": self.stale, "older_frame": self.older_frame, "provider": self.provider, "model": self.model,
            "job": self.job, "hash": self.hash, "attempt": self.attempt,
            "time": iso_time(self.time), "qc": self.qc.as_dict() if self.qc else None,
            "segment": self.segment, "segments": self.segments, "follows": self.follows,
        }


@dataclass
class JobAttempts:
    """A job's attempts that made no take: counts per outcome and the last reason."""

    job: str
    failed: int = 0
    unknown: int = 0
    cancelled: int = 0
    open: int = 0  # sent and not finished: the next `filmc run` collects them
    last_reason: str | None = None
    last_state: str | None = None
    _last_t: float = -1.0

    def add(self, a: Attempt) -> None:
        if a.open:
            self.open += 1
            return
        if a.state == "failed":
            self.failed += 1
        elif a.state == "unknown":
            self.unknown += 1
        elif a.state == "cancelled":
            self.cancelled += 1
        else:
            return
        t = as_number(a.t_final) or as_number(a.t_intent) or 0.0
        if t >= self._last_t:
            self._last_t = t
            self.last_state = a.state
            self.last_reason = str(a.reason) if a.reason is not None else None

    @property
    def empty(self) -> bool:
        return not (self.failed or self.unknown or self.cancelled or self.open)

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "failed": self.failed, "unknown": self.unknown, "cancelled": self.cancelled,
                "open": self.open, "last_state": self.last_state, "last_reason": self.last_reason}


@dataclass
class TargetTakes:
    target: str | None  # None: files in takes/<shot>/ that belong to no target
    kind: str | None  # image | video (None: not a target this film knows)
    in_film: bool  # one of the film's targets
    takes: list[Take] = field(default_factory=list)
    jobs: list[JobAttempts] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "kind": self.kind, "in_film": self.in_film,
                "takes": [t.as_dict() for t in self.takes], "attempts": [j.as_dict() for j in self.jobs]}


@dataclass
class ShotTakes:
    shot: str
    in_film: bool  # False: the ledger knows the shot, film.yaml no longer has it
    section: str | None = None
    duration: float | None = None
    take: str | None = None  # the shot's `take:` as written
    groups: list[TargetTakes] = field(default_factory=list)

    @property
    def takes(self) -> list[Take]:
        return [t for g in self.groups for t in g.takes]

    def as_dict(self) -> dict[str, Any]:
        return {"shot": self.shot, "in_film": self.in_film, "section": self.section,
                "duration": None if self.duration is None else round(self.duration, 3), "take": self.take,
                "targets": [g.as_dict() for g in self.groups]}


@dataclass
class Listing:
    title: str
    shots: list[ShotTakes]
    warnings: list[Diagnostic] = field(default_factory=list)
    checked: bool = False  # --check ran QC on the takes the ledger had not checked

    @property
    def takes(self) -> list[Take]:
        return [t for s in self.shots for t in s.takes]

    def as_dict(self) -> dict[str, Any]:
        return {"film": self.title, "checked": self.checked, "shots": [s.as_dict() for s in self.shots],
                "warnings": [d.as_dict() for d in self.warnings]}


@dataclass(frozen=True)
class ShotInfo:
    """What the listing needs of a shot of the film."""

    id: str
    section: str | None = None
    duration: float | None = None
    take: str | None = None
    need: float | None = None  # seconds of video the edit needs (trim and speed included)
    segments: Mapping[str, int] = field(default_factory=dict)  # video target -> segments the shot is made in


def as_number(x: object) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def iso_time(t: float | None) -> str | None:
    if t is None:
        return None
    import datetime as dt

    try:
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None
