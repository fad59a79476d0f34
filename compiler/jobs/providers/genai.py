"""Google Veo on the Gemini API: a long-running `predictLongRunning` operation, polled by its name.

The compiled body is the call as google-genai's `generate_videos` takes it (`{model, prompt, image, config}` with
GenerateVideosConfig's field names). This adapter sends it in the wire format the SDK itself uses for the Gemini
Developer API [googleapis/python-genai models.py `_GenerateVideosParameters_to_mldev` and the converters it calls,
v2.19.0, V]:

    POST {base}/v1beta/models/{model}:predictLongRunning      (x-goog-api-key)
    {"instances": [{"prompt", "image": {"bytesBase64Encoded", "mimeType"}, "lastFrame": {...},
                    "referenceImages": [{"image": {...}, "referenceType": "ASSET"}]}],
     "parameters": {"sampleCount", "durationSeconds", "aspectRatio", "resolution", "negativePrompt", ...}}

and reads the operation as the SDK does [_operations_converters.py `_GenerateVideosOperation_from_mldev`, 3.6.1, V]:
`{name, done, error: {code, message}, response: {generateVideoResponse: {generatedSamples: [{video: {uri}}],
raiMediaFilteredCount, raiMediaFilteredReasons}}}`, polled with `GET {base}/v1beta/{name}`. The video's uri is on
the API's own host and needs the key (a redirect to storage drops it); a video sent inline (`encodedVideo`, base64,
as the SDK's Video.video_bytes reads it) is taken from the operation itself.

Why not the SDK's client: google-genai 3.0 and later refuse `generate_videos` in Gemini Developer API mode before
sending anything ("only supported in Gemini Enterprise Agent Platform mode"), while the API serves Veo on this
endpoint. Sending it here also keeps the money rules in one place: the create goes out once (the run's HTTP
transport never retries), a timeout, a 5xx or an unreadable answer leaves its outcome unknown, a 4xx or a 429 made
nothing; the operation's name is the task id, on disk before the first poll.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from .base import Downloaded, ProviderError, Status, Submitted, data_url_parts, lookup, retry_info_delay
from .http import HttpProvider

INLINE = "gemini-inline:"  # a result that is the operation's own encodedVideo: "gemini-inline:<operation name>"
# GenerateVideosConfig field -> parameters field (the Developer API's; the SDK refuses the others there)
PARAMETERS = {"number_of_videos": "sampleCount", "duration_seconds": "durationSeconds", "aspect_ratio": "aspectRatio",
              "resolution": "resolution", "person_generation": "personGeneration",
              "negative_prompt": "negativePrompt", "enhance_prompt": "enhancePrompt"}


def inline_image(value: Any, where: str) -> dict[str, str]:
    """A data URL as the API's Image: {bytesBase64Encoded, mimeType}."""
    parts = data_url_parts(value)
    if parts is None:
        raise ProviderError(f"{where}: the Gemini API takes images inline only (got {str(value)[:40]!r}); rebuild "
                            "with this filmc")
    return {"bytesBase64Encoded": parts[1], "mimeType": parts[0]}


def wire_body(call: Mapping[str, Any]) -> dict[str, Any]:
    """The generate_videos call (SDK field names) as the predictLongRunning request body."""
    config = dict(call.get("config") or {})
    instance: dict[str, Any] = {"prompt": call["prompt"]} if call.get("prompt") else {}
    if call.get("image"):
        instance["image"] = inline_image(call["image"], "image")
    if config.get("last_frame"):
        instance["lastFrame"] = inline_image(config["last_frame"], "config.last_frame")
    refs = config.get("reference_images") or []
    if refs:
        instance["referenceImages"] = [
            {"image": inline_image(r.get("image"), f"config.reference_images.{i}"),
             "referenceType": str(r.get("reference_type") or "ASSET")} for i, r in enumerate(refs)]
    unknown = sorted(set(config) - set(PARAMETERS) - {"last_frame", "reference_images"})
    if unknown:
        raise ProviderError(f"the Gemini API does not take {', '.join(unknown)} (Vertex only)")
    parameters = {PARAMETERS[k]: v for k, v in config.items() if k in PARAMETERS and v is not None}
    return {"instances": [instance], "parameters": parameters}


def retry_delay(resp: httpx.Response) -> float | None:
    """The wait a Google API error answer asks for (RetryInfo)."""
    try:
        return retry_info_delay(resp.json())
    except ValueError:
        return None


class GenaiVideoProvider(HttpProvider):
    """Veo through `predictLongRunning`; the operation's name is the task id."""

    def refused(self, resp: httpx.Response, *, create: bool) -> ProviderError:
        err = super().refused(resp, create=create)
        if resp.status_code == 429 and "retry-after" not in resp.headers:
            delay = retry_delay(resp)
            if delay is not None:
                err.retry_after = delay
        return err

    async def submit(self, client: httpx.AsyncClient, job: Mapping[str, Any], body: Mapping[str, Any],
                     attempt: str | None = None) -> Submitted:
        wire = wire_body(body)  # a body it cannot send is refused here, before anything leaves
        return await super().submit(client, job, wire, attempt)

    def submitted(self, data: Any) -> Submitted:
        name = lookup(data, "name")
        if not isinstance(name, str) or not name:
            error = lookup(data, "error.message")
            if isinstance(error, str) and error:  # an operation that failed at once: nothing runs
                raise ProviderError(f"refused: {error}")
            raise ProviderError("the create's answer has no operation name; the task may exist",
                                created="unknown", billed=None)
        return Submitted(name)

    async def status_of(self, client: httpx.AsyncClient, data: Any, sub: Submitted) -> Status:
        if not isinstance(data, Mapping):
            raise ProviderError("the operation is not a JSON object", transient=True)
        if data.get("done") is not True:
            progress = lookup(data, "metadata.progressPercent")
            return Status("running", f"running {progress}%" if progress is not None else "running")
        error = data.get("error")
        if error:
            msg = lookup(error, "message") if isinstance(error, Mapping) else None
            code = lookup(error, "code") if isinstance(error, Mapping) else None
            reason = str(msg or json.dumps(error)[:300])
            return Status("failed", "error", reason=f"error {code}: {reason}" if code is not None else reason,
                          billed=None)
        answer = lookup(data, "response.generateVideoResponse") or {}
        urls = tuple(u for u in lookup(answer, "generatedSamples.*.video.uri") if isinstance(u, str) and u)
        if urls:
            return Status("done", "done", urls[:1])
        filtered = lookup(answer, "raiMediaFilteredCount")
        reasons = lookup(answer, "raiMediaFilteredReasons")
        if filtered or reasons:
            why = "; ".join(str(r) for r in reasons) if isinstance(reasons, list) and reasons else "no reason given"
            return Status("failed", "filtered", reason=f"filtered by Google's safety filters: {why}", billed=None)
        if lookup(answer, "generatedSamples.*.video.encodedVideo"):  # the bytes in the answer: read again to fetch
            return Status("done", "done", (INLINE + sub.task_id,))
        return Status("failed", "done", reason="the provider reported success but gave no video", billed=True)

    async def fetch(self, client: httpx.AsyncClient, url: str, dest: Path) -> Downloaded:
        """A video in the operation itself (`encodedVideo`, base64) is read from a fresh poll; a uri is streamed."""
        if not url.startswith(INLINE):
            return await super().fetch(client, url, dest)
        name = url[len(INLINE):]
        data = await self._get_json(client, self.url(self.base.rstrip("/") + str(
            (self.spec.get("poll") or {}).get("path", "/v1beta/{task_id}")).replace("{task_id}", name)))
        video = lookup(data, "response.generateVideoResponse.generatedSamples.0.video") or {}
        encoded = video.get("encodedVideo") if isinstance(video, Mapping) else None
        try:
            raw = base64.b64decode(str(encoded).replace("-", "+").replace("_", "/") + "=" * (-len(str(encoded)) % 4),
                                   validate=True) if encoded else b""
        except (binascii.Error, ValueError):
            raw = b""
        if not raw:
            raise ProviderError("the operation no longer carries its video", transient=True, billed=True, status=404)
        with open(dest, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        ctype = str(video.get("encoding") or "video/mp4")
        return Downloaded(len(raw), hashlib.sha256(raw).hexdigest(), ctype)
