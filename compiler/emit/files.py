"""The content of every build output, as deterministic text (sorted keys, LF, no timestamps)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..expand import CompiledPrompt, Job, Plan
from ..output_names import jobs_file, sheet_file
from ..resolve import Production, ResolvedShot, timeline_data
from ..timeline import format_time

_ROW = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_VALUE = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
_STR = json.encoder.encode_basestring  # json's own (C) string quoting, as dumps uses


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(_ROW(r) + "\n" for r in rows)


def _json(value: Any) -> str:
    """json.dumps(value, sort_keys=True, ensure_ascii=False), without making an encoder per value."""
    return _STR(value) if type(value) is str else _VALUE(value)


def _shotlist(prod: Production) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "section", "start", "duration", "size", "angle", "camera", "location", "cast", "action",
                "mood", "lyrics"])
    for s in prod.shots:
        sh = s.shot
        w.writerow([
            s.id, s.section.id, format_time(s.start), f"{s.duration:.3f}", sh.size or "", sh.angle or "",
            sh.camera_text, sh.location or "", " ".join(m.id for m in sh.cast),
            "; ".join(m.action for m in sh.cast if m.action) or (sh.subject or ""),
            ", ".join(sh.mood), " / ".join(ln.text for ln in s.lines),
        ])
    return buf.getvalue()


# A prompt's share of the build: its section of the sheet (after the heading) and its jobs' lines of the jobs file,
# as the files hold them (UTF-8: a rebuild joins the last build's pieces without encoding them again). Both are made
# from the compiled shot-and-target alone, so a build may reuse the last build's.
Piece = tuple[bytes, bytes]


def piece(plan: Plan, p: CompiledPrompt, jobs: Sequence[Job]) -> Piece:
    """A prompt's piece of the sheet (after its heading) and of the jobs file (its jobs' lines)."""
    ctx = plan.contexts[(p.shot, p.target)]
    out: list[str] = []
    gen = ctx["generation"]
    lengths = gen.get("lengths") or [gen["duration"]]
    for n, (text, negative) in enumerate(((p.text, p.negative), *p.segments), start=1):
        if p.segments:
            after = f", from the last frame of segment {n - 1}" if n > 1 else ""
            out += [f"Segment {n} ({lengths[n - 1]:g} s{after}):", ""]
        out += ["```text", text, "```"]
        if negative:
            out += ["", "Negative prompt:", "", "```text", negative, "```"]
        if p.segments:
            out.append("")
    params = {k: v for k, v in sorted(ctx["options"].items())}
    if gen["duration"] is not None:
        params["duration"] = " + ".join(f"{x:g} s" for x in lengths) + (" (extend)" if len(lengths) > 1 else "")
    if params:
        if out[-1]:
            out.append("")
        out.append("Parameters: " + ", ".join(f"{k}={_shown(v)}" for k, v in params.items()))
    if p.overridden:
        out.append("")
        out.append("(hand-written override from film.yaml)")
    out.append("")
    return "\n".join(out).encode("utf-8"), _jsonl([j.as_dict() for j in jobs]).encode("utf-8")


def _headings(shots: Sequence[ResolvedShot]) -> dict[str, bytes]:
    """Each shot's heading in the sheets (the same in every target's), with the blank line after it (UTF-8)."""
    return {s.id: f"## {s.id}: {s.section.id}, {format_time(s.start)}-{format_time(s.end)} ({s.duration:.3f} s)\n"
            .encode() for s in shots}


def _sheet(plan: Plan, target: str, shots: list[str], pieces: list[Piece], headings: Mapping[str, bytes]) -> bytes:
    """A target's sheet: its heading, then each shot's heading and piece (`shots` and `pieces` in the same order)."""
    prod = plan.prod
    t = prod.targets[target]
    film_aspect = prod.film.info.aspect
    aspect = t.capabilities.aspects.get(film_aspect)
    shown = film_aspect if aspect in (None, film_aspect) else f"{film_aspect} (the API's {aspect})"
    out = [f"# {prod.film.info.title}: {target} ({t.kind})\n\nAspect: {shown}. Prompts are "
           "pasted as written; set the parameters by hand.\n".encode()]
    out += [part for shot, pc in zip(shots, pieces) for part in (headings[shot], pc[0])]
    return b"\n".join(out)


# What the outputs take from the production alone, not from the compiled prompts: the shot list, each shot's
# heading in the sheets, the manifest's film and timeline (rendered: their lines by key). Plain data, so a build
# may make them on another core (compiling.compile_film, with the edit).
FilmParts = tuple[str, dict[str, bytes], dict[str, list[str]]]


def film_parts(prod: Production) -> FilmParts:
    """The shot list, the headings of every shot, the manifest's film and timeline entries."""
    return (_shotlist(prod), _headings(prod.shots),
            {"film": entry_lines("film", _film_data(prod)), "timeline": entry_lines("timeline", timeline_data(prod))})


def _film_data(prod: Production) -> dict[str, Any]:
    f = prod.film
    return {
        "title": f.info.title, "aspect": f.info.aspect, "fps": f.info.fps, "resolution": list(prod.resolution),
        "song": {"audio": f.song.audio, "duration": round(prod.song_duration, 6), "bpm": f.song.bpm,
                 "beats": len(prod.beats)},
        "sections": [{"id": s.section.id, "tag": s.section.tag, "start": round(s.start, 6), "end": round(s.end, 6),
                      "world": s.section.world, "shots": list(s.shots)} for s in prod.sections],
        "characters": {c.id: {"description": c.description, "wardrobe": dict(sorted(c.wardrobe.items()))}
                       for c in f.characters.values()},
        "locations": {loc.id: {"slug": loc.slug, "description": loc.description} for loc in f.locations.values()},
        "targets": {"image": list(f.targets.image), "video": list(f.targets.video)},
        "preroll": prod.preroll, "postroll": prod.postroll,
    }


class PlanParts(NamedTuple):
    """What the outputs take from the compiled plan alone (plan_parts): made while the edit's process finishes."""

    shots: dict[str, list[str]]  # each target's shots, in the plan's order
    pieces: dict[str, list[Piece]]  # their pieces, in the same order
    jobs: dict[str, bytes]  # each target's jobs file (of a target with jobs), by its path in build/
    hashes: dict[str, str]  # the jobs files' sha256
    manifest_jobs: list[str]  # the manifest's "jobs" entry, rendered (entry_lines)


def plan_parts(plan: Plan, pieces: dict[tuple[str, str], Piece] | None = None) -> PlanParts:
    """Each target's pieces in order, its jobs file and the file's hash, the manifest's jobs. `pieces` holds
    prompts' pieces by (shot, target) already made (the last build's, for shots unchanged since); the others are
    made and added to it."""
    pieces = {} if pieces is None else pieces
    shots: dict[str, list[str]] = {t.name: [] for t in plan.targets}
    ordered: dict[str, list[Piece]] = {t.name: [] for t in plan.targets}
    for p in plan.prompts:
        pair = (p.shot, p.target)
        made = pieces.get(pair)
        if made is None:
            made = pieces[pair] = piece(plan, p, plan.jobs.of(p.shot, p.target))
        shots[p.target].append(p.shot)
        ordered[p.target].append(made)
    jobs: dict[str, bytes] = {}
    for t in plan.targets:
        rows = b"".join([pc[1] for pc in ordered[t.name]])
        if rows:
            jobs[jobs_file(t.name)] = rows
    return PlanParts(shots, ordered, jobs, {rel: hashlib.sha256(raw).hexdigest() for rel, raw in jobs.items()},
                     entry_lines("jobs", plan.jobs.hashes()))


def plan_files(plan: Plan, extra: Mapping[str, str | bytes],
               pieces: dict[tuple[str, str], Piece] | None = None,
               parts: FilmParts | None = None, planned: PlanParts | None = None) -> dict[str, str | bytes]:
    """Every output's content by its path in build/: per target, the sheet (every prompt, readable) and the jobs
    (every request); the shot list; `extra` (the edit's files).

    `pieces`: see plan_parts. `parts`: film_parts(plan.prod), `planned`: plan_parts(plan, pieces), if already
    made."""
    prod = plan.prod
    files: dict[str, str | bytes] = {}
    if planned is None:
        planned = plan_parts(plan, pieces)
    headings = parts[1] if parts is not None else _headings(plan.shots)
    for t in plan.targets:
        files[sheet_file(t.name)] = _sheet(plan, t.name, planned.shots[t.name], planned.pieces[t.name], headings)
        rows = planned.jobs.get(jobs_file(t.name))
        if rows:
            files[jobs_file(t.name)] = rows
    files["shotlist.csv"] = parts[0] if parts is not None else _shotlist(prod)
    files.update(extra)
    return files


def manifest_data(plan: Plan, parts: FilmParts | None = None, planned: PlanParts | None = None) -> dict[str, Any]:
    """The resolved film, its timeline and the job hashes (emit adds the output hashes). With `parts` (see
    plan_files) the film and the timeline are left out: parts[2] holds their lines, for manifest_text; with
    `planned`, the jobs (planned.manifest_jobs)."""
    prod = plan.prod
    out: dict[str, Any] = {"format": 1}
    if parts is None:
        out.update(film=_film_data(prod), timeline=timeline_data(prod))
    if planned is None:
        out["jobs"] = plan.jobs.hashes()
    return out


def manifest_rendered(parts: FilmParts | None, planned: PlanParts | None) -> dict[str, list[str]]:
    """The manifest's entries already rendered, for manifest_text (see manifest_data)."""
    return {**(parts[2] if parts is not None else {}), **({"jobs": planned.manifest_jobs} if planned else {})}


def manifest_text(manifest: dict[str, Any], rendered: Mapping[str, list[str]] | None = None) -> str:
    """Stable JSON, one entry per line for the big maps (readable diffs) while staying on json's fast C path.
    `rendered`: top-level entries already rendered (entry_lines), for keys not in `manifest`."""
    rendered = rendered or {}
    keys = sorted({*manifest, *rendered})
    out = ["{"]
    for i, key in enumerate(keys):
        lines = rendered[key] if key in rendered else entry_lines(key, manifest[key])
        out += lines[:-1]
        out.append(lines[-1] + ("," if i < len(keys) - 1 else ""))
    out.append("}")
    return "\n".join(out) + "\n"


def entry_lines(key: str, value: Any) -> list[str]:
    """A top-level entry of the manifest as its lines (no comma after the last)."""
    if isinstance(value, dict) and key in ("jobs", "outputs"):
        items = sorted(value.items())
        if all(type(k) is str and type(v) is str for k, v in items):  # (the common case: json's C quoting alone)
            body = [f"    {_STR(k)}: {_STR(v)}," for k, v in items]
        else:
            body = [f"    {_json(k)}: {_json(v)}," for k, v in items]
        if body:
            body[-1] = body[-1][:-1]
        return [f"  {json.dumps(key)}: {{", *body, "  }"]
    if isinstance(value, list):
        body = [f"    {_json(v)}," for v in value]
        if body:
            body[-1] = body[-1][:-1]
        return [f"  {json.dumps(key)}: [", *body, "  ]"]
    return [f"  {json.dumps(key)}: {_json(value)}"]


def _shown(value: Any) -> str:
    """An option's value as film.yaml (YAML's flow style) writes it: true, false, null, ["a", "b"], {"k": 1}."""
    if isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
