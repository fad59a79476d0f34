"""Compile commands: build, show, lint, lock, diff, targets."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..pipeline.options import Loading
from ..plurals import plural
from . import EXIT_INPUT, F, State, film_arg, format_option, load_options, main, report


def _target_opt(f: F) -> F:
    return click.option("--target", "-t", "targets", multiple=True,
                        help="Only this target (repeatable; default: the film's targets).")(f)



@main.command(short_help="Compile prompt sheets, jobs, the shot list and the edit into build/.")
@film_arg
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Build folder (default: build/ beside film.yaml).")
@_target_opt
@click.option("--select", help="Only count these shots (ids, globs (s0*) or section:<id>, comma-separated); "
              "the sheets and jobs files always hold every shot, and build/edit/ is left as it was until a build "
              "without --select or --target.")
@click.option("--dry-run", is_flag=True, help="Say what would be written or removed; write nothing.")
@click.option("-j", "--jobs", "workers", type=click.IntRange(1, 64), metavar="N",
              help="Processes that share compiling a big film (default: the cores, at most 4).")
@load_options
@click.pass_context
def build(ctx: click.Context, film: str, out_dir: Path | None, targets: tuple[str, ...], select: str | None,
          dry_run: bool, workers: int | None, allow_outside_paths: bool) -> None:
    """Compile FILM into prompt sheets, job manifests, a shot list and the edit script.

    \b
    Writes into build/ beside film.yaml:
      prompts/<target>.md           every prompt of a target, shot by shot, to paste
      jobs/<target>.jsonl           one API request per generation job (its prompt inside)
      shotlist.csv                  the storyboard as a spreadsheet
      edit/                         render.sh, its filter graph, the texts it draws (texts.txt),
                                    the font and lyrics.srt
      manifest.json                 the resolved film, timeline and output hashes
    Building twice writes nothing the second time. `filmc show FILM SHOT` prints one shot's prompts.

    \b
    Examples:
      filmc build specs/lighthouse-keeper
      filmc build film.yaml --target kling --dry-run
    """
    from ..pipeline.build import build_film, warnings_reported

    state = ctx.find_object(State)
    verbose = state.verbosity if state else 0
    bars = _BuildProgress(verbose >= 0 and sys.stderr.isatty())
    try:
        r = build_film(Loading(film, allow_outside_paths), out_dir=out_dir, targets=targets, select=select,
                       dry_run=dry_run,
                       compiling=bars.phase("compiling", "prompts"), writing=bars.phase("writing", "files"),
                       workers=workers)
    finally:
        bars.close()
    if verbose >= 0:
        report(r.warnings if verbose > 0 else r.new_warnings, r.sources)
        warnings_reported(r)  # (after they are out: a stop before leaves them to show next time)
        repeated = len(r.warnings) - (len(r.warnings) if verbose > 0 else len(r.new_warnings))
        if repeated:
            only = "".join(f" -t {shlex.quote(t)}" for t in dict.fromkeys(targets))
            click.echo(f"{plural(repeated, 'warning')} unchanged since the last build "
                       f"(`filmc lint{only} {shlex.quote(str(film))}` lists them)", err=True)
    verb = "would write" if dry_run else "wrote"
    if dry_run or verbose > 0:
        for rel in r.written:
            click.echo(f"{verb} {r.out_dir / rel}")
        for rel in r.removed:
            click.echo(f"{'would remove' if dry_run else 'removed'} {r.out_dir / rel}")
    if verbose >= 0:
        click.echo(f"{r.out_dir}: {_of(r.shots, r.total_shots, 'shot')} x {_of(r.targets, r.total_targets, 'target')}, "
                   f"{plural(r.jobs, 'job')}; "
                   f"{verb} {len(r.written)}, {'would remove' if dry_run else 'removed'} {len(r.removed)}, "
                   f"unchanged {r.unchanged}")


def _of(n: int, total: int, noun: str) -> str:
    """'4 of 14 shots' for part of the film, '14 shots' for all of it."""
    return f"{n} of {plural(total, noun)}" if n != total else plural(n, noun)


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
    The film's validation warnings are listed too.

    Exits 1 when anything is found, a warning included (validation warnings and prompt findings
    alike); the last line counts what was found.
    """
    from ..diagnostics import summary
    from ..pipeline.prompts import lint_film

    ctx.meta["filmc.format"] = fmt
    result = lint_film(Loading(film, allow_outside_paths), targets=targets)
    report(result.findings, result.sources, fmt, totals=False)
    if fmt == "text":
        found = f"{summary(result.findings)} (lint fails on any finding)" if result.findings else "no findings"
        click.echo(f"{film}: {plural(result.prompts, 'prompt')}, {found}")
    if result.findings:
        ctx.exit(EXIT_INPUT)


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
    click.echo(f"{'wrote' if result.changed else 'unchanged'} {result.path} ({plural(result.prompts, 'prompt')})")


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
        click.echo(f"{plural(result.changes, 'prompt')} changed", err=True)
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
    """
    from ..pipeline.targets import show_target

    view = show_target(name, film)
    if fmt == "json":
        click.echo(json.dumps(view.as_data(), indent=2, ensure_ascii=False))
    else:
        click.echo(view.text(full=full), nl=False)
