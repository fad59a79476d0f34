"""What the storyboard board shows, gathered from the film: the timeline, one card per shot, the summary.

Everything here is read, nothing written: the film is resolved and compiled (from the last build's cache, as
`filmc cost` does), its takes listed (as `filmc takes` does), its ledger read for spend and keep rate (as
`filmc stats` does), and the cost of the shots still without a `take:` estimated (as `filmc cost` does).
Media paths stay relative to the film's folder; the page turns them into links.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic
from ..jobs.takes_model import Take

CUTS = (("final", "the final cut"), ("animatic", "the animatic"))


@dataclass
class TakeCard:
    ref: str  # how `filmc select` names it (<target>/<n> or a path)
    path: str  # relative to the film's folder
    kind: str  # image | video
    target: str | None
    source: str  # runner | dropped | flat | selected
    selected: bool
    first_frame: bool
    stale: bool | None
    exists: bool
    inside: bool  # a regular file inside the film's folder: linked, thumbnailed and selectable
    origin: str  # provider and model, or where the file came from
    qc: str  # ok | warn | failed | unchecked
    qc_text: str  # the findings, one line
    prompt: str  # the prompt that made it (runner takes)
    thumb: str | None = None  # thumbs/<hash>.jpg once made
    older_frame: str | None = None  # made from another image than a run would start from now: why


@dataclass
class PromptCard:
    target: str
    kind: str
    text: str
    negative: str | None
    overridden: bool


@dataclass
class ShotCard:
    id: str
    number: int
    section: str
    tag: str | None
    start: float
    end: float
    world: str | None
    size: str | None
    angle: str | None
    camera: str | None
    place: str | None
    time: str | None
    cast: list[dict[str, str]]
    subject: str | None
    lyrics: list[str]
    notes: str | None
    take: str | None  # the shot's `take:` as written
    prompts: list[PromptCard]
    takes: list[TakeCard]
    warnings: list[Diagnostic]
    spend: dict[str, float]
    line: int  # film.yaml line of the shot
    pictures: list[tuple[str, str]] = field(default_factory=list)  # (path, take | first frame), best first
    picture: str | None = None  # what the card shows: the first of `pictures` with a thumbnail (None: the slate)
    picture_from: str = "slate"  # take | first frame | slate
    thumb: str | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Cut:
    kind: str  # final | animatic
    path: str  # relative to the film's folder
    label: str
    older: bool  # older than film.yaml: render again to see the latest


@dataclass
class Board:
    title: str
    logline: str | None
    film_file: Path
    root: Path
    film_hash: str  # sha256 of film.yaml's bytes as read: a write from the page must match it
    aspect: str
    song_duration: float
    preroll: float
    sections: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    beats: list[float]
    shots: list[ShotCard]
    cuts: list[Cut]
    summary: dict[str, Any]
    warnings: list[Diagnostic] = field(default_factory=list)  # the film's warnings no shot owns
    all_warnings: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, Sequence[str]] = field(default_factory=dict)  # film.yaml's lines, for reporting the warnings

    def take_files(self) -> list[TakeCard]:
        return [t for s in self.shots for t in s.takes]


def _money(spend: dict[str, float]) -> dict[str, float]:
    return {c: round(a, 6) for c, a in sorted(spend.items())}


def _qc(t: Take) -> tuple[str, str]:
    if t.qc is None:
        return "unchecked", ""
    text = "; ".join(f"{f.get('code', '?')} {f.get('message', '')}".strip() for f in t.qc.findings)
    if not t.qc.ok:
        return "failed", text
    return ("warn" if t.qc.findings else "ok"), text


def _origin(t: Take) -> str:
    if t.source == "runner":
        return " ".join(x for x in (t.provider, t.model) if x) or "filmc run"
    return {"dropped": "dropped in", "flat": "takes/ name", "selected": "film.yaml take:"}.get(t.source, t.source)


def _inside(root: Path, rel: str) -> bool:
    from ..jobs.takes_scan import in_folder
    from ..paths import inside_film, special_file

    if not in_folder(rel):
        return False
    real = inside_film(root, rel)
    return real is not None and real.is_file() and special_file(real) is None


def file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def collect_board(film: str | Path, *, allow_outside: bool = False) -> Board:
    """Resolve, compile and list `film` into a Board; FilmError (located) when film.yaml is not valid."""
    from ..build_cache import read_cache
    from ..edit.shots import find_image
    from ..expand import expand_production
    from ..expand.lint import lint_plan
    from ..jobs.cost import estimate
    from ..jobs.listing import shot_info
    from ..jobs.stats import stats_for
    from ..jobs.takes_scan import collect
    from ..loading import film_path, resolve_film
    from ..paths import build_folder
    from ..store.attempts import clean_path, read_attempts
    from ..store.frame_stamps import current_frames

    path = film_path(film)
    film_hash = file_hash(path)  # before reading it: a change while the board is built makes the hashes differ
    prod = resolve_film(film, allow_outside=allow_outside)
    root = prod.film.root
    plan = expand_production(prod, cache=read_cache(build_folder(path.parent)))
    warnings = list(prod.warnings) + lint_plan(plan)
    attempts, ledger_warnings = read_attempts(root)
    warnings += ledger_warnings
    film_targets = [*prod.film.targets.image, *prod.film.targets.video]
    kinds: dict[str, str | None] = {name: t.kind for name, t in prod.targets.items()}
    for a in attempts.values():
        if isinstance(a.target, str) and a.target and a.target not in kinds:
            kinds[a.target] = None
    frames = current_frames(root, [j.as_dict() for j in plan.jobs], attempts, {s.id: s.shot.take for s in prod.shots})
    listed, more = collect(root, [shot_info(s) for s in prod.shots], film_targets=film_targets, kinds=kinds,
                           attempts=attempts, hashes=plan.jobs.hashes(), frames=frames, orphans=False)
    warnings += more
    by_shot = {st.shot: st for st in listed}
    prompts_of = {a.attempt: a.prompt for a in attempts.values()}
    spend_of: dict[str, dict[str, float]] = {}
    for a in attempts.values():
        for cur, v in a.spend.items():
            bucket = spend_of.setdefault(a.shot, {})
            bucket[cur] = bucket.get(cur, 0.0) + v
    pointers = sorted(((s.shot.pointer, s.id) for s in prod.shots), key=lambda p: -len(p[0]))

    def owner(d: Diagnostic) -> str | None:
        for ptr, sid in pointers:
            if d.pointer == ptr or d.pointer.startswith(ptr + "/"):
                return sid
        return None

    shot_warnings: dict[str, list[Diagnostic]] = {}
    loose: list[Diagnostic] = []
    for d in warnings:
        sid = owner(d)
        (shot_warnings.setdefault(sid, []) if sid else loose).append(d)

    cards: list[ShotCard] = []
    for rs in prod.shots:
        sh = rs.shot
        st = by_shot.get(rs.id)
        takes: list[TakeCard] = []
        for t in (st.takes if st else []):
            qc, qc_text = _qc(t)
            takes.append(TakeCard(t.ref, t.path, t.kind, t.target, t.source, t.selected, t.first_frame, t.stale,
                                  t.exists, t.exists and _inside(root, t.path), _origin(t), qc, qc_text,
                                  prompts_of.get(t.attempt or "", ""), older_frame=t.older_frame))
        place = (rs.location.slug or rs.location.id) if rs.location else None
        cast = [{"who": m.character.name or m.character.id, "id": m.character.id,
                 "what": "; ".join(x for x in (m.member.action, m.member.expression) if x),
                 "motion": m.member.motion or "", "wardrobe": m.wardrobe or ""} for m in rs.cast]
        card = ShotCard(
            rs.id, rs.number, rs.section.id, rs.section.tag, rs.start, rs.end, rs.world.id if rs.world else None,
            sh.size, sh.angle, str(sh.camera) if sh.camera else None, place, sh.time, cast, sh.subject,
            [ln.text for ln in rs.lines], sh.notes, sh.take,
            [PromptCard(p.target, p.kind, p.text, p.negative, p.overridden) for p in plan.prompts if p.shot == rs.id],
            takes, shot_warnings.get(rs.id, []), _money(spend_of.get(rs.id, {})),
            prod.doc.locate(sh.pointer)[0] if prod.doc else 0)
        chosen = next((t for t in takes if t.selected and t.inside), None)
        if chosen is not None:
            card.pictures.append((chosen.path, "take"))
        img = find_image(prod, rs)
        if img is not None and _inside(root, img[1]) and img[1] not in (p for p, _ in card.pictures):
            card.pictures.append((img[1], "first frame"))
        cards.append(card)

    # The summary: takes, keep rate and spend from the ledger; what the shots without a take still cost.
    selected = {p for p in (clean_path(s.shot.take) for s in prod.shots) if p}
    st_all = stats_for(attempts, selected, {n: t.kind for n, t in prod.targets.items()})
    todo = {s.id for s in prod.shots if not s.shot.take}
    est = estimate([j.as_dict() for j in plan.jobs if j.shot in todo], prod.targets,
                   keep_rate=prod.film.info.keep_rate, options={k: v["options"] for k, v in plan.contexts.items()},
                   sections={s.id: s.section.id for s in plan.shots})
    all_takes = [t for c in cards for t in c.takes]
    summary = {
        "shots": len(cards), "sections": len(prod.sections), "selected": sum(1 for c in cards if c.take),
        "takes": len(all_takes), "produced": st_all.total("produced"),
        "kept": st_all.total("kept"), "keep_rate": st_all.keep_rate, "spend": _money(st_all.spend),
        "remaining": _money(est.total), "remaining_jobs": len(est.rows), "remaining_lower_bound": est.lower_bound,
        "remaining_shots": len(todo), "warnings": len(warnings), "targets": film_targets,
        "failed_qc": sum(1 for t in all_takes if t.qc == "failed"),
    }
    return Board(
        prod.film.info.title, prod.film.info.logline, path, root, film_hash,
        prod.film.info.aspect, prod.song_duration, prod.preroll,
        [{"id": s.section.id, "tag": s.section.tag, "start": s.start, "end": s.end, "world": s.section.world}
         for s in prod.sections],
        [{"start": ln.start, "end": ln.end, "text": ln.text} for ln in prod.lines],
        list(prod.beats), cards, _cuts(prod, path), summary, loose, warnings, dict(prod.sources()))


def _cuts(prod: Any, film_file: Path) -> list[Cut]:
    """The rendered cuts beside the film (final first), each marked when older than film.yaml."""
    from ..edit.render import default_output

    try:
        changed = os.stat(film_file).st_mtime_ns
    except OSError:
        changed = 0
    out = []
    root = prod.film.root
    for kind, label in CUTS:
        p = default_output(prod, animatic=kind == "animatic")
        try:
            rel = Path(os.path.abspath(p)).relative_to(os.path.abspath(root)).as_posix()
        except ValueError:
            continue
        if _inside(root, rel):
            out.append(Cut(kind, rel, label, os.stat(p).st_mtime_ns < changed))
    return out
