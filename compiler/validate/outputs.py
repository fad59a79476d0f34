"""Where the render may write: never over a file the film reads, and only a video file.

`filmc render` replaces its output atomically; pointed at film.yaml, the song or a take it
would replace that file with an MP4. The same check runs on edit.output.file (validate,
located) and on `render -o` (the command line).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..model import Film
from ..paths import VIDEO_OUTPUTS, inside_film, special_file


def film_inputs(film: Film) -> list[tuple[str, Path]]:
    """(what, path) of every file the film reads that film.yaml names: film.yaml itself, the song, takes,
    reference images, LUTs and workflow graphs (paths the policy refuses are left out: validate reports them)."""
    named: list[tuple[str, str]] = []
    if film.song.audio:
        named.append(("the song", film.song.audio))
    for shot in film.shots:
        if shot.take:
            named.append((f"the take of shot '{shot.id}'", shot.take))
        for opts in shot.generate.values():
            if isinstance(opts.get("workflow"), str):
                named.append((f"the workflow of shot '{shot.id}'", opts["workflow"]))
    for c in film.characters.values():
        named += [(f"a reference image of '{c.id}'", r) for r in c.refs]
    for loc in film.locations.values():
        named += [(f"a reference image of '{loc.id}'", r) for r in loc.refs]
    grades = [film.edit.grade, *(w.grade for w in film.concept.worlds.values())]
    named += [("a LUT", g.lut) for g in grades if g is not None and g.lut]
    for name, opts in film.targets.options.items():
        if isinstance(opts.get("workflow"), str):
            named.append((f"the workflow of '{name}'", opts["workflow"]))
    out = [("the film's own film.yaml", film.path)]
    for what, rel in named:
        p = inside_film(film.root, rel, True)
        if p is not None:
            out.append((what, p))
    return out


def _same(a: Path, b: Path) -> bool:
    """Whether writing `a` would replace `b` (symlinks followed, case-insensitive disks included)."""
    try:
        if os.path.realpath(a) == os.path.realpath(b):
            return True
        if os.path.join(os.path.realpath(a.parent), a.name) == os.path.join(os.path.realpath(b.parent), b.name):
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def input_at(film: Film, path: Path) -> str | None:
    """What the film reads at `path` ("the song", "the take of shot 's01'"...), or None when it reads nothing there."""
    return next((what for what, p in film_inputs(film) if _same(path, p)), None)


def output_problem(film: Film, output: Path | None, shown: str | None = None) -> tuple[str, str, str] | None:
    """(code, message, hint) when `output` must not be rendered to; None when it may. `shown`: the output
    as the creator wrote it (default: its name)."""
    if output is None:
        return None
    name = shown or output.name
    what = input_at(film, output)
    if what:
        return ("V262", f"'{name}' is {what}: rendering there would replace it with the film",
                "render to a new file, e.g. build/film.mp4")
    exts = ", ".join(VIDEO_OUTPUTS)
    if output.suffix.lower() not in VIDEO_OUTPUTS:
        return ("V263", f"'{name}' is not a video file name: the render writes {exts}",
                f"name the output e.g. {output.stem or 'film'}.mp4")
    if output.is_dir():
        return ("V263", f"'{name}' is a folder", f"name a file, e.g. {name}/film.mp4")
    kind = special_file(output)
    if kind:
        return ("V263", f"'{name}' is {kind}, not a file the render can replace", "name a new file")
    return None
