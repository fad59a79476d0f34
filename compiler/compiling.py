"""The build stage as the commands share it: compile a film (reusing what the last build's cache holds: compiled
shots, lint's findings, sheet pieces, slates, the edit's files; see build_cache), lint it, and make the edit's
files."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .aside import Aside
from .build_cache import (
    DOCUMENT,
    EDIT,
    EDIT_HASHES,
    SLATE,
    Cache,
    Index,
    read_cache,
    read_edit,
    read_slates,
    slate_files,
)
from .diagnostics import Diagnostic
from .load import paused_gc
from .loading import film_path, resolve_film
from .paths import build_folder
from .resolve import Production, ResolvedShot

if TYPE_CHECKING:
    from .edit.graph import Slates
    from .emit.files import FilmParts, PlanParts
    from .expand import Plan
    from .expand.lint import PromptFindings
    from .expand.plan import CompiledPrompt



@dataclass(frozen=True)
class CompiledFilm:
    """Everything a build writes, before it is written."""

    plan: Plan
    warnings: list[Diagnostic]  # validate's and lint's
    edit: dict[str, str | bytes]  # build/edit/'s files by their path in build/
    linted: tuple[str, ...] = ()  # the shots lint checked again (the others' findings were the last build's)
    # emit's pieces by (shot, target): the last build's for pairs unchanged since; emit adds the ones it makes
    pieces: dict[tuple[str, str], Any] = field(default_factory=dict)
    parts: FilmParts | None = None  # what the outputs take from the production alone, if made with the edit
    index: Index | None = None  # what the cache read found (for write_cache)
    kept_files: tuple[str, ...] = ()  # cache files kept as they are (the slates': see build_cache.slate_files)
    planned: PlanParts | None = None  # what the outputs take from the plan alone, if made (with the sheets)
    edit_hashes: dict[str, str] = field(default_factory=dict)  # the sha256 of `edit`'s files (the fonts aside)

    def cache_entries(self) -> Cache:
        """What the next build may reuse: the compiled pairs, lint's findings, the edit's files, emit's pieces (added
        to the plan's cache, which holds the others: a big film's cache is not copied)."""
        out = self.plan.cache
        for pair, key in self.plan.keys.items():  # in the plan's order, whichever build made them
            piece = self.pieces.get(pair)
            if piece is not None:
                out["emit:" + key] = piece
        return out


def compile_film(path: str | Path, *, targets: list[str] | None = None, select: str | None = None,
                 allow_outside: bool = False, cache_dir: Path | None = None, all_targets: bool = False,
                 progress: Callable[[int, int], None] | None = None, workers: int = 1,
                 sheets: bool = True) -> CompiledFilm:
    """load -> validate -> resolve -> expand (+ lint and the edit's files): everything a build writes.

    With cache_dir (the build folder), shots unchanged since the last build are not compiled again, and
    lint's findings and the edit's files are reused while what they depend on is unchanged;
    `progress(done, total)` hears of the shot-and-target pairs compiled; `workers` processes share a cold compile
    (and with more than one, the edit is made on another: see below).
    `sheets=False`: neither the prompts' parts of the sheets and jobs files nor the edit are made (the commands
    that write no build).
    """
    from .expand import expand_production

    build_dir = cache_dir or build_folder(film_path(path).parent)
    # The edit is made on the other core from the start: the child loads the film itself (a fork this early copies
    # little; one made after the film is loaded makes this process pay for every page it then touches), and its
    # files are used only if they are of the film this process compiles (the same edit key: aside.py, _edit_key).
    aside: Aside[tuple[str, EditFiles, SlateFiles, FilmParts | None]] | None = None
    edit: EditFiles = ({}, {})
    slates: SlateFiles = ([], {})  # the slate files kept as they are, the entries of those to write
    parts: FilmParts | None = None
    try:
        if sheets:
            aside = Aside(partial(_edit_aside, path, allow_outside, cache_dir, build_dir), fork=workers > 1)
        prod = resolve_film(path, allow_outside=allow_outside, kept=cache_dir / DOCUMENT if cache_dir else None)
        if all_targets and targets:  # the film's targets plus any asked for
            targets = list(dict.fromkeys([*prod.film.targets.image, *prod.film.targets.video, *targets]))
        with paused_gc():  # (the cache, the plan, lint's findings and the edit: tens of thousands of acyclic objects)
            key = _edit_key(prod, build_dir / "edit") if sheets else None
            kept = _kept_edit(build_dir, read_edit(cache_dir, key)) if cache_dir and key else None
            if kept is not None:
                edit = kept
                if aside is not None:
                    aside.cancel()  # (its edit is not needed: it ends while the shots compile)
                slates = slate_files(cache_dir) if cache_dir else ([], {})
            index = Index() if cache_dir else None
            cache = read_cache(cache_dir, slates=False, index=index) if cache_dir else {}
            plan = expand_production(prod, targets=targets, select=select, cache=cache, progress=progress,
                                     workers=workers)
            pieces = {pair: piece for pair, k in plan.keys.items()
                      if isinstance(piece := cache.get("emit:" + k), tuple) and len(piece) == 2}
            found, linted = _lint(plan, cache, pieces if sheets else None, workers)
            # (made here, before the edit's process is waited for: it may still be working)
            planned = None
            if sheets:
                from .emit.files import plan_parts

                planned = plan_parts(plan, pieces)
            if aside is not None and key is not None and kept is None:
                here = partial(_edit_and_slates, prod, build_dir / "edit", cache_dir)
                made_for, edit, slates, parts = aside.result(otherwise=lambda: (key, *here(), None))
                if made_for != key:  # the child read another film.yaml (saved in between), takes/ or fonts
                    (edit, slates), parts = here(), None
    finally:
        if aside is not None:
            aside.close()
    warnings = list(prod.warnings) + found
    files: dict[str, str | bytes] = {}
    if key is not None:
        plan.cache[key] = (EDIT_HASHES, edit[1])  # (the files are build/edit/'s: see _kept_edit)
        plan.cache.update(slates[1])  # each slate an entry of its own: one shot's edit changes one bucket
        files = _with_fonts(dict(edit[0]))
    return CompiledFilm(plan, warnings, files, tuple(linted), pieces, parts, index, tuple(slates[0]), planned,
                        edit[1])


SlateFiles = tuple[list[str], Cache]  # the slate files kept as they are, the entries of the slate buckets to write
EditFiles = tuple[dict[str, bytes], dict[str, str]]  # build/edit/'s files (the fonts aside), UTF-8, and their sha256


def _kept_edit(build_dir: Path, entry: Any) -> EditFiles | None:
    """The edit's files as the last build with this edit key wrote them, if they are all still in build/edit/ as
    its cache entry hashed them (read to check: a file changed by hand, or by a partial build since, is made
    again)."""
    if not (isinstance(entry, tuple) and len(entry) == 2 and entry[0] == EDIT_HASHES and isinstance(entry[1], dict)):
        return None
    files: dict[str, bytes] = {}
    for rel, sha in entry[1].items():
        if not isinstance(rel, str) or not rel.startswith("edit/") or ".." in rel.split("/"):
            return None
        try:  # (not blocking, not through a link: a FIFO or a device in its place is not read)
            fd = os.open(build_dir / rel, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_BINARY", 0))
        except (OSError, ValueError):
            return None
        try:
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    return None
                raw = f.read()
        except OSError:
            return None
        if hashlib.sha256(raw).hexdigest() != sha:
            return None
        files[rel] = raw
    return files, dict(entry[1])


def _encoded(edit: Mapping[str, str | bytes]) -> EditFiles:
    """The edit's files (the fonts aside: _with_fonts reads them) as UTF-8, with their sha256 (the edit's process
    hashes them for emit, and encodes them so that they are handed over as bytes)."""
    files = {rel: v.encode("utf-8") if isinstance(v, str) else v for rel, v in edit.items()
             if not rel.startswith("edit/font/")}
    return files, {rel: hashlib.sha256(raw).hexdigest() for rel, raw in files.items()}


def _lint(plan: Plan, cache: Cache, pieces: dict[tuple[str, str], Any] | None,
          workers: int) -> tuple[list[Diagnostic], list[str]]:
    """lint_plan's findings, each shot's reused while its compiled shot-and-targets are the ones they were found in
    (the cache keys hash what each was compiled from: the shot, the film around it, the targets); the checks that
    compare shots run again over the whole plan. The shots found again, and emit's pieces not in `pieces` (which
    gets them; None: no pieces are made), are made on `workers` processes when there are many."""
    from .expand.lint import ShotFindings, ShotLinter, lint_plan

    prod = plan.prod
    if prod.doc is None:
        return lint_plan(plan), [rs.id for rs in plan.shots]
    keys_of: dict[str, list[str]] = {}  # shot -> its pairs' keys, in target order
    for (shot, _), k in plan.keys.items():
        keys_of.setdefault(shot, []).append(k)
    prompts_of: dict[str, list[CompiledPrompt]] = {rs.id: [] for rs in plan.shots}
    for p in plan.prompts:
        prompts_of[p.shot].append(p)
    lint_keys: dict[str, str] = {}
    stored_of: dict[str, Any] = {}
    for rs in plan.shots:
        keys = keys_of.get(rs.id, [])
        prompts = prompts_of[rs.id]
        if prompts and len(keys) == len(prompts):  # else nothing compiled, or compiled without a key: lint it
            # (led by the shot's key's first digits: the findings are kept in the bucket of the shot's pairs)
            key = lint_keys[rs.id] = "lint:" + keys[0][:2] + hashlib.sha1(
                "\n".join([rs.id, rs.shot.pointer, *keys]).encode()).hexdigest()
            stored = cache.get(key)
            if isinstance(stored, tuple) and len(stored) == 2:
                stored_of[rs.id] = stored
    linted = [rs.id for rs in plan.shots if rs.id not in stored_of]
    stored_of.update(_shot_work(plan, prompts_of, set(linted), pieces, workers))

    def found(linter: ShotLinter, rs: ResolvedShot, prompts: Sequence[CompiledPrompt]) -> ShotFindings:
        stored = stored_of[rs.id]
        if rs.id in lint_keys:
            plan.cache[lint_keys[rs.id]] = stored
        shot_items, by_target = stored
        if shot_items is None:  # nothing found in the shot (see _shot_work)
            return [], {t: ((), vk, (), (), ()) for t, vk in by_target}
        return (_located(shot_items, prod), {
            t: (_located(a, prod), vk, _located(b, prod), _located(v, prod), _located(f, prod))
            for t, a, vk, b, v, f in by_target})

    return lint_plan(plan, found), linted


def _shot_work(plan: Plan, prompts_of: dict[str, list[CompiledPrompt]], to_lint: set[str],
               pieces: dict[tuple[str, str], Any] | None, workers: int) -> dict[str, Any]:
    """What is left to make shot by shot once the plan is compiled: the findings of the shots in `to_lint` (plain,
    see _stored), returned by shot, and emit's pieces of pairs not in `pieces`, added to it (None: none made)."""
    from .emit.files import piece
    from .expand.lint import ShotLinter
    from .expand.parallel import compile_all

    prod = plan.prod
    made_already = pieces if pieces is not None else {(p.shot, p.target): None for p in plan.prompts}
    todo = [rs for rs in plan.shots if rs.id in to_lint
            or any((rs.id, p.target) not in made_already for p in prompts_of[rs.id])]
    if not todo:
        return {}
    linter = ShotLinter(plan)
    plan.jobs.of("", "")  # (its index of the pairs made once, before the workers fork)

    def one(n: int) -> tuple[str, Any]:
        rs = todo[n]
        stored: tuple[Any, list[tuple[Any, ...]]] | None = None  # (see found, in _lint)
        if rs.id in to_lint:
            shot_found, by_target = linter.shot(rs, prompts_of[rs.id])
            if shot_found or any(a or b or v or f for a, _, b, v, f in by_target.values()):
                stored = ([_stored(d, prod) for d in shot_found], [_stored_prompt(t, pf, prod)
                                                                 for t, pf in by_target.items()])
            else:  # (most shots: nothing found, only the keys P404 compares across shots kept)
                stored = (None, [(t, pf[1]) for t, pf in by_target.items()])
        made = [(p.target, piece(plan, p, plan.jobs.of(p.shot, p.target)))
                for p in prompts_of[rs.id] if (p.shot, p.target) not in made_already]
        return ("ok", (stored, made))

    out: dict[str, Any] = {}
    for rs, (_, (stored, made)) in zip(todo, compile_all(len(todo), one, workers=workers)):
        if stored is not None:
            out[rs.id] = stored
        for target, made_piece in made:
            made_already[(rs.id, target)] = made_piece
    return out


def _stored_prompt(target: str, pf: PromptFindings, prod: Production) -> tuple[Any, ...]:
    """One prompt's findings as plain data (see _stored)."""
    a, vk, b, v, f = pf
    return (target, [_stored(d, prod) for d in a], vk, *([_stored(d, prod) for d in x] for x in (b, v, f)))


def _located(found: list[Any], prod: Production) -> list[Diagnostic]:
    """Stored findings located again: a change elsewhere in film.yaml (a comment, a shot above) moves them without
    changing them."""
    if not found:
        return []
    c = prod.collector()
    for code, severity, message, pointer, hint, on_key in found:
        c.add(code, message, pointer, severity=severity, hint=hint, key=on_key)
    return c.items


def _stored(d: Diagnostic, prod: Production) -> tuple[str, str, str, str, str | None, bool]:
    """A finding as plain data, without its place: whether it points at the key or the value of its pointer."""
    doc = prod.doc
    on_key = doc is not None and bool(d.line) and doc.locate(d.pointer) != (d.line, d.col)
    return (d.code, d.severity, d.message, d.pointer, d.hint, on_key)


EDIT_CODE = ("resolve.py", "output_names.py", "fonts.py", "segments.py")  # besides edit/ and timeline/


def _edit_key(prod: Production, edit_dir: Path) -> str:
    """What build/edit/ depends on: the whole film, the song's length, takes/ and the render code."""
    import hashlib
    import marshal

    from .fonts import font_file
    from .load.document import list_blob
    from .store.takes import image_takes_stamp

    h = hashlib.sha256()
    # marshal.dumps([the film's data, the song's length, the edit folder, the fonts], 0) (format 0: equal plain data,
    # equal bytes), the data as the load wrote it
    h.update(list_blob([prod.doc.data_blob() if prod.doc else marshal.dumps(None, 0), *(
        marshal.dumps(x, 0) for x in (prod.song_duration, str(edit_dir), str(font_file()), str(font_file(bold=True))))]))
    takes = prod.film.root / "takes"
    if takes.is_dir():
        for entry in sorted(os.scandir(takes), key=lambda e: e.name):
            try:
                st = entry.stat()
            except OSError:  # a broken link: its own stat (nothing is opened, so a pipe costs nothing either)
                st = entry.stat(follow_symlinks=False)
            h.update(f"{entry.name}|{st.st_size}|{st.st_mtime_ns}".encode())
        h.update(image_takes_stamp(prod.film.root).encode())  # filmc run's takes/<shot>/<target>/<n>.<ext>
        h.update(_segments_stamp(prod).encode())
    here = Path(__file__).parent
    for src in [*sorted((here / "edit").glob("*.py")), *sorted((here / "timeline").glob("*.py")),
                *(here / name for name in EDIT_CODE)]:  # the code the edit is made by
        h.update(src.read_bytes())
    return EDIT + h.hexdigest()


def _segments_stamp(prod: Production) -> str:
    """What the later segments an extended shot plays depend on: the ledger, and its takes' folders."""
    from .store.ledger import LEDGER

    root = prod.film.root
    parts: list[str] = []
    for s in prod.shots:
        if not (s.shot.extend or s.shot.segments):
            continue
        for path in [root / LEDGER, *((root / "takes" / s.id / t) for t in prod.film.targets.video)]:
            try:
                st = os.stat(path)
            except OSError:
                continue
            parts.append(f"{path}|{st.st_size}|{st.st_mtime_ns}")
    return "\n".join(parts)


def _with_fonts(edit: dict[str, str | bytes]) -> dict[str, str | bytes]:
    """Cached edit outputs keep text only; the font files are read again (they are large and never change)."""
    if any(k.startswith("edit/font/") for k in edit):
        return edit
    from .fonts import font_file

    out = dict(edit)
    for bold, name in ((False, "regular"), (True, "bold")):
        font = font_file(bold=bold)
        out[f"edit/font/{name}{font.suffix.lower()}"] = font.read_bytes()
    return dict(sorted(out.items()))


def _edit_aside(path: str | Path, allow_outside: bool, cache_dir: Path | None,
                build_dir: Path) -> tuple[str, EditFiles, SlateFiles, FilmParts | None]:
    """What a child process makes from the production alone: the film loaded, the edit's key (what it was made
    from: the whole film and the song), its files (see _edit_and_slates) and the other outputs' parts that depend
    on the film alone (emit.files.film_parts)."""
    from .emit.files import film_parts

    prod = resolve_film(path, allow_outside=allow_outside, kept=cache_dir / DOCUMENT if cache_dir else None)
    with paused_gc():
        key = _edit_key(prod, build_dir / "edit")
        edit, slates = _edit_and_slates(prod, build_dir / "edit", cache_dir)
        parts = film_parts(prod)
        if _edit_key(prod, build_dir / "edit") != key:  # takes/ changed while it was made: the key names neither
            key = ""
        return key, edit, slates, parts


def _edit_and_slates(prod: Production, edit_dir: Path, cache_dir: Path | None) -> tuple[EditFiles, SlateFiles]:
    """edit_files (but the fonts: _with_fonts reads them; see _encoded), and this build's slate chains as cache
    entries (the last build's, in the cache, are reused where they still hold): the slate files that hold them
    already, the entries of the others (build_cache.slate_files)."""
    slates: Slates = {v[0]: (v[1], v[2]) for v in (read_slates(cache_dir) if cache_dir else {}).values()}
    edit = edit_files(prod, edit_dir, slates)
    entries = {SLATE + hashlib.sha1(memo.encode("utf-8", "surrogatepass")).hexdigest(): (memo, chain, drawn)
               for memo, (chain, drawn) in slates.items()}
    made = slate_files(cache_dir, entries) if cache_dir else ([], entries)
    return _encoded(edit), made


def edit_files(prod: Production, edit_dir: Path, slates: Slates | None = None) -> dict[str, str | bytes]:
    """build/edit/: the standalone render script, its filter graph, text files and font, the subtitles
    (`slates`: the last build's slate chains, replaced by this one's)."""
    from .edit import edit_outputs

    return {f"edit/{rel}": content for rel, content in edit_outputs(prod, edit_dir=edit_dir, slates=slates).items()}
