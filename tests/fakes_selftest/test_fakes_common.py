"""The machinery every fake shares, driven through the Freepik fake with the real httpx client over 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import threading

import httpx
import imageio_ffmpeg
import pytest

from tests.fakes import FakeFreepik, body_hash
from tests.fakes.base import FakeServer
from tests.fakes_selftest import TLS, WEB, new_client

KEY = {"x-freepik-api-key": "test-key"}
MYSTIC = {"prompt": "a striped lighthouse at dusk", "aspect_ratio": "widescreen_16_9", "resolution": "2k"}
KLING = {"duration": "5", "prompt": "waves roll in", "image": "iVBORw0KGgoAAAANSUhEUgAAAAUAAAAFCAYAAACNbyblAAAAHElEQVQI"}


@pytest.fixture
def fake():
    with FakeFreepik(steps=2) as f:
        yield f


@pytest.fixture
def client():
    with new_client(headers=KEY, timeout=10) as c:
        yield c


def submit(client: httpx.Client, fake: FakeServer, body=MYSTIC, path="/v1/ai/mystic") -> str:
    r = client.post(fake.url(path), json=body)
    assert r.status_code == 200, r.text
    return r.json()["data"]["task_id"]


def poll(client: httpx.Client, fake: FakeServer, tid: str, family="/v1/ai/mystic") -> dict:
    r = client.get(fake.url(f"{family}/{tid}"))
    assert r.status_code == 200, r.text
    return r.json()["data"]


def poll_done(client, fake, tid, family="/v1/ai/mystic", limit=10) -> dict:
    for _ in range(limit):
        data = poll(client, fake, tid, family)
        if data["status"] in ("COMPLETED", "FAILED"):
            return data
    raise AssertionError("never finished")


def probe(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    proc = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-500:]
    return proc.stderr


# ---------------------------------------------------------------- the happy path

def test_submit_poll_download(fake, client, tmp_path):
    tid = submit(client, fake)
    states = [poll(client, fake, tid)["status"] for _ in range(3)]
    assert states == ["CREATED", "IN_PROGRESS", "COMPLETED"]
    [url] = poll(client, fake, tid)["generated"]
    assert url.startswith(fake.origin + "/files/")
    r = WEB.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content == fake.result_bytes(fake.task(tid))
    assert "640x360" in probe(r.content, tmp_path, "take.png")
    assert [c.kind for c in fake.requests] == ["create", "poll", "poll", "poll", "poll", "download"]


def test_steps_zero_finishes_on_the_first_poll(fake, client):
    fake.steps = 0
    tid = submit(client, fake)
    assert poll(client, fake, tid)["status"] == "COMPLETED"


def test_video_results_last_as_long_as_asked(fake, client, tmp_path):
    tid = submit(client, fake, KLING, "/v1/ai/image-to-video/kling-std")
    [url] = poll_done(client, fake, tid, "/v1/ai/image-to-video/kling")["generated"]
    r = WEB.get(url)
    assert r.headers["content-type"] == "video/mp4" and url.endswith(".mp4")
    assert "Duration: 00:00:05.00" in probe(r.content, tmp_path, "take.mp4")


def test_each_task_gets_its_own_valid_bytes(fake, client, tmp_path):
    a, b = submit(client, fake), submit(client, fake)
    ua, ub = (poll_done(client, fake, t)["generated"][0] for t in (a, b))
    da, db = WEB.get(ua).content, WEB.get(ub).content
    assert hashlib.sha256(da).digest() != hashlib.sha256(db).digest()
    probe(db, tmp_path, "b.png")


def test_result_bytes_from_the_test(client):
    with FakeFreepik(steps=0, result=lambda task: b"\xff\xd8\xff-jpeg-of-" + task.id.encode()) as fake:
        tid = submit(client, fake)
        r = WEB.get(poll(client, fake, tid)["generated"][0])
        assert r.content == b"\xff\xd8\xff-jpeg-of-" + tid.encode() and r.headers["content-type"] == "image/jpeg"


def test_fixed_result_bytes_are_served_as_given(client):
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 fake"
    with FakeFreepik(steps=0, result=webp) as fake:
        url = poll(client, fake, submit(client, fake))["generated"][0]
        r = WEB.get(url)
        assert r.content == webp and r.headers["content-type"] == "image/webp" and url.endswith(".webp")


def test_the_async_client_runs_many_jobs_at_once(fake):
    async def one(c: httpx.AsyncClient, i: int) -> bytes:
        r = await c.post(fake.url("/v1/ai/mystic"), json={"prompt": f"shot {i}"})
        tid = r.json()["data"]["task_id"]
        for _ in range(10):
            data = (await c.get(fake.url(f"/v1/ai/mystic/{tid}"))).json()["data"]
            if data["status"] == "COMPLETED":
                return (await c.get(data["generated"][0])).content
        raise AssertionError("never finished")

    async def main() -> list[bytes]:
        async with httpx.AsyncClient(headers=KEY, timeout=10, verify=TLS) as c:
            return await asyncio.gather(*(one(c, i) for i in range(12)))

    takes = asyncio.run(main())
    assert len(set(takes)) == 12 and fake.create_count == 12
    assert len(fake.calls("poll")) == 12 * 3


def test_the_poll_path_must_match_the_create(fake, client):
    tid = submit(client, fake, KLING, "/v1/ai/image-to-video/kling-std")
    r = client.get(fake.url(f"/v1/ai/image-to-video/kling-std/{tid}"))  # kling-std is polled at .../kling/{id}
    assert r.status_code == 404 and r.json() == {"message": "Not found"}


# ---------------------------------------------------------------- counters and the log

def test_creates_are_counted_per_body(fake, client):
    submit(client, fake)
    submit(client, fake)
    submit(client, fake, {**MYSTIC, "prompt": "another"})
    assert fake.create_count == 3
    assert fake.creates_for(MYSTIC) == 2 and fake.creates[body_hash(MYSTIC)] == 2
    assert len(fake.calls("create")) == 3


def test_refused_creates_are_requests_not_tasks(fake, client):
    fake.fault("create", status=429)
    assert client.post(fake.url("/v1/ai/mystic"), json=MYSTIC).status_code == 429
    assert fake.create_count == 0 and len(fake.calls("create")) == 1
    assert fake.calls("create")[0].status == 429


def test_the_log_keeps_bodies_and_hides_keys(fake, client):
    submit(client, fake)
    [rec] = fake.calls("create")
    assert rec.body == MYSTIC and rec.method == "POST" and rec.path == "/v1/ai/mystic"
    assert rec.headers["x-freepik-api-key"] == "<redacted>"
    assert "test-key" not in repr(fake.requests)


def test_downloads_log_whether_a_key_was_sent(fake, client):
    url = poll_done(client, fake, submit(client, fake))["generated"][0]
    client.get(url)  # the client that carries the key
    WEB.get(url)
    leaked, clean = fake.calls("download")
    assert "x-freepik-api-key" in leaked.headers and "x-freepik-api-key" not in clean.headers


def test_concurrent_creates_are_all_counted(fake):
    def worker(i: int) -> None:
        with new_client(headers=KEY, timeout=10) as c:
            for j in range(5):
                assert c.post(fake.url("/v1/ai/mystic"), json={"prompt": f"{i}-{j}"}).status_code == 200

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert fake.create_count == 40 and len(fake.tasks) == 40 and len(fake.creates) == 40


def test_in_flight_limit_and_peak(fake, client):
    fake.max_in_flight = 2
    a, b = submit(client, fake), submit(client, fake)
    r = client.post(fake.url("/v1/ai/mystic"), json=MYSTIC)
    assert r.status_code == 429 and r.json() == {"message": "Rate limit exceeded"}
    poll_done(client, fake, a)
    submit(client, fake)
    assert fake.peak_in_flight == 2 and fake.in_flight == 2 and fake.create_count == 3
    assert b in fake.tasks


def test_env_points_filmc_here(fake):
    assert fake.env() == {"FILMC_FREEPIK_BASE_URL": fake.base_url, "FREEPIK_API_KEY": "test-key"}


# ---------------------------------------------------------------- auth and bodies

def test_wrong_or_missing_key_is_401(fake):
    assert WEB.post(fake.url("/v1/ai/mystic"), json=MYSTIC).json() == {"message": "Missing API key"}
    r = WEB.post(fake.url("/v1/ai/mystic"), json=MYSTIC, headers={"x-freepik-api-key": "nope"})
    assert r.status_code == 401 and r.json() == {"message": "Invalid API key"}
    assert fake.create_count == 0


def test_placeholders_are_refused(fake, client):
    r = client.post(fake.url("/v1/ai/image-to-video/kling-std"), json={**KLING, "image": "@job:s01.mystic"})
    assert r.status_code == 400
    assert r.json()["invalid_params"][0]["name"] == "image"
    assert fake.create_count == 0


def test_schema_violations_are_refused_in_the_provider_shape(fake, client):
    r = client.post(fake.url("/v1/ai/image-to-video/kling-std"), json={**KLING, "duration": 5})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["message"] == "Your request parameters didn't validate."
    assert {p["name"] for p in r.json()["invalid_params"]} == {"duration"}


def test_chunked_request_bodies_are_read(fake, client):
    def parts():
        yield b'{"prompt": '
        yield b'"a lighthouse"}'

    r = client.post(fake.url("/v1/ai/mystic"), content=parts(), headers={"content-type": "application/json"})
    assert r.status_code == 200 and fake.task().body == {"prompt": "a lighthouse"}
    assert fake.calls("create")[0].headers["transfer-encoding"] == "chunked"
    submit(client, fake)  # the connection is still in step


def test_a_body_that_is_not_json_is_refused(fake, client):
    r = client.post(fake.url("/v1/ai/mystic"), content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and fake.create_count == 0


def test_validation_can_be_switched_off(client):
    with FakeFreepik(validate=False) as fake:
        r = client.post(fake.url("/v1/ai/mystic"), json={"prompt": "x", "unknown_field": 1})
        assert r.status_code == 200


# ---------------------------------------------------------------- faults: counting

def test_a_fault_fires_once_by_default(fake, client):
    f = fake.fault("create", status=503)
    assert client.post(fake.url("/v1/ai/mystic"), json=MYSTIC).status_code == 503
    assert client.post(fake.url("/v1/ai/mystic"), json=MYSTIC).status_code == 200
    assert f.hits == 1 and f.spent


def test_times_none_fires_always_and_after_n_lets_some_pass(fake, client):
    fake.fault("create", error="credits", times=None, after_n=2)
    codes = [client.post(fake.url("/v1/ai/mystic"), json=MYSTIC).status_code for _ in range(4)]
    assert codes == [200, 200, 402, 402]
    assert fake.create_count == 2


def test_faults_match_one_kind_and_an_optional_predicate(fake, client):
    tid = submit(client, fake)
    fake.fault("poll", status=500, match=lambda req: req.path.endswith("nope"))
    assert poll(client, fake, tid)["status"] == "CREATED"
    with pytest.raises(ValueError, match="unknown request kind"):
        fake.fault("retrieve", status=500)
    with pytest.raises(ValueError, match="unknown error"):
        fake.fault("create", error="teapot")


def test_clear_faults(fake, client):
    fake.fault("create", status=500, times=None)
    fake.clear_faults()
    submit(client, fake)


# ---------------------------------------------------------------- faults: errors

@pytest.mark.parametrize(("error", "status", "message"), [
    ("auth", 401, "Invalid API key"),
    ("credits", 402, "Insufficient credits"),
    ("rate_limit", 429, "Rate limit exceeded"),
    ("server", 500, "Internal Server Error"),
    ("unavailable", 503, "Service Unavailable. Please try again later."),
])
def test_named_errors_use_the_provider_shape(fake, client, error, status, message):
    fake.fault("create", error=error)
    r = client.post(fake.url("/v1/ai/mystic"), json=MYSTIC)
    assert r.status_code == status and r.json() == {"message": message}


def test_rate_limit_with_retry_after(fake, client):
    fake.fault("create", status=429, retry_after=2)
    r = client.post(fake.url("/v1/ai/mystic"), json=MYSTIC)
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    assert r.json() == {"message": "Rate limit exceeded"}


def test_custom_body_and_headers(fake, client):
    fake.fault("poll", status=502, body="<html>bad gateway</html>", headers={"X-Upstream": "down"})
    tid = submit(client, fake)
    r = client.get(fake.url(f"/v1/ai/mystic/{tid}"))
    assert r.status_code == 502 and r.text == "<html>bad gateway</html>" and r.headers["x-upstream"] == "down"
    assert r.headers["content-type"] == "text/html"


def test_poll_errors_leave_the_task_alone(fake, client):
    tid = submit(client, fake)
    fake.fault("poll", status=503, after_n=1)
    assert poll(client, fake, tid)["status"] == "CREATED"
    assert client.get(fake.url(f"/v1/ai/mystic/{tid}")).status_code == 503
    assert poll(client, fake, tid)["status"] == "IN_PROGRESS"  # the failed poll did not count


# ---------------------------------------------------------------- faults: unknown outcomes of a create

def test_timeout_after_the_create_was_recorded(fake):
    fake.fault("create", timeout=True, delay=5)
    with new_client(headers=KEY, timeout=httpx.Timeout(10, read=0.3)) as c, pytest.raises(httpx.ReadTimeout):
        c.post(fake.url("/v1/ai/mystic"), json=MYSTIC)
    assert fake.create_count == 1 and fake.creates_for(MYSTIC) == 1
    task = fake.task()
    with new_client(headers=KEY, timeout=10) as c:  # the task exists and finishes like any other
        assert poll_done(c, fake, task.id)["status"] == "COMPLETED"


def test_a_5xx_that_still_made_the_task(fake, client):
    fake.fault("create", status=500, record=True)
    assert client.post(fake.url("/v1/ai/mystic"), json=MYSTIC).status_code == 500
    assert fake.create_count == 1
    assert fake.calls("create")[0].task_id == fake.task().id


def test_malformed_answers(fake, client):
    fake.fault("create", malformed=True)
    r = client.post(fake.url("/v1/ai/mystic"), json=MYSTIC)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert fake.create_count == 1  # the create happened; the client cannot know the id
    fake.fault("poll", malformed=True)
    r = client.get(fake.url(f"/v1/ai/mystic/{fake.task().id}"))
    with pytest.raises(ValueError):
        r.json()


# ---------------------------------------------------------------- faults: how tasks end

@pytest.mark.parametrize("outcome", ["failed", "moderated"])
def test_a_poll_fault_ends_the_task(fake, client, outcome):
    tid = submit(client, fake)
    fake.fault("poll", outcome=outcome, reason="flagged")
    data = poll(client, fake, tid)
    assert data["status"] == "FAILED" and data["generated"] == []
    assert fake.task(tid).state == "failed" and fake.task(tid).reason == "flagged"
    assert fake.task(tid).moderated == (outcome == "moderated")
    assert poll(client, fake, tid)["status"] == "FAILED"  # it stays failed


def test_every_task_can_be_made_to_fail(fake, client):
    fake.outcome = "failed"
    assert poll_done(client, fake, submit(client, fake))["status"] == "FAILED"


# ---------------------------------------------------------------- faults: downloads

def test_truncated_download(fake, client):
    url = poll_done(client, fake, submit(client, fake))["generated"][0]
    fake.fault("download", truncate=True)
    with pytest.raises(httpx.RemoteProtocolError):
        WEB.get(url)
    assert WEB.get(url).status_code == 200


def test_stalled_download(fake, client):
    url = poll_done(client, fake, submit(client, fake))["generated"][0]
    fake.fault("download", stall=3)
    with pytest.raises(httpx.ReadTimeout):
        WEB.get(url, timeout=httpx.Timeout(10, read=0.3))
    fake.fault("download", stall=0.2)
    assert WEB.get(url, timeout=10).content == fake.result_bytes(fake.task())


def test_slow_first_byte(fake, client):
    url = poll_done(client, fake, submit(client, fake))["generated"][0]
    fake.fault("download", delay=3)
    with pytest.raises(httpx.ReadTimeout):
        WEB.get(url, timeout=httpx.Timeout(10, read=0.3))


def test_urls_expire_after_one_use_and_a_new_poll_gives_fresh_ones(fake, client):
    fake.expire_urls(after_uses=1)
    tid = submit(client, fake)
    url = poll_done(client, fake, tid)["generated"][0]
    assert WEB.get(url).status_code == 200
    r = WEB.get(url)
    assert r.status_code == 403 and b"Request has expired" in r.content
    fresh = poll(client, fake, tid)["generated"][0]
    assert fresh != url and WEB.get(fresh).status_code == 200


def test_urls_expire_after_some_seconds(fake, client):
    fake.expire_urls(after_uses=None, after_seconds=0, status=404)
    url = poll_done(client, fake, submit(client, fake))["generated"][0]
    assert WEB.get(url).status_code == 404


def test_a_one_off_403_on_download(fake, client):
    url = poll_done(client, fake, submit(client, fake))["generated"][0]
    fake.fault("download", status=403)
    assert WEB.get(url).status_code == 403
    assert WEB.get(url).status_code == 200


def test_unknown_file_is_404(fake):
    assert WEB.get(fake.url("/files/nope/x.png")).status_code == 404


# ---------------------------------------------------------------- dying and stopping

def test_die_refuse_closes_the_port(fake, client):
    tid = submit(client, fake)
    fake.fault("poll", die="refuse")
    with pytest.raises(httpx.TransportError):
        client.get(fake.url(f"/v1/ai/mystic/{tid}"))
    with pytest.raises(httpx.ConnectError), new_client(headers=KEY, timeout=5) as fresh:
        fresh.get(fake.url(f"/v1/ai/mystic/{tid}"))


def test_die_hang_accepts_and_never_answers(fake, client):
    fake.die("hang")
    with pytest.raises(httpx.ReadTimeout):
        client.post(fake.url("/v1/ai/mystic"), json=MYSTIC, timeout=httpx.Timeout(10, read=0.3))


def test_stop_does_not_wait_for_a_sleeping_handler(client):
    fake = FakeFreepik().start()
    fake.fault("create", timeout=True)  # sleeps 60 s after recording
    errors: list[Exception] = []

    def create() -> None:
        try:
            client.post(fake.url("/v1/ai/mystic"), json=MYSTIC, timeout=httpx.Timeout(10, read=30))
        except httpx.TransportError as e:
            errors.append(e)

    t = threading.Thread(target=create)
    t.start()
    for _ in range(1000):
        if fake.tasks:
            break
        threading.Event().wait(0.01)
    stopper = threading.Thread(target=fake.stop)
    stopper.start()
    stopper.join(timeout=30)
    t.join(timeout=30)
    assert not stopper.is_alive() and not t.is_alive()
    assert len(errors) == 1  # the connection closed without an answer


def test_not_running_is_a_clear_error():
    with pytest.raises(RuntimeError, match="not running"):
        _ = FakeFreepik().base_url
