"""Semantic checks: references, times, the song's timeline, paths, names in prompts."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from pathlib import Path

from ..diagnostics import Collector, did_you_mean
from ..model import NEXT_FRAME, Film, Shot
from ..paths import inside_film, special_file
from ..refs import shot_options
from ..schemacheck import check_schema
from ..targets import TargetDef
from .names import check_output_names
from .outputs import output_problem
from .references import check_end_frame_length, check_references
from .served import check_served_models
from .timing import EPS, allocate, beat_grid, shot_bounds


def check_film(film: Film, targets: dict[str, TargetDef], diags: Collector, *, allow_outside: bool = False,
               probe_audio: bool = True) -> float | None:
    """Run every check; return the song's length (from the audio when there is one)."""
    _check_ids(film, diags)
    check_output_names(film, diags)
    _check_refs(film, diags)
    _check_targets(film, targets, diags)
    check_served_models(film, targets, diags)
    check_references(film, targets, diags)
    song_length, durations = _check_song(film, diags, probe_audio, allow_outside)
    if durations is not None:
        _check_transitions(film, durations, diags)
        _check_generation(film, targets, durations, diags)
    _check_paths(film, diags, allow_outside)
    _check_names(film, diags)
    _check_edit(film, diags, song_length)
    return song_length


def _check_ids(film: Film, diags: Collector) -> None:
    for kind, items in (("section", film.song.sections), ("shot", film.shots)):
        first: dict[str, str] = {}
        for it in items:
            if it.id in first:
                line = diags.source.locate(first[it.id])[0] if diags.source else 0
                diags.error("V201", f"duplicate {kind} id '{it.id}' (first used at line {line})", f"{it.pointer}/id",
                            hint=f"every {kind} needs its own id")
            else:
                first[it.id] = f"{it.pointer}/id"


def _ref(diags: Collector, code: str, kind: str, value: str, choices: Iterable[str], ptr: str) -> None:
    choices = list(choices)
    hint = did_you_mean(value, choices) or (f"no {kind}s are defined" if not choices else None)
    diags.error(code, f"{ptr}: unknown {kind} '{value}'", ptr, hint=hint)


def _check_refs(film: Film, diags: Collector) -> None:
    sections = {s.id for s in film.song.sections}
    worlds = film.concept.worlds
    for s in film.song.sections:
        if s.world and s.world not in worlds:
            _ref(diags, "V214", "world", s.world, worlds, f"{s.pointer}/world")
    for shot in film.shots:
        p = shot.pointer
        if shot.section not in sections:
            _ref(diags, "V210", "section", shot.section, sections, f"{p}/section")
        if shot.location and shot.location not in film.locations:
            _ref(diags, "V213", "location", shot.location, film.locations, f"{p}/location")
        if shot.world and shot.world not in worlds:
            _ref(diags, "V214", "world", shot.world, worlds, f"{p}/world")
        seen: set[str] = set()
        for j, member in enumerate(shot.cast):
            cp = f"{p}/cast/{j}"
            char = film.characters.get(member.id)
            if char is None:
                _ref(diags, "V211", "character", member.id, film.characters, cp + "/id" if _is_obj(diags, cp) else cp)
                continue
            if member.id in seen:
                diags.warning("V215", f"{cp}: character '{member.id}' is listed twice in shot '{shot.id}'", cp)
            seen.add(member.id)
            w = member.wardrobe
            if w and w not in char.wardrobe and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", w):
                _ref(diags, "V212", f"wardrobe of character '{member.id}'", w, char.wardrobe, f"{cp}/wardrobe")
    # shots of a section must be contiguous and in song order: the song is the clock
    order = {s.id: i for i, s in enumerate(film.song.sections)}
    last = -1
    last_shot: Shot | None = None
    for shot in film.shots:
        idx = order.get(shot.section)
        if idx is None:
            continue
        if idx < last and last_shot is not None:
            diags.error("V216", f"{shot.pointer}/section: shot '{shot.id}' (section '{shot.section}') comes after shot "
                        f"'{last_shot.id}' of the later section '{last_shot.section}'", f"{shot.pointer}/section",
                        hint="list shots in song order: the shots of each section together, sections in the order of song.sections")
        elif idx >= last:
            last, last_shot = idx, shot


def _is_obj(diags: Collector, ptr: str) -> bool:
    src = diags.source
    return bool(src) and f"{ptr}/id" in getattr(src, "values", {})


def _check_patterns(values: dict[str, object], t: TargetDef, diags: Collector, ptr: str) -> None:
    """Option values against the target's patterns, each match bounded in time (compiler.patterns)."""
    patterns = t.patterns
    if not patterns:
        return
    from ..patterns import PATTERN_SECONDS, matches

    where = f"<filmc>/targets/{t.name}/target.yaml" if t.builtin else f"targets/{t.name}/target.yaml"
    for key, value in values.items():
        pattern = patterns.get(key)
        if pattern is None or not isinstance(value, str):
            continue
        vp = f"{ptr}/{key}"
        ok = matches(pattern, value)
        if ok is None:
            diags.error("V285", f"{vp}: cannot check {_short(value)} against the pattern of option '{key}' of target "
                        f"'{t.name}': matching takes over {PATTERN_SECONDS:g} s", vp,
                        hint=f"the pattern {_short(pattern)} in {where} backtracks without end (nested repeats such "
                             "as (a+)+); its author should simplify it")
        elif not ok:
            opt = t.option(key)
            diags.error("V106", f"{vp}: {_short(value)} does not match {_short(pattern)}", vp,
                        hint=opt.help.split("\n")[0] if opt and opt.help else None)


def _short(text: str) -> str:
    return f"'{text}'" if len(text) <= 60 else f"'{text[:57]}...'"


def _check_targets(film: Film, targets: dict[str, TargetDef], diags: Collector) -> None:
    for kind in ("image", "video"):
        for i, name in enumerate(getattr(film.targets, kind)):
            ptr = f"/targets/{kind}/{i}"
            t = targets.get(name)
            if t is None:
                _ref(diags, "V217", f"{kind} target", name, [n for n, d in targets.items() if d.kind == kind], ptr)
            elif t.kind != kind:
                diags.error("V218", f"{ptr}: '{name}' is a{'n' if t.kind == 'image' else ''} {t.kind} target, listed under {kind}",
                            ptr, hint=f"move it to targets.{t.kind}")
    for name, opts in film.targets.options.items():
        ptr = f"/targets/options/{name}"
        t = targets.get(name)
        if t is None:
            _ref(diags, "V217", "target", name, targets, ptr)
            continue
        check_schema(opts, t.options_schema(), diags, ptr, what=f"the options of target '{name}'")
        _check_patterns(opts, t, diags, ptr)
    used = set(film.targets.image) | set(film.targets.video)
    for shot in film.shots:
        for name, params in shot.generate.items():
            ptr = f"{shot.pointer}/generate/{name}"
            t = targets.get(name)
            if t is None:
                _ref(diags, "V217", "target", name, targets, ptr)
                continue
            check_schema(params, t.generate_schema(), diags, ptr, what=f"the generation parameters of '{name}'")
            _check_patterns(params, t, diags, ptr)
        for name in shot.prompt:
            ptr = f"{shot.pointer}/prompt/{name}"
            if name not in targets:
                _ref(diags, "V217", "target", name, targets, ptr)
            elif name not in used:
                diags.warning("V219", f"{ptr}: prompt override for '{name}', which is not in targets.image or targets.video",
                              ptr, key=True, hint="add the target to targets, or remove the override")


def _check_song(film: Film, diags: Collector, probe_audio: bool, allow_outside: bool = False) -> tuple[float | None, dict[str, float] | None]:
    """Section order and bounds, the song length, and how shots fill sections.

    Returns the song length and each shot's duration (None where they cannot be known).
    """
    song = film.song
    duration = song.duration
    if song.audio and probe_audio:
        audio = inside_film(film.root, song.audio, allow_outside)
        if audio is not None and audio.is_file():
            from ..probe import ProbeError, media_duration

            try:
                real = media_duration(audio)
            except ProbeError as e:
                diags.error("V236", f"/song/audio: cannot read '{song.audio}' as audio: {e}", "/song/audio",
                            hint="use an audio file ffmpeg reads (wav, mp3, ogg, flac, m4a)")
                real = None
            if real is not None:
                if duration is None:
                    duration = real
                elif abs(real - duration) > 0.1:
                    diags.error("V234", f"/song/duration: {duration:g} s, but the audio file is {real:.3f} s long",
                                "/song/duration", hint=f"set duration: {real:.2f} (or remove it: the audio decides)")
                    duration = real
    if duration is None:
        if not song.audio and not any(d.pointer == "/song/duration" for d in diags.items):
            diags.error("V233", "/song: no audio and no duration: the song's length is unknown", "/song", key=True,
                        hint="add 'duration: 3:20' (or an 'audio:' file)")
        return None, None
    if duration <= 0:
        diags.error("V233", "/song/duration: the song must last longer than 0 s", "/song/duration")
        return None, None
    secs = song.sections
    if any(math.isnan(s.start) for s in secs):
        return duration, None
    ok = True
    if secs and secs[0].start > EPS:
        diags.error("V231", f"{secs[0].pointer}/start: the first section must start at 0, not {secs[0].start:g}",
                    f"{secs[0].pointer}/start", hint="add an intro section at 0, or set this start to 0")
        ok = False
    for prev, cur in zip(secs, secs[1:]):
        if cur.start <= prev.start + EPS:
            diags.error("V231", f"{cur.pointer}/start: section '{cur.id}' starts at {cur.start:g} s, not after "
                        f"'{prev.id}' ({prev.start:g} s)", f"{cur.pointer}/start",
                        hint="sections are listed in song order and each starts after the one before")
            ok = False
    for s in secs:
        if s.start >= duration - EPS:
            diags.error("V232", f"{s.pointer}/start: section '{s.id}' starts at {s.start:g} s, at or after the end of "
                        f"the song ({duration:g} s)", f"{s.pointer}/start")
            ok = False
    if not ok:
        return duration, None
    ends = [s.start for s in secs[1:]] + [duration]
    for s, end in zip(secs, ends):
        for ln in s.lines:
            if ln.at is not None and not (s.start - EPS <= ln.at < end + EPS):
                diags.warning("V281", f"{ln.pointer}/at: lyric line at {ln.at:g} s lies outside section '{s.id}' "
                              f"({s.start:g}–{end:g} s)", f"{ln.pointer}/at")
    by_section: dict[str, list[Shot]] = {s.id: [] for s in secs}
    if any(shot.section not in by_section for shot in film.shots):
        return duration, None  # the unknown section is reported; a fill report would only mislead
    for shot in film.shots:
        by_section[shot.section].append(shot)
    result: dict[str, float] = {}
    beats = beat_grid(song, duration) if film.edit.snap == "beats" else ()
    for s, end in zip(secs, ends):
        shots = by_section[s.id]
        length = end - s.start
        for shot in shots:
            if shot.duration is not None and shot.duration <= EPS:
                diags.error("V241", f"{shot.pointer}/duration: shot '{shot.id}' must last longer than 0 s",
                            f"{shot.pointer}/duration")
                ok = False
        if not shots:
            if film.shots:
                diags.error("V240", f"{s.pointer}: section '{s.id}' ({length:.3f} s) has no shots", s.pointer, key=True,
                            hint=f"add shots with section: {s.id}")
                ok = False
            continue
        durs, surplus = allocate(length, [sh.duration for sh in shots])
        free = sum(1 for sh in shots if sh.duration is None)
        if surplus < -EPS * 10 or (free and length - sum(d for d in durs if d) < -EPS):
            over = -surplus
            diags.error("V240", f"{s.pointer}: section '{s.id}' is over-filled by {over:.3f} s: its shots last "
                        f"{length + over:.3f} s, the section {length:.3f} s", s.pointer, key=True,
                        hint="shorten some shots" + (", or leave the duration off some to share the rest" if not free else ""))
            ok = False
        elif free and surplus <= EPS and all(d <= EPS for d, sh in zip(durs, shots) if sh.duration is None):
            diags.error("V240", f"{s.pointer}: section '{s.id}' has no time left for {free} shot(s) without a duration",
                        s.pointer, key=True, hint="shorten the shots with a duration")
            ok = False
        elif surplus > 1e-3:
            diags.error("V240", f"{s.pointer}: section '{s.id}' is under-filled by {surplus:.3f} s: its shots last "
                        f"{length - surplus:.3f} s, the section {length:.3f} s", s.pointer, key=True,
                        hint="lengthen a shot, add one, or leave the duration off a shot so it takes the rest")
            ok = False
        if beats and ok:  # later checks see the cuts where the edit puts them: on the beat
            bounds = shot_bounds(s.start, end, [sh.duration for sh in shots], beats, 1.0 / film.info.fps)
            durs = [b - a for a, b in zip(bounds, bounds[1:])]
        for sh, d in zip(shots, durs):
            result[sh.id] = d
    if not film.shots and not diags.has_errors:
        diags.warning("V242", "/shots: the film has no shots yet", "/shots", key=True,
                      hint="add shots (filmc timeline shows how they share the song)")
    return duration, (result if ok else None)


def _check_transitions(film: Film, durations: dict[str, float], diags: Collector) -> None:
    shots = film.shots
    for i, shot in enumerate(shots):
        tr = shot.transition
        if tr.into == "cut" and tr.out == "cut":
            continue
        d = durations.get(shot.id, 0.0)
        if tr.duration > d + EPS:
            diags.error("V250", f"{shot.pointer}/transition: the {tr.into if tr.into != 'cut' else tr.out} lasts "
                        f"{tr.duration:g} s, longer than shot '{shot.id}' ({d:.3f} s)", f"{shot.pointer}/transition",
                        hint=f"use a duration of at most {d:.2f}")
        if tr.into == "dissolve" and i > 0 and tr.duration > durations.get(shots[i - 1].id, 0.0) + EPS:
            prev = shots[i - 1]
            diags.error("V250", f"{shot.pointer}/transition: the dissolve lasts {tr.duration:g} s, longer than the "
                        f"shot before it, '{prev.id}' ({durations.get(prev.id, 0.0):.3f} s)", f"{shot.pointer}/transition")
        if tr.out == "dissolve" and i + 1 < len(shots) and tr.duration > durations.get(shots[i + 1].id, 0.0) + EPS:
            nxt = shots[i + 1]
            diags.error("V250", f"{shot.pointer}/transition: the dissolve lasts {tr.duration:g} s, longer than the "
                        f"next shot, '{nxt.id}' ({durations.get(nxt.id, 0.0):.3f} s)", f"{shot.pointer}/transition")


def _check_generation(film: Film, targets: dict[str, TargetDef], durations: dict[str, float], diags: Collector) -> None:
    for shot in film.shots:
        if shot.mode == "still":  # no video is generated
            continue
        if shot.mode == "text-to-video":
            _check_text_to_video(film, targets, shot, diags)
        need = durations.get(shot.id, 0.0) * shot.speed + shot.trim_in
        for name in film.targets.video:
            t = targets.get(name)
            if t is None or not t.durations:
                continue
            asked = shot.generate.get(name, {}).get("duration", film.targets.options.get(name, {}).get("duration"))
            if shot.extend:
                first = float(asked) if isinstance(asked, (int, float)) and not isinstance(asked, bool) else None
                _check_segments(shot, t, need, first if first in t.durations else None, diags)
                continue
            if isinstance(asked, (int, float)) and not isinstance(asked, bool):
                if float(asked) not in t.durations:
                    continue  # the options schema reports a length the target does not offer
                if asked + EPS < need:
                    diags.error("V223", f"{shot.pointer}: shot '{shot.id}' needs {need:.3f} s of video, but "
                                f"'{name}' is asked for {asked:g} s", f"{shot.pointer}/id",
                                hint="ask for a longer generation, or set 'extend: true' to chain generations")
                continue
            if t.generation_duration(need) is None:
                diags.error("V223", f"{shot.pointer}: shot '{shot.id}' needs {need:.3f} s of video, longer than "
                            f"'{name}' generates ({t.durations[-1]:g} s at most)", f"{shot.pointer}/id",
                            hint="split the shot, or set 'extend: true' to chain generations")
            elif shot.end_frame:
                check_end_frame_length(film, t, shot, need, diags)


def _check_segments(shot: Shot, t: TargetDef, need: float, first: float | None, diags: Collector) -> None:
    """An extended shot's segments: lengths the target makes (V298), covering the shot and no more (V299)."""
    from ..segments import segment_lengths

    _, problems = segment_lengths(t.durations, need, shot, t.name, first)
    for pr in problems:
        if pr.segment >= 2 and shot.segments:
            ptr = f"{shot.pointer}/extend/{pr.segment - 2}" + ("/duration" if pr.code == "V298" else "")
        else:
            ptr = f"{shot.pointer}/extend"
        add = diags.error if pr.severity == "error" else diags.warning
        add(pr.code, f"{ptr}: shot '{shot.id}': {pr.message}", ptr, hint=pr.hint or None)


def _t2v_providers(t: TargetDef) -> list[str]:
    """The providers of a video target with a text-to-video request, each with the models it takes there."""
    from ..targets import makes_text_to_video

    out = []
    for pname, provider in t.providers.items():
        models: list[str] = []
        found = False
        for route in provider.routes:
            if makes_text_to_video(route):
                found = True
                m = (route.get("when") or {}).get("model")
                models += m if isinstance(m, list) else [m] if m else []
        if found:
            out.append(pname + (f" ({', '.join(dict.fromkeys(models))})" if models else ""))
    return out


def _check_text_to_video(film: Film, targets: dict[str, TargetDef], shot: Shot, diags: Collector) -> None:
    """A text-to-video shot needs a text-to-video request from each video target, with its provider and model."""
    from ..targets import makes_text_to_video, pick_route

    ptr = f"{shot.pointer}/mode"
    for name in film.targets.video:
        t = targets.get(name)
        if t is None or t.kind != "video" or not t.providers:
            continue
        options = shot_options(film, t, shot)
        pname = options.get("provider") or next(iter(t.providers))
        provider = t.providers.get(pname)
        if provider is None or makes_text_to_video(pick_route(provider, {**options, "generation": "text-to-video"})):
            continue
        model = f" with model {options['model']}" if isinstance(options.get("model"), str) else ""
        can = [f"{n} ({', '.join(p.split(' (')[0] for p in ps)})" for n, d in sorted(targets.items())
               if n != name and d.kind == "video" and (ps := _t2v_providers(d))]
        mine = _t2v_providers(t)
        hint = (f"'{name}' makes video from text through {'; '.join(mine)}: set generate.{name}.provider or "
                ".model; " if mine else "") + \
            ("other targets that can: " + ", ".join(can) if can else "no other target makes video from text")
        diags.error("V297", f"{ptr}: shot '{shot.id}' is text-to-video, but '{name}' through {pname}{model} has "
                    "no text-to-video request", ptr, hint=hint)


def _inside(root: Path, rel: str) -> Path | None:
    return inside_film(root, rel)


def _check_paths(film: Film, diags: Collector, allow_outside: bool) -> None:
    paths: list[tuple[str, str, str]] = []  # (pointer, path, missing severity)
    if film.song.audio:
        paths.append(("/song/audio", film.song.audio, "error"))
    for c in film.characters.values():
        paths += [(f"{c.pointer}/refs/{i}", r, "warning") for i, r in enumerate(c.refs)]
    for loc in film.locations.values():
        paths += [(f"{loc.pointer}/refs/{i}", r, "warning") for i, r in enumerate(loc.refs)]
    for w in film.concept.worlds.values():
        paths += [(f"{w.pointer}/refs/{i}", r, "warning") for i, r in enumerate(w.refs)]
    for shot in film.shots:
        paths += [(f"{shot.pointer}/refs/{i}", r, "warning") for i, r in enumerate(shot.refs or ())]
        if shot.end_frame and shot.end_frame != NEXT_FRAME:
            paths.append((f"{shot.pointer}/end_frame", shot.end_frame, "warning"))
        if shot.take:
            paths.append((f"{shot.pointer}/take", shot.take, "warning"))
    if film.edit.grade and film.edit.grade.lut:
        paths.append(("/edit/grade/lut", film.edit.grade.lut, "error"))
    for w in film.concept.worlds.values():
        if w.grade and w.grade.lut:
            paths.append((f"{w.pointer}/grade/lut", w.grade.lut, "error"))
    if film.edit.output.file:
        paths.append(("/edit/output/file", film.edit.output.file, "output"))
    for ptr, rel, missing in paths:
        target = _inside(film.root, rel)
        if "\x00" in rel or len(rel) > 1024:
            diags.error("V260", f"{ptr}: not a usable path (a NUL character, or over 1024 characters)", ptr)
            continue
        if target is None and not allow_outside:
            why = "is absolute" if os.path.isabs(rel) or rel.startswith("~") else "leads outside the film's folder"
            diags.error("V260", f"{ptr}: the path '{rel}' {why}", ptr,
                        hint="paths are relative to the folder holding film.yaml and stay inside it; "
                             "copy the file into the film's folder (or pass --allow-outside-paths)")
            continue
        if missing == "output":  # written by render: not over an input, and a video file
            problem = output_problem(film, target or inside_film(film.root, rel, True), rel)
            if problem:
                diags.error(problem[0], f"{ptr}: {problem[1]}", ptr, hint=problem[2])
            continue
        if target is None:
            target = inside_film(film.root, rel, True) or film.root / rel
        try:
            exists = target.exists()
        except (OSError, ValueError):
            exists = False
        if not exists:
            msg = f"{ptr}: file not found: '{rel}'"
            if missing == "error":
                diags.error("V261", msg, ptr, hint=_missing_hint(film.root, rel))
            else:
                diags.warning("V261", msg, ptr, hint=_missing_hint(film.root, rel))
        elif target.is_dir():
            diags.error("V261", f"{ptr}: '{rel}' is a folder, not a file", ptr)
        elif kind := special_file(target):
            diags.error("V264", f"{ptr}: '{rel}' is {kind}, not a regular file", ptr,
                        hint="media must be regular files: copy the file itself into the film's folder")


def _missing_hint(root: Path, rel: str) -> str | None:
    folder = (root / rel).parent
    if folder.is_dir():
        names = [p.name for p in folder.iterdir() if p.is_file()]
        hint = did_you_mean(Path(rel).name, names) if names else None
        if hint and hint.startswith("did you mean"):
            return hint
    return "paths are relative to the folder holding film.yaml"


_SHOT_TEXT = ("subject", "background", "background_motion", "time")


def _check_names(film: Film, diags: Collector) -> None:
    names = [(c.name, c.id) for c in film.characters.values() if c.name and c.name.strip()]
    if not names:
        return
    pats = [(re.compile(r"(?<![\w])" + re.escape(n.strip()) + r"(?![\w])"), n, cid) for n, cid in names]

    def scan(text: str | None, ptr: str, where: str) -> None:
        if not text:
            return
        for pat, name, cid in pats:
            if pat.search(text):
                diags.warning("V270", f"{ptr}: the name '{name}' appears in {where}; names never reach generation models",
                              ptr, hint=f"describe the person instead (the description of '{cid}' is injected for you)")

    for shot in film.shots:
        p = shot.pointer
        for f in _SHOT_TEXT:
            scan(getattr(shot, f), f"{p}/{f}", "prompt text")
        for f in ("mood", "details"):
            for i, t in enumerate(getattr(shot, f)):
                scan(t, f"{p}/{f}" + (f"/{i}" if len(getattr(shot, f)) > 1 else ""), "prompt text")
        for j, m in enumerate(shot.cast):
            for f in ("action", "expression", "motion"):
                scan(getattr(m, f), f"{p}/cast/{j}/{f}", "prompt text")
        for t, o in shot.prompt.items():
            for f in ("text", "image", "video", "negative"):
                val = getattr(o, f)
                scan(val, f"{p}/prompt/{t}" + ("" if f == "text" else f"/{f}"), "a prompt override")
    for c in film.characters.values():
        scan(c.description, f"{c.pointer}/description", "a character description")
        for w, text in c.wardrobe.items():
            scan(text, f"{c.pointer}/wardrobe" + ("" if len(c.wardrobe) == 1 and w == "default" else f"/{w}"), "a wardrobe")
    for loc in film.locations.values():
        scan(loc.description, f"{loc.pointer}/description", "a location description")


def _check_edit(film: Film, diags: Collector, song_length: float | None) -> None:
    e = film.edit
    song = film.song
    sides = film.info.aspect.split(":")
    try:
        if len(sides) != 2 or min(float(x) for x in sides) <= 0:
            raise ValueError
    except ValueError:
        diags.error("V296", f"/film/aspect: '{film.info.aspect}' is not an aspect ratio", "/film/aspect",
                    hint="width:height with both above 0, e.g. \"16:9\"")
    res = film.info.resolution
    if res and (res[0] % 2 or res[1] % 2):
        diags.error("V295", f"/film/resolution: {res[0]}x{res[1]} has an odd side; video encoders need even sizes",
                    "/film/resolution", hint=f"use [{res[0] + res[0] % 2}, {res[1] + res[1] % 2}]")
    if e.snap == "beats" and not song.bpm and not song.beats:
        diags.error("V290", "/edit/snap: snapping to beats needs a beat grid", "/edit/snap",
                    hint="set song.bpm (and beat_offset), list song.beats, or run 'filmc beats FILM'")
    if song.bpm and song.beats:
        diags.warning("V291", "/song/beats: both bpm and beats are set; the explicit beats are used", "/song/beats", key=True)
    if e.subtitles in ("burn", "sidecar") and not any(s.lines for s in song.sections):
        diags.warning("V292", "/edit/subtitles: subtitles are on but no section has lyrics or lines",
                      "/edit/subtitles")
    end = song_length
    for c in e.cards:
        if isinstance(c.at, float) and end is not None and c.at + c.duration > end + EPS:
            diags.error("V293", f"{c.pointer}/at: the card at {c.at:g} s runs past the end of the song ({end:g} s)",
                        f"{c.pointer}/at", hint="use 'at: end' for a card after the song")
        if c.fade * 2 > c.duration + EPS:
            diags.error("V294", f"{c.pointer}/fade: fading in and out ({c.fade:g} s each) takes longer than the card "
                        f"({c.duration:g} s)", f"{c.pointer}/fade")
    for s in song.sections:
        if s.timed and s.pointer and diags.source and f"{s.pointer}/lyrics" in getattr(diags.source, "values", {}):
            diags.warning("V282", f"{s.pointer}: section '{s.id}' has both lyrics and timed lines; the lines are used",
                          f"{s.pointer}/lyrics", key=True)
