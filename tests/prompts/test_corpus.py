"""The prompt corpus (tests/prompts/film.yaml) and the example film, compiled for every built-in
target: every prompt passes the property checks of checks.py and matches its reviewed snapshot.

The corpus uses the character, cast and shot fields of the prompt layer (pronoun, short, view,
per-shot palette/lighting, subject_motion, camera sequences, mode, extend segments); a film that
does not validate fails here, loudly. A change of prompts shows as a snapshot diff: `pytest
tests/prompts/test_corpus.py --snapshot-update`, then read tests/prompts/__snapshots__/test_corpus.ambr
as a prompt engineer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import checks

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FILMS = {"corpus": HERE / "film.yaml", "example": ROOT / "specs" / "lighthouse-keeper" / "film.yaml"}


Prompts = dict[str, dict[str, dict[str, Any]]]


def builtin_names() -> list[str]:
    from compiler.targets import builtin_targets

    return sorted(builtin_targets())


@cache
def film_data(key: str) -> dict[str, Any]:
    return yaml.safe_load(FILMS[key].read_text(encoding="utf-8"))


@cache
def compiled(key: str) -> Prompts:
    from compiler.diagnostics import render_text
    from compiler.errors import FilmError
    from compiler.testing import compiled_prompts

    try:
        return compiled_prompts(FILMS[key], targets=builtin_names())
    except FilmError as e:
        pytest.fail(f"{FILMS[key]} does not compile:\n{render_text(e.diagnostics, e.sources)}", pytrace=False)


def shots(key: str) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in film_data(key)["shots"]}


def cast_of(shot: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": c} if isinstance(c, str) else c for c in shot.get("cast") or []]


def referents(key: str) -> set[str]:
    """Words that name a character: its short reference and the head of its description."""
    words: set[str] = set()
    for char in (film_data(key).get("characters") or {}).values():
        words.update(w.lower() for w in re.findall(r"[A-Za-z-]+", char.get("short") or ""))
        head = re.split(r"[,;]| with | in | of ", char.get("description") or "", maxsplit=1)[0]
        words.update(w.lower() for w in re.findall(r"[A-Za-z-]+", head))
    return words - checks.DETERMINERS


def quoted_texts(key: str) -> list[str]:
    """The characters' descriptions and wardrobes: prompts carry them verbatim."""
    out = []
    for char in (film_data(key).get("characters") or {}).values():
        out.append(char.get("description") or "")
        w = char.get("wardrobe")
        out.extend(w.values() if isinstance(w, dict) else [w] if isinstance(w, str) else [])
    return [q for q in out if q]


def mj_negative(prompt: str) -> str | None:
    m = re.search(r"--no\s+(.*?)(?=\s--[a-z]|$)", prompt, re.S)
    return m.group(1) if m else None


Check = Callable[[str, str, dict[str, Any], dict[str, Any]], list[str]]


def _kind(target: str) -> str:
    return str(checks.target_meta(target).get("kind", ""))


CHECKS: dict[str, Check] = {
    "label_fragments": lambda key, t, shot, e: checks.label_fragments(e["prompt"]),
    "keeps_finite": lambda key, t, shot, e: checks.keeps_finite(e["prompt"]),
    "sentences_have_verbs": lambda key, t, shot, e: (
        checks.sentences_without_verb(e["prompt"]) if t in checks.PROSE_TARGETS else []),
    "first_sentence_main_verb": lambda key, t, shot, e: (
        checks.first_sentence_without_main_verb(e["prompt"])
        if t in checks.PROSE_TARGETS and _kind(t) == "image" else []),
    "pronoun_antecedent": lambda key, t, shot, e: checks.pronoun_before_antecedent(e["prompt"], referents(key)),
    "shared_pronoun": lambda key, t, shot, e: checks.shared_pronoun(e["prompt"], {
        c["id"]: film_data(key)["characters"][c["id"]]["pronoun"] for c in cast_of(shot)
        if film_data(key)["characters"][c["id"]].get("pronoun")}, quoted_texts(key)),
    "budget": lambda key, t, shot, e: checks.over_budget(e["prompt"], checks.budget_of(t)),
    "canonical_description": lambda key, t, shot, e: (
        checks.canonical_description(e["prompt"], shot, film_data(key)["characters"], checks.description_mode(t))
        if _kind(t) == "image" else []),
    "hidden_expression": lambda key, t, shot, e: (
        checks.hidden_expression(e["prompt"], shot) if _kind(t) == "image" else []),
    "wardrobe_in_frame": lambda key, t, shot, e: (
        checks.wardrobe_out_of_frame(e["prompt"], shot, film_data(key)["characters"])
        if _kind(t) == "image" else []),
    "hailuo_commands": lambda key, t, shot, e: checks.bracket_commands(e["prompt"]) if t == "hailuo" else [],
    "midjourney_aspect": lambda key, t, shot, e: (
        [] if t != "midjourney" or f"--ar {film_data(key)['film']['aspect']}" in e["prompt"]
        else ["no --ar parameter with the film's aspect"]),
    "no_semicolons": lambda key, t, shot, e: checks.semicolons(e["prompt"]) if _kind(t) == "image" else [],
    "no_names": lambda key, t, shot, e: checks.names_present(
        e["prompt"] + "\n" + (e.get("negative") or ""),
        [c["name"] for c in film_data(key)["characters"].values() if c.get("name")]),
    "no_edit_instructions": lambda key, t, shot, e: (
        checks.edit_instructions(e["prompt"]) if _kind(t) == "video" else []),
    "negative_consistent": lambda key, t, shot, e: checks.negative_contradicts(
        e["prompt"], e.get("negative") or mj_negative(e["prompt"])),
}


@pytest.mark.parametrize("key", sorted(FILMS))
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_property(key: str, check: str) -> None:
    by_id = shots(key)
    problems = [f"{shot}/{target}: {p}"
                for shot, targets in compiled(key).items() for target, entry in targets.items()
                for p in CHECKS[check](key, target, by_id[shot], entry)]
    assert problems == []


@pytest.mark.parametrize("key", sorted(FILMS))
def test_no_two_targets_identical(key: str) -> None:
    dialects = {t: checks.target_meta(t).get("dialect") for t in builtin_names()}
    problems = [f"{shot}: {p}" for shot, targets in compiled(key).items()
                for p in checks.identical_targets({t: e["prompt"] for t, e in targets.items()}, dialects)]
    assert problems == []


def test_every_builtin_target_declares_a_budget() -> None:
    missing = [t for t in builtin_names()
               if not {"words", "tokens"} & set(checks.budget_of(t) or {})]
    assert missing == []


def test_generation_modes_decide_the_jobs() -> None:
    """`still` compiles no video prompt, `text-to-video` no image prompt, the default both."""
    problems = []
    for sid, shot in shots("corpus").items():
        kinds = {_kind(t) for t in compiled("corpus").get(sid, {})}
        mode = shot.get("mode", "image-to-video")
        want = {"still": {"image"}, "text-to-video": {"video"}}.get(mode, {"image", "video"})
        if kinds != want:
            problems.append(f"{sid} ({mode}): {sorted(kinds)}")
    assert problems == []


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def test_subject_motion_reaches_every_video_prompt() -> None:
    """An object or landscape shot's video prompts say what moves (its subject_motion)."""
    problems = []
    for sid, shot in shots("corpus").items():
        motion = shot.get("subject_motion")
        if not motion:
            continue
        for target, entry in compiled("corpus").get(sid, {}).items():
            if _kind(target) == "video" and _norm(motion) not in _norm(entry["prompt"]):
                problems.append(f"{sid}/{target}")
    assert problems == []


def test_extend_segments_carry_their_motion() -> None:
    shot = shots("corpus")["p36"]
    texts = _norm(" ".join(x["prompt"] for sid, targets in compiled("corpus").items() if sid.startswith("p36")
                           for t, e in targets.items() if _kind(t) == "video" for x in [e, *e.get("segments", [])]))
    assert [seg["motion"] for seg in shot["extend"] if _norm(seg["motion"]) not in texts] == []


def test_a_flickering_light_is_not_a_flicker_negative() -> None:
    """p29's bulb flickers on purpose: kling says so and does not ask to avoid it."""
    entry = compiled("corpus")["p29"]["kling"]
    assert "flicker" in entry["prompt"].lower()
    assert "flicker" not in (entry.get("negative") or "").lower()


def _review_text(key: str) -> str:
    """Every prompt in screen and target order, one block each, for a reviewer to read."""
    blocks = []
    for shot, targets in compiled(key).items():
        for target, entry in sorted(targets.items()):
            block = f"## {shot} / {target} ({entry['kind']})\n{entry['prompt']}"
            if entry.get("negative"):
                block += f"\nnegative: {entry['negative']}"
            blocks.append(block)
    return "\n\n".join(blocks) + "\n"


@pytest.mark.parametrize("key", sorted(FILMS))
def test_prompts_snapshot(key: str, snapshot) -> None:
    assert _review_text(key) == snapshot
