"""`filmc beats`: tempo and first beat of real click tracks, what it reports, when it writes, which files it reads."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.beats.detect import fit_grid, round_bpm
from compiler.yamledit import set_song_fields

from ..conftest import ROOT, run_cli
from .conftest import ff

EXAMPLE = ROOT / "specs" / "lighthouse-keeper"
SR = 44100


def _changed(a: str, b: str) -> list[str]:
    return [ln for ln in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def click_track(path: Path, bpm: float, offset: float, seconds: float = 40.0) -> Path:
    """A click (a 1 kHz blip, 30 ms) on every beat from offset: .wav written with soundfile, else encoded by ffmpeg."""
    np = pytest.importorskip("numpy")
    sf = pytest.importorskip("soundfile")
    y = np.zeros(int(seconds * SR), dtype=np.float32)
    t = np.arange(int(0.03 * SR)) / SR
    blip = (np.sin(2 * np.pi * 1000 * t) * np.exp(-t * 150) * 0.8).astype(np.float32)
    k = 0
    while (start := int(round((offset + k * 60.0 / bpm) * SR))) + len(blip) <= len(y):
        y[start:start + len(blip)] += blip
        k += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".wav":
        sf.write(path, y, SR)
    else:
        wav = path.with_suffix(".src.wav")
        sf.write(wav, y, SR)
        ff("-i", str(wav), str(path))
        wav.unlink()
    return path


def click_film(root: Path, song: str, extra: str = "", audio: str = "song.wav") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "film.yaml").write_text(
        "# a film over a click track\nversion: 1\nfilm:\n  title: Clicks\n\n"
        f"song:\n  audio: {audio}   # the click track\n{song}"
        "  sections:\n    - {id: a, start: 0}\n" + extra, encoding="utf-8")
    return root / "film.yaml"


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize(("bpm", "offset", "ext"), [(100, 0.0, ".wav"), (96, 0.5, ".ogg"), (128, 0.1, ".wav"),
                                                    (87.5, 0.37, ".ogg")])
def test_click_track_tempo_and_first_beat(tmp_path: Path, bpm: float, offset: float, ext: str) -> None:
    pytest.importorskip("librosa")
    from compiler.beats.detect import detect_beats

    det = detect_beats(click_track(tmp_path / f"clicks{ext}", bpm, offset))
    assert abs(det.bpm - bpm) <= 0.1, det
    assert abs(det.beat_offset - offset) <= 0.010, det
    assert det.confidence >= 0.9


def test_round_bpm() -> None:
    assert round_bpm(99.97) == 100.0 and round_bpm(100.04) == 100.0
    assert round_bpm(99.84) == 99.84 and round_bpm(87.5) == 87.5 and round_bpm(99.9412) == 99.94


def test_fit_grid_least_squares() -> None:
    times = [0.5 + k * 0.625 + (0.004 if k % 3 == 0 else -0.002) for k in range(40)]
    times += [0.5 + k * 0.625 + 0.31 for k in range(0, 40, 4)]  # off-beat onsets are not beats
    period, phase = fit_grid(sorted(times), 0.63, 0.45)
    assert abs(60 / period - 96) < 0.02 and abs(phase - 0.5) < 0.003


# ---------------------------------------------------------------- what is set and what is written


def test_hand_set_bpm_on_a_clean_click_track_is_kept(tmp_path: Path) -> None:
    """The reported case: a correct `bpm: 100` was overwritten with a detected 99."""
    pytest.importorskip("librosa")
    root = tmp_path / "film"
    click_track(root / "song.wav", 100, 0.25)
    film = click_film(root, "  bpm: 100          # hand-set\n  beat_offset: 0.25\n")
    before = film.read_text()
    r = run_cli(["beats", str(root), "--write"])
    assert r.exit_code == 0, r.stderr
    assert "song.bpm: set 100, detected 100 " in r.stdout and "agrees" in r.stdout
    assert film.read_text() == before


def test_set_bpm_is_changed_only_with_write(tmp_path: Path) -> None:
    pytest.importorskip("librosa")
    root = tmp_path / "film"
    click_track(root / "song.wav", 100, 0.25)
    film = click_film(root, "  bpm: 97           # hand-set\n  beat_offset: 0.25   # first click\n")
    before = film.read_text()
    r = run_cli(["beats", str(root)])
    assert r.exit_code == 0, r.stderr
    assert "song.bpm: set 97, detected 100" in r.stdout and "kept (--write replaces it)" in r.stdout
    assert film.read_text() == before

    r = run_cli(["beats", str(root), "--write", "--dry-run"])
    assert r.exit_code == 0 and "+  bpm: 100          # hand-set" in r.stdout and "dry run" in r.stdout
    assert film.read_text() == before

    r = run_cli(["beats", str(root), "--write"])
    assert r.exit_code == 0, r.stderr
    assert "-  bpm: 97           # hand-set" in r.stdout and "+  bpm: 100          # hand-set" in r.stdout
    after = film.read_text()
    assert _changed(before, after) == ["-  bpm: 97           # hand-set", "+  bpm: 100          # hand-set"]
    assert "# a film over a click track" in after and "# the click track" in after and "# first click" in after


def test_values_not_set_are_filled_in(tmp_path: Path) -> None:
    """A film without a grid (edit.snap: beats fails validate with V290 until it has one) gets one without --write."""
    pytest.importorskip("librosa")
    root = tmp_path / "film"
    click_track(root / "song.wav", 128, 0.1)
    film = click_film(root, "", extra="edit:\n  snap: beats\n")
    assert run_cli(["validate", str(root)]).exit_code == 1
    before = film.read_text()
    r = run_cli(["beats", str(root)])
    assert r.exit_code == 0, r.stderr
    assert "+  bpm: 128" in r.stdout and "wrote " in r.stdout
    added = _changed(before, film.read_text())
    assert added[0] == "+  bpm: 128" and added[1].startswith("+  beat_offset: ") and len(added) == 2
    assert abs(float(added[1].split(":")[1]) - 0.1) <= 0.010
    assert run_cli(["validate", str(root)]).exit_code == 0


def test_set_bpm_kept_and_offset_filled_for_that_tempo(tmp_path: Path) -> None:
    pytest.importorskip("librosa")
    root = tmp_path / "film"
    click_track(root / "song.wav", 100, 0.3)
    film = click_film(root, "  bpm: 100\n")
    r = run_cli(["beats", str(root)])
    assert r.exit_code == 0, r.stderr
    from compiler.load import load_film

    song = load_film(film).data["song"]
    assert song["bpm"] == 100 and abs(song["beat_offset"] - 0.3) <= 0.010


def test_unusable_set_bpm_is_replaced_only_with_write(tmp_path: Path) -> None:
    pytest.importorskip("librosa")
    root = tmp_path / "film"
    click_track(root / "song.wav", 96, 0.5, seconds=20)
    film = click_film(root, "  bpm: fast\n  beat_offset: 0.5\n")
    before = film.read_text()
    r = run_cli(["beats", str(root)])
    assert r.exit_code == 0, r.stderr
    assert "song.bpm: set fast, not a usable tempo; detected 96" in r.stdout and film.read_text() == before
    r = run_cli(["beats", str(root), "--write"])
    assert r.exit_code == 0, r.stderr
    assert _changed(before, film.read_text()) == ["-  bpm: fast", "+  bpm: 96"]


def test_example_song(tmp_path: Path) -> None:
    pytest.importorskip("librosa")
    root = tmp_path / "film"
    shutil.copytree(EXAMPLE, root)
    film = root / "film.yaml"
    original = film.read_text()
    wrong = original.replace("  bpm: 96  ", "  bpm: 90  ").replace("  beat_offset: 0.5  ", "  beat_offset: 0.1  ")
    film.write_text(wrong)
    r = run_cli(["beats", str(root)])
    assert r.exit_code == 0, r.stderr
    assert "song.bpm: set 90, detected 96" in r.stdout and film.read_text() == wrong
    r = run_cli(["beats", str(root), "--write"])
    assert r.exit_code == 0, r.stderr
    changed = _changed(original, film.read_text())
    assert len(changed) <= 2 and all("beat_offset" in ln for ln in changed), changed
    from compiler.loading import resolve_film

    song = resolve_film(root).film.song
    assert song.bpm == 96 and abs(song.beat_offset - 0.5) <= 0.010


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


def test_flow_style_song_stays_flow(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text("# my film\nversion: 1\nfilm: {title: x}  # keep me\nsong: {duration: 10, sections: [{id: a, start: 0}]}\n")
    set_song_fields(film, {"bpm": 120, "beat_offset": 0.25})
    assert film.read_text() == ("# my film\nversion: 1\nfilm: {title: x}  # keep me\n"
                                "song: {duration: 10, bpm: 120, beat_offset: 0.25, sections: [{id: a, start: 0}]}\n")


@pytest.mark.parametrize("variant", ["tabs", "crlf", "bom", "anchor", "alias", "document", "odd-comments"])
def test_forms_validate_accepts_never_fail_inside(tmp_path: Path, variant: str) -> None:
    """Each form validate accepts: a correct edit (exit 0) or a located Y6xx refusal (exit 1), never exit 3."""
    pytest.importorskip("librosa")
    root = tmp_path / "film"
    click_track(root / "song.wav", 96, 0.5, seconds=20)
    song = "  duration: 20\n  bpm: 90\n"
    extra = ""
    if variant == "tabs":
        song = "  duration: 20\t# tab before a comment\n  bpm: 90\t\n"
    elif variant == "anchor":
        song, extra = "  duration: &d 20\n  bpm: &t 90\n", "shots:\n  - {id: s1, section: a, duration: 20}\n"
    elif variant == "alias":
        song, extra = "  duration: 20\n  bpm: &t 90\n", "x-tempo: *t\n"
    elif variant == "odd-comments":
        song = "# col 0 inside song\n  duration: 20 # d\n      # deep\n  bpm: 90 #\n"
    film = click_film(root, song, extra)
    text = film.read_text()
    if variant == "crlf":
        film.write_bytes(text.replace("\n", "\r\n").encode())
    elif variant == "bom":
        film.write_bytes(b"\xef\xbb\xbf" + text.encode())
    elif variant == "document":
        film.write_text("%YAML 1.2\n---\n" + text + "...\n")
    if variant != "alias":
        assert run_cli(["validate", str(root)]).exit_code == 0
    before = film.read_bytes()
    r = run_cli(["beats", str(root), "--write"])
    if variant == "alias":  # x-tempo is not a film.yaml key: validate refuses the film, and so does beats
        assert r.exit_code == 1 and "error[V101]" in r.stderr and film.read_bytes() == before
        return
    assert r.exit_code == 0, r.stderr
    from compiler.load import load_film

    assert load_film(film).data["song"]["bpm"] == 96
    if variant == "crlf":
        assert film.read_bytes().count(b"\n") == film.read_bytes().count(b"\r\n")
    if variant == "bom":
        assert film.read_bytes().startswith(b"\xef\xbb\xbf")
    if variant == "anchor":
        assert b"duration: &d 20" in film.read_bytes() and b"bpm: &t 96" in film.read_bytes()


# ---------------------------------------------------------------- which files beats reads


def test_beats_refuses_what_validate_refuses(tmp_path: Path) -> None:
    root = tmp_path / "film"
    click_film(root, "  duration: 10\n", extra="shots:\n  - {id: s1, section: nowhere}\n")
    (root / "song.wav").write_bytes(b"")  # never read: the film is refused first
    r = run_cli(["beats", str(root)])
    assert r.exit_code == 1 and "error[V210]" in r.stderr


def test_absolute_song_path_is_refused_unless_allowed(tmp_path: Path) -> None:
    pytest.importorskip("librosa")
    outside = click_track(tmp_path / "elsewhere" / "song.wav", 96, 0.5, seconds=20)
    root = tmp_path / "film"
    film = click_film(root, "  duration: 20\n", audio=str(outside))
    before = film.read_text()
    r = run_cli(["beats", str(root)])
    assert r.exit_code == 1 and "error[V260]" in r.stderr and "96 BPM" not in r.stdout
    assert film.read_text() == before
    r = run_cli(["beats", str(root), "--allow-outside-paths"])
    assert r.exit_code == 0, r.stderr
    assert "96 BPM" in r.stdout


def test_fifo_song_is_refused_without_blocking(tmp_path: Path) -> None:
    root = tmp_path / "film"
    click_film(root, "  duration: 10\n")
    os.mkfifo(root / "song.wav")
    proc = subprocess.run([sys.executable, "-c", "from compiler.cli import main; main()", "beats", str(root)],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    assert "film.yaml:7:10: error[V264]" in proc.stderr  # validate refuses the pipe first


def test_beats_without_librosa_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_silence_has_no_steady_beat(tmp_path: Path) -> None:
    pytest.importorskip("librosa")
    root = tmp_path / "film"
    root.mkdir()
    ff("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "5", str(root / "song.wav"))
    film = click_film(root, "  duration: 5\n")
    before = film.read_text()
    r = run_cli(["beats", str(root)])
    assert r.exit_code == 1 and "error[R304]" in r.stderr and "Traceback" not in r.stderr
    assert film.read_text() == before
