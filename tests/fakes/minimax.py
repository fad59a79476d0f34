"""Fake MiniMax API (Hailuo video generation, file retrieval).

Wire facts and their sources:
- `Authorization: Bearer <key>`; `POST /v1/video_generation` answers `{"task_id", "base_resp": {"status_code": 0,
  "status_msg": "success"}}`; `GET /v1/query/video_generation?task_id=` answers `{"task_id", "status", "file_id",
  "base_resp"}`; `GET /v1/files/retrieve?file_id=` answers `{"file": {"file_id", "bytes", "created_at",
  "filename", "purpose", "download_url"}, "base_resp"}`; errors come as HTTP 200 with a non-zero
  `base_resp.status_code` [official MiniMax-AI/MiniMax-MCP minimax_mcp/server.py (query + retrieve code), V;
  apis.md §7].
- status Preparing / Queueing / Processing / Success / Fail (case-sensitive) [several clients agree, V-3p].
- `video_width`, `video_height` in the query answer; codes 1000 unknown, 1002 rate limit, 1004 auth, 1008
  insufficient balance, 1024 internal, 1026 input sensitive, 1027 output sensitive, 1033 system, 2013 invalid
  params, 2049 invalid api key [platform docs copy in petehsu/LLM-Docs, V-3p; apis.md §7].
- `first_frame_image` is a public URL or a data URL [MiniMax-MCP server.py docstring, V; apis.md §7];
  `last_frame_image`, the same, is MiniMax-Hailuo-02's first-and-last-frame mode [apis.md §7, V-3p].
- create bodies are checked against schema/requests/hailuo.minimax.json.
Guesses: which of 1004 / 2049 a missing or wrong key gets, an empty task_id on a refused create, 2013 for an
unknown task or file id, a failed task keeping base_resp 0 while a moderated one carries 1027, HTTP 500 with
base_resp 1000 for a planned 5xx status, numeric-string ids, last_frame_image refused (2013) on other models.
"""

from __future__ import annotations

import re
from typing import Any

from . import media
from .base import FakeServer, Request, Response, Task

IMAGE = re.compile(r"^(https?://|data:image/[a-z+]+;base64,)")
STATUS = {"queued": "Queueing", "running": "Processing", "done": "Success", "failed": "Fail", "cancelled": "Fail"}
CODES = {"auth": (1004, "login fail: Please carry the API secret key in the 'Authorization' field of the "
                        "request header"),
         "credits": (1008, "insufficient balance"), "rate_limit": (1002, "rate limit exceeded"),
         "invalid": (2013, "invalid params"), "moderated": (1026, "input new_sensitive"),
         "server": (1024, "internal error"), "unavailable": (1033, "system error"),
         "not_found": (2013, "invalid params, not found")}


def _ok() -> dict:
    return {"status_code": 0, "status_msg": "success"}


class FakeMiniMax(FakeServer):
    provider = "minimax"
    env_key = "MINIMAX_API_KEY"
    kinds = ("create", "poll", "retrieve", "download")
    default_kind = "video"

    def __init__(self, **kw: Any):
        self._next_id = 300000000000000
        super().__init__(**kw)

    def setup(self) -> None:
        self.route("POST", r"/v1/video_generation", "create", self._create)
        self.route("GET", r"/v1/query/video_generation", "poll", self._poll)
        self.route("GET", r"/v1/files/retrieve", "retrieve", self._retrieve)

    def _id(self) -> str:
        with self.lock:
            self._next_id += 7919
            return str(self._next_id)

    def check_auth(self, req: Request) -> Response | None:
        got = req.header("authorization")
        if not got:
            return self.error("auth")
        if got != f"Bearer {self.key}":
            return Response.json(200, {"base_resp": {"status_code": 2049, "status_msg": "invalid api key"}})
        return None

    def error(self, what: str | int, message: str | None = None, *,
              retry_after: float | None = None) -> Response:
        if isinstance(what, int):
            code = {401: 1004, 402: 1008, 429: 1002, 400: 2013}.get(what, 1000)
            return Response.json(what, {"base_resp": {"status_code": code, "status_msg": message or "unknown error"}})
        code, default = CODES[what]
        return Response.json(200, {"task_id": "", "base_resp": {"status_code": code,
                                                                "status_msg": message or default}})

    def _create(self, req: Request) -> Response:
        problems = self.invalid_body(req, "hailuo.minimax")
        body = req.json if isinstance(req.json, dict) else {}
        problems += [(f, "a public URL or a data URL") for f in ("first_frame_image", "last_frame_image")
                     if isinstance(body.get(f), str) and not IMAGE.match(body[f]) and not body[f].startswith("@")]
        if "last_frame_image" in body and body.get("model") != "MiniMax-Hailuo-02":
            problems.append(("last_frame_image", f"{body.get('model')} has no first-and-last-frame mode"))
        if "first_frame_image" not in body:  # text-to-video: a prompt, and a model that makes video from text
            if str(body.get("model", "")).startswith("I2V") or body.get("model") == "MiniMax-Hailuo-2.3-Fast":
                problems.append(("model", f"{body.get('model')} needs first_frame_image"))
            if not body.get("prompt"):
                problems.append(("prompt", "required for text-to-video"))
        if problems:
            return self.error("invalid", "invalid params, " + "; ".join(f"{w}: {m}" for w, m in problems))
        task = self.new_task(req, task_id=self._id(), kind="video")
        return Response.json(200, {"task_id": task.id, "base_resp": _ok()}, task_id=task.id)

    def _poll(self, req: Request) -> Response:
        with self.lock:
            task = self.tasks.get(req.query.get("task_id", ""))
        if task is None:
            return self.error("not_found")
        self.advance(task, req)
        body = {"task_id": task.id, "status": self._word(task), "file_id": "", "base_resp": _ok()}
        if task.state == "done":
            with self.lock:
                task.extra.setdefault("file_id", self._id())
            w, h = media.VIDEO_SIZE
            body.update(file_id=task.extra["file_id"], video_width=w, video_height=h)
        elif task.state == "failed" and task.outcome == "moderated":
            body["base_resp"] = {"status_code": 1027, "status_msg": task.reason or "output new_sensitive"}
        return Response.json(200, body, task_id=task.id)

    def _word(self, task: Task) -> str:
        """Preparing on the first poll, Queueing after it, Processing on the last poll before the end."""
        if task.terminal:
            return STATUS[task.state]
        if task.polls >= self.steps:
            return "Processing"
        return "Preparing" if task.polls <= 1 else "Queueing"

    def _retrieve(self, req: Request) -> Response:
        fid = req.query.get("file_id", "")
        with self.lock:
            task = next((t for t in self.tasks.values() if t.extra.get("file_id") == fid), None) if fid else None
        if task is None:
            return self.error("not_found")
        file = {"file_id": fid, "bytes": len(self.result_bytes(task)), "created_at": int(task.finished or 0),
                "filename": "output.mp4", "purpose": "video_generation", "download_url": self.result_url(task)}
        return Response.json(200, {"file": file, "base_resp": _ok()}, task_id=task.id)
