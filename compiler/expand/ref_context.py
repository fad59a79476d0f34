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


# Words a camera, a phone or an editor puts in a file name: they say nothing of what the image shows.
_NOT_WORDS = frozenset({"img", "image", "dsc", "dscn", "dscf", "pxl", "mvimg", "photo", "pic", "screenshot", "scan",
                        "untitled", "copy", "final", "ref", "reference", "edit", "edited", "export", "crop",
                        "version", "draft", "the", "an", "wip", "jpeg", "jpg", "png", "webp", "raw", "large", "small"})
_DIGEST = re.compile(r"(?=.*\d)[0-9a-fA-F]{6,}")
_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])")


def file_label(stem: str) -> str:
    """A noun phrase from an image's file name: "props/old_radio_v2.png" is "the old radio"; a name that says
    nothing of the image ("IMG_0042", "DSC01234", a digest) is "the object"."""
    words = [w.lower() for part in re.split(r"[\s_\-.]+", stem) if not _DIGEST.fullmatch(part)
             for w in _WORD.findall(part)]
    words = [w for w in words if len(w) > 1 and w not in _NOT_WORDS]
    return "the " + (" ".join(words) if words else "object")


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
