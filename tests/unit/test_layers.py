"""The pipeline's layering (pyproject's import-linter contract) and the lint rules hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_stages_import_only_lower_stages() -> None:
    r = subprocess.run([str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_clean() -> None:
    r = subprocess.run([str(BIN / "ruff"), "check", "compiler", "tests", "bench"], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_modules_stay_small() -> None:
    """The house rule (architecture.md): a module is split before about 400 lines."""
    big = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / "compiler").rglob("*.py"))
           if (n := len(p.read_text(encoding="utf-8").splitlines())) >= 400}
    assert not big, f"modules of 400 lines or more: {big}"
