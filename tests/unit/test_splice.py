"""film.yaml read again after an edit inside one shot (compiler.load.splice): the spliced document must be the
whole parse's, value for value and place for place, or the splice must decline. Random edits, a fixed seed."""

from __future__ import annotations

import marshal
import random
from pathlib import Path

import pytest

from compiler.errors import FilmError
from compiler.load import load_film
from compiler.load import splice as sp

STYLES = [
    "    image: |\n      the keeper {n} climbs the stair\n      and the lamp turns\n",
    "    video: >-\n      a folded line {n}\n      that goes on\n\n      and a new paragraph\n",
    "    action: |2\n       indented by the indicator {n}\n",
    '    look: "a quoted line {n} \\\n      that continues"\n',
    "    prompt: a plain line {n}\n      continued plainly\n",
    "    cast: {{keeper: [a grey coat, a lamp],\n           boy: calm}}\n",
    "    tags: [one, two, 'three {n}']\n",
    "    # a comment inside shot {n}\n    camera: slow push-in\n",
    "    notes:\n      - first {n}\n      - second: {{a: 1}}\n",
    "    duration: {n}.5\n    frames: 0x1F\n    still: yes\n",
]


def film_text(n: int, column: int = 2, after: bool = True) -> str:
    pad = " " * column
    out = ["version: 1", "film: {title: Test, fps: 24}", "song:", "  duration: 100", "shots:"]
    text = "\n".join(out) + "\n"
    for i in range(n):
        if i % 17 == 0:
            text += f"# --- part {i} ---\n"
        body = "".join(STYLES[(i + k) % len(STYLES)].format(n=i) for k in range(3))
        body = "".join(pad + line[2:] + "\n" if line.strip() else "\n" for line in body.splitlines())
        text += f"{pad}- id: s{i:04d}\n" + body
        if i % 11 == 0:
            text += "\n"
    if after:
        text += "edit:\n  grade: warm\n# the end\n"
    return text


EDITS = [
    lambda line: line.replace("the", "a"),
    lambda line: line + " more words",
    lambda line: line + "  # a comment",
    lambda line: "  " + line,
    lambda line: line[2:] if line.startswith("  ") else line,
    lambda line: "",
    lambda line: "  - id: inserted",
    lambda line: "    - id: inserted",
    lambda line: "topkey: 1",
    lambda line: "    x: &anchor 1",
    lambda line: "    y: *anchor",
    lambda line: "\tz: 1",
    lambda line: '    w: "\\e[31m"',
    lambda line: "    prompt: again",
    lambda line: "    : no key",
    lambda line: "    q: [unclosed",
    lambda line: "---",
    lambda line: "...",
    lambda line: "    %TAG",
    lambda line: "    r: !!str 12",
    lambda line: "    s: !custom 1",
    lambda line: "# a line comment",
    lambda line: line.replace(":", ": |") if ":" in line else line,
    lambda line: "    k: 'caf\u00e9 \u2014 \u00fc'",
    lambda line: "    k: v\r",
]


def mutate(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        at = rng.randrange(len(lines))
        if rng.random() < 0.5:  # mostly near the one before (one shot); sometimes anywhere
            at = min(len(lines) - 1, max(0, at))
        op = rng.random()
        new = rng.choice(EDITS)(lines[at])
        if op < 0.5:
            lines[at] = new
        elif op < 0.8:
            lines.insert(at, new)
        else:
            del lines[at]
    return "\n".join(lines)


def full(path: Path, text: str):
    path.write_text(text, encoding="utf-8", newline="")
    try:
        return load_film(path)
    except FilmError:
        return None


def check(tmp_path: Path, old: str, new: str) -> str:
    path = tmp_path / "film.yaml"
    before = full(path, old)
    assert before is not None
    kept = sp.keep(before, old)
    if kept is None:
        return "not kept"
    kept = sp.read_from(sp.dump(kept))  # as the next build reads it back
    got = sp.splice(kept, new, path, "film.yaml")
    want = full(path, new)
    if got is None:
        return "declined"
    doc, now = got
    assert want is not None, "spliced a text the whole parse rejects"
    assert not want.warnings, "spliced a text the whole parse warns about"
    assert doc.data == want.data
    assert doc.shot_blobs() == [marshal.dumps(item, 0) for item in want.data["shots"]]  # (kept, one made anew)
    assert doc.data_blob() == marshal.dumps(want.data, 0)
    assert list(doc.values.items()) == list(want.values.items())
    assert list(doc.keys.items()) == list(want.keys.items())
    assert doc.lines == want.lines
    again = sp.keep(want, new)
    assert again is not None
    assert (now.starts, now.end, now.column) == (again.starts, again.end, again.column)
    return "spliced"


@pytest.mark.parametrize("column,after", [(2, True), (0, True), (4, False)])
def test_random_edits_splice_to_the_whole_parse_or_decline(tmp_path: Path, column: int, after: bool) -> None:
    rng = random.Random(1000 + column)
    base = film_text(300, column, after)
    assert len(base) >= sp.SPLICE_MIN
    seen: dict[str, int] = {}
    for _ in range(250):
        outcome = check(tmp_path, base, mutate(rng, base))
        seen[outcome] = seen.get(outcome, 0) + 1
    assert seen.get("spliced", 0) > 40 and seen.get("declined", 0) > 40, seen


ENDS = ["    z: |+\n      kept\n", "    z: |\n      clip\n", "    z: >\n      fold\n", "    z: |-\n      strip\n",
        "    z: plain\n      more\n", "    z: 'q\n      r'\n", "    z: [a,\n      b]\n", "    ? k\n", "    z:\n",
        "    z: |2\n       ind\n"]
BETWEEN = ["", " ", "  ", "    ", "      ", "        ", "# c", "  # c", "    # c", "      # c", "        # c", "      text",
           "    w: new", "  - id: new"]


@pytest.mark.parametrize("after", ["", "edit: {a: 1}\n"])
def test_lines_between_two_shots_belong_to_the_one_before(tmp_path: Path, after: str) -> None:
    """Lines put between two items (above the second's `-`, or in place of the first's last line) are the first
    item's in the whole parse: a block scalar's text (blank, indented `#`, kept by `|+`), a new key, or comments.
    The splice must give them to it too; an empty value or `? key` at an item's end is placed at the next token."""
    rng = random.Random(5 if after else 6)
    shots = [f"  - id: s{i:03d}\n    prompt: shot {i} {'x' * 80}\n" + rng.choice(ENDS) + ("\n" if i % 7 == 0 else "")
             + ("# part\n" if i % 13 == 0 else "") for i in range(300)]
    base = "version: 1\nfilm: {title: T, fps: 24}\nshots:\n" + "".join(shots) + after
    lines = base.split("\n")
    dashes = [n for n, line in enumerate(lines) if line.startswith("  - id:")]
    seen: dict[str, int] = {}
    for _ in range(300):
        x = list(lines)
        d = rng.choice(dashes[1:])
        k = rng.random()
        if k < 0.5:
            x[d:d] = [rng.choice(BETWEEN) for _ in range(rng.choice([1, 2]))]
        elif k < 0.8:
            x[d - 1:d] = [rng.choice(BETWEEN)]
        else:
            x[d + 1:d + 1] = [rng.choice(BETWEEN)]
        outcome = check(tmp_path, base, "\n".join(x))
        seen[outcome] = seen.get(outcome, 0) + 1
    assert seen.get("spliced", 0) > 100 and seen.get("declined", 0) > 10, seen


def test_edits_one_after_another_stay_the_whole_parse(tmp_path: Path) -> None:
    """Each splice's result is what the next splices into: an edit session of many small edits."""
    rng = random.Random(7)
    path = tmp_path / "film.yaml"
    text = film_text(300)
    kept = sp.keep(full(path, text), text)
    spliced = 0
    for n in range(60):
        lines = text.split("\n")
        at = rng.randrange(10, len(lines) - 5)
        if lines[at].startswith("    prompt"):
            lines[at] += f" edit {n}"
        else:
            lines.insert(at + 1, f"    # note {n}") if rng.random() < 0.5 else lines.insert(at + 1, "")
        edited = "\n".join(lines)
        want = full(path, edited)
        if want is None:  # (an edit that breaks the file is undone: the session goes on from a film that loads)
            continue
        text = edited
        got = sp.splice(kept, text, path, "film.yaml") if kept is not None else None
        if got is None:
            kept = sp.keep(want, text)
            continue
        spliced += 1
        doc, kept = got
        assert doc.data == want.data
        assert doc.shot_blobs() == [marshal.dumps(item, 0) for item in want.data["shots"]]
        assert list(doc.values.items()) == list(want.values.items())
        assert list(doc.keys.items()) == list(want.keys.items())
    assert spliced > 40


def test_a_build_after_a_one_shot_edit_parses_only_that_shot(tmp_path: Path) -> None:
    """Through the build: the kept parse is written, used after an edit, and what the build makes is the same
    as a build from a fresh parse."""
    from compiler.pipeline.build import build_film
    from compiler.pipeline.options import Loading

    sys_path = Path(__file__).resolve().parents[2] / "bench"
    import sys

    sys.path.insert(0, str(sys_path))
    try:
        from synth import synth_film
    finally:
        sys.path.remove(str(sys_path))
    film = tmp_path / "a" / "film.yaml"
    film.parent.mkdir()
    text = synth_film(150)
    film.write_text(text, encoding="utf-8")
    build_film(Loading(film))
    kept = film.parent / "build" / ".filmc" / "document.bin"
    assert kept.is_file()
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if "background_motion: gulls wheel overhead, 70 " in line)
    lines[at] += " and the gulls rise"
    edited = "\n".join(lines)
    film.write_text(edited, encoding="utf-8")
    before = kept.read_bytes()
    assert sp.splice(sp.read(kept), edited, film, "film.yaml") is not None  # (this edit is one the load splices)
    build_film(Loading(film))
    assert kept.read_bytes() != before  # the splice's result kept for the next build
    assert sp.read(kept) is not None and sp.read(kept).text == edited
    fresh = tmp_path / "b" / "film.yaml"
    fresh.parent.mkdir()
    fresh.write_text(edited, encoding="utf-8")
    build_film(Loading(fresh))
    ours = sorted(p.relative_to(film.parent / "build") for p in (film.parent / "build").rglob("*")
                  if p.is_file() and ".filmc" not in p.parts)
    theirs = sorted(p.relative_to(fresh.parent / "build") for p in (fresh.parent / "build").rglob("*")
                    if p.is_file() and ".filmc" not in p.parts)
    assert ours == theirs
    for rel in ours:
        assert (film.parent / "build" / rel).read_bytes() == (fresh.parent / "build" / rel).read_bytes(), rel


def test_a_small_film_keeps_no_parse(tmp_path: Path) -> None:
    """Below SPLICE_MIN the whole file is parsed (faster than reading a kept parse back) and a kept parse from when
    the film was bigger is to be removed."""
    film = tmp_path / "film.yaml"
    film.write_text(film_text(3), encoding="utf-8")
    kept = tmp_path / "document.bin"
    kept.write_bytes(b"old")
    assert load_film(film, kept=kept).keep == ()
    assert load_film(film).keep is None  # (a load that keeps nothing: nothing to write)


def test_a_spliced_shot_is_checked_against_the_schema(tmp_path: Path) -> None:
    """After a splice only the changed shot is schema-checked (the others passed with the kept parse): a mistake
    in it is still reported, at its place."""
    import sys

    from compiler.pipeline.build import build_film
    from compiler.pipeline.options import Loading

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        from synth import synth_film
    finally:
        sys.path.pop(0)
    film = tmp_path / "film.yaml"
    text = synth_film(150)
    film.write_text(text, encoding="utf-8")
    build_film(Loading(str(film)))
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if "background_motion: gulls wheel overhead, 70 " in line)
    lines[at] = "    background_motion: [1, {a: 2}]"
    film.write_text("\n".join(lines), encoding="utf-8")
    kept = sp.read(tmp_path / "build" / ".filmc" / "document.bin")
    spliced = sp.splice(kept, "\n".join(lines), film, "film.yaml")
    assert spliced is not None and spliced[0].changed == (70,)
    with pytest.raises(FilmError) as e:
        build_film(Loading(str(film)))
    errors = [d for d in e.value.diagnostics if d.severity == "error"]
    assert errors and {(d.line, d.pointer) for d in errors} == {(at + 1, "/shots/70/background_motion")}


def test_a_parse_kept_for_later_is_made_when_asked_for_or_taken_from_a_load_of_the_same_bytes(tmp_path: Path) -> None:
    """A build whose edit's process parses the film too leaves the record for the next load to that process
    (load_film(keep_later=True)): it takes the other's records only if they were made from the same bytes, and
    makes its own when asked for otherwise: records of the same parse as a load that makes them at once."""
    film = tmp_path / "film.yaml"
    film.write_text(film_text(400), encoding="utf-8")
    kept = tmp_path / "document.bin"
    now = load_film(film, kept=kept)
    assert now.keep and now.kept_records() == now.keep  # (made at once)
    later = load_film(film, kept=kept, keep_later=True)
    assert later.keep is None  # (not made yet)
    later.kept_by_another("another film's digest", (b"theirs",))
    # not taken: made here when asked for; the same records (marshal marks an object referenced more than once as
    # such, and the parse's nodes that also referenced some strings are gone by then: the same data, other bytes)
    assert [marshal.loads(r) for r in later.kept_records() or ()] == [marshal.loads(r) for r in now.keep]
    taken = load_film(film, kept=kept, keep_later=True)
    taken.kept_by_another(now.digest, now.keep)
    assert taken.kept_records() is now.keep
    small = tmp_path / "small" / "film.yaml"
    small.parent.mkdir()
    small.write_text(film_text(3), encoding="utf-8")
    assert load_film(small, kept=kept, keep_later=True).kept_records() == ()  # (to be removed, as at once)
