"""The one place that knows the order of the stages."""

from __future__ import annotations

from pathlib import Path

from .load import load_film, paused_gc
from .resolve import Production, resolve_production
from .validate import validate_film


def film_path(path: str | Path) -> Path:
    """A film.yaml path from what the user typed (the file, or the folder holding film.yaml)."""
    p = Path(path)
    if p.is_dir():
        return p / "film.yaml"
    return p


def resolve_film(path: str | Path, *, allow_outside: bool = False) -> Production:
    """load -> validate -> resolve; FilmError carries every problem of the first failing stage."""
    p = film_path(path)
    with paused_gc():
        doc = load_film(p, display=str(path if not Path(path).is_dir() else p))
        validated = validate_film(doc, allow_outside=allow_outside)
        return resolve_production(validated)


def compile_film(path: str | Path, *, targets: list[str] | None = None, select: str | None = None,
                 allow_outside: bool = False, cache_dir: Path | None = None):  # -> (Plan, warnings, edit files)
    """load -> validate -> resolve -> expand (+ lint and the edit's files): everything a build writes.

    With cache_dir (the build folder), shots unchanged since the last build are not compiled again.
    """
    from .expand import expand_production
    from .expand.lint import lint_plan

    prod = resolve_film(path, allow_outside=allow_outside)
    with paused_gc():
        plan = expand_production(prod, targets=targets, select=select,
                                 cache=read_cache(cache_dir) if cache_dir else None)
    warnings = list(prod.warnings) + lint_plan(plan)
    build_dir = cache_dir or film_path(path).parent / "build"
    return plan, warnings, edit_files(prod, build_dir / "edit")


CACHE_FILE = ".filmc/expand.cache"
_CACHE_VERSION = 1


def read_cache(build_dir: Path) -> dict:
    """The previous build's compiled shots (marshal: plain data only, nothing executes on load)."""
    import marshal

    from . import __version__

    try:
        version, filmc, entries = marshal.loads((build_dir / CACHE_FILE).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return entries if version == _CACHE_VERSION and filmc == __version__ and isinstance(entries, dict) else {}


def write_cache(build_dir: Path, entries: dict) -> None:
    import marshal

    from . import __version__
    from .fsutil import write_atomic

    write_atomic(build_dir / CACHE_FILE, marshal.dumps((_CACHE_VERSION, __version__, entries)))


def edit_files(prod: Production, edit_dir: Path) -> dict[str, str | bytes]:
    """build/edit/: the standalone render script, its filter graph, text files and font, the subtitles."""
    from .render import edit_outputs

    return {f"edit/{rel}": content for rel, content in edit_outputs(prod, edit_dir=edit_dir).items()}
