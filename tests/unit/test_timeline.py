"""The song clock is computed once (compiler.timeline): the times validate reports are the times resolve plays."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from compiler.errors import FilmError
from compiler.load import load_film
from compiler.resolve import resolve_production
from compiler.timeline import ShotSpan, song_timeline
from compiler.validate import Validated, validate_film

HEAD = """version: 1
film: {title: Clock, aspect: "16:9"}
song:
  %(song)s
  sections:
    - {id: a, tag: Verse, start: 0, lyrics: "one\\ntwo\\nthree"}
    - {id: b, tag: Chorus, start: "0:10.300"}
    - id: c
      tag: Bridge
      start: "0:21.05"
      lines: [{at: 21.5, text: late}, {at: 25, text: later}]
targets: {image: [comfyui], video: [kling]}
shots:
"""

# Films whose timeline is easy to get subtly wrong: snapped cuts, fractional section starts, explicit and shared
# durations, an extended shot longer than the target generates, a song longer than the declared shots.
FILMS = {
    "snapped-to-bpm": (
        "duration: 30\n  bpm: 100\n  beat_offset: 0.3",
        "edit: {snap: beats}\n",
        ["{id: a1, section: a, duration: 3.1}", "{id: a2, section: a}", "{id: a3, section: a, duration: 2.9}",
         "{id: b1, section: b}", "{id: b2, section: b, duration: 4.4}", "{id: c1, section: c}"],
    ),
    "snapped-to-listed-beats": (
        "duration: 28.5\n  beats: [0, 1.1, 2.6, 3.3, 5.8, 7.7, 9.05, 12.2, 15.5, 18.8, 22.6, 24.4, 26.1]",
        "edit: {snap: beats}\n",
        ["{id: a1, section: a, duration: 2.5}", "{id: a2, section: a}", "{id: b1, section: b, duration: 7.25}",
         "{id: b2, section: b}", "{id: c1, section: c, duration: 3.3}", "{id: c2, section: c}"],
    ),
    "explicit-durations-unsnapped": (
        "duration: 31.7\n  bpm: 120",
        "",
        ["{id: a1, section: a, duration: 1.7}", "{id: a2, section: a, duration: 8.6}",
         "{id: b1, section: b, duration: 9.75}", "{id: b2, section: b}", "{id: c1, section: c}", "{id: c2, section: c}",
         "{id: c3, section: c}"],
    ),
    "extended-shot": (
        "duration: 29",
        "",
        ["{id: a1, section: a}", "{id: a2, section: a}", "{id: b1, section: b, extend: true}", "{id: c1, section: c}"],
    ),
}


def _film(song: str, tail: str, shots: list[str]) -> str:
    return HEAD % {"song": song} + "".join(f"  - {s}\n" for s in shots) + tail


def _validate(tmp_path: Path, text: str) -> Validated:
    path = tmp_path / "film.yaml"
    path.write_text(text)
    return validate_film(load_film(path, display="film.yaml"))


def _errors(tmp_path: Path, text: str) -> list[tuple[str, str, int]]:
    with pytest.raises(FilmError) as info:
        _validate(tmp_path, text)
    return [(d.code, d.message, d.line) for d in info.value.diagnostics if d.severity == "error"]


@pytest.mark.parametrize("name", sorted(FILMS))
def test_resolve_plays_the_timeline_validate_checked(tmp_path: Path, name: str) -> None:
    validated = _validate(tmp_path, _film(*FILMS[name]))
    prod = resolve_production(validated)
    timeline = validated.timeline
    assert timeline is not None and prod.song_duration == timeline.duration
    assert [(s.id, s.start, s.end) for s in prod.shots] == [(sp.shot.id, sp.start, sp.end)
                                                             for sp in timeline.shot_spans()]
    assert [(s.section.id, s.start, s.end) for s in prod.sections] == [(sp.section.id, sp.start, sp.end)
                                                                       for sp in timeline.sections]
    assert prod.lines == tuple(ln for sp in timeline.sections for ln in sp.lines)
    assert prod.beats == timeline.beats
    # the clock has no gaps and no overlaps: each shot starts where the one before ends
    assert prod.shots[0].start == 0 and prod.shots[-1].end == prod.song_duration
    assert all(a.end == b.start for a, b in zip(prod.shots, prod.shots[1:]))


@pytest.mark.parametrize("name", sorted(FILMS))
def test_the_shot_lengths_validate_reports_are_the_lengths_resolve_plays(tmp_path: Path, name: str) -> None:
    """A transition a little longer than a shot: V250 names the shot's length, which is the length it plays."""
    song, tail, shots = FILMS[name]
    prod = resolve_production(_validate(tmp_path, _film(song, tail, shots)))
    for k, rs in enumerate(prod.shots):
        longer = [s.replace("}", f", transition: {{out: fade, duration: {rs.duration + 0.002:.3f}}}}}")
                  if i == k else s for i, s in enumerate(shots)]
        [(code, message, _)] = _errors(tmp_path, _film(song, tail, longer))
        assert code == "V250"
        reported = re.search(r"longer than shot '([^']+)' \(([0-9.]+) s\)", message)
        assert reported and reported.groups() == (rs.id, f"{rs.duration:.3f}")


def test_snapping_moves_the_reported_length(tmp_path: Path) -> None:
    """a1 asks for 3.1 s; the cut snaps to the beat at 3.3 s, and validation measures the snapped shot."""
    song, tail, shots = FILMS["snapped-to-bpm"]
    fade = [shots[0].replace("}", ", transition: {out: fade, duration: 3.2}}"), *shots[1:]]
    validated = _validate(tmp_path, _film(song, tail, fade))  # 3.2 s fits the 3.3 s shot (not the 3.1 s asked)
    assert validated.timeline is not None
    assert validated.timeline.durations()["a1"] == pytest.approx(3.3)


def test_an_extended_shot_needs_what_it_plays(tmp_path: Path) -> None:
    """Without `extend`, V223 names the length the shot plays (resolve's), beyond the target's 10 s."""
    song, tail, shots = FILMS["extended-shot"]
    prod = resolve_production(_validate(tmp_path, _film(song, tail, shots)))
    plain = [s.replace(", extend: true", "") for s in shots]
    [(code, message, _)] = _errors(tmp_path, _film(song, tail, plain))
    assert code == "V223" and f"needs {prod.shot('b1').duration:.3f} s of video" in message


@pytest.mark.parametrize(("song", "verdict", "amount"), [
    ("duration: 24", "over-filled", 2.95),  # the song ends before the shots of its last section
    ("duration: 29.5", "under-filled", 2.55),  # it runs on after them
])
def test_a_song_shorter_or_longer_than_its_shots(tmp_path: Path, song: str, verdict: str, amount: float) -> None:
    shots = ["{id: a1, section: a}", "{id: b1, section: b}", "{id: c1, section: c, duration: 5.9}"]
    errors = _errors(tmp_path, _film(song, "", shots))
    assert [(c, line) for c, _, line in errors] == [("V240", 8)]  # located at section c
    assert f"section 'c' is {verdict} by {amount:.3f} s" in errors[0][1]


def test_resolve_places_shots_where_the_timeline_says(tmp_path: Path) -> None:
    """resolve reads the validated timeline; it does not place shots on its own."""
    validated = _validate(tmp_path, _film(*FILMS["explicit-durations-unsnapped"]))
    timeline = validated.timeline
    assert timeline is not None
    moved = dataclasses.replace(timeline, sections=tuple(
        dataclasses.replace(sec, shots=tuple(ShotSpan(sp.shot, sp.start + 0.5, sp.end + 0.5) for sp in sec.shots))
        for sec in timeline.sections))
    prod = resolve_production(dataclasses.replace(validated, timeline=moved))
    assert [(s.id, s.start) for s in prod.shots] == [(sp.shot.id, sp.start + 0.5) for sp in timeline.shot_spans()]


def test_the_timeline_of_a_film_is_the_validated_one(tmp_path: Path) -> None:
    validated = _validate(tmp_path, _film(*FILMS["snapped-to-listed-beats"]))
    assert validated.timeline == song_timeline(validated.film, validated.timeline.duration)  # type: ignore[union-attr]
