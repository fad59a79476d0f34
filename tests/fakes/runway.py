"""Fake Runway API (image_to_video, text_to_video, text_to_image, video_to_video; tasks).

Wire facts and their sources:
- `Authorization: Bearer <key>` and `X-Runway-Version: 2024-11-06` on every request; base
  `https://api.dev.runwayml.com` [runwayml/sdk-python c604e0e (2026-07-27) src/runwayml/_client.py, V].
- `POST /v1/image_to_video` answers `{"id"}` [sdk types/image_to_video_create_response.py, V];
  `GET /v1/tasks/{id}` answers `{id, createdAt, status}` with status PENDING / THROTTLED / CANCELLED / RUNNING
  (+ `progress` 0-1) / FAILED (+ `failure`, `failureCode`) / SUCCEEDED (+ `output: [urls]`, expire in 24-48 h,
  GET the task again for fresh URLs) [sdk types/task_retrieve_response.py, V]; `DELETE /v1/tasks/{id}` cancels
  or deletes [sdk, V].
- failure codes `SAFETY.INPUT.*` / `SAFETY.OUTPUT.*` for moderation (do not retry), `INTERNAL.BAD_OUTPUT.*` for
  rejected outputs [docs.dev.runwayml.com/errors/task-failures, V].
- errors: 400 with a JSON `error` member naming the field, 401, 404, 405, 429 (limits reached; retry),
  502/503 load shedding, 504 overloaded [docs.dev.runwayml.com/api-details/errors, V]; assets must be HTTPS URLs
  or data URIs ("Only HTTPS URLs are allowed") [docs.dev.runwayml.com/errors/troubleshooting, V].
- image_to_video bodies are checked against schema/requests/runway.runway.json (seedance2* models:
  seedance.runway.json), text_to_image bodies against runway-image.runway.json.
- promptImage positions per model [sdk types/image_to_video_create_params.py at c604e0e, V; gen3a_turbo at 7e9cf73
  (2025-11-04), V]: gen4_turbo, gen4.5, happyhorse_1_0, gemini_omni_flash, veo3 take `first` only; veo3.1 and
  veo3.1_fast take `first` and `last`, and a `last` needs a `first`; gen3a_turbo takes both; seedance2,
  seedance2_fast, seedance2_mini take `first`/`last` (keyframes) or no position (reference images) — "the two
  modes cannot be mixed". text_to_video: seedance2* take `references: [{uri}]` (up to 9).
- text_to_image gen4_image / gen4_image_turbo: referenceImages [{uri, tag}] (gen4_image up to 3, gen4_image_turbo
  1 to 3); a tag is 3-16 characters, a letter first, then letters, digits and underscores [sdk
  types/text_to_image_create_params.py, V].
Guesses: the 400 text for a missing or unknown X-Runway-Version, a seedance2 last frame without a first frame
refused (as fal and Replicate refuse it), two reference images with one tag refused, out of credits as 400 `{"error": "You do not
have enough credits..."}` (the official error matrix has no 402), the exact INTERNAL.BAD_OUTPUT.CODE01 code,
the create answering 200, DELETE answering 204.
"""

from __future__ import annotations

import datetime as dt
import re

from .base import FakeServer, Request, Response, Task

VERSIONS = ("2024-11-06",)
CREATES = {"image_to_video": ("video", "runway.runway"), "text_to_video": ("video", "runway.runway"),
           "text_to_image": ("image", "runway-image.runway"), "video_to_video": ("video", None)}
SEEDANCE = ("seedance2", "seedance2_fast", "seedance2_mini")
FIRST_ONLY = ("gen4_turbo", "gen4.5", "happyhorse_1_0", "gemini_omni_flash", "veo3")
NEEDS_FIRST = ("veo3.1", "veo3.1_fast")
STATUS = {"queued": "PENDING", "running": "RUNNING", "done": "SUCCEEDED", "failed": "FAILED",
          "cancelled": "CANCELLED"}
ASSET = re.compile(r"^(https://[^/\d][^/]*|data:[a-z]+/[a-z0-9.+-]+;base64,)", re.IGNORECASE)


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeRunway(FakeServer):
    provider = "runway"
    env_key = "RUNWAYML_API_SECRET"
    kinds = ("create", "poll", "download", "cancel")
    default_kind = "video"

    def __init__(self, *, throttled: bool = False, strict_assets: bool = True,
                 failure_code: str | None = None, **kw):
        self.throttled = throttled  # queued tasks report THROTTLED (accepted, waiting for a slot)
        self.strict_assets = strict_assets
        self.failure_code = failure_code
        super().__init__(**kw)

    def setup(self) -> None:
        self.route("POST", r"/v1/(?P<what>image_to_video|text_to_video|text_to_image|video_to_video)", "create",
                   self._create)
        self.route("GET", r"/v1/tasks/(?P<id>[^/]+)", "poll", self._poll)
        self.route("DELETE", r"/v1/tasks/(?P<id>[^/]+)", "cancel", self._delete)

    def check_auth(self, req: Request) -> Response | None:
        if req.header("authorization") != f"Bearer {self.key}":
            return Response.json(401, {"error": "Invalid API key"})
        version = req.header("x-runway-version")
        if version is None:
            return Response.json(400, {"error": "The X-Runway-Version header is required."})
        if version not in VERSIONS:
            return Response.json(400, {"error": f"Unsupported X-Runway-Version: {version}"})
        return None

    def error(self, what: str | int, message: str | None = None, *,
              retry_after: float | None = None) -> Response:
        table = {"auth": (401, "Invalid API key"), "credits": (400, "You do not have enough credits to run this task."),
                 "rate_limit": (429, "You have exceeded the rate limit. Please retry later."),
                 "invalid": (400, "Invalid request"), "moderated": (400, "promptText: the text was rejected."),
                 "server": (500, "Internal server error"), "unavailable": (503, "Service unavailable"),
                 "not_found": (404, "Not found")}
        status, default = (what, f"Error {what}") if isinstance(what, int) else table[what]
        return Response.json(status, {"error": message or default})

    def _assets(self, body: object) -> list[tuple[str, str]]:
        if not self.strict_assets or not isinstance(body, dict):
            return []
        bad = []
        image = body.get("promptImage")
        items = [(f"promptImage.{i}.uri", p.get("uri")) for i, p in enumerate(image) if isinstance(p, dict)] \
            if isinstance(image, list) else [("promptImage", image)]
        for field in ("references", "referenceImages"):
            items += [(f"{field}.{i}.uri", r.get("uri")) for i, r in enumerate(body.get(field) or ())
                      if isinstance(r, dict)]
        for where, value in items + [("videoUri", body.get("videoUri"))]:
            if isinstance(value, str) and not value.startswith("@") and not ASSET.match(value):
                bad.append((where, "Only HTTPS URLs on a domain, or data URIs, are allowed."))
        return bad

    @staticmethod
    def _text_to_video(body: object) -> list[tuple[str, str]]:
        """POST /v1/text_to_video: gen4.5 (or Veo), promptText required, no image, ratio 1280:720 | 720:1280."""
        if not isinstance(body, dict):
            return []
        bad = []
        if "promptImage" in body:
            bad.append(("promptImage", "text_to_video takes no image (use image_to_video)"))
        if not body.get("promptText"):
            bad.append(("promptText", "required"))
        if body.get("model") not in ("gen4.5", "veo3", "veo3.1", "veo3.1_fast", *SEEDANCE):
            bad.append(("model", f"{body.get('model')!r} does not make video from text"))
        if body.get("model") not in SEEDANCE and body.get("ratio") not in ("1280:720", "720:1280"):
            bad.append(("ratio", "1280:720 or 720:1280"))
        return bad

    @staticmethod
    def _positions(body: object) -> list[tuple[str, str]]:
        """promptImage as a list: the positions the model takes, keyframes and references never mixed."""
        if not isinstance(body, dict) or not isinstance(body.get("promptImage"), list):
            return []
        model, items = body.get("model"), [p for p in body["promptImage"] if isinstance(p, dict)]
        positions = [p.get("position") for p in items]
        bad = []
        if model in SEEDANCE:
            if any(positions) and not all(positions):
                return [("promptImage", "keyframes (position first/last) and reference images (no position) "
                                        "cannot be mixed")]
            if all(positions):
                if positions.count("first") > 1 or positions.count("last") > 1:
                    bad.append(("promptImage", "at most one first and one last frame"))
                if "last" in positions and "first" not in positions:
                    bad.append(("promptImage", "a last frame needs a first frame"))
            elif len(items) > 9:
                bad.append(("promptImage", "at most 9 reference images"))
            return bad
        if None in positions:
            bad.append(("promptImage", f"{model} takes no reference images: every image needs a position"))
        if model in FIRST_ONLY and "last" in positions:
            bad.append(("promptImage", f"{model} takes a first frame only"))
        if model in NEEDS_FIRST and "last" in positions and "first" not in positions:
            bad.append(("promptImage", f"{model} needs a first frame with a last frame"))
        return bad

    @staticmethod
    def _references(body: object) -> list[tuple[str, str]]:
        """text_to_image referenceImages: tags unique (guess); text_to_video references only on seedance2*."""
        if not isinstance(body, dict):
            return []
        bad = []
        tags = [r.get("tag") for r in body.get("referenceImages") or () if isinstance(r, dict) and r.get("tag")]
        if len(tags) != len(set(tags)):
            bad.append(("referenceImages", "each reference image needs its own tag"))
        if "references" in body and body.get("model") not in SEEDANCE:
            bad.append(("references", f"{body.get('model')} takes no references"))
        return bad

    def _create(self, req: Request) -> Response:
        kind, schema = CREATES[req.params["what"]]
        if isinstance(req.json, dict) and req.json.get("model") in SEEDANCE:
            schema = "seedance.runway"
        problems = self.invalid_body(req, schema) + self._assets(req.json) + self._positions(req.json) \
            + self._references(req.json)
        if req.params["what"] == "text_to_video":
            problems += self._text_to_video(req.json)
        if problems:
            return self.error("invalid", "; ".join(f"{w}: {m}" for w, m in problems))
        task = self.new_task(req, kind=kind)
        return Response.json(200, {"id": task.id}, task_id=task.id)

    def _task_json(self, task: Task) -> dict:
        out: dict = {"id": task.id, "createdAt": _iso(task.created), "status": STATUS[task.state]}
        if task.state == "queued" and self.throttled:
            out["status"] = "THROTTLED"
        elif task.state == "running":
            out["progress"] = round(min(0.99, task.polls / (self.steps + 1)), 2)
        elif task.state == "failed":
            moderated = task.outcome == "moderated"
            out["failure"] = task.reason or ("The prompt was rejected by content moderation." if moderated
                                             else "An internal error occurred while generating the output.")
            out["failureCode"] = self.failure_code or ("SAFETY.INPUT.TEXT" if moderated
                                                       else "INTERNAL.BAD_OUTPUT.CODE01")
        elif task.state == "done":
            out["output"] = [self.result_url(task)]
        return out

    def _poll(self, req: Request) -> Response:
        with self.lock:
            task = self.tasks.get(req.params["id"])
            deleted = task is not None and task.extra.get("deleted")
        if task is None or deleted:
            return self.error("not_found", "Task not found")
        self.advance(task, req)
        return Response.json(200, self._task_json(task), task_id=task.id)

    def _delete(self, req: Request) -> Response:
        with self.lock:
            task = self.tasks.get(req.params["id"])
            if task is None or task.extra.get("deleted"):
                return self.error("not_found", "Task not found")
            if not self.cancel(task):
                task.extra["deleted"] = True
        return Response(204, task_id=task.id)
