"""What a command leaves for the process's end to free.

The installed `filmc` ends its process with os._exit once its output is out (cli.console), so the big structures
a build made (its plan and cache: about a million objects on a 2,000-shot film) need not be freed one by one
when the pipeline function returns (about 20 ms of a rebuild). Kept only under the console script: called from
Python (tests, tools), nothing is kept and everything is freed as usual.
"""

from __future__ import annotations

_kept: list[object] | None = None


def freed_at_exit() -> None:
    """From now on, keep() holds what it is given until the process ends (the console script's os._exit)."""
    global _kept
    if _kept is None:
        _kept = []


def keep(*objects: object) -> None:
    """Leave these for the process's end to free (see the module); a no-op outside the console script."""
    if _kept is not None:
        _kept.extend(objects)
