"""validate: Document -> Film (schema check, then semantic checks; all problems at once)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..diagnostics import Collector, Diagnostic
from ..errors import FilmError
from ..load import Document
from ..model import Film
from ..resources import load_schema
from ..schemacheck import check_schema, fast_valid
from ..targets import TargetDef, load_targets
from ..timeline import Timeline
from .build import Builder
from .checks import check_film

__all__ = ["Validated", "validate_film"]


@dataclass(frozen=True)
class Validated:
    """A film that passed validation, with its targets, warnings, timeline and source."""

    film: Film
    targets: Mapping[str, TargetDef]
    warnings: tuple[Diagnostic, ...]
    timeline: Timeline | None = None  # the song clock (None when the song's length is unknown)
    doc: Document | None = None  # the source, so later stages can still point at lines
    allow_outside: bool = False  # --allow-outside-paths: later stages apply the same path policy

    @property
    def song_duration(self) -> float | None:
        """The song's length: the audio file's when there is one."""
        return self.timeline.duration if self.timeline else None


def _changed_only(data: dict[str, Any], changed: tuple[int, ...]) -> dict[str, Any]:
    """The film with only the shots that changed since a parse that passed (the schema checks each shot alone)."""
    shots = data.get("shots")
    return {**data, "shots": [shots[i] for i in changed]} if isinstance(shots, list) else data


def validate_film(doc: Document, *, allow_outside: bool = False, probe_audio: bool = True) -> Validated:
    """Check a loaded film.yaml; raise FilmError carrying every problem (errors and warnings)."""
    diags = Collector(doc.display, doc)
    diags.items.extend(doc.warnings)
    sources: dict[str, Sequence[str]] = {doc.display: doc.lines}
    schema = load_schema("film")
    if doc.changed is None or not fast_valid(_changed_only(doc.data, doc.changed), schema):
        check_schema(doc.data, schema, diags)
    builder = Builder(doc.data, doc.path.absolute(), diags)
    film = builder.film()
    try:
        targets = load_targets(film.root)
    except FilmError as e:  # a broken target.yaml beside the film
        diags.items.extend(e.diagnostics)
        sources.update(e.sources)
        raise FilmError(diags.items, sources) from None
    timeline = check_film(film, targets, diags, allow_outside=allow_outside, probe_audio=probe_audio,
                          incomplete=builder.incomplete)
    if diags.has_errors:
        raise FilmError(diags.items, sources)
    return Validated(film, targets, tuple(diags.items), timeline, doc, allow_outside)
