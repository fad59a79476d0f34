"""Every Kling model on every provider, with an end frame and references: the request either matches the
provider's wire schema (schema/requests/kling.<provider>.json) with the frames and references in the model's own
fields, or the build stops with a message naming what to change. Never a body the API would refuse."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest
from jsonschema import Draft202012Validator

from compiler.expand import compile_shot
from compiler.expand.render import TemplateFailure
from compiler.loading import resolve_film
from compiler.targets import builtin_targets

ROOT = Path(__file__).resolve().parents[2]
KLING = builtin_targets()["kling"]
MODELS = KLING.options["properties"]["model"]["enum"]
MODES = KLING.options["properties"]["mode"]["enum"]
PROVIDERS = list(KLING.providers)
STOPS = ("is not served by provider", "takes no end frame", "takes an end frame only", "mode 4k is kling-v3's only")


def png(path: Path, color: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c={color}:s=64x64",
                    "-frames:v", "1", "-y", str(path)], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Any:
    d = tmp_path_factory.mktemp("kling") / "film"
    d.mkdir()
    for name, color in (("keeper_face", "red"), ("lamp_room", "green"), ("last", "blue")):
        png(d / "refs" / f"{name}.png", color)
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Kling, aspect: \"16:9\"}\n"
        "song:\n  duration: 20\n  sections: [{id: a, start: 0}]\n"
        "characters:\n  keeper: {description: an old man with a white beard, short: old keeper, pronoun: he,\n"
        "                refs: [refs/keeper_face.png]}\n"
        "locations:\n  lamp: {description: a cramped circular lamp room, refs: [refs/lamp_room.png]}\n"
        "targets: {image: [flux], video: [kling], options: {kling: {provider: kling, model: kling-v2-6, mode: pro}}}\n"
        "shots:\n"
        "  - {id: s01, section: a, location: lamp, cast: [keeper], end_frame: next}\n"
        "  - {id: s02, section: a, location: lamp, cast: [keeper], end_frame: refs/last.png}\n"
        "  - {id: s03, section: a, location: lamp, cast: [keeper]}\n"
        "  - {id: s04, section: a, mode: text-to-video, subject: a lighthouse in fog}\n",
        encoding="utf-8")
    return resolve_film(d)


def validator(provider: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((ROOT / f"schema/requests/kling.{provider}.json").read_text("utf-8")))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_model_and_mode_makes_a_valid_body_or_stops_with_a_reason(prod: Any, provider: str) -> None:
    check = validator(provider)
    made = 0
    for model in MODELS:
        for mode in MODES:
            for shot in ("s01", "s02", "s03", "s04"):
                options = {**KLING.defaults, "model": model, "mode": mode}
                try:
                    jobs = compile_shot(prod, "kling", shot, provider=provider, options=options).jobs
                except TemplateFailure as e:
                    assert any(s in e.diagnostic.message for s in STOPS), (model, mode, shot, e.diagnostic.message)
                    continue
                for job in jobs:
                    body = job.body
                    errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(body)]
                    assert not errors, (model, mode, shot, errors)
                    made += 1
    assert made


def fields(prod: Any, provider: str, shot: str, **options: Any) -> dict[str, Any]:
    jobs = compile_shot(prod, "kling", shot, provider=provider, options={**KLING.defaults, **options}).jobs
    return jobs[0].body


def test_the_end_frame_and_references_land_in_each_providers_own_fields(prod: Any) -> None:
    body = fields(prod, "kling", "s01", model="kling-v2-6", mode="pro")
    assert body["image"].startswith("@job:s01.") and body["image_tail"].startswith("@end-frame:s02.")
    body = fields(prod, "kling", "s02", model="kling-v1", mode="std")
    assert body["image_tail"].startswith("@end-file:refs/last.png#")
    body = fields(prod, "fal", "s01", model="kling-v2-5-turbo", mode="pro")
    assert body["tail_image_url"].startswith("@end-frame:") and "end_image_url" not in body
    body = fields(prod, "fal", "s01", model="kling-v2-6", mode="pro")
    assert body["end_image_url"].startswith("@end-frame:") and "tail_image_url" not in body
    # Omni: references in image_list (no type) before the first frame; an end frame drops them
    body = fields(prod, "kling", "s03", model="kling-v3-omni", mode="pro")
    assert [(i["image_url"].split("#")[0], i.get("type")) for i in body["image_list"]] == [
        ("@ref:refs/keeper_face.png", None), ("@ref:refs/lamp_room.png", None), (body["image_list"][2]["image_url"],
                                                                                 "first_frame")]
    assert body["prompt"].startswith("<<<image_1>>> shows the old keeper and <<<image_2>>> the cramped circular "
                                     "lamp room.")
    body = fields(prod, "kling", "s01", model="kling-v3-omni", mode="pro")
    assert [i.get("type") for i in body["image_list"]] == ["first_frame", "end_frame"]
    assert "<<<" not in body["prompt"]
    # a text-to-video Omni shot says its aspect ratio (required without a first frame)
    body = fields(prod, "kling", "s04", model="kling-video-o1", mode="pro")
    assert body["aspect_ratio"] == "16:9" and "image_list" not in body
    body = fields(prod, "fal", "s03", model="kling-v3-omni", mode="pro")
    assert [u.split("#")[0] for u in body["image_urls"]] == ["@ref:refs/keeper_face.png", "@ref:refs/lamp_room.png"]
    assert body["prompt"].startswith("@Image1 shows the old keeper and @Image2 the cramped circular lamp room.")
    pair = compile_shot(prod, "kling", "s03", provider="fal", options={**KLING.defaults, "model": "kling-v3-omni",
                                                                       "mode": "pro"})
    assert pair.prompt.text == body["prompt"]  # the prompt sheet and `filmc show` say what is sent
    # the Omni models take no negative prompt: none is compiled (nor shown), and the avoid terms go into the prompt
    assert pair.prompt.negative is None and "negative_prompt" not in body
    older = compile_shot(prod, "kling", "s03", provider="fal", options={**KLING.defaults, "model": "kling-v2-6",
                                                                        "mode": "pro"})
    assert older.prompt.negative and "The video has " not in older.prompt.text


def test_models_without_references_get_none_and_no_citation(prod: Any) -> None:
    for model in ("kling-v1-6", "kling-v2-6", "kling-v3"):
        body = fields(prod, "kling", "s03", model=model, mode="pro")
        assert "image_list" not in body and "<<<" not in body["prompt"]


def test_a_std_mode_end_frame_is_not_sent_on_a_pro_only_model(prod: Any) -> None:
    """kling-v2-1 takes image_tail in pro mode only (capabilities.models: {end_frame: {mode: [pro]}}): in std mode
    the request carries none (validate warns, V278, saying to set mode pro)."""
    assert "image_tail" not in fields(prod, "kling", "s01", model="kling-v2-1", mode="std")
    assert "tail_image_url" not in fields(prod, "fal", "s01", model="kling-v2-1", mode="std")
    assert fields(prod, "kling", "s01", model="kling-v2-1", mode="pro")["image_tail"].startswith("@end-frame:")


def test_an_omni_prompt_says_what_to_show_instead_of_its_avoid_terms(tmp_path: Path) -> None:
    """The Omni models take no negative prompt: the film's avoid terms are phrased as what to show, in the prompt,
    and the prompt sheet shows no negative."""
    from ..conftest import CASES, run_cli

    text = (CASES / "base.yaml").read_text().replace(
        "targets: {image: [mystic], video: [kling]}",
        "targets: {image: [mystic], video: [kling], options: {kling: {provider: fal, model: kling-v3-omni, mode: pro}}}")
    assert "avoid:" in text and "kling-v3-omni" in text
    (tmp_path / "film.yaml").write_text(text)
    r = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert r.exit_code == 0, r.stderr
    sheet = (tmp_path / "build" / "prompts" / "kling.md").read_text()
    assert "Negative prompt" not in sheet and "The video has clean surfaces without lettering." in sheet, sheet
    body = json.loads((tmp_path / "build" / "jobs" / "kling.jsonl").read_text().splitlines()[0])["body"]
    assert "negative_prompt" not in body and body["prompt"] in sheet
