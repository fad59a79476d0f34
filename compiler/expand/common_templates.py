"""targets/_common: the prose building blocks every built-in dialect imports (known without loading Jinja)."""

from __future__ import annotations

from pathlib import Path

COMMON = "_common"


def common_folder() -> Path:
    """targets/_common: the building blocks of every built-in dialect (`{% import "_common/prose.j2" as p %}`)."""
    from ..resources import data_dir

    return (data_dir("targets") / COMMON).resolve()
