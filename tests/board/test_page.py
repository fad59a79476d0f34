"""`filmc board`: the static page's structure, links, escaping and thumbnails, from a real film with real takes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from ..conftest import run_cli
from .boardfilm import build_template, copy_of
from .htmltree import Node, parse


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("board") / "film")


@pytest.fixture
def film(template: Path, tmp_path: Path) -> Path:
    return copy_of(template, tmp_path / "film")


def board(film: Path, *args: str) -> tuple[Node, str]:
    r = run_cli(["board", str(film), *args])
    assert r.exit_code == 0, r.stderr
    text = (film / "build" / "board" / "index.html").read_text(encoding="utf-8")
    return parse(text), text


def card(doc: Node, shot: str) -> Node:
    return doc.find("article", id=f"shot-{shot}")


def test_a_card_per_shot_in_screen_order_and_the_timeline(film: Path) -> None:
    doc, _ = board(film)
    cards = doc.find_all("article", cls="card")
    assert [c.attrs["data-shot"] for c in cards] == ["s01", "s02", "s03"]
    s02 = card(doc, "s02")
    assert (float(s02.attrs["data-start"]), float(s02.attrs["data-end"])) == (3.0, 6.0)
    assert "a · Verse" in s02.find(cls="sec").text and "tracking" in s02.find(cls="framing").text
    # the timeline: sections coloured, each shot placed at its time and length, lyrics, the beat grid (120 bpm)
    secs = doc.find_all(cls="tl-sec")
    assert [s.text.strip() for s in secs] == ["Verse", "b"]
    assert "left:50.0000%;width:50.0000%" in secs[1].attrs["style"]
    blocks = {a.attrs["data-shot"]: a for a in doc.find_all("a", cls="tl-shot")}
    assert list(blocks) == ["s01", "s02", "s03"]
    assert blocks["s02"].attrs["href"] == "#shot-s02"
    assert "left:25.0000%;width:25.0000%" in blocks["s02"].attrs["style"]
    assert len(doc.find("svg", cls="tl-beats").find_all("line")) == 25  # 0, 0.5 ... 12 s
    assert [s.text for s in doc.find(cls="tl-lyrics").find_all("span")][0] == "first line of the verse"


def test_film_yaml_text_is_escaped_everywhere(film: Path) -> None:
    doc, text = board(film)
    scripts = doc.find_all("script")
    assert len(scripts) == 2  # the data block and the page's own script: nothing from film.yaml became one
    assert "<script>alert" not in text and "</script><script>" not in text
    assert "a boat <script>alert('x')</script> in the swell" in card(doc, "s02").find("p", cls="subject").text
    assert doc.find("h1").text == "Salt <b>&amp;</b> Static"
    data = json.loads(doc.find("script", id="board-data").text)
    assert [s["id"] for s in data["shots"]] == ["s01", "s02", "s03"] and data["served"] is False
    assert "token" not in data  # the static page carries no write token
    assert "</" not in doc.find("script", id="board-data").text


def test_copy_buttons_hold_the_compiled_prompts(film: Path) -> None:
    doc, _ = board(film)
    shown = run_cli(["show", str(film), "s02", "--format", "json"]).json()
    c = card(doc, "s02")
    buttons = c.find_all("button", cls="copy")
    assert [b.text for b in buttons] == [f"Copy {p['target']}" for p in shown]  # type: ignore[index]
    for b, p in zip(buttons, shown):  # type: ignore[arg-type]
        assert doc.find("pre", id=b.attrs["data-copy"]).text == p["prompt"]


def test_takes_thumbnails_links_selection_qc_and_spend(film: Path) -> None:
    text = (film / "film.yaml").read_text(encoding="utf-8")
    (film / "film.yaml").write_text(text.replace("    duration: 3   # the opening\n",
                                                 "    duration: 3   # the opening\n    take: takes/s01/kling/1.mp4\n"))
    doc, _ = board(film)
    folder = film / "build" / "board"
    s01 = card(doc, "s01")
    takes = {f.attrs["data-ref"]: f for f in s01.find_all("figure", cls="take")}
    assert list(takes) == ["mystic/1", "kling/1", "kling/2"]
    assert "selected" in takes["kling/1"].classes and "selected" not in takes["kling/2"].classes
    assert "failed" in takes["kling/2"].classes and "C515" in takes["kling/2"].text
    assert takes["kling/1"].find(cls="qc").text == "QC ok"
    # every link and picture of the page leads to a file that exists, inside the film's folder
    for node in doc.iter():
        for attr in ("src", "href", "poster"):
            url = node.attrs.get(attr)
            if not url or url.startswith("#") or (node.tag == "link" and url == "data:,"):  # no favicon to fetch
                continue
            assert "://" not in url and not url.startswith("/"), url  # no network, nothing absolute
            target = (folder / unquote(url)).resolve()
            assert target.is_file(), url
            assert target.is_relative_to(film.resolve())
    video = takes["kling/1"].find("video")
    assert unquote(video.attrs["src"]) == "../../takes/s01/kling/1.mp4"
    thumb = folder / video.attrs["poster"]
    assert thumb.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG frame
    # the card shows the selected take's frame; s02 has no picture of its own: its slate
    assert s01.find("img", alt="s01: take").attrs["src"] == video.attrs["poster"]
    assert card(doc, "s02").find(cls="slate") is not None
    assert "spent $0.88" in s01.find("p", cls="cost").text and "spent $0.35" in card(doc, "s02").text
    summary = {d.find("dt").text: d.find("dd").text for d in doc.find("dl", cls="summary").children}
    assert summary["Takes"].startswith("4") and "1 failed QC" in summary["Takes"]
    assert summary["Selected"] == "1 / 3" and summary["Spent"] == "$1.23" and summary["Keep rate"] == "25 %"
    assert summary["Still to spend"] != "0"


def test_lint_warnings_sit_on_their_shot(film: Path) -> None:
    doc, _ = board(film)
    codes = [li.find("code").text for li in card(doc, "s03").find(cls="warnings").find_all("li")]
    assert codes == ["P403", "P403"]
    assert not card(doc, "s01").find_all(cls="warnings")


def test_thumbnails_are_cached_by_content(film: Path) -> None:
    r1 = run_cli(["board", str(film)])
    assert "4 made, 0 reused" in r1.stdout
    thumbs = film / "build" / "board" / "thumbs"
    before = sorted(p.name for p in thumbs.glob("*.jpg"))
    index = (film / "build" / "board" / "index.html").read_bytes()
    r2 = run_cli(["board", str(film)])
    assert "0 made, 4 reused" in r2.stdout and "unchanged" in r2.stdout
    assert (film / "build" / "board" / "index.html").read_bytes() == index  # deterministic
    # a take replaced in place: a new thumbnail, the old one removed
    png = film / "takes" / "s01" / "mystic" / "1.png"
    from ..jobs.takesfilm import image

    image(png, "blue")
    r3 = run_cli(["board", str(film)])
    assert "1 made" in r3.stdout
    after = sorted(p.name for p in thumbs.glob("*.jpg"))
    assert len(after) == len(before) and len(set(after) - set(before)) == 1


def test_a_take_that_does_not_decode_gets_a_warning_not_a_failure(film: Path) -> None:
    bad = film / "takes" / "s01" / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    text = (film / "film.yaml").read_text(encoding="utf-8")
    (film / "film.yaml").write_text(text.replace("    duration: 3   # the opening\n",
                                                 "    duration: 3   # the opening\n    take: takes/s01/bad.mp4\n"))
    r = run_cli(["board", str(film)])
    assert r.exit_code == 0
    assert re.search(r"takes/s01/bad\.mp4: warning\[B801\]", r.stderr)
    doc = parse((film / "build" / "board" / "index.html").read_text(encoding="utf-8"))
    take = card(doc, "s01").find("figure", cls="take", **{"data-ref": "takes/s01/bad.mp4"})
    assert "selected" in take.classes and "poster" not in take.find("video").attrs
    # the card falls back to the shot's first-frame image
    assert card(doc, "s01").find("div", cls="pic").find("img").attrs["alt"] == "s01: first frame"


def test_an_invalid_film_is_a_located_error_and_writes_nothing(film: Path) -> None:
    (film / "film.yaml").write_text((film / "film.yaml").read_text().replace("section: b", "section: nope"))
    r = run_cli(["board", str(film)])
    assert r.exit_code == 1
    assert re.search(r"film\.yaml:\d+:\d+: error\[V210\]", r.stderr)
    assert not (film / "build" / "board").exists()


def test_a_folder_of_other_files_is_refused(film: Path, tmp_path: Path) -> None:
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "index.html").write_text("my own page")
    r = run_cli(["board", str(film), "-o", str(mine)])
    assert r.exit_code == 1 and "error[B802]" in r.stderr
    assert (mine / "index.html").read_text() == "my own page" and sorted(os.listdir(mine)) == ["index.html"]
    # a new folder elsewhere: the page links back to the film's files
    out = tmp_path / "elsewhere" / "board"
    r = run_cli(["board", str(film), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    doc = parse((out / "index.html").read_text(encoding="utf-8"))
    src = card(doc, "s01").find("figure", cls="take").find("a").attrs["href"]
    assert (out / unquote(src)).resolve() == (film / "takes" / "s01" / "mystic" / "1.png").resolve()
    assert run_cli(["board", str(film), "-o", str(out)]).exit_code == 0  # its own folder: written again


def test_the_player_strip_shows_the_rendered_cut(film: Path) -> None:
    doc, _ = board(film)
    assert not doc.find_all("video", id="cut")
    r = run_cli(["render", str(film), "--animatic"])
    assert r.exit_code == 0, r.stderr
    doc, _ = board(film)
    cut = doc.find("video", id="cut")
    assert unquote(cut.attrs["src"]) == "../../build/animatic.mp4"
    assert doc.find("p", id="cut-older").attrs.get("hidden") is not None
    assert doc.find(id="playhead") is not None
    # the final cut too: both can be played, the final first; a cut older than film.yaml says so
    import shutil

    shutil.copy(film / "build" / "animatic.mp4", film / "build" / "film.mp4")
    path = film / "film.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# edited after the render\n", encoding="utf-8")
    os.utime(film / "build" / "animatic.mp4", ns=(path.stat().st_mtime_ns - 10**9,) * 2)
    os.utime(film / "build" / "film.mp4", ns=(path.stat().st_mtime_ns - 10**9,) * 2)
    doc, _ = board(film)
    options = doc.find("select", id="cut-choice").find_all("option")
    assert [unquote(o.attrs["value"]) for o in options] == ["../../build/film.mp4", "../../build/animatic.mp4"]
    assert [o.attrs["data-older"] for o in options] == ["1", "1"]
    assert "hidden" not in doc.find("p", id="cut-older").attrs
