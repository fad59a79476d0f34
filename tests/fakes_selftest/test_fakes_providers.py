"""Each fake speaks its provider's wire format: full runs, auth, error shapes and the provider's own quirks,
driven with the real httpx client over 127.0.0.1."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fakes import (
    FakeBFL,
    FakeComfyUI,
    FakeFal,
    FakeFreepik,
    FakeKling,
    FakeLuma,
    FakeMiniMax,
    FakeReplicate,
    FakeRunway,
    jwt_hs256,
)
from tests.fakes.base import FakeServer
from tests.fakes_selftest import WEB, new_client

B64 = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode()
RUNWAY_V = {"X-Runway-Version": "2024-11-06"}
GRAPH = {"3": {"class_type": "KSampler", "inputs": {"seed": 1, "model": ["4", 0]}},
         "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
         "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "filmc/s01", "images": ["3", 0]}}}


# ---------------------------------------------------------------- one driver per provider

@dataclass
class Driver:
    """How a client talks to one fake: headers, a create, a poll, and where the result URL is."""

    make: Callable[[], FakeServer]
    headers: Callable[[FakeServer], dict[str, str]]
    create: Callable[[httpx.Client, FakeServer], httpx.Response]
    task_id: Callable[[dict], str]
    poll: Callable[[httpx.Client, FakeServer, str, dict], httpx.Response]
    state: Callable[[dict], str]  # the provider's status word
    urls: Callable[[httpx.Client, FakeServer, dict], list[str]]
    words: tuple[str, ...]  # status words of the create answer, poll 1, poll 2, poll 3 (steps=2)
    failed: tuple[str, str]  # the status words of a failed and of a moderated task


def _kling_headers(f: FakeServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {f.token()}"}


def _minimax_urls(c: httpx.Client, f: FakeServer, j: dict) -> list[str]:
    r = c.get(f.url("/v1/files/retrieve"), params={"file_id": j["file_id"]})
    return [r.json()["file"]["download_url"]]


def _comfy_urls(c: httpx.Client, f: FakeServer, j: dict) -> list[str]:
    [entry] = j.values()
    return [f.url("/view?" + str(httpx.QueryParams(img))) for out in entry["outputs"].values()
            for img in out["images"]]


DRIVERS: dict[str, Driver] = {
    "freepik": Driver(
        FakeFreepik, lambda f: {"x-freepik-api-key": "test-key"},
        lambda c, f: c.post(f.url("/v1/ai/mystic"), json={"prompt": "a lighthouse"}),
        lambda j: j["data"]["task_id"], lambda c, f, t, j: c.get(f.url(f"/v1/ai/mystic/{t}")),
        lambda j: j["data"]["status"], lambda c, f, j: j["data"]["generated"],
        ("CREATED", "CREATED", "IN_PROGRESS", "COMPLETED"), ("FAILED", "FAILED")),
    "bfl": Driver(
        FakeBFL, lambda f: {"x-key": "test-key"},
        lambda c, f: c.post(f.url("/v1/flux-pro-1.1"), json={"prompt": "a lighthouse", "width": 1024, "height": 768}),
        lambda j: j["id"], lambda c, f, t, j: c.get(j["polling_url"]) if "polling_url" in j
        else c.get(f.url("/v1/get_result"), params={"id": t}),
        lambda j: j.get("status", "Pending"), lambda c, f, j: [j["result"]["sample"]],
        ("Pending", "Pending", "Pending", "Ready"), ("Error", "Content Moderated")),
    "kling": Driver(
        FakeKling, _kling_headers,
        lambda c, f: c.post(f.url("/v1/videos/image2video"),
                            json={"model_name": "kling-v2-1", "prompt": "waves", "image": B64, "duration": "5"}),
        lambda j: j["data"]["task_id"], lambda c, f, t, j: c.get(f.url(f"/v1/videos/image2video/{t}")),
        lambda j: j["data"]["task_status"], lambda c, f, j: [v["url"] for v in j["data"]["task_result"]["videos"]],
        ("submitted", "submitted", "processing", "succeed"), ("failed", "failed")),
    "runway": Driver(
        FakeRunway, lambda f: {"Authorization": "Bearer test-key", **RUNWAY_V},
        lambda c, f: c.post(f.url("/v1/image_to_video"), json={"model": "gen4_turbo", "ratio": "1280:720",
                                                                "promptImage": f"data:image/png;base64,{B64}",
                                                                "duration": 5}),
        lambda j: j["id"], lambda c, f, t, j: c.get(f.url(f"/v1/tasks/{t}")),
        lambda j: j.get("status", "PENDING"), lambda c, f, j: j["output"],
        ("PENDING", "PENDING", "RUNNING", "SUCCEEDED"), ("FAILED", "FAILED")),
    "luma": Driver(
        FakeLuma, lambda f: {"Authorization": "Bearer test-key"},
        lambda c, f: c.post(f.base_url + "/generations", json={"model": "ray-2", "prompt": "waves",
                                                                "duration": "5s"}),
        lambda j: j["id"], lambda c, f, t, j: c.get(f.base_url + f"/generations/{t}"),
        lambda j: j["state"], lambda c, f, j: [j["assets"]["video"]],
        ("queued", "queued", "dreaming", "completed"), ("failed", "failed")),
    "minimax": Driver(
        FakeMiniMax, lambda f: {"Authorization": "Bearer test-key"},
        lambda c, f: c.post(f.url("/v1/video_generation"), json={"model": "MiniMax-Hailuo-02", "prompt": "waves",
                                                                  "duration": 6}),
        lambda j: j["task_id"], lambda c, f, t, j: c.get(f.url("/v1/query/video_generation"), params={"task_id": t}),
        lambda j: j.get("status", "-"), _minimax_urls,
        ("-", "Preparing", "Processing", "Success"), ("Fail", "Fail")),
    "comfyui": Driver(
        FakeComfyUI, lambda f: {},
        lambda c, f: c.post(f.url("/prompt"), json={"prompt": GRAPH, "client_id": "filmc-test"}),
        lambda j: j["prompt_id"], lambda c, f, t, j: c.get(f.url(f"/history/{t}")),
        lambda j: next(iter(j.values()))["status"]["status_str"] if j and "prompt_id" not in j else "pending",
        _comfy_urls, ("pending", "pending", "pending", "success"), ("error", "error")),
    "fal": Driver(
        FakeFal, lambda f: {"Authorization": "Key test-key"},
        lambda c, f: c.post(f.url("/fal-ai/flux/dev"), json={"prompt": "a lighthouse"}),
        lambda j: j["request_id"], lambda c, f, t, j: c.get(f.url(f"/fal-ai/flux/requests/{t}/status")),
        lambda j: j["status"], lambda c, f, j: [i["url"] for i in c.get(j["response_url"]).json()["images"]],
        ("IN_QUEUE", "IN_QUEUE", "IN_PROGRESS", "COMPLETED"), ("COMPLETED", "COMPLETED")),
    "replicate": Driver(
        FakeReplicate, lambda f: {"Authorization": "Bearer test-key"},
        lambda c, f: c.post(f.url("/v1/models/black-forest-labs/flux-dev/predictions"),
                            json={"input": {"prompt": "a lighthouse"}}),
        lambda j: j["id"], lambda c, f, t, j: c.get(f.url(f"/v1/predictions/{t}")),
        lambda j: j["status"], lambda c, f, j: j["output"],
        ("starting", "starting", "processing", "succeeded"), ("failed", "failed")),
}


@pytest.fixture(params=sorted(DRIVERS))
def case(request):
    d = DRIVERS[request.param]
    with d.make() as fake, new_client(headers=d.headers(fake), timeout=10) as client:
        yield d, fake, client


def run_to_end(d: Driver, fake: FakeServer, client: httpx.Client) -> tuple[str, dict, list[str]]:
    r = d.create(client, fake)
    assert r.is_success, r.text
    created = r.json()
    tid = d.task_id(created)
    words = [d.state(created)]
    j = created
    for _ in range(fake.steps + 1):
        r = d.poll(client, fake, tid, created)
        assert r.is_success, r.text
        j = r.json()
        words.append(d.state(j))
    return tid, j, words


# ---------------------------------------------------------------- every provider

def test_full_run(case, tmp_path):
    d, fake, client = case
    tid, last, words = run_to_end(d, fake, client)
    assert tuple(words) == d.words
    assert fake.task(tid).state == "done" and fake.create_count == 1
    [url] = d.urls(client, fake, last)
    r = WEB.get(url)
    assert r.status_code == 200 and r.content == fake.result_bytes(fake.task(tid))
    assert r.headers["content-type"] == ("video/mp4" if fake.task(tid).kind == "video" else "image/png")


def test_failed_and_moderated_tasks(case):
    d, fake, client = case
    for outcome, word in zip(("failed", "moderated"), d.failed):
        fake.outcome = outcome
        tid, last, words = run_to_end(d, fake, client)
        assert fake.task(tid).state == "failed"
        assert words[-1] == word, (outcome, words)


def test_wrong_key_is_refused(case):
    d, fake, client = case
    if fake.provider == "comfyui":
        pytest.skip("ComfyUI has no authentication")
    client.headers.clear()
    client.headers.update({"Authorization": "Bearer wrong", "x-key": "wrong", "x-freepik-api-key": "wrong",
                           **({"X-Runway-Version": "2024-11-06"} if fake.provider == "runway" else {})})
    r = d.create(client, fake)
    if fake.provider == "minimax":  # MiniMax answers errors with HTTP 200 and base_resp
        assert r.status_code == 200 and r.json()["base_resp"]["status_code"] == 2049
    else:
        assert r.status_code == 401
    assert fake.create_count == 0


def test_fresh_result_urls_on_every_poll(case):
    d, fake, client = case
    fake.steps = 0
    tid, last, _ = run_to_end(d, fake, client)
    again = d.poll(client, fake, tid, {}).json()
    first, second = d.urls(client, fake, last), d.urls(client, fake, again)
    assert all(WEB.get(u).status_code == 200 for u in first + second)
    if fake.provider != "comfyui":  # ComfyUI's /view URL is made from the file name
        assert first != second


ERRORS = {  # provider -> named error -> (HTTP status, a check on the JSON body)
    "freepik": {"credits": (402, lambda b: b["message"]), "rate_limit": (429, lambda b: b["message"]),
                "invalid": (400, lambda b: "invalid_params" in b), "server": (500, lambda b: b["message"]),
                "unavailable": (503, lambda b: b["message"])},
    "bfl": {"credits": (402, lambda b: b["detail"]),
            "rate_limit": (429, lambda b: b["error"] == "rate_limit_exceeded" and b["retry_after"] == 5),
            "invalid": (422, lambda b: b["detail"][0]["loc"]), "server": (500, lambda b: b["detail"])},
    "kling": {"credits": (429, lambda b: b["code"] == 1102), "rate_limit": (429, lambda b: b["code"] == 1302),
              "invalid": (400, lambda b: b["code"] == 1201), "moderated": (400, lambda b: b["code"] == 1301),
              "server": (500, lambda b: b["code"] == 5000), "unavailable": (503, lambda b: b["code"] == 5001),
              "auth": (401, lambda b: b["code"] == 1000)},
    "runway": {"credits": (400, lambda b: "credits" in b["error"]), "rate_limit": (429, lambda b: b["error"]),
               "invalid": (400, lambda b: b["error"]), "unavailable": (503, lambda b: b["error"])},
    "luma": {"credits": (402, lambda b: b["detail"]), "rate_limit": (429, lambda b: b["detail"]),
             "invalid": (400, lambda b: b["detail"]), "server": (500, lambda b: b["detail"])},
    "minimax": {"credits": (200, lambda b: b["base_resp"]["status_code"] == 1008),
                "rate_limit": (200, lambda b: b["base_resp"]["status_code"] == 1002),
                "invalid": (200, lambda b: b["base_resp"]["status_code"] == 2013),
                "moderated": (200, lambda b: b["base_resp"]["status_code"] == 1026),
                "auth": (200, lambda b: b["base_resp"]["status_code"] == 1004)},
    "comfyui": {"invalid": (400, lambda b: b["error"]["type"] and "node_errors" in b)},
    "fal": {"credits": (403, lambda b: "Exhausted balance" in b["detail"]), "rate_limit": (429, lambda b: b["detail"]),
            "invalid": (422, lambda b: b["detail"][0]["msg"]), "server": (500, lambda b: b["detail"])},
    "replicate": {"credits": (402, lambda b: b["title"] and b["status"] == 402),
                  "rate_limit": (429, lambda b: b["status"] == 429),
                  "invalid": (422, lambda b: b["detail"]), "auth": (401, lambda b: b["title"] == "Unauthenticated")},
}


def test_named_errors_in_each_providers_shape(case):
    d, fake, client = case
    for name, (status, check) in ERRORS[fake.provider].items():
        fake.fault("create", error=name)
        r = d.create(client, fake)
        assert r.status_code == status, (name, r.text)
        assert check(r.json()), (name, r.text)
    assert fake.create_count == 0


def test_status_faults_keep_the_provider_shape(case):
    d, fake, client = case
    fake.fault("create", status=503, retry_after=3)
    r = d.create(client, fake)
    assert r.status_code == 503 and r.headers["retry-after"] == "3"
    if fake.provider != "comfyui":
        r.json()  # a JSON error body, as the provider sends


def test_timeout_after_create_on_every_provider(case):
    d, fake, client = case
    fake.fault("create", timeout=True, delay=5)
    with pytest.raises(httpx.ReadTimeout):
        d.create(new_client(headers=client.headers, timeout=httpx.Timeout(10, read=0.3)), fake)
    assert fake.create_count == 1 and len(fake.tasks) == 1


# ---------------------------------------------------------------- Freepik

def test_freepik_flat_create_shape_and_magnific_header():
    with FakeFreepik(create_shape="flat", header="x-magnific-api-key") as fake:
        r = WEB.post(fake.url("/v1/ai/mystic"), json={"prompt": "x"}, headers={"x-magnific-api-key": "test-key"})
        assert set(r.json()) == {"task_id", "task_status"}
        assert WEB.post(fake.url("/v1/ai/mystic"), json={"prompt": "x"},
                          headers={"x-freepik-api-key": "test-key"}).status_code == 401


@pytest.mark.parametrize(("submit", "poll"), [
    ("/v1/ai/text-to-image/flux-dev", "/v1/ai/text-to-image/flux-dev"),
    ("/v1/ai/text-to-image/flux-pro-v1-1", "/v1/ai/text-to-image/flux-pro-v1-1"),
    ("/v1/ai/image-to-video/kling-pro", "/v1/ai/image-to-video/kling"),
    ("/v1/ai/image-to-video/kling-v2", "/v1/ai/image-to-video/kling-v2"),
    ("/v1/ai/image-to-video/kling-v2-1-std", "/v1/ai/image-to-video/kling-v2-1"),
    ("/v1/ai/image-to-video/kling-v2-1-master", "/v1/ai/image-to-video/kling-v2-1-master"),
    ("/v1/ai/image-to-video/minimax-hailuo-02-768p", "/v1/ai/image-to-video/minimax-hailuo-02-768p"),
])
def test_freepik_poll_paths(submit, poll):
    body = {"prompt": "x"} if "text-to-image" in submit else \
        {"prompt": "x", "duration": 6} if "hailuo" in submit else {"prompt": "x", "duration": "5"}
    with FakeFreepik(steps=0) as fake, new_client(headers={"x-freepik-api-key": "test-key"}) as c:
        tid = c.post(fake.url(submit), json=body).json()["data"]["task_id"]
        assert c.get(fake.url(f"{poll}/{tid}")).json()["data"]["status"] == "COMPLETED"


def test_freepik_lists_a_familys_tasks():
    with FakeFreepik() as fake, new_client(headers={"x-freepik-api-key": "test-key"}) as c:
        a = c.post(fake.url("/v1/ai/mystic"), json={"prompt": "a"}).json()["data"]["task_id"]
        b = c.post(fake.url("/v1/ai/mystic"), json={"prompt": "b"}).json()["data"]["task_id"]
        c.post(fake.url("/v1/ai/image-to-video/kling-std"), json={"duration": "5"})
        listed = c.get(fake.url("/v1/ai/mystic")).json()["data"]
        assert [t["task_id"] for t in listed] == [b, a] and listed[0]["status"] == "CREATED"
        assert len(c.get(fake.url("/v1/ai/image-to-video/kling")).json()["data"]) == 1
        assert fake.calls("list")


def test_freepik_hailuo_1080p_is_6_seconds_only_and_unknown_models_404():
    with FakeFreepik() as fake, new_client(headers={"x-freepik-api-key": "test-key"}) as c:
        r = c.post(fake.url("/v1/ai/image-to-video/minimax-hailuo-02-1080p"), json={"prompt": "x", "duration": 10})
        assert r.status_code == 400 and r.json()["invalid_params"][0]["name"] == "duration"
        assert c.post(fake.url("/v1/ai/image-to-video/kling-v9"), json={"duration": "5"}).status_code == 404


# ---------------------------------------------------------------- BFL

def test_bfl_polling_url_is_the_only_way():
    with FakeBFL(polling_path="/eu/v1/get_result", steps=0) as fake, new_client(headers={"x-key": "test-key"}) as c:
        j = c.post(fake.url("/v1/flux-dev"), json={"prompt": "x"}).json()
        assert j["polling_url"] == fake.url(f"/eu/v1/get_result?id={j['id']}")
        assert c.get(fake.url("/v1/get_result"), params={"id": j["id"]}).status_code == 404
        assert c.get(j["polling_url"]).json()["status"] == "Ready"
        assert WEB.get(j["polling_url"]).status_code == 401  # the poll needs x-key too


def test_bfl_unknown_task_and_moderation():
    with FakeBFL(steps=0) as fake, new_client(headers={"x-key": "test-key"}) as c:
        assert c.get(fake.url("/v1/get_result"), params={"id": "nope"}).json()["status"] == "Task not found"
        fake.outcome = "moderated"
        j = c.post(fake.url("/v1/flux-pro-1.1"), json={"prompt": "x"}).json()
        got = c.get(j["polling_url"]).json()
        assert got["status"] == "Content Moderated" and got["details"]["Moderation Reasons"]
        fake.moderation = "Request Moderated"
        j = c.post(fake.url("/v1/flux-pro-1.1"), json={"prompt": "y"}).json()
        assert c.get(j["polling_url"]).json()["status"] == "Request Moderated"


def test_bfl_body_checks():
    with FakeBFL() as fake, new_client(headers={"x-key": "test-key"}) as c:
        r = c.post(fake.url("/v1/flux-pro-1.1"), json={"prompt": "x", "width": 1000})  # not a multiple of 32
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "body"
        assert c.post(fake.url("/v1/flux-nope"), json={"prompt": "x"}).status_code == 404


# ---------------------------------------------------------------- Kling

def test_kling_token_checks():
    with FakeKling() as fake:
        url = fake.url("/v1/videos/image2video")
        body = {"model_name": "kling-v2-1", "prompt": "x", "image": B64}

        def code(auth: str | None) -> tuple[int, int]:
            r = WEB.post(url, json=body, headers={"Authorization": auth} if auth is not None else {})
            return r.status_code, r.json()["code"]

        now = time.time()
        assert code(None) == (401, 1001)
        assert code("Bearer not-a-jwt") == (401, 1002)
        assert code(f"Bearer {jwt_hs256(fake.access_key, 'wrong-secret')}") == (401, 1000)
        assert code(f"Bearer {jwt_hs256('someone-else', fake.secret_key)}") == (401, 1000)
        assert code(f"Bearer {jwt_hs256(fake.access_key, fake.secret_key, now - 4000)}") == (401, 1004)
        assert code(f"Bearer {jwt_hs256(fake.access_key, fake.secret_key, now + 600)}") == (401, 1003)
        assert code(f"Bearer {fake.token()}") == (200, 0)
        assert fake.create_count == 1
        assert fake.env() == {"FILMC_KLING_BASE_URL": fake.base_url, "KLING_ACCESS_KEY": "test-access-key",
                              "KLING_SECRET_KEY": "test-secret-key"}


def test_kling_external_task_id():
    with FakeKling(steps=0) as fake, new_client(headers=_kling_headers(fake)) as c:
        body = {"model_name": "kling-v2-1", "prompt": "x", "image": B64, "external_task_id": "s01.kling#1"}
        j = c.post(fake.url("/v1/videos/image2video"), json=body).json()
        assert j["data"]["task_info"]["external_task_id"] == "s01.kling#1"
        got = c.get(fake.url("/v1/videos/image2video/s01.kling%231")).json()
        assert got["data"]["task_id"] == j["data"]["task_id"] and got["data"]["task_status"] == "succeed"
        again = c.post(fake.url("/v1/videos/image2video"), json=body)
        assert again.status_code == 400 and again.json()["code"] == 1201
        assert fake.create_count == 1
        listed = c.get(fake.url("/v1/videos/image2video"), params={"pageNum": 1, "pageSize": 30}).json()
        assert [t["task_id"] for t in listed["data"]] == [j["data"]["task_id"]]


def test_kling_wants_base64_without_data_prefix_and_other_paths():
    with FakeKling(steps=0) as fake, new_client(headers=_kling_headers(fake)) as c:
        r = c.post(fake.url("/v1/videos/image2video"),
                   json={"model_name": "kling-v2-1", "prompt": "x", "image": f"data:image/png;base64,{B64}"})
        assert r.status_code == 400 and r.json()["code"] == 1201
        tid = c.post(fake.url("/v1/images/generations"), json={"prompt": "x"}).json()["data"]["task_id"]
        got = c.get(fake.url(f"/v1/images/generations/{tid}")).json()["data"]
        assert got["task_result"]["images"][0]["url"].endswith(".png")
        assert c.get(fake.url(f"/v1/videos/image2video/{tid}")).status_code == 404  # another family


def test_kling_failure_message():
    with FakeKling(steps=0) as fake, new_client(headers=_kling_headers(fake)) as c:
        fake.outcome, fake.reason = "moderated", "risk control"
        tid = c.post(fake.url("/v1/videos/text2video"), json={"model_name": "kling-v1-6", "prompt": "x"}).json()["data"]["task_id"]
        got = c.get(fake.url(f"/v1/videos/text2video/{tid}")).json()["data"]
        assert got["task_status"] == "failed" and got["task_status_msg"] == "risk control"


# ---------------------------------------------------------------- Runway

def test_runway_version_header_is_required():
    with FakeRunway() as fake:
        r = WEB.post(fake.url("/v1/image_to_video"), json={}, headers={"Authorization": "Bearer test-key"})
        assert r.status_code == 400 and "X-Runway-Version" in r.json()["error"]
        r = WEB.post(fake.url("/v1/image_to_video"), json={},
                       headers={"Authorization": "Bearer test-key", "X-Runway-Version": "2023-01-01"})
        assert r.status_code == 400


def test_runway_assets_must_be_https_or_data_uris():
    with FakeRunway() as fake, new_client(headers={"Authorization": "Bearer test-key", **RUNWAY_V}) as c:
        body = {"model": "gen4_turbo", "ratio": "1280:720", "duration": 5}
        for image in ("http://example.com/a.png", "https://127.0.0.1/a.png", B64):
            r = c.post(fake.url("/v1/image_to_video"), json={**body, "promptImage": image})
            assert r.status_code == 400 and "promptImage" in r.json()["error"], image
        for image in ("https://example.com/a.png", f"data:image/png;base64,{B64}",
                      [{"uri": "https://example.com/a.png", "position": "first"}]):
            assert c.post(fake.url("/v1/image_to_video"), json={**body, "promptImage": image}).status_code == 200


def test_runway_throttled_failure_codes_and_cancel():
    with FakeRunway(throttled=True) as fake, new_client(headers={"Authorization": "Bearer test-key",
                                                                   **RUNWAY_V}) as c:
        body = {"model": "gen4_turbo", "ratio": "1280:720", "promptText": "waves"}
        tid = c.post(fake.url("/v1/image_to_video"), json=body).json()["id"]
        assert c.get(fake.url(f"/v1/tasks/{tid}")).json()["status"] == "THROTTLED"
        assert c.delete(fake.url(f"/v1/tasks/{tid}")).status_code == 204
        assert fake.task(tid).state == "cancelled"
        fake.throttled, fake.steps = False, 0
        for outcome, code in (("moderated", "SAFETY.INPUT.TEXT"), ("failed", "INTERNAL.BAD_OUTPUT.CODE01")):
            fake.outcome = outcome
            tid = c.post(fake.url("/v1/image_to_video"), json=body).json()["id"]
            got = c.get(fake.url(f"/v1/tasks/{tid}")).json()
            assert got["status"] == "FAILED" and got["failureCode"] == code and got["failure"]
        assert c.delete(fake.url(f"/v1/tasks/{tid}")).status_code == 204  # a finished task is deleted
        assert c.get(fake.url(f"/v1/tasks/{tid}")).status_code == 404


# ---------------------------------------------------------------- Luma

def test_luma_base_url_generations_and_keyframes():
    with FakeLuma(steps=0) as fake, new_client(headers={"Authorization": "Bearer test-key"}) as c:
        assert fake.base_url.endswith("/dream-machine/v1")
        body = {"model": "ray-2", "prompt": "x", "keyframes": {"frame0": {"type": "image", "url": B64}}}
        r = c.post(fake.base_url + "/generations", json=body)
        assert r.status_code == 400 and "keyframes.frame0.url" in r.json()["detail"]
        body["keyframes"]["frame0"]["url"] = "https://example.com/a.png"
        j = c.post(fake.base_url + "/generations/video", json=body).json()
        assert j["state"] == "queued" and j["request"] == body
        img = c.post(fake.base_url + "/generations/image", json={"prompt": "x", "model": "photon-1"}).json()
        assert c.get(fake.base_url + f"/generations/{img['id']}").json()["assets"]["image"].endswith(".png")
        listed = c.get(fake.base_url + "/generations", params={"limit": 1}).json()
        assert listed["count"] == 1 and listed["has_more"] is True
        assert c.delete(fake.base_url + f"/generations/{j['id']}").status_code == 204
        assert c.get(fake.base_url + f"/generations/{j['id']}").status_code == 404
        fake.outcome = "failed"
        k = c.post(fake.base_url + "/generations", json={"model": "ray-2", "prompt": "y"}).json()
        got = c.get(fake.base_url + f"/generations/{k['id']}").json()
        assert got["state"] == "failed" and got["failure_reason"]


# ---------------------------------------------------------------- MiniMax

def test_minimax_images_unknown_ids_and_moderation():
    with FakeMiniMax(steps=0) as fake, new_client(headers={"Authorization": "Bearer test-key"}) as c:
        body = {"model": "MiniMax-Hailuo-02", "prompt": "x", "first_frame_image": B64}
        r = c.post(fake.url("/v1/video_generation"), json=body)
        assert r.status_code == 200 and r.json()["base_resp"]["status_code"] == 2013 and r.json()["task_id"] == ""
        body["first_frame_image"] = f"data:image/png;base64,{B64}"
        tid = c.post(fake.url("/v1/video_generation"), json=body).json()["task_id"]
        assert tid.isdigit()
        got = c.get(fake.url("/v1/query/video_generation"), params={"task_id": "1"}).json()
        assert got["base_resp"]["status_code"] == 2013
        got = c.get(fake.url("/v1/files/retrieve"), params={"file_id": "1"}).json()
        assert got["base_resp"]["status_code"] == 2013
        fake.outcome = "moderated"
        tid = c.post(fake.url("/v1/video_generation"), json={**body, "prompt": "y"}).json()["task_id"]
        got = c.get(fake.url("/v1/query/video_generation"), params={"task_id": tid}).json()
        assert got["status"] == "Fail" and got["base_resp"]["status_code"] == 1027
        fake.fault("retrieve", error="rate_limit")
        assert c.get(fake.url("/v1/files/retrieve"), params={"file_id": "1"}).json()["base_resp"]["status_code"] == 1002


def test_minimax_status_words():
    with FakeMiniMax(steps=4) as fake, new_client(headers={"Authorization": "Bearer test-key"}) as c:
        tid = c.post(fake.url("/v1/video_generation"), json={"model": "MiniMax-Hailuo-02", "prompt": "x"}).json()
        words = [c.get(fake.url("/v1/query/video_generation"), params={"task_id": tid["task_id"]}).json()["status"]
                 for _ in range(5)]
        assert words == ["Preparing", "Queueing", "Queueing", "Processing", "Success"]


def test_minimax_5xx_is_a_real_http_status():
    with FakeMiniMax() as fake, new_client(headers={"Authorization": "Bearer test-key"}) as c:
        fake.fault("create", status=502)
        r = c.post(fake.url("/v1/video_generation"), json={"model": "MiniMax-Hailuo-02", "prompt": "x"})
        assert r.status_code == 502 and r.json()["base_resp"]["status_code"] == 1000


# ---------------------------------------------------------------- ComfyUI

def test_comfyui_refuses_bad_graphs():
    with FakeComfyUI() as fake:
        r = WEB.post(fake.url("/prompt"), json={"client_id": "x"})
        assert r.status_code == 400 and r.json()["error"]["type"] == "no_prompt"
        r = WEB.post(fake.url("/prompt"), json={"prompt": {"1": {"class_type": "KSampler", "inputs": {}}}})
        assert r.status_code == 400 and r.json()["error"]["type"] == "prompt_no_outputs"
        bad = {**GRAPH, "9": {"class_type": "SaveImage", "inputs": {"images": ["7", 0]}}}
        r = WEB.post(fake.url("/prompt"), json={"prompt": bad})
        assert r.status_code == 400 and r.json()["node_errors"]["9"]["errors"][0]["type"] == "bad_linked_input"
        r = WEB.post(fake.url("/prompt"), json={"prompt": {"9": {"class_type": "SaveImage"}}})
        assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_prompt"
        assert fake.create_count == 0


def test_comfyui_queue_history_view_and_api_prefix():
    with FakeComfyUI(steps=1) as fake:
        a = WEB.post(fake.url("/prompt"), json={"prompt": GRAPH}).json()
        b = WEB.post(fake.url("/api/prompt"), json={"prompt": GRAPH}).json()
        assert (a["number"], b["number"]) == (0, 1) and a["node_errors"] == {}
        q = WEB.get(fake.url("/queue")).json()
        assert [i[1] for i in q["queue_running"]] == [a["prompt_id"]]
        assert [i[1] for i in q["queue_pending"]] == [b["prompt_id"]]
        assert WEB.get(fake.url("/prompt")).json() == {"exec_info": {"queue_remaining": 2}}
        assert WEB.get(fake.url(f"/history/{a['prompt_id']}")).json() == {}
        entry = WEB.get(fake.url(f"/api/history/{a['prompt_id']}")).json()[a["prompt_id"]]
        assert entry["status"] == {"status_str": "success", "completed": True, "messages": entry["status"]["messages"]}
        [img] = entry["outputs"]["9"]["images"]
        assert img == {"filename": "s01_00001_.png", "subfolder": "filmc", "type": "output"}
        r = WEB.get(fake.url("/view"), params=img)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert WEB.get(fake.url("/view"), params={**img, "subfolder": ""}).status_code == 404
        assert WEB.get(fake.url("/history/unknown")).json() == {}
        assert WEB.get(fake.url("/system_stats")).json()["devices"]


def test_comfyui_failed_run_and_a_pool_member_dying():
    with FakeComfyUI(steps=0) as one, FakeComfyUI(steps=0) as two:
        one.outcome = "failed"
        a = WEB.post(one.url("/prompt"), json={"prompt": GRAPH}).json()["prompt_id"]
        entry = WEB.get(one.url(f"/history/{a}")).json()[a]
        assert entry["status"]["status_str"] == "error" and entry["outputs"] == {}
        assert entry["status"]["messages"][-1][0] == "execution_error"
        b = WEB.post(two.url("/prompt"), json={"prompt": GRAPH}).json()["prompt_id"]
        two.fault("poll", die="hang")  # mid-run: the next history request never answers
        with pytest.raises(httpx.ReadTimeout):
            WEB.get(two.url(f"/history/{b}"), timeout=httpx.Timeout(10, read=0.3))
        with pytest.raises(httpx.ReadTimeout):
            WEB.get(two.url("/queue"), timeout=httpx.Timeout(10, read=0.3))
        assert WEB.get(one.url("/queue")).status_code == 200  # the other server still answers
        one.die()
        with pytest.raises(httpx.ConnectError):
            new_client(timeout=5).get(one.url("/queue"))


# ---------------------------------------------------------------- fal

def test_fal_subpaths_logs_and_early_results():
    with FakeFal() as fake, new_client(headers={"Authorization": "Key test-key"}) as c:
        j = c.post(fake.url("/fal-ai/kling-video/v2.1/standard/image-to-video"), json={"prompt": "x"}).json()
        rid = j["request_id"]
        base = fake.url(f"/fal-ai/kling-video/requests/{rid}")
        assert (j["response_url"], j["status_url"], j["cancel_url"]) == (base, base + "/status", base + "/cancel")
        assert c.get(base).status_code == 400  # not finished yet
        first = c.get(base + "/status")
        assert first.status_code == 202 and first.json()["queue_position"] == 0
        second = c.get(base + "/status", params={"logs": 1})
        assert second.json() == {"status": "IN_PROGRESS", "request_id": rid, "response_url": base, "logs": []}
        done = c.get(base + "/status")
        assert done.status_code == 200 and done.json()["metrics"]["inference_time"] > 0
        video = c.get(base).json()["video"]
        assert video["content_type"] == "video/mp4" and WEB.get(video["url"]).status_code == 200
        assert c.put(base + "/cancel").json() == {"status": "ALREADY_COMPLETED"}
        assert c.get(fake.url(f"/fal-ai/flux/requests/{rid}/status")).status_code == 404  # another app


def test_fal_namespaced_apps_failures_and_cancel():
    with FakeFal(steps=0) as fake, new_client(headers={"Authorization": "Key test-key"}) as c:
        j = c.post(fake.url("/workflows/someone/my-flow"), json={"prompt": "x"}).json()
        assert j["status_url"] == fake.url(f"/workflows/someone/my-flow/requests/{j['request_id']}/status")
        fake.outcome = "moderated"
        j = c.post(fake.url("/fal-ai/flux/dev"), json={"prompt": "x"}).json()
        st = c.get(j["status_url"]).json()
        assert st["status"] == "COMPLETED" and st["error_type"] == "content_policy_violation"
        r = c.get(j["response_url"])
        assert r.status_code == 422 and r.headers["x-fal-error-type"] == "content_policy_violation"
        fake.outcome, fake.steps = "done", 3
        j = c.post(fake.url("/fal-ai/flux/dev"), json={"prompt": "y"}).json()
        r = c.put(j["cancel_url"])
        assert r.status_code == 202 and r.json() == {"status": "CANCELLATION_REQUESTED"}
        assert fake.task(j["request_id"]).state == "cancelled"
        assert c.post(fake.url("/fal-ai/flux/dev"), json=["not", "an", "object"]).status_code == 422


# ---------------------------------------------------------------- Replicate

def test_replicate_prefer_wait():
    with FakeReplicate() as fake, new_client(headers={"Authorization": "Bearer test-key"}) as c:
        url = fake.url("/v1/models/black-forest-labs/flux-dev/predictions")
        r = c.post(url, json={"input": {"prompt": "x"}}, headers={"Prefer": "wait"})
        assert r.status_code == 201 and r.json()["status"] == "succeeded"
        assert isinstance(r.json()["output"], list) and r.json()["completed_at"]
        fake.sync_wait = False
        r = c.post(url, json={"input": {"prompt": "y"}}, headers={"Prefer": "wait=5"})
        assert r.json()["status"] == "starting" and r.json()["output"] is None


def test_replicate_versions_outputs_and_cancel():
    with FakeReplicate(steps=0) as fake, new_client(headers={"Authorization": "Token test-key"}) as c:
        version = "a" * 64
        for ref, model in ((f"minimax/video-01:{version}", "minimax/video-01"), (version, "unknown/model"),
                           ("black-forest-labs/flux-schnell", "black-forest-labs/flux-schnell")):
            j = c.post(fake.url("/v1/predictions"), json={"version": ref, "input": {"prompt": "x"}}).json()
            assert j["model"] == model and j["urls"]["get"] == fake.url(f"/v1/predictions/{j['id']}")
        video = next(t for t in fake.tasks.values() if t.kind == "video")
        assert isinstance(c.get(fake.url(f"/v1/predictions/{video.id}")).json()["output"], str)
        assert c.post(fake.url("/v1/predictions"), json={"input": {}}).status_code == 422
        assert c.post(fake.url("/v1/predictions"), json={"version": version}).status_code == 422
        fake.steps = 3
        j = c.post(fake.url("/v1/deployments/me/my-dep/predictions"), json={"input": {"prompt": "z"}}).json()
        assert c.post(j["urls"]["cancel"]).json()["status"] == "canceled"
        r = c.get(fake.url("/v1/predictions/zzzz"))
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_replicate_list_for_reconciliation():
    with FakeReplicate(page_size=2) as fake, new_client(headers={"Authorization": "Bearer test-key"}) as c:
        url = fake.url("/v1/models/black-forest-labs/flux-dev/predictions")
        ids = [c.post(url, json={"input": {"prompt": str(i)}}).json()["id"] for i in range(3)]
        cut = fake.task(ids[1]).created
        after = dt.datetime.fromtimestamp(cut, dt.UTC).isoformat().replace("+00:00", "Z")
        page = c.get(fake.url("/v1/predictions"), params={"created_after": after}).json()
        assert [p["id"] for p in page["results"]] == [ids[2], ids[1]] and page["next"] is None
        full = c.get(fake.url("/v1/predictions")).json()
        assert [p["id"] for p in full["results"]] == [ids[2], ids[1]] and full["previous"] is None
        rest = c.get(full["next"]).json()
        assert [p["id"] for p in rest["results"]] == [ids[0]] and rest["previous"]
        before = c.get(fake.url("/v1/predictions"), params={"created_before": after}).json()
        assert [p["id"] for p in before["results"]] == [ids[0]]
        assert c.get(fake.url("/v1/predictions"), params={"created_after": "yesterday"}).status_code == 400
        assert all(p["input"] == {"prompt": str(i)} for i, p in zip((2, 1), page["results"]))


def test_request_kinds_are_listed_per_fake():
    kinds: dict[str, Any] = {name: d.make().kinds for name, d in DRIVERS.items()}
    assert kinds["minimax"] == ("create", "poll", "retrieve", "download")
    assert "result" in kinds["fal"] and "list" in kinds["replicate"] and "queue" in kinds["comfyui"]
    assert json.dumps(kinds)
