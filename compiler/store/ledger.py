"""The append-only ledger of generations (`.filmc/ledger.jsonl`) and its replay into attempt states.

One JSON object per line, fsync'd after each line. An *attempt* is one create request for one job. The runner
writes `intent` before the request leaves and `submitted` (the provider's task id) as soon as the answer is read,
before any polling; a run that stops anywhere is resumed from these records and never sends a create twice.
The `intent` of a create that sends images from other jobs' takes records their sha256 (`made_from`, see
frame_stamps.py); the format is described in docs/ledger.md.

`filmc draft` appends one `draft` event per request to Gemini (tokens and estimated cost, no attempt of a job):
replay skips it, `filmc stats` counts it (see `append_event`).
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic
from ..errors import FilmcError

LEDGER = ".filmc/ledger.jsonl"
LOCK = ".filmc/run.lock"
VERSION = 1

# Attempt states, in the order an attempt goes through them. The last four are final.
OPEN = ("intent", "submitted", "running", "result")
FINAL = ("downloaded", "failed", "unknown", "cancelled")
# The event kinds this version replays; any other kind (from a newer filmc) is skipped without a word.
KINDS = frozenset({"intent", "submitted", "status", "result", "downloaded", "qc", "failed", "unknown", "cancelled",
                   "cost", "resolved"})
DRAFT = "draft"  # a request to Gemini by `filmc draft`: spend only, never an attempt


class LedgerBusy(FilmcError):
    """Another `filmc run` holds this film's ledger."""


def new_attempt() -> str:
    return uuid.uuid4().hex


@dataclass
class Attempt:
    """What the ledger says of one create request, replayed from its events."""

    attempt: str
    job: str = ""
    shot: str = ""
    target: str = ""
    provider: str = ""
    hash: str = ""
    model: str | None = None
    take: int = 0
    state: str = "intent"
    task_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    raw_status: str | None = None
    urls: tuple[str, ...] = ()
    path: str | None = None
    bytes: int | None = None
    sha256: str | None = None
    reason: str | None = None
    billed: bool | None = None
    definitive: bool = False
    stage: str | None = None
    qc_ok: bool | None = None
    qc_findings: tuple[dict[str, Any], ...] = ()
    estimate: float | None = None
    currency: str = "USD"  # the estimate's
    costs: dict[str, dict[str, float]] = field(default_factory=dict)  # cost events: source -> currency -> amount
    prompt: str = ""
    chained_from: str | None = None  # a later segment: the attempt whose take's last frame it started from
    made_from: dict[str, str] = field(default_factory=dict)  # images from takes it was sent: placeholder -> sha256
    t_intent: float | None = None
    t_submitted: float | None = None
    t_running: float | None = None
    t_result: float | None = None
    t_final: float | None = None

    @property
    def open(self) -> bool:
        return self.state in OPEN

    @property
    def produced(self) -> bool:
        """The attempt downloaded a take."""
        return self.state == "downloaded"

    @property
    def good(self) -> bool:
        """A take on disk that passed QC (or was not checked)."""
        return self.produced and self.qc_ok is not False

    @property
    def spend(self) -> dict[str, float]:
        """What the attempt cost, per currency: the provider's figure when it gave one, else the estimate."""
        return dict(self.costs.get("provider") or self.costs.get("estimate") or {})


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _apply(a: Attempt, e: dict[str, Any]) -> None:
    ev, t = e.get("ev"), _num(e.get("t"))
    if ev == "intent":
        for k in ("job", "shot", "target", "provider", "hash", "model", "prompt"):
            if isinstance(e.get(k), str):
                setattr(a, k, e[k])
        a.take = int(e.get("take") or 0)
        a.estimate = e.get("estimate") if isinstance(e.get("estimate"), (int, float)) else None
        a.currency = str(e.get("currency") or a.currency)
        a.chained_from = e["chained_from"] if isinstance(e.get("chained_from"), str) else None
        made = e.get("made_from")  # absent before filmc recorded it: such a take counts as made from today's images
        a.made_from = {k: v for k, v in made.items() if isinstance(k, str) and isinstance(v, str)} \
            if isinstance(made, dict) else {}
        a.t_intent = t
    elif ev == "submitted":
        a.state, a.task_id, a.t_submitted = "submitted", str(e.get("task_id")), t
        a.extra = dict(e.get("extra") or {})
    elif ev == "status":
        a.raw_status = e.get("status")
        if e.get("state") in ("queued", "running") and a.state in ("submitted", "running"):
            a.state = "running"
        if e.get("state") == "running" and a.t_running is None:
            a.t_running = t
    elif ev == "result":
        a.state, a.urls, a.t_result = "result", tuple(e.get("urls") or ()), t
    elif ev == "downloaded" and isinstance(e.get("path"), str):
        a.state, a.path, a.bytes, a.sha256, a.t_final = "downloaded", e.get("path"), e.get("bytes"), e.get("sha256"), t
    elif ev == "qc":
        a.qc_ok = bool(e.get("ok"))
        a.qc_findings = tuple(e.get("findings") or ())
    elif ev == "failed":
        a.state, a.reason, a.billed, a.t_final = "failed", e.get("reason"), e.get("billed"), t
        a.definitive, a.stage = bool(e.get("definitive")), e.get("stage")
    elif ev == "unknown":
        a.state, a.reason, a.t_final = "unknown", e.get("reason"), t
    elif ev == "cancelled":
        a.state, a.reason, a.t_final = "cancelled", e.get("reason"), t
    elif ev == "resolved":  # an unknown create the creator chose to give up (it will be sent again)
        a.state, a.reason = "failed", e.get("reason") or "outcome unknown; resent on request"
        a.definitive, a.stage = True, "resolved"
    elif ev == "cost":
        _cost(a, e)


def _cost(a: Attempt, e: dict[str, Any]) -> None:
    amount, currency, usd = _num(e.get("amount")), e.get("currency"), _num(e.get("usd"))
    if amount is not None:
        currency = currency.strip().upper() if isinstance(currency, str) and currency.strip() else a.currency
    elif usd is not None:  # the ledger's first form: an amount in US dollars
        amount, currency = usd, "USD"
    else:
        return
    source = "provider" if e.get("source") == "provider" else "estimate"
    bucket = a.costs.setdefault(source, {})
    bucket[currency] = bucket.get(currency, 0.0) + amount


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Every well-formed event, in order. A line cut short by a crash, or garbage, is skipped (read_ledger says
    which); a ledger that is not a regular file is refused without blocking (FilmError C506)."""
    events, _ = read_ledger(path, str(path))
    for e in events:
        if isinstance(e.get("attempt"), str):
            yield e


def read_ledger(path: Path, display: str = LEDGER) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """The ledger's events in order, and a C505 warning per line skipped. No ledger: no events.

    FilmError (C506) when the ledger exists but is not a regular file or cannot be read.
    """
    lines, skipped = read_lines(path, display)
    return [e for _, e in lines], skipped


def read_lines(path: Path, display: str = LEDGER) -> tuple[list[tuple[int, dict[str, Any]]], list[Diagnostic]]:
    """Like `read_ledger`, each event with its line number (1-based)."""
    from ..errors import FilmError

    try:  # opened without blocking, then checked: a FIFO put there is refused, never waited on
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return [], []
    except OSError as e:
        raise FilmError([Diagnostic("C506", "error", f"cannot read the ledger: {e.strerror or e}", display)]) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FilmError([Diagnostic("C506", "error", "the ledger is not a regular file", display,
                                    hint="the ledger is written by `filmc run`; move this file away")])
    fh = os.fdopen(fd, "rb")
    events: list[tuple[int, dict[str, Any]]] = []
    skipped: list[Diagnostic] = []
    with fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                ev = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                ev = None
            if not isinstance(ev, dict) or not isinstance(ev.get("ev"), str):
                cut = not raw.endswith(b"\n")
                why = ("the last line is cut short (a write interrupted by a crash)" if cut
                       else "not a JSON event")
                skipped.append(Diagnostic("C505", "warning", f"line {n} skipped: {why}", display, n, 1))
                continue
            events.append((n, ev))
    return events, skipped


def replay(events: Iterable[dict[str, Any]]) -> dict[str, Attempt]:
    """Attempt states from events, in the order the attempts began (unknown event kinds are ignored)."""
    out: dict[str, Attempt] = {}
    for e in events:
        _feed(out, e)
    return out


def _feed(attempts: dict[str, Attempt], e: dict[str, Any]) -> None:
    """One event into the attempts it tells of: the only way an event becomes state."""
    if e.get("ev") not in KINDS:
        return
    a = attempts.get(e["attempt"])
    if a is None:
        a = attempts[e["attempt"]] = Attempt(e["attempt"])
    _apply(a, e)


_IDS = frozenset({"chained_from", "made_from", "task_id", "hash", "sha256", "job", "shot", "target", "provider", "path", "model", "take"})


def _scrub(value: Any, redact: Callable[[str], str]) -> Any:
    """Secrets out of every text of an event; numbers, keys and ids are left as they are."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _scrub(v, redact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, redact) for v in value]
    return value


def append_event(root: Path, ev: str, *, redact: Callable[[str], str] = lambda s: s,
                 clock: Callable[[], float] = time.time, **fields: Any) -> dict[str, Any]:
    """Append one event without taking the run's lock (a draft may be made while `filmc run` works): one line in
    one write to a file opened for appending, started on a line of its own if a crash left the last one open."""
    path = root / LEDGER
    path.parent.mkdir(parents=True, exist_ok=True)
    event = {"v": VERSION, "ev": ev, "t": round(clock(), 3), "attempt": new_attempt(),
             **{k: v if k in _IDS else _scrub(v, redact) for k, v in fields.items()}}
    line = json.dumps(event, ensure_ascii=False, sort_keys=True, default=str) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0), 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        size = os.fstat(fd).st_size
        if size:
            with open(path, "rb") as f:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    line = "\n" + line
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    stored: dict[str, Any] = json.loads(line)
    return stored


class Ledger:
    """The film's ledger, held for one run (a lock keeps two runs of the same film apart)."""

    def __init__(self, root: Path, *, redact: Callable[[str], str] = lambda s: s, clock: Callable[[], float] = time.time):
        self.path = root / LEDGER
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._redact = redact
        self._clock = clock
        self._lock_fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            import fcntl

            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise LedgerBusy(f"another 'filmc run' is working on this film ({root / LOCK} is locked)") from None
        except ImportError:  # no fcntl (Windows): runs are not kept apart
            pass
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._written = self._synced = 0
        self._flusher: asyncio.Future[None] | None = None
        self._heal()
        from .attempts import read_attempts  # tolerant: a damaged or hand-edited event is left out, not fatal

        self.attempts = read_attempts(root)[0]

    def _heal(self) -> None:
        """A crash mid-line leaves no newline at the end: start the next event on a line of its own."""
        size = os.fstat(self._fd).st_size
        if size:
            with open(self.path, "rb") as f:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    os.write(self._fd, b"\n")
                    os.fsync(self._fd)

    def record(self, ev: str, attempt: str, *, sync: bool = True, **fields: Any) -> dict[str, Any]:
        """Append one event; the in-memory state follows.

        The line is written at once, so a killed process loses nothing. With sync (the default) it is also made
        durable (fsync) before returning; the runner passes sync=False and awaits `flush()`, which makes every
        event written so far durable with one fsync shared by all the coroutines waiting (group commit).
        """
        event = {"v": VERSION, "ev": ev, "t": round(self._clock(), 3), "attempt": attempt,
                 **{k: v if k in _IDS else _scrub(v, self._redact) for k, v in fields.items()}}
        line = json.dumps(event, ensure_ascii=False, sort_keys=True, default=str) + "\n"
        data = line.encode("utf-8")
        while data:
            n = os.write(self._fd, data)
            data = data[n:]
        self._written += 1
        if sync:
            os.fsync(self._fd)
            self._synced = self._written
        stored: dict[str, Any] = json.loads(line)
        _feed(self.attempts, stored)
        return stored

    async def flush(self) -> None:
        """Wait until every event written so far is durable (one fsync in a thread serves every waiter)."""
        target = self._written
        while self._synced < target:
            if self._flusher is None:
                self._flusher = asyncio.ensure_future(self._fsync())
            await asyncio.shield(self._flusher)

    async def _fsync(self) -> None:
        upto = self._written
        try:
            await asyncio.to_thread(os.fsync, self._fd)
            self._synced = max(self._synced, upto)
        finally:
            self._flusher = None

    def close(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError:
            pass
        for fd in (self._fd, self._lock_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
