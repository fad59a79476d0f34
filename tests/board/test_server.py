"""`filmc board --serve`: 127.0.0.1 only, writes only with the token and over the film.yaml the page showed, files
only from inside the film's folder; the board follows film.yaml. A real server on a real socket."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.board.server import BoardServer

from .boardfilm import build_template, copy_of
from .htmltree import parse


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("serve") / "film")


@pytest.fixture
def film(template: Path, tmp_path: Path) -> Path:
    return copy_of(template, tmp_path / "film")


@pytest.fixture
def server(film: Path) -> Iterator[BoardServer]:
    srv = BoardServer(film, port=0)
    srv.first_build()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.close()
    t.join(timeout=30)


def request(srv: BoardServer, method: str, path: str, body: object = None, headers: dict[str, str] | None = None,
            host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    try:
        data = json.dumps(body).encode() if body is not None else None
        h = {"Host": host or f"127.0.0.1:{srv.port}", **({"Content-Type": "application/json"} if data else {}),
             **(headers or {})}
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def page(srv: BoardServer) -> tuple[dict, str]:
    status, headers, body = request(srv, "GET", "/")
    assert status == 200 and "nonce-" in headers["content-security-policy"]
    text = body.decode()
    return json.loads(parse(text).find("script", id="board-data").text), text


def select(srv: BoardServer, shot: str, take: str, *, token: str | None, film_hash: str, **more: object
           ) -> tuple[int, dict]:
    headers = {"X-Filmc-Token": token} if token is not None else {}
    status, _, body = request(srv, "POST", "/api/select", {"shot": shot, "take": take, "film": film_hash, **more},
                              headers)
    return status, json.loads(body)


def test_binds_127_0_0_1_only(server: BoardServer) -> None:
    assert server.httpd.server_address[0] == "127.0.0.1"


def test_the_page_carries_the_token_and_writes_need_it(server: BoardServer, film: Path) -> None:
    data, text = page(server)
    assert data["served"] is True and data["token"] == server.token
    assert 'class="use"' in text
    before = (film / "film.yaml").read_bytes()
    for token in (None, "", "not-the-token"):
        status, answer = select(server, "s02", "kling/1", token=token, film_hash=data["film"])
        assert (status, answer["code"]) == (403, "B804")
    assert (film / "film.yaml").read_bytes() == before


def test_use_this_take_writes_take_and_keeps_comments(server: BoardServer, film: Path) -> None:
    data, _ = page(server)
    status, answer = select(server, "s02", "kling/1", token=data["token"], film_hash=data["film"])
    assert status == 200 and answer["ok"], answer
    text = (film / "film.yaml").read_text(encoding="utf-8")
    assert "take: takes/s02/kling/1.mp4" in text
    assert "# the opening" in text and "# the last shot, kept still on purpose" in text
    data2, page2 = page(server)
    assert data2["version"] > data["version"]
    s02 = parse(page2).find("article", id="shot-s02")
    chosen = s02.find("figure", cls="selected")
    assert chosen.attrs["data-ref"] == "kling/1"
    assert not chosen.find_all("button", cls="use")  # the selected take has no button
    assert (film / "build" / "board" / "index.html").read_text(encoding="utf-8").count("✓ selected") == 1


def test_a_take_that_failed_qc_is_refused_unless_forced(server: BoardServer, film: Path) -> None:
    data, _ = page(server)
    status, answer = select(server, "s01", "kling/2", token=data["token"], film_hash=data["film"])
    assert (status, answer["code"]) == (409, "C525")
    assert "take:" not in (film / "film.yaml").read_text()
    status, answer = select(server, "s01", "kling/2", token=data["token"], film_hash=data["film"], force=True)
    assert status == 200 and "take: takes/s01/kling/2.mp4" in (film / "film.yaml").read_text()


def test_film_yaml_changed_since_the_page_is_refused(server: BoardServer, film: Path) -> None:
    data, _ = page(server)
    path = film / "film.yaml"
    edited = path.read_text(encoding="utf-8").replace("the sea at night", "the sea at dawn")
    path.write_text(edited, encoding="utf-8")
    status, answer = select(server, "s02", "kling/1", token=data["token"], film_hash=data["film"])
    assert (status, answer["code"]) == (409, "B803")
    assert path.read_text(encoding="utf-8") == edited  # the creator's edit stands, nothing written over it


def test_the_board_follows_film_yaml(server: BoardServer, film: Path) -> None:
    data, _ = page(server)
    path = film / "film.yaml"
    path.write_text(path.read_text().replace("the sea at night", "the sea at dawn"), encoding="utf-8")
    status, _, body = request(server, "GET", f"/api/events?v={data['version']}")
    assert status == 200 and json.loads(body)["version"] != data["version"]
    _, text = page(server)
    assert "the sea at dawn" in parse(text).find("article", id="shot-s03").find("p", cls="subject").text
    # a film.yaml with errors: the last board stays, with the errors on top
    path.write_text(path.read_text().replace("section: b", "section: nope"), encoding="utf-8")
    v = json.loads(request(server, "GET", f"/api/events?v={server.version}")[2])["version"]
    _, text = page(server)
    assert v == server.version and "error[V210]" in parse(text).find(id="build-error").text
    assert "the sea at dawn" in text


def test_files_only_from_inside_the_film_folder(server: BoardServer, film: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"SECRET-BYTES")
    (film / "takes" / "s03").mkdir()
    os.symlink(secret, film / "takes" / "s03" / "escape.mp4")
    (film / ".env").write_text("KEY=1")
    ok = request(server, "GET", "/film/takes/s01/kling/1.mp4")
    assert ok[0] == 200 and ok[2] == (film / "takes" / "s01" / "kling" / "1.mp4").read_bytes()
    for path in ("/film/../secret.mp4", "/film/%2e%2e/secret.mp4", "/film/takes/../../secret.mp4",
                 "/film/takes/s03/escape.mp4", "/film/film.yaml", "/film/.env", "/film/.filmc/ledger.jsonl",
                 "/film/" + str(secret), "/film//etc/passwd", "/board/../../../film.yaml", "/board/%2e%2e/index.html",
                 "/etc/passwd"):
        status, _, body = request(server, "GET", path)
        assert status in (403, 404), path
        assert json.loads(body)["code"] == "B805", path
        assert b"SECRET-BYTES" not in body and b"KEY=1" not in body
    status, _, body = request(server, "GET", "/board/index.html")
    assert status == 200 and b"<article" in body


def test_requests_naming_another_host_are_refused(server: BoardServer) -> None:
    status, _, body = request(server, "GET", "/", host="evil.example:80")
    assert (status, json.loads(body)["code"]) == (403, "B806")
    data, _ = page(server)
    status, _, body = request(server, "POST", "/api/select", {"shot": "s02", "take": "kling/1", "film": data["film"]},
                              {"X-Filmc-Token": data["token"], "Origin": "http://evil.example"})
    assert (status, json.loads(body)["code"]) == (403, "B806")


def test_videos_are_served_in_ranges_for_seeking(server: BoardServer, film: Path) -> None:
    whole = (film / "takes" / "s01" / "kling" / "1.mp4").read_bytes()
    status, headers, body = request(server, "GET", "/film/takes/s01/kling/1.mp4", headers={"Range": "bytes=10-29"})
    assert status == 206 and body == whole[10:30]
    assert headers["content-range"] == f"bytes 10-29/{len(whole)}"
    status, _, body = request(server, "GET", "/film/takes/s01/kling/1.mp4", headers={"Range": "bytes=-5"})
    assert status == 206 and body == whole[-5:]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_command_serves_until_interrupted(film: Path, signum: int) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "from compiler.cli import main; main()", "board", str(film),
                             "--serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "NO_COLOR": "1"})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, line + (proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        conn = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=60)
        conn.request("GET", "/")
        r = conn.getresponse()
        assert r.status == 200 and b"shot-s03" in r.read()
        conn.close()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "stopped" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
