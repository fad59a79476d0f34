"""Cold compiles on every core: the shot-and-target pairs a build must compile, shared among forked workers.

The workers are forked, so they start with the resolved film in memory (nothing is pickled but the results);
they hand back plain data in the order the pairs were asked for, so the plan is the same as one process makes.
Each worker keeps the template sandbox's limits (time per render and for all of them, memory), so a build stays
bounded in wall time. Where fork is not available, or for a few pairs, everything runs in this process.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from typing import Any

from ..interrupt import SIGNALS as STOPS  # the stop signals, named in one place

PARALLEL_MIN = 256  # fewer pairs compile faster here than workers take to start
CHUNK = 32  # pairs per task: small enough to balance the workers, large enough to keep the pipe quiet
MAX_WORKERS = 4

Result = tuple[str, Any]  # ("ok", plain entry) | ("failed", Diagnostic) | ("again", None): redo it here

_WORK: Callable[[int], Result] | None = None  # what a forked worker compiles (set just before the fork)
_PARENT = 0  # the build's process id, for its workers


def workers_available() -> int:
    """How many processes a cold build may use: the cores this process may run on (at most MAX_WORKERS), one
    where processes cannot be forked."""
    if not hasattr(os, "fork"):  # (what multiprocessing's "fork" start method needs; not imported for a rebuild)
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def compile_all(count: int, compile_one: Callable[[int], Result], *, workers: int,
                progress: Callable[[int], None] | None = None, ends: Sequence[int] | None = None) -> list[Result]:
    """compile_one(i) for i in range(count), in that order; on `workers` forked processes when it pays. `ends`: the
    indices after which a worker's share may end (rising; count by default anywhere): what a worker is handed
    between two of them it compiles in one go, in order."""
    if workers <= 1 or count < PARALLEL_MIN:
        out = []
        for i in range(count):
            out.append(compile_one(i))
            if progress is not None:
                progress(i + 1)
        return out
    import multiprocessing

    global _WORK, _PARENT
    _WORK = compile_one
    _PARENT = os.getpid()
    chunks = _chunks(count, ends)
    parts: list[list[Result]] = []
    done = 0
    try:
        # The workers start with the stop signals held and leave Ctrl-C to this process, which ends them
        # (Pool.terminate: SIGTERM, their default) and reports the stop once.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS) if hasattr(signal, "pthread_sigmask") else None
        try:
            pool = multiprocessing.get_context("fork").Pool(min(workers, len(chunks)), initializer=_fresh_worker)
        finally:
            if held is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
        with pool:  # leaving it terminates the workers, whatever happened
            started = {proc.pid for proc in _processes(pool)}
            results = pool.imap(_run_chunk, chunks)
            while len(parts) < len(chunks):
                try:
                    part = results.next(timeout=0.5)
                except multiprocessing.TimeoutError:
                    if {proc.pid for proc in _processes(pool)} != started:  # a worker died (killed for memory,
                        break  # say): its chunk never comes back, so what is left is compiled here
                    continue
                parts.append(part)
                done += len(part)
                if progress is not None:
                    progress(done)
    finally:
        _WORK = None
    for chunk in chunks[len(parts):]:
        part = [compile_one(i) for i in chunk]
        parts.append(part)
        done += len(part)
        if progress is not None:
            progress(done)
    flat = [r for part in parts for r in part]
    # a pair a worker could not compile for another reason is compiled here, where its error is raised as usual
    return [compile_one(i) if r[0] == "again" else r for i, r in enumerate(flat)]


def _chunks(count: int, ends: Sequence[int] | None) -> list[range]:
    """The workers' shares: CHUNK indices each, or as near as `ends` allows."""
    if ends is None:
        return [range(i, min(i + CHUNK, count)) for i in range(0, count, CHUNK)]
    out: list[range] = []
    start = 0
    for end in ends:
        if end - start >= CHUNK or end >= count:
            out.append(range(start, min(end, count)))
            start = min(end, count)
    if start < count:
        out.append(range(start, count))
    return out


def _processes(pool: Any) -> list[Any]:
    """The pool's worker processes now (it replaces one that dies)."""
    return list(getattr(pool, "_pool", None) or [])


def _fresh_worker() -> None:
    """A forked worker leaves Ctrl-C and hang-ups to the build (which ends it with SIGTERM), then takes signals
    again; it dies with the build (killed with SIGKILL, say: it would print a broken pipe's traceback for every
    result it could not send); it opens its own lexicon index (an SQLite connection must not cross a fork)."""
    from ..interrupt import parent_death_setup
    from . import lexicon

    setup = parent_death_setup(_PARENT)
    if setup is not None:
        setup()
    for sig in STOPS:
        signal.signal(sig, signal.SIG_DFL if sig == signal.SIGTERM else signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
    lexicon.forget_index()


def _run_chunk(indices: Sequence[int]) -> list[Result]:
    assert _WORK is not None  # set before the fork
    out: list[Result] = []
    for i in indices:
        try:
            out.append(_WORK(i))
        except BaseException:  # noqa: BLE001 - raised again when the parent compiles it
            out.append(("again", None))
    return out
