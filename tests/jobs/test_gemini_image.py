"""The gemini-image target end to end: `filmc run` with the real google-genai client against a fake Gemini API on
127.0.0.1 (tests/fakes/gemini_image.py): the request as sent, the image the answer carried saved as a take, and what
each failure means for money."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.gemini_image import FakeGeminiImage
from tests.jobs.test_providers import SENTINEL, attempts, events, fakes, film, no_secret_anywhere, run, takes

__all__ = ["fakes"]  # the fixture, shared with the other providers' tests


def prompt_of(root: Path) -> str:
    """The compiled prompt, as the ledger's intent event recorded the job's body."""
    (intent,) = [e for e in events(root) if e["ev"] == "intent"]
    return str(intent["params"]["parts"][0]["text"])


def test_a_run_saves_the_image_of_the_answer_as_a_take(tmp_path: Path, fakes: Any) -> None:
    (g,) = fakes(FakeGeminiImage(key=SENTINEL))
    root = film(tmp_path, "gemini-image", None, "gemini-image: {model: gemini-3-pro-image-preview, image_size: 2K}")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert takes(root) == ["takes/s01/gemini-image/1.png"]
    (a,) = attempts(root).values()
    task = g.task()
    data = (root / a.path).read_bytes()
    assert data == g.result_bytes(task) and data.startswith(b"\x89PNG")  # the inlineData bytes, whole
    assert a.sha256 == hashlib.sha256(data).hexdigest() and a.qc_ok is True
    assert a.task_id == task.id  # the answer's responseId
    assert a.prompt == prompt_of(root) and "waves on black sand" in a.prompt
    # the request exactly: the prompt as the one text part, image output, the film's aspect and the size asked
    (create,) = g.calls("create")
    assert create.path == "/v1beta/models/gemini-3-pro-image-preview:generateContent"
    assert create.headers["x-goog-api-key"] == "<redacted>"
    assert create.body["contents"] == [{"role": "user", "parts": [{"text": prompt_of(root)}]}]
    assert create.body["generationConfig"]["responseModalities"] == ["IMAGE"]
    assert create.body["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
    # the answer's token usage is in the ledger, with the submitted task
    (sub,) = [e for e in events(root) if e["ev"] == "submitted"]
    assert sub["extra"]["usage"]["output_tokens"] == FakeGeminiImage.image_tokens
    assert g.create_count == 1 and not g.calls("poll") and not g.calls("download")  # nothing else was asked
    no_secret_anywhere(root, res, SENTINEL)


def test_flash_image_sends_no_size(tmp_path: Path, fakes: Any) -> None:
    (g,) = fakes(FakeGeminiImage())
    root = film(tmp_path, "gemini-image", None, "gemini-image: {image_size: 4K}")  # the default model: 1K only
    res = run(root)
    assert res.exit_code == 0, res.stderr
    (create,) = g.calls("create")
    assert create.path == "/v1beta/models/gemini-2.5-flash-image:generateContent"
    assert create.body["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9"}


def test_a_server_error_leaves_the_create_unknown_and_never_sends_it_again(tmp_path: Path, fakes: Any) -> None:
    (g,) = fakes(FakeGeminiImage())
    g.fault("create", 500, record=True, times=None)  # the image may have been made (and billed)
    root = film(tmp_path, "gemini-image", None)
    res = run(root)
    assert res.exit_code == 1 and "unknown" in res.stderr
    assert len(g.calls("create")) == 1  # the SDK did not retry on its own, nor did filmc
    (a,) = attempts(root).values()
    assert a.state == "unknown"
    res = run(root)  # a second run does not send it again either
    assert res.exit_code == 1 and "unknown" in res.stderr
    assert len(g.calls("create")) == 1 and g.create_count == 1
    g.clear_faults()
    res = run(root, "--resubmit-unknown")  # the creator's word
    assert res.exit_code == 0, res.stderr
    assert takes(root) == ["takes/s01/gemini-image/2.png"] and g.create_count == 2  # take 1 was the unknown one


def test_a_create_without_an_answer_in_time_is_unknown(tmp_path: Path, fakes: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILMC_GEMINI_IMAGE_TIMEOUT", "1")
    (g,) = fakes(FakeGeminiImage())
    g.fault("create", timeout=True, delay=3.0)  # made, its answer after the client gave up
    root = film(tmp_path, "gemini-image", None)
    res = run(root)
    assert res.exit_code == 1 and "unknown" in res.stderr
    assert g.create_count == 1 and [a.state for a in attempts(root).values()] == ["unknown"]


def test_rate_limited_waits_the_delay_asked_and_sends_again(tmp_path: Path, fakes: Any) -> None:
    (g,) = fakes(FakeGeminiImage())
    g.fault("create", error="rate_limit", retry_after=0.05)  # 429 RESOURCE_EXHAUSTED with RetryInfo: nothing made
    root = film(tmp_path, "gemini-image", None)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert [c.status for c in g.calls("create")] == [429, 200] and g.create_count == 1
    assert takes(root) == ["takes/s01/gemini-image/1.png"]


def test_a_refused_request_is_not_created(tmp_path: Path, fakes: Any) -> None:
    (g,) = fakes(FakeGeminiImage())
    g.fault("create", 400, reason="Request contains an invalid argument.")
    root = film(tmp_path, "gemini-image", None)
    res = run(root)
    assert res.exit_code == 1 and "invalid argument" in res.stderr
    (a,) = attempts(root).values()
    assert a.state == "failed" and a.billed is False and a.stage == "create"
    assert len(g.calls("create")) == 1


@pytest.mark.parametrize("how, word", [("moderated", "IMAGE_SAFETY"), ("block", "PROHIBITED_CONTENT"),
                                       ("failed", "NO_IMAGE")])
def test_a_refused_image_fails_the_job_with_its_reason(tmp_path: Path, fakes: Any, how: str, word: str) -> None:
    (g,) = fakes(FakeGeminiImage())
    if how == "block":
        g.block = word
    else:
        g.outcome = how
    root = film(tmp_path, "gemini-image", None)
    res = run(root)
    assert res.exit_code == 1
    assert "s01.gemini-image: failed" in res.stderr and word in res.stderr
    (a,) = attempts(root).values()
    assert a.state == "failed" and a.definitive and a.path is None
    assert takes(root) == [] and g.create_count == 1
    res = run(root)  # failed by the model, not by filmc: a new run makes a new attempt
    assert g.create_count == 2


def png(path: Path, color: str) -> bytes:
    import subprocess

    import imageio_ffmpeg

    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c={color}:s=64x64",
                    "-frames:v", "1", "-y", str(path)], check=True, capture_output=True, timeout=60)
    return path.read_bytes()


def refs_film(tmp_path: Path, model: str) -> tuple[Path, dict[str, bytes]]:
    d = tmp_path / "film"
    d.mkdir()
    files = {name: png(d / "refs" / f"{name}.png", color)
             for name, color in (("keeper_face", "red"), ("keeper_full", "orange"), ("lamp_room", "green"),
                                 ("storm_look", "gray"))}
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Refs, aspect: \"9:16\"}\n"
        "song:\n  duration: 6\n  sections: [{id: a, start: 0, world: storm}]\n"
        "concept:\n  style: [35mm film]\n  worlds:\n    storm: {style: [rain-lashed], refs: [refs/storm_look.png]}\n"
        "characters:\n"
        "  keeper: {description: an old man with a white beard, short: old keeper, pronoun: he,\n"
        "           refs: [refs/keeper_face.png, refs/keeper_full.png]}\n"
        "locations:\n  lamp: {description: a cramped circular lamp room, refs: [refs/lamp_room.png]}\n"
        f"targets: {{image: [gemini-image], video: [], options: {{gemini-image: {{model: {model}}}}}}}\n"
        "shots:\n  - {id: s01, section: a, size: MS, location: lamp, cast: [{id: keeper, action: trims the wick}]}\n",
        encoding="utf-8")
    return d, files


def test_references_go_as_image_parts_with_the_files_bytes_and_the_prompt_cites_them(tmp_path: Path,
                                                                                   fakes: Any) -> None:
    (g,) = fakes(FakeGeminiImage())
    root, files = refs_film(tmp_path, "gemini-3-pro-image-preview")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert takes(root) == ["takes/s01/gemini-image/1.png"]
    (create,) = g.calls("create")
    parts = create.body["contents"][0]["parts"]
    assert list(parts[0]) == ["text"] and all(list(p) == ["inlineData"] for p in parts[1:])
    # the character's refs first, then the place, then the look, each the file's own bytes, as PNG
    assert g.inline_images(create.body) == [files["keeper_face"], files["keeper_full"], files["lamp_room"],
                                            files["storm_look"]]
    # the mime type as google-genai spells it (mime_type; the API reads mimeType too)
    assert {p["inlineData"].get("mimeType") or p["inlineData"].get("mime_type") for p in parts[1:]} == {"image/png"}
    text = parts[0]["text"]
    assert text == prompt_of(root)
    for n in range(1, 5):
        assert f"image {n}" in text.lower()
    assert text.lower().index("image 1") < text.lower().index("old keeper")  # the citations open the paragraph
    assert create.body["generationConfig"]["imageConfig"] == {"aspectRatio": "9:16"}  # no size asked: 1K


def test_flash_image_takes_three_references(tmp_path: Path, fakes: Any) -> None:
    (g,) = fakes(FakeGeminiImage())
    root, files = refs_film(tmp_path, "gemini-2.5-flash-image")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    (create,) = g.calls("create")
    # four candidates, three taken: every face first, then the place, then the look (trimmed with a warning)
    assert g.inline_images(create.body) == [files["keeper_face"], files["lamp_room"], files["storm_look"]]


def test_the_general_time_out_never_cuts_an_image_short() -> None:
    from compiler.jobs.providers.genai_image import CREATE_TIMEOUT_S, _timeout

    assert _timeout({"FILMC_HTTP_TIMEOUT": "30"}) == CREATE_TIMEOUT_S
    assert _timeout({"FILMC_HTTP_TIMEOUT": "900"}) == 900
    assert _timeout({"FILMC_GEMINI_IMAGE_TIMEOUT": "20", "FILMC_HTTP_TIMEOUT": "900"}) == 20
