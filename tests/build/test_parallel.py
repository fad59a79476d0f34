"""A cold compile of a big film is shared among forked processes: the build is the same with one or two."""

from __future__ import annotations

import hashlib
import importlib.util
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compiler.expand import expand_production
from compiler.expand.parallel import PARALLEL_MIN
from compiler.loading import resolve_film

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="processes cannot be forked here: builds run in one process")

ROOT = Path(__file__).resolve().parents[2]
FILMC = [sys.executable, "-c", "from compiler.cli import main; main()"]


def _build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FILMC, "build", *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_COLOR": "1"})


def _codes(out: str) -> list[str]:
    return sorted(line.split("error[")[1].split("]")[0] for line in out.splitlines() if ": error[" in line)


def _synth(shots: int) -> str:
    spec = importlib.util.spec_from_file_location("synth", ROOT / "bench" / "synth.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text: str = module.synth_film(shots)
    return text


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    (folder / "film.yaml").write_text(_synth(80), encoding="utf-8")  # 80 shots x 4 targets: more than PARALLEL_MIN
    return folder


def _slow_film(big: Path, tmp_path: Path) -> Path:
    """The big film with its own copy of kling whose every render takes a while: a signal comes mid-build."""
    folder = tmp_path / "film"
    local = folder / "targets" / "kling"
    local.mkdir(parents=True)
    for f in (ROOT / "targets" / "kling").iterdir():
        if f.is_file():
            (local / f.name).write_bytes(f.read_bytes())
    slow = "{% for i in range(1000) %}{% for j in range(400) %}{% endfor %}{% endfor %}"
    (local / "prompt.j2").write_text(slow + (local / "prompt.j2").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "film.yaml").write_bytes((big / "film.yaml").read_bytes())
    return folder


def _files(build: Path) -> dict[str, bytes]:
    return {str(p.relative_to(build)): p.read_bytes() for p in sorted(build.rglob("*"))
            if p.is_file() and ".filmc" not in p.parts}


def test_two_processes_build_what_one_builds(big: Path) -> None:
    one = _build(str(big), "-o", str(big / "one"), "-j", "1")
    two = _build(str(big), "-o", str(big / "two"), "-j", "2")
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    a, b = _files(big / "one"), _files(big / "two")
    assert a.keys() == b.keys() and a == b


def test_the_plan_is_the_same_in_the_same_order(big: Path) -> None:
    prod = resolve_film(big / "film.yaml")
    serial = expand_production(prod, workers=1)
    shared = expand_production(prod, workers=2)
    assert len(serial.prompts) >= PARALLEL_MIN
    assert serial.prompts == shared.prompts
    assert serial.jobs == shared.jobs
    assert serial.contexts == shared.contexts
    assert serial.cache == shared.cache


def test_lint_and_the_sheets_made_in_the_workers_are_what_one_process_makes(big: Path, tmp_path: Path) -> None:
    """A cold build's workers lint each shot and make its part of the sheets right after compiling it: the warnings
    (with their places) and the outputs are those of one process, and those of lint run over the whole plan."""
    from compiler.compiling import compile_film
    from compiler.compiling.findings import lint_compiled
    from compiler.expand.lint import lint_plan

    text = (big / "film.yaml").read_text(encoding="utf-8")
    for n in (3, 17, 40):  # findings in a few shots: the name Ines (V270), "the previous shot" (P402)
        text = text.replace(f"looking out to sea {n},", f"looking out to sea like Ines in the previous shot {n},", 1)
    (tmp_path / "film.yaml").write_text(text, encoding="utf-8")
    one = _build(str(tmp_path), "-o", str(tmp_path / "one"), "-j", "1")
    two = _build(str(tmp_path), "-o", str(tmp_path / "two"), "-j", "2")
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert "warning[V270]" in two.stderr and "warning[P402]" in two.stderr
    assert one.stderr.replace("/one", "/two") == two.stderr
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    compiled = compile_film(tmp_path / "film.yaml", workers=2)
    assert set(compiled.plan.per_shot) == {rs.id for rs in compiled.plan.shots}  # (every shot's, made as compiled)
    prod = resolve_film(tmp_path / "film.yaml")
    plain = expand_production(prod, workers=1)  # (no per_shot: everything made after the compile, in this process)
    assert [d for d in compiled.warnings if d.code.startswith("P")] == lint_plan(plain)
    pieces: dict[tuple[str, str], object] = {}
    lint_compiled(plain, {}, pieces, 1)
    assert pieces == compiled.pieces and len(pieces) == len(plain.prompts)


def test_a_template_failure_in_a_worker_is_located_as_in_one_process(big: Path, tmp_path: Path) -> None:
    folder = tmp_path / "film"
    folder.mkdir()
    text = (big / "film.yaml").read_text(encoding="utf-8")
    local = folder / "targets" / "kling"
    local.mkdir(parents=True)
    for f in (ROOT / "targets" / "kling").iterdir():
        if f.is_file():
            (local / f.name).write_bytes(f.read_bytes())
    (local / "prompt.j2").write_text("{{ shot.no_such_field.deeper }}\n", encoding="utf-8")
    (folder / "film.yaml").write_text(text, encoding="utf-8")
    one = _build(str(folder), "-o", str(folder / "one"), "-j", "1")
    two = _build(str(folder), "-o", str(folder / "two"), "-j", "2")
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    assert _codes(one.stderr) and _codes(one.stderr) == _codes(two.stderr)
    assert not (folder / "one").exists() and not (folder / "two").exists()  # nothing half-written


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("sig, group", [(signal.SIGINT, True), (signal.SIGTERM, False)])
def test_a_signal_stops_a_parallel_build_cleanly(big: Path, tmp_path: Path, sig: int, group: bool, jobs: str) -> None:
    """Ctrl-C (to the whole process group, as a terminal sends it) or SIGTERM (to filmc alone) stops the build and its
    workers: exit 128 + N, one line, no traceback, no process left behind; the next build finishes the job."""
    folder = _slow_film(big, tmp_path)
    proc = subprocess.Popen([*FILMC, "-q", "build", str(folder), "-j", jobs], start_new_session=True, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    time.sleep(1.5)
    if proc.poll() is None:
        os.killpg(proc.pid, sig) if group else os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the build finished before the signal came (a fast machine)")
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err and err.strip().startswith("filmc: stopped (interrupted by SIG"), err
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):  # no worker left in the build's process group
        os.killpg(proc.pid, 0)
    again = _build(str(folder), "-j", "2")
    assert again.returncode == 0, again.stderr


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _with_workers(args: list[str]) -> tuple[subprocess.Popen[str], list[int]]:
    """filmc started with these arguments, once its two workers are seen (skips the test when they never are)."""
    proc = subprocess.Popen([*FILMC, *args], text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "NO_COLOR": "1"})
    workers: list[int] = []
    deadline = time.monotonic() + 30
    while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
        workers = _children(proc.pid)
    if proc.poll() is not None or len(workers) < 2:
        proc.communicate(timeout=120)
        pytest.skip("the build finished before its workers could be seen")
    time.sleep(0.5)
    return proc, workers


def _running(pid: int) -> bool:
    """Whether a process is there and not a zombie."""
    try:
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the workers")
def test_a_worker_killed_mid_build_is_made_up_for(big: Path, tmp_path: Path) -> None:
    """A worker that dies (the kernel's out-of-memory killer, say) never leaves the build waiting: what it had not
    sent back is compiled by the build itself, and the outputs are those of a one-process build."""
    folder = _slow_film(big, tmp_path)
    proc, workers = _with_workers(["-q", "build", str(folder), "-o", str(folder / "two"), "-j", "2"])
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    one = _build(str(folder), "-o", str(folder / "one"), "-j", "1")
    assert one.returncode == 0, one.stderr
    assert _files(folder / "one") == _files(folder / "two")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a worker dies with the build where Linux says so")
def test_workers_die_with_a_build_killed_outright(big: Path, tmp_path: Path) -> None:
    """A build killed with SIGKILL (no chance to end its workers) takes them with it: none is left running, and none
    prints a broken pipe's traceback for the results it can no longer send."""
    folder = _slow_film(big, tmp_path)
    proc, workers = _with_workers(["-q", "build", str(folder), "-j", "2"])
    proc.kill()
    _, err = proc.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(w) for w in workers):
        time.sleep(0.1)
    alive = [w for w in workers if _running(w)]
    assert not alive, f"workers still running: {alive}"
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_ctrl_c_in_any_command_exits_as_a_stop_by_sigint(big: Path, tmp_path: Path) -> None:
    """Ctrl-C in a command with no stop of its own (lint, here) exits 130 with one line, as the exit codes say."""
    folder = _slow_film(big, tmp_path)
    proc = subprocess.Popen([*FILMC, "lint", str(folder)], start_new_session=True, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    time.sleep(1.5)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if proc.returncode in (0, 1) and "stopped" not in err:
        pytest.skip("lint finished before the signal came (a fast machine)")
    assert proc.returncode == 128 + signal.SIGINT, err
    assert err.strip() == "filmc: stopped (interrupted by SIGINT)", err


@pytest.mark.skipif(not (Path(sys.executable).parent / "filmc").is_file() or os.name != "posix",
                    reason="needs the installed filmc command")
def test_sigterm_in_a_command_with_no_stop_of_its_own_says_so(big: Path, tmp_path: Path) -> None:
    """SIGTERM in lint (which takes no signal itself) ends it with the stop line and 143, not without a word."""
    folder = _slow_film(big, tmp_path)
    proc = subprocess.Popen([str(Path(sys.executable).parent / "filmc"), "lint", str(folder)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    time.sleep(1.5)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    if proc.returncode in (0, 1) and "stopped" not in err:
        pytest.skip("lint finished before the signal came (a fast machine)")
    assert proc.returncode == 128 + signal.SIGTERM, (proc.returncode, err)
    assert err.strip() == "filmc: stopped (interrupted by SIGTERM)", err


def test_lint_and_the_sheets_pieces_of_many_shots_are_the_same_on_two_processes(tmp_path: Path) -> None:
    """After the compile, each shot's lint findings and its sheet and jobs pieces are made on the workers too."""
    from compiler.compiling import compile_film

    (tmp_path / "film.yaml").write_text(_synth(PARALLEL_MIN + 20), encoding="utf-8")  # more shots than PARALLEL_MIN
    serial = compile_film(tmp_path / "film.yaml", workers=1)
    shared = compile_film(tmp_path / "film.yaml", workers=2)
    assert serial.warnings and [repr(d) for d in serial.warnings] == [repr(d) for d in shared.warnings]
    assert len(serial.pieces) == len(serial.plan.prompts) and serial.pieces == shared.pieces
    assert serial.cache_entries() == shared.cache_entries()
    assert serial.edit == shared.edit and shared.edit  # (made aside, on a forked child, with workers=2)


def test_the_edit_made_aside_names_the_film_it_was_made_from(tmp_path: Path) -> None:
    """The build forks the edit's child before it loads the film itself; the child's files count only when its
    edit key is the build's (a film.yaml saved in between makes another key, and the build makes the edit again)."""
    from compiler.compiling import _edit_aside, _edit_key, compile_film, edit_files
    from compiler.emit.files import film_parts

    film = tmp_path / "film.yaml"
    film.write_text(_synth(12), encoding="utf-8")
    build = tmp_path / "build"
    made_for, (edit, hashes), _, parts, _ = _edit_aside(film, False, None, build)
    compiled = compile_film(film, workers=2)
    assert made_for == _edit_key(compiled.plan.prod, build / "edit")
    assert edit == {k: v for k, v in compiled.edit.items() if not k.startswith("edit/font/")}
    assert hashes == compiled.edit_hashes == {k: hashlib.sha256(v).hexdigest() for k, v in edit.items()}
    assert parts == compiled.parts == film_parts(compiled.plan.prod)  # (the shot list, headings, manifest parts)
    text = _synth(12).replace("a line of section 0 about the sea", "a line of section 0 about the sky")
    assert text != _synth(12)
    film.write_text(text, encoding="utf-8")  # (a lyric: the subtitles and slates change)
    again = compile_film(film, workers=2)
    assert _edit_key(again.plan.prod, build / "edit") != made_for
    assert again.edit == _utf8(edit_files(again.plan.prod, build / "edit"))


def test_the_parse_kept_for_the_next_load_is_handed_over_by_the_edits_process(tmp_path: Path) -> None:
    """The edit's process parses the film too: the build takes the record the next build's load splices into from
    it (the same bytes as one process makes) instead of making it while the shots wait."""
    from compiler.compiling import compile_film

    film = tmp_path / "film.yaml"
    film.write_text(_synth(150), encoding="utf-8")  # (big enough to keep its parse)
    two = compile_film(film, workers=2, cache_dir=tmp_path / "two").plan.prod.doc
    one = compile_film(film, workers=1, cache_dir=tmp_path / "one").plan.prod.doc
    assert two is not None and one is not None
    assert two.keep  # (handed over: the build made none, it makes its own only when asked for)
    assert two.kept_records() == one.kept_records() and one.keep


def test_an_edit_made_aside_from_another_film_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As when film.yaml is saved between the child's read and the build's: the child's edit, made from the other
    text, is dropped and the edit is made again from the film the build compiled."""
    import compiler.compiling as compiling

    film, other = tmp_path / "film.yaml", tmp_path / "saved-meanwhile" / "film.yaml"
    film.write_text(_synth(12), encoding="utf-8")
    other.parent.mkdir()
    other.write_text(_synth(12).replace("a line of section 0 about the sea", "a line of section 0 about the sky"),
                     encoding="utf-8")
    real = compiling._edit_aside
    monkeypatch.setattr(compiling, "_edit_aside", lambda path, *rest: real(other, *rest))  # (the real child's work)
    got = compiling.compile_film(film, workers=2)
    assert got.parts is None  # (made from the other film: not used)
    made_here = compiling.edit_files(got.plan.prod, tmp_path / "build" / "edit")
    assert got.edit == _utf8(made_here) and "about the sky" not in str(made_here)


def _utf8(files: dict[str, str | bytes]) -> dict[str, bytes]:
    """A build's files as written (the edit's, handed over from its process, are UTF-8 bytes)."""
    return {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}


def test_shares_are_compiled_in_order_whatever_process_takes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """compile_all hands back every result in the order asked for, whichever process compiled it, also when the
    pipe of shares holds only some of them (a pipe may hold one page when its user has many): the build compiles
    the others itself."""
    import fcntl

    from compiler.expand import parallel

    def one(i: int) -> tuple[str, object]:
        return ("ok", (i, os.getpid()))

    count = 3000 * parallel.CHUNK  # 3,000 shares: 12,000 bytes of share numbers
    results = parallel.compile_all(count, one, workers=2, ends=list(range(7, count, 7)) + [count])
    assert [r[1][0] for r in results] == list(range(count))
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    real_pipe = os.pipe

    def small_pipe() -> tuple[int, int]:
        r, w = real_pipe()
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)  # (one page: 1,024 share numbers)
        return r, w

    monkeypatch.setattr(parallel.os, "pipe", small_pipe)
    results = parallel.compile_all(count, one, workers=2)
    assert [r[1][0] for r in results] == list(range(count))


def test_a_stop_in_the_per_shot_work_stops_the_compile(big: Path) -> None:
    """A Ctrl-C that comes while a shot is linted right after its compile is a stop (not a failure of the lint, left
    for later): it is raised at once."""
    from compiler.interrupt import Interrupted

    prod = resolve_film(big / "film.yaml")

    def stopped(rs: object, entries: object) -> object:
        raise Interrupted(signal.SIGINT)

    with pytest.raises(Interrupted):
        expand_production(prod, workers=1, per_shot=stopped)
