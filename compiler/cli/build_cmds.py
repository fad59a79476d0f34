"""Compile commands: build, show, lint, lock, diff, targets."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..pipeline.options import Loading
from . import EXIT_INPUT, F, State, film_arg, format_option, load_options, main, report


def _target_opt(f: F) -> F:
    return click.option("--target", "-t", "targets", multiple=True,
                        help="Only this target (repeatable; default: the film's targets).")(f)


def _lines_of(prod: Any) -> dict[str, list[str]]:
    return dict(prod.sources())


@main.command(short_help="Compile prompts, jobs, the shot list and the edit into build/.")
@film_arg
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Build folder (default: build/ beside film.yaml).")
@_target_opt
@click.option("--select", help="Only these shots: ids, globs (s0*) or section:<id>, comma-separated.")
@click.option("--dry-run", is_flag=True, help="Say what would be written or removed; write nothing.")
@load_options
@click.pass_context
def build(ctx: click.Context, film: str, out_dir: Path | None, targets: tuple[str, ...], select: str | None,
          dry_run: bool, allow_outside_paths: bool) -> None:
    """Compile FILM into prompts, job manifests, a shot list and the edit script.

    \b
    Writes into build/ beside film.yaml:
      prompts/<target>/<shot>.txt   the prompt to paste or send (+ .negative.txt)
      prompts/<target>.md           one readable sheet per target
      jobs/<target>.jsonl           one API request per generation job
      shotlist.csv                  the storyboard as a spreadsheet
      edit/                         render.sh, the filter graph, lyrics.srt
      manifest.json                 the resolved film, timeline and output hashes
    Building twice writes nothing the second time.

    \b
    Examples:
      filmc build specs/lighthouse-keeper
      filmc build film.yaml --target kling --select section:chorus1 --dry-run
    """
    from ..compiling import compile_film, write_cache
    from ..emit import emit_build, partial_outputs
    from ..errors import UsageError
    from ..loading import film_path

    state = ctx.find_object(State)
    verbose = state.verbosity if state else 0
    out = out_dir or film_path(film).parent / "build"
    bars = _BuildProgress(verbose >= 0 and sys.stderr.isatty())
    try:
        # A partial build still compiles every shot and the film's targets (cheap from the cache), so the
        # shared files stay whole; it only limits which outputs are written.
        plan, warnings, extra = compile_film(film, targets=list(targets) or None, all_targets=True,
                                             allow_outside=allow_outside_paths, cache_dir=out,
                                             progress=bars.phase("compiling", "prompts"))
        bars.close()
        if verbose >= 0:
            _report_new(warnings, _lines_of(plan.prod), out, film, remember=not dry_run, everything=verbose > 0)
        only = chosen = None
        if select or targets:
            from ..expand import select_shots

            chosen = {s.id for s in select_shots(plan.prod, select)} if select else None
            if chosen is not None and not chosen:
                raise UsageError(f"--select '{select}' matches no shot (ids, globs like s0*, or section:<id>)")
            only = partial_outputs(plan, chosen, set(targets) if targets else None)
        result = emit_build(plan, out, extra=extra, dry_run=dry_run, only=only,
                            progress=bars.phase("writing", "files"))
    finally:
        bars.close()
    if not dry_run:
        write_cache(out, plan.cache)
    verb = "would write" if dry_run else "wrote"
    if dry_run or verbose > 0:
        for rel in result.written:
            click.echo(f"{verb} {out / rel}")
        for rel in result.removed:
            click.echo(f"{'would remove' if dry_run else 'removed'} {out / rel}")
    if verbose >= 0:
        wanted = set(targets) if targets else None
        n_shots = len(chosen) if chosen is not None else len(plan.shots)
        n_targets = len(wanted) if wanted is not None else len(plan.targets)
        jobs = sum(1 for j in plan.jobs if (chosen is None or j.shot in chosen) and (wanted is None or j.target in wanted))
        click.echo(f"{out}: {_of(n_shots, len(plan.shots), 'shot')} x {_of(n_targets, len(plan.targets), 'target')}, "
                   f"{jobs} job{'s' if jobs != 1 else ''}; "
                   f"{verb} {len(result.written)}, removed {len(result.removed)}, unchanged {result.unchanged}")


def _of(n: int, total: int, noun: str) -> str:
    """'4 of 14 shots' for part of the film, '14 shots' for all of it."""
    return f"{n} of {total} {noun}s" if n != total else f"{n} {noun}{'s' if n != 1 else ''}"


PROGRESS_PAIRS = 200  # builds of more shot x target pairs than this show a progress bar on a terminal


class _BuildProgress:
    """One bar per phase of a big build (compiling, writing) on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.big = False
        self.label = ""
        self.bar: Any = None

    def phase(self, label: str, unit: str) -> Callable[[int, int], None] | None:
        if not self.enabled:
            return None
        return lambda done, total: self._update(label, unit, done, total)

    def _update(self, label: str, unit: str, done: int, total: int) -> None:
        if label != self.label:
            self.close()
            self.label = label
            if label == "compiling":
                self.big = total > PROGRESS_PAIRS
            if self.big and total > 0:
                from ..progress import make_progress

                self.bar = make_progress(total, label, unit=unit)
        if self.bar is not None:
            self.bar(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


WARNINGS_SHOWN = ".filmc/warnings.json"


def _report_new(warnings: list[Any], lines: dict[str, list[str]], out: Path, film: str, *, remember: bool,
                everything: bool) -> None:
    """Print the warnings the last build did not already show (all of them with -v); one line for the rest."""
    from ..emit import write_internal

    def key(d: Any) -> str:
        return json.dumps([d.code, d.file, d.pointer, d.message], ensure_ascii=False)

    try:
        seen = set(json.loads((out / WARNINGS_SHOWN).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        seen = set()
    new = warnings if everything else [d for d in warnings if key(d) not in seen]
    report(new, lines)
    repeated = len(warnings) - len(new)
    if repeated:
        click.echo(f"{repeated} warning{'s' if repeated != 1 else ''} unchanged since the last build "
                   f"(`filmc lint {film}` lists them)", err=True)
    if remember:
        keys = sorted({key(d) for d in warnings})
        if set(keys) != seen or not (out / WARNINGS_SHOWN).exists():
            write_internal(out, WARNINGS_SHOWN, (json.dumps(keys, ensure_ascii=False, indent=0) + "\n").encode())


@main.command()
@film_arg
@click.argument("shot")
@_target_opt
@format_option
@load_options
@click.pass_context
def show(ctx: click.Context, film: str, shot: str, targets: tuple[str, ...], fmt: str, allow_outside_paths: bool) -> None:
    """Print one SHOT's compiled prompts (every target, or --target T).

    \b
    Examples:
      filmc show film.yaml s04
      filmc show film.yaml s04 -t kling --format json
    """
    from ..pipeline.prompts import show_shot

    ctx.meta["filmc.format"] = fmt
    view = show_shot(Loading(film, allow_outside_paths), shot, targets=targets)
    if fmt == "json":
        click.echo(json.dumps(view.as_dict(), indent=2, ensure_ascii=False, sort_keys=True))
        return
    for bold, rest in view.lines():
        click.echo((click.style(bold, bold=True) if bold else "") + rest)


@main.command(short_help="Check the compiled prompts (names, motion, lengths, negatives).")
@film_arg
@_target_opt
@format_option
@load_options
@click.pass_context
def lint(ctx: click.Context, film: str, targets: tuple[str, ...], fmt: str, allow_outside_paths: bool) -> None:
    """Check the compiled prompts: names, references to other shots, empty or duplicated motion,
    dropped character descriptions, length limits, negatives and camera moves a target cannot take.

    Exits 1 when anything is found.
    """
    from ..pipeline.prompts import lint_film

    ctx.meta["filmc.format"] = fmt
    result = lint_film(Loading(film, allow_outside_paths), targets=targets)
    report(result.findings, result.sources, fmt)
    if result.findings:
        ctx.exit(EXIT_INPUT)
    if fmt == "text":
        click.echo(f"{film}: {result.prompts} prompts, no findings")


@main.command(short_help="Snapshot every compiled prompt into prompts.lock.")
@film_arg
@click.option("-o", "--lock", "lock_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Lock file (default: prompts.lock beside film.yaml).")
@load_options
@click.pass_context
def lock(ctx: click.Context, film: str, lock_path: Path | None, allow_outside_paths: bool) -> None:
    """Write prompts.lock: every compiled prompt, to review changes with `filmc diff`."""
    from ..pipeline.prompts import lock_film

    result = lock_film(Loading(film, allow_outside_paths), lock_path=lock_path)
    click.echo(f"{'wrote' if result.changed else 'unchanged'} {result.path} ({result.prompts} prompts)")


@main.command(short_help="Show how the compiled prompts differ from prompts.lock.")
@film_arg
@click.option("--lock", "lock_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Lock file (default: prompts.lock beside film.yaml).")
@click.option("--check", is_flag=True, help="Exit 1 when any prompt differs from the lock (for CI).")
@load_options
@click.pass_context
def diff(ctx: click.Context, film: str, lock_path: Path | None, check: bool, allow_outside_paths: bool) -> None:
    """Show how the compiled prompts differ from prompts.lock, as a unified diff per shot and target."""
    from ..pipeline.prompts import diff_film

    result = diff_film(Loading(film, allow_outside_paths), lock_path=lock_path)
    click.echo(result.text, nl=False)
    if result.changes:
        click.echo(f"{result.changes} prompt{'s' if result.changes != 1 else ''} changed", err=True)
        if check:
            ctx.exit(EXIT_INPUT)
    else:
        click.echo("prompts match the lock", err=True)


@main.group()
def targets() -> None:
    """List the generation targets, or show one in detail."""


@targets.command("list")
@click.argument("film", required=False, type=click.Path(dir_okay=True, path_type=str))
@format_option
def targets_list(film: str | None, fmt: str) -> None:
    """Built-in targets, plus those in targets/ beside FILM: what each takes (references, an end frame), the
    durations it makes and its cheapest known price, to choose a model for a shot (`targets show NAME`: more)."""
    from ..pipeline.targets import list_targets

    listed = list_targets(film)
    if fmt == "json":
        click.echo(json.dumps(listed.as_data(), indent=2, ensure_ascii=False))
        return
    for line in listed.lines():
        click.echo(line)


@targets.command("show")
@click.argument("name")
@click.argument("film", required=False, type=click.Path(dir_okay=True, path_type=str))
@click.option("--full", is_flag=True, help="Also print the whole definition (capabilities, options, providers, prices).")
@format_option
def targets_show(name: str, film: str | None, full: bool, fmt: str) -> None:
    """Target NAME at a glance: kind, models, durations, aspects, negatives, references, providers, prices.

    \b
    Examples:
      filmc targets show kling
      filmc targets show kling --full        # and the whole definition as YAML
      filmc targets show kling --format json # the whole definition, every capability filled in
      filmc targets show mine my-film        # a target in targets/ beside the film
      filmc targets show kling --format json # the whole definition, every capability filled in
    """
    from ..pipeline.targets import show_target

    view = show_target(name, film)
    if fmt == "json":
        click.echo(json.dumps(view.as_data(), indent=2, ensure_ascii=False))
    else:
        click.echo(view.text(full=full), nl=False)
