"""Reading Gemini's answer: kept in .filmc/drafts/ for the creator, then parsed and checked against the answer's
schema before anything else looks at it. Problems are located in that file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..diagnostics import Collector, Diagnostic
from ..errors import FilmError
from ..load import Document
from .client import Answer

DRAFTS = ".filmc/drafts"


@dataclass(frozen=True)
class Parsed:
    data: dict[str, Any]
    doc: Document | None  # the saved answer, to locate problems in
    display: str  # the saved answer's name as shown

    def collector(self) -> Collector:
        return Collector(self.display, self.doc)

    def refuse(self, code: str, message: str, pointer: str = "", hint: str | None = None) -> FilmError:
        c = self.collector()
        c.error(code, message, pointer, hint=hint)
        return FilmError(c.items, {self.display: self.doc.lines} if self.doc else {})


def save(root: Path, kind: str, answer: Answer, shown_root: str) -> tuple[Path, str, str]:
    """Write the answer to .filmc/drafts/<kind>.json (pretty JSON when it parses); (path, shown name, text)."""
    from ..fsutil import write_atomic

    text = answer.text
    try:
        text = json.dumps(json.loads(answer.text), ensure_ascii=False, indent=2) + "\n"
    except ValueError:
        pass
    path = root / DRAFTS / f"{kind}.json"
    write_atomic(path, text)
    shown = str(Path(shown_root) / DRAFTS / f"{kind}.json") if shown_root not in ("", ".") else f"{DRAFTS}/{kind}.json"
    return path, shown, text


def parse(answer: Answer, path: Path, shown: str, text: str, schema: dict[str, Any]) -> Parsed:
    """The answer's data, or FilmError: blocked (D709), cut short (D705), not JSON (D706), against the schema
    (D707, one per problem, at its place in the saved answer)."""
    from ..load import load_film
    from ..schemacheck import check_schema

    lines = text.splitlines()
    if answer.blocked or answer.finish not in ("STOP", "MAX_TOKENS", "FINISH_REASON_UNSPECIFIED", ""):
        why = answer.blocked or answer.finish
        raise FilmError([Diagnostic("D709", "error", f"Gemini gave no answer ({why}); nothing was drafted", shown,
                                    hint="rephrase the story or lyrics the filter objected to, or try again")])
    if answer.finish == "MAX_TOKENS":
        raise FilmError([Diagnostic("D705", "error", "the answer was cut short (Gemini's output limit, "
                                    "finishReason MAX_TOKENS); nothing was written", shown, len(lines) or 1, 1,
                                    hint="run it again; a storyboard: fewer sections at a time (--section)")], {shown: lines})
    try:
        data = json.loads(answer.text)
    except ValueError as e:
        ln, col = getattr(e, "lineno", 1), getattr(e, "colno", 1)
        raise FilmError([Diagnostic("D706", "error", f"the answer is not valid JSON ({getattr(e, 'msg', e)}); "
                                    "nothing was written", shown, ln, col,
                                    hint="run the draft again")], {shown: answer.text.splitlines()}) from None
    doc = None
    try:
        doc = load_film(path, display=shown, text=text)
    except FilmError:
        doc = None
    if not isinstance(data, dict):
        raise FilmError([Diagnostic("D707", "error", "the answer is not a JSON object", shown, 1, 1)], {shown: lines})
    c = Collector(shown, doc)
    if not check_schema(data, schema, c):
        items = [Diagnostic("D707", d.severity, f"{d.message} (the answer breaks its schema)", d.file, d.line, d.col,
                            d.pointer, d.hint) for d in c.items]
        raise FilmError(items, {shown: lines})
    return Parsed(data, doc, shown)
