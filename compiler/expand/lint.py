"""Prompt lint: what would hurt a generation (names, drift, limits, things a target cannot take)."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from ..diagnostics import Collector, Diagnostic
from ..resolve import Production, ResolvedShot
from ..validate.prompt_names import look_texts, shot_text
from . import Plan, lint_prose
from .lint_video import VIDEO_SHOT_CODES, edit_words, motion_fields, video_checks
from .plan import CompiledPrompt
from .ref_context import merged_options
from .vocab import positive

_PREVIOUS_WORDS = ("previous", "last", "prior", "preceding", "earlier", "before")  # one is in whatever _PREVIOUS finds
_PREVIOUS = re.compile(r"\b(previous|last|prior|preceding|earlier) (shot|scene|frame|image|clip)\b|\bsame as before\b|\bas before\b",
                       re.IGNORECASE)


# One prompt's findings: those before P404's place, the key P404 compares (target, text), those after it, the
# video checks' and the fitting checks' (each group is reported in its own pass over the prompts, as listed).
PromptFindings = tuple[Sequence[Diagnostic], "tuple[str, str] | None", Sequence[Diagnostic], Sequence[Diagnostic],
                       Sequence[Diagnostic]]
# One shot's findings: shot_checks', then its prompts' by target.
ShotFindings = tuple[list[Diagnostic], dict[str, PromptFindings]]


def _validated_text(rs: ResolvedShot, look: str) -> str:
    """What of a shot's prompt text validation reads for names (V270): the shot's own, its cast's descriptions,
    short references and wardrobes, its location's description and its look (`look`: the film's and its
    world's)."""
    parts = [shot_text(rs.shot), look,
             *(f"{f.character.description}\n{f.character.short or ''}\n{f.wardrobe or ''}" for f in rs.cast)]
    if rs.location is not None:
        parts.append(rs.location.description)
    return "\n".join(parts)


class ShotLinter:
    """What every shot's checks share (names, person words), made once per plan."""

    def __init__(self, plan: Plan) -> None:
        prod = plan.prod
        self.plan = plan
        names = [(ch.name.strip(), ch.id) for ch in prod.film.characters.values() if ch.name and ch.name.strip()]
        self.name_res = [(re.compile(r"(?<!\w)" + re.escape(n) + r"(?!\w)"), n, cid) for n, cid in names]
        self.persons = lint_prose.person_words(prod)
        self.looks: dict[str | None, str] = {}  # world -> the look its shots are compiled from

    def _look(self, rs: ResolvedShot) -> str:
        world = rs.world.id if rs.world else None
        if world not in self.looks:
            self.looks[world] = "\n".join(text for _, text, _ in look_texts(self.plan.prod.film, world))
        return self.looks[world]

    def shot(self, rs: ResolvedShot, prompts: Sequence[CompiledPrompt], plan: Plan | None = None) -> ShotFindings:
        """The findings of one shot and its prompts (in target order): none of them looks at another shot. `plan`:
        one that holds the shot's pairs (the linter's by default)."""
        prod = self.plan.prod
        c = prod.collector()
        lint_prose.shot_checks(c, prod, rs)
        if any(p.kind == "video" for p in prompts):
            edit_words(rs.shot, c)
        out: dict[str, PromptFindings] = {}
        for p in prompts:
            before = prod.collector()
            video_key = self._prompt(before, p, rs)
            after = prod.collector()
            self._override(after, p, rs)
            video = prod.collector()
            if p.kind == "video":
                video_checks(prod, p, rs, video)
            fitting = prod.collector()
            _fitting(plan or self.plan, p, rs, fitting)
            out[p.target] = (before.items, video_key, after.items, video.items, fitting.items)
        return c.items, out

    def _prompt(self, c: Collector, p: CompiledPrompt, rs: ResolvedShot) -> tuple[str, str] | None:
        """P401, P412, P413, P402, P403; the (target, text) P404 compares, if the prompt is one it compares."""
        prod = self.plan.prod
        t = prod.targets[p.target]
        where = f"{rs.shot.pointer}/prompt/{p.target}" if p.overridden else f"{rs.shot.pointer}/id"
        label = f"shot '{p.shot}', {p.target}"
        texts = [(p.text, "prompt", 1), (p.negative or "", "negative prompt", 1)]
        for n, (seg_text, seg_negative) in enumerate(p.segments, 2):  # an extended shot's later segments
            texts += [(seg_text, f"prompt of segment {n}", n), (seg_negative or "", f"negative prompt of segment {n}",
                                                                 n)]
        # P401 is for a name that reached a prompt by a way validation does not read (an override, a style, a
        # template): one in the shot's own text or its cast's and place's descriptions has its V270 there, once
        own = _validated_text(rs, self._look(rs)) if self.name_res and not p.overridden else ""
        for rx, name, cid in () if rs.shot.allow_names else self.name_res:  # (the shot's prompts may name them)
            if name in own and rx.search(own):
                continue
            for text, what, n in texts:
                if name in text and rx.search(text):  # (the substring first: a name is seldom there)
                    c.warning("P401", f"{label}: the {what} contains the name '{name}'",
                              _segment_place(rs, n, name) or where,
                              hint=f"names never reach generation models; describe '{cid}' instead")
        for n, text in enumerate(p.texts, 1):
            seg_label = label if n == 1 else f"{label}, segment {n}"
            lint_prose.budget(c, t, text, where, seg_label, p.overridden)
            lint_prose.pronouns(c, text, self.persons, where, seg_label, rs, p.overridden)
        for n, text in enumerate(p.texts, 1):  # (an extended shot's segments too)
            low = text.casefold()
            # (the words first; text beyond ASCII always goes to the regex, whose case folding differs from casefold's)
            previous = _PREVIOUS.search(text) if not text.isascii() or any(w in low for w in _PREVIOUS_WORDS) else None
            if previous:
                what = "the prompt refers to another shot" if n == 1 else f"the prompt of segment {n} refers to " \
                    "what came before"
                hint = ("each prompt must stand alone: the model sees no other shot" if p.kind == "image" else
                        "each prompt must stand alone: the model sees no other shot, only the frame it starts from"
                        if n == 1 else "a segment starts from the last frame of the one before and sees none of its "
                        "words: say what is there")
                c.warning("P402", f"{label}: {what} ('{previous.group(0)}')",
                          (None if p.overridden else _segment_place(rs, n, previous.group(0), first=True)) or where,
                          hint=hint)
        if p.kind != "video":
            return None
        sh = rs.shot
        still = not any(m.motion for m in sh.cast) and not sh.subject_motion and not sh.background_motion \
            and sh.camera is None
        if not p.text.strip() or (still and not p.overridden):
            c.warning("P403", f"{label}: the video prompt {'is empty' if not p.text.strip() else 'says nothing moves'}",
                      where, hint="give the cast a 'motion', or the shot a 'subject_motion', a 'background_motion' "
                                  "or a camera move")
            return None
        return (p.target, p.text)

    def _override(self, c: Collector, p: CompiledPrompt, rs: ResolvedShot) -> None:
        """P405 to P408."""
        prod = self.plan.prod
        t = prod.targets[p.target]
        caps = t.capabilities
        where = f"{rs.shot.pointer}/prompt/{p.target}" if p.overridden else f"{rs.shot.pointer}/id"
        label = f"shot '{p.shot}', {p.target}"
        if p.overridden and p.kind == "image":
            for f in rs.cast:
                if f.character.description not in p.text:
                    c.warning("P405", f"{label}: the override drops the canonical description of '{f.character.id}'",
                              where, hint="paste the character's description verbatim (or remove the override) "
                                          "so the character looks the same in every shot")
        limit = caps.prompt_max_chars
        if limit and len(p.text) > limit:
            c.warning("P406", f"{label}: the prompt has {len(p.text)} characters, over {p.target}'s limit of {limit}",
                      where, hint="shorten descriptions or details; the API would reject or cut it")
        neg_limit = caps.negative_max_chars
        if p.negative and neg_limit and len(p.negative) > neg_limit:
            c.warning("P406", f"{label}: the negative prompt has {len(p.negative)} characters, over {neg_limit}", where)
        override = rs.shot.prompt.get(p.target)
        model = merged_options(prod, t, rs).get("model") if override and override.negative else None
        if override and override.negative and not caps.takes_negative(model):
            with_model = f" with model {model}" if caps.negative_prompt else ""  # (the model differs from its target)
            c.warning("P407", f"{label}: {p.target} takes no negative prompt{with_model}; the override's negative is "
                      "dropped",
                      f"{rs.shot.pointer}/prompt/{p.target}/negative",
                      hint="phrase what you want instead (e.g. 'sharp focus' rather than 'no blur')")
        cam = rs.shot.camera
        if cam and t.kind == "video":
            phrases = caps.camera
            if phrases and phrases.get(cam.move) is None and caps.camera_style in ("brackets", "concepts"):
                c.warning("P408", f"{label}: {p.target} has no camera command for '{cam.move}'; it is written as "
                          "a sentence instead", f"{rs.shot.pointer}/camera",
                          hint="the model may ignore it; pick a move the target supports (filmc targets show "
                               f"{p.target})")


def _segment_place(rs: ResolvedShot, n: int, words: str, *, first: bool = False) -> str | None:
    """Where segment `n` (2: the first of `extend`) of a shot says `words`, when its motion says them; `first`:
    segment 1's too, when one of the shot's motions (its cast's, subject_motion, background_motion) says them."""
    low = words.casefold()
    if n == 1:
        return next((ptr for ptr, text in motion_fields(rs.shot) if "/extend/" not in ptr and low in text.casefold()),
                    None) if first else None
    segs = rs.shot.segments
    if n - 2 >= len(segs):
        return None
    motion = segs[n - 2].motion
    return f"{rs.shot.pointer}/extend/{n - 2}/motion" if motion and low in motion.casefold() else None


def lint_plan(plan: Plan, found: Callable[[ShotLinter, ResolvedShot, Sequence[CompiledPrompt]], ShotFindings]
              | None = None, only: Collection[str] | None = None) -> list[Diagnostic]:
    """Warnings about the compiled prompts, located at the shot (or override) that causes them.

    `found(linter, shot, its prompts)` may give a shot's findings (e.g. kept from the last build) instead of
    `linter.shot(...)`; the checks that compare shots run here, over the whole plan. `only`: the targets whose
    findings are wanted (a build of some targets compiles the others too); the shots' own findings stay."""
    prod: Production = plan.prod
    linter = ShotLinter(plan)
    prompts_of: dict[str, list[CompiledPrompt]] = {rs.id: [] for rs in plan.shots}
    for p in plan.prompts:
        prompts_of[p.shot].append(p)
    shot_found = {rs.id: (found or ShotLinter.shot)(linter, rs, prompts_of[rs.id]) for rs in plan.shots}
    items: list[Diagnostic] = []
    for rs in plan.shots:
        own = shot_found[rs.id][0]
        if only is not None and own and not any(p.kind == "video" and p.target in only for p in prompts_of[rs.id]):
            own = [d for d in own if d.code not in VIDEO_SHOT_CODES]  # (no asked target makes the shot's video)
        items += own
    by_shot = {s.id: s for s in prod.shots}
    c: Collector = prod.collector()
    seen_video: dict[tuple[str, str], str] = {}
    prompts = [p for p in plan.prompts if only is None or p.target in only]
    found_of = [shot_found[p.shot][1][p.target] for p in prompts]  # (most of them empty: skipped below)
    for p, (before, key, after, _, _) in zip(prompts, found_of):
        if before:
            items += before
        if key is not None:
            if key in seen_video:
                pointer = by_shot[p.shot].shot.pointer
                c.warning("P404", f"shot '{p.shot}', {p.target}: the video prompt is identical to shot "
                          f"'{seen_video[key]}'", f"{pointer}/prompt/{p.target}" if p.overridden else f"{pointer}/id",
                          hint="say how this shot moves differently")
                items += c.items
                c.items = []
            else:
                seen_video[key] = p.shot
        if after:
            items += after
    for pf in found_of:
        if pf[3]:
            items += pf[3]
    for pf in found_of:
        if pf[4]:
            items += pf[4]
    c.items = items
    film = prod.film
    targets = [t for t in plan.targets if only is None or t.name in only]
    for t in targets:
        aspects = t.capabilities.aspects
        if aspects and film.info.aspect not in aspects:
            c.warning("P409", f"{t.name} has no {film.info.aspect} aspect ratio; its requests leave the aspect to the "
                      "model's default", "/film/aspect",
                      hint="offered: " + ", ".join(sorted(aspects)))
    if film.targets.video and not film.targets.image:
        c.warning("P410", "video targets but no image target: image-to-video jobs have no first frame", "/targets",
                  key=True, hint="add an image target (targets.image), or generate the first frames elsewhere")
    compiled = {t.name for t in targets}  # (a plan of some targets holds those only: `lint -t`)
    for rs in prod.shots:
        for name, o in rs.shot.prompt.items():
            named = prod.targets.get(name)
            if named is None or name not in compiled:
                continue
            t = named
            wrong = o.video if t.kind == "image" else o.image
            if wrong:
                other = "video" if t.kind == "image" else "image"
                c.warning("P411", f"shot '{rs.id}': {name} is {'an' if t.kind == 'image' else 'a'} {t.kind} target; the '{other}' override is ignored",
                          f"{rs.shot.pointer}/prompt/{name}/{other}", hint=f"use '{t.kind}:' for {name}")
    avoid = list(prod.film.concept.avoid) + [a for w in prod.film.concept.worlds.values() for a in w.avoid]
    lost = list(dict.fromkeys(a for a in avoid if positive(a) is None))
    for t in targets:
        if lost and t.kind == "image" and not t.capabilities.negative_prompt:
            c.warning("P407", f"{t.name} takes no negative prompt, and these 'avoid' terms have no positive phrasing: "
                      f"{', '.join(repr(a) for a in lost)}", "/concept/avoid",
                      hint="they are left out of its prompts; describe what should be there instead (details)")
    return c.items


def _fitting(plan: Plan, p: CompiledPrompt, rs: ResolvedShot, c: Collector) -> None:
    """P421: phrases a template's fitting filters left out; P422: windows a workflow has no prompt node for."""
    t = plan.prod.targets[p.target]
    label = f"shot '{p.shot}', {p.target}"
    left = (plan.contexts.get((p.shot, p.target)) or {}).get("left_out") or {}
    budget = t.budget
    for which, phrases in sorted(left.items()):
        windows = t.capabilities.prompt_chunks if which == "prompt" else 1
        room = (f"{budget[1]} {budget[0]}" if not budget or budget[0] != "tokens" or windows == 1
                else f"{windows} windows of {budget[1]} tokens") if budget else "its budget"
        c.warning("P421", f"{label}: no room in the {which} ({room}) for: " + "; ".join(repr(x) for x in phrases),
                  f"{rs.shot.pointer}/id", hint="the last phrases in priority order go first; shorten the "
                  "descriptions or the look" + (", or raise prompt_chunks" if budget and budget[0] == "tokens"
                                                 else ""))
    if " BREAK " not in p.text:
        return
    job = next((j for j in plan.jobs.of(p.shot, p.target) if j.segment == 1), None)
    titles = t.capabilities.graph_prompts
    if job is None or not isinstance(job.body.get("prompt"), dict):
        return
    graph_titles = {n.get("_meta", {}).get("title") for n in job.body["prompt"].values() if isinstance(n, dict)
                    and isinstance(n.get("_meta"), dict)}
    windows = p.text.count(" BREAK ") + 1
    for title, which in titles.items():
        missing = [f"{title} {k}" for k in range(2, windows + 1) if f"{title} {k}" not in graph_titles]
        if which == "prompt" and missing:
            c.warning("P422", f"{label}: the prompt fills {windows} CLIP windows but the workflow has no node "
                      f"titled {missing[0]!r}; the rest is appended to the last prompt node",
                      f"{rs.shot.pointer}/id", hint="add CLIPTextEncode nodes titled "
                      + ", ".join(repr(m) for m in missing) + " joined by ConditioningConcat")
