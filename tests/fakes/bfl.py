"""Fake Black Forest Labs API (FLUX 1.x / FLUX.2 image endpoints).

Wire facts and their sources:
- auth header `x-key` on the create and on the poll; `POST /v1/{model}` answers `{"id", "polling_url"}`; the client
  GETs `polling_url`; `{"status": "Ready", "result": {"sample": url, "seed"}}`; result URLs expire in 10 minutes;
  429 body `{"error": "rate_limit_exceeded", "message": "Too many concurrent requests", "retry_after": 5}` read
  with a Retry-After header; 401 / 402 (credits) / 400 / 429 distinguished by status
  [official black-forest-labs/skills: skills/bfl-api/SKILL.md, references/rate-limiting.md,
  references/code-examples/python-client.py].
- create also carries `cost`, `input_mp`, `output_mp`; poll answer `{id, status, result, progress, details,
  preview}`; statuses Task not found / Pending / Request Moderated / Content Moderated / Ready / Error; 422 is
  FastAPI's `{"detail": [{"loc", "msg", "type"}]}` [BFL OpenAPI via tryAGI/BlackForestLabs, apis.md §2, V-3p].
- model paths flux-dev, flux-pro-1.1, flux-pro-1.1-ultra, flux-kontext-pro|max, flux-pro-1.0-fill|expand,
  flux-2-pro|max|flex|klein-4b|klein-9b [apis.md §2 + official skills].
- bodies are checked against schema/requests/flux.bfl.json for the models filmc compiles (FLUX.1 and FLUX.2).
- FLUX.2 reference images: input_image, input_image_2 ... input_image_8 (klein: 4), base64 or a URL
  [apis-2026.md §1e, H; BFL flux-2-pro reference as transcribed by UCloud modelverse, V-3p]; the fake takes them
  in order only (input_image_3 without input_image_2 is refused) and decodes each (`fake.references(task)`).
Guesses: 401 body `{"detail": "Not authenticated"}` (the skills page names the text, not the body), 402 body
`{"detail": "Insufficient credits"}`, 5xx bodies `{"detail": ...}`, an unknown id answered 200 with status
"Task not found", the credit figures in `cost`, `details` on failures.
A test that wants proof the client follows `polling_url` instead of building the URL passes polling_path=.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .base import FakeServer, Request, Response

MODELS = {"flux-dev": 2.5, "flux-pro-1.1": 4.0, "flux-pro-1.1-ultra": 6.0, "flux-pro-1.1-raw": 6.0,
          "flux-kontext-pro": 4.0, "flux-kontext-max": 8.0, "flux-pro-1.0-fill": 5.0, "flux-pro-1.0-expand": 5.0,
          "flux-2-pro": 3.0, "flux-2-max": 7.0, "flux-2-flex": 5.0, "flux-2-klein-4b": 1.4, "flux-2-klein-9b": 1.5}
SCHEMA = {"flux-dev", "flux-pro-1.1", "flux-pro-1.1-ultra", "flux-2-pro", "flux-2-max", "flux-2-flex", "flux-2-klein-4b",
          "flux-2-klein-9b"}
REFERENCES = {"flux-2-pro": 8, "flux-2-max": 8, "flux-2-flex": 8, "flux-2-klein-4b": 4, "flux-2-klein-9b": 4}
REF_FIELDS = ["input_image"] + [f"input_image_{n}" for n in range(2, 9)]
STATUS = {"queued": "Pending", "running": "Pending", "done": "Ready", "cancelled": "Error"}


class FakeBFL(FakeServer):
    provider = "bfl"
    env_key = "BFL_API_KEY"

    def __init__(self, *, polling_path: str = "/v1/get_result", moderation: str = "Content Moderated", **kw: Any):
        self.polling_path = polling_path
        self.moderation = moderation  # the status a moderated task ends with (or "Request Moderated")
        super().__init__(**kw)

    def setup(self) -> None:
        self.route("POST", r"/v1/(?P<model>flux-[a-z0-9.-]+)", "create", self._create)
        self.route("GET", self.polling_path.replace(".", r"\."), "poll", self._poll)

    def check_auth(self, req: Request) -> Response | None:
        got = req.header("x-key")
        if not got:
            return Response.json(401, {"detail": "Not authenticated"})
        if got != self.key:
            return Response.json(401, {"detail": "Invalid API key"})
        return None

    def error(self, what: str | int, message: str | None = None, *,
              retry_after: float | None = None) -> Response:
        if what in ("rate_limit", 429):
            wait = retry_after if retry_after is not None else 5
            return Response.json(429, {"error": "rate_limit_exceeded", "message": message or
                                       "Too many concurrent requests", "retry_after": wait},
                                 {"Retry-After": str(int(wait))})
        if what in ("invalid", 422):
            return Response.json(422, {"detail": [{"loc": ["body"], "msg": message or "Invalid request",
                                                   "type": "value_error"}]})
        table = {"auth": (401, "Not authenticated"), "credits": (402, "Insufficient credits"),
                 "server": (500, "Internal Server Error"), "unavailable": (503, "Service Unavailable"),
                 "moderated": (400, "Request Moderated"), "not_found": (404, "Not Found")}
        status, default = (what, {401: "Not authenticated", 402: "Insufficient credits", 404: "Not Found"}
                           .get(what, f"Error {what}")) if isinstance(what, int) else table[what]
        return Response.json(status, {"detail": message or default})

    def _create(self, req: Request) -> Response:
        model = req.params["model"]
        if model not in MODELS:
            return self.error("not_found")
        problems = self.invalid_body(req, "flux.bfl" if model in SCHEMA else None)
        if problems:
            return Response.json(422, {"detail": [{"loc": ["body", *where.split(".")], "msg": msg,
                                                   "type": "value_error"} for where, msg in problems]})
        refs, problem = self._references(model, req.json if isinstance(req.json, dict) else {})
        if problem:
            return Response.json(422, {"detail": [{"loc": ["body"], "msg": problem, "type": "value_error"}]})
        task = self.new_task(req, kind="image", model=model, references=refs)
        body = {"id": task.id, "polling_url": self.url(f"{self.polling_path}?id={task.id}"),
                "cost": MODELS[model], "input_mp": float(len(refs)), "output_mp": 1.0}
        return Response.json(200, body, task_id=task.id)

    def references(self, task: Any) -> list[bytes]:
        """The reference images a task was made with, decoded, in field order."""
        return list(task.extra.get("references", []))

    @staticmethod
    def _references(model: str, body: dict[str, Any]) -> tuple[list[bytes], str | None]:
        given = [f for f in REF_FIELDS if f in body]
        if not given:
            return [], None
        if model not in REFERENCES:
            return [], f"{model} takes no input_image"
        if given != REF_FIELDS[:len(given)]:
            return [], f"reference images must fill input_image, input_image_2 ... in order, got {given}"
        if len(given) > REFERENCES[model]:
            return [], f"{model} takes at most {REFERENCES[model]} reference images, got {len(given)}"
        out = []
        for f in given:
            value = body[f]
            if not isinstance(value, str) or value.startswith(("@", "data:")):
                return [], f"{f}: not base64 image data or a URL"
            if value.startswith(("http://", "https://")):
                out.append(value.encode())
                continue
            try:
                out.append(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                return [], f"{f}: invalid base64"
        return out, None

    def _poll(self, req: Request) -> Response:
        tid = req.query.get("id", "")
        with self.lock:
            task = self.tasks.get(tid)
        if task is None:
            return Response.json(200, {"id": tid, "status": "Task not found", "result": None, "progress": None,
                                       "details": None, "preview": None})
        self.advance(task, req)
        body = {"id": task.id, "status": STATUS.get(task.state, "Error"), "result": None,
                "progress": {"queued": 0.0, "running": 0.5}.get(task.state), "details": None, "preview": None}
        if task.state == "done":
            prompt = task.body.get("prompt", "") if isinstance(task.body, dict) else ""
            seed = task.body.get("seed", 1234) if isinstance(task.body, dict) else 1234
            body["result"] = {"sample": self.result_url(task), "prompt": prompt, "seed": seed,
                              "start_time": task.created, "end_time": task.finished,
                              "duration": (task.finished or task.created) - task.created}
        elif task.state == "failed":
            if task.outcome == "moderated":
                body["status"] = self.moderation
                body["details"] = {"Moderation Reasons": [task.reason or "Content policy"]}
            else:
                body["details"] = {"error": task.reason or "Generation failed"}
        return Response.json(200, body, task_id=task.id)
