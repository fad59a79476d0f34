"""`filmc run` with still and text-to-video shots, against local fake providers (real HTTP, real files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fakes import FakeFal, FakeFreepik, FakeKling, FakeLuma, FakeMiniMax, FakeRunway, FakeServer


def film(tmp_path: Path, video: str, shots: str, options: str = "") -> Path:
    d = tmp_path / "film"
    d.mkdir()
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Modes, aspect: \"16:9\"}\n"
        "song:\n  duration: 10\n  sections: [{id: a, start: 0}]\n"
        "concept: {style: [35mm film], palette: teal and amber}\n"
        f"targets: {{image: [mystic], video: [{video}]{options}}}\n"
        "shots:\n" + shots, encoding="utf-8")
    return d


def serve(fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in fake.env().items():
        monkeypatch.setenv(k, v)


def test_a_still_shot_makes_its_image_and_no_video(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path, "kling", "  - {id: s01, section: a, subject: a lighthouse at dusk, mode: still}\n"
                                   "  - {id: s02, section: a, subject: the sea, background_motion: waves roll in}\n")
    dry = run_cli(["run", str(root), "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert "s01.mystic" in dry.stdout and "s01.kling" not in dry.stdout and "s02.kling" in dry.stdout
    res = run_cli(["run", str(root), "--yes"])
    assert res.exit_code == 0, res.stderr
    paths = [c.path for c in freepik.calls("create")]
    assert sum("mystic" in p for p in paths) == 2 and sum("image-to-video" in p for p in paths) == 1
    assert (root / "takes/s01/mystic/1.png").is_file() and not (root / "takes/s01/kling").exists()
    assert (root / "takes/s02/kling/1.mp4").is_file()
    stats = json.loads(run_cli(["stats", str(root), "--format", "json"]).stdout)
    assert stats["produced"] == 3


def test_text_to_video_on_the_kling_api_sends_no_image(tmp_path: Path, freepik: FakeFreepik,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = film(tmp_path, "kling", "  - {id: s01, section: a, subject: a lighthouse at dusk, mode: text-to-video}\n",
                options=", options: {kling: {provider: kling}}")
    with FakeKling(steps=1) as kling:
        serve(kling, monkeypatch)
        res = run_cli(["run", str(root), "--yes"])
        assert res.exit_code == 0, res.stderr
        (create,) = kling.calls("create")
        assert create.path == "/v1/videos/text2video"
        assert "image" not in create.body and create.body["aspect_ratio"] == "16:9"
        assert "35mm film" in create.body["prompt"] or "lighthouse" in create.body["prompt"]
    assert freepik.create_count == 0  # no first frame is made
    assert (root / "takes/s01/kling/1.mp4").is_file()


@pytest.mark.parametrize(("video", "fake_cls", "options", "path", "image_field"), [
    ("runway", FakeRunway, "{runway: {model: gen4.5}}", "/v1/text_to_video", "promptImage"),
    ("hailuo", FakeMiniMax, "{hailuo: {provider: minimax}}", "/v1/video_generation", "first_frame_image"),
    ("luma", FakeLuma, "{luma: {provider: luma}}", "/dream-machine/v1/generations", None),
    ("luma", FakeFal, "{luma: {provider: fal}}", "/fal-ai/luma-dream-machine/ray-2", "image_url"),
    ("kling", FakeFal, "{kling: {provider: fal}}", "/fal-ai/kling-video/v1.6/standard/text-to-video", "image_url"),
])
def test_text_to_video_runs_on_every_provider_that_has_it(tmp_path: Path, freepik: FakeFreepik,
                                                          monkeypatch: pytest.MonkeyPatch, video: str,
                                                          fake_cls: type[FakeServer], options: str, path: str,
                                                          image_field: str | None) -> None:
    """Beside it an image-to-video shot still starts on its frame (except on Luma's own API, which fetches frames
    by URL only: the fake image service gives none it could fetch)."""
    root = film(tmp_path, video, "  - {id: s01, section: a, subject: a lighthouse at dusk, mode: text-to-video}\n"
                                 "  - {id: s02, section: a, subject: a gull, background_motion: the gull lifts off}\n",
                options=f", options: {options}")
    with fake_cls(steps=1) as fake:
        serve(fake, monkeypatch)
        res = run_cli(["run", str(root), "--yes"] + ([] if image_field else ["--select", "s01"]))
        assert res.exit_code == 0, res.stderr
        creates = fake.calls("create")
        text = next(c for c in creates if "lighthouse" in json.dumps(c.body))
        assert text.path.endswith(path)
        for field in ("promptImage", "first_frame_image", "keyframes", "image_url", "image"):
            assert field not in text.body and field not in text.body.get("input", {})
        if image_field:
            image = next(c for c in creates if "gull" in json.dumps(c.body))
            assert image_field in json.dumps(image.body)
            assert [c.path for c in freepik.calls("create")] == ["/v1/ai/mystic"]  # only s02 gets a first frame
            assert (root / f"takes/s02/{video}/1.mp4").is_file()
    assert (root / f"takes/s01/{video}/1.mp4").is_file()


def test_extend_segments_after_a_text_to_video_start_from_its_last_frame(tmp_path: Path, freepik: FakeFreepik,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    shots = ("  - id: s01\n    section: a\n    subject: a lighthouse at dusk\n    mode: text-to-video\n"
             "    duration: 14\n"
             "    extend:\n      - {motion: the beam sweeps across the water, camera: static}\n")
    root = film(tmp_path, "kling", shots, options=", options: {kling: {provider: kling}}")
    text = (root / "film.yaml").read_text().replace("duration: 10", "duration: 14", 1)
    (root / "film.yaml").write_text(text)
    with FakeKling(steps=1) as kling:
        serve(kling, monkeypatch)
        res = run_cli(["run", str(root), "--yes"])
        assert res.exit_code == 0, res.stderr
        first, second = kling.calls("create")
        assert first.path == "/v1/videos/text2video" and "image" not in first.body
        assert second.path == "/v1/videos/image2video" and len(second.body["image"]) > 100  # the last frame
        assert "aspect_ratio" not in second.body
        assert (first.body["duration"], second.body["duration"]) == ("10", "5")
    assert freepik.create_count == 0
