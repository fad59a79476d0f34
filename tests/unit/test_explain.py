"""`filmc explain`: every code filmc can report is listed and explained."""

from __future__ import annotations

import re
from pathlib import Path

from compiler.codes import all_codes
from tests.conftest import run_cli

PACKAGE = Path(__file__).resolve().parents[2] / "compiler"
CODE = re.compile(r"""["']([LVTPRYCBD][0-9]{3})["']""")


def codes_in_source() -> set[str]:
    found: set[str] = set()
    for src in PACKAGE.rglob("*.py"):
        found.update(CODE.findall(src.read_text(encoding="utf-8")))
    return found


def test_every_code_in_the_source_is_explained() -> None:
    assert codes_in_source() - set(all_codes()) == set()


def test_the_list_holds_every_code_including_the_render_codes() -> None:
    res = run_cli(["explain"])
    listed = {line.split()[0] for line in res.stdout.splitlines() if line.strip()}
    assert listed == set(all_codes())
    assert {"R101", "R201", "R202", "L114"} <= listed


def test_one_code_and_an_unknown_one() -> None:
    res = run_cli(["explain", "r201"])
    assert res.exit_code == 0 and res.stdout.startswith("R201: ")
    assert run_cli(["explain", "X999"]).exit_code == 2


def test_command_list_lines_are_whole_sentences() -> None:
    res = run_cli(["--help"])
    lines = res.stdout.split("Commands:", 1)[1].splitlines()
    assert not [line for line in lines if line.rstrip().endswith(("e.g.", "(e.g", "..."))]
