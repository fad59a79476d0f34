"""`filmc targets list` (and `targets show`) say per target what a creator picks a model by: the references it takes
(per model where that varies, and how the prompt cites them), whether it takes an end frame, its durations and its
cheapest known price, as text and as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.build.test_references import CLIP, PRICES, REQUEST, SHEET, SHEET_PROMPT
from tests.conftest import run_cli

DATED = ("prices:\n"
         "  - {provider: acme, unit: second, amount: 0.12, currency: USD, date: undated, source: a page,"
         " confidence: V, when: {model: old}}\n"
         "  - {provider: acme, unit: second, amount: 0.05, currency: USD, date: 2026-05, source: a page,"
         " confidence: V, when: {model: new}}\n")


def lines(stdout: str) -> dict[str, str]:
    return {line.split()[0]: line.split(None, 1)[1] for line in stdout.splitlines() if line.strip()}


def entries(res: Any) -> dict[str, dict[str, Any]]:
    assert res.exit_code == 0, res.stderr
    return {e["name"]: e for e in json.loads(res.stdout)}


def local_film(tmp_path: Path) -> Path:
    """A film folder with two targets of its own: an image model taking references (one model fewer, one none) and
    a video model with an end frame (not on its old model) and dated prices."""
    d = tmp_path / "film"
    for name, body in (("sheet", SHEET), ("clip", CLIP.replace(PRICES, DATED))):
        t = d / "targets" / name
        t.mkdir(parents=True)
        (t / "target.yaml").write_text(body, encoding="utf-8")
        (t / "prompt.j2").write_text('{% import "_common/prose.j2" as prose %}' + SHEET_PROMPT, encoding="utf-8")
        (t / "request.acme.json.j2").write_text(REQUEST, encoding="utf-8")
    (d / "film.yaml").write_text("version: 1\nfilm: {title: T, aspect: \"16:9\"}\n", encoding="utf-8")
    return d


def test_builtins_show_references_end_frame_durations_and_price() -> None:
    rows = lines(run_cli(["targets", "list"]).stdout)
    assert "references: up to 1 style, not cited in the prompt" in rows["mystic"]
    assert "price: from €0.10/image (undated)" in rows["mystic"]
    assert "end frame: yes" in rows["wan"] and "durations: 1/2/3/4/5 s" in rows["wan"]
    assert "price: free: your own server" in rows["wan"] and "references: none" in rows["wan"]
    assert "end frame" not in rows["mystic"]  # an image model
    assert "price: not known" in rows["midjourney"]


def test_builtins_as_json() -> None:
    got = entries(run_cli(["targets", "list", "--format", "json"]))
    for e in got.values():
        assert {"references", "end_frame", "durations", "price", "models", "per_model", "local"} <= set(e)
    assert got["mystic"]["references"] == {"max": 1, "kinds": ["style"], "per_kind": {}, "cite": "none",
                                           "with_first_frame": True, "with_end_frame": True}
    assert got["mystic"]["price"][0] | {"when": None} == {"amount": 0.1, "currency": "EUR", "unit": "image",
                                                          "provider": "freepik", "date": "undated", "when": None,
                                                          "text": "€0.10/image"}
    assert got["mystic"]["per_model"]["fluid"]["references"]["max"] == 1
    assert got["wan"]["end_frame"] is True and got["wan"]["durations"] == [1, 2, 3, 4, 5]
    assert got["wan"]["price"] == [] and got["wan"]["local"] is True
    assert got["comfyui"]["references"] is None and got["comfyui"]["end_frame"] is False


def test_a_films_own_targets_per_model(tmp_path: Path) -> None:
    film = local_film(tmp_path)
    rows = lines(run_cli(["targets", "list", str(film)]).stdout)
    assert 'references: up to 3 (style at most 1), cited as "image 1"; mini: up to 1 character; plain: none' \
        in rows["sheet"]
    assert "end frame: yes (old: no)" in rows["clip"]
    assert "references: up to 2, cited as \"@tag\", not with a first frame" in rows["clip"]
    assert "price: from $0.05/s (2026-05)" in rows["clip"] and "durations: 5/10 s" in rows["clip"]
    got = entries(run_cli(["targets", "list", str(film), "--format", "json"]))
    sheet, clip = got["sheet"], got["clip"]
    assert sheet["models"] == ["full", "mini", "plain"] and sheet["default_model"] == "full"
    assert [sheet["per_model"][m]["references"] and sheet["per_model"][m]["references"]["max"]
            for m in sheet["models"]] == [3, 1, None]
    assert sheet["per_model"]["mini"]["references"]["kinds"] == ["character"]
    assert clip["per_model"] == {"new": {"references": clip["references"], "end_frame": True},
                                 "old": {"references": clip["references"], "end_frame": False}}
    assert clip["price"][0]["amount"] == 0.05 and clip["price"][0]["date"] == "2026-05"
    assert clip["references"]["cite"] == "tag" and clip["references"]["with_first_frame"] is False


def test_targets_show_says_the_same(tmp_path: Path) -> None:
    film = local_film(tmp_path)
    res = run_cli(["targets", "show", "clip", str(film)])
    assert res.exit_code == 0, res.stderr
    rows = {line.split("  ", 1)[0].strip(): line.split("  ", 1)[1].strip()
            for line in res.stdout.splitlines()[3:] if "  " in line and not line.startswith(" ")}
    assert rows["end frame"] == "yes (old: no)"
    assert rows["references"] == 'up to 2, cited as "@tag", not with a first frame'
    show = run_cli(["targets", "show", "wan"])
    assert "free: your own server" in show.stdout and "end frame   yes" in show.stdout


def test_targets_show_as_json_fills_in_every_capability() -> None:
    from compiler.capabilities import settings

    res = run_cli(["targets", "show", "kling", "--format", "json"])
    assert res.exit_code == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["name"] == "kling" and got["kind"] == "video" and got["builtin"] is True
    assert list(got["capabilities"]) == [f.name for f in settings()]
    caps = got["capabilities"]
    assert caps["durations"] == [5, 10] and caps["camera_style"] == "words" and caps["camera_max"] == 2
    assert caps["prompt_chunks"] == 1 and caps["end_frame_alone"] is False  # not in kling's target.yaml: defaults
    assert caps["models"]["kling-v2-master"]["end_frame"] is False
    assert caps["models"]["kling-v3-omni"]["references"]["max"] == 6
    assert {"options", "defaults", "providers", "prices"} <= set(got)


def test_a_films_target_with_a_bad_capability_is_located(tmp_path: Path) -> None:
    film = local_film(tmp_path)
    path = film / "targets" / "sheet" / "target.yaml"
    text = path.read_text(encoding="utf-8").replace("  camera_style: none\n", "  camera_style: none\n"
                                                    "  prompt_chunks: 0\n")
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  prompt_chunks: 0") + 1
    for args in (["targets", "show", "sheet", str(film)], ["targets", "list", str(film)]):
        res = run_cli(args)
        assert res.exit_code == 1, args
        assert f"targets/sheet/target.yaml:{line}:18: error[V105]" in res.stderr, res.stderr
        assert "Traceback" not in res.stderr
