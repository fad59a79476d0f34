"""build/edit/: a few files whatever the film's length (every drawn text in texts.txt), and render.sh, which
unpacks them, renders exactly the film `filmc render` does."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from compiler.edit.outputs import pack_texts, unpack_texts
from compiler.probe import ffmpeg_exe

from ..conftest import run_cli
from .conftest import ff, make_audio, make_image, probe

LONG = """\
version: 1
film: {{title: "Many", resolution: [160, 90], fps: 12}}
song:
  audio: song.wav
  sections:
    - id: a
      start: 0
      lyrics: |
{lyrics}
shots:
{shots}
edit:
  cards:
    - {{text: "Hello", at: start, duration: 1}}
  subtitles: sidecar
"""


def _film(root: Path, shots: int) -> Path:
    root.mkdir()
    make_audio(root / "song.wav", shots * 0.5)
    lyrics = "\n".join(f"        line {n}" for n in range(shots))
    body = "\n".join(f"  - {{id: s{n:03d}, section: a, subject: 'thing {n}', size: WS, camera: static}}"
                     for n in range(shots))
    (root / "film.yaml").write_text(LONG.format(lyrics=lyrics, shots=body), encoding="utf-8")
    return root


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_edit_files_do_not_grow_with_the_shots(tmp_path: Path) -> None:
    few, many = _film(tmp_path / "few", 3), _film(tmp_path / "many", 40)
    for root in (few, many):
        r = run_cli(["build", str(root)])
        assert r.exit_code == 0, r.stderr
    assert _files(few / "build" / "edit") == _files(many / "build" / "edit")
    assert "texts.txt" in _files(many / "build" / "edit") and not (many / "build" / "edit" / "text").exists()
    texts = unpack_texts((many / "build" / "edit" / "texts.txt").read_text(encoding="utf-8"))
    assert sum(name.endswith("-shot-title.txt") for name in texts) == 40  # every slate's texts are in it
    assert texts["text/041-shot-body.txt"] == "thing 39"


def test_texts_pack_keeps_every_line() -> None:
    texts = {"text/001-card.txt": "a\n\n  b  \n3 text/x.txt\n%s \\n", "text/002-card.txt": " ",
             "text/003-card.txt": "one"}
    assert unpack_texts(pack_texts(texts)) == texts


TRICKY = """\
version: 1
film: {title: "Tricky", resolution: [160, 90], fps: 12}
song:
  audio: song.wav
  sections:
    - id: a
      start: 0
      lyrics: |
        2 text/002-shot-title.txt
        100% {curly} %{pts} \\\\back\\\\slash ; [label] , 'single' "double"
    - {id: b, start: 2}
shots:
  - {id: s1, section: a, subject: "first\\n\\n  indented\\n1 text/x.txt"}
  - {id: s2, section: a}
  - {id: s3, section: b, transition: {in: dissolve, duration: 0.5}}
edit:
  cards:
    - {text: "Hello\\n\\nthere  %{n}", at: start, duration: 1, fade: 0.25}
    - {text: "over it", at: 2.5, duration: 1}
  subtitles: burn
"""


@pytest.mark.skipif(shutil.which("sh") is None or shutil.which("awk") is None, reason="needs a POSIX sh and awk")
def test_render_sh_unpacks_the_texts_exactly(tiny: Path) -> None:
    """Multi-line texts, blank lines, lines that look like the pack's own headers: render.sh draws what
    `filmc render` draws, frame for frame, and leaves build/edit/ as the build wrote it."""
    (tiny / "film.yaml").write_text(TRICKY, encoding="utf-8")
    make_image(tiny / "takes" / "s2.png", "0x336699")
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4")])
    assert r.exit_code == 0, r.stderr
    r = run_cli(["build", str(tiny)])
    assert r.exit_code == 0, r.stderr
    edit = tiny / "build" / "edit"
    before = _files(edit)
    proc = subprocess.run([shutil.which("sh") or "sh", str(edit / "render.sh")], capture_output=True, text=True,
                          env={**os.environ, "FFMPEG": ffmpeg_exe()}, cwd=tiny, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _files(edit) == before  # text/ was for that render only

    def md5s(p: Path) -> list[str]:
        out = ff("-i", str(p), "-f", "framemd5", "-").stdout
        return [ln.rsplit(",", 1)[-1].strip() for ln in out.splitlines() if ln and not ln.startswith("#")]

    film = tiny / "build" / "film.mp4"
    assert probe(film).frames == probe(tiny / "out.mp4").frames
    assert md5s(tiny / "out.mp4") == md5s(film)
