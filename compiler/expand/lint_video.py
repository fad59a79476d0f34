"""Prompt lint for video targets: camera sequences a target cannot say, edit instructions written as motion."""

from __future__ import annotations

import re
from typing import Any

from ..diagnostics import Collector
from ..plurals import plural
from ..resolve import Production, ResolvedShot
from .camera_words import camera_plan
from .plan import CompiledPrompt

# What an edit does (a fade, a cut, a dissolve) rather than something in frame.
EDIT_WORDS = re.compile(
    r"\b(?:fad(?:e|es|ed|ing)\s+(?:to|in|out|up|from|into)\s+(?:black|white)\b|fade[sd]?\s+(?:in|out)\s*$"
    r"|cuts?\s+(?:to|away)\b|smash\s+cut|jump\s+cut|dissolv(?:e|es|ed|ing)\s+(?:to|into)\b|cross-?fad\w*"
    r"|wipes?\s+to\b|transition(?:s|ing)?\s+to\b)", re.I)


def motion_fields(shot: Any) -> list[tuple[str, str]]:
    """(pointer, text) of every field that says what moves."""
    out = []
    for i, m in enumerate(shot.cast):
        if m.motion:
            out.append((f"{shot.pointer}/cast/{i}/motion", m.motion))
    for key in ("subject_motion", "background_motion"):
        if getattr(shot, key, None):
            out.append((f"{shot.pointer}/{key}", getattr(shot, key)))
    for i, seg in enumerate(shot.segments):
        if seg.motion:
            out.append((f"{shot.pointer}/extend/{i}/motion", seg.motion))
    return out


VIDEO_SHOT_CODES = frozenset({"P419"})  # a shot's own findings about its video (not said for image targets alone)


def edit_words(shot: Any, c: Collector) -> None:
    """P419: an edit instruction (a fade, a cut) in a motion, said once a shot (of a shot some video target takes)."""
    for pointer, text in motion_fields(shot):
        m = EDIT_WORDS.search(text)
        if m:
            c.warning("P419", f"shot '{shot.id}': '{m.group(0).strip()}' is an edit, not motion; video "
                      "models cannot fade or cut", pointer,
                      hint="say what moves in frame, and put the fade or cut in the shot's `transition`")


def video_checks(prod: Production, p: CompiledPrompt, rs: ResolvedShot, c: Collector) -> None:
    """P418 (moves past camera_max dropped), P420 (a move of a sequence without a camera command: the sequence goes
    in words) of one video prompt."""
    shot = rs.shot
    if p.overridden or len(shot.moves) < 2:
        return
    t = prod.targets[p.target]
    caps = t.capabilities
    plan = camera_plan(shot.moves, caps)
    label = f"shot '{shot.id}', {p.target}"
    if plan.dropped:
        dropped = ", ".join(f"'{m}'" for m in plan.dropped)
        c.warning("P418", f"{label}: the camera sequence has {plural(len(shot.moves), 'move')} and {p.target} can express "
                  f"{len(plan.kept)}: {dropped} {'is' if len(plan.dropped) == 1 else 'are'} dropped",
                  f"{shot.pointer}/camera",
                  hint=f"keep at most {plural(len(plan.kept), 'move')} (camera_max in {p.target}'s target.yaml), or split "
                       "the shot")
    if caps.camera_style == "brackets":
        later = [m for m in plan.missing if m is not plan.kept[0]]
        if later:
            c.warning("P420", f"{label}: {p.target} has no camera command for "
                      f"{', '.join(repr(m.move) for m in later)}; the whole sequence is written in words",
                      f"{shot.pointer}/camera",
                      hint=f"the model may follow words less exactly; pick moves {p.target} has commands for "
                           f"(filmc targets show {p.target})")
