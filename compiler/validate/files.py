"""The film's files: paths inside the film's folder, present, regular files; the output not over an input."""

from __future__ import annotations

import os
from pathlib import Path

from ..diagnostics import Collector, did_you_mean
from ..model import NEXT_FRAME, Film
from ..paths import inside_film, special_file
from .outputs import output_problem


def _inside(root: Path, rel: str) -> Path | None:
    return inside_film(root, rel)


def check_paths(film: Film, diags: Collector, allow_outside: bool) -> None:
    paths: list[tuple[str, str, str]] = []  # (pointer, path, missing severity)
    if film.song.audio:
        paths.append(("/song/audio", film.song.audio, "error"))
    for c in film.characters.values():
        paths += [(f"{c.pointer}/refs/{i}", r, "warning") for i, r in enumerate(c.refs)]
    for loc in film.locations.values():
        paths += [(f"{loc.pointer}/refs/{i}", r, "warning") for i, r in enumerate(loc.refs)]
    for w in film.concept.worlds.values():
        paths += [(f"{w.pointer}/refs/{i}", r, "warning") for i, r in enumerate(w.refs)]
    for shot in film.shots:
        paths += [(f"{shot.pointer}/refs/{i}", r, "warning") for i, r in enumerate(shot.refs or ())]
        if shot.end_frame and shot.end_frame != NEXT_FRAME:
            paths.append((f"{shot.pointer}/end_frame", shot.end_frame, "warning"))
        if shot.take:
            paths.append((f"{shot.pointer}/take", shot.take, "warning"))
    if film.edit.grade and film.edit.grade.lut:
        paths.append(("/edit/grade/lut", film.edit.grade.lut, "error"))
    for w in film.concept.worlds.values():
        if w.grade and w.grade.lut:
            paths.append((f"{w.pointer}/grade/lut", w.grade.lut, "error"))
    if film.edit.output.file:
        paths.append(("/edit/output/file", film.edit.output.file, "output"))
    for ptr, rel, missing in paths:
        target = _inside(film.root, rel)
        if "\x00" in rel or len(rel) > 1024:
            diags.error("V260", f"{ptr}: not a usable path (a NUL character, or over 1024 characters)", ptr)
            continue
        if target is None and not allow_outside:
            why = "is absolute" if os.path.isabs(rel) or rel.startswith("~") else "leads outside the film's folder"
            diags.error("V260", f"{ptr}: the path '{rel}' {why}", ptr,
                        hint="paths are relative to the folder holding film.yaml and stay inside it; "
                             "copy the file into the film's folder (or pass --allow-outside-paths)")
            continue
        if missing == "output":  # written by render: not over an input, and a video file
            problem = output_problem(film, target or inside_film(film.root, rel, True), rel)
            if problem:
                diags.error(problem[0], f"{ptr}: {problem[1]}", ptr, hint=problem[2])
            continue
        if target is None:
            target = inside_film(film.root, rel, True) or film.root / rel
        try:
            exists = target.exists()
        except (OSError, ValueError):
            exists = False
        if not exists:
            msg = f"{ptr}: file not found: '{rel}'"
            if missing == "error":
                diags.error("V261", msg, ptr, hint=_missing_hint(film.root, rel))
            else:
                diags.warning("V261", msg, ptr, hint=_missing_hint(film.root, rel))
        elif target.is_dir():
            diags.error("V261", f"{ptr}: '{rel}' is a folder, not a file", ptr)
        elif kind := special_file(target):
            diags.error("V264", f"{ptr}: '{rel}' is {kind}, not a regular file", ptr,
                        hint="media must be regular files: copy the file itself into the film's folder")


def _missing_hint(root: Path, rel: str) -> str | None:
    folder = (root / rel).parent
    if folder.is_dir():
        names = [p.name for p in folder.iterdir() if p.is_file()]
        hint = did_you_mean(Path(rel).name, names) if names else None
        if hint and hint.startswith("did you mean"):
            return hint
    return "paths are relative to the folder holding film.yaml"
