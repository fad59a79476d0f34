"""compiler.aside: a function run in a forked child while the build goes on; its result, or the function run here."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from compiler.aside import Aside

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is what Aside uses")


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_result_is_made_by_a_child_and_handed_back() -> None:
    big = {"text": "x" * 3_000_000, "bytes": b"\x00\xff" * 1000}  # more than a pipe holds: read while it writes
    aside = Aside(lambda: (os.getpid(), big))
    pid = aside.pid
    assert pid is not None
    made_by, value = aside.result()
    assert made_by == pid != os.getpid() and value == big
    assert _reaped(pid)


def test_an_error_in_the_child_is_raised_here_by_running_the_function_here() -> None:
    calls: list[int] = []

    def fails() -> None:
        calls.append(os.getpid())  # (the child's list is its own copy)
        raise ValueError("bad film")

    aside = Aside(fails)
    with pytest.raises(ValueError, match="bad film"):
        aside.result()
    assert calls == [os.getpid()]


def test_a_child_killed_halfway_costs_time_not_the_result() -> None:
    def slow() -> int:
        time.sleep(0.5)
        return os.getpid()

    aside = Aside(slow)
    assert aside.pid is not None
    os.kill(aside.pid, signal.SIGKILL)
    assert aside.result() == os.getpid()  # made here


def test_ctrl_c_is_left_to_the_parent() -> None:
    def slow() -> int:
        time.sleep(0.3)
        return os.getpid()

    aside = Aside(slow)
    pid = aside.pid
    assert pid is not None
    time.sleep(0.1)
    os.kill(pid, signal.SIGINT)  # as a Ctrl-C in the terminal reaches the whole process group
    assert aside.result() == pid  # the child went on: the parent decides whether to stop


def test_no_fork_while_other_threads_run() -> None:
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        aside = Aside(os.getpid)
        assert aside.pid is None and aside.result() == os.getpid()
    finally:
        stop.set()
        t.join()


def test_without_fork_the_function_runs_when_its_result_is_asked() -> None:
    calls: list[int] = []
    aside = Aside(lambda: calls.append(1) or len(calls), fork=False)
    assert calls == [] and aside.pid is None
    assert aside.result() == 1


def test_closed_unasked_the_child_is_ended_and_reaped() -> None:
    aside = Aside(lambda: time.sleep(30))
    pid = aside.pid
    assert pid is not None
    aside.close()
    assert _reaped(pid)


def test_a_stop_while_the_build_waits_for_the_child_is_a_stop() -> None:
    """Ctrl-C (or SIGTERM) during result() stops the build as anywhere else: Interrupted, the child ended."""
    from compiler.interrupt import Interrupted, interruptible

    def slow() -> str:
        time.sleep(5)
        return "child"

    with interruptible():
        aside = Aside(slow)
        pid = aside.pid
        assert pid is not None
        signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        try:
            with pytest.raises(Interrupted):
                aside.result(otherwise=lambda: "here")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
    assert _reaped(pid)


def test_a_stop_that_comes_while_forking_ends_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal held during the fork is let in once the child is known: the child is ended, not left running."""
    forked: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
            os.kill(os.getpid(), signal.SIGINT)  # held until Aside lets the stop signals in again
        return pid

    monkeypatch.setattr(os, "fork", fork)
    with pytest.raises(KeyboardInterrupt):
        Aside(lambda: time.sleep(30))
    assert forked and _reaped(forked[0])


def test_through_a_pipe_where_there_is_no_memory_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and the BSDs have no memfd: the result comes through a pipe, as whole and as checked."""
    monkeypatch.delattr(os, "memfd_create", raising=False)
    big = "x" * 3_000_000
    aside = Aside(lambda: (os.getpid(), big))
    assert aside.pipe and aside.pid is not None
    pid = aside.pid
    assert aside.result() == (pid, big) and _reaped(pid)

    def fails() -> None:
        raise ValueError("bad film")

    with pytest.raises(ValueError, match="bad film"):
        Aside(fails).result()


def _working(marker: Path) -> Aside[None]:
    """A child at work that notes in `marker` when it unwinds (as from its temp files and ffmpeg probes)."""

    def works() -> None:
        try:
            time.sleep(30)
        finally:
            marker.write_text("yes")

    aside = Aside(works)
    assert aside.pid is not None
    time.sleep(0.2)
    return aside


def test_an_ended_child_unwinds(tmp_path: Path) -> None:
    """close() lets the child unwind before it is killed."""
    aside = _working(tmp_path / "unwound")
    pid = aside.pid
    assert pid is not None
    aside.close()
    assert (tmp_path / "unwound").read_text() == "yes" and _reaped(pid)


def test_cancelled_the_child_ends_while_the_build_goes_on(tmp_path: Path) -> None:
    marker = tmp_path / "unwound"
    aside = _working(marker)
    pid = aside.pid
    assert pid is not None
    aside.cancel()  # returns at once
    for _ in range(200):
        if marker.exists():
            break
        time.sleep(0.01)
    aside.close()
    assert marker.read_text() == "yes" and _reaped(pid)


class _Part:  # not plain data: pickled
    def __init__(self, n: int) -> None:
        self.n = n


@pytest.mark.parametrize("pipe", [False, True], ids=["memory file", "pipe"])
def test_a_result_cut_short_is_made_here(monkeypatch: pytest.MonkeyPatch, pipe: bool) -> None:
    """The child killed (out of memory, kill -9) half-way through writing its result: the build makes it itself."""
    if pipe:
        monkeypatch.delattr(os, "memfd_create", raising=False)

    def dies_writing() -> list[_Part]:
        class Dying:  # (in the forked child only: its result is written half, then it is killed)
            def __init__(self, fd: int, *_: object) -> None:
                self.fd = fd

            def __enter__(self) -> Dying:
                return self

            def __exit__(self, *_: object) -> None:
                pass

            def write(self, data: bytes) -> None:
                os.write(self.fd, data[: len(data) // 2])
                os.kill(os.getpid(), signal.SIGKILL)

        os.fdopen = Dying  # type: ignore[assignment]
        return [_Part(i) for i in range(1000)]

    aside = Aside(dies_writing)
    assert aside.pipe is pipe and aside.pid is not None
    made = aside.result(otherwise=lambda: [_Part(-1)])
    assert [p.n for p in made] == [-1]
