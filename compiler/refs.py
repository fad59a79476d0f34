"""Reference images and end frames: which of the film's images go with a shot to a target, within what the model
takes. One plan serves validate (its limits and exclusions), compile (the request's `refs` and `end_frame`) and the
prompt (how it cites them).

The default set, in the order sent: each character in frame with its refs (`cast[].refs` picks among them), then
the shot's other refs (`shots[].refs`, else the location's refs, then the world's style refs). A model that takes
fewer keeps, while it can, the first ref of each character, then the first of the place and the look, then the
next of each, so every face stays before any second angle. What the creator picked is never trimmed: validate
refuses a pick a model cannot take.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from .capabilities import RefCaps
from .model import NEXT_FRAME, Film, Section, Shot
from .plurals import plural
from .store.takes import IMAGE_EXTS
from .targets import TargetDef

_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG; WebP is RIFF....WEBP


def looks_like_image(path: Path) -> bool:
    """The file starts as a PNG, JPEG or WebP does (True when it cannot be read: a missing file is said elsewhere)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return True
    return head.startswith(_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
KIND_ORDER = {"character": 0, "location": 1, "style": 2, "object": 3}


@dataclass(frozen=True)
class Ref:
    """A reference image a shot may send to a target, with where it came from."""

    path: str
    kind: str  # character | location | style | object
    owner: str | None  # the character, location or world id (None: an object)
    rank: int  # its place in its owner's list (0: the first, kept first when a model takes fewer)
    picked: bool  # the creator chose it for this shot (cast[].refs, shots[].refs)
    pointer: str  # where the shot (or the bible) names it
    tag: str = ""  # how a tag-citing model names it ("keeper"): unique in the shot


@dataclass(frozen=True)
class RefPlan:
    """What one shot sends to one target: `refs` in the order sent, what was left out and why."""

    refs: tuple[Ref, ...] = ()
    caps: RefCaps | None = None
    left_out: tuple[tuple[Ref, str], ...] = ()  # (ref, reason): a key of WHY, or kind | per_kind | max
    excluded_by: str | None = None  # "first_frame" | "end_frame": the model takes no references with it
    end_frame: str | None = None  # the shot's end_frame, when the target takes one
    refused: tuple[tuple[Ref, str], ...] = ()  # picked refs the model cannot take (validate's errors)


def starts_from_frame(film: Film, target: TargetDef, shot: Shot) -> bool:
    """A video request of this shot starts from an image: an image-to-video shot of a film with an image target."""
    return target.kind == "video" and shot.mode == "image-to-video" and bool(film.targets.image)


def shot_options(film: Film, target: TargetDef, shot: Shot) -> dict[str, Any]:
    """Target defaults < the film's `targets.options` < the shot's `generate` (duration excluded: it is computed)."""
    opts = dict(target.defaults)
    opts.update({k: v for k, v in film.targets.options.get(target.name, {}).items() if k != "duration"})
    opts.update({k: v for k, v in shot.generate.get(target.name, {}).items() if k != "duration"})
    return opts


def _tag(text: str) -> str:
    tag = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "ref"
    if not tag[0].isalpha():
        tag = "r" + tag
    return tag if len(tag) >= 3 else tag + "_ref"


_T = TypeVar("_T")


def _of_last(memo: list[tuple[object, Any]], owner: object, make: Callable[[], _T]) -> _T:
    """make(), made once for the last `owner` (an object of the film: kept alive here, so its id is not reused)."""
    last = memo[0] if memo else None  # (read once: the board's server runs requests on threads)
    if last is not None and last[0] is owner:
        return last[1]  # type: ignore[no-any-return]
    value = make()
    memo[:] = [(owner, value)]
    return value


_WORLDS: list[tuple[object, Any]] = []  # the last film's sections, and their worlds by id
_OWNED: list[tuple[object, Any]] = []  # the last film, and whether any character, location or world has refs


def _section_worlds(sections: tuple[Section, ...]) -> dict[str, str | None]:
    """Each section's world by its id (made once per film: a shot's lookup is then not a walk of the song)."""
    def make() -> dict[str, str | None]:
        worlds: dict[str, str | None] = {}
        for s in sections:
            worlds.setdefault(s.id, s.world)
        return worlds

    return _of_last(_WORLDS, sections, make)


def _owners_have_refs(film: Film) -> bool:
    return _of_last(_OWNED, film, lambda: any(c.refs for c in film.characters.values())
                    or any(loc.refs for loc in film.locations.values())
                    or any(w.refs for w in film.concept.worlds.values()))


def candidates(film: Film, shot: Shot) -> list[Ref]:
    """Every reference the shot would send to a model taking any number of any kind, in the order sent."""
    if not shot.refs and not any(m.refs for m in shot.cast) and not _owners_have_refs(film):
        return []  # (a film without references: most shots of most films)
    out: list[Ref] = []
    for i, member in enumerate(shot.cast):
        ch = film.characters.get(member.id)
        if ch is None:
            continue
        if member.refs is None:
            out += [Ref(p, "character", ch.id, n, False, f"{ch.pointer}/refs/{n}") for n, p in enumerate(ch.refs)]
        else:
            out += [Ref(p, "character", ch.id, n, True, f"{shot.pointer}/cast/{i}/refs/{n}")
                    for n, p in enumerate(member.refs)]
    loc = film.locations.get(shot.location) if shot.location else None
    world_id = shot.world or _section_worlds(film.song.sections).get(shot.section)
    world = film.concept.worlds.get(world_id) if world_id else None
    if shot.refs is None:
        if loc is not None:
            out += [Ref(p, "location", loc.id, n, False, f"{loc.pointer}/refs/{n}") for n, p in enumerate(loc.refs)]
        if world is not None:
            out += [Ref(p, "style", world.id, n, False, f"{world.pointer}/refs/{n}") for n, p in enumerate(world.refs)]
    else:
        owners: dict[str, tuple[str, str]] = {}
        for lc in film.locations.values():
            owners.update({p: ("location", lc.id) for p in lc.refs})
        for w in film.concept.worlds.values():
            owners.update({p: ("style", w.id) for p in w.refs})
        for n, p in enumerate(shot.refs):
            kind, owner = owners.get(p, ("object", ""))
            out.append(Ref(p, kind, owner or None, n, True, f"{shot.pointer}/refs/{n}"))
    seen: set[str] = set()
    unique = []
    for r in out:
        if r.path not in seen:
            seen.add(r.path)
            unique.append(r)
    return _tagged(unique)


TAG_MAX = 16  # Runway's limit, the strictest known: 3-16 letters, digits or _, a letter first


def _tagged(refs: list[Ref]) -> list[Ref]:
    """Each ref with a tag unique in the shot, at most TAG_MAX characters: the owner's id, else the file's name
    ("keeper", then "keeper_2", "keeper_3" ...)."""
    used: set[str] = set()
    out = []
    for r in refs:
        base = _tag(r.owner or PurePosixPath(r.path).stem)[:TAG_MAX]
        tag, n = base, 1
        while tag in used:
            n += 1
            tag = f"{base[:TAG_MAX - len(str(n)) - 1]}_{n}"
        used.add(tag)
        out.append(Ref(r.path, r.kind, r.owner, r.rank, r.picked, r.pointer, tag))
    return out


WHY = {
    "missing": "cannot send it: the file is missing",
    "none": "takes no reference images",
    "first_frame": "takes no reference images with a first frame",
    "end_frame": "takes no reference images with an end frame",
}


def why(reason: str, ref: Ref, caps: RefCaps | None) -> str:
    """A left-out reference's reason in words."""
    if reason == "kind":
        return f"takes no {ref.kind} references"
    if reason == "per_kind" and caps:
        return f"takes at most {plural(caps.kind_max(ref.kind), ref.kind + ' reference')}"
    if reason == "max" and caps:
        return f"takes at most {plural(caps.max, 'reference')}"
    return WHY.get(reason, reason)


def plan(film: Film, target: TargetDef, shot: Shot, *, first_frame: bool,
         options: dict[str, Any] | None = None) -> RefPlan:
    """What `shot` sends to `target`: its references within the model's limits, and its end frame.
    `first_frame`: the request starts from an image (an image-to-video shot of a film with an image target)."""
    opts = options if options is not None else shot_options(film, target, shot)
    model = opts.get("model")
    end = shot.end_frame if target.kind == "video" and shot.mode != "still" and target.takes_end_frame(model, opts) \
        and (first_frame or target.capabilities.end_frame_alone) else None
    if end and not is_next(end) and not (film.root / end).is_file():
        end = None  # validate warns (V261)
    caps = target.references(model)
    cands = candidates(film, shot)
    whole = None
    if caps is None:
        whole = "none"
    elif first_frame and not caps.with_first_frame:
        whole = "first_frame"
    elif end and not caps.with_end_frame:
        whole = "end_frame"
    if whole or caps is None:
        left = tuple((r, whole or "none") for r in cands)
        # a first frame already carries what the refs show (the image target took them): nothing is refused, also
        # where the model takes no references at all (V286 says so when no target takes them)
        refused = () if whole == "first_frame" or first_frame else tuple(x for x in left if x[0].picked)
        return RefPlan((), caps, left, whole if whole in ("first_frame", "end_frame") else None, end, refused)
    left_out: list[tuple[Ref, str]] = []
    usable = []
    for r in cands:
        if caps.kind_max(r.kind) == 0:
            left_out.append((r, "kind"))
        elif not (film.root / r.path).is_file():  # validate warns (V261); a request never names a missing image
            left_out.append((r, "missing"))
        else:
            usable.append(r)
    # what the creator picked goes first; the rest by rank (every owner's first ref before any second one)
    order = sorted(usable, key=lambda r: (not r.picked, r.rank, KIND_ORDER[r.kind]))
    kept: set[str] = set()
    per: dict[str, int] = {}
    for r in order:
        if per.get(r.kind, 0) >= caps.kind_max(r.kind):
            left_out.append((r, "per_kind"))
        elif len(kept) >= caps.max:
            left_out.append((r, "max"))
        else:
            kept.add(r.path)
            per[r.kind] = per.get(r.kind, 0) + 1
    refs = tuple(r for r in usable if r.path in kept)  # in the order sent: cast, then place, look, objects
    return RefPlan(refs, caps, tuple(left_out), None, end,
                   tuple(x for x in left_out if x[0].picked and x[1] != "missing"))


def next_shot(film: Film, shot: Shot) -> Shot | None:
    """The shot after `shot` in the shot list (what `end_frame: next` joins to)."""
    ids = [s.id for s in film.shots]
    i = ids.index(shot.id) + 1 if shot.id in ids else len(ids)
    return film.shots[i] if i < len(film.shots) else None


def is_next(end_frame: str | None) -> bool:
    return end_frame == NEXT_FRAME


def is_image(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in IMAGE_EXTS


_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """The first 16 hex digits of a file's sha256 ("missing" when it cannot be read); cached by size and mtime."""
    try:
        st = path.stat()
    except OSError:
        return "missing"
    key = (str(path), st.st_size, st.st_mtime_ns)
    got = _DIGESTS.get(key)
    if got is None:
        h = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError:
            return "missing"
        got = _DIGESTS[key] = h.hexdigest()[:16]
    return got


def file_mark(root: Path, rel: str, prefix: str = "@ref:") -> str:
    """The placeholder a request carries for an image of the film: `@ref:<path>#<sha256[:16]>` (a reference) or
    `@end-file:…` (an end frame). The content hash makes the request (and so the job) new when the image changes;
    the runner checks it before sending."""
    return f"{prefix}{rel}#{file_digest(root / rel)}"
