"""Runway references and end frames end to end, against the Runway fake (real HTTP on 127.0.0.1, the real httpx
client, real PNG files): Gen-4 Image gets tagged reference images cited as @tag in its prompt; a last frame goes as
promptImage position `last` on the model that takes one, and validate refuses it on the others."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run_cli
from tests.fakes import FakeRunway, media
from tests.jobs.test_providers import fakes, served_whole  # noqa: F401 - `fakes` is a fixture
from tests.jobs.test_seedance import decoded, png


def make_film(tmp_path: Path, shot: str, *, video: str = "", options: str = "") -> Path:
    d = tmp_path / "film"
    d.mkdir()
    for name, color in (("keeper_face", "red"), ("rock", "green"), ("end", "blue")):
        png(d / "refs" / f"{name}.png", color)
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Refs, aspect: \"16:9\"}\n"
        "song:\n  duration: 10\n  sections: [{id: a, start: 0}]\n"
        "characters:\n"
        "  keeper: {description: an old man with a white beard, short: old keeper, pronoun: he,\n"
        "           refs: [refs/keeper_face.png]}\n"
        "locations:\n  rock: {description: a bare black rock in the sea, refs: [refs/rock.png]}\n"
        f"targets: {{image: [runway-image]{', video: [' + video + ']' if video else ''}"
        f"{', options: {' + options + '}' if options else ''}}}\n"
        "shots:\n" + shot, encoding="utf-8")
    return d


def result(task: Any) -> bytes:
    """A PNG for text_to_image, a 10-second clip for image_to_video."""
    body = task.body or {}
    return media.tag(media.mp4(10) if "promptImage" in body else media.png(), task.id)


def test_gen4_image_sends_tagged_references_cited_in_the_prompt(tmp_path: Path, fakes: Any) -> None:  # noqa: F811
    (runway,) = fakes(FakeRunway(steps=1))
    root = make_film(tmp_path, "  - {id: s01, section: a, size: MS, location: rock, cast: [{id: keeper, "
                               "action: coils a rope}]}\n")
    res = run_cli(["run", str(root), "--yes"])
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, runway)
    (create,) = runway.calls("create")
    assert create.path == "/v1/text_to_image"
    body = create.body
    assert body["model"] == "gen4_image" and body["ratio"] == "1920:1080"
    refs = body["referenceImages"]
    assert [r["tag"] for r in refs] == ["keeper", "rock"]
    assert [decoded(r["uri"]) for r in refs] == [(root / "refs/keeper_face.png").read_bytes(),
                                                 (root / "refs/rock.png").read_bytes()]
    # the character is named by its tag; the place's reference is said in words
    assert body["promptText"].startswith("A medium shot shows @keeper, an old man with a white beard. @keeper coils "
                                         "a rope. @rock shows the bare black rock.")
    assert (root / done["s01.runway-image"].path).suffix == ".png"


def test_gen4_image_turbo_at_720p_needs_a_reference(tmp_path: Path) -> None:
    root = make_film(tmp_path, "  - {id: s01, section: a, size: WS, subject: waves on black sand}\n"
                               "  - {id: s02, section: a, size: MS, cast: [keeper]}\n",
                     options="runway-image: {model: gen4_image_turbo, resolution: 720p}")
    res = run_cli(["build", str(root)])
    assert res.exit_code == 1
    assert "gen4_image_turbo needs at least one reference image" in res.stderr
    (tmp_path / "b").mkdir()
    root2 = make_film(tmp_path / "b", "  - {id: s02, section: a, size: MS, cast: [keeper]}\n",
                      options="runway-image: {model: gen4_image_turbo, resolution: 720p}")
    assert run_cli(["build", str(root2)]).exit_code == 0
    (job,) = [json.loads(x) for x in (root2 / "build/jobs/runway-image.jsonl").read_text().splitlines()]
    assert job["body"]["ratio"] == "1280:720" and job["body"]["referenceImages"][0]["tag"] == "keeper"


def test_gen3a_turbo_takes_a_last_frame_as_position_last(tmp_path: Path, fakes: Any) -> None:  # noqa: F811
    (runway,) = fakes(FakeRunway(steps=1, result=result))
    root = make_film(tmp_path, "  - {id: s01, section: a, size: WS, subject: waves on black sand,\n"
                               "     end_frame: refs/end.png}\n",
                     video="runway", options="runway: {model: gen3a_turbo}")
    res = run_cli(["run", str(root), "--yes"])
    assert res.exit_code == 0, res.stderr
    done = served_whole(root, runway)
    video = next(c for c in runway.calls("create") if c.path == "/v1/image_to_video")
    first, last = video.body["promptImage"]
    assert (first["position"], last["position"]) == ("first", "last")
    assert decoded(first["uri"]) == (root / done["s01.runway-image"].path).read_bytes()
    assert decoded(last["uri"]) == (root / "refs/end.png").read_bytes()


def test_an_end_frame_gen4_turbo_cannot_take_is_named_where_it_is_written(tmp_path: Path) -> None:
    root = make_film(tmp_path, "  - id: s01\n    section: a\n    size: WS\n    subject: waves on black sand\n"
                               "    end_frame: refs/end.png\n", video="runway")
    res = run_cli(["validate", str(root), "--format", "json"])
    found = [d for d in json.loads(res.stdout)["diagnostics"] if d["code"] == "V278"]
    line = next(i for i, t in enumerate((root / "film.yaml").read_text().splitlines(), 1) if "end_frame" in t)
    assert [(d["severity"], d["line"]) for d in found] == [("warning", line)]
    assert "seedance" in found[0]["hint"]  # the targets whose models take one
    assert run_cli(["build", str(root)]).exit_code == 0
    (job,) = [json.loads(x) for x in (root / "build/jobs/runway.jsonl").read_text().splitlines()]
    assert job["body"]["promptImage"] == "@job:s01.runway-image"  # the first frame alone


def test_the_fake_refuses_a_last_frame_gen4_turbo_cannot_take() -> None:
    import httpx

    with FakeRunway() as fake, httpx.Client(timeout=10) as c:
        r = c.post(fake.url("/v1/image_to_video"), headers={"Authorization": f"Bearer {fake.key}",
                                                            "X-Runway-Version": "2024-11-06"},
                   json={"model": "gen4_turbo", "ratio": "1280:720", "duration": 5,
                         "promptImage": [{"uri": "https://x.example/a.png", "position": "first"},
                                         {"uri": "https://x.example/b.png", "position": "last"}]})
    assert r.status_code == 400 and "first frame only" in r.text
    assert fake.create_count == 0
