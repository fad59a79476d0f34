"""Mystic's references end to end against the fake Freepik on 127.0.0.1: a world's style image reaches
`style_reference` and a location's image `structure_reference`, each as the file's bytes in base64."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from tests.conftest import run_cli


def png(path: Path, color: str) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c={color}:s=64x64",
                    "-frames:v", "1", "-y", str(path)], check=True, capture_output=True, timeout=60)
    return path.read_bytes()


def film(tmp_path: Path, *, location_refs: bool, options: str = "") -> Path:
    d = tmp_path / "film"
    d.mkdir()
    png(d / "refs" / "look.png", "gray")
    png(d / "refs" / "room.png", "green")
    png(d / "refs" / "keeper.png", "red")
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Refs, aspect: \"16:9\"}\n"
        "song:\n  duration: 4\n  sections: [{id: a, start: 0, world: storm}]\n"
        "concept:\n  style: [35mm film]\n  worlds:\n    storm: {style: [rain-lashed], refs: [refs/look.png]}\n"
        "characters:\n  keeper: {description: an old man with a white beard, refs: [refs/keeper.png]}\n"
        "locations:\n  lamp: {description: a cramped circular lamp room"
        + (", refs: [refs/room.png]" if location_refs else "") + "}\n"
        f"targets: {{image: [mystic]{', options: {mystic: {' + options + '}}' if options else ''}}}\n"
        "shots:\n  - {id: s01, section: a, size: MS, location: lamp, cast: [keeper], subject: the lamp}\n",
        encoding="utf-8")
    return d


def created(freepik: Any) -> dict[str, Any]:
    (create,) = freepik.calls("create")
    return create.body


def test_a_worlds_style_ref_reaches_style_reference_as_the_files_bytes(tmp_path: Path, freepik: Any) -> None:
    root = film(tmp_path, location_refs=False, options="adherence: 70")
    res = run_cli(["run", str(root), "--yes"])
    assert res.exit_code == 0, res.stderr
    body = created(freepik)
    assert base64.b64decode(body["style_reference"]) == (root / "refs/look.png").read_bytes()
    assert body["adherence"] == 70
    assert "structure_reference" not in body and "structure_strength" not in body
    assert "keeper" not in str({k: v for k, v in body.items() if k != "prompt"})  # characters: no Mystic field


def test_a_locations_ref_never_becomes_a_structure_reference(tmp_path: Path, freepik: Any) -> None:
    """structure_reference imposes its composition: a location's photo would lay out every shot there alike."""
    root = film(tmp_path, location_refs=True, options="structure_strength: 30, hdr: 40")
    res = run_cli(["run", str(root), "--yes"])
    assert res.exit_code == 0, res.stderr
    body = created(freepik)
    assert "structure_reference" not in body and "structure_strength" not in body
    assert base64.b64decode(body["style_reference"]) == (root / "refs/look.png").read_bytes()
    assert body["hdr"] == 40
