"""The package's dataclass methods, compiled once.

`dataclasses` writes each class's methods (__init__, __repr__, __eq__, __hash__, a frozen class's __setattr__ and
__delattr__) as source text and compiles it when the class is made: some 340 functions for the package, about
30 ms of every command's start-up. The code compiled from each text is kept in filmc's cache (marshal, a file per
module, per filmc and Python version) and used again: the same text compiles to the same code, so every class is exactly what
`dataclasses` makes. Where the cache cannot be read or written, the text is compiled as before.
"""

from __future__ import annotations

import builtins
import marshal
import sys
from types import CodeType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

_PACKAGE = __name__.partition(".")[0] + "."
_LAYOUT = 1  # of a cache file: (layout, filmc version, sys.version, {source text: code})

_codes: dict[str, dict[str, CodeType]] = {}  # module -> source text -> its code (a module's file, once read)
_used: dict[str, set[str]] = {}  # module -> the texts its classes were made from in this process
_compiled: set[str] = set()  # the modules with a text their file did not have


def _folder() -> Path:
    from . import __version__
    from .resources import cache_dir

    return cache_dir("code") / f"{__version__}-{sys.implementation.cache_tag}"


def _tag() -> tuple[int, str, str]:
    from . import __version__

    return _LAYOUT, __version__, sys.version


def _read(module: str) -> dict[str, CodeType]:
    try:
        layout, version, python, codes = marshal.loads((_folder() / f"{module}.bin").read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if (layout, version, python) != _tag() or not isinstance(codes, dict):
        return {}
    return codes


def _write() -> None:
    """At exit: the file of each module that had a text compiled, with the texts used in this process (a changed
    class's old texts are dropped)."""
    try:
        from .fsutil import write_atomic

        for module in sorted(_compiled):
            codes = {text: code for text, code in _codes[module].items() if text in _used[module]}
            write_atomic(_folder() / f"{module}.bin", marshal.dumps((*_tag(), codes)))
    except OSError:
        pass  # a read-only home: the next start compiles again


def _exec(source: Any, globals: Any = None, locals: Any = None, /, **kwargs: Any) -> None:
    """`exec` as `dataclasses` calls it: a text made for a class of this package runs from its cached code."""
    module = globals.get("__name__") if isinstance(globals, dict) else None
    if isinstance(source, str) and isinstance(module, str) and module.startswith(_PACKAGE):
        codes = _codes.get(module)
        if codes is None:
            codes = _codes[module] = _read(module)
        code = codes.get(source)
        if not isinstance(code, CodeType):
            code = codes[source] = compile(source, "<string>", "exec", dont_inherit=True)  # as dataclasses' exec
            if not _compiled:
                import atexit

                atexit.register(_write)
            _compiled.add(module)
        _used.setdefault(module, set()).add(source)
        source = code
    builtins.exec(source, globals, locals, **kwargs)


def install() -> None:
    """Serve `dataclasses`' compiling from the cache (done once, when the package is imported)."""
    import dataclasses

    if getattr(dataclasses, "exec", None) is not _exec:
        dataclasses.exec = _exec  # type: ignore[attr-defined]
