"""Every folder under tests/cases is a test: invalid cases hold exactly one problem, named by their code."""

from __future__ import annotations

from pathlib import Path

import pytest

from .build.test_build import tree
from .conftest import CASES, run_cli

INVALID = sorted(p for p in (CASES / "invalid").iterdir() if p.is_dir())
VALID = sorted(p for p in (CASES / "valid").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", INVALID, ids=[p.name for p in INVALID])
def test_invalid_case(case: Path, snapshot) -> None:
    text = run_cli(["validate", "--strict", "film.yaml"], cwd=case)
    assert text.exit_code == 1, text.stderr
    data = run_cli(["validate", "--strict", "--format", "json", "film.yaml"], cwd=case)
    assert data.exit_code == 1
    codes = {d["code"] for d in data.json()["diagnostics"]}
    assert codes == {case.name.split("-")[0]}, text.stderr
    assert "Traceback" not in text.stderr
    assert text.stderr == snapshot


@pytest.mark.parametrize("case", VALID, ids=[p.name for p in VALID])
def test_valid_case(case: Path, snapshot) -> None:
    result = run_cli(["validate", "--strict", "film.yaml"], cwd=case)
    assert result.exit_code == 0, result.stderr
    timeline = run_cli(["timeline", "--format", "json", "film.yaml"], cwd=case)
    assert timeline.exit_code == 0, timeline.stderr
    shots = timeline.json()
    assert all({"id", "section", "start", "end", "duration"} <= set(s) for s in shots)
    assert shots == snapshot(name="timeline")
    assert run_cli(["timeline", "film.yaml"], cwd=case).stdout == snapshot(name="table")


@pytest.mark.parametrize("case", VALID, ids=[p.name for p in VALID])
def test_valid_case_build_tree(case: Path, tmp_path: Path, snapshot) -> None:
    out = tmp_path / "build"
    result = run_cli(["build", "film.yaml", "-o", str(out)], cwd=case)
    assert result.exit_code == 0, result.stderr
    files = tree(out)
    assert "manifest.json" in files
    assert files == snapshot
