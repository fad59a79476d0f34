"""Stats as text for the terminal, or as the Markdown making-of table a creator publishes."""

from __future__ import annotations

from statistics import median

from ..plurals import plural
from .stats import Stats, Timing


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def money(m: dict[str, float]) -> str:
    return " + ".join(f"{v:.2f} {c}" for c, v in sorted(m.items())) or "0.00"


def headline(st: Stats) -> str:
    """"311 image + 140 video generations, 34 % kept, 12.80 USD"."""
    kinds = st.produced_by_kind()
    parts = [f"{kinds[k]} {label}" for k, label in (("image", "image"), ("video", "video"), ("?", "other"))
             if kinds.get(k)]
    text = (" + ".join(parts) or "0") + (" generation" if st.total("produced") == 1 else " generations")
    rate = st.keep_rate
    text += f", {rate * 100:.0f} % kept" if rate is not None else ""
    drafts = sum(d.drafts for d in st.drafting)
    text += f", {plural(drafts, 'draft')} with Gemini" if drafts else ""
    return text + (f", {money(st.spend)}" if st.spend else "")


def _agg(xs: tuple[float, ...]) -> tuple[str, str]:
    return (duration(median(xs)), duration(sum(xs))) if xs else ("-", "-")


def _timing_cells(t: Timing) -> tuple[str, ...]:
    return (t.target, *_agg(t.generation), *_agg(t.queue))


ROW_HEAD = ("target", "model", "generations", "kept", "failed", "unknown", "open", "spend")
TIME_HEAD = ("target", "generation median", "total", "queue median", "total")


def _rows(st: Stats) -> list[tuple[str, ...]]:
    return [(r.target, r.model or "-", str(r.produced), str(r.kept), str(r.failed), str(r.unknown),
             str(r.open + r.cancelled), money(r.spend) if r.spend else "-") for r in st.rows]


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


DRAFT_HEAD = ("drafting model", "drafts", "tokens in", "tokens out", "spend")


def _draft_rows(st: Stats) -> list[tuple[str, ...]]:
    return [(d.model, str(d.drafts), f"{d.tokens_in:,}", f"{d.tokens_out:,}", money(d.spend) if d.spend else "-")
            for d in st.drafting]


def render_text(st: Stats, name: str = "") -> str:
    if not st.rows and not st.drafting:
        return f"{name + ': ' if name else ''}no generations recorded yet (.filmc/ledger.jsonl is empty or absent)\n"
    lines = [(f"{name}: " if name else "") + headline(st), ""]
    if st.rows:
        lines += _table([ROW_HEAD, *_rows(st)])
        lines += ["", *_table([TIME_HEAD, *(_timing_cells(t) for t in st.timings)])]
    if st.drafting:
        lines += (["", *_table([DRAFT_HEAD, *_draft_rows(st)])] if st.rows else _table([DRAFT_HEAD, *_draft_rows(st)]))
    if st.failures:
        lines += ["", "failures"] + [f"  {n:>4}  {reason}" for reason, n in st.failures]
    rejected = st.total("qc_rejected")
    if rejected:
        lines += ["", f"{plural(rejected, 'take')} failed the quality checks"]
    return "\n".join(lines) + "\n"


def _md_table(head: tuple[str, ...], rows: list[tuple[str, ...]], right: set[int]) -> list[str]:
    def esc(s: str) -> str:
        return s.replace("|", "\\|")

    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if i in right else "---" for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return out


def render_md(st: Stats, name: str = "") -> str:
    lines = [f"## Making of{' ' + name if name else ''}", ""]
    if not st.rows and not st.drafting:
        return "\n".join([*lines, "No generations recorded yet.", ""])
    lines += [headline(st) + ".", ""]
    if st.rows:
        lines += _md_table(ROW_HEAD, _rows(st), {2, 3, 4, 5, 6, 7})
        lines += ["", *_md_table(TIME_HEAD, [_timing_cells(t) for t in st.timings], {1, 2, 3, 4})]
    if st.drafting:
        lines += ([""] if st.rows else []) + _md_table(DRAFT_HEAD, _draft_rows(st), {1, 2, 3, 4})
    if st.failures:
        lines += ["", *_md_table(("failure", "count"), [(r, str(n)) for r, n in st.failures], {1})]
    return "\n".join(lines) + "\n"
