"""`filmc draft storyboard`: new shots for sections, in film.yaml's shot format, fitted to the time they have."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..model import CAMERA_MOVES, CAMERA_SPEEDS
from ..plurals import noun, plural
from ..resolve import Production
from ..timeline import EPS
from ..yamledit import FilmEdit
from .answer import Parsed
from .client import Request
from .facts import facts_text, film_facts, instructions
from .run import Merged, refuse
from .schema import array, definition, obj, only

KIND = "storyboard"
FIELDS = ("id", "section", "duration", "size", "angle", "camera", "location", "time", "world", "cast", "subject",
          "background", "background_motion", "mood", "details", "transition")
REQUIRED = ("id", "section", "duration", "size", "angle", "camera")
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def answer_schema() -> dict[str, Any]:
    shot = only(definition("shot"), FIELDS, REQUIRED)
    shot["properties"]["cast"]["items"]["properties"].pop("refs", None)  # images are the creator's to pick
    shot["properties"]["duration"] = {"type": "number", "exclusiveMinimum": 0,
                                      "description": "Seconds the shot plays in the edit."}
    return obj({"shots": array(shot, "The new shots, section by section, in screen order.", 1)}, ["shots"])


def _cameras() -> list[str]:
    return [*CAMERA_MOVES, *(f"{s} {m}" for s in CAMERA_SPEEDS for m in CAMERA_MOVES if m not in ("static",
                                                                                                  "handheld"))]


def seconds_left(prod: Production) -> dict[str, float]:
    """Per section: the time its shots with a duration leave (0 when a shot without one takes the rest)."""
    out = {}
    for rs in prod.sections:
        shots = [prod.shot(i).shot for i in rs.shots]
        if any(s.duration is None for s in shots):
            out[rs.section.id] = 0.0
        else:
            out[rs.section.id] = max(rs.end - rs.start - sum(s.duration or 0.0 for s in shots), 0.0)
    return out


def chosen(prod: Production, options: Mapping[str, Any]) -> list[str]:
    asked = list(dict.fromkeys(options.get("sections") or ()))
    ids = [s.id for s in prod.film.song.sections]
    for sid in asked:
        if sid not in ids:
            from ..diagnostics import did_you_mean

            raise refuse(prod, "D711", f"--section {sid}: the song has no section '{sid}'", "/song/sections",
                         key=True, hint=did_you_mean(sid, ids))
    left = seconds_left(prod)
    if asked:
        full = [s for s in asked if left[s] <= EPS]
        if full:
            raise refuse(prod, "D712", f"{noun(len(full), 'section')} {', '.join(full)} already filled by "
                         "its shots: no time left to storyboard", "/shots", key=True,
                         hint="remove or shorten shots there first, or give their durations (a shot without one "
                              "takes all the time left)")
        return asked
    empty = [sid for sid in ids if not prod.sections[ids.index(sid)].shots]
    if not empty:
        raise refuse(prod, "D712", "every section has shots already; name the sections to storyboard with --section",
                     "/shots", key=True)
    return empty


def request(prod: Production, options: Mapping[str, Any]) -> tuple[Request, dict[str, Any]]:
    sections = chosen(prod, options)
    left = seconds_left(prod)
    facts = film_facts(prod)
    facts["draft"] = {"sections": [{"id": s, "seconds_left": round(left[s], 3)} for s in sections]}
    f = prod.film
    enums = {"shots[].section": sections, "shots[].size": None, "shots[].camera": _cameras(),
             "shots[].location": list(f.locations), "shots[].world": list(f.concept.worlds),
             "shots[].cast[].id": list(f.characters)}
    task = ("Storyboard these sections with new shots: "
            + "; ".join(f"{s} ({left[s]:.3f} s to fill)" for s in sections) + ".")
    schema = answer_schema()
    req = Request(instructions(KIND), [facts_text(facts), task], {}, temperature=0.8,
                  extra={"enums": {k: v for k, v in enums.items() if v is not None}})
    return req, schema


def _check_refs(parsed: Parsed, prod: Production, sections: list[str]) -> None:
    f = prod.film
    taken = {s.id for s in f.shots}
    seen: set[str] = set()
    for k, s in enumerate(parsed.data["shots"]):
        where = f"/shots/{k}"
        checks = [("section", s.get("section"), sections, "a section being storyboarded"),
                  ("location", s.get("location"), list(f.locations), "a location"),
                  ("world", s.get("world"), list(f.concept.worlds), "a world")]
        for j, m in enumerate(s.get("cast") or ()):
            checks.append((f"cast/{j}/id", m.get("id"), list(f.characters), "a character"))
        for field_, value, known, what in checks:
            if value is not None and value not in known:
                raise parsed.refuse("D708", f"shot {k + 1}: '{value}' is not {what} of this film",
                                    f"{where}/{field_}", hint=("known: " + ", ".join(known)) if known else
                                    f"the film has no {what.split()[-1]}s yet")
        sid = s["id"]
        if not ID.match(sid):
            raise parsed.refuse("D707", f"shot {k + 1}: '{sid}' is not a valid id", f"{where}/id")
        if sid in taken or sid in seen:
            raise parsed.refuse("D708", f"shot {k + 1}: the id '{sid}' is already used", f"{where}/id",
                                hint="shot ids are unique; run the draft again")
        seen.add(sid)
        cam = s.get("camera")
        if cam is not None and cam not in _cameras():
            raise parsed.refuse("D707", f"shot {k + 1}: '{cam}' is not a camera move of the vocabulary",
                                f"{where}/camera", hint="filmc explain V280")


def _clean(shot: dict[str, Any]) -> dict[str, Any]:
    """The shot in film.yaml's form and key order, empty values left out."""
    out: dict[str, Any] = {}
    for k in FIELDS:
        v: Any = shot.get(k)
        if v in (None, "", [], {}):
            continue
        if k == "duration":
            v = round(float(v), 3)
        if k == "cast":
            v = [{ck: cv for ck, cv in m.items() if cv not in (None, "")} for m in v]
        if k == "transition":
            v = {tk: tv for tk, tv in v.items() if tv is not None}
            if not v or v == {"in": "cut"} or v == {"in": "cut", "out": "cut"}:
                continue
        out[k] = v
    return out


def fit(shots: list[dict[str, Any]], seconds: float, section: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The shots of one section with durations that fill exactly `seconds`: shots past the end are dropped, the
    last one kept is lengthened to the section's end. Notes say what changed and why."""
    notes: list[str] = []
    kept: list[dict[str, Any]] = []
    total = 0.0
    for s in shots:
        d = float(s["duration"])
        if total + d > seconds + EPS:
            room = seconds - total
            if room > 0.5 or not kept:  # cut the shot to what is left rather than leave a sliver
                notes.append(f"{s['id']}: shortened from {d:g} s to {room:.3f} s to end with section {section}")
                kept.append({**s, "duration": round(room, 3)})
                total = seconds
                continue
            notes.append(f"{s['id']}: dropped, section {section} has no time left for it ({d:g} s asked, "
                         f"{room:.3f} s left)")
            continue
        kept.append(s)
        total += d
    if kept and seconds - total > EPS:
        last = kept[-1]
        longer = round(float(last["duration"]) + seconds - total, 3)
        notes.append(f"{last['id']}: lengthened from {float(last['duration']):g} s to {longer:g} s to fill section "
                     f"{section}")
        kept[-1] = {**last, "duration": longer}
    return kept, notes


def merge(parsed: Parsed, prod: Production, edit: FilmEdit, options: Mapping[str, Any]) -> Merged:
    out = Merged()
    sections = chosen(prod, options)
    _check_refs(parsed, prod, sections)
    left = seconds_left(prod)
    order = [s.id for s in prod.film.song.sections]
    by_section: dict[str, list[dict[str, Any]]] = {s: [] for s in sections}
    for s in parsed.data["shots"]:
        by_section[s["section"]].append(_clean(s))
    for sid in sections:
        if not by_section[sid]:
            out.notes.append(f"section {sid}: the answer has no shots for it")
    shots_now = [s.section for s in prod.film.shots]  # the shot list as it grows, by section
    fresh: list[dict[str, Any]] = []  # when film.yaml has no shots: key yet
    has_list = isinstance(edit.get(("shots",)), list)
    for sid in sorted(sections, key=order.index):
        kept, notes = fit(by_section[sid], left[sid], sid)
        out.notes += notes
        # after the last shot of this section or of any section before it (the song's order)
        rank = order.index(sid)
        at = max((i + 1 for i, sec in enumerate(shots_now) if order.index(sec) <= rank), default=0)
        for shot in kept:
            if has_list:
                edit.insert(("shots",), at, shot)
            else:
                fresh.append(shot)
            shots_now.insert(at, sid)
            at += 1
    if fresh:
        edit.set(("shots",), fresh, after=("targets", "locations", "characters"))
    added = len(shots_now) - len(prod.film.shots)
    out.notes.insert(0, f"{plural(added, 'shot')} drafted for {', '.join(sections)}")
    return out
