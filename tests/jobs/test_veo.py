"""Veo on the Gemini API end to end: `filmc run` against the fake Gemini API (real HTTP on 127.0.0.1, real files),
the exact request fields, the operation's name in the ledger before any poll, and what a create whose outcome is
unknown, a refusal, a filtered video and a crash do."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from compiler.store.ledger import LEDGER, read_events, replay
from tests.fakes import FakeBFL, FakeVeo
from tests.jobs import test_providers as providers
from tests.jobs.test_providers import SENTINEL, film, no_secret_anywhere, run, served_whole, takes
from tests.jobs.test_run import attempts, events

FILMC = str(Path(sys.executable).parent / "filmc")
MODEL = "veo-3.1-fast-generate-preview"
fakes = providers.fakes  # the fixture that starts fakes and points filmc at them


def veo_film(tmp_path: Path, options: str = "", seconds: int = 8, shots: int = 1) -> Path:
    opts = "flux: {provider: bfl}" + (f", veo: {{{options}}}" if options else "")
    return film(tmp_path, "flux", "veo", opts, seconds=seconds, shots=shots)


def compiled(root: Path, shot: str, target: str) -> Any:
    """The compiled prompt of one shot for one target (compiled in-process, as `filmc build` does)."""
    from compiler.expand import expand_production
    from compiler.loading import resolve_film

    plan = expand_production(resolve_film(root), targets=[target])
    return plan.prompt(shot, target)


def test_veo_sends_the_first_frame_inline_and_downloads_the_video(tmp_path: Path, fakes: Any) -> None:
    bfl, veo = fakes(FakeBFL(steps=1), FakeVeo(steps=2, key=SENTINEL))
    root = veo_film(tmp_path)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert takes(root) == ["takes/s01/flux/1.png", "takes/s01/veo/1.mp4"]
    done = served_whole(root, bfl, veo)
    (create,) = veo.calls("create")
    assert create.path == f"/v1beta/models/{MODEL}:predictLongRunning"
    assert create.headers["x-goog-api-key"] == "<redacted>"
    (inst,) = create.body["instances"]
    assert set(inst) == {"prompt", "image"}
    prompt = compiled(root, "s01", "veo")
    assert inst["prompt"] == prompt.text
    assert inst["image"]["mimeType"] == "image/png"
    assert base64.b64decode(inst["image"]["bytesBase64Encoded"]) == (root / done["s01.flux"].path).read_bytes()
    params = create.body["parameters"]
    assert {k: v for k, v in params.items() if k != "negativePrompt"} == {
        "sampleCount": 1, "durationSeconds": 8, "aspectRatio": "16:9", "resolution": "720p"}
    assert params["negativePrompt"] == prompt.negative  # the film's avoid terms and the motion defects
    # the operation's name is the task id, in the ledger before the first poll; polled by its name
    a = done["s01.veo"]
    assert a.task_id == veo.task().id and a.task_id.startswith(f"models/{MODEL}/operations/")
    evs = [e for e in events(root) if e.get("attempt") == a.attempt]
    kinds = [e["ev"] for e in evs]
    assert kinds.index("submitted") < kinds.index("result")
    assert {c.path for c in veo.calls("poll")} == {f"/v1beta/{a.task_id}"}
    assert len(veo.calls("poll")) == 3  # queued, running, done
    # the video's uri needs the key, then redirects to storage
    first, second = veo.calls("download")
    assert first.path.endswith(":download") and first.headers["x-goog-api-key"] == "<redacted>" and first.status == 302
    assert second.status == 200
    no_secret_anywhere(root, res, SENTINEL)


def test_veo_video_sent_inline_in_the_operation_is_taken_from_it(tmp_path: Path, fakes: Any) -> None:
    bfl, veo = fakes(FakeBFL(steps=1), FakeVeo(steps=1))
    veo.inline = True
    root = veo_film(tmp_path)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert takes(root) == ["takes/s01/flux/1.png", "takes/s01/veo/1.mp4"]
    served_whole(root, bfl, veo)  # the very bytes the operation carried
    assert veo.create_count == 1 and veo.calls("download") == []


def test_veo_text_to_video_sends_no_image(tmp_path: Path, fakes: Any) -> None:
    (veo,) = fakes(FakeVeo(steps=1))
    root = film(tmp_path, None, "veo", "veo: {model: veo-3.1-generate-preview, duration: 4, resolution: 720p}",
                seconds=4)
    text = (root / "film.yaml").read_text(encoding="utf-8").replace("background_motion: spray drifts}",
                                                                     "background_motion: spray drifts, "
                                                                     "mode: text-to-video}")
    (root / "film.yaml").write_text(text, encoding="utf-8")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert takes(root) == ["takes/s01/veo/1.mp4"]
    (create,) = veo.calls("create")
    assert create.path == "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
    assert set(create.body["instances"][0]) == {"prompt"}
    assert "waves on black sand" in create.body["instances"][0]["prompt"]  # the prompt carries the scene itself
    assert create.body["parameters"]["durationSeconds"] == 4 and create.body["parameters"]["resolution"] == "720p"


def test_veo_server_error_on_create_is_unknown_and_never_resent(tmp_path: Path, fakes: Any) -> None:
    _, veo = fakes(FakeBFL(steps=1), FakeVeo(steps=1))
    veo.fault("create", status=500, record=True)  # the operation was started; the answer says 500
    root = veo_film(tmp_path)
    res = run(root)
    assert res.exit_code == 1
    assert len(veo.calls("create")) == 1 and veo.create_count == 1  # not tried again, by filmc or anything else
    (a,) = [x for x in attempts(root).values() if x.job == "s01.veo"]
    assert a.state == "unknown"
    again = run(root)
    assert again.exit_code == 1 and "unknown" in again.stderr
    assert len(veo.calls("create")) == 1  # a second run does not send it either


def test_veo_rate_limit_waits_the_delay_google_asks_for(tmp_path: Path, fakes: Any) -> None:
    _, veo = fakes(FakeBFL(steps=1), FakeVeo(steps=1))
    veo.fault("create", error="rate_limit", retry_after=0.05)  # 429 RESOURCE_EXHAUSTED with RetryInfo 0.05s
    root = veo_film(tmp_path)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert [c.status for c in veo.calls("create")] == [429, 200] and veo.create_count == 1
    assert takes(root) == ["takes/s01/flux/1.png", "takes/s01/veo/1.mp4"]


def test_veo_refused_create_is_not_resent(tmp_path: Path, fakes: Any) -> None:
    _, veo = fakes(FakeBFL(steps=1), FakeVeo(steps=1))
    veo.fault("create", status=400, reason="The prompt could not be submitted.")
    res = run(veo_film(tmp_path))
    assert res.exit_code == 1
    assert len(veo.calls("create")) == 1 and veo.create_count == 0
    assert "The prompt could not be submitted." in res.stderr


def test_veo_server_errors_while_polling_are_polled_through(tmp_path: Path, fakes: Any) -> None:
    _, veo = fakes(FakeBFL(steps=1), FakeVeo(steps=1))
    veo.fault("poll", status=500, times=2)
    root = veo_film(tmp_path)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert veo.create_count == 1 and [c.status for c in veo.calls("poll")][:2] == [500, 500]
    assert takes(root) == ["takes/s01/flux/1.png", "takes/s01/veo/1.mp4"]


@pytest.mark.parametrize(("outcome", "words"), [
    ("moderated", "filtered by Google's safety filters: Your prompt may contain sensitive words"),
    ("failed", "error 13: Your prompt may contain sensitive words")])
def test_veo_filtered_or_failed_operation_fails_the_job_with_its_reason(tmp_path: Path, fakes: Any, outcome: str,
                                                                        words: str) -> None:
    _, veo = fakes(FakeBFL(steps=1), FakeVeo(steps=1))
    veo.outcome, veo.reason = outcome, "Your prompt may contain sensitive words"
    root = veo_film(tmp_path)
    res = run(root)
    assert res.exit_code == 1
    assert words in res.stderr
    (a,) = [x for x in attempts(root).values() if x.job == "s01.veo"]
    assert a.state == "failed" and a.stage == "poll" and a.definitive
    assert veo.create_count == 1 and not [c for c in veo.calls("download")]


def test_veo_run_killed_after_the_create_resumes_the_operation(tmp_path: Path) -> None:
    root = veo_film(tmp_path)
    with FakeBFL(steps=1) as bfl, FakeVeo(steps=10**6, key=SENTINEL) as veo:  # the operation runs until told
        env = {**os.environ, **bfl.env(), **veo.env(), "FILMC_POLL_INTERVAL": "0.02", "NO_COLOR": "1"}
        proc = subprocess.Popen([FILMC, "run", str(root), "--yes"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(veo.calls("poll")) < 2:  # created, its name on disk, polled
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
        assert veo.create_count == 1, err
        (a,) = [x for x in replay(read_events(root / LEDGER)).values() if x.job == "s01.veo"]
        assert a.state in ("submitted", "running") and a.task_id == veo.task().id
        veo.steps = 0  # the operation ends at the next poll
        final = subprocess.run([FILMC, "run", str(root), "--yes"], env=env, capture_output=True, text=True,
                               timeout=120)
        assert final.returncode == 0, final.stderr
        assert veo.create_count == 1 and len(veo.calls("create")) == 1  # polled and downloaded, never made again
        polls = veo.calls("poll")
        assert {p.path for p in polls} == {f"/v1beta/{a.task_id}"}
        after = replay(read_events(root / LEDGER))
        (b,) = [x for x in after.values() if x.job == "s01.veo"]
        assert b.attempt == a.attempt and b.state == "downloaded"
        assert (root / b.path).read_bytes() == veo.result_bytes(veo.task())
        for text in (out.decode(), err.decode(), final.stdout, final.stderr):
            assert SENTINEL not in text
        for p in root.rglob("*"):
            if p.is_file():
                assert SENTINEL.encode() not in p.read_bytes(), p


def test_google_genai_reads_the_fake_operations_as_veo_answers() -> None:
    """The fake's operations are what google-genai itself parses (client.operations.get against 127.0.0.1), and the
    SDK's own generate_videos refuses the Gemini Developer API before sending anything: why filmc sends the
    request itself."""
    import httpx
    from google import genai
    from google.genai import types

    from compiler.jobs.providers.genai import wire_body

    with FakeVeo(steps=0) as veo:
        opts = types.HttpOptions(base_url=veo.origin, api_version="v1beta",
                                 retry_options=types.HttpRetryOptions(attempts=1))
        client = genai.Client(api_key=veo.key, http_options=opts)
        with pytest.raises(ValueError, match="not in Gemini Developer API mode"):
            client.models.generate_videos(model=MODEL, source=types.GenerateVideosSource(prompt="waves"))
        assert veo.calls("create") == []
        names = []
        for outcome in ("done", "moderated"):
            veo.outcome, veo.reason = outcome, "sensitive words"
            body = wire_body({"model": MODEL, "prompt": "waves", "config": {"number_of_videos": 1}})
            r = httpx.post(f"{veo.origin}/v1beta/models/{MODEL}:predictLongRunning", json=body,
                           headers={"x-goog-api-key": veo.key})
            assert r.status_code == 200, r.text
            names.append(r.json()["name"])
        done = client.operations.get(types.GenerateVideosOperation(name=names[0]))
        assert done.done and done.error is None
        assert done.response.generated_videos[0].video.uri == veo.url(
            f"/v1beta/files/{names[0].rsplit('/', 1)[1]}:download?alt=media")
        filtered = client.operations.get(types.GenerateVideosOperation(name=names[1]))
        assert filtered.done and not filtered.response.generated_videos
        assert filtered.response.rai_media_filtered_count == 1
        assert filtered.response.rai_media_filtered_reasons == ["sensitive words"]


# ---------------------------------------------------------------- references and last frames

def png(path: Path, color: str) -> bytes:
    import imageio_ffmpeg

    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c={color}:s=64x64",
                    "-frames:v", "1", "-y", str(path)], check=True, capture_output=True)
    return path.read_bytes()


def refs_film(tmp_path: Path, shots: str, *, image: str = "[]", options: str = "") -> Path:
    d = tmp_path / "film"
    d.mkdir()
    for name, color in (("keeper_face", "red"), ("keeper_full", "orange"), ("lamp_room", "green"),
                        ("storm_look", "gray"), ("last", "black")):
        png(d / "refs" / f"{name}.png", color)
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Refs, aspect: \"16:9\"}\n"
        f"song:\n  duration: {8 * shots.count('- {id:')}\n  sections: [{{id: a, start: 0, world: storm}}]\n"
        "concept:\n  style: [35mm film]\n  worlds:\n    storm: {style: [rain-lashed], refs: [refs/storm_look.png]}\n"
        "characters:\n"
        "  keeper: {description: an old man with a white beard, short: old keeper, pronoun: he,\n"
        "           refs: [refs/keeper_face.png, refs/keeper_full.png]}\n"
        "locations:\n  lamp: {description: a cramped circular lamp room, refs: [refs/lamp_room.png]}\n"
        f"targets: {{image: {image}, video: [veo]{', options: {' + options + '}' if options else ''}}}\n"
        "shots:\n" + shots, encoding="utf-8")
    return d


def test_veo_text_to_video_shot_sends_its_references_inline(tmp_path: Path, fakes: Any) -> None:
    (veo,) = fakes(FakeVeo(steps=1))
    root = refs_film(tmp_path, "  - {id: s01, section: a, size: MS, mode: text-to-video, location: lamp,\n"
                               "     cast: [{id: keeper, action: trims the wick}], background_motion: rain streaks}\n"
                               "  - {id: s02, section: a, size: WS, mode: text-to-video, location: lamp, refs: [],\n"
                               "     cast: [{id: keeper, action: climbs the stair, refs: [refs/keeper_full.png]}],\n"
                               "     background_motion: rain streaks}\n",
                     options="veo: {model: veo-3.1-generate-preview}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert len(veo.calls("create")) == 2 and veo.create_count == 2
    by_shot = {}
    for c in veo.calls("create"):
        inst = c.body["instances"][0]
        assert "image" not in inst and "lastFrame" not in inst  # references never go with a frame on Veo 3.1
        assert all(r["referenceType"] == "ASSET" and r["image"]["mimeType"] == "image/png"
                   for r in inst["referenceImages"])
        sent = [base64.b64decode(r["image"]["bytesBase64Encoded"]) for r in inst["referenceImages"]]
        by_shot["s02" if len(sent) == 1 else "s01"] = (sent, inst["prompt"])
    # the default: the character's refs, then the place's (the style ref is not a kind Veo takes), at most 3
    refs = root / "refs"
    assert by_shot["s01"][0] == [(refs / n).read_bytes() for n in ("keeper_face.png", "keeper_full.png",
                                                                   "lamp_room.png")]
    assert by_shot["s02"][0] == [(refs / "keeper_full.png").read_bytes()]  # what the shot picked, nothing else
    for _, prompt in by_shot.values():
        assert "image 1" not in prompt.lower()  # cite: none, the words describe the subjects


def test_veo_lite_sends_no_references(tmp_path: Path, fakes: Any) -> None:
    (veo,) = fakes(FakeVeo(steps=1))
    root = refs_film(tmp_path, "  - {id: s01, section: a, size: MS, mode: text-to-video, location: lamp,\n"
                               "     cast: [{id: keeper, action: trims the wick}], background_motion: rain streaks}\n",
                     options="veo: {model: veo-3.1-lite-generate-preview}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    (create,) = veo.calls("create")
    assert set(create.body["instances"][0]) == {"prompt"}


def test_veo_last_frame_from_a_file_and_from_the_next_shot(tmp_path: Path, fakes: Any) -> None:
    bfl, veo = fakes(FakeBFL(steps=1), FakeVeo(steps=1))
    root = refs_film(tmp_path, "  - {id: s01, section: a, size: MS, location: lamp, end_frame: next,\n"
                               "     cast: [{id: keeper, action: trims the wick}], background_motion: rain streaks}\n"
                               "  - {id: s02, section: a, size: WS, location: lamp, end_frame: refs/last.png,\n"
                               "     cast: [{id: keeper, action: climbs the stair}], background_motion: rain}\n",
                     image="[flux]", options="flux: {provider: bfl}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, veo)
    take = {shot: (root / done[f"{shot}.flux"].path).read_bytes() for shot in ("s01", "s02")}
    sent = {}
    for c in veo.calls("create"):
        inst = c.body["instances"][0]
        assert "referenceImages" not in inst  # a first frame goes: the references stay out
        first = base64.b64decode(inst["image"]["bytesBase64Encoded"])
        shot = next(s for s, b in take.items() if b == first)  # each clip starts on its own shot's image
        assert inst["lastFrame"]["mimeType"] == "image/png"
        sent[shot] = base64.b64decode(inst["lastFrame"]["bytesBase64Encoded"])
    assert sent == {"s01": take["s02"],  # `next`: the next shot's first frame, for a seamless cut
                    "s02": (root / "refs" / "last.png").read_bytes()}
