"""`filmc stats`: numbers from real ledger files, robust to a crash mid-write and to newer event kinds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from ..conftest import run_cli
from .userfilm import user_film


class Ledger:
    """Writes .filmc/ledger.jsonl the way the runner does: one JSON object per line."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ".filmc" / "ledger.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.t = 1_700_000_000.0

    def write(self, **ev: object) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"v": 1, **ev}) + "\n")

    def attempt(self, target: str, model: str | None, shot: str, n: int, outcome: str, *, queue: float = 4.0,
                gen: float = 30.0, reason: str = "", cost: dict | None = None) -> str:
        a, t = uuid.uuid4().hex, self.t
        self.t += 1000
        self.write(ev="intent", t=t, attempt=a, job=f"{shot}.{target}", shot=shot, target=target, provider="acme",
                   hash="h", model=model, take=n, estimate=0.1, prompt="a prompt", params={})
        self.write(ev="submitted", t=t + 1, attempt=a, task_id="task", extra={})
        self.write(ev="status", t=t + 2, attempt=a, status="QUEUED", state="queued")
        self.write(ev="status", t=t + queue, attempt=a, status="RUNNING", state="running")
        self.write(ev="status", t=t + queue + 1, attempt=a, status="RUNNING", state="running")
        if outcome == "take":
            self.write(ev="result", t=t + 1 + gen, attempt=a, urls=["https://acme.example/r"])
            self.write(ev="downloaded", t=t + 2 + gen, attempt=a, path=f"takes/{shot}/{target}/{n}.mp4", bytes=10,
                       sha256="0" * 64, content_type="video/mp4")
        elif outcome in ("failed", "unknown", "cancelled"):
            self.write(ev=outcome, t=t + 5, attempt=a, reason=reason, billed=False, definitive=True, stage="poll")
        if cost:
            self.write(ev="cost", t=t + 3 + gen, attempt=a, **cost)
        return a


def film(tmp_path: Path) -> Path:
    folder = user_film(tmp_path)
    text = (folder / "film.yaml").read_text()
    text = text.replace("  - id: s01\n", "  - id: s01\n    take: takes/s01/clipper/2.mp4\n")
    text = text.replace("  - id: s03\n", "  - id: s03\n    take: ./takes/s03/stills/1.mp4\n")
    (folder / "film.yaml").write_text(text)
    return folder


def sample(folder: Path) -> Ledger:
    led = Ledger(folder)
    usd = {"usd": 0.25, "source": "estimate"}
    led.attempt("clipper", "fast", "s01", 1, "take", gen=20, queue=2, cost=usd)
    led.attempt("clipper", "fast", "s01", 2, "take", gen=40, queue=6, cost=usd)
    a = led.attempt("clipper", "fast", "s02", 1, "take", gen=90, queue=10, cost=usd)
    led.write(ev="cost", t=led.t, attempt=a, usd=0.30, source="provider")  # the provider's figure wins
    led.attempt("clipper", "fast", "s02", 2, "failed", reason="moderated")
    led.attempt("clipper", "fast", "s04", 1, "failed", reason="moderated")
    led.attempt("clipper", "best-2", "s03", 1, "failed", reason="HTTP 500")
    led.attempt("clipper", "best-2", "s03", 2, "unknown", reason="timeout after sending")
    led.attempt("clipper", "best-2", "s03", 3, "open")
    led.attempt("stills", None, "s03", 1, "take", gen=8, queue=1,
                cost={"amount": 0.04, "currency": "EUR", "source": "estimate"})
    led.attempt("stills", None, "s04", 1, "take", gen=12, queue=3,
                cost={"amount": 0.04, "currency": "EUR", "source": "estimate"})
    return led


def stats_json(folder: Path) -> dict:
    r = run_cli(["stats", "film.yaml", "--format", "json"], cwd=folder)
    assert r.exit_code == 0, r.stderr
    return r.json()


def test_counts_keep_rate_spend_and_times(tmp_path: Path) -> None:
    folder = film(tmp_path)
    sample(folder)
    data = stats_json(folder)
    rows = {(r["target"], r["model"]): r for r in data["targets"]}
    fast, best, stills = rows[("clipper", "fast")], rows[("clipper", "best-2")], rows[("stills", None)]
    assert (fast["attempts"], fast["produced"], fast["kept"], fast["failed"]) == (5, 3, 1, 2)
    assert (best["attempts"], best["produced"], best["failed"], best["unknown"], best["open"]) == (3, 0, 1, 1, 1)
    assert (stills["kind"], stills["produced"], stills["kept"]) == ("image", 2, 1)  # ./takes/... is the same path
    assert data["produced"] == 5 and data["kept"] == 2 and data["keep_rate"] == pytest.approx(2 / 5)
    assert data["produced_by_kind"] == {"image": 2, "video": 3}
    assert data["spend"] == pytest.approx({"USD": 0.25 + 0.25 + 0.30, "EUR": 0.08})  # never added across currencies
    times = {t["target"]: t for t in data["times"]}
    assert times["clipper"]["generation"] == {"count": 3, "median": 40.0, "total": 150.0}
    # queue: intent -> first running status (later running statuses do not move it)
    assert times["clipper"]["queue"]["median"] == 4.0 and times["clipper"]["queue"]["count"] == 8
    assert times["stills"]["generation"] == {"count": 2, "median": 10.0, "total": 20.0}
    assert data["failures"] == [{"reason": "moderated", "count": 2}, {"reason": "HTTP 500", "count": 1}]
    assert data["skipped_lines"] == [] and data["warnings"] == []


def test_markdown_making_of(tmp_path: Path) -> None:
    folder = film(tmp_path)
    sample(folder)
    r = run_cli(["stats", "film.yaml", "--format", "md"], cwd=folder)
    assert r.exit_code == 0, r.stderr
    assert "2 image + 3 video generations, 40 % kept, 0.08 EUR + 0.80 USD." in r.stdout
    assert "| clipper | fast | 3 | 1 | 2 | 0 | 0 | 0.80 USD |" in r.stdout
    assert "| moderated | 2 |" in r.stdout


def test_text_output(tmp_path: Path) -> None:
    folder = film(tmp_path)
    sample(folder)
    r = run_cli(["stats", "film.yaml"], cwd=folder)
    assert r.exit_code == 0 and r.stdout.startswith("2 image + 3 video generations, 40 % kept")
    assert "moderated" in r.stdout and "2 min 30 s" in r.stdout  # clipper: 20 + 40 + 90 s


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path: Path) -> None:
    folder = film(tmp_path)
    led = sample(folder)
    full = stats_json(folder)
    lines = led.path.read_text().count("\n")
    with open(led.path, "a", encoding="utf-8") as f:
        f.write('{"v": 1, "ev": "downloaded", "t": 1700009999.5, "attempt": "ab')  # killed mid-write
    r = run_cli(["stats", "film.yaml"], cwd=folder)
    assert r.exit_code == 0
    assert f".filmc/ledger.jsonl:{lines + 1}:1: warning[C505]" in r.stderr and "cut short" in r.stderr
    data = stats_json(folder)
    assert data["skipped_lines"] == [lines + 1] and data["warnings"][0]["code"] == "C505"
    assert {k: v for k, v in data.items() if k not in ("skipped_lines", "warnings")} == \
        {k: v for k, v in full.items() if k not in ("skipped_lines", "warnings")}


def test_newer_event_kinds_and_damaged_lines_are_skipped(tmp_path: Path) -> None:
    folder = film(tmp_path)
    led = sample(folder)
    full = stats_json(folder)
    led.write(ev="budget", t=led.t, attempt="x" * 32, remaining=3)  # a kind from a newer filmc
    led.write(ev="run-started", t=led.t, pid=123)  # no attempt at all
    with open(led.path, "a", encoding="utf-8") as f:
        f.write("not json at all\n[1, 2]\n\n")
        f.write(b"\xff\xfe bytes\n".decode("latin-1"))
    led.attempt("stills", None, "s01", 1, "take", gen=6, queue=1)  # lines after the damage still count
    data = stats_json(folder)
    assert len(data["skipped_lines"]) == 3 and {w["code"] for w in data["warnings"]} == {"C505"}
    assert data["produced"] == full["produced"] + 1 and data["attempts"] == full["attempts"] + 1


def test_events_with_odd_fields_do_not_crash(tmp_path: Path) -> None:
    folder = film(tmp_path)
    led = Ledger(folder)
    led.write(ev="intent", t="yesterday", attempt="a1", target=7, model=["m"])
    led.write(ev="submitted", t=None, attempt="a1")
    led.write(ev="result", t=True, attempt="a1")
    led.write(ev="downloaded", t=1.0, attempt="a1", path=None)
    led.write(ev="cost", t=1.0, attempt="a1", usd="lots")
    led.write(ev="failed", t=1.0, attempt=None, reason="no attempt id")
    data = stats_json(folder)
    assert data["attempts"] == 1 and data["produced"] == 0 and data["spend"] == {}


def test_no_ledger_yet(tmp_path: Path) -> None:
    folder = film(tmp_path)
    r = run_cli(["stats", "film.yaml"], cwd=folder)
    assert r.exit_code == 0 and "no generations recorded yet" in r.stdout
    data = stats_json(folder)
    assert data["attempts"] == 0 and data["keep_rate"] is None and data["targets"] == []
    assert "No generations recorded yet." in run_cli(["stats", "film.yaml", "--format", "md"], cwd=folder).stdout


def test_a_fifo_in_place_of_the_ledger_is_refused(tmp_path: Path) -> None:
    folder = film(tmp_path)
    (folder / ".filmc").mkdir()
    os.mkfifo(folder / ".filmc" / "ledger.jsonl")
    filmc = Path(sys.executable).parent / "filmc"
    r = subprocess.run([str(filmc), "stats", "film.yaml"], cwd=folder, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "NO_COLOR": "1"})
    assert r.returncode == 1 and "error[C506]" in r.stderr and "Traceback" not in r.stderr
