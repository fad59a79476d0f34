"""filmc: the compiler for AI films (film.yaml -> prompts, generation jobs, the edit)."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "resolve_film", "FilmError"]


def __getattr__(name: str) -> object:  # lazy: keep `import compiler` (and the CLI's start-up) light
    if name == "resolve_film":
        from .loading import resolve_film

        return resolve_film
    if name == "FilmError":
        from .errors import FilmError

        return FilmError
    raise AttributeError(name)


def _start() -> None:
    from .dataclass_code import install

    install()  # the package's dataclass methods from the cache of their compiled code


_start()
