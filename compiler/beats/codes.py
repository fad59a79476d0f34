"""Diagnostic codes of beat detection (R3xx), in the form of compiler.codes.CODES (`filmc explain`)."""

from __future__ import annotations

BEATS_CODES: dict[str, tuple[str, str]] = {
    "R301": ("no audio for beat detection", "`filmc beats` needs song.audio."),
    "R302": ("song audio is not a file", "`filmc beats` reads song.audio only when it is a regular file: a pipe "
             "(FIFO), socket or device would block the read, a folder has no audio."),
    "R303": ("cannot decode the song", "ffmpeg could not decode song.audio for beat detection (or librosa, the "
             "beats extra, is not installed)."),
    "R304": ("no steady beat", "`filmc beats` found too few onsets, or no tempo whose grid lands on them (silence, "
             "speech, a free-tempo piece). Set song.bpm and beat_offset by hand, or list song.beats."),
}
