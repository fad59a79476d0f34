"""Fake Gemini API (generateContent with structured output, and the Files API's resumable upload).

Wire facts and their sources:
- `POST {base}/{v1|v1beta}/models/{model}:generateContent`, key in the `x-goog-api-key` header; body
  `{contents: [{role, parts: [{text} | {inlineData: {mimeType, data}} | {fileData: {mimeType, fileUri}}]}],
  systemInstruction, generationConfig: {responseMimeType, responseSchema, temperature, ...}}`; answer
  `{candidates: [{content: {parts: [{text}], role: "model"}, finishReason, index}], usageMetadata:
  {promptTokenCount, candidatesTokenCount, totalTokenCount, promptTokensDetails: [{modality, tokenCount}]},
  modelVersion, responseId}` [google-genai 3.6.1 models.py and _api_client.py, read; apis.md §9, tested].
- errors `{"error": {"code", "message", "status", "details"}}`; a 429 carries google.rpc.RetryInfo
  `{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "13s"}` [Google API error model].
- upload: `POST {base}/upload/{version}/files` with `X-Goog-Upload-Protocol: resumable`, `X-Goog-Upload-Command:
  start`, `X-Goog-Upload-Header-Content-Length/-Type` and body `{"file": {mimeType, sizeBytes, displayName}}`
  answers with the header `x-goog-upload-url`; the bytes go to that URL in chunks (`X-Goog-Upload-Command:
  upload[, finalize]`, `X-Goog-Upload-Offset`), each answered with `x-goog-upload-status: active|final`, the last
  with `{"file": {name, uri, mimeType, sizeBytes, state}}` [google-genai 3.6.1 files.py, _extra_utils.py
  prepare_resumable_upload, _api_client.py _upload_fd, read]. `GET`/`DELETE {base}/{version}/files/{id}`.
Guesses: token counts (a quarter of the characters; 32 per second of audio as Google documents for audio).

Answers: `fake.reply(obj_or_text, finish="STOP")` queues one answer; without one the fake drafts a plausible
answer itself from the film's facts and the response schema it was sent (so `python -m tests.fakes gemini`
serves `filmc draft` by hand). Faults: `fake.fault("generate", error="rate_limit", retry_after=0.05)`, 500s,
`fake.reply("{\\"shots\\": [", finish="MAX_TOKENS")`, invalid JSON, schema-violating answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from .base import FakeServer, Request, Response

STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


class FakeGemini(FakeServer):
    provider = "gemini"
    env_key = "GEMINI_API_KEY"
    kinds = ("generate", "upload", "file", "file-delete", "create", "poll", "download")

    def setup(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}  # id -> {meta, data}
        self.uploads: dict[str, dict[str, Any]] = {}  # upload id -> {meta, data}
        self.file_state = "ACTIVE"  # what a finished upload reports (PROCESSING, then ACTIVE on the next get)
        self.received: dict[str, bytes] = {}  # every file uploaded, by id (kept after a delete)
        self.before_answer: Callable[[dict[str, Any]], None] | None = None  # runs while the "model thinks"
        self.route("POST", r"/(?P<version>v1|v1beta|v1alpha)/models/(?P<model>[^/:]+):generateContent",
                   "generate", self._generate)
        self.route("POST", r"/upload/(?P<version>v1|v1beta|v1alpha)/files", "upload", self._upload)
        self.route("GET", r"/(?P<version>v1|v1beta|v1alpha)/files/(?P<id>[^/]+)", "file", self._get_file)
        self.route("DELETE", r"/(?P<version>v1|v1beta|v1alpha)/files/(?P<id>[^/]+)", "file-delete", self._delete)

    def env(self) -> dict[str, str]:
        return {"FILMC_GEMINI_BASE_URL": self.origin, "GEMINI_API_KEY": self.key}

    def check_auth(self, req: Request) -> Response | None:
        if req.kind == "upload" and "upload_id" in req.query:
            return None  # the upload URL itself is the credential
        if req.header("x-goog-api-key") != self.key:
            return Response.json(400, {"error": {
                "code": 400, "message": "API key not valid. Please pass a valid API key.",
                "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                                           "reason": "API_KEY_INVALID",
                                                           "domain": "googleapis.com"}]}})
        return None

    def error(self, what: str | int, message: str | None = None, *, retry_after: float | None = None) -> Response:
        table = {"auth": 400, "credits": 429, "rate_limit": 429, "invalid": 400, "server": 500, "unavailable": 503,
                 "moderated": 400, "not_found": 404}
        status = what if isinstance(what, int) else table[what]
        details: list[dict[str, Any]] = []
        if status == 429:
            details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                            "retryDelay": f"{retry_after if retry_after is not None else 0.05:g}s"})
        return Response.json(status, {"error": {"code": status, "message": message or {
            429: "You exceeded your current quota, please check your plan and billing details.",
            500: "An internal error has occurred.", 503: "The model is overloaded. Please try again later.",
            404: "models/x is not found for API version v1beta"}.get(status, f"error {status}"),
            "status": STATUS.get(status, "UNKNOWN"), "details": details}})

    # -- answers ---------------------------------------------------------------------------------------------------
    def reply(self, answer: Any, *, finish: str = "STOP", times: int = 1) -> None:
        """Queue the next answer(s): a dict/list (sent as JSON text) or a str (sent as is)."""
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        for _ in range(times):
            self.queue.append({"text": text, "finish": finish})

    def generates(self) -> list[dict[str, Any]]:
        """The bodies of the generateContent requests answered, in order."""
        return [r.body for r in self.calls("generate") if isinstance(r.body, dict)]

    def _generate(self, req: Request) -> Response:
        body = req.json if isinstance(req.json, dict) else None
        if body is None or not body.get("contents"):
            return self.error(400, "Invalid JSON payload received.")
        parts = [p for c in body["contents"] for p in c.get("parts", [])]
        audio_tokens = 0
        for p in parts:
            fd = p.get("fileData") or p.get("file_data")  # the API reads both spellings; SDKs send either
            if fd:
                fid = (fd.get("fileUri") or fd.get("file_uri") or "").rsplit("/", 1)[-1]
                if fid not in self.files:
                    return self.error(400, f"File {fid} does not exist or you do not have permission to access it.")
                audio_tokens += len(self.files[fid]["data"]) // 1000
            inline = p.get("inlineData") or p.get("inline_data")
            if inline:
                audio_tokens += len(b64decode(inline.get("data", ""))) // 1000
        if self.before_answer is not None:
            self.before_answer(body)
        if self.queue:
            spec = self.queue.pop(0)
        else:
            spec = {"text": json.dumps(auto_answer(body), ensure_ascii=False), "finish": "STOP"}
        text = spec["text"]
        if spec["finish"] == "MAX_TOKENS" and text.startswith(("{", "[")) and len(text) > 40:
            text = text[: len(text) // 2]
        prompt_tokens = len(json.dumps(body)) // 4 + audio_tokens
        out_tokens = max(len(text) // 4, 1)
        details = [{"modality": "TEXT", "tokenCount": prompt_tokens - audio_tokens}]
        if audio_tokens:
            details.append({"modality": "AUDIO", "tokenCount": audio_tokens})
        return Response.json(200, {
            "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": spec["finish"],
                            "index": 0}],
            "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": out_tokens,
                              "totalTokenCount": prompt_tokens + out_tokens, "promptTokensDetails": details},
            "modelVersion": req.params["model"], "responseId": uuid.uuid4().hex[:20]})

    # -- the Files API ---------------------------------------------------------------------------------------------
    def _file(self, fid: str) -> dict[str, Any]:
        f = self.files[fid]
        data = f["data"]
        return {"name": f"files/{fid}", "displayName": f["meta"].get("displayName", ""),
                "mimeType": f["meta"].get("mimeType", "application/octet-stream"), "sizeBytes": str(len(data)),
                "createTime": "2026-01-01T00:00:00.000000Z", "updateTime": "2026-01-01T00:00:00.000000Z",
                "expirationTime": "2026-01-03T00:00:00.000000Z",
                "sha256Hash": base64.b64encode(hashlib.sha256(data).hexdigest().encode()).decode(),
                "uri": f"{self.origin}/v1beta/files/{fid}", "state": f["state"], "source": "UPLOADED"}

    def _upload(self, req: Request) -> Response:
        uid = req.query.get("upload_id")
        if uid is None:
            if (req.header("x-goog-upload-protocol") != "resumable"
                    or req.header("x-goog-upload-command") != "start"):
                return self.error(400, "Upload requests need X-Goog-Upload-Protocol: resumable")
            raw = (req.json or {}).get("file", {}) if isinstance(req.json, dict) else {}
            meta = {"displayName": raw.get("displayName") or raw.get("display_name") or "",
                    "mimeType": raw.get("mimeType") or raw.get("mime_type")
                    or req.header("x-goog-upload-header-content-type"),
                    "size": int(req.header("x-goog-upload-header-content-length") or raw.get("sizeBytes") or raw.get("size_bytes") or 0)}
            uid = uuid.uuid4().hex
            self.uploads[uid] = {"meta": meta, "data": bytearray()}
            url = f"{self.origin}/upload/{req.params['version']}/files?upload_id={uid}&upload_protocol=resumable"
            return Response(200, b"", {"x-goog-upload-url": url, "x-goog-upload-status": "active",
                                       "Content-Type": "text/plain; charset=utf-8"})
        up = self.uploads.get(uid)
        if up is None:
            return Response.raw(404, "unknown upload", "text/plain")
        offset = int(req.header("x-goog-upload-offset") or 0)
        if offset != len(up["data"]):
            return Response.raw(400, "offset mismatch", "text/plain", {"x-goog-upload-status": "active"})
        up["data"] += req.raw
        command = req.header("x-goog-upload-command") or ""
        if "finalize" not in command:
            return Response(200, b"", {"x-goog-upload-status": "active"})
        fid = re.sub(r"[^a-z0-9]", "", uid)[:12]
        self.files[fid] = {"meta": up["meta"], "data": bytes(up["data"]), "state": self.file_state}
        self.received[fid] = bytes(up["data"])
        return Response.json(200, {"file": self._file(fid)}, headers={"x-goog-upload-status": "final"})

    def _get_file(self, req: Request) -> Response:
        fid = req.params["id"]
        if fid not in self.files:
            return self.error(404, f"File {fid} not found")
        out = self._file(fid)
        self.files[fid]["state"] = "ACTIVE"  # processing ends after one look
        return Response.json(200, out)

    def _delete(self, req: Request) -> Response:
        fid = req.params["id"]
        if self.files.pop(fid, None) is None:
            return self.error(404, f"File {fid} not found")
        return Response.json(200, {})


def b64decode(data: str) -> bytes:
    """Bytes fields in the API's JSON: standard or URL-safe base64 (google-genai sends the URL-safe form)."""
    data = data.replace("-", "+").replace("_", "/")
    return base64.b64decode(data + "=" * (-len(data) % 4))


# ---------------------------------------------------------------- drafting without a script (hand trials)

SIZES = ["WS", "MS", "CU", "MCU", "EWS"]
ANGLES = ["eye-level", "low", "high", "eye-level", "overhead"]
CAMERAS = ["slow push-in", "static", "tracking", "slow orbit-left", "handheld"]


def _facts(body: dict[str, Any]) -> dict[str, Any]:
    for c in body.get("contents", []):
        for p in c.get("parts", []):
            try:
                data = json.loads(p.get("text", ""))
            except ValueError:
                continue
            if isinstance(data, dict):
                return data
    return {}


def _schema(body: dict[str, Any]) -> dict[str, Any]:
    cfg = body.get("generationConfig") or {}
    return cfg.get("responseSchema") or cfg.get("response_schema") or {}


def auto_answer(body: dict[str, Any]) -> dict[str, Any]:
    facts, schema = _facts(body), _schema(body)
    props = set((schema.get("properties") or {}).keys())
    sections = facts.get("song", {}).get("sections", [])
    if "prompt" in props:
        d = facts.get("draft", {})
        text = d.get("compiled", "")
        if d.get("kind") == "video":
            text = f"{text} The movement stays slow and steady, and the light shifts gently across the scene."
        else:
            text = f"{text} Soft, natural light, fine texture, a calm and balanced composition."
        return {"prompt": text.strip()}
    if "shots" in props:
        return {"shots": _shots(facts)}
    if "sections" in props:
        items = ((schema["properties"]["sections"].get("items") or {}).get("properties") or {})
        if "lines" in items:
            return {"sections": [_heard(s) for s in sections]}
        return {"sections": [{"id": s["id"], "tag": s.get("tag") or ("Chorus" if k % 2 else "Verse"),
                              "lyrics": "\n".join(f"{w} of the {s['id']}, line {n + 1}" for n, w in
                                                  enumerate(("the first light", "the long night", "the turning tide",
                                                             "the last word")))}
                             for k, s in enumerate(sections)]}
    if "characters" in props:
        chars = facts.get("characters", [])
        concept = facts.get("concept", {})
        worlds = [{"id": w["id"], "palette": (w.get("palette") or "muted tones") + ", a little warmer"}
                  for w in concept.get("worlds", [])]
        return {"style": ["cinematic", "realistic", "natural film grain"],
                "palette": "deep sea blues and greys with small warm highlights",
                "lighting": "low natural light with hard practical sources",
                "avoid": ["text", "watermark", "extra people"],
                "motifs": ["a light that turns", "hands at work", "water in motion"],
                "worlds": worlds,
                "characters": [{"id": c["id"], "description": c["description"].rstrip(". ") +
                                ", with a steady, upright posture"} for c in chars]}
    return {}


def _heard(s: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s["id"], "tag": s.get("tag") or "Verse", "start": s["start"]}
    texts = [ln["text"] for ln in s.get("lines", [])] or [t for t in (s.get("lyrics") or "").splitlines() if t]
    if texts:
        step = (s["end"] - s["start"]) / len(texts)
        out["lines"] = [{"at": round(s["start"] + k * step + 0.1, 3), "text": t} for k, t in enumerate(texts)]
    return out


def _shots(facts: dict[str, Any]) -> list[dict[str, Any]]:
    taken = {s["id"] for s in facts.get("shots", [])}
    chars = facts.get("characters", [])
    locs = facts.get("locations", [])
    out = []
    for sec in facts.get("draft", {}).get("sections", []):
        left = float(sec["seconds_left"])
        n = max(1, min(4, round(left / 3.75)))
        each = round(left / n, 3)
        for k in range(n):
            sid = f"{sec['id']}-d{k + 1}"
            while sid in taken:
                sid += "x"
            taken.add(sid)
            dur = each if k < n - 1 else round(left - each * (n - 1), 3)
            shot: dict[str, Any] = {"id": sid, "section": sec["id"], "duration": dur, "size": SIZES[k % 5],
                                    "angle": ANGLES[k % 5], "camera": CAMERAS[k % 5],
                                    "time": "night, wind rising", "mood": ["quiet", "resolve"],
                                    "background_motion": "clouds drift slowly across the sky"}
            if locs:
                shot["location"] = locs[k % len(locs)]["id"]
            if chars and k % 2 == 0:
                c = chars[k // 2 % len(chars)]
                shot["cast"] = [{"id": c["id"], "action": "standing still, looking out at the water",
                                 "expression": "calm, attentive", "motion": "turns slowly toward the light"}]
            else:
                shot["subject"] = "the sea under a heavy sky, a single light far off"
            out.append(shot)
    return out
