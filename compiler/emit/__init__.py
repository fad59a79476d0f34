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

__all__ = ["BuildResult", "emit_build", "plan_files"]

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


def _check(rel: str) -> None:
    """Output names come from ids (no '/' or '..' can reach them), checked anyway: never write outside."""
    if rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in rel.split("/")):
        raise ValueError(f"output path escapes the build folder: {rel}")


def emit_build(plan: Plan, out_dir: Path, *, extra: Mapping[str, str] | None = None, dry_run: bool = False,
               only_shots: set[str] | None = None) -> BuildResult:
    """Write the build tree; with dry_run, only report what would change."""
    files = plan_files(plan, extra or {})
    data = {rel: (text.encode("utf-8") if isinstance(text, str) else text) for rel, text in files.items()}
    hashes = {rel: _sha(raw) for rel, raw in data.items()}
    manifest = manifest_data(plan)
    manifest["outputs"] = hashes
    data[MANIFEST] = manifest_text(manifest).encode("utf-8")
    before = _previous(out_dir)
    root = str(out_dir)
    result = BuildResult(out_dir)
    for rel in sorted(data):
        if only_shots is not None and rel.startswith("prompts/") and rel.count("/") == 2:
            if rel.split("/")[2].split(".")[0] not in only_shots:
                continue
        _check(rel)
        raw = data[rel]
        if rel != MANIFEST and before.get(rel) == hashes[rel] and os.path.isfile(f"{root}/{rel}"):
            result.unchanged += 1
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
    if only_shots is None:
        for rel in sorted(set(before) - set(data)):
            _check(rel)
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
