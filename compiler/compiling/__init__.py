"""The build stage as the commands share it: compile a film (reusing what the last build's cache holds: compiled
shots, lint's findings, sheet pieces, slates, the edit's files; see build_cache), lint it, and make the edit's
files."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..aside import Aside
from ..build_cache import (
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
from ..diagnostics import Diagnostic
from ..load import paused_gc
from ..loading import film_path, resolve_film
from ..paths import build_folder
from ..resolve import Production
from .findings import ShotWork, lint_compiled, of_targets

if TYPE_CHECKING:
    from ..edit.graph import Slates
    from ..emit.files import FilmParts, PlanParts
    from ..expand import Plan


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
    film_warnings: list[Diagnostic] = field(default_factory=list)  # every target's (`warnings`: the asked ones')

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
    With `all_targets`, the film's targets are compiled besides `targets`, and lint reports on `targets` only.
    `sheets=False`: neither the prompts' parts of the sheets and jobs files nor the edit are made (the commands
    that write no build).
    """
    from ..expand import expand_production

    build_dir = cache_dir or build_folder(film_path(path).parent)
    # The edit is made on the other core from the start: the child loads the film itself (a fork this early copies
    # little; one made after the film is loaded makes this process pay for every page it then touches), and its
    # files are used only if they are of the film this process compiles (the same edit key: aside.py, _edit_key).
    aside: Aside[tuple[str, EditFiles, SlateFiles, FilmParts | None, KeptParse]] | None = None
    edit: EditFiles = ({}, {})
    slates: SlateFiles = ([], {})  # the slate files kept as they are, the entries of those to write
    parts: FilmParts | None = None
    try:
        if sheets:
            aside = Aside(partial(_edit_aside, path, allow_outside, cache_dir, build_dir), fork=workers > 1)
        # (a whole parse's record for the next load is made by the child too: it hands it over, see _edit_aside)
        prod = resolve_film(path, allow_outside=allow_outside, kept=cache_dir / DOCUMENT if cache_dir else None,
                            keep_later=aside is not None and aside.pid is not None)
        asked = set(targets) if targets else None  # (whose findings are reported)
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
                                     workers=workers, per_shot=ShotWork(prod, sheets) if prod.doc else None)
            pieces = {pair: piece for pair, k in plan.keys.items()
                      if isinstance(piece := cache.get("emit:" + k), tuple) and len(piece) == 2}
            # (without all_targets the plan holds the asked targets only: their findings are all there are)
            found, linted, every = lint_compiled(plan, cache, pieces if sheets else None, workers,
                                                 asked if all_targets else None)
            # (made here, before the edit's process is waited for: it may still be working)
            planned = None
            if sheets:
                from ..emit.files import plan_parts

                planned = plan_parts(plan, pieces)
            if aside is not None and key is not None and kept is None:
                here = partial(_edit_and_slates, prod, build_dir / "edit", cache_dir)
                made_for, edit, slates, parts, parse = aside.result(otherwise=lambda: (key, *here(), None, None))
                if made_for != key:  # the child read another film.yaml (saved in between), takes/ or fonts
                    (edit, slates), parts = here(), None
                elif prod.doc is not None and parse is not None:
                    prod.doc.kept_by_another(*parse)
    finally:
        if aside is not None:
            aside.close()
    warnings = [d for d in prod.warnings if asked is None or of_targets(d, asked)] + found
    film_warnings = warnings if asked is None else list(prod.warnings) + every
    files: dict[str, str | bytes] = {}
    if key is not None:
        plan.cache[key] = (EDIT_HASHES, edit[1])  # (the files are build/edit/'s: see _kept_edit)
        plan.cache.update(slates[1])  # each slate an entry of its own: one shot's edit changes one bucket
        files = _with_fonts(dict(edit[0]))
    return CompiledFilm(plan, warnings, files, tuple(linted), pieces, parts, index, tuple(slates[0]), planned,
                        edit[1], film_warnings)


KeptParse = tuple[str | None, tuple[bytes, ...] | None] | None  # (the film's digest, the load's `keep`)
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


EDIT_CODE = ("resolve.py", "output_names.py", "fonts.py", "segments.py")  # besides edit/ and timeline/


def _edit_key(prod: Production, edit_dir: Path) -> str:
    """What build/edit/ depends on: the whole film, the song's length, takes/ and the render code."""
    import marshal

    from ..fonts import font_file
    from ..load.document import list_blob
    from ..store.takes import image_takes_stamp

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
    here = Path(__file__).parent.parent  # (the package)
    for src in [*sorted((here / "edit").glob("*.py")), *sorted((here / "timeline").glob("*.py")),
                *(here / name for name in EDIT_CODE)]:  # the code the edit is made by
        h.update(src.read_bytes())
    return EDIT + h.hexdigest()


def _segments_stamp(prod: Production) -> str:
    """What the later segments an extended shot plays depend on: the ledger, and its takes' folders."""
    from ..store.ledger import LEDGER

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
    from ..fonts import font_file

    out = dict(edit)
    for bold, name in ((False, "regular"), (True, "bold")):
        font = font_file(bold=bold)
        out[f"edit/font/{name}{font.suffix.lower()}"] = font.read_bytes()
    return dict(sorted(out.items()))


def _edit_aside(path: str | Path, allow_outside: bool, cache_dir: Path | None,
                build_dir: Path) -> tuple[str, EditFiles, SlateFiles, FilmParts | None, KeptParse]:
    """What a child process makes from the production alone: the film loaded, the edit's key (what it was made
    from: the whole film and the song), its files (see _edit_and_slates), the other outputs' parts that depend
    on the film alone (emit.files.film_parts) and the parse kept for the next load, with the digest of the bytes it
    was made from (see Document.kept_by_another)."""
    from ..emit.files import film_parts

    prod = resolve_film(path, allow_outside=allow_outside, kept=cache_dir / DOCUMENT if cache_dir else None)
    with paused_gc():
        key = _edit_key(prod, build_dir / "edit")
        edit, slates = _edit_and_slates(prod, build_dir / "edit", cache_dir)
        parts = film_parts(prod)
        if _edit_key(prod, build_dir / "edit") != key:  # takes/ changed while it was made: the key names neither
            key = ""
        doc = prod.doc
        return key, edit, slates, parts, (doc.digest, doc.kept_records()) if doc is not None else None


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
    from ..edit import edit_outputs

    return {f"edit/{rel}": content for rel, content in edit_outputs(prod, edit_dir=edit_dir, slates=slates).items()}
