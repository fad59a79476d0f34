"""fal's queue API (queue.fal.run): one key for many models.

Wire facts [fal-ai/fal client.py, V; research apis-2026.md §1m]: `POST https://queue.fal.run/{app}[/{subpath}]`
with `Authorization: Key $FAL_KEY` answers `{request_id, status_url, response_url, cancel_url}`; GET status_url
says IN_QUEUE, IN_PROGRESS or COMPLETED, and a COMPLETED answer carrying `error` (and `error_type`) failed; the
output is a separate GET of response_url (`{"images": [{url}]}`, `{"video": {url}}`). The status and response URLs
name the app without its subpath, so filmc keeps the ones the create answered with.
"""

from __future__ import annotations

from typing import Any

import httpx

from .base import ProviderError, Status, Submitted, lookup
from .http import HttpProvider


class FalProvider(HttpProvider):
    def submitted(self, data: Any) -> Submitted:
        sub = super().submitted(data)
        url = lookup(data, "response_url")
        return Submitted(sub.task_id, {**sub.extra, "response_url": url}) if isinstance(url, str) else sub

    async def status_of(self, client: httpx.AsyncClient, data: Any, sub: Submitted) -> Status:
        status = dict(self.spec.get("status") or {})
        raw = str(lookup(data, str(status.get("path", "status"))) or "")
        if raw not in [str(x) for x in status.get("done", [])]:
            return await super().status_of(client, data, sub)
        error = lookup(data, "error")
        if error:
            kind = lookup(data, "error_type")
            return Status("failed", raw, reason=f"{kind}: {error}" if kind else str(error))
        url = sub.extra.get("response_url") or lookup(data, "response_url")
        if not isinstance(url, str) or not url:
            return Status("failed", raw, reason="the provider reported success but gave no response URL", billed=True)
        try:
            output = await self._get_json(client, self.url(url))
        except ProviderError as e:
            if e.status in (400, 404, 410, 422):  # the request ended without an output (moderated, runner error)
                return Status("failed", raw, reason=e.reason)
            raise
        urls = await self.result_urls(client, output, sub)
        if not urls:
            return Status("failed", raw, reason="the provider reported success but gave no result", billed=True)
        return Status("done", raw, urls)
