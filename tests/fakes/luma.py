"""Fake Luma Dream Machine API (generations).

Wire facts and their sources:
- base `https://api.lumalabs.ai/dream-machine/v1`, `Authorization: Bearer <key>`; `POST /generations`,
  `/generations/video`, `/generations/image`; `GET`/`DELETE /generations/{id}`; `GET /generations` (list)
  [lumalabs/lumaai-python c00ac17 (2025-10-22) src/lumaai/_client.py, resources/generations/generations.py, V].
- the Generation object `{id, state: queued|dreaming|completed|failed, failure_reason, created_at, model,
  generation_type: video|image, request, assets: {video, image, progress_video}}`, result URL `assets.video` /
  `assets.image` [sdk types/generation.py, V].
- keyframe images are URLs you host ("currently this is the only way to pass an image") [apis.md §6, V].
- create bodies (`/generations`, `/generations/video`) are checked against schema/requests/luma.luma.json.
Guesses: the create answering 201; error bodies `{"detail": "..."}` (seen through a proxy in a ComfyUI issue,
not in Luma's own docs); 402 for credits; the list answer `{"generations", "has_more", "count"}` with
limit/offset; DELETE answering 204.
"""

from __future__ import annotations

import datetime as dt
import re

from .base import FakeServer, Request, Response, Task

STATE = {"queued": "queued", "running": "dreaming", "done": "completed", "failed": "failed", "cancelled": "failed"}


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat().replace("+00:00", "Z")


class FakeLuma(FakeServer):
    provider = "luma"
    env_key = "LUMAAI_API_KEY"
    base_path = "/dream-machine/v1"
    kinds = ("create", "poll", "download", "cancel", "list")
    default_kind = "video"

    def setup(self) -> None:
        p = self.base_path
        self.route("POST", rf"{p}/generations(?:/(?P<what>video|image))?", "create", self._create)
        self.route("GET", rf"{p}/generations/(?P<id>[0-9a-f-]{{36}})", "poll", self._poll)
        self.route("DELETE", rf"{p}/generations/(?P<id>[0-9a-f-]{{36}})", "cancel", self._delete)
        self.route("GET", rf"{p}/generations", "list", self._list)

    def check_auth(self, req: Request) -> Response | None:
        if req.header("authorization") != f"Bearer {self.key}":
            return Response.json(401, {"detail": "Invalid API key"})
        return None

    def error(self, what: str | int, message: str | None = None, *,
              retry_after: float | None = None) -> Response:
        table = {"auth": (401, "Invalid API key"), "credits": (402, "Insufficient credits"),
                 "rate_limit": (429, "Too many requests"), "invalid": (400, "Invalid request"),
                 "moderated": (400, "Prompt not allowed because advanced moderation failed"),
                 "server": (500, "Internal server error"), "unavailable": (503, "Service unavailable"),
                 "not_found": (404, "Generation not found")}
        status, default = (what, f"Error {what}") if isinstance(what, int) else table[what]
        return Response.json(status, {"detail": message or default})

    def _generation(self, task: Task) -> dict:
        assets = None
        if task.state == "done":
            assets = {task.kind: self.result_url(task)}
        failure = None
        if task.state == "failed":
            failure = task.reason or ("Prompt not allowed because advanced moderation failed"
                                      if task.outcome == "moderated" else "Generation failed")
        body = task.body if isinstance(task.body, dict) else {}
        return {"id": task.id, "state": STATE[task.state], "failure_reason": failure,
                "created_at": _iso(task.created), "model": body.get("model"), "generation_type": task.kind,
                "request": body, "assets": assets}

    def _create(self, req: Request) -> Response:
        kind = req.params.get("what") or "video"
        problems = self.invalid_body(req, "luma.luma" if kind == "video" else None)
        frames = (req.json or {}).get("keyframes") if isinstance(req.json, dict) else None
        for name, frame in (frames or {}).items() if isinstance(frames, dict) else ():
            url = frame.get("url") if isinstance(frame, dict) else None
            if isinstance(url, str) and not url.startswith("@") and not re.match(r"^https?://", url):
                problems.append((f"keyframes.{name}.url", "an image URL the service can fetch"))
        if problems:
            return self.error("invalid", "; ".join(f"{w}: {m}" for w, m in problems))
        task = self.new_task(req, kind=kind)
        return Response.json(201, self._generation(task), task_id=task.id)

    def _get(self, req: Request) -> Task | None:
        with self.lock:
            task = self.tasks.get(req.params["id"])
            return None if task is None or task.extra.get("deleted") else task

    def _poll(self, req: Request) -> Response:
        task = self._get(req)
        if task is None:
            return self.error("not_found")
        self.advance(task, req)
        return Response.json(200, self._generation(task), task_id=task.id)

    def _delete(self, req: Request) -> Response:
        task = self._get(req)
        if task is None:
            return self.error("not_found")
        with self.lock:
            self.cancel(task)
            task.extra["deleted"] = True
        return Response(204, task_id=task.id)

    def _list(self, req: Request) -> Response:
        try:
            limit, offset = int(req.query.get("limit", 10)), int(req.query.get("offset", 0))
        except ValueError:
            return self.error("invalid", "limit and offset are numbers")
        with self.lock:
            tasks = sorted((t for t in self.tasks.values() if not t.extra.get("deleted")),
                           key=lambda t: t.seq, reverse=True)
            page = [self._generation(t) for t in tasks[offset: offset + limit]]
        return Response.json(200, {"generations": page, "has_more": offset + limit < len(tasks),
                                   "count": len(page)})
