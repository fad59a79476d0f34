"""End frames and references on Kling, Luma and MiniMax Hailuo, end to end: `filmc run` against the fakes (real HTTP
on 127.0.0.1, the real httpx client, real PNG files made with ffmpeg). An end frame arrives as the bytes of the next
shot's image take (`end_frame: next`) or of a file of the film (`end_frame: refs/last.png`); Kling's Omni references
arrive as the files' bytes, in the request field each provider reads them from."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest

from tests.conftest import run_cli
from tests.fakes import FakeBFL, FakeFal, FakeKling, FakeLuma, FakeMiniMax, FakeReplicate
from tests.jobs.test_providers import HttpsBFL, data_url, run, served_whole
from tests.jobs.test_providers import fakes as fakes  # noqa: F401 (the fixture)
from tests.jobs.test_providers import tls as tls  # noqa: F401 (the fixture)


def png(path: Path, color: str) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c={color}:s=64x64",
                    "-frames:v", "1", "-y", str(path)], check=True, capture_output=True, timeout=60)
    return path.read_bytes()


def film(tmp_path: Path, video: str, options: str, *, end_frame: str | None = "next", seconds: int = 10,
         image: str = "flux", cast: bool = False) -> Path:
    """Two shots of a lighthouse film with one image and one video target; s01 may end on `end_frame`; with `cast`
    the keeper (two refs) and the lamp room (one ref) are in s01."""
    d = tmp_path / "film"
    d.mkdir()
    for name, color in (("keeper_face", "red"), ("keeper_full", "orange"), ("lamp_room", "green"), ("last", "blue")):
        png(d / "refs" / f"{name}.png", color)
    end = f", end_frame: {end_frame}" if end_frame else ""
    who = ", location: lamp, cast: [keeper]" if cast else ""
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Frames, aspect: \"16:9\"}\n"
        f"song:\n  duration: {seconds}\n  sections: [{{id: a, start: 0}}]\n"
        "characters:\n"
        "  keeper: {description: an old man with a white beard, short: old keeper, pronoun: he,\n"
        "           refs: [refs/keeper_face.png, refs/keeper_full.png]}\n"
        "locations:\n  lamp: {description: a cramped circular lamp room, refs: [refs/lamp_room.png]}\n"
        f"targets: {{image: [{image}], video: [{video}], options: {{{options}}}}}\n"
        "shots:\n"
        f"  - {{id: s01, section: a, size: WS, subject: waves on black sand, background_motion: spray drifts{who}{end}}}\n"
        "  - {id: s02, section: a, size: WS, subject: a lighthouse in fog, background_motion: fog rolls}\n",
        encoding="utf-8")
    return d


def take(root: Path, done: dict[str, Any], job: str) -> bytes:
    return (root / done[job].path).read_bytes()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def data_png(data: bytes) -> str:
    return "data:image/png;base64," + b64(data)


def create_of(fake: Any, done: dict[str, Any], job: str) -> Any:
    """The create request that made `job`'s downloaded take."""
    return next(c for c in fake.calls("create") if c.task_id == done[job].task_id)


# ---------------------------------------------------------------- Kling official

def test_kling_image_tail_is_the_next_shots_image_take(tmp_path: Path, fakes: Any) -> None:
    bfl, kling = fakes(FakeBFL(steps=1), FakeKling(steps=1))
    root = film(tmp_path, "kling", "flux: {provider: bfl}, kling: {provider: kling, model: kling-v2-1, mode: pro}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, kling)
    create = create_of(kling, done, "s01.kling")
    assert create.path == "/v1/videos/image2video"
    assert create.body["model_name"] == "kling-v2-1" and create.body["mode"] == "pro"
    assert base64.b64decode(create.body["image"]) == take(root, done, "s01.flux")
    assert base64.b64decode(create.body["image_tail"]) == take(root, done, "s02.flux")  # raw base64, no prefix
    assert not create.body["image_tail"].startswith(("data:", "@"))
    (other,) = [c for c in kling.calls("create") if c is not create]
    assert "image_tail" not in other.body  # the last shot ends where it ends


def test_kling_image_tail_from_a_file_of_the_film(tmp_path: Path, fakes: Any) -> None:
    bfl, kling = fakes(FakeBFL(steps=1), FakeKling(steps=1))
    root = film(tmp_path, "kling", "flux: {provider: bfl}, kling: {provider: kling, model: kling-v3}",
                end_frame="refs/last.png")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, kling)
    create = create_of(kling, done, "s01.kling")
    assert create.body["model_name"] == "kling-v3" and create.body["mode"] == "std"  # kling-v3: any mode
    assert base64.b64decode(create.body["image_tail"]) == (root / "refs/last.png").read_bytes()
    assert "cfg_scale" not in create.body


def test_kling_omni_sends_references_and_the_first_frame_in_image_list(tmp_path: Path, fakes: Any) -> None:
    bfl, kling = fakes(FakeBFL(steps=1), FakeKling(steps=1))
    root = film(tmp_path, "kling", "flux: {provider: bfl}, kling: {provider: kling, model: kling-v3-omni, mode: pro}",
                end_frame=None, cast=True)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, kling)
    create = next(c for c in kling.calls("create") if "image_1" in c.body["prompt"])
    assert create.path == "/v1/videos/omni-video"
    assert kling.task(create.task_id).extra["family"] == "videos/omni-video"
    images = create.body["image_list"]
    # references first (no type; <<<image_N>>> is entry N), in the order sent: the character's, then the place's
    assert [i.get("type") for i in images] == [None, None, None, "first_frame"]
    assert [base64.b64decode(i["image_url"]) for i in images] == [
        (root / "refs/keeper_face.png").read_bytes(), (root / "refs/keeper_full.png").read_bytes(),
        (root / "refs/lamp_room.png").read_bytes(), take(root, done, "s01.flux")]
    assert create.body["prompt"].startswith("<<<image_1>>> shows the old keeper, <<<image_2>>> the old keeper from another angle and "
                                            "<<<image_3>>> the cramped circular lamp room.")
    assert not {"image", "image_tail", "negative_prompt", "cfg_scale", "aspect_ratio"} & set(create.body)
    assert all(p.path.startswith("/v1/videos/omni-video/") for p in kling.calls("poll")
               if p.task_id == create.task_id)


def test_kling_omni_end_frame_goes_without_references(tmp_path: Path, fakes: Any) -> None:
    bfl, kling = fakes(FakeBFL(steps=1), FakeKling(steps=1))
    root = film(tmp_path, "kling", "flux: {provider: bfl}, kling: {provider: kling, model: kling-video-o1}",
                cast=True)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, kling)
    create = create_of(kling, done, "s01.kling")
    images = create.body["image_list"]
    assert [i["type"] for i in images] == ["first_frame", "end_frame"]  # no end frame with more than 2 images
    assert base64.b64decode(images[1]["image_url"]) == take(root, done, "s02.flux")
    assert "<<<image_" not in create.body["prompt"]


def test_kling_end_frame_in_std_mode_is_a_warning_saying_what_to_set(tmp_path: Path) -> None:
    root = film(tmp_path, "kling", "flux: {provider: bfl}, kling: {provider: kling, model: kling-v2-5-turbo}")
    res = run_cli(["build", str(root)])
    assert res.exit_code == 0, res.stderr
    assert "warning[V278]" in res.stderr and "kling-v2-5-turbo takes no end frame unless mode: pro" in res.stderr
    assert "set mode: pro in targets.options.kling" in res.stderr
    jobs = [json.loads(x) for x in (root / "build" / "jobs" / "kling.jsonl").read_text().splitlines()]
    assert all("image_tail" not in j["body"] for j in jobs)


def test_the_kling_fake_refuses_an_end_frame_the_model_cannot_take(tmp_path: Path) -> None:
    import httpx

    with FakeKling(steps=1) as kling:
        headers = {"Authorization": f"Bearer {kling.token()}"}
        img = b64(png(tmp_path / "a.png", "red"))
        body = {"model_name": "kling-v2-1", "mode": "std", "duration": "5", "prompt": "waves", "image": img,
                "image_tail": img}
        r = httpx.post(kling.url("/v1/videos/image2video"), json=body, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == 1201 and "pro mode" in r.json()["message"]
        omni = {"model_name": "kling-video-o1", "prompt": "waves", "duration": "5",
                "image_list": [{"image_url": img}, {"image_url": img, "type": "first_frame"},
                               {"image_url": img, "type": "end_frame"}]}
        r = httpx.post(kling.url("/v1/videos/omni-video"), json=omni, headers=headers)
        assert r.status_code == 400 and "more than 2 images" in r.json()["message"]
        assert kling.create_count == 0


# ---------------------------------------------------------------- Kling through fal

def test_fal_kling_v3_end_image_url_is_a_data_url_of_the_next_take(tmp_path: Path, fakes: Any) -> None:
    bfl, fal = fakes(FakeBFL(steps=1), FakeFal(steps=1))
    root = film(tmp_path, "kling", "flux: {provider: bfl}, kling: {provider: fal, model: kling-v3, mode: pro}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, fal)
    create = create_of(fal, done, "s01.kling")
    assert create.path == "/fal-ai/kling-video/v3/pro/image-to-video"
    assert create.body["start_image_url"] == data_png(take(root, done, "s01.flux"))
    assert create.body["end_image_url"] == data_png(take(root, done, "s02.flux"))
    assert create.body["generate_audio"] is False and "image_url" not in create.body


def test_fal_kling_v2_1_pro_end_frame_is_tail_image_url(tmp_path: Path, fakes: Any) -> None:
    bfl, fal = fakes(FakeBFL(steps=1), FakeFal(steps=1))
    root = film(tmp_path, "kling", "flux: {provider: bfl}, kling: {provider: fal, model: kling-v2-1, mode: pro}",
                end_frame="refs/last.png")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, fal)
    create = create_of(fal, done, "s01.kling")
    assert create.path == "/fal-ai/kling-video/v2.1/pro/image-to-video"
    assert create.body["tail_image_url"] == data_png((root / "refs/last.png").read_bytes())
    assert "end_image_url" not in create.body


def test_fal_kling_v3_omni_references_are_image_urls_cited_at_image_n(tmp_path: Path, fakes: Any) -> None:
    bfl, fal = fakes(FakeBFL(steps=1), FakeFal(steps=1))
    root = film(tmp_path, "kling", "flux: {provider: bfl}, kling: {provider: fal, model: kling-v3-omni, mode: std}",
                end_frame=None, cast=True)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, fal)
    create = next(c for c in fal.calls("create") if "image_urls" in c.body)
    assert create.path == "/fal-ai/kling-video/o3/standard/reference-to-video"
    assert create.body["image_urls"] == [data_png((root / f"refs/{n}.png").read_bytes())
                                         for n in ("keeper_face", "keeper_full", "lamp_room")]
    assert create.body["start_image_url"] == data_png(take(root, done, "s01.flux"))
    assert create.body["prompt"].startswith("@Image1 shows the old keeper, @Image2 the old keeper from another angle and @Image3 ")
    assert "<<<" not in create.body["prompt"] and "negative_prompt" not in create.body


def test_the_fal_fake_refuses_an_end_frame_field_the_app_lacks() -> None:
    import httpx

    with FakeFal(steps=1) as fal:
        headers = {"Authorization": f"Key {fal.key}"}
        body = {"prompt": "waves", "start_image_url": "https://x.example/a.png", "tail_image_url": "https://x/b.png"}
        r = httpx.post(fal.url("/fal-ai/kling-video/v2.6/pro/image-to-video"), json=body, headers=headers)
        assert r.status_code == 422 and "tail_image_url" in r.text
        r = httpx.post(fal.url("/fal-ai/minimax/hailuo-2.3/standard/image-to-video"),
                       json={"prompt": "waves", "image_url": "https://x/a.png", "end_image_url": "https://x/b.png"},
                       headers=headers)
        assert r.status_code == 422 and "end_image_url" in r.text
        assert fal.create_count == 0


# ---------------------------------------------------------------- Luma

def test_luma_frame1_is_the_next_shots_take_url(tmp_path: Path, fakes: Any, tls: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, cert = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    bfl, luma = fakes(HttpsBFL(ctx, steps=1), FakeLuma(steps=1))
    root = film(tmp_path, "luma", "flux: {provider: bfl}", seconds=9)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, luma)
    create = create_of(luma, done, "s01.luma")
    frames = create.body["keyframes"]
    assert frames["frame0"] == {"type": "image", "url": done["s01.flux"].urls[0]}
    assert frames["frame1"] == {"type": "image", "url": done["s02.flux"].urls[0]}  # a URL: Luma fetches it


def test_luma_through_fal_takes_an_end_frame_file_inline(tmp_path: Path, fakes: Any) -> None:
    bfl, fal = fakes(FakeBFL(steps=1), FakeFal(steps=1))
    root = film(tmp_path, "luma", "flux: {provider: bfl}, luma: {provider: fal}", end_frame="refs/last.png",
                seconds=9)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, fal)
    create = create_of(fal, done, "s01.luma")
    assert create.path == "/fal-ai/luma-dream-machine/ray-2/image-to-video"
    assert create.body["end_image_url"] == data_png((root / "refs/last.png").read_bytes())


# ---------------------------------------------------------------- MiniMax Hailuo

def test_minimax_last_frame_image_is_the_next_shots_take(tmp_path: Path, fakes: Any) -> None:
    bfl, mm = fakes(FakeBFL(steps=1), FakeMiniMax(steps=1))
    root = film(tmp_path, "hailuo", "flux: {provider: bfl}", seconds=12)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, mm)
    create = create_of(mm, done, "s01.hailuo")
    assert create.body["model"] == "MiniMax-Hailuo-02"
    assert create.body["first_frame_image"] == data_url(root / done["s01.flux"].path)
    assert create.body["last_frame_image"] == data_url(root / done["s02.flux"].path)


def test_fal_hailuo_02_end_image_url_from_a_file(tmp_path: Path, fakes: Any) -> None:
    bfl, fal = fakes(FakeBFL(steps=1), FakeFal(steps=1))
    root = film(tmp_path, "hailuo", "flux: {provider: bfl}, hailuo: {provider: fal}", end_frame="refs/last.png",
                seconds=12)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, fal)
    create = create_of(fal, done, "s01.hailuo")
    assert create.path == "/fal-ai/minimax/hailuo-02/standard/image-to-video"
    assert create.body["end_image_url"] == data_png((root / "refs/last.png").read_bytes())


def test_hailuo_2_3_takes_no_end_frame_so_validate_warns_and_sends_none(tmp_path: Path) -> None:
    root = film(tmp_path, "hailuo", "flux: {provider: bfl}, hailuo: {model: MiniMax-Hailuo-2.3}", seconds=12)
    res = run_cli(["validate", str(root)])
    assert res.exit_code == 0 and "warning[V27" in res.stderr and "Traceback" not in res.stderr
    res = run_cli(["build", str(root)])
    assert res.exit_code == 0, res.stderr
    bodies = [json.loads(x)["body"] for x in (root / "build/jobs/hailuo.jsonl").read_text().splitlines()]
    assert bodies and not any("last_frame_image" in b for b in bodies)


# ---------------------------------------------------------------- Kling through Freepik and Replicate

def test_freepik_kling_pro_takes_image_tail(tmp_path: Path, freepik: Any) -> None:
    root = film(tmp_path, "kling", "flux: {provider: freepik}, kling: {provider: freepik, model: kling-v2-1, mode: pro}",
                end_frame="refs/last.png")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, freepik)
    create = create_of(freepik, done, "s01.kling")
    assert create.path == "/v1/ai/image-to-video/kling-v2-1-pro"
    assert base64.b64decode(create.body["image_tail"]) == (root / "refs/last.png").read_bytes()


def test_replicate_kling_v2_1_pro_takes_end_image(tmp_path: Path, fakes: Any) -> None:
    bfl, rep = fakes(FakeBFL(steps=1), FakeReplicate(steps=1, kind="video"))
    root = film(tmp_path, "kling", "flux: {provider: bfl}, kling: {provider: replicate, model: kling-v2-1, mode: pro}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, bfl, rep)
    create = create_of(rep, done, "s01.kling")
    assert create.path == "/v1/models/kwaivgi/kling-v2.1/predictions"
    assert create.body["input"]["mode"] == "pro"
    assert create.body["input"]["end_image"] == data_png(take(root, done, "s02.flux"))


def test_luma_end_frame_file_stops_the_build_with_the_way_out(tmp_path: Path) -> None:
    root = film(tmp_path, "luma", "flux: {provider: bfl}, luma: {provider: luma}", end_frame="refs/last.png",
                seconds=9)
    res = run_cli(["build", str(root)])
    assert res.exit_code == 1 and "Traceback" not in res.stderr
    assert "takes an end frame only as a URL" in res.stderr and "provider fal" in res.stderr
