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
                 allow_outside: bool = False):  # -> tuple[Plan, list[Diagnostic], dict[str, str]]
    """load -> validate -> resolve -> expand (+ lint and the edit's files): everything a build writes."""
    from .expand import expand_production
    from .expand.lint import lint_plan

    prod = resolve_film(path, allow_outside=allow_outside)
    plan = expand_production(prod, targets=targets, select=select)
    warnings = list(prod.warnings) + lint_plan(plan)
    return plan, warnings, edit_files(prod)


def edit_files(prod: Production) -> dict[str, str]:
    """build/edit/: the standalone render script, the filter graph and the subtitles."""
    try:
        from .render import edit_outputs
    except ImportError:
        return {}
    return {f"edit/{rel}": text for rel, text in edit_outputs(prod).items()}
