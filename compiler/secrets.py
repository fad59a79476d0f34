"""Secrets never leave the process: every text filmc writes or prints about a run goes through a redactor."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

_SECRET_NAME = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD|CREDENTIALS?)$|^(FAL_KEY|REPLICATE_API_TOKEN)$")
MASK = "***"


def secret_values(env: Mapping[str, str], extra: Iterable[str] = ()) -> list[str]:
    """Values of variables named like secrets (…_KEY, …_SECRET, …_TOKEN) and any given ones, longest first."""
    found = {v for k, v in env.items() if _SECRET_NAME.search(k.upper()) and len(v) >= 6}
    found.update(v for v in extra if v and len(v) >= 4)
    return sorted(found, key=len, reverse=True)


def redactor(env: Mapping[str, str], extra: Iterable[str] = ()) -> Callable[[str], str]:
    values = secret_values(env, extra)
    if not values:
        return lambda s: s
    rx = re.compile("|".join(re.escape(v) for v in values))
    return lambda s: rx.sub(MASK, s)
