"""A count printed for a creator agrees with its noun: "1 shot", "2 shots", whichever command prints it."""

from __future__ import annotations

import re
from pathlib import Path

from compiler.plurals import noun, plural
from tests.conftest import ROOT, run_cli

ONE_SHOT = """version: 1
film: {title: One, aspect: "16:9"}
song: {duration: 10, sections: [{id: a, tag: Verse, start: 0}]}
targets: {image: [mystic]}
shots:
  - {id: s01, section: a, subject: a lighthouse at dusk}
"""


def test_plural_agrees_with_the_count() -> None:
    assert [plural(n, "take") for n in (0, 1, 2)] == ["0 takes", "1 take", "2 takes"]
    assert plural(1, "kept take") == "1 kept take" and plural(3, "section start") == "3 section starts"
    assert noun(1, "has", "have") == "has" and noun(2, "has", "have") == "have"


def test_a_one_shot_film_is_counted_in_the_singular(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(ONE_SHOT)
    checked = run_cli(["validate", str(tmp_path)])
    assert checked.exit_code == 0, checked.stderr
    assert "(1 shot, 1 section," in checked.stdout
    timeline = run_cli(["timeline", str(tmp_path)])
    assert "One: 1 shot," in timeline.stdout
    built = run_cli(["build", str(tmp_path)])
    assert built.exit_code == 0, built.stderr
    assert "1 shot x 1 target, 1 job;" in built.stdout
    lint = run_cli(["lint", str(tmp_path)])
    assert "1 prompt" in lint.stdout + lint.stderr and "1 prompts" not in lint.stdout + lint.stderr
    lock = run_cli(["lock", str(tmp_path)])
    assert "(1 prompt)" in lock.stdout
    cost = run_cli(["cost", str(tmp_path)])
    assert "1 job x 1 kept take," in cost.stdout


# A count followed by a fixed plural noun in what the commands print ("{n} takes"): each goes through plural()
# (a formatted amount such as "{x:.2f} generations" is no count of things).
FIXED_PLURAL = re.compile(r"\{\{?[^{}:]+\}\}?(?: of \{\{?[^{}:]+\}\}?)? (?:takes|images|slates|shots|sections|jobs|prompts|targets|"
                          r"clips|beats|generations|creates|tasks|errors|warnings|drafts|problems|frames|moves)\b")


VERBS = {"{p.target} takes", "{t.name} takes", "{on} takes",  # "kling takes ...": the verb
         "{noun(self.have, 'has its', 'have their')} takes"}


def test_no_count_is_printed_with_a_fixed_plural() -> None:
    sources = [*(ROOT / "compiler").rglob("*.py"), *(ROOT / "compiler").rglob("*.j2")]  # messages and pages
    found = [f"{p.relative_to(ROOT)}:{i}: {m.group(0)}" for p in sources
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             for m in FIXED_PLURAL.finditer(line) if m.group(0) not in VERBS]
    assert found == []
