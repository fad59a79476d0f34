"""The edit's pipeline functions (render_film, export_film, beats_film): typed results, the order of their steps,
and the errors the CLI turns into messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.errors import FilmError, UsageError
from compiler.pipeline.options import Loading
from compiler.pipeline.render import (
    BeatsResult,
    Exported,
    OutputRefused,
    Rendered,
    RenderStart,
    beats_film,
    export_film,
    render_film,
)

from .conftest import make_image, probe
from .test_beats import click_film, click_track


def test_render_film_tells_what_it_renders_before_ffmpeg_starts(tiny: Path) -> None:
    make_image(tiny / "takes" / "s2.png", "0x336699")
    out = tiny / "cut.mp4"
    seen: list[RenderStart] = []

    def started(start: RenderStart) -> None:
        assert not out.exists()  # called before the render
        seen.append(start)

    done = render_film(Loading(str(tiny)), output=out, animatic=True, on_start=started)
    assert isinstance(done, Rendered)
    assert (done.output, done.srt, done.takes, done.images, done.slates) == (out, tiny / "cut.srt", 0, 1, 2)
    assert done.seconds == pytest.approx(6.0) and probe(out).frames == 72
    [start] = seen
    assert (start.output, start.width, start.height, start.fps, start.images, start.slates) == (out, 160, 90, 12, 1, 2)


def test_render_film_refuses_outputs_it_must_not_write(tiny: Path) -> None:
    with pytest.raises(OutputRefused) as e:
        render_film(Loading(str(tiny)), output=tiny / "song.wav")
    assert e.value.option == "-o/--output" and "song" in str(e.value)
    with pytest.raises(OutputRefused) as e:
        render_film(Loading(str(tiny)), output=tiny / "cut.txt")
    assert e.value.option == "-o/--output"
    assert isinstance(e.value, UsageError)  # exit 2 wherever the CLI does not name the option
    assert not (tiny / "build").exists()


def test_render_film_missing_take_is_a_warning_it_reports_once(tiny: Path) -> None:
    text = (tiny / "film.yaml").read_text().replace("{id: s3, section: b,", "{id: s3, section: b, take: takes/s3.mp4,")
    (tiny / "film.yaml").write_text(text)
    seen: list[RenderStart] = []
    render_film(Loading(str(tiny)), output=tiny / "out.mp4", on_start=seen.append)
    codes = [d.code for d in seen[0].warnings]
    assert codes.count("R201") == 1 and "V261" not in codes  # the fallback, not the missing file twice


def test_export_film_result(tiny: Path) -> None:
    done = export_film(Loading(str(tiny)), fmt="otio")
    assert isinstance(done, Exported)
    assert done.output == tiny / "build" / "film.otio" and done.output.is_file() and done.clips == 5
    with pytest.raises(OutputRefused):
        export_film(Loading(str(tiny)), output=tiny / "song.wav")


def test_beats_film_result(tmp_path: Path) -> None:
    pytest.importorskip("librosa")
    film = click_film(tmp_path / "f", "")
    click_track(film.parent / "song.wav", 100, 0.0, seconds=20.0)
    done = beats_film(Loading(str(film)), dry_run=True)
    assert isinstance(done, BeatsResult)
    assert (done.bpm, done.changed, done.written) == (100.0, True, False) and done.beat_offset <= 0.010
    assert "+  bpm: 100" in done.diff and len(done.lines) == 2
    with pytest.raises(FilmError) as e:  # no audio file: located
        beats_film(Loading(str(click_film(tmp_path / "g", "", audio="missing.wav"))))
    assert e.value.diagnostics[0].code == "V261" and e.value.diagnostics[0].line
