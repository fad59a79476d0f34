"""emit: Plan -> build/ (atomic writes, deterministic bytes, a manifest with per-output hashes).

Incremental: an output is rewritten only when what is on disk differs from what this build makes.
A file is trusted without being read while its size, mtime, inode and ctime are those recorded when
filmc wrote it (build/.filmc/outputs.state); otherwise its content is compared. Outputs the previous
build wrote and this one does not are removed. The manifest, then the state, are written last, so a
build that is killed part-way leaves nothing that the next build trusts wrongly.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FilmcError
from ..output_names import jobs_file, sheet_file
from ..records import stat_key
from .state import STATE_FILE, TMP_DIR, Entries, Writer, freed, read_state, state_bytes, sweep_tmp, write_internal

if TYPE_CHECKING:
    from ..expand import Plan
    from .files import FilmParts, Piece, PlanParts

__all__ = ["BuildResult", "emit_build", "freed", "partial_outputs", "write_internal"]

MANIFEST = "manifest.json"


@dataclass
class BuildResult:
    out_dir: Path
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(out_dir: Path) -> dict[str, object] | None:
    """build/manifest.json when it is one filmc wrote (its format, jobs and outputs), not another tool's file."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get("format"), int) and isinstance(data.get("jobs"), dict) \
            and isinstance(data.get("outputs"), dict):
        return data
    return None


def _manifest_outputs(out_dir: Path) -> dict[str, str]:
    """The outputs filmc's manifest names, with their content hashes."""
    data = _manifest(out_dir)
    outputs = data.get("outputs") if data is not None else None
    if not isinstance(outputs, dict):
        return {}
    return {k: v for k, v in outputs.items() if isinstance(k, str) and isinstance(v, str)}


def _same_file(root: str, a: str, b: str) -> bool:
    """Whether two names in the build folder are one file (a case-insensitive disk: MyCam.md and mycam.md)."""
    try:
        return os.path.samefile(f"{root}/{a}", f"{root}/{b}")
    except OSError:
        return False


def partial_outputs(plan: Plan, targets: set[str] | None) -> set[str]:
    """The outputs a partial build (--select / --target) may write: those targets' sheets and jobs (each holds
    every shot of its target), the shot list and the manifest; the edit is kept as it was."""
    names = {t.name for t in plan.targets} if targets is None else targets
    out = {MANIFEST, "shotlist.csv"}
    for t in names:
        out.add(sheet_file(t))
        out.add(jobs_file(t))
    return out


class _Inside:
    """Refuses output paths that leave the build folder through '..' or a symbolic link (a folder on the
    way; the file itself is checked by the caller's lstat)."""

    def __init__(self, out_dir: Path) -> None:
        self.real = os.path.realpath(out_dir)
        self.ok: dict[str, bool] = {}

    def __call__(self, rel: str) -> bool:
        if rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in rel.split("/")):
            return False
        return self._folder(rel.rsplit("/", 1)[0] if "/" in rel else "")

    def _folder(self, folder: str) -> bool:
        if not folder:
            return True  # the build folder itself
        if folder not in self.ok:
            want = os.path.join(self.real, folder)
            if os.path.lexists(want):  # an existing folder must not be (or lie behind) a link
                self.ok[folder] = os.path.realpath(want) == want
            else:  # one we make: inside when the folder holding it is
                self.ok[folder] = self._folder(folder.rsplit("/", 1)[0] if "/" in folder else "")
        return self.ok[folder]


def _filmcs(rel: str, old: Entries, root: str, folded: dict[str, str], out_dir: Path) -> bool:
    """Whether the file in output `rel`'s place is one filmc wrote: named by its state (or, with none, by its
    manifest), under this name or, on a case-insensitive disk, another case of it (the manifest too, once the
    state names it: changed by hand, it is filmc's to repair); a manifest no state names, when it is filmc's (its
    format, jobs and outputs: another tool's manifest.json names nothing of filmc's)."""
    if rel == MANIFEST and rel not in old:  # (the manifest's own outputs never name it)
        return _manifest(out_dir) is not None
    name = rel if rel in old else folded.get(rel.casefold())
    return name is not None and (name == rel or _same_file(root, rel, name))


def _foreign(out_dir: Path, rels: list[str]) -> FilmcError:
    from ..plurals import plural

    more = f" (and {plural(len(rels) - 1, 'other file')}: {', '.join(rels[1:4])}{', ...' if len(rels) > 4 else ''})" \
        if len(rels) > 1 else ""
    return FilmcError(f"refusing to overwrite {out_dir / rels[0]}{more}: filmc did not write "
                      f"{'them' if more else 'it'}. Move {'them' if more else 'it'} away, or build into another "
                      "folder (-o); nothing was written")


def _refuse(out_dir: Path, rel: str) -> OSError:
    return OSError(f"refusing to write {out_dir / rel}: it leads outside the build folder (a symbolic link?)")


def emit_build(plan: Plan, out_dir: Path, *, extra: Mapping[str, str | bytes] | None = None, dry_run: bool = False,
               only: set[str] | None = None, progress: Callable[[int, int], None] | None = None,
               pieces: dict[tuple[str, str], Piece] | None = None, parts: FilmParts | None = None,
               planned: PlanParts | None = None, known: Mapping[str, str] | None = None) -> BuildResult:
    """Write the build tree; with dry_run, only report what would change.

    `only` (a partial build) limits what is written; the rest of the previous build is kept as it was
    (its manifest entries too) and nothing is removed. `progress(done, total)` hears of the files written.
    `parts`, `planned`: what the outputs take from the production alone and from the compiled plan alone, if
    already made (see files.film_parts, files.plan_parts); `known`: the sha256 of other outputs, already made.
    """
    from .files import manifest_data, manifest_rendered, manifest_text, plan_files

    files = plan_files(plan, extra or {}, pieces, parts, planned)
    data: dict[str, bytes] = {}
    for rel in list(files):  # each text is let go once encoded: a big film's outputs are not in memory twice
        text = files.pop(rel)
        data[rel] = text.encode("utf-8") if isinstance(text, str) else text
    del files
    made = {**(planned.hashes if planned is not None else {}), **(known or {})}
    hashes = {rel: made.get(rel) or _sha(raw) for rel, raw in data.items()}
    state = read_state(out_dir)
    old: Entries = state.entries
    if not old:  # the first build with this state file: filmc's manifest says what filmc wrote before
        old = {rel: (None, None) for rel in _manifest_outputs(out_dir)}
    if only is not None:
        kept = {rel: h for rel, h in _kept_hashes(out_dir, old).items() if rel not in only}
        hashes = {**kept, **{rel: h for rel, h in hashes.items() if rel in only}}
        data = {rel: raw for rel, raw in data.items() if rel in only}
    manifest = manifest_data(plan, parts, planned)
    manifest["outputs"] = dict(sorted(hashes.items()))
    data[MANIFEST] = manifest_text(manifest, manifest_rendered(parts, planned)).encode("utf-8")
    hashes[MANIFEST] = _sha(data[MANIFEST])

    inside = _Inside(out_dir)
    root = str(out_dir)
    result = BuildResult(out_dir)
    new: Entries = {}
    todo: list[str] = []
    foreign: list[str] = []  # files in an output's place that filmc did not write: never overwritten
    folded = {rel.casefold(): rel for rel in old}
    restat = False  # a trusted file's stat changed but not its content (touched, copied): record the new stat
    # (a file too new to trust when it was written keeps no stat: compared by content, it costs a read, not a write)
    for rel in sorted(data):
        if not inside(rel):
            raise _refuse(out_dir, rel)
        raw, sha = data[rel], hashes[rel]
        try:
            st = os.lstat(f"{root}/{rel}")
        except FileNotFoundError:
            todo.append(rel)
            continue
        if stat.S_ISLNK(st.st_mode):
            raise _refuse(out_dir, rel)
        if stat.S_ISDIR(st.st_mode):  # (before anything is written: the rename would fail once others were)
            raise FilmcError(f"refusing to write {out_dir / rel}: a folder is in its place. Move it away, or build "
                             "into another folder (-o); nothing was written")
        key = stat_key(st)
        was_sha, was_st = old.get(rel, (None, None))
        if was_st == key and was_sha is not None:  # the file is as filmc wrote it: not read
            if was_sha == sha:
                new[rel] = (sha, key)
                result.unchanged += 1
            else:  # (it holds what was_sha names: another content, whatever its size)
                todo.append(rel)
            continue
        # (a file last written with another content is written again without being read: if it was changed since
        # to hold just this content, writing it costs less than reading every file that changed)
        if (was_sha is None or was_sha == sha) and st.st_size == len(raw) and stat.S_ISREG(st.st_mode) \
                and _same(f"{root}/{rel}", raw):
            new[rel] = (sha, key)
            restat = restat or was_st is not None
            result.unchanged += 1
            continue
        if not _filmcs(rel, old, root, folded, out_dir):  # there, but not filmc's: kept
            foreign.append(rel)
        todo.append(rel)
    if foreign:
        raise _foreign(out_dir, foreign)
    outputs = {rel.casefold(): rel for rel in data}
    removals = [] if only is not None else [
        rel for rel in sorted(set(old) - set(data)) if inside(rel)
        and not (rel.casefold() in outputs and _same_file(root, rel, outputs[rel.casefold()]))]  # (renamed case)
    if dry_run:
        result.written = todo
        result.removed = [rel for rel in removals if os.path.isfile(f"{root}/{rel}")]
        return result

    for rel in (STATE_FILE, f"{TMP_DIR}/x"):
        if not inside(rel):
            raise _refuse(out_dir, rel)
    sweep_tmp(out_dir)  # a killed build's temp files (one directory read when there are none)
    writing = bool(todo or removals)
    if writing:
        fresh = [rel for rel in todo if rel not in old]
        if fresh:  # note the new files first: if this build is killed, the next one knows they are filmc's
            write_internal(out_dir, STATE_FILE, state_bytes({**old, **{rel: (None, None) for rel in fresh}}))
    writer = Writer(out_dir, free_later=True)  # (see state.freed)
    files_todo = len(todo) - (MANIFEST in todo)
    try:
        for rel in todo:
            if rel != MANIFEST:
                new[rel] = (hashes[rel], writer.write(rel, data[rel]))
                result.written.append(rel)
                if progress is not None and (len(result.written) % 16 == 0 or len(result.written) == files_todo):
                    progress(len(result.written), files_todo)
        for rel in removals:
            path = out_dir / rel
            if path.is_file() and not path.is_symlink():
                path.unlink()
                result.removed.append(rel)
                _prune(path.parent, out_dir)
        if MANIFEST in todo:  # last: it says what the tree holds
            new[MANIFEST] = (hashes[MANIFEST], writer.write(MANIFEST, data[MANIFEST]))
            result.written.append(MANIFEST)
    finally:
        writer.close()
    if only is not None:
        new = {**{rel: e for rel, e in old.items() if rel not in new}, **new}
    if writing or restat or state.raw is None or set(new) != set(state.entries) or any(
            state.entries[rel][0] != e[0] for rel, e in new.items()):
        write_internal(out_dir, STATE_FILE, state_bytes(new))
    return result


def _kept_hashes(out_dir: Path, old: Entries) -> dict[str, str]:
    """The content hashes of the previous build's outputs (for a partial build's manifest)."""
    known = {rel: sha for rel, (sha, _) in old.items() if sha}
    if len(known) < len(old):
        known = {**_manifest_outputs(out_dir), **known}
    return known


def _same(path: str, raw: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(raw) + 1) == raw
    except OSError:
        return False


def _prune(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_relative_to(stop):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = folder.parent
