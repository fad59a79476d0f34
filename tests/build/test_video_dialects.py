"""The video dialects (kling, runway, hailuo, luma, seedance): camera sequences within what each target can say, negatives
that never contradict the shot, no edit instructions; lint P418-P420 located at the field that causes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from compiler.testing import compiled_prompts

from ..conftest import CASES, run_cli
from ..prompts import checks

BASE = (CASES / "base.yaml").read_text()
VIDEO = ["kling", "runway", "hailuo", "luma", "seedance"]


def write(tmp_path: Path, edit: Any = None) -> Path:
    doc = yaml.safe_load(BASE)
    doc["targets"] = {"image": ["mystic"], "video": VIDEO}
    doc["song"]["sections"][1]["start"] = 9   # no shot longer than luma's 9 s: intro 0-9, verse 9-21, chorus 21-30
    doc["song"]["sections"][2]["start"] = 21
    doc["characters"]["keeper"]["pronoun"] = "she"
    doc["characters"]["keeper"]["short"] = "the keeper"
    if edit:
        edit(doc)
    (tmp_path / "film.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return tmp_path


def shot(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in doc["shots"] if s["id"] == sid)


def prompts(folder: Path) -> dict[str, dict[str, dict[str, Any]]]:
    return compiled_prompts(folder / "film.yaml", targets=["mystic", *VIDEO])


def lint(folder: Path) -> list[dict[str, Any]]:
    r = run_cli(["lint", "--format", "json", "film.yaml"], cwd=folder)
    return r.json()["diagnostics"]


def line_of(folder: Path, needle: str) -> int:
    lines = (folder / "film.yaml").read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if needle in text)


def test_kling_negative_keeps_what_the_shot_asks_for(tmp_path: Path) -> None:
    """A bulb that flickers on purpose gets no 'flicker' negative; a shot without one does."""
    def flicker(doc: dict[str, Any]) -> None:
        shot(doc, "s02")["background_motion"] = "the bare bulb flickers on and off"
    got = prompts(write(tmp_path, flicker))
    assert "flicker" in got["s02"]["kling"]["prompt"]
    assert "flicker" not in got["s02"]["kling"]["negative"]
    assert "flicker" in got["s01"]["kling"]["negative"]
    assert checks.negative_contradicts(got["s02"]["kling"]["prompt"], got["s02"]["kling"]["negative"]) == []


def test_a_handheld_shot_has_no_jitter_negative(tmp_path: Path) -> None:
    def handheld(doc: dict[str, Any]) -> None:
        shot(doc, "s01")["camera"] = "handheld"
    got = prompts(write(tmp_path, handheld))
    assert "jitter" not in got["s01"]["kling"]["negative"]
    assert "jitter" in got["s02"]["kling"]["negative"]


def test_wan_and_comfyui_negatives_name_only_the_body_parts_in_view(tmp_path: Path) -> None:
    """A face in close-up gets no 'extra fingers'; hands in an insert no 'poorly drawn face'; an empty room
    neither."""
    def sizes(doc: dict[str, Any]) -> None:
        doc["targets"] = {"image": ["comfyui"], "video": ["wan"]}
        for s in doc["shots"]:
            s["extend"] = True  # (wan makes 5 s at most)
        shot(doc, "s02").update(size="INSERT", cast=[{"id": "keeper", "view": "hands", "action": "turning a dial"}])
        shot(doc, "s04")["size"] = "EWS"  # the keeper dancing, small in the frame
        doc["shots"].append({"id": "s05", "section": "chorus1", "size": "INSERT", "extend": True,
                             "subject": "two pairs of hands kneading dough"})
    folder = write(tmp_path, sizes)
    got = compiled_prompts(folder / "film.yaml", targets=["comfyui", "wan"])
    face, hands, room = got["s03"], got["s02"], got["s01"]  # CU of the keeper; her hands; a radio
    far, dough = got["s04"], got["s05"]
    for t in ("comfyui", "wan"):
        assert "fingers" not in face[t]["negative"] and "face" in face[t]["negative"], (t, face[t]["negative"])
        for shown in (hands, dough):  # a character's hands; hands the subject names (no cast)
            assert "fingers" in shown[t]["negative"] and "face" not in shown[t]["negative"], (t, shown[t]["negative"])
        for bare in (room, far):
            assert not any(w in bare[t]["negative"] for w in ("fingers", "face", "hands")), (t, bare[t]["negative"])
    # a body's defects where a body is in frame: not for a face, hands or an empty room
    assert "deformed limbs" in far["wan"]["negative"]
    assert not any("deformed limbs" in x["wan"]["negative"] for x in (face, hands, room, dough))


def test_hailuo_combines_a_sequence_in_one_leading_bracket(tmp_path: Path) -> None:
    def seq(doc: dict[str, Any]) -> None:
        shot(doc, "s02")["camera"] = "tracking, then pan-left"
    got = prompts(write(tmp_path, seq))["s02"]
    assert got["hailuo"]["prompt"].startswith("[Tracking shot,Pan left] The keeper leans closer.")
    assert checks.bracket_commands(got["hailuo"]["prompt"]) == []
    assert "tracks the subject, then pans left" in got["kling"]["prompt"]
    assert got["runway"]["prompt"].startswith("The camera tracks the subject, then pans left. The keeper")
    assert got["luma"]["prompt"].startswith("Track the subject, then pan left.")


def test_a_sequence_past_camera_max_is_cut_and_linted(tmp_path: Path) -> None:
    def four(doc: dict[str, Any]) -> None:
        shot(doc, "s02")["camera"] = "tracking, then pan-left, then tilt-up, then slow push-in"
    folder = write(tmp_path, four)
    got = prompts(folder)["s02"]
    assert got["hailuo"]["prompt"].startswith("[Tracking shot,Pan left,Tilt up] ")
    assert "push" not in got["hailuo"]["prompt"].lower()
    assert "tracks the subject, then pans left." in got["kling"]["prompt"]
    assert "tilt" not in got["kling"]["prompt"].lower()
    found = [d for d in lint(folder) if d["code"] == "P418"]
    assert sorted(d["message"].split(",")[1].split(":")[0].strip() for d in found) == sorted(VIDEO)
    assert {d["line"] for d in found} == {line_of(folder, "camera: tracking, then pan-left")}
    hailuo = next(d for d in found if "hailuo" in d["message"])
    assert "'slow push-in' is dropped" in hailuo["message"]
    kling = next(d for d in found if "kling" in d["message"])
    assert "'tilt-up', 'slow push-in' are dropped" in kling["message"]


def test_hailuo_writes_a_sequence_in_words_when_a_move_has_no_command(tmp_path: Path) -> None:
    def orbit(doc: dict[str, Any]) -> None:
        shot(doc, "s02")["camera"] = "pan-left, then orbit-left"
    folder = write(tmp_path, orbit)
    text = prompts(folder)["s02"]["hailuo"]["prompt"]
    assert "[" not in text and text.endswith("Pan left, then orbit left around the subject.")
    found = [d for d in lint(folder) if d["code"] == "P420"]
    assert len(found) == 1 and "'orbit-left'" in found[0]["message"]
    assert found[0]["line"] == line_of(folder, "camera: pan-left, then orbit-left")


def test_luma_sends_one_move_as_a_concept_and_a_sequence_in_words(tmp_path: Path) -> None:
    def seq(doc: dict[str, Any]) -> None:
        shot(doc, "s02")["camera"] = "push-in, then pan-left"
    folder = write(tmp_path, seq)
    got = prompts(folder)
    assert "push" not in got["s01"]["luma"]["prompt"].lower()  # s01: slow push-in, sent as the push_in concept
    assert got["s02"]["luma"]["prompt"].startswith("Push in, then pan left. The keeper leans closer.")
    r = run_cli(["build", "film.yaml"], cwd=folder)
    assert r.exit_code == 0, r.stderr
    jobs = [yaml.safe_load(x) for x in (folder / "build" / "jobs" / "luma.jsonl").read_text().splitlines()]
    by_shot = {j["shot"]: j["body"] for j in jobs}
    assert by_shot["s01"]["concepts"] == [{"key": "push_in"}]
    assert "concepts" not in by_shot["s02"]


def test_no_edit_instruction_reaches_a_video_prompt(tmp_path: Path) -> None:
    def fade(doc: dict[str, Any]) -> None:
        shot(doc, "s02")["transition"] = {"out": "fade"}
        shot(doc, "s01")["background_motion"] = "dust drifts, then the shot fades to black"
    folder = write(tmp_path, fade)
    got = prompts(folder)
    for target in VIDEO:
        assert checks.edit_instructions(got["s02"][target]["prompt"]) == [], target
    found = [d for d in lint(folder) if d["code"] == "P419"]
    assert len(found) == 1 and "fades to black" in found[0]["message"]
    assert found[0]["line"] == line_of(folder, "background_motion: dust drifts")
    for target in ("kling", "luma"):  # a lint of any one video target says it (once), not only of the first
        r = run_cli(["lint", "-t", target, "film.yaml"], cwd=folder)
        assert r.stdout.count("warning[P419]") + r.stderr.count("warning[P419]") == 1, (target, r.stdout, r.stderr)
    r = run_cli(["lint", "-t", "mystic", "film.yaml"], cwd=folder)
    assert "P419" not in r.stdout + r.stderr  # an image target's: no video is made
    r = run_cli(["build", "-t", "mystic", "film.yaml"], cwd=folder)  # (which compiles the video targets too)
    assert r.exit_code == 0 and "P419" not in r.stderr, r.stderr
    r = run_cli(["build", "-t", "luma", "film.yaml"], cwd=folder)
    assert r.exit_code == 0 and r.stderr.count("warning[P419]") == 1, r.stderr


def test_each_video_target_speaks_its_own_dialect(tmp_path: Path) -> None:
    """Every shot: four different texts, each within its budget, grammatical, the character named before 'she'."""
    def more(doc: dict[str, Any]) -> None:
        shot(doc, "s02")["camera"] = "static"
    got = prompts(write(tmp_path, more))
    for sid, entries in got.items():
        texts = {t: entries[t]["prompt"] for t in VIDEO if t in entries}
        assert checks.identical_targets(texts, {}) == [], sid
        for t, text in texts.items():
            budget = checks.target_meta(t)["capabilities"]["prompt_budget"]
            problems = (checks.over_budget(text, budget) + checks.sentences_without_verb(text)
                        + checks.label_fragments(text) + checks.keeps_finite(text)
                        + checks.pronoun_before_antecedent(text, {"keeper"}))
            assert problems == [], (sid, t, text)


def test_a_shot_with_nothing_moving_still_gets_a_prompt(tmp_path: Path) -> None:
    got = prompts(write(tmp_path))["s03"]  # s03: the keeper in close-up, no action, motion or camera
    for t in VIDEO:
        assert "The keeper stays in place with small, natural movements." in got[t]["prompt"], t
