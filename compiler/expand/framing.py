"""What a shot can show of a character: the parts of the canonical description and wardrobe in view.

The description is split into its phrases (at `;` and top-level commas) and each phrase is sorted by the body
part it talks about. A shot size and a view decide which parts are in view; every phrase that is kept is kept
word for word, and where the whole figure is in view the whole description is kept verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

# Shot sizes by how much of a person they show.
FULL_FIGURE = ("EWS", "WS")
WHOLE = ("MWS", "MS", "OTS", "POV")  # the description verbatim
CHEST_UP = ("MCU",)
FACE = ("CU",)
DETAIL = ("ECU", "INSERT")
FACE_ONLY = ("CU", "ECU")  # sizes whose frame shows no hands (unless the view is of them)

_PARTS = {  # looked up in this order: "large scarred hands" are hands, "a scar through her eyebrow" a face
    "face": ("eye", "eyes", "eyebrow", "eyebrows", "brow", "brows", "nose", "mouth", "lips", "lip", "smile", "grin",
             "teeth", "tooth", "toothed", "gap-toothed", "jaw", "jawline", "cheek", "cheeks", "cheekbones", "chin", "beard", "moustache", "mustache",
             "stubble", "freckles", "freckled", "face", "forehead", "ear", "ears", "earring", "earrings",
             "complexion", "wrinkles", "wrinkled", "glasses", "spectacles", "makeup", "lipstick", "dimples",
             "dimple", "gaze", "lashes", "eyelashes", "piercing", "nostrils"),
    "hair": ("hair", "haired", "temples", "braid", "braids", "braided", "bun", "ponytail", "curls", "curly", "bald", "balding",
             "dreadlocks", "locs", "fringe", "bangs", "afro", "mane", "buzz", "crew-cut", "shaved", "plait",
             "plaits", "fur", "whiskers"),
    "hands": ("hand", "hands", "finger", "fingers", "nails", "knuckles", "wrist", "wrists", "forearm", "forearms",
              "palm", "palms", "ring", "rings", "bracelet", "paws", "paw", "claws"),
    "feet": ("feet", "foot", "toes", "boots", "boot", "shoes", "shoe", "sandals", "barefoot", "ankles", "ankle",
             "socks", "trainers", "sneakers", "heels", "slippers", "clogs"),
    "legs": ("legs", "leg", "thighs", "knees", "gait", "stride", "walk", "trousers", "jeans", "skirt", "pants",
             "shorts", "leggings", "tights", "overalls", "hips"),
    "skin": ("skin", "skinned", "tanned", "pale", "sunburnt", "sunburned", "weathered"),
}
# Head and neck wear seen in a close-up.
_NECK_UP = ("hat", "cap", "scarf", "collar", "collarless", "hood", "hooded", "hoodie", "necklace", "pendant",
            "glasses", "spectacles", "headscarf", "helmet", "torch", "headband", "beanie", "veil", "earring",
            "earrings", "sweater", "shirt", "jacket", "coat", "blouse", "dress", "jumper", "cardigan", "t-shirt",
            "tee", "vest", "uniform", "robe", "cloak", "tie", "bandana", "turban", "crown")

VIEW_WORDS = {
    "side": "seen in profile", "back": "seen from behind", "silhouette": "in silhouette",
    "partial": "partly in frame at the edge", "hands": "", "feet": "", "front": "",
}


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text)}


_ORDER = ("hands", "feet", "face", "hair", "legs", "skin")


@cache
def part_of(phrase: str) -> str:
    """Which part of a body a phrase talks about: face, hair, hands, feet, legs, skin, or body (build, the rest)."""
    words = _words(phrase)
    for part in _ORDER:
        keys = _PARTS[part]
        if words & set(keys):
            return part
    return "body"


def split_top(text: str, seps: str = ",;") -> list[str]:
    """Split at separators outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch in seps and depth <= 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [p.strip() for p in out if p.strip()]


@dataclass(frozen=True, slots=True)
class Seen:
    """What is in view of one character in one shot."""

    description: str  # the verbatim description, or the verbatim phrases in view joined by ", "
    whole: bool  # the whole description, verbatim
    wardrobe: str | None
    face: bool  # face and expression in view
    view: str  # front, side, back, silhouette, hands, feet, partial
    view_words: str  # "seen from behind", ""
    detail: bool  # only a detail (hands, feet, face) is in view
    phrases: tuple[str, ...] = ()  # the same, phrase by phrase (for prompts that list phrases: Midjourney)


def _adjectives_joined(parts: list[str]) -> list[str]:
    """Commas between adjectives do not end a phrase: 'a slow', 'careful', 'rolling gait' is one phrase."""
    from .grammar import lemmas

    out: list[str] = []
    for p in parts:
        last = out[-1].split()[-1].lower() if out and out[-1].split() else ""
        prev = out[-1].split() if out else []
        # "a heavy", then "weary face ..."; "long legs and a rolling", then "bow-legged stride"
        dangling = 1 <= len(prev) <= 2 and prev[0].lower() in ("a", "an") or \
            len(prev) >= 2 and prev[-2].lower() in ("a", "an", "the") and not lemmas(last, "NOUN")
        if last and (dangling or lemmas(last, "ADJ") and len(p.split()) <= 3 and not lemmas(last, "NOUN")):
            out[-1] += ", " + p
        else:
            out.append(p)
    return out


def _phrases(description: str) -> list[tuple[str, str]]:
    """(phrase, part) for every phrase; the first phrase (who: 'a tall man in his sixties') is 'identity'."""
    out: list[tuple[str, str]] = []
    for gi, g in enumerate(x.strip() for x in description.split(";") if x.strip()):
        parts = _adjectives_joined(split_top(g, ","))
        if not parts:
            continue
        if gi == 0 and not out:
            head = parts.pop(0)
            while parts and len(head.split()) <= 2:  # "a tall, lean man": adjectives joined by a comma
                head += ", " + parts.pop(0)
            who, sep, features = head.partition(" with ")
            kinds = [part_of(f) for f in re.split(r" and |, ", features)] if sep else []
            if sep and any(k in ("face", "hair", "hands") for k in kinds):
                # "a woman in her thirties with short dark curly hair and a freckled face": who, then features
                out.append((who, "identity"))
                out.extend((f, f"with:{part_of(f)}") for f in re.split(r" and |, ", features) if f.strip())
            else:
                out.append((head, "identity"))
        out.extend((ph, part_of(ph)) for ph in parts)
    return out


# An action or expression with the eyes closed ("laughing with her eyes closed", "closes his eyes", "eyes squeezed
# shut"): what colour they are is not in view. Not when the eyes open in it ("opens her closed eyes").
_CLOSED = re.compile(r"\b(?:eyes\s+(?:\w+ly\s+|squeezed\s+|screwed\s+)?(?:closed|shut)|(?:closed|closes|closing|close|"
                     r"shut|shuts|shutting)\s+(?:(?:his|her|their|its|both)\s+)?eyes)\b", re.IGNORECASE)
_OPEN = re.compile(r"\bopen(?:s|ed|ing)?\s+(?:(?:his|her|their|its|both)\s+)?(?:closed\s+)?eyes\b|\bopen(?:s|ed|ing)?\s+"
                   r"them\b", re.IGNORECASE)  # the eyes opening (not "her mouth open", "arms open wide")
_EYE_PLACE = re.compile(r"\b(?:over|around|under|beneath|below|near|between|above|across)\s+(?:(?:an|one|his|her|their|"
                        r"the|each|both|left|right)\s+)*eyes?\b", re.IGNORECASE)  # "a patch over one eye": a place
_EYE_WORD = re.compile(r"\b(?:eyes?|gaze)\b", re.IGNORECASE)
# The open eyes' look in a phrase: "grey-green eyes", "deep-set pale grey eyes" (not "around her eyes": a place)
_EYE_LOOK = re.compile(r"(?:(?:a|an|the|his|her|their|its)\s+)?(?:(?!(?:around|under|beneath|below|near|between|"
                       r"behind|above|over|of|in|at|on|left|right)\b)[\w-]+\s+){0,4}eyes?", re.IGNORECASE)
_EYE_JOINS = re.compile(r"\s+(?:over|with|and)\s+")


def eyes_closed(*texts: str | None) -> bool:
    """Whether an action or expression has the eyes closed (and does not open them)."""
    return any(t and _CLOSED.search(t) and not _OPEN.search(t) for t in texts)


def _without_eye_look(phrase: str) -> str:
    """The phrase without the look of open eyes: "heavy white eyebrows over deep-set pale grey eyes" -> "heavy white
    eyebrows"; "grey-green eyes" -> "" (everything else word for word)."""
    places: list[str] = []

    def place(m: re.Match[str]) -> str:
        places.append(m.group(0))
        return f"\x00{len(places) - 1}\x00"

    masked = _EYE_PLACE.sub(place, phrase)
    parts = _EYE_JOINS.split(masked)
    joins = _EYE_JOINS.findall(masked)
    out, pending = "", None
    for join, part in zip(["", *joins], parts):
        if _EYE_LOOK.fullmatch(part):
            pending = pending or join  # "a face with bright eyes and freckles" -> "a face with freckles"
        else:
            out = out + (pending or join) + part if out else part
            pending = None
    if _EYE_WORD.search(out):  # the eyes said another way ("grey eyes that miss nothing", "a steady gaze")
        return ""
    return re.sub(r"\x00(\d+)\x00", lambda m: places[int(m.group(1))], out)


@cache
def seen(description: str, wardrobe: str | None, size: str | None, view: str | None,
         closed_eyes: bool = False) -> Seen:
    """What a shot of `size` seen from `view` shows of a character; `closed_eyes`: the look of the open eyes is left
    out (an image cannot show the grey-green eyes of someone laughing with them closed)."""
    view = view or "front"
    phrases = _phrases(description)
    shut = [(_without_eye_look(ph) if part != "identity" else ph, part) for ph, part in phrases] if closed_eyes \
        else phrases
    closed = shut != phrases
    if closed:
        phrases = [(ph, part) for ph, part in shut if ph]
    size = size or "MS"
    keep: set[str]
    face = True
    detail = False
    if view == "silhouette":
        keep, face = {"identity", "body", "legs"}, False
    elif view == "back":
        keep, face = {"identity", "hair", "body", "legs", "feet", "skin", "hands"}, False
    elif view == "hands":
        keep, face, detail = {"hands", "skin"}, False, True
    elif view == "feet":
        keep, face, detail = {"feet", "skin"}, False, True
    elif view == "partial":
        keep, face = {"identity", "body", "hands"}, False
    elif size in FULL_FIGURE:
        keep = {"identity", "hair", "body", "legs", "feet", "skin"}
        face = size != "EWS"
    elif size in CHEST_UP:
        keep = {"identity", "face", "hair", "skin", "body", "hands"}
    elif size in FACE:
        keep = {"identity", "face", "hair", "skin"}
    elif size in DETAIL:
        keep, detail = ({"hands", "skin"}, True) if size == "INSERT" else ({"face", "skin"}, True)
        face = size == "ECU"
    else:
        keep = set()  # every part: the description verbatim
    whole = not keep or all(part.removeprefix("with:") in keep for _, part in phrases)
    shown = keep if not whole else {part.removeprefix("with:") for _, part in phrases}
    features = [ph for ph, part in phrases if part.startswith("with:") and part[5:] in shown]
    kept = []
    for ph, part in phrases:
        if part == "identity" and "identity" in shown:
            kept.append(ph + (" with " + " and ".join(features) if features else ""))
        elif not part.startswith("with:") and part in shown:
            kept.append(ph)
    if "identity" not in shown:
        kept = features + kept
    if detail:  # the detail itself first: "strong forearms, short nails, dark brown skin"
        kept.sort(key=lambda ph: part_of(ph) == "skin")
    # verbatim; a whole description's ';' (which ends the short reference) reads as ',' in a sentence
    text = " ".join(description.split()).replace(";", ",") if whole and not closed else ", ".join(kept)
    whole = whole and not closed
    return Seen(text, whole, _wardrobe(wardrobe, size, view), face, view, VIEW_WORDS.get(view, ""), detail,
                tuple(kept))


def _wardrobe(wardrobe: str | None, size: str, view: str) -> str | None:
    if not wardrobe:
        return None
    if view == "silhouette":
        return None
    items = split_top(wardrobe, ",;")
    if view == "hands":
        keep = [i for i in items if part_of(i) == "hands"]
    elif view == "feet":
        keep = [i for i in items if part_of(i) in ("feet", "legs")]
    elif size in DETAIL:
        keep = [i for i in items if part_of(i) == "hands"] if size == "INSERT" else []
    elif size in FACE:
        keep = [i for i in items if _words(i) & set(_NECK_UP) and part_of(i) not in ("feet", "legs")]
    elif size in CHEST_UP:
        keep = [i for i in items if part_of(i) not in ("feet", "legs")]
    else:
        return " ".join(wardrobe.split())
    return ", ".join(keep) or None
