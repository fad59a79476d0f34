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
    monkeypatch.setenv("FILMC_HTTP_TIMEOUT", "1")
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
