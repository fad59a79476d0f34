"""How a target's services are called (target.yaml `providers.<name>`), typed, each runner setting declared once.

The request-level parts (submit, poll, routes, status, result, error, external_id ...) stay as written in `spec`:
the HTTP adapter reads them. The settings below are what the runner and `filmc targets show` read; their
defaults live only here (the target schema's `default`s are checked against them by a test).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .capabilities import setting

FORMS = ("url", "base64", "data_url")  # how an image travels: a URL, raw base64, or a data: URL


def env_names(value: Any) -> tuple[str, ...]:
    """An `env` entry: one variable name, or a list of names (any one of them)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


@dataclass(frozen=True)
class Auth:
    """target.yaml `providers.<name>.auth`: how requests authenticate."""

    scheme: str = "none"  # header | bearer | key | jwt-hs256 | none
    env: tuple[str, ...] = ()  # the key's variable (a list: the first one set)
    secret_env: tuple[str, ...] = ()  # jwt-hs256: the signing secret's variable
    header: str = "Authorization"  # scheme header: the header carrying the key

    def text(self) -> str:
        """'FAL_KEY', 'RUNWAYML_API_SECRET or RUNWAY_API_KEY', 'A + B' (a key and a secret), or 'no key'."""
        names = [" or ".join(v) for v in (self.env, self.secret_env) if v]
        return " + ".join(names) if names else "no key"


@dataclass(frozen=True)
class Provider:
    """One `providers.<name>` block: typed runner settings, and the block as written (`spec`)."""

    name: str
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False)
    auth: Auth = field(default_factory=Auth)
    concurrency: int = setting(2, "tasks kept in flight with this provider at once")
    poll_interval: float = setting(5.0, "seconds between polls of one task")
    first_frame: tuple[str, ...] = setting(("url", "data_url"), "forms a first frame is sent in, preferred first")
    references: tuple[str, ...] | None = setting(None, "forms a reference image is sent in (null: first_frame's "
                                                       "without url)")
    end_frame: tuple[str, ...] | None = setting(None, "forms an end frame is sent in (null: first_frame's)")
    result_ttl: float | None = setting(None, "seconds a result URL stays valid (null: never passed on)")
    duration_type: str | None = setting(None, "how the API types a duration: string, integer or seconds-suffix")
    not_created: tuple[int, ...] = setting((), "5xx statuses documented as 'no task was created'")

    @property
    def routes(self) -> tuple[dict[str, Any], ...]:
        """Option-dependent endpoints, as written (empty: submit and poll serve every option)."""
        return tuple(r for r in self.spec.get("routes") or () if isinstance(r, dict))

    @property
    def local(self) -> bool:
        """The creator's own server: no key, nothing charged per generation."""
        return self.auth.scheme == "none"


def runner_settings() -> tuple[Any, ...]:
    """The declared settings of a provider (those with help), in order."""
    return tuple(f for f in fields(Provider) if "help" in f.metadata)


def _forms(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and value:
        return tuple(str(v) for v in value)
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


def parse_provider(name: str, block: Any) -> Provider:
    """One `providers.<name>` block (already checked against the target schema); a setting it leaves out takes its
    declared default."""
    d: dict[str, Any] = dict(block) if isinstance(block, Mapping) else {}
    raw_auth = d.get("auth")
    a: dict[str, Any] = raw_auth if isinstance(raw_auth, dict) else {}
    auth = Auth(scheme=str(a.get("scheme") or Auth.scheme), env=env_names(a.get("env")),
                secret_env=env_names(a.get("secret_env")), header=str(a.get("header") or Auth.header))
    concurrency = d.get("concurrency")
    given: dict[str, Any] = {
        "concurrency": concurrency if isinstance(concurrency, int) and not isinstance(concurrency, bool)
        and concurrency > 0 else None,
        "poll_interval": _number(d.get("poll_interval")),
        "first_frame": _forms(d.get("first_frame")),
        "references": _forms(d.get("references")),
        "end_frame": _forms(d.get("end_frame")),
        "result_ttl": _number(d.get("result_ttl")),
        "duration_type": str(d["duration_type"]) if isinstance(d.get("duration_type"), str) else None,
        "not_created": tuple(int(c) for c in d.get("not_created") or () if isinstance(c, int)) or None,
    }
    return Provider(name, d, auth, **{k: v for k, v in given.items() if v is not None})
