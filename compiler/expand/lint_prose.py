"""Prompt lint for what templates cannot fix: budgets, pronouns without antecedent, actions that cannot be
inflected, expressions a view cannot show, a shot's look words against its world's."""

from __future__ import annotations

import re

from ..diagnostics import Collector
from ..resolve import Production, ResolvedShot
from ..targets import TargetDef
from . import grammar as g
from .framing import seen
from .vocab import PERSON_NOUNS

_GENDERED = {"he": "he", "him": "he", "his": "he", "she": "she", "her": "she"}

# Light and weather words that cannot both hold in one frame: a sunny park in a stormy world.
_BRIGHT = frozenset("sunny sunlit sunshine sunlight noon midday bright blue-sky cloudless summery".split())
_GLOOMY_STYLE = frozenset("dark gloomy moody noir bleak grim somber sombre murky".split())
_DARK = frozenset("storm stormy overcast rain rainy drizzle gale night dark gloomy fog foggy".split())


def words(text: str) -> int:
    """Words a model reads: Midjourney's --parameters and Hailuo's [commands] are not counted."""
    prose = re.sub(r"\s--[a-z].*$", "", re.sub(r"\[[^\]]*\]", " ", text), flags=re.S)
    return len(prose.split())


def budget(c: Collector, t: TargetDef, text: str, where: str, label: str, overridden: bool = False) -> None:
    """P412: a prompt over the target's budget (`overridden`: the creator's own text, from a `prompt:` override)."""
    b = t.budget
    if b is None:
        return
    if b[0] == "tokens":  # per CLIP window (the prompt shows windows as "window BREAK window")
        from .clip_tokens import count

        worst = max(count(w) for w in text.split(" BREAK "))
        if worst > b[1]:
            c.warning("P412", f"{label}: a CLIP window of the prompt has about {worst} tokens, over {t.name}'s "
                      f"{b[1]}", where, hint="the model reads each window's first 75 tokens; move words to another "
                      "window (BREAK) or shorten them")
        return
    n = words(text)
    if n > b[1]:
        c.warning("P412", f"{label}: the prompt has {n} words, over {t.name}'s budget of {b[1]}", where,
                  hint=f"{t.name} reads about {b[1]} words well; later words lose weight. " + (
                      "Shorten the override" if overridden else "Shorten the description, details or mood, or write "
                      "a `prompt:` override for this target"))


def person_words(prod: Production) -> frozenset[str]:
    out = set(PERSON_NOUNS)
    for ch in prod.film.characters.values():
        from .people import reference

        ref = reference(ch)
        out.update(w.lower() for w in re.findall(r"[A-Za-z-]+", ref))
    return frozenset(out - {"the", "a", "an"})


def pronoun_without_antecedent(text: str, persons: frozenset[str]) -> str | None:
    """The first he/she/him/his/her that comes before any word naming a person, if any."""
    for w in re.findall(r"[A-Za-z'-]+", text):
        lw = w.lower()
        if lw in persons or lw.removesuffix("'s") in persons:
            return None
        if lw in _GENDERED:
            return str(w)
    return None


def pronouns(c: Collector, text: str, persons: frozenset[str], where: str, label: str, rs: ResolvedShot,
             overridden: bool = False) -> None:
    """P413: a he/she/him/his/her before anyone it can refer to (the hint names one of the shot's cast;
    `overridden`: the text is the creator's own override)."""
    w = pronoun_without_antecedent(text, persons)
    if w:
        from .people import reference

        pron = next((p for p, forms in g.PRONOUN_FORMS.items() if w.lower() in forms), None)
        who = next((f.character for f in rs.cast if f.character.pronoun == pron), None) or \
            (rs.cast[0].character if rs.cast else None)
        example = f", e.g. '{reference(who)}'" if who is not None else ""
        c.warning("P413", f"{label}: '{w}' comes before anyone it can refer to", where,
                  hint=f"name the character first in the override (its short reference{example}): the model "
                       "sees no other text" if overridden else
                       f"name the character first (its short reference{example}), or write the motion as "
                       "a verb phrase ('lowers the mug') so filmc names the character itself")


def shot_checks(c: Collector, prod: Production, rs: ResolvedShot) -> None:
    """Per shot, once (not per target): actions, expressions and look words."""
    sh = rs.shot
    for i, (f, m) in enumerate(zip(rs.cast, sh.cast)):
        ptr = f"{sh.pointer}/cast/{i}"
        if m.action and g.parse(m.action).kind == "unknown":
            c.warning("P414", f"shot '{rs.id}': the action '{m.action}' of '{m.id}' does not start with a verb, a "
                      "participle or a place, so prompts can only attach it ('appears with ...')", f"{ptr}/action",
                      hint="write it as a present-tense verb phrase ('polishes the lens'), a participle ('hunched "
                           "over the dial') or a place ('at the window')")
        if m.expression:
            sn = seen(f.character.description, f.wardrobe, sh.size, m.view)
            if not sn.face:
                why = {"back": "seen from behind", "silhouette": "in silhouette", "hands": "seen only by the hands",
                       "feet": "seen only by the feet", "partial": "only partly in frame"}.get(
                    m.view or "", f"in a shot of size {sh.size}")
                c.warning("P415", f"shot '{rs.id}': '{m.id}' is {why}, so the expression '{m.expression}' "
                          "cannot be seen and is left out of image prompts", f"{ptr}/expression",
                          hint="remove it, change the view or the size, or say it through posture in the action")
    if sh.mode == "text-to-video" and not prod.film.targets.video:
        c.warning("P417", f"shot '{rs.id}' is text-to-video, but the film has no video target: nothing is generated "
                  "for it", f"{sh.pointer}/mode", hint="add a video target (targets.video), or make the shot `still`")
    concept = prod.film.concept
    style = [*concept.style, *(rs.world.style if rs.world else ())]
    own_light = " ".join(x for x in (sh.lighting, sh.palette, sh.time) if x).lower()
    gloomy = sorted(set(re.findall(r"[a-z-]+", " ".join(style).lower())) & _GLOOMY_STYLE)
    bright = sorted(set(re.findall(r"[a-z-]+", own_light)) & _BRIGHT)
    if gloomy and bright:
        c.warning("P416", f"shot '{rs.id}' is lit '{bright[0]}' but the film's style says '{gloomy[0]}', and the "
                  "style is in every prompt", f"{sh.pointer}/id",
                  hint="give the shot a world whose look fits it, or keep words like 'dark' in palette and lighting "
                       "(which a shot can replace) rather than in style")
    world = rs.world
    if world is None:
        return
    own = " ".join(x for x in (sh.time, sh.subject, sh.background, *sh.mood, *sh.details) if x).lower()
    mine = set(re.findall(r"[a-z-]+", own))
    for field in ("lighting", "palette"):
        if getattr(sh, field):
            continue
        theirs = getattr(world, field) or ""
        other = set(re.findall(r"[a-z-]+", theirs.lower())) - ({"dark"} if field == "palette" else set())
        clash = (mine & _BRIGHT and other & _DARK) or (mine & _DARK and other & _BRIGHT)
        if clash:
            a = sorted(mine & (_BRIGHT if mine & _BRIGHT and other & _DARK else _DARK))[0]
            b = sorted(other & (_DARK if mine & _BRIGHT and other & _DARK else _BRIGHT))[0]
            c.warning("P416", f"shot '{rs.id}' says '{a}' but its world '{world.id}' gives it the {field} "
                      f"'{theirs}' ('{b}')", f"{sh.pointer}/id",
                      hint=f"give the shot its own `{field}:` (it replaces the world's for this shot)")
