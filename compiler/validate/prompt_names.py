"""Characters' names never reach generation models: a name in prompt text is reported (V270)."""

from __future__ import annotations

import re
from collections.abc import Collection

from ..diagnostics import Collector
from ..model import Concept, Film, Shot, World

_SHOT_TEXT = ("subject", "subject_motion", "background", "background_motion", "time", "palette", "lighting")


def shot_text(shot: Shot) -> str:
    """Every text of a shot that check_prompt_names scans, one per line (a name never spans two of them). V270 names
    what it finds there, so lint's P401 leaves those names to it; a prompt override is lint's alone (P401, per
    target), not read here."""
    parts = [getattr(shot, f) or "" for f in _SHOT_TEXT]
    parts += shot.mood
    parts += shot.details
    for m in shot.cast:
        parts += (m.action or "", m.expression or "", m.motion or "")
    parts += (seg.motion or "" for seg in shot.segments)
    return "\n".join(parts)


def look_texts(film: Film, world: str | None = None) -> list[tuple[str, str, str]]:
    """The film's look, each text with its pointer and what it is: the concept's and the worlds' style, palette,
    lighting and avoid (`world`: the concept's and that world's only, what a shot in it is compiled from; "*":
    every world's)."""
    out: list[tuple[str, str, str]] = []
    worlds = film.concept.worlds.values() if world == "*" else \
        [film.concept.worlds[world]] if world in film.concept.worlds else []
    looks: list[tuple[str, Concept | World, str, str]] = [
        ("/concept", film.concept, "the film's look", "the film's avoid list"),
        *((w.pointer, w, f"the look of world '{w.id}'", f"the avoid list of world '{w.id}'") for w in worlds)]
    for ptr, look, what, avoided in looks:
        out += ((f"{ptr}/style/{i}", text, what) for i, text in enumerate(look.style))
        out += ((f"{ptr}/avoid/{i}", text, avoided) for i, text in enumerate(look.avoid))
        out += ((f"{ptr}/{f}", getattr(look, f), what) for f in ("palette", "lighting") if getattr(look, f))
    return out


def _described(film: Film, cid: str, names: re.Pattern[str]) -> str:
    """How the character may be written instead of its name: its `short`, else the head of its description
    (one that holds a name is passed over: "the person")."""
    ch = film.characters[cid]
    short = (ch.short or "").strip()
    for text in (short if short.lower().startswith(("the ", "a ", "an ")) else f"the {short}" if short else "",
                 re.split(r"[,;]| with | who ", ch.description, maxsplit=1)[0].strip()):
        if text and names.search(text) is None:
            return text
    return "the person"


def check_prompt_names(film: Film, diags: Collector) -> None:
    names = [(c.name, c.id) for c in film.characters.values() if c.name and c.name.strip()]
    if not names:
        return
    pats = [(re.compile(r"(?<![\w])" + re.escape(n.strip()) + r"(?![\w])"), n, cid) for n, cid in names]
    # one search for any name first: most texts name nobody (thousands of them in a big film)
    anyone = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(n.strip()) for n, _ in names) + r")(?![\w])")

    def scan(text: str | None, ptr: str, where: str, cast: Collection[str] | None = None) -> None:
        """`cast`: the ids of the shot's cast (None: not a shot's text)."""
        if not text or anyone.search(text) is None:
            return
        for pat, name, cid in pats:
            if pat.search(text):
                if cast is not None and cid in cast:
                    named = re.sub(r"^(?:a|an) ", "the ", _described(film, cid, anyone))
                    hint = (f"write '{named}' or a pronoun: '{cid}' is in the shot's cast, and filmc describes the "
                            "cast for you")
                elif cast is not None:
                    hint = (f"describe the person instead, or put '{cid}' in the shot's cast: filmc then describes "
                            "them for you")
                else:
                    hint = f"describe the person instead ('{_described(film, cid, anyone)}')"
                diags.warning("V270", f"{ptr}: the name '{name}' appears in {where}; names never reach generation models",
                              ptr, hint=hint)

    for key, text, what in look_texts(film, "*"):
        scan(text, key, what)
    for c in film.characters.values():  # (a short reference is written into every prompt of the character's)
        scan(c.short, f"{c.pointer}/short", "a short reference")
    # a reference image's file name becomes its label in prompts ("Ines_window.png": "the ines window")
    folded = [(re.compile(p.pattern, re.IGNORECASE), n, cid) for p, n, cid in pats]
    for shot in film.shots:
        for i, path in enumerate(() if shot.allow_names else shot.refs or ()):
            stem = re.sub(r"[_.\d]+", " ", path.rsplit("/", 1)[-1].rsplit(".", 1)[0])  # ("ines2", "Anne-Marie")
            for pat, name, _ in folded:
                if pat.search(stem):
                    diags.warning("V270", f"{shot.pointer}/refs/{i}: the name '{name}' is in the file name '{path}', "
                                  "which prompts cite the image by (where a model takes it); names never reach "
                                  "generation models",
                                  f"{shot.pointer}/refs/{i}", hint="rename the file after what it shows "
                                  "(refs/window_at_dusk.png)")
                    break
    for shot in film.shots:
        if shot.allow_names or anyone.search(shot_text(shot)) is None:  # (one search a shot: most name nobody)
            continue
        p = shot.pointer
        ids = {m.id for m in shot.cast}
        for f in _SHOT_TEXT:
            scan(getattr(shot, f), f"{p}/{f}", "prompt text", ids)
        for f in ("mood", "details"):
            for i, t in enumerate(getattr(shot, f)):
                scan(t, f"{p}/{f}" + (f"/{i}" if len(getattr(shot, f)) > 1 else ""), "prompt text", ids)
        for j, m in enumerate(shot.cast):
            for f in ("action", "expression", "motion"):
                scan(getattr(m, f), f"{p}/cast/{j}/{f}", "prompt text", ids)
        for j, seg in enumerate(shot.segments):  # an extended shot's segments: their motion is prompt text too
            scan(seg.motion, f"{p}/extend/{j}/motion", "prompt text", ids)
    for c in film.characters.values():
        scan(c.description, f"{c.pointer}/description", "a character description")
        for w, text in c.wardrobe.items():
            scan(text, f"{c.pointer}/wardrobe" + ("" if len(c.wardrobe) == 1 and w == "default" else f"/{w}"), "a wardrobe")
    for loc in film.locations.values():
        scan(loc.description, f"{loc.pointer}/description", "a location description")
