"""The google-genai client filmc builds for the Gemini API (drafting, image jobs): key, base URL, time-out, retries.

google-genai is imported inside the function: `filmc --help` never loads it.
"""

from __future__ import annotations

from typing import Any

API_VERSION = "v1beta"  # structured output, image output and the Files API live here


def make_client(key: str, base_url: str | None, *, timeout_s: float = 300.0, attempts: int | None = None) -> Any:
    """A google-genai client for the Gemini API at `base_url` (None: Google's). `attempts=1`: the SDK never sends a
    request again on its own (a paid generation is never resent behind the caller's back)."""
    from google import genai
    from google.genai import types

    retry = types.HttpRetryOptions(attempts=attempts) if attempts else None
    opts = types.HttpOptions(api_version=API_VERSION, timeout=int(timeout_s * 1000), base_url=base_url,
                             retry_options=retry)
    return genai.Client(api_key=key, http_options=opts)
