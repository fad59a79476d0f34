"""FLUX.2 through the Black Forest Labs API: reference images compiled into input_image, input_image_2 ... (the
model's own limit), sent as the files' bytes in base64, cited "image N" in the prompt; FLUX.1 models send none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeBFL
from tests.jobs.test_gemini_image import png
from tests.jobs.test_providers import SENTINEL, events, fakes, no_secret_anywhere, run, takes

__all__ = ["fakes"]  # the fixture, shared with the other providers' tests


def refs_film(tmp_path: Path, model: str) -> tuple[Path, dict[str, bytes]]:
    """A shot with two characters (3 refs), a location (1) and a world's look (1): five candidate references."""
    d = tmp_path / "film"
    d.mkdir()
    files = {name: png(d / "refs" / f"{name}.png", color)
             for name, color in (("keeper_face", "red"), ("keeper_full", "orange"), ("mara_face", "blue"),
                                 ("lamp_room", "green"), ("storm_look", "gray"))}
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Refs, aspect: \"16:9\"}\n"
        "song:\n  duration: 6\n  sections: [{id: a, start: 0, world: storm}]\n"
        "concept:\n  style: [35mm film]\n  worlds:\n    storm: {style: [rain-lashed], refs: [refs/storm_look.png]}\n"
        "characters:\n"
        "  keeper: {description: an old man with a white beard, short: old keeper, pronoun: he,\n"
        "           refs: [refs/keeper_face.png, refs/keeper_full.png]}\n"
        "  mara: {description: a young woman in a yellow raincoat, short: young woman, pronoun: she,\n"
        "         refs: [refs/mara_face.png]}\n"
        "locations:\n  lamp: {description: a cramped circular lamp room, refs: [refs/lamp_room.png]}\n"
        f"targets: {{image: [flux], video: [], options: {{flux: {{provider: bfl, model: {model}}}}}}}\n"
        "shots:\n  - {id: s01, section: a, size: MS, location: lamp,\n"
        "           cast: [{id: keeper, action: trims the wick}, {id: mara, action: holds a lantern}]}\n",
        encoding="utf-8")
    return d, files


def sent_prompt(root: Path) -> str:
    (intent,) = [e for e in events(root) if e["ev"] == "intent"]
    return str(intent["params"]["prompt"])


def test_flux2_sends_references_as_input_images_with_the_files_bytes(tmp_path: Path, fakes: Any) -> None:
    (bfl,) = fakes(FakeBFL(steps=1, key=SENTINEL))
    root, files = refs_film(tmp_path, "flux-2-pro")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert takes(root) == ["takes/s01/flux/1.png"]
    (create,) = bfl.calls("create")
    assert create.path == "/v1/flux-2-pro"
    fields = [k for k in create.body if k.startswith("input_image")]
    assert fields == ["input_image", "input_image_2", "input_image_3", "input_image_4", "input_image_5"]
    # every face first, then the place, then the look: each the file's bytes, raw base64 (no data: prefix)
    assert bfl.references(bfl.task()) == [files["keeper_face"], files["keeper_full"], files["mara_face"],
                                          files["lamp_room"], files["storm_look"]]
    prompt = create.body["prompt"]
    assert prompt == sent_prompt(root) and prompt.startswith("Image 1 shows the old keeper")
    for n in range(2, 6):
        assert f"image {n}" in prompt
    assert {"width", "height"} <= set(create.body) and "aspect_ratio" not in create.body
    no_secret_anywhere(root, res, SENTINEL)


def test_flux2_klein_takes_four(tmp_path: Path, fakes: Any) -> None:
    (bfl,) = fakes(FakeBFL(steps=1))
    root, files = refs_film(tmp_path, "flux-2-klein-4b")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    (create,) = bfl.calls("create")
    assert create.path == "/v1/flux-2-klein-4b"
    # five candidates, four taken: each character's first ref, the place, the look, before a second angle
    assert bfl.references(bfl.task()) == [files["keeper_face"], files["mara_face"], files["lamp_room"],
                                          files["storm_look"]]


@pytest.mark.parametrize("model", ["flux-pro-1.1", "flux-dev"])
def test_flux1_sends_no_references_and_cites_none(tmp_path: Path, fakes: Any, model: str) -> None:
    (bfl,) = fakes(FakeBFL(steps=1))
    root, _ = refs_film(tmp_path, model)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    (create,) = bfl.calls("create")
    assert create.path == f"/v1/{model}"
    assert not [k for k in create.body if k.startswith("input_image")]
    assert "image 1" not in create.body["prompt"].lower()
    assert "white beard" in create.body["prompt"]  # the verbatim description only


@pytest.mark.parametrize("options, where", [
    ("{model: flux-2-pro}", "model"),  # the first provider, Freepik, serves FLUX.1 only
    ("{provider: fal, model: flux-2-klein-4b}", "model"),
    ("{provider: freepik, model: flux-pro-1.1-ultra}", "model"),
])
def test_a_model_its_provider_does_not_serve_is_refused_where_it_is_chosen(tmp_path: Path, options: str,
                                                                         where: str) -> None:
    from tests.conftest import run_cli

    root, _ = refs_film(tmp_path, "flux-dev")
    text = (root / "film.yaml").read_text(encoding="utf-8").replace("{provider: bfl, model: flux-dev}", options)
    (root / "film.yaml").write_text(text, encoding="utf-8")
    res = run_cli(["validate", str(root)])
    assert res.exit_code == 1
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines, 1) if "targets:" in line)
    col = lines[row - 1].index("model:", lines[row - 1].index("flux:")) + len("model: ") + 1  # at the value
    assert f"film.yaml:{row}:{col}: error[C535]" in res.stderr, res.stderr
    if "flux-2" in options:
        assert "provider: bfl" in res.stderr  # the hint names the provider that serves it


def test_a_shot_may_pick_a_served_model_and_provider(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    root, _ = refs_film(tmp_path, "flux-dev")
    text = (root / "film.yaml").read_text(encoding="utf-8").replace("{provider: bfl, model: flux-dev}", "{}")
    text = text.replace("location: lamp,", "location: lamp, generate: {flux: {provider: bfl, model: flux-2-max}},")
    (root / "film.yaml").write_text(text, encoding="utf-8")
    assert run_cli(["validate", str(root)]).exit_code == 0
    text = text.replace("provider: bfl, model: flux-2-max", "model: flux-2-max")
    (root / "film.yaml").write_text(text, encoding="utf-8")
    res = run_cli(["validate", str(root)])
    assert res.exit_code == 1 and "error[C535] /shots/0/generate/flux/model" in res.stderr  # where it was chosen


def test_a_reference_changed_after_the_build_is_not_sent(tmp_path: Path, fakes: Any) -> None:
    """The request carries each reference's content hash: an image rewritten between the compile and the send is
    refused for that job (it would be paid for as the request it was not), and the next run sends the new one."""
    import io

    from compiler.jobs.progress import PlainReporter
    from compiler.jobs.run import prepare_run, pricing, run_prepared
    from compiler.jobs.runner import RunOptions

    (bfl,) = fakes(FakeBFL(steps=1))
    root, _ = refs_film(tmp_path, "flux-2-pro")
    prep = prepare_run(root)
    new = png(root / "refs" / "keeper_face.png", "purple")  # rewritten after the compile
    result = run_prepared(prep, RunOptions(takes=1), PlainReporter(io.StringIO()), price=pricing(prep))
    assert bfl.create_count == 0
    (outcome,) = result.outcomes.values()
    assert outcome.state == "skipped" and "refs/keeper_face.png changed after the build" in (outcome.reason or "")
    res = run(root)  # builds again: the new bytes go
    assert res.exit_code == 0, res.stderr
    assert bfl.references(bfl.task())[0] == new
