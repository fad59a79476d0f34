"""`filmc stats` reads the ledger with the runner's model: the same attempts, states and warnings as `filmc takes`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.store.ledger import LEDGER, Ledger, read_events, replay

from ..conftest import run_cli
from .test_stats import Ledger as Writer
from .test_stats import film, sample, stats_json


def warnings(folder: Path, command: str) -> list[tuple[str, int | None]]:
    r = run_cli([command, "film.yaml", "--format", "json"], cwd=folder)
    assert r.exit_code == 0, r.stderr
    return sorted((w["code"], w.get("line")) for w in r.json()["warnings"])  # type: ignore[index]


def test_stats_warns_about_the_ledger_as_takes_does(tmp_path: Path) -> None:
    folder = film(tmp_path)
    led = sample(folder)
    full = stats_json(folder)
    lines = led.path.read_text().count("\n")
    # an intent whose take number is not a number: takes leaves it out with C526, and so does stats
    led.write(ev="intent", t=led.t, attempt="x" * 32, job="s01.clipper", shot="s01", target="clipper",
              provider="acme", hash="h", model="fast", take="three", estimate=0.1, prompt="p", params={})
    with open(led.path, "a", encoding="utf-8") as f:
        f.write('{"v": 1, "ev": "downl')  # a crash mid-write
    seen = warnings(folder, "stats")
    assert seen == warnings(folder, "takes")
    assert seen == [("C505", lines + 2), ("C526", lines + 1)]
    data = stats_json(folder)
    assert data["attempts"] == full["attempts"] and data["targets"] == full["targets"]
    assert data["skipped_lines"] == [lines + 1, lines + 2]


def test_an_unknown_outcome_sent_again_counts_as_failed(tmp_path: Path) -> None:
    folder = film(tmp_path)
    led = Writer(folder)
    a = led.attempt("clipper", "fast", "s01", 1, "unknown", reason="timeout after sending")
    led.write(ev="resolved", t=led.t, attempt=a, reason="outcome unknown; sent again on request")
    led.attempt("clipper", "fast", "s01", 2, "take")
    row = stats_json(folder)["targets"][0]
    # the runner counts it failed and sends the job again: stats shows the same
    assert (row["attempts"], row["produced"], row["failed"], row["unknown"], row["open"]) == (2, 1, 1, 0, 0)
    assert stats_json(folder)["failures"] == [{"reason": "outcome unknown; sent again on request", "count": 1}]


def test_the_providers_cost_replaces_the_estimate(tmp_path: Path) -> None:
    folder = film(tmp_path)
    led = Writer(folder)
    a = led.attempt("clipper", "fast", "s01", 1, "take", cost={"amount": 0.25, "currency": "USD", "source": "estimate"})
    led.write(ev="cost", t=led.t, attempt=a, amount=0.4, currency="usd", source="provider")
    led.attempt("clipper", "fast", "s01", 2, "take", cost={"amount": 0.25, "currency": "USD", "source": "estimate"})
    assert stats_json(folder)["spend"] == pytest.approx({"USD": 0.65})
    attempts = replay(read_events(folder / LEDGER))
    assert attempts[a].spend == pytest.approx({"USD": 0.4}) and attempts[a].produced


def test_events_of_newer_kinds_are_read_around_without_a_warning(tmp_path: Path) -> None:
    folder = film(tmp_path)
    led = sample(folder)
    full = stats_json(folder)
    led.write(ev="run-started", t=led.t, pid=123)  # a run-level event: no attempt id
    led.write(ev="budget", t=led.t, attempt="b" * 32, remaining=3)
    led.write(ev="failed", t=led.t, reason="no attempt id")  # a known kind without its attempt: C526
    for command in ("stats", "takes"):
        assert [code for code, _ in warnings(folder, command)] == ["C526"], command
    assert stats_json(folder)["attempts"] == full["attempts"]
    assert "b" * 32 not in replay(read_events(folder / LEDGER))


def test_the_runners_ledger_and_a_replay_agree_on_newer_kinds(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        ledger.record("intent", "a" * 32, job="s01.clipper", shot="s01", target="clipper", take=1)
        ledger.record("budget", "b" * 32, remaining=3)
        live = dict(ledger.attempts)
    assert list(live) == ["a" * 32]
    assert replay(read_events(tmp_path / LEDGER)) == live
    assert json.loads((tmp_path / LEDGER).read_text().splitlines()[1])["ev"] == "budget"
