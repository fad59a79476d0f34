"""filmc: the compiler for AI films (film.yaml -> prompts, generation jobs, the edit)."""

# (No `from __future__ import annotations` here: it imports the `__future__` module as the package starts, a moment
# before the early Ctrl-C handler is in place that a Ctrl-C once landed in; the annotations below need no postponing.)


_EARLY = {2: "SIGINT", 15: "SIGTERM", 1: "SIGHUP"}  # the stops taken early, by number (POSIX's, on every system)


def _early_stop(signum: int, frame: object) -> None:
    """Ctrl-C while the installed `filmc` is still loading its code (until the command group's invoke takes it as
    every command does: cli._sigint_to_commands), and SIGTERM or SIGHUP from then on wherever a command does not take
    them itself: the stop line and its exit code, not a traceback of the import under way, nor an end without a
    word. Every file filmc writes is written whole or not at all, so ending at once leaves none half-written."""
    import os

    try:
        os.write(2, f"filmc: stopped (interrupted by {_EARLY.get(signum, signum)})\n".encode())
    except OSError:  # (no stderr: the exit code says it)
        pass
    os._exit(_EXIT_SIGNAL + signum)


def _early_handler() -> None:
    """The installed command, starting: Ctrl-C, SIGTERM and SIGHUP go to _early_stop from the package's first
    statements on (each only where it has its default handling: one ignored, as under nohup, stays ignored)."""
    import sys

    if sys.argv and sys.argv[0].rsplit("/", 1)[-1] == "filmc":
        import _signal  # (the C module, loaded with Python: `signal` makes its enums first, a moment a Ctrl-C could land in)

        if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
            _signal.signal(_signal.SIGINT, _early_stop)
        for name in ("SIGTERM", "SIGHUP"):
            num = getattr(_signal, name, None)
            if num is not None and _signal.getsignal(num) == _signal.SIG_DFL:
                _signal.signal(num, _early_stop)


_EXIT_SIGNAL = 128  # a stop's exit code, plus the signal's number (checked against errors.EXIT_SIGNAL below)
_early_handler()

__version__ = "0.1.0"

__all__ = ["__version__", "resolve_film", "FilmError"]


def __getattr__(name: str) -> object:  # lazy: keep `import compiler` (and the CLI's start-up) light
    if name == "resolve_film":
        from .loading import resolve_film

        return resolve_film
    if name == "FilmError":
        from .errors import FilmError

        return FilmError
    raise AttributeError(name)


def _start() -> None:
    from .errors import EXIT_SIGNAL

    global _EXIT_SIGNAL
    _EXIT_SIGNAL = EXIT_SIGNAL
    from .dataclass_code import install

    install()  # the package's dataclass methods from the cache of their compiled code


_start()
