"""Stopping `filmc render` with a signal: ffmpeg stops too, no temp file or folder stays behind, and what a
killed render left is swept by the next one (real processes, the real ffmpeg, real signals)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; POSIX signals")

LONG = """\
version: 1
film: {title: "Long", resolution: [640, 360], fps: 30}
song:
  duration: 1801
  sections:
    - {id: a, start: 0}
    - {id: b, start: 1}
shots:
  - {id: s1, section: a}
  - {id: s2, section: b}
"""


def _proc_stat(pid: int) -> tuple[str, str, int, int] | None:
    """(comm, state, ppid, pgrp) of a process, None when there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = text[text.index("(") + 1:text.rindex(")")]
    state, ppid, pgrp = text[text.rindex(")") + 2:].split()[:3]
    return comm, state, int(ppid), int(pgrp)


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _proc_stat(int(entry))
            if st and st[2] == pid:
                out.append(int(entry))
    return out


def _gone(pid: int) -> bool:
    st = _proc_stat(pid)
    return st is None or st[1] in ("Z", "X")  # a zombie has stopped; its new parent reaps it


def _wait_for(cond, what: str, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


_started: list[subprocess.Popen[bytes] | int] = []  # filmc, and ffmpeg's pid: stopped if a test fails half-way


@pytest.fixture(autouse=True)
def _stop_leftovers():  # type: ignore[no-untyped-def]
    yield
    for p in _started:
        if isinstance(p, subprocess.Popen):
            if p.poll() is None:
                p.kill()
                p.communicate()
        elif not _gone(p) and (_proc_stat(p) or ("",))[0].startswith("ffmpeg"):
            os.kill(p, signal.SIGKILL)
    _started.clear()


def _start(root: Path, tmp: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    """filmc render of the long film, once its ffmpeg runs: (filmc, ffmpeg's pid)."""
    env = {**os.environ, "TMPDIR": str(tmp), "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-c", "from compiler.cli import main; main()", "render", str(root),
                             "-o", str(root / "out" / "film.mp4"), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _started.append(proc)
    found: list[int] = []

    def running() -> bool:
        assert proc.poll() is None, proc.communicate()
        found[:] = [c for c in _children(proc.pid) if (_proc_stat(c) or ("",))[0].startswith("ffmpeg")]
        return bool(found) and bool(_parts(root)) and bool(_temps(tmp))

    _wait_for(running, "ffmpeg to start")
    _started.extend(found)
    time.sleep(0.5)  # well into the encode
    assert proc.poll() is None
    return proc, found[0]


def _parts(root: Path) -> list[Path]:
    return sorted((root / "out").glob(".film.mp4.*.part")) if (root / "out").is_dir() else []


def _temps(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("filmc-render-*"))


@pytest.fixture
def long_film(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "film"
    root.mkdir()
    (root / "film.yaml").write_text(LONG)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return root, tmp


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_signal_stops_ffmpeg_and_removes_temp_files(long_film: tuple[Path, Path], sig: signal.Signals) -> None:
    root, tmp = long_film
    proc, ffmpeg = _start(root, tmp)
    pgid = _proc_stat(ffmpeg)[3]  # type: ignore[index]
    assert pgid == ffmpeg and pgid != os.getpgid(proc.pid)  # ffmpeg leads a process group of its own
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert b"Traceback" not in err and b"nothing written" in err
    _wait_for(lambda: _gone(ffmpeg), "ffmpeg to stop")
    with pytest.raises(ProcessLookupError):  # nothing of ffmpeg's group runs on
        os.killpg(pgid, 0)
    assert not _parts(root) and not _temps(tmp)
    assert not (root / "out" / "film.mp4").exists()


def test_killed_render_is_swept_by_the_next_one(long_film: tuple[Path, Path]) -> None:
    root, tmp = long_film
    proc, ffmpeg = _start(root, tmp)
    proc.kill()
    proc.communicate(timeout=60)
    _wait_for(lambda: _gone(ffmpeg), "ffmpeg to die with filmc")
    stale_parts, stale_temps = _parts(root), _temps(tmp)
    assert stale_parts and stale_temps  # SIGKILL cannot be caught: they stay until the next run
    # what a running render (this process) has in flight is not touched by the sweep
    live_part = root / "out" / f".film.mp4.filmc-{os.getpid()}-live1234.part"
    live_part.write_bytes(b"in flight")
    live_temp = tmp / f"filmc-render-{os.getpid()}-live1234"
    live_temp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "NO_COLOR": "1"}
    r = subprocess.run([sys.executable, "-c", "from compiler.cli import main; main()", "render", str(root), "-o",
                        str(root / "out" / "film.mp4"), "--select", "s1", "--size", "160x90"], env=env,
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (root / "out" / "film.mp4").is_file()
    assert not any(p.exists() for p in stale_parts + stale_temps)
    assert live_part.exists() and live_temp.exists()
