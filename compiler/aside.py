"""Work done aside: a function run in a forked child while this process goes on with other work (a rebuild's
second core), its result handed back.

The child starts with everything in memory (nothing is sent to it) and hands back only the result: marshal data
when it is plain (the fastest to read back), else pickled (from this process's own child: nothing else writes
there), in a memory file it writes without waiting for this process (Linux), else through a pipe. The outcome is
always the function's own: where fork is not available, with other threads alive (a fork would copy the locks they
hold), or when the child fails in any way (an error, killed, a result that does not arrive whole), the function (or
what the caller names in its place) runs here when its result is asked for, so its errors are raised here as
usual. Stop signals are left to this process, which ends the child.
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from .interrupt import SIGNALS

T = TypeVar("T")
_PIPE_BYTES = 1 << 20  # Linux's default limit for an unprivileged process (/proc/sys/fs/pipe-max-size)


class Aside(Generic[T]):
    """`fn()` started in a forked child (see the module); `result()` is what `fn()` returns, `close()` ends the
    child if its result is not wanted."""

    def __init__(self, fn: Callable[[], T], *, fork: bool = True) -> None:
        self.fn = fn
        self.pid: int | None = None
        self.fd: int | None = None
        self.pipe = False  # the result comes through a pipe (else a memory file the child writes without waiting)
        if fork and hasattr(os, "fork") and threading.active_count() == 1:
            self._start()

    def _start(self) -> None:
        channel = self._channel()
        if channel is None:
            return
        read, out = channel
        held = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS) if hasattr(signal, "pthread_sigmask") else None
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            self._child(read, out, held, parent)  # (never returns)
        if pid > 0:  # known before a stop held during the fork is let in, so that close() ends the child
            self.pid = pid
            if read is not None:
                os.close(out)
                self.fd, self.pipe = read, True
            else:
                self.fd = out
        else:
            for fd in (read, out):
                if fd is not None:
                    os.close(fd)
        try:
            if held is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)  # (a stop that came meanwhile is raised here)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _channel() -> tuple[int | None, int] | None:
        """(None, a memory file) where Linux has them, else (the read end, the write end) of a pipe; None when
        neither can be made (out of descriptors: the function then runs here)."""
        if hasattr(os, "memfd_create"):
            try:
                return None, os.memfd_create("filmc-aside", getattr(os, "MFD_CLOEXEC", 0))
            except OSError:
                pass
        try:
            read, write = os.pipe()
        except OSError:
            return None
        try:
            import fcntl

            fcntl.fcntl(read, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)  # megabytes in a few hand-overs, not hundreds
        except (ImportError, AttributeError, OSError):
            pass
        return read, write

    def _child(self, read: int | None, out: int, held: set[int | signal.Signals] | None, parent: int) -> None:
        try:
            _die_with_parent(parent)
            for sig in SIGNALS:  # Ctrl-C reaches the whole process group: the parent decides and ends this one
                signal.signal(sig, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, _ended)  # close(): unwind (temp files, ffmpeg probes), then exit
            if held is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
            if read is not None:
                os.close(read)
            try:
                value = self.fn()
                try:
                    data = b"m" + marshal.dumps(value)  # type: ignore[arg-type]
                except ValueError:  # not plain data
                    import pickle

                    data = b"p" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:  # noqa: BLE001 - the parent runs fn itself and raises what it raises
                data = b"-"
            with os.fdopen(out, "wb") as f:
                f.write(data)
        except BaseException:  # noqa: BLE001 - a result not written whole is not handed over
            os._exit(1)
        os._exit(0)  # no exit handler of the parent's, no flush of its buffered output

    def result(self, otherwise: Callable[[], T] | None = None) -> T:
        """What fn() returns: the child's, else `otherwise()` (by default fn()) run here. A stop signal while it
        waits for the child is raised as usual (the child is ended)."""
        if self.fd is not None:
            try:
                data = self._received()
                if data[:1] == b"m":
                    return marshal.loads(memoryview(data)[1:])  # type: ignore[no-any-return]
                if data[:1] == b"p":
                    import pickle

                    return pickle.loads(memoryview(data)[1:])  # type: ignore[no-any-return]
            except Exception:  # noqa: BLE001, S110 - a result cut short or unreadable: it is made here
                pass
            finally:
                self.close()
        return (otherwise or self.fn)()

    def _received(self) -> bytes:
        """What the child wrote, once it has ended well (b"" otherwise): bytes, or the memory file mapped."""
        assert self.fd is not None
        data = b""
        if self.pipe:
            with os.fdopen(self.fd, "rb", closefd=False) as f:
                data = f.read()
        if self._exit_code() != 0:
            return b""
        if self.pipe:
            return data
        size = os.fstat(self.fd).st_size
        if not size:
            return b""
        import mmap

        return mmap.mmap(self.fd, size, access=mmap.ACCESS_READ)  # type: ignore[return-value]  # (read in place)

    def _exit_code(self) -> int:
        """The child's exit code once it has ended (-1: killed), left for close() to reap: its pid stays its own."""
        assert self.pid is not None
        if hasattr(os, "waitid") and hasattr(os, "WNOWAIT"):
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
            return info.si_status if info is not None and info.si_code == os.CLD_EXITED else -1
        pid, self.pid = self.pid, None  # (no waitid: reaped here)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

    def cancel(self) -> None:
        """Ask the child to end (SIGTERM: it unwinds) without waiting for it; close() reaps it later."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except OSError:
                pass

    def close(self) -> None:
        """End the child (if it still runs: SIGTERM, which it unwinds from, then SIGKILL) and reap it."""
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)
        pid = self.pid
        if pid is None:
            return
        reaped = False
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                reaped = True
                return
            os.kill(pid, signal.SIGTERM)
            for _ in range(_END_POLLS):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    reaped = True
                    return
                time.sleep(_END_POLL)
        except OSError:  # (gone, or reaped already)
            reaped = True
        finally:
            if not reaped:  # (also when a stop came while it waited)
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
            self.pid = None


_END_POLL = 0.002  # seconds between looks at an ending child ...
_END_POLLS = 250  # ... for at most half a second, then it is killed


def _ended(signum: int, frame: object) -> None:
    raise SystemExit(1)


def _die_with_parent(parent: int) -> None:
    """Linux: the child is killed if the build dies without ending it (SIGKILL, out of memory)."""
    if sys.platform.startswith("linux"):
        from .interrupt import parent_death_setup

        setup = parent_death_setup(parent)
        if setup is not None:
            setup()
