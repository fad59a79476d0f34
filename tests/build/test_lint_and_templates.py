"""Prompt lint findings and template errors, located; a film's own targets/ folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.testing import compiled_prompts

from ..conftest import CASES, run_cli

BASE = (CASES / "base.yaml").read_text()


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "film.yaml").write_text(text)
    return tmp_path


def lint_codes(folder: Path) -> list[tuple[str, int]]:
    r = run_cli(["lint", "--format", "json", "film.yaml"], cwd=folder)
    return sorted((d["code"], d["line"]) for d in r.json()["diagnostics"])


CLEAN = BASE.replace("cast: [keeper]", "cast: [{id: keeper, motion: she breathes slowly}]")


def test_clean_film_has_no_findings(tmp_path: Path) -> None:
    r = run_cli(["lint", "film.yaml"], cwd=write(tmp_path, CLEAN))
    assert r.exit_code == 0, r.stderr
    assert "no findings" in r.stdout


def test_a_film_whose_only_finding_is_a_validation_warning_says_why_lint_failed(tmp_path: Path) -> None:
    starter = tmp_path / "s"
    assert run_cli(["init", str(starter)]).exit_code == 0
    text = (starter / "film.yaml").read_text()
    (starter / "film.yaml").write_text(text.replace("    transition: {in: fade, duration: 1.0}\n",
                                                    "    transition: {in: fade, duration: 1.0}\n"
                                                    "    take: takes/s01.mp4\n", 1))  # a missing file: V261 warning
    found = run_cli(["lint", "--format", "json", str(starter)]).json()["diagnostics"]
    assert [(d["code"], d["severity"]) for d in found] == [("V261", "warning")]
    r = run_cli(["lint", str(starter)])
    assert r.exit_code == 1 and "warning[V261]" in r.stderr
    assert r.stdout.splitlines()[-1].startswith(f"{starter}: 10 prompts, 1 warning")  # the count, as when clean


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("    subject: a radio glowing in the dark\n",
         "    subject: a radio glowing in the dark\n    prompt: {mystic: \"Ines beside a radio\"}\n", "P401"),
        ("  style: [cinematic]\n", "  style: [cinematic, as Ines would paint it]\n", "V270"),
        ("    subject: a radio glowing in the dark\n",
         "    subject: a radio glowing in the dark, as in the previous shot\n", "P402"),
        ("    camera: orbit-left\n    cast: [{id: keeper, action: dancing}]\n", "    cast: [{id: keeper, action: dancing}]\n", "P403"),
        ("    cast: [{id: keeper, motion: she breathes slowly}]\n",
         "    cast: [{id: keeper, motion: she breathes slowly}]\n    prompt: {mystic: {image: \"a woman in a grey coat\"}}\n",
         "P405"),
        ("    subject: a radio glowing in the dark\n",
         "    subject: a radio glowing in the dark\n    prompt: {kling: {video: \"" + "waves roll " * 240 + "\"}}\n", "P406"),
        ("targets: {image: [mystic], video: [kling]}", "targets: {image: [mystic], video: [hailuo]}", "P408"),
        ('aspect: "16:9"', 'aspect: "21:9"', "P409"),
        ("targets: {image: [mystic], video: [kling]}", "targets: {video: [kling]}", "P410"),
        ("    subject: a radio glowing in the dark\n",
         "    subject: a radio glowing in the dark\n    prompt: {kling: {image: a radio}}\n", "P411"),
    ],
)
def test_lint_findings(tmp_path: Path, old: str, new: str, code: str) -> None:
    assert old in CLEAN
    text = CLEAN.replace(old, new, 1)
    if code == "P408":
        text = text.replace("camera: orbit-left", "camera: orbit-left")
    found = lint_codes(write(tmp_path, text))
    assert code in {c for c, _ in found}, found
    assert all(line > 0 for _, line in found)


def test_duplicate_and_limits(tmp_path: Path) -> None:
    text = BASE.replace("    cast: [keeper]\n", "    cast: [{id: keeper, action: turning a dial, motion: she leans closer}]\n")
    codes = {c for c, _ in lint_codes(write(tmp_path, text))}
    assert "P404" in codes


def test_negative_override_for_target_without_negatives(tmp_path: Path) -> None:
    text = BASE.replace("    cast: [keeper]\n", "    cast: [keeper]\n    prompt: {mystic: {negative: blur}}\n")
    assert "P407" in {c for c, _ in lint_codes(write(tmp_path, text))}


def _user_target(tmp_path: Path, template: str) -> Path:
    folder = tmp_path / "targets" / "mystic"
    folder.mkdir(parents=True)
    builtin = Path(__file__).resolve().parents[2] / "targets" / "mystic"
    for f in builtin.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "prompt.j2").write_text(template)
    return write(tmp_path, BASE)


def test_film_targets_folder_overrides_a_builtin(tmp_path: Path) -> None:
    folder = _user_target(tmp_path, "HOUSE STYLE {{ shot.id }}")
    r = run_cli(["show", "film.yaml", "s01", "-t", "mystic"], cwd=folder)
    assert r.exit_code == 0, r.stderr
    assert "HOUSE STYLE s01" in r.stdout


def test_template_error_names_line_and_shot(tmp_path: Path) -> None:
    folder = _user_target(tmp_path, "line one\n{{ shot.nonexistent.deeper }}\n")
    r = run_cli(["build", "film.yaml"], cwd=folder)
    assert r.exit_code == 1
    assert "targets/mystic/prompt.j2:2:1: error[T301]" in r.stderr
    assert "shot 's01'" in r.stderr
    assert "Traceback" not in r.stderr


def test_template_syntax_error(tmp_path: Path) -> None:
    folder = _user_target(tmp_path, "{% if shot.id %}unclosed\n")
    r = run_cli(["build", "film.yaml"], cwd=folder)
    assert r.exit_code == 1
    assert "error[T301] template syntax error" in r.stderr


@pytest.mark.parametrize("evil", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ shot.__class__ }}{{ cycler.__init__.__globals__ }}",
    "{% include '../../../etc/passwd' %}",
])
def test_templates_are_sandboxed(tmp_path: Path, evil: str) -> None:
    folder = _user_target(tmp_path, evil)
    r = run_cli(["build", "film.yaml"], cwd=folder)
    assert r.exit_code == 1, r.stdout
    assert "root:" not in r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_broken_user_target_yaml_is_located(tmp_path: Path) -> None:
    folder = tmp_path / "targets" / "mine"
    folder.mkdir(parents=True)
    (folder / "target.yaml").write_text("name: mine\nkind: sculpture\n")
    r = run_cli(["validate", "film.yaml"], cwd=write(tmp_path, BASE))
    assert r.exit_code == 1
    assert "targets/mine/target.yaml:" in r.stderr


def test_targets_commands(tmp_path: Path) -> None:
    r = run_cli(["targets", "list"])
    assert r.exit_code == 0 and "kling" in r.stdout and "midjourney" in r.stdout
    r = run_cli(["targets", "show", "hailuo"])
    assert r.exit_code == 0 and "[bracketed] commands" in r.stdout and "reads about 120 words" in r.stdout
    r = run_cli(["targets", "show", "hailuo", "--full"])
    assert r.exit_code == 0 and "[Push in]" in r.stdout
    r = run_cli(["targets", "show", "klin"])
    assert r.exit_code == 2 and "did you mean 'kling'" in r.stderr


def test_comfyui_workflow_gets_prompts_by_node_title(tmp_path: Path) -> None:
    import json

    text = BASE.replace("targets: {image: [mystic], video: [kling]}",
                        "targets:\n  image: [comfyui]\n  video: [kling]\n  options: {comfyui: {workflow: wf.json}}")
    graph = {"1": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}, "_meta": {"title": "pos"}},
             "2": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}, "_meta": {"title": "negative"}}}
    (tmp_path / "wf.json").write_text(json.dumps(graph))
    folder = write(tmp_path, text)
    r = run_cli(["build", "film.yaml"], cwd=folder)
    assert r.exit_code == 1
    assert "error[T304]" in r.stderr and "no node titled 'positive'" in r.stderr
    graph["1"]["_meta"]["title"] = "positive"
    (tmp_path / "wf.json").write_text(json.dumps(graph))
    r = run_cli(["build", "film.yaml"], cwd=folder)
    assert r.exit_code == 0, r.stderr
    job = json.loads((tmp_path / "build" / "jobs" / "comfyui.jsonl").read_text().splitlines()[0])
    compiled = compiled_prompts(tmp_path / "film.yaml", targets=["comfyui"])["s01"]["comfyui"]
    assert job["body"]["prompt"]["1"]["inputs"]["text"] == compiled["prompt"]
    assert job["body"]["prompt"]["2"]["inputs"]["text"] == compiled["negative"]
    (tmp_path / "wf.json").write_text("{not json")
    r = run_cli(["build", "film.yaml"], cwd=folder)
    assert r.exit_code == 1 and "error[T304]" in r.stderr


def test_provider_option_switches_api(tmp_path: Path) -> None:
    import json

    text = BASE.replace("targets: {image: [mystic], video: [kling]}",
                        "targets:\n  image: [mystic]\n  video: [kling]\n  options: {kling: {provider: kling, model: kling-v2-1}}")
    folder = write(tmp_path, text)
    r = run_cli(["build", "film.yaml"], cwd=folder)
    assert r.exit_code == 0, r.stderr
    job = json.loads((tmp_path / "build" / "jobs" / "kling.jsonl").read_text().splitlines()[0])
    assert job["provider"] == "kling" and job["url"].endswith("/v1/videos/image2video")
    assert job["body"]["model_name"] == "kling-v2-1" and "cfg_scale" not in job["body"]
    bad = BASE.replace("targets: {image: [mystic], video: [kling]}",
                       "targets:\n  image: [mystic]\n  video: [kling]\n  options: {kling: {provider: runway}}")
    r = run_cli(["validate", "film.yaml"], cwd=write(tmp_path, bad))
    assert r.exit_code == 1 and "/targets/options/kling/provider" in r.stderr


def test_a_build_of_some_targets_reports_their_findings_only(tmp_path: Path) -> None:
    """`build -t kling` compiles every target (the shared files stay whole) but reports the findings on kling's
    prompts, not those on mystic's (nor validation's of mystic's override); the shots' own findings and the whole
    build's stay. `lint -t` reports the same."""
    text = CLEAN.replace("    subject: a radio glowing in the dark\n", "    subject: a radio glowing in the dark\n"
                         "    prompt: {mystic: \"Ines beside a radio\", kling: {video: \"" + "waves roll " * 240
                         + "\"}}\n", 1)
    breathes = "    cast: [{id: keeper, motion: she breathes slowly}]\n"
    text = text.replace(breathes, breathes + "    prompt: {mystic: {video: \"she breathes\"}}\n", 1)  # P411

    def codes(*args: str) -> set[str]:
        folder = tmp_path / "-".join(args or ("all",))
        folder.mkdir()
        write(folder, text)
        r = run_cli(["build", *args, "film.yaml"], cwd=folder)
        assert r.exit_code == 0, r.stderr
        lint = run_cli(["lint", *args, "film.yaml"], cwd=folder)
        found = {code for code in ("P401", "P411", "P406", "V270") if f"warning[{code}]" in r.stderr}
        assert found == {code for code in ("P401", "P411", "P406", "V270")
                         if f"warning[{code}]" in lint.stdout + lint.stderr}
        return found

    assert codes() == {"P401", "P411", "P406"}
    assert codes("-t", "kling") == {"P406"}
    assert codes("-t", "mystic") == {"P401", "P411"}


@pytest.mark.parametrize(("motion", "code", "pointer", "words"), [
    ("she turns back, as before", "P402", "/shots/2/extend/0/motion",
     "the prompt of segment 2 refers to what came before"),
    ("Ines turns to the window", "V270", "/shots/2/extend/0/motion", "the name 'Ines' appears in prompt text"),
])
def test_an_extended_shots_segments_are_read_like_its_prompt(tmp_path: Path, motion: str, code: str, pointer: str,
                                                             words: str) -> None:
    """P402 and V270 read the later segments of an extended shot too, not only its first prompt, and point at the
    segment's motion (a name there is V270's alone: P401 is for names that reach a prompt by another way)."""
    old = "    cast: [{id: keeper, motion: she breathes slowly}]\n"
    assert old in CLEAN
    text = CLEAN.replace(old, old + f"    extend: [{{motion: \"{motion}\"}}]\n", 1)
    r = run_cli(["lint", "--format", "json", "film.yaml"], cwd=write(tmp_path, text))
    found = [d for d in r.json()["diagnostics"] if d["code"] == code]
    assert [d["pointer"] for d in found] == [pointer], r.json()["diagnostics"]
    assert words in found[0]["message"] and found[0]["line"] > 0


def test_a_subject_that_moves_is_a_video_prompt_that_says_something(tmp_path: Path) -> None:
    """P403 (nothing moves) is not said of a shot whose subject moves (`subject_motion`), without a camera move."""
    old = "    size: WS\n    camera: slow push-in\n"
    assert old in CLEAN
    text = CLEAN.replace(old, "    size: WS\n    subject_motion: the needle trembles across the dial\n", 1)
    found = lint_codes(write(tmp_path, text))
    assert "P403" not in {c for c, _ in found}, found


def test_a_name_is_reported_once_where_it_is_written(tmp_path: Path) -> None:
    """V270 where validation reads it (a motion, a description, the look), P401 in an override: one warning each,
    not one more for every target the name reaches."""
    text = CLEAN.replace("cast: [{id: keeper, motion: she breathes slowly}]",
                         "cast: [{id: keeper, motion: Ines breathes slowly}]", 1)
    text = text.replace("    subject: a radio glowing in the dark\n", "    subject: a radio glowing in the dark\n"
                        "    prompt: {mystic: \"Ines beside a radio\"}\n", 1)
    text = text.replace("a cramped shack full of radios", "a cramped shack full of Ines's radios", 1)
    r = run_cli(["lint", "--format", "json", "film.yaml"], cwd=write(tmp_path, text))
    found = sorted((d["code"], d["pointer"]) for d in r.json()["diagnostics"] if d["code"] in ("V270", "P401"))
    assert found == [("P401", "/shots/0/prompt/mystic"), ("V270", "/locations/shack/description"),
                     ("V270", "/shots/2/cast/0/motion")], found
    # the look reaches every prompt: said once, where it is written
    styled = CLEAN.replace("  style: [cinematic]\n", "  style: [cinematic, as Ines would paint it]\n", 1)
    (tmp_path / "styled").mkdir()
    r = run_cli(["lint", "--format", "json", "film.yaml"], cwd=write(tmp_path / "styled", styled))
    found = [(d["code"], d["pointer"], d["hint"]) for d in r.json()["diagnostics"] if d["code"] in ("V270", "P401")]
    assert found == [("V270", "/concept/style/1", "describe the person instead ('a woman in her sixties')")], found
    # a world's look, a short reference and a reference image's file name are read too
    text = CLEAN.replace("dream: {palette: warm gold}", "dream: {palette: Ines's warm gold}", 1)
    text = text.replace("    subject: a radio glowing in the dark\n",
                        "    subject: a radio glowing in the dark\n    refs: [refs/ines_radio.png]\n", 1)
    text = text.replace("    name: Ines\n", "    name: Ines\n    short: Ines\n", 1)
    (tmp_path / "more").mkdir()
    r = run_cli(["lint", "--format", "json", "film.yaml"], cwd=write(tmp_path / "more", text))
    found = [(d["pointer"], d["message"].split(": ", 1)[1]) for d in r.json()["diagnostics"] if d["code"] == "V270"]
    assert found == [
        ("/concept/worlds/dream/palette", "the name 'Ines' appears in the look of world 'dream'; names never reach "
                                          "generation models"),
        ("/characters/keeper/short", "the name 'Ines' appears in a short reference; names never reach generation "
                                     "models"),
        ("/shots/0/refs/0", "the name 'Ines' is in the file name 'refs/ines_radio.png', which prompts cite the image "
                            "by (where a model takes it); names never reach generation models")], found
    assert not [d for d in r.json()["diagnostics"] if d["code"] == "P401"]


def test_a_prompt_over_its_budget_is_told_what_to_shorten(tmp_path: Path) -> None:
    """P412: a compiled prompt over the target's word budget is told to shorten its parts or write an override; an
    override over it, to shorten the override."""
    long = "with " + " and ".join(f"a {w} coat" for w in ["red", "blue", "green", "grey"] * 50)
    text = CLEAN.replace("description: a woman in her sixties with cropped silver hair",
                         f"description: a woman in her sixties {long}", 1)
    text = text.replace("    subject: a radio glowing in the dark\n", "    subject: a radio glowing in the dark\n"
                        "    prompt: {kling: {video: \"" + "waves roll " * 200 + "\"}}\n", 1)
    r = run_cli(["lint", "--format", "json", "film.yaml"], cwd=write(tmp_path, text))
    found = [d for d in r.json()["diagnostics"] if d["code"] == "P412"]
    told = {(d["pointer"].endswith("/prompt/kling"), d["hint"].endswith("Shorten the override")) for d in found}
    assert told == {(True, True), (False, False)}, found


def test_p402_points_at_the_motion_that_says_it(tmp_path: Path) -> None:
    """A cast motion that says "as before" gets P402 at that motion (the compiled prompt capitalises it)."""
    old = "cast: [{id: keeper, motion: she breathes slowly}]"
    text = CLEAN.replace(old, "cast: [{id: keeper, motion: \"as before, she breathes slowly\"}]", 1)
    found = [d for d in run_cli(["lint", "--format", "json", "film.yaml"], cwd=write(tmp_path, text)).json()[
        "diagnostics"] if d["code"] == "P402"]
    assert found and {d["pointer"] for d in found} == {"/shots/2/cast/0/motion"}, found
