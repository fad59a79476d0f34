"""What a compiled shot-and-target's cache key hashes: the film around the shots, the targets' folders, the shot."""

from __future__ import annotations

import hashlib
import json
import marshal
from functools import cache
from pathlib import Path

from ..load.document import list_blob
from ..model import NEXT_FRAME
from ..refs import candidates, file_digest, next_shot
from ..resolve import Production, ResolvedShot
from ..targets import TargetDef


@cache
def target_digest(folder: Path) -> str:
    """A hash of every file of a target folder: a template change changes every job's hash."""
    from .common_templates import COMMON, common_folder

    h = hashlib.sha256()
    for root, prefix in ((folder, ""), (common_folder(), COMMON + "/")):
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update((prefix + p.relative_to(root).as_posix()).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def global_key(prod: Production, tdefs: tuple[TargetDef, ...]) -> str:
    """Everything but the shots that can change a compiled shot: film-level data, targets, the clock."""
    doc = prod.doc
    data = {k: v for k, v in (doc.data.items() if doc else ()) if k not in ("shots", "story")}
    workflows = sorted({str(o["workflow"]) for o in [*prod.film.targets.options.values(),
                                                     *(g for sh in prod.film.shots for g in sh.generate.values())]
                        if isinstance(o, dict) and o.get("workflow")})
    files = []
    for rel in workflows:  # a creator's workflow graph goes into the jobs: its content is part of the key
        try:
            files.append(hashlib.sha256((prod.film.root / rel).read_bytes()).hexdigest())
        except OSError:
            files.append("missing")
    blob = json.dumps([data, files, [(t.name, target_digest(t.folder)) for t in tdefs], list(prod.resolution),
                       prod.song_duration, prod.film.targets.image[:1]], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def shot_key(prod: Production, rs: ResolvedShot, glob: str) -> str | None:
    doc = prod.doc
    if doc is None:
        return None
    blobs = doc.shot_blobs()
    assert blobs is not None  # (a film whose shots are not a list does not validate)
    # what the shot's requests carry of other places: its images' contents, and the shot its end frame joins to
    images = [(r.path, file_digest(prod.film.root / r.path)) for r in candidates(prod.film, rs.shot)]
    if rs.shot.end_frame:
        nxt = next_shot(prod.film, rs.shot) if rs.shot.end_frame == NEXT_FRAME else None
        images.append((rs.shot.end_frame, nxt.id if nxt else file_digest(prod.film.root / rs.shot.end_frame)))
    # marshal's format 0 (no shared references, no interned strings) writes equal plain data as equal bytes: this is
    # marshal.dumps([glob, the shot's item, number, start, end, its lines, images], 0), the item as the load wrote it
    dump = marshal.dumps
    blob = list_blob([dump(glob, 0), blobs[rs.shot.index], dump(rs.number, 0), dump(rs.start, 0), dump(rs.end, 0),
                      dump([ln.text for ln in rs.lines], 0), dump(images, 0)])
    return hashlib.sha1(blob).hexdigest()
