"""film.yaml bytes -> Document: read the file safely (size, encoding, NUL), compose with PyYAML's C parser, build
the values and their source map."""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, SequenceNode

from ..diagnostics import Collector
from ..errors import FilmError
from ..paths import NotRegularFile, open_regular
from . import splice
from .document import Document
from .values import AliasBomb, ValueBuilder, compose, expanded_size
from .yaml_errors import parse_error

MAX_BYTES = 8 * 1024 * 1024


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC: building tens of thousands of acyclic objects otherwise triggers
    collections that cost more than the parse itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _decode(raw: bytes, diags: Collector) -> str | None:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        diags.error("L102", "the file is UTF-16 encoded; film.yaml must be UTF-8", at=(1, 1),
                    hint="re-save the file as UTF-8 in your editor")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[: e.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        diags.error("L102", f"the file is not valid UTF-8 (byte 0x{raw[e.start]:02x})", at=(line, col),
                    hint="re-save the file as UTF-8 in your editor")
        return None


def load_film(path: str | Path, *, display: str | None = None, text: str | None = None,
              cache: bool = False, kept: Path | None = None, keep_later: bool = False) -> Document:
    """Read and parse film.yaml; raise FilmError with located diagnostics on any problem.

    cache: keep the parsed file between runs (compiler.load.cache), for files that seldom change.
    kept: the file the last parse of this film was kept in (a build's): after an edit inside one shot only that
    shot is parsed (compiler.load.splice); the document's `keep` is what to write there for the next load (with
    `keep_later`, a whole parse makes it when it is first asked for: Document.kept_records).
    """
    with paused_gc():
        if cache and text is None:
            from .cache import cached_document

            return cached_document(Path(path), display or str(path), lambda: _load(path, display, None))
        return _load(path, display, text, kept, keep_later)


def _load(path: str | Path, display: str | None, text: str | None, kept: Path | None = None,
          keep_later: bool = False) -> Document:
    p = Path(path)
    shown = display or str(path)
    diags = Collector(shown)
    if text is None:
        try:
            if p.is_dir():
                diags.error("L100", f"{shown} is a directory", hint="pass the film.yaml file, or the folder holding film.yaml")
                raise FilmError(diags.items)
            try:
                f = open_regular(p)  # a pipe or device in film.yaml's place would block a plain read
            except NotRegularFile as e:
                diags.error("L100", f"cannot read {shown}: {str(e).replace(str(p), 'it')}",
                            hint="film.yaml must be a regular file")
                raise FilmError(diags.items) from None
            with f:
                size = os.fstat(f.fileno()).st_size
                if size > MAX_BYTES:
                    diags.error("L103", f"the file is too large ({size} bytes; the limit is {MAX_BYTES})")
                    raise FilmError(diags.items)
                raw = f.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                diags.error("L103", f"the file is too large (over {MAX_BYTES} bytes)")
                raise FilmError(diags.items)
        except FileNotFoundError:
            there = p.parent / "film.yaml"
            diags.error("L100", f"no such file: {shown}", hint=f"did you mean {there}?" if there.is_file()
                        else "run 'filmc init' to create a film.yaml")
            raise FilmError(diags.items) from None
        except PermissionError:
            diags.error("L100", f"cannot read {shown}: permission denied")
            raise FilmError(diags.items) from None
        except (OSError, ValueError) as e:
            diags.error("L100", f"cannot read {shown}: {getattr(e, 'strerror', None) or e}")
            raise FilmError(diags.items) from None
        decoded = _decode(raw, diags)
        if decoded is None:
            shown_lines = raw.decode("utf-8", "replace").splitlines() if not raw.startswith((b"\xff\xfe", b"\xfe\xff")) else []
            raise FilmError(diags.items, {shown: shown_lines})
        text = decoded
    else:
        raw = text.encode("utf-8", "surrogatepass")
        if len(raw) > MAX_BYTES:
            diags.error("L103", f"the file is too large (the limit is {MAX_BYTES} bytes)")
            raise FilmError(diags.items)
    digest = hashlib.sha256(raw).hexdigest()
    lines = text.splitlines()
    sources = {shown: lines}
    if "\x00" in text:
        nul = text.index("\x00")
        diags.error("L102", "the file contains a NUL byte: it is binary, not YAML", at=(text.count("\n", 0, nul) + 1, 1))
        raise FilmError(diags.items, sources)
    if kept is not None and len(text) >= splice.SPLICE_MIN:
        last = splice.read(kept)
        spliced = splice.splice(last, text, p, shown, lines) if last is not None else None
        if spliced is not None:
            doc, now = spliced
            doc.keep = splice.dump(now) if now is not last else None
            doc.digest = digest
            return doc
    try:
        node = compose(text)
    except yaml.MarkedYAMLError as e:
        parse_error(e, lines, diags)
        raise FilmError(diags.items, sources) from None
    except yaml.YAMLError as e:
        diags.error("L101", f"invalid YAML: {e}", at=(1, 1))
        raise FilmError(diags.items, sources) from None
    except RecursionError:
        diags.error("L103", "the document nests too deeply", at=(1, 1))
        raise FilmError(diags.items, sources) from None
    if node is None:
        diags.error("L105", "the file is empty", at=(1, 1), hint="run 'filmc init' for a starter film.yaml")
        raise FilmError(diags.items, sources)
    if not isinstance(node, MappingNode):
        m = node.start_mark
        kind = "a list" if isinstance(node, SequenceNode) else "a single value"
        diags.error("L106", f"the top level must be a mapping of keys (version, film, song, ...), not {kind}",
                    at=(m.line + 1, m.column + 1), hint="start with 'version: 1' then 'film:' and 'song:'")
        raise FilmError(diags.items, sources)
    builder = ValueBuilder(diags)
    try:
        if "&" in text and "*" in text:  # only documents with anchors can expand
            expanded_size(node)
        data = builder.build(node, "")
    except AliasBomb:
        diags.items.clear()
        diags.error("L107", "the document expands to too many values through anchors and aliases (&/*)",
                    at=(1, 1), hint="aliases are limited to keep a file's meaning small; write the values out")
        raise FilmError(diags.items, sources) from None
    except RecursionError:
        diags.error("L107", "the document nests too deeply (or an alias refers to itself)", at=(1, 1))
        raise FilmError(diags.items, sources) from None
    if diags.has_errors:
        raise FilmError(diags.items, sources)
    doc = Document(p, shown, data, builder.values, builder.keys, lines, tuple(diags.items), digest=digest)
    if kept is not None:
        if keep_later:
            doc.keep_later(partial(_kept_now, text=text))
        else:
            doc.keep = _kept_now(doc, text)
    return doc


def _kept_now(doc: Document, text: str) -> tuple[bytes, ...]:
    """What a whole parse keeps for the next load (() : nothing to keep, the kept file is removed)."""
    fresh = splice.keep(doc, text)
    return splice.dump(fresh) if fresh is not None else ()
