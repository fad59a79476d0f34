"""Tempo and beat grid of the song (librosa, an optional extra): `filmc beats`."""

from __future__ import annotations

import math
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Collector
from ..errors import FilmError
from ..probe import ProbeError, ffmpeg_exe

SAMPLE_RATE = 22050


class BeatsError(Exception):
    pass


@dataclass(frozen=True)
class BeatGrid:
    bpm: float
    beat_offset: float  # the first beat of the grid (0 <= beat_offset < 60/bpm)
    count: int  # beats librosa found


def song_audio(film: str | Path) -> tuple[Path, Path]:
    """(film.yaml, the song's audio file) without validating the rest of the film (it may not validate yet)."""
    from ..load import load_film

    path = Path(film) / "film.yaml" if Path(film).is_dir() else Path(film)
    doc = load_film(path, display=str(film))
    c = Collector(doc.display, doc)
    song = doc.data.get("song") if isinstance(doc.data, dict) else None
    audio = song.get("audio") if isinstance(song, dict) else None
    if not isinstance(audio, str) or not audio:
        c.error("R301", "/song/audio: the song has no audio file to detect beats in", "/song", key=True,
                hint="add 'audio: audio/song.mp3' under song:")
        raise FilmError(c.items, {doc.display: doc.lines})
    file = path.parent / audio
    if not file.is_file():
        c.error("V261", f"/song/audio: file not found: '{audio}'", "/song/audio")
        raise FilmError(c.items, {doc.display: doc.lines})
    return path, file


def _decode(audio: Path):  # type: ignore[no-untyped-def]
    import numpy as np

    try:
        proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", "file:" + str(audio),
                               "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"],
                              capture_output=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired, ProbeError) as e:
        raise BeatsError(f"cannot decode {audio.name}: {e}") from None
    if proc.returncode != 0 or not proc.stdout:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BeatsError(f"cannot decode {audio.name}: {msg[-1] if msg else 'no audio'}")
    return np.frombuffer(proc.stdout, dtype=np.float32)


def fit_grid(times: list[float], tempo: float | None = None) -> tuple[float, float]:
    """(bpm, offset) of the evenly spaced grid that best fits beat times; bpm within 0.1 of a whole number
    is taken as that number (songs are made at whole tempos)."""
    diffs = sorted(b - a for a, b in zip(times, times[1:]))
    period = diffs[len(diffs) // 2]
    k = [round((t - times[0]) / period) for t in times]
    n = len(times)
    mk, mt = sum(k) / n, sum(times) / n
    var = sum((x - mk) ** 2 for x in k)
    if var > 0:
        period = sum((x - mk) * (t - mt) for x, t in zip(k, times)) / var
    bpm = 60.0 / period
    bpm = float(round(bpm)) if abs(bpm - round(bpm)) < 0.1 else round(bpm, 2)
    period = 60.0 / bpm
    # the phase: circular mean of the beat times modulo one beat
    s = sum(math.sin(2 * math.pi * t / period) for t in times)
    c = sum(math.cos(2 * math.pi * t / period) for t in times)
    phase = (math.atan2(s, c) / (2 * math.pi)) % 1.0 * period
    offset = round(phase, 3)
    if offset >= round(period, 3):
        offset = 0.0
    return bpm, offset


def detect_beats(audio: Path) -> BeatGrid:
    try:
        import librosa
    except ImportError:
        raise BeatsError("beat detection needs librosa: pip install 'filmc[beats]'") from None
    y = _decode(audio)
    if len(y) < SAMPLE_RATE * 2:
        raise BeatsError(f"{audio.name} is too short to find a tempo")
    tempo, beats = librosa.beat.beat_track(y=y, sr=SAMPLE_RATE, units="time")
    times = [float(t) for t in beats]
    if len(times) < 4:
        raise BeatsError(f"no steady beat found in {audio.name}")
    bpm, offset = fit_grid(times)
    return BeatGrid(bpm, refine_phase(librosa, y, 60.0 / bpm, offset), len(times))


def refine_phase(librosa, y, period: float, guess: float) -> float:  # type: ignore[no-untyped-def]
    """The grid's phase to a few milliseconds: librosa's beats sit on ~23 ms frames, so search the phase
    that puts the grid on the strongest onsets of a finer onset envelope."""
    import numpy as np

    hop = 64
    with warnings.catch_warnings():  # a fine hop with a short window: librosa warns about empty mel bands
        warnings.simplefilter("ignore")
        env = librosa.onset.onset_strength(y=y, sr=SAMPLE_RATE, hop_length=hop, n_fft=512, n_mels=64)
    n = len(env)
    step = hop / SAMPLE_RATE
    ks = np.arange(0, n * step / period + 1) * period
    best, best_phase = -1.0, guess
    for i in range(int(period / step) + 1):
        ph = i * step
        idx = np.round((ph + ks) / step).astype(int)
        score = float(env[idx[idx < n]].sum())
        if score > best:
            best, best_phase = score, ph
    offset = round(best_phase % period, 3)
    return 0.0 if offset >= round(period, 3) else offset
