"""Fake Gemini API for Veo: predictLongRunning, its operation, and the video's download (plus all of FakeGemini).

Wire facts and their sources:
- `POST {base}/v1beta/models/{model}:predictLongRunning`, key in `x-goog-api-key`, body `{instances: [{prompt,
  image: {bytesBase64Encoded, mimeType}, lastFrame: {...}, referenceImages: [{image: {...}, referenceType}]}],
  parameters: {sampleCount, durationSeconds, aspectRatio, resolution, personGeneration, negativePrompt,
  enhancePrompt}}` [googleapis/python-genai models.py _GenerateVideosParameters_to_mldev and the converters it
  calls, v2.19.0, read]; answers an operation `{name: "models/<model>/operations/<id>"}` [ai.google.dev video docs'
  REST example, read].
- `GET {base}/v1beta/{name}` answers `{name, metadata, done, error: {code, message, status}, response:
  {"@type", generateVideoResponse: {generatedSamples: [{video: {uri}}], raiMediaFilteredCount,
  raiMediaFilteredReasons}}}` [_operations_converters.py _GenerateVideosOperation_from_mldev, google-genai 3.6.1,
  read]; `done` is absent until the operation ends (proto3 JSON leaves false out).
- the video's uri is `{base}/v1beta/files/<id>:download?alt=media`, which needs the key and redirects to storage
  [the video docs' REST example downloads it with `-H x-goog-api-key ... -L`, read].
- referenceImages go without image and lastFrame (types.py GenerateVideosConfig.reference_images, read); at most
  three on Veo 3.1.
Guesses: the operation ids, progressPercent, the error code for a failed operation (13 INTERNAL), the text of RAI
reasons, the redirect's target.

`fake.inline = True` sends the video in the operation (`encodedVideo`, base64) instead of a uri.
Outcomes: `fake.outcome = "failed"` ends the operation with an `error`; "moderated" ends it done with no sample and
raiMediaFilteredCount 1 (the reason from `fake.reason`). Faults by kind: create, poll, download (and FakeGemini's).
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from . import media
from .base import Request, Response, Task
from .gemini import FakeGemini, b64decode

PARAMETERS = {"sampleCount", "durationSeconds", "aspectRatio", "resolution", "personGeneration", "negativePrompt",
              "enhancePrompt"}
MODELS = ("veo-3.1-generate-preview", "veo-3.1-fast-generate-preview", "veo-3.1-lite-generate-preview")


class FakeVeo(FakeGemini):
    default_kind = "video"
    inline = False  # True: a finished operation carries its video as encodedVideo (base64) instead of a uri

    def setup(self) -> None:
        v = r"/(?P<version>v1beta)"
        self.route("POST", v + r"/models/(?P<model>[^/:]+):predictLongRunning", "create", self._create)
        self.route("GET", v + r"/models/(?P<model>[^/:]+)/operations/(?P<id>[^/]+)", "poll", self._poll)
        self.route("GET", v + r"/files/(?P<id>[^/:]+):download", "download", self._video)
        super().setup()

    # -- what a create asked for -----------------------------------------------------------------------------------
    @staticmethod
    def instance(body: Any) -> dict[str, Any]:
        return body["instances"][0] if isinstance(body, dict) and body.get("instances") else {}

    @staticmethod
    def image_bytes(image: dict[str, Any]) -> bytes:
        return b64decode(image["bytesBase64Encoded"])

    def _problems(self, model: str, body: Any) -> list[str]:
        if not isinstance(body, dict) or not isinstance(body.get("instances"), list) or len(body["instances"]) != 1:
            return ["instances: one instance expected"]
        bad = []
        if model not in MODELS:
            bad.append(f"models/{model} is not found for API version v1beta")
        inst = body["instances"][0]
        unknown = set(inst) - {"prompt", "image", "lastFrame", "referenceImages", "video"}
        bad += [f"instances[0].{k}: unknown field" for k in sorted(unknown)]
        if not inst.get("prompt") and not inst.get("image"):
            bad.append("instances[0]: a prompt or an image is required")
        images = [("image", inst.get("image")), ("lastFrame", inst.get("lastFrame"))]
        refs = inst.get("referenceImages") or []
        images += [(f"referenceImages[{i}].image", r.get("image")) for i, r in enumerate(refs)]
        for where, img in images:
            if img is None:
                continue
            if not isinstance(img, dict) or set(img) != {"bytesBase64Encoded", "mimeType"}:
                bad.append(f"instances[0].{where}: {{bytesBase64Encoded, mimeType}} expected")
                continue
            try:
                if not self.image_bytes(img):
                    bad.append(f"instances[0].{where}: empty image")
            except ValueError:
                bad.append(f"instances[0].{where}: not base64")
        if refs:
            if inst.get("image") or inst.get("lastFrame"):
                bad.append("referenceImages cannot be used with image or lastFrame")
            if len(refs) > 3 or any(r.get("referenceType") != "ASSET" for r in refs):
                bad.append("referenceImages: at most 3, referenceType ASSET")
            if model == "veo-3.1-lite-generate-preview":
                bad.append("referenceImages are not supported by this model")
        params = body.get("parameters") or {}
        bad += [f"parameters.{k}: unknown field" for k in sorted(set(params) - PARAMETERS)]
        if params.get("durationSeconds", 8) not in (4, 6, 8):
            bad.append("parameters.durationSeconds: 4, 6 or 8")
        if params.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
            bad.append("parameters.aspectRatio: 16:9 or 9:16")
        return bad

    # -- routes ----------------------------------------------------------------------------------------------------
    def _create(self, req: Request) -> Response:
        if req.json_error is not None:
            return self.error(400, "Invalid JSON payload received.")
        problems = self._problems(req.params["model"], req.json)
        if problems:
            return self.error(400, "; ".join(problems))
        op = uuid.uuid4().hex[:12]
        name = f"models/{req.params['model']}/operations/{op}"
        task = self.new_task(req, task_id=name, kind="video")
        return Response.json(200, {"name": name}, task_id=task.id)

    def operation(self, task: Task) -> dict[str, Any]:
        out: dict[str, Any] = {"name": task.id}
        if not task.terminal:
            out["metadata"] = {"progressPercent": min(99, 100 * task.polls // (self.steps + 1))}
            return out
        out["done"] = True
        if task.state == "failed" and task.outcome != "moderated":
            out["error"] = {"code": 13, "message": task.reason or "Video generation failed.", "status": "INTERNAL"}
            return out
        answer: dict[str, Any] = {}
        if task.moderated:
            answer["raiMediaFilteredCount"] = 1
            answer["raiMediaFilteredReasons"] = [task.reason or "The video could not be generated because it may "
                                                 "violate the usage guidelines."]
        elif self.inline:
            answer["generatedSamples"] = [{"video": {"encodedVideo": base64.b64encode(self.result_bytes(task)).decode(
                "ascii"), "encoding": "video/mp4"}}]
        else:
            fid = task.id.rsplit("/", 1)[-1]
            answer["generatedSamples"] = [{"video": {"uri": self.url(f"/v1beta/files/{fid}:download?alt=media")}}]
        out["response"] = {"@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
                           "generateVideoResponse": answer}
        return out

    def _poll(self, req: Request) -> Response:
        name = f"models/{req.params['model']}/operations/{req.params['id']}"
        with self.lock:
            task = self.tasks.get(name)
        if task is None:
            return self.error(404, f"Operation {name} not found.")
        self.advance(task, req)
        return Response.json(200, self.operation(task), task_id=task.id)

    def _video(self, req: Request) -> Response:
        """The video: the key is checked (the base skips it for downloads), then a redirect to storage."""
        denied = self.check_auth(req)
        if denied is not None:
            return denied
        with self.lock:
            task = next((t for t in self.tasks.values() if t.id.endswith("/" + req.params["id"])), None)
        if task is None or task.state != "done":
            return self.error(404, f"File {req.params['id']} not found")
        return Response(302, b"", {"Location": self.result_url(task, name=f"{req.params['id']}.mp4")}, task_id=task.id)

    def result_bytes(self, task: Task) -> bytes:
        if self.result is not None:
            return super().result_bytes(task)
        seconds = float((task.body.get("parameters") or {}).get("durationSeconds", 8)) if isinstance(
            task.body, dict) else 8.0
        return media.tag(media.mp4(seconds), task.id)
