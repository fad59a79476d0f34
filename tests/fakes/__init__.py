"""Local fake provider servers for the job runner's tests: real HTTP on 127.0.0.1, one provider's wire format each.

    from tests.fakes import FakeFreepik

    with FakeFreepik(steps=1) as fake:
        for name, value in fake.env().items():  # FILMC_FREEPIK_BASE_URL, FREEPIK_API_KEY
            monkeypatch.setenv(name, value)
        fake.fault("create", status=429, retry_after=1)  # the first create is refused
        ...  # run the runner
        assert fake.create_count == 1 and fake.calls("download")

At a glance (details in base.py; wire facts and their sources in each provider's module):
- FakeX(key="test-key", steps=2, result=None, validate=True, port=0); FakeKling(access_key=, secret_key=).
  `fake.base_url` is what FILMC_<PROVIDER>_BASE_URL takes, `fake.env()` gives it with the key variable(s).
- progress is counted in polls: `fake.steps` polls answer queued/running, the next one finishes; `fake.outcome`
  ("done" | "failed" | "moderated") and `fake.reason` say how new tasks end.
- `fake.fault(kind, status=None, *, error=, times=1, after_n=0, retry_after=, body=, headers=, delay=,
  timeout=, record=, malformed=, outcome=, reason=, truncate=, stall=, die=, match=)`; kinds per fake in
  `fake.kinds`; `fake.expire_urls(after_uses=1, after_seconds=None, status=403)`; `fake.die("refuse"|"hang")`.
- counters: `fake.create_count`, `fake.creates` (Counter by body_hash), `fake.creates_for(body)`,
  `fake.calls(kind)` / `fake.requests` (Recorded: kind, method, path, query, headers with secret values
  "<redacted>", body, status, task_id, t), `fake.tasks` / `fake.task(id)` (Task: state, polls, outcome, ...),
  `fake.result_bytes(task)` (what its result URL serves), `fake.in_flight` / `fake.peak_in_flight` (unfinished
  tasks now / at most); `fake.max_in_flight = n` refuses creates beyond n unfinished tasks with the 429 error.
- `python -m tests.fakes <provider> --port 8765` serves one by hand.
"""

from __future__ import annotations

from .base import FakeServer, Fault, Recorded, Request, Response, Task, body_hash
from .bfl import FakeBFL
from .comfyui import FakeComfyUI
from .fal import FakeFal
from .freepik import FakeFreepik
from .gemini import FakeGemini
from .gemini_image import FakeGeminiImage
from .kling import FakeKling, jwt_hs256
from .luma import FakeLuma
from .minimax import FakeMiniMax
from .replicate import FakeReplicate
from .runway import FakeRunway
from .veo import FakeVeo

FAKES: dict[str, type[FakeServer]] = {cls.provider: cls for cls in (
    FakeFreepik, FakeBFL, FakeKling, FakeRunway, FakeLuma, FakeMiniMax, FakeComfyUI, FakeFal, FakeReplicate,
    FakeVeo, FakeGeminiImage)}  # FakeVeo is FakeGemini (generateContent, files) with Veo's predictLongRunning and operations

__all__ = ["FAKES", "FakeBFL", "FakeComfyUI", "FakeFal", "FakeFreepik", "FakeGemini", "FakeGeminiImage", "FakeKling",
           "FakeLuma", "FakeMiniMax", "FakeReplicate", "FakeRunway", "FakeServer", "FakeVeo", "Fault", "Recorded", "Request",
           "Response", "Task",
           "body_hash", "jwt_hs256"]
