"""Media the render cannot use are named before (or when) ffmpeg fails: undecodable images, truncated takes,
pipes, huge or short LUTs, links out of the film's folder. Real files, the real ffmpeg."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from compiler.edit import RenderError, plan_edit, render_plan
from compiler.edit.plan import PALETTE
from compiler.edit.render import render_failure
from compiler.loading import resolve_film
from compiler.probe import ffmpeg_exe

from ..conftest import run_cli
from .conftest import close, frame_rgb, hex_rgb, make_image, make_take, mean_rgb, probe


def _line(root: Path, needle: str) -> int:
    return next(i for i, ln in enumerate((root / "film.yaml").read_text().splitlines(), 1) if needle in ln)


def _edit(root: Path, old: str, new: str) -> None:
    text = (root / "film.yaml").read_text()
    assert old in text
    (root / "film.yaml").write_text(text.replace(old, new))


def _png(path: Path, width: int, height: int, *, damage: bool = False) -> Path:
    """A black 1-bit PNG (small on disk whatever its size); `damage` garbles its compressed pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    co = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)
    data = b"".join(co.compress(row) for _ in range(height)) + co.flush()
    if damage:
        data = data[:2] + bytes(b ^ 0x55 for b in data[2:])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in its own process, bounded: a blocked open() fails the test instead of hanging it."""
    return subprocess.run([sys.executable, "-c", "from compiler.cli import main; main()", *args], cwd=root,
                          capture_output=True, text=True, timeout=90, env={**os.environ, "NO_COLOR": "1"})


# --- pictures ffmpeg reads the header of but cannot decode -------------------------------------------------

@pytest.mark.parametrize(("size", "damage", "reason"), [((320, 180), True, "inflate"), ((20000, 20000), False, "size")],
                         ids=["damaged", "20000x20000"])
def test_undecodable_image_is_named_before_the_render(tiny: Path, size: tuple[int, int], damage: bool,
                                                      reason: str) -> None:
    _png(tiny / "takes" / "s2.png", *size, damage=damage)
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4")])
    assert r.exit_code == 1, r.stderr
    line = _line(tiny, "{id: s2,")
    m = re.search(rf"film\.yaml:{line}:\d+: error\[R104\] .*shot 's2'.*'takes/s2\.png': (.*)", r.stderr)
    assert m and reason in m.group(1).lower(), r.stderr
    assert "ffmpeg failed" not in r.stderr and not (tiny / "out.mp4").exists()


def test_take_that_does_not_decode_is_named(tiny: Path) -> None:
    """A take whose container is intact (ffmpeg's probe reads it) but whose video data is noise."""
    take = make_take(tiny / "takes" / "s2.mp4", 3.0)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(take), "-c", "copy", "-movflags", "+faststart",
                    str(tiny / "fast.mp4")], check=True)
    data = bytearray((tiny / "fast.mp4").read_bytes())
    start = data.index(b"mdat") + 4
    data[start:] = bytes((i * 7919 + 13) % 251 for i in range(len(data) - start))
    take.write_bytes(bytes(data))
    _edit(tiny, "{id: s2, section: a,", "{id: s2, section: a, take: takes/s2.mp4,")
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4")])
    assert r.exit_code == 1, r.stderr
    line = _line(tiny, "takes/s2.mp4")
    assert re.search(rf"film\.yaml:{line}:\d+: error\[R104\] /shots/1/take: shot 's2'.*'takes/s2\.mp4'", r.stderr), \
        r.stderr
    assert "remove `take:`" in r.stderr and "scale" not in r.stderr


def test_render_failing_on_an_image_names_the_shot(tiny: Path) -> None:
    """When ffmpeg itself stops on a picture (one that broke after the check), the failure is mapped to the shot."""
    make_image(tiny / "takes" / "s2.png", "red")
    prod = resolve_film(tiny)
    plan = plan_edit(prod)
    _png(tiny / "takes" / "s2.png", 320, 180, damage=True)  # damaged after planning, as if during the render
    with pytest.raises(RenderError) as info:
        render_plan(plan, tiny / "out.mp4")
    assert [c.id for c in info.value.failed] == ["s2"]
    located = render_failure(info.value, prod, plan)
    assert located is not None
    (d,) = located.diagnostics
    assert (d.code, d.line, d.pointer) == ("R105", _line(tiny, "{id: s2,"), "/shots/1/take")
    assert "takes/s2.png" in d.message and "inflate" in d.message


def test_truncated_take_warns_that_it_is_cut_short(tiny: Path) -> None:
    """A take cut short whose index survived: the header says 4 s, the file holds far fewer frames."""
    full = make_take(tiny / "full.mp4", 4.0)
    take = tiny / "takes" / "s3.mp4"
    take.parent.mkdir(exist_ok=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(full), "-c", "copy", "-movflags", "+faststart",
                    str(tiny / "fast.mp4")], check=True)
    data = (tiny / "fast.mp4").read_bytes()
    take.write_bytes(data[: len(data) // 4])
    _edit(tiny, "{id: s3, section: b,", "{id: s3, section: b, take: takes/s3.mp4,")
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4")])
    assert r.exit_code == 0, r.stderr
    line = _line(tiny, "takes/s3.mp4")
    assert re.search(rf"film\.yaml:{line}:\d+: warning\[R203\] .*shot 's3'.*'takes/s3\.mp4'.*only \d+ frames", r.stderr), r.stderr
    assert "R202" not in r.stderr  # the header promises enough: only reading the file tells
    assert probe(tiny / "out.mp4").frames == 72
    # an intact take of the same length: no warning
    take.write_bytes(data)
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4")])
    assert r.exit_code == 0 and "R203" not in r.stderr, r.stderr


# --- pipes and other special files ---------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
@pytest.mark.parametrize("kind", ["take", "lut", "song"])
def test_pipe_as_media_is_a_located_error_not_a_hang(tiny: Path, kind: str) -> None:
    if kind == "take":
        os.mkfifo(tiny / "s2.mp4")
        _edit(tiny, "{id: s2, section: a,", "{id: s2, section: a, take: s2.mp4,")
        needle, ptr = "s2.mp4", "/shots/1/take"
    elif kind == "lut":
        os.mkfifo(tiny / "grade.cube")
        (tiny / "film.yaml").write_text((tiny / "film.yaml").read_text() + "  grade: {lut: grade.cube}\n")
        needle, ptr = "grade.cube", "/edit/grade/lut"
    else:
        os.mkfifo(tiny / "song.fifo.wav")
        _edit(tiny, "audio: song.wav", "audio: song.fifo.wav")
        needle, ptr = "song.fifo.wav", "/song/audio"
    line = _line(tiny, needle)
    for command in (["validate", "."], ["render", ".", "-o", "out.mp4"], ["build", "."], ["export", "."]):
        r = _cli(tiny, *command)
        assert r.returncode == 1, (command, r.stderr)
        assert re.search(rf"film\.yaml:{line}:\d+: error\[V264\] {ptr}: .*named pipe", r.stderr), (command, r.stderr)
        assert "not found" not in r.stderr and "Traceback" not in r.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_pipe_named_like_a_first_frame_image_is_skipped(tiny: Path) -> None:
    os.mkfifo(_mkdir(tiny / "takes") / "s2.png")
    for command in (["render", ".", "-o", "out.mp4"], ["build", "."], ["export", "."]):
        r = _cli(tiny, *command)
        assert r.returncode == 0, (command, r.stderr)
    r = _cli(tiny, "render", ".", "-o", "out.mp4")
    assert re.search(rf"film\.yaml:{_line(tiny, '{id: s2,')}:\d+: warning\[R205\] .*'takes/s2\.png'", r.stderr), r.stderr
    assert "0 takes, 0 images, 3 slates" in r.stderr


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


# --- LUTs: read as a stream, never whole ---------------------------------------------------------------------

def test_huge_lut_is_refused_before_reading(tiny: Path) -> None:
    make_image(tiny / "takes" / "s2.png", "gray")
    with open(tiny / "huge.cube", "wb") as f:  # sparse: 3 GiB on paper, nothing on disk
        f.write(b"LUT_3D_SIZE 2\n")
        f.truncate(3 * 2**30)
    (tiny / "film.yaml").write_text((tiny / "film.yaml").read_text() + "  grade: {lut: huge.cube}\n")
    r = _cli(tiny, "render", ".", "-o", "out.mp4")
    assert r.returncode == 1, r.stderr
    line = _line(tiny, "huge.cube")
    assert re.search(rf"film\.yaml:{line}:\d+: error\[R103\] /edit/grade/lut: .*3072 MiB", r.stderr), r.stderr


@pytest.mark.parametrize(("text", "why"), [
    ("LUT_3D_SIZE 33\n" + "0 0 0\n" * 100, "cut short"),
    ("LUT_1D_SIZE 1024\n0 0 0\n", "1D"),
    ("LUT_3D_SIZE 1000\n", "2 to 256"),
    ("0 0 0\n" * 8, "no LUT_3D_SIZE"),
])
def test_lut_contents_are_checked(tiny: Path, text: str, why: str) -> None:
    make_image(tiny / "takes" / "s2.png", "gray")
    (tiny / "bad.cube").write_text(text)
    (tiny / "film.yaml").write_text((tiny / "film.yaml").read_text() + "  grade: {lut: bad.cube}\n")
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4")])
    assert r.exit_code == 1 and re.search(r"error\[R103\] /edit/grade/lut: .*" + why, r.stderr), r.stderr


# --- one path policy ------------------------------------------------------------------------------------------

def test_first_frame_image_linked_from_outside_is_not_used(tiny: Path) -> None:
    outside = make_image(tiny.parent / "elsewhere" / "secret.png", "red")
    _mkdir(tiny / "takes")
    (tiny / "takes" / "s2.png").symlink_to(outside)
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4")])
    assert r.exit_code == 0, r.stderr
    assert re.search(rf"film\.yaml:{_line(tiny, '{id: s2,')}:\d+: warning\[R204\] .*'takes/s2\.png'.*outside",
                     r.stderr), r.stderr
    assert close(mean_rgb(frame_rgb(tiny / "out.mp4", 2.5), (0.6, 0.55, 1.0, 0.8)), hex_rgb(PALETTE[0]))  # a slate
    # build/edit/render.sh and the export follow the same policy
    assert run_cli(["build", str(tiny)]).exit_code == 0
    assert "secret.png" not in (tiny / "build" / "edit" / "render.sh").read_text()
    assert "secret.png" not in run_cli(["export", str(tiny), "-o", str(tiny / "cut.otio")]).stderr
    assert "secret" not in (tiny / "cut.otio").read_text()
    # deliberately allowed
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4"), "--allow-outside-paths"])
    assert r.exit_code == 0 and "R204" not in r.stderr, r.stderr
    red = mean_rgb(frame_rgb(tiny / "out.mp4", 2.5))
    assert red[0] > 180 and red[1] < 60


def test_explicit_take_linked_from_outside_is_refused(tiny: Path) -> None:
    outside = make_take(tiny.parent / "elsewhere" / "t.mp4", 2.0)
    _mkdir(tiny / "takes")
    (tiny / "takes" / "s2.mp4").symlink_to(outside)
    _edit(tiny, "{id: s2, section: a,", "{id: s2, section: a, take: takes/s2.mp4,")
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4")])
    assert r.exit_code == 1 and "error[V260] /shots/1/take" in r.stderr, r.stderr


def test_missing_take_is_reported_once(tiny: Path) -> None:
    _edit(tiny, "{id: s2, section: a,", "{id: s2, section: a, take: takes/nope.mp4,")
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4")])
    assert r.exit_code == 0, r.stderr
    reports = re.findall(r"film\.yaml:\d+:\d+: warning\[(\w+)\] /shots/1/take", r.stderr)
    assert reports == ["R201"], r.stderr
    assert "1 warning" in r.stderr


def test_broken_link_in_takes_does_not_stop_a_command(tiny: Path) -> None:
    _mkdir(tiny / "takes")
    (tiny / "takes" / "s2.png").symlink_to(tiny / "gone.png")
    (tiny / "takes" / "loop.png").symlink_to("loop.png")
    for command in (["build", "."], ["render", ".", "-o", "out.mp4"], ["export", "."]):
        r = _cli(tiny, *command)
        assert r.returncode == 0, (command, r.stderr)
