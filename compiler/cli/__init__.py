"""The `filmc` command: thin click commands over the pipeline; the only place that exits."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .. import __version__
from ..errors import EXIT_INPUT as EXIT_INPUT  # the exit codes, one rule (errors.py)
from ..errors import EXIT_INTERNAL as EXIT_INTERNAL
from ..errors import EXIT_OK as EXIT_OK
from ..errors import EXIT_USAGE as EXIT_USAGE

if TYPE_CHECKING:
    from ..errors import FilmcError
    from ..interrupt import Interrupted

F = TypeVar("F", bound=Callable[..., Any])


class State:
    def __init__(self, verbosity: int, traceback: bool) -> None:
        self.verbosity = verbosity
        self.traceback = traceback


def _color() -> bool:
    return "NO_COLOR" not in os.environ and sys.stderr.isatty()


def report(diags: Sequence[Any], sources: Mapping[str, Sequence[str]] | None, fmt: str = "text", *,
           totals: bool = True) -> None:
    """Print diagnostics: text on stderr, then their count ("2 warnings") unless the command says it itself
    (`totals=False`); or JSON on stdout."""
    from ..diagnostics import render_json, render_text, sort_key, summary

    ordered = sorted(diags, key=sort_key)
    if fmt == "json":
        click.echo(render_json(ordered), nl=False)
        return
    if ordered:
        click.echo(render_text(ordered, sources, color=_color()), err=True, nl=False)
        if totals:
            click.echo(summary(ordered), err=True)


def show_error(ctx: click.Context, e: FilmcError | Interrupted) -> None:
    """Print an error the creator sees: its located diagnostics (text on stderr, or JSON on stdout with
    --format json; -q keeps only errors), else its line on stderr and, with -v, the tail of its log."""
    state = ctx.find_object(State)
    verbosity = state.verbosity if state else 0
    if e.diagnostics:
        fmt = ctx.meta.get("filmc.format", "text")
        quiet = fmt == "text" and verbosity < 0
        report([d for d in e.diagnostics if d.severity == "error"] if quiet else e.diagnostics, e.sources, fmt)
        return
    from ..secrets import redactor

    click.echo(redactor(os.environ)(e.shown), err=True)
    if e.log and verbosity > 0:
        click.echo(f"{e.log_name} said:", err=True)
        for line in e.log[-25:]:
            click.echo("  " + line.rstrip(), err=True)
    elif e.log:
        click.echo(f"  (run with -v to see {e.log_name}'s log)", err=True)


def film_arg(f: F) -> F:
    """FILM: a film.yaml, or the folder holding it (default: film.yaml here)."""
    return click.argument("film", default="film.yaml", type=click.Path(dir_okay=True, path_type=str))(f)


def load_options(f: F) -> F:
    """The options of every command that loads a film: declared once, so every such command takes them."""
    return click.option("--allow-outside-paths", is_flag=True,
                        help="Allow paths outside the film's folder (refused by default).")(f)


def format_option(f: F) -> F:
    return click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                        show_default=True, help="Output format (json: data on stdout).")(f)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# Which module declares each command: a command's module (and what it imports) loads only when that command runs
# (or when help lists them all), so `filmc validate` does not pay for render, run or draft.
COMMAND_MODULES = {
    "init": "commands", "validate": "commands", "timeline": "commands", "schema": "commands", "explain": "commands",
    "build": "build_cmds", "show": "build_cmds", "lint": "build_cmds", "lock": "build_cmds", "diff": "build_cmds",
    "targets": "build_cmds", "render": "render_cmds", "export": "render_cmds", "beats": "render_cmds",
    "run": "run_cmds", "takes": "takes_cmds", "select": "takes_cmds", "cost": "jobs_cmds", "stats": "jobs_cmds",
    "board": "board_cmds", "draft": "draft_cmds",
}


class _Commands(dict[str, click.Command]):
    """The group's commands, each module imported on first use (`main.commands["build"]` loads build_cmds)."""

    def __missing__(self, name: str) -> click.Command:
        if name not in COMMAND_MODULES:
            raise KeyError(name)
        import importlib

        importlib.import_module(f"{__name__}.{COMMAND_MODULES[name]}")
        return dict.__getitem__(self, name)


def _adjust_state(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """-v, -q, --traceback written after the command: the same state as before it (`filmc build -q` = `filmc -q build`)."""
    state = ctx.find_object(State)
    if state is None or not value:
        return
    if param.name == "verbose":
        state.verbosity += value
    elif param.name == "quiet":
        state.verbosity -= value
    else:
        state.traceback = True


def global_options() -> list[click.Option]:
    """The group's own options, as every command takes them too (each command's help lists them once)."""
    return [
        click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_adjust_state,
                     help="More output (repeatable)."),
        click.Option(["-q", "--quiet"], count=True, expose_value=False, callback=_adjust_state,
                     help="Less output (repeatable)."),
        click.Option(["--traceback"], is_flag=True, expose_value=False, callback=_adjust_state,
                     help="Show the Python traceback of an internal error."),
    ]


class GlobalOptionsGroup(click.Group):
    """A group whose commands also take -v, -q and --traceback after their name."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(cmd, name)
        taken = {opt for p in cmd.params for opt in p.opts}
        cmd.params.extend(o for o in global_options() if not taken & set(o.opts))


class FilmcGroup(GlobalOptionsGroup):
    """Maps exceptions to exit codes: a FilmcError its own (input problems 1, usage 2), a stop by a signal 128 + its number,
    a refusal of the file system 1, any other exception 3 (an internal error)."""

    group_class = GlobalOptionsGroup  # `filmc targets`: its commands (list, show) take them too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands(self.commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        try:
            return self.commands[cmd_name]
        except KeyError:
            return None

    def invoke(self, ctx: click.Context) -> Any:
        _sigint_to_commands()  # (from here a KeyboardInterrupt is this method's to report)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:  # Ctrl-C where no stage handles it: the exit code of a stop by SIGINT
            _stopped(ctx)
        except Exception as e:  # noqa: BLE001
            from ..errors import FilmcError
            from ..interrupt import in_chain, stop_in

            if in_chain(e, KeyboardInterrupt):  # Ctrl-C that Python wrapped (in a class being made)
                _stopped(ctx)
            stop = stop_in(e)
            if stop is not None:  # a stop so wrapped (interruptible() unwraps those in its block)
                show_error(ctx, stop)
                ctx.exit(stop.exit_code)

            if isinstance(e, FilmcError):  # every error a creator sees: printed one way, its own exit code
                show_error(ctx, e)
                ctx.exit(e.exit_code)
            if isinstance(e, BrokenPipeError):  # `filmc show ... | head`: the reader has what it wanted
                _silence_stdout()
                ctx.exit(EXIT_OK)
            if isinstance(e, OSError):  # the file system said no: a folder that is a file, no space, no permission
                click.echo(f"filmc: error: {e.strerror or e}" + (f": {e.filename}" if e.filename else "")
                           if e.strerror else f"filmc: error: {e}", err=True)
                ctx.exit(EXIT_INPUT)
            state = ctx.find_object(State)
            if state and state.traceback:
                import traceback

                traceback.print_exc()
            from ..secrets import redactor

            click.echo(redactor(os.environ)(f"filmc: internal error: {type(e).__name__}: {e} (this is a bug in "
                                            "filmc; run with --traceback for details)"), err=True)
            ctx.exit(EXIT_INTERNAL)
        except BaseException as e:
            from ..interrupt import Interrupted

            if isinstance(e, Interrupted):  # a stop by a signal (not an Exception: see Interrupted)
                show_error(ctx, e)
                ctx.exit(e.exit_code)
            raise


@click.group(cls=FilmcGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="filmc")
@click.option("-v", "--verbose", count=True, help="More output (repeatable).")
@click.option("-q", "--quiet", count=True, help="Less output (repeatable).")
@click.option("--traceback", is_flag=True, help="Show the Python traceback of an internal error.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: int, traceback: bool) -> None:
    """filmc: the compiler for AI films.

    One film.yaml (story, song sections, visual concept, characters, locations, shot list)
    is validated, resolved against the song and compiled into prompts, generation jobs and
    the edit.

    \b
    Examples:
      filmc init my-film            # a commented starter film.yaml
      filmc validate my-film        # every problem at once, file:line:col
      filmc timeline my-film        # when each shot plays, with its lyrics

    Exit codes: 0 ok, 1 problems in the input (or ffmpeg or a provider failed), 2 usage,
    3 internal error, 128+N stopped by signal N.
    """
    ctx.obj = State(verbose - quiet, traceback)


def _stopped(ctx: click.Context) -> None:
    """The stop line and the exit code of a stop by Ctrl-C."""
    import signal

    from ..errors import EXIT_SIGNAL

    click.echo("filmc: stopped (interrupted by SIGINT)", err=True)
    ctx.exit(EXIT_SIGNAL + signal.SIGINT)


def _sigint_to_commands() -> None:
    """Ctrl-C as every command takes it (KeyboardInterrupt, or a command's own handling), in place of the one the
    package set while the installed `filmc` loaded its code (compiler._early_stop)."""
    import signal

    from .. import _early_stop

    if signal.getsignal(signal.SIGINT) is _early_stop:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # (SIGTERM and SIGHUP stay _early_stop's where a command does not take them itself, as build, render, export and
    # run do: the stop line and 128 + N, where the default ended the process without a word; every file is written
    # whole or not at all, so ending at once leaves none half-written. A forked helper sets its own handlers.)


def console() -> None:
    """The installed `filmc` command: main, then the process ends as soon as its output is out. The exit handlers
    run and the streams are flushed as at a normal exit, but the objects a big build made are not freed one by one
    (on a 2,000-shot film that alone took longer than the compile of a changed shot). With threads still running,
    or when a stream cannot be flushed, the normal exit is taken."""
    import atexit
    import threading

    from ..leftovers import freed_at_exit

    freed_at_exit()  # (Ctrl-C stays the package's until FilmcGroup.invoke: click would call it "Aborted!")
    try:
        main()  # (standalone: always ends in SystemExit)
        code: object = 0
    except SystemExit as e:
        code = e.code
    if threading.active_count() > 1:
        sys.exit(code)  # type: ignore[arg-type]
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # (None: started with the descriptor closed, `filmc ... >&-`)
                stream.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)
