"""The served board of the example film in a real browser: Debian's Chromium, headless, driven by Playwright.

Skipped, with the reason, only where the browser cannot run here: Playwright's Python package missing, or no
Chromium at /usr/bin/chromium (FILMC_CHROMIUM names another; .ci/run installs Debian's with apt-get). No browser
is downloaded. The screenshots are kept as artifacts: in $FILMC_TEST_ARTIFACTS when set, else the test's tmp folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import ROOT, run_cli
from ..jobs.takesfilm import ff, video

CHROMIUM = os.environ.get("FILMC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium; .ci/run does) or set FILMC_CHROMIUM"
    return None


pytestmark = pytest.mark.skipif(_browser_missing() is not None, reason=str(_browser_missing()))


@pytest.fixture
def film(tmp_path: Path) -> Path:
    """The example film, with first-frame images for s01 and s02, two kling takes of s02 and an animatic."""
    root = tmp_path / "lighthouse-keeper"
    shutil.copytree(ROOT / "specs" / "lighthouse-keeper", root)
    for shot, color in (("s01", "0x3b6e8f"), ("s02", "0x8f6e3b")):
        out = root / "takes" / shot / "mystic" / "1.png"
        out.parent.mkdir(parents=True)
        ff("-f", "lavfi", "-i", f"gradients=s=640x360:c0={color}:c1=0xf0e0c0", "-frames:v", "1", "-update", "1",
           str(out))
    video(root / "takes" / "s02" / "kling" / "1.mp4", 4.0)
    video(root / "takes" / "s02" / "kling" / "2.mp4", 3.5)
    r = run_cli(["render", str(root), "--animatic", "--size", "320x180"])
    assert r.exit_code == 0, r.stderr
    return root


@pytest.fixture
def served(film: Path) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-c", "from compiler.cli import main; main()", "board", str(film),
                             "--serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "NO_COLOR": "1"})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert m, line
        yield m.group(0)
    finally:
        proc.terminate()
        proc.communicate(timeout=60)


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FILMC_TEST_ARTIFACTS") or tmp_path / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_example_films_board_in_chromium(film: Path, served: str, tmp_path: Path, artifacts: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = run_cli(["timeline", str(film), "--format", "json"]).json()
    assert isinstance(shots, list)
    ids = [s["id"] for s in shots]
    prompt = run_cli(["show", str(film), "s05", "--format", "json"]).json()[0]  # type: ignore[index]
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1400, "height": 900}, permissions=["clipboard-read", "clipboard-write"])
        try:
            page = ctx.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
            page.goto(served)
            # every shot card and the timeline
            expect(page.locator("article.card")).to_have_count(len(ids))
            assert page.locator("article.card").evaluate_all("cs => cs.map(c => c.dataset.shot)") == ids
            expect(page.locator(".tl-shot")).to_have_count(len(ids))
            expect(page.locator(".tl-sec")).to_have_count(6)
            widths = page.locator(".tl-shot").evaluate_all("as => as.map(a => a.getBoundingClientRect().width)")
            assert all(w > 3 for w in widths)
            # a copy button puts the compiled prompt on the clipboard
            button = page.locator("#shot-s05 button.copy").first
            button.click()
            expect(button).to_have_text("Copied")
            assert page.evaluate("navigator.clipboard.readText()") == prompt["prompt"]
            # keyboard: j / k walk the cards
            page.locator("h1").click()
            page.keyboard.press("j")
            page.keyboard.press("j")
            assert page.evaluate("document.activeElement.id") == "shot-s02"
            page.keyboard.press("k")
            assert page.evaluate("document.activeElement.id") == "shot-s01"
            # the player: the playhead and the playing card follow the cut's time
            s10 = next(s for s in shots if s["id"] == "s10")
            page.evaluate(f"document.getElementById('cut').currentTime = {s10['film_start'] + 0.2}")
            expect(page.locator("#shot-s10")).to_have_class(re.compile(r"\bplaying\b"))
            expect(page.locator("#playhead")).to_be_visible()
            page.screenshot(path=str(artifacts / "board-laptop.png"), full_page=False)
            # use this take: film.yaml gets take:, comments kept, and the board follows
            page.locator('#shot-s02 button.use[data-take="kling/2"]').click()
            expect(page.locator('#shot-s02 figure.selected[data-ref="kling/2"]')).to_be_visible(timeout=60_000)
            text = (film / "film.yaml").read_text(encoding="utf-8")
            assert "take: takes/s02/kling/2.mp4" in text
            assert "# 8 beats" in text and '"The Last Turn of the Lamp" -- an example film for filmc.' in text
            expect(page.locator('#shot-s02 .pic img')).to_have_attribute("alt", "s02: take")
            # an edit of film.yaml in another window: the page follows
            path = film / "film.yaml"
            path.write_text(path.read_text(encoding="utf-8").replace(
                "its lamp still dark", "its lamp still dark, gulls circling"), encoding="utf-8")
            expect(page.locator("#shot-s01 .subject")).to_contain_text("gulls circling", timeout=60_000)
            page.screenshot(path=str(artifacts / "board-full.png"), full_page=True)
            # a phone: nothing wider than the screen but the timeline's own scroller
            page.set_viewport_size({"width": 390, "height": 844})
            page.reload()
            expect(page.locator("article.card")).to_have_count(len(ids))
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.screenshot(path=str(artifacts / "board-phone.png"), full_page=False)
            assert problems == []
        finally:
            ctx.close()
    print(f"board screenshots: {artifacts}")
