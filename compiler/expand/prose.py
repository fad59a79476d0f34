"""The shared prose layer: a shot's facts as grammatical sentences and phrases that every target's template
arranges in its own dialect (targets/_common/prose.j2 holds the shared arrangements).

Rules (docs/prompts.md): characters are introduced by what the shot can show of their canonical description
(verbatim), then named by a definite short reference ("the keeper") or their pronoun; two characters in frame
with the same pronoun are always named by their short references; a video prompt names a character before any
pronoun; actions and motions are inflected to fit the sentence they are in.
"""

from __future__ import annotations

from . import grammar as g
from .avoid import avoid_terms, defect_terms, mentions_people, merged_avoid, positive_terms
from .camera_words import CameraPlan, camera_clause, camera_direction, camera_plan, camera_sentence
from .people import (
    Person,
    as_dict,
    brief,
    cast_sentences,
    idle_sentences,
    introductions,
    listed,
    motion_sentences,
    people,
    person_lines,
    reference,
)
from .vocab import ANGLE_WORDS, SIZE_WORDS

__all__ = [
    "CameraPlan", "Person", "as_dict", "avoid_terms", "background_sentence", "brief", "camera_clause",
    "camera_direction", "camera_plan", "camera_sentence", "cast_sentences", "defect_terms", "describe_subject",
    "framing", "idle_sentences", "introductions", "listed", "look_sentences", "mentions_people", "merged_avoid",
    "motion_sentences", "people", "person_lines", "positive_terms", "reference", "size_words", "time_sentence",
]


def framing(size: str | None, angle: str | None) -> str:
    """'an eye-level medium shot'; '' without size or angle."""
    words = " ".join(x for x in (ANGLE_WORDS.get(angle or ""), SIZE_WORDS.get(size or "")) if x)
    if not words:
        return ""
    if not SIZE_WORDS.get(size or ""):
        words += " shot"
    return g.indefinite(words)


def time_sentence(time: str) -> str:
    """'night, rain on the window' -> 'It is night, with rain on the window.'"""
    from .framing import split_top

    parts = split_top(time, ",;")
    if len(parts) > 1 and len(parts[0].split()) <= 4:
        rest = parts[1:]
        joined = rest[0] if len(rest) == 1 else ", ".join(rest[:-1]) + " and " + rest[-1]
        return g.sentence(f"it is {parts[0]}, with {joined}")
    return g.sentence(f"it is {time}")


def background_sentence(background: str) -> str:
    """'a rain-streaked window' -> 'The background shows a rain-streaked window.'; 'dark and out of focus' -> 'The
    background is dark and out of focus.'"""
    words = [w.lower().strip(",") for w in background.split()]
    adjective = bool(words) and (bool(g.lemmas(words[0], "ADJ")) and (len(words) == 1 or words[1] in ("and", "or"))
                                 or words[0] == "out")
    if adjective:  # "dark and out of focus", "out of focus"
        return g.sentence(f"the background is {background}")
    return g.sentence(f"the background shows {background}")


def look_sentences(style: list[str], palette: str | None, lighting: str | None, mood: list[str]) -> dict[str, str]:
    out = {}
    if style:
        out["style"] = g.sentence("the look is " + ", ".join(style))
    if palette:
        out["palette"] = g.sentence("the palette is " + palette)
    if lighting:
        kind = g.parse(lighting).kind
        if kind == "participle":  # "lit only by the dashboard lights"
            out["lighting"] = g.sentence("the scene is " + lighting)
        elif kind == "finite":  # "comes from the stove"
            out["lighting"] = g.sentence("the light " + lighting)
        else:
            out["lighting"] = g.sentence("the lighting is " + lighting)
    if mood:
        items = [m.strip() for m in mood if m.strip()]
        joined = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
        out["mood"] = g.sentence("the mood is " + joined)
    return out


def describe_subject(subject: str | None) -> str | None:
    return " ".join(subject.split()).rstrip(". ") if subject else None


def size_words(size: str | None) -> str | None:
    return SIZE_WORDS.get(size or "")
