"""Text for ffmpeg: filter-graph escaping, drawtext text files, wrapping and the font.

No user text is ever written into the filter graph. Every card, slate and subtitle text
goes into a small UTF-8 file that drawtext reads with `textfile=` and `expansion=none`
(so `%{...}` is not expanded); only file paths and numbers reach the graph, and those go
through `escape_value`, the two levels of escaping the filter-graph syntax has.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from functools import cache, lru_cache

# Level 1: an option value inside a filter's arguments (`key=value:key=value`).
_LEVEL1 = "\\':"
# Level 2: the filter-graph description (filters separated by `,` `;`, labels in `[]`).
_LEVEL2 = "\\'[],;"


@cache
def _pattern(special: str) -> re.Pattern[str]:
    return re.compile("([" + re.escape(special) + r"]|\s)")


def _escape(s: str, special: str) -> str:
    """A backslash before every special or whitespace character."""
    return _pattern(special).sub(r"\\\1", s)


@lru_cache(maxsize=4096)  # the same fonts, positions and expressions come back for every slate
def escape_value(value: str) -> str:
    """Escape a filter option value (a path, an expression) for a filter-graph script."""
    return _escape(_escape(value, _LEVEL1), _LEVEL2)


def clean_text(text: str) -> str:
    """User text as drawtext shows it: LF line ends (Unicode line and paragraph separators too), tabs as
    spaces, no control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.replace("\t", "    ")
    if all(line.isprintable() for line in text.split("\n")):  # the usual case: nothing to drop
        return text
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs"))


def wrap(text: str, width: int, max_lines: int | None = None) -> str:
    """Wrap each paragraph of `text` to `width` characters; long words are broken. Trailing blank lines go."""
    width = max(width, 4)
    lines: list[str] = []
    for para in clean_text(text).split("\n"):
        if not para.strip():
            lines.append("")
            continue
        if len(para) <= width and not para[-1].isspace():  # fits as it is: what textwrap gives, without its work
            lines.append(para)
            continue
        lines += textwrap.wrap(para, width, break_long_words=True, break_on_hyphens=False,
                               drop_whitespace=True, replace_whitespace=False) or [""]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        lines[-1] = (last[: max(width - 1, 1)] if len(last) >= width else last) + "\u2026"
    return "\n".join(lines) if lines else " "


def fit(text: str, box_w: int, size: int, *, max_lines: int, min_size: int = 8) -> tuple[str, int]:
    """Wrap text for a box `box_w` pixels wide, shrinking the font size until it fits in max_lines.

    Text is never cut: past the smallest size, all of it is drawn (a very long card runs off the frame)."""
    while True:
        width = int(box_w / (size * 0.5))
        wrapped = wrap(text, width)
        if wrapped.count("\n") + 1 <= max_lines or size <= min_size:
            return wrapped, size
        size = max(min_size, int(size * 0.85))


