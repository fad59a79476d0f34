"""The people of a shot in words: who is in frame, introduced by what the shot shows of each canonical description
(verbatim), then named by a short reference or an unambiguous pronoun; what each does, wears and shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..model import CastMember, Character
from . import grammar as g
from .framing import Seen, eyes_closed, seen


@dataclass(frozen=True, slots=True)
class Person:
    """One character in one shot, in words."""

    id: str
    ref: str  # "the old keeper"
    pronoun: str | None  # usable pronoun (None when another character in frame shares it, or none is set)
    seen: Seen
    intro: str  # the noun phrase that introduces the character in an image prompt
    appearance: str  # the description's head, for keyword prompts: "the tall, lean man"
    action: g.Phrase | None
    expression: str | None
    motion: str | None

    @property
    def part(self) -> str | None:
        """'hands' or 'feet' when only they are in view: they, not the person, do what the shot shows."""
        return self.seen.view if self.seen.view in ("hands", "feet") else None

    @property
    def subject(self) -> str:
        if self.part:
            return f"{self.ref}'s {self.part}"
        return self.pronoun or self.ref

    @property
    def plural(self) -> bool:
        return self.pronoun == "they" or self.part is not None

    @property
    def possessive(self) -> str:
        return g.PRONOUN_FORMS[self.pronoun][2] if self.pronoun else self.ref + "'s"


def _indefinite(ref: str) -> str:
    return g.indefinite(g.strip_article(ref))


_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def reference(ch: Character) -> str:
    """How prompts name a character after introducing it: its `short`, else its description's head."""
    return g.definite(ch.short) if ch.short else g.derive_short(ch.description)


def people(cast: list[tuple[Character, CastMember, str | None]], size: str | None) -> list[Person]:
    """The cast of a shot as Persons: references made unique, pronouns kept only where unambiguous."""
    refs: list[str] = []
    for ch, _m, _w in cast:
        ref = reference(ch)
        if ref in refs:  # "the man", "the second man", "the third man"
            nth = sum(1 for r in refs if g.strip_article(r).endswith(g.strip_article(ref))) + 1
            ref = f"the {_ORDINALS.get(nth, str(nth) + 'th')} {g.strip_article(ref)}"
        refs.append(ref)
    pronouns = [ch.pronoun for ch, _m, _w in cast]
    out = []
    for (ch, m, wardrobe), ref in zip(cast, refs):
        pron = ch.pronoun if ch.pronoun and pronouns.count(ch.pronoun) == 1 else None
        sn = seen(ch.description, wardrobe, size, m.view, eyes_closed(m.action, m.expression))
        head = g.derive_short(ch.description)
        out.append(Person(ch.id, ref, pron, sn, _intro(sn, head), head,
                          g.parse(m.action) if m.action else None,
                          m.expression if sn.face else None, m.motion))
    return out


def _intro(sn: Seen, ref: str) -> str:
    """How an image prompt first names the character: what is in view, verbatim (`ref` is the description's head,
    for a detail: 'the hands of a woman')."""
    if sn.view in ("hands", "feet") or (sn.detail and sn.view == "front"):
        part = {"hands": "hands", "feet": "feet"}.get(sn.view, "hands" if not sn.face else "face")
        if sn.description and part != "face" and part in sn.description.split(",")[0]:
            return sn.description  # "large scarred hands with swollen knuckles"
        first, _, rest = (sn.description or "").partition(", ")
        named = re.fullmatch(rf"(?:a|an) (.+) {part}", first)  # "a freckled face": the face of a woman is freckled
        if named:
            whose = f"the {named.group(1)} {part} of {_indefinite(ref)}"
            return f"{whose}, with {rest}" if rest else whose
        whose = f"the {part} of {_indefinite(ref)}"
        return f"{whose}, with {sn.description}" if sn.description else whose
    text = sn.description or _indefinite(ref)
    if sn.view == "silhouette":
        text = f"the silhouette of {text}"
    elif sn.view_words:
        text = f"{text}, {sn.view_words}"
    return text


def listed(text: str) -> str:
    """'a coat, trousers, boots' -> 'a coat, trousers and boots' (a list read as a list)."""
    from .framing import split_top

    items = split_top(text, ",")
    if len(items) < 2 or " and " in f" {items[-1].lower()} ":
        return ", ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def person_lines(p: Person) -> dict[str, str]:
    """After the introduction: what the character does (`doing`), wears and shows on the face, as sentences;
    `predicate` is the doing for a sentence whose subject is the introduction itself ('A tall man ... sits')."""
    subj = p.subject
    plural = p.plural and subj in (p.pronoun, f"{p.ref}'s {p.part}")
    out = {"doing": "", "predicate": "", "wears": "", "expression": "", "is": ""}
    if p.pronoun and not p.part:  # "She is a wiry woman in her fifties ..." after a short first sentence
        who = p.intro.removeprefix("the silhouette of ") + (", seen in silhouette" if p.seen.view == "silhouette"
                                                             else "")
        out["is"] = g.sentence(f"the frame shows {who}" if p.seen.detail else  # (not "she is the face of a woman")
                               f"{p.pronoun} {'are' if p.pronoun == 'they' else 'is'} {who}")
    a = p.action
    if a:
        if a.kind == "unknown":
            pred = a.text if a.text.lower().startswith("with ") else f"with {a.text}"
            out["doing"] = g.sentence(f"{subj} appears {pred}")
            out["predicate"] = f"appears {pred}"
        elif a.kind == "clause":
            out["doing"] = g.sentence(g.fix_subject(a.text, p.pronoun, subj, plural=plural))
        elif a.kind in ("absolute", "bodyclause"):
            whose = g.PRONOUN_FORMS[p.pronoun][2] + " " if p.pronoun and subj == p.pronoun else ""
            out["doing"] = g.sentence(f"{p.possessive} {a.text}" if a.kind == "bodyclause" else
                                      f"{subj} {'are' if plural else 'is'} seen with {whose}{a.text}")
            out["predicate"] = "" if a.kind == "bodyclause" else f"is seen with {a.text}"
        else:
            out["doing"] = g.sentence(f"{subj} {g.predicate(a, plural=plural)}")
            out["predicate"] = g.predicate(a, plural=p.part is not None)
    if p.seen.wardrobe and not p.seen.detail:
        clothes = listed(p.seen.wardrobe)
        if out["doing"] and a and a.kind != "clause":  # one sentence: "He sits at the table, wearing ..."
            out["doing"] = out["doing"][:-1] + f", wearing {clothes}."
            out["predicate"] = out["predicate"] and out["predicate"] + f", wearing {clothes}"
        else:
            out["wears"] = g.sentence(f"{subj} {'wear' if plural else 'wears'} {clothes}")
    if p.expression:
        e = g.parse(p.expression)
        if e.kind in ("ing", "finite"):  # "holding his breath": a doing, not a noun
            out["expression"] = g.sentence(f"{subj} {g.predicate(e, plural=plural)}")
        elif e.kind == "participle":  # "lost in thought"
            out["expression"] = g.sentence(f"{subj} {'look' if plural else 'looks'} {e.text}")
        elif e.kind in ("absolute", "bodyclause"):  # "eyes closing, lost in thought"
            whose = p.possessive + " "
            out["expression"] = g.sentence(f"{whose}{e.text}" if e.kind == "bodyclause" else
                                           f"{subj} {'are' if plural else 'is'} seen with "
                                           f"{g.PRONOUN_FORMS[p.pronoun][2] + ' ' if p.pronoun else ''}{e.text}")
        else:
            out["expression"] = g.sentence(f"{p.possessive} expression is {p.expression}")
    return out


def cast_sentences(persons: list[Person]) -> list[str]:
    """Everything after a sentence that introduced the first character: its lines, then each other character
    introduced in a sentence of its own ('With him is a woman ...') and its lines."""
    out: list[str] = []
    for i, p in enumerate(persons):
        if i:  # no place is claimed: an over-the-shoulder shot sets them apart, a two-shot together
            out.append(g.sentence(f"also in the frame {'are' if p.part else 'is'} {p.intro}"))
        out.extend(x for k, x in person_lines(p).items() if x and k not in ("predicate", "is"))
    return out


def brief(p: Person, short: str) -> str:
    """A character named briefly for a prompt with no first frame: its short reference with the first clause of its
    description ('the glassblower, a wiry woman in her fifties'), or the clause alone when the reference is
    drawn from it ('a gangly teenage boy')."""
    body = g.strip_article(p.ref).lower()
    if body.startswith("other "):
        body = body[len("other "):]
    return short if body in short.lower() else f"{p.ref}, {short}"


def introductions(persons: list[Person], framing_words: str, intros: list[str] | None = None) -> list[str]:
    """Who is in frame, for a prompt with no first frame (text-to-video): the framing sentence with the first
    character's introduction, then each other character introduced in a sentence of its own."""
    out: list[str] = []
    for i, p in enumerate(persons):
        intro = intros[i] if intros else p.intro
        if i == 0:
            out.append(g.sentence(f"{framing_words or 'the shot'} shows {intro}"))
        elif i == 1:
            first = persons[0]
            whom = g.PRONOUN_FORMS[first.pronoun][1] if first.pronoun else first.ref
            out.append(g.sentence(f"with {whom} is {intro}"))
        else:
            out.append(g.sentence(f"also in the frame is {intro}"))
    return out


def motion_sentences(persons: list[Person], *, mentioned: set[str] | None = None) -> list[str]:
    """Each character's motion, its subject named on first mention; an action carried on where none is given."""
    seen_ids = set(mentioned or ())
    out = []
    for p in persons:
        subj = p.subject if p.id in seen_ids or p.part else p.ref
        plural = p.plural and subj in (p.pronoun, f"{p.ref}'s {p.part}")
        if p.motion:
            parts = g.sentences(p.motion)
            pron = p.pronoun or _written_pronoun(p.motion)
            first = g.fix_subject(parts[0], pron, subj, plural=plural) if p.id not in seen_ids else parts[0]
            out.append(g.sentence(first))
            out.extend(g.sentence(s) for s in parts[1:])
        elif p.action and p.action.kind not in ("unknown", "clause"):
            out.append(g.sentence(f"{subj} {g.continuing(p.action, plural=plural)}"))
        else:
            continue
        seen_ids.add(p.id)
    return out


def idle_sentences(persons: list[Person]) -> list[str]:
    """What a video prompt says when the shot gives nothing that moves (lint P403 warns): small, natural movement,
    so the clip neither freezes nor invents an action."""
    if persons:
        who = [p.ref for p in persons]
        joined = who[0] if len(who) == 1 else ", ".join(who[:-1]) + " and " + who[-1]
        return [g.sentence(f"{joined} {'stays' if len(who) == 1 else 'stay'} in place with small, natural movements")]
    return [g.sentence("only subtle, natural movement stirs the scene")]


def _written_pronoun(text: str) -> str | None:
    """The pronoun a motion is written with ('his jaw tightens and he looks away' -> 'he')."""
    import re

    for w in re.findall(r"[A-Za-z]+", text.lower()):
        for pron, forms in g.PRONOUN_FORMS.items():
            if pron != "it" and w in (forms[0], forms[2]) and not (w == "her" and pron != "she"):
                return pron
    return None


def as_dict(p: Person) -> dict[str, Any]:
    return {"ref": p.ref, "head": _indefinite(p.ref), "who": g.strip_article(p.appearance), "pronoun": p.pronoun, "subject": p.subject, "possessive": p.possessive,
            "intro": p.intro, "seen": {"description": p.seen.description, "whole": p.seen.whole,
                                       "wardrobe": p.seen.wardrobe, "face": p.seen.face, "view": p.seen.view,
                                       "phrases": list(p.seen.phrases),
                                       "view_words": p.seen.view_words, "detail": p.seen.detail},
            "participle": g.participle(p.action) if p.action else None, "lines": person_lines(p),
            "action_kind": p.action.kind if p.action else None}
