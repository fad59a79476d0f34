"""What a shot sends a target besides its prose: the merged options, the references and end frame of each
segment, and the words that name the references."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from ..refs import RefPlan, file_mark, plan, shot_options, starts_from_frame
from ..resolve import Production, ResolvedShot
from ..targets import TargetDef
from . import grammar as gr


def merged_options(prod: Production, target: TargetDef, rs: ResolvedShot) -> dict[str, Any]:
    """Target defaults < film options < the shot's `generate` (duration excluded: it is computed)."""
    return shot_options(prod.film, target, rs.shot)


def ref_plan(prod: Production, target: TargetDef, rs: ResolvedShot, options: dict[str, Any], *,
             segment: int = 1, segments: int = 1) -> RefPlan:
    """What one segment of a shot sends to a target: references, and the end frame on the last segment only.
    A clip starts from a frame when the film has an image target (or from the segment before)."""
    first = target.kind == "video" and (segment > 1 or starts_from_frame(prod.film, target, rs.shot))
    p = plan(prod.film, target, rs.shot, first_frame=first, options=options)
    return p if segment == segments else replace(p, end_frame=None)


def reference_sentence(refs: list[dict[str, Any]]) -> str:
    """What each reference shows, cited the model's way: "Image 1 shows the old keeper, image 2 the lamp room and
    image 3 the look to match." With tags the characters are named by theirs in the prose itself, so only the
    others are said: "@rock shows the place." Empty without references or citations."""
    parts = []
    for r in refs:
        if not r["cite"] or (r["cite"].startswith("@") and r["kind"] == "character"):
            continue
        what = "the look to match" if r["kind"] == "style" else r["label"]
        parts.append((r["cite"], what))
    if not parts:
        return ""
    words = [f"{cite} shows {what}" if i == 0 else f"{cite} {what}" for i, (cite, what) in enumerate(parts)]
    text = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return gr.sentence(text)


def _ref_label(prod: Production, kind: str, owner: str | None, path: str, persons: dict[str, str]) -> str:
    """A short noun phrase for what a reference shows: "the old keeper", "the lamp room", "the look"."""
    if kind == "character" and owner in persons:
        return persons[owner]
    if kind == "location" and owner in prod.film.locations:
        return gr.definite(gr.derive_short(prod.film.locations[owner].description))
    if kind == "style":
        return "the look"
    return file_label(PurePosixPath(path).stem)


# What a camera, a phone or an app names its files: "IMG_0042", "DSC01234", "GOPR0042", "WhatsApp Image ... at ...",
# "Screenshot 2024-01-01 at 10.00.00". A name made only of these says nothing of what the image shows.
_CAMERA = frozenset({"img", "dsc", "dscn", "dscf", "pxl", "mvimg", "gopr", "dji", "mvi", "vid", "pano", "screenshot",
                     "screen", "shot", "whatsapp", "image", "photo", "pic", "untitled", "scan", "at", "wa", "am",
                     "pm", "copy", "edit", "edited", "final", "jpg", "jpeg", "png", "webp", "heic", "tif", "tiff"})
_COUNTER = re.compile(r"(?:img|dsc[nf]?|pxl|gopr|gh|dji|mvi|vid|wa|p|dcim)?\d+|(?=.*\d)[0-9a-f]{6,}",
                      re.IGNORECASE)  # 0042, DSC01234, WA0001, a digest
# A file's version or copy at the end of its name: "radio_v2", "radio final", "radio (1)", "radio_01".
_VERSION = re.compile(r"v\d+|final|copy|edit|edited|draft|wip|\(\d+\)|0\d*", re.IGNORECASE)


def _hyphened(word: str) -> list[str]:
    """A file name's word with hyphens: words and numbers ("brass-compass", "2024-05-01") apart; "F-16", "X-Wing"
    and "wall-e" whole."""
    parts = word.split("-")
    if len(parts) > 1 and all((len(p) > 1 and p.isalpha()) or p.isdigit() for p in parts):
        return parts
    return [word.strip("-")] if word.strip("-") else []


def file_label(stem: str) -> str:
    """A noun phrase from an image's file name: "props/brass-compass_v2.png" is "the brass compass", "1950s_car"
    "the 1950s car"; a name that says nothing of the image ("IMG_0042", "DSC01234", a digest) is "the object"."""
    words = [part for w in re.split(r"[\s_.]+", stem) if w for part in _hyphened(w)]
    noise = [w.lower() in _CAMERA or bool(_COUNTER.fullmatch(w)) for w in words]
    if all(noise):
        return "the object"
    start = noise.index(False)  # (a camera's name before the creator's words: "IMG_1234_brass_compass")
    words = words[start:]
    while len(words) > 1 and _VERSION.fullmatch(words[-1]):
        words.pop()
    if words[0].lower() in ("the", "a", "an") and len(words) > 1:
        words.pop(0)
    # a capitalised word is written small ("Brass Compass"); "USB", "DeLorean", "iPhone" keep their case
    return "the " + " ".join(w.lower() if w[:1].isupper() and w[1:].islower() else w for w in words)


def refs_context(prod: Production, p: RefPlan, persons: dict[str, str]) -> list[dict[str, Any]]:
    """The references a request sends, in order: `mark` (the placeholder the runner replaces by the image),
    `path`, `kind`, `owner`, `label`, `tag`, `n`, `cite` ("image 1", "@keeper" or None)."""
    cite = p.caps.cite if p.caps else "none"
    out = []
    seen: set[tuple[str, str | None]] = set()
    for n, r in enumerate(p.refs, 1):
        label = _ref_label(prod, r.kind, r.owner, r.path, persons)
        if r.owner and (r.kind, r.owner) in seen:  # a second image of the same character or place
            label += " from another angle"
        elif not r.owner and (r.kind, label) in seen:  # two files that both name no object ("IMG_0042")
            label = "another" + label[len("the"):]
        seen.add((r.kind, r.owner))
        seen.add((r.kind, label))
        out.append({"mark": file_mark(prod.film.root, r.path), "path": r.path, "kind": r.kind, "owner": r.owner,
                    "label": label, "tag": r.tag, "n": n,
                    "cite": f"image {n}" if cite == "image" else f"@{r.tag}" if cite == "tag" else None})
    return out
