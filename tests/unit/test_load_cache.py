"""Parsed files kept between runs (load_film(cache=True)): the same document back, and a changed file read again."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.load import load_film


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "filmc" / "documents"


def test_a_kept_document_is_the_parsed_one(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "target.yaml"
    path.write_text("name: t\nkind: video\ncapabilities:\n  durations: [5, 10]\n  at: '1:30'\n")
    first = load_film(path, display="t.yaml", cache=True)
    assert len(list(cache.glob("*.bin"))) == 1
    again = load_film(path, display="t.yaml", cache=True)
    assert (again.data, again.values, again.keys, again.lines) == (first.data, first.values, first.keys, first.lines)
    assert again.data["capabilities"] == {"durations": [5, 10], "at": "1:30"}
    assert again.locate("/capabilities/durations/1") == (4, 18)


def test_a_changed_file_is_read_again(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "target.yaml"
    path.write_text("name: t\n")
    assert load_film(path, cache=True).data == {"name": "t"}
    path.write_text("name: renamed\n")
    assert load_film(path, cache=True).data == {"name": "renamed"}


def test_a_document_with_warnings_is_not_kept(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "target.yaml"
    path.write_text('name: "a\\x1bb"\n')
    for _ in range(2):
        doc = load_film(path, cache=True)
        assert doc.data == {"name": "ab"} and [d.code for d in doc.warnings] == ["L114"]
    assert not list(cache.glob("*.bin"))
