"""Fake fal queue API (queue.fal.run).

Wire facts and their sources:
- submit `POST https://queue.fal.run/{app}[/{subpath}]` with `Authorization: Key <FAL_KEY>`; the answer carries
  `request_id`, `response_url`, `status_url`, `cancel_url`; status `GET .../requests/{id}/status` with
  `logs=0|1`; result `GET .../requests/{id}`; cancel `PUT .../requests/{id}/cancel`; the status/result URLs use
  `{owner}/{alias}` without the subpath (namespaces `workflows`, `comfy` come first); statuses IN_QUEUE
  (`queue_position`), IN_PROGRESS (`logs`), COMPLETED (`logs`, `metrics`, and `error`, `error_type` when it
  failed); errors read as `{"detail": ...}` with `error_type` or the `x-fal-error-type` header
  [fal-ai/fal c6f0afa (2026-08-21) projects/fal_client/src/fal_client/client.py (_BaseRequestHandle,
  from_request_id, submit, _raise_for_status, AppId) and auth.py (`Key`), V].
- "The subpath should be used when making the request, but not when getting request status or results";
  `metrics.inference_time` only when COMPLETED; `queue_position` only when IN_QUEUE [docs.fal.ai
  model-endpoints/queue and documentation/model-apis/inference/queue, V].
- result shapes `{"images": [{url, content_type, width, height}], "seed", "has_nsfw_concepts", "prompt"}` for image
  apps and `{"video": {url, content_type, file_name, file_size}}` for video apps [fal model pages, V-3p].
Guesses (chosen to be strict): status answers 202 while queued or running and 200 when completed; cancel answers
202 `{"status": "CANCELLATION_REQUESTED"}` or 400 `{"status": "ALREADY_COMPLETED"}`; a result asked for early
answers 400; out of credits is 403 "User is locked. Reason: Exhausted balance..."; the error_type words
(`content_policy_violation`, `runner_error`); the app kind (video when the app id says "video", else image).
No request body schema exists for fal apps: bodies only have to be JSON objects without filmc placeholders; a
text-to-video app (`.../text-to-video`, `fal-ai/luma-dream-machine/ray-2[-flash]`) refuses image fields.
Seedance 2.0 apps (`bytedance/seedance-2.0[/fast|/mini]/...`) are checked field by field [fal-ai/fal-js
libs/client/src/types/endpoints.ts at 381105e, Seedance2I2V*Input / Seedance2R2V*Input / Seedance2T2V*Input, V]:
image-to-video needs `image_url` (a URL or a data URI) and takes `end_image_url`, never `image_urls`;
reference-to-video takes `image_urls` (at most 9), never a first or last frame; `duration` is a string, "auto" or
"4".."15"; `resolution` 480p | 720p (1080p and 4k on the standard tier); unknown fields are refused (a guess: the
real apps may ignore them).
The Kling, Luma and MiniMax apps take an end frame (`tail_image_url` or `end_image_url`) and references (`image_urls`)
only where their input type in fal-js endpoints.ts (381105e) has the field [V].
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from . import media
from .base import FakeServer, Request, Response, Task

IMAGE_FIELDS = ("image_url", "start_image_url", "first_frame_image", "end_image_url", "tail_image_url")
SEEDANCE_APP = "bytedance/seedance-2.0"
SEEDANCE_FIELDS = {"prompt", "aspect_ratio", "duration", "resolution", "generate_audio", "end_user_id", "bitrate_mode"}
SEEDANCE_ASPECTS = ("auto", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")


def _image(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://", "data:image/"))


def seedance_problems(sub: str, body: dict) -> list[tuple[str, str]]:
    """A Seedance 2.0 app's input, field by field (see the module docstring)."""
    tier, _, mode = sub.rpartition("/")
    if tier not in ("", "fast", "mini") or mode not in ("image-to-video", "reference-to-video", "text-to-video"):
        return [("path", f"no Seedance 2.0 app {SEEDANCE_APP}/{sub}")]
    allowed = set(SEEDANCE_FIELDS)
    if tier == "mini":
        allowed.discard("bitrate_mode")
    allowed |= {"image-to-video": {"image_url", "end_image_url"}, "reference-to-video": {"image_urls", "video_urls",
                                                                                          "audio_urls"},
                "text-to-video": set()}[mode]
    bad = [(k, f"not a field of {SEEDANCE_APP}/{sub}") for k in sorted(set(body) - allowed)]
    if not isinstance(body.get("prompt"), str) or not body["prompt"]:
        bad.append(("prompt", "field required"))
    if mode == "image-to-video":
        if not _image(body.get("image_url")):
            bad.append(("image_url", "field required: a URL or a data URI"))
        if "end_image_url" in body and not _image(body["end_image_url"]):
            bad.append(("end_image_url", "a URL or a data URI"))
    if "image_urls" in body:
        urls = body["image_urls"]
        if not isinstance(urls, list) or not 1 <= len(urls) <= 9 or not all(_image(u) for u in urls):
            bad.append(("image_urls", "1 to 9 image URLs or data URIs"))
    if "duration" in body and body["duration"] not in ("auto", *(str(d) for d in range(4, 16))):
        bad.append(("duration", "a string: auto or 4 to 15"))
    sizes = ("480p", "720p") if tier else ("480p", "720p", "1080p", "4k")
    if "resolution" in body and body["resolution"] not in sizes:
        bad.append(("resolution", f"one of {', '.join(sizes)}"))
    if "aspect_ratio" in body and body["aspect_ratio"] not in SEEDANCE_ASPECTS:
        bad.append(("aspect_ratio", f"one of {', '.join(SEEDANCE_ASPECTS)}"))
    if "generate_audio" in body and not isinstance(body["generate_audio"], bool):
        bad.append(("generate_audio", "a boolean"))
    return bad

# Which apps take an end frame or reference images, and in which field (fal-js endpoints.ts input types, V); only
# the app families listed are checked, others take any field.
FRAME_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "fal-ai/kling-video": (
        ("tail_image_url", r"(v1/standard|v1\.5/pro|v1\.6/pro|v2\.1/pro|v2\.5-turbo/pro)/image-to-video"),
        ("end_image_url", r"(v2\.6/pro|v3/(standard|pro|4k))/image-to-video|o3/(standard|pro|4k)/(image|reference)-to-video"),
        ("start_image_url", r"(v2\.6/pro|v3/(standard|pro|4k))/image-to-video|o3/(standard|pro|4k)/(image|reference)-to-video"),
        ("image_url", r"(v1|v1\.5|v1\.6|v2|v2\.1|v2\.5-turbo)/(standard|pro|master)/image-to-video"),
        ("image_urls", r"o[13]/((standard|pro|4k)/)?reference-to-video"),
    ),
    "fal-ai/luma-dream-machine": (("end_image_url", r"ray-2(-flash)?/image-to-video"),),
    "fal-ai/minimax": (("end_image_url", r"hailuo-02/(standard|pro)/image-to-video"),),
}


def frame_problems(path: str, body: dict) -> list[tuple[str, str]]:
    """Frame and reference fields an app does not take."""
    out: list[tuple[str, str]] = []
    for family, fields in FRAME_FIELDS.items():
        if not path.startswith(family + "/"):
            continue
        sub = path[len(family) + 1:]
        for field, apps in fields:
            if field in body and not re.fullmatch(apps, sub):
                out.append((field, f"not an input of {path}"))
    refs = body.get("image_urls")
    if refs is not None and not (isinstance(refs, list) and refs and all(isinstance(v, str) and v for v in refs)):
        out.append(("image_urls", "a list of image URLs"))
    return out


NAMESPACES = ("workflows", "comfy")
STATUS = {"queued": "IN_QUEUE", "running": "IN_PROGRESS"}
APP = r"(?P<app>(?:(?:workflows|comfy)/)?[^/]+/[^/]+)"


def split_app(path: str) -> tuple[str, str | None]:
    """(owner/alias with namespace, subpath) from a submit path."""
    parts = path.strip("/").split("/")
    n = 3 if parts[0] in NAMESPACES else 2
    return "/".join(parts[:n]), ("/".join(parts[n:]) or None)


class FakeFal(FakeServer):
    provider = "fal"
    env_key = "FAL_KEY"
    kinds = ("create", "poll", "result", "cancel", "download")

    def __init__(self, *, kind: str | None = None, **kw: Any):
        self.kind = kind  # "image" | "video" | None: from the app id
        super().__init__(**kw)

    def setup(self) -> None:
        self.route("GET", rf"/{APP}/requests/(?P<id>[^/]+)/status", "poll", self._status)
        self.route("GET", rf"/{APP}/requests/(?P<id>[^/]+)", "result", self._result)
        self.route("PUT", rf"/{APP}/requests/(?P<id>[^/]+)/cancel", "cancel", self._cancel)
        self.route("POST", r"/(?P<path>[^/]+/[^/]+(?:/.+)?)", "create", self._submit)

    def check_auth(self, req: Request) -> Response | None:
        got = req.header("authorization")
        if not got:
            return Response.json(401, {"detail": "Missing authorization header"})
        if got != f"Key {self.key}":
            return Response.json(401, {"detail": "Invalid key"})
        return None

    def error(self, what: str | int, message: str | None = None, *,
              retry_after: float | None = None) -> Response:
        if what in ("invalid", 422):
            return Response.json(422, {"detail": [{"loc": ["body"], "msg": message or "Invalid input",
                                                   "type": "value_error"}]})
        table = {"auth": (401, "Invalid key"),
                 "credits": (403, "User is locked. Reason: Exhausted balance. Top up your balance at "
                                  "fal.ai/dashboard/billing."),
                 "rate_limit": (429, "Too many requests"), "server": (500, "Internal server error"),
                 "unavailable": (503, "Service unavailable"), "not_found": (404, "Request not found"),
                 "moderated": (422, "The content could not be processed because it contained material flagged "
                                    "by a content checker.")}
        status, default = (what, f"Error {what}") if isinstance(what, int) else table[what]
        return Response.json(status, {"detail": message or default})

    def _urls(self, app: str, rid: str) -> dict:
        base = self.url(f"/{app}/requests/{rid}")
        return {"response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"}

    def _submit(self, req: Request) -> Response:
        app, sub = split_app(req.params["path"])
        problems = self.invalid_body(req, None)
        if not problems and not isinstance(req.json, dict):
            problems = [("body", "the input must be a JSON object")]
        path = app + "/" + (sub or "")
        text_video = path.endswith("/text-to-video") or (app.endswith("/luma-dream-machine") and "image" not in path)
        if not problems and text_video:  # a text-to-video app takes a prompt and no image
            problems = [(f, "a text-to-video app takes no image") for f in IMAGE_FIELDS if f in req.json]
            if not req.json.get("prompt"):
                problems.append(("prompt", "field required"))
        if not problems and app == SEEDANCE_APP:
            problems = seedance_problems(sub or "", req.json)
        elif not problems:
            problems = frame_problems(path.rstrip("/"), req.json)
        if problems:
            return self.error("invalid", "; ".join(f"{w}: {m}" for w, m in problems))
        kind = self.kind or ("video" if "video" in path or "dream-machine" in path else "image")
        task = self.new_task(req, task_id=str(uuid.uuid4()), kind=kind, app=app, subpath=sub)
        body = {"status": "IN_QUEUE", "request_id": task.id, **self._urls(app, task.id),
                "queue_position": 0, "gateway_request_id": task.id}
        return Response.json(200, body, task_id=task.id)

    def _find(self, req: Request) -> Task | None:
        with self.lock:
            task = self.tasks.get(req.params["id"])
        return task if task is not None and task.extra["app"] == req.params["app"] else None

    def _status(self, req: Request) -> Response:
        task = self._find(req)
        if task is None:
            return self.error("not_found")
        self.advance(task, req)
        logs = [] if req.query.get("logs") in ("1", "true", "True") else None
        urls = self._urls(task.extra["app"], task.id)
        if not task.terminal:
            body = {"status": STATUS[task.state], "request_id": task.id, "response_url": urls["response_url"]}
            if task.state == "queued":
                body["queue_position"] = 0
            else:
                body["logs"] = logs
            return Response.json(202, body, task_id=task.id)
        body = {"status": "COMPLETED", "request_id": task.id, "response_url": urls["response_url"], "logs": logs,
                "metrics": {"inference_time": 1.25} if task.state == "done" else {}}
        if task.state == "failed":
            body["error"] = task.reason or ("Content policy violation" if task.outcome == "moderated"
                                            else "Runner failed while processing the request")
            body["error_type"] = "content_policy_violation" if task.outcome == "moderated" else "runner_error"
        elif task.state == "cancelled":
            body["error"], body["error_type"] = "Request was cancelled", "cancelled"
        return Response.json(200, body, task_id=task.id)

    def _output(self, task: Task) -> dict:
        data = self.result_bytes(task)
        ctype, url = media.sniff(data), self.result_url(task)
        if task.kind == "video":
            return {"video": {"url": url, "content_type": ctype, "file_name": self.file_name(task),
                              "file_size": len(data)}}
        w, h = media.IMAGE_SIZE
        prompt = task.body.get("prompt", "") if isinstance(task.body, dict) else ""
        return {"images": [{"url": url, "content_type": ctype, "width": w, "height": h}],
                "seed": task.body.get("seed", 1234) if isinstance(task.body, dict) else 1234,
                "has_nsfw_concepts": [False], "prompt": prompt}

    def _result(self, req: Request) -> Response:
        task = self._find(req)
        if task is None:
            return self.error("not_found")
        if not task.terminal:
            return Response.json(400, {"detail": "Request is still in progress"}, task_id=task.id)
        if task.state == "done":
            return Response.json(200, self._output(task), task_id=task.id)
        if task.outcome == "moderated":
            resp = Response.json(422, {"detail": [{"loc": ["body", "prompt"], "msg": task.reason or
                                                   "Content policy violation", "type": "content_policy_violation"}]},
                                 {"x-fal-error-type": "content_policy_violation"}, task_id=task.id)
            return resp
        return Response.json(500, {"detail": task.reason or "Runner failed while processing the request",
                                   "error_type": "runner_error"}, {"x-fal-error-type": "runner_error"},
                             task_id=task.id)

    def _cancel(self, req: Request) -> Response:
        task = self._find(req)
        if task is None:
            return self.error("not_found")
        if self.cancel(task):
            return Response.json(202, {"status": "CANCELLATION_REQUESTED"}, task_id=task.id)
        return Response.json(400, {"status": "ALREADY_COMPLETED"}, task_id=task.id)
