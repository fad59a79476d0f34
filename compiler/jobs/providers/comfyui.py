"""ComfyUI: the creator's own servers, one or a pool.

Servers: COMFYUI_URL, one URL or several separated by commas or spaces (a pool); else FILMC_COMFYUI_BASE_URL; else
the film's `server` option (each job its own). Wire facts [comfyanonymous/ComfyUI server.py, V; apis.md §8]:
`POST /prompt` with the API-format graph answers `{prompt_id}` (a caller-chosen `prompt_id` is kept: filmc sends
the attempt id, so a create whose answer was lost is found again); `GET /history/{id}` is `{}` until the prompt
ends; `GET /queue` lists `queue_running` and `queue_pending` as `[number, prompt_id, ...]`; `GET /view` serves
the files. No authentication.

Images a graph loads (a video's first and last frames): the runner puts them in the body as data URLs (target.yaml
`first_frame: [data_url]`); before a create, each `LoadImage.image` that holds one is uploaded to the server the
prompt goes to (`POST /upload/image`, multipart `image` + `type=input` + `overwrite=true`, answered `{name,
subfolder, type}` [comfyanonymous/ComfyUI server.py image_upload, V]) under a name made of its bytes' sha256, and
the node gets the uploaded name. A prompt sent again to another server uploads its images there.

A pool: each prompt goes to the server with the shortest queue (running + pending, plus prompts this run is
sending there). A prompt whose server refuses connections is gone with that server's process (ComfyUI keeps its
queue in memory), and so is one that an answering server no longer knows (in neither its history nor its queue:
it restarted). Only then is the prompt sent again, to another server if the first one is down: the one case where
filmc resends a create on its own, because a ComfyUI server is the creator's own machine and nothing is paid (a
prompt lost three times fails: it may be what brings the server down). A server that accepts connections but does
not answer may still be working: its prompt is polled again, never resent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import errno
import hashlib
import re
import time
from collections.abc import Mapping
from typing import Any

import httpx

from ..frames import placeholders
from .base import CREATED_NO, MissingKey, ProviderError, Status, Submitted, data_url_parts
from .http import HttpProvider, timeout

POOL_ENV = "COMFYUI_URL"
QUEUE_TIMEOUT = httpx.Timeout(10.0)  # a local server answers its queue at once; one that does not is skipped
MAX_RESENDS = 2  # a prompt lost more often than this may be what brings its servers down: it fails instead
_URL = re.compile(r"^https?://[^/\s]+")
_EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
UPLOAD_PATH = "/upload/image"


class ComfyUIProvider(HttpProvider):
    def __init__(self, name: str, spec: Mapping[str, Any], env: Mapping[str, str]):
        super().__init__(name, spec, env)
        raw = env.get(POOL_ENV) or ""
        self.pool = [u.rstrip("/") for u in re.split(r"[\s,]+", raw) if u]
        self.bad = [u for u in self.pool if not _URL.match(u)]
        if len(self.pool) > 1:
            self.max_concurrency = max(1, self.max_concurrency) * len(self.pool)
        self.submit_path = str((self.spec.get("submit") or {}).get("path") or "/prompt")
        self.history_path = str((self.spec.get("poll") or {}).get("path") or "/history/{task_id}")
        self.sending: dict[str, int] = {}  # server -> creates on their way there
        self.sent_to: dict[str, str] = {}  # attempt -> server its create went to
        self.bodies: dict[str, Any] = {}  # task id -> the body it was made from (to send it again)
        self.moves: dict[tuple[str, str], Submitted] = {}  # (task id, dead server) -> where it runs now
        self.resent: dict[str, int] = {}  # task id -> times sent again in this run
        self._lock: asyncio.Lock | None = None

    def missing_env(self) -> list[str]:
        out = super().missing_env()
        if self.bad:
            out.append(f"{POOL_ENV} as http(s):// server URLs separated by commas or spaces ('{self.bad[0]}' is not "
                       "one)")
        return out

    # -- servers ---------------------------------------------------------------------------------------------------
    def servers(self, job: Mapping[str, Any]) -> list[str]:
        if self.pool:
            return list(self.pool)
        url = self.url(str(job["url"]))
        return [url[: -len(self.submit_path)] if url.endswith(self.submit_path) else str(httpx.URL(url).copy_with(
            path="/", query=None)).rstrip("/")]

    async def _queue_depth(self, client: httpx.AsyncClient, server: str) -> int | str:
        """Prompts running and waiting on a server, or why it cannot say."""
        try:
            resp = await client.get(server + "/queue", timeout=QUEUE_TIMEOUT)
            data = resp.json() if resp.status_code < 400 else None
        except (httpx.HTTPError, ValueError) as e:
            return "refuses connections" if _refused(e) else f"no answer ({type(e).__name__})"
        if not isinstance(data, Mapping):
            return f"answered {resp.status_code} to /queue"
        return sum(len(data.get(k) or ()) for k in ("queue_running", "queue_pending"))

    async def _pick(self, client: httpx.AsyncClient, servers: list[str]) -> list[str]:
        """The servers in the order to try: shortest queue first (only the ones that answered)."""
        if len(servers) < 2:
            return servers
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            depths = await asyncio.gather(*(self._queue_depth(client, s) for s in servers))
            live = [(d + self.sending.get(s, 0), i, s) for i, (s, d) in enumerate(zip(servers, depths, strict=True))
                    if isinstance(d, int)]
            if not live:
                why = "; ".join(f"{s} {d}" for s, d in zip(servers, depths, strict=True))
                raise ProviderError(f"no ComfyUI server answers ({why})", created=CREATED_NO, transient=True)
            order = [s for _, _, s in sorted(live)]
            self.sending[order[0]] = self.sending.get(order[0], 0) + 1  # counted until its create is answered
            return order

    async def _send(self, client: httpx.AsyncClient, job: Mapping[str, Any], body: Any, *,
                    exclude: frozenset[str] = frozenset(), attempt: str | None = None) -> Submitted:
        """One create, on the least busy server that takes it; a server refusing the connection is skipped."""
        servers = [s for s in self.servers(job) if s not in exclude]
        if not servers:
            raise ProviderError("no other ComfyUI server to send the prompt to", created=CREATED_NO, transient=True)
        order = await self._pick(client, servers)
        reserved = order[0] if len(servers) > 1 else None
        try:
            last: ProviderError | None = None
            for server in order:
                if attempt:
                    self.sent_to[attempt] = server
                try:
                    sent = await self._uploaded(client, server, body)
                    sub = await self.create(client, "POST", server + self.submit_path, sent)
                except ProviderError as e:
                    if e.created == CREATED_NO and e.transient and server != order[-1]:
                        last = e  # nothing was made there: the next server
                        continue
                    raise
                sub = Submitted(sub.task_id, {**sub.extra, "server": server})
                self.bodies[sub.task_id] = body
                return sub
            raise last or ProviderError("no ComfyUI server took the prompt", created=CREATED_NO, transient=True)
        finally:
            if reserved is not None:
                self.sending[reserved] -= 1

    async def _uploaded(self, client: httpx.AsyncClient, server: str, body: Any) -> Any:
        """The body with each image a LoadImage node holds inline (a data URL) uploaded to `server` and named there."""
        graph = body.get("prompt") if isinstance(body, Mapping) else None
        if not isinstance(graph, Mapping):
            return body
        names: dict[str, str] = {}
        nodes = dict(graph)
        for nid, node in graph.items():
            if not isinstance(node, Mapping) or not isinstance(node.get("inputs"), Mapping):
                continue
            inputs = node["inputs"]
            value = inputs.get("image")
            if not (isinstance(value, str) and value.startswith("data:")):
                continue
            if value not in names:
                names[value] = await self._upload(client, server, value)
            nodes[nid] = {**node, "inputs": {**inputs, "image": names[value]}}
        return {**body, "prompt": nodes} if names else body

    async def _upload(self, client: httpx.AsyncClient, server: str, data_url: str) -> str:
        """One image into the server's input folder; the name to load it by."""
        got = data_url_parts(data_url)
        try:
            data = base64.b64decode(got[1], validate=True) if got and got[0].startswith("image/") else b""
        except (binascii.Error, ValueError):
            data = b""
        if not got or not data:
            raise ProviderError("an image for a LoadImage node is not a base64 data URL", created=CREATED_NO)
        mime = got[0]
        name = f"filmc-{hashlib.sha256(data).hexdigest()[:16]}{_EXT.get(mime, '.png')}"
        try:
            resp = await client.post(server + UPLOAD_PATH, files={"image": (name, data, mime)},
                                     data={"type": "input", "overwrite": "true"}, timeout=timeout("create", self.env))
        except httpx.HTTPError as e:
            raise ProviderError(f"uploading {name} to {server}: {type(e).__name__}", created=CREATED_NO,
                                transient=True) from None
        if resp.status_code >= 400:
            raise ProviderError(f"{server} refused the upload of {name} (HTTP {resp.status_code})",
                                created=CREATED_NO, transient=resp.status_code >= 500, status=resp.status_code)
        try:
            answer = resp.json()
        except ValueError:
            answer = None
        if not isinstance(answer, Mapping) or not isinstance(answer.get("name"), str) or not answer["name"]:
            raise ProviderError(f"{server} answered the upload of {name} without a file name", created=CREATED_NO)
        sub = answer.get("subfolder") or ""
        return f"{sub}/{answer['name']}" if isinstance(sub, str) and sub else str(answer["name"])

    # -- create ----------------------------------------------------------------------------------------------------
    async def submit(self, client: httpx.AsyncClient, job: Mapping[str, Any], body: Mapping[str, Any],
                     attempt: str | None = None) -> Submitted:
        body = self.prepare(body, attempt)
        if attempt:
            self.sent[attempt] = (time.time(), body)
        return await self._send(client, job, body, attempt=attempt)

    async def reconcile(self, client: httpx.AsyncClient, job: Mapping[str, Any], attempt: str) -> Submitted | None:
        """A create whose answer was lost: its prompt (sent with the attempt id as prompt_id) in the server's history
        or queue."""
        server = self.sent_to.get(attempt)
        if server is None or not self.external_field:
            return None
        try:
            if attempt in await self._history(client, server, attempt) or await self._queued(client, server, attempt):
                self.bodies[attempt] = self.sent.get(attempt, (0.0, None))[1]
                return Submitted(attempt, {"server": server})
        except (ProviderError, MissingKey):
            pass
        return None

    # -- poll ------------------------------------------------------------------------------------------------------
    async def _history(self, client: httpx.AsyncClient, server: str, task_id: str) -> Any:
        url = server + self.history_path.replace("{task_id}", task_id)
        try:
            resp = await client.get(url, timeout=timeout("poll", self.env))
        except httpx.HTTPError as e:
            if _refused(e):
                raise _Gone(server) from None
            raise ProviderError(f"no answer from {server} ({type(e).__name__})", transient=True) from None
        if resp.status_code >= 400:
            raise self.refused(resp, create=False)
        try:
            return resp.json()
        except ValueError:
            raise ProviderError(f"{server}: the answer is not JSON", transient=True) from None

    async def _queued(self, client: httpx.AsyncClient, server: str, task_id: str) -> bool:
        resp = await client.get(server + "/queue", timeout=timeout("poll", self.env))
        data = resp.json() if resp.status_code < 400 else {}
        items = [*(data.get("queue_running") or ()), *(data.get("queue_pending") or ())] if isinstance(
            data, Mapping) else []
        return any(isinstance(i, list) and len(i) > 1 and i[1] == task_id for i in items)

    async def _lost(self, client: httpx.AsyncClient, server: str, task_id: str) -> bool:
        """In neither the queue nor the history (looked at in that order, then the history again: a prompt that ends
        in between is seen)."""
        try:
            if await self._queued(client, server, task_id):
                return False
            return task_id not in await self._history(client, server, task_id)
        except (httpx.HTTPError, ValueError, ProviderError, _Gone):
            return False

    async def poll(self, client: httpx.AsyncClient, job: Mapping[str, Any], sub: Submitted) -> Status:
        server = str(sub.extra.get("server") or self.servers(job)[0])
        seen = {(sub.task_id, server)}
        while (sub.task_id, server) in self.moves:  # sent again elsewhere earlier in this run
            sub = self.moves[(sub.task_id, server)]
            server = str(sub.extra["server"])
            if (sub.task_id, server) in seen:
                break
            seen.add((sub.task_id, server))
        try:
            data = await self._history(client, server, sub.task_id)
        except _Gone:
            others = len(self.servers(job)) > 1  # alone, it is sent again to the same server once it is back
            return await self._again(client, job, sub, server, "refuses connections",
                                     exclude=frozenset({server}) if others else frozenset())
        if isinstance(data, Mapping) and sub.task_id not in data and await self._lost(client, server, sub.task_id):
            return await self._again(client, job, sub, server, "no longer knows the prompt (restarted?)")
        status = await self.status_of(client, data, Submitted(sub.task_id, {**sub.extra, "server": server}))
        if status.state == "failed" and isinstance(data, Mapping):
            why = _execution_error(data.get(sub.task_id))
            if why:
                return Status("failed", status.raw, reason=f"{status.raw}: {why}", billed=False)
        return status

    async def _again(self, client: httpx.AsyncClient, job: Mapping[str, Any], sub: Submitted, server: str, why: str,
                     exclude: frozenset[str] = frozenset()) -> Status:
        """The prompt is gone with its server: sent again (no money is involved: the servers are the creator's)."""
        if self.resent.get(sub.task_id, 0) >= MAX_RESENDS:
            return Status("failed", "lost", reason=f"{server} {why}, and the prompt was lost {MAX_RESENDS + 1} times "
                          "(does it bring the server down? see the server's log)", billed=False)
        body = self.bodies.get(sub.task_id)
        if body is None:
            if placeholders(job["body"]):
                raise ProviderError(f"{server} {why}; its prompt cannot be sent again", transient=True)
            body = self.prepare(job["body"], sub.task_id)
        try:
            new = await self._send(client, job, body, exclude=exclude)
        except ProviderError as e:
            raise ProviderError(f"{server} {why}; sending the prompt again failed: {e.reason}",
                                transient=True) from None
        self.resent[new.task_id] = self.resent.get(sub.task_id, 0) + 1
        if (new.task_id, new.extra["server"]) != (sub.task_id, server):
            self.moves[(sub.task_id, server)] = new
        return Status("queued", f"sent again to {new.extra['server']} ({server} {why})", moved=new)


def _execution_error(entry: Any) -> str | None:
    """The node and exception message of a history entry's execution_error."""
    messages = entry.get("status", {}).get("messages") if isinstance(entry, Mapping) else None
    for m in messages or ():
        if isinstance(m, list) and len(m) == 2 and m[0] == "execution_error" and isinstance(m[1], Mapping):
            node = m[1].get("node_type") or m[1].get("node_id")
            text = str(m[1].get("exception_message") or "").strip()[:300]
            return f"{node}: {text}" if node else text or None
    return None


class _Gone(Exception):
    """The server refused the connection: nothing listens there any more."""


def _refused(exc: BaseException) -> bool:
    """A refused connection (nothing listens on the port), told apart from timeouts and unreachable networks."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == errno.ECONNREFUSED:
            return True
        e = e.__cause__ or e.__context__
    return isinstance(exc, httpx.ConnectError) and "refused" in str(exc).lower()
