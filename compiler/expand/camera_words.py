"""Camera moves in words: generic sentences and directions, and what of a sequence one target can say."""

from __future__ import annotations

from dataclasses import dataclass

from ..capabilities import Capabilities
from ..model import Camera
from . import grammar as g
from .vocab import CAMERA_DIRECTIONS, CAMERA_WORDS, SPEED_WORDS


def camera_clause(cam: Camera) -> str:
    """'the camera slowly pushes in'."""
    sentence = CAMERA_WORDS[cam.move]
    if cam.speed and cam.move not in ("static", "handheld"):
        verb_at = sentence.find(" ", len("the camera "))
        if verb_at > 0:
            sentence = sentence[:verb_at] + " " + SPEED_WORDS[cam.speed] + sentence[verb_at:]
    return sentence


def camera_sentence(moves: tuple[Camera, ...]) -> str:
    """'The camera tracks the subject, then pans left.'"""
    if not moves:
        return ""
    clauses = [camera_clause(m) for m in moves]
    rest = [c[len("the camera "):] if c.startswith("the camera ") else c for c in clauses[1:]]
    return g.sentence(", then ".join([clauses[0], *rest]))


def camera_direction(moves: tuple[Camera, ...]) -> str:
    """The moves as a direction: 'Push in slowly, then pan left.'"""
    parts = []
    for m in moves:
        speed = " " + SPEED_WORDS[m.speed] if m.speed and "{s}" in CAMERA_DIRECTIONS[m.move] else ""
        parts.append(CAMERA_DIRECTIONS[m.move].replace("{s}", speed))
    return g.sentence(", then ".join(parts)) if parts else ""


@dataclass(frozen=True, slots=True)
class CameraPlan:
    """What of a shot's camera sequence one target can say: the moves it keeps (at most camera_max), the ones it
    drops, and its own commands for the kept moves (brackets, concepts) when it has one for every kept move."""

    kept: tuple[Camera, ...]
    dropped: tuple[Camera, ...]
    commands: tuple[str, ...]
    missing: tuple[Camera, ...]  # kept moves the target has no command for (then the sequence goes in words)


def camera_plan(moves: tuple[Camera, ...], caps: Capabilities) -> CameraPlan:
    """The moves `caps` keeps, drops and has commands for."""
    limit = caps.camera_max
    kept = moves[:limit] if limit else moves
    phrases = caps.camera
    missing = tuple(m for m in kept if phrases.get(m.move) is None) if phrases else kept
    commands = tuple(str(phrases[m.move]) for m in kept) if kept and not missing else ()
    return CameraPlan(kept, moves[len(kept):], commands, missing)
