"""English for prompts: verb forms, references to characters, pronouns. Built on lemminflect's lexicon (looked up
through an index: compiler.expand.lexicon), so "polishes the lens", "polishing the lens" and "hunched over the dial"
all come out right."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .lexicon import all_lemmas, inflection

ARTICLES = ("a", "an", "the", "this", "that", "one")
PRONOUN_FORMS = {  # subject, object, possessive
    "he": ("he", "him", "his"), "she": ("she", "her", "her"), "they": ("they", "them", "their"),
    "it": ("it", "it", "its"),
}
SUBJECT_PRONOUNS = {"he", "she", "they", "it", "i", "we", "you"}
POSSESSIVES = {"his", "her", "their", "its"}
# A phrase starting with one of these describes a place or a state, not a doing: "at the window".
PREPOSITIONS = {
    "at", "on", "in", "by", "under", "beside", "behind", "near", "against", "among", "across", "inside", "outside",
    "with", "before", "beneath", "below", "above", "over", "along", "amid", "amidst", "into", "onto", "through",
    "toward", "towards", "alone", "barefoot", "upside", "half", "mid",
}
# Words after "and" that show the next word continues a verb phrase ("and glances up", "and sighs").
_VERB_FOLLOWERS = {
    "up", "down", "at", "toward", "towards", "the", "a", "an", "his", "her", "their", "its", "into", "onto", "away",
    "back", "over", "out", "off", "to", "with", "him", "them", "it", "around", "across", "through", "in", "on",
    "forward", "aside", "slowly", "quickly", "again", "still", "",
}
# A phrase starting with one of these and a verb is the body part doing it: "shoulders shake", "eyes closing".
BODY_PARTS = frozenset(
    "hand hands eye eyes shoulder shoulders head face lips lip cheeks cheek fingers finger feet foot tears hair arms "
    "arm legs leg jaw chest breath knees knee brow brows mouth chin fists fist heart back body".split())
_HEAD_CUTS = (" in ", " with ", " of ", " wearing ", " who ", " whose ", " from ", " dressed ", " holding ", " carrying ")


@cache
def lemmas(word: str, pos: str | None = None) -> tuple[str, ...]:
    found = all_lemmas(word.lower())
    if pos is None:
        return tuple(dict.fromkeys(x for v in found.values() for x in v))
    return tuple(found.get(pos, ()))


@cache
def is_verb_form(word: str, tag: str) -> str | None:
    """The lemma when `word` is the `tag` form (VBZ, VBG, VBN, VBD, VB, VBP) of a verb in the lexicon."""
    w = word.lower()
    for lemma in lemmas(w, "VERB") + lemmas(w, "AUX"):
        forms = inflection(lemma, tag)
        if w in forms:
            return lemma
    return None


@cache
def inflect(lemma: str, tag: str) -> str:
    if lemma == "be":
        return {"VBZ": "is", "VBP": "are", "VBG": "being", "VBN": "been", "VBD": "was", "VB": "be"}[tag]
    forms = inflection(lemma, tag)
    return forms[0] if forms else lemma


@cache
def can_be_noun(word: str) -> bool:
    return bool(lemmas(word, "NOUN"))


@cache
def has_verb(sentence: str) -> bool:
    """Whether a sentence has a word the lexicon knows as a verb form (finite or participle)."""
    for w in re.findall(r"[A-Za-z']+", sentence):
        if lemmas(w, "VERB") or lemmas(w, "AUX"):
            return True
    return False


def _match_case(new: str, old: str) -> str:
    return new[:1].upper() + new[1:] if old[:1].isupper() else new


# --- actions ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Phrase:
    """An action or motion, parsed: `kind` is finite (polishes), base (polish), ing (polishing), participle
    (hunched), be (is hunched), place (at the window), clause (her hand trembles: its own subject), absolute (a body
    part and what it does: hands clasped behind her back) or unknown."""

    kind: str
    text: str  # the phrase as written, trimmed, no final full stop
    lemma: str | None = None
    rest: str = ""  # the words after the first verb


def _words(text: str) -> tuple[str, str]:
    text = text.strip()
    first, _, rest = text.partition(" ")
    return first, rest


@cache
def parse(text: str) -> Phrase:
    t = " ".join(text.split()).rstrip(".;, ")
    first, rest = _words(t)
    w = first.lower().strip(",")
    if not w:
        return Phrase("unknown", t)
    if w in ("is", "are", "stays", "stay", "remains", "remain"):
        return Phrase("be", t, "be", rest)
    if w in ARTICLES or w in POSSESSIVES or w in SUBJECT_PRONOUNS or w in ("someone", "something", "nobody"):
        return Phrase("clause", t)
    if w in PREPOSITIONS:
        return Phrase("place", t)
    nxt_word = rest.split(" ", 1)[0].lower().strip(",") if rest else ""
    body = w in BODY_PARTS
    if (body or can_be_noun(w) and not lemmas(w, "ADJ")) and nxt_word and nxt_word not in PREPOSITIONS \
            and nxt_word not in _VERB_FOLLOWERS:
        if is_verb_form(nxt_word, "VBG") or is_verb_form(nxt_word, "VBN") or is_verb_form(nxt_word, "VBD"):
            return Phrase("absolute", t)  # "hands clasped behind her back", "tears streaming down her face"
        if body and (is_verb_form(nxt_word, "VBP") or is_verb_form(nxt_word, "VBZ")):
            return Phrase("bodyclause", t)  # "shoulders shake as she sobs"
    if lemma := is_verb_form(w, "VBZ"):
        return Phrase("finite", t, lemma, rest)
    if w.endswith("ing") and (lemma := is_verb_form(w, "VBG")):
        return Phrase("ing", t, lemma, rest)
    nxt = rest.split(" ", 1)[0].lower() if rest else ""
    passive = w.endswith("ed") or nxt in ("by", "with", "in", "on", "only", "from", "against", "under", "through")
    if lemma := is_verb_form(w, "VBN") or (is_verb_form(w, "VBD") if passive else None):  # "lit only by ..."
        return Phrase("participle", t, lemma, rest)
    if lemma := is_verb_form(w, "VB"):
        if not (can_be_noun(w) and rest.split(" ", 1)[0].lower() not in _VERB_FOLLOWERS):
            return Phrase("base", t, lemma, rest)
    if lemmas(w, "ADJ") and not lemmas(w, "VERB"):
        return Phrase("place", t)  # a state: "alone at the window", "barefoot in the surf"
    return Phrase("unknown", t)


def _coordinated(rest: str, tag: str) -> str:
    """Inflect the verbs after 'and'/'then' in a verb phrase: 'lowers the mug and sighs' -> '... and sighing'."""
    words = rest.split(" ")
    for i in range(len(words) - 1):
        if words[i].lower().strip(",") in ("and", "then") and i + 1 < len(words):
            w = words[i + 1]
            bare = w.lower().rstrip(",.")
            lemma = is_verb_form(bare, "VBZ")
            nxt = words[i + 2].lower().strip(",.") if i + 2 < len(words) else ""
            if lemma and (not can_be_noun(bare) or nxt in _VERB_FOLLOWERS):
                words[i + 1] = inflect(lemma, tag) + w[len(bare):]
    return " ".join(words)


def predicate(p: Phrase, *, plural: bool = False) -> str:
    """The phrase as the verb part of a present-tense sentence: 'sits at the table', 'is hunched over the dial'."""
    be = "are" if plural else "is"
    if p.kind == "finite" and p.lemma:
        if not plural:
            return p.text
        return " ".join(x for x in (inflect(p.lemma, "VBP"), _coordinated(p.rest, "VBP")) if x)
    if p.kind == "base" and p.lemma:
        tag = "VBP" if plural else "VBZ"
        return " ".join(x for x in (inflect(p.lemma, tag), _coordinated(p.rest, tag)) if x)
    if p.kind == "be":
        first, rest = _words(p.text)
        verb = {"is": be, "are": be, "stays": "stay" if plural else "stays", "stay": "stay" if plural else "stays",
                "remains": "remain" if plural else "remains", "remain": "remain" if plural else "remains"}
        return f"{verb[first.lower()]} {rest}".strip()
    if p.kind in ("ing", "participle", "place"):
        return f"{be} {p.text}"
    if p.kind == "absolute":
        return f"{be} seen with {p.text}"
    return p.text  # bodyclause, clause, unknown: their own subject


def participle(p: Phrase) -> str:
    """The phrase as a modifier after a noun: 'polishing the lens', 'hunched over the dial', 'at the window'."""
    if p.kind in ("finite", "base") and p.lemma:
        return " ".join(x for x in (inflect(p.lemma, "VBG"), _coordinated(p.rest, "VBG")) if x)
    if p.kind == "absolute":
        return f"with {p.text}"
    if p.kind == "be":
        return _words(p.text)[1]
    return p.text


def continuing(p: Phrase, *, plural: bool = False) -> str:
    """A first-frame action carried on through a clip (no motion written): 'keeps polishing the lens',
    'stays hunched over the dial', 'sits at the table'."""
    if p.kind == "ing":
        return f"{'keep' if plural else 'keeps'} {p.text}"
    if p.kind in ("participle", "place"):
        return f"{'stay' if plural else 'stays'} {p.text}"
    if p.kind == "absolute":
        return f"{'stay' if plural else 'stays'} still, {p.text}"
    return predicate(p, plural=plural)


# --- references ---------------------------------------------------------------------------------------------------

def strip_article(text: str) -> str:
    first, rest = _words(text)
    return rest if first.lower() in ARTICLES and rest else text


_AN_EXCEPTIONS = ("one", "once", "uni", "use", "usu", "eu", "ewe", "ur")
_AN_SILENT_H = ("hour", "honest", "honour", "honor", "heir")


def indefinite(text: str) -> str:
    """'a' or 'an' before a noun phrase, by its sound: 'an old man', 'a one-eyed sailor', 'an hour'."""
    body = " ".join(text.split())
    low = body.lower()
    vowel = low[:1] in "aeiou" and not low.startswith(_AN_EXCEPTIONS) or low.startswith(_AN_SILENT_H)
    return ("an " if vowel else "a ") + body


def definite(text: str) -> str:
    """'old keeper', 'an old keeper', 'The keeper' -> 'the old keeper'."""
    return "the " + strip_article(" ".join(text.split()))


@cache
def derive_short(description: str) -> str:
    """The description's head noun phrase: 'a tall, lean man in his late sixties; ...' -> 'the tall, lean man'."""
    head = description.split(";")[0].strip()
    head = strip_article(head)
    low = " " + head.lower() + " "
    cut = len(head)
    for marker in _HEAD_CUTS:
        i = low.find(marker)
        if 0 < i - 1 < cut:
            cut = i - 1
    head = head[:cut]
    # a comma after a noun ends the phrase ("boy, about ten"); between adjectives it does not ("tall, lean man")
    parts = head.split(",")
    kept = parts[0]
    for part in parts[1:]:
        last = kept.split()[-1] if kept.split() else ""
        if last and can_be_noun(last) and not lemmas(last, "ADJ"):
            break
        kept += "," + part
    words = kept.split()
    for i, w in enumerate(words[1:], 1):  # "man standing alone on the shore" -> "man"
        if w.endswith("ing") and is_verb_form(w.lower(), "VBG") and can_be_noun(words[i - 1].strip(",")):
            words = words[:i]
            break
    if len(words) > 5:
        words = words[:3]
    head = " ".join(words).strip(" ,")
    return "the " + (head or "person")


def fix_subject(text: str, old_pronoun: str | None, subject: str, *, plural: bool) -> str:
    """A sentence-like motion ('she turns the dial') with its subject replaced: 'The woman turns the dial'."""
    p = parse(text)
    if p.kind in ("absolute", "bodyclause"):  # "shoulders shake as she sobs" -> "The woman's shoulders shake ..."
        return f"{owner(subject)}'s {p.text}"
    if p.kind == "unknown":  # its own clause ("together the two hands press the switch"): name the character in it
        return name_in(p.text, old_pronoun, subject)
    if p.kind != "clause":
        return f"{subject} {predicate(p, plural=plural)}"
    first, rest = _words(p.text)
    w = first.lower()
    if w in SUBJECT_PRONOUNS and w == (old_pronoun or w):
        inner = parse(rest)
        written_plural = w == "they"
        if inner.kind == "finite" or (inner.kind == "base" and written_plural) or inner.kind == "be":
            if inner.kind == "base" and written_plural:
                inner = Phrase("base", inner.text, inner.lemma, inner.rest)
            return f"{subject} {predicate(inner, plural=plural)}"
        return f"{subject} {rest}"
    if w in POSSESSIVES and w == PRONOUN_FORMS.get(old_pronoun or "", ("", "", w))[2]:
        return f"{owner(subject)}'s {rest}"
    return name_in(p.text, old_pronoun, subject)


def owner(subject: str) -> str:
    """Whose a body part is: 'the woman's hands' -> 'the woman' (so 'her fingers' is 'the woman's fingers', not
    'the woman's hands's fingers'); any other subject as it is."""
    m = re.fullmatch(r"(.+)'s (?:hands|feet)", subject)  # ("the captain's wife" is someone: kept whole)
    return m.group(1) if m else subject


def name_in(text: str, pronoun: str | None, subject: str) -> str:
    """The first pronoun of the character in a clause about something else replaced by its reference:
    'the light slides across her face' -> 'the light slides across the engineer's face'."""
    if not pronoun or pronoun not in PRONOUN_FORMS:
        return text
    subj, obj, poss = PRONOUN_FORMS[pronoun]
    ref = subject[:1].lower() + subject[1:] if subject[:1].isupper() and subject.split(" ", 1)[0] == "The" else subject
    for m in re.finditer(r"\b(" + "|".join(sorted({subj, obj, poss}, key=len, reverse=True)) + r")\b", text,
                         flags=re.IGNORECASE):
        w = m.group(1).lower()
        after = text[m.end():].lstrip()
        nxt = re.match(r"[A-Za-z'-]+", after)
        nxt_word = nxt.group(0).lower() if nxt else ""
        is_poss = w == poss and (w != obj or (nxt_word and nxt_word not in PREPOSITIONS and nxt_word not in
                                              ("and", "as", "then", "while", "to", "up", "down", "away", "back")))
        new = owner(ref) + "'s" if is_poss else ref
        out = text[:m.start()] + new + text[m.end():]
        return out[:1].upper() + out[1:] if m.start() == 0 else out
    return text


def starts_with_pronoun(text: str) -> bool:
    w = _words(text)[0].lower().strip(",")
    return w in SUBJECT_PRONOUNS or w in POSSESSIVES or w in ("him", "them")


def sentence(text: str) -> str:
    s = " ".join(str(text or "").split()).strip()
    if not s:
        return ""
    s = s[0].upper() + s[1:]
    return s if s[-1] in ".!?" else s + "."


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s]


def match_case(new: str, old: str) -> str:
    return _match_case(new, old)
