"""Compile commands: build, show, lint, lock, diff, targets."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import EXIT_INPUT, State, film_arg, format_option, load_options, main, report


def _target_opt(f):  # type: ignore[no-untyped-def]
    return click.option("--target", "-t", "targets", multiple=True,
                        help="Only this target (repeatable; default: the film's targets).")(f)


def _lines_of(prod) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return prod.sources()


@main.command(short_help="Compile prompt sheets, jobs, the shot list and the edit into build/.")
@film_arg
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Build folder (default: build/ beside film.yaml).")
@_target_opt
@click.option("--select", help="Only count these shots (ids, globs (s0*) or section:<id>, comma-separated); "
              "the sheets and jobs files always hold every shot.")
@click.option("--dry-run", is_flag=True, help="Say what would be written or removed; write nothing.")
@load_options
@click.pass_context
def build(ctx: click.Context, film: str, out_dir: Path | None, targets: tuple[str, ...], select: str | None,
          dry_run: bool, allow_outside_paths: bool) -> None:
    """Compile FILM into prompt sheets, job manifests, a shot list and the edit script.

    \b
    Writes into build/ beside film.yaml:
      prompts/<target>.md           every prompt of a target, shot by shot, to paste
      jobs/<target>.jsonl           one API request per generation job (its prompt inside)
      shotlist.csv                  the storyboard as a spreadsheet
      edit/                         render.sh, the filter graph, lyrics.srt
      manifest.json                 the resolved film, timeline and output hashes
    Building twice writes nothing the second time. `filmc show FILM SHOT` prints one shot's prompts.

    \b
    Examples:
      filmc build specs/lighthouse-keeper
      filmc build film.yaml --target kling --dry-run
    """
    from ..pipeline.build import build_film

    state = ctx.find_object(State)
    verbose = state.verbosity if state else 0
    bars = _BuildProgress(verbose >= 0 and sys.stderr.isatty())
    try:
        r = build_film(film, out_dir=out_dir, targets=targets, select=select, dry_run=dry_run,
                       allow_outside=allow_outside_paths, shown=verbose >= 0,
                       compiling=bars.phase("compiling", "prompts"), writing=bars.phase("writing", "files"))
    finally:
        bars.close()
    if verbose >= 0:
        report(r.warnings if verbose > 0 else r.new_warnings, r.sources)
        repeated = len(r.warnings) - (len(r.warnings) if verbose > 0 else len(r.new_warnings))
        if repeated:
            click.echo(f"{repeated} warning{'s' if repeated != 1 else ''} unchanged since the last build "
                       f"(`filmc lint {film}` lists them)", err=True)
    verb = "would write" if dry_run else "wrote"
    if dry_run or verbose > 0:
        for rel in r.written:
            click.echo(f"{verb} {r.out_dir / rel}")
        for rel in r.removed:
            click.echo(f"{'would remove' if dry_run else 'removed'} {r.out_dir / rel}")
    if verbose >= 0:
        click.echo(f"{r.out_dir}: {_of(r.shots, r.total_shots, 'shot')} x {_of(r.targets, r.total_targets, 'target')}, "
                   f"{r.jobs} job{'s' if r.jobs != 1 else ''}; "
                   f"{verb} {len(r.written)}, removed {len(r.removed)}, unchanged {r.unchanged}")


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
                from ..render.run import make_progress

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
    from ..diagnostics import did_you_mean
    from ..expand import expand_production
    from ..loading import resolve_film
    from ..validate.times import format_time

    ctx.meta["filmc.format"] = fmt
    prod = resolve_film(film, allow_outside=allow_outside_paths)
    ids = [s.id for s in prod.shots]
    if shot not in ids:
        hint = did_you_mean(shot, ids)
        raise click.UsageError(f"no shot '{shot}' in {film}" + (f" ({hint})" if hint else ""))
    plan = expand_production(prod, targets=list(targets) or None, select=[shot])
    if fmt == "json":
        rows = [{"shot": p.shot, "target": p.target, "kind": p.kind, "prompt": p.text, "negative": p.negative,
                 "overridden": p.overridden, "options": plan.contexts[(p.shot, p.target)]["options"],
                 "generation": plan.contexts[(p.shot, p.target)]["generation"],
                 "segments": [{"prompt": x, "negative": y} for x, y in p.segments]} for p in plan.prompts]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, sort_keys=True))
        return
    rs = prod.shot(shot)
    click.echo(f"{shot}  {rs.section.id}  {format_time(rs.start)}-{format_time(rs.end)}  ({rs.duration:.3f} s)")
    from ..timeline_text import look_lines, refs_lines

    for line in look_lines(prod, shot):
        click.echo(line)
    from ..timeline_text import mode_lines

    for line in mode_lines(rs.shot):
        click.echo(line)
    for p in plan.prompts:
        gen = plan.contexts[(p.shot, p.target)]["generation"]
        lengths = [x for x in gen.get("lengths") or [gen["duration"]] if x]
        extra = f", generate {' + '.join(f'{x:g} s' for x in lengths)}" if lengths else ""
        click.echo("")
        click.echo(click.style(f"[{p.target}] {p.kind}{extra}{' (override)' if p.overridden else ''}", bold=True))
        for line in refs_lines(plan.contexts[(p.shot, p.target)]):
            click.echo(line)
        for n, (text, negative) in enumerate(((p.text, p.negative), *p.segments), start=1):
            if p.segments:
                click.echo(click.style(f"segment {n} ({lengths[n - 1]:g} s):", bold=True))
            click.echo(text)
            if negative:
                click.echo(click.style("negative: ", bold=True) + negative)


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
    from ..compiling import compile_film

    ctx.meta["filmc.format"] = fmt
    compiled = compile_film(film, targets=list(targets) or None, allow_outside=allow_outside_paths)
    plan, warnings = compiled.plan, compiled.warnings
    report(warnings, _lines_of(plan.prod), fmt)
    if warnings:
        ctx.exit(EXIT_INPUT)
    if fmt == "text":
        click.echo(f"{film}: {len(plan.prompts)} prompts, no findings")


@main.command(short_help="Snapshot every compiled prompt into prompts.lock.")
@film_arg
@click.option("-o", "--lock", "lock_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Lock file (default: prompts.lock beside film.yaml).")
@load_options
@click.pass_context
def lock(ctx: click.Context, film: str, lock_path: Path | None, allow_outside_paths: bool) -> None:
    """Write prompts.lock: every compiled prompt, to review changes with `filmc diff`."""
    from ..compiling import compile_film
    from ..fsutil import write_atomic
    from ..loading import film_path
    from ..snapshots import lock_text

    plan = compile_film(film, allow_outside=allow_outside_paths).plan
    path = lock_path or film_path(film).parent / "prompts.lock"
    changed = write_atomic(path, lock_text(plan))
    click.echo(f"{'wrote' if changed else 'unchanged'} {path} ({len(plan.prompts)} prompts)")


@main.command(short_help="Show how the compiled prompts differ from prompts.lock.")
@film_arg
@click.option("--lock", "lock_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Lock file (default: prompts.lock beside film.yaml).")
@click.option("--check", is_flag=True, help="Exit 1 when any prompt differs from the lock (for CI).")
@load_options
@click.pass_context
def diff(ctx: click.Context, film: str, lock_path: Path | None, check: bool, allow_outside_paths: bool) -> None:
    """Show how the compiled prompts differ from prompts.lock, as a unified diff per shot and target."""
    from ..compiling import compile_film
    from ..errors import UsageError
    from ..loading import film_path
    from ..snapshots import diff_lock

    plan = compile_film(film, allow_outside=allow_outside_paths).plan
    path = lock_path or film_path(film).parent / "prompts.lock"
    if not path.is_file():
        raise UsageError(f"no lock file at {path}; run 'filmc lock {film}' first")
    text, changes = diff_lock(plan, path)
    click.echo(text, nl=False)
    if changes:
        click.echo(f"{changes} prompt{'s' if changes != 1 else ''} changed", err=True)
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
    from ..loading import film_path
    from ..target_text import choice_facts, end_frame_text, price_text, references_text
    from ..targets import load_targets

    defs = load_targets(film_path(film).parent if film else None)
    if fmt == "json":
        click.echo(json.dumps([{"name": t.name, "kind": t.kind, "builtin": t.builtin, "providers": list(t.providers),
                                **choice_facts(t)} for t in defs.values()], indent=2, ensure_ascii=False))
        return
    for t in sorted(defs.values(), key=lambda t: (t.kind, t.name)):
        caps = t.capabilities
        bits = [t.kind, "providers: " + (", ".join(t.providers) or "none (prompt only)")]
        if t.durations:
            bits.append("durations: " + "/".join(f"{d:g}" for d in t.durations) + " s")
        bits.append("references: " + references_text(t))
        if t.kind == "video":
            bits.append("end frame: " + end_frame_text(t))
        bits.append("price: " + price_text(t))
        bits.append("negative prompt" if caps.get("negative_prompt") else "no negative prompt")
        if not t.builtin:
            bits.append(f"from {t.folder}")
        click.echo(f"{t.name:<12} " + "; ".join(bits))


@targets.command("show")
@click.argument("name")
@click.argument("film", required=False, type=click.Path(dir_okay=True, path_type=str))
@click.option("--full", is_flag=True, help="Also print the whole definition (capabilities, options, providers, prices).")
def targets_show(name: str, film: str | None, full: bool) -> None:
    """Target NAME at a glance: kind, models, durations, aspects, negatives, references, providers, prices.

    \b
    Examples:
      filmc targets show kling
      filmc targets show kling --full        # and the whole definition as YAML
      filmc targets show mine my-film        # a target in targets/ beside the film
    """
    from ..diagnostics import did_you_mean
    from ..loading import film_path
    from ..target_text import summary
    from ..targets import load_targets

    defs = load_targets(film_path(film).parent if film else None)
    if name not in defs:
        hint = did_you_mean(name, defs)
        raise click.UsageError(f"unknown target '{name}'" + (f" ({hint})" if hint else ""))
    t = defs[name]
    click.echo(summary(t), nl=False)
    if full:
        import yaml

        click.echo("")
        click.echo(yaml.safe_dump({"capabilities": t.capabilities, "options": t.options.get("properties", {}),
                                   "defaults": t.defaults, "providers": t.providers, "prices": list(t.prices)},
                                  sort_keys=False, allow_unicode=True, width=100), nl=False)
