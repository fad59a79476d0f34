"""`filmc takes`: a film's takes from a real ledger and real files, through the real CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..conftest import ROOT, run_cli
from .takesfilm import BLACK, FILM, Ledger, current_jobs, image, make_film, video


def scenario(root: Path) -> Path:
    """s01: runner takes of every kind plus files dropped in; s02: flat names and a failed job; s03: a take:
    that is not there; a shot the film no longer has."""
    make_film(root, FILM.replace("    duration: 3   # the opening\n",
                                 "    duration: 3   # the opening\n    take: takes/s01/kling/2.mp4\n")
              .replace("    section: b\n", "    section: b\n    take: clips/s03.mp4\n"))
    jobs = current_jobs(root)
    jobs["old.kling"] = {**jobs["s01.kling"], "job": "old.kling", "shot": "old"}
    led = Ledger(root, jobs)
    t = root / "takes"
    led.attempt("s01.mystic", 1, ext="png", qc=(True, []), model="realism")
    image(t / "s01/mystic/1.png", "red")
    led.attempt("s01.mystic", 2, ext="png", qc=(False, BLACK), model="realism")
    image(t / "s01/mystic/2.png", "black")
    led.attempt("s01.kling", 1, hash="0" * 64, qc=(True, []))  # made from an older prompt
    video(t / "s01/kling/1.mp4")
    led.attempt("s01.kling", 2)  # the selected one, not checked by the run
    video(t / "s01/kling/2.mp4")
    led.attempt("s01.kling", 3, qc=(True, []))  # downloaded, then deleted
    led.attempt("s01.kling", 4, "failed", reason="content moderated")
    led.attempt("s01.kling", 5, "unknown", reason="timeout after the create was sent")
    led.attempt("s01.kling", 6, "open")
    led.attempt("s01.runway", 1, qc=(True, []), model="gen4_turbo")
    video(t / "s01/runway/1.mp4")
    video(t / "s01/from the web.mp4")  # dropped in from a web app
    video(t / "s01/kling/9.mp4", black=True)  # dropped into the target's folder
    (t / "s01/notes.txt").write_text("not a take")
    (t / "s01/kling/.4.part-1-abc").write_bytes(b"partial")
    image(t / "s02.png", "blue")
    image(t / "s02.mystic.png", "green")
    led.attempt("s02.runway", 1, "failed", reason="out of credits")
    led.attempt("s02.runway", 2, "failed", reason="server error")
    led.attempt("old.kling", 1)
    video(t / "old/kling/1.mp4")
    return root


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scenario(tmp_path_factory.mktemp("takes") / "film")


def listing(root: Path, *args: str) -> dict[str, Any]:
    r = run_cli(["takes", str(root), "--format", "json", *args])
    assert r.exit_code == 0, r.stderr
    return r.json()  # type: ignore[return-value]


def by_ref(shot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["ref"]: {**t, "target_group": g["target"]} for g in shot["targets"] for t in g["takes"]}


def test_runner_takes_are_listed_with_their_marks(film: Path) -> None:
    data = listing(film)
    assert [s["shot"] for s in data["shots"]] == ["s01", "s02", "s03", "old"]
    s01 = data["shots"][0]
    assert s01["take"] == "takes/s01/kling/2.mp4"
    assert [g["target"] for g in s01["targets"]] == ["mystic", "kling", "runway", None]
    takes = by_ref(s01)
    assert takes["kling/2"]["selected"] and takes["kling/2"]["stale"] is False and takes["kling/2"]["qc"] is None
    assert sum(t["selected"] for t in takes.values()) == 1
    assert takes["kling/1"]["stale"] is True  # its job's hash is not the job's hash now
    assert takes["kling/3"]["exists"] is False  # the ledger says downloaded; the file is gone
    assert takes["mystic/2"]["qc"] == {"ok": False, "findings": BLACK, "source": "ledger"}
    r1 = takes["runway/1"]
    assert (r1["source"], r1["provider"], r1["model"], r1["job"], r1["number"], r1["kind"]) == (
        "runner", "runway", "gen4_turbo", "s01.runway", 1, "video")
    assert r1["time"].endswith("Z") and len(r1["hash"]) == 64
    # attempts that made no take: counted per job, with the last reason
    kling = next(g for g in s01["targets"] if g["target"] == "kling")
    assert kling["attempts"] == [{"job": "s01.kling", "failed": 1, "unknown": 1, "cancelled": 0, "open": 1,
                                  "last_state": "unknown", "last_reason": "timeout after the create was sent"}]
    # a video take is selected: no first-frame image is used
    assert not any(t["first_frame"] for t in takes.values())


def test_dropped_in_and_flat_files_are_takes(film: Path) -> None:
    data = listing(film)
    s01 = by_ref(data["shots"][0])
    web = s01["takes/s01/from the web.mp4"]
    assert (web["source"], web["target"], web["number"], web["kind"]) == ("dropped", None, None, "video")
    nine = s01["kling/9"]  # a file in takes/<shot>/<target>/ named <n>.<ext> has that target and number
    assert (nine["source"], nine["target_group"], nine["path"]) == ("dropped", "kling", "takes/s01/kling/9.mp4")
    assert not any(p.endswith(("notes.txt", ".part-1-abc")) for p in (t["path"] for t in s01.values()))
    s02 = data["shots"][1]
    flat = {t["path"]: t for g in s02["targets"] for t in g["takes"]}
    assert flat["takes/s02.png"]["source"] == "flat" and flat["takes/s02.png"]["target"] is None
    assert flat["takes/s02.mystic.png"]["target"] == "mystic"
    # render starts the shot with takes/s02.png (the first name it looks for): marked
    assert flat["takes/s02.png"]["first_frame"] and not flat["takes/s02.mystic.png"]["first_frame"]
    runway = next(g for g in s02["targets"] if g["target"] == "runway")
    assert runway["attempts"][0]["failed"] == 2 and runway["attempts"][0]["last_reason"] == "server error"


def test_a_missing_take_and_a_shot_the_film_lost(film: Path) -> None:
    data = listing(film)
    s03 = data["shots"][2]
    [none] = [g for g in s03["targets"] if g["takes"]]
    assert none["target"] is None
    assert none["takes"][0] | {} == none["takes"][0] and none["takes"][0]["path"] == "clips/s03.mp4"
    assert (none["takes"][0]["source"], none["takes"][0]["exists"], none["takes"][0]["selected"]) == (
        "selected", False, True)
    old = data["shots"][3]
    assert old["in_film"] is False and by_ref(old)["kling/1"]["stale"] is True


def test_json_is_stable(film: Path) -> None:
    a = run_cli(["takes", str(film), "--format", "json"]).stdout
    b = run_cli(["takes", str(film), "--format", "json"]).stdout
    assert a == b and list(json.loads(a)) == sorted(json.loads(a))


def test_text_is_a_compact_table_per_shot(film: Path) -> None:
    r = run_cli(["takes", str(film)])
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert out.startswith("Takes: 12 takes of 4 shots, 2 selected, 2 from an older prompt, "
                          "1 failed the quality checks, 2 missing")
    lines = out.splitlines()
    assert "s01  a  3.00 s  take: takes/s01/kling/2.mp4   (files in takes/s01/)" in lines

    def row(take: str) -> str:
        for ln in lines:
            cells = re.split(r"\s{2,}", ln.strip())
            if cells[cells[0] == "*"] == take:
                return ln
        raise AssertionError(f"no row for {take}:\n{out}")

    assert row("kling/2").lstrip().startswith("*") and "m1" in row("kling/2")
    assert "old prompt" in row("kling/1")
    assert "missing" in row("kling/3")
    assert "C515" in row("mystic/2")
    assert "dropped in" in row("from the web.mp4")
    assert "first frame" in row("takes/s02.png")
    assert "not found" in row("clips/s03.mp4")
    assert any("s01.kling: 1 failed, 1 of unknown outcome, 1 still running" in ln for ln in lines)
    assert "\x1b" not in out  # not a terminal: plain text


def test_one_shot_and_globs(film: Path) -> None:
    data = listing(film, "s02")
    assert [s["shot"] for s in data["shots"]] == ["s02"]
    assert [s["shot"] for s in listing(film, "s0*")["shots"]] == ["s01", "s02", "s03"]
    r = run_cli(["takes", str(film), "s1"])
    assert r.exit_code == 2 and "no shot 's1' in the film (did you mean" in r.stderr  # (the SHOT argument, no option)


def test_check_runs_the_quality_checks_on_takes_the_ledger_has_none_for(film: Path) -> None:
    data = listing(film, "s01", "--check")
    assert data["checked"] is True
    takes = by_ref(data["shots"][0])
    assert takes["kling/9"]["qc"]["ok"] is False and takes["kling/9"]["qc"]["source"] == "check"
    assert [f["code"] for f in takes["kling/9"]["qc"]["findings"]] == ["C515"]
    assert takes["takes/s01/from the web.mp4"]["qc"] == {"ok": True, "findings": [], "source": "check"}
    assert takes["kling/2"]["qc"]["ok"] is True and takes["kling/2"]["qc"]["source"] == "check"
    assert takes["mystic/2"]["qc"]["source"] == "ledger"  # the ledger's result stands
    assert takes["kling/3"]["qc"]["source"] == "ledger" and not takes["kling/3"]["exists"]
    assert not (film / ".filmc" / "qc").exists()  # nothing is cached
    text = run_cli(["takes", str(film), "s01", "--check"]).stdout
    assert "kling/9: error[C515]" in text


def test_no_takes_yet(tmp_path: Path) -> None:
    root = make_film(tmp_path / "film")
    r = run_cli(["takes", str(root)])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Takes: 0 takes of 0 shots") and "filmc run" in r.stdout
    data = listing(root)
    assert [s["shot"] for s in data["shots"]] == ["s01", "s02", "s03"]
    assert all(g["takes"] == [] for s in data["shots"] for g in s["targets"])


def test_a_damaged_ledger_is_read_around(tmp_path: Path) -> None:
    root = make_film(tmp_path / "film")
    led = Ledger(root, current_jobs(root))
    led.attempt("s01.kling", 1)
    video(root / "takes/s01/kling/1.mp4")
    with open(led.path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"v": 1, "ev": "intent", "t": 1.0, "attempt": "x" * 32, "job": "s01.kling",
                            "shot": "s01", "target": "kling", "take": "three"}) + "\n")
        f.write(json.dumps({"v": 1, "ev": "downloaded", "t": 2.0, "attempt": "y" * 32, "path": 7}) + "\n")
        # a shot that names a way out of takes/: never looked for on disk
        f.write(json.dumps({"v": 1, "ev": "intent", "t": 3.0, "attempt": "z" * 32, "job": "x", "shot": "..",
                            "target": "..", "take": 1}) + "\n")
        f.write(json.dumps({"v": 1, "ev": "downloaded", "t": 4.0, "attempt": "z" * 32, "path": "../x.mp4"}) + "\n")
        f.write('{"v": 1, "ev": "downl')  # a crash mid-write
    r = run_cli(["takes", str(root), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    codes = sorted(w["code"] for w in r.json()["warnings"])  # type: ignore[index]
    assert codes == ["C505", "C526"]
    assert list(by_ref(r.json()["shots"][0])) == ["kling/1"]  # type: ignore[index]
    assert [s["shot"] for s in r.json()["shots"]] == ["s01", "s02", "s03"]  # type: ignore[index]
    text = run_cli(["takes", str(root)])
    assert "warning[C526]" in text.stderr and "warning[C505]" in text.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_never_blocks(tmp_path: Path) -> None:
    root = make_film(tmp_path / "film")
    (root / "takes" / "s01").mkdir(parents=True)
    os.mkfifo(root / "takes" / "s01" / "1.mp4")  # a pipe named like a take: not listed, not opened
    (root / ".filmc").mkdir()
    env = {**os.environ, "NO_COLOR": "1"}
    code = "from compiler.cli import main; main()"
    r = subprocess.run([sys.executable, "-c", code, "takes", str(root), "--check", "--format", "json"],
                       capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert all(g["takes"] == [] for s in json.loads(r.stdout)["shots"] for g in s["targets"])
    os.mkfifo(root / ".filmc" / "ledger.jsonl")  # a pipe in the ledger's place: refused, not waited on
    r = subprocess.run([sys.executable, "-c", code, "takes", str(root)], capture_output=True, text=True,
                       timeout=60, env=env, cwd=ROOT)
    assert r.returncode == 1 and "error[C506]" in r.stderr


def test_an_invalid_film_is_reported_located(tmp_path: Path) -> None:
    root = make_film(tmp_path / "film", FILM.replace("section: b\n", "section: nope\n"))
    r = run_cli(["takes", str(root)])
    assert r.exit_code == 1 and "error[V210]" in r.stderr


def test_the_example_film_as_a_creator_uses_it(tmp_path: Path) -> None:
    root = tmp_path / "lk"
    shutil.copytree(ROOT / "specs" / "lighthouse-keeper", root)
    jobs = current_jobs(root)
    led = Ledger(root, jobs)
    led.attempt("s05.mystic", 1, ext="png", qc=(True, []))
    image(root / "takes/s05/mystic/1.png")
    led.attempt("s05.kling", 1, qc=(True, []))
    video(root / "takes/s05/kling/1.mp4", 4.0)
    data = listing(root, "section:verse1")
    s05 = next(s for s in data["shots"] if s["shot"] == "s05")
    assert set(by_ref(s05)) == {"mystic/1", "kling/1"}
    assert by_ref(s05)["mystic/1"]["first_frame"] is True


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_a_terminal_gets_the_rich_table(film: Path) -> None:
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "90", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-c", "from compiler.cli import main; main()", "takes", str(film),
                             "s01"], stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    os.close(master)
    out = b"".join(chunks).decode("utf-8", "replace")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "\x1b[" in out  # styled
    assert "s01  a  3.00 s  take: takes/s01/kling/2.mp4" in plain
    for take in ("kling/1", "kling/2", "mystic/2", "from the web.mp4"):
        assert take in plain
    assert all(len(ln) <= 90 for ln in plain.splitlines())
