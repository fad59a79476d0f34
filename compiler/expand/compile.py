"""The compiler core: each selected shot x target -> its prompt and request payloads. Pure: writes nothing."""

from __future__ import annotations

import hashlib
import json
import marshal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from ..diagnostics import Diagnostic
from ..errors import FilmError
from ..model import NEXT_FRAME
from ..output_names import job_id
from ..refs import file_mark, next_shot, why
from ..resolve import Production, ResolvedShot
from ..targets import TargetDef
from ..targets import pick_route as _route
from . import lexicon
from .context import (
    film_context,
    forget_shots,
    generation,
    remembered_segment,
    shot_context,
    target_context,
    typed_duration,
)
from .keys import global_key, shot_key, target_digest
from .parallel import PARALLEL_MIN, Result, compile_all
from .plan import (
    CacheEntry,
    CompiledPair,
    CompiledPrompt,
    Contexts,
    JobFields,
    Jobs,
    Packed,
    Plan,
    interned,
    select_shots,
    unpacked,
)
from .ref_context import merged_options, ref_plan
from .workflow import inject


def _fill(template: str, values: dict[str, Any]) -> str:
    out = template
    for k, v in values.items():
        out = out.replace("{" + k + "}", str(v))
    return out


def _override(rs: ResolvedShot, target: TargetDef) -> tuple[str | None, str | None]:
    o = rs.shot.prompt.get(target.name)
    if o is None:
        return None, None
    text = o.text if o.text is not None else (o.image if target.kind == "image" else o.video)
    return text, o.negative


def expand_production(prod: Production, *, targets: Iterable[str] | None = None,
                      select: str | Iterable[str] | None = None,
                      cache: Mapping[str, CacheEntry] | None = None,
                      progress: Callable[[int, int], None] | None = None, workers: int = 1,
                      per_shot: Callable[[ResolvedShot, list[CacheEntry]], Any] | None = None) -> Plan:
    """Compile prompts and job payloads for every selected shot and target; FilmError on template errors.

    `cache` (from the previous build) maps a shot-and-target key to what it compiled to; an entry
    whose key still matches is reused instead of rendered. The plan's `cache` holds the new entries.
    `progress(done, total)` hears of the shot-and-target pairs compiled. With `workers` > 1 a cold compile of many
    pairs is shared among that many forked processes (the plan is the same). `per_shot(shot, its entries)`, for
    each shot whose pairs are all compiled here (none from the cache, none failed), is called in the process that
    compiled them, right after; what it returns is in the plan's `per_shot` (it must be plain data).
    """
    forget_shots()
    film = prod.film
    names = list(dict.fromkeys(film.targets.image + film.targets.video))
    if targets:
        wanted = list(dict.fromkeys(targets))
        unknown = [t for t in wanted if t not in prod.targets]
        if unknown:
            from ..errors import UsageError

            raise UsageError(f"unknown target '{unknown[0]}' (known: {', '.join(sorted(prod.targets))})")
        names = wanted
    tdefs = tuple(prod.targets[n] for n in names)
    shots = select_shots(prod, select)
    first_image = film.targets.image[0] if film.targets.image else None
    fctx = film_context(prod)
    prompts: list[CompiledPrompt] = []
    jobs: list[tuple[list[JobFields], Packed]] = []
    contexts: dict[tuple[str, str], Packed] = {}
    failures: list[Diagnostic] = []
    old: Mapping[str, CacheEntry] = cache if cache is not None else {}  # (a bucketed cache reads what is asked)
    new_cache: dict[str, CacheEntry] = {}
    keyed: dict[tuple[str, str], str] = {}  # each pair's key in new_cache
    glob = global_key(prod, tdefs)
    keys = {rs.id: shot_key(prod, rs, glob) for rs in shots}
    tctxs = {t.name: target_context(prod, t) for t in tdefs}
    digests = {t.name: target_digest(t.folder) for t in tdefs}
    pairs = [(t, rs) for t in tdefs for rs in shots if not skipped(t.kind, rs.shot.mode)]
    pair_keys = [f"{keys[rs.id]}:{t.name}" if keys[rs.id] else None for t, rs in pairs]
    # shot by shot (each shot's targets together), so what a shot's targets share is made once by one worker
    order = {rs.id: n for n, rs in enumerate(shots)}
    missing = sorted((i for i, key in enumerate(pair_keys) if key is None or key not in old),
                     key=lambda i: order[pairs[i][1].id])
    if missing:  # Jinja loads only when something is compiled
        from .render import fresh_templates

        fresh_templates()

    # a shot whose pairs are all compiled here: its pairs' places in `missing` (consecutive: shot by shot)
    whole: dict[str, range] = {}
    if per_shot is not None:
        count: dict[str, int] = {}
        for _, rs in pairs:
            count[rs.id] = count.get(rs.id, 0) + 1
        for n, i in enumerate(missing):
            sid = pairs[i][1].id
            whole[sid] = range(whole[sid].start if sid in whole else n, n + 1)
        whole = {sid: r for sid, r in whole.items() if len(r) == count[sid]}
    # a process's share may end anywhere but inside a shot made whole
    inside = {n for r in whole.values() for n in range(r.start + 1, r.stop)}
    ends = [n for n in range(1, len(missing) + 1) if n not in inside] if whole else None
    made: dict[int, CacheEntry] = {}  # this process's compiled pairs of the shot it is at

    def compile_one(n: int) -> Result:
        from .render import TemplateFailure

        t, rs = pairs[missing[n]]
        try:
            plain = _compile_plain(prod, t, rs, fctx, tctxs[t.name], digests[t.name], first_image)
        except TemplateFailure as e:
            return ("failed", e.diagnostic)
        extra = None
        r = whole.get(rs.id)
        if r is not None and per_shot is not None:
            if n == r.start:
                made.clear()
            made[n] = interned(plain)  # (as the plan holds it: the cache writes its findings alike)
            if n == r.stop - 1 and all(k in made for k in r):
                try:
                    extra = per_shot(rs, [made[k] for k in r])
                except Exception:  # noqa: BLE001 - made again after the compile, where its error is raised as usual
                    extra = None
        return ("ok", (plain, extra))

    total = len(pairs)
    hits = total - len(missing)
    if len(missing) >= PARALLEL_MIN and workers > 1:
        lexicon.ready()  # made once here, not by every worker
    elif progress is not None and hits:  # (not before a fork: a progress display may start a thread)
        progress(hits, total)
    compiled = compile_all(len(missing), compile_one, workers=workers,
                           progress=(lambda n: progress(hits + n, total)
                                     if n % 16 == 0 or n == len(missing) else None) if progress else None, ends=ends)
    made.clear()
    done_shots: dict[str, Any] = {}
    fresh = dict(zip(missing, compiled))
    out_of: set[str] = set()  # targets out of time or memory: their other shots would fail the same way
    over_all = False  # the command's whole template time is spent (said once)
    said: set[tuple[str, str, str, int, int]] = set()  # a failure that names no shot (a syntax error) is said once
    plain: CacheEntry | None
    for i, ((t, rs), key) in enumerate(zip(pairs, pair_keys)):
        if i in fresh:
            state, value = fresh[i]
            if state == "failed":
                if value.code in ("T305", "T306"):
                    from .render import OVER_ALL  # (loaded already: this compiled)

                    if value.message.startswith(OVER_ALL):  # the command's whole budget: every later render fails
                        if over_all:  # (as this one: said once; other failures still are)
                            continue
                        over_all = True
                    elif t.name in out_of:
                        continue
                    out_of.add(t.name)
                elif t.name in out_of:
                    continue
                if (k := (value.code, value.message, value.file, value.line, value.col)) not in said:
                    said.add(k)
                    failures.append(value)
                continue
            value, extra = value
            if extra is not None:
                done_shots[rs.id] = extra
            plain = interned(value)
        else:
            plain = old[key] if key else None
        if plain is None:
            continue
        prompt, job_fields, packed = unpacked(plain)
        if key:
            new_cache[key] = plain
            keyed[(rs.id, t.name)] = key
        prompts.append(prompt)
        jobs.append((job_fields, packed))
        contexts[(rs.id, t.name)] = packed
    forget_shots()  # (what was made once per shot is in the plan now)
    if failures:
        raise FilmError(failures, prod.sources())
    return Plan(prod, tdefs, shots, tuple(prompts), Jobs(jobs), Contexts(contexts), new_cache, keyed, done_shots)


def compile_shot(prod: Production, target: str, shot: str, *, provider: str | None = None,
                 options: dict[str, Any] | None = None) -> CompiledPair:
    """One shot for one target outside a build (tests, tools); `provider` picks a provider other than the
    first, `options` replaces the merged options."""
    forget_shots()
    t = prod.targets[target]
    rs = prod.shot(shot)
    fctx, tctx = film_context(prod), target_context(prod, t)
    first_image = prod.film.targets.image[0] if prod.film.targets.image else None
    return _compile(prod, t, rs, fctx, tctx, target_digest(t.folder), first_image, provider, options)


def skipped(kind: str, mode: str) -> bool:
    """A target kind a generation mode makes nothing for: a still shot has no video, a text-to-video shot no image."""
    return (kind == "video" and mode == "still") or (kind == "image" and mode == "text-to-video")


def segment_shot(rs: ResolvedShot, n: int) -> ResolvedShot:
    """Segment `n` of an extended shot as a shot of its own. From segment 2 on it starts from the last frame of
    the segment before (image-to-video whatever the shot's mode), and a listed segment's motion replaces what the
    characters and the subject do (a lone character's motion becomes the segment's, so its pronoun finds its
    character); the background moves on. A listed camera replaces the shot's."""
    if n == 1:
        return rs
    shot = rs.shot
    changes: dict[str, Any] = {"mode": "image-to-video"} if shot.mode == "text-to-video" else {}
    seg = shot.segments[n - 2] if n - 2 < len(shot.segments) else None
    if seg is not None and seg.motion:
        if len(shot.cast) == 1:
            changes["cast"] = (replace(shot.cast[0], motion=seg.motion),)
            changes["subject_motion"] = None
        else:
            changes["cast"] = tuple(replace(m, motion=None, action=None) for m in shot.cast)
            changes["subject_motion"] = seg.motion
    if seg is not None and seg.camera is not None:
        changes["moves"] = (seg.camera,)
    if not changes:
        return rs
    new = replace(shot, **changes)
    cast = tuple(replace(f, member=m) for f, m in zip(rs.cast, new.cast)) if "cast" in changes else rs.cast
    return replace(rs, shot=new, cast=cast)


def _segment_context(rs: ResolvedShot, gen: dict[str, Any], n: int) -> dict[str, Any]:
    """What a template knows of the segment it writes: `segment.index` (1 is the shot's own), `count`,
    `duration` (seconds generated), `motion` and `camera` as listed (None: the shot's own), `continuation`."""
    seg = rs.shot.segments[n - 2] if n > 1 and n - 2 < len(rs.shot.segments) else None
    lengths = gen.get("lengths") or [gen.get("duration")]
    return {"index": n, "count": gen["segments"], "continuation": n > 1,
            "duration": lengths[n - 1] if n - 1 < len(lengths) else gen.get("duration"),
            "motion": seg.motion if seg else None, "camera": str(seg.camera) if seg and seg.camera else None}


_JOB_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)  # (json.dumps would make one per job)


def _compile(prod: Production, t: TargetDef, rs: ResolvedShot, fctx: dict[str, Any], tctx: dict[str, Any],
             digest: str, first_image: str | None, provider_name: str | None = None,
             options_override: dict[str, Any] | None = None) -> CompiledPair:
    """One shot for one target: its prompt(s) and generation jobs. An extended
    shot has one prompt per segment (prompt.j2 rendered with `segment` in the context), each for its own job."""
    return CompiledPair.from_plain(_compile_plain(prod, t, rs, fctx, tctx, digest, first_image, provider_name,
                                                  options_override))


def _compile_plain(prod: Production, t: TargetDef, rs: ResolvedShot, fctx: dict[str, Any], tctx: dict[str, Any],
                   digest: str, first_image: str | None, provider_name: str | None = None,
                   options_override: dict[str, Any] | None = None) -> CacheEntry:
    """_compile as the build's cache keeps it (and a worker sends it back)."""
    from .render import TemplateFailure, has_template, render_template, shown_path
    from .sandbox import LEFT_OUT, tidy

    options = dict(options_override) if options_override is not None else merged_options(prod, t, rs)
    if provider_name:
        options["provider"] = provider_name
    mode = rs.shot.mode
    gen = generation(t, rs, prod.film.targets.options.get(t.name))
    over_text, over_negative = _override(rs, t)
    takes_negative = t.capabilities.takes_negative(options.get("model"))
    if not takes_negative:
        over_negative = None  # (lint P407 says an override's negative is dropped)
    if takes_negative != tctx["negative_prompt"]:  # a model that differs from its target (Kling's Omni models)
        tctx = {**tctx, "negative_prompt": takes_negative}
    overridden = over_text is not None
    texts: list[tuple[str, str | None]] = []
    ctxs: list[dict[str, Any]] = []
    left_out: dict[str, list[str]] = {}  # what a template's fitting filters left out (lint P421)
    plans = []
    for n in range(1, gen["segments"] + 1):
        srs = remembered_segment(rs, n, segment_shot)
        plans.append(ref_plan(prod, t, rs, options, segment=n, segments=gen["segments"]))
        ctx = {"film": fctx, "target": tctx, "shot": shot_context(prod, t, srs, plans[-1]), "options": options,
               "generation": gen, "segment": _segment_context(rs, gen, n)}
        text, negative = over_text, over_negative
        if text is None:
            LEFT_OUT.clear()
            text = tidy(render_template(t, "prompt.j2", ctx, rs.id))
            if n == 1:
                left_out["prompt"] = list(LEFT_OUT)
        if negative is None and takes_negative and has_template(t.folder, "negative.j2"):
            LEFT_OUT.clear()
            negative = tidy(render_template(t, "negative.j2", ctx, rs.id)) or None
            if n == 1:
                left_out["negative"] = list(LEFT_OUT)
        texts.append((text.strip(), negative))
        ctxs.append(ctx)
    text, negative = texts[0]
    job_fields: list[JobFields] = []
    bodies: list[dict[str, Any]] = []
    if t.providers:
        pname = options.get("provider") or next(iter(t.providers))
        provider = t.providers[pname].spec
        values = {**options, "task_id": "{task_id}"}
        model = options.get("model") if isinstance(options.get("model"), str) else None
        for seg in range(1, gen["segments"] + 1):
            # the request shape follows the generation: text-to-video only where no frame starts the clip
            route = _route(provider, {**options, "generation": mode if seg == 1 else "image-to-video"})
            url = _fill(provider.get("base_url", ""), values) + _fill(route.get("submit", {}).get("path", ""), values)
            poll_path = route.get("poll", {}).get("path")
            poll = _fill(provider.get("base_url", ""), values) + _fill(poll_path, values) if poll_path else None
            job = job_id(rs.id, t.name, seg)
            depends: tuple[str, ...] = ()
            first_frame = None
            if t.kind == "video":
                if seg > 1:
                    depends = (job_id(rs.id, t.name, seg - 1),)
                    first_frame = f"@last-frame:{depends[0]}"
                elif first_image and mode != "text-to-video":
                    depends = (job_id(rs.id, first_image),)
                    first_frame = f"@job:{depends[0]}"
            end_frame = None
            end = plans[seg - 1].end_frame
            if end and t.kind == "video":
                if end == NEXT_FRAME:
                    nxt = next_shot(prod.film, rs.shot)
                    if nxt is not None and first_image:
                        end_frame = f"@end-frame:{job_id(nxt.id, first_image)}"
                        depends = (*depends, job_id(nxt.id, first_image))
                else:
                    end_frame = file_mark(prod.film.root, end, "@end-file:")
            seg_text, seg_negative = texts[seg - 1]
            length = gen["lengths"][seg - 1] if gen.get("lengths") else gen["duration"]
            rctx = dict(ctxs[seg - 1], prompt={"text": seg_text, "negative": seg_negative}, first_frame=first_frame,
                        end_frame=end_frame, refs=ctxs[seg - 1]["shot"]["refs"],
                        provider=pname, route=route,
                        duration=typed_duration(length, provider.get("duration_type")))
            name = f"request.{pname}.json.j2"
            raw = render_template(t, name, rctx, rs.id)
            try:
                body = json.loads(raw)
            except json.JSONDecodeError as e:
                raise TemplateFailure(Diagnostic(
                    "T302", "error", f"{name} produced invalid JSON for shot '{rs.id}': {e.msg}",
                    shown_path(t, name), 0, 0, "", "use the json filter for every value: {{ prompt.text | json }}",
                )) from None
            if t.capabilities.graph_prompts:
                body = inject(prod, t, rs, body, options, {"prompt": seg_text, "negative": seg_negative or ""})
            method = route.get("submit", {}).get("method", "POST")
            # The job's identity is the request it makes: an edit of the target folder that leaves the request as
            # it was (a provider's status words, a price) makes no new job, so no take is paid for again.
            payload = {"job": job, "target": t.name, "provider": pname, "method": method, "url": url,
                       "body": body, "depends_on": list(depends)}
            digest_job = hashlib.sha256(_JOB_JSON.encode(payload).encode()).hexdigest()
            job_fields.append((job, rs.id, t.name, pname, method, url, list(depends), digest_job,
                               length, seg, poll, model))
            bodies.append(body)
    p1 = plans[0]
    small = {"options": options, "generation": gen, "left_out": {k: v for k, v in left_out.items() if v},
             "refs": [{k: r[k] for k in ("n", "path", "kind", "label", "cite")} for r in ctxs[0]["shot"]["refs"]],
             "refs_left_out": [[r.path, why(reason, r, p1.caps)] for r, reason in p1.left_out],
             "end_frame": plans[-1].end_frame,
             "end_frame_dropped": rs.shot.end_frame if t.kind == "video" and not plans[-1].end_frame else None,
             "segments": [{"prompt": x, "negative": y} for x, y in texts[1:]]}
    return ((rs.id, t.name, t.kind, text, negative, overridden), job_fields, texts[1:],
            marshal.dumps((bodies, small), 0))  # (format 0: equal bodies, equal bytes, whatever else holds them)
