"""The money commands: what the jobs will cost before spending (`filmc cost`), what they took after (`filmc stats`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .options import Loading

if TYPE_CHECKING:
    from ..jobs.cost import Estimate
    from ..jobs.stats import Stats


@dataclass(frozen=True, slots=True)
class CostResult:
    """`filmc cost`: the estimate, and the film's title to head it."""

    estimate: Estimate
    title: str


def parse_rates(rates: Sequence[str]) -> dict[str, tuple[str, float]]:
    """`--rate FROM:TO=X` options -> {FROM: (TO, X)}; every rate converts to one currency."""
    from ..errors import UsageError
    from ..jobs.cost import parse_rate

    conv: dict[str, tuple[str, float]] = {}
    for text in rates:
        try:
            src, dst, value = parse_rate(text)
        except ValueError as e:
            raise UsageError(str(e)) from None
        conv[src] = (dst, value)
    if len({dst for dst, _ in conv.values()}) > 1:
        raise UsageError("every --rate must convert to the same currency")
    return conv


def estimate_cost(loading: Loading, *, targets: Sequence[str] = (), select: str | None = None, takes: int = 1,
                  rates: Sequence[str] = ()) -> CostResult:
    """load -> validate -> resolve -> expand (from the last build's cache) -> price every job. Writes nothing."""
    from ..build_cache import read_cache
    from ..expand import expand_production
    from ..jobs.cost import estimate

    conv = parse_rates(rates)
    prod = loading.resolve()
    if select:
        from ..edit.shots import select_shots as checked

        checked(prod, select)  # a term that matches no shot: UsageError, with the id it may have meant
    plan = expand_production(prod, targets=list(targets) or None, select=select, cache=read_cache(loading.build_dir))
    est = estimate([j.as_dict() for j in plan.jobs], prod.targets, takes=takes, keep_rate=prod.film.info.keep_rate,
                   options={k: v["options"] for k, v in plan.contexts.items()},
                   sections={s.id: s.section.id for s in plan.shots}, rates=conv)
    return CostResult(est, prod.film.info.title)


def film_stats(loading: Loading) -> Stats:
    """What the film's generations took, from its ledger."""
    from ..jobs.stats import film_stats as stats_of

    return stats_of(loading.path)
