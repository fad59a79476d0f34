"""Replicate predictions: one token for many models.

Wire facts [replicate/replicate-python client.py, prediction.py, pagination.py, V; research apis-2026.md §1m]:
`POST /v1/models/{owner}/{name}/predictions` with `{"input": {...}}` and `Authorization: Bearer
$REPLICATE_API_TOKEN` answers a prediction `{id, model, status, input, output, error, urls}`; GET
/v1/predictions/{id}; status starting / processing / succeeded / failed / canceled; `output` is a URL or a list of
URLs. Replicate takes no client id with a create, so a create whose answer was lost is looked for in `GET
/v1/predictions?created_after=<when it left>` (newest first, pages through `next`): the one prediction of the same
model with the same input that this run has not already claimed. None, or more than one: the create stays unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from .base import MissingKey, ProviderError, Submitted
from .http import HttpProvider

CLOCK_SKEW = 120.0  # seconds the provider's clock may run behind ours
MAX_PAGES = 5


class ReplicateProvider(HttpProvider):
    def __init__(self, name: str, spec: Mapping[str, Any], env: Mapping[str, str]):
        super().__init__(name, spec, env)
        self.claimed: set[str] = set()  # predictions this run knows as its own

    def submitted(self, data: Any) -> Submitted:
        sub = super().submitted(data)
        self.claimed.add(sub.task_id)
        return sub

    async def reconcile(self, client: httpx.AsyncClient, job: Mapping[str, Any], attempt: str) -> Submitted | None:
        sent = self.sent.get(attempt)
        if sent is None or not isinstance(sent[1], Mapping) or not isinstance(sent[1].get("input"), Mapping):
            return None
        when, body = sent
        twins = [a for a, (_, b) in self.sent.items() if a != attempt and isinstance(b, Mapping)
                 and _same_input(body["input"], b.get("input"))]
        if twins:  # another create of the same input left in this run: a match could be its prediction
            return None
        after = dt.datetime.fromtimestamp(when - CLOCK_SKEW, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        model = _model(str(job["url"]))
        url: str | None = self.url(self.base.rstrip("/") + "/v1/predictions?created_after=" + quote(after))
        found: list[str] = []
        try:
            for _ in range(MAX_PAGES):
                if not url:
                    break
                page = await self._get_json(client, url)
                for p in page.get("results") or () if isinstance(page, Mapping) else ():
                    if (isinstance(p, Mapping) and isinstance(p.get("id"), str) and p["id"] not in self.claimed
                            and (model is None or p.get("model") == model)
                            and _same_input(body["input"], p.get("input"))):
                        found.append(p["id"])
                nxt = page.get("next") if isinstance(page, Mapping) else None
                url = self.url(nxt) if isinstance(nxt, str) and nxt else None
        except (ProviderError, MissingKey):
            return None
        if len(found) != 1:
            return None
        self.claimed.add(found[0])
        return Submitted(found[0], {"found_by": "created_after"})


def _model(url: str) -> str | None:
    """owner/name from a /v1/models/{owner}/{name}/predictions URL (None for /v1/predictions with a version)."""
    parts = httpx.URL(url).path.strip("/").split("/")
    if len(parts) == 5 and parts[0] == "v1" and parts[1] == "models" and parts[4] == "predictions":
        return f"{parts[2]}/{parts[3]}"
    return None


def _same_input(sent: Mapping[str, Any], got: Any) -> bool:
    """Whether a listed prediction's input is what was sent (inline images, which the service may store elsewhere,
    are not compared)."""
    if not isinstance(got, Mapping):
        return False
    for k, v in sent.items():
        if isinstance(v, str) and v.startswith("data:"):
            continue
        if got.get(k) != v:
            return False
    return True
