"""Fake Kling official API (image2video, text2video, image generations).

Wire facts and their sources:
- `Authorization: Bearer <JWT>`: header {"alg": "HS256", "typ": "JWT"}, payload {"iss": access key,
  "exp": now+1800, "nbf": now-5}, HMAC-SHA256 with the secret key; error codes 401/1000 authentication failed,
  1001 Authorization empty, 1002 invalid, 1003 not yet valid, 1004 expired; 429/1100 account, 1101 arrears,
  1102 resource pack used up or expired (out of credits answers 429, not 402); 403/1103 no permission;
  400/1200, 1201 bad parameters; 404/1202, 1203; 400/1300 policy, 1301 content safety; 429/1302 rate limit,
  1303 concurrency over the pack, 1304 IP whitelist; 500/5000, 503/5001, 504/5002
  [WHQ25/rawgenai docs/research/kling/common-info.md, a copy of the vendor docs, V-3p; apis.md §4.1, §4.3].
- `POST /v1/videos/image2video` (body fields, `external_task_id` unique per account and usable for queries),
  answer `{"code": 0, "message", "request_id", "data": {"task_id", "task_status", "task_info":
  {"external_task_id"}, "created_at", "updated_at"}}` in ms; `GET /v1/videos/image2video/{id}` where id is the
  task_id or the external_task_id, adding `task_status_msg` and `task_result.videos[{id, url, duration}]`;
  task_status submitted / processing / succeed / failed; list `GET /v1/videos/image2video?pageNum=&pageSize=`
  [QuincyMillerDev/cooliomusic docs/KLINGAI_IMAGE_TO_VIDEO_API.md, English copy of the vendor page, V-3p].
- `final_unit_deduction` in the query answer [apis.md §4.3, V-3p]; text2video and images/generations paths and
  `task_result.images[{index, url}]` [apis.md §4.2 / WHQ25 copies, V-3p].
- `image` / `image_tail` are a URL or Base64 "without any prefix such as data:image/png;base64" [same copy, V-3p].
- image2video bodies are checked against schema/requests/kling.kling.json.
- `image_tail` (the end frame): none on the master models, pro mode only on kling-v1-5, v1-6, v2-1, v2-5-turbo and
  v2-6, 5 s only on kling-v1 [WHQ25/rawgenai docs/research/kling/capability-map.md, V-3p].
- `POST /v1/videos/omni-video` (kling-video-o1; kling-v3-omni the same [apis-2026.md §1f, M]): `image_list`
  [{image_url, type first_frame|end_frame}] (references without a type), at most 7 images, no end frame with more
  than 2 images, aspect_ratio required without a first frame and refused with one; polled at
  `/v1/videos/omni-video/{id}` [ComfyUI comfy_api_nodes/apis/kling.py, V; WHQ25/rawgenai omni-video-o1.md, V-3p].
Guesses: message "SUCCEED" on success, the duplicate external_task_id answer (400/1201), the moderation text,
the list answer's `data` being a plain array of tasks, 404/1203 for an unknown task.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from .base import FakeServer, Request, Response, Task

STATUS = {"queued": "submitted", "running": "processing", "done": "succeed", "failed": "failed",
          "cancelled": "failed"}
ERRORS = {"auth": (401, 1000, "Authentication failed"), "credits": (429, 1102, "Resource pack exhausted"),
          "rate_limit": (429, 1302, "Request rate exceeds the platform limit"),
          "invalid": (400, 1201, "Invalid request parameters"),
          "moderated": (400, 1301, "The input triggered the platform's content safety policy"),
          "server": (500, 5000, "Internal server error"), "unavailable": (503, 5001, "Service temporarily unavailable"),
          "not_found": (404, 1203, "The requested resource does not exist")}
BY_STATUS = {400: 1200, 401: 1000, 402: 1102, 403: 1103, 404: 1203, 429: 1302, 500: 5000, 503: 5001, 504: 5002}
FAMILIES = {"videos/image2video": ("video", "kling.kling"), "videos/text2video": ("video", "kling.kling"),
            "videos/omni-video": ("video", "kling.kling"), "images/generations": ("image", None)}
OMNI = ("kling-v3-omni", "kling-video-o1")
NO_TAIL = ("kling-v2-master", "kling-v2-1-master")
TAIL_PRO_ONLY = ("kling-v1-5", "kling-v1-6", "kling-v2-1", "kling-v2-5-turbo", "kling-v2-6")


def frame_problems(family: str, body: dict) -> list[str]:
    """What the capability map and the omni-video page refuse in a body's frames and images."""
    model, mode = body.get("model_name", "kling-v1"), body.get("mode", "pro" if family == "videos/omni-video" else "std")
    if family == "videos/omni-video":
        if model not in OMNI:
            return [f"model_name {model} is not an Omni model"]
        images = body.get("image_list") or []
        kinds = [i.get("type") for i in images if isinstance(i, dict)]
        out = [f"image_list: more than one {k}" for k in ("first_frame", "end_frame") if kinds.count(k) > 1]
        if "end_frame" in kinds and len(images) > 2:
            out.append("image_list: no end frame with more than 2 images")
        if "first_frame" in kinds and "aspect_ratio" in body:
            out.append("aspect_ratio: not with a first frame (the video follows it)")
        if "first_frame" not in kinds and "aspect_ratio" not in body:
            out.append("aspect_ratio: required without a first frame")
        out += [f"image_list.{n}.image_url: send the Base64 string itself, without a data: prefix"
                for n, i in enumerate(images) if str((i or {}).get("image_url", "")).startswith("data:")]
        return out
    if model in OMNI:
        return [f"model_name {model}: use /v1/videos/omni-video"]
    if "image_tail" not in body:
        return []
    if model in NO_TAIL:
        return [f"image_tail: {model} has no start and end frame"]
    if model in TAIL_PRO_ONLY and mode != "pro":
        return [f"image_tail: {model} takes an end frame in pro mode only"]
    if model == "kling-v1" and str(body.get("duration", "5")) != "5":
        return ["image_tail: kling-v1 takes an end frame in 5 s clips only"]
    return []


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_hs256(access_key: str, secret_key: str, now: float | None = None, ttl: int = 1800) -> str:
    """A token as Kling's docs make it (for tests that call the fake directly)."""
    now = time.time() if now is None else now

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64(json.dumps({"iss": access_key, "exp": int(now) + ttl, "nbf": int(now) - 5},
                          separators=(",", ":")).encode())
    sig = hmac.new(secret_key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


class FakeKling(FakeServer):
    provider = "kling"
    env_key = "KLING_ACCESS_KEY"
    kinds = ("create", "poll", "download", "list")
    default_kind = "video"

    def __init__(self, *, access_key: str = "test-access-key", secret_key: str = "test-secret-key", **kw: Any):
        self.secret_key = secret_key
        super().__init__(key=access_key, **kw)

    @property
    def access_key(self) -> str:
        return self.key

    def env(self) -> dict[str, str]:
        return {**super().env(), "KLING_SECRET_KEY": self.secret_key}

    def token(self, now: float | None = None, ttl: int = 1800) -> str:
        return jwt_hs256(self.key, self.secret_key, now, ttl)

    def setup(self) -> None:
        fam = r"(?P<family>videos/image2video|videos/text2video|videos/omni-video|images/generations)"
        self.route("POST", rf"/v1/{fam}", "create", self._create)
        self.route("GET", rf"/v1/{fam}/(?P<id>[^/]+)", "poll", self._poll)
        self.route("GET", rf"/v1/{fam}", "list", self._list)

    # -- auth and errors -------------------------------------------------------------------------------------------
    def _envelope(self, status: int, code: int, message: str, data: Any = None,
                  task_id: str | None = None) -> Response:
        return Response.json(status, {"code": code, "message": message, "request_id": str(uuid.uuid4()),
                                      "data": data}, task_id=task_id)

    def error(self, what: str | int, message: str | None = None, *,
              retry_after: float | None = None) -> Response:
        if isinstance(what, int):
            status, code, default = what, BY_STATUS.get(what, 5000), f"Error {what}"
        else:
            status, code, default = ERRORS[what]
        return self._envelope(status, code, message or default)

    def check_auth(self, req: Request) -> Response | None:
        header = req.header("authorization") or ""
        if not header:
            return self._envelope(401, 1001, "Authorization is empty")
        if not header.startswith("Bearer "):
            return self._envelope(401, 1002, "Authorization is invalid")
        parts = header[len("Bearer "):].strip().split(".")
        try:
            if len(parts) != 3:
                raise ValueError
            head, payload = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
            sig = _unb64(parts[2])
        except (ValueError, binascii.Error):
            return self._envelope(401, 1002, "Authorization is invalid")
        want = hmac.new(self.secret_key.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if head.get("alg") != "HS256" or not hmac.compare_digest(sig, want) or payload.get("iss") != self.key:
            return self._envelope(401, 1000, "Authentication failed")
        now = time.time()
        if isinstance(payload.get("nbf"), int | float) and payload["nbf"] > now:
            return self._envelope(401, 1003, "Authorization is not yet valid")
        if not isinstance(payload.get("exp"), int | float) or payload["exp"] <= now:
            return self._envelope(401, 1004, "Authorization has expired")
        return None

    # -- tasks -----------------------------------------------------------------------------------------------------
    def _data(self, task: Task) -> dict:
        ms = int(task.created * 1000)
        data = {"task_id": task.id, "task_status": STATUS[task.state],
                "task_info": {"external_task_id": task.extra.get("external_task_id")},
                "created_at": ms, "updated_at": int((task.finished or task.created) * 1000)}
        if task.state == "failed":
            data["task_status_msg"] = task.reason or ("Failure to pass the risk control system"
                                                      if task.outcome == "moderated" else "Generation failed")
        elif task.state == "done":
            url = self.result_url(task)
            if task.kind == "image":
                data["task_result"] = {"images": [{"index": 0, "url": url}]}
            else:
                seconds = str((task.body or {}).get("duration", "5"))
                data["task_result"] = {"videos": [{"id": f"{task.id}-v0", "url": url, "duration": seconds}]}
            data["final_unit_deduction"] = "1"
        return data

    def _find(self, family: str, ident: str) -> Task | None:
        with self.lock:
            task = self.tasks.get(ident)
            if task is None:
                task = next((t for t in self.tasks.values() if t.extra.get("external_task_id") == ident), None)
            if task is not None and task.extra.get("family") != family:
                return None
            return task

    def _create(self, req: Request) -> Response:
        family = req.params["family"]
        kind, schema = FAMILIES[family]
        problems = self.invalid_body(req, schema)
        if problems:
            return self.error("invalid", "; ".join(f"{w}: {m}" for w, m in problems))
        body = req.json if isinstance(req.json, dict) else {}
        prefixed = [f for f in ("image", "image_tail") if str(body.get(f, "")).startswith("data:")]
        if family == "videos/text2video":
            wrong = [f for f in ("image", "image_tail") if f in body]
            if wrong or body.get("model_name") in ("kling-v1-5", "kling-v2-1"):
                return self.error("invalid", f"{wrong[0]}: text2video takes no image" if wrong else
                                  f"model_name {body.get('model_name')} does not make video from text")
        elif "aspect_ratio" in body and family == "videos/image2video":
            return self.error("invalid", "aspect_ratio: image2video follows the image; no aspect_ratio field")
        if prefixed:
            return self.error("invalid", f"{prefixed[0]}: send the Base64 string itself, without a data: prefix")
        if family != "images/generations":
            wrong = frame_problems(family, body)
            if wrong:
                return self.error("invalid", "; ".join(wrong))
        external = body.get("external_task_id")
        if external is not None:
            with self.lock:
                if any(t.extra.get("external_task_id") == external for t in self.tasks.values()):
                    return self.error("invalid", f"external_task_id {external} already exists")
        task = self.new_task(req, kind=kind, family=family, external_task_id=external)
        return self._envelope(200, 0, "SUCCEED", self._data(task), task_id=task.id)

    def _poll(self, req: Request) -> Response:
        task = self._find(req.params["family"], req.params["id"])
        if task is None:
            return self.error("not_found", f"task {req.params['id']} not found")
        self.advance(task, req)
        return self._envelope(200, 0, "SUCCEED", self._data(task), task_id=task.id)

    def _list(self, req: Request) -> Response:
        try:
            page, size = int(req.query.get("pageNum", 1)), int(req.query.get("pageSize", 30))
        except ValueError:
            return self.error("invalid", "pageNum and pageSize are numbers")
        if not (1 <= page <= 1000 and 1 <= size <= 500):
            return self.error("invalid", "pageNum 1-1000, pageSize 1-500")
        with self.lock:
            tasks = [t for t in self.tasks.values() if t.extra.get("family") == req.params["family"]]
            tasks.sort(key=lambda t: t.seq, reverse=True)
            items = [self._data(t) for t in tasks[(page - 1) * size: page * size]]
        return self._envelope(200, 0, "SUCCEED", items)
