"""The takes commands: list every shot's takes (`filmc takes`), choose one into film.yaml (`filmc select`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .options import Loading

if TYPE_CHECKING:
    from ..jobs.select import Selection
    from ..jobs.takes_model import Listing


def list_takes(loading: Loading, *, shot: str | None = None, check: bool = False) -> Listing:
    """The takes of every shot (or one): generated, dropped in, selected; with --check, the quality checks of takes
    the ledger has no result for (nothing is stored)."""
    from ..jobs.listing import film_takes

    return film_takes(loading.film, select=shot, check=check, allow_outside=loading.allow_outside)


def choose_take(loading: Loading, shot: str, take: str | None, *, clear: bool = False, force: bool = False,
                dry_run: bool = False) -> Selection:
    """Write a shot's `take:` into film.yaml (comments, formatting and mode kept; refused if it changed meanwhile)."""
    from ..errors import UsageError
    from ..jobs.select import select_take

    if clear == bool(take):
        raise UsageError("give a TAKE to select, or --clear to remove the shot's take (not both)")
    return select_take(loading.film, shot, take, clear=clear, force=force, dry_run=dry_run,
                       allow_outside=loading.allow_outside)
