"""What `filmc show` and `filmc targets show` tell a creator at a glance."""

from __future__ import annotations

from tests.conftest import ROOT, run_cli

EXAMPLE = str(ROOT / "specs" / "lighthouse-keeper")


def test_show_makes_the_look_and_its_source_visible() -> None:
    res = run_cli(["show", EXAMPLE, "s06", "-t", "kling"])
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[1] == "look: world waking (from the section verse1)"
    palette = next(line for line in lines if line.startswith("  palette: "))
    assert "world waking replaces the film's: slate blue" in palette
    assert any(line.startswith("  avoid: ") for line in lines)


def test_show_without_a_world_says_the_look_is_the_films() -> None:
    res = run_cli(["show", EXAMPLE, "s01", "-t", "kling"])
    assert res.exit_code == 0
    look = [line for line in res.stdout.splitlines() if line.startswith("look: ")]
    assert look and (look[0] == "look: film" or look[0].startswith("look: world "))


def test_targets_show_leads_with_a_summary() -> None:
    res = run_cli(["targets", "show", "kling"])
    assert res.exit_code == 0
    rows = {line.split()[0]: line.split(None, 1)[1] for line in res.stdout.splitlines()[3:] if line.strip()}
    assert rows["durations"] == "5, 10 s"
    assert "kling-v1-6 (default)" in rows["models"]
    assert rows["negatives"].startswith("yes")
    assert "none with kling-v3-omni, kling-video-o1" in rows["negatives"]  # the models that take none
    assert "FREEPIK_API_KEY" in rows["providers"] and "KLING_SECRET_KEY" in rows["providers"]
    assert "USD" in rows["prices"]
    assert len(res.stdout.splitlines()) < 25 and "capabilities:" not in res.stdout
    full = run_cli(["targets", "show", "kling", "--full"])
    assert "capabilities:" in full.stdout and len(full.stdout.splitlines()) > 100


def test_targets_show_the_lengths_some_options_limit() -> None:
    rows = {line.split()[0]: line.split(None, 1)[1] for line in run_cli(["targets", "show", "hailuo"]).stdout
            .splitlines()[3:] if line.strip()}
    assert rows["durations"] == "6, 10 s; 6 s with resolution 1080P; 6 s with model I2V-01 or I2V-01-Director"


def test_targets_show_an_app_only_target() -> None:
    res = run_cli(["targets", "show", "midjourney"])
    assert "none: copy the prompts into its own app" in res.stdout
    assert "durations" not in res.stdout  # an image model


def test_targets_show_a_key_named_two_ways() -> None:
    """Runway's key may be set under either of two names (a list in target.yaml): both are shown, as alternatives."""
    for name in ("runway", "runway-image", "seedance"):
        res = run_cli(["targets", "show", name])
        assert res.exit_code == 0, (name, res.stderr)
        rows = {line.split()[0]: line.split(None, 1)[1] for line in res.stdout.splitlines()[3:] if line.strip()}
        assert "runway (RUNWAYML_API_SECRET or RUNWAY_API_KEY)" in rows["providers"], name
    rows = {line.split()[0]: line.split(None, 1)[1]
            for line in run_cli(["targets", "show", "seedance"]).stdout.splitlines()[3:] if line.strip()}
    assert rows["durations"] == "4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 s"


def test_targets_show_every_built_in_target_names_its_keys() -> None:
    from compiler.targets import builtin_targets

    for name in builtin_targets():
        res = run_cli(["targets", "show", name])
        assert res.exit_code == 0, (name, res.stderr)
    res = run_cli(["targets", "show", "gemini-image"])  # a key of several names: any one of them
    rows = {line.split()[0]: line.split(None, 1)[1] for line in res.stdout.splitlines()[3:] if line.strip()}
    assert "gemini-image (GEMINI_API_KEY or GOOGLE_API_KEY) default" in rows["providers"]
