"""Fake Replicate HTTP API (predictions).

Wire facts and their sources:
- `Authorization: Bearer <token>`, base `https://api.replicate.com` (REPLICATE_API_TOKEN); `POST /v1/predictions`
  with `{"version", "input", "webhook", "webhook_events_filter"}`; `POST /v1/models/{owner}/{name}/predictions`;
  `Prefer: wait` or `wait=N` asks the server to hold the answer until the prediction finishes; `GET
  /v1/predictions/{id}`; `POST /v1/predictions/{id}/cancel`; `GET /v1/predictions` pages `{"next", "previous",
  "results"}`; status starting / processing / succeeded / failed / canceled; prediction fields id, model, version,
  status, input, output, logs, error, metrics, created_at, started_at, completed_at, urls {get, cancel, stream};
  errors are RFC 7807 `{"type", "title", "status", "detail"}` [replicate/replicate-python 0110c2c (2025-06-02)
  replicate/client.py, prediction.py, pagination.py, exceptions.py, model.py, V].
- create answers 201; 401 answers `{"title": "Unauthenticated", "detail": "You did not pass a valid
  authentication token", "status": 401}` as application/problem+json [replicate-python tests/cassettes
  predictions-create.yaml, run__invalid-token.yaml, V].
- list filters `created_after` (at or after, ISO 8601) and `created_before` (before), newest first, 100 per page;
  `urls.web`, `data_removed`, `source`, `deadline`, `Cancel-After` header; `POST /v1/deployments/{owner}/{name}/
  predictions` [replicate/replicate-python-beta 48e138a (2025-12-18) types/prediction.py,
  prediction_list_params.py, resources/predictions.py, V].
Guesses: Prefer: wait finishing the prediction at once (fake.sync_wait=False answers "starting" as if the wait ran
out), 402 / 422 / 429 problem texts, `cursor` pagination by offset, output as a list of URLs for image models and a
single URL for video models (model-specific on the real service), the moderation error text, `Token` auth still
accepted. There is no request schema: bodies need an `input` object (and a `version` on /v1/predictions).
bytedance/seedance-2.0 and bytedance/seedance-2.0-fast inputs are checked field by field [replicate.com model API
pages, versions d456b64a / 90388a62, V]: image (first frame), last_frame_image ("only works if a first frame image
is also provided"), reference_images (up to 9, "cannot be used together with first/last frame images"), duration an
integer (-1, or 4 to 15), resolution 480p | 720p | 1080p, generate_audio a boolean, seed an integer; images are
URLs or data URIs; unknown inputs refused (a guess: Cog rejects inputs a model does not declare).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from typing import Any
from urllib.parse import urlencode

from .base import FakeServer, Request, Response, Task

STATUS = {"queued": "starting", "running": "processing", "done": "succeeded", "failed": "failed",
          "cancelled": "canceled"}
VERSION_ID = re.compile(r"^[0-9a-f]{64}$")
SEEDANCE = ("bytedance/seedance-2.0", "bytedance/seedance-2.0-fast")
SEEDANCE_INPUTS = {"prompt", "image", "last_frame_image", "reference_images", "reference_videos", "reference_audios",
                   "duration", "resolution", "aspect_ratio", "generate_audio", "seed"}


def _image(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://", "data:image/"))


def seedance_problems(inp: dict) -> list[tuple[str, str]]:
    """A Seedance 2.0 prediction's input (see the module docstring)."""
    bad = [(f"input.{k}", "not an input of this model") for k in sorted(set(inp) - SEEDANCE_INPUTS)]
    for k in ("image", "last_frame_image"):
        if k in inp and not _image(inp[k]):
            bad.append((f"input.{k}", "a URL or a data URI"))
    if "last_frame_image" in inp and "image" not in inp:
        bad.append(("input.last_frame_image", "only works if a first frame image is also provided"))
    refs = inp.get("reference_images")
    if refs:
        if not isinstance(refs, list) or len(refs) > 9 or not all(_image(r) for r in refs):
            bad.append(("input.reference_images", "up to 9 image URLs or data URIs"))
        if "image" in inp or "last_frame_image" in inp:
            bad.append(("input.reference_images", "cannot be used together with first/last frame images"))
    d = inp.get("duration")
    if d is not None and (not isinstance(d, int) or isinstance(d, bool) or not (d == -1 or 4 <= d <= 15)):
        bad.append(("input.duration", "an integer: -1 or 4 to 15"))
    if "resolution" in inp and inp["resolution"] not in ("480p", "720p", "1080p"):
        bad.append(("input.resolution", "480p, 720p or 1080p"))
    if "generate_audio" in inp and not isinstance(inp["generate_audio"], bool):
        bad.append(("input.generate_audio", "a boolean"))
    return bad


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _micros(t: float) -> int:
    """A time as whole microseconds: the precision of the API's timestamps, used for every comparison. Rounded as
    datetime.fromtimestamp rounds (its fraction of a second, half to even), so a timestamp the fake printed compares
    equal to the time it was printed from (round(t * 1e6) differs by a microsecond now and then)."""
    return (dt.datetime.fromtimestamp(t, dt.UTC) - EPOCH) // dt.timedelta(microseconds=1)


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return (EPOCH + dt.timedelta(microseconds=_micros(t))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_iso(text: str) -> int:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - EPOCH) // dt.timedelta(microseconds=1)


def _problem(status: int, title: str, detail: str, headers: dict | None = None) -> Response:
    return Response.json(status, {"title": title, "detail": detail, "status": status}, headers,
                         content_type="application/problem+json")


class FakeReplicate(FakeServer):
    provider = "replicate"
    env_key = "REPLICATE_API_TOKEN"
    kinds = ("create", "poll", "cancel", "list", "download")

    def __init__(self, *, kind: str | None = None, output: str | None = None, page_size: int = 100, **kw: Any):
        self.kind = kind  # "image" | "video" | None: video when the model name says so
        self.output_style = output  # "list" | "string" | None: list for images, string for video
        self.page_size = page_size
        self.sync_wait = True  # Prefer: wait finishes the prediction before answering
        super().__init__(**kw)

    def setup(self) -> None:
        self.route("POST", r"/v1/predictions", "create", self._create)
        self.route("POST", r"/v1/(?P<via>models|deployments)/(?P<owner>[^/]+)/(?P<name>[^/]+)/predictions", "create",
                   self._create)
        self.route("GET", r"/v1/predictions/(?P<id>[a-z0-9]+)", "poll", self._get)
        self.route("POST", r"/v1/predictions/(?P<id>[a-z0-9]+)/cancel", "cancel", self._cancel)
        self.route("GET", r"/v1/predictions", "list", self._list)

    def check_auth(self, req: Request) -> Response | None:
        if req.header("authorization") not in (f"Bearer {self.key}", f"Token {self.key}"):
            return _problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        return None

    def error(self, what: str | int, message: str | None = None, *,
              retry_after: float | None = None) -> Response:
        table = {"auth": (401, "Unauthenticated", "You did not pass a valid authentication token"),
                 "credits": (402, "Insufficient credit", "You have insufficient credit to run this model."),
                 "rate_limit": (429, "Request was throttled", "Request was throttled. Expected available in "
                                f"{int(retry_after or 1)} second."),
                 "invalid": (422, "Input validation failed", "The input is invalid"),
                 "moderated": (422, "Input validation failed", "The input was flagged as sensitive."),
                 "server": (500, "Internal server error", "Internal server error"),
                 "unavailable": (503, "Service unavailable", "Service unavailable"),
                 "not_found": (404, "Not found", "Not found.")}
        if isinstance(what, int):
            return _problem(what, f"Error {what}", message or f"Error {what}")
        status, title, detail = table[what]
        return _problem(status, title, message or detail)

    # -- predictions -----------------------------------------------------------------------------------------------
    def _prediction(self, task: Task) -> dict:
        urls = {"get": self.url(f"/v1/predictions/{task.id}"), "cancel": self.url(f"/v1/predictions/{task.id}/cancel"),
                "web": f"https://replicate.com/p/{task.id}"}
        out = None
        if task.state == "done":
            url = self.result_url(task)
            style = self.output_style or ("string" if task.kind == "video" else "list")
            out = url if style == "string" else [url]
        error = None
        if task.state == "failed":
            error = task.reason or ("NSFW content detected. Try running it again, or try a different prompt."
                                    if task.outcome == "moderated" else "Prediction failed")
        return {"id": task.id, "model": task.extra["model"], "version": task.extra["version"],
                "input": (task.body or {}).get("input", {}), "logs": "", "output": out, "data_removed": False,
                "error": error, "status": STATUS[task.state], "source": "api", "created_at": _iso(task.created),
                "started_at": _iso(task.created) if task.polls or task.terminal else None,
                "completed_at": _iso(task.finished),
                "metrics": {"predict_time": 1.25, "total_time": 1.5} if task.state == "done" else {},
                "urls": urls}

    def _create(self, req: Request) -> Response:
        body = req.json
        problems = self.invalid_body(req, None)
        if not problems and not (isinstance(body, dict) and isinstance(body.get("input"), dict)):
            problems = [("input", "input is required and must be an object")]
        if problems:
            return self.error("invalid", "; ".join(f"{w}: {m}" for w, m in problems))
        if "owner" in req.params:
            model, version = f"{req.params['owner']}/{req.params['name']}", "hidden"
        else:
            ref = str(body.get("version") or "")
            if not ref:
                return self.error("invalid", "version is required")
            if ":" in ref:
                model, version = ref.split(":", 1)
            elif VERSION_ID.match(ref):
                model, version = "unknown/model", ref
            else:  # an official model named "owner/name"
                model, version = ref, "hidden"
        if model in SEEDANCE:
            problems = seedance_problems(body["input"])
            if problems:
                return self.error("invalid", "; ".join(f"{w}: {m}" for w, m in problems))
        kind = self.kind or ("video" if "video" in model or "seedance" in model else "image")
        rid = base64.b32encode(uuid.uuid4().bytes).decode("ascii").lower().rstrip("=")[:26]
        task = self.new_task(req, task_id=rid, kind=kind, model=model, version=version)
        prefer = (req.header("prefer") or "").strip()
        if prefer.startswith("wait") and self.sync_wait:
            self.finish(task)
        return Response.json(201, self._prediction(task), task_id=task.id)

    def _get(self, req: Request) -> Response:
        with self.lock:
            task = self.tasks.get(req.params["id"])
        if task is None:
            return self.error("not_found")
        self.advance(task, req)
        return Response.json(200, self._prediction(task), task_id=task.id)

    def _cancel(self, req: Request) -> Response:
        with self.lock:
            task = self.tasks.get(req.params["id"])
        if task is None:
            return self.error("not_found")
        self.cancel(task)
        return Response.json(200, self._prediction(task), task_id=task.id)

    def _list(self, req: Request) -> Response:
        try:
            after = _parse_iso(req.query["created_after"]) if "created_after" in req.query else None
            before = _parse_iso(req.query["created_before"]) if "created_before" in req.query else None
            offset = int(req.query.get("cursor", "0") or 0)
        except ValueError as e:
            return _problem(400, "Invalid query", str(e))
        with self.lock:
            tasks = [t for t in self.tasks.values() if (after is None or _micros(t.created) >= after)
                     and (before is None or _micros(t.created) < before)]
            tasks.sort(key=lambda t: t.seq, reverse=True)
            page = [self._prediction(t) for t in tasks[offset: offset + self.page_size]]

        def link(at: int) -> str:
            q = {k: v for k, v in req.query.items() if k != "cursor"}
            return self.url("/v1/predictions?" + urlencode({**q, "cursor": str(at)}))
        nxt = link(offset + self.page_size) if offset + self.page_size < len(tasks) else None
        prev = link(max(0, offset - self.page_size)) if offset > 0 else None
        return Response.json(200, {"next": nxt, "previous": prev, "results": page})
