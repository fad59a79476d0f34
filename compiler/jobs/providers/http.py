"""The provider adapter that target.yaml describes: auth, submit, poll, task id, status words, result paths.

Most providers need nothing else (Freepik, Runway, Luma, Kling with its signed token and external ids, MiniMax
with its file lookup, BFL with its polling URL). What data cannot say lives in a subclass next to this one (fal,
Replicate, ComfyUI: see __init__.py for which name gets which class).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from ...target_providers import parse_provider
from .base import (
    CREATED_NO,
    CREATED_UNKNOWN,
    Downloaded,
    MissingKey,
    ProviderError,
    Status,
    Submitted,
    classify_create,
    classify_status,
    env_names,
    first_env,
    lookup,
    rebase,
    retry_after,
)

READ_TIMEOUTS = {"create": 120.0, "poll": 60.0, "fetch": 120.0}  # seconds without a byte from the server


def timeout(kind: str, env: Mapping[str, str]) -> httpx.Timeout:
    """Time-outs of one kind of call; FILMC_HTTP_TIMEOUT (seconds) sets the read time-out of every call."""
    read = READ_TIMEOUTS[kind]
    try:
        read = float(env.get("FILMC_HTTP_TIMEOUT") or read)
    except ValueError:
        pass
    return httpx.Timeout(connect=15.0, read=read, write=max(read, 30.0), pool=60.0)
MAX_RESULT_BYTES = 4 * 1024**3  # a take larger than 4 GiB is not a take


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwt_hs256(issuer: str, secret: str, now: float | None = None, ttl: int = 1800) -> str:
    """The token Kling's API takes: HS256 over {iss, exp, nbf} (nbf 5 s early for clock skew)."""
    now = time.time() if now is None else now
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps({"iss": issuer, "exp": int(now) + ttl, "nbf": int(now) - 5},
                                 separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(sig)}"


class HttpProvider:
    """One provider of one target, configured from its `providers.<name>` block in target.yaml."""

    def __init__(self, name: str, spec: Mapping[str, Any], env: Mapping[str, str]):
        self.name = name
        self.spec = dict(spec)
        self.env = env
        auth = dict(self.spec.get("auth") or {})
        self.scheme = str(auth.get("scheme", "none"))
        self.key_names = env_names(auth.get("env"))
        self.secret_names = env_names(auth.get("secret_env"))
        self.base = str(self.spec.get("base_url", ""))
        settings = parse_provider(name, self.spec)  # the runner settings, with their declared defaults
        self.max_concurrency = settings.concurrency
        interval = env.get("FILMC_POLL_INTERVAL")
        self.poll_interval = float(interval) if interval else settings.poll_interval
        err = dict(self.spec.get("error") or {})
        self.error_path, self.error_ok = err.get("path"), list(err.get("ok") or [])
        self.error_retry, self.error_fatal = list(err.get("retry") or []), list(err.get("fatal") or [])
        self.error_not_created = list(err.get("not_created") or [])  # refusals documented as making no task
        self.not_created = settings.not_created
        ext = dict(self.spec.get("external_id") or {})
        self.external_field: str | None = ext.get("field")
        self.external_lookup: str | None = (ext.get("lookup") or {}).get("path")
        self.sent: dict[str, tuple[float, Any]] = {}  # attempt -> (when its create left, the body it carried)

    # -- keys -----------------------------------------------------------------------------------------------------
    def missing_env(self) -> list[str]:
        """Variables to set before anything is sent (each group: one of its names)."""
        out = []
        for names in (self.key_names, self.secret_names):
            if names and not first_env(names, self.env):
                out.append(" or ".join(names))
        return out

    def secrets(self) -> list[str]:
        return [v for names in (self.key_names, self.secret_names) if (v := first_env(names, self.env))]

    def headers(self) -> dict[str, str]:
        out = {str(k): str(v) for k, v in (self.spec.get("headers") or {}).items()}
        key = first_env(self.key_names, self.env) if self.key_names else None
        if self.scheme in ("header", "query") and key is None or self.scheme == "bearer" and key is None:
            raise MissingKey(" or ".join(self.key_names))
        if self.scheme == "header":
            out[str((self.spec.get("auth") or {}).get("header", "Authorization"))] = key or ""
        elif self.scheme == "bearer":
            out["Authorization"] = f"Bearer {key}"
        elif self.scheme == "key":
            out["Authorization"] = f"Key {key}"
        elif self.scheme == "jwt-hs256":
            secret = first_env(self.secret_names, self.env)
            if not key or not secret:
                raise MissingKey(" and ".join(self.key_names + self.secret_names))
            out["Authorization"] = f"Bearer {jwt_hs256(key, secret)}"
        return out

    def url(self, url: str) -> str:
        return rebase(url, self.base, self.name, self.env)

    def _own(self, url: str) -> bool:
        """Only the provider's own API gets the key; a result host (a CDN, a bucket) never does."""
        base = httpx.URL(self.url(self.base) if self.base and "{" not in self.base else url)
        target = httpx.URL(url)
        return (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)

    # -- create ---------------------------------------------------------------------------------------------------
    def prepare(self, body: Any, attempt: str | None) -> Any:
        """The body as sent: with the attempt id in the provider's own field for it (Kling external_task_id), so a
        create whose answer was lost can be found again (reconcile)."""
        if self.external_field and attempt and isinstance(body, Mapping):
            return {**body, self.external_field: attempt}
        return body

    async def submit(self, client: httpx.AsyncClient, job: Mapping[str, Any], body: Mapping[str, Any],
                     attempt: str | None = None) -> Submitted:
        body = self.prepare(body, attempt)
        if attempt:
            self.sent[attempt] = (time.time(), body)
        return await self.create(client, str(job.get("method", "POST")), self.url(str(job["url"])), body)

    async def create(self, client: httpx.AsyncClient, method: str, url: str, body: Any) -> Submitted:
        """One create request and its answer, its outcome classified for money (see base.py)."""
        headers = self.headers()
        try:
            resp = await client.request(method, url, json=body, headers=headers, timeout=timeout("create", self.env))
        except httpx.HTTPError as e:
            raise classify_create(e) from None
        if resp.status_code >= 400:
            raise self.refused(resp, create=True)
        try:
            data = resp.json()
        except ValueError:
            raise ProviderError("the create's answer is not JSON; the task may exist", created=CREATED_UNKNOWN,
                                billed=None) from None
        self._check_envelope(data, create=True, resp=resp)
        return self.submitted(data)

    def submitted(self, data: Any) -> Submitted:
        """The task id and what polling needs, from the create's answer."""
        task_id = self._task_id(data)
        if not task_id:
            raise ProviderError("the create's answer has no task id; the task may exist", created=CREATED_UNKNOWN,
                                billed=None)
        extra: dict[str, Any] = {}
        poll_url = (self.spec.get("poll_url") or {}).get("path")
        if poll_url and isinstance(lookup(data, poll_url), str):
            extra["poll_url"] = lookup(data, poll_url)
        return Submitted(task_id, extra)

    async def reconcile(self, client: httpx.AsyncClient, job: Mapping[str, Any], attempt: str) -> Submitted | None:
        """The task a create of unknown outcome made, looked up by the id filmc sent with it (target.yaml
        `external_id`); None when that cannot be told: the create then stays unknown and is never sent again."""
        if not (self.external_field and self.external_lookup) or "{" in self.base:
            return None
        url = self.url(self.base.rstrip("/") + self.external_lookup.replace("{external_id}", _quote(attempt)))
        try:
            data = await self._get_json(client, url)
            self._check_envelope(data, create=False)
        except (ProviderError, MissingKey):
            return None
        task_id = self._task_id(data)
        return Submitted(task_id, {"external_id": attempt}) if task_id else None

    def refused(self, resp: httpx.Response, *, create: bool) -> ProviderError:
        """An error answer. A code in the provider's error envelope decides over the HTTP status where target.yaml
        names it (Kling answers 429 with code 1102 when the resource pack is used up: that stops, not waits)."""
        err = classify_status(resp, create=create, not_created=self.not_created)
        if not self.error_path:
            return err
        try:
            data = resp.json()
        except ValueError:
            return err
        code = lookup(data, self.error_path)
        if code is None or code in self.error_ok or code not in self.error_fatal + self.error_retry:
            return err
        msg = next((v for p in ("base_resp.status_msg", "message", "msg") if isinstance(v := lookup(data, p), str)),
                   "")
        reason = f"provider error {code}" + (f": {msg}" if msg else "") + f" ({resp.status_code})"
        if code in self.error_fatal:
            return ProviderError(reason, created=CREATED_NO, fatal=True, status=resp.status_code)
        return ProviderError(reason, created=CREATED_NO, retry_after=retry_after(resp, 10.0), transient=True,
                             status=resp.status_code)

    def _task_id(self, data: Any) -> str | None:
        path = (self.spec.get("task_id") or {}).get("path", "id")
        for p in (path, "task_id", "id", "data.task_id"):
            v = lookup(data, p)
            if isinstance(v, (str, int)) and str(v):
                return str(v)
        return None

    def _check_envelope(self, data: Any, *, create: bool, resp: httpx.Response | None = None) -> None:
        """Errors some providers send inside a 200 answer (MiniMax base_resp, Kling code)."""
        if not self.error_path:
            return
        code = lookup(data, self.error_path)
        if code is None or code in self.error_ok:
            return
        msg = next((v for p in ("base_resp.status_msg", "message", "msg") if isinstance(v := lookup(data, p), str)),
                   "")
        reason = f"provider error {code}" + (f": {msg}" if msg else "")
        if code in self.error_retry:
            raise ProviderError(reason, retry_after=retry_after(resp, 10.0) if resp is not None else 10.0,
                                transient=True)
        if create and code not in self.error_fatal and code not in self.error_not_created:
            # an error the provider does not document as "nothing was made" (a system error): the task may exist
            raise ProviderError(f"{reason}; the task may exist", created=CREATED_UNKNOWN, billed=None)
        raise ProviderError(reason, created=CREATED_NO, fatal=code in self.error_fatal)

    # -- poll -----------------------------------------------------------------------------------------------------
    def poll_url(self, job: Mapping[str, Any], sub: Submitted) -> str:
        if isinstance(sub.extra.get("poll_url"), str):
            return self.url(sub.extra["poll_url"])
        template = job.get("poll")
        if not isinstance(template, str):
            raise ProviderError(f"{self.name}: the job has no poll URL (rebuild with this filmc)")
        return self.url(template.replace("{task_id}", sub.task_id))

    async def poll(self, client: httpx.AsyncClient, job: Mapping[str, Any], sub: Submitted) -> Status:
        url = self.poll_url(job, sub)
        data = await self._get_json(client, url)
        return await self.status_of(client, data, sub)

    async def status_of(self, client: httpx.AsyncClient, data: Any, sub: Submitted) -> Status:
        """A task's state from its poll answer. A failed task is failed whatever else the answer carries (MiniMax
        sends a moderated task's Fail with an error code in base_resp)."""
        status = dict(self.spec.get("status") or {})
        raw = lookup(data, str(status.get("path", "status")).replace("{task_id}", sub.task_id))
        raw_s = "" if raw is None else str(raw)
        if raw_s not in [str(x) for x in status.get("failed", [])]:
            self._check_envelope(data, create=False)
        if raw_s in [str(x) for x in status.get("done", [])]:
            urls = await self.result_urls(client, data, sub)
            if not urls:
                return Status("failed", raw_s, reason="the provider reported success but gave no result",
                              billed=True)
            return Status("done", raw_s, urls)
        if raw_s in [str(x) for x in status.get("failed", [])]:
            reason = None
            for p in (status.get("reason"), "failure", "data.error", "error", "details", "task_status_msg",
                      "data.task_status_msg", "base_resp.status_msg"):
                v = lookup(data, p) if p else None
                if v:
                    reason = v if isinstance(v, str) else json.dumps(v)[:300]
                    break
            billed = status.get("billed_on_failure")
            return Status("failed", raw_s, reason=f"{raw_s}" + (f": {reason}" if reason else ""),
                          billed=billed if isinstance(billed, bool) else None)
        queued = [str(x) for x in status.get("queued", [])]
        return Status("queued" if raw_s in queued or not raw_s else "running", raw_s)

    async def _get_json(self, client: httpx.AsyncClient, url: str) -> Any:
        try:
            resp = await client.get(url, headers=self.headers(), timeout=timeout("poll", self.env))
        except httpx.HTTPError as e:
            raise ProviderError(f"no answer ({type(e).__name__})", transient=True) from None
        if resp.status_code >= 400:
            raise self.refused(resp, create=False)
        try:
            return resp.json()
        except ValueError:
            raise ProviderError("the answer is not JSON", transient=True) from None

    async def result_urls(self, client: httpx.AsyncClient, data: Any, sub: Submitted) -> tuple[str, ...]:
        result = dict(self.spec.get("result") or {})
        value = lookup(data, str(result.get("path", "")).replace("{task_id}", sub.task_id))
        items = value if isinstance(value, list) else [] if value is None else [value]
        fetch = result.get("fetch")
        out: list[str] = []
        for item in items:
            if fetch:
                fields = item if isinstance(item, dict) else {"file_id": item}
                path = str(fetch.get("path", ""))
                for k, v in fields.items():
                    path = path.replace("{" + str(k) + "}", _quote(str(v)))
                base = sub.extra.get("server") or self.base
                url = self.url(str(base).rstrip("/") + path)
                if fetch.get("url"):  # the lookup answers with the download URL
                    answer = await self._get_json(client, url)
                    link = lookup(answer, str(fetch["url"]))
                    if isinstance(link, str) and link:
                        out.append(link)
                else:
                    out.append(url)
            elif isinstance(item, str) and item:
                out.append(item)
            elif isinstance(item, dict) and isinstance(item.get("url"), str):
                out.append(item["url"])
        return tuple(out)

    # -- fetch ----------------------------------------------------------------------------------------------------
    async def fetch(self, client: httpx.AsyncClient, url: str, dest: Path) -> Downloaded:
        """Stream a result to dest; a short body, a gone URL or a server error raise (dest is then partial)."""
        headers = self.headers() if self._own(url) else {}
        h = hashlib.sha256()
        size = 0
        try:
            resp = await self._follow(client, url, headers)
            try:
                if resp.status_code in (401, 403, 404, 410):
                    raise ProviderError(f"the result URL answered {resp.status_code} (expired?)", transient=True,
                                        billed=True, status=resp.status_code)
                if resp.status_code >= 400:
                    raise ProviderError(f"download failed ({resp.status_code})", transient=True, billed=True,
                                        status=resp.status_code)
                encoded = resp.headers.get("content-encoding", "identity").lower() not in ("", "identity")
                expected = None if encoded else resp.headers.get("content-length")
                ctype = resp.headers.get("content-type", "").split(";")[0].strip()
                with open(dest, "wb") as f:
                    async for chunk in (resp.aiter_bytes() if encoded else resp.aiter_raw()):
                        size += len(chunk)
                        if size > MAX_RESULT_BYTES:
                            raise ProviderError("the result is larger than 4 GiB", billed=True)
                        h.update(chunk)
                        f.write(chunk)
                    f.flush()
                    os.fsync(f.fileno())
            finally:
                await resp.aclose()
        except httpx.HTTPError as e:
            raise ProviderError(f"download interrupted ({type(e).__name__})", transient=True, billed=True) from None
        if expected is not None and expected.isdigit() and int(expected) != size:
            raise ProviderError(f"download cut short ({size} of {expected} bytes)", transient=True, billed=True)
        if size == 0:
            raise ProviderError("the result is empty", transient=True, billed=True)
        return Downloaded(size, h.hexdigest(), ctype)


    async def _follow(self, client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
        """GET url, following redirects by hand: the key goes only to the provider's own host, never to a
        storage host a redirect points at (whatever header the provider uses for it)."""
        for _ in range(6):
            req = client.build_request("GET", url, headers=headers, timeout=timeout("fetch", self.env))
            resp = await client.send(req, stream=True, follow_redirects=False)
            if not resp.is_redirect or "location" not in resp.headers:
                return resp
            await resp.aclose()
            url = str(resp.url.join(resp.headers["location"]))
            if headers and not self._own(url):
                headers = {}
        raise ProviderError("too many redirects for the result", transient=True, billed=True)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


__all__ = ["CREATED_NO", "HttpProvider", "jwt_hs256"]
