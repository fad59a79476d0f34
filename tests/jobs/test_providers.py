"""Every provider end to end: `filmc run` against its fake (real HTTP on 127.0.0.1, the real httpx client, real files).

Each test runs a film that uses the provider, checks that the takes land with the bytes the fake served, that a
video provider gets its first frame in the form it takes, and exercises the provider's own quirk.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from compiler.jobs.providers import make_provider
from compiler.jobs.providers.base import ProviderError
from compiler.targets import builtin_targets
from tests.conftest import Run, run_cli
from tests.fakes import (
    FakeBFL,
    FakeComfyUI,
    FakeFal,
    FakeKling,
    FakeLuma,
    FakeMiniMax,
    FakeReplicate,
    FakeServer,
    FakeVeo,
    media,
)
from tests.fakes.gemini_image import FakeGeminiImage
from tests.jobs.test_run import attempts, events  # the ledger as the runner's tests read it

SENTINEL = "sk-SENTINEL-7f3a9c2e5b81d4406e1f"
SECRET = "sk-SECRET-0b5e2d7c9a4f1e3b8d62"
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")


# ---------------------------------------------------------------- helpers

def film(tmp_path: Path, image: str | None, video: str | None, options: str = "", seconds: int = 10,
         shots: int = 1) -> Path:
    """A film of `shots` shots sharing `seconds`, one image target and one video target (either may be None)."""
    d = tmp_path / "film"
    d.mkdir()
    targets = ", ".join(f"{k}: [{v}]" for k, v in (("image", image), ("video", video)) if v)
    subjects = ["waves on black sand", "a lighthouse in fog", "gulls over a pier"]
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Test, aspect: \"16:9\"}\n"
        f"song:\n  duration: {seconds}\n  sections: [{{id: a, start: 0}}]\n"
        f"targets: {{{targets}{', options: {' + options + '}' if options else ''}}}\n"
        "shots:\n" + "".join(f"  - {{id: s0{i + 1}, section: a, size: WS, subject: {subjects[i]}, "
                             "background_motion: spray drifts}\n" for i in range(shots)),
        encoding="utf-8")
    return d


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Start fakes and point filmc at them: `fakes(FakeBFL(...), FakeKling(...))`."""
    monkeypatch.setenv("FILMC_POLL_INTERVAL", "0.01")
    with ExitStack() as stack:
        def start(*servers: FakeServer) -> tuple[FakeServer, ...]:
            for s in servers:
                stack.enter_context(s)
                for k, v in s.env().items():
                    monkeypatch.setenv(k, v)
            return servers
        yield start


def takes(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / "takes").rglob("*") if p.is_file())


def served_whole(root: Path, *servers: FakeServer) -> dict[str, Any]:
    """Every downloaded take holds exactly the bytes its task's fake served; returns the attempts by job."""
    out = {}
    for a in attempts(root).values():
        if a.state != "downloaded":
            continue
        data = (root / a.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == a.sha256 and len(data) == a.bytes
        served = [s.result_bytes(s.tasks[a.task_id]) for s in servers if a.task_id in s.tasks]
        assert served == [data], a.path
        assert a.qc_ok is True, a.qc_findings
        out[a.job] = a
    return out


def data_url(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def run(root: Path, *args: str) -> Run:
    return run_cli(["run", str(root), "--yes", *args])


def no_secret_anywhere(root: Path, res: Run, *secrets: str) -> None:
    for text in (res.stdout, res.stderr):
        for s in secrets:
            assert s not in text
        assert not JWT.search(text.encode())
    for p in root.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            for s in secrets:
                assert s.encode() not in data, p
            assert not JWT.search(data), p


# ---------------------------------------------------------------- BFL

def test_bfl_polls_the_url_it_was_given_and_fetches_expired_results_again(tmp_path: Path, fakes: Any) -> None:
    # the polling URL is on a path the compiled job does not know: only following `polling_url` finds the task
    (bfl,) = fakes(FakeBFL(steps=1, key=SENTINEL, polling_path="/v1/regional/get_result"))
    bfl.expire_urls(after_uses=None, after_seconds=1.5)  # signed result URLs expire (10 min on the real service)
    bfl.fault("download", delay=2.0, times=1)  # the first download starts after its URL expired
    root = film(tmp_path, "flux", None, "flux: {provider: bfl, model: flux-pro-1.1}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert takes(root) == ["takes/s01/flux/1.png"]
    served_whole(root, bfl)
    (create,) = bfl.calls("create")
    assert create.path == "/v1/flux-pro-1.1" and create.headers["x-key"] == "<redacted>"
    assert {c.path for c in bfl.calls("poll")} == {"/v1/regional/get_result"}
    downloads = bfl.calls("download")
    assert [d.status for d in downloads] == [403, 200] and downloads[0].path != downloads[1].path  # a fresh URL
    assert bfl.create_count == 1
    no_secret_anywhere(root, res, SENTINEL)


@pytest.mark.parametrize("status", ["Content Moderated", "Request Moderated"])
def test_bfl_moderation_fails_the_job_with_its_reason(tmp_path: Path, fakes: Any, status: str) -> None:
    (bfl,) = fakes(FakeBFL(steps=1, moderation=status))
    bfl.fault("poll", outcome="moderated", reason="nudity")
    root = film(tmp_path, "flux", None, "flux: {provider: bfl}")
    res = run(root)
    assert res.exit_code == 1
    assert f"s01.flux: failed: {status}" in res.stderr and "nudity" in res.stderr
    (a,) = attempts(root).values()
    assert a.state == "failed" and a.definitive and a.stage == "poll"
    assert bfl.create_count == 1 and bfl.calls("download") == []


# ---------------------------------------------------------------- Kling official

def kling_film(tmp_path: Path) -> Path:
    return film(tmp_path, "flux", "kling", "flux: {provider: bfl}, kling: {provider: kling}")


def test_kling_signs_its_token_and_takes_raw_base64(tmp_path: Path, fakes: Any) -> None:
    bfl, kling = fakes(FakeBFL(steps=1), FakeKling(steps=1, access_key=SENTINEL, secret_key=SECRET))
    root = kling_film(tmp_path)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert takes(root) == ["takes/s01/flux/1.png", "takes/s01/kling/1.mp4"]
    done = served_whole(root, bfl, kling)
    (create,) = kling.calls("create")  # the fake checks the JWT (HS256 over iss/exp/nbf): a bad one is refused
    image = create.body["image"]
    assert not image.startswith(("data:", "@", "http"))  # raw base64, no data: prefix
    assert base64.b64decode(image) == (root / done["s01.flux"].path).read_bytes()
    # every create carries its attempt id, so a lost answer can be looked up
    assert create.body["external_task_id"] == done["s01.kling"].attempt
    no_secret_anywhere(root, res, SENTINEL, SECRET)


def test_kling_failure_reason_is_task_status_msg(tmp_path: Path, fakes: Any) -> None:
    _, kling = fakes(FakeBFL(steps=1), FakeKling(steps=1))
    kling.fault("poll", outcome="failed", reason="Image contains prohibited content")
    res = run(kling_film(tmp_path))
    assert res.exit_code == 1
    assert "s01.kling: failed: failed: Image contains prohibited content" in res.stderr
    assert kling.create_count == 1


def test_kling_create_whose_answer_was_lost_is_found_by_its_external_id(tmp_path: Path, fakes: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILMC_HTTP_TIMEOUT", "1")
    bfl, kling = fakes(FakeBFL(steps=1), FakeKling(steps=1))
    kling.fault("create", timeout=True, delay=3.0)  # the task is made; its answer comes after the client gave up
    root = kling_film(tmp_path)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert kling.create_count == 1  # found, not sent again (the lost answer is still on its way)
    done = served_whole(root, bfl, kling)
    a = done["s01.kling"]
    assert a.task_id == kling.task().id and a.extra == {"external_id": a.attempt}
    assert not [e for e in events(root) if e["ev"] == "unknown"]
    assert kling.calls("poll")[0].path.endswith(f"/{a.attempt}")  # looked up by the external id


def test_kling_out_of_credits_in_a_429_stops_the_provider(tmp_path: Path, fakes: Any) -> None:
    _, kling = fakes(FakeBFL(steps=1), FakeKling(steps=1))
    kling.fault("create", error="credits", times=None)  # HTTP 429 with code 1102: the resource pack is used up
    root = film(tmp_path, "flux", "kling", "flux: {provider: bfl}, kling: {provider: kling}", shots=2, seconds=20)
    res = run(root, "--concurrency", "1")
    assert res.exit_code == 1
    assert len(kling.calls("create")) == 1  # not waited out and retried as a rate limit
    assert "provider error 1102" in res.stderr


# ---------------------------------------------------------------- Luma

def test_luma_skips_a_first_frame_without_a_url_it_can_fetch(tmp_path: Path, fakes: Any) -> None:
    comfy, luma = fakes(FakeComfyUI(steps=1), FakeLuma(steps=1, key=SENTINEL))
    root = film(tmp_path, "comfyui", "luma", seconds=8)
    res = run(root)
    assert res.exit_code == 1
    assert takes(root) == ["takes/s01/comfyui/1.png"]
    line = next(x for x in res.stderr.splitlines() if x.startswith("  s01.luma: skipped"))
    assert "only as a URL it can fetch" in line and "1.png" in line and "https" in line
    assert luma.requests == []  # nothing sent, nothing paid


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A certificate for 127.0.0.1 (the client trusts it through SSL_CERT_FILE) and the server's TLS context."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a certificate for the https fake")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "key.pem"),
                    "-out", str(d / "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "cert.pem", d / "key.pem")
    return ctx, d / "cert.pem"


class HttpsBFL(FakeBFL):
    """The BFL fake behind TLS: its result URLs are https, as the real service's signed URLs are."""

    def __init__(self, ctx: ssl.SSLContext, **kw: Any):
        self.ctx = ctx
        super().__init__(**kw)

    def start(self) -> HttpsBFL:
        super().start()
        assert self._httpd is not None
        self._httpd.socket = self.ctx.wrap_socket(self._httpd.socket, server_side=True)
        return self

    @property
    def origin(self) -> str:
        return "https" + super().origin[len("http"):]


def test_luma_gets_the_image_providers_url_while_it_is_valid(tmp_path: Path, fakes: Any, tls: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, cert = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    bfl, luma = fakes(HttpsBFL(ctx, steps=1), FakeLuma(steps=1))
    root = film(tmp_path, "flux", "luma", "flux: {provider: bfl}", seconds=8)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, luma)
    (create,) = luma.calls("create")
    frame = create.body["keyframes"]["frame0"]
    assert frame["type"] == "image" and frame["url"].startswith("https://127.0.0.1:")
    assert frame["url"] == done["s01.flux"].urls[0]  # the signed URL BFL gave, passed on within its lifetime
    assert luma.calls("create")[0].headers["authorization"] == "<redacted>"


# ---------------------------------------------------------------- MiniMax

def hailuo_film(tmp_path: Path) -> Path:
    return film(tmp_path, "flux", "hailuo", "flux: {provider: bfl}")


def test_minimax_resolves_the_file_id_and_takes_a_data_url(tmp_path: Path, fakes: Any) -> None:
    bfl, mm = fakes(FakeBFL(steps=1), FakeMiniMax(steps=1, key=SENTINEL))
    root = hailuo_film(tmp_path)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, mm)
    (create,) = mm.calls("create")
    assert create.body["first_frame_image"] == data_url(root / done["s01.flux"].path)
    (retrieve,) = mm.calls("retrieve")  # file_id -> /v1/files/retrieve -> download_url
    assert retrieve.query["file_id"] == mm.task().extra["file_id"]
    assert done["s01.hailuo"].path == "takes/s01/hailuo/1.mp4"
    no_secret_anywhere(root, res, SENTINEL)


def test_minimax_moderated_output_fails_at_once_despite_its_error_code(tmp_path: Path, fakes: Any) -> None:
    _, mm = fakes(FakeBFL(steps=1), FakeMiniMax(steps=1))
    mm.fault("poll", outcome="moderated", reason="output new_sensitive")  # status Fail with base_resp 1027
    root = hailuo_film(tmp_path)
    res = run(root)
    assert res.exit_code == 1
    assert "s01.hailuo: failed: Fail: output new_sensitive" in res.stderr
    a = next(a for a in attempts(root).values() if a.job == "s01.hailuo")
    assert a.state == "failed" and a.stage == "poll"
    assert len(mm.calls("poll")) == 1  # not polled again and again as if the poll itself had failed


def test_minimax_key_refused_inside_a_200_stops_the_provider(tmp_path: Path, fakes: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _, mm = fakes(FakeBFL(steps=1), FakeMiniMax(steps=1))
    monkeypatch.setenv("MINIMAX_API_KEY", SENTINEL)  # not the fake's key: base_resp 2049 in an HTTP 200
    root = film(tmp_path, "flux", "hailuo", "flux: {provider: bfl}", shots=2, seconds=20)
    res = run(root, "--concurrency", "1")
    assert res.exit_code == 1 and len(mm.calls("create")) == 1
    assert "provider error 2049" in res.stderr
    no_secret_anywhere(root, res, SENTINEL)


# ---------------------------------------------------------------- ComfyUI

def test_comfyui_one_server(tmp_path: Path, fakes: Any) -> None:
    (comfy,) = fakes(FakeComfyUI(steps=1))
    root = film(tmp_path, "comfyui", None)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, comfy)
    (create,) = comfy.calls("create")
    assert create.body["prompt_id"] == done["s01.comfyui"].attempt == done["s01.comfyui"].task_id
    assert [c.path for c in comfy.calls("download")] == ["/view"]


def test_comfyui_execution_error_is_the_reason(tmp_path: Path, fakes: Any) -> None:
    (comfy,) = fakes(FakeComfyUI(steps=1))
    comfy.fault("poll", outcome="failed", reason="Allocation on device failed")
    res = run(film(tmp_path, "comfyui", None))
    assert res.exit_code == 1
    assert "s01.comfyui: failed: error: SaveImage: Allocation on device failed" in res.stderr


def test_comfyui_pool_sends_to_the_shortest_queue(tmp_path: Path, fakes: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    busy, idle = fakes(FakeComfyUI(steps=1), FakeComfyUI(steps=1))
    monkeypatch.setenv("COMFYUI_URL", f"{busy.base_url}, {idle.base_url}")
    graph = {"prompt": {"1": {"class_type": "SaveImage", "inputs": {"filename_prefix": "other"}}}}
    for _ in range(2):  # someone else's prompts wait on the first server
        assert httpx.post(busy.url("/prompt"), json=graph, timeout=10).status_code == 200
    root = film(tmp_path, "comfyui", None)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert busy.create_count == 2 and idle.create_count == 1
    assert busy.calls("queue") and idle.calls("queue")
    served_whole(root, idle)


def test_comfyui_pool_sends_a_dead_servers_prompt_elsewhere(tmp_path: Path, fakes: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = fakes(FakeComfyUI(steps=1), FakeComfyUI(steps=1))
    monkeypatch.setenv("COMFYUI_URL", f"{first.base_url} {second.base_url}")
    first.fault("poll", die="refuse")  # the first server goes away (its process and its queue) once it has the prompt
    root = film(tmp_path, "comfyui", None)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert first.create_count == 1 and second.create_count == 1
    done = served_whole(root, second)
    a = done["s01.comfyui"]
    subs = [e for e in events(root) if e["ev"] == "submitted"]
    assert [e["extra"]["server"] for e in subs] == [first.base_url, second.base_url]
    assert {e["task_id"] for e in subs} == {a.attempt}  # the same prompt id, now on the second server
    assert second.calls("create")[0].body == first.calls("create")[0].body


def test_comfyui_a_prompt_its_server_forgot_is_sent_again(tmp_path: Path, fakes: Any) -> None:
    (comfy,) = fakes(FakeComfyUI(steps=1))

    restarted: list[bool] = []

    def restart(req: Any) -> bool:  # the server restarts before the first poll: its queue and history are gone
        with comfy.lock:
            if not restarted:
                restarted.append(True)
                comfy.tasks.clear()
        return False

    comfy.fault("poll", match=restart, times=None)
    root = film(tmp_path, "comfyui", None)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert comfy.create_count == 2  # the first prompt is gone with the old process; the same body again
    first, second = comfy.calls("create")
    assert first.body == second.body
    done = served_whole(root, comfy)
    assert done["s01.comfyui"].task_id == first.body["prompt_id"]
    assert any("no longer knows the prompt" in str(e.get("status")) for e in events(root) if e["ev"] == "status")


def test_comfyui_a_prompt_lost_again_and_again_fails(tmp_path: Path, fakes: Any) -> None:
    (comfy,) = fakes(FakeComfyUI(steps=1))

    def crash(req: Any) -> bool:  # every prompt brings the server down before it ends (out of memory, say)
        with comfy.lock:
            comfy.tasks.clear()
        return False

    comfy.fault("poll", match=crash, times=None)
    root = film(tmp_path, "comfyui", None)
    res = run(root)
    assert res.exit_code == 1
    assert comfy.create_count == 3  # sent twice again, then given up
    assert "s01.comfyui: failed:" in res.stderr and "lost 3 times" in res.stderr


def test_comfyui_a_server_that_does_not_answer_is_waited_for_not_resent(
        tmp_path: Path, fakes: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = fakes(FakeComfyUI(steps=5), FakeComfyUI(steps=1))
    env = {"COMFYUI_URL": f"{first.base_url},{second.base_url}", "FILMC_HTTP_TIMEOUT": "1"}
    spec = builtin_targets()["comfyui"].providers["comfyui"].spec
    provider = make_provider("comfyui", spec, env)
    job = {"url": "http://127.0.0.1:8188/prompt", "body": {"prompt": {"1": {"class_type": "SaveImage", "inputs": {}}}}}

    async def main() -> None:
        async with httpx.AsyncClient() as client:
            sub = await provider.submit(client, job, job["body"], "a" * 32)
            assert sub.extra["server"] == first.base_url and provider.max_concurrency == 2
            first.die("hang")  # accepts connections, never answers: it may still be working
            with pytest.raises(ProviderError) as e:
                await provider.poll(client, job, sub)
            assert e.value.transient and not e.value.fatal

    asyncio.run(asyncio.wait_for(main(), 60))
    assert first.create_count == 1 and second.create_count == 0


def test_comfyui_pool_names_a_bad_url_before_sending(tmp_path: Path, fakes: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (comfy,) = fakes(FakeComfyUI(steps=1))
    monkeypatch.setenv("COMFYUI_URL", f"{comfy.base_url},localhost:8188")
    res = run(film(tmp_path, "comfyui", None))
    assert res.exit_code == 1 and "COMFYUI_URL" in res.stderr and "'localhost:8188'" in res.stderr
    assert comfy.requests == []


# ---------------------------------------------------------------- fal

def test_fal_queue_image_and_video(tmp_path: Path, fakes: Any) -> None:
    (fal,) = fakes(FakeFal(steps=1, key=SENTINEL))
    root = film(tmp_path, "flux", "kling", "flux: {provider: fal}, kling: {provider: fal}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, fal)
    creates = {c.path: c for c in fal.calls("create")}
    assert set(creates) == {"/fal-ai/flux/dev", "/fal-ai/kling-video/v1.6/standard/image-to-video"}
    video = creates["/fal-ai/kling-video/v1.6/standard/image-to-video"]
    assert video.body["image_url"] == data_url(root / done["s01.flux"].path)  # the fake's URLs are not https
    assert video.body["duration"] == "10"
    # polled on the status URL the create answered with (the app without its subpath), then the output read
    assert {c.path for c in fal.calls("poll")} == {f"/fal-ai/flux/requests/{done['s01.flux'].task_id}/status",
                                                  f"/fal-ai/kling-video/requests/{done['s01.kling'].task_id}/status"}
    assert len(fal.calls("result")) == 2
    no_secret_anywhere(root, res, SENTINEL)


def test_fal_completed_with_an_error_failed(tmp_path: Path, fakes: Any) -> None:
    (fal,) = fakes(FakeFal(steps=1))
    fal.fault("poll", outcome="moderated", reason="flagged by a content checker")
    root = film(tmp_path, "flux", None, "flux: {provider: fal}")
    res = run(root)
    assert res.exit_code == 1
    assert "s01.flux: failed: content_policy_violation: flagged by a content checker" in res.stderr
    assert fal.calls("result") == []


# ---------------------------------------------------------------- Replicate

def replicate_result(task: Any) -> bytes:
    """Kling models' names do not say "video": the bytes follow the model."""
    body = task.body or {}
    data = media.mp4(media.seconds_from(body)) if "kling" in task.extra["model"] else media.png()
    return media.tag(data, task.id)


def test_replicate_predictions_image_and_video(tmp_path: Path, fakes: Any) -> None:
    (rep,) = fakes(FakeReplicate(steps=1, key=SENTINEL, result=replicate_result))
    root = film(tmp_path, "flux", "kling", "flux: {provider: replicate}, kling: {provider: replicate}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, rep)
    creates = {c.path: c for c in rep.calls("create")}
    video = creates["/v1/models/kwaivgi/kling-v1.6-standard/predictions"]
    assert video.body["input"]["start_image"] == data_url(root / done["s01.flux"].path)
    assert video.body["input"]["duration"] == 10
    assert "/v1/models/black-forest-labs/flux-dev/predictions" in creates
    assert rep.calls("list") == []
    no_secret_anywhere(root, res, SENTINEL)


def test_replicate_create_whose_answer_was_lost_is_found_in_the_list(tmp_path: Path, fakes: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILMC_HTTP_TIMEOUT", "1")
    (rep,) = fakes(FakeReplicate(steps=1))
    other = {"input": {"prompt": "someone else's picture"}}
    with httpx.Client() as c:  # another prediction of the same account, made meanwhile
        c.post(rep.url("/v1/models/black-forest-labs/flux-dev/predictions"), json=other,
               headers={"Authorization": f"Bearer {rep.key}"}, timeout=10)
    rep.fault("create", timeout=True, delay=3.0)
    root = film(tmp_path, "flux", None, "flux: {provider: replicate}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert rep.create_count == 2  # the other prediction and ours, found rather than sent again
    (listing,) = rep.calls("list")
    assert "created_after" in listing.query
    done = served_whole(root, rep)
    assert done["s01.flux"].extra == {"found_by": "created_after"}


def test_replicate_an_ambiguous_lost_create_stays_unknown(tmp_path: Path, fakes: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILMC_HTTP_TIMEOUT", "1")
    (rep,) = fakes(FakeReplicate(steps=1))
    root = film(tmp_path, "flux", None, "flux: {provider: replicate}")
    rep.fault("create", timeout=True, delay=3.0, times=None)  # two identical creates, both answers lost
    res = run(root, "--takes", "2")
    assert res.exit_code == 1 and "unknown" in res.stderr
    assert rep.create_count == 2
    states = sorted(a.state for a in attempts(root).values())
    assert states == ["unknown", "unknown"]


# ---------------------------------------------------------------- secrets, every provider

CASES: dict[str, tuple[str, str | None, str, list[type[FakeServer]]]] = {
    "bfl": ("flux", None, "flux: {provider: bfl}", [FakeBFL]),
    "kling": ("flux", "kling", "flux: {provider: bfl}, kling: {provider: kling}", [FakeBFL, FakeKling]),
    "luma": ("flux", "luma", "flux: {provider: bfl}", [HttpsBFL, FakeLuma]),
    "minimax": ("flux", "hailuo", "flux: {provider: bfl}", [FakeBFL, FakeMiniMax]),
    "comfyui": ("comfyui", None, "", [FakeComfyUI]),
    "fal": ("flux", "kling", "flux: {provider: fal}, kling: {provider: fal}", [FakeFal]),
    "replicate": ("flux", "kling", "flux: {provider: replicate}, kling: {provider: replicate}", [FakeReplicate]),
    "gemini": ("flux", "veo", "flux: {provider: bfl}", [FakeBFL, FakeVeo]),
    "gemini-image": ("gemini-image", None, "", [FakeGeminiImage]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_key_reaches_a_file_or_the_output(tmp_path: Path, fakes: Any, name: str, request: pytest.FixtureRequest,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    image, video, options, classes = CASES[name]
    servers: list[FakeServer] = []
    for cls in classes:
        if cls is FakeKling:
            servers.append(FakeKling(steps=1, access_key=SENTINEL, secret_key=SECRET))
        elif cls is HttpsBFL:  # Luma takes only a URL: the image comes from an https provider
            ctx, cert = request.getfixturevalue("tls")
            monkeypatch.setenv("SSL_CERT_FILE", str(cert))
            servers.append(HttpsBFL(ctx, steps=1, key=SENTINEL))
        elif cls is FakeReplicate:
            servers.append(FakeReplicate(steps=1, key=SENTINEL, result=replicate_result))
        else:
            servers.append(cls(steps=1, key=SENTINEL))
    started = fakes(*servers)
    main = started[-1]
    # the provider's error answer quotes the key back: it still never reaches the ledger, a take or the output
    if main.provider != "comfyui":
        quoted = f"{SENTINEL} / {SECRET}" if main.provider == "kling" else SENTINEL
        main.fault("create", error="rate_limit", retry_after=0.05, reason=f"too fast for key {quoted}")
    root = film(tmp_path, image, video, options, seconds=8)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert main.create_count >= 1 and takes(root)
    no_secret_anywhere(root, res, SENTINEL, SECRET)


def test_a_refused_key_quoted_back_is_never_shown(tmp_path: Path, fakes: Any) -> None:
    (fal,) = fakes(FakeFal(steps=1, key=SENTINEL))
    fal.fault("create", error="auth", times=None, reason=f"invalid key {SENTINEL}")
    root = film(tmp_path, "flux", None, "flux: {provider: fal}", shots=3, seconds=12)
    res = run(root, "--concurrency", "1")
    assert res.exit_code == 1 and "stopped" in res.stderr
    no_secret_anywhere(root, res, SENTINEL)



def test_minimax_system_error_inside_a_200_is_an_unknown_create(tmp_path: Path, fakes: Any) -> None:
    """A 200 answer with an error code MiniMax does not document as 'nothing made' may follow a task: not resent."""
    _, mm = fakes(FakeBFL(steps=1), FakeMiniMax(steps=1))
    mm.fault("create", body={"task_id": "", "base_resp": {"status_code": 1033, "status_msg": "system error"}},
             record=True)
    root = hailuo_film(tmp_path)
    res = run(root)
    assert res.exit_code == 1 and "s01.hailuo: unknown" in res.stderr
    again = run(root)
    assert again.exit_code == 1 and mm.create_count == 1  # the task the error hid is not paid for twice
