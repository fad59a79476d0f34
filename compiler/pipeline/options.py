"""The options every command that loads a film shares, declared once (the CLI's `load_options` maps onto them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..resolve import Production


@dataclass(frozen=True, slots=True)
class Loading:
    """Which film, and how to load it: the path the user typed (a film.yaml or its folder) and whether paths may
    point outside the film's folder."""

    film: str = "film.yaml"
    allow_outside: bool = False

    @property
    def path(self) -> Path:
        """The film.yaml itself."""
        from ..paths import film_path

        return film_path(self.film)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def build_dir(self) -> Path:
        """build/ beside film.yaml."""
        from ..paths import build_folder
        return build_folder(self.folder)

    def resolve(self) -> Production:
        """load -> validate -> resolve (FilmError carries every problem of the first failing stage)."""
        from ..loading import resolve_film

        return resolve_film(self.film, allow_outside=self.allow_outside)
