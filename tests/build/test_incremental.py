"""Incremental builds trust only what is on disk: killed builds and hand edits are repaired by the next build."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import ROOT, run_cli

sys.path.insert(0, str(ROOT / "bench"))
from synth import synth_film  # noqa: E402

FILMC = [sys.executable, "-c", "from compiler.cli import main; main()"]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file of a build folder, byte for byte (filmc's own bookkeeping in .filmc/ aside)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".filmc" not in p.relative_to(folder).parts}


def variants(n_shots: int) -> tuple[str, str]:
    """Two versions of one film whose every prompt differs while keeping its size."""
    a = synth_film(n_shots)
    assert "35mm film" in a
    return a, a.replace("35mm film", "16mm film")


def build(folder: Path) -> None:
    r = subprocess.run([*FILMC, "-q", "build", str(folder)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


def killed_build(folder: Path, how: str, delay: float) -> None:
    """Start a build and SIGKILL it: after `delay` seconds, or as soon as its manifest was replaced."""
    manifest = folder / "build" / "manifest.json"
    before = manifest.stat().st_ino if manifest.exists() else None
    proc = subprocess.Popen([*FILMC, "-q", "build", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if how == "delay":
            time.sleep(delay)
        else:
            end = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < end:
                try:
                    if manifest.stat().st_ino != before:
                        break
                except FileNotFoundError:
                    pass
                time.sleep(0.001)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)


def test_killed_builds_are_repaired(tmp_path: Path) -> None:
    a, b = variants(60)
    clean = {}
    for name, text in (("a", a), ("b", b)):
        ref = tmp_path / f"clean-{name}"
        ref.mkdir()
        (ref / "film.yaml").write_text(text)
        build(ref)
        clean[name] = tree(ref / "build")
    assert clean["a"] != clean["b"]

    film = tmp_path / "film"
    film.mkdir()
    (film / "film.yaml").write_text(a)
    t = time.monotonic()
    build(film)
    full = time.monotonic() - t
    rng = random.Random(7)
    kills = 0
    for i in range(12):
        name = "b" if i % 2 == 0 else "a"
        (film / "film.yaml").write_text(b if name == "b" else a)
        how = "manifest" if i % 3 == 0 else "delay"
        killed_build(film, how, rng.uniform(0.05, 1.0) * full)
        kills += 1
        build(film)
        got = tree(film / "build")
        assert got.keys() == clean[name].keys(), (i, how, sorted(got.keys() ^ clean[name].keys())[:5])
        stale = [rel for rel in got if got[rel] != clean[name][rel]]
        assert not stale, (i, how, stale[:5])
    assert kills >= 10
    assert not list((film / "build" / ".filmc").glob("tmp/*"))


def test_hand_edits_of_the_same_size_are_repaired(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(synth_film(4))
    assert run_cli(["build", str(tmp_path)]).exit_code == 0
    prompt = tmp_path / "build" / "jobs" / "kling.jsonl"
    sheet = tmp_path / "build" / "prompts" / "kling.md"
    good, good_sheet = prompt.read_bytes(), sheet.read_bytes()
    st = prompt.stat()
    time.sleep(0.01)
    with open(prompt, "r+b") as f:  # in place: same inode, same size
        f.write(b"X" * 5)
    os.utime(prompt, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with the old mtime put back
    sheet.write_bytes(b"Y" * 5 + good_sheet[5:])  # a new file of the same size
    r = run_cli(["build", str(tmp_path)])
    assert r.exit_code == 0, r.stderr
    assert prompt.read_bytes() == good
    assert sheet.read_bytes() == good_sheet
    assert "wrote 2," in r.stdout


def test_outputs_of_a_killed_build_are_removed_when_no_longer_made(tmp_path: Path) -> None:
    """Files a killed build created are filmc's: a later build that does not make them removes them."""
    text = synth_film(30)
    (tmp_path / "film.yaml").write_text(text)
    build(tmp_path)
    more = text.replace("targets: {image: [mystic, flux], video: [kling, runway]}",
                        "targets: {image: [mystic, flux, midjourney], video: [kling, runway]}")
    (tmp_path / "film.yaml").write_text(more)
    proc = subprocess.Popen([*FILMC, "-q", "build", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mj = tmp_path / "build" / "prompts" / "midjourney.md"
    end = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < end and not mj.exists():
        time.sleep(0.001)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert mj.is_file()
    (tmp_path / "film.yaml").write_text(text)
    build(tmp_path)
    assert not mj.exists()
    ref = tmp_path / "ref"
    ref.mkdir()
    (ref / "film.yaml").write_text(text)
    build(ref)
    assert tree(tmp_path / "build") == tree(ref / "build")


def test_a_build_folder_copy_is_trusted_only_after_comparing(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(synth_film(4))
    assert run_cli(["build", str(tmp_path)]).exit_code == 0
    shutil.copytree(tmp_path / "build", tmp_path / "copy")  # new inodes: every file is compared, none rewritten
    shutil.rmtree(tmp_path / "build")
    (tmp_path / "copy").rename(tmp_path / "build")
    r = run_cli(["build", str(tmp_path)])
    assert r.exit_code == 0 and "wrote 0, removed 0" in r.stdout


def test_a_damaged_state_file_costs_a_comparison_not_a_wrong_build(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(synth_film(4))
    assert run_cli(["build", str(tmp_path)]).exit_code == 0
    ref = tree(tmp_path / "build")
    state = tmp_path / "build" / ".filmc" / "outputs.state"
    assert state.is_file()
    prompt = tmp_path / "build" / "prompts" / "kling.md"
    prompt.write_bytes(b"Z" * len(prompt.read_bytes()))
    state.write_bytes(b"not a state file")
    r = run_cli(["build", str(tmp_path)])
    assert r.exit_code == 0 and "wrote 1," in r.stdout, r.stdout
    assert tree(tmp_path / "build") == ref
    assert run_cli(["build", str(tmp_path)]).stdout.count("wrote 0,") == 1


def test_a_replaced_output_is_freed_once_the_build_ends(tmp_path: Path) -> None:
    """The outputs a rebuild replaces are freed by another thread, before the command returns: nothing is left in
    the temp folder, and a program still reading an old output reads it whole."""
    a, b = variants(12)
    (tmp_path / "film.yaml").write_text(a)
    assert run_cli(["build", str(tmp_path)]).exit_code == 0
    jobs = tmp_path / "build" / "jobs" / "mystic.jsonl"  # (its prompts name the film stock)
    old = jobs.read_bytes()
    with open(jobs, "rb") as reader:
        (tmp_path / "film.yaml").write_text(b)
        r = run_cli(["build", str(tmp_path)])
        assert r.exit_code == 0, r.stderr
        assert os.fstat(reader.fileno()).st_nlink == 0  # its second name is gone: the blocks go with the reader
        assert reader.read() == old
    assert jobs.read_bytes() != old
    assert not (tmp_path / "build" / ".filmc" / "tmp").exists()


def test_two_writers_open_at_once_keep_their_temp_files_apart(tmp_path: Path) -> None:
    from compiler.emit.state import Writer, freed

    (tmp_path / "a.txt").write_bytes(b"old a")
    (tmp_path / "b.txt").write_bytes(b"old b")
    first, second = Writer(tmp_path, free_later=True), Writer(tmp_path)
    try:
        first.write("a.txt", b"new a")  # (its link to the old a.txt waits in the temp folder)
        second.write("b.txt", b"new b")
        first.write("b.txt", b"newer b")
    finally:
        second.close()
        first.close()
    freed()
    assert (tmp_path / "a.txt").read_bytes() == b"new a"
    assert (tmp_path / "b.txt").read_bytes() == b"newer b"
    assert not (tmp_path / ".filmc" / "tmp").exists()


def test_an_output_last_written_with_other_content_is_written_without_being_read(tmp_path: Path) -> None:
    """The state names the hash each output was last written with: a file that then held another content is
    written again, not read to compare (a rebuild that changes one word per shot reads no sheet). Here the file
    already holds the new content, put there by hand: it is written all the same, and stays right."""
    a, b = variants(6)
    (tmp_path / "film.yaml").write_text(b)
    assert run_cli(["build", str(tmp_path)]).exit_code == 0
    sheet = tmp_path / "build" / "prompts" / "mystic.md"
    wanted = sheet.read_bytes()
    (tmp_path / "film.yaml").write_text(a)
    assert run_cli(["build", str(tmp_path)]).exit_code == 0
    assert len(sheet.read_bytes()) == len(wanted) and sheet.read_bytes() != wanted
    sheet.write_bytes(wanted)  # (the state still names the content of film a)
    (tmp_path / "film.yaml").write_text(b)
    dry = run_cli(["build", "--dry-run", str(tmp_path)])
    assert dry.exit_code == 0, dry.stderr
    assert "prompts/mystic.md" in dry.stdout, dry.stdout
    r = run_cli(["build", str(tmp_path)])
    assert r.exit_code == 0, r.stderr
    assert sheet.read_bytes() == wanted


def test_a_temp_name_left_by_a_process_of_the_same_pid_is_not_written_through(tmp_path: Path) -> None:
    """A killed build's links in the temp folder are named by its pid: a later process with that pid never opens
    one of them to write (it would write into the output the link names), it takes another name."""
    from compiler.emit import state

    out = tmp_path / "out.txt"
    out.write_bytes(b"an output")
    tmp = tmp_path / state.TMP_DIR
    tmp.mkdir(parents=True)
    n = next(state._NAMES)
    for k in range(n + 1, n + 9):  # the next names this process would take
        os.link(out, tmp / f"{os.getpid()}.{k}")
    writer = state.Writer(tmp_path)
    try:
        writer.write("other.txt", b"another output")
    finally:
        writer.close()
    assert out.read_bytes() == b"an output"
    assert (tmp_path / "other.txt").read_bytes() == b"another output"


def test_replaced_files_are_freed_when_no_thread_can_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from compiler.emit import state

    (tmp_path / "a.txt").write_bytes(b"old")

    def refused(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    writer = state.Writer(tmp_path, free_later=True)
    writer.write("a.txt", b"new")
    monkeypatch.setattr(threading.Thread, "start", refused)
    writer.close()
    state.freed()  # (nothing to wait for: no thread was started)
    assert (tmp_path / "a.txt").read_bytes() == b"new"
    assert not (tmp_path / state.TMP_DIR).exists()


def test_the_temp_folder_is_removed_by_the_writing_thread_only(tmp_path: Path) -> None:
    """The thread freeing replaced files never removes the temp folder: a writer making it meanwhile would find it
    gone between os.makedirs' mkdir and its look ("File exists"). freed() removes it once the thread is done."""
    import threading

    from compiler.emit import state

    (tmp_path / "a.txt").write_bytes(b"old")
    writer = state.Writer(tmp_path, free_later=True)
    writer.write("a.txt", b"new")
    writer.close()
    for thread in threading.enumerate():
        if thread.name == "filmc-free":
            thread.join()
    assert (tmp_path / state.TMP_DIR).is_dir() and not list((tmp_path / state.TMP_DIR).iterdir())
    state.freed()
    assert not (tmp_path / state.TMP_DIR).exists()


def test_a_manifest_changed_by_hand_is_repaired(tmp_path: Path) -> None:
    """The state names manifest.json as filmc's: damaged by hand (no longer JSON), it is rewritten like any other
    output, not refused as another tool's."""
    (tmp_path / "film.yaml").write_text(synth_film(4))
    assert run_cli(["build", str(tmp_path)]).exit_code == 0
    manifest = tmp_path / "build" / "manifest.json"
    good = manifest.read_bytes()
    manifest.write_bytes(b"x" + good[1:])
    r = run_cli(["build", str(tmp_path)])
    assert r.exit_code == 0, r.stderr
    assert manifest.read_bytes() == good


def test_a_folder_in_an_outputs_place_stops_the_build_before_anything_is_written(tmp_path: Path) -> None:
    a, b = variants(4)
    (tmp_path / "film.yaml").write_text(a)
    assert run_cli(["build", str(tmp_path)]).exit_code == 0
    before = tree(tmp_path / "build")
    (tmp_path / "build" / "shotlist.csv").unlink()
    (tmp_path / "build" / "shotlist.csv").mkdir()
    (tmp_path / "film.yaml").write_text(b)
    r = run_cli(["build", str(tmp_path)])
    assert r.exit_code == 1
    assert "shotlist.csv: a folder is in its place" in r.stderr and "Traceback" not in r.stderr
    assert tree(tmp_path / "build") == {k: v for k, v in before.items() if k != "shotlist.csv"}
