"""The prompt property checks on hand-written good and bad prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from . import checks

FILM = yaml.safe_load((Path(__file__).parent / "film.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", [
    "Lighting: dim.",
    "A man at a table, expression: wary.",
    "Static shot: His hand rests on the rail.",
    "The keeper sits. Colour palette: slate blue.",
    "Also in frame: a woman in a coat.",
])
def test_label_fragments_bad(text: str) -> None:
    assert checks.label_fragments(text)


@pytest.mark.parametrize("text", [
    "The keeper sits at the table under a dim lamp.",
    "A lighthouse at dusk, 16:9, cinematic --ar 16:9 --no text",
    "(lighthouse:1.2), storm, (rain:0.8)",
    "At 0:25 the beam sweeps across the water.",
])
def test_label_fragments_good(text: str) -> None:
    assert checks.label_fragments(text) == []


@pytest.mark.parametrize("text", ["He keeps sits at the table.", "The keeper keeps rests his hand.", "She keep stood."])
def test_keeps_finite_bad(text: str) -> None:
    assert checks.keeps_finite(text)


@pytest.mark.parametrize("text", [
    "She keeps walking.", "The boat keeps still.", "He keeps the watch.", "He keeps watch.",
    "The lighthouse keeps its lamp lit.", "The keeper keeps on winding.",
])
def test_keeps_finite_good(text: str) -> None:
    assert checks.keeps_finite(text) == []


@pytest.mark.parametrize("text", [
    "A bare black rock.",
    "A tall, lean man and a woman in her twenties. He lowers the mug.",
    "The glassblower stands at the bench. A wiry woman in her fifties with a black bob.",
    "An eye-level medium shot of the glassblower at the bench.",
])
def test_sentences_without_verb_bad(text: str) -> None:
    assert checks.sentences_without_verb(text)


@pytest.mark.parametrize("text", [
    "A woman stands at the window.",
    "The light slides across her face and she breathes out.",
    "Hunched over the dial, the keeper listens.",
    "The old ferryman is at the far end of the bench.",
    "Push in slowly.",
    "[Push in, Pan left] The glassblower turns the pipe.",
    "Long grey swells roll in and burst on the rock.",
])
def test_sentences_without_verb_good(text: str) -> None:
    assert checks.sentences_without_verb(text) == []


def test_first_sentence_main_verb() -> None:
    bad = "An eye-level over-the-shoulder shot of a gangly boy, wearing a grey sweatshirt, holding out a crate."
    assert checks.first_sentence_without_main_verb(bad)
    assert checks.first_sentence_without_main_verb("A low-angle wide shot shows the glassblower at the bench.") == []
    assert checks.first_sentence_without_main_verb("The glassblower rolls the gather on the marver.") == []


@pytest.mark.parametrize("text", [
    "He lowers the mug without drinking.",
    "Static shot: His hand rests on the table.",
    "The camera holds still. She glances up.",
    "They walk along the causeway.",
])
def test_pronoun_before_antecedent_bad(text: str) -> None:
    assert checks.pronoun_before_antecedent(text)


@pytest.mark.parametrize("text", [
    "The keeper sits at the table. He lowers the mug.",
    "A woman stands at the window.",
    "A gangly teenage boy and a stocky man in his sixties. He lifts the crate.",
    "It is raining on the jetty.",
    "Waves roll in and they burst on the rocks.",
])
def test_pronoun_before_antecedent_good(text: str) -> None:
    assert checks.pronoun_before_antecedent(text) == []


def test_pronoun_referents_from_the_film() -> None:
    assert checks.pronoun_before_antecedent("The apprentice kneels. He cups the block.", referents={"apprentice"}) == []
    assert checks.pronoun_before_antecedent("The bench shakes. He cups the block.")


def test_shared_pronoun() -> None:
    both_he = {"apprentice": "he", "ferryman": "he"}
    assert checks.shared_pronoun("The gangly teenage boy lifts the crate. He winks.", both_he)
    assert checks.shared_pronoun("The old ferryman lifts his mug.", both_he)
    assert checks.shared_pronoun("The gangly teenage boy lifts the crate. The old ferryman winks.", both_he) == []
    assert checks.shared_pronoun("The glassblower nods. He winks.", {"glassblower": "she", "ferryman": "he"}) == []


def test_identical_targets() -> None:
    same = {"mystic": "A lighthouse stands.", "flux": "A lighthouse stands.", "midjourney": "lighthouse --ar 16:9"}
    assert checks.identical_targets(same, {}) == ["flux and mystic emit the same text without a shared dialect"]
    assert checks.identical_targets(same, {"mystic": "prose", "flux": "prose"}) == []
    assert checks.identical_targets(same, {"mystic": "prose", "flux": "flux"})


def test_over_budget_words_and_tokens() -> None:
    assert checks.over_budget("one two three four", {"words": 4}) == []
    assert checks.over_budget("one two three four five", {"words": 4})
    assert checks.over_budget("a lighthouse at dusk --ar 16:9 --no text, logos, people", {"words": 4}) == []
    long = ", ".join(["rain"] * 60)  # "rain" and "," are one token each: 119 tokens
    assert checks.over_budget(long, {"tokens": 75})
    assert checks.over_budget(long.replace(", ".join(["rain"] * 30) + ", ", "rain BREAK ", 1), {"tokens": 75}) == []
    assert checks.over_budget("anything", None) == []


def test_clip_tokens_is_conservative() -> None:
    assert checks.clip_tokens("a cat") == 2
    assert checks.clip_tokens("weatherbeaten, lighthouse") >= 3


@pytest.mark.parametrize(("size", "view", "rule"), [
    ("MS", None, "required"), ("MWS", "side", "required"), ("OTS", "front", "required"),
    ("OTS", "back", "excluded"), ("MS", "silhouette", "excluded"), ("MS", "hands", "excluded"),
    ("EWS", "front", "excluded"), ("WS", None, "excluded"), ("CU", "front", "excluded"),
    ("ECU", None, "excluded"), ("INSERT", "feet", "excluded"), ("MCU", "front", "free"), ("POV", None, "free"),
    ("MS", "partial", "excluded"),
])
def test_description_rule(size: str, view: str | None, rule: str) -> None:
    assert checks.description_rule(size, view) == rule


def test_canonical_description() -> None:
    chars = FILM["characters"]
    desc = chars["glassblower"]["description"]
    medium = {"size": "MS", "cast": [{"id": "glassblower"}]}
    assert checks.canonical_description(f"A medium shot shows {desc}.", medium, chars) == []
    # the ';' may be written as ',' or split into sentences, in order
    assert checks.canonical_description("A medium shot shows " + desc.replace(";", ".") + ".", medium, chars) == []
    assert checks.canonical_description("A medium shot shows the glassblower at the bench.", medium, chars)
    close = {"size": "CU", "cast": [{"id": "glassblower"}]}
    assert checks.canonical_description(f"A close-up of {desc}.", close, chars)
    assert checks.canonical_description("A close-up shows the glassblower's narrow face.", close, chars) == []
    back = {"size": "MS", "cast": [{"id": "glassblower", "view": "back"}]}
    assert checks.canonical_description(f"{desc}, seen from behind.", back, chars)


def test_hidden_expression() -> None:
    back = {"size": "OTS", "cast": [{"id": "glassblower", "view": "back", "expression": "quietly satisfied"}]}
    assert checks.hidden_expression("The glassblower, quietly satisfied, stands at the bench.", back)
    assert checks.hidden_expression("The glassblower stands at the bench, seen from behind.", back) == []
    front = {"size": "MS", "cast": [{"id": "glassblower", "expression": "quietly satisfied"}]}
    assert checks.hidden_expression("The glassblower, quietly satisfied, stands at the bench.", front) == []


def test_wardrobe_out_of_frame() -> None:
    chars = FILM["characters"]
    coat = chars["glassblower"]["wardrobe"]["outdoor"]
    close = {"size": "CU", "cast": [{"id": "glassblower", "wardrobe": "outdoor"}]}
    assert checks.wardrobe_out_of_frame(f"A close-up of the glassblower in {coat}.", close, chars)
    assert checks.wardrobe_out_of_frame("A close-up of the glassblower, the collar of a waxed green coat.",
                                        close, chars) == []
    medium = {"size": "MS", "cast": [{"id": "glassblower", "wardrobe": "outdoor"}]}
    assert checks.wardrobe_out_of_frame(f"The glassblower wears {coat}.", medium, chars) == []
    feet = {"size": "INSERT", "cast": [{"id": "ferryman", "view": "feet"}]}
    assert checks.wardrobe_out_of_frame(f"Feet in {chars['ferryman']['wardrobe']['default']}.", feet, chars)


def test_wardrobe_text() -> None:
    chars = FILM["characters"]
    assert checks.wardrobe_text({"id": "ferryman"}, chars["ferryman"]) == chars["ferryman"]["wardrobe"]["default"]
    assert checks.wardrobe_text({"id": "x", "wardrobe": "a red scarf"}, {"wardrobe": {"default": "a coat"}}) == "a red scarf"
    assert checks.wardrobe_text({"id": "x"}, {"wardrobe": "a coat"}) == "a coat"


def test_semicolons() -> None:
    assert checks.semicolons("A wiry woman; a narrow face.")
    assert checks.semicolons("A wiry woman, a narrow face.") == []


def test_names_present() -> None:
    names = ["Ottilie Brandvold"]
    assert checks.names_present("Ottilie stands at the bench.", names)
    assert checks.names_present("a portrait of OTTILIE BRANDVOLD", names)
    assert checks.names_present("The glassblower, Brandvold's heir.", names)
    assert checks.names_present("The glassblower stands at the bench.", names) == []
    assert checks.names_present("Brandvoldish glass.", names) == []


@pytest.mark.parametrize("text", [
    "The shot fades to black.", "Fade in on the jetty.", "Cut to the sea.", "The glass dissolves into the tide.",
    "A slow transition to night.", "Crossfade to the loft.",
])
def test_edit_instructions_bad(text: str) -> None:
    assert checks.edit_instructions(text)


@pytest.mark.parametrize("text", [
    "The orange glow fades slowly in her lenses.", "She cuts the rope.", "The camera holds still.",
])
def test_edit_instructions_good(text: str) -> None:
    assert checks.edit_instructions(text) == []


def test_bracket_commands() -> None:
    assert checks.bracket_commands("[Push in] The glassblower turns the pipe.") == []
    assert checks.bracket_commands("[Truck left, Pan right][Zoom in] A jetty at dusk.") == []
    assert checks.bracket_commands("[Truck left, Pan right, Tilt up][Zoom in] A jetty.")
    assert checks.bracket_commands("A jetty at dusk. [Static shot]")
    assert checks.bracket_commands("A jetty at dusk, no camera move.") == []


def test_negative_contradicts() -> None:
    assert checks.negative_contradicts("The bare bulb flickers on and off.", "text, flicker, blurry")
    assert checks.negative_contradicts("A steady lamp glows.", "text, flicker, blurry") == []
    assert checks.negative_contradicts("Rain on the window.", None) == []
    # Midjourney's own --no list is not the prompt asking for it
    assert checks.negative_contradicts("a jetty at dusk --ar 16:9 --no text, flicker", "text, flicker") == []


def test_prose_part_strips_commands_and_parameters() -> None:
    assert checks.prose_part("[Push in] A man walks.") == "A man walks."
    assert checks.prose_part("a man walking, dusk --ar 16:9 --style raw") == "a man walking, dusk"


def test_target_meta_reads_target_yaml() -> None:
    assert checks.target_meta("kling")["kind"] == "video"
    assert checks.target_meta("no-such-target") == {}


def _cast(shot: dict) -> list[dict]:
    return [{"id": c} if isinstance(c, str) else c for c in shot.get("cast") or []]


def test_corpus_covers_the_matrix() -> None:
    """The corpus keeps covering every size, view, cast count, world and mode."""
    data = FILM
    section_world = {s["id"]: s.get("world") for s in data["song"]["sections"]}
    found: dict[str, set[Any]] = {"size": set(), "view": set(), "cast": set(), "world": set(), "mode": set()}
    for s in data["shots"]:
        found["size"].add(s.get("size"))
        found["view"].update(c.get("view", "front") for c in _cast(s))
        found["cast"].add(len(_cast(s)))
        found["world"].add(s.get("world", section_world[s["section"]]))
        found["mode"].add(s.get("mode", "image-to-video"))
    assert len(data["shots"]) >= 40
    assert found["size"] == set(checks.SIZES)
    assert found["view"] == set(checks.VIEWS)
    assert found["cast"] == {0, 1, 2, 3}
    assert found["world"] == {None, *data["concept"]["worlds"]}
    assert found["mode"] == {"image-to-video", "still", "text-to-video"}


def test_description_phrases_mode_still_requires_the_first_phrase() -> None:
    chars = {"k": {"description": "a tall, lean man in his sixties; thinning white hair, a crooked nose"}}
    shot = {"size": "MS", "cast": [{"id": "k"}]}
    short = "a tall, lean man in his sixties, seated at the table --ar 16:9"
    assert checks.first_phrase(chars["k"]["description"]) == "a tall, lean man in his sixties"
    assert checks.canonical_description(short, shot, chars)  # verbatim targets need all of it
    assert checks.canonical_description(short, shot, chars, "phrases") == []
    assert checks.canonical_description("a man at a table", shot, chars, "phrases")
    wide = {"size": "WS", "cast": [{"id": "k"}]}
    whole = "a tall, lean man in his sixties, thinning white hair, a crooked nose"
    assert checks.canonical_description(whole, wide, chars, "phrases")  # the excluded direction holds
    # CLIP windows: a description running across " BREAK " still reads verbatim
    assert checks.canonical_description("a tall, lean man in his sixties, thinning white hair BREAK a crooked nose",
                                        shot, chars) == []


def test_budgets_are_read_from_capabilities() -> None:
    assert checks.budget_of("comfyui") == {"tokens": 75}
    assert checks.budget_of("midjourney") == {"words": 60}
    assert checks.description_mode("midjourney") == "phrases" and checks.description_mode("comfyui") == "verbatim"
