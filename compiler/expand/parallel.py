"""Cold compiles on every core: the shot-and-target pairs a build must compile, shared between this process and
forked helpers.

The pairs are cut into shares, whose numbers wait in a pipe; this process and each helper take the next share
whenever they are free (a read of four bytes from a pipe is whole), so a core slowed by other work takes fewer.
This process keeps what it compiles as it is; a helper starts with the resolved film in memory (forked: nothing is
sent to it) and hands back what it compiled when it ends, as plain data (compiler.aside). The results are put back
in the order the pairs were asked for, so the plan is the same as one process makes. Each process keeps the
template sandbox's limits (time per render and for all of them, memory), so a build stays bounded in wall time.
A helper that fails in any way (killed for memory, say) never leaves the build waiting: the shares it took are
compiled here. Where fork is not available, or for a few pairs, everything runs in this process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

PARALLEL_MIN = 256  # fewer pairs compile faster here than helpers take to start
CHUNK = 32  # pairs per share: small enough to balance the processes, large enough to keep the pipe quiet
MAX_SHARES = 4000  # shares at most: their numbers fit a pipe's buffer (16 KiB on some systems) before anyone reads
MAX_WORKERS = 4

Result = tuple[str, Any]  # ("ok", plain entry) | ("failed", Diagnostic) | ("again", None): redo it here


def workers_available() -> int:
    """How many processes a cold build may use: the cores this process may run on (at most MAX_WORKERS), one
    where processes cannot be forked."""
    if not hasattr(os, "fork"):
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def compile_all(count: int, compile_one: Callable[[int], Result], *, workers: int,
                progress: Callable[[int], None] | None = None, ends: Sequence[int] | None = None) -> list[Result]:
    """compile_one(i) for i in range(count), in that order; on `workers` processes (this one and forked helpers)
    when it pays. `ends`: the indices after which a share may end (rising; anywhere by default): a share is
    compiled by one process, in order."""
    if workers <= 1 or count < PARALLEL_MIN or not hasattr(os, "fork"):
        out = []
        for i in range(count):
            out.append(compile_one(i))
            if progress is not None:
                progress(i + 1)
        return out
    from ..aside import Aside

    chunks = _chunks(count, ends)
    mine: dict[int, list[Result]] = {}
    theirs: dict[int, list[Result]] = {}
    helpers: list[Aside[dict[int, list[Result]]]] = []
    try:
        shares: _Shares | None = _Shares(len(chunks))
    except OSError:  # (no pipe to be had: out of descriptors) everything is compiled below, in this process
        shares = None
    try:
        if shares is not None:
            for _ in range(min(workers, len(chunks)) - 1):
                helpers.append(Aside(partial(_help, shares, chunks, compile_one)))
            shares.forked()
            done = 0
            for n in shares.taken():
                mine[n] = [compile_one(i) for i in chunks[n]]
                done += len(chunks[n]) + sum(len(chunks[k]) for k in shares.finished())
                if progress is not None:
                    progress(done)
            for helper in helpers:
                got = helper.result(otherwise=dict)  # (a helper that failed: its shares are compiled below)
                if isinstance(got, dict):
                    theirs.update(got)
    finally:
        for helper in helpers:
            helper.close()
        if shares is not None:
            shares.close()
    parts = []
    for n, chunk in enumerate(chunks):
        part = mine.get(n) or theirs.get(n)
        if part is None or len(part) != len(chunk):  # a share a helper took but did not hand back, or never in the pipe
            part = [compile_one(i) for i in chunk]
        parts.append(part)
    if progress is not None:
        progress(count)
    flat = [r for part in parts for r in part]
    # a pair a helper could not compile for another reason is compiled here, where its error is raised as usual
    return [compile_one(i) if r[0] == "again" else r for i, r in enumerate(flat)]


def _chunks(count: int, ends: Sequence[int] | None) -> list[range]:
    """The shares: CHUNK indices each (more for a film of very many pairs: MAX_SHARES), or as near as `ends`
    allows."""
    size = max(CHUNK, -(-count // MAX_SHARES))
    if ends is None:
        return [range(i, min(i + size, count)) for i in range(0, count, size)]
    out: list[range] = []
    start = 0
    for end in ends:
        if end - start >= size or end >= count:
            out.append(range(start, min(end, count)))
            start = min(end, count)
    if start < count:
        out.append(range(start, count))
    return out


class _Shares:
    """The shares' numbers in a pipe, each taken by whichever process reads it; and a second pipe on which helpers
    say which shares they finished (for the progress shown: a full pipe loses news, not work)."""

    def __init__(self, count: int) -> None:
        self.todo_r = self.done_r = self.done_w = -1
        try:
            self.todo_r, todo_w = os.pipe()
            try:
                # as many as the pipe's buffer takes (nothing reads it yet: a pipe may hold as little as a page, when
                # its user has many); the others are compiled by the build once the pipe is empty
                os.set_blocking(todo_w, False)
                data = b"".join(n.to_bytes(4, "little") for n in range(count))
                while data:
                    data = data[os.write(todo_w, data[:4096]):]
            except BlockingIOError:
                pass
            finally:
                os.close(todo_w)  # (before any fork: a reader sees the end once every number is taken)
            self.done_r, self.done_w = os.pipe()
            os.set_blocking(self.done_r, False)
            os.set_blocking(self.done_w, False)
        except BaseException:
            self.close()
            raise

    def forked(self) -> None:
        """The helpers are forked: only they write on the second pipe."""
        os.close(self.done_w)
        self.done_w = -1

    def take(self) -> int | None:
        """The next share's number; None when all are taken."""
        raw = os.read(self.todo_r, 4)
        return int.from_bytes(raw, "little") if len(raw) == 4 else None

    def taken(self) -> Iterator[int]:
        while (n := self.take()) is not None:
            yield n

    def finish(self, n: int) -> None:
        """(In a helper.) Share `n` is done."""
        try:
            os.write(self.done_w, n.to_bytes(4, "little"))
        except OSError:  # full (the build is busy): its progress catches up at the end
            pass

    def finished(self) -> list[int]:
        """The shares helpers finished since the last look."""
        try:
            raw = os.read(self.done_r, 4096)
        except (BlockingIOError, InterruptedError):
            return []
        return [int.from_bytes(raw[i:i + 4], "little") for i in range(0, len(raw) - len(raw) % 4, 4)]

    def close(self) -> None:
        for fd in (self.todo_r, self.done_r, self.done_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.todo_r = self.done_r = self.done_w = -1


def _help(shares: _Shares, chunks: Sequence[range], compile_one: Callable[[int], Result]) -> dict[int, list[Result]]:
    """(In a forked helper.) Compile the shares it takes until none is left: their results by share."""
    from . import lexicon

    lexicon.forget_index()  # (an SQLite connection must not cross a fork: the helper opens its own)
    os.close(shares.done_r)
    out: dict[int, list[Result]] = {}
    for n in shares.taken():
        out[n] = [_guarded(compile_one, i) for i in chunks[n]]
        shares.finish(n)
    return out


def _guarded(compile_one: Callable[[int], Result], i: int) -> Result:
    try:
        return compile_one(i)
    except Exception:  # noqa: BLE001 - raised again when this process compiles it (a stop ends the helper)
        return ("again", None)
