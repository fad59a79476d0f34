"""Work done aside: a function run in a forked child while this process goes on with other work (a rebuild's
second core), its result handed back through a pipe.

The child starts with everything in memory (nothing is sent to it) and sends back only the result: marshal data
when it is plain (the fastest to read back), else pickled (from this process's own child: nothing else writes to
the pipe). The outcome is always the function's own: where fork
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
        if fork and hasattr(os, "fork") and threading.active_count() == 1:
            self._start()

    def _start(self) -> None:
        import fcntl

        read, write = os.pipe()
        if hasattr(fcntl, "F_SETPIPE_SZ"):  # a result of megabytes in a few hand-overs, not hundreds
            try:
                fcntl.fcntl(read, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
            except OSError:
                pass
        held = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS) if hasattr(signal, "pthread_sigmask") else None
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            pid = -1
        if pid == 0:
            self._child(read, write, held)  # (never returns)
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        if pid > 0:
            os.close(write)
            self.pid, self.fd = pid, read

    def _child(self, read: int, write: int, held: set[int | signal.Signals] | None) -> None:
        try:
            for sig in SIGNALS:  # Ctrl-C reaches the whole process group: the parent decides and ends this one
                signal.signal(sig, signal.SIG_DFL if sig == signal.SIGTERM else signal.SIG_IGN)
            if held is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
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
            with os.fdopen(write, "wb") as f:
                f.write(data)
        finally:
            os._exit(0)  # no exit handler of the parent's, no flush of its buffered output

    def result(self, otherwise: Callable[[], T] | None = None) -> T:
        """What fn() returns: the child's, else `otherwise()` (by default fn()) run here."""
        if self.fd is not None:
            try:
                with os.fdopen(self.fd, "rb") as f:
                    self.fd = None
                    data = f.read()
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
