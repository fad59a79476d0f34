"""Parsed documents kept between runs, for files that seldom change (the built-in targets' target.yaml files).

Reading the thirteen built-in targets costs more than the rest of `filmc validate`; their parsed form (data and
source map) is kept in the user's cache, keyed by the file (path, size, modification time) and by this loader's own
code, and read back with marshal. A document with warnings is not kept: its warnings are made again each time.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable
from pathlib import Path

from .document import Document

LAYOUT = 2  # of a cache entry


def _cache_dir() -> Path:
    from ..resources import cache_dir

    return cache_dir("documents")


def _key(path: Path, display: str) -> str | None:
    try:
        st = path.stat()
        code = [Path(__file__).with_name(n).stat() for n in ("values.py", "read.py", "document.py")]
    except OSError:
        return None
    parts = [str(LAYOUT), str(path.absolute()), str(st.st_size), str(st.st_mtime_ns), display,
             *(f"{c.st_size}:{c.st_mtime_ns}" for c in code)]
    return hashlib.sha256("|".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def cached_document(path: Path, display: str, load: Callable[[], Document]) -> Document:
    """The document at `path`: from the cache when it holds this very file, else `load()` (and kept)."""
    key = _key(path, display)
    if key is None:
        return load()
    entry = _cache_dir() / f"{key}.bin"
    try:
        data, values, keys, lines = marshal.loads(entry.read_bytes())
        return Document(path, display, data, values, keys, lines)
    except (OSError, ValueError, EOFError, TypeError):
        pass
    doc = load()
    if not doc.warnings:
        try:
            from ..fsutil import write_atomic

            write_atomic(entry, marshal.dumps((doc.data, dict(doc.values), dict(doc.keys), doc.lines)))
        except (OSError, ValueError):  # a read-only cache, or a value marshal cannot hold: no entry
            pass
    return doc
