"""A Listing as tables for people: plain text (pipes, files, CI logs) or rich (a terminal)."""

from __future__ import annotations

import datetime as dt

from ..plurals import plural
from .takes_model import Listing, ShotTakes, Take, TargetTakes

HEAD = ("", "take", "from", "qc", "made (UTC)", "note")


def headline(listing: Listing) -> str:
    takes = [t for t in listing.takes if not t.later]
    later = len(listing.takes) - len(takes)
    with_takes = [s for s in listing.shots if s.takes]
    parts = [f"{plural(len(takes), 'take')} of {plural(len(with_takes), 'shot')}"
             + (f" (and {plural(later, 'take')} of later segments)" if later else ""),
             f"{sum(1 for s in listing.shots if s.take)} selected"]
    stale = sum(1 for t in takes if t.stale)
    missing = sum(1 for t in takes if not t.exists)
    failed = sum(1 for t in takes if t.failed_qc)
    unchecked = sum(1 for t in takes if t.qc is None and t.exists)
    if stale:
        parts.append(f"{stale} from an older prompt")
    older = sum(1 for t in takes if t.older_frame and not t.stale)
    if older:
        parts.append(f"{older} from an older first frame")
    if failed:
        parts.append(f"{failed} failed the quality checks")
    if missing:
        parts.append(f"{missing} missing")
    if unchecked and not listing.checked:
        parts.append(f"{unchecked} not checked (--check)")
    return f"{listing.title}: " + ", ".join(parts)


def _when(t: float | None) -> str:
    if t is None:
        return ""
    try:
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return ""


def _origin(t: Take) -> str:
    if t.source == "runner":
        return " ".join(x for x in (t.provider, t.model) if x) or "filmc run"
    return {"dropped": "dropped in", "flat": "takes/ name", "selected": "film.yaml take:"}.get(t.source, t.source)


def _qc(t: Take) -> str:
    if t.qc is None:
        return "-"
    if t.qc.ok:
        warn = [f["code"] for f in t.qc.findings]
        return "ok" + (f" ({' '.join(warn)})" if warn else "")
    return " ".join(f["code"] for f in t.qc.findings if f.get("severity") != "warning") or "failed"


def _note(t: Take, g: TargetTakes) -> str:
    notes = []
    if t.segment and t.segments:
        notes.append(f"segment {t.segment} of {t.segments}" + (", plays after the shot's take" if t.follows else ""))
    if not t.exists:
        notes.append("missing" if t.source != "selected" else "not found")
    if t.stale:
        notes.append("old prompt")
    elif t.older_frame:
        notes.append("older " + ("end frame" if "end frame" in t.older_frame else "segment before"
                                 if "segment" in t.older_frame else "first frame"))
    if t.first_frame:
        notes.append("first frame")
    if g.target is not None and not g.in_film:
        notes.append("not a target of the film")
    return ", ".join(notes)


def label(t: Take, shot: str) -> str:
    """What to call a take (and to give `filmc select`): <target>/<n>, else its file from takes/<shot>/, else its
    path in the film's folder."""
    if t.target and t.number is not None:
        return t.ref
    prefix = f"takes/{shot}/"
    return t.path[len(prefix):] if t.path.startswith(prefix) else t.path


def rows(st: ShotTakes) -> list[tuple[tuple[str, ...], Take]]:
    out: list[tuple[tuple[str, ...], Take]] = []
    for g in st.groups:
        for t in g.takes:
            mark = "*" if t.selected else "+" if t.follows else ""
            out.append(((mark, label(t, st.shot), _origin(t), _qc(t), _when(t.time),
                         _note(t, g)), t))
    return out


def attempt_lines(st: ShotTakes) -> list[str]:
    out = []
    for g in st.groups:
        for j in g.jobs:
            counts = [f"{n} {word}" for n, word in ((j.failed, "failed"), (j.unknown, "of unknown outcome"),
                                                     (j.cancelled, "cancelled"), (j.open, "still running"))
                      if n]
            last = f" (last {j.last_state}: {j.last_reason})" if j.last_reason else ""
            out.append(f"{j.job}: {', '.join(counts)}{last}")
    return out


def finding_lines(st: ShotTakes) -> list[str]:
    out = []
    for t in st.takes:
        if t.qc and t.qc.findings:
            for f in t.qc.findings:
                out.append(f"{label(t, st.shot)}: {f['severity']}[{f['code']}] {f['message']}")
    return out


def shot_title(st: ShotTakes) -> str:
    bits = [st.shot]
    if not st.in_film:
        bits.append("(not in film.yaml any more)")
    if st.section:
        bits.append(st.section)
    if st.duration is not None:
        bits.append(f"{st.duration:.2f} s")
    bits.append(f"take: {st.take}" if st.take else "no take selected")
    inside = any(t.path.startswith(f"takes/{st.shot}/") for t in st.takes)
    return "  ".join(bits) + (f"   (files in takes/{st.shot}/)" if inside else "")


def _table(cells: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    used = [i for i in range(len(cells[0])) if i == 0 or any(r[i] for r in cells[1:])]
    cells = [tuple(r[i] for i in used) for r in cells]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    return [(indent + "  ".join(c.ljust(w) for c, w in zip(r, widths))).rstrip() for r in cells]


def _empty(listing: Listing) -> list[str]:
    return [s.shot for s in listing.shots if not s.takes and not any(g.jobs for g in s.groups)]


def render_plain(listing: Listing, *, film: str = "FILM", single: bool = False) -> str:
    lines = [headline(listing)]
    empty = _empty(listing)
    for st in listing.shots:
        if st.shot in empty and not single:
            continue
        lines += ["", shot_title(st)]
        rs = rows(st)
        if rs:
            lines += _table([HEAD, *(r for r, _ in rs)])
        elif not attempt_lines(st):
            lines.append("  no takes yet")
        lines += ["  " + x for x in attempt_lines(st)]
        lines += ["  " + x for x in finding_lines(st)]
    if empty and not single:
        lines += ["", f"no takes yet: {', '.join(empty)}"]
    lines += ["", footer(listing, film)]
    return "\n".join(lines) + "\n"


def footer(listing: Listing, film: str) -> str:
    if not listing.takes:
        return (f"filmc run {film} generates takes; files dropped into takes/<shot>/ are takes too. "
                f"filmc select {film} SHOT TAKE picks one.")
    tail = ("; a later segment of an extended shot is not a take of its own: select segment 1's take, "
            "and render plays the later ones" + (" (+)" if any(t.follows for t in listing.takes) else "")
            + " after it") if any(t.later for t in listing.takes) else ""
    return f"* the shot's take: (render uses it). Choose one: filmc select {film} SHOT TAKE{tail}"


def print_rich(listing: Listing, *, film: str = "FILM", single: bool = False) -> None:
    """The same content through rich, for a terminal."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    console.print(headline(listing), markup=False, style="bold")
    empty = _empty(listing)
    for st in listing.shots:
        if st.shot in empty and not single:
            continue
        console.print()
        console.print(shot_title(st), markup=False, style="bold")
        rs = rows(st)
        if rs:
            table = Table(box=None, pad_edge=False, show_edge=False)
            for i, name in enumerate(HEAD):  # nothing cut short: paths fold, dates and refs stay whole
                table.add_column(name, no_wrap=i in (0, 3, 4), overflow="fold")
            for cells, t in rs:
                style = ("red" if t.failed_qc or not t.exists else "green" if t.selected
                         else "yellow" if t.stale or t.older_frame else None)
                table.add_row(*cells, style=style)
            console.print(table)
        elif not attempt_lines(st):
            console.print("  no takes yet", style="dim")
        for x in attempt_lines(st):
            console.print("  " + x, markup=False, style="yellow")
        for x in finding_lines(st):
            console.print("  " + x, markup=False, style="dim")
    if empty and not single:
        console.print()
        console.print(f"no takes yet: {', '.join(empty)}", markup=False, style="dim")
    console.print()
    console.print(footer(listing, film), markup=False, style="dim")
