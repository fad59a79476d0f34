"""film.yaml edits (compiler.yamledit): real files, real symlinks, a real concurrent write, every form YAML allows."""

from __future__ import annotations

import difflib
import os
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.errors import FilmError
from compiler.load import load_film
from compiler.yamledit import FilmEdit, YamlEditError, edit_film, set_song_fields

from .test_fuzz import BASE, _mutate

FILM = """\
# my film
version: 1
film: {title: Tiny, fps: 24}   # a flow mapping the edit does not touch
song:
  audio: song.wav
  duration: 10          # seconds
  bpm: 90               # hand-set
  sections:
    - {id: a, start: 0}
    - id: b
      start: 5
"""


def _beats(e: FilmEdit, bpm: float = 100, offset: float = 0.25) -> None:
    e.set(("song", "bpm"), bpm, after=("duration", "audio"))
    e.set(("song", "beat_offset"), offset, after=("bpm", "duration", "audio"))


def _changed(a: str, b: str) -> list[str]:
    return [ln for ln in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def _codes(e: FilmError) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.col) for d in e.diagnostics]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_edit_changes_only_the_values_and_shows_a_diff(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text(FILM)
    result = edit_film(film, _beats)
    assert result.written and result.changed
    after = film.read_text()
    assert _changed(FILM, after) == ["-  bpm: 90               # hand-set",
                                     "+  bpm: 100              # hand-set", "+  beat_offset: 0.25"]
    assert "-  bpm: 90" in result.diff and "+  beat_offset: 0.25" in result.diff
    assert load_film(film).data["song"]["bpm"] == 100
    again = edit_film(film, _beats)
    assert not again.changed and not again.written and again.diff == ""


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text(FILM)
    before = film.stat()
    result = edit_film(film, _beats, dry_run=True)
    assert result.changed and not result.written and "+  beat_offset: 0.25" in result.diff
    assert film.read_text() == FILM and film.stat().st_mtime_ns == before.st_mtime_ns


def test_mode_0640_is_kept(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text(FILM)
    film.chmod(0o640)
    owner = (film.stat().st_uid, film.stat().st_gid)
    edit_film(film, _beats)
    st_ = film.stat()
    assert stat.S_IMODE(st_.st_mode) == 0o640
    assert (st_.st_uid, st_.st_gid) == owner
    assert _leftovers(tmp_path) == []


def test_symlink_is_kept_and_its_target_updated(tmp_path: Path) -> None:
    real_dir = tmp_path / "shared"
    real_dir.mkdir()
    real = real_dir / "the-film.yaml"
    real.write_text(FILM)
    real.chmod(0o600)
    film_dir = tmp_path / "film"
    film_dir.mkdir()
    link = film_dir / "film.yaml"
    link.symlink_to(os.path.relpath(real, film_dir))
    result = edit_film(link, _beats)
    assert link.is_symlink() and os.readlink(link) == os.path.relpath(real, film_dir)
    assert result.target == real.resolve()
    assert "beat_offset: 0.25" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert _leftovers(real_dir) == [] and _leftovers(film_dir) == []


def test_change_on_disk_between_read_and_write_is_refused(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text(FILM)
    theirs = FILM.replace("title: Tiny", "title: Saved in the editor")

    def editor_saves() -> None:  # another program writes the file while filmc edits it
        film.write_text(theirs)

    with pytest.raises(YamlEditError) as e:
        edit_film(film, _beats, before_replace=editor_saves)
    assert [d.code for d in e.value.diagnostics] == ["Y601"]
    assert film.read_text() == theirs  # the other change survives, nothing of ours was written
    assert _leftovers(tmp_path) == []


def test_replaced_file_with_same_size_is_detected(tmp_path: Path) -> None:
    """An editor that saves by rename, same length, same second: the content check still sees it."""
    film = tmp_path / "film.yaml"
    film.write_text(FILM)
    edit = FilmEdit.open(film)
    _beats(edit)
    other = tmp_path / "other"
    other.write_text(FILM.replace("Tiny", "Tany"))
    os.replace(other, film)
    with pytest.raises(YamlEditError) as e:
        edit.commit()
    assert [d.code for d in e.value.diagnostics] == ["Y601"]
    assert "Tany" in film.read_text()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_read_only_file_is_refused(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text(FILM)
    film.chmod(0o444)
    with pytest.raises(YamlEditError) as e:
        edit_film(film, _beats)
    assert [d.code for d in e.value.diagnostics] == ["Y605"]
    assert film.read_text() == FILM


def test_fifo_film_is_refused_without_blocking(tmp_path: Path) -> None:
    import subprocess

    fifo = tmp_path / "film.yaml"
    os.mkfifo(fifo)
    code = ("import sys; from compiler.yamledit import FilmEdit; from compiler.errors import FilmError\n"
            "try:\n FilmEdit.open(sys.argv[1])\nexcept FilmError as e:\n print(e.diagnostics[0].code)")
    r = subprocess.run([sys.executable, "-c", code, str(fifo)], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "Y605", r.stderr


def test_anchor_used_elsewhere_is_refused_with_its_place(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    text = FILM.replace("  bpm: 90               # hand-set", "  bpm: &tempo 90").replace(
        "start: 5", "start: 5\n      tempo_note: *tempo")
    film.write_text(text)
    with pytest.raises(YamlEditError) as e:
        edit_film(film, _beats)
    assert _codes(e.value) == [("Y602", 7, 8)]
    assert film.read_text() == text


def test_anchor_not_used_elsewhere_is_kept(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text(FILM.replace("bpm: 90      ", "bpm: &tempo 90"))
    edit_film(film, _beats)
    assert "  bpm: &tempo 100        # hand-set\n" in film.read_text()


def test_alias_value_is_replaced_and_its_anchor_kept(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    text = "x-defaults: &t 90\n" + FILM.replace("bpm: 90      ", "bpm: *t       ")
    film.write_text(text)
    edit_film(film, _beats)
    after = film.read_text()
    assert after.startswith("x-defaults: &t 90\n")
    assert load_film(film).data["x-defaults"] == 90 and load_film(film).data["song"]["bpm"] == 100


def test_mapping_behind_an_alias_is_refused(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    text = "base: &s\n  duration: 10\n  sections: [{id: a, start: 0}]\nversion: 1\nfilm: {title: x}\nsong: *s\n"
    film.write_text(text)
    with pytest.raises(YamlEditError) as e:
        edit_film(film, _beats)
    assert _codes(e.value) == [("Y603", 6, 7)]
    assert film.read_text() == text


def test_flow_mappings_stay_flow(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    text = "version: 1\nfilm: {title: x}  # keep me\nsong: {duration: 10, bpm: 90,\n  sections: [{id: a, start: 0}]}\n"
    film.write_text(text)
    edit_film(film, _beats)
    assert film.read_text() == ("version: 1\nfilm: {title: x}  # keep me\nsong: {duration: 10, bpm: 100, "
                                "beat_offset: 0.25,\n  sections: [{id: a, start: 0}]}\n")


def test_tabs_before_comments_and_trailing_tabs(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    text = "version: 1\t\nfilm:\n  title: x\t# t\nsong:\t# the song\t\n  duration: 10\t\t# tab\n  bpm: 90\t# set\t\n" \
           "  sections:\t\n    - {id: a, start: 0}\t\n"
    film.write_text(text)
    edit_film(film, _beats)
    assert _changed(text, film.read_text()) == ["-  bpm: 90\t# set\t", "+  bpm: 100\t# set\t", "+  beat_offset: 0.25"]


def test_crlf_bom_and_document_markers_are_kept(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    text = "\ufeff%YAML 1.2\r\n---\r\nversion: 1\r\nfilm: {title: x}\r\nsong:\r\n  duration: 10\r\n" \
           "  sections: [{id: a, start: 0}]\r\n...\r\n"
    film.write_bytes(text.encode())
    result = edit_film(film, _beats)
    raw = film.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf%YAML 1.2\r\n---\r\n") and raw.endswith(b"...\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n") == text.count("\n") + 2
    assert b"  duration: 10\r\n  bpm: 100\r\n  beat_offset: 0.25\r\n  sections:" in raw
    assert "\r" not in result.diff and "\ufeff" not in result.diff


def test_last_line_without_line_break(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text("version: 1\nfilm: {title: x}\nsong:\n  sections: [{id: a, start: 0}]\n  duration: 10")
    edit_film(film, _beats)
    assert film.read_text().endswith("  duration: 10\n  bpm: 100\n  beat_offset: 0.25\n")


def test_comments_at_odd_places(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    text = "version: 1\nfilm: {title: x}\nsong: # the song\n# at column 0\n  duration: 10 # d\n      # deep\n" \
           "  sections: # s\n  - id: a # id\n    start: 0\n# end\n"
    film.write_text(text)
    edit_film(film, _beats)
    assert _changed(text, film.read_text()) == ["+  bpm: 100", "+  beat_offset: 0.25"]


def test_list_items_appends_and_deletes_for_later_commands(tmp_path: Path) -> None:
    """What `select` and `draft` will do: set a shot's take, add a shot, remove a key."""
    film = tmp_path / "film.yaml"
    text = ("version: 1\nfilm: {title: x}\nsong: {duration: 10, sections: [{id: a, start: 0}]}\nshots:\n"
            "- {id: s1, section: a}\n- id: s2\n  section: a\n  take: takes/s2.mp4   # chosen\n")
    film.write_text(text)

    def change(e: FilmEdit) -> None:
        e.set(("shots", 0, "take"), "takes/s1.v2.mp4")
        e.set(("shots", 1, "take"), "takes/s2 v3.mp4")
        e.append(("shots",), {"id": "s3", "section": "a", "action": "runs, looks back", "lyrics": "one\ntwo\n"})

    edit_film(film, change)
    after = film.read_text()
    assert after == ("version: 1\nfilm: {title: x}\nsong: {duration: 10, sections: [{id: a, start: 0}]}\nshots:\n"
                     "- {id: s1, section: a, take: takes/s1.v2.mp4}\n- id: s2\n  section: a\n"
                     "  take: takes/s2 v3.mp4 # chosen\n- id: s3\n  section: a\n  action: \"runs, looks back\"\n"
                     "  lyrics: |\n    one\n    two\n")
    edit_film(film, lambda e: e.delete(("shots", 1, "take")))
    assert "takes/s2" not in film.read_text() and load_film(film).data["shots"][1] == {"id": "s2", "section": "a"}


def test_insert_puts_items_between_others_under_their_comments(tmp_path: Path) -> None:
    """`draft storyboard` adds shots in the middle of the list: after the shot they follow, before the comment
    that heads the next section's shots; every other line stays as it was."""
    film = tmp_path / "film.yaml"
    text = ("version: 1\nfilm: {title: x}\nsong: {duration: 10, sections: [{id: a, start: 0}, {id: b, start: 5}]}\n"
            "shots:\n  # --- a\n  - id: s1\n    section: a   # first\n\n  # --- b\n  - id: s2\n    section: b\n")
    film.write_text(text)

    def change(e: FilmEdit) -> None:
        e.insert(("shots",), 1, {"id": "n1", "section": "a"})
        e.insert(("shots",), 2, {"id": "n2", "section": "a", "mood": ["calm"]})
        e.insert(("shots",), 0, {"id": "n0", "section": "a"})
        e.insert(("shots",), 5, {"id": "n3", "section": "b"})  # the end: an append

    edit_film(film, change)
    assert film.read_text() == (
        "version: 1\nfilm: {title: x}\nsong: {duration: 10, sections: [{id: a, start: 0}, {id: b, start: 5}]}\n"
        "shots:\n  # --- a\n  - id: n0\n    section: a\n  - id: s1\n    section: a   # first\n"
        "  - id: n1\n    section: a\n  - id: n2\n    section: a\n    mood:\n      - calm\n"
        "\n  # --- b\n  - id: s2\n    section: b\n  - id: n3\n    section: b\n")
    assert [s["id"] for s in load_film(film).data["shots"]] == ["n0", "s1", "n1", "n2", "s2", "n3"]


def test_insert_into_a_flow_list_is_refused(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text("version: 1\nfilm: {title: x}\nsong: {duration: 10, sections: [{id: a, start: 0}]}\n"
                    "shots: [{id: s1, section: a}]\n")
    with pytest.raises(YamlEditError) as e:
        edit_film(film, lambda e: e.insert(("shots",), 0, {"id": "n0", "section": "a"}))
    assert e.value.diagnostics[0].code == "Y606"


def test_strings_that_yaml_would_read_otherwise_are_quoted(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text(FILM)
    odd = ["1:30", "no", "true", "12", "a: b", "x # y", "- z", "[q]", "", " pad", "\u2028", "tab\there", "ä"]

    def change(e: FilmEdit) -> None:
        for i, v in enumerate(odd):
            e.set(("song", f"note{i}"), v)

    edit_film(film, change)
    song = load_film(film).data["song"]
    assert [song[f"note{i}"] for i in range(len(odd))] == odd


# ---------------------------------------------------------------- every form of a film: a correct edit or Y6xx

_VALUE_END = st.sampled_from(["", "  # c", "\t# c", " #", "\t", "  ", "\t# tab\t", " # a: b"])


@st.composite
def _films(draw: st.DrawFn) -> tuple[str, bool]:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    ind = " " * draw(st.sampled_from([2, 4]))
    lines = []
    if draw(st.booleans()):
        lines.append("# comment" + draw(_VALUE_END))
    if draw(st.booleans()):
        lines.append("---" + draw(st.sampled_from(["", " # start"])))
    lines += ["version: 1" + draw(_VALUE_END), "x-anchors: &t 90" if draw(st.booleans()) else "film: {title: x}"]
    if lines[-1].startswith("x-"):
        lines.append("film: {title: x}")
    flow = draw(st.booleans())
    keys = {"duration": "10", "audio": '"song.wav"'}
    if draw(st.booleans()):
        keys["bpm"] = draw(st.sampled_from(["90", "&b 90", "*t" if any("&t" in ln for ln in lines) else "91",
                                            "'90'", "9e1", "90.0"]))
    if draw(st.booleans()):
        keys["beat_offset"] = draw(st.sampled_from(["0.1", '"0:00.1"', "&o 0.1"]))
    order = draw(st.permutations(list(keys)))
    if flow:
        body = ", ".join(f"{k}: {keys[k]}" for k in order)
        lines.append("song: {" + body + ", sections: [{id: a, start: 0}]}" + draw(_VALUE_END))
    else:
        lines.append("song:" + draw(_VALUE_END))
        for k in order:
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", ind + "# note", "# col 0", ind * 3 + "# deep"])))
            lines.append(f"{ind}{k}: {keys[k]}" + draw(_VALUE_END))
        lines.append(f"{ind}sections:" + draw(_VALUE_END))
        lines.append(f"{ind}- id: a" + draw(_VALUE_END))
        lines.append(f"{ind}  start: {'*o' if '&o' in keys.get('beat_offset', '') else '0'}")
    if draw(st.booleans()):
        lines.append("...")
    text = nl.join(lines) + (nl if draw(st.booleans()) else "")
    return ("\ufeff" if draw(st.booleans()) else "") + text, flow


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(film=_films(), bpm=st.sampled_from([100, 99.84, 87.5, 96.0]), offset=st.sampled_from([0, 0.25, 0.012]))
def test_any_form_gives_a_correct_edit_or_a_located_refusal(tmp_path: Path, film: tuple[str, bool], bpm: float,
                                                             offset: float) -> None:
    text, flow = film
    path = tmp_path / "film.yaml"
    path.write_bytes(text.encode())
    before = load_film(path).data
    try:
        edit_film(path, lambda e: _beats(e, bpm, offset))
    except YamlEditError as e:
        assert all(d.code.startswith("Y6") and d.line > 0 for d in e.diagnostics), e.diagnostics
        assert path.read_bytes() == text.encode()
        return
    raw = path.read_bytes()
    after = raw.decode()
    assert after.startswith("\ufeff") == text.startswith("\ufeff")
    if "\r\n" in text:
        assert raw.count(b"\n") == raw.count(b"\r\n")
    want = {**before, "song": {**before["song"], "bpm": bpm, "beat_offset": offset}}
    assert load_film(path).data == want
    old, new = text.lstrip("\ufeff").splitlines(), after.lstrip("\ufeff").splitlines()
    for line in _changed("\n".join(old), "\n".join(new)):
        assert "bpm:" in line or "beat_offset:" in line or (flow and line[1:].startswith("song: {")), line


def test_set_song_fields_keeps_its_contract(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text(FILM)
    assert set_song_fields(film, {"bpm": 100, "beat_offset": 0.25}) is True
    assert set_song_fields(film, {"bpm": 100, "beat_offset": 0.25}) is False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_films_give_a_correct_edit_or_a_located_refusal(tmp_path: Path, data: st.DataObject) -> None:
    text = _mutate(BASE, data)
    path = tmp_path / "film.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        before = load_film(path).data
    except FilmError:
        return  # validate refuses it too
    try:
        edit_film(path, _beats)
    except FilmError as e:
        assert all(d.code.startswith(("Y6", "L1")) for d in e.diagnostics), e.diagnostics
        return
    song = before.get("song")
    assert isinstance(song, dict)
    assert load_film(path).data == {**before, "song": {**song, "bpm": 100, "beat_offset": 0.25}}


def test_the_last_change_of_a_value_wins(tmp_path: Path) -> None:
    film = tmp_path / "film.yaml"
    film.write_text(FILM)

    def change(e: FilmEdit) -> None:
        _beats(e, 97, 0.1)
        _beats(e, 100, 0.25)
        e.set(("song", "note"), "x")
        e.delete(("song", "note"))
        e.delete(("song", "duration"))
        e.set(("song", "duration"), 11)

    edit_film(film, change)
    assert _changed(FILM, film.read_text()) == ["-  duration: 10          # seconds", "-  bpm: 90               # hand-set",
                                                "+  duration: 11          # seconds",
                                                "+  bpm: 100              # hand-set", "+  beat_offset: 0.25"]
