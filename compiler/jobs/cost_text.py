"""An Estimate as a table for people: plain text (pipes, files, CI logs) or rich (a terminal)."""

from __future__ import annotations

from ..plurals import noun, plural
from .cost import Estimate, JobCost, Price

CONFIDENCE = {"V": "verified from the vendor", "V-3p": "from a third-party copy", "I": "inferred"}
UNIT = {"second": "s", "image": "image", "generation": "generation"}
HEAD = ("job", "target", "provider", "length", "price", "per generation", "expected")


def amount(x: float) -> str:
    """A price: at least two decimals, up to four (0.10, 0.035, 0.0125)."""
    s = f"{x:.4f}".rstrip("0")
    return s + "0" * max(0, 2 - len(s.split(".")[1]))


def money(m: dict[str, float]) -> str:
    return " + ".join(f"{v:.2f} {c}" for c, v in sorted(m.items())) or "0.00"


def _ref(est: Estimate) -> dict[str, int]:
    return {p.key: i for i, p in enumerate(est.prices, 1)}


def _row(r: JobCost, ref: dict[str, int]) -> tuple[str, ...]:
    length = f"{r.duration:g} s" if r.duration is not None else ""
    if r.price is None or r.per_generation is None or r.expected is None:
        return (r.job, r.target, r.provider, length, f"unknown: {r.reason}", "-", "-")
    p = r.price
    return (r.job, r.target, r.provider, length, f"{amount(p.amount)} {p.currency}/{UNIT.get(p.unit, p.unit)} "
            f"[{ref[p.key]}]", f"{r.per_generation:.2f} {p.currency}", f"{r.expected:.2f} {p.currency}")


def _groups(est: Estimate, attr: str) -> list[tuple[str, str, str]]:
    totals = est.by_target if attr == "target" else est.by_section
    out = []
    for key, m in totals.items():
        rows = [r for r in est.rows if getattr(r, attr) == key]
        unknown = sum(1 for r in rows if r.price is None)
        text = money(m) if m else ""
        if unknown:
            text = (f"at least {text}; " if m else "") + f"{unknown} without a known price"
        out.append((key, plural(len(rows), "job"), text))
    return out


def headline(est: Estimate, name: str = "") -> str:
    n = len(est.rows)
    return (f"{name + ': ' if name else ''}{plural(n, 'job')} x {plural(est.takes, 'kept take')}, keep rate {est.keep_rate:.2f}: "
            f"{est.takes / est.keep_rate:.2f} generations per job")


def total_line(est: Estimate) -> str:
    unknown = len(est.unknown)
    text = f"total: {'at least ' if unknown else ''}{money(est.total)}"
    if est.converted is not None:
        rates = ", ".join(f"1 {c} = {v:g} {est.converted.currency}" for c, v in sorted(est.converted.rates.items()))
        text += f" (= {est.converted.amount:.2f} {est.converted.currency}" + (f" at {rates})" if rates else ")")
    elif est.unconverted:
        text += f" (no rate given for {', '.join(est.unconverted)}: not converted)"
    if unknown:
        text += f"\n{unknown} of {plural(len(est.rows), 'job')} {noun(unknown, 'has', 'have')} no known price [C501]: the total is a lower bound"
        text += "".join("\n  " + line for line in why_unknown(est))
    return text


WHY = {"no price for this provider": "its target.yaml has no sourced price for this provider",
       "no entry matches the options": "none of its prices fits the job's options (model, mode, length)",
       "priced per second, the job has no length": "priced per second, and the job has no length"}


def why_unknown(est: Estimate) -> list[str]:
    """Why the jobs without a price have none (per target and provider), and how a creator gives a target one."""
    found: dict[tuple[str, str], str] = {}
    for r in est.unknown:
        found.setdefault((r.target, r.provider), r.reason or "")
    lines = [f"{t} through {p}: {WHY.get(why, why)}" for (t, p), why in found.items()]
    providers: dict[str, list[str]] = {}
    for (t, p), why in found.items():
        if why != "unknown target":
            providers.setdefault(t, []).append(p)
    for t, names in providers.items():
        lines.append(f"to count one: `filmc targets show {t}` lists the prices filmc knows and the target's folder; "
                     f"copy that folder to targets/{t}/ beside film.yaml and add a `prices:` entry (provider: "
                     f"{', '.join(names)}, unit, amount, currency, date, source, confidence)")
    return lines


def price_line(i: int, p: Price) -> str:
    when = ", ".join(f"{k}={'|'.join(map(str, v)) if isinstance(v, list) else v}" for k, v in p.when.items())
    conf = CONFIDENCE.get(p.confidence, p.confidence)
    return (f"[{i}] {p.target}/{p.provider}: {amount(p.amount)} {p.currency} per {p.unit}"
            f"{' when ' + when if when else ''}; {p.date}; {p.source} ({p.confidence}: {conf})")


def _table(rows: list[tuple[str, ...]], indent: str = "") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [(indent + "  ".join(c.ljust(w) for c, w in zip(r, widths))).rstrip() for r in rows]


def render_plain(est: Estimate, name: str = "") -> str:
    ref = _ref(est)
    lines = [headline(est, name), ""]
    if est.rows:
        lines += _table([HEAD, *(_row(r, ref) for r in est.rows)])
    for title, attr in (("by target", "target"), ("by section", "section")):
        groups = _groups(est, attr)
        if groups:
            lines += ["", title, *_table(list(groups), "  ")]
    lines += ["", total_line(est)]
    if est.prices:
        lines += ["", "prices used", *("  " + price_line(i, p) for i, p in enumerate(est.prices, 1))]
    return "\n".join(lines) + "\n"


def print_rich(est: Estimate, name: str = "") -> None:
    """The same content through rich, for a terminal."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    ref = _ref(est)
    console.print(headline(est, name), markup=False)
    if est.rows:
        table = Table(*HEAD, box=None, pad_edge=False)
        for col in (5, 6):
            table.columns[col].justify = "right"
        for r in est.rows:
            cells = _row(r, ref)
            table.add_row(*cells, style="dim" if r.price is None else None)
        console.print(table)
    for title, attr in (("by target", "target"), ("by section", "section")):
        groups = _groups(est, attr)
        if groups:
            console.print()
            t = Table(title, "jobs", "expected", box=None, pad_edge=False, title_justify="left")
            for g in groups:
                t.add_row(*g)
            console.print(t)
    console.print()
    console.print(total_line(est), markup=False, style="bold")
    if est.prices:
        console.print()
    for i, p in enumerate(est.prices, 1):
        console.print(price_line(i, p), markup=False, style="dim")
