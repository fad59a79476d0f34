"""`filmc build`: the full tree, incrementality, determinism, and the prompt snapshot tools."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from compiler.errors import FilmError
from compiler.expand import expand_production
from compiler.loading import resolve_film
from compiler.testing import compiled_prompts

from ..conftest import CASES, ROOT, run_cli

EXAMPLE = ROOT / "specs" / "lighthouse-keeper"


def tree(folder: Path) -> dict[str, str]:
    """Every output file's text (binary files, such as a bundled font, by their hash)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and ".filmc" not in p.relative_to(folder).parts:
            raw = p.read_bytes()
            try:
                out[p.relative_to(folder).as_posix()] = raw.decode("utf-8")
            except UnicodeDecodeError:
                out[p.relative_to(folder).as_posix()] = "sha256:" + hashlib.sha256(raw).hexdigest()
    return out


@pytest.fixture
def film(tmp_path: Path) -> Path:
    dest = tmp_path / "film"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("build", "*.py"))
    return dest


def test_example_build_tree(film: Path, snapshot) -> None:
    r = run_cli(["build", str(film)])
    assert r.exit_code == 0, r.stderr
    out = tree(film / "build")
    for t in ("mystic", "flux", "kling", "runway"):
        assert f"prompts/{t}.md" in out
        assert f"prompts/{t}/s01.txt" not in out
    assert "jobs/kling.jsonl" in out and "shotlist.csv" in out and "manifest.json" in out
    assert out == snapshot


def test_second_build_writes_nothing(film: Path) -> None:
    assert run_cli(["build", str(film)]).exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in (film / "build").rglob("*") if p.is_file()}
    r = run_cli(["build", str(film)])
    assert r.exit_code == 0
    assert "wrote 0, removed 0" in r.stdout
    after = {p: p.stat().st_mtime_ns for p in (film / "build").rglob("*") if p.is_file()}
    assert before == after


def test_changing_one_shot_rewrites_only_its_outputs(film: Path) -> None:
    assert run_cli(["build", str(film)]).exit_code == 0
    text = (film / "film.yaml").read_text()
    old = "background_motion: lamplight flickers across the foam and the logbook pages"
    assert old in text
    (film / "film.yaml").write_text(text.replace(old, "background_motion: rain streams down the window"))
    r = run_cli(["-v", "build", str(film)])
    assert r.exit_code == 0, r.stderr
    written = {line.split("/build/", 1)[1] for line in r.stdout.splitlines() if line.startswith("wrote ")}
    assert {"prompts/kling.md", "prompts/runway.md", "jobs/kling.jsonl", "jobs/runway.jsonl"} <= written
    assert not {"prompts/mystic.md", "prompts/flux.md", "jobs/mystic.jsonl", "jobs/flux.jsonl"} & written  # stills
    per_shot = {w for w in written if w.count("/") == 2}  # the edit's text files
    assert all("/s05-" in w for w in per_shot), written
    assert "manifest.json" in written


def test_outputs_no_longer_produced_are_removed(film: Path) -> None:
    assert run_cli(["build", str(film)]).exit_code == 0
    text = (film / "film.yaml").read_text()
    (film / "film.yaml").write_text(text.replace("video: [kling, runway]", "video: [kling]"))
    assert run_cli(["build", str(film)]).exit_code == 0
    assert not (film / "build" / "prompts" / "runway").exists()
    assert not (film / "build" / "jobs" / "runway.jsonl").exists()
    (film / "build" / "notes.txt").write_text("mine")  # files filmc did not write are never touched
    assert run_cli(["build", str(film)]).exit_code == 0
    assert (film / "build" / "notes.txt").exists()


def test_builds_in_two_folders_are_identical(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "deeper" / "b"
    for d in (a, b):
        shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns("build", "*.py"))
        assert run_cli(["build", str(d)]).exit_code == 0
    assert tree(a / "build") == tree(b / "build")
    assert str(tmp_path) not in json.dumps(tree(a / "build"))


def test_dry_run_writes_nothing(film: Path) -> None:
    r = run_cli(["build", str(film), "--dry-run"])
    assert r.exit_code == 0
    assert "would write" in r.stdout
    assert not (film / "build").exists()


def test_jobs_are_complete_and_secret_free(film: Path) -> None:
    env = {"FREEPIK_API_KEY": "fpk-secret-123", "RUNWAYML_API_SECRET": "key_secret456"}
    assert run_cli(["build", str(film)], env=env).exit_code == 0
    text = "".join(p.read_bytes().decode("utf-8", "replace") for p in (film / "build").rglob("*") if p.is_file())
    assert "fpk-secret-123" not in text and "key_secret456" not in text
    jobs = [json.loads(line) for line in (film / "build" / "jobs" / "kling.jsonl").read_text().splitlines()]
    assert {"job", "shot", "target", "provider", "method", "url", "body", "depends_on", "hash"} <= set(jobs[0])
    assert all(j["depends_on"] == [f"{j['shot']}.mystic"] for j in jobs if j["segment"] == 1)


def test_lock_and_diff(film: Path) -> None:
    assert run_cli(["lock", str(film)]).exit_code == 0
    r = run_cli(["diff", str(film), "--check"])
    assert r.exit_code == 0, r.stdout + r.stderr
    text = (film / "film.yaml").read_text()
    (film / "film.yaml").write_text(text.replace("whitewashed walls", "blue-painted walls"))
    r = run_cli(["diff", str(film), "--check"])
    assert r.exit_code == 1
    assert "-The setting is a small curved room at the base of the tower, whitewashed walls" in r.stdout
    assert "+The setting is a small curved room at the base of the tower, blue-painted walls" in r.stdout
    assert "--- a/s06/mystic" in r.stdout  # s05, an insert, shows no room: no setting sentence to change


def test_diff_without_lock_is_a_usage_error(film: Path) -> None:
    r = run_cli(["diff", str(film)])
    assert r.exit_code == 2
    assert "filmc lock" in r.stderr


def test_compiled_prompts_helper(snapshot) -> None:
    prompts = compiled_prompts(CASES / "valid" / "base" / "film.yaml")
    assert set(prompts) == {"s01", "s02", "s03", "s04"}
    assert prompts == snapshot


def test_compiled_prompts_raises_film_error(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text("version: 1\n")
    with pytest.raises(FilmError):
        compiled_prompts(tmp_path / "film.yaml")


def test_show_prints_one_shot(film: Path) -> None:
    r = run_cli(["show", str(film), "s04", "-t", "kling"])
    assert r.exit_code == 0, r.stderr
    assert "[kling] video" in r.stdout and "negative:" in r.stdout
    r = run_cli(["show", str(film), "s4"])
    assert r.exit_code == 2 and "did you mean" in r.stderr


def test_names_never_reach_prompts(film: Path) -> None:
    prompts = json.dumps(compiled_prompts(film / "film.yaml"))
    import yaml

    data = yaml.safe_load((film / "film.yaml").read_text())
    for c in data["characters"].values():
        if c.get("name"):
            assert c["name"] not in prompts


def test_select_and_target_write_only_that_targets_files(film: Path) -> None:
    r = run_cli(["build", str(film), "--select", "section:chorus1,s0[12]", "--target", "kling"])
    assert r.exit_code == 0, r.stderr
    written = sorted(p.relative_to(film / "build").as_posix() for p in (film / "build").rglob("*")
                     if p.is_file() and ".filmc" not in p.parts)
    assert written == ["jobs/kling.jsonl", "manifest.json", "prompts/kling.md", "shotlist.csv"]
    jobs = (film / "build" / "jobs" / "kling.jsonl").read_text().splitlines()
    assert len(jobs) == 22  # shared files stay whole
    r = run_cli(["build", str(film), "--select", "nothing-matches"])
    assert r.exit_code == 2 and "matches no shot" in r.stderr
    for command in ("build", "cost", "run"):  # one answer to a selection with a typo, with the id it may have meant
        r = run_cli([command, str(film), "--select", "s01,s01x", *(["--dry-run"] if command == "run" else [])])
        assert r.exit_code == 2 and "--select: 's01x' matches no shot (did you mean 's01'?)" in r.stderr, r.stderr


def test_every_prompt_is_in_its_targets_sheet_not_a_file_per_shot(film: Path) -> None:
    assert run_cli(["build", str(film)]).exit_code == 0
    plan = expand_production(resolve_film(film))
    assert sorted(p.name for p in (film / "build" / "prompts").iterdir()) == sorted(
        f"{t.name}.md" for t in plan.targets)
    for p in plan.prompts:
        sheet = (film / "build" / "prompts" / f"{p.target}.md").read_text()
        assert f"```text\n{p.text}\n```" in sheet
        if p.negative:
            assert f"```text\n{p.negative}\n```" in sheet


def test_partial_builds_keep_the_rest(film: Path) -> None:
    assert run_cli(["build", str(film)]).exit_code == 0
    before = tree(film / "build")
    r = run_cli(["build", str(film), "--target", "kling"])
    assert r.exit_code == 0 and "removed 0" in r.stdout
    assert tree(film / "build") == before
    text = (film / "film.yaml").read_text()
    (film / "film.yaml").write_text(text.replace("id: s06", "id: s06.b").replace("whitewashed walls", "blue walls"))
    assert run_cli(["build", str(film), "--target", "mystic"]).exit_code == 0
    sheet = (film / "build" / "prompts" / "mystic.md").read_text()
    assert "## s06.b:" in sheet and "## s06:" not in sheet and "blue walls" in sheet
    assert "## s06:" in (film / "build" / "prompts" / "flux.md").read_text()  # not rebuilt: kept as it was
    assert run_cli(["build", str(film)]).exit_code == 0
    assert "## s06:" not in (film / "build" / "prompts" / "flux.md").read_text()


def test_never_deletes_through_links(film: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.docx").write_text("precious")
    build = film / "build"
    build.mkdir()
    (build / "notes").symlink_to(victim)
    (build / "manifest.json").write_text('{"format": 1, "jobs": {}, "outputs": {"notes/thesis.docx": "x", '
                                         '"../film.yaml": "y"}}')
    r = run_cli(["build", str(film)])
    assert r.exit_code == 0, r.stderr
    assert (victim / "thesis.docx").read_text() == "precious"
    assert (film / "film.yaml").exists()


@pytest.mark.parametrize("lock", ['{"prompts": []}', '{"prompts": {"s01": "x"}}', '{"prompts": null}', "not json"])
def test_corrupt_lock_is_a_usage_error(film: Path, lock: str) -> None:
    (film / "prompts.lock").write_text(lock)
    r = run_cli(["diff", str(film)])
    assert r.exit_code == 2 and "not a prompts.lock" in r.stderr


def test_build_folder_that_is_a_file(film: Path) -> None:
    (film / "build").write_text("oops")
    r = run_cli(["build", str(film)])
    assert r.exit_code == 1 and "filmc: error:" in r.stderr and "Traceback" not in r.stderr


def test_a_file_filmc_did_not_write_is_never_overwritten(film: Path, tmp_path: Path) -> None:
    """`-o` into a folder of the creator's own: a file in an output's place that filmc did not write stops the
    build before anything is written; one with the very content filmc makes, or one filmc wrote, does not."""
    out = tmp_path / "desktop"
    (out / "prompts").mkdir(parents=True)
    (out / "shotlist.csv").write_text("my own list\n")
    (out / "prompts" / "mystic.md").write_text("my notes\n")
    (out / "manifest.json").write_text('{"name": "my web app", "icons": []}')
    r = run_cli(["build", str(film), "-o", str(out)])
    assert r.exit_code == 1, r.stderr
    assert "refusing to overwrite" in r.stderr and "shotlist.csv" in r.stderr and "manifest.json" in r.stderr
    assert "nothing was written" in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "manifest.json", "prompts", "prompts/mystic.md", "shotlist.csv"]
    assert (out / "shotlist.csv").read_text() == "my own list\n"
    # moved away: the build goes on; a file already as filmc makes it is taken as is
    reference = tmp_path / "reference"
    assert run_cli(["build", str(film), "-o", str(reference)]).exit_code == 0
    for name in ("prompts/mystic.md", "manifest.json"):
        (out / name).unlink()
    (out / "shotlist.csv").write_bytes((reference / "shotlist.csv").read_bytes())
    assert run_cli(["build", str(film), "-o", str(out)]).exit_code == 0
    # a file filmc wrote and someone changed is rewritten, as before
    (out / "prompts" / "mystic.md").write_text("edited by hand\n")
    r = run_cli(["build", str(film), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert (out / "prompts" / "mystic.md").read_bytes() == (reference / "prompts" / "mystic.md").read_bytes()
    # and known by filmc's manifest when its bookkeeping (.filmc/) is gone
    shutil.rmtree(out / ".filmc")
    (out / "prompts" / "mystic.md").write_text("edited by hand again\n")
    r = run_cli(["build", str(film), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert (out / "prompts" / "mystic.md").read_bytes() == (reference / "prompts" / "mystic.md").read_bytes()


def test_another_tools_manifest_names_no_file_of_filmc(film: Path, tmp_path: Path) -> None:
    """A folder of another tool's, whose manifest.json lists its own files: filmc neither overwrites nor removes
    them (only its own manifest, with its format, jobs and outputs, names files filmc wrote)."""
    out = tmp_path / "site"
    out.mkdir()
    (out / "report.txt").write_text("r\n")
    (out / "notes.md").write_text("n\n")
    (out / "manifest.json").write_text('{"name": "site", "outputs": {"report.txt": "dist", "notes.md": "dist"}}')
    r = run_cli(["build", str(film), "-o", str(out)])
    assert r.exit_code == 1 and "manifest.json" in r.stderr, r.stderr
    assert (out / "report.txt").read_text() == "r\n" and (out / "notes.md").read_text() == "n\n"
    (out / "manifest.json").unlink()
    r = run_cli(["build", str(film), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert (out / "report.txt").read_text() == "r\n" and (out / "notes.md").read_text() == "n\n"


def test_a_build_by_other_code_is_compiled_again(tmp_path: Path) -> None:
    """The cache of compiled prompts holds for the code that made it: a checkout pulled since (its version unchanged)
    compiles again, so its prompts are the new code's, not the cache's."""
    import subprocess
    import sys

    filmc = tmp_path / "filmc"
    for name in ("compiler", "targets", "schema"):
        shutil.copytree(ROOT / name, filmc / name, ignore=shutil.ignore_patterns("__pycache__"))
    film = tmp_path / "film"
    film.mkdir()
    (film / "film.yaml").write_text((CASES / "base.yaml").read_text())

    def build() -> str:
        r = subprocess.run([sys.executable, "-c", "from compiler.cli import main; main()", "build", str(film)],
                           cwd=filmc, capture_output=True, text=True, timeout=120,
                           env={**__import__("os").environ, "PYTHONPATH": str(filmc)})
        assert r.returncode == 0, r.stderr
        return (film / "build" / "prompts" / "mystic.md").read_text()

    assert "Newly" not in build()
    grammar = filmc / "compiler" / "expand" / "grammar.py"  # a change to how a sentence is written
    text = grammar.read_text()
    assert "\ndef sentence(text: str) -> str:\n    s = " in text
    grammar.write_text(text.replace("\ndef sentence(text: str) -> str:\n    s = ",
                                    "\ndef sentence(text: str) -> str:\n    s = 'Newly ' + ", 1))
    assert "Newly" in build()
