"""load: film.yaml bytes -> Document (plain data + a source map from JSON pointers to line:col).

PyYAML's C parser composes the node graph; values are constructed here so that scalars follow YAML 1.2
core-schema rules (`1:30` and `no` stay strings), duplicate keys are reported with both places, and alias
expansion is bounded.
"""

from __future__ import annotations

from .document import Document
from .read import MAX_BYTES, load_film, paused_gc
from .values import CONTROL_CHARS

__all__ = ["CONTROL_CHARS", "MAX_BYTES", "Document", "load_film", "paused_gc"]
