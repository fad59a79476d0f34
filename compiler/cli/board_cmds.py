"""The storyboard board: board (a static page of the film, or served with live reload and take choice)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..pipeline.options import Loading
from ..plurals import plural
from . import State, film_arg, load_options, main, report

if TYPE_CHECKING:
    from ..pipeline.board import BoardResult

DEFAULT_PORT = 8765


@main.command(short_help="Write the storyboard page: timeline, shot cards, takes, costs.")
@film_arg
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Board folder (default: build/board/ beside film.yaml).")
@click.option("--serve", is_flag=True, help="Serve the board on 127.0.0.1, follow film.yaml, choose takes on it.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port for --serve (0: any free port; a busy port falls back to a free one).")
@load_options
@click.pass_context
def board(ctx: click.Context, film: str, out_dir: Path | None, serve: bool, port: int,
          allow_outside_paths: bool) -> None:
    """Write FILM's storyboard board: a page to look at instead of reading YAML.

    \b
    The page (build/board/index.html, opens from the disk, no network):
      a timeline of the song (sections, lyrics, beat grid) with every shot
      placed at its time; a card per shot in screen order (its picture, time,
      framing, cast, prompts with copy buttons, takes with QC, warnings, spend);
      the current cut with a playhead that follows the cards; a summary
      (shots, takes, keep rate, spend, estimated cost still to spend).
    Thumbnails are one frame per take, cached by content in build/board/thumbs/.

    \b
    With --serve the board is served on 127.0.0.1 and rebuilt when film.yaml,
    takes/ or the ledger change (the page reloads); "Use this take" writes the
    shot's take: into film.yaml as `filmc select` does. Ctrl-C stops it.

    \b
    Examples:
      filmc board specs/lighthouse-keeper
      filmc board my-film --serve
      filmc board my-film -o ~/boards/my-film
    """
    from ..pipeline.board import write_board

    state = ctx.find_object(State)
    verbose = state.verbosity if state else 0
    if not serve:
        result = write_board(Loading(film, allow_outside_paths), out_dir=out_dir)
        if verbose >= 0:
            report(result.warnings, result.board.sources)
            _summary(result)
        return
    _serve(film, out_dir, allow_outside_paths, port, verbose)


def _summary(result: BoardResult) -> None:
    s = result.board.summary
    t = result.thumbs
    click.echo(f"{result.index}: {plural(s['shots'], 'shot')}, {plural(s['takes'], 'take')} ({s['selected']} selected); "
               f"thumbnails: {t.made} made, {t.reused} reused"
               + ("" if result.written else "; unchanged"))


def _serve(film: str, out_dir: Path | None, allow_outside: bool, port: int, verbose: int) -> None:
    import errno
    import signal
    import sys

    from ..pipeline.board import board_server

    def log(msg: str) -> None:
        if verbose >= 0:
            click.echo(msg, err=True)

    try:
        server = board_server(Loading(film, allow_outside), out_dir=out_dir, port=port, log=log)
    except OSError as e:
        if e.errno != errno.EADDRINUSE or port == 0:
            raise
        log(f"port {port} is busy: using a free one")
        server = board_server(Loading(film, allow_outside), out_dir=out_dir, port=0, log=log)
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # `kill` stops the server as Ctrl-C does
    try:
        result = server.first_build()  # film.yaml with errors: reported, exit 1
        if verbose >= 0:
            report(result.warnings, result.board.sources)
        click.echo(f"board: {server.url}  (Ctrl-C to stop)")
        sys.stdout.flush()
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.httpd.server_close()
