"""`filmc board --serve`: the board on 127.0.0.1, rebuilt when the film changes, with "use this take".

    GET  /                  the page (with the token this server made at start)
    GET  /board/<path>      a file of the board's folder (thumbnails)
    GET  /film/<path>       a picture or video inside the film's folder (takes, the cut); byte ranges for seeking
    GET  /api/events?v=N    waits (up to POLL_WAIT s) until the board's build number differs from N
    POST /api/select        {shot, take, film, force}: writes the shot's `take:` as `filmc select` does

Only 127.0.0.1 is bound. A request must name this server in its Host header (a page of another site reached
through a DNS name pointing here is refused, B806); a write must carry the token in X-Filmc-Token (B804) and the
hash of film.yaml the page was built from (B803 when film.yaml changed since). Files are served only from inside
the film's folder and the board's, links followed and checked, never hidden files, never other kinds (B805).
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import FilmcError
from ..paths import build_folder
from .build import BoardResult, build_board
from .data import Board, file_hash
from .html import csp

POLL_WAIT = 25.0  # seconds a /api/events request waits before answering "no change"
WATCH_EVERY = 0.4  # seconds between looks at the film's files
MAX_BODY = 64 * 1024
CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass
class Refusal(FilmcError):
    status: int
    code: str
    message: str


class BoardServer:
    """The board of one film, kept up to date, served over HTTP on 127.0.0.1."""

    def __init__(self, film: str | Path, *, out_dir: Path | None = None, allow_outside: bool = False,
                 port: int = 0, log: Callable[[str], None] | None = None) -> None:
        from ..loading import film_path

        self.film = film
        self.film_file = film_path(film)
        self.root = self.film_file.parent
        self.out_dir = out_dir
        self.allow_outside = allow_outside
        self.token = secrets.token_urlsafe(32)
        self.log = log or (lambda _msg: None)
        self.cond = threading.Condition()
        self.write_lock = threading.Lock()
        self.version = 0
        self.result: BoardResult | None = None
        self.error: str | None = None
        self.signature: tuple[Any, ...] = ()
        self.stopped = threading.Event()
        self.httpd = _Server(("127.0.0.1", port), _Handler)
        self.httpd.board = self
        self.port = self.httpd.server_address[1]
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def board(self) -> Board | None:
        return self.result.board if self.result else None

    @property
    def folder(self) -> Path | None:
        return self.result.folder if self.result else None

    # ------------------------------------------------------------ building

    def first_build(self) -> BoardResult:
        """The board before serving: FilmError when film.yaml has errors (nothing is served then)."""
        with self.cond:
            sig = self._signature()
            self.result = build_board(self.film, out_dir=self.out_dir, allow_outside=self.allow_outside)
            self.signature = sig
            self.version += 1
            return self.result

    def rebuild(self) -> BoardResult | None:
        """Build the board again (the static site too); a film.yaml with errors keeps the last board, with them."""
        from ..diagnostics import render_text
        from ..errors import FilmError

        result: BoardResult | None = None
        with self.cond:
            sig = self._signature()
            try:
                result = build_board(self.film, out_dir=self.out_dir, allow_outside=self.allow_outside)
            except FilmError as e:
                self.error = render_text([d for d in e.diagnostics if d.severity == "error"] or e.diagnostics,
                                         e.sources)
                self.log(f"film.yaml has problems; the board keeps its last build:\n{self.error}")
            else:
                self.result, self.error = result, None
                self.log(f"rebuilt {result.index}")
            self.signature = sig
            self.version += 1
            self.cond.notify_all()
            return result

    def _signature(self) -> tuple[Any, ...]:
        """What the board depends on, cheaply: film.yaml, the ledger, the folders of takes/, the cuts."""
        def st(p: Path) -> tuple[int, int] | None:
            try:
                s = os.stat(p)
            except OSError:
                return None
            return (s.st_size, s.st_mtime_ns)

        parts: list[Any] = [st(self.film_file), st(self.root / ".filmc" / "ledger.jsonl")]
        for dirpath, dirnames, _ in os.walk(self.root / "takes"):
            dirnames.sort()
            parts.append((dirpath, st(Path(dirpath))))
        cuts = {build_folder(self.root) / "film.mp4", build_folder(self.root) / "animatic.mp4"}
        if self.board:
            cuts |= {self.root / c.path for c in self.board.cuts}
        parts += [(str(p), st(p)) for p in sorted(cuts)]
        return tuple(parts)

    def watch(self) -> None:
        while not self.stopped.wait(WATCH_EVERY):
            try:
                changed = self._signature() != self.signature
            except OSError:
                continue
            if changed:
                self.rebuild()

    # ------------------------------------------------------------ serving

    def serve_forever(self) -> None:
        watcher = threading.Thread(target=self.watch, name="board-watch", daemon=True)
        watcher.start()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.stop()

    def stop(self) -> None:
        self.stopped.set()
        with self.cond:
            self.cond.notify_all()

    def close(self) -> None:
        self.stop()
        self.httpd.shutdown()
        self.httpd.server_close()

    def page(self) -> tuple[str, str]:
        """The page, and the nonce its script runs with."""
        from .html import Served, render_page

        board = self.board
        nonce = secrets.token_urlsafe(16)
        if board is None:  # never built: the error alone
            return _error_page(self.error or "the board is being built"), nonce
        return render_page(board, media="/film/", thumbs="/board/", served=Served(self.token, nonce, self.version),
                           error=self.error), nonce

    def wait(self, seen: int, timeout: float = POLL_WAIT) -> int:
        end = time.monotonic() + timeout
        with self.cond:
            while self.version == seen and not self.stopped.is_set():
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return self.version

    def select(self, body: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Write a shot's `take:` for the page: token, then film.yaml unchanged since the page, then `filmc select`."""
        from ..errors import FilmError, UsageError
        from ..jobs.select import select_take

        if not token or not hmac.compare_digest(token.encode(), self.token.encode()):
            raise Refusal(HTTPStatus.FORBIDDEN, "B804", "this request does not carry the board's token: reload the "
                          "page the server gave")
        shot, take, seen = body.get("shot"), body.get("take"), body.get("film")
        if not all(isinstance(x, str) and x for x in (shot, take, seen)):
            raise Refusal(HTTPStatus.BAD_REQUEST, "B807", "a select request names a shot, a take and the film.yaml "
                          "it was made from")
        assert isinstance(shot, str) and isinstance(take, str)
        with self.write_lock:
            if file_hash(self.film_file) != seen:
                raise Refusal(HTTPStatus.CONFLICT, "B803", "film.yaml changed since this page was built: nothing was "
                              "written; the board reloads, choose again")
            try:
                sel = select_take(self.film, shot, take, force=body.get("force") is True,
                                  allow_outside=self.allow_outside, cwd=self.root)
            except FilmError as e:
                d = next((x for x in e.diagnostics if x.severity == "error"), e.diagnostics[0])
                raise Refusal(HTTPStatus.CONFLICT, d.code, d.message + (f" ({d.hint})" if d.hint else "")) from None
            except (UsageError, ValueError) as e:
                raise Refusal(HTTPStatus.BAD_REQUEST, "B807", str(e)) from None
            self.log(f"{shot}: take: {sel.after}" + (f" (was {sel.before})" if sel.before else ""))
            self.rebuild()
        msg = f"{shot}: take: {sel.after}" if sel.diff else f"{shot}: take: is already {sel.after}"
        return {"ok": True, "message": msg, "diff": sel.diff, "notes": sel.notes, "version": self.version}

    def file(self, base: Path, rel: str, *, media_only: bool) -> Path:
        """The regular file `rel` names inside `base` (links followed and checked), or a B805 refusal."""
        from ..jobs.takes_model import MEDIA_EXTS

        def no(why: str, status: int = HTTPStatus.NOT_FOUND) -> Refusal:
            return Refusal(status, "B805", f"'{rel}' {why}")

        parts = rel.split("/")
        if not rel or "\x00" in rel or "\\" in rel or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            raise no("is not a path the board serves", HTTPStatus.FORBIDDEN)
        if media_only and not rel.lower().endswith(MEDIA_EXTS):
            raise no("is not a picture or video", HTTPStatus.FORBIDDEN)
        real_base = os.path.realpath(base)
        real = os.path.realpath(os.path.join(base, *parts))
        if os.path.commonpath([real_base, real]) != real_base:
            raise no("leads outside the folder the board serves", HTTPStatus.FORBIDDEN)
        try:
            mode = os.stat(real).st_mode
        except OSError:
            raise no("does not exist") from None
        if not stat.S_ISREG(mode):
            raise no("is not a regular file", HTTPStatus.FORBIDDEN)
        return Path(real)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    board: BoardServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the browser went away mid-answer (a video seek): nothing to say

    # ---------------------------------------------------------------- helpers

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, value: dict[str, Any]) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode(), "application/json; charset=utf-8")

    def _refuse(self, r: Refusal) -> None:
        self._json(r.status, {"ok": False, "code": r.code, "message": r.message})

    def _from_here(self) -> None:
        """The request names this server (no DNS rebinding) and, when it says where it comes from, this page."""
        board = self.server.board
        if (self.headers.get("Host") or "").lower() not in board.hosts:
            raise Refusal(HTTPStatus.FORBIDDEN, "B806", "the request does not name this server (Host)")
        origin = self.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() not in board.hosts:
            raise Refusal(HTTPStatus.FORBIDDEN, "B806", "the request comes from another site")

    # ---------------------------------------------------------------- methods

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        board = self.server.board
        try:
            self._from_here()
            url = urlsplit(self.path)
            path = url.path
            if path in ("/", "/index.html"):
                page, nonce = board.page()
                self._send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8",
                           {"Content-Security-Policy": csp(nonce) + "; frame-ancestors 'none'"})
            elif path == "/api/events":
                try:
                    seen = int(parse_qs(url.query).get("v", ["-1"])[0])
                except ValueError:
                    seen = -1
                self._json(HTTPStatus.OK, {"version": board.wait(seen), "error": board.error is not None})
            elif path.startswith("/film/"):
                self._file(board.file(board.root, unquote(path[6:]), media_only=True))
            elif path.startswith("/board/") and board.folder is not None:
                self._file(board.file(board.folder, unquote(path[7:]), media_only=False))
            else:
                raise Refusal(HTTPStatus.NOT_FOUND, "B805", f"'{path}' is not a page of the board")
        except Refusal as r:
            self._refuse(r)

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        board = self.server.board
        try:
            self._from_here()
            if urlsplit(self.path).path != "/api/select":
                raise Refusal(HTTPStatus.NOT_FOUND, "B805", "not a page of the board")
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 < length <= MAX_BODY:
                raise Refusal(HTTPStatus.BAD_REQUEST, "B807", "a select request is a small JSON object")
            try:
                body = json.loads(self.rfile.read(length))
            except ValueError:
                raise Refusal(HTTPStatus.BAD_REQUEST, "B807", "a select request is a JSON object") from None
            if not isinstance(body, dict):
                raise Refusal(HTTPStatus.BAD_REQUEST, "B807", "a select request is a JSON object")
            self._json(HTTPStatus.OK, board.select(body, self.headers.get("X-Filmc-Token")))
        except Refusal as r:
            self._refuse(r)

    def _file(self, path: Path) -> None:
        size = path.stat().st_size
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        start, end = 0, size - 1
        status = HTTPStatus.OK
        rng = self.headers.get("Range")
        m = _RANGE.match(rng.strip()) if rng else None
        if m and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            else:
                start = max(0, size - int(m.group(2)))
            if start > end or start >= size:
                self._send(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", ctype, {"Content-Range": f"bytes */{size}"})
                return
            status = HTTPStatus.PARTIAL_CONTENT
        length = max(0, end - start + 1)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(path, "rb") as f:
            f.seek(start)
            left = length
            while left > 0:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)


def _error_page(text: str) -> str:
    from markupsafe import escape

    return ("<!doctype html><meta charset=utf-8><title>filmc board</title><style>body{font-family:system-ui;"
            "margin:2rem}pre{white-space:pre-wrap}</style><h1>film.yaml has problems</h1><pre>"
            f"{escape(text)}</pre><p>Fix film.yaml and reload this page.</p>")
