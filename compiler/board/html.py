"""The board as one HTML page: CSS and JavaScript inline, every text from film.yaml escaped.

The page is a Jinja2 template with autoescaping on; the data the script needs is JSON inside a
`<script type="application/json">` block with `<`, `>` and `&` written as \\u escapes, so no text from
film.yaml can close the block. Links to media are the film folder's paths under `media` (a relative path
from the board's folder for the static page, `/film/` when served); thumbnails are under `thumbs`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..plurals import plural
from .data import Board

PAGE = Path(__file__).parent / "page"


@dataclass(frozen=True)
class Served:
    """What the served page carries beyond the static one."""

    token: str  # writes need it (X-Filmc-Token)
    nonce: str  # the Content-Security-Policy nonce of the page's script
    version: int  # the board's build number: the page reloads when the server's differs


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element (no '</script>', no HTML comment openers, no line separators)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def clock(seconds: float) -> str:
    """m:ss.s for the page (the timeline's labels and the cards' times)."""
    tenths = round(seconds * 10)
    m, rest = divmod(tenths, 600)
    return f"{m}:{rest // 10:02d}.{rest % 10}"


def money(spend: dict[str, float]) -> str:
    if not spend:
        return "0"
    symbols = {"USD": "$", "EUR": "€", "GBP": "£"}
    return " + ".join(f"{symbols[c]}{a:,.2f}" if c in symbols else f"{a:,.2f} {c}" for c, a in sorted(spend.items()))


def _ruler(duration: float) -> list[float]:
    step = next((s for s in (5, 10, 15, 30, 60, 120, 300, 600) if duration / s <= 14), 1200)
    return [float(t) for t in range(0, int(duration) + 1, step) if t < duration - 0.5 * step / 5]


@cache
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(PAGE)), autoescape=True, trim_blocks=False,
                             lstrip_blocks=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["clock"] = clock
    env.filters["money"] = money
    env.filters["mmss"] = lambda t: f"{int(t) // 60}:{int(t) % 60:02d}"
    env.filters["url"] = lambda p: quote(str(p), safe="/")
    env.filters["plural"] = plural  # {{ n | plural("job") }}: "1 job", "2 jobs"
    return env


def render_page(board: Board, *, media: str, thumbs: str = "", served: Served | None = None,
                error: str | None = None) -> str:
    """The page of `board`; `media`: the prefix of the film folder's files, `thumbs`: of the board folder's."""
    from markupsafe import Markup

    env = _env()
    duration = board.song_duration or 1.0

    def pct(t: float) -> str:
        return f"{max(0.0, min(100.0, 100.0 * t / duration)):.4f}"

    data = {
        "served": served is not None, "duration": board.song_duration, "preroll": board.preroll,
        "film": board.film_hash, "shots": [{"id": c.id, "start": c.start, "end": c.end} for c in board.shots],
    }
    if served is not None:
        data.update(token=served.token, version=served.version)
    page: str = env.get_template("board.html.j2").render(
        b=board, s=board.summary, media=media, thumbs=thumbs, served=served is not None,
        nonce=served.nonce if served else "", csp=csp(served.nonce) if served else "", error=error, pct=pct, ruler=_ruler(board.song_duration),
        sec_index={sec["id"]: i for i, sec in enumerate(board.sections)}, aspect=_aspect(board.aspect),
        css=Markup(_asset("board.css")), js=Markup(_asset("board.js")), data=Markup(script_json(data)))
    return page


def _aspect(aspect: str) -> str:
    """film.aspect ("16:9", "2.39:1") as a CSS aspect-ratio ("16 / 9"); 16 / 9 when it is not two numbers."""
    try:
        w, h = (float(x) for x in aspect.split(":"))
    except ValueError:
        return "16 / 9"
    return f"{w:g} / {h:g}" if w > 0 and h > 0 else "16 / 9"


def csp(nonce: str) -> str:
    """The served page's Content-Security-Policy: nothing from elsewhere, only its own script runs."""
    return (f"default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; "
            f"script-src 'nonce-{nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'")


@cache
def _asset(name: str) -> str:
    text = (PAGE / name).read_text(encoding="utf-8")
    if "</style" in text.lower() or "</script" in text.lower():
        raise ValueError(f"{name} must not close its element")
    return text
