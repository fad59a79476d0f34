"""Property: random and mutated YAML either validates or yields our own diagnostics, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.errors import FilmError
from compiler.load import load_film
from compiler.resolve import resolve_production
from compiler.validate import validate_film

BASE = (Path(__file__).resolve().parent.parent / "cases" / "base.yaml").read_text()
FOLDER = Path(tempfile.mkdtemp(prefix="filmc-fuzz-"))


def outcome(text: str) -> str:
    path = FOLDER / "film.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass") if "\ud800" not in text else None
    try:
        doc = load_film(path, display="film.yaml", text=text)
        resolve_production(validate_film(doc, probe_audio=False))
    except FilmError as e:
        assert e.diagnostics, "a FilmError must carry diagnostics"
        for d in e.diagnostics:
            assert d.code[0] in "LV" and d.line >= 0 and d.col >= 0
        return "diagnostics"
    return "valid"


def _mutate(text: str, data: st.DataObject) -> str:
    ops = data.draw(st.lists(st.sampled_from(["delete", "insert", "dup_line", "drop_line", "swap"]), min_size=1, max_size=4))
    chars = st.sampled_from(list(":-[]{}#&*!|>'\"\t \n,?%@`0123456789abcXYZ~.\\"))
    for op in ops:
        if not text:
            break
        i = data.draw(st.integers(0, len(text) - 1))
        lines = text.split("\n")
        j = data.draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "insert":
            text = text[:i] + data.draw(chars) + text[i:]
        elif op == "dup_line":
            lines.insert(j, lines[j])
            text = "\n".join(lines)
        elif op == "drop_line":
            del lines[j]
            text = "\n".join(lines)
        else:
            k = data.draw(st.integers(0, len(lines) - 1))
            lines[j], lines[k] = lines[k], lines[j]
            text = "\n".join(lines)
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_films(data: st.DataObject) -> None:
    outcome(_mutate(BASE, data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["version", "film", "song", "shots", "id", "section", "duration", "start", "sections",
                         "title", "cast", "targets", "image", "video", "edit", "cards", "at", "text", "camera"]),
        children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_random_documents(value: object) -> None:
    outcome(yaml.safe_dump(value, allow_unicode=True))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    outcome(text)
