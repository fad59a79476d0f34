"""Fake Gemini image models: generateContent answering with an inlineData image part.

Wire facts and their sources (python-genai google/genai/types.py and models.py at 6680718, read):
- `POST {base}/v1beta/models/{model}:generateContent`, key in `x-goog-api-key`; body `{contents: [{role: "user",
  parts: [{text} | {inlineData: {mimeType, data (base64)}}]}], generationConfig: {responseModalities: ["IMAGE"],
  imageConfig: {aspectRatio, imageSize, personGeneration}}}`.
- answer `{candidates: [{content: {role: "model", parts: [{inlineData: {mimeType: "image/png", data}}]},
  finishReason: "STOP", index: 0}], usageMetadata: {promptTokenCount, candidatesTokenCount, totalTokenCount},
  modelVersion, responseId}`; a refused image ends with finishReason IMAGE_SAFETY (or IMAGE_PROHIBITED_CONTENT,
  NO_IMAGE ...) and no image part; a blocked prompt has no candidate and `promptFeedback: {blockReason}`.
- bytes fields are base64, standard or URL-safe (google-genai sends URL-safe) [read, tested].
- errors as the text fake (tests/fakes/gemini.py): `{"error": {code, message, status, details}}`, a 429 with RetryInfo.
Guesses: 1290 output tokens per image (Google's figure for 2.5 Flash Image), a quarter of the characters as input.

A request is kind "create" (so `fake.fault("create", 500)`, `fake.create_count` work as on the other fakes); every
create counts as made (and billed), whatever the answer. `fake.outcome = "moderated"` ends new creates with
IMAGE_SAFETY; `fake.block = "PROHIBITED_CONTENT"` blocks the prompt. A request without IMAGE in its
responseModalities is answered as the text fake answers it.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from . import media
from .base import Request, Response, Task
from .gemini import FakeGemini, b64decode


class FakeGeminiImage(FakeGemini):
    provider = "gemini-image"
    kinds = ("create", "generate", "upload", "file", "file-delete", "poll", "download")
    image_tokens = 1290

    def setup(self) -> None:
        self.block: str | None = None
        self.route("POST", r"/(?P<version>v1|v1beta|v1alpha)/models/(?P<model>[^/:]+):generateContent", "create",
                   self._create)
        super().setup()

    def env(self) -> dict[str, str]:
        return {"FILMC_GEMINI_IMAGE_BASE_URL": self.origin, "GEMINI_API_KEY": self.key}

    def images(self) -> list[dict[str, Any]]:
        """The bodies of the image requests answered, in order."""
        return [r.body for r in self.calls("create") if isinstance(r.body, dict)]

    @staticmethod
    def parts_of(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [p for c in body.get("contents", []) for p in c.get("parts", [])]

    @staticmethod
    def inline_images(body: dict[str, Any]) -> list[bytes]:
        """The decoded bytes of every inline image part of a request."""
        out = []
        for p in FakeGeminiImage.parts_of(body):
            inline = p.get("inlineData") or p.get("inline_data")
            if inline:
                out.append(b64decode(inline.get("data", "")))
        return out

    def result_bytes(self, task: Task) -> bytes:
        """The test's bytes when given, else a PNG in the aspect ratio asked (16:9 by default), tagged per task."""
        if self.result is not None:
            return super().result_bytes(task)
        aspect = ((task.body or {}).get("generationConfig") or {}).get("imageConfig", {}).get("aspectRatio", "16:9")
        w, h = (int(x) for x in str(aspect).split(":"))
        size = (640, round(640 * h / w / 2) * 2) if w >= h else (round(640 * w / h / 2) * 2, 640)
        return media.tag(media.png(size), task.id)

    def _create(self, req: Request) -> Response:
        body = req.json if isinstance(req.json, dict) else None
        if body is None or not body.get("contents"):
            return self.error(400, "Invalid JSON payload received.")
        cfg = body.get("generationConfig") or {}
        modalities = [str(m).upper() for m in cfg.get("responseModalities") or []]
        if "IMAGE" not in modalities:
            return self._generate(req)
        for p in self.parts_of(body):
            inline = p.get("inlineData") or p.get("inline_data")
            if inline is not None:
                try:
                    data = b64decode(inline.get("data", ""))  # standard or URL-safe, as the API reads it
                except (binascii.Error, ValueError):
                    return self.error(400, "Invalid value at 'contents[0].parts': invalid base64")
                if not (inline.get("mimeType") or inline.get("mime_type", "")).startswith("image/") or not data:
                    return self.error(400, "Unsupported MIME type or empty image")
        size = (cfg.get("imageConfig") or {}).get("imageSize")
        if size is not None and size not in ("1K", "2K", "4K"):
            return self.error(400, f"Invalid image size {size}")
        task = self.new_task(req, task_id=uuid.uuid4().hex[:20])
        task.state = "done"
        prompt_tokens = max(sum(len(p.get("text", "")) for p in self.parts_of(body)) // 4, 1)
        usage = {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens}
        answer: dict[str, Any] = {"usageMetadata": usage, "modelVersion": req.params["model"], "responseId": task.id}
        if self.block:
            answer["promptFeedback"] = {"blockReason": self.block}
            return Response.json(200, answer, task_id=task.id)
        if task.outcome in ("moderated", "failed"):
            finish = "IMAGE_SAFETY" if task.outcome == "moderated" else "NO_IMAGE"
            answer["candidates"] = [{"content": {"role": "model", "parts": []}, "finishReason": finish, "index": 0}]
            return Response.json(200, answer, task_id=task.id)
        data = self.result_bytes(task)
        usage.update(candidatesTokenCount=self.image_tokens, totalTokenCount=prompt_tokens + self.image_tokens)
        answer["candidates"] = [{"content": {"role": "model", "parts": [
            {"inlineData": {"mimeType": media.sniff(data), "data": base64.b64encode(data).decode("ascii")}}]},
            "finishReason": "STOP", "index": 0}]
        return Response.json(200, answer, task_id=task.id)
