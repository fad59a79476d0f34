"""`filmc build`: compile the film and write build/ (prompt sheets, jobs, shot list, the edit, the manifest)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Diagnostic
from ..interrupt import Interrupted
from ..leftovers import keep
from ..paths import build_folder
from .options import Loading
from .unchanged import Summary, film_digest, inputs_key, remember, unchanged, with_film

Progress = Callable[[int, int], None]
WARNINGS_SHOWN = ".filmc/warnings.json"


class BuildStopped(Interrupted):
    """A build stopped by a signal. Every file is written whole or not at all; the next build finishes the job."""

    line_format = "filmc: stopped ({message}): no file is half-written; build again to finish"
    late_format = "filmc: stopped ({message}) as the build ended: its files are written"


@dataclass(frozen=True)
class FilmBuild:
    """What a build did (or, with dry_run, would do)."""

    out_dir: Path
    written: tuple[str, ...]  # paths in out_dir
    removed: tuple[str, ...]
    unchanged: int  # outputs already as they should be
    warnings: tuple[Diagnostic, ...]  # every warning of the film
    new_warnings: tuple[Diagnostic, ...]  # those the last build did not already report
    sources: dict[str, Sequence[str]]  # the film's lines by file, to show the warnings in place
    shots: int  # compiled for the build's selection ...
    total_shots: int  # ... of all the film's shots
    targets: int
    total_targets: int
    jobs: int  # of the selected shots and targets
    dry_run: bool = False
    compiled: bool = True  # False: nothing had changed since the last build, so nothing was compiled
    warning_keys: tuple[str, ...] = ()  # each warning's identity across builds (see _warning_keys)
    partial: bool = False  # some targets only: its warnings are not all of the film's
    film_keys: tuple[str, ...] | None = None  # a partial build's: the identities of every target's warnings


def build_film(loading: Loading, *, out_dir: Path | None = None, targets: Sequence[str] = (),
               select: str | None = None, dry_run: bool = False,
               compiling: Progress | None = None, writing: Progress | None = None,
               workers: int | None = None) -> FilmBuild:
    """load -> validate -> resolve -> expand -> lint -> the edit -> emit -> the cache for the next build.

    A partial build (`targets`, `select`) still compiles every shot and the film's targets (cheap from the
    cache), so the shared files stay whole; it only limits which outputs are written. `new_warnings`: those no
    build has reported yet; once the caller has shown them, warnings_reported() records it. `compiling` and
    `writing` hear `(done, total)` of the shot-and-target pairs compiled and the files written. `workers`: processes that share a
    cold compile (default: the cores this process may use, at most 4); the outputs are the same for any number.
    """
    film, allow_outside = loading.film, loading.allow_outside
    path = loading.path
    out = out_dir or build_folder(path.parent)
    inputs = None if allow_outside else inputs_key(path, out, (film, tuple(targets), select))
    same = unchanged(out, with_film(inputs, film_digest(path)) if inputs is not None else None)
    if same is not None:
        return FilmBuild(out, (), (), same.files or _outputs(out), same.warnings, _new_warnings(out, same.warnings, same.keys),
                         _sources(film, same.warnings), same.shots, same.total_shots, same.targets,
                         same.total_targets, same.jobs, dry_run=dry_run, compiled=False, warning_keys=same.keys,
                         partial=bool(targets))
    if workers is None:
        from ..expand.parallel import workers_available

        workers = workers_available()
    from ..interrupt import interruptible

    try:
        with interruptible():  # Ctrl-C, SIGTERM, SIGHUP: BuildStopped, exit 128 + signum
            return _build(film, out, inputs, targets, select, dry_run, allow_outside, compiling, writing, workers)
    except Interrupted as e:
        raise BuildStopped(e.signum, late=e.late) from None


def _build(film: str, out: Path, inputs: str | None, targets: Sequence[str], select: str | None, dry_run: bool,
           allow_outside: bool, compiling: Progress | None, writing: Progress | None,
           workers: int) -> FilmBuild:
    from ..emit import freed

    try:
        return _built(film, out, inputs, targets, select, dry_run, allow_outside, compiling, writing, workers)
    finally:
        freed()  # (the replaced outputs' blocks are freed on the other core meanwhile: see emit.state.Writer)


def _built(film: str, out: Path, inputs: str | None, targets: Sequence[str], select: str | None, dry_run: bool,
           allow_outside: bool, compiling: Progress | None, writing: Progress | None,
           workers: int) -> FilmBuild:
    import gc

    from ..build_cache import write_cache
    from ..compiling import compile_film
    from ..emit import emit_build, partial_outputs
    from ..load import paused_gc

    with paused_gc():  # tens of thousands of acyclic objects: collecting as they are made costs more than the build
        compiled = compile_film(film, targets=list(targets) or None, all_targets=True, allow_outside=allow_outside,
                                cache_dir=out, progress=compiling, workers=workers)
        plan = compiled.plan
        chosen = None
        if select:
            from ..edit.shots import select_shots as checked

            chosen = {s.id for s in checked(plan.prod, select)}  # (a term matching no shot: UsageError, did you mean)
        only = partial_outputs(plan, set(targets) if targets else None) if select or targets else None
        result = emit_build(plan, out, extra=compiled.edit, dry_run=dry_run, only=only, progress=writing,
                            pieces=compiled.pieces, parts=compiled.parts, planned=compiled.planned,
                            known=compiled.edit_hashes)
        warnings = tuple(compiled.warnings)
        doc = plan.prod.doc
        shots_data = doc.data.get("shots") if doc else None
        keys = _warning_keys(warnings, shots_data, doc.display if doc else None)
        film_keys = _warning_keys(compiled.film_warnings, shots_data, doc.display if doc else None) \
            if targets else None
        new = _new_warnings(out, warnings, keys)
        wanted = set(targets) if targets else None
        summary = Summary(
            warnings, len(chosen) if chosen is not None else len(plan.shots), len(plan.shots),
            len(wanted) if wanted is not None else len(plan.targets), len(plan.targets),
            plan.jobs.count_of(chosen, wanted),
            keys, len(result.written) + result.unchanged)
        if not dry_run:
            write_cache(out, compiled.cache_entries(), plan.prod.doc.kept_records() if plan.prod.doc else None, compiled.index,
                        compiled.kept_files)
            # (the key names the bytes the build was made from: a save since makes the next build compile)
            remember(out, with_film(inputs, plan.prod.doc.digest if plan.prod.doc else None), summary)
        gc.freeze()  # what the build made joins the oldest generation unscanned (the GC has not seen it yet:
        gc.unfreeze()  # once it runs again, it would scan every object of the build at its next allocation)
    keep(compiled)  # (under the console script, freed by the process's end, not one object at a time)
    return FilmBuild(out, tuple(result.written), tuple(result.removed), result.unchanged, warnings, new,
                     dict(plan.prod.sources()), summary.shots, summary.total_shots, summary.targets, summary.total_targets,
                     summary.jobs, dry_run=dry_run, warning_keys=keys, partial=bool(targets),
                     film_keys=film_keys)


def _outputs(out: Path) -> int:
    from ..emit.state import read_state

    return len(read_state(out).entries)


def _sources(film: str, warnings: Sequence[Diagnostic]) -> dict[str, Sequence[str]]:
    """The lines of the files the warnings are in (read only when there are warnings to show)."""
    from ..paths import film_path

    if not warnings:
        return {}
    try:
        return {warnings[0].file: film_path(film).read_text(encoding="utf-8").splitlines()}
    except OSError:
        return {}


_SHOT_INDEX = re.compile(r"/shots/(\d+)(?=/|\b|$)")


def _warning_keys(warnings: Sequence[Diagnostic], shots: object, film: str | None = None) -> tuple[str, ...]:
    """Each warning's identity across builds: its code, file, pointer and message, with a shot's place in the list
    (`/shots/12`) named by its id, so a shot put in or taken out above does not make the warnings below new, and
    film.yaml (`film`: its name in the diagnostics, the path as typed) named as one, however it is typed."""
    ids = [s.get("id") if isinstance(s, dict) else None for s in shots] if isinstance(shots, list) else []

    def by_id(m: re.Match[str]) -> str:
        n = int(m.group(1))
        shot = ids[n] if n < len(ids) else None
        return f"/shots/{shot}" if isinstance(shot, str) else m.group(0)

    return tuple(json.dumps([d.code, "" if d.file == film else d.file, _SHOT_INDEX.sub(by_id, d.pointer),
                             _SHOT_INDEX.sub(by_id, d.message)], ensure_ascii=False) for d in warnings)


def _new_warnings(out: Path, warnings: Sequence[Diagnostic], keys: Sequence[str]) -> tuple[Diagnostic, ...]:
    """The warnings no build has reported yet (`keys`: their identities, see _warning_keys)."""
    new = set(keys) - _reported(out)
    return tuple(d for d, k in zip(warnings, keys, strict=True) if k in new)


def _reported(out: Path) -> set[str]:
    try:
        seen = json.loads((out / WARNINGS_SHOWN).read_text(encoding="utf-8"))
        return {k for k in seen if isinstance(k, str)} if isinstance(seen, list) else set()
    except (OSError, ValueError, TypeError):
        return set()


def warnings_reported(build: FilmBuild) -> None:
    """After the caller has shown a build's new warnings: the next build counts them as reported (recorded only
    now, so a build stopped before or while they are shown shows them again). A full build's warnings replace the
    record (one fixed and made again is new); a partial build's join it, with those of the other targets' the
    record holds that are still found (the others are fixed)."""
    from ..emit import write_internal

    if build.dry_run:
        return
    before = _reported(build.out_dir)
    if build.partial:
        kept = before if build.film_keys is None else before & set(build.film_keys)
        ordered = sorted(set(build.warning_keys) | kept)
    else:
        ordered = sorted(set(build.warning_keys))
    if set(ordered) != before or not (build.out_dir / WARNINGS_SHOWN).exists():
        text = json.dumps(ordered, ensure_ascii=False, indent=0) + "\n"
        write_internal(build.out_dir, WARNINGS_SHOWN, text.encode())
