#!/usr/bin/env python3
"""Synthesise the instrumental for the "lighthouse-keeper" example film.

Stand-alone: Python standard library only (array, math, random, wave) plus the
ffmpeg binary bundled with imageio-ffmpeg (or any ``ffmpeg`` on PATH) to encode
the result. Run it from anywhere:

    python specs/lighthouse-keeper/make_song.py

and it writes ``audio/song.ogg`` beside this script (mono, 22050 Hz, Vorbis at
low quality, so the committed file stays small). The output is deterministic:
the only noise (hi-hats, kick click) comes from a fixed-seed generator and the
encoder runs in bit-exact mode.

The grid (what film.yaml's ``song`` block must say)
---------------------------------------------------
- Tempo: 96 BPM, 4/4. One beat = 0.625 s, one bar = 2.5 s.
- Beat offset: 0.5 s. Beat k sounds at 0.5 + k * 0.625 s; bar n (from 0)
  starts at 0.5 + n * 2.5 s. The first 0.5 s is silence (a lead-in).
- A kick (decaying sine sweep, 150 -> 50 Hz) sounds on every beat from 0.5 s
  to 69.875 s, with a final one on the downbeat at 70.5 s; downbeats are
  slightly accented.
- Duration: 72.00 s exactly (28 bars of music = 70.5 s, then the last chord
  rings out and fades for 1.5 s).

Sections (bar numbers count from 0; times in seconds)
-----------------------------------------------------
  section   tag      bars     start    end     chords (one per bar)
  intro     Intro    0-4       0.0*    10.5    Dm Dm Bb A       (pad only)
  verse1    Verse    4-10     10.5     25.5    Dm Bb F C Dm A   (bass on 1 and 3)
  chorus1   Chorus   10-16    25.5     40.5    F C Dm Bb F C    (eighth bass, hats, bell arp)
  bridge    Bridge   16-20    40.5     50.5    Gm Eb Bb A       (slow tremolo pad, held bass)
  chorus2   Chorus   20-24    50.5     60.5    F C Dm Bb        (as chorus1)
  outro     Outro    24-28    60.5     72.0    Dm Bb F Dm, final Dm rings to 72.0

  * The intro section starts at 0.0 so that it contains the 0.5 s lead-in;
    every other section starts exactly on a bar line.
"""

import array
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import wave

SR = 22050
BPM = 96.0
BEAT = 60.0 / BPM            # 0.625 s
BAR = 4 * BEAT               # 2.5 s
OFFSET = 0.5                 # time of beat 1 of bar 0
TAIL = 1.5                   # ring-out after the last bar
SEED = 1996

# (id, bars, chords, style) -- chords are root names with optional "m" for minor.
SECTIONS = [
    ("intro",   4, ["Dm", "Dm", "Bb", "A"],                 "intro"),
    ("verse1",  6, ["Dm", "Bb", "F", "C", "Dm", "A"],       "verse"),
    ("chorus1", 6, ["F", "C", "Dm", "Bb", "F", "C"],        "chorus"),
    ("bridge",  4, ["Gm", "Eb", "Bb", "A"],                 "bridge"),
    ("chorus2", 4, ["F", "C", "Dm", "Bb"],                  "chorus"),
    ("outro",   4, ["Dm", "Bb", "F", "Dm"],                 "outro"),
]

TOTAL_BARS = sum(bars for _, bars, _, _ in SECTIONS)          # 28
MUSIC_END = OFFSET + TOTAL_BARS * BAR                          # 70.5 s
DURATION = MUSIC_END + TAIL                                    # 72.0 s
N = int(round(DURATION * SR))

PITCH = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5,
         "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}


def midi_hz(m):
    return 440.0 * 2.0 ** ((m - 69) / 12.0)


def chord_notes(name):
    """Return (bass midi note, [pad midi notes]) for a chord name like 'Dm' or 'Bb'."""
    minor = name.endswith("m")
    root = PITCH[name[:-1] if minor else name]
    intervals = (0, 3, 7) if minor else (0, 4, 7)
    pad = sorted(55 + ((root + i - 55) % 12) for i in intervals)   # voiced into G3..F#4
    bass = 36 + ((root - 36) % 12)                                  # C2..B2
    return bass, pad


buf = array.array("d", bytes(8 * N))
rng = random.Random(SEED)


def add_tone(start, length, freq, amp, attack=0.01, release=0.05, decay=0.0,
             harmonics=(1.0,), tremolo=0.0):
    """Additive sine tone with linear attack/release and optional exponential decay."""
    i0 = int(round(start * SR))
    n = int(length * SR)
    n = min(n, N - i0)
    if n <= 0:
        return
    w = 2.0 * math.pi * freq / SR
    na, nr = max(1, int(attack * SR)), max(1, int(release * SR))
    tw = 2.0 * math.pi * 4.0 / SR          # 4 Hz tremolo
    sin = math.sin
    exp = math.exp
    for j in range(n):
        env = amp
        if j < na:
            env *= j / na
        if j > n - nr:
            env *= (n - j) / nr
        if decay:
            env *= exp(-decay * j / SR)
        if tremolo:
            env *= 1.0 - tremolo * (0.5 + 0.5 * sin(tw * j))
        s = 0.0
        for h, a in enumerate(harmonics, 1):
            s += a * sin(w * h * j)
        buf[i0 + j] += env * s


def add_kick(t, amp):
    i0 = int(round(t * SR))
    n = min(int(0.38 * SR), N - i0)
    sin, exp = math.sin, math.exp
    for j in range(n):
        x = j / SR
        phase = 2.0 * math.pi * (50.0 * x + (100.0 / 30.0) * (1.0 - exp(-30.0 * x)))
        s = sin(phase) * exp(-11.0 * x)
        if j < 66:                                     # ~3 ms click for a sharp onset
            s += (rng.random() * 2.0 - 1.0) * 0.6 * (1.0 - j / 66)
        buf[i0 + j] += amp * s


def add_hat(t, amp):
    i0 = int(round(t * SR))
    n = min(int(0.05 * SR), N - i0)
    prev = 0.0
    for j in range(n):
        white = rng.random() * 2.0 - 1.0
        hp = white - prev                              # crude high-pass
        prev = white
        buf[i0 + j] += amp * hp * math.exp(-90.0 * j / SR)


def render():
    bar = 0
    for sid, bars, chords, style in SECTIONS:
        assert len(chords) == bars, sid
        for chord in chords:
            t0 = OFFSET + bar * BAR
            bass, pad = chord_notes(chord)
            last_bar = bar == TOTAL_BARS - 1
            # --- pad ------------------------------------------------------
            pad_amp = {"intro": 0.07, "verse": 0.08, "chorus": 0.10,
                       "bridge": 0.09, "outro": 0.07}[style]
            trem = 0.5 if style == "bridge" else 0.0
            for m in pad:
                f = midi_hz(m)
                for det in (0.997, 1.003):
                    add_tone(t0, BAR, f * det, pad_amp, attack=0.12, release=0.15,
                             harmonics=(1.0, 0.3, 0.1), tremolo=trem)
            # --- bass -----------------------------------------------------
            fb = midi_hz(bass)
            if style == "verse":
                for b in (0, 2):
                    add_tone(t0 + b * BEAT, 2 * BEAT, fb, 0.22, attack=0.01,
                             release=0.08, decay=1.2, harmonics=(1.0, 0.4))
            elif style == "chorus":
                for e in range(8):
                    add_tone(t0 + e * BEAT / 2, BEAT / 2, fb, 0.2, attack=0.005,
                             release=0.03, decay=3.0, harmonics=(1.0, 0.5, 0.2))
            elif style in ("bridge", "outro"):
                add_tone(t0, BAR, fb, 0.2, attack=0.02, release=0.2, decay=0.6,
                         harmonics=(1.0, 0.3))
            # --- chorus: offbeat hats and a bell arpeggio -------------------
            if style == "chorus":
                arp = [pad[0] + 12, pad[1] + 12, pad[2] + 12, pad[1] + 12]
                for e in range(8):
                    add_tone(t0 + e * BEAT / 2, BEAT / 2, midi_hz(arp[e % 4]), 0.06,
                             attack=0.003, release=0.05, decay=6.0,
                             harmonics=(1.0, 0.25))
                for b in range(4):
                    add_hat(t0 + b * BEAT + BEAT / 2, 0.12)
            # --- kick on every beat ---------------------------------------
            for b in range(4):
                add_kick(t0 + b * BEAT, 0.75 if b == 0 else 0.6)
            bar += 1
    # Final downbeat at MUSIC_END: one kick and a Dm chord that rings out.
    add_kick(MUSIC_END, 0.75)
    bass, pad = chord_notes("Dm")
    for m in pad:
        add_tone(MUSIC_END, TAIL, midi_hz(m), 0.08, attack=0.02, release=0.4,
                 decay=2.0, harmonics=(1.0, 0.3, 0.1))
    add_tone(MUSIC_END, TAIL, midi_hz(bass), 0.2, attack=0.01, release=0.4,
             decay=2.0, harmonics=(1.0, 0.3))


def find_ffmpeg():
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:
        exe = shutil.which("ffmpeg")
        if not exe:
            sys.exit("need ffmpeg (pip install imageio-ffmpeg, or put ffmpeg on PATH)")
        return exe


def main():
    render()
    peak = max(abs(x) for x in buf) or 1.0
    gain = 0.89 / peak
    pcm = array.array("h", (int(round(x * gain * 32767)) for x in buf))
    if sys.byteorder != "little":
        pcm.byteswap()
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "audio", "song.ogg")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "song.wav")
        with wave.open(wav, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SR)
            w.writeframes(pcm.tobytes())
        subprocess.run([find_ffmpeg(), "-y", "-hide_banner", "-loglevel", "error",
                        "-i", wav, "-map_metadata", "-1",
                        "-c:a", "libvorbis", "-q:a", "1",
                        "-fflags", "+bitexact", "-flags:a", "+bitexact", out],
                       check=True)
    print(f"wrote {out}: {N / SR:.3f} s, {BPM:g} BPM, beat offset {OFFSET} s, "
          f"{os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()
