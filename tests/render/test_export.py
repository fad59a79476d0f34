"""`filmc export`: OTIO and FCP7 XML that reload with opentimelineio with the right clips and timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import run_cli
from .conftest import FPS, make_image, make_take

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
