"""Tempo and beat grid of the song (librosa, an optional extra): `filmc beats`.

The tempo comes in three steps: librosa's estimate (a tempo bin, about 1% wide: 99.4 for a 100 BPM song),
then the tempo within 6% of it whose grid puts the most onset strength on its beats (a 0.01 BPM grid search),
then a least-squares fit of the onset times against their beat index, which gives the tempo to a few
hundredths of a BPM and the first beat to a few milliseconds. Songs are made at whole tempos, so a tempo
within 0.05 of a whole number is that number.
"""

from __future__ import annotations

import math
import os
import stat
import subprocess
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Collector, Diagnostic
from ..errors import FilmcError, FilmError
from ..probe import ProbeError, ffmpeg_exe

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


# ---------------------------------------------------------------- which file, and may it be read


def song_file(film: Any, doc: Any) -> Path:
    """The song's audio file of a validated film (validate has applied the path policy), checked to be a
    regular file: a FIFO or device is refused without being opened (it would block)."""
    c = Collector(doc.display, doc)
    audio = film.song.audio
    if not audio:
        c.error("R301", "/song/audio: the song has no audio file to detect beats in", "/song", key=True,
                hint="add 'audio: audio/song.mp3' under song:")
        raise FilmError(c.items, {doc.display: doc.lines})
    raw = os.path.expanduser(audio) if audio.startswith("~") else audio
    path = Path(raw) if os.path.isabs(raw) else film.root / raw
    try:
        st = os.stat(path)
    except OSError:
        c.error("V261", f"/song/audio: file not found: '{audio}'", "/song/audio")
        raise FilmError(c.items, {doc.display: doc.lines}) from None
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a pipe, socket or device"
        c.error("R302", f"/song/audio: '{audio}' is {what}, not an audio file", "/song/audio",
                hint="point song.audio at a regular audio file (wav, mp3, ogg, flac, m4a)")
        raise FilmError(c.items, {doc.display: doc.lines})
    return path


def validated_song(doc: Any, *, allow_outside: bool = False) -> tuple[Any, list[Diagnostic], set[str]]:
    """(Film, warnings, pointers of unusable values) of a film.yaml checked as `validate` checks it. Problems
    that writing the beat grid fixes (no grid for edit.snap: beats, a bad bpm or beat_offset) do not stop it;
    any other error does."""
    from ..validate import validate_film
    from ..validate.build import Builder

    try:
        v = validate_film(doc, allow_outside=allow_outside)
        return v.film, list(v.warnings), set()
    except FilmError as e:
        fixed = [d for d in e.diagnostics if d.severity == "error" and _fixed_by_beats(d)]
        if any(d.severity == "error" and not _fixed_by_beats(d) for d in e.diagnostics):
            raise
        film = Builder(doc.data, doc.path.absolute(), Collector(doc.display, doc)).film()
        return film, [d for d in e.diagnostics if d not in fixed], {d.pointer for d in fixed}


def _fixed_by_beats(d: Diagnostic) -> bool:
    return d.code == "V290" or d.pointer in ("/song/bpm", "/song/beat_offset")


# ---------------------------------------------------------------- decoding and detection


def _decode(audio: Path):  # type: ignore[no-untyped-def]
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
        raise BeatsError("beat detection needs librosa: pip install -e '.[beats]' (from a checkout) "
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


def _search(times, weights, estimate: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
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


def _fold(times, weights, period: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(score, phase): the onsets folded onto one beat of this period, in ~3 ms bins; the strongest bin."""
    import numpy as np

    bins = max(int(round(period / (HOP / SAMPLE_RATE))), 8)
    idx = (np.floor((times % period) / period * bins).astype(int)) % bins
    hist = np.bincount(idx, weights=weights, minlength=bins)
    hist = hist + np.roll(hist, 1) + np.roll(hist, -1)
    i = int(np.argmax(hist))
    return float(hist[i]), (i + 0.5) / bins * period


def _inliers(times, period: float, phase: float):  # type: ignore[no-untyped-def]
    import numpy as np

    k = np.round((times - phase) / period)
    resid = times - (phase + k * period)
    return k, np.abs(resid) < 0.15 * period


def fit_grid(times: Sequence[float], period: float, phase: float) -> tuple[float, float]:
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


def _fit_phase(times, period: float, phase: float) -> float:  # type: ignore[no-untyped-def]
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


def _confidence(times, period: float, offset: float, duration: float) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    import numpy as np

    t = np.asarray(times, dtype=float)
    grid = offset + np.arange(0, max(int((duration - offset) / period) + 1, 0)) * period
    if not len(grid) or not len(t):
        return 0.0, len(grid)
    j = np.clip(np.searchsorted(t, grid), 1, len(t) - 1) if len(t) > 1 else np.zeros(len(grid), int)
    near = np.minimum(np.abs(t[j] - grid), np.abs(t[np.maximum(j - 1, 0)] - grid))
    tol = max(0.025, 0.06 * period)
    return float((near < tol).mean()), int(len(grid))


# ---------------------------------------------------------------- what to write


@dataclass(frozen=True)
class BeatsPlan:
    write: dict[str, float]  # song fields to write: bpm, beat_offset
    lines: list[str]  # the report: what is set, what was detected, what happens


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e6 else str(v)


def plan_beats(det: Detection, set_bpm: float | str | None, set_offset: float | str | None, *,
               replace: bool) -> BeatsPlan:
    """Fill in what is not set (None); change what the creator set only when replace (--write) is given and
    it disagrees with the detection (tempo by more than AGREE_BPM, first beat by more than AGREE_OFFSET).
    A set value that is not usable (given as text: what validate refuses there) is replaced only with --write."""
    write: dict[str, float] = {}
    bpm_line, grid_bpm = _plan_bpm(det, set_bpm, replace, write)
    return BeatsPlan(write, [bpm_line, _plan_offset(det, grid_bpm, set_offset, replace, write)])


def _plan_bpm(det: Detection, set_bpm: float | str | None, replace: bool, write: dict[str, float]) -> tuple[str, float]:
    """The report line, and the tempo whose grid the first beat is measured on."""
    detected = f"detected {_fmt(det.bpm)} (confidence {det.confidence:.2f})"
    if set_bpm is None:
        write["bpm"] = det.bpm
        return f"song.bpm: not set, {detected}: written", det.bpm
    if isinstance(set_bpm, str):
        if replace:
            write["bpm"] = det.bpm
        return f"song.bpm: set {set_bpm}, not a usable tempo; {detected}: {_verb(replace)}", det.bpm
    if abs(set_bpm - det.bpm) <= AGREE_BPM:
        return f"song.bpm: set {_fmt(set_bpm)}, {detected}: agrees", set_bpm
    conf, _ = det.fit(set_bpm, det.offset_for(set_bpm))
    line = (f"song.bpm: set {_fmt(set_bpm)}, {detected}; the set tempo drifts {det.drift(set_bpm):.2f} s from the "
            f"beats by the end of the song and fits {conf:.0%} of them: {_verb(replace)}")
    if replace:
        write["bpm"] = det.bpm
        return line, det.bpm
    return line, set_bpm


def _plan_offset(det: Detection, grid_bpm: float, set_offset: float | str | None, replace: bool,
                 write: dict[str, float]) -> str:
    offset = det.beat_offset if grid_bpm == det.bpm else det.offset_for(grid_bpm)
    detected = f"detected {_fmt(offset)} s" + (f" for {_fmt(grid_bpm)} BPM" if grid_bpm != det.bpm else "")
    if set_offset is None:
        write["beat_offset"] = offset
        return f"song.beat_offset: not set, {detected}: written"
    if isinstance(set_offset, str):
        if replace:
            write["beat_offset"] = offset
        return f"song.beat_offset: set {set_offset}, not a usable time; {detected}: {_verb(replace)}"
    period = 60.0 / grid_bpm
    gap = abs(set_offset - offset) % period
    if min(gap, period - gap) <= AGREE_OFFSET:
        return f"song.beat_offset: set {_fmt(set_offset)}, {detected}: agrees (within {AGREE_OFFSET * 1000:.0f} ms)"
    if replace:
        write["beat_offset"] = offset
    return f"song.beat_offset: set {_fmt(set_offset)}, {detected}: {_verb(replace)}"


def _verb(replace: bool) -> str:
    return "replaced" if replace else "kept (--write replaces it)"
