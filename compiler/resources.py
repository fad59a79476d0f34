"""Where the data shipped with filmc lives: schema/ and targets/ (in the wheel or a checkout)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

_PKG = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """`schema` or `targets`: inside the installed package, else at the checkout's top level."""
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"filmc data folder '{name}' is missing from the installation")


def schema_path(name: str = "film") -> Path:
    return data_dir("schema") / f"{name}.schema.json"


@cache
def load_schema(name: str = "film") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return data


def cache_dir(name: str) -> Path:
    """filmc's cache folder `name` ($XDG_CACHE_HOME/filmc/<name>, default ~/.cache/filmc/<name>); not made here.
    Everything in it can be deleted: filmc makes it again, and works (slower) where it cannot be written."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "filmc" / name
