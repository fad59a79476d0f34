"""Tempo and beat grid of the song (librosa, an optional extra): `filmc beats`.

The tempo comes in three steps: librosa's estimate (a tempo bin, about 1% wide: 99.4 for a 100 BPM song),
then the tempo within 6% of it whose grid puts the most onset strength on its beats (a 0.01 BPM grid search),
then a least-squares fit of the onset times against their beat index, which gives the tempo to a few
hundredths of a BPM and the first beat to a few milliseconds. Songs are made at whole tempos, so a tempo
within 0.05 of a whole number is that number.
"""

from __future__ import annotations

import math
import subprocess
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FilmcError
from ..probe import ProbeError, ffmpeg_exe

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Floats = NDArray[Any]  # float arrays (numpy is imported only when detecting)
    Bools = NDArray[Any]

SAMPLE_RATE = 22050
HOP = 64  # onset envelope hop: 2.9 ms at 22050 Hz
SEARCH = 0.06  # tempo search: +-6% around librosa's estimate
WHOLE = 0.05  # a tempo this close to a whole number is taken as that number
AGREE_BPM = 0.05  # a set tempo this close to the detected one agrees with it
AGREE_OFFSET = 0.010  # a set first beat this close (seconds) to the detected one agrees with it


class BeatsError(FilmcError):
    """Beat detection could not run or found no beat (code: R303 decode, R304 no steady beat)."""

    def __init__(self, message: str, code: str = "R304") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Detection:
    bpm: float  # integer when within WHOLE of one, else 2 decimals
    beat_offset: float  # the first beat of the grid, 0 <= beat_offset < 60/bpm, to the millisecond
    confidence: float  # the share of the grid's beats that land on an onset (0..1)
    beats: int  # the grid's beats within the song
    raw_bpm: float  # the fitted tempo before rounding
    duration: float  # seconds of audio
    onsets: tuple[float, ...] = field(repr=False, default=())
    strengths: tuple[float, ...] = field(repr=False, default=())

    def offset_for(self, bpm: float) -> float:
        """The first beat of the grid at another tempo (the one the creator set) that best fits the onsets."""
        import numpy as np

        t, w = np.asarray(self.onsets), np.asarray(self.strengths)
        period = 60.0 / bpm
        return _offset(_fit_phase(t, period, _fold(t, w, period)[1]), period)

    def fit(self, bpm: float, offset: float) -> tuple[float, int]:
        """(confidence, beats) of a grid: the share of its beats within the song that land on an onset."""
        return _confidence(self.onsets, 60.0 / bpm, offset, self.duration)

    def drift(self, bpm: float) -> float:
        """Seconds a grid at bpm strays from the detected grid by the end of the song."""
        beats = max(self.duration - self.beat_offset, 0.0) / (60.0 / self.raw_bpm)
        return abs(60.0 / bpm - 60.0 / self.raw_bpm) * beats


def _decode(audio: Path) -> Floats:
    import numpy as np

    try:
        proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", "file:" + str(audio),
                               "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"],
                              capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired, ProbeError) as e:
        raise BeatsError(f"cannot decode {audio.name}: {e}", "R303") from None
    if proc.returncode != 0 or not proc.stdout:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BeatsError(f"cannot decode {audio.name}: {msg[-1] if msg else 'no audio'}", "R303")
    return np.frombuffer(proc.stdout, dtype=np.float32)


def detect_beats(audio: Path, *, hint: float | None = None) -> Detection:
    """The song's tempo and first beat. hint (the tempo the creator set) picks between half, same and double
    tempo when librosa's estimate is at another metrical level; it never moves the result otherwise."""
    try:
        import librosa
        import numpy as np
    except ImportError:
        raise BeatsError("beat detection needs librosa: pip install '.[beats]' (from a checkout) "
                         "or pip install 'filmc[beats]'", "R303") from None
    y = _decode(audio)
    duration = len(y) / SAMPLE_RATE
    if duration < 2.0:
        raise BeatsError(f"{audio.name} is too short to find a tempo ({duration:.2f} s)")
    with warnings.catch_warnings():  # a fine hop with a short window: librosa warns about empty mel bands
        warnings.simplefilter("ignore")
        env = librosa.onset.onset_strength(y=y, sr=SAMPLE_RATE, hop_length=HOP, n_fft=512, n_mels=64)
        coarse = librosa.onset.onset_strength(y=y, sr=SAMPLE_RATE)
        estimate = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=coarse, sr=SAMPLE_RATE))[0])
        frames = librosa.onset.onset_detect(onset_envelope=env, sr=SAMPLE_RATE, hop_length=HOP, units="frames")
    if len(frames) < 4 or not estimate > 0:
        raise BeatsError(f"no steady beat found in {audio.name}")
    times = frames * (HOP / SAMPLE_RATE)
    weights = np.asarray(env[frames], dtype=float)
    if hint:  # the creator's metrical level: half, same or double librosa's estimate
        estimate = min((estimate * f for f in (0.5, 1.0, 2.0)), key=lambda b: abs(math.log(b / hint)))
    bpm, phase = _search(times, weights, estimate)
    period, phase = fit_grid(times, 60.0 / bpm, phase)
    raw = 60.0 / period
    bpm = round_bpm(raw)
    period = 60.0 / bpm
    offset = _offset(_fit_phase(times, period, phase), period)
    conf, count = _confidence(times, period, offset, duration)
    if count < 4 or conf < 0.05:
        raise BeatsError(f"no steady beat found in {audio.name}")
    return Detection(bpm, offset, round(conf, 2), count, raw, duration, tuple(float(t) for t in times),
                     tuple(float(w) for w in weights))


def round_bpm(bpm: float) -> float:
    """Whole when within WHOLE of a whole number (songs are made at whole tempos), else to 0.01."""
    whole = round(bpm)
    return float(whole) if abs(bpm - whole) < WHOLE else round(bpm, 2)


def _search(times: Floats, weights: Floats, estimate: float) -> tuple[float, float]:
    """(bpm, phase) within SEARCH of the estimate, in 0.01 BPM steps, whose grid collects the most onset
    strength: the onsets folded onto one beat, in 3 ms bins."""
    import numpy as np

    best = (-1.0, estimate, 0.0)
    for bpm in np.arange(round(estimate * (1 - SEARCH), 2), estimate * (1 + SEARCH), 0.01):
        period = 60.0 / bpm
        score, phase = _fold(times, weights, period)
        if score > best[0]:
            best = (score, float(bpm), phase)
    return best[1], best[2]


def _fold(times: Floats, weights: Floats, period: float) -> tuple[float, float]:
    """(score, phase): the onsets folded onto one beat of this period, in ~3 ms bins; the strongest bin."""
    import numpy as np

    bins = max(int(round(period / (HOP / SAMPLE_RATE))), 8)
    idx = (np.floor((times % period) / period * bins).astype(int)) % bins
    hist = np.bincount(idx, weights=weights, minlength=bins)
    hist = hist + np.roll(hist, 1) + np.roll(hist, -1)
    i = int(np.argmax(hist))
    return float(hist[i]), (i + 0.5) / bins * period


def _inliers(times: Floats, period: float, phase: float) -> tuple[Floats, Bools]:
    import numpy as np

    k = np.round((times - phase) / period)
    resid = times - (phase + k * period)
    return k, np.abs(resid) < 0.15 * period


def fit_grid(times: Floats | Sequence[float], period: float, phase: float) -> tuple[float, float]:
    """(period, phase) of the evenly spaced grid that best fits the onset times near a first guess: least
    squares of the onset times against their beat index, over the onsets within 15% of a beat of the grid."""
    import numpy as np

    t = np.asarray(times, dtype=float)
    for _ in range(4):
        k, ok = _inliers(t, period, phase)
        if ok.sum() < 4 or np.ptp(k[ok]) == 0:
            break
        a = np.vstack([np.ones(int(ok.sum())), k[ok]]).T
        (phase, period), *_ = np.linalg.lstsq(a, t[ok], rcond=None)
    return float(period), float(phase)


def _fit_phase(times: Floats | Sequence[float], period: float, phase: float) -> float:
    """The least-squares phase of a grid whose period is fixed."""
    import numpy as np

    t = np.asarray(times, dtype=float)
    for _ in range(3):
        k, ok = _inliers(t, period, phase)
        if not ok.any():
            break
        phase = float(np.mean(t[ok] - k[ok] * period))
    return phase


def _offset(phase: float, period: float) -> float:
    """The first beat at or after 0 s, to the millisecond; a grid a hair before 0 starts at 0."""
    off = phase % period
    if period - off < AGREE_OFFSET:
        off = 0.0
    off = round(off, 3)
    return 0.0 if off >= round(period, 3) else off


def _confidence(times: Floats | Sequence[float], period: float, offset: float, duration: float) -> tuple[float, int]:
    import numpy as np

    t = np.asarray(times, dtype=float)
    grid = offset + np.arange(0, max(int((duration - offset) / period) + 1, 0)) * period
    if not len(grid) or not len(t):
        return 0.0, len(grid)
    j = np.clip(np.searchsorted(t, grid), 1, len(t) - 1) if len(t) > 1 else np.zeros(len(grid), int)
    near = np.minimum(np.abs(t[j] - grid), np.abs(t[np.maximum(j - 1, 0)] - grid))
    tol = max(0.025, 0.06 * period)
    return float((near < tol).mean()), int(len(grid))
