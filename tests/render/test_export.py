"""`filmc export`: OTIO and FCP7 XML that reload with opentimelineio with the right clips and timings."""

from __future__ import annotations

import shlex
import struct
import zlib
from pathlib import Path

import pytest

from compiler.probe import ffmpeg_exe

from ..conftest import run_cli
from .conftest import FPS, ff, make_image, make_take

otio = pytest.importorskip("opentimelineio")


def _clips(tl) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return [(c.name, c.source_range.duration.to_seconds()) for c in tl.tracks[0].find_clips()]


def test_otio_export_reloads(tiny: Path) -> None:
    make_take(tiny / "takes" / "s1.mp4", 3.0)
    make_image(tiny / "takes" / "s3.png", "red")
    text = (tiny / "film.yaml").read_text().replace("{id: s1, section: a,", "{id: s1, section: a, take: takes/s1.mp4, "
                                                    "trim: {in: 0.5},")
    (tiny / "film.yaml").write_text(text)
    r = run_cli(["export", str(tiny)])
    assert r.exit_code == 0, r.stderr
    out = tiny / "build" / "film.otio"
    tl = otio.adapters.read_from_file(str(out))
    assert _clips(tl) == [("card-1", 1.0), ("s1", 1.0), ("s2", 1.0), ("s3", 2.0), ("card-2", 1.0)]
    assert tl.duration().to_seconds() == pytest.approx(6.0)
    video, audio = tl.tracks
    kinds = [type(x).__name__ for x in video]
    assert kinds == ["Clip", "Clip", "Clip", "Transition", "Clip", "Clip"]
    tr = video[3]
    assert (tr.in_offset + tr.out_offset).to_seconds() == pytest.approx(0.5)
    clips = {c.name: c for c in video.find_clips()}
    assert clips["s1"].media_reference.target_url.endswith("/takes/s1.mp4")
    assert clips["s1"].source_range.start_time.value == round(0.5 * FPS)
    assert clips["s3"].media_reference.target_url.endswith("/takes/s3.png")
    assert clips["s2"].media_reference.target_url.endswith("/slates/s2.png")
    assert (tiny / "build" / "slates" / "s2.png").stat().st_size > 100
    assert sorted(p.name for p in (tiny / "build" / "slates").iterdir()) == ["card-1.png", "card-2.png", "s2.png"]
    before = {p.name: p.stat().st_mtime_ns for p in (tiny / "build" / "slates").iterdir()}
    assert run_cli(["export", str(tiny)]).exit_code == 0  # the same stills: drawn aside, the ones there untouched
    assert {p.name: p.stat().st_mtime_ns for p in (tiny / "build" / "slates").iterdir()} == before
    assert clips["s2"].metadata["filmc"]["source"] == "slate"
    song = next(iter(audio.find_clips()))
    assert song.name == "song" and song.source_range.duration.to_seconds() == pytest.approx(4.0)
    assert audio.range_of_child_at_index(1).start_time.to_seconds() == pytest.approx(1.0)  # after the card
    assert [m.name for m in tl.tracks.markers] == ["a", "b"]
    assert tl.tracks.markers[1].marked_range.start_time.to_seconds() == pytest.approx(3.0)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """A PNG's chunks, each CRC checked."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    at, out = 8, []
    while at < len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        kind, data = png[at + 4:at + 8], png[at + 8:at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + data)
        out.append((kind, data))
        at += 12 + length
    return out


def test_export_draws_again_only_the_stills_that_changed(tiny: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "ffmpeg.log"  # an ffmpeg that notes the stills each run draws (the real one draws them)
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(f"#!/bin/sh\ncase \"$*\" in *stills.txt*) echo \"$*\" >> {shlex.quote(str(log))};; esac\n"
                       f"exec {shlex.quote(ffmpeg_exe())} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("FFMPEG", str(wrapper))
    ffmpeg_exe.cache_clear()  # (read once per process)
    try:
        _draws_again_what_changed(tiny, log)
    finally:
        monkeypatch.delenv("FFMPEG")
        ffmpeg_exe.cache_clear()


def _draws_again_what_changed(tiny: Path, log: Path) -> None:

    def drawn() -> list[str]:
        runs = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return sorted(Path(a).name for run in runs for a in run.split() if a.endswith(".png"))

    slates = tiny / "build" / "slates"
    assert run_cli(["export", str(tiny)]).exit_code == 0
    assert len(drawn()) == 5
    assert run_cli(["export", str(tiny)]).exit_code == 0
    assert drawn() == []  # nothing changed: ffmpeg does not draw a still
    stills = sorted(p.name for p in slates.iterdir())
    assert stills == ["card-1.png", "card-2.png", "s1.png", "s2.png", "s3.png"]
    first = {name: (slates / name).read_bytes() for name in stills}
    for png in first.values():  # each a whole PNG that says what it was drawn from
        kinds = [k for k, _ in _chunks(png)]
        assert kinds[0] == b"IHDR" and kinds[1] == b"tEXt" and kinds[-1] == b"IEND"
    assert ff("-i", str(slates / "s2.png"), "-f", "null", "-").returncode == 0
    # s2's slate says something else, s3's still is gone, card-2's was replaced by another picture
    (tiny / "film.yaml").write_text((tiny / "film.yaml").read_text().replace("a lighthouse", "a harbour at dusk"))
    (slates / "s3.png").unlink()
    make_image(slates / "card-2.png", "red")
    other = (slates / "card-2.png").read_bytes()
    before = {p.name: p.stat().st_mtime_ns for p in slates.iterdir()}
    assert run_cli(["export", str(tiny)]).exit_code == 0
    after = {p.name: p.stat().st_mtime_ns for p in slates.iterdir()}
    assert len(drawn()) == 3
    assert {n for n in before if after[n] != before[n]} == {"s2.png", "card-2.png"}
    assert (slates / "s2.png").read_bytes() != first["s2.png"]
    assert (slates / "s3.png").read_bytes() == first["s3.png"]  # drawn again, the same
    assert (slates / "card-2.png").read_bytes() == first["card-2.png"] != other
    # a still cut short, and one whose pixels were changed by an editor that kept its text chunk: drawn again
    (slates / "s1.png").write_bytes(first["s1.png"][:200])
    s3 = bytearray(first["s3.png"])
    s3[-20] ^= 0xFF  # (in the image data, before IEND)
    (slates / "s3.png").write_bytes(bytes(s3))
    assert run_cli(["export", str(tiny)]).exit_code == 0
    assert len(drawn()) == 2
    assert (slates / "s1.png").read_bytes() == first["s1.png"] and (slates / "s3.png").read_bytes() == first["s3.png"]
    # a shot taken out: its still goes; a picture of the creator's own in the folder stays
    make_image(slates / "mine.png", "blue")
    text = (tiny / "film.yaml").read_text()
    (tiny / "film.yaml").write_text(text.replace("  - {id: s2, section: a, subject: a harbour at dusk}\n", ""))
    assert run_cli(["export", str(tiny)]).exit_code == 0
    assert sorted(p.name for p in slates.iterdir()) == ["card-1.png", "card-2.png", "mine.png", "s1.png", "s3.png"]


def test_fcp7_export_reloads(tiny: Path) -> None:
    pytest.importorskip("otio_fcp_adapter")
    out = tiny / "cut.xml"
    r = run_cli(["export", str(tiny), "--format", "fcp7", "-o", str(out)])
    assert r.exit_code == 1 and "standard frame rate" in r.stderr  # FCP7 has no 12 fps timecode
    (tiny / "film.yaml").write_text((tiny / "film.yaml").read_text().replace("fps: 12", "fps: 24"))
    r = run_cli(["export", str(tiny), "--format", "fcp7", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert out.read_text().lstrip().startswith("<?xml")
    tl = otio.adapters.read_from_file(str(out), adapter_name="fcp_xml")
    assert _clips(tl) == [("card-1", 1.0), ("s1", 1.0), ("s2", 1.0), ("s3", 2.0), ("card-2", 1.0)]
    assert any(type(x).__name__ == "Transition" for x in tl.tracks[0])
    assert [m.name for m in tl.tracks.markers] == ["a", "b"]
    assert tl.tracks[1].kind == "Audio"
