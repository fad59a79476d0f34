"""Rebuilds: nothing changed compiles and writes nothing (caches included); a change anywhere the build reads
compiles again; lint's reused findings stay located."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from compiler.build_cache import write_cache
from compiler.compiling import compile_film
from compiler.expand.lint import lint_plan
from compiler.loading import resolve_film
from compiler.pipeline.build import FilmBuild, build_film
from compiler.pipeline.options import Loading

from ..conftest import ROOT, run_cli

sys.path.insert(0, str(ROOT / "bench"))
from synth import synth_film  # noqa: E402

EXAMPLE = ROOT / "specs" / "lighthouse-keeper"


@pytest.fixture
def film(tmp_path: Path) -> Path:
    dest = tmp_path / "film"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("build", "*.py"))
    return dest


def every_file(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under a folder, filmc's caches included, with what a rewrite would change."""
    out = {}
    for p in folder.rglob("*"):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(folder).as_posix()] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def settled(film: Path) -> FilmBuild:
    """Build until the build has recorded itself: files written a moment ago are not trusted by their stat."""
    time.sleep(0.1)
    build_film(Loading(str(film)))
    time.sleep(0.1)
    return build_film(Loading(str(film)))


def test_nothing_changed_compiles_and_writes_nothing(film: Path) -> None:
    first = build_film(Loading(str(film)))
    assert first.compiled and first.written
    settled(film)
    before = every_file(film / "build")
    again = build_film(Loading(str(film)))
    assert not again.compiled
    assert again.written == () and again.removed == ()
    assert again.unchanged == len(before) - len(list((film / "build" / ".filmc").rglob("*.*")))
    assert [d.code for d in again.warnings] == [d.code for d in first.warnings]
    assert again.jobs == first.jobs and again.total_shots == first.total_shots
    assert every_file(film / "build") == before  # caches too
    r = run_cli(["build", str(film)])
    assert r.exit_code == 0 and "wrote 0, removed 0" in r.stdout


@pytest.mark.parametrize("change", ["shot", "template", "takes", "output"])
def test_a_change_anywhere_the_build_reads_builds_again(film: Path, change: str) -> None:
    build_film(Loading(str(film)))
    settled(film)
    sheet = film / "build" / "prompts" / "kling.md"
    good = sheet.read_bytes()
    if change == "shot":
        text = (film / "film.yaml").read_text()
        (film / "film.yaml").write_text(text.replace("whitewashed walls", "blue walls", 1))
    elif change == "template":  # a target folder of the film's own, next to film.yaml
        shutil.copytree(ROOT / "targets" / "kling", film / "targets" / "kling")
        prompt = film / "targets" / "kling" / "prompt.j2"
        prompt.write_text(prompt.read_text() + "\nCHANGED-TEMPLATE")
    elif change == "takes":
        (film / "takes").mkdir(exist_ok=True)
        (film / "takes" / "notes.txt").write_text("x")
    else:  # an output edited by hand, in place, its size and mtime kept
        st = sheet.stat()
        with open(sheet, "r+b") as f:
            f.write(b"X" * 3)
        os.utime(sheet, ns=(st.st_atime_ns, st.st_mtime_ns))
    time.sleep(0.1)
    r = build_film(Loading(str(film)))
    assert r.compiled
    if change == "shot":
        assert "blue walls" in (film / "build" / "prompts" / "mystic.md").read_text()
    elif change == "template":
        assert "CHANGED-TEMPLATE" in sheet.read_text()
    elif change == "output":
        assert sheet.read_bytes() == good and r.written == ("prompts/kling.md",)


def test_film_yaml_is_known_by_its_bytes(film: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """film.yaml is the file saved just before a build: it is recorded by its content, so a build made a moment
    after a save counts for the next one, and a save its stat cannot tell (same size, same mtime) still builds."""
    import types

    import compiler.pipeline.unchanged as unchanged

    settled(film)
    yaml = film / "film.yaml"
    text = yaml.read_text()

    def no_wait(seconds: float) -> None:
        pytest.fail(f"the build waited {seconds:.3f} s for a save's mtime to settle")

    monkeypatch.setattr(unchanged, "time", types.SimpleNamespace(time_ns=time.time_ns, sleep=no_wait))
    yaml.write_text(text.replace("whitewashed walls", "whitewashed wells", 1))  # and at once:
    assert build_film(Loading(str(film))).compiled
    assert not build_film(Loading(str(film))).compiled  # recorded, with no wait for the save's mtime to settle
    monkeypatch.undo()
    st = yaml.stat()
    yaml.write_text(text.replace("whitewashed walls", "whitewashed halls", 1))
    os.utime(yaml, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert yaml.stat().st_size == st.st_size and yaml.stat().st_mtime_ns == st.st_mtime_ns
    r = build_film(Loading(str(film)))
    assert r.compiled and "whitewashed halls" in (film / "build" / "prompts" / "mystic.md").read_text()


def test_other_options_are_another_build(film: Path) -> None:
    build_film(Loading(str(film)))
    settled(film)
    assert build_film(Loading(str(film)), dry_run=True).compiled is False
    r = build_film(Loading(str(film)), targets=["kling"])
    assert r.compiled and r.targets == 1


def test_reused_lint_findings_follow_the_lines_they_are_on(tmp_path: Path) -> None:
    film = tmp_path
    (film / "film.yaml").write_text(synth_film(20))
    out = film / "build"
    first = compile_film(film, cache_dir=out)
    write_cache(out, first.plan.cache)
    assert first.warnings
    text = (film / "film.yaml").read_text()
    (film / "film.yaml").write_text("# a comment that moves every line down\n" + text)
    again = compile_film(film, cache_dir=out)
    assert [(d.code, d.line, d.col) for d in again.warnings] == [(d.code, d.line + 1, d.col) for d in first.warnings]
    plan = again.plan
    fresh = list(plan.prod.warnings) + lint_plan(plan)
    assert sorted(again.warnings, key=repr) == sorted(fresh, key=repr)
    assert resolve_film(film).warnings == plan.prod.warnings


def _with_same_video_override(text: str, shots: tuple[str, ...]) -> str:
    """The film with one hand-written kling video prompt on each of these shots (identical ones: P404)."""
    for shot in shots:
        text = text.replace(f"  - id: {shot}\n", f"  - id: {shot}\n    prompt: {{kling: {{video: the sea heaves}}}}\n", 1)
    return text


def test_a_one_shot_change_lints_only_that_shot_and_finds_what_a_full_lint_finds(tmp_path: Path) -> None:
    film = tmp_path
    text = _with_same_video_override(synth_film(20), ("s00002", "s00009"))
    (film / "film.yaml").write_text(text)
    out = film / "build"
    first = compile_film(film, cache_dir=out)
    write_cache(out, first.plan.cache)
    assert len(first.linted) == 20
    assert [d.pointer for d in first.warnings if d.code == "P404"] == ["/shots/9/prompt/kling"]

    def rebuilt(new_text: str) -> list[tuple[str, str, int, int, str]]:
        (film / "film.yaml").write_text(new_text)
        again = compile_film(film, cache_dir=out)
        write_cache(out, again.plan.cache)
        assert again.linted == ("s00005",)
        found = [(d.code, d.message, d.line, d.col, d.pointer) for d in again.warnings]
        full = [(d.code, d.message, d.line, d.col, d.pointer) for d in [*again.plan.prod.warnings,
                                                                           *lint_plan(again.plan)]]
        assert found == full  # the same findings in the same order
        return found

    # a change to another shot: the other shots' findings are the last build's, P404 still found across shots
    changed = rebuilt(text.replace("looking out to sea 5,", "looking out to sea and sky 5,", 1))
    assert [f[4] for f in changed if f[0] == "P404"] == ["/shots/9/prompt/kling"]
    # the changed shot now repeats an earlier one's video prompt: found though no other shot was linted again
    same = _with_same_video_override(text, ("s00005",))
    found = rebuilt(same)
    assert [f[4] for f in found if f[0] == "P404"] == ["/shots/5/prompt/kling", "/shots/9/prompt/kling"]


def test_a_one_shot_change_draws_only_that_shot_slate_again(tmp_path: Path) -> None:
    from compiler.compiling import SLATE, edit_files

    def slates(cache: dict[str, object]) -> set[str]:
        return {k for k in cache if k.startswith(SLATE)}

    from compiler.build_cache import read_slates

    film = tmp_path
    text = synth_film(12)
    (film / "film.yaml").write_text(text)
    out = film / "build"
    first = compile_film(film, cache_dir=out)
    write_cache(out, first.cache_entries(), None, first.index, first.kept_files)
    before = slates(first.plan.cache)
    assert len(before) == 12 and set(read_slates(out)) == before
    (film / "film.yaml").write_text(text.replace("looking out to sea 5,", "looking out to sea and sky 5,", 1))
    again = compile_film(film, cache_dir=out)
    # the slate files whose chains are the same are kept as they are; the one holding the changed shot's is written
    assert again.kept_files and len(slates(again.plan.cache)) < 12
    write_cache(out, again.cache_entries(), None, again.index, again.kept_files)
    after = set(read_slates(out))
    assert len(after) == 12 and len(after - before) == 1  # the other slates were the last build's
    fresh = edit_files(again.plan.prod, out / "edit")
    assert again.edit == {k: v.encode() if isinstance(v, str) else v for k, v in fresh.items()}
    assert again.edit != first.edit


def test_a_kept_edit_is_build_edits_files_as_the_build_wrote_them(tmp_path: Path) -> None:
    """A change that leaves the edit's key as it was (a comment) keeps build/edit/'s files: the cache holds their
    hashes, and the files are read back from build/edit/. One changed by hand since is made again."""
    from compiler.build_cache import FOLDER
    from compiler.compiling import EDIT_HASHES

    text = synth_film(12)
    (tmp_path / "film.yaml").write_text(text)
    build_film(Loading(str(tmp_path)), workers=1)
    edit = tmp_path / "build" / "edit"
    made = {p.name: p.read_bytes() for p in edit.iterdir() if p.is_file()}
    cached = sorted((tmp_path / "build" / FOLDER).glob("edit-*.bin"))
    assert len(cached) == 1 and cached[0].stat().st_size < 2_000  # hashes, not the files again
    (tmp_path / "film.yaml").write_text("# a comment\n" + text)
    kept = compile_film(tmp_path, cache_dir=tmp_path / "build", workers=1)
    assert kept.plan.cache[next(k for k in kept.plan.cache if k.startswith("edit:"))][0] == EDIT_HASHES
    assert {k.split("/", 1)[1]: v for k, v in kept.edit.items() if "/font/" not in k} == made
    texts = edit / "texts.txt"
    damaged = made["texts.txt"].replace(b"section", b"sectoin", 1)
    assert damaged != made["texts.txt"]
    texts.write_bytes(damaged)
    (tmp_path / "film.yaml").write_text("# another comment\n" + text)
    build_film(Loading(str(tmp_path)), workers=1)
    assert texts.read_bytes() == made["texts.txt"]


def test_a_fifo_in_place_of_a_kept_edit_file_is_not_read(tmp_path: Path) -> None:
    """A kept edit is read back from build/edit/: something else in a file's place (a FIFO, which would block the
    read) makes the edit again, and the build puts the file back."""
    import subprocess

    text = synth_film(12)
    (tmp_path / "film.yaml").write_text(text)
    build_film(Loading(str(tmp_path)), workers=1)
    srt = tmp_path / "build" / "edit" / "lyrics.srt"
    good = srt.read_bytes()
    srt.unlink()
    os.mkfifo(srt)
    (tmp_path / "film.yaml").write_text("# a comment: the edit's key is the same\n" + text)
    r = subprocess.run([sys.executable, "-c", "from compiler.cli import main; main()", "-q", "build", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert srt.is_file() and srt.read_bytes() == good


def test_an_edit_entry_an_older_filmc_wrote_is_replaced(tmp_path: Path) -> None:
    """The edit's cache file is named by its entry's format too: one holding the edit's files themselves (as filmc
    kept it before it kept their hashes), under the name filmc gave it then, is replaced."""
    import hashlib
    import marshal

    from compiler.build_cache import FOLDER, _stamp, edit_name
    from compiler.emit.state import write_records

    text = synth_film(12)
    (tmp_path / "film.yaml").write_text(text)
    build_film(Loading(str(tmp_path)), workers=1)
    folder = tmp_path / "build" / FOLDER
    key = next(k for k in compile_film(tmp_path, cache_dir=tmp_path / "build", workers=1).plan.cache
               if k.startswith("edit:"))
    assert [p.name for p in folder.glob("edit-*.bin")] == [edit_name(key)]
    then = hashlib.sha1(_stamp().encode() + key.encode() + b"\n").hexdigest()  # (the name filmc gave it then)
    old_name = f"edit-{then[:20]}.bin"
    assert old_name != edit_name(key)
    (folder / edit_name(key)).unlink()
    write_records(tmp_path / "build", {f"{FOLDER}/{old_name}": [
        marshal.dumps(_stamp()), marshal.dumps({key: {"edit/texts.txt": "the texts, as an older filmc kept them"}})]})
    (tmp_path / "film.yaml").write_text("# a comment: the edit's key is the same\n" + text)
    build_film(Loading(str(tmp_path)), workers=1)
    assert [p.name for p in folder.glob("edit-*.bin")] == [edit_name(key)]
