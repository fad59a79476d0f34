"""Semantic checks, in order: ids and references, targets, references images, the song's timeline, shot lengths,
paths, names in prompts, the edit."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..diagnostics import Collector
from ..model import Film
from ..targets import TargetDef
from ..timeline import Timeline
from .edit import check_edit, check_transitions
from .files import check_paths
from .generation import check_generation
from .ids import check_ids, check_refs
from .names import check_output_names
from .options import check_targets
from .prompt_names import check_prompt_names
from .references import check_references
from .served import check_served_models
from .song import check_song


def check_film(film: Film, targets: Mapping[str, TargetDef], diags: Collector, *, allow_outside: bool = False,
               probe_audio: bool = True, incomplete: Collection[str] = ()) -> Timeline | None:
    """Run every check; return the film's timeline (None when the song's length is unknown).

    `incomplete`: the parts ("song", "sections", "shots") the builder had to leave items out of (the schema check
    said why): the checks of a part as a whole skip it, so each problem is reported once, where it is."""
    check_ids(film, diags)
    check_output_names(film, diags)
    check_refs(film, diags, sections_known="sections" not in incomplete)
    check_targets(film, targets, diags)
    check_served_models(film, targets, diags)
    check_references(film, targets, diags)
    timeline, sound = check_song(film, diags, probe_audio, allow_outside, incomplete=incomplete)
    if timeline is not None and sound:
        durations = timeline.durations()
        check_transitions(film, durations, diags)
        check_generation(film, targets, durations, diags)
    check_paths(film, diags, allow_outside)
    check_prompt_names(film, diags)
    check_edit(film, diags, timeline.duration if timeline else None)
    return timeline
