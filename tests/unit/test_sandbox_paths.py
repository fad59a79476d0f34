"""The sandbox's short ways (a plain dict's keys, an imported template's macros) answer as Jinja's own
ImmutableSandboxedEnvironment does: the same text, or the same refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from compiler.expand.sandbox import environment

MODULE = ('{% macro f(x) %}<{{ x }}>{% endmacro %}{% macro _hidden() %}h{% endmacro %}'
          '{% set word = "lamp" %}{% set fmt = "{}!".format %}{% set table = {"a": 1} %}')

EXPRESSIONS = [
    "{{ d.a }}", "{{ d.nested.b }}", "{{ d._private }}", "{{ d.missing }}", "{{ d.items }}",
    "{{ d.items() | list }}", "{{ d.get('a') }}", "{{ d.keys }}", "{{ d.update }}", "{{ d.update({'z': 1}) }}",
    "{{ d.pop('a') }}", "{{ d.__class__ }}", "{{ d.__class__.__mro__ }}", "{{ d['items'] }}", "{{ d.values }}",
    "{{ d.setdefault('q', 1) }}", "{{ d.clear() }}", "{{ d.mro }}", "{{ d.nested.update }}",
    "{{ m.f(1) }}", "{{ m.f }}", "{{ m._hidden() }}", "{{ m.word }}", "{{ m.fmt('x') }}", "{{ m.table.a }}",
    "{{ m.table.update({}) }}", "{{ m.__dict__ }}", "{{ m.missing }}", "{{ m.f.__call__ }}", "{{ m.f._func }}",
    "{{ m.f.__globals__ }}", "{{ m.f(m.f(2)) }}",
]


def _outcome(env: Any, source: str, d: dict[str, Any]) -> tuple[str, str]:
    try:
        return ("ok", env.from_string('{% import "m.j2" as m %}' + source).render(d=d))
    except Exception as e:  # noqa: BLE001 - the kind of refusal is what is compared
        return ("refused", type(e).__name__)


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_short_ways_answer_as_the_sandbox(tmp_path: Path, source: str) -> None:
    (tmp_path / "m.j2").write_text(MODULE)
    ours = environment(tmp_path)
    stock = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(tmp_path)), undefined=StrictUndefined,
                                          autoescape=False, keep_trailing_newline=True, trim_blocks=True,
                                          lstrip_blocks=True)
    d1 = {"a": 1, "_private": 2, "items": 3, "nested": {"b": 4}}
    d2 = {"a": 1, "_private": 2, "items": 3, "nested": {"b": 4}}
    mine, theirs = _outcome(ours, source, d1), _outcome(stock, source, d2)
    assert mine[0] == theirs[0] and mine[1].split(" at 0x")[0] == theirs[1].split(" at 0x")[0], (mine, theirs)
    assert d1 == d2  # nothing changed the data on either side
