"""How a section's length is shared among its shots (used by validation and the timeline)."""

from __future__ import annotations

from collections.abc import Sequence

EPS = 1e-6


def allocate(length: float, durations: Sequence[float | None]) -> tuple[list[float], float]:
    """Durations for each shot, and the surplus (> 0 under-filled, < 0 over-filled).

    Shots without a duration share what the explicit ones leave, equally.
    """
    fixed = sum(d for d in durations if d is not None)
    free = sum(1 for d in durations if d is None)
    rest = length - fixed
    if free:
        share = rest / free if rest > EPS else 0.0
        out = [d if d is not None else share for d in durations]
        return out, (0.0 if rest > EPS else rest)
    return [float(d) for d in durations if d is not None], rest
