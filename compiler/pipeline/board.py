"""`filmc board`: the storyboard page, written once or served with live reload and take choice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .options import Loading

__all__ = ["BoardResult", "board_server", "write_board"]

if TYPE_CHECKING:
    from ..board import BoardResult
    from ..board.server import BoardServer


def write_board(loading: Loading, *, out_dir: Path | None = None) -> BoardResult:
    """Collect the film's board, make its thumbnails and write index.html (unchanged: not touched)."""
    from ..board import build_board

    return build_board(loading.film, out_dir=out_dir, allow_outside=loading.allow_outside)


def board_server(loading: Loading, *, out_dir: Path | None = None, port: int = 0,
                 log: Callable[[str], None] | None = None) -> BoardServer:
    """A server of the board on 127.0.0.1 (not started): it rebuilds when film.yaml, takes/ or the ledger change."""
    from ..board.server import BoardServer

    return BoardServer(loading.film, out_dir=out_dir, allow_outside=loading.allow_outside, port=port, log=log)
