"""The render never writes over a file the film reads, and writes only video files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ..conftest import run_cli
from .conftest import make_take


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def _film(tiny: Path) -> Path:
    """The tiny film with a take, a LUT and a reference image: every kind of input."""
    make_take(tiny / "takes" / "s1.mp4", 3.0)
    (tiny / "id.cube").write_text("LUT_3D_SIZE 2\n" + "0 0 0\n" * 8)
    (tiny / "refs").mkdir()
    (tiny / "refs" / "keeper.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    text = (tiny / "film.yaml").read_text().replace(
        "{id: s1, section: a,", "{id: s1, section: a, take: takes/s1.mp4,").replace(
        "shots:\n", "characters:\n  keeper: {description: an old keeper, refs: [refs/keeper.png]}\nshots:\n")
    (tiny / "film.yaml").write_text(text + "  grade: {lut: id.cube}\n")
    return tiny


def _set_output(root: Path, value: str) -> int:
    """Set edit.output.file; returns the line it is on."""
    text = (root / "film.yaml").read_text() + f"  output: {{file: '{value}'}}\n"
    (root / "film.yaml").write_text(text)
    return len(text.splitlines())


@pytest.mark.parametrize(("value", "code"), [
    ("film.yaml", "V262"), ("song.wav", "V262"), ("takes/s1.mp4", "V262"), ("id.cube", "V262"),
    ("refs/keeper.png", "V262"), ("./takes/../film.yaml", "V262"), ("build/film.avi", "V263"), ("build", "V263"),
])
def test_output_over_an_input_is_a_located_error(tiny: Path, value: str, code: str) -> None:
    root = _film(tiny)
    (root / "build").mkdir(exist_ok=True)
    line = _set_output(root, value)
    before = _digest(root)
    r = run_cli(["validate", str(root), "--format", "json"])
    assert r.exit_code == 1
    found = [d for d in r.json()["diagnostics"] if d["code"] == code]  # type: ignore[index]
    assert len(found) == 1 and found[0]["pointer"] == "/edit/output/file" and found[0]["line"] == line, r.stdout
    assert found[0]["col"] == len("  output: {file: ") + 1
    r = run_cli(["render", str(root)])
    assert r.exit_code == 1 and f"error[{code}] /edit/output/file" in r.stderr, r.stderr
    assert _digest(root) == before


def test_a_link_to_an_input_is_an_input(tiny: Path) -> None:
    root = _film(tiny)
    (root / "cut.mp4").symlink_to("film.yaml")
    _set_output(root, "cut.mp4")
    r = run_cli(["validate", str(root)])
    assert r.exit_code == 1 and "error[V262]" in r.stderr


@pytest.mark.parametrize("target", ["takes/s1.mp4", "film.yaml", "song.wav", "link.mp4"])
def test_render_o_over_an_input_is_a_usage_error(tiny: Path, target: str) -> None:
    root = _film(tiny)
    (root / "link.mp4").symlink_to("takes/s1.mp4")
    before = _digest(root)
    r = run_cli(["render", str(root), "-o", str(root / target)])
    assert r.exit_code == 2, r.stderr
    assert "-o/--output" in r.stderr
    assert _digest(root) == before


def test_default_output_over_a_take_is_refused(tiny: Path) -> None:
    """A take kept at build/film.mp4 (where the film goes by default) is not rendered over."""
    make_take(tiny / "build" / "film.mp4", 3.0)
    text = (tiny / "film.yaml").read_text().replace("{id: s1, section: a,", "{id: s1, section: a, take: build/film.mp4,")
    (tiny / "film.yaml").write_text(text)
    before = _digest(tiny)
    r = run_cli(["render", str(tiny)])
    assert r.exit_code == 2 and "V262" in r.stderr, r.stderr
    assert _digest(tiny) == before


def test_export_o_over_an_input_is_a_usage_error(tiny: Path) -> None:
    before = _digest(tiny)
    r = run_cli(["export", str(tiny), "-o", str(tiny / "film.yaml")])
    assert r.exit_code == 2 and "film.yaml" in r.stderr
    assert _digest(tiny) == before


def test_a_new_output_is_fine(tiny: Path) -> None:
    root = _film(tiny)
    _set_output(root, "build/cut.mkv")
    r = run_cli(["render", str(root), "--select", "s2"])
    assert r.exit_code == 0, r.stderr
    assert (root / "build" / "cut.mkv").is_file()
