"""Checks of reference images and end frames against what each target's model takes (V271-V278, V286)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..diagnostics import Collector
from ..model import Film, Shot
from ..paths import inside_film
from ..refs import (
    Ref,
    candidates,
    is_image,
    is_next,
    looks_like_image,
    next_shot,
    plan,
    shot_options,
    starts_from_frame,
    why,
)
from ..targets import TargetDef

Owner = tuple[str, str | None]  # a reference's kind and owner: ("character", "keeper")


@dataclass
class Reach:
    """Which owners' refs reach some model (V286): `wanted`, the owners whose refs some shot would send by default
    (-> where their refs are); `sent`, those some shot sends to some target, or leaves out for a reason said
    elsewhere (a missing file: V261; over a limit: V276); `blocked`, why each target sends none ('mystic' -> takes
    no character references)."""

    wanted: dict[Owner, str] = field(default_factory=dict)
    sent: set[Owner] = field(default_factory=set)
    blocked: dict[Owner, dict[str, None]] = field(default_factory=dict)


_SAID_ELSEWHERE = ("missing", "max", "per_kind")


def check_references(film: Film, targets: Mapping[str, TargetDef], diags: Collector) -> None:
    _check_images(film, diags)
    reach = Reach()
    for shot in film.shots:
        _check_picks(film, shot, diags)
        _check_limits(film, targets, shot, diags, reach)
        if shot.end_frame is not None:
            _check_end_frame(film, targets, shot, diags)
    for owner, ptr in reach.wanted.items():
        if owner not in reach.sent and reach.blocked.get(owner):
            diags.warning("V286", f"{ptr}: the refs of '{owner[1]}' reach no model: "
                          f"{'; '.join(reach.blocked[owner])}", ptr,
                          hint="add a target (or pick a model) that takes them (`filmc targets list` shows which "
                               "do), or remove these refs")


def _check_images(film: Film, diags: Collector) -> None:
    """Every reference is an image file (V272)."""
    named = [(f"{c.pointer}/refs/{i}", p) for c in film.characters.values() for i, p in enumerate(c.refs)]
    named += [(f"{loc.pointer}/refs/{i}", p) for loc in film.locations.values() for i, p in enumerate(loc.refs)]
    named += [(f"{w.pointer}/refs/{i}", p) for w in film.concept.worlds.values() for i, p in enumerate(w.refs)]
    for shot in film.shots:
        named += [(f"{shot.pointer}/refs/{i}", p) for i, p in enumerate(shot.refs or ())]
        if shot.end_frame and not is_next(shot.end_frame):
            named.append((f"{shot.pointer}/end_frame", shot.end_frame))
    for ptr, path in named:
        if not is_image(path):
            diags.error("V272", f"{ptr}: '{path}' is not an image (.png, .jpg, .jpeg or .webp)", ptr,
                        hint="references and end frames are still images; export a frame as PNG")
        elif inside_film(film.root, path) is not None and not looks_like_image(film.root / path):
            diags.error("V272", f"{ptr}: '{path}' is not a PNG, JPEG or WebP image (its content is something else)",
                        ptr, hint="export the image again as PNG or JPEG")


def _check_picks(film: Film, shot: Shot, diags: Collector) -> None:
    """`cast[].refs` picks among the character's own refs (V271)."""
    for i, member in enumerate(shot.cast):
        ch = film.characters.get(member.id)
        if ch is None or member.refs is None:
            continue
        for n, path in enumerate(member.refs):
            if path not in ch.refs:
                ptr = f"{shot.pointer}/cast/{i}/refs/{n}"
                hint = (f"the refs of '{ch.id}': {', '.join(ch.refs)}" if ch.refs else
                        f"'{ch.id}' has no refs: add them under characters.{ch.id}.refs")
                diags.error("V271", f"{ptr}: '{path}' is not one of the refs of '{ch.id}'", ptr, hint=hint)


def _takers(film: Film, targets: Mapping[str, TargetDef], shot: Shot, kind: str, picked: list[Ref],
            not_name: str) -> str:
    """Other targets of the same kind whose models (as this shot sets them) would send all of `picked`, in words
    ("none" when no target would; then those that would send some of them, if any)."""
    out, some = [], []
    for name, t in sorted(targets.items()):
        if t.kind != kind or name == not_name:
            continue
        opts = shot_options(film, t, shot)
        p = plan(film, t, shot, first_frame=starts_from_frame(film, t, shot), options=opts)
        caps = p.caps
        if caps is None or p.excluded_by:
            continue
        kinds = {r.kind for r in picked}
        if len(picked) <= caps.max and all(sum(1 for r in picked if r.kind == k) <= caps.kind_max(k) for k in kinds):
            out.append(f"{name} (up to {caps.max})")
        elif any(caps.kind_max(k) > 0 for k in kinds):
            some.append(f"{name} (up to {caps.max})")
    if out:
        return ", ".join(out)
    return f"none takes all {len(picked)}" + (f"; some of them: {', '.join(some)}" if some else "") \
        if len(picked) > 1 else "none"


def _field(ref: Ref) -> str:
    """Where a pick is written, for a hint: "cast[0].refs" or "refs"."""
    parts = ref.pointer.split("/")
    return f"cast[{parts[4]}].refs" if len(parts) > 4 and parts[3] == "cast" else "refs"


def _check_limits(film: Film, targets: Mapping[str, TargetDef], shot: Shot, diags: Collector, reach: Reach) -> None:
    """Picked refs a model cannot take are refused (V273 over its max or a per-kind limit, V275 not with an end
    frame) or said to reach it not at all (V274: a kind, or no references); default refs over its max are left
    out with a warning (V276). `reach` hears which owners' refs the shot would send by default, and what becomes
    of them (see V286)."""
    refs = candidates(film, shot)
    if not refs:
        return
    for r in refs:
        if not r.picked and r.owner is not None:
            reach.wanted.setdefault((r.kind, r.owner), r.pointer.rsplit("/", 1)[0])
    for name in film.targets.image + film.targets.video:
        t = targets.get(name)
        if t is None or (t.kind == "video" and shot.mode == "still") or (t.kind == "image" and shot.mode == "text-to-video"):
            continue
        opts = shot_options(film, t, shot)
        model = opts.get("model")
        on = f"'{name}'" + (f" with model {model}" if isinstance(model, str) else "")
        p = plan(film, t, shot, first_frame=starts_from_frame(film, t, shot), options=opts)
        reach.sent.update((r.kind, r.owner) for r in p.refs)
        for r, reason in p.left_out:
            if reason in _SAID_ELSEWHERE:
                reach.sent.add((r.kind, r.owner))
            else:
                reach.blocked.setdefault((r.kind, r.owner), {})[f"{on} {why(reason, r, p.caps)}"] = None
        by_reason: dict[str, list[Ref]] = {}
        for r, reason in p.refused:
            by_reason.setdefault(reason, []).append(r)
        for reason, picked in by_reason.items():
            ptr = picked[0].pointer
            paths = ", ".join(r.path for r in picked)
            text = why(reason, picked[0], p.caps)
            others = _takers(film, targets, shot, t.kind, [r for r, _ in p.refused] + [r for r in p.refs if r.picked],
                             name)
            if reason == "end_frame":
                diags.error("V275", f"{ptr}: shot '{shot.id}' picks {paths}, but {on} {text}", ptr,
                            hint=f"drop `end_frame`, or the picks ({_field(picked[0])}: []), or use a target "
                                 f"that takes both: {others}")
            elif reason in ("max", "per_kind"):
                limit = (p.caps.kind_max(picked[0].kind) if reason == "per_kind" else p.caps.max) if p.caps else 0
                same = [r for r in p.refs if r.picked and (reason == "max" or r.kind == picked[0].kind)] + picked
                what = f"{picked[0].kind} references" if reason == "per_kind" else "references"
                diags.error("V273", f"{ptr}: shot '{shot.id}' picks {len(same)} {what}; {on} {text}", ptr,
                            hint=f"drop {len(same) - limit} of: {', '.join(r.path for r in same)}; or use a target "
                                 f"that takes them: {others}")
            else:
                diags.warning("V274", f"{ptr}: shot '{shot.id}' picks {paths}, but {on} {text}: it gets the "
                              "description only", ptr, hint=f"targets that take them: {others}")
        over = [r for r, reason in p.left_out if not r.picked and reason in ("max", "per_kind")]
        if over:
            ptr = f"{shot.pointer}/cast" if shot.cast else shot.pointer
            reasons = sorted({why(reason, r, p.caps) for r, reason in p.left_out
                              if not r.picked and reason in ("max", "per_kind")})
            diags.warning("V276", f"{ptr}: shot '{shot.id}': {on} {' and '.join(reasons)}; "
                          f"left out: {', '.join(r.path for r in over)}", ptr,
                          hint="pick the ones that matter with cast[].refs, or the shot's refs:")


def _check_end_frame(film: Film, targets: Mapping[str, TargetDef], shot: Shot, diags: Collector) -> None:
    """An end frame needs a clip (V278) and a model that takes one (V278 warning); `next` needs a next shot that
    starts from an image (V277)."""
    ptr = f"{shot.pointer}/end_frame"
    if shot.mode == "still":
        diags.error("V278", f"{ptr}: shot '{shot.id}' is a still: it has no clip to end on a frame", ptr,
                    hint="drop end_frame, or make the shot image-to-video")
        return
    if is_next(shot.end_frame):
        nxt = next_shot(film, shot)
        if nxt is None:
            diags.error("V277", f"{ptr}: shot '{shot.id}' is the last shot: there is no next shot to end on", ptr,
                        hint="name an image instead (end_frame: refs/last.png), or drop end_frame")
            return
        if not film.targets.image:
            diags.error("V277", f"{ptr}: `next` is the next shot's first frame, and the film has no image target",
                        ptr, hint="add an image target (targets.image), or name an image file")
            return
        if nxt.mode == "text-to-video":
            diags.error("V277", f"{ptr}: the next shot '{nxt.id}' is text-to-video: it has no first frame to end on",
                        ptr, hint=f"make '{nxt.id}' image-to-video or still, or name an image file")
            return
    for name in film.targets.video:
        t = targets.get(name)
        if t is None:
            continue
        opts = shot_options(film, t, shot)
        model = opts.get("model")
        if t.takes_end_frame(model, opts):
            if not starts_from_frame(film, t, shot) and not t.capabilities.end_frame_alone:
                why_not = "text-to-video" if shot.mode == "text-to-video" else "without an image target"
                diags.warning("V278", f"{ptr}: '{name}' takes an end frame only after a first frame, and shot "
                              f"'{shot.id}' starts from none ({why_not}): the end frame is not sent", ptr,
                              hint="make the shot image-to-video (with an image target), or drop end_frame")
            continue
        when = t.end_frame_when(model)
        on = f"'{name}'" + (f" with model {model}" if isinstance(model, str) else "")
        if isinstance(when, dict):
            need = ", ".join(f"{k}: {' or '.join(map(str, v))}" for k, v in when.items())
            hint = f"set {need} in targets.options.{name} (or this shot's generate.{name})"
        else:
            can = [m for m in t.model_names if t.end_frame_when(m) is not False]
            others = [n for n, d in sorted(targets.items()) if d.kind == "video" and n != name and
                      any(d.end_frame_when(m) is not False for m in d.model_names)]
            hint = (f"models of '{name}' that take one: {', '.join(can)}; " if can else "") + \
                "targets that take one: " + (", ".join(others) or "none")
        diags.warning("V278", f"{ptr}: {on} takes no end frame" + (f" unless {need}" if isinstance(when, dict) else "")
                      + ": its clip ends where the model takes it", ptr, hint=hint)


def check_end_frame_length(film: Film, t: TargetDef, shot: Shot, need: float, diags: Collector) -> None:
    """A clip generated longer than its shot is cut before its end frame (V279): the seam is lost."""
    opts = shot_options(film, t, shot)
    gen = t.generation_duration(need, opts)
    p = plan(film, t, shot, first_frame=starts_from_frame(film, t, shot), options=opts)
    if gen is None or p.end_frame is None or gen - need < 0.05:
        return
    ptr = f"{shot.pointer}/end_frame"
    late = gen - need
    diags.warning("V279", f"{ptr}: '{t.name}' generates {gen:g} s for shot '{shot.id}', which plays {need:.3f} s: "
                  f"the end frame comes {late:.3f} s after the cut", ptr,
                  hint=f"give the shot {gen:g} s (duration: {gen:g}), or start the take later so it ends on its "
                       f"end frame (trim: {{in: {late:.3f}}})")
