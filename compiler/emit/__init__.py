"""emit: Plan -> build/ (atomic writes, deterministic bytes, a manifest with per-output hashes).

Incremental: an output whose content hash matches the previous manifest and that still exists
is not touched (its mtime stays); outputs the previous build wrote and this one does not are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..expand import Plan
from ..fsutil import write_atomic
from .files import manifest_data, manifest_text, plan_files

__all__ = ["BuildResult", "emit_build", "partial_outputs", "plan_files"]

MANIFEST = "manifest.json"


@dataclass
class BuildResult:
    out_dir: Path
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _previous(out_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        outputs = data.get("outputs", {})
        return {k: v for k, v in outputs.items() if isinstance(k, str) and isinstance(v, str)}
    except (OSError, ValueError, AttributeError):
        return {}


def partial_outputs(plan: Plan, shots: set[str] | None, targets: set[str] | None) -> set[str]:
    """The outputs a partial build (--select / --target) may write: those shots' prompt files for those
    targets, those targets' sheets and jobs, and the film-wide files (shot list, edit, manifest)."""
    names = {t.name for t in plan.targets} if targets is None else targets
    out = {MANIFEST, "shotlist.csv"}
    for p in plan.prompts:
        if p.target in names and (shots is None or p.shot in shots):
            out.add(f"prompts/{p.target}/{p.shot}.txt")
            out.add(f"prompts/{p.target}/{p.shot}.negative.txt")
    for t in names:
        out.add(f"prompts/{t}.md")
        out.add(f"jobs/{t}.jsonl")
    return out


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


class _Inside:
    """Refuses output paths that leave the build folder through '..' or a symbolic link."""

    def __init__(self, out_dir: Path) -> None:
        self.real = os.path.realpath(out_dir)
        self.ok: dict[str, bool] = {}

    def __call__(self, rel: str) -> bool:
        if rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in rel.split("/")):
            return False
        folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
        if folder not in self.ok:
            want = os.path.join(self.real, folder) if folder else self.real
            # a folder that does not exist yet is made by us, inside; an existing one must not be a link
            self.ok[folder] = not os.path.lexists(want) or os.path.realpath(want) == want
        if not self.ok[folder]:
            return False
        full = os.path.join(self.real, rel)
        return not os.path.islink(full)


def emit_build(plan: Plan, out_dir: Path, *, extra: Mapping[str, str | bytes] | None = None, dry_run: bool = False,
               only: set[str] | None = None) -> BuildResult:
    """Write the build tree; with dry_run, only report what would change.

    `only` (a partial build) limits what is written; the rest of the previous build is kept as it was
    (its manifest entries too) and nothing is removed.
    """
    files = plan_files(plan, extra or {})
    data = {rel: (text.encode("utf-8") if isinstance(text, str) else text) for rel, text in files.items()}
    hashes = {rel: _sha(raw) for rel, raw in data.items()}
    before = _previous(out_dir)
    if only is not None:
        kept = {rel: h for rel, h in before.items() if rel not in only}
        hashes = {**kept, **{rel: h for rel, h in hashes.items() if rel in only}}
        data = {rel: raw for rel, raw in data.items() if rel in only}
    manifest = manifest_data(plan)
    manifest["outputs"] = dict(sorted(hashes.items()))
    data[MANIFEST] = manifest_text(manifest).encode("utf-8")
    inside = _Inside(out_dir)
    root = str(out_dir)
    result = BuildResult(out_dir)
    for rel in sorted(data):
        if not inside(rel):
            raise OSError(f"refusing to write {out_dir / rel}: it leads outside the build folder (a symbolic link?)")
        raw = data[rel]
        if rel != MANIFEST and before.get(rel) == hashes[rel] and _size(f"{root}/{rel}") == len(raw):
            result.unchanged += 1  # same hash as last time, and the file still has that size: untouched
            continue
        path = out_dir / rel
        if dry_run:
            try:
                same = path.read_bytes() == raw
            except OSError:
                same = False
            if same:
                result.unchanged += 1
            else:
                result.written.append(rel)
            continue
        known_changed = rel in before and rel != MANIFEST  # the old manifest says it differs
        if write_atomic(path, raw, compare=not known_changed and (bool(before) or path.exists())):
            result.written.append(rel)
        else:
            result.unchanged += 1
    if only is None:
        for rel in sorted(set(before) - set(data)):
            if not inside(rel):
                continue  # a manifest entry we did not write: never delete through links or '..'
            path = out_dir / rel
            if path.is_file():
                result.removed.append(rel)
                if not dry_run:
                    path.unlink()
                    _prune(path.parent, out_dir)
    return result


def _prune(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_relative_to(stop):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = folder.parent
