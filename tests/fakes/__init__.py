"""Local fake provider servers for the job runner's tests: real HTTP on 127.0.0.1, one provider's wire format each.

    from tests.fakes import FakeFreepik

    with FakeFreepik(steps=1) as fake:
        for name, value in fake.env().items():  # FILMC_FREEPIK_BASE_URL, FREEPIK_API_KEY
            monkeypatch.setenv(name, value)
        fake.fault("create", status=429, retry_after=1)  # the first create is refused
        ...  # run the runner
        assert fake.create_count == 1 and fake.calls("download")

See base.py for the common API (faults, counters, result files) and each provider module for its wire facts and
where they come from. `python -m tests.fakes <provider> --port 8765` serves one by hand.
"""

from __future__ import annotations

from .base import FakeServer, Fault, Recorded, Request, Response, Task, body_hash
from .bfl import FakeBFL
from .comfyui import FakeComfyUI
from .fal import FakeFal
from .freepik import FakeFreepik
from .kling import FakeKling, jwt_hs256
from .luma import FakeLuma
from .minimax import FakeMiniMax
from .replicate import FakeReplicate
from .runway import FakeRunway

FAKES: dict[str, type[FakeServer]] = {cls.provider: cls for cls in (
    FakeFreepik, FakeBFL, FakeKling, FakeRunway, FakeLuma, FakeMiniMax, FakeComfyUI, FakeFal, FakeReplicate)}

__all__ = ["FAKES", "FakeBFL", "FakeComfyUI", "FakeFal", "FakeFreepik", "FakeKling", "FakeLuma", "FakeMiniMax",
           "FakeReplicate", "FakeRunway", "FakeServer", "Fault", "Recorded", "Request", "Response", "Task",
           "body_hash", "jwt_hs256"]
