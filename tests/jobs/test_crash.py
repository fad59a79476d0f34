"""`filmc run` killed with SIGKILL at random moments, then resumed: nothing is paid twice, nothing is lost, and the
ledger replays to the same state whatever was cut short."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from compiler.store.ledger import LEDGER, read_events, replay
from tests.fakes import FakeFreepik

FILMC = str(Path(sys.executable).parent / "filmc")
SHOTS = 16


def make_film(root: Path) -> Path:
    root.mkdir()
    shots = "".join(f"  - {{id: s{i:02d}, section: a, subject: shot number {i} of the sea, "
                    f"background_motion: foam number {i}}}\n" for i in range(1, SHOTS + 1))
    (root / "film.yaml").write_text(
        "version: 1\nfilm: {title: Crash, aspect: \"16:9\"}\n"
        f"song: {{duration: {SHOTS * 5}, sections: [{{id: a, start: 0}}]}}\n"
        "targets: {image: [mystic], video: [kling]}\n"
        "shots:\n" + shots, encoding="utf-8")
    return root


def job_of(body: object) -> str:
    """Which shot (and so which job) a create was for: its prompt names the shot's number."""
    text = str(body)
    for i in range(SHOTS, 0, -1):
        if f"number {i} " in text or f"number {i}." in text or f"number {i}," in text:
            return f"s{i:02d}." + ("kling" if "image" in body else "mystic")  # type: ignore[operator]
    raise AssertionError(f"a create for no shot: {text[:200]}")


def test_killed_runs_resume_without_paying_twice(tmp_path: Path) -> None:
    root = make_film(tmp_path / "film")
    rng = random.Random(1234)
    with FakeFreepik(steps=3) as fake:
        fake.fault("poll", delay=0.05, times=None)  # a slow provider: the kills land at every stage
        fake.fault("create", delay=0.05, times=None)
        fake.fault("download", stall=0.1, times=None)
        env = {**os.environ, **fake.env(), "FILMC_POLL_INTERVAL": "0.02", "NO_COLOR": "1"}
        kills = 0
        ledger = root / LEDGER
        for _ in range(40):
            size = ledger.stat().st_size if ledger.exists() else 0
            proc = subprocess.Popen([FILMC, "run", str(root), "--yes", "--concurrency", "1"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while proc.poll() is None and time.monotonic() < deadline:  # the run is under way: it wrote an event
                if ledger.exists() and ledger.stat().st_size > size:
                    break
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.6))  # then a random moment: mid-create, mid-poll, mid-download, mid-write
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=60)
            if kills >= 12:
                break
        assert kills >= 10
        before = replay(read_events(root / LEDGER))
        # every create the provider saw belongs to an attempt the ledger knows, and no job was created twice
        per_job = Counter(job_of(t.body) for t in fake.tasks.values())
        assert max(per_job.values()) == 1, per_job
        assert len(fake.tasks) <= len(before)
        # the creator's word resends what is unknown; then every job has its take
        final = subprocess.run([FILMC, "run", str(root), "--yes", "--resubmit-unknown"], env=env,
                               capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
        after = replay(read_events(root / LEDGER))
        per_job = Counter(job_of(t.body) for t in fake.tasks.values())
        unknown_before = Counter(a.job for a in before.values() if a.state in ("intent", "unknown"))
        for job, n in per_job.items():
            assert n <= 1 + unknown_before[job], (job, n)  # a second create only where the first was unknown
    done = [a for a in after.values() if a.state == "downloaded"]
    assert {a.job for a in done} == {f"s{i:02d}.{t}" for i in range(1, SHOTS + 1) for t in ("mystic", "kling")}
    for a in done:
        data = (root / a.path).read_bytes()  # type: ignore[operator]
        assert hashlib.sha256(data).hexdigest() == a.sha256
    # replaying the ledger twice gives the same state, and no temp file survives
    assert replay(read_events(root / LEDGER)) == after
    assert not [p for p in (root / "takes").rglob("*") if ".part" in p.name]


def test_ctrl_c_and_sigterm_stop_cleanly_and_the_next_run_collects(tmp_path: Path) -> None:
    root = make_film(tmp_path / "film")
    with FakeFreepik(steps=4) as fake:
        fake.fault("poll", delay=0.1, times=None)
        env = {**os.environ, **fake.env(), "FILMC_POLL_INTERVAL": "0.05", "NO_COLOR": "1"}
        for sig in (signal.SIGINT, signal.SIGTERM):
            before = len(list(read_events(root / LEDGER)))
            proc = subprocess.Popen([FILMC, "run", str(root), "--yes", "--target", "mystic"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(e["ev"] == "submitted"
                                                          for e in list(read_events(root / LEDGER))[before:]):
                time.sleep(0.01)
            time.sleep(0.2)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 128 + sig, err  # stopped by a signal: 128 plus its number
            assert "Traceback" not in err
            assert f"tasks already sent are in {root / LEDGER}; 'filmc run {root}' again collects them" in err
        sent = fake.create_count
        open_tasks = [a for a in replay(read_events(root / LEDGER)).values() if a.state in ("submitted", "running")]
        assert open_tasks  # stopped while tasks were at the provider
        final = subprocess.run([FILMC, "run", str(root), "--yes", "--target", "mystic"], env=env,
                               capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
        # the open tasks were collected, not sent again: only the jobs never sent were created now
        assert fake.create_count == SHOTS
        assert sent + (SHOTS - sent) == fake.create_count
    assert not [p for p in (root / "takes").rglob("*") if ".part" in p.name]


def test_a_create_out_when_the_run_is_stopped_is_waited_for_and_collected_next_time(tmp_path: Path) -> None:
    """Ctrl-C or SIGTERM while a create is at the provider: the run waits for its answer (bounded) and records the
    task, so the next run collects it; nothing is of unknown outcome and nothing is sent twice."""
    root = make_film(tmp_path / "film")
    with FakeFreepik(steps=2) as fake:
        fake.fault("create", delay=1.5, times=None)  # every create takes a while to answer
        env = {**os.environ, **fake.env(), "FILMC_POLL_INTERVAL": "0.05", "NO_COLOR": "1"}
        for sig in (signal.SIGINT, signal.SIGTERM):
            code, err = _stop_during_create(root, env, [sig])
            assert code == 128 + sig, err
            assert "Traceback" not in err
        attempts = replay(read_events(root / LEDGER)).values()
        assert attempts and not [a for a in attempts if a.state in ("intent", "unknown")]
        assert all(a.task_id for a in attempts)
        final = subprocess.run([FILMC, "run", str(root), "--yes", "--target", "mystic"], env=env,
                               capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
        assert fake.create_count == SHOTS  # the two creates the stops waited for were collected, not sent again


def _stop_during_create(root: Path, env: dict[str, str], signals: list[signal.Signals]) -> tuple[int, str]:
    """`filmc run` on one target, stopped with `signals` (0.3 s apart) once its first create is out."""
    before = len(list(read_events(root / LEDGER)))
    proc = subprocess.Popen([FILMC, "run", str(root), "--yes", "--target", "mystic", "--concurrency", "1"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(e["ev"] == "intent"
                                                  for e in list(read_events(root / LEDGER))[before:]):
        time.sleep(0.01)
    for sig in signals:
        time.sleep(0.3)
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def test_stopped_twice_the_create_out_is_left_of_unknown_outcome_and_said_so(tmp_path: Path) -> None:
    root = make_film(tmp_path / "film")
    with FakeFreepik(steps=2) as fake:
        fake.fault("create", delay=5, times=None)
        env = {**os.environ, **fake.env(), "FILMC_POLL_INTERVAL": "0.05", "NO_COLOR": "1"}
        code, err = _stop_during_create(root, env, [signal.SIGINT, signal.SIGINT])
        assert code == 130 and "Traceback" not in err
        assert "awaiting the create's answer" in err  # the first stop said what it waits for
        assert "1 create sent without an answer is of unknown outcome" in err and "--resubmit-unknown" in err
        attempts = list(replay(read_events(root / LEDGER)).values())
        assert [a.state for a in attempts] == ["intent"]  # (the next run marks it unknown and never resends it)


def test_a_refusal_that_answers_a_stopping_run_is_recorded_as_nothing_made(tmp_path: Path) -> None:
    root = make_film(tmp_path / "film")
    with FakeFreepik(steps=2) as fake:
        fake.fault("create", 400, delay=1.0, times=1)
        env = {**os.environ, **fake.env(), "FILMC_POLL_INTERVAL": "0.05", "NO_COLOR": "1"}
        code, err = _stop_during_create(root, env, [signal.SIGTERM])
        assert code == 143 and "Traceback" not in err and "unknown outcome" not in err
        (attempt,) = replay(read_events(root / LEDGER)).values()
        assert attempt.state == "failed"  # refused: not of unknown outcome, so the next run sends the job again
        final = subprocess.run([FILMC, "run", str(root), "--yes", "--target", "mystic"], env=env,
                               capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
        assert fake.create_count == SHOTS


def test_stopped_while_waiting_to_try_a_refused_create_again_nothing_is_left_unknown(tmp_path: Path) -> None:
    root = make_film(tmp_path / "film")
    with FakeFreepik(steps=2) as fake:
        fake.fault("create", status=429, retry_after=30, times=1)  # refused: the run waits 30 s to try again
        env = {**os.environ, **fake.env(), "FILMC_POLL_INTERVAL": "0.05", "NO_COLOR": "1"}
        code, err = _stop_during_create(root, env, [signal.SIGINT])
        assert code == 130 and "Traceback" not in err and "unknown outcome" not in err, err
        assert "trying again in 30 s" in err  # (it was stopped during the wait)
        (attempt,) = replay(read_events(root / LEDGER)).values()
        assert attempt.state == "failed"  # nothing was made: the next run sends the job without asking
        final = subprocess.run([FILMC, "run", str(root), "--yes", "--target", "mystic"], env=env,
                               capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
        assert fake.create_count == SHOTS  # each job once (the refused create made no task)


# Every fsync of the run takes 2 s (a slow disk, a network file system), so a stop lands while the intent is being
# made durable, before the create is sent. (The standard library is slowed in the child; filmc runs as it is.)
SLOW_FSYNC = ("import os, time; _fsync = os.fsync\n"
              "def _slow(fd): time.sleep(2); _fsync(fd)\n"
              "os.fsync = _slow\n"
              "import sys; from compiler.cli import console; sys.argv[0] = 'filmc'; console()")


def test_stopped_before_the_create_leaves_nothing_is_left_unknown(tmp_path: Path) -> None:
    root = make_film(tmp_path / "film")
    with FakeFreepik(steps=2) as fake:
        env = {**os.environ, **fake.env(), "FILMC_POLL_INTERVAL": "0.05", "NO_COLOR": "1"}
        proc = subprocess.Popen([sys.executable, "-c", SLOW_FSYNC, "run", str(root), "--yes", "--target", "mystic",
                                 "--concurrency", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(e["ev"] == "intent" for e in read_events(root / LEDGER)):
            time.sleep(0.01)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert "Traceback" not in err and "unknown outcome" not in err, err
        assert fake.create_count == 0
        assert [a.state for a in replay(read_events(root / LEDGER)).values()] == ["failed"]
        final = subprocess.run([FILMC, "run", str(root), "--yes", "--target", "mystic"], env=env,
                               capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
        assert fake.create_count == SHOTS
