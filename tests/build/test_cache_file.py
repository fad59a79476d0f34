"""The build cache on disk: buckets of entries named by their keys, so a rebuild after one shot changed writes a
few buckets and a build that changed nothing writes none; read back whole; a bucket cut short or of another
layout is ignored (its shots compile again), never trusted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from compiler.build_cache import FOLDER, read_cache, write_cache
from compiler.compiling import compile_film
from compiler.records import HEAD_SIZE, RECORDS_MAGIC, read_records

from ..conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from synth import synth_film  # noqa: E402


def _build(film: Path, *, index: bool = True) -> dict[str, object]:
    """A build's compile and cache write (`index`: the write regroups only the buckets whose keys changed)."""
    out = film / "build"
    compiled = compile_film(film, cache_dir=out)
    entries = compiled.cache_entries()
    write_cache(out, entries, None, compiled.index if index else None, compiled.kept_files)
    return entries


def _files(film: Path) -> dict[str, tuple[int, int]]:
    folder = film / "build" / FOLDER
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_the_cache_is_read_back_whole_from_its_buckets(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(synth_film(300))
    entries = _build(tmp_path)
    out = tmp_path / "build"
    # everything but the edit's files, which are read only under their key
    assert read_cache(out) == {k: v for k, v in entries.items() if not k.startswith("edit:")}
    edit = [k for k in entries if k.startswith("edit:")]
    assert len(edit) == 1 and len([n for n in os.listdir(out / FOLDER) if n.startswith("edit-")]) == 1
    buckets = [p for p in (out / FOLDER).iterdir() if not p.name.startswith("edit-")]
    assert len(buckets) > 30  # a shot's change rewrites a few of them
    assert all(len(list(read_records(p))) >= 2 for p in buckets)  # a head, then the entries


def test_one_shot_changed_rewrites_a_few_buckets_and_nothing_changed_none(tmp_path: Path) -> None:
    text = synth_film(200)
    (tmp_path / "film.yaml").write_text(text)
    _build(tmp_path)
    before = _files(tmp_path)
    assert len(before) > 30
    _build(tmp_path)
    assert _files(tmp_path) == before  # nothing changed: not a file written, not one removed
    (tmp_path / "film.yaml").write_text(text.replace("looking out to sea 5,", "looking out to the sea 5,", 1))
    entries = _build(tmp_path)
    after = _files(tmp_path)
    kept = {name for name in before if after.get(name) == before[name]}
    assert len(kept) >= len(before) - 8  # the changed shot's buckets (old and new), lint's, slates', the edit
    assert len(after) == len(before)  # the old buckets of changed keys are gone
    # (the slates: those of the changed bucket are this build's entries, the others' files were kept)
    assert read_cache(tmp_path / "build", slates=False) == {
        k: v for k, v in entries.items() if not k.startswith(("edit:", "slate:"))}
    assert {k for k in entries if k.startswith("slate:")} < set(read_cache(tmp_path / "build"))
    tmp = tmp_path / "build" / ".filmc" / "tmp"
    assert not tmp.exists() or not any(tmp.iterdir())


def test_a_cut_short_or_foreign_bucket_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(synth_film(20))
    entries = _build(tmp_path)
    folder = tmp_path / "build" / FOLDER
    files = sorted(p for p in folder.iterdir() if not p.name.startswith("edit-"))
    raw = files[0].read_bytes()
    files[0].write_bytes(raw[: len(raw) - 10])  # cut short by something other than filmc
    files[1].write_bytes(b"not a cache at all")
    files[2].write_bytes(RECORDS_MAGIC)  # the head cut short
    lost = read_cache(tmp_path / "build")
    assert lost and len(lost) < len(entries) - 1
    assert all(entries[k] == v for k, v in lost.items())
    # the next build compiles what was lost, the same as before (the edit, unchanged, keeps the slates it has)
    again = compile_film(tmp_path, cache_dir=tmp_path / "build").cache_entries()
    assert all(entries[k] == v for k, v in again.items())
    assert {k for k in entries if not k.startswith("slate:")} <= set(again)


def _buckets(film: Path) -> list[Path]:
    return sorted(p for p in (film / "build" / FOLDER).iterdir() if not p.name.startswith("edit-"))


def test_a_damaged_bucket_is_written_again_by_the_next_build(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(synth_film(20))
    entries = _build(tmp_path)
    first = _buckets(tmp_path)[0]
    raw = first.read_bytes()
    first.write_bytes(raw[:100])
    _build(tmp_path)  # reads what it can (the damaged bucket's shots compile again), then writes what is missing
    assert first.exists()  # the same entries, perhaps in another order
    assert read_cache(tmp_path / "build") == {k: v for k, v in entries.items() if not k.startswith("edit:")}


def test_a_bucket_changed_in_place_or_with_an_absurd_length_is_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(synth_film(20))
    entries = _build(tmp_path)
    a, b = _buckets(tmp_path)[:2]
    raw = a.read_bytes()
    at = raw.rindex(b" ")  # a space in a prompt, near the end: the same length, other bytes, still readable
    a.write_bytes(raw[:at] + b"x" + raw[at + 1:])
    raw_b = bytearray(b.read_bytes())
    head = HEAD_SIZE
    raw_b[head:head + 8] = (2**63 + 5).to_bytes(8, "little")  # a length no file has
    b.write_bytes(bytes(raw_b))
    read = read_cache(tmp_path / "build")
    assert read and all(entries[k] == v for k, v in read.items())
    assert not a.exists() and not b.exists()  # removed: the next build writes them again
    again = _build(tmp_path)
    # (a slate chain lost with a bucket is drawn again only when the edit is made again: here it is reused whole)
    assert {k: v for k, v in again.items() if not k.startswith("slate:")} == {
        k: v for k, v in entries.items() if not k.startswith("slate:")}
    assert all(entries[k] == v for k, v in again.items())


def test_two_builds_of_one_folder_at_once_both_finish(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(synth_film(60))
    cmd = [sys.executable, "-c", "from compiler.cli import main; main()", "-q", "build", "-j", "1", str(tmp_path)]
    for _ in range(3):
        subprocess.run(["rm", "-rf", str(tmp_path / "build")], check=True)
        runs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        for run in runs:
            out, err = run.communicate(timeout=300)
            assert run.returncode == 0, err
    assert read_cache(tmp_path / "build")


def test_show_reads_only_the_bucket_of_its_shot(tmp_path: Path) -> None:
    from compiler.pipeline.options import Loading
    from compiler.pipeline.prompts import show_shot

    (tmp_path / "film.yaml").write_text(synth_film(120))
    _build(tmp_path)
    built = show_shot(Loading(str(tmp_path)), "s00005")
    others = [p for p in _buckets(tmp_path) if b"s00005" not in p.read_bytes()]
    assert len(others) > 30
    for p in others:
        p.write_bytes(b"not a bucket")  # read, it would be found damaged and removed
    assert show_shot(Loading(str(tmp_path)), "s00005") == built
    assert all(p.exists() for p in others)  # not one of them was read


def test_a_rebuild_leaves_the_reused_pairs_bodies_packed(tmp_path: Path) -> None:
    """A pair reused from the cache keeps its request bodies and context as marshal bytes (a rebuild of a big film
    does not rebuild thousands of bodies it only copies); asked for, they are the fresh compile's."""
    text = synth_film(30)
    (tmp_path / "film.yaml").write_text(text)
    _build(tmp_path)
    before = set(compile_film(tmp_path, cache_dir=tmp_path / "build").plan.keys.items())
    edited = text.replace("gulls wheel overhead, 7 of them", "gulls wheel overhead, 7 of them, low")
    assert edited != text
    (tmp_path / "film.yaml").write_text(edited)
    again = compile_film(tmp_path, cache_dir=tmp_path / "build").plan
    compiled = {shot for (shot, _), key in again.keys.items() if ((shot, _), key) not in before}
    assert compiled == {"s00007"}  # (the only shot compiled again)
    packed = {j.shot: j.packed.value is None for j in again.jobs}
    assert all(v for k, v in packed.items() if k != "s00007")
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    (fresh_dir / "film.yaml").write_text(edited)
    fresh = compile_film(fresh_dir).plan
    assert [j.as_dict() for j in again.jobs] == [j.as_dict() for j in fresh.jobs]
    assert dict(again.contexts) == dict(fresh.contexts)


def test_a_file_of_records_is_rewritten_unless_it_holds_the_same_bytes(tmp_path: Path) -> None:
    """The head's checksum says a file may be unchanged; the bytes decide: a file whose head agrees but whose
    records were damaged since is written again, one that holds the records already is left as it is."""
    from compiler.emit.state import write_records

    records = [b"first record", b"second record" * 50]
    assert write_records(tmp_path, {".filmc/doc.bin": records}) == [".filmc/doc.bin"]
    path = tmp_path / ".filmc" / "doc.bin"
    assert list(read_records(path)) == records
    inode = path.stat().st_ino
    assert write_records(tmp_path, {".filmc/doc.bin": records}) == []  # the same bytes: not written
    assert path.stat().st_ino == inode
    raw = path.read_bytes()
    path.write_bytes(raw[:HEAD_SIZE] + raw[HEAD_SIZE:].replace(b"second", b"SECOND"))  # the head as it was
    assert write_records(tmp_path, {".filmc/doc.bin": records}) == [".filmc/doc.bin"]
    assert path.read_bytes() == raw and list(read_records(path)) == records


def test_a_write_that_regroups_the_changed_buckets_writes_what_a_whole_write_does(tmp_path: Path) -> None:
    """write_cache given what the read found (each bucket's keys) leaves the unchanged buckets' files alone and
    writes the others: the folder is the same, name for name and byte for byte, as a write that groups everything."""
    import shutil

    text = synth_film(120)
    films = [tmp_path / "a", tmp_path / "b"]
    for film in films:
        film.mkdir()
        (film / "film.yaml").write_text(text)
        _build(film, index=False)
    # a shot changed, a shot gone, a bucket damaged: keys added, removed, and read short
    changed = text.replace("looking out to sea 5,", "looking out to the sea 5,", 1)
    start = changed.index("  - id: s00007")
    changed = changed[:start] + changed[changed.index("  - id: s00008"):]
    for film in films:
        (film / "film.yaml").write_text(changed)
        damaged = _buckets(film)[3]
        damaged.write_bytes(damaged.read_bytes()[:200])
    # (the edit's entry names its folder: the two films' differ there alone)
    def shared(entries: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in entries.items() if not k.startswith("edit:")}

    assert shared(_build(films[0], index=True)) == shared(_build(films[1], index=False))

    def listing(film: Path) -> dict[str, object]:  # each bucket file by name, with the entries it holds
        from compiler.build_cache import _read_file

        folder = film / "build" / FOLDER
        return {p.name: _read_file(p) for p in folder.iterdir() if not p.name.startswith("edit-")}

    assert len(listing(films[0])) > 30 and listing(films[0]) == listing(films[1])
    shutil.rmtree(films[1])


def test_a_file_of_records_is_checked_unless_its_stat_is_the_one_recorded_when_it_was_checked(tmp_path: Path) -> None:
    """The cache's buckets are read without their checksum while each has the stat the last build recorded (as build
    outputs are trusted); any other file of records is checked whole."""
    import time

    from compiler.build_cache import CHECKED
    from compiler.emit.state import write_records
    from compiler.records import stat_key

    write_records(tmp_path, {".filmc/doc.bin": [b"one", b"two"]})
    path = tmp_path / ".filmc" / "doc.bin"
    raw = bytearray(path.read_bytes())
    raw[len(RECORDS_MAGIC)] ^= 0xFF  # the checksum in the head no longer fits the records
    path.write_bytes(bytes(raw))
    try:
        list(read_records(path))
        raise AssertionError("a file whose checksum does not fit was read")
    except ValueError:
        pass
    assert list(read_records(path, stat_key(path.stat()))) == [b"one", b"two"]  # trusted as it is now
    # a build records its buckets' stats once they are old enough to trust; one changed since is checked again
    (tmp_path / "film.yaml").write_text(synth_film(40))
    _build(tmp_path)
    time.sleep(0.06)
    entries = _build(tmp_path)  # (nothing changed: the stats are recorded now)
    assert (tmp_path / "build" / CHECKED).is_file()
    bucket = _buckets(tmp_path)[0]
    data = bucket.read_bytes()
    at = data.rindex(b" ")
    bucket.write_bytes(data[:at] + b"x" + data[at + 1:])  # same size, other bytes: its ctime moved
    read = read_cache(tmp_path / "build", slates=False)
    assert not bucket.exists()  # found damaged, removed, its shots compiled again by the next build
    assert read and all(entries[k] == v for k, v in read.items())


def test_a_file_kept_without_being_read_is_not_recorded_as_checked(tmp_path: Path) -> None:
    """A build that keeps a bucket file by its name alone (the slates of a kept edit) does not vouch for its bytes:
    one damaged since it was last checked is still checked, and found damaged, by the next read."""
    import time

    from compiler.build_cache import CHECKED, _checked
    from compiler.pipeline.build import build_film
    from compiler.pipeline.options import Loading

    (tmp_path / "film.yaml").write_text(synth_film(40))
    out = tmp_path / "build"
    build_film(Loading(str(tmp_path)))  # (a kept edit is build/edit/'s files as the build wrote them)
    slate = sorted((out / FOLDER).glob("s*-*.bin"))[0]
    data = slate.read_bytes()
    at = data.rindex(b" ")
    slate.write_bytes(data[:at] + b"x" + data[at + 1:])  # same size, other bytes
    time.sleep(0.06)
    with (tmp_path / "film.yaml").open("a") as f:
        f.write("# a comment: the same film, so the edit (and its slate files) are kept\n")
    build_film(Loading(str(tmp_path)))
    assert (out / CHECKED).is_file() and slate.name not in _checked(out)
    read_cache(out)  # (slates too) a checked read: the damaged file is found and removed
    assert not slate.exists()


def test_a_bucket_of_another_filmc_under_this_filmcs_name_is_replaced(tmp_path: Path) -> None:
    """A bucket file whose head names another layout or filmc (damage, under the name this filmc gives its keys) is
    removed when read, so the next build writes it again; it is never recorded as checked."""
    import marshal

    from compiler.build_cache import _checked
    from compiler.emit.state import write_records

    (tmp_path / "film.yaml").write_text(synth_film(40))
    out = tmp_path / "build"
    entries = _build(tmp_path)
    bucket = _buckets(tmp_path)[1]
    records = list(read_records(bucket))
    # whole, its checksum right: only its stamp is not this filmc's
    write_records(out, {f"{FOLDER}/{bucket.name}": [marshal.dumps("6|0.0.1"), *records[1:]]})
    assert list(read_records(bucket))[0] != records[0]
    read = read_cache(out, slates=False)
    assert not bucket.exists() and bucket.name not in _checked(out)
    assert all(entries[k] == v for k, v in read.items())
    _build(tmp_path)
    assert bucket.exists() and list(read_records(bucket))[1:] == records[1:]  # written again
