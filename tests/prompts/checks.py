"""Property checks over compiled prompt text.

Every checker is a pure function of a prompt's text (and, where it needs them, facts
from the film or the target) returning a list of problems; an empty list means the
text passes. They are heuristics over a word lexicon (lemminflect), not a parser:
each docstring names what it cannot see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

# Targets whose prompts are prose (sentences); midjourney and comfyui take phrase lists.
PROSE_TARGETS = frozenset({"mystic", "flux", "kling", "runway", "hailuo", "luma"})
VIDEO_TARGETS = frozenset({"kling", "runway", "hailuo", "luma"})

SIZES = ("EWS", "WS", "MWS", "MS", "MCU", "CU", "ECU", "OTS", "POV", "INSERT")
VIEWS = ("front", "side", "back", "silhouette", "hands", "feet", "partial")
# Framing rule (docs: compiled prompt rules): medium framings show the whole person, so the
# canonical description is injected verbatim; wide shots show figure and wardrobe only,
# close-ups the face, ECU/INSERT one detail; back, silhouette, hands, feet and partial views
# show no face. MCU and POV sit between (head-and-chest, or whatever the eye sees): neither
# required nor forbidden.
DESCRIPTION_REQUIRED_SIZES = frozenset({"MWS", "MS", "OTS"})
DESCRIPTION_REQUIRED_VIEWS = frozenset({"front", "side"})
DESCRIPTION_EXCLUDED_SIZES = frozenset({"EWS", "WS", "CU", "ECU", "INSERT"})
DESCRIPTION_EXCLUDED_VIEWS = frozenset({"back", "silhouette", "hands", "feet", "partial"})

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_BRACKETS = re.compile(r"^\s*(?:\[[^\]]*\]\s*)+")
_MJ_PARAMS = re.compile(r"\s--[a-z].*$", re.S)

DETERMINERS = frozenset(
    "a an the this that these those his her its their my your our every each some no one two three "
    "four several many few both all another any whose".split())
PREPOSITIONS = frozenset(
    "of in on at with by from into onto over under through across behind beside around toward towards "
    "against along past for between among beneath above below near off inside outside upon within "
    "without like as".split())
SUBJECT_PRONOUNS = frozenset("they we you i".split())
AUXILIARIES = frozenset(
    "is are was were be been being am has have had does do did can could will would may might must "
    "shall should isn't aren't wasn't weren't doesn't don't didn't can't won't".split())


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'").removesuffix("'s") for w in _WORD.findall(text)]


@cache
def _lemmas(word: str) -> dict[str, tuple[str, ...]]:
    from lemminflect import getAllLemmas

    return dict(getAllLemmas(word))


@cache
def _verb_tags(word: str) -> frozenset[str]:
    """Penn tags (VB, VBD, VBG, VBN, VBP, VBZ) under which `word` is a form of some verb."""
    from lemminflect import getAllInflections

    tags: set[str] = set()
    for lemma in _lemmas(word).get("VERB", ()):
        for tag, forms in getAllInflections(lemma, upos="VERB").items():
            if word in forms:
                tags.add(tag)
        if lemma == word:
            tags.update({"VB", "VBP"})
    return frozenset(tags)


def prose_part(text: str) -> str:
    """The prose of a prompt: Hailuo's leading [bracket commands] and Midjourney's --parameters removed."""
    text = _BRACKETS.sub("", text)
    return _MJ_PARAMS.sub("", text)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


# --- label: value -------------------------------------------------------------------------

_LABEL = re.compile(r"(?<![\w:/-])([A-Za-z][A-Za-z'-]*(?:[ ][A-Za-z][A-Za-z'-]*){0,3})\s*:(?=\s*[A-Za-z(\"'])")


def label_fragments(text: str) -> list[str]:
    """No "label: value" fragments ("Lighting: dim.", "expression: wary", "Static shot: His hand").

    Any one to four words followed by a colon and a word is a label; ratios and times
    ("16:9", "0:25"), URLs and weights ("(lens:1.2)", "::2") are not.
    Blind spot: a label written without a colon ("Lighting - dim") passes.
    """
    return [f"label fragment {m.group(0)!r}" for m in _LABEL.finditer(prose_part(text))]


# --- keeps + finite verb --------------------------------------------------------------------

_KEEPS = re.compile(r"\b(keeps?|kept)\s+([A-Za-z][A-Za-z'-]*)", re.I)


def keeps_finite(text: str) -> list[str]:
    """No "keeps" followed by a finite verb ("keeps sits", "keep rests"); "keeps walking",
    "keeps still", "keeps the watch", "keeps watch" pass.

    A following word is finite if the lexicon knows it as a verb's -s or past form (and not as
    its -ing form), or as a bare verb that is nothing else (not also a noun, adjective or
    adverb). Blind spot: a plural noun that is also a verb's -s form ("keeps records") is
    reported too.
    """
    problems = []
    for m in _KEEPS.finditer(text):
        nxt = m.group(2).lower()
        if nxt in DETERMINERS or nxt in PREPOSITIONS:
            continue
        tags = _verb_tags(nxt)
        if "VBG" in tags or not tags:
            continue
        finite = bool(tags & {"VBZ", "VBD"})
        if not finite and tags & {"VB", "VBP"}:
            finite = not ({"NOUN", "ADJ", "ADV"} & set(_lemmas(nxt)))
        if finite:
            problems.append(f"'{m.group(0)}': 'keep' with a finite verb")
    return problems


# --- every sentence has a verb -------------------------------------------------------------

def _is_verb(words: list[str], i: int) -> bool:
    w = words[i]
    if w in AUXILIARIES:
        return True
    prev = words[i - 1] if i else None
    if prev in DETERMINERS or prev in PREPOSITIONS:
        return False  # the word after "the" / "with" begins a noun phrase
    tags = _verb_tags(w)
    if not tags:
        return False
    if i + 1 < len(words) and words[i + 1] == "of" and "NOUN" in _lemmas(w):
        return False  # "shot of", "swells of": a noun
    if tags & {"VBZ", "VBD", "VBG", "VBN"} and w not in _lemmas(w).get("VERB", ()):
        return True  # an inflected form: "stands", "hunched", "polishing", "stood"
    if i == 0:
        return True  # a bare verb leads an imperative ("Push in slowly.")
    # a bare verb after a plural subject: "hands press", "feet sink", "they walk"
    return prev in SUBJECT_PRONOUNS or (prev is not None and prev not in _lemmas(prev).get("NOUN", (prev,)))


def sentences_without_verb(text: str) -> list[str]:
    """Every sentence has a verb (finite, participle or a leading imperative), per lemminflect's lexicon.

    For prose targets only (mystic, flux, kling, runway, luma, hailuo after its [commands]);
    Midjourney and ComfyUI prompts are phrase lists. A word right after a determiner or a
    preposition, or a noun before "of" ("a wide shot of"), is read as a noun ("the rock", "with
    cropped hair"); elsewhere a bare verb
    counts at the start of a sentence (an imperative) or after a plural noun or "they"
    ("hands press", "feet sink"), an inflected form anywhere.
    Blind spots: a plural noun that is also a verb's -s form ("Grey swells.") or a participle
    used as an adjective ("Bleached bone white.") passes as a verb; "Lighting: dim." passes
    here (label_fragments reports it).
    """
    problems = []
    for sentence in sentences(prose_part(text)):
        words = _words(sentence)
        if not words:
            continue
        if not any(_is_verb(words, i) for i in range(len(words))):
            problems.append(f"no verb in {sentence!r}")
    return problems


def _is_finite(words: list[str], i: int) -> bool:
    w = words[i]
    if w in AUXILIARIES:
        return True
    if not _is_verb(words, i):
        return False
    tags = _verb_tags(w)
    if tags & {"VBZ", "VBD"} and w not in _lemmas(w).get("VERB", ()):
        return True
    prev = words[i - 1] if i else ""
    return bool(tags & {"VBP"}) and (i == 0 or (prev.endswith("s") and "NOUN" in _lemmas(prev)))


def first_sentence_without_main_verb(text: str) -> list[str]:
    """The first sentence of an image prompt (framing + subject) has a finite main verb
    ("A medium shot shows ...", "The glassblower stands ..."), not only participles
    ("A shot of a man, wearing a coat, seated at a table." is reported).
    For prose image targets (mystic, flux). Blind spot: a past participle that is also the
    past tense ("seated", "hunched") counts as finite.
    """
    found = sentences(prose_part(text))
    if not found:
        return ["empty prompt"]
    words = _words(found[0])
    if any(_is_finite(words, i) for i in range(len(words))):
        return []
    return [f"no main verb in the first sentence {found[0]!r}"]


# --- pronouns before their antecedent ------------------------------------------------------

PERSONAL_PRONOUNS = frozenset("he him his himself she her hers herself".split())
OTHER_PRONOUNS = frozenset("they them their theirs themselves it its itself".split())
PRONOUN_FORMS = {
    "he": frozenset("he him his himself".split()),
    "she": frozenset("she her hers herself".split()),
    "they": frozenset("they them their theirs themselves".split()),
    "it": frozenset("it its itself".split()),
}
PERSON_NOUNS = frozenset(
    "man woman boy girl person figure child kid men women people boys girls children lady gentleman "
    "mother father sister brother wife husband son daughter friend stranger couple family crowd".split())
_PERSON_SUFFIXES = ("er", "or", "man", "woman", "ist", "ess", "ant", "ent", "ian")
_NOT_NOUN = DETERMINERS | PREPOSITIONS | AUXILIARIES | PERSONAL_PRONOUNS | OTHER_PRONOUNS | frozenset(
    "and or but not then as so very".split())


def _is_noun(word: str) -> bool:
    return word not in _NOT_NOUN and "NOUN" in _lemmas(word)


def _is_person(word: str, referents: frozenset[str]) -> bool:
    if word in referents or word in PERSON_NOUNS:
        return True
    return _is_noun(word) and word.endswith(_PERSON_SUFFIXES) and len(word) > 4


def pronoun_before_antecedent(text: str, referents: Iterable[str] = ()) -> list[str]:
    """No pronoun before a noun it can refer to, in the same prompt ("He lowers..." at the start,
    "Static shot: His hand ..." are reported; "The keeper sits. He lowers ..." passes).

    he/him/his/she/her... need a person noun earlier: one of `referents` (words of the
    characters' short references and description heads), a common person noun, or a noun
    ending like an agent (-er, -or, -man, -ist ...). they/them/their/it/its need any noun
    earlier; "it" followed by a form of "be" is an expletive ("it is raining") and ignored.
    Blind spots: agreement (number, gender) is not checked, nor is which of several nouns a
    pronoun points at (see shared_pronoun for two characters of one pronoun).
    """
    refs = frozenset(w.lower() for w in referents)
    words = _words(prose_part(text))
    seen_person = seen_noun = False
    problems = []
    for i, w in enumerate(words):
        if w in PERSONAL_PRONOUNS and not seen_person:
            problems.append(f"pronoun {w!r} (word {i + 1}) before any person it can refer to")
        elif w in OTHER_PRONOUNS and not seen_noun:
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if not (w == "it" and nxt in {"is", "was", "seems", "gets", "becomes"}):
                problems.append(f"pronoun {w!r} (word {i + 1}) before any noun it can refer to")
        if w not in PERSONAL_PRONOUNS and w not in OTHER_PRONOUNS:
            if _is_person(w, refs):
                seen_person = seen_noun = True
            elif _is_noun(w):
                seen_noun = True
    return problems


def shared_pronoun(text: str, pronouns: Mapping[str, str], quoted: Iterable[str] = ()) -> list[str]:
    """Two characters in frame with the same pronoun are named by their short references:
    the prompt uses no form of that pronoun. `pronouns` maps each in-frame character to its
    declared pronoun (characters without one are left out). `quoted` are the creator's texts the
    prompt carries verbatim (descriptions, wardrobes: "a man in his sixties"): their phrases are
    taken out before the check.
    Blind spot: a pronoun written into an action or motion by the creator counts too.
    """
    for q in sorted(quoted, key=len, reverse=True):
        phrases = re.split(r"[;,]", q)
        phrases += [p.split(" with ")[0] for p in phrases]  # a brief scene quotes the head: "a man in his sixties"
        for phrase in sorted(phrases, key=len, reverse=True):
            if phrase.strip():
                text = re.sub(re.escape(" ".join(phrase.split())), " ", " ".join(text.split()), flags=re.IGNORECASE)
    counts: dict[str, list[str]] = {}
    for char, p in pronouns.items():
        counts.setdefault(p, []).append(char)
    words = set(_words(prose_part(text)))
    problems = []
    for p, chars in sorted(counts.items()):
        if len(chars) > 1 and p in ("he", "she"):
            used = sorted(words & PRONOUN_FORMS[p])
            if used:
                problems.append(f"{'/'.join(used)} is ambiguous: {', '.join(sorted(chars))} are all '{p}'")
    return problems


# --- targets ---------------------------------------------------------------------------------

@cache
def target_meta(name: str, targets_dir: Path | None = None) -> dict[str, Any]:
    """A target's target.yaml (the built-in ones by default); {} when there is none."""
    if targets_dir is None:
        from compiler.resources import data_dir

        targets_dir = data_dir("targets")
    path = targets_dir / name / "target.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


def budget_of(name: str) -> dict[str, int] | None:
    """A target's `prompt_budget` (under capabilities, as the target schema has it; top level also read)."""
    meta = target_meta(name)
    return (meta.get("capabilities") or {}).get("prompt_budget") or meta.get("prompt_budget")


def description_mode(name: str) -> str:
    """How a target's image prompts carry a canonical description: its `description` capability, 'verbatim'
    unless it declares 'phrases'."""
    return str((target_meta(name).get("capabilities") or {}).get("description") or "verbatim")


def identical_targets(texts: Mapping[str, str], dialects: Mapping[str, str | None]) -> list[str]:
    """No two targets emit the same text for a shot unless both declare the same `dialect`.
    `texts` maps target -> prompt of one shot; `dialects` maps target -> target.yaml `dialect` (or None).
    Blind spot: near-identical texts (one word apart) pass.
    """
    problems = []
    names = sorted(texts)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if texts[a].strip() != texts[b].strip():
                continue
            da, db = dialects.get(a), dialects.get(b)
            if da is None or da != db:
                problems.append(f"{a} and {b} emit the same text without a shared dialect")
    return problems


def clip_tokens(text: str) -> int:
    """CLIP tokens of a text as ComfyUI tokenizes it, by filmc's conservative estimate
    (compiler/expand/clip_tokens.py: never under the real tokenizer on the bundled films, about 1.4x)."""
    from compiler.expand.clip_tokens import count

    return count(text)


def over_budget(text: str, budget: Mapping[str, int] | None) -> list[str]:
    """Within the target's `prompt_budget`: {words: N} counts whitespace-separated words of the
    prose (Midjourney's --parameters excluded); {tokens: N} estimates CLIP tokens (clip_tokens)
    of each chunk of a ComfyUI prompt split by "BREAK" (one conditioning each).
    Blind spot: the token count is an estimate (conservative), not the real CLIP tokenizer.
    """
    if not budget:
        return []
    problems = []
    if "words" in budget:
        n = len(prose_part(text).split())
        if n > budget["words"]:
            problems.append(f"{n} words, over the budget of {budget['words']}")
    if "tokens" in budget:
        for k, chunk in enumerate(re.split(r"\bBREAK\b", text)):
            n = clip_tokens(chunk)
            if n > budget["tokens"]:
                problems.append(f"chunk {k + 1}: about {n} CLIP tokens, over the budget of {budget['tokens']}")
    return problems


# --- characters ------------------------------------------------------------------------------

def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(";", ",")).strip().lower()


def description_present(text: str, description: str) -> bool:
    """The description's words in order: verbatim up to case, whitespace and ';' written as ','
    or as a sentence break (each ';'-part appears verbatim, in order)."""
    hay = _norm(text)
    pos = 0
    for part in description.split(";"):
        part = _norm(part).strip(" ,.")
        if not part:
            continue
        found = hay.find(part, pos)
        if found < 0:
            return False
        pos = found + len(part)
    return True


def description_rule(size: str | None, view: str | None) -> str:
    """'required', 'excluded' or 'free': whether a character's canonical description must appear
    verbatim in an image prompt, for a shot size and the character's view (default front)."""
    view = view or "front"
    if size in DESCRIPTION_EXCLUDED_SIZES or view in DESCRIPTION_EXCLUDED_VIEWS:
        return "excluded"
    if size in DESCRIPTION_REQUIRED_SIZES and view in DESCRIPTION_REQUIRED_VIEWS:
        return "required"
    return "free"


def _cast(shot: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"id": c} if isinstance(c, str) else dict(c) for c in shot.get("cast") or []]


def first_phrase(description: str) -> str:
    """A description's first phrase, who the character is ("a tall, lean man in his sixties"): up to its first
    ';' or comma, a comma after one or two words (between adjectives) not counted."""
    parts = [p.strip() for p in re.split(r"[,;]", description.split(";")[0])]
    head = parts.pop(0)
    while parts and len(head.split()) <= 2:
        head += ", " + parts.pop(0)
    return head


def canonical_description(text: str, shot: Mapping[str, Any], characters: Mapping[str, Any],
                          mode: str = "verbatim") -> list[str]:
    """The canonical description verbatim where the framing shows the whole person (MWS, MS, OTS
    seen from the front or side), and never whole where it does not (EWS, WS, CU, ECU, INSERT, or
    seen from behind, in silhouette, by hands, feet or partly). For image prompts; `shot` and
    `characters` are the film.yaml mappings. `mode` is the target's declared `description` capability:
    `phrases` (a short-prompt model such as Midjourney, whose word budget a 60-140 word description would
    exceed) requires only the first phrase, verbatim, where the whole description would be required; the
    excluded direction holds for every mode. " BREAK " (a CLIP window boundary) reads as ", ".
    Blind spots: in the free cases (MCU, POV) nothing is checked; which *part* of a description
    a close-up keeps is not judged; the excluded direction assumes every description names
    some facial or body detail the framing hides (true of the corpus and the example film).
    """
    problems = []
    text = text.replace(" BREAK ", ", ")  # CLIP windows of one prompt: the text runs on across them
    for member in _cast(shot):
        char = characters.get(member["id"]) or {}
        desc = char.get("description")
        if not desc:
            continue
        rule = description_rule(shot.get("size"), member.get("view"))
        present = description_present(text, desc)
        if rule == "required" and mode == "phrases":
            if not description_present(text, first_phrase(desc)):
                problems.append(f"{member['id']}: not even the description's first phrase "
                                f"{first_phrase(desc)!r} in a {shot.get('size')} {member.get('view') or 'front'} view")
        elif rule == "required" and not present:
            problems.append(f"{member['id']}: description not verbatim in a {shot.get('size')} "
                            f"{member.get('view') or 'front'} view")
        elif rule == "excluded" and present:
            problems.append(f"{member['id']}: whole description in a {shot.get('size')} "
                            f"{member.get('view') or 'front'} view, where it cannot all be seen")
    return problems


HIDDEN_FACE_VIEWS = frozenset({"back", "silhouette", "hands", "feet"})
NO_WARDROBE_SIZES = frozenset({"CU", "ECU", "INSERT"})
NO_WARDROBE_VIEWS = frozenset({"hands", "feet"})


def hidden_expression(text: str, shot: Mapping[str, Any]) -> list[str]:
    """No expression for a character whose face the view hides (back, silhouette, hands, feet):
    the cast entry's `expression` text does not appear in the image prompt.
    Blind spot: the expression reworded ("wary" -> "warily") passes."""
    problems = []
    for member in _cast(shot):
        expr = member.get("expression")
        if expr and member.get("view") in HIDDEN_FACE_VIEWS and _norm(expr) in _norm(text):
            problems.append(f"{member['id']}: expression {expr!r} in a {member['view']} view")
    return problems


def wardrobe_text(member: Mapping[str, Any], character: Mapping[str, Any]) -> str | None:
    """The wardrobe a cast entry wears: its `wardrobe` key in the character's wardrobe (or a
    literal text), else the character's default."""
    wanted = member.get("wardrobe")
    wardrobe = character.get("wardrobe")
    if isinstance(wardrobe, str):
        return wanted if wanted and wanted != "default" else wardrobe
    wardrobe = wardrobe or {}
    if wanted:
        return wardrobe.get(wanted, wanted)
    return wardrobe.get("default")


def wardrobe_out_of_frame(text: str, shot: Mapping[str, Any], characters: Mapping[str, Any]) -> list[str]:
    """A close-up, an extreme close-up or an insert (or a hands or feet view) does not carry the
    character's whole wardrobe (no boots and trousers in a close-up).
    Blind spot: part of the wardrobe (the one garment in view) is not judged."""
    problems = []
    for member in _cast(shot):
        if shot.get("size") not in NO_WARDROBE_SIZES and member.get("view") not in NO_WARDROBE_VIEWS:
            continue
        worn = wardrobe_text(member, characters.get(member["id"]) or {})
        if worn and _norm(worn).strip(" ,.") in _norm(text):
            problems.append(f"{member['id']}: whole wardrobe in a {shot.get('size')} "
                            f"{member.get('view') or 'front'} view")
    return problems


def semicolons(text: str) -> list[str]:
    """No ';' in an image prompt (a description's ';' marks its short reference, nothing more)."""
    return ["';' in the prompt"] if ";" in text else []


def names_present(text: str, names: Iterable[str]) -> list[str]:
    """No character `name` anywhere: the full name and each of its words, whole words, any case.
    Blind spot: a name word that is also an ordinary word ("Rose") is reported wherever the word is used."""
    problems = []
    for name in names:
        for part in dict.fromkeys([name, *name.split()]):
            if len(part) > 1 and re.search(rf"(?<![\w-]){re.escape(part)}(?![\w-])", text, re.I):
                problems.append(f"character name {part!r} in the prompt")
    return problems


# --- video -----------------------------------------------------------------------------------

_EDIT = re.compile(
    r"\b(?:fad(?:e|es|ed|ing)\s+(?:to|in|out|up|from|into)\b|cuts?\s+(?:to|away)\b|smash\s+cut|jump\s+cut"
    r"|dissolv(?:e|es|ed|ing)\b|transition(?:s|ing)?\b|cross-?fad\w*|wipes?\s+to\b)", re.I)


def edit_instructions(text: str) -> list[str]:
    """No edit instructions in a video prompt: "fades to black", "fade in", "cut to", "dissolve",
    "transition", "crossfade", "wipe to". A plain "the glow fades" (a light dying) is allowed.
    Blind spot: "the light fades out" (a lamp dimming) is reported as an edit."""
    return [f"edit instruction {m.group(0)!r}" for m in _EDIT.finditer(text)]


def bracket_commands(text: str, limit: int = 3) -> list[str]:
    """Hailuo camera commands: [bracketed], before the prose, at most `limit` of them in all
    (commas separate commands inside one bracket: "[Truck left, Pan right]").
    Blind spot: whether a command is in Hailuo's vocabulary is not checked."""
    lead = _BRACKETS.match(text)
    head = lead.group(0) if lead else ""
    problems = []
    n = sum(len([c for c in b.split(",") if c.strip()]) for b in re.findall(r"\[([^\]]*)\]", head))
    if n > limit:
        problems.append(f"{n} camera commands, more than {limit}")
    if "[" in text[len(head):]:
        problems.append("a [bracket] after the prose has begun")
    return problems


def negative_contradicts(prompt: str, negative: str | None) -> list[str]:
    """No negative term the positive prompt asks for (a "flicker" negative on a shot whose
    bulb flickers): a term contradicts when its words' lemmas appear consecutively in the
    prompt. Midjourney's --parameters (its --no list) are not part of the prompt.
    Blind spot: synonyms ("strobing" vs "flicker") pass."""
    if not negative:
        return []

    def lem(w: str) -> str:
        for pos in ("VERB", "NOUN", "ADJ"):
            got = _lemmas(w).get(pos)
            if got:
                return got[0]
        return w

    body = " " + " ".join(lem(w) for w in _words(prose_part(prompt))) + " "
    problems = []
    for term in re.split(r"[,\n]", negative):
        words = _words(term)
        if words and f" {' '.join(lem(w) for w in words)} " in body:
            problems.append(f"negative {term.strip()!r} contradicts the prompt")
    return problems
