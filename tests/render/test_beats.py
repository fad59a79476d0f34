"""`filmc beats` and the comment-preserving film.yaml edit it makes."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from compiler.render.beats import fit_grid
from compiler.yamledit import set_song_fields

from ..conftest import ROOT, run_cli

EXAMPLE = ROOT / "specs" / "lighthouse-keeper"


def _changed(a: str, b: str) -> list[str]:
    return [ln for ln in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def test_update_keeps_everything_else(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    original = (EXAMPLE / "film.yaml").read_text(encoding="utf-8")
    film.write_text(original, encoding="utf-8")
    assert set_song_fields(film, {"bpm": 97.5, "beat_offset": 0.123}) is True
    assert _changed(original, film.read_text(encoding="utf-8")) == [
        "-  bpm: 96                   # one beat = 0.625 s, one bar = 2.5 s",
        "-  beat_offset: 0.5          # beat 1 falls at 0.5 s; bars start at 0.5 + 2.5*n",
        "+  bpm: 97.5                 # one beat = 0.625 s, one bar = 2.5 s",
        "+  beat_offset: 0.123        # beat 1 falls at 0.5 s; bars start at 0.5 + 2.5*n",
    ]
    assert set_song_fields(film, {"bpm": 97.5, "beat_offset": 0.123}) is False


def test_insert_under_song(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    original = "".join(ln for ln in (EXAMPLE / "film.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
                       if not ln.startswith(("  bpm:", "  beat_offset:")))
    film.write_text(original, encoding="utf-8")
    set_song_fields(film, {"bpm": 96.0, "beat_offset": 0.5})
    assert _changed(original, film.read_text()) == ["+  bpm: 96", "+  beat_offset: 0.5"]
    lines = film.read_text().splitlines()
    assert lines.index("  bpm: 96") == next(i for i, ln in enumerate(lines) if ln.startswith("  duration:")) + 1


def test_flow_style_song_falls_back_to_round_trip(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text("# my film\nversion: 1\nfilm: {title: x}  # keep me\nsong: {duration: 10, sections: [{id: a, start: 0}]}\n")
    set_song_fields(film, {"bpm": 120, "beat_offset": 0.25})
    text = film.read_text()
    assert "# my film" in text and "# keep me" in text and "bpm: 120" in text and "beat_offset: 0.25" in text


def test_fit_grid() -> None:
    times = [0.5 + k * 0.625 + (0.01 if k % 3 == 0 else -0.005) for k in range(40)]
    bpm, offset = fit_grid(times)
    assert bpm == 96.0 and abs(offset - 0.5) < 0.02


def test_beats_finds_the_example_tempo(tmp_path: Path) -> None:
    pytest.importorskip("librosa")
    root = tmp_path / "film"
    shutil.copytree(EXAMPLE, root)
    original = (root / "film.yaml").read_text()
    film = root / "film.yaml"
    film.write_text(original.replace("  bpm: 96  ", "  bpm: 90  ").replace("  beat_offset: 0.5  ", "  beat_offset: 0.1  "))
    r = run_cli(["beats", str(root)])
    assert r.exit_code == 0, r.stderr
    assert "96 BPM" in r.stdout
    changed = _changed(original, film.read_text())
    assert len(changed) <= 2 and all("beat_offset" in ln for ln in changed), changed
    from compiler.pipeline import resolve_film

    song = resolve_film(root).film.song
    assert song.bpm == 96 and abs(song.beat_offset - 0.5) < 0.02


def test_beats_without_librosa_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    root = tmp_path / "film"
    shutil.copytree(EXAMPLE, root)
    monkeypatch.setitem(sys.modules, "librosa", None)  # import librosa -> ImportError
    r = run_cli(["beats", str(root)])
    assert r.exit_code == 1
    assert "pip install 'filmc[beats]'" in r.stderr


def test_beats_without_audio(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text("version: 1\nfilm: {title: x}\nsong:\n  duration: 10\n  sections: [{id: a, start: 0}]\n")
    r = run_cli(["beats", str(tmp_path)])
    assert r.exit_code == 1 and "error[R301]" in r.stderr
