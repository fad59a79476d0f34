"""The song file `filmc beats` reads: the film validated as `validate` does (less what writing the grid fixes),
and its audio checked to be a regular file."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from ..diagnostics import Collector, Diagnostic
from ..errors import FilmError


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
