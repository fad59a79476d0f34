"""One task's life at a provider after the run decided to send it: the create (recorded, retried only when no task
can have been made), the polling (the task id is on disk first), the download (streamed, checked, renamed into
place). The run's scheduling and outcomes are in runner.py, first frames in first_frames.py."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import FilmcError
from ..fsutil import pid_alive
from ..store.ledger import Attempt, Ledger
from ..store.takes import extension, rel, take_dir
from .providers.base import CREATED_UNKNOWN, MissingKey, ProviderError, Status, Submitted
from .providers.http import HttpProvider

if TYPE_CHECKING:
    from .runner import Charge, Reporter, RunOptions

CREATE_TRIES = 6  # attempts of a create that was refused without making a task (429, connection refused)
FETCH_TRIES = 4
POLL_ERRORS = 30  # consecutive failed polls before a task is left for the next run
MAX_WAIT = 120.0  # the longest wait a Retry-After may impose; asked for more, the run moves on


class Stop(FilmcError):
    """Submitting stops (the cost cap, a provider whose key was refused); tasks already sent are still collected."""


STOP_GRACE = 20.0  # seconds a stopping run waits for the answer to a create already sent


class _StoppedWithAnswer(Exception):
    """The run was stopped while a create was out; its answer (a task, or a refusal) came within STOP_GRACE."""

    def __init__(self, answer: Submitted | ProviderError) -> None:
        super().__init__("stopped")
        self.answer = answer


async def _answered(create: Coroutine[Any, Any, Submitted], waiting: Callable[[], None]) -> Submitted:
    """A create's answer. When the run is stopped (Ctrl-C, SIGTERM) while the request is out, the answer is waited
    for, up to STOP_GRACE, so the task it made (or the refusal) is recorded and the next run collects it instead of
    leaving it of unknown outcome (never sent again without the creator's word); a second stop, or no answer in
    time, leaves it so. `waiting()` says so when there is an answer to wait for."""
    out = asyncio.ensure_future(create)
    try:
        return await asyncio.shield(out)
    except asyncio.CancelledError:
        if not out.done():
            try:
                waiting()
            except Exception:  # noqa: BLE001, S110 - a closed terminal or pipe: the answer matters more than the line
                pass
        try:
            sub = await asyncio.wait_for(out, STOP_GRACE)
        except ProviderError as e:
            raise _StoppedWithAnswer(e) from None
        except BaseException:  # another stop, no answer in time, a fault: the outcome is left as it stands
            out.cancel()
            raise asyncio.CancelledError from None
        raise _StoppedWithAnswer(sub) from None


class TaskSteps:
    """The steps of one attempt; the Runner holds the state they share."""

    root: Path
    ledger: Ledger
    ui: Reporter
    opt: RunOptions
    kinds: Mapping[str, str]
    price: Callable[[Mapping[str, Any]], Charge | None]
    lock: asyncio.Lock
    spent: dict[str, float]
    unpriced: int
    dead: dict[str, str]

    def _made_nothing(self, attempt: str, reason: str) -> None:
        """A create the run stopped before it was sent, or that was refused: recorded as nothing made (not of unknown
        outcome), so the next run sends its job without asking."""
        self.ledger.record("failed", attempt, reason=reason, billed=False, definitive=False, stage="create")

    async def _create(self, client: httpx.AsyncClient, job: Mapping[str, Any], provider: HttpProvider,
                      attempt: str, body: Any) -> Submitted | None:
        key = f"{job['target']}/{job['provider']}"
        for n in range(CREATE_TRIES):
            try:
                sub = await _answered(provider.submit(client, job, body, attempt), lambda: self.ui.job(
                    job["job"], job["target"], "stopping", f"awaiting the create's answer, {STOP_GRACE:.0f} s at most "
                    "(stop again: now)"))
            except _StoppedWithAnswer as stopped:  # the run stops: what the provider answered is kept first
                answer = stopped.answer
                if isinstance(answer, Submitted):
                    self.ledger.record("submitted", attempt, task_id=answer.task_id, extra=answer.extra)
                elif answer.created == CREATED_UNKNOWN:
                    self.ledger.record("unknown", attempt, reason=answer.reason)
                else:  # refused: nothing was made
                    self._made_nothing(attempt, f"{answer.reason} (the run was stopping)")
                raise asyncio.CancelledError from None
            except MissingKey as e:
                self.dead[key] = f"{e} is not set"
                self.ledger.record("failed", attempt, reason=self.dead[key], billed=False, definitive=False,
                                   stage="create")
                raise Stop(self.dead[key]) from None
            except ProviderError as e:
                if e.created == CREATED_UNKNOWN:
                    found = await self._reconcile(client, job, provider, attempt)
                    if found is None:
                        self.ledger.record("unknown", attempt, reason=e.reason)
                        return None
                    self.ledger.record("submitted", attempt, task_id=found.task_id, extra=found.extra)
                    return found
                if e.transient and n + 1 < CREATE_TRIES:
                    delay = e.retry_after if e.retry_after is not None else _backoff(n)
                    if delay > MAX_WAIT:  # a provider asking for hours: give up now, nothing was made
                        self.ledger.record("failed", attempt, reason=f"{e.reason}; the provider asks to wait "
                                           f"{delay:.0f} s: run again later", billed=False, definitive=False,
                                           stage="create")
                        return None
                    self.ui.job(job["job"], job["target"], "queued", f"{e.reason}; trying again in {delay:.0f} s")
                    try:
                        await asyncio.sleep(delay)
                    except asyncio.CancelledError:  # stopped while waiting to try again (the refusal made nothing)
                        self._made_nothing(attempt, f"{e.reason} (the run was stopping)")
                        raise
                    continue
                if e.fatal:
                    self.dead[key] = f"{job['provider']}: {e.reason}"
                self.ledger.record("failed", attempt, reason=e.reason, billed=False, definitive=not e.transient,
                                   stage="create")
                return None
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as e:  # noqa: BLE001 - a fault inside an adapter: whether a task was made is unknown
                self.ledger.record("unknown", attempt, reason=f"the create failed unexpectedly ({type(e).__name__}); "
                                   "the task may exist")
                return None
            self.ledger.record("submitted", attempt, task_id=sub.task_id, extra=sub.extra, sync=False)
            await self.ledger.flush()  # the task id is on disk before any polling
            return sub
        return None

    async def _reconcile(self, client: httpx.AsyncClient, job: Mapping[str, Any], provider: HttpProvider,
                         attempt: str) -> Submitted | None:
        """The task of a create whose answer was lost, found by the id sent with it; None when it cannot be told."""
        try:
            return await provider.reconcile(client, job, attempt)
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception:  # noqa: BLE001 - looking it up failed too: the outcome stays unknown
            return None

    async def _collect(self, client: httpx.AsyncClient, job: Mapping[str, Any], provider: HttpProvider,
                       attempt: str, sub: Submitted, resume: Attempt | None = None) -> Path | None:
        """Poll a task to its end, then download its result into takes/ (the take's path, or None)."""
        urls: tuple[str, ...] = resume.urls if resume and resume.state == "result" else ()
        if not urls:
            status = await self._poll(client, job, provider, attempt, sub)
            if status is None:
                return None
            urls = status.urls
        return await self._download(client, job, provider, attempt, sub, urls)

    async def _poll(self, client: httpx.AsyncClient, job: Mapping[str, Any], provider: HttpProvider, attempt: str,
                    sub: Submitted) -> Status | None:
        interval = self.opt.poll_interval if self.opt.poll_interval is not None else provider.poll_interval
        deadline = time.monotonic() + self.opt.task_timeout
        last_raw: str | None = self.ledger.attempts[attempt].raw_status
        errors = 0
        while True:
            await asyncio.sleep(interval * (0.8 + 0.4 * random.random()))
            try:
                status = await provider.poll(client, job, sub)
                errors = 0
            except MissingKey as e:
                self.ui.job(job["job"], job["target"], "waiting", f"{e} is not set: cannot poll")
                return None
            except (ProviderError, httpx.HTTPError, ValueError, OSError) as exc:
                err = exc if isinstance(exc, ProviderError) else ProviderError(type(exc).__name__, transient=True)
                errors += 1
                left = deadline - time.monotonic()
                if err.fatal or errors >= POLL_ERRORS or left <= 0:
                    self.ui.job(job["job"], job["target"], "waiting", f"polling failed: {err.reason}")
                    return None  # left open: the next run polls again
                wait = err.retry_after if err.retry_after is not None else _backoff(errors)
                await asyncio.sleep(min(wait, MAX_WAIT, left))
                continue
            if status.moved is not None:  # sent again elsewhere (a pooled server died): poll the new task from now on
                sub = status.moved
                self.ledger.record("submitted", attempt, task_id=sub.task_id, extra=sub.extra)
            if status.raw != last_raw and status.state in ("queued", "running"):
                self.ledger.record("status", attempt, status=status.raw, state=status.state, sync=False)
                last_raw = status.raw
                self.ui.job(job["job"], job["target"], status.state, status.raw)
            if status.state == "done":
                self.ledger.record("result", attempt, urls=list(status.urls), sync=False)
                return status
            if status.state == "failed":
                self.ledger.record("failed", attempt, reason=status.reason or status.raw, billed=status.billed,
                                   definitive=True, stage="poll")
                return None
            if time.monotonic() > deadline:
                self.ui.job(job["job"], job["target"], "waiting", "still running at the provider")
                return None

    async def _download(self, client: httpx.AsyncClient, job: Mapping[str, Any], provider: HttpProvider,
                        attempt: str, sub: Submitted, urls: tuple[str, ...]) -> Path | None:
        a = self.ledger.attempts[attempt]
        folder = take_dir(self.root, str(job["shot"]), str(job["target"]))
        folder.mkdir(parents=True, exist_ok=True)
        reason = "no result"
        for n in range(FETCH_TRIES):
            if not urls:
                break
            url = urls[0]
            self.ui.job(job["job"], job["target"], "downloading", "")
            part = folder / f".{a.take}.part-{os.getpid()}-{attempt[:8]}"
            try:
                got = await provider.fetch(client, url, part)
            except ProviderError as e:
                reason = e.reason
                _unlink(part)
                if e.status in (401, 403, 404, 410):  # the URL expired: ask the provider for fresh ones
                    try:
                        fresh = await provider.poll(client, job, sub)
                    except (ProviderError, httpx.HTTPError, ValueError):
                        fresh = None
                    if fresh is not None and fresh.state == "failed":  # the provider says the result is gone
                        self.ledger.record("failed", attempt, reason=f"the result is gone: {fresh.reason or fresh.raw}",
                                           billed=True, definitive=True, stage="download")
                        return None
                    if fresh is not None and fresh.urls:
                        urls = fresh.urls
                await asyncio.sleep(_backoff(n))
                continue
            except BaseException:
                _unlink(part)
                raise
            kind = self.kinds.get(str(job["target"]), "image")
            final = folder / f"{a.take}{extension(got.content_type, url, kind)}"
            os.replace(part, final)
            _fsync_dir(folder)
            path = rel(self.root, final)
            self.ledger.record("downloaded", attempt, path=path, bytes=got.bytes, sha256=got.sha256,
                               content_type=got.content_type, sync=False)
            price = self.price(job)
            if price is None:
                self.unpriced += 1
            else:
                async with self.lock:
                    self.spent[price.currency] = self.spent.get(price.currency, 0.0) + price.amount
                self.ledger.record("cost", attempt, amount=price.amount, currency=price.currency, source="estimate",
                                   sync=False)
            return final  # not flushed: if it were lost, the next run would fetch the result again, at no cost
        # The task is done and paid for: it stays open (its result URLs are in the ledger) so the next run fetches
        # it, asking the provider for fresh URLs if these expired. It is never made again.
        self.ui.job(job["job"], job["target"], "waiting", f"download failed: {reason}; run again to fetch it")
        return None


def sweep_parts(root: Path) -> list[Path]:
    """Remove the temp files of downloads whose run was killed (their process is gone); a live run's stay."""
    removed: list[Path] = []
    takes = root / "takes"
    if not takes.is_dir():
        return removed
    for part in takes.rglob(".*.part-*"):
        try:
            pid = int(part.name.split(".part-", 1)[1].split("-", 1)[0])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and pid_alive(pid):
            continue
        try:
            if part.is_file() and not part.is_symlink():
                part.unlink()
                removed.append(part)
        except OSError:
            pass
    return removed


def _backoff(n: int) -> float:
    """Exponential with full jitter: 1, 2, 4 ... 60 s at most."""
    return random.uniform(0.5, min(60.0, 2.0 ** n))


def _unlink(p: Path) -> None:
    try:
        p.unlink()
    except OSError:
        pass


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
