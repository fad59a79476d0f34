"""`filmc board`: the storyboard page of a film, written as a static site (build/board/ by default).

    build/board/index.html      the page: timeline, one card per shot, summary (CSS and script inline)
    build/board/thumbs/*.jpg    one frame per take and first-frame image, named by the file's content hash
    build/board/.filmc-board    marks the folder as a board's (filmc writes only into such a folder, or a new one)

Media are linked where they are (takes/, build/film.mp4) by paths relative to the board's folder, so the page
opens from the disk with no server and no network.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..diagnostics import Diagnostic
from .data import Board, collect_board
from .thumbs import Thumbs, make_thumbs

MARKER = ".filmc-board"
INDEX = "index.html"


@dataclass
class BoardResult:
    folder: Path
    board: Board
    thumbs: Thumbs
    written: bool  # index.html changed
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.folder / INDEX


def board_folder(film: str | Path, out_dir: Path | None = None) -> Path:
    from ..loading import film_path
    from ..paths import build_folder

    return out_dir if out_dir is not None else build_folder(film_path(film).parent) / "board"


def check_folder(folder: Path) -> None:
    """Refuse (B802) a folder that exists, is not empty and was not made by `filmc board`; a file (B802)."""
    from ..errors import FilmError

    def refuse(message: str) -> FilmError:
        return FilmError([Diagnostic("B802", "error", message, str(folder),
                                     hint="give -o a new or empty folder, or the one `filmc board` wrote before")])

    if folder.exists() and not folder.is_dir():
        raise refuse(f"{folder} is not a folder")
    if folder.is_dir() and not (folder / MARKER).is_file():
        try:
            entries = [e for e in os.listdir(folder) if not e.startswith(".")]
        except OSError as e:
            raise refuse(f"{folder} cannot be read ({e.strerror or e})") from None
        if entries:
            raise refuse(f"{folder} holds files that are not a board's ({', '.join(sorted(entries)[:3])}"
                         f"{', ...' if len(entries) > 3 else ''}): nothing was written")


def media_prefix(root: Path, folder: Path) -> str:
    """How the page in `folder` links to the film folder's files: a relative URL prefix ('../../')."""
    try:
        rel = os.path.relpath(os.path.abspath(root), os.path.abspath(folder))
    except ValueError:  # another drive: an absolute file URL
        return Path(os.path.abspath(root)).as_uri() + "/"
    return "" if rel == "." else quote(Path(rel).as_posix(), safe="/") + "/"


def prepare(film: str | Path, out_dir: Path | None = None) -> Path:
    """The board's folder, checked and made (with its marker)."""
    from ..fsutil import write_atomic

    folder = board_folder(film, out_dir)
    check_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / MARKER, "made by filmc board: filmc rewrites this folder\n")
    return folder


def build_board(film: str | Path, *, out_dir: Path | None = None, allow_outside: bool = False,
                workers: int = 4) -> BoardResult:
    """Collect the film's board, make its thumbnails and write index.html (atomically; unchanged: not touched).

    FilmError when film.yaml is not valid (nothing is written) or the folder is not a board's (B802)."""
    from ..fsutil import write_atomic
    from .html import render_page

    folder = board_folder(film, out_dir)
    check_folder(folder)
    board = collect_board(film, allow_outside=allow_outside)
    folder = prepare(film, out_dir)
    thumbs = make_thumbs(board, folder / "thumbs", workers=workers)
    written = write_atomic(folder / INDEX, render_page(board, media=media_prefix(board.root, folder)))
    return BoardResult(folder, board, thumbs, written, [*board.all_warnings, *thumbs.warnings])
