"""What a shot's prompts ask the model to avoid: the film's avoid terms and a video target's defect terms, without
those the shot itself asks for; and their positive phrasing for targets without a negative prompt."""

from __future__ import annotations

import re
from functools import lru_cache

from . import grammar as g
from .vocab import DEFECT_ALIASES, PERSON_NOUNS, SHOWS_WRITING, TEXT_TERMS, positive


def defect_terms(terms: tuple[str, ...] | list[str], shot_text: str, *, people_in_frame: bool) -> list[str]:
    """A video target's default negative terms for one shot: those the shot asks for, under their name or an alias
    ('a bulb that flickers' -> no 'flicker'; a handheld shot -> no 'jitter'), are dropped."""
    mine = _lemma_set(shot_text)
    out = []
    for term in avoid_terms(list(terms), shot_text, people_in_frame=people_in_frame, hands_in_view=True):
        if mine & set(DEFECT_ALIASES.get(term.lower(), ())):
            continue
        out.append(term)
    return out


def merged_avoid(avoid: list[str], defects: list[str]) -> list[str]:
    """The avoid terms then the defect terms, without a term twice under two forms ('distorted face(s)')."""
    out: list[str] = []
    keys: set[frozenset[str]] = set()
    for term in [*avoid, *defects]:
        key = _lemma_set(term)
        if key not in keys:
            keys.add(key)
            out.append(term)
    return out


@lru_cache(maxsize=1024)  # the avoid terms recur; each shot's own text does not (bounded, as a film may be long)
def _lemma_set(text: str) -> frozenset[str]:
    out: set[str] = set()
    for w in _WORD.findall(text.lower()):
        out |= _word_lemmas(w)
    return frozenset(out)


@lru_cache(maxsize=8192)  # (a film's words recur from shot to shot)
def _word_lemmas(word: str) -> frozenset[str]:
    """A lowercase word and its lemmas."""
    return frozenset((word, *g.lemmas(word)))


_WORD = re.compile(r"[A-Za-z]+")


def mentions_people(text: str) -> bool:
    """Whether a subject or background shows people ('a tiny figure on the gallery', 'two pairs of hands')."""
    import re

    return bool(set(re.findall(r"[a-z]+", text.lower())) & (PERSON_NOUNS - {"subject"}))


HANDS = re.compile(r"\b(?:hands?|fingers?|fists?|palms?)\b", re.IGNORECASE)  # words that show hands
FACE = re.compile(r"\b(?:faces?|eyes?|mouths?|lips)\b", re.IGNORECASE)  # words that show a face
# An avoid term about hands or faces (whole words, not part of "fish-eye" or "bird's-eye"): dropped where none is seen
_HAND_TERM = re.compile(r"(?<![\w'-])(?:hands?|fingers?)(?![\w'-])", re.IGNORECASE)
_FACE_TERM = re.compile(r"(?<![\w'-])faces?(?![\w'-])", re.IGNORECASE)


# A body drawn wrong: never what a shot asks for, whatever it shows of the body ("her fingers tighten").
BODY_DEFECTS = frozenset({"distorted hands", "deformed hands", "bad hands", "extra fingers", "distorted faces",
                          "distorted face", "extra limbs"})


def avoid_terms(avoid: list[str], shot_text: str, *, people_in_frame: bool, hands_in_view: bool,
                faces_in_view: bool = True) -> list[str]:
    """The avoid list for one shot: terms the shot itself asks for are dropped ('flicker' in a shot whose light
    flickers, 'rain' in a rainy shot), so a negative never contradicts the shot."""
    mine = _lemma_set(shot_text)
    out: list[str] = []
    seen_terms: set[frozenset[str]] = set()
    for term in avoid:
        words = _lemma_set(term) - {"a", "an", "the", "of", "and", "extra", "modern", "bad", "distorted"}
        if words and words <= mine and term.lower() not in BODY_DEFECTS:  # (a shot of fingers asks for no extra)
            continue
        if term.lower() in TEXT_TERMS and mine & SHOWS_WRITING:
            continue
        key = _lemma_set(term)
        if key in seen_terms:  # "distorted face" and "distorted faces"
            continue
        seen_terms.add(key)
        if not people_in_frame and term.lower() in BODY_DEFECTS:
            continue
        if not hands_in_view and _HAND_TERM.search(term):  # ("door handles", "fingerprints", "palm trees" stay)
            continue
        if not faces_in_view and _FACE_TERM.search(term):  # ("blurry faces"; "glossy surfaces", "fish-eye" stay)
            continue
        out.append(term)
    return out


def positive_terms(avoid: list[str], *, people_in_frame: bool) -> list[str]:
    """What to ask for instead of the avoid terms, for targets without negative prompts."""
    out: list[str] = []
    for term in avoid:
        if term.lower() in ("extra people", "crowds", "crowd") and not people_in_frame:
            p = "no people in view"
        else:
            p = positive(term) or ""
        if p and p not in out:
            out.append(p)
    pair = ("clean surfaces without lettering", "a clean, unbranded frame")
    if all(x in out for x in pair):  # text and watermark/logos: one phrase
        out[out.index(pair[0])] = "a clean frame without lettering or logos"
        out.remove(pair[1])
    return out
