"""What the compiled jobs will cost before anything is spent: jobs x takes x 1/keep_rate x the target's price.

For each job:

    generations    = takes / keep_rate      `--takes N` asks for N *kept* takes; only keep_rate of the
                                            generations are expected to be kept, so N kept takes cost
                                            N / keep_rate generations (1 take at keep_rate 0.34: 2.94)
    per_generation = amount                 unit: image | generation
                   = amount * duration      unit: second (the job's generation length)
    expected       = generations * per_generation

The price is the target's `prices:` entry for the job's provider whose `when:` conditions all hold for
the job's effective options (the options schema's defaults < the target's defaults < the film's and the
shot's options, plus `duration` and `provider`); when several hold, the one with the most conditions wins
(the first in the file on a tie). A job no entry fits has an unknown price: totals then are lower bounds.
Amounts stay in their currency; currencies are added up separately and converted only with rates given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, overload

from ..targets import TargetDef

__all__ = ["Estimate", "JobCost", "Price", "effective_options", "estimate", "generation_price", "job_cost", "load_jobs",
           "match_price", "parse_rate"]

DEFAULT_KEEP_RATE = 0.34


@dataclass(frozen=True)
class Price:
    """One `prices:` entry of a target, as used for an estimate."""

    target: str
    index: int  # position in the target's prices list
    provider: str
    unit: str  # image | second | generation
    amount: float
    currency: str
    date: str
    source: str
    confidence: str  # V | V-3p | I
    when: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.target}#{self.index + 1}"

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "target": self.target, "provider": self.provider, "unit": self.unit,
                "amount": self.amount, "currency": self.currency, "date": self.date, "source": self.source,
                "confidence": self.confidence, "when": self.when}


@dataclass(frozen=True)
class JobCost:
    """One job's estimate. `price` None: no known price (`reason` says why); the amounts are then None."""

    job: str
    shot: str
    section: str | None
    target: str
    provider: str
    duration: float | None
    generations: float  # expected generations to reach the kept takes
    price: Price | None
    per_generation: float | None  # one generation's price, in price.currency
    expected: float | None  # generations x per_generation
    reason: str | None = None

    @property
    def currency(self) -> str | None:
        return self.price.currency if self.price else None

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "shot": self.shot, "section": self.section, "target": self.target,
                "provider": self.provider, "duration": self.duration, "generations": _r(self.generations),
                "price": self.price.key if self.price else None, "currency": self.currency,
                "per_generation": _r(self.per_generation), "expected": _r(self.expected), "reason": self.reason}


@dataclass(frozen=True)
class Converted:
    """The overall total in one currency, with the rates used (1 unit of a key = value units of `currency`)."""

    currency: str
    amount: float
    rates: dict[str, float]


@dataclass(frozen=True)
class Estimate:
    takes: int
    keep_rate: float
    rows: tuple[JobCost, ...]
    by_target: dict[str, dict[str, float]]  # target -> currency -> expected
    by_section: dict[str, dict[str, float]]
    total: dict[str, float]  # currency -> expected, over every job with a known price
    prices: tuple[Price, ...]  # every price used, in first-use order
    converted: Converted | None = None
    unconverted: tuple[str, ...] = ()  # currencies of the total that no rate converts

    @property
    def unknown(self) -> tuple[JobCost, ...]:
        return tuple(r for r in self.rows if r.price is None)

    @property
    def lower_bound(self) -> bool:
        """True when some job has no known price: every total is then at least this much."""
        return any(r.price is None for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        def money(m: dict[str, float]) -> dict[str, float]:
            return {c: _r(a) for c, a in sorted(m.items())}

        return {
            "takes": self.takes, "keep_rate": self.keep_rate, "generations_per_job": _r(self.takes / self.keep_rate),
            "formula": "expected = takes / keep_rate x price per generation (unit second: x duration)",
            "jobs": len(self.rows), "unknown_price": [r.job for r in self.unknown], "lower_bound": self.lower_bound,
            "total": money(self.total),
            "by_target": {k: money(v) for k, v in self.by_target.items()},
            "by_section": {k: money(v) for k, v in self.by_section.items()},
            "converted": None if self.converted is None else {
                "currency": self.converted.currency, "amount": _r(self.converted.amount),
                "rates": dict(sorted(self.converted.rates.items()))},
            "unconverted": list(self.unconverted),
            "prices": [p.as_dict() for p in self.prices],
            "rows": [r.as_dict() for r in self.rows],
        }


@overload
def _r(x: float) -> float: ...
@overload
def _r(x: None) -> None: ...
def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 9)


def _same(have: Any, want: Any) -> bool:
    """An option value against a `when` value: numbers compare as numbers ("5" == 5 == 5.0)."""
    if isinstance(want, list):
        return any(_same(have, w) for w in want)
    if have is None or isinstance(have, bool) or isinstance(want, bool):
        return have is want or have == want
    try:
        return float(have) == float(want)
    except (TypeError, ValueError):
        return str(have) == str(want)


def effective_options(job: Mapping[str, Any], target: TargetDef, options: Mapping[str, Any] | None = None
                      ) -> dict[str, Any]:
    """The options a job is generated with, for price matching.

    The options schema's defaults < the target's defaults < `options` (the compiled plan's merged options),
    or, without them, the request body's fields that are option names (a job read from build/jobs carries
    only its body); then `provider` and `duration` (the generation length) from the job.
    """
    out: dict[str, Any] = {o.name: o.default for o in target.option_defs if o.has_default}
    if options is not None:
        out.update(options)
    else:
        body = job.get("body")
        if isinstance(body, dict):
            out.update({k: v for k, v in body.items() if target.option(k) and k != "duration"})
    out["provider"] = job.get("provider")
    if job.get("duration") is not None:
        out["duration"] = job["duration"]
    return out


def match_price(target: TargetDef, provider: str, options: Mapping[str, Any]) -> Price | None:
    """The most specific price entry of `target` for `provider` whose `when` holds for `options`."""
    best: tuple[int, Price] | None = None
    for i, entry in enumerate(target.prices):
        if not isinstance(entry, dict) or entry.get("provider") != provider:
            continue
        when = entry.get("when") or {}
        if not isinstance(when, dict) or not all(_same(options.get(k), v) for k, v in when.items()):
            continue
        amount = entry.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            continue
        if best is None or len(when) > best[0]:
            best = (len(when), Price(target.name, i, provider, str(entry.get("unit", "generation")), float(amount),
                                     str(entry.get("currency", "USD")), str(entry.get("date", "undated")),
                                     str(entry.get("source", "")), str(entry.get("confidence", "")), dict(when)))
    return best[1] if best else None


def job_cost(job: Mapping[str, Any], target: TargetDef | None, *, takes: int = 1,
             keep_rate: float = DEFAULT_KEEP_RATE, options: Mapping[str, Any] | None = None,
             section: str | None = None) -> JobCost:
    """One job's estimate (see the module's formula). `target` None: a target filmc does not know."""
    if not 0 < keep_rate <= 1:
        raise ValueError(f"keep_rate must be in (0, 1], not {keep_rate}")
    if takes < 1:
        raise ValueError(f"takes must be at least 1, not {takes}")
    gens = takes / keep_rate
    provider = str(job.get("provider") or "")
    duration = job.get("duration")
    duration = float(duration) if isinstance(duration, int | float) and not isinstance(duration, bool) else None
    unpriced = JobCost(job=str(job.get("job", "")), shot=str(job.get("shot", "")), section=section,
                       target=str(job.get("target", "")), provider=provider, duration=duration, generations=gens,
                       price=None, per_generation=None, expected=None)
    if target is None:
        return replace(unpriced, reason="unknown target")
    price = match_price(target, provider, effective_options(job, target, options))
    if price is None:
        why = "no price for this provider" if not any(
            isinstance(p, dict) and p.get("provider") == provider for p in target.prices) \
            else "no entry matches the options"
        return replace(unpriced, reason=why)
    if price.unit == "second":
        if duration is None:
            return replace(unpriced, reason="priced per second, the job has no length")
        per = price.amount * duration
    else:
        per = price.amount
    return replace(unpriced, price=price, per_generation=per, expected=gens * per)


def generation_price(job: Mapping[str, Any], target: TargetDef | None,
                     options: Mapping[str, Any] | None = None) -> tuple[float, Price] | None:
    """What one generation of `job` costs (in the price's currency), or None when no price is known."""
    row = job_cost(job, target, takes=1, keep_rate=1.0, options=options)
    return (row.per_generation, row.price) if row.price is not None and row.per_generation is not None else None


def _add(into: dict[str, dict[str, float]], key: str, currency: str | None, amount: float | None) -> None:
    bucket = into.setdefault(key, {})
    if currency is not None and amount is not None:
        bucket[currency] = bucket.get(currency, 0.0) + amount


def estimate(jobs: Iterable[Mapping[str, Any]], targets: Mapping[str, TargetDef], *, takes: int = 1,
             keep_rate: float = DEFAULT_KEEP_RATE,
             options: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
             sections: Mapping[str, str] | None = None,
             rates: Mapping[str, tuple[str, float]] | None = None) -> Estimate:
    """Estimate every job (dicts as in build/jobs/*.jsonl, or Job.as_dict()).

    options: (shot, target) -> the compiled options (Plan.contexts[...]["options"]); without them the
    options come from each job's body. sections: shot -> section id. rates: currency -> (to currency,
    rate) as parse_rate gives: the total is also given in the `to` currency when every currency converts.
    """
    rows: list[JobCost] = []
    for job in jobs:
        key = (str(job.get("shot")), str(job.get("target")))
        opts = options.get(key) if options is not None else None
        rows.append(job_cost(job, targets.get(key[1]), takes=takes, keep_rate=keep_rate,
                             options=opts, section=(sections or {}).get(key[0])))
    by_target: dict[str, dict[str, float]] = {}
    by_section: dict[str, dict[str, float]] = {}
    total: dict[str, float] = {}
    used: dict[str, Price] = {}
    for r in rows:
        _add(by_target, r.target, r.currency, r.expected)
        if r.section is not None:
            _add(by_section, r.section, r.currency, r.expected)
        if r.price is not None and r.expected is not None:
            total[r.price.currency] = total.get(r.price.currency, 0.0) + r.expected
            used.setdefault(r.price.key, r.price)
    converted, unconverted = _convert(total, rates or {})
    return Estimate(takes, keep_rate, tuple(rows), by_target, by_section, total, tuple(used.values()),
                    converted, unconverted)


def _convert(total: dict[str, float], rates: Mapping[str, tuple[str, float]]
             ) -> tuple[Converted | None, tuple[str, ...]]:
    if not rates:
        return None, ()
    to = {t for t, _ in rates.values()}
    if len(to) != 1:
        raise ValueError("every --rate must convert to the same currency")
    target = to.pop()
    amount, used, missing = 0.0, {}, []
    for cur, value in sorted(total.items()):
        if cur == target:
            amount += value
        elif cur in rates:
            amount += value * rates[cur][1]
            used[cur] = rates[cur][1]
        else:
            missing.append(cur)
    return (None if missing else Converted(target, amount, used)), tuple(missing)


def parse_rate(text: str) -> tuple[str, str, float]:
    """`EUR:USD=1.08` (1 EUR is 1.08 USD) -> ("EUR", "USD", 1.08); ValueError on anything else."""
    import re

    m = re.fullmatch(r"\s*([A-Za-z]{3})\s*:\s*([A-Za-z]{3})\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*", text)
    if not m or float(m[3]) <= 0 or m[1].upper() == m[2].upper():
        raise ValueError(f"'{text}' is not a rate like EUR:USD=1.08 (1 EUR = 1.08 USD)")
    return m[1].upper(), m[2].upper(), float(m[3])


def load_jobs(build_dir: Path, targets: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The jobs of build/jobs/<target>.jsonl (every target, or those named), in file order.

    ValueError names the file and line of a line that is not a JSON object.
    """
    folder = build_dir / "jobs"
    files = sorted(folder.glob("*.jsonl")) if targets is None else [folder / f"{t}.jsonl" for t in targets]
    out: list[dict[str, Any]] = []
    for f in files:
        if not f.is_file():  # also refuses a FIFO, which would block open()
            raise ValueError(f"{f}: not a regular file")
        with open(f, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    job = json.loads(line)
                except ValueError as e:
                    raise ValueError(f"{f}:{n}: not a JSON job line ({e})") from None
                if not isinstance(job, dict):
                    raise ValueError(f"{f}:{n}: not a JSON object")
                out.append(job)
    return out
