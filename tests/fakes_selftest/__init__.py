"""Self-tests of tests/fakes: every fake driven by the real httpx client over 127.0.0.1."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

TLS = ssl.create_default_context()  # made once: a new default context per client costs ~40 ms


def new_client(**kw: Any) -> httpx.Client:
    """A real httpx client (10 s timeout unless given)."""
    kw.setdefault("timeout", 10)
    return httpx.Client(verify=TLS, **kw)


WEB = new_client()  # no headers: result downloads, and requests that must carry no key
