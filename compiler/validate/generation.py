"""What each shot asks of the video targets: lengths they generate (V223) with the shot's options (V225), extended
shots' segments (V298, V299), a text-to-video request (V297)."""

from __future__ import annotations

from collections.abc import Mapping

from ..diagnostics import Collector
from ..model import Film, Shot
from ..refs import shot_options
from ..targets import TargetDef
from ..timeline import EPS
from .references import check_end_frame_length


def check_generation(film: Film, targets: Mapping[str, TargetDef], durations: dict[str, float], diags: Collector) -> None:
    said: set[tuple[str, str]] = set()  # (a film-wide length its options exclude: once per reason, not per shot)
    for shot in film.shots:
        if shot.mode == "still":  # no video is generated
            continue
        if shot.mode == "text-to-video":
            _check_text_to_video(film, targets, shot, diags)
        need = durations.get(shot.id, 0.0) * shot.speed + shot.trim_in
        segments: SegmentFindings = {}
        for name in film.targets.video:
            t = targets.get(name)
            if t is None or not t.durations:
                continue
            asked = shot.generate.get(name, {}).get("duration", film.targets.options.get(name, {}).get("duration"))
            options = shot_options(film, t, shot)
            rule = t.capabilities.durations_rule(options)  # (Hailuo at 1080P: 6 s only)
            made = rule.durations if rule is not None else t.durations
            if not made:
                continue  # (the target schema refuses an empty list)
            limited = f" {rule.text()}" if rule is not None else ""
            if rule is not None and isinstance(asked, (int, float)) and not isinstance(asked, bool) \
                    and float(asked) in t.durations and float(asked) not in made:
                own = shot.generate.get(name, {})
                ptr = f"{shot.pointer}/generate/{name}/duration" if "duration" in own \
                    else f"/targets/options/{name}/duration"
                if (ptr, limited) not in said:  # (the film's length: said once per option that excludes it)
                    said.add((ptr, limited))
                    asks = f"shot '{shot.id}' asks" if "duration" in own else "the film asks"
                    for_shot = "" if "duration" in own else f" for shot '{shot.id}'"
                    setter = "the shot" if any(k in own for k in rule.options()) else "the film"
                    diags.error("V225", f"{ptr}: {asks} '{name}' for {asked:g} s, which it does not make{for_shot}"
                                f"{limited} ({_lengths(made)})", ptr,
                                hint=f"ask for {_lengths(made)}, or change what {setter} sets ({rule.values_text()})")
                continue
            if shot.extend:
                first = float(asked) if isinstance(asked, (int, float)) and not isinstance(asked, bool) else None
                _check_segments(shot, t, made, need, first if first in made else None, segments)
                continue
            if isinstance(asked, (int, float)) and not isinstance(asked, bool):
                if float(asked) not in made:
                    continue  # the options schema reports a length the target does not offer
                if asked + EPS < need:
                    diags.error("V223", f"{shot.pointer}: shot '{shot.id}' needs {need:.3f} s of video, but "
                                f"'{name}' is asked for {asked:g} s", f"{shot.pointer}/id",
                                hint="ask for a longer generation, or set 'extend: true' to chain generations")
                continue
            longer = rule is not None and t.durations[-1] > made[-1]  # (another option makes longer clips)
            if not any(d + EPS >= need for d in made):
                diags.error("V223", f"{shot.pointer}: shot '{shot.id}' needs {need:.3f} s of video, longer than "
                            f"'{name}' generates{limited if longer else ''} ({made[-1]:g} s at most"
                            + (f"; {t.durations[-1]:g} s otherwise)" if longer else ")"), f"{shot.pointer}/id",
                            hint="split the shot, or set 'extend: true' to chain generations"
                            + (f", or change what limits the length ({rule.values_text()})"
                               if rule is not None and longer else ""))
            elif shot.end_frame:
                check_end_frame_length(film, t, shot, need, diags)
        _say_segments(shot, segments, diags)


def _lengths(durations: tuple[float, ...]) -> str:
    return ", ".join(f"{d:g}" for d in durations) + " s"


# An extended shot's segment problems, by place and wording with the target's name left out (`{who}`): the same
# problem with several targets is said once, naming them all.
SegmentFindings = dict[tuple[str, str, str, str, str], list[str]]


def _check_segments(shot: Shot, t: TargetDef, durations: tuple[float, ...], need: float, first: float | None,
                    found: SegmentFindings) -> None:
    """An extended shot's segments: lengths the target makes with the shot's options (V298), covering the shot
    and no more (V299); added to `found` (see _say_segments)."""
    from ..segments import segment_lengths

    _, problems = segment_lengths(durations, need, shot, t.name, first)
    for pr in problems:
        if pr.segment >= 2 and shot.segments:
            ptr = f"{shot.pointer}/extend/{pr.segment - 2}" + ("/duration" if pr.code == "V298" else "")
        else:
            ptr = f"{shot.pointer}/extend"
        who = f"'{t.name}'"
        key = (ptr, pr.code, pr.severity, pr.message.replace(who, "{who}"), pr.hint.replace(who, "{who}"))
        found.setdefault(key, []).append(t.name)


# The verbs of a segment problem's wording, as they read after two or more targets
_PLURAL = (("{who} generates", "{who} generate"), ("{who} does not offer: it generates", "{who} do not offer: they "
           "generate"), ("{who} makes", "{who} make"))


def _say_segments(shot: Shot, found: SegmentFindings, diags: Collector) -> None:
    for (ptr, code, severity, message, hint), names in found.items():
        who = " and ".join([", ".join(f"'{n}'" for n in names[:-1]), f"'{names[-1]}'"]) if len(names) > 1 \
            else f"'{names[0]}'"
        if len(names) > 1:
            for one, many in _PLURAL:
                message, hint = message.replace(one, many), hint.replace(one, many)
        add = diags.error if severity == "error" else diags.warning
        add(code, f"{ptr}: shot '{shot.id}': {message.replace('{who}', who)}", ptr,
            hint=hint.replace("{who}", who) or None)


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


def _check_text_to_video(film: Film, targets: Mapping[str, TargetDef], shot: Shot, diags: Collector) -> None:
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
