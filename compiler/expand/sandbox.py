"""Sandboxed Jinja for target templates: StrictUndefined, no paths outside the target folder, pure filters,
and a time budget per render (checked on every call and loop iteration)."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, MutableMapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, FileSystemBytecodeCache, StrictUndefined, TemplateNotFound, nodes
from jinja2.environment import TemplateModule
from jinja2.exceptions import SecurityError
from jinja2.runtime import Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import FilmcError
from . import clip_tokens
from .common_templates import COMMON, common_folder
from .vocab import positive

RENDER_SECONDS = 2.0  # one template for one shot
RENDER_MEMORY = 512 << 20  # bytes one render may make the process grow by
TOTAL_SECONDS = 120.0  # every template render of one command together
_CODEGEN = 3  # bump when the compiled form of templates changes: cached bytecode of older forms is not used


class OutsideFolder(SecurityError, FilmcError):
    """An include, import or extends (or the template itself) that leads outside the target folder."""

    def __init__(self, name: str) -> None:
        super().__init__(f"'{name}' leads outside the target folder")
        self.name = name


class TemplateTimeout(FilmcError):
    """A render ran past its time budget."""

    def __init__(self, seconds: float, total: bool) -> None:
        super().__init__(f"over {seconds:g} s")
        self.seconds = seconds
        self.total = total


class TemplateTooBig(FilmcError):
    """A render made the process grow by more than RENDER_MEMORY."""


def _memory() -> int:
    """The process's resident memory in bytes: now where the system says (Linux), else its peak."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # not POSIX: no bound
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class Budget:
    """What a render may spend: RENDER_SECONDS (TOTAL_SECONDS for all renders of a command) and RENDER_MEMORY.

    `check` runs on every loop step and call of a template; memory is looked at every 1024 checks."""

    def __init__(self) -> None:
        self.deadline = float("inf")
        self.left = TOTAL_SECONDS
        self.started = 0.0
        self.by_total = False  # this render's deadline is the total's, not its own
        self.ticks = 0
        self.memory_limit = 0

    def reset(self) -> None:
        self.left = TOTAL_SECONDS

    def start(self) -> None:
        if self.left <= 0:
            raise TemplateTimeout(TOTAL_SECONDS, True)
        self.started = time.monotonic()
        self.by_total = self.left < RENDER_SECONDS
        self.deadline = self.started + min(RENDER_SECONDS, self.left)
        self.memory_limit = 0  # set at the first memory look of this render

    def stop(self) -> None:
        self.left -= time.monotonic() - self.started
        self.deadline = float("inf")

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateTimeout(TOTAL_SECONDS if self.by_total else RENDER_SECONDS, self.by_total)
        self.ticks += 1
        if not self.ticks & 1023 and self.deadline != float("inf"):
            used = _memory()
            if not self.memory_limit:
                self.memory_limit = used + RENDER_MEMORY
            elif used > self.memory_limit:
                raise TemplateTooBig(f"it made filmc grow by over {RENDER_MEMORY >> 20} MiB")


BUDGET = Budget()
_LOOP_FILTER = "filmc_budget"


def _budget_loop(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every `for` loop of a template iterates through this: each step checks the time budget."""
    check = BUDGET.check
    for item in iterable:
        check()
        yield item


class FolderLoader(BaseLoader):
    """Loads templates from one target folder only; names with '..', absolute paths and links leading out are
    refused (OutsideFolder, so the message says why)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        root = self.root
        if template.startswith(COMMON + "/"):  # the shared prose layer every target may import
            root = common_folder()
        path = (root / template.removeprefix(COMMON + "/") if root != self.root else self.root / template).resolve()
        if template.startswith("/") or ".." in Path(template).parts or not path.is_relative_to(root):
            raise OutsideFolder(template)
        if not path.is_file():
            raise TemplateNotFound(template)
        text = path.read_text(encoding="utf-8")
        mtime = path.stat().st_mtime
        return text, str(path), lambda: path.stat().st_mtime == mtime


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # json.dumps with these makes an encoder per call
_STRING = json.encoder.encode_basestring  # (json's own quoting, as the encoder uses with ensure_ascii=False)


_SCALARS = {True: "true", False: "false", None: "null"}


def _json(value: Any) -> str:
    """JSON for request templates (Jinja's tojson HTML-escapes, which would corrupt prompts). Strings and whole
    numbers, the usual values, are written directly (as json writes them): an encoder pass costs far more."""
    kind = type(value)
    if kind is str:
        return _STRING(value)
    if kind is int:
        return int.__repr__(value)
    if kind is bool or value is None:
        return _SCALARS[value]
    return _ENCODER.encode(value)


def _join(values: Any, sep: str = ", ", last: str | None = None) -> str:
    items = [str(v).strip() for v in (values or []) if v is not None and str(v).strip()]
    if last and len(items) > 1:
        return sep.join(items[:-1]) + last + items[-1]
    return sep.join(items)


def _sentence(text: Any) -> str:
    """Capitalised, ending with a full stop; empty stays empty."""
    s = " ".join(str(text or "").split())
    if not s:
        return ""
    s = s[0].upper() + s[1:]
    return s if s[-1] in ".!?" else s + "."


def _a(text: Any) -> str:
    """'a'/'an' before a noun phrase."""
    from .grammar import indefinite

    s = str(text or "").strip()
    return indefinite(s) if s else ""


def _positive(terms: Any) -> list[str]:
    out: list[str] = []
    for t in terms or []:
        p = positive(str(t))
        if p and p not in out:
            out.append(p)
    return out


LEFT_OUT: list[str] = []  # phrases the fitting filters left out of the current render (lint P421 reports them)


def _clip_chunks(phrases: Any, tokens: int = clip_tokens.WINDOW, chunks: int = 2) -> list[str]:
    """Keyword phrases packed into CLIP windows, in order (clip_tokens.pack); what fits none is left out."""
    out, dropped = clip_tokens.pack([str(p) for p in phrases or [] if p], int(tokens), int(chunks))
    LEFT_OUT.extend(dropped)
    return out


def _fit_words(phrases: Any, words: int, extra: Any = None) -> list[str]:
    """Phrases kept, in order, within a word budget (clip_tokens.fit_words); the others are left out. Then the
    `extra` phrases (detail that is welcome but not needed) fill what room is left; those left out go unreported."""
    kept, dropped = clip_tokens.fit_words([str(p) for p in phrases or [] if p], int(words))
    LEFT_OUT.extend(dropped)
    room = int(words) - sum(len(p.split()) for p in kept)
    more, _ = clip_tokens.fit_words([str(p) for p in extra or [] if p], room)
    return kept + more


def _capitalize_first(text: Any) -> str:
    s = str(text or "")
    return s[:1].upper() + s[1:]


def tidy(text: str) -> str:
    """One paragraph: whitespace collapsed, no space before punctuation, no doubled punctuation."""
    out = " ".join(text.split())
    if " " in out and any(" " + c in out for c in ",.;:!?"):  # (each pass only where it can change something)
        out = _SPACE_BEFORE.sub(r"\1", out)
    if any(c + c in out for c in ",.;:"):
        out = _DOUBLED.sub(r"\1", out)
    if ".," in out or ",." in out:
        out = _STOP_COMMA.sub(".", out)
    return out.strip()


_SPACE_BEFORE = re.compile(r" +([,.;:!?])")
_DOUBLED = re.compile(r"([,.;:])\1+")
_STOP_COMMA = re.compile(r"\.,|,\.")


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    """Compiled templates cached on disk (keyed by source): `filmc show` stays fast."""
    from ..resources import cache_dir

    folder = cache_dir(f"jinja-{_CODEGEN}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(folder))


_DICT_ATTRIBUTES = frozenset(dir({}))  # every name getattr finds on a dict (its methods, dunders)


class _Sandbox(ImmutableSandboxedEnvironment):
    """Also bounds `*` and `**`, so a template cannot build a gigantic string or number, and checks the time
    budget on every call (macros too) and loop step: the only ways a template repeats work."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 100:
            raise SecurityError("exponent too large")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and \
                abs(left).bit_length() * abs(right) > 100_000:
            raise SecurityError("result too large")
        if operator == "*":
            if isinstance(left, int) and isinstance(right, int) and \
                    abs(left).bit_length() + abs(right).bit_length() > 100_000:
                raise SecurityError("result too large")
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > 100_000:
                    raise SecurityError("result too large")
        return super().call_binop(context, operator, left, right)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as a plain dict, not a chain over the environment's: each render and import copies
        or compares them, a chain slowly. The same names and values (the environment's globals are all set before
        a template is loaded), and a template's own still never change the environment's."""
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`x.name` on a plain dict whose type has no attribute `name` is the item, as in the sandbox (whose
        getattr tries the attribute first and takes the item on its AttributeError), without raising one."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        if type(obj) is TemplateModule and not attribute.startswith("_"):
            # a macro of an imported template (`prose.place`): the sandbox allows it (no "_" name, not internal,
            # a module is no mutable container); other values take the sandbox's whole way
            value = obj.__dict__.get(attribute)
            if type(value) is Macro:
                return value
        return super().getattr(obj, attribute)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        BUDGET.check()
        if type(obj) is Macro:  # a template's own macro: safely callable (no unsafe_callable, no alters_data)
            return context.call(obj, *args, **kwargs)
        return super().call(context, obj, *args, **kwargs)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every loop iterates through the budget filter (compiled in: a template cannot remove or shadow it)."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            wrapped = nodes.Filter(loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.iter.lineno)
            wrapped.set_environment(self)
            loop.iter = wrapped
        return tree


_MADE: list[ImmutableSandboxedEnvironment] = []


def forget_loaded() -> None:
    """Templates are read again at the next look-up (a command's start): one edited since the last is seen. Within
    a command a template is read once (no file check at every import of every render)."""
    for env in _MADE:
        if env.cache is not None:
            env.cache.clear()


@cache
def environment(folder: Path) -> ImmutableSandboxedEnvironment:
    env = _Sandbox(
        loader=FolderLoader(folder), undefined=StrictUndefined, autoescape=False, bytecode_cache=_bytecode_cache(),
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, auto_reload=False,
    )
    _MADE.append(env)
    # Output must be deterministic: no random choices, no lorem ipsum.
    env.filters.pop("random", None)
    env.globals.pop("lipsum", None)
    env.filters.update({
        _LOOP_FILTER: _budget_loop,
        "json": _json, "join_nonempty": _join, "sentence": _sentence, "a": _a, "positive": _positive,
        "capfirst": _capitalize_first, "clip_tokens": lambda text: clip_tokens.count(str(text or "")),
        "clip_chunks": _clip_chunks, "fit_words": _fit_words,
    })
    return env
