"""`filmc run` against local fake providers: real HTTP over 127.0.0.1, the real httpx client, real files.

What must hold whatever the providers do: a create whose outcome is unknown is never resent without the creator's
word, the task id is recorded before polling, failed tasks are not retried in the same run, results land whole,
and no key ever reaches a file, the ledger or the output.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.store.ledger import LEDGER, read_events, replay
from tests.conftest import ROOT, run_cli
from tests.fakes import FakeFreepik, FakeRunway

SENTINEL = "sk-SENTINEL-7f3a9c2e5b81d4406e1f"


def film(tmp_path: Path, extra: str = "", shots: str | None = None) -> Path:
    """A small film: two shots, a first-frame image on mystic and a clip on kling, both through Freepik."""
    d = tmp_path / "film"
    d.mkdir()
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Test, aspect: \"16:9\"}\n"
        "song:\n  duration: 10\n  sections: [{id: a, start: 0}]\n"
        "characters:\n  mara: {name: Mara, description: a woman with short grey hair}\n"
        "targets: {image: [mystic], video: [kling]}\n"
        + (shots or
           "shots:\n"
           "  - {id: s01, section: a, size: WS, subject: waves on black sand, background_motion: spray drifts}\n"
           "  - {id: s02, section: a, size: MS, cast: [{id: mara, action: walks, motion: she walks to the sea}]}\n")
        + extra, encoding="utf-8")
    return d


@pytest.fixture
def freepik(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFreepik]:
    with FakeFreepik(steps=1, key=SENTINEL) as fake:
        for k, v in fake.env().items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("FILMC_POLL_INTERVAL", "0.01")
        yield fake


def events(root: Path) -> list[dict]:
    return list(read_events(root / LEDGER))


def attempts(root: Path) -> dict:
    return replay(read_events(root / LEDGER))


def no_secret_anywhere(root: Path, *texts: str) -> None:
    for t in texts:
        assert SENTINEL not in t
    for p in root.rglob("*"):
        if p.is_file():
            assert SENTINEL.encode() not in p.read_bytes(), p


def test_first_run_generates_every_take_and_the_second_sends_nothing(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    res = run_cli(["run", str(root), "--yes"])
    assert res.exit_code == 0, res.stderr
    assert freepik.create_count == 4
    lines = [x for x in res.stderr.splitlines() if x.startswith("s01.mystic: ")]  # sent, then the provider's word
    assert lines[:2] == ["s01.mystic: sending", "s01.mystic: sent (the provider has it)"], lines
    assert lines[-1].startswith("s01.mystic: done"), lines
    takes = sorted(p.relative_to(root).as_posix() for p in (root / "takes").rglob("*") if p.is_file())
    assert takes == ["takes/s01/kling/1.mp4", "takes/s01/mystic/1.png", "takes/s02/kling/1.mp4",
                     "takes/s02/mystic/1.png"]
    # the bytes on disk are what the provider served, and the ledger says so
    for a in attempts(root).values():
        data = (root / a.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == a.sha256 and len(data) == a.bytes
        assert a.qc_ok is True
    # order of records per attempt: intent, then the task id, then status/result, then the file
    seen: dict[str, list[str]] = {}
    for e in events(root):
        seen.setdefault(e["attempt"], []).append(e["ev"])
    for evs in seen.values():
        assert evs[0] == "intent" and evs[1] == "submitted" and "downloaded" in evs
        assert evs.index("result") < evs.index("downloaded")
    # the video jobs got their shot's image as the first frame, inline (the fake's URLs are not https)
    for call in freepik.calls("create"):
        if "kling" in call.path:
            assert call.body["image"] and not call.body["image"].startswith("@job:")
    again = run_cli(["run", str(root), "--yes"])
    assert again.exit_code == 0 and freepik.create_count == 4
    assert "nothing to send" in again.stderr
    no_secret_anywhere(root, res.stdout, res.stderr, again.stderr)


def test_dry_run_and_no_terminal_send_nothing(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    dry = run_cli(["run", str(root), "--dry-run"])
    assert dry.exit_code == 0 and "4 creates to send" in dry.stdout and "about 0.20 EUR" in dry.stdout
    assert "s01.mystic" in dry.stdout and "creates to send" not in dry.stderr  # the listing asked for is output
    refused = run_cli(["run", str(root)])  # not a terminal, no --yes
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert freepik.create_count == 0 and not (root / LEDGER).exists()


def test_a_missing_key_is_named_before_anything_is_sent(tmp_path: Path, freepik: FakeFreepik,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FREEPIK_API_KEY")
    res = run_cli(["run", str(film(tmp_path)), "--yes"])
    assert res.exit_code == 1 and "FREEPIK_API_KEY" in res.stderr
    assert freepik.requests == []


def test_rate_limits_are_waited_out_and_sent_once(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    freepik.fault("create", error="rate_limit", retry_after=0.05, times=3)
    res = run_cli(["run", str(root), "--yes", "--target", "mystic"])
    assert res.exit_code == 0, res.stderr
    assert freepik.create_count == 2 and len(freepik.calls("create")) == 5


@pytest.mark.parametrize("fault", [
    {"timeout": True, "delay": 3.0},         # the task was made, the answer came too late
    {"status": 500, "record": True},         # an undocumented server error after the task was made
    {"malformed": True},                     # an unreadable answer
])
def test_a_create_of_unknown_outcome_is_never_resent(tmp_path: Path, freepik: FakeFreepik,
                                                     monkeypatch: pytest.MonkeyPatch, fault: dict) -> None:
    monkeypatch.setenv("FILMC_HTTP_TIMEOUT", "1")
    root = film(tmp_path)
    freepik.fault("create", **fault, match=lambda r: "waves" in json.dumps(r.json))  # s01's image
    res = run_cli(["run", str(root), "--yes", "--target", "mystic"])
    assert res.exit_code == 1
    assert "s01.mystic: unknown" in res.stderr
    made = freepik.create_count
    assert made == 2  # both images exist at the provider, one of them unknown to us
    again = run_cli(["run", str(root), "--yes", "--target", "mystic"])
    assert again.exit_code == 1 and freepik.create_count == made  # not resent
    assert "--resubmit-unknown" in again.stderr
    forced = run_cli(["run", str(root), "--yes", "--target", "mystic", "--resubmit-unknown"])
    assert forced.exit_code == 0, forced.stderr
    assert freepik.create_count == made + 1


def test_a_refused_key_stops_the_provider_and_is_never_shown(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    freepik.fault("create", error="auth", times=None)
    res = run_cli(["run", str(root), "--yes", "--concurrency", "1"])
    assert res.exit_code == 1
    assert len(freepik.calls("create")) == 1  # the first refusal stops the others
    assert "refused" in res.stderr
    no_secret_anywhere(root, res.stdout, res.stderr)


def test_a_failed_task_is_recorded_and_retried_only_by_the_next_run(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    freepik.fault("poll", outcome="failed", reason="content policy", times=1)
    res = run_cli(["run", str(root), "--yes", "--target", "mystic", "--select", "s01"])
    assert res.exit_code == 1 and "s01.mystic: failed: FAILED" in res.stderr  # Freepik gives no reason
    assert freepik.create_count == 1
    (failed,) = attempts(root).values()
    assert failed.state == "failed" and failed.definitive and failed.stage == "poll"
    again = run_cli(["run", str(root), "--yes", "--target", "mystic", "--select", "s01"])
    assert again.exit_code == 0 and freepik.create_count == 2
    assert (root / "takes/s01/mystic/2.png").is_file()  # numbers are never reused


def test_cut_short_and_expired_downloads_are_fetched_again(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    freepik.fault("download", truncate=True, times=1)
    freepik.expire_urls(after_uses=1)
    res = run_cli(["run", str(root), "--yes", "--target", "mystic", "--select", "s01"])
    assert res.exit_code == 0, res.stderr
    assert freepik.create_count == 1
    a = next(iter(attempts(root).values()))
    assert a.good and (root / a.path).stat().st_size == a.bytes
    assert not [p for p in (root / "takes").rglob("*") if ".part" in p.name]


def test_the_cost_cap_stops_sending(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    res = run_cli(["run", str(root), "--yes", "--target", "mystic", "--max-cost", "0.15", "--concurrency", "1"])
    assert res.exit_code == 1
    assert freepik.create_count == 1 and "cost cap" in res.stderr


def test_names_never_reach_a_model(tmp_path: Path, freepik: FakeFreepik) -> None:
    shots = ("shots:\n"
             "  - {id: s01, section: a, subject: a boat named Mara, background_motion: swell}\n"
             "  - {id: s02, section: a, subject: a sign that reads Mara, background_motion: rain, allow_names: true}\n")
    root = film(tmp_path, shots=shots)
    res = run_cli(["run", str(root), "--yes", "--target", "mystic"])
    assert "not sent: s01.mystic" in res.stderr and "'Mara'" in res.stderr
    assert freepik.create_count == 1
    assert all("s01" not in str(c.body) and "boat" not in str(c.body) for c in freepik.calls("create"))
    # the shot that allows names gets no name warning; the other its V270, where the name is written
    found = [(d["code"], d["pointer"]) for d in run_cli(["lint", "--format", "json", str(root)]).json()["diagnostics"]
             if d["code"] in ("V270", "P401")]
    assert found == [("V270", "/shots/0/subject")], found


def test_a_name_in_a_later_extend_segment_is_not_sent(tmp_path: Path, freepik: FakeFreepik) -> None:
    shots = ("shots:\n"
             "  - id: s01\n    section: a\n    duration: 10\n    cast: [{id: mara, action: walks, motion: walks on}]\n"
             "    extend: [{motion: Mara turns to the sea}]\n")
    root = film(tmp_path, shots=shots)
    lint = run_cli(["lint", str(root)])
    assert "/shots/0/extend/0/motion: the name 'Mara' appears in prompt text" in lint.stderr + lint.stdout
    res = run_cli(["run", str(root), "--yes", "--target", "kling", "--dry-run"])
    assert "not sent" in res.stderr and "'Mara'" in res.stderr, res.stderr
    assert freepik.create_count == 0


def test_runway_takes_the_first_frame_and_its_throttled_queue(tmp_path: Path, freepik: FakeFreepik,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = film(tmp_path, extra="")
    text = (root / "film.yaml").read_text().replace("video: [kling]", "video: [runway]")
    (root / "film.yaml").write_text(text)
    with FakeRunway(steps=2, key=SENTINEL) as runway:
        for k, v in runway.env().items():
            monkeypatch.setenv(k, v)
        res = run_cli(["run", str(root), "--yes", "--select", "s01"])
        assert res.exit_code == 0, res.stderr
        (create,) = runway.calls("create")
        assert create.body["promptImage"].startswith("data:image/png;base64,")
        assert (root / "takes/s01/runway/1.mp4").is_file()
    no_secret_anywhere(root, res.stdout, res.stderr)


def test_the_example_film_runs_against_the_fakes(tmp_path: Path, freepik: FakeFreepik,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "lighthouse"
    shutil.copytree(ROOT / "specs" / "lighthouse-keeper", root, ignore=shutil.ignore_patterns("build", ".filmc",
                                                                                             "takes"))
    with FakeRunway(steps=1) as runway:
        for k, v in runway.env().items():
            monkeypatch.setenv(k, v)
        res = run_cli(["run", str(root), "--yes", "--select", "section:intro"])
        assert res.exit_code == 0, res.stderr
    made = freepik.create_count + runway.create_count
    stats = run_cli(["stats", str(root), "--format", "json"])
    assert stats.exit_code == 0
    data = json.loads(stats.stdout)
    assert data["attempts"] == data["produced"] == made > 0
    assert set(data["spend"]) == {"EUR", "USD"}  # mystic is priced in EUR, runway in USD: never mixed


def test_a_damaged_ledger_does_not_stop_a_run(tmp_path: Path, freepik: FakeFreepik) -> None:
    """A line cut short by a crash, garbage, and an event whose fields were edited by hand are read around."""
    root = film(tmp_path)
    assert run_cli(["run", str(root), "--yes", "--target", "mystic", "--select", "s01"]).exit_code == 0
    ledger = root / LEDGER
    ledger.write_text(ledger.read_text() + '{"v": 1, "ev": "intent", "attempt": "x", "take": "three"}\n'
                      + "not json at all\n" + '{"v": 1, "ev": "subm', encoding="utf-8")
    res = run_cli(["run", str(root), "--yes", "--target", "mystic"])
    assert res.exit_code == 0, res.stderr
    assert freepik.create_count == 2  # s01 was not made again; s02 was


def test_a_cap_never_lets_an_unpriced_job_through(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)  # kling through Freepik has no known price
    dry = run_cli(["run", str(root), "--dry-run", "--max-cost", "5"])
    assert "s01.kling: not sent under --max-cost: no known price" in dry.stdout
    assert "s01.mystic  freepik /v1/ai/mystic (realism)  0.10 EUR" in dry.stdout
    assert "2 creates to send" in dry.stdout and "costs about 0.20 EUR" in dry.stdout
    res = run_cli(["run", str(root), "--yes", "--max-cost", "5"])
    assert res.exit_code == 1
    assert all("kling" not in c.path for c in freepik.calls("create")) and freepik.create_count == 2
    assert "s01.kling: stopped: no known price" in res.stderr
    uncapped = run_cli(["run", str(root), "--yes"])
    assert uncapped.exit_code == 0
    assert "(2 creates sent); spent an unknown amount (2 generations of unknown price)" in uncapped.stderr


def test_the_dry_run_under_a_cap_sends_what_the_run_sends(tmp_path: Path, freepik: FakeFreepik) -> None:
    shots = "shots:\n" + "".join(f"  - {{id: s0{i}, section: a, subject: wave number {i}, background_motion: spray}}\n"
                                  for i in range(1, 6))
    root = film(tmp_path, shots=shots)  # five images at 0.10 EUR, five clips of unknown price
    dry = run_cli(["run", str(root), "--dry-run", "--target", "mystic", "--max-cost", "0.25"])
    assert dry.exit_code == 0, dry.stderr
    assert "2 creates to send" in dry.stdout and "costs about 0.20 EUR" in dry.stdout
    assert [ln.strip() for ln in dry.stdout.splitlines() if "not sent under --max-cost" in ln] == [
        f"s0{i}.mystic: not sent under --max-cost: the cost cap (0.25 EUR) would be passed" for i in (3, 4, 5)]
    res = run_cli(["run", str(root), "--yes", "--target", "mystic", "--max-cost", "0.25", "--concurrency", "1"])
    assert freepik.create_count == 2 and "cost cap" in res.stderr


def test_extend_segments_chain_from_the_last_frame_of_the_segment_before(tmp_path: Path, freepik: FakeFreepik) -> None:
    shots = "shots:\n  - {id: s01, section: a, subject: a long wave, background_motion: spray, extend: true}\n"
    root = film(tmp_path, shots=shots)
    text = (root / "film.yaml").read_text()
    (root / "film.yaml").write_text(text.replace("  duration: 10\n", "  duration: 16\n", 1))  # longer than kling's 10 s
    res = run_cli(["run", str(root), "--yes"])
    assert res.exit_code == 0, res.stderr
    creates = [c for c in freepik.calls("create") if "kling" in c.path]
    assert len(creates) == 2
    first, second = creates
    assert first.body["image"] != second.body["image"]  # the second starts where the first ended, not on the image
    import base64

    png = base64.b64decode(second.body["image"])
    assert png.startswith(b"\x89PNG")  # the last frame of segment 1, extracted with ffmpeg
    assert (root / "takes/s01/kling/1.mp4").is_file() and (root / "takes/s01/kling/2.mp4").is_file()


def test_a_task_left_running_is_collected_never_sent_again(tmp_path: Path, freepik: FakeFreepik) -> None:
    """Polling that gives up (a refused poll, a provider still busy) leaves the task open: the next run collects it
    and sends nothing new, even though the job has no take yet."""
    root = film(tmp_path)
    freepik.fault("poll", error="auth", times=1)
    res = run_cli(["run", str(root), "--yes", "--target", "mystic", "--select", "s01"])
    assert res.exit_code == 1 and "s01.mystic: waiting" in res.stderr
    freepik.fault("poll", error="auth", times=1)
    again = run_cli(["run", str(root), "--select", "s01", "--target", "mystic"])  # no --yes: nothing to confirm
    assert again.exit_code == 1 and freepik.create_count == 1
    last = run_cli(["run", str(root), "--select", "s01", "--target", "mystic"])
    assert last.exit_code == 0, last.stderr
    assert freepik.create_count == 1 and (root / "takes/s01/mystic/1.png").is_file()


def test_a_download_that_keeps_failing_is_fetched_by_the_next_run(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    freepik.fault("download", status=503, times=None)
    res = run_cli(["run", str(root), "--yes", "--target", "mystic", "--select", "s01"])
    assert res.exit_code == 1 and "download failed" in res.stderr
    freepik.clear_faults()
    again = run_cli(["run", str(root), "--target", "mystic", "--select", "s01"])
    assert again.exit_code == 0, again.stderr
    assert freepik.create_count == 1 and (root / "takes/s01/mystic/1.png").is_file()


def test_resubmit_unknown_after_a_killed_create_sends_it_in_the_same_run(tmp_path: Path,
                                                                        freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    ledger = root / LEDGER
    ledger.parent.mkdir(parents=True)
    jobs = run_cli(["run", str(root), "--dry-run", "--target", "mystic", "--select", "s01"])
    assert jobs.exit_code == 0
    from compiler.jobs.run import prepare_run

    job = next(j for j in prepare_run(root, targets=["mystic"]).jobs if j["job"] == "s01.mystic")
    ledger.write_text(json.dumps({"v": 1, "ev": "intent", "t": 1.0, "attempt": "a" * 32, "job": "s01.mystic",
                                  "shot": "s01", "target": "mystic", "provider": "freepik", "hash": job["hash"],
                                  "take": 1}) + "\n")  # a run killed while its create was in the air
    blocked = run_cli(["run", str(root), "--yes", "--target", "mystic", "--select", "s01"])
    assert blocked.exit_code == 1 and freepik.create_count == 0
    res = run_cli(["run", str(root), "--yes", "--target", "mystic", "--select", "s01", "--resubmit-unknown"])
    assert res.exit_code == 0, res.stderr
    assert freepik.create_count == 1 and (root / "takes/s01/mystic/2.png").is_file()


def test_a_retry_after_of_hours_is_not_waited_for(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    freepik.fault("create", error="rate_limit", retry_after=86400, times=None)
    res = run_cli(["run", str(root), "--yes", "--target", "mystic", "--select", "s01"])
    assert res.exit_code == 1 and "asks to wait 86400 s" in res.stderr
    assert freepik.create_count == 0
