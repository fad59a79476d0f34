"""`python -m tests.fakes <provider>` serves a fake by hand until Ctrl-C (a real subprocess and signals)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes_selftest import new_client

ROOT = Path(__file__).resolve().parents[2]


def serve(*args: str, lines: int = 2) -> tuple[subprocess.Popen, str, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    base = proc.stdout.readline().strip()
    exports = [proc.stdout.readline().strip() for _ in range(lines)]
    return proc, base, exports


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serves_until_interrupted(sig):
    proc, base, exports = serve("freepik", "--steps", "0", "--key", "k1")
    try:
        assert base.startswith("http://127.0.0.1:")
        assert exports == [f"export FILMC_FREEPIK_BASE_URL={base}", "export FREEPIK_API_KEY=k1"]
        with new_client(headers={"x-freepik-api-key": "k1"}) as c:
            tid = c.post(f"{base}/v1/ai/mystic", json={"prompt": "x"}).json()["data"]["task_id"]
            assert c.get(f"{base}/v1/ai/mystic/{tid}").json()["data"]["status"] == "COMPLETED"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "2 requests, 1 tasks created" in err


def test_kling_by_hand_prints_both_keys():
    proc, base, exports = serve("kling", "--key", "ak", "--secret", "sk", "--outcome", "failed", lines=3)
    try:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert base.startswith("http://127.0.0.1:")
    assert exports == [f"export FILMC_KLING_BASE_URL={base}", "export KLING_ACCESS_KEY=ak",
                       "export KLING_SECRET_KEY=sk"]


def test_gemini_by_hand_answers_drafts(tmp_path: Path) -> None:
    """`python -m tests.fakes gemini`: filmc draft works against it as against Gemini (it drafts from the facts)."""
    import os
    import shutil

    proc, base, exports = serve("gemini", "--key", "gk-hand-key")
    try:
        assert exports == [f"export FILMC_GEMINI_BASE_URL={base}", "export GEMINI_API_KEY=gk-hand-key"]
        film = tmp_path / "film"
        shutil.copytree(ROOT / "specs" / "lighthouse-keeper", film)
        env = {**os.environ, "FILMC_GEMINI_BASE_URL": base, "GEMINI_API_KEY": "gk-hand-key", "NO_COLOR": "1"}
        env.pop("GOOGLE_API_KEY", None)
        filmc = Path(sys.executable).parent / "filmc"
        res = subprocess.run([str(filmc), "draft", "concept", str(film)], env=env, capture_output=True, text=True,
                             timeout=120)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("--- ") and "+  motifs:" not in res.stdout and "gk-hand-key" not in res.stdout + res.stderr
