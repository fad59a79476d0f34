"""Work done aside: a function run in a forked child while this process goes on with other work (a rebuild's
second core), its result handed back through a pipe.

The child starts with everything in memory (nothing is sent to it) and hands back only the result: marshal data
when it is plain (the fastest to read back), else pickled (from this process's own child: nothing else writes
there), in a memory file it writes without waiting for this process (Linux), else through a pipe. The outcome is always the function's own: where fork
is not available, with other threads alive (a fork would copy the locks they hold), or when the child fails in
any way (an error, killed, a result that does not arrive whole), the function (or what the caller names in its
place) runs here when its result is asked for, so its errors are raised here as usual. Stop signals are left to
this process, which ends the child.
"""

from __future__ import annotations

import marshal
import os
import signal
import threading
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
        read, out = self._channel()
        held = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS) if hasattr(signal, "pthread_sigmask") else None
        try:
            pid = os.fork()
        except OSError:
            for fd in (read, out):
                if fd is not None:
                    os.close(fd)
            pid = -1
        if pid == 0:
            self._child(read, out, held)  # (never returns)
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        if pid > 0:
            self.pid = pid
            if read is not None:
                os.close(out)
                self.fd, self.pipe = read, True
            else:
                self.fd = out

    @staticmethod
    def _channel() -> tuple[int | None, int]:
        """(None, a memory file) where Linux has them, else (the read end, the write end) of a pipe."""
        if hasattr(os, "memfd_create"):
            try:
                return None, os.memfd_create("filmc-aside", getattr(os, "MFD_CLOEXEC", 0))
            except OSError:
                pass
        read, write = os.pipe()
        try:
            import fcntl

            fcntl.fcntl(read, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)  # megabytes in a few hand-overs, not hundreds
        except (ImportError, AttributeError, OSError):
            pass
        return read, write

    def _child(self, read: int | None, out: int, held: set[int | signal.Signals] | None) -> None:
        try:
            for sig in SIGNALS:  # Ctrl-C reaches the whole process group: the parent decides and ends this one
                signal.signal(sig, signal.SIG_DFL if sig == signal.SIGTERM else signal.SIG_IGN)
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
        """What fn() returns: the child's, else `otherwise()` (by default fn()) run here."""
        if self.fd is not None:
            try:
                data = self._received()
                if data[:1] == b"m":
                    return marshal.loads(memoryview(data)[1:])  # type: ignore[no-any-return]
                if data[:1] == b"p":
                    import pickle

                    return pickle.loads(memoryview(data)[1:])  # type: ignore[no-any-return]
            except Exception:  # noqa: BLE001 - a child killed halfway: its result is made here
                pass
            finally:
                self.close()
        return (otherwise or self.fn)()

    def _received(self) -> bytes:
        """What the child wrote (b"" when it did not end well): bytes, or the memory file mapped."""
        assert self.fd is not None
        if self.pipe:
            with os.fdopen(self.fd, "rb") as f:
                self.fd = None
                return f.read()
        pid, self.pid = self.pid, None
        assert pid is not None
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            return b""
        size = os.fstat(self.fd).st_size
        if not size:
            return b""
        import mmap

        return mmap.mmap(self.fd, size, access=mmap.ACCESS_READ)  # type: ignore[return-value]  # (read in place)

    def close(self) -> None:
        """End the child (if it still runs) and reap it."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.pid is not None:
            pid, self.pid = self.pid, None
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass
