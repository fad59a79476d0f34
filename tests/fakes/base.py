"""The common part of every fake provider: a real HTTP server on 127.0.0.1 in a thread, tasks, faults, a log.

A fake is used as a context manager::

    with FakeFreepik() as fake:            # key "test-key", 2 polls before done
        env = fake.env()                   # {"FILMC_FREEPIK_BASE_URL": ..., "FREEPIK_API_KEY": ...}
        fake.fault("create", status=429, retry_after=1)          # the next create is refused once
        ...                                # run the code under test against fake.base_url
        assert fake.create_count == 1 and fake.calls("poll")

Requests are sorted into kinds (create, poll, download and a few provider-specific ones such as retrieve, result,
cancel, list, queue); faults and counters work per kind. Task progress is counted in polls, not in time: a task
answers its first `steps` polls as queued/running and the next one as finished (done, failed or moderated, from
`fake.outcome` or a poll fault), so tests are deterministic and fast.

Result files are served by the fake itself under `/files/<token>/<name>`; every poll that reports a finished task
issues fresh tokens (as providers hand out fresh signed URLs), and `fake.expire_urls(...)` makes tokens answer
403 after some uses or seconds.

Wire facts live in each provider's module; this module holds none.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from . import media

ROOT = Path(__file__).resolve().parents[2]
REQUEST_SCHEMAS = ROOT / "schema" / "requests"
SECRET_HEADERS = frozenset({"authorization", "x-key", "x-goog-api-key", "x-freepik-api-key", "x-magnific-api-key", "x-api-key",
                            "cookie", "proxy-authorization"})
PLACEHOLDER = re.compile(r"^@(job|last-frame|end-frame|end-file|ref):")
DEFAULT_TIMEOUT_DELAY = 60.0
BASE_KINDS = ("create", "poll", "download")
NAMED_ERRORS = ("auth", "credits", "rate_limit", "invalid", "server", "unavailable", "moderated", "not_found")
OUTCOMES = ("done", "failed", "moderated")


# ---------------------------------------------------------------- records

@dataclass(frozen=True)
class Recorded:
    """One request as the fake saw it; secret headers carry the value `<redacted>`."""

    kind: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int | None
    task_id: str | None
    t: float


@dataclass
class Task:
    """One provider task. `polls` counts status requests; `state` is queued|running|done|failed|cancelled."""

    id: str
    kind: str  # image | video
    body: Any
    path: str
    created: float
    outcome: str = "done"  # how it ends: done | failed | moderated
    reason: str | None = None
    polls: int = 0
    state: str = "queued"
    finished: float | None = None
    seq: int = 0  # creation order (1, 2, ...), for lists sorted newest first
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    @property
    def moderated(self) -> bool:
        return self.state == "failed" and self.outcome == "moderated"


@dataclass
class Fault:
    """A planned misbehaviour; see FakeServer.fault for the meaning of each field."""

    kind: str
    status: int | None = None
    error: str | None = None
    times: int | None = 1
    after_n: int = 0
    retry_after: float | None = None
    body: Any = None
    headers: dict[str, str] | None = None
    delay: float = 0.0
    timeout: bool = False
    record: bool = False
    malformed: bool = False
    outcome: str | None = None
    reason: str | None = None
    truncate: bool = False
    stall: float = 0.0
    die: str | None = None
    match: Callable[[Request], bool] | None = None
    seen: int = 0  # matching requests so far
    hits: int = 0  # times it fired

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times

    @property
    def answers(self) -> bool:
        """It replaces the answer (rather than only slowing or steering it)."""
        return self.status is not None or self.error is not None or self.body is not None or self.malformed


# ---------------------------------------------------------------- request / response

@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    raw: bytes
    json: Any = None
    json_error: str | None = None
    kind: str = ""
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern
    fault: Fault | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    task_id: str | None = None
    content_length: int | None = None  # set to lie about the length (truncated downloads)
    stall: float = 0.0  # pause after half the body

    @classmethod
    def json(cls, status: int, obj: Any, headers: dict[str, str] | None = None,
             content_type: str = "application/json", task_id: str | None = None) -> Response:
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        return cls(status, body, {"Content-Type": content_type, **(headers or {})}, task_id=task_id)

    @classmethod
    def raw(cls, status: int, body: bytes | str, content_type: str, headers: dict[str, str] | None = None) -> Response:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return cls(status, data, {"Content-Type": content_type, **(headers or {})})


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    kind: str
    handler: Callable[[Request], Response]


@dataclass
class FileToken:
    task_id: str
    name: str
    issued: float
    uses: int = 0


# ---------------------------------------------------------------- helpers

def body_hash(body: Any) -> str:
    """sha256 of a JSON body in canonical form (sorted keys, no spaces): the key of `fake.creates`."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads((REQUEST_SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def schema_errors(name: str, body: Any) -> list[tuple[str, str]]:
    """(field path, message) for every way `body` breaks schema/requests/<name>.json."""
    out = []
    for e in _validator(name).iter_errors(body):
        where = ".".join(str(p) for p in e.absolute_path) or "body"
        out.append((where, e.message))
    return sorted(out)


def placeholders(body: Any, where: str = "") -> list[str]:
    """Field paths still holding a filmc job placeholder (@job:..., @last-frame:...): never valid on the wire."""
    found: list[str] = []
    if isinstance(body, dict):
        for k, v in body.items():
            found += placeholders(v, f"{where}.{k}" if where else str(k))
    elif isinstance(body, list):
        for i, v in enumerate(body):
            found += placeholders(v, f"{where}.{i}" if where else str(i))
    elif isinstance(body, str) and PLACEHOLDER.match(body):
        found.append(where or "body")
    return found


class _Stopped(Exception):
    """Raised inside a handler thread when the fake is shutting down."""


# ---------------------------------------------------------------- the server

class FakeServer:
    """Base class of the fakes. Subclasses set `provider`, `env_key`, `kinds`, add routes in `setup()`, and
    implement `check_auth`, `error` and their handlers."""

    provider = "fake"
    env_key: str | None = None  # environment variable holding the key (as target.yaml names it)
    kinds: tuple[str, ...] = BASE_KINDS
    base_path = ""  # path prefix of the provider's base URL (Luma: /dream-machine/v1)
    default_kind = "image"

    def __init__(self, *, key: str = "test-key", steps: int = 2, result: bytes | Callable[[Task], bytes] | None = None,
                 validate: bool = True, port: int = 0, host: str = "127.0.0.1"):
        self.key = key
        self.steps = steps
        self.result = result
        self.validate = validate
        self.outcome = "done"  # how new tasks end (done | failed | moderated)
        self.reason: str | None = None  # failure text for failed/moderated tasks
        self.url_ttl: float | None = None
        self.url_uses: int | None = None
        self.expired_status = 403
        self.max_in_flight: int | None = None  # creates beyond this many unfinished tasks get the 429 error
        self.peak_in_flight = 0  # the most unfinished tasks there ever were at once
        self.lock = threading.RLock()
        self.tasks: dict[str, Task] = {}
        self.creates: Counter[str] = Counter()
        self._log: list[Recorded] = []
        self._faults: list[Fault] = []
        self._routes: list[Route] = []
        self._tokens: dict[str, FileToken] = {}
        self._token_n = 0
        self._stop = threading.Event()
        self._dead: str | None = None
        self._host, self._port = host, port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.route("GET", r"/files/(?P<token>[^/]+)/(?P<name>[^/]+)", "download", self._download)
        self.route("HEAD", r"/files/(?P<token>[^/]+)/(?P<name>[^/]+)", "download", self._download)
        self.setup()

    # -- subclass hooks --------------------------------------------------------------------------------------------
    def setup(self) -> None:
        """Add the provider's routes."""

    def check_auth(self, req: Request) -> Response | None:
        """None when the request carries the right credentials, else the provider's 401."""
        return None

    def error(self, what: str | int, message: str | None = None, *, retry_after: float | None = None) -> Response:
        """The provider's error answer for a named error (NAMED_ERRORS) or an HTTP status."""
        status = what if isinstance(what, int) else {"auth": 401, "credits": 402, "rate_limit": 429, "invalid": 400,
                                                    "server": 500, "unavailable": 503, "moderated": 400,
                                                    "not_found": 404}[what]
        return Response.json(status, {"message": message or f"error {status}"})

    def env(self) -> dict[str, str]:
        """Environment variables pointing filmc at this fake."""
        env = {f"FILMC_{re.sub(r'[^A-Z0-9]', '_', self.provider.upper())}_BASE_URL": self.base_url}
        if self.env_key:
            env[self.env_key] = self.key
        return env

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def start(self) -> Self:
        if self._httpd is not None:
            return self
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._httpd = _Server((self._host, self._port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                        name=f"fake-{self.provider}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"the {self.provider} fake is not running (use it as a context manager)")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    @property
    def base_url(self) -> str:
        """What FILMC_<PROVIDER>_BASE_URL should hold (target.yaml's base_url, pointing here)."""
        return self.origin + self.base_path

    def url(self, path: str) -> str:
        return self.origin + path

    # -- faults ----------------------------------------------------------------------------------------------------
    def fault(self, kind: str, status: int | None = None, *, error: str | None = None, times: int | None = 1,
              after_n: int = 0, retry_after: float | None = None, body: Any = None,
              headers: dict[str, str] | None = None, delay: float = 0.0, timeout: bool = False,
              record: bool = False, malformed: bool = False, outcome: str | None = None, reason: str | None = None,
              truncate: bool = False, stall: float = 0.0, die: str | bool | None = None,
              match: Callable[[Request], bool] | None = None) -> Fault:
        """Plan a misbehaviour for requests of one kind; returns the Fault (its `hits` count the firings).

        kind        create | poll | download, or a provider-specific kind (see `fake.kinds`).
        status      answer with this HTTP status and the provider's error body for it.
        error       answer with a named error in the provider's documented shape and status:
                    auth, credits, rate_limit, invalid, server, unavailable, moderated, not_found.
        times       how many times it fires (None: every time); after_n: let that many matching requests pass first.
        retry_after adds a Retry-After header (seconds); body replaces the answer body (dict -> JSON, str/bytes raw);
                    headers adds response headers.
        delay       sleep this long before answering (with timeout=True: after the create was recorded).
        timeout     create: record the task (it exists and counts as created), then sleep `delay` (default 60 s,
                    set it above the client's read timeout) before answering normally.
        record      create: make the task even though the answer is an error or malformed (outcome unknown
                    to the client, yet the task exists).
        malformed   answer 200 with JSON cut short (a create still makes its task).
        outcome     poll: the polled task ends now as "failed" or "moderated" ("done" finishes it at once);
                    reason is the provider's failure text.
        truncate    download: claim a Content-Length longer than the bytes sent, then close the connection.
        stall       download: send half the bytes, wait this long, send the rest.
        die         "refuse" (close and stop listening) or "hang" (accept, never answer) from this request on.
        match       a predicate on the Request to narrow which requests count.
        """
        if kind not in self.kinds:
            raise ValueError(f"{self.provider}: unknown request kind {kind!r}; known: {', '.join(self.kinds)}")
        if error is not None and error not in NAMED_ERRORS:
            raise ValueError(f"unknown error {error!r}; known: {', '.join(NAMED_ERRORS)}")
        if outcome is not None and outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}")
        if die is True:
            die = "refuse"
        if die not in (None, "refuse", "hang"):
            raise ValueError("die is 'refuse' or 'hang'")
        if timeout and not delay:
            delay = DEFAULT_TIMEOUT_DELAY
        f = Fault(kind=kind, status=status, error=error, times=times, after_n=after_n, retry_after=retry_after,
                  body=body, headers=headers, delay=delay, timeout=timeout,
                  record=record or timeout or (malformed and kind == "create"),
                  malformed=malformed, outcome=outcome, reason=reason, truncate=truncate, stall=stall,
                  die=die or None, match=match)
        with self.lock:
            self._faults.append(f)
        return f

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def expire_urls(self, *, after_uses: int | None = 1, after_seconds: float | None = None,
                    status: int = 403) -> None:
        """Result URLs stop working (403 by default) after that many downloads or seconds after being issued."""
        with self.lock:
            self.url_uses, self.url_ttl, self.expired_status = after_uses, after_seconds, status

    def die(self, mode: str = "refuse") -> None:
        """Stop answering from now on: "refuse" closes the port, "hang" accepts and never answers."""
        if mode not in ("refuse", "hang"):
            raise ValueError("mode is 'refuse' or 'hang'")
        with self.lock:
            self._dead = mode
        httpd = self._httpd
        if mode == "refuse" and httpd is not None:  # safe from a handler thread: serve_forever runs elsewhere
            httpd.shutdown()
            httpd.server_close()

    def _take_fault(self, req: Request) -> Fault | None:
        with self.lock:
            for f in self._faults:
                if f.kind != req.kind or f.spent:
                    continue
                if f.match is not None and not f.match(req):
                    continue
                f.seen += 1
                if f.seen <= f.after_n:
                    continue
                f.hits += 1
                return f
        return None

    # -- counters and log ------------------------------------------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        with self.lock:
            return list(self._log)

    def calls(self, kind: str | None = None) -> list[Recorded]:
        """Requests of one kind (all when None), in arrival order."""
        return [r for r in self.requests if kind is None or r.kind == kind]

    @property
    def create_count(self) -> int:
        """Tasks created (what a provider would run and bill), whatever the client saw."""
        with self.lock:
            return sum(self.creates.values())

    def creates_for(self, body: Any) -> int:
        """How many tasks were created from this exact body."""
        with self.lock:
            return self.creates[body_hash(body)]

    def task(self, task_id: str | None = None) -> Task:
        """A task by id, or the only/last one created."""
        with self.lock:
            if task_id is not None:
                return self.tasks[task_id]
            if not self.tasks:
                raise LookupError(f"the {self.provider} fake has no task")
            return list(self.tasks.values())[-1]

    # -- tasks -----------------------------------------------------------------------------------------------------
    def new_task(self, req: Request, *, task_id: str | None = None, kind: str | None = None,
                 **extra: Any) -> Task:
        """Record a task for a create (counts in `creates`)."""
        with self.lock:
            tid = task_id or str(uuid.uuid4())
            t = Task(id=tid, kind=kind or self.default_kind, body=req.json, path=req.path, created=time.time(),
                     outcome=self.outcome, reason=self.reason, seq=len(self.tasks) + 1, extra=dict(extra))
            self.tasks[tid] = t
            self.creates[body_hash(req.json)] += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            return t

    @property
    def in_flight(self) -> int:
        """Tasks created and not finished (a task finishes when a poll reports its end)."""
        with self.lock:
            return sum(not t.terminal for t in self.tasks.values())

    def advance(self, task: Task, req: Request | None = None) -> Task:
        """Count one poll: the first `steps` polls answer queued (the first) or running, the next one finishes."""
        with self.lock:
            f = req.fault if req is not None else None
            if f is not None and f.outcome is not None and not task.terminal:
                task.outcome = f.outcome
                if f.reason:
                    task.reason = f.reason
                self._finish(task)
                return task
            if task.terminal:
                return task
            task.polls += 1
            if task.polls > self.steps:
                self._finish(task)
            else:
                task.state = "queued" if task.polls == 1 else "running"
            return task

    def finish(self, task: Task) -> Task:
        """End a task now (as its outcome says), whatever its poll count."""
        with self.lock:
            if not task.terminal:
                self._finish(task)
            return task

    def _finish(self, task: Task) -> None:
        task.state = "done" if task.outcome == "done" else "failed"
        task.finished = time.time()

    def cancel(self, task: Task) -> bool:
        with self.lock:
            if task.terminal:
                return False
            task.state = "cancelled"
            task.finished = time.time()
            return True

    # -- result files ----------------------------------------------------------------------------------------------
    def result_bytes(self, task: Task) -> bytes:
        """The bytes a task's result URL serves: the test's bytes as given (or `result(task)`), else a PNG or an
        MP4 as long as the body asked, tagged with the task id so no two tasks share bytes."""
        if callable(self.result):
            return self.result(task)
        if isinstance(self.result, bytes | bytearray):
            return bytes(self.result)
        data = media.png() if task.kind == "image" else media.mp4(media.seconds_from(task.body))
        return media.tag(data, task.id)

    def content_type(self, task: Task) -> str:
        return media.sniff(self.result_bytes(task))

    def file_name(self, task: Task, index: int = 0) -> str:
        ext = media.EXTENSIONS.get(self.content_type(task), ".bin")
        return f"{task.id}{'' if index == 0 else f'-{index}'}{ext}"

    def result_url(self, task: Task, name: str | None = None) -> str:
        """A fresh URL for the task's result file, served by this fake."""
        with self.lock:
            self._token_n += 1
            token = hashlib.sha256(f"{task.id}/{self._token_n}".encode()).hexdigest()[:24]
            fname = name or self.file_name(task)
            self._tokens[token] = FileToken(task.id, fname, time.time())
            task.extra.setdefault("urls", []).append(self.url(f"/files/{token}/{fname}"))
            return self.url(f"/files/{token}/{fname}")

    def expired_response(self) -> Response:
        """What an expired signed URL answers (an object store's XML error)."""
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
                "<Message>Request has expired</Message></Error>")
        return Response.raw(self.expired_status, body, "application/xml")

    def serve_file(self, task: Task, req: Request) -> Response:
        data = self.result_bytes(task)
        resp = Response(200, data, {"Content-Type": media.sniff(data)}, task_id=task.id)
        return self._download_faults(resp, req)

    def _download(self, req: Request) -> Response:
        with self.lock:
            tok = self._tokens.get(req.params["token"])
            if tok is None or tok.name != req.params["name"]:
                return Response.raw(404, "<Error><Code>NoSuchKey</Code></Error>", "application/xml")
            expired = ((self.url_uses is not None and tok.uses >= self.url_uses)
                       or (self.url_ttl is not None and time.time() - tok.issued > self.url_ttl))
            tok.uses += 1
            task = self.tasks[tok.task_id]
        if expired:
            return self.expired_response()
        return self.serve_file(task, req)

    def _download_faults(self, resp: Response, req: Request) -> Response:
        f = req.fault
        if f is None:
            return resp
        if f.truncate:
            resp.content_length = len(resp.body) + max(1024, len(resp.body))
        if f.stall:
            resp.stall = f.stall
        return resp

    # -- checks shared by creates ----------------------------------------------------------------------------------
    def invalid_body(self, req: Request, schema: str | None) -> list[tuple[str, str]]:
        """Problems with a create body: not JSON, unreplaced placeholders, schema violations."""
        if req.json_error is not None:
            return [("body", req.json_error)]
        problems = [(p, "a filmc placeholder was sent instead of an image") for p in placeholders(req.json)]
        if self.validate and schema:
            problems += schema_errors(schema, req.json)
        return problems

    def sleep(self, seconds: float) -> None:
        """Wait, waking early when the fake stops."""
        if seconds > 0 and self._stop.wait(seconds):
            raise _Stopped

    # -- dispatch --------------------------------------------------------------------------------------------------
    def route(self, method: str, pattern: str, kind: str, handler: Callable[[Request], Response]) -> None:
        self._routes.append(Route(method, re.compile(pattern + r"\Z"), kind, handler))

    def handle(self, req: Request) -> Response:
        allowed = []
        for r in self._routes:
            m = r.pattern.match(req.path)
            if m is None:
                continue
            if r.method != req.method:
                allowed.append(r.method)
                continue
            req.kind = r.kind
            req.params = {k: unquote(v) if isinstance(v, str) else v for k, v in m.groupdict().items()}
            return self._run(r, req)
        req.kind = "unknown"
        if allowed:
            return self.error(405, f"method {req.method} not allowed for {req.path}")
        return self.error(404, f"no route for {req.method} {req.path}")

    def _run(self, route: Route, req: Request) -> Response:
        if req.kind != "download":
            denied = self.check_auth(req)
            if denied is not None:
                return denied
        if req.kind == "create" and self.max_in_flight is not None and self.in_flight >= self.max_in_flight:
            return self.error("rate_limit", retry_after=1)
        f = self._take_fault(req)
        req.fault = f
        if f is not None and f.die:
            self.die(f.die)
            raise _Dying(f.die)
        if f is not None and f.delay and not f.record:
            self.sleep(f.delay)
        if f is not None and f.answers and not f.record:
            return self._fault_answer(f, req)
        resp = route.handler(req)
        if f is None:
            return resp
        if f.record and f.delay:
            self.sleep(f.delay)
        if f.record and f.answers:
            fa = self._fault_answer(f, req)
            fa.task_id = resp.task_id
            return fa
        if f.retry_after is not None:
            resp.headers["Retry-After"] = _fmt_seconds(f.retry_after)
        if f.headers:
            resp.headers.update(f.headers)
        return resp

    def _fault_answer(self, f: Fault, req: Request) -> Response:
        if f.malformed:
            resp = Response.raw(f.status or 200, b'{"data": {"task_id": "', "application/json")
        elif f.body is not None:
            status = f.status or 200
            if isinstance(f.body, dict | list):
                resp = Response.json(status, f.body)
            else:
                raw = f.body.encode("utf-8") if isinstance(f.body, str) else bytes(f.body)
                try:
                    json.loads(raw)
                    ctype = "application/json"
                except ValueError:
                    ctype = "text/html" if raw.lstrip()[:1] == b"<" else "text/plain"
                resp = Response.raw(status, raw, ctype)
        elif f.error is not None:
            resp = self.error(f.error, f.reason, retry_after=f.retry_after)
        else:
            resp = self.error(int(f.status or 500), f.reason, retry_after=f.retry_after)
        if f.retry_after is not None:
            resp.headers["Retry-After"] = _fmt_seconds(f.retry_after)
        if f.headers:
            resp.headers.update(f.headers)
        return resp

    def record(self, req: Request, resp: Response | None) -> None:
        headers = {k: ("<redacted>" if k in SECRET_HEADERS else v) for k, v in req.headers.items()}
        rec = Recorded(req.kind or "unknown", req.method, req.path, dict(req.query), headers, req.json,
                       resp.status if resp else None, resp.task_id if resp else None, time.time())
        with self.lock:
            self._log.append(rec)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler asleep in a fault must not hold up stop()
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (a run stopped, a download given up) is normal traffic, not a server fault."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Dying(Exception):
    def __init__(self, mode: str):
        self.mode = mode


def _fmt_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_fake: FakeServer
    timeout = 30  # idle keep-alive connections end after this long

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass

    def _dispatch(self) -> None:
        fake = self.server_fake
        if fake._dead == "hang":
            fake._stop.wait()
            self.close_connection = True
            return
        if fake._dead == "refuse":
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raw = self._read_chunked()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
        req = Request(self.command, parts.path, query, headers, raw)
        if raw:
            try:
                req.json = json.loads(raw)
            except ValueError as e:
                req.json_error = f"the body is not JSON ({e})"
        resp: Response | None = None
        try:
            resp = fake.handle(req)
        except _Dying as d:
            fake.record(req, None)
            self.close_connection = True
            if d.mode == "hang":
                fake._stop.wait()
            return
        except _Stopped:
            fake.record(req, None)
            self.close_connection = True
            return
        fake.record(req, resp)
        self._send(resp)

    def _read_chunked(self) -> bytes:
        out = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(out)
            out += self.rfile.read(size)
            self.rfile.readline()

    def _send(self, resp: Response) -> None:
        fake = self.server_fake
        try:
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                self.send_header(k, v)
            length = resp.content_length if resp.content_length is not None else len(resp.body)
            self.send_header("Content-Length", str(length))
            if resp.content_length is not None:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command == "HEAD":
                return
            if resp.stall:
                half = len(resp.body) // 2
                self.wfile.write(resp.body[:half])
                self.wfile.flush()
                if fake._stop.wait(resp.stall):
                    self.close_connection = True
                    return
                self.wfile.write(resp.body[half:])
            else:
                self.wfile.write(resp.body)
            self.wfile.flush()
            if resp.content_length is not None:
                self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _dispatch
