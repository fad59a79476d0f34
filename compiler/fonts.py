"""The font the edit draws titles, slates and subtitles with (known without loading the edit)."""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path

from .errors import FilmcError

_SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


_SYSTEM_FONTS_BOLD = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf")


class FontMissing(FilmcError):
    pass


@cache
def font_file(bold: bool = False) -> Path:
    """The TTF drawtext uses: FILMC_FONT (FILMC_FONT_BOLD), else Source Sans Pro from the font-source-sans-pro
    package (a static font: variable fonts make every drawtext slow to start), else a system font."""
    env = os.environ.get("FILMC_FONT_BOLD" if bold else "FILMC_FONT") or os.environ.get("FILMC_FONT")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("font_source_sans_pro")
    if spec and spec.submodule_search_locations:
        p = Path(list(spec.submodule_search_locations)[0]) / "files" / (
            "SourceSansPro-Bold.ttf" if bold else "SourceSansPro-Regular.ttf")
        if p.is_file():
            return p
    for name in (*(_SYSTEM_FONTS_BOLD if bold else ()), *_SYSTEM_FONTS):
        if Path(name).is_file():
            return Path(name)
    raise FontMissing("no font for title cards and slates: pip install font-source-sans-pro, or set FILMC_FONT "
                      "to a .ttf file")
