"""One structured request to Gemini (google-genai), with bounded retries, its usage, and its audio.

google-genai is imported here only, inside the functions: `filmc --help` never loads it.

Retries: a 429 or a 5xx answer (or a dropped connection) is tried again, at most ATTEMPTS times in all, waiting
the delay the answer asks for (its RetryInfo) or else BACKOFF * 2**n seconds (at most MAX_WAIT). A request to
generate text has no side effect to protect (unlike a paid video creation): sending it again costs at most the
tokens of the failed try, which Gemini does not bill for an error answer.
"""

from __future__ import annotations

import functools
import mimetypes
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic
from ..errors import FilmError
from ..gemini_client import make_client

DEFAULT_MODEL = "gemini-3.8-flash"  # the current Flash model: the one place that names it
BASE_URL_ENV = "FILMC_GEMINI_BASE_URL"
KEY_ENVS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
ATTEMPTS = 4
BACKOFF = 1.0
MAX_WAIT = 30.0
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
TIMEOUT_S = 300
INLINE_SECONDS = 60.0  # audio shorter than this is sent inline ...
INLINE_BYTES = 8 * 1024 * 1024  # ... when the file is also this small; else it goes up through the Files API
FILE_WAIT_S = 120.0  # how long an upload may stay PROCESSING
AUDIO_TYPES = {".mp3": "audio/mp3", ".wav": "audio/wav", ".ogg": "audio/ogg", ".oga": "audio/ogg",
               ".flac": "audio/flac", ".aac": "audio/aac", ".m4a": "audio/aac", ".aif": "audio/aiff",
               ".aiff": "audio/aiff", ".opus": "audio/ogg"}


@dataclass(frozen=True)
class Usage:
    prompt: int = 0  # input tokens (audio included)
    audio: int = 0  # of which audio
    output: int = 0  # answer tokens
    thoughts: int = 0  # thinking tokens (billed as output)
    total: int = 0

    @classmethod
    def of(cls, meta: Any) -> Usage:
        if meta is None:
            return cls()
        audio = sum(int(d.token_count or 0) for d in (meta.prompt_tokens_details or ())
                    if str(getattr(d.modality, "value", d.modality)).upper() == "AUDIO")
        prompt = int(meta.prompt_token_count or 0)
        out = int(meta.candidates_token_count or 0)
        thoughts = int(meta.thoughts_token_count or 0)
        return cls(prompt, audio, out, thoughts, int(meta.total_token_count or prompt + out + thoughts))


@dataclass(frozen=True)
class Answer:
    text: str
    finish: str  # STOP, MAX_TOKENS, SAFETY, ...
    usage: Usage
    model: str  # the model that answered (modelVersion), else the one asked
    blocked: str | None = None  # the prompt's block reason, when there is no answer at all


@dataclass(frozen=True)
class Audio:
    path: Path
    seconds: float | None

    @property
    def mime(self) -> str:
        return AUDIO_TYPES.get(self.path.suffix.lower()) or mimetypes.guess_type(self.path.name)[0] or "audio/mpeg"

    @property
    def inline(self) -> bool:
        size = self.path.stat().st_size
        return self.seconds is not None and self.seconds < INLINE_SECONDS and size <= INLINE_BYTES


@dataclass
class Request:
    system: str
    parts: list[str]  # text parts of the user's turn
    schema: dict[str, Any]  # the response schema (Gemini's OpenAPI subset)
    audio: Audio | None = None
    temperature: float = 0.7
    max_output_tokens: int = 32768
    extra: dict[str, Any] = field(default_factory=dict)


def _fail(code: str, message: str, hint: str | None = None) -> FilmError:
    return FilmError([Diagnostic(code, "error", message, "gemini", hint=hint)])


def api_key(env: Mapping[str, str]) -> str:
    for name in KEY_ENVS:
        if env.get(name, "").strip():
            return env[name].strip()
    raise _fail("D701", "no Gemini API key: set GEMINI_API_KEY (or GOOGLE_API_KEY)",
                hint="get a key at https://aistudio.google.com/apikey, then: export GEMINI_API_KEY=...")


def _retry_wait(err: Any, n: int) -> float:
    """The delay an error answer asks for (google.rpc.RetryInfo), else exponential backoff."""
    for d in (getattr(err, "details", None) or {}).get("error", {}).get("details", ()) if isinstance(
            getattr(err, "details", None), dict) else ():
        delay = d.get("retryDelay") if isinstance(d, dict) else None
        m = re.fullmatch(r"\s*([0-9.]+)s\s*", delay) if isinstance(delay, str) else None
        if m:
            return min(float(m.group(1)), MAX_WAIT)
    return min(float(BACKOFF * 2 ** n), MAX_WAIT)


class Gemini:
    """A google-genai client for one draft: key and base URL from the environment, retries our own."""

    def __init__(self, model: str, env: Mapping[str, str] | None = None,
                 say: Callable[[str], None] = lambda s: None, sleep: Callable[[float], None] = time.sleep):
        env = os.environ if env is None else env
        self.model = model
        self.key = api_key(env)
        self.base_url = env.get(BASE_URL_ENV) or None
        self.say = say
        self.sleep = sleep
        from ..secrets import redactor

        self.redact = redactor(env, [self.key])
        try:
            from google.genai import types
        except ImportError:  # pragma: no cover - a dependency of filmc
            raise _fail("D702", "google-genai is not installed", hint="pip install google-genai") from None
        self.types = types
        self.client = make_client(self.key, self.base_url, timeout_s=TIMEOUT_S)

    # -- retries ---------------------------------------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        import httpx
        from google.genai import errors

        for n in range(ATTEMPTS):
            last = n == ATTEMPTS - 1
            try:
                return fn()
            except errors.APIError as e:
                code = int(getattr(e, "code", 0) or 0)
                text = self.redact(f"{code} {e.status or ''} {e.message or ''}".strip())
                if code not in RETRY_STATUS:
                    hint = ("check GEMINI_API_KEY" if code in (400, 401, 403) and "key" in text.lower() else
                            "check --model (filmc draft --help names the default)" if code == 404 else None)
                    raise _fail("D703", f"Gemini refused the {what}: {text}", hint) from None
                if last:
                    raise _fail("D704", f"Gemini did not answer the {what} after {ATTEMPTS} tries: {text}",
                                "try again later, or another --model") from None
                wait = _retry_wait(e, n)
            except (httpx.TransportError, OSError) as e:
                text = self.redact(str(e) or type(e).__name__)
                if last:
                    where = self.base_url or "generativelanguage.googleapis.com"
                    raise _fail("D704", f"cannot reach Gemini at {where} ({text}) after {ATTEMPTS} tries",
                                f"check the network, or {BASE_URL_ENV}") from None
                wait = min(BACKOFF * 2 ** n, MAX_WAIT)
            self.say(f"Gemini is busy or failed ({text}); trying again in {wait:g} s ({n + 2} of {ATTEMPTS})")
            self.sleep(wait)
        raise AssertionError("unreachable")

    # -- audio -----------------------------------------------------------------------------------------------------
    def audio_part(self, audio: Audio) -> tuple[Any, str | None]:
        """(the part, the uploaded file's name to delete afterwards or None)."""
        t = self.types
        if audio.inline:
            return t.Part.from_bytes(data=audio.path.read_bytes(), mime_type=audio.mime), None
        f = self._call("upload of the song", lambda: self.client.files.upload(
            file=str(audio.path), config={"mime_type": audio.mime, "display_name": audio.path.name}))
        waited = 0.0
        while str(getattr(f.state, "value", f.state) or "ACTIVE").upper() == "PROCESSING" and waited < FILE_WAIT_S:
            self.sleep(1.0)
            waited += 1.0
            f = self._call("check of the uploaded song", functools.partial(self.client.files.get, name=f.name))
        state = str(getattr(f.state, "value", f.state) or "ACTIVE").upper()
        if state != "ACTIVE":
            raise _fail("D717", f"the uploaded song is not usable by Gemini (state {state})",
                        "try again; convert the song to mp3 or wav if it persists")
        return t.Part.from_uri(file_uri=f.uri, mime_type=f.mime_type or audio.mime), f.name

    def _forget(self, name: str | None) -> None:
        if not name:
            return
        try:
            self.client.files.delete(name=name)
        except Exception:  # noqa: BLE001 - uploads expire by themselves after 48 h
            pass

    # -- the request -----------------------------------------------------------------------------------------------
    def generate(self, req: Request) -> Answer:
        t = self.types
        parts: list[Any] = [t.Part.from_text(text=p) for p in req.parts]
        uploaded = None
        if req.audio is not None:
            part, uploaded = self.audio_part(req.audio)
            parts.insert(0, part)
        config = t.GenerateContentConfig(
            system_instruction=req.system, response_mime_type="application/json", response_schema=req.schema,
            temperature=req.temperature, max_output_tokens=req.max_output_tokens, candidate_count=1)
        contents = [t.Content(role="user", parts=parts)]
        try:
            resp = self._call("draft request", lambda: self.client.models.generate_content(
                model=self.model, contents=contents, config=config))
        finally:
            self._forget(uploaded)
        usage = Usage.of(resp.usage_metadata)
        model = resp.model_version or self.model
        blocked = None
        if resp.prompt_feedback is not None and resp.prompt_feedback.block_reason is not None:
            blocked = str(getattr(resp.prompt_feedback.block_reason, "value", resp.prompt_feedback.block_reason))
        if not resp.candidates:
            return Answer("", "NO_CANDIDATE", usage, model, blocked or "no answer")
        cand = resp.candidates[0]
        finish = str(getattr(cand.finish_reason, "value", cand.finish_reason) or "STOP")
        texts = [p.text for p in (cand.content.parts if cand.content and cand.content.parts else ())
                 if p.text and not p.thought]
        return Answer("".join(texts), finish, usage, model, blocked)
