"""Loading a film as every command does: the path the user typed -> load -> validate -> resolve."""

from __future__ import annotations

from pathlib import Path

from .load import load_film, paused_gc
from .paths import film_path as film_path  # where it lives: commands that only need the path import it from there
from .resolve import Production, resolve_production
from .validate import validate_film


def resolve_film(path: str | Path, *, allow_outside: bool = False, kept: Path | None = None,
                 keep_later: bool = False) -> Production:
    """load -> validate -> resolve; FilmError carries every problem of the first failing stage. `kept`: the file a
    build keeps its parse of film.yaml in (see load.splice; `keep_later`: see load_film)."""
    p = film_path(path)
    with paused_gc():
        doc = load_film(p, display=str(path if not Path(path).is_dir() else p), kept=kept, keep_later=keep_later)
        validated = validate_film(doc, allow_outside=allow_outside)
        return resolve_production(validated)
