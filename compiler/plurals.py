"""Counts in words: "1 take", "2 takes", "1 of 3 jobs": the one place a printed count chooses its noun's form."""

from __future__ import annotations


def noun(n: int, word: str, many: str | None = None) -> str:
    """WORD as it goes after the count N: `word` for one, else `many` (default: word + "s")."""
    return word if n == 1 else many or word + "s"


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 take', '0 takes', '2 takes'; MANY for an irregular plural ('1 fps' needs none: not a count of things)."""
    return f"{n} {noun(n, word, many)}"
