"""Stopping a render cleanly: SIGINT, SIGTERM and SIGHUP stop ffmpeg too, and nothing is left behind.

ffmpeg runs in a process group of its own (so a Ctrl-C in the terminal reaches filmc only,
and filmc decides). Inside `interruptible()`, the first of these signals is forwarded to
every running ffmpeg group and raised in the main thread as `Interrupted`, so the code
unwinding from it removes temp files on the way out; the command then exits 128 + the
signal number. On Linux ffmpeg also dies with filmc when filmc is killed outright (SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from .errors import EXIT_SIGNAL

if TYPE_CHECKING:
    import subprocess  # (imported by the functions that start a child: not at every command's start)

_E = TypeVar("_E", bound=BaseException)
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(BaseException):
    """The command was stopped by a signal; exit with 128 + signum.

    Not an Exception (not a FilmcError), as KeyboardInterrupt is not: no `except Exception` on the way out (ours, a
    library's, Jinja's) takes a stop for a failure and goes on. The CLI prints it as it prints a FilmcError
    without diagnostics (`shown`)."""

    line_format = "filmc: stopped ({message}): nothing written"
    late_format = "filmc: stopped ({message}) as the work ended: what it wrote is whole"  # see interruptible
    diagnostics: tuple[()] = ()
    sources: Mapping[str, Sequence[str]] = MappingProxyType({})
    log: tuple[str, ...] = ()
    log_name = "ffmpeg"

    def __init__(self, signum: int, *, late: bool = False):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum
        self.exit_code = EXIT_SIGNAL + signum
        self.late = late
        if late:  # the stop could not end the work at once (see interruptible): it ran to its end
            self.line_format = self.late_format

    @property
    def shown(self) -> str:
        """The line printed for it."""
        return self.line_format.format(message=self)


_groups: set[int] = set()  # process groups of running ffmpeg processes
_state = {"depth": 0, "raised": 0, "dropped": 0}  # the signal raised as Interrupted (0: none yet); one dropped


def _forward(signum: int) -> None:
    for pgid in list(_groups):
        with contextlib.suppress(OSError):
            os.killpg(pgid, signum)


def _handler(signum: int, frame: object) -> None:
    _forward(signum)
    if not _state["raised"]:  # once: a second signal must not cut the clean-up short ...
        _state["raised"] = signum
        raise Interrupted(signum)
    _state["dropped"] = signum  # ... and where the first was caught and handled, the block's end raises it


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Within: SIGINT/SIGTERM/SIGHUP are forwarded to running ffmpeg groups and raise Interrupted once.

    Only in the main thread (elsewhere a no-op); a signal the process ignores (nohup) stays ignored. Python
    cannot always let the stop through: raised in a finaliser it is printed and dropped (here: quietly), raised
    while a class is made it becomes a RuntimeError. So a block that ends with a stop dropped in it, or with an
    exception raised from or while handling a stop, ends in Interrupted. A stop caught and handled inside the
    block stays handled."""
    if threading.current_thread() is not threading.main_thread() or os.name != "posix":
        yield
        return
    if _state["depth"] == 0:
        _state["raised"] = _state["dropped"] = 0
    _state["depth"] += 1
    old: dict[int, object] = {}
    hook = sys.unraisablehook
    sys.unraisablehook = _quiet_stop(hook)
    try:
        for sig in SIGNALS:
            current = signal.getsignal(sig)
            if current is signal.SIG_IGN or current is None:  # ignored (nohup), or not ours to replace
                continue
            old[sig] = current
            signal.signal(sig, _handler)
        yield
    except Interrupted as e:
        _ended(old, hook)
        if e.late:  # an inner block's work ran to its end, not this one's (its body was cut short)
            raise Interrupted(e.signum) from None
        raise
    except BaseException as e:
        dropped = _ended(old, hook)
        stop = stop_in(e)
        if stop is not None or dropped:
            raise Interrupted(stop.signum if stop is not None else dropped) from e  # (the stop, lost in another)
        raise
    dropped = _ended(old, hook)
    if dropped:
        raise Interrupted(dropped, late=True)  # (the stop, dropped where Python could not raise it)


def in_chain(e: BaseException, kind: type[_E]) -> _E | None:
    """An exception of `kind` that `e` is, or was raised from or while handling (at any link of its chain)."""
    seen: set[int] = set()
    todo: list[BaseException] = [e]
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, kind):
            return x
        todo += [y for y in (x.__cause__, x.__context__) if y is not None]
    return None


def stop_in(e: BaseException) -> Interrupted | None:
    """A stop `e` was raised from or while handling."""
    return in_chain(e, Interrupted)


def _quiet_stop(hook: Callable[[sys.UnraisableHookArgs], object]) -> Callable[[sys.UnraisableHookArgs], object]:
    """An unraisable-exception hook that takes note of a dropped stop (the block's end raises it) instead of
    printing it, and passes on the rest."""
    def quiet(args: sys.UnraisableHookArgs) -> object:
        if isinstance(args.exc_value, Interrupted):
            _state["dropped"] = args.exc_value.signum
            return None
        return hook(args)
    return quiet


def _ended(old: dict[int, object], hook: Callable[[sys.UnraisableHookArgs], object]) -> int:
    """Restore the handlers and hook `interruptible` replaced (with the signals held meanwhile: one that comes now
    reaches the restored handler); the signal of a stop dropped in the block (0: none), taken."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        sys.unraisablehook = hook
        for sig, h in old.items():
            signal.signal(sig, h)  # type: ignore[arg-type]  # a handler getsignal returned
        _state["depth"] -= 1
        dropped, _state["dropped"] = _state["dropped"], 0
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    return dropped


@contextlib.contextmanager
def watched_group(pid: int) -> Iterator[None]:
    """Register a child's process group (its pid, when started with process_group=0) for forwarding."""
    _groups.add(pid)
    try:
        yield
    finally:
        _groups.discard(pid)


def stop_group(proc: subprocess.Popen[str]) -> None:
    """Stop a child started with child_options() and its whole process group: SIGTERM, then SIGKILL after 5 s."""
    import subprocess

    for sig, timeout in ((signal.SIGTERM, 5.0), (getattr(signal, "SIGKILL", signal.SIGTERM), None)):
        with contextlib.suppress(OSError):
            if os.name == "posix":
                os.killpg(proc.pid, sig)
            else:
                proc.kill()
        try:
            proc.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def child_options(die_with_parent: bool = True) -> dict[str, object]:
    """Popen options for ffmpeg: its own process group; on Linux (when started from the main thread: the
    signal follows the thread that started the child), killed when filmc dies."""
    if os.name != "posix":
        return {}
    opts: dict[str, object] = {"process_group": 0}
    if die_with_parent and sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
        setup = parent_death_setup()
        if setup is not None:
            opts["preexec_fn"] = setup
    return opts


def run_child(argv: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    """subprocess.run for a short ffmpeg job (a probe, a decode check) that a signal to filmc stops too:
    its own process group, forwarded to; killed with its group on a timeout or an interruption."""
    import subprocess

    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          errors="replace", **child_options(die_with_parent=False)) as proc:  # type: ignore[call-overload]  # options as a dict
        with watched_group(proc.pid):
            try:
                out, err = proc.communicate(timeout=timeout)
            except BaseException:
                with contextlib.suppress(OSError):
                    if os.name == "posix":
                        os.killpg(proc.pid, signal.SIGKILL)
                    else:
                        proc.kill()
                proc.communicate()
                raise
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def parent_death_setup(parent: int | None = None) -> Callable[[], None] | None:
    """Linux: what a child process (of `parent`, by default this process) runs to be killed when its parent dies;
    None where it cannot be had."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid() if parent is None else parent
    pr_set_pdeathsig, sigkill = 1, int(signal.SIGKILL)

    def setup() -> None:  # runs in the child between fork and exec
        prctl(pr_set_pdeathsig, sigkill)
        if os.getppid() != parent:  # filmc died before the line above
            os._exit(1)

    return setup
