"""Fake Freepik API: Mystic, FLUX (text-to-image), Kling and MiniMax Hailuo-02 (image-to-video).

Wire facts and their sources (apis.md §1 cites the Freepik OpenAPI copies in mtzyw/freepikapi, 2025-09, and
stored docs.freepik.com pages; "[V]" there = vendor text):
- auth header `x-freepik-api-key` (2026 Magnific rebrand: `x-magnific-api-key`, pass header=) [apis.md §1.1, V].
- submit `POST /v1/ai/mystic`, poll `GET /v1/ai/mystic/{id}` [§1.2, V]; `POST /v1/ai/text-to-image/flux-dev` and
  `/flux-pro-v1-1`, `/hyperflux`, poll `.../{model}/{id}` [§1.3, V; flux-pro-v1-1's poll path by Freepik's general
  rule, as targets/flux/target.yaml notes]; Kling `POST /v1/ai/image-to-video/kling-std|kling-pro` polled at
  `.../kling/{id}`, kling-v2 at `.../kling-v2/{id}`, kling-v2-1-std|pro at `.../kling-v2-1/{id}`, kling-v2-1-master
  at its own path, kling-elements-* at `.../kling-elements/{id}` [§1.4, V]; kling-v2-5-pro / v2-6-pro poll paths are
  undocumented: polled here at their submit path [guess]; Kling `image_tail` (the end frame) "Not compatible with
  standard mode", refused here on the std and master paths [§1.4, V; masters: capability map, V-3p]; Hailuo `POST .../minimax-hailuo-02-768p|1080p`, poll
  `.../{same}/{id}`, 1080p takes duration 6 only [§1.5, V].
- answers `{"data": {"task_id", "status", "generated": [urls]}}`, status CREATED / IN_PROGRESS / COMPLETED /
  FAILED [§1.1, V]; one docs version answers the create unwrapped `{"task_id", "task_status"}` (create_shape="flat").
- errors: 400 `{"message": "Your request parameters didn't validate.", "invalid_params": [{name, reason}]}`
  (problem+json), 401 `{"message": "Invalid API key"}` / `"Missing API key"`, 500 `{"message": "Internal Server
  Error"}`, 503 `{"message": "Service Unavailable. Please try again later."}` [§1.1, V].
  Guesses: 429 body `{"message": "Rate limit exceeded"}` (status documented, body not), out of credits as 402
  `{"message": ...}`, unknown task 404 `{"message": "Not found"}`, moderation shows only as FAILED.
- `GET /v1/ai/mystic` "Get the status of all Mystic tasks" (likewise per family) [endpoint list of a Freepik
  client, V-3p]; its answer `{"data": [{"task_id", "status"}]}` is a guess.
- request bodies are checked against schema/requests/{mystic,flux,kling,hailuo}.freepik.json.
- Mystic `structure_reference` / `style_reference` are base64 images [§1.2, V]: a data URL or a URL there is
  refused, and so (stricter than the API, which ignores them) are `structure_strength` without a structure
  reference and `adherence` / `hdr` without a style reference, which act only with it [§1.2, V].
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .base import FakeServer, Request, Response

IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF")

KLING_POLL = {"kling-std": "kling", "kling-pro": "kling", "kling-v2": "kling-v2", "kling-v2-1-std": "kling-v2-1",
              "kling-v2-1-pro": "kling-v2-1", "kling-v2-1-master": "kling-v2-1-master",
              "kling-v2-5-pro": "kling-v2-5-pro", "kling-v2-6-pro": "kling-v2-6-pro",
              "kling-elements-pro": "kling-elements", "kling-elements-std": "kling-elements"}
HAILUO = ("minimax-hailuo-02-768p", "minimax-hailuo-02-1080p")
TEXT_TO_IMAGE = {"flux-dev": "flux.freepik", "flux-pro-v1-1": "flux.freepik", "hyperflux": None}
KLING_SCHEMA = {"kling-std", "kling-pro", "kling-v2", "kling-v2-1-std", "kling-v2-1-pro", "kling-v2-1-master"}
KLING_TAIL = {"kling-pro", "kling-v2-1-pro"}  # image_tail "Not compatible with standard mode" [§1.4, V]; none on masters [V-3p]
STATUS = {"queued": "CREATED", "running": "IN_PROGRESS", "done": "COMPLETED", "failed": "FAILED",
          "cancelled": "FAILED"}


class FakeFreepik(FakeServer):
    provider = "freepik"
    env_key = "FREEPIK_API_KEY"

    def __init__(self, *, header: str = "x-freepik-api-key", create_shape: str = "data", **kw: Any):
        self.header = header.lower()
        self.create_shape = create_shape
        super().__init__(**kw)

    kinds = ("create", "poll", "download", "list")

    def setup(self) -> None:
        self.route("GET", r"/v1/ai/(?P<family>mystic|text-to-image/[a-z0-9.-]+|image-to-video/[a-z0-9.-]+)", "list",
                   self._list)
        self.route("POST", r"/v1/ai/mystic", "create", self._create_mystic)
        self.route("GET", r"/v1/ai/mystic/(?P<id>[^/]+)", "poll", self._poll)
        self.route("POST", r"/v1/ai/text-to-image/(?P<model>[a-z0-9.-]+)", "create", self._create_t2i)
        self.route("GET", r"/v1/ai/text-to-image/(?P<family>[a-z0-9.-]+)/(?P<id>[^/]+)", "poll", self._poll)
        self.route("POST", r"/v1/ai/image-to-video/(?P<model>[a-z0-9.-]+)", "create", self._create_i2v)
        self.route("GET", r"/v1/ai/image-to-video/(?P<family>[a-z0-9.-]+)/(?P<id>[^/]+)", "poll", self._poll)

    # -- auth and errors -------------------------------------------------------------------------------------------
    def check_auth(self, req: Request) -> Response | None:
        got = req.header(self.header)
        if not got:
            return Response.json(401, {"message": "Missing API key"})
        if got != self.key:
            return Response.json(401, {"message": "Invalid API key"})
        return None

    def error(self, what: str | int, message: str | None = None, *, retry_after: float | None = None,
              invalid: list[tuple[str, str]] | None = None) -> Response:
        if what in ("invalid", 400, "moderated"):
            body = {"message": message or "Your request parameters didn't validate.",
                    "invalid_params": [{"name": n, "reason": r} for n, r in (invalid or [])]}
            return Response.json(400, body, content_type="application/problem+json")
        table = {"auth": (401, "Invalid API key"), "credits": (402, "Insufficient credits"),
                 "rate_limit": (429, "Rate limit exceeded"), "server": (500, "Internal Server Error"),
                 "unavailable": (503, "Service Unavailable. Please try again later."), "not_found": (404, "Not found")}
        if isinstance(what, int):
            status = what
            default = {401: "Invalid API key", 402: "Insufficient credits", 404: "Not found",
                       429: "Rate limit exceeded", 500: "Internal Server Error",
                       503: "Service Unavailable. Please try again later."}.get(status, f"Error {status}")
        else:
            status, default = table[what]
        return Response.json(status, {"message": message or default})

    # -- creates ---------------------------------------------------------------------------------------------------
    def _create(self, req: Request, *, schema: str | None, poll: str, kind: str) -> Response:
        problems = self.invalid_body(req, schema)
        if problems:
            return self.error("invalid", invalid=problems)
        task = self.new_task(req, kind=kind, poll=poll)
        if self.create_shape == "flat":
            body = {"task_id": task.id, "task_status": STATUS["queued"]}
        else:
            body = {"data": {"task_id": task.id, "status": STATUS["queued"], "generated": []}}
        return Response.json(200, body, task_id=task.id)

    def _create_mystic(self, req: Request) -> Response:
        body = req.json if isinstance(req.json, dict) else {}
        problems = [(f, "must be a base64 image") for f in ("structure_reference", "style_reference")
                    if f in body and not _base64_image(body[f])]
        problems += [(f, f"acts only with {ref}") for f, ref in (("structure_strength", "structure_reference"),
                                                                  ("adherence", "style_reference"),
                                                                  ("hdr", "style_reference"))
                     if f in body and ref not in body]
        if problems:
            return self.error("invalid", invalid=problems)
        return self._create(req, schema="mystic.freepik", poll="/v1/ai/mystic", kind="image")

    def _create_t2i(self, req: Request) -> Response:
        model = req.params["model"]
        if model not in TEXT_TO_IMAGE:
            return self.error("not_found")
        return self._create(req, schema=TEXT_TO_IMAGE[model], poll=f"/v1/ai/text-to-image/{model}", kind="image")

    def _create_i2v(self, req: Request) -> Response:
        model = req.params["model"]
        if model in KLING_POLL:
            schema = "kling.freepik" if model in KLING_SCHEMA else None
            if isinstance(req.json, dict) and "image_tail" in req.json and model not in KLING_TAIL:
                return self.error("invalid", invalid=[("image_tail", "Not compatible with standard mode")])
            return self._create(req, schema=schema, poll=f"/v1/ai/image-to-video/{KLING_POLL[model]}", kind="video")
        if model in HAILUO:
            if model.endswith("1080p") and isinstance(req.json, dict) and req.json.get("duration", 6) != 6:
                return self.error("invalid", invalid=[("duration", "1080p takes a duration of 6 only")])
            return self._create(req, schema="hailuo.freepik", poll=f"/v1/ai/image-to-video/{model}", kind="video")
        return self.error("not_found")

    # -- polls -----------------------------------------------------------------------------------------------------
    def _poll(self, req: Request) -> Response:
        tid = req.params["id"]
        with self.lock:
            task = self.tasks.get(tid)
        if task is None or f"{task.extra['poll']}/{tid}" != req.path:
            return self.error("not_found")
        self.advance(task, req)
        generated = [self.result_url(task)] if task.state == "done" else []
        body = {"data": {"task_id": task.id, "status": STATUS[task.state], "generated": generated}}
        return Response.json(200, body, task_id=task.id)

    def _list(self, req: Request) -> Response:
        """Every task of one family (`GET /v1/ai/mystic` lists all Mystic tasks), newest first."""
        family = f"/v1/ai/{req.params['family']}"
        with self.lock:
            tasks = sorted((t for t in self.tasks.values() if t.extra["poll"] == family),
                           key=lambda t: t.seq, reverse=True)
            items = [{"task_id": t.id, "status": STATUS[t.state]} for t in tasks]
        return Response.json(200, {"data": items})


def _base64_image(value: Any) -> bool:
    """Plain base64 (no data: prefix) of a PNG, JPEG or WebP."""
    if not isinstance(value, str) or value.startswith(("data:", "http")):
        return False
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return data.startswith(IMAGE_MAGIC)
