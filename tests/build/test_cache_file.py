"""The build cache on disk: written a few hundred entries at a time, read back whole, never rewritten unchanged,
ignored (never trusted) when it is cut short or from another layout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from compiler.compiling import CACHE_FILE, compile_film, read_cache, write_cache
from compiler.records import RECORDS_MAGIC, read_records

from ..conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from synth import synth_film  # noqa: E402


def _built(tmp_path: Path, shots: int = 150) -> tuple[Path, dict[str, object]]:
    (tmp_path / "film.yaml").write_text(synth_film(shots))
    out = tmp_path / "build"
    entries = compile_film(tmp_path, cache_dir=out).cache_entries()
    write_cache(out, entries)
    return out, entries


def test_the_cache_is_written_in_records_and_read_back_whole(tmp_path: Path) -> None:
    out, entries = _built(tmp_path)
    records = list(read_records(out / CACHE_FILE))
    assert len(records) > 2  # a header, then more than one record of entries: never one bytes object of it all
    assert read_cache(out) == entries


def test_an_unchanged_cache_is_not_written_again(tmp_path: Path) -> None:
    out, entries = _built(tmp_path, 20)
    before = os.stat(out / CACHE_FILE)
    write_cache(out, dict(entries))
    after = os.stat(out / CACHE_FILE)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    tmp = out / ".filmc" / "tmp"
    assert not tmp.exists() or not any(tmp.iterdir())  # the temp file made to compare is gone
    write_cache(out, {**entries, "another": 1})
    assert os.stat(out / CACHE_FILE).st_ino != before.st_ino
    assert read_cache(out)["another"] == 1


def test_a_cut_short_or_foreign_cache_is_ignored(tmp_path: Path) -> None:
    out, _ = _built(tmp_path, 20)
    raw = (out / CACHE_FILE).read_bytes()
    (out / CACHE_FILE).write_bytes(raw[: len(raw) - 10])  # killed mid-write by something other than filmc
    assert read_cache(out) == {}
    (out / CACHE_FILE).write_bytes(b"not a cache at all")
    assert read_cache(out) == {}
    (out / CACHE_FILE).write_bytes(RECORDS_MAGIC)  # the head cut short
    assert read_cache(out) == {}
    # and the next build still compiles everything right
    assert compile_film(tmp_path, cache_dir=out).plan.prompts
