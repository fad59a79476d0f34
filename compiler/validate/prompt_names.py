"""Characters' names never reach generation models: a name in prompt text is reported (V270)."""

from __future__ import annotations

import re

from ..diagnostics import Collector
from ..model import Film, Shot

_SHOT_TEXT = ("subject", "background", "background_motion", "time")


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


def check_prompt_names(film: Film, diags: Collector) -> None:
    names = [(c.name, c.id) for c in film.characters.values() if c.name and c.name.strip()]
    if not names:
        return
    pats = [(re.compile(r"(?<![\w])" + re.escape(n.strip()) + r"(?![\w])"), n, cid) for n, cid in names]
    # one search for any name first: most texts name nobody (thousands of them in a big film)
    anyone = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(n.strip()) for n, _ in names) + r")(?![\w])")

    def scan(text: str | None, ptr: str, where: str) -> None:
        if not text or anyone.search(text) is None:
            return
        for pat, name, cid in pats:
            if pat.search(text):
                diags.warning("V270", f"{ptr}: the name '{name}' appears in {where}; names never reach generation models",
                              ptr, hint=f"describe the person instead (the description of '{cid}' is injected for you)")

    for shot in film.shots:
        if anyone.search(shot_text(shot)) is None:  # (one search a shot: most name nobody)
            continue
        p = shot.pointer
        for f in _SHOT_TEXT:
            scan(getattr(shot, f), f"{p}/{f}", "prompt text")
        for f in ("mood", "details"):
            for i, t in enumerate(getattr(shot, f)):
                scan(t, f"{p}/{f}" + (f"/{i}" if len(getattr(shot, f)) > 1 else ""), "prompt text")
        for j, m in enumerate(shot.cast):
            for f in ("action", "expression", "motion"):
                scan(getattr(m, f), f"{p}/cast/{j}/{f}", "prompt text")
        for j, seg in enumerate(shot.segments):  # an extended shot's segments: their motion is prompt text too
            scan(seg.motion, f"{p}/extend/{j}/motion", "prompt text")
    for c in film.characters.values():
        scan(c.description, f"{c.pointer}/description", "a character description")
        for w, text in c.wardrobe.items():
            scan(text, f"{c.pointer}/wardrobe" + ("" if len(c.wardrobe) == 1 and w == "default" else f"/{w}"), "a wardrobe")
    for loc in film.locations.values():
        scan(loc.description, f"{loc.pointer}/description", "a location description")
