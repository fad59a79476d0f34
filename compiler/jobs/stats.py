"""What the generations of a film took, from its ledger (.filmc/ledger.jsonl) alone.

The ledger is replayed attempt by attempt. An attempt that downloaded a file *produced a take*; else it
ended failed, unknown or cancelled, or is still open. A take is *kept* when a shot's `take:` in film.yaml
points at it, and the keep rate is kept / produced. Spend is the sum of `cost` events (per currency; an
attempt's provider-reported cost replaces its estimate). Generation time runs from `submitted` to
`result`, queue time from `intent` to the first `running` status.

A line that is not a JSON object (the last one cut short by a crash, say) is skipped with a C505
warning; events of kinds this version does not know are skipped silently.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

from ..diagnostics import Diagnostic
from ..store.ledger import read_ledger

__all__ = ["LEDGER", "Attempt", "Stats", "TargetRow", "read_ledger", "replay", "stats_for"]

LEDGER = ".filmc/ledger.jsonl"
KNOWN = {"intent", "submitted", "status", "result", "downloaded", "qc", "failed", "unknown", "cancelled", "cost"}


@dataclass
class Attempt:
    id: str
    target: str = "?"
    model: str | None = None
    job: str | None = None
    intent: float | None = None
    submitted: float | None = None
    running: float | None = None  # first status with state running
    result: float | None = None
    takes: list[str] = field(default_factory=list)  # downloaded paths, relative to the film folder
    ended: str | None = None  # failed | unknown | cancelled (the last such event)
    reason: str | None = None
    qc_rejected: int = 0
    costs: dict[str, dict[str, float]] = field(default_factory=dict)  # source -> currency -> amount

    @property
    def state(self) -> str:
        return "take" if self.takes else self.ended or "open"

    def spend(self) -> dict[str, float]:
        return dict(self.costs.get("provider") or self.costs.get("estimate") or {})


@dataclass(frozen=True)
class TargetRow:
    target: str
    model: str | None
    kind: str  # image | video | ? (a target this film no longer knows)
    attempts: int
    produced: int  # attempts that produced a take
    kept: int
    failed: int
    unknown: int
    cancelled: int
    open: int
    qc_rejected: int
    spend: dict[str, float]


@dataclass(frozen=True)
class Timing:
    target: str
    generation: tuple[float, ...]  # seconds, submitted -> result, one per attempt
    queue: tuple[float, ...]  # seconds, intent -> first running

    def as_dict(self) -> dict[str, Any]:
        def agg(xs: tuple[float, ...]) -> dict[str, Any]:
            return {"count": len(xs), "median": round(median(xs), 3) if xs else None, "total": round(sum(xs), 3)}

        return {"target": self.target, "generation": agg(self.generation), "queue": agg(self.queue)}


@dataclass(frozen=True)
class Stats:
    rows: tuple[TargetRow, ...]
    timings: tuple[Timing, ...]
    failures: tuple[tuple[str, int], ...]  # reason, attempts; most frequent first
    spend: dict[str, float]  # currency -> amount
    skipped: tuple[Diagnostic, ...] = ()

    def total(self, attr: str) -> int:
        return sum(getattr(r, attr) for r in self.rows)

    def produced_by_kind(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for r in self.rows:
            out[r.kind] += r.produced
        return dict(out)

    @property
    def keep_rate(self) -> float | None:
        produced = self.total("produced")
        return self.total("kept") / produced if produced else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempts": self.total("attempts"), "produced": self.total("produced"), "kept": self.total("kept"),
            "keep_rate": None if self.keep_rate is None else round(self.keep_rate, 4),
            "produced_by_kind": self.produced_by_kind(),
            "spend": {c: round(a, 6) for c, a in sorted(self.spend.items())},
            "targets": [{**r.__dict__, "spend": {c: round(a, 6) for c, a in sorted(r.spend.items())}}
                        for r in self.rows],
            "times": [t.as_dict() for t in self.timings],
            "failures": [{"reason": r, "count": n} for r, n in self.failures],
            "skipped_lines": [d.line for d in self.skipped],
        }


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _str(x: Any) -> str | None:
    return x if isinstance(x, str) else None


def replay(events: list[dict[str, Any]]) -> dict[str, Attempt]:
    """Each attempt's story, from its events in ledger order."""
    attempts: dict[str, Attempt] = {}
    for ev in events:
        kind, aid = ev.get("ev"), _str(ev.get("attempt"))
        if kind not in KNOWN or aid is None:
            continue
        a = attempts.setdefault(aid, Attempt(aid))
        t = _num(ev.get("t"))
        if kind == "intent":
            a.target = _str(ev.get("target")) or a.target
            a.model = _str(ev.get("model"))
            a.job = _str(ev.get("job"))
            a.intent = t
        elif kind == "submitted":
            a.submitted = t
        elif kind == "status":
            if ev.get("state") == "running" and a.running is None:
                a.running = t
        elif kind == "result":
            a.result = t if a.result is None else a.result
        elif kind == "downloaded":
            p = _str(ev.get("path"))
            if p:
                a.takes.append(posixpath.normpath(p))
        elif kind == "qc":
            if ev.get("ok") is False:
                a.qc_rejected += 1
        elif kind in ("failed", "unknown", "cancelled"):
            a.ended, a.reason = kind, _str(ev.get("reason")) or "no reason given"
        elif kind == "cost":
            _cost(a, ev)
    return attempts


def _cost(a: Attempt, ev: dict[str, Any]) -> None:
    source = "provider" if ev.get("source") == "provider" else "estimate"
    usd, amount, currency = _num(ev.get("usd")), _num(ev.get("amount")), _str(ev.get("currency"))
    if amount is not None and currency:
        cur, value = currency.upper(), amount
    elif usd is not None:
        cur, value = "USD", usd
    else:
        return
    bucket = a.costs.setdefault(source, {})
    bucket[cur] = bucket.get(cur, 0.0) + value


def selected_takes(film_file: Path) -> set[str]:
    """The `take:` paths of the film's shots, normalised like ledger paths."""
    from ..load import load_film

    doc = load_film(film_file)
    shots = doc.data.get("shots") if isinstance(doc.data, dict) else None
    out = set()
    for s in shots if isinstance(shots, list) else ():
        take = s.get("take") if isinstance(s, dict) else None
        if isinstance(take, str) and take.strip():
            out.add(posixpath.normpath(take.strip().replace("\\", "/")))
    return out


def stats_for(attempts: dict[str, Attempt], selected: set[str], kinds: dict[str, str],
              skipped: list[Diagnostic] | None = None) -> Stats:
    """Aggregate the replayed attempts; `kinds` maps target names to image|video."""
    groups: dict[tuple[str, str | None], list[Attempt]] = {}
    for a in attempts.values():
        groups.setdefault((a.target, a.model), []).append(a)
    rows = []
    for (target, model), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        states = Counter(a.state for a in group)
        spend: dict[str, float] = {}
        for a in group:
            for cur, v in a.spend().items():
                spend[cur] = spend.get(cur, 0.0) + v
        rows.append(TargetRow(target, model, kinds.get(target, "?"), len(group), states["take"],
                              sum(1 for a in group if any(p in selected for p in a.takes)), states["failed"],
                              states["unknown"], states["cancelled"], states["open"],
                              sum(a.qc_rejected for a in group), spend))
    timings = []
    for target in sorted({a.target for a in attempts.values()}):
        mine = [a for a in attempts.values() if a.target == target]
        gen = tuple(a.result - a.submitted for a in mine
                    if a.result is not None and a.submitted is not None and a.result >= a.submitted)
        queue = tuple(a.running - a.intent for a in mine
                      if a.running is not None and a.intent is not None and a.running >= a.intent)
        timings.append(Timing(target, gen, queue))
    reasons = Counter(a.reason or "" for a in attempts.values() if a.state == "failed")
    total: dict[str, float] = {}
    for r in rows:
        for cur, v in r.spend.items():
            total[cur] = total.get(cur, 0.0) + v
    return Stats(tuple(rows), tuple(timings), tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
                 total, tuple(skipped or ()))


def film_stats(film_file: Path) -> Stats:
    """Stats of the film whose film.yaml is `film_file`, from the ledger beside it."""
    from ..errors import FilmError
    from ..targets import builtin_targets, load_targets

    root = film_file.parent
    events, skipped = read_ledger(root / LEDGER, str(root / LEDGER))
    try:
        defs = load_targets(root)
    except FilmError:  # a broken target of the film's own does not hide what was spent
        defs = builtin_targets()
    return stats_for(replay(events), selected_takes(film_file), {n: t.kind for n, t in defs.items()}, skipped)
