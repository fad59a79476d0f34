"""Seedance 2.0 end to end: `filmc run` against the fal, Replicate and Runway fakes (real HTTP on 127.0.0.1, the real
httpx client, real PNG files). First and last frames and reference images reach each provider in its own fields, as
the files' bytes (data URLs decoded here), and never together: every provider keeps the two modes apart."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import pytest

from tests.conftest import run_cli
from tests.fakes import FakeFal, FakeReplicate, FakeRunway, media
from tests.jobs.test_providers import fakes, served_whole  # noqa: F401 - `fakes` is a fixture


def png(path: Path, color: str) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c={color}:s=64x64",
                    "-frames:v", "1", "-y", str(path)], check=True, capture_output=True)
    return path.read_bytes()


def decoded(value: str) -> bytes:
    """The bytes of a data URL (the form a local file takes on the wire)."""
    head, _, data = value.partition(",")
    assert head == "data:image/png;base64", head
    return base64.b64decode(data)


def make_film(tmp_path: Path, shot: str, *, image: str | None, options: str) -> Path:
    """One 8-second shot of the keeper on the rock: two character refs, a location ref and an end frame on disk."""
    d = tmp_path / "film"
    d.mkdir()
    for name, color in (("keeper_face", "red"), ("keeper_full", "orange"), ("rock", "green"), ("end", "blue")):
        png(d / "refs" / f"{name}.png", color)
    targets = (f"image: [{image}], " if image else "") + "video: [seedance]"
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Refs, aspect: \"16:9\"}\n"
        "song:\n  duration: 8\n  sections: [{id: a, start: 0}]\n"
        "characters:\n"
        "  keeper: {description: an old man with a white beard, short: old keeper, pronoun: he,\n"
        "           refs: [refs/keeper_face.png, refs/keeper_full.png]}\n"
        "locations:\n  rock: {description: a bare black rock in the sea, refs: [refs/rock.png]}\n"
        f"targets: {{{targets}, options: {{{options}}}}}\n"
        "shots:\n" + shot, encoding="utf-8")
    return d


def run(root: Path) -> Any:
    return run_cli(["run", str(root), "--yes"])


def video_result(task: Any) -> bytes:
    """Video bytes for the Seedance jobs (their paths and names need not say "video"), a PNG for image jobs."""
    body = task.body or {}
    path = task.extra.get("app", "") + (task.extra.get("subpath") or "") + str(task.extra.get("model", ""))
    if "seedance" in path or body.get("model", "").startswith("seedance"):
        return media.tag(media.mp4(8), task.id)
    return media.tag(media.png(), task.id)


def test_fal_sends_first_and_last_frame_to_image_to_video(tmp_path: Path, fakes: Any) -> None:  # noqa: F811
    (fal,) = fakes(FakeFal(steps=1, result=video_result))
    root = make_film(tmp_path, "  - {id: s01, section: a, size: WS, location: rock, cast: [keeper],\n"
                               "     end_frame: refs/end.png}\n",
                     image="flux", options="flux: {provider: fal}, seedance: {provider: fal, model: seedance-2.0-fast}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, fal)
    video = next(c for c in fal.calls("create") if "seedance" in c.path)
    assert video.path == "/bytedance/seedance-2.0/fast/image-to-video"
    body = video.body
    assert decoded(body["image_url"]) == (root / done["s01.flux"].path).read_bytes()
    assert decoded(body["end_image_url"]) == (root / "refs/end.png").read_bytes()
    # the first frame carries the look of the refs: none are sent with it (fal: another app)
    assert "image_urls" not in body
    assert body["duration"] == "8" and body["resolution"] == "720p" and body["generate_audio"] is False
    assert (root / done["s01.seedance"].path).suffix == ".mp4"


def test_fal_sends_references_to_reference_to_video(tmp_path: Path, fakes: Any) -> None:  # noqa: F811
    (fal,) = fakes(FakeFal(steps=1, result=video_result))
    root = make_film(tmp_path, "  - {id: s01, section: a, size: WS, mode: text-to-video, location: rock,\n"
                               "     cast: [keeper]}\n", image=None, options="seedance: {provider: fal}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    served_whole(root, fal)
    (create,) = fal.calls("create")
    assert create.path == "/bytedance/seedance-2.0/reference-to-video"
    # the cast's refs, then the place's, in that order; each as the file's bytes
    assert [decoded(u) for u in create.body["image_urls"]] == [
        (root / f"refs/{n}.png").read_bytes() for n in ("keeper_face", "keeper_full", "rock")]
    assert not {"image_url", "end_image_url"} & set(create.body)
    assert create.body["prompt"].startswith("Image 1 shows the old keeper, image 2 the old keeper from another angle and image 3 ")


def test_replicate_sends_references_without_frames_and_frames_without_references(tmp_path: Path,
                                                                                 fakes: Any) -> None:  # noqa: F811
    (rep,) = fakes(FakeReplicate(steps=1, result=video_result))
    root = make_film(tmp_path, "  - {id: s01, section: a, size: MS, mode: text-to-video, location: rock,\n"
                               "     cast: [{id: keeper, refs: [refs/keeper_full.png]}]}\n",
                     image=None, options="seedance: {provider: replicate, seed: 7}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    served_whole(root, rep)
    (create,) = rep.calls("create")
    assert create.path == "/v1/models/bytedance/seedance-2.0/predictions"
    inp = create.body["input"]
    # the picked character ref, then the location's
    assert [decoded(u) for u in inp["reference_images"]] == [(root / "refs/keeper_full.png").read_bytes(),
                                                             (root / "refs/rock.png").read_bytes()]
    assert not {"image", "last_frame_image"} & set(inp)
    assert inp["duration"] == 8 and inp["aspect_ratio"] == "16:9" and inp["seed"] == 7
    assert inp["generate_audio"] is False
    assert inp["prompt"].startswith("Image 1 shows the old keeper and image 2 ")


def test_runway_keyframes_and_references_never_mix(tmp_path: Path, fakes: Any) -> None:  # noqa: F811
    (fal, runway) = fakes(FakeFal(steps=1), FakeRunway(steps=1, result=video_result))
    root = make_film(tmp_path, "  - {id: s01, section: a, size: WS, location: rock, cast: [keeper],\n"
                               "     end_frame: refs/end.png}\n"
                               "  - {id: s02, section: a, size: WS, mode: text-to-video, location: rock,\n"
                               "     cast: [keeper]}\n",
                     image="flux", options="flux: {provider: fal}, seedance: {provider: runway, "
                                           "model: seedance-2.0-mini, resolution: 480p}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, fal, runway)
    creates = {c.path: c for c in runway.calls("create")}
    i2v, t2v = creates["/v1/image_to_video"], creates["/v1/text_to_video"]
    assert i2v.body["model"] == "seedance2_mini"
    first, last = i2v.body["promptImage"]
    assert first["position"] == "first" and last["position"] == "last"
    assert decoded(first["uri"]) == (root / done["s01.flux"].path).read_bytes()
    assert decoded(last["uri"]) == (root / "refs/end.png").read_bytes()
    assert i2v.body["ratio"] == "864:496" and i2v.body["audio"] is False
    assert "promptImage" not in t2v.body
    assert [decoded(r["uri"]) for r in t2v.body["references"]] == [
        (root / f"refs/{n}.png").read_bytes() for n in ("keeper_face", "keeper_full", "rock")]
    assert t2v.body["promptText"].startswith("Image 1 shows the old keeper")


@pytest.mark.parametrize(("provider", "path", "body", "word"), [
    ("fal", "/bytedance/seedance-2.0/image-to-video",
     {"prompt": "p", "image_url": "https://x.example/a.png", "image_urls": ["https://x.example/b.png"]}, "image_urls"),
    ("fal", "/bytedance/seedance-2.0/reference-to-video",
     {"prompt": "p", "end_image_url": "https://x.example/a.png"}, "end_image_url"),
    ("fal", "/bytedance/seedance-2.0/mini/image-to-video",
     {"prompt": "p", "image_url": "https://x.example/a.png", "resolution": "1080p"}, "resolution"),
    ("replicate", "/v1/models/bytedance/seedance-2.0/predictions",
     {"input": {"prompt": "p", "image": "https://x.example/a.png", "reference_images": ["https://x.example/b.png"]}},
     "cannot be used together"),
    ("replicate", "/v1/models/bytedance/seedance-2.0/predictions",
     {"input": {"prompt": "p", "last_frame_image": "https://x.example/a.png"}}, "first frame"),
    ("runway", "/v1/image_to_video",
     {"model": "seedance2", "promptImage": [{"uri": "https://x.example/a.png", "position": "first"},
                                            {"uri": "https://x.example/b.png"}], "duration": 5},
     "cannot be mixed"),
])
def test_the_fakes_refuse_frames_and_references_together(provider: str, path: str, body: dict, word: str) -> None:
    fake = {"fal": FakeFal, "replicate": FakeReplicate, "runway": FakeRunway}[provider]()
    headers = {"fal": {"Authorization": f"Key {fake.key}"},
               "runway": {"Authorization": f"Bearer {fake.key}", "X-Runway-Version": "2024-11-06"}}.get(
        provider, {"Authorization": f"Bearer {fake.key}"})
    with fake, httpx.Client(timeout=10) as c:
        r = c.post(fake.url(path), json=body, headers=headers)
    assert r.status_code in (400, 422) and word in r.text
    assert fake.create_count == 0


def test_the_end_frame_file_changed_after_the_build_is_not_sent(tmp_path: Path, fakes: Any) -> None:  # noqa: F811
    (fal,) = fakes(FakeFal(steps=1, result=video_result))
    root = make_film(tmp_path, "  - {id: s01, section: a, size: WS, location: rock, cast: [keeper],\n"
                               "     end_frame: refs/end.png}\n",
                     image="flux", options="flux: {provider: fal}, seedance: {provider: fal}")
    assert run_cli(["build", str(root)]).exit_code == 0
    before = hashlib.sha256((root / "refs/end.png").read_bytes()).hexdigest()
    png(root / "refs/end.png", "purple")
    assert hashlib.sha256((root / "refs/end.png").read_bytes()).hexdigest() != before
    res = run(root)  # run builds first: the request carries the new image
    assert res.exit_code == 0, res.stderr
    video = next(c for c in fal.calls("create") if "seedance" in c.path)
    assert decoded(video.body["end_image_url"]) == (root / "refs/end.png").read_bytes()
