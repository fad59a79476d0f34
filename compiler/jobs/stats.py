"""What the generations of a film took, from its ledger (.filmc/ledger.jsonl) alone.

The ledger is read and replayed as `filmc takes` reads it (`store.attempts.read_attempts`: the same warnings for
damaged lines and events, the same refusals). An attempt that downloaded a file *produced a take*; else it ended
failed, unknown or cancelled, or is still open. A take is *kept* when a shot's `take:` in film.yaml points at it,
and the keep rate is kept / produced. Spend is the sum of the attempts' costs (per currency; an attempt's
provider-reported cost replaces its estimate). Generation time runs from `submitted` to `result`, queue time from
`intent` to the first `running` status. Drafting (`filmc draft`, one `draft` event per request to Gemini) is
counted apart, per model: requests, tokens and spend, which the total spend includes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from ..diagnostics import Diagnostic
from ..store.attempts import clean_path, read_attempts
from ..store.ledger import Attempt

__all__ = ["DraftRow", "Stats", "TargetRow", "Timing", "draft_rows", "film_stats", "selected_takes", "stats_for"]

NO_TARGET = "?"  # the row of attempts whose intent is missing or unreadable


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
class DraftRow:
    model: str
    drafts: int  # requests to Gemini
    tokens_in: int
    tokens_out: int  # thinking included
    spend: dict[str, float]


def draft_rows(events: list[dict[str, Any]]) -> tuple[DraftRow, ...]:
    """Drafting per model, from the ledger's `draft` events (odd fields count as nothing)."""
    from ..store.ledger import DRAFT

    def n(x: Any) -> int:
        return int(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else 0

    acc: dict[str, list[Any]] = {}
    for e in events:
        if e.get("ev") != DRAFT:
            continue
        model = e["model"] if isinstance(e.get("model"), str) else "?"
        row = acc.setdefault(model, [0, 0, 0, {}])
        row[0] += 1
        row[1] += n(e.get("tokens_in"))
        row[2] += n(e.get("tokens_out")) + n(e.get("tokens_thoughts"))
        amount = e.get("amount")
        if isinstance(amount, (int, float)) and not isinstance(amount, bool):
            cur = e.get("currency") if isinstance(e.get("currency"), str) and e.get("currency") else "USD"
            row[3][cur] = row[3].get(cur, 0.0) + float(amount)
    return tuple(DraftRow(m, *v) for m, v in sorted(acc.items()))


@dataclass(frozen=True)
class Stats:
    rows: tuple[TargetRow, ...]
    timings: tuple[Timing, ...]
    failures: tuple[tuple[str, int], ...]  # reason, attempts; most frequent first
    spend: dict[str, float]  # currency -> amount
    skipped: tuple[Diagnostic, ...] = ()
    drafting: tuple[DraftRow, ...] = ()

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
            "drafting": [{**r.__dict__, "spend": {c: round(a, 6) for c, a in sorted(r.spend.items())}}
                         for r in self.drafting],
        }


def selected_takes(film_file: Path) -> set[str]:
    """The `take:` paths of the film's shots, normalised like ledger paths."""
    from ..load import load_film

    doc = load_film(film_file)
    shots = doc.data.get("shots") if isinstance(doc.data, dict) else None
    out = set()
    for s in shots if isinstance(shots, list) else ():
        take = clean_path(s.get("take") if isinstance(s, dict) else None)
        if take is not None:
            out.add(take)
    return out


def _reason(a: Attempt) -> str:
    return a.reason if isinstance(a.reason, str) and a.reason else "no reason given"


def stats_for(attempts: Mapping[str, Attempt], selected: set[str], kinds: Mapping[str, str],
              skipped: list[Diagnostic] | None = None, drafting: tuple[DraftRow, ...] = ()) -> Stats:
    """Aggregate the replayed attempts; `kinds` maps target names to image|video."""
    groups: dict[tuple[str, str | None], list[Attempt]] = {}
    for a in attempts.values():
        groups.setdefault((a.target or NO_TARGET, a.model), []).append(a)
    rows = []
    for (target, model), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        states = Counter(a.state for a in group)
        spend: dict[str, float] = {}
        for a in group:
            for cur, v in a.spend.items():
                spend[cur] = spend.get(cur, 0.0) + v
        produced = [a for a in group if a.produced]
        rows.append(TargetRow(target, model, kinds.get(target, "?"), len(group), len(produced),
                              sum(1 for a in produced if clean_path(a.path) in selected), states["failed"],
                              states["unknown"], states["cancelled"], sum(1 for a in group if a.open),
                              sum(1 for a in produced if a.qc_ok is False), spend))
    timings = []
    for target in sorted({a.target or NO_TARGET for a in attempts.values()}):
        mine = [a for a in attempts.values() if (a.target or NO_TARGET) == target]
        gen = tuple(a.t_result - a.t_submitted for a in mine
                    if a.t_result is not None and a.t_submitted is not None and a.t_result >= a.t_submitted)
        queue = tuple(a.t_running - a.t_intent for a in mine
                      if a.t_running is not None and a.t_intent is not None and a.t_running >= a.t_intent)
        timings.append(Timing(target, gen, queue))
    reasons = Counter(_reason(a) for a in attempts.values() if a.state == "failed")
    total: dict[str, float] = {}
    for spend in [r.spend for r in rows] + [d.spend for d in drafting]:
        for cur, v in spend.items():
            total[cur] = total.get(cur, 0.0) + v
    return Stats(tuple(rows), tuple(timings), tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
                 total, tuple(skipped or ()), drafting)


def film_stats(film_file: Path) -> Stats:
    """Stats of the film whose film.yaml is `film_file`, from the ledger beside it."""
    from ..errors import FilmError
    from ..store.ledger import LEDGER, read_lines
    from ..targets import builtin_targets, load_targets

    root = film_file.parent
    attempts, skipped = read_attempts(root)
    drafting = draft_rows([e for _, e in read_lines(root / LEDGER, str(root / LEDGER))[0]])
    try:
        defs = load_targets(root)
    except FilmError:  # a broken target of the film's own does not hide what was spent
        defs = builtin_targets()
    return stats_for(attempts, selected_takes(film_file), {n: t.kind for n, t in defs.items()}, skipped, drafting)
