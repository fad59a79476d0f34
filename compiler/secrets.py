"""Secrets never leave the process: every text filmc writes or prints about a run goes through a redactor."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

_SECRET_NAME = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD|CREDENTIALS?)$|^(FAL_KEY|REPLICATE_API_TOKEN)$")
MASK = "***"


_USERINFO = re.compile(r"[a-z][a-z0-9+.-]*://([^/@\s,]+)@", re.IGNORECASE)


def secret_values(env: Mapping[str, str], extra: Iterable[str] = ()) -> list[str]:
    """Values of variables named like secrets (…_KEY, …_SECRET, …_TOKEN), credentials written into URLs
    (`http://user:password@host` in COMFYUI_URL or a FILMC_*_BASE_URL) and any given ones, longest first."""
    found = {v for k, v in env.items() if _SECRET_NAME.search(k.upper()) and len(v) >= 4}
    for k, v in env.items():
        if k.upper().endswith("_URL") and "@" in v:
            for userinfo in _USERINFO.findall(v):
                found.add(userinfo)
                found.update(part for part in userinfo.split(":", 1)[1:] if part)
    found.update(v for v in extra if v and len(v) >= 4)
    return sorted(found, key=len, reverse=True)


def redactor(env: Mapping[str, str], extra: Iterable[str] = ()) -> Callable[[str], str]:
    values = secret_values(env, extra)
    if not values:
        return lambda s: s
    rx = re.compile("|".join(re.escape(v) for v in values))
    return lambda s: rx.sub(MASK, s)
