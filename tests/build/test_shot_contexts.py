"""A shot's prompt context is made once per shot for every target of a compile, the target's own part (camera
words, references, characters cited by tag) per target: the contexts are those of each pair made alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compiler.expand.compile import segment_shot
from compiler.expand.context import forget_shots, generation, remembered_segment, shot_context
from compiler.expand.ref_context import merged_options, ref_plan
from compiler.loading import resolve_film
from compiler.resolve import Production
from tests.build.test_references import make_film

SHOTS = ("  - {id: s01, section: a, duration: 8, location: lamp, size: MS, camera: slow push-in, cast: [keeper, mara],\n"
         "     subject_motion: the lamp turns,\n"
         "     extend: [{motion: the beam sweeps the sea, camera: static, duration: 5}]}\n"
         "  - {id: s02, section: a, duration: 1, size: CU, cast: [{id: keeper, motion: he lifts the lamp}]}\n"
         "  - {id: s03, section: a, location: lamp, subject: a brass radio, camera: pan-left}\n")


def _contexts(prod: Production, *, alone: bool) -> list[dict[str, Any]]:
    """Every segment of every shot for every target, as the compile makes them (the memo shared) or each alone."""
    out = []
    forget_shots()
    for name in prod.targets:
        t = prod.targets[name]
        for rs in prod.shots:
            gen = generation(t, rs, prod.film.targets.options.get(t.name))
            options = merged_options(prod, t, rs)
            for n in range(1, gen["segments"] + 1):
                if alone:
                    forget_shots()
                srs = segment_shot(rs, n) if alone else remembered_segment(rs, n, segment_shot)
                refs = ref_plan(prod, t, rs, options, segment=n, segments=gen["segments"])
                out.append(shot_context(prod, t, srs, refs))
    forget_shots()
    return out


def test_contexts_made_once_per_shot_are_those_of_each_pair_alone(tmp_path: Path) -> None:
    film = make_film(tmp_path, SHOTS, image="[sheet]", video="[clip, runway, kling]")
    prod = resolve_film(film / "film.yaml")
    shared = _contexts(prod, alone=False)
    alone = _contexts(prod, alone=True)
    assert json.dumps(shared, sort_keys=True) == json.dumps(alone, sort_keys=True)
    # an extended shot's segments were compiled, and a target citing characters by tag names them so
    assert any(c["segments"] and c["video"]["motion"] == ["The beam sweeps the sea."] for c in shared)
    cited = [c for c in shared if c["id"] == "s01" and c["cast"] and c["cast"][0]["ref"].startswith("@")]
    plain = [c for c in shared if c["id"] == "s01" and c["cast"] and not c["cast"][0]["ref"].startswith("@")]
    assert cited and plain


def test_the_shot_part_is_shared_among_targets(tmp_path: Path) -> None:
    film = make_film(tmp_path, SHOTS, image="[sheet]", video="[clip]")
    prod = resolve_film(film / "film.yaml")
    rs = prod.shot("s03")
    forget_shots()
    a, b = (shot_context(prod, prod.targets[n], rs) for n in ("sheet", "clip"))
    assert a["avoid"] is b["avoid"] and a["image"]["positive"] is b["image"]["positive"]
    forget_shots()
    c = shot_context(prod, prod.targets["clip"], rs)
    assert c == b and c["avoid"] is not b["avoid"]
