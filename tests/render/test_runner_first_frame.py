"""The first frame of a shot without a video take: `filmc run`'s newest good image take is used."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import run_cli
from .conftest import close, frame_rgb, make_image, mean_rgb

TARGETS = "targets: {image: [mystic, flux], video: [kling]}\n"


def _film(tiny: Path) -> Path:
    text = (tiny / "film.yaml").read_text(encoding="utf-8")
    (tiny / "film.yaml").write_text(text.replace("shots:\n", TARGETS + "shots:\n"), encoding="utf-8")
    return tiny


def _s2(root: Path, name: str) -> tuple[float, ...]:
    r = run_cli(["render", str(root / "film.yaml"), "--animatic", "--select", "s2", "-o", str(root / name)])
    assert r.exit_code == 0, r.stderr
    return mean_rgb(frame_rgb(root / name, 0.5))


def _qc_failed(root: Path, path: str) -> None:
    ledger = root / ".filmc" / "ledger.jsonl"
    ledger.parent.mkdir(exist_ok=True)
    a = "a" * 32
    events = [
        {"ev": "intent", "attempt": a, "job": "s2.mystic", "shot": "s2", "target": "mystic", "provider": "freepik",
         "hash": "h", "model": None, "take": 3},
        {"ev": "downloaded", "attempt": a, "path": path, "bytes": 1, "sha256": "0" * 64, "content_type": "image/png"},
        {"ev": "qc", "attempt": a, "path": path, "ok": False,
         "findings": [{"code": "C515", "message": "is black", "severity": "error"}]},
    ]
    ledger.write_text("".join(json.dumps({"v": 1, "t": 1.0 + i, **e}) + "\n" for i, e in enumerate(events)))


def test_newest_good_image_take_of_the_run_is_the_first_frame(tiny: Path) -> None:
    root = _film(tiny)
    takes = root / "takes" / "s2"
    make_image(takes / "mystic" / "1.png", "red")
    make_image(takes / "mystic" / "2.png", "blue")
    make_image(takes / "mystic" / "10.png", "lime")  # 10 > 2: numbers, not names, order the takes
    make_image(takes / "flux" / "11.png", "yellow")  # a later image target: used only when mystic has none
    make_image(takes / "mystic" / "12.png", "black")
    _qc_failed(root, "takes/s2/mystic/12.png")  # the run's quality check rejected it
    (takes / "mystic" / "13.png").symlink_to(root.parent / "elsewhere.png")  # a broken link is not a take
    (takes / "mystic" / "notes.png").write_bytes(b"")  # not a numbered take
    assert close(_s2(root, "a.mp4"), (0, 255, 0), 30)
    # the names render read before stay first
    make_image(root / "takes" / "s2.mystic.png", "white")
    assert close(_s2(root, "b.mp4"), (255, 255, 255), 30)


def test_a_later_image_target_and_the_build_script_follow(tiny: Path) -> None:
    root = _film(tiny)
    make_image(root / "takes" / "s2" / "flux" / "1.png", "yellow")
    assert close(_s2(root, "a.mp4"), (255, 255, 0), 30)
    assert run_cli(["build", str(root)]).exit_code == 0
    assert "takes/s2/flux/1.png" in (root / "build" / "edit" / "render.sh").read_text()
    # a new take two folders down (takes/ and takes/s2/ unchanged): the next build's render script uses it
    make_image(root / "takes" / "s2" / "flux" / "2.png", "blue")
    assert run_cli(["build", str(root)]).exit_code == 0
    script = (root / "build" / "edit" / "render.sh").read_text()
    assert "takes/s2/flux/2.png" in script and "takes/s2/flux/1.png" not in script
    # and one the ledger's quality check rejects is dropped again
    _qc_failed(root, "takes/s2/flux/2.png")
    assert run_cli(["build", str(root)]).exit_code == 0
    assert "takes/s2/flux/1.png" in (root / "build" / "edit" / "render.sh").read_text()
