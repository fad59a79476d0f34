"""What every provider adapter is: submit a create, poll its task, fetch the result; errors classified for money.

A create's outcome is one of: created (a task id came back), not created (refused before any work: connection
refused, 4xx, 429, a documented "not created" answer), or unknown (a timeout after the body was sent, a 5xx, an
unreadable answer). Only "not created" may be sent again; "unknown" is never resent without the creator's word.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from ...errors import FilmcError

CREATED_NO, CREATED_UNKNOWN = "no", "unknown"


@dataclass(frozen=True)
class Submitted:
    task_id: str
    extra: dict[str, Any] = field(default_factory=dict)  # what polling needs besides the id (a polling URL, a server)


@dataclass(frozen=True)
class Status:
    state: str  # queued | running | done | failed
    raw: str = ""
    urls: tuple[str, ...] = ()
    reason: str | None = None
    billed: bool | None = None
    moved: Submitted | None = None  # the task now runs under another id (a pooled server died: sent again elsewhere)


@dataclass(frozen=True)
class Downloaded:
    bytes: int
    sha256: str
    content_type: str


class ProviderError(FilmcError):
    """A request the provider refused or that failed; `created` says whether a create may have made a task."""

    def __init__(self, reason: str, *, created: str = CREATED_NO, retry_after: float | None = None,
                 billed: bool | None = False, transient: bool = False, fatal: bool = False, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.created = created
        self.retry_after = retry_after
        self.billed = billed
        self.transient = transient  # worth trying again later (429, connection refused, a 5xx on a poll)
        self.fatal = fatal  # every job of this provider would fail the same way (bad key, no credits)
        self.status = status


class MissingKey(FilmcError):
    """A provider's key is not in the environment."""


def lookup(data: Any, path: str) -> Any:
    """A value by dotted path (`data.task_id`, `result.sample`, `outputs.*.images`: `*` collects from every child)."""
    if not path:
        return data
    cur: list[Any] = [data]
    for part in path.split("."):
        nxt: list[Any] = []
        for c in cur:
            if part == "*":
                nxt.extend(c.values() if isinstance(c, dict) else c if isinstance(c, list) else [])
            elif isinstance(c, dict) and part in c:
                nxt.append(c[part])
            elif isinstance(c, list) and part.isdigit() and int(part) < len(c):
                nxt.append(c[int(part)])
        cur = nxt
    if "*" in path:
        flat: list[Any] = []
        for c in cur:
            flat.extend(c if isinstance(c, list) else [c])
        return flat
    return cur[0] if cur else None


DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)\Z", re.DOTALL)


def data_url_parts(value: object) -> tuple[str, str] | None:
    """(mime type, base64 text) of a data URL (`data:image/png;base64,...`), else None."""
    m = DATA_URL.match(value) if isinstance(value, str) else None
    return (m.group("mime"), m.group("data")) if m else None


def retry_info_delay(error: object) -> float | None:
    """The wait a Google API error asks for: google.rpc.RetryInfo `retryDelay` ("13s") among the `details` of
    its `error` object (a parsed JSON answer, or google-genai's APIError.details)."""
    details = lookup(error, "error.details") if isinstance(error, Mapping) else None
    for d in details if isinstance(details, list) else ():
        m = re.fullmatch(r"\s*([0-9.]+)s\s*", str(d.get("retryDelay", ""))) if isinstance(d, Mapping) else None
        if m:
            return float(m.group(1))
    return None


def retry_after(resp: httpx.Response, default: float = 5.0) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), else a JSON `retry_after`, else default."""
    value = resp.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                import time

                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    try:
        body = resp.json()
        if isinstance(body, dict) and isinstance(body.get("retry_after"), (int, float)):
            return float(body["retry_after"])
    except ValueError:
        pass
    return default


def error_text(resp: httpx.Response, limit: int = 300) -> str:
    """The provider's own words for an error (message/detail/error fields), cut short."""
    try:
        body = resp.json()
    except ValueError:
        text = resp.text.strip()
        return (text[:limit] + "...") if len(text) > limit else text
    for path in ("message", "error.message", "error", "detail", "base_resp.status_msg", "failure", "msg"):
        v = lookup(body, path)
        if isinstance(v, str) and v:
            return v[:limit]
        if isinstance(v, list) and v:
            return str(v[0])[:limit]
    return str(body)[:limit]


def env_names(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def first_env(names: tuple[str, ...], env: Mapping[str, str]) -> str | None:
    for n in names:
        if env.get(n):
            return env[n]
    return None


def base_url_env(provider: str) -> str:
    return "FILMC_" + re.sub(r"[^A-Z0-9]", "_", provider.upper()) + "_BASE_URL"


def rebase(url: str, spec_base: str, provider: str, env: Mapping[str, str]) -> str:
    """`FILMC_<PROVIDER>_BASE_URL` replaces the target.yaml base URL at the front of a compiled URL."""
    override = env.get(base_url_env(provider))
    if not override:
        return url
    override = override.rstrip("/")
    base = spec_base.rstrip("/")
    if base and url.startswith(base):
        return override + url[len(base):]
    parsed = httpx.URL(url)
    return override + parsed.raw_path.decode("ascii")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def classify_create(exc: Exception) -> ProviderError:
    """A create that raised before an answer: only a refused connection is known not to have made a task."""
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return ProviderError(f"could not connect ({type(exc).__name__})", created=CREATED_NO, transient=True)
    if isinstance(exc, httpx.PoolTimeout):
        return ProviderError("no free connection in time", created=CREATED_NO, transient=True)
    return ProviderError(f"no answer to the create ({type(exc).__name__}); the task may exist",
                         created=CREATED_UNKNOWN, billed=None)


def classify_status(resp: httpx.Response, *, create: bool, not_created: tuple[int, ...] = ()) -> ProviderError:
    """An HTTP error answer: 429 waits, 401/402/403 stop the provider, other 4xx fail the job, 5xx are unknown."""
    code = resp.status_code
    text = error_text(resp)
    if code == 429:
        return ProviderError(f"rate limited (429): {text}", retry_after=retry_after(resp), transient=True, status=code)
    if code in (401, 403):
        return ProviderError(f"the key was refused ({code}): {text}", fatal=True, status=code)
    if code == 402:
        return ProviderError(f"out of credits (402): {text}", fatal=True, status=code)
    if 400 <= code < 500:
        return ProviderError(f"refused ({code}): {text}", status=code)
    if create and code not in not_created:
        return ProviderError(f"server error ({code}) on the create: {text}; the task may exist",
                             created=CREATED_UNKNOWN, billed=None, status=code)
    return ProviderError(f"server error ({code}): {text}", transient=True, status=code)


def env_or_os(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return env if env is not None else os.environ
