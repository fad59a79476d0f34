"""The typed packages (pyproject's [tool.mypy]) type-check: the generation jobs, the ledger store and their CLI, the
song clock, loading, validation and resolve."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ["compiler/jobs", "compiler/store", "compiler/secrets.py", "compiler/cli/run_cmds.py",
           "compiler/cli/takes_cmds.py", "compiler/cli/jobs_cmds.py", "compiler/board", "compiler/cli/board_cmds.py",
           "compiler/draft", "compiler/cli/draft_cmds.py",
           "compiler/errors.py", "compiler/yamledit"]
CHECKED += ["compiler/timeline", "compiler/validate", "compiler/load", "compiler/resolve.py", "compiler/schemacheck.py",
            "compiler/segments.py", "compiler/diagnostics.py", "compiler/timeline_text.py", "compiler/codes.py",
            "compiler/expand/lexicon.py"]


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (pip install -e '.[test]' brings it)")
def test_typed_packages_type_check(tmp_path: Path) -> None:
    # --follow-imports=silent: only the listed files' errors count, not those of the modules they import
    r = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                        "--follow-imports=silent", "--cache-dir", str(tmp_path / "mypy-cache"), *CHECKED],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
