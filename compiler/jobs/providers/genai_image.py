"""Gemini image models through google-genai `generate_content` with image output: the create's answer IS the result.

The compiled body is data (targets/gemini-image/request.gemini-image.json.j2): `{model, parts: [{text} | {image:
data URL}], config: {response_modalities, aspect_ratio, image_size, person_generation}}`; this adapter makes the call
with the real google-genai client (compiler/gemini_client.py, shared with `filmc draft`, imported lazily), its retries off
(HttpRetryOptions attempts=1): only filmc decides what is sent again.

Outcomes, for money (base.py): a refused connection, a 4xx or a 429 made nothing (429 waits its RetryInfo delay); a
time-out, a 5xx or an answer the client cannot read may have made (and billed) an image: unknown, never resent on its
own. A 200 answer whose candidate ends with a finish reason target.yaml lists as failed (IMAGE_SAFETY,
PROHIBITED_CONTENT ...), whose prompt was blocked, or that has no image part, is a failed task with its reason.

The runner polls and downloads every task the same way, so the synchronous answer is handed over in two small steps:
`create` keeps the image in memory under the answer's responseId and records the answer's token usage in the
submitted event's `extra`; `poll` answers done with the URL `inline:<responseId>` (never the bytes: the ledger
stays small); `fetch` writes the kept bytes to the take. A run killed between the answer and the download loses
that image (the task is then failed, billed): it is never asked for again behind the creator's back.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from .base import (
    CREATED_UNKNOWN,
    Downloaded,
    MissingKey,
    ProviderError,
    Status,
    Submitted,
    base_url_env,
    classify_create,
    data_url_parts,
    first_env,
    retry_info_delay,
)
from .http import HttpProvider

INLINE = "inline:"
CREATE_TIMEOUT_S = 300.0  # the answer comes when the image is made (a 4K image of 3 Pro takes a minute or more)


class GenaiImageProvider(HttpProvider):
    def __init__(self, name: str, spec: Mapping[str, Any], env: Mapping[str, str]):
        super().__init__(name, spec, env)
        self.kept: dict[str, tuple[str, Any]] = {}  # responseId -> ("done", (bytes, mime)) | ("failed", reason)
        status = dict(self.spec.get("status") or {})
        self.failed_reasons = {str(x) for x in status.get("failed", [])}

    def base_url(self) -> str | None:
        override = self.env.get(base_url_env(self.name))
        return override.rstrip("/") if override else (self.base or None)

    # -- create -----------------------------------------------------------------------------------------------------
    async def create(self, client: httpx.AsyncClient, method: str, url: str, body: Any) -> Submitted:
        key = first_env(self.key_names, self.env) if self.key_names else None
        if not key:
            raise MissingKey(" or ".join(self.key_names))
        if not isinstance(body, Mapping):
            raise ProviderError("the job's body is not an object (rebuild with this filmc)")
        answer = await asyncio.to_thread(self._call, key, body)
        return self._take(answer, str(body.get("model", "")))

    def _call(self, key: str, body: Mapping[str, Any]) -> Any:
        from google.genai import errors, types

        from ...gemini_client import make_client

        parts = [_part(types, p) for p in body.get("parts") or ()]
        cfg = dict(body.get("config") or {})
        image = {k: cfg[k] for k in ("aspect_ratio", "image_size", "person_generation") if cfg.get(k)}
        config = types.GenerateContentConfig(
            response_modalities=list(cfg.get("response_modalities") or ["IMAGE"]),
            image_config=types.ImageConfig(**image) if image else None)
        gen = make_client(key, self.base_url(), timeout_s=_timeout(self.env), attempts=1)
        try:
            return gen.models.generate_content(model=str(body["model"]),
                                               contents=[types.Content(role="user", parts=parts)], config=config)
        except errors.APIError as e:
            raise _refused(e) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
            raise classify_create(e) from None
        except httpx.HTTPError as e:
            raise ProviderError(f"no answer to the create ({type(e).__name__}); the image may have been made",
                                created=CREATED_UNKNOWN, billed=None) from None
        except ProviderError:
            raise
        except Exception as e:  # noqa: BLE001 - an answer the client could not read: the image may exist
            raise ProviderError(f"the create's answer could not be read ({type(e).__name__}); the image may have "
                                "been made", created=CREATED_UNKNOWN, billed=None) from None

    def _take(self, resp: Any, model: str) -> Submitted:
        """Keep what the answer says (the image, or why there is none) under its id; the usage goes to the ledger."""
        task_id = str(getattr(resp, "response_id", None) or uuid.uuid4().hex)
        extra: dict[str, Any] = {"model": getattr(resp, "model_version", None) or model}
        meta = getattr(resp, "usage_metadata", None)
        if meta is not None:
            extra["usage"] = {"prompt_tokens": int(meta.prompt_token_count or 0),
                              "output_tokens": int(meta.candidates_token_count or 0),
                              "total_tokens": int(meta.total_token_count or 0)}
        feedback = getattr(resp, "prompt_feedback", None)
        blocked = getattr(feedback, "block_reason", None) if feedback is not None else None
        cands = getattr(resp, "candidates", None) or []
        if blocked is not None:
            self.kept[task_id] = ("failed", f"the prompt was blocked: {_word(blocked)}")
        elif not cands:
            self.kept[task_id] = ("failed", "the answer has no candidate")
        else:
            cand = cands[0]
            finish = _word(cand.finish_reason) if cand.finish_reason is not None else ""
            parts = list(cand.content.parts or []) if cand.content is not None else []
            image = next((p.inline_data for p in parts if p.inline_data is not None and p.inline_data.data
                          and str(p.inline_data.mime_type or "image/").startswith("image/")), None)
            said = " ".join(p.text.strip() for p in parts if p.text and not p.thought)[:300]
            if image is None or finish in self.failed_reasons:
                why = finish if finish and finish != "STOP" else "no image"
                self.kept[task_id] = ("failed", f"{why}: {said}" if said else
                                      "the answer has no image" if why == "no image" else why)
            else:
                self.kept[task_id] = ("done", (bytes(image.data), str(image.mime_type or "image/png")))
        extra["finish"] = self.kept[task_id][0]
        return Submitted(task_id, extra)

    # -- poll and fetch: the answer already in hand ------------------------------------------------------------------
    async def poll(self, client: httpx.AsyncClient, job: Mapping[str, Any], sub: Submitted) -> Status:
        kept = self.kept.get(sub.task_id)
        if kept is None:
            return Status("failed", "lost", reason="the image came back in the create's answer and was lost when the "
                          "run stopped before saving it; run again for a new take", billed=True)
        if kept[0] == "failed":
            return Status("failed", "failed", reason=str(kept[1]), billed=None)
        return Status("done", "STOP", (INLINE + sub.task_id,))

    async def fetch(self, client: httpx.AsyncClient, url: str, dest: Path) -> Downloaded:
        if not url.startswith(INLINE):
            return await super().fetch(client, url, dest)
        kept = self.kept.get(url[len(INLINE):])
        if kept is None or kept[0] != "done":
            raise ProviderError("the image is no longer in memory; run again for a new take", billed=True,
                                status=410)
        data, mime = kept[1]
        with open(dest, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return Downloaded(len(data), hashlib.sha256(data).hexdigest(), mime)

    async def reconcile(self, client: httpx.AsyncClient, job: Mapping[str, Any], attempt: str) -> Submitted | None:
        return None  # the API cannot look an answer up: an unknown create stays unknown


def _timeout(env: Mapping[str, str]) -> float:
    """Seconds to wait for the answer: FILMC_GEMINI_IMAGE_TIMEOUT, else FILMC_HTTP_TIMEOUT when that is longer than
    CREATE_TIMEOUT_S (the general time-out never cuts an image short: a create cut short is paid for and unknown)."""
    try:
        if env.get("FILMC_GEMINI_IMAGE_TIMEOUT"):
            return float(env["FILMC_GEMINI_IMAGE_TIMEOUT"])
        return max(float(env.get("FILMC_HTTP_TIMEOUT") or CREATE_TIMEOUT_S), CREATE_TIMEOUT_S)
    except ValueError:
        return CREATE_TIMEOUT_S


def _part(types: Any, part: Any) -> Any:
    if isinstance(part, Mapping) and isinstance(part.get("text"), str):
        return types.Part.from_text(text=part["text"])
    if isinstance(part, Mapping) and isinstance(part.get("image"), str):
        got = data_url_parts(part["image"])
        if got is None:
            raise ProviderError("an image part is not inline image data (data:image/...;base64,...)")
        try:
            data = base64.b64decode(got[1], validate=True)
        except (binascii.Error, ValueError):
            raise ProviderError("an image part's base64 is not valid") from None
        return types.Part.from_bytes(data=data, mime_type=got[0])
    raise ProviderError(f"a part of the body is neither text nor an image: {str(part)[:80]}")


def _word(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _refused(e: Any) -> ProviderError:
    """A google-genai APIError, classified as an HTTP answer would be (base.classify_status)."""
    code = int(getattr(e, "code", 0) or 0)
    text = f"{getattr(e, 'status', '') or ''} {getattr(e, 'message', '') or ''}".strip()[:300]
    if code == 429:
        return ProviderError(f"rate limited (429): {text}", retry_after=_retry_delay(e), transient=True, status=code)
    if code in (401, 403) or code == 400 and "API_KEY_INVALID" in str(getattr(e, "details", "")):
        return ProviderError(f"the key was refused ({code}): {text}", fatal=True, status=code)
    if 400 <= code < 500:
        return ProviderError(f"refused ({code}): {text}", status=code)
    return ProviderError(f"server error ({code}) on the create: {text}; the image may have been made",
                         created=CREATED_UNKNOWN, billed=None, status=code)


def _retry_delay(e: Any) -> float | None:
    """The delay a 429 asks for (google.rpc.RetryInfo retryDelay "13s")."""
    return retry_info_delay(getattr(e, "details", None))
