"""The one pipeline every draft goes through: read film.yaml -> ask Gemini -> record the spend -> check the answer
-> merge it into an edit of film.yaml -> check the result validates -> show the diff (write only when asked)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..diagnostics import Diagnostic
from ..errors import FilmError
from ..plurals import plural
from ..resolve import Production
from ..yamledit import FilmEdit
from .answer import DRAFTS, Parsed
from .client import DEFAULT_MODEL, Request, Usage


@dataclass
class Merged:
    """What a draft kind made of the answer (its changes are in the FilmEdit)."""

    notes: list[str] = field(default_factory=list)  # what was adjusted or dropped, and why
    warnings: list[Diagnostic] = field(default_factory=list)
    shown: str = ""  # text shown before the diff (draft prompt: the compiled and the polished prompt)


@dataclass(frozen=True)
class DraftResult:
    kind: str
    model: str
    usage: Usage
    cost: float | None  # USD, estimated; None when the model's price is unknown
    diff: str
    written: bool
    answer_file: str
    film: str  # film.yaml as shown
    notes: tuple[str, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()
    shown: str = ""


class Kind(Protocol):
    KIND: str

    def request(self, prod: Production, options: Mapping[str, Any]) -> tuple[Request, dict[str, Any]]: ...

    def merge(self, parsed: Parsed, prod: Production, edit: FilmEdit, options: Mapping[str, Any]) -> Merged: ...


def refuse(prod: Production, code: str, message: str, pointer: str = "", *, key: bool = False,
           hint: str | None = None) -> FilmError:
    """A located error in film.yaml (the film's own problem, found before asking Gemini)."""
    c = prod.collector()
    c.error(code, message, pointer, key=key, hint=hint)
    return FilmError(c.items, prod.sources())


# Problems a draft may be asked to fix: a section without shots, or shots that do not fill their section.
TOLERATED = frozenset({"V240"})


def _validated(doc: Any, allow_outside: bool) -> tuple[Any, list[Diagnostic]]:
    """validate_film's result, and the errors it found that a draft may fix (TOLERATED); any other error is
    raised as validate raises it."""
    from ..diagnostics import Collector
    from ..resources import load_schema
    from ..schemacheck import check_schema
    from ..targets import load_targets
    from ..validate import Validated, validate_film
    from ..validate.build import Builder
    from ..validate.checks import check_film

    try:
        return validate_film(doc, allow_outside=allow_outside), []
    except FilmError as e:
        if any(d.severity == "error" and d.code not in TOLERATED for d in e.diagnostics):
            raise
    diags = Collector(doc.display, doc)
    diags.items.extend(doc.warnings)
    check_schema(doc.data, load_schema("film"), diags)
    builder = Builder(doc.data, doc.path.absolute(), diags)
    film = builder.film()
    targets = load_targets(film.root)
    timeline = check_film(film, targets, diags, allow_outside=allow_outside, incomplete=builder.incomplete)
    warnings = tuple(d for d in diags.items if d.severity != "error")
    errors = [d for d in diags.items if d.severity == "error"]
    return Validated(film, targets, warnings, timeline, doc, allow_outside), errors


def _production(edit: FilmEdit, allow_outside: bool) -> tuple[Production, list[Diagnostic]]:
    """The film as validate sees it, from the very text the edit will change (and the problems it may fix)."""
    from ..load import paused_gc
    from ..resolve import resolve_production

    with paused_gc():
        validated, errors = _validated(edit.doc, allow_outside)
        return resolve_production(validated), errors


def _check_result(edit: FilmEdit, display: str, prod: Production, errors_before: list[Diagnostic],
                  allow_outside: bool, new_sections: bool) -> list[Diagnostic]:
    """The drafted film.yaml must validate, but for the problems it had before (a section still without shots)
    and, for a draft that adds sections (new_sections), those sections' want of shots (shown as warnings);
    FilmError (D718, with validate's problems) if not. The warnings it has that the film did not have before."""
    from ..load import load_film

    shown = f"{display} (as drafted)"
    old = {(d.code, d.message) for d in errors_before}
    try:
        doc = load_film(edit.path, display=shown, text=edit.after)
        v, errors = _validated(doc, allow_outside)
        new_errors = [d for d in errors if (d.code, d.message) not in old]
        unfilled = [d for d in new_errors if new_sections and d.code in TOLERATED]
        new_errors = [d for d in new_errors if d not in unfilled]
        if new_errors:
            raise FilmError(new_errors, {shown: doc.lines})
    except FilmError as e:
        errors = [d for d in e.diagnostics if d.severity == "error" and (d.code, d.message) not in old]
        head = Diagnostic("D718", "error", f"the draft would make {display} invalid ({plural(len(errors), 'problem')} "
                          "below); nothing was written", display,
                          hint="see .filmc/drafts/ for the answer; run the draft again or edit by hand")
        raise FilmError([head, *errors], {**e.sources}) from None
    before = {(d.code, d.message) for d in prod.warnings}
    return [Diagnostic(d.code, "warning", d.message, d.file, d.line, d.col, d.pointer, d.hint) for d in unfilled] + [
        d for d in v.warnings if (d.code, d.message) not in before]


def draft(kind: Kind, film: str | Path, *, model: str | None = None, write: bool = False,
          options: Mapping[str, Any] | None = None, allow_outside: bool = False,
          say: Callable[[str], None] = lambda s: None, env: Mapping[str, str] | None = None) -> DraftResult:
    from ..loading import film_path
    from ..store.ledger import DRAFT, append_event
    from .answer import parse, save
    from .client import Gemini
    from .price import estimate
    from .schema import to_gemini

    env = os.environ if env is None else env
    options = dict(options or {})
    path = film_path(film)
    display = str(film if not Path(film).is_dir() else path)
    edit = FilmEdit.open(path, display=display)
    prod, errors_before = _production(edit, allow_outside)
    req, twin = kind.request(prod, options)
    req.schema = to_gemini(twin, req.extra.get("enums"))
    root = prod.film.root
    key = request_key(kind.KIND, model or DEFAULT_MODEL, req, edit.digest)
    reused = reviewed_answer(root, kind.KIND, key) if write else None
    if reused is not None:  # --write after a look at the diff: the answer shown, not a new (paid) one
        answer, cost = reused, None
        say(f"applying the draft shown before ({DRAFTS}/{kind.KIND}.json): film.yaml and the request are unchanged")
    else:
        gemini = Gemini(model or DEFAULT_MODEL, env, say=say)
        answer = gemini.generate(req)
        cost = estimate(answer.model, answer.usage, dt.datetime.now(dt.UTC).date())
        fields: dict[str, Any] = {"draft": kind.KIND, "model": answer.model, "tokens_in": answer.usage.prompt,
                                  "tokens_audio": answer.usage.audio, "tokens_out": answer.usage.output,
                                  "tokens_thoughts": answer.usage.thoughts, "tokens": answer.usage.total,
                                  "finish": answer.finish}
        if cost is not None:
            fields.update(amount=round(cost, 6), currency="USD", source="estimate")
        append_event(root, DRAFT, redact=gemini.redact, **fields)
        say(spend_line(answer.model, answer.usage, cost))
    if reused is None:
        forget(root, kind.KIND)  # a new answer replaces the kept one: until it is checked, nothing is reusable
    saved, shown, text = save(root, kind.KIND, answer, str(Path(display).parent))
    parsed = parse(answer, saved, shown, text, twin)
    merged = kind.merge(parsed, prod, edit, options)
    warnings = list(merged.warnings)
    if edit.changed:
        warnings += _check_result(edit, display, prod, errors_before, allow_outside,
                                  bool(getattr(kind, "ADDS_SECTIONS", False)))
    if reused is None:
        remember(root, kind.KIND, key, answer)  # checked and merged: a --write right after applies this answer
    result = edit.commit(dry_run=not write)
    return DraftResult(kind.KIND, answer.model, answer.usage, cost, result.diff, result.written, shown, display,
                       tuple(merged.notes), tuple(warnings), merged.shown)


def request_key(kind: str, model: str, req: Any, film_digest: bytes) -> str:
    """What a draft's answer depends on: the kind, the model, everything sent, and film.yaml's bytes."""
    audio = None
    if req.audio is not None:
        st = Path(req.audio.path).stat()
        audio = [str(req.audio.path), st.st_size, st.st_mtime_ns]
    blob = json.dumps([kind, model, req.system, req.parts, req.schema, audio, film_digest.hex()], sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def remember(root: Path, kind: str, key: str, answer: Any) -> None:
    """Beside the kept answer: what it answered, so `--write` right after a look applies that very answer."""
    from ..fsutil import write_atomic

    write_atomic(root / DRAFTS / f"{kind}.request.json",
                 json.dumps({"key": key, "model": answer.model, "finish": answer.finish}, sort_keys=True) + "\n")


def forget(root: Path, kind: str) -> None:
    try:
        (root / DRAFTS / f"{kind}.request.json").unlink()
    except FileNotFoundError:
        pass


def reviewed_answer(root: Path, kind: str, key: str) -> Any:
    """The kept answer when it answered this very request on this very film.yaml; else None."""
    from .client import Answer, Usage

    try:
        meta = json.loads((root / DRAFTS / f"{kind}.request.json").read_text(encoding="utf-8"))
        text = (root / DRAFTS / f"{kind}.json").read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("key") != key or meta.get("finish") != "STOP":
        return None
    return Answer(text=text, finish="STOP", usage=Usage(), model=str(meta.get("model") or ""))


def spend_line(model: str, usage: Usage, cost: float | None) -> str:
    toks = f"{usage.prompt:,} tokens in" + (f" ({usage.audio:,} audio)" if usage.audio else "") + \
        f", {usage.output + usage.thoughts:,} out"
    money = f", about {cost:.4f} USD" if cost is not None else " (no price known for this model)"
    return f"{model}: {toks}{money}; recorded in .filmc/ledger.jsonl"
