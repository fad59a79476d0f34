"""The prose layer: inflection, framing-aware descriptions, references and pronouns, the look cascade, avoid
terms that fit the shot, and the lint of what templates cannot fix — through real films compiled by filmc."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from compiler.expand import grammar as g
from compiler.expand.framing import seen
from compiler.testing import compiled_prompts

KEEPER = ("a tall, lean man in his late sixties with a slight stoop; thinning white hair combed straight back, "
          "heavy white eyebrows over deep-set pale grey eyes, a crooked nose once broken; broad shoulders gone "
          "bony, large scarred hands with swollen knuckles, long legs and a slow, careful, rolling gait")
WARDROBE = "a navy sweater over a cream shirt, brown corduroy trousers, black rubber sea boots"


@pytest.mark.parametrize(("action", "kind", "predicate", "participle", "continuing"), [
    ("polishes the lens", "finite", "polishes the lens", "polishing the lens", "polishes the lens"),
    ("polishing the lens", "ing", "is polishing the lens", "polishing the lens", "keeps polishing the lens"),
    ("hunched over the dial", "participle", "is hunched over the dial", "hunched over the dial",
     "stays hunched over the dial"),
    ("at the window", "place", "is at the window", "at the window", "stays at the window"),
    ("sits at the table", "finite", "sits at the table", "sitting at the table", "sits at the table"),
    ("lowers the mug and sighs", "finite", "lowers the mug and sighs", "lowering the mug and sighing",
     "lowers the mug and sighs"),
    ("sets down the mug and plates of food", "finite", "sets down the mug and plates of food",
     "setting down the mug and plates of food", "sets down the mug and plates of food"),
    ("is asleep on the couch", "be", "is asleep on the couch", "asleep on the couch", "is asleep on the couch"),
    ("hands clasped behind her back", "absolute", "is seen with hands clasped behind her back",
     "with hands clasped behind her back", "stays still, hands clasped behind her back"),
    ("hands the cup to him", "finite", "hands the cup to him", "handing the cup to him", "hands the cup to him"),
    ("lit only by the dashboard", "participle", "is lit only by the dashboard", "lit only by the dashboard",
     "stays lit only by the dashboard"),
])
def test_actions_come_out_grammatical_in_every_form(action: str, kind: str, predicate: str, participle: str,
                                                    continuing: str) -> None:
    p = g.parse(action)
    assert (p.kind, g.predicate(p), g.participle(p), g.continuing(p)) == (kind, predicate, participle, continuing)


def test_a_body_part_doing_something_keeps_its_owner() -> None:
    assert g.parse("shoulders shake as she sobs").kind == "bodyclause"
    assert g.fix_subject("shoulders shake as she sobs", "she", "The woman", plural=False) == \
        "The woman's shoulders shake as she sobs"
    assert g.parse("steam curls off the kettle").kind != "bodyclause"


@pytest.mark.parametrize(("phrase", "out"), [("one-eyed sailor", "a one-eyed sailor"), ("unicorn", "a unicorn"),
                                             ("hour-long wait", "an hour-long wait"), ("old man", "an old man")])
def test_a_or_an_by_sound(phrase: str, out: str) -> None:
    assert g.indefinite(phrase) == out


def test_odd_descriptions_still_compile_to_a_reference() -> None:
    assert g.derive_short("a man standing alone on the shore for hours at night") == "the man"
    assert g.derive_short(";,") == "the person"
    assert seen(",", None, "MS", None).description == ","  # nothing to split: no crash


def test_they_agrees_with_its_verb() -> None:
    assert g.predicate(g.parse("sits at the table"), plural=True) == "sit at the table"
    assert g.predicate(g.parse("hunched over the dial"), plural=True) == "are hunched over the dial"


@pytest.mark.parametrize(("motion", "pronoun", "out"), [
    ("she turns the dial slowly", "she", "The engineer turns the dial slowly"),
    ("they turn the dial slowly", "they", "The engineer turns the dial slowly"),
    ("turns the dial slowly", "she", "The engineer turns the dial slowly"),
    ("her hand trembles", "she", "The engineer's hand trembles"),
    ("the light slides across her face and she breathes out", "she",
     "the light slides across the engineer's face and she breathes out"),
    ("the wind pulls at her", "she", "the wind pulls at the engineer"),
])
def test_a_motion_names_its_character_before_any_pronoun(motion: str, pronoun: str, out: str) -> None:
    assert g.fix_subject(motion, pronoun, "The engineer", plural=False) == out


@pytest.mark.parametrize(("description", "short"), [
    (KEEPER, "the tall, lean man"),
    ("a woman in her late twenties of medium height with an athletic build", "the woman"),
    ("a young boy, about ten, with freckles", "the young boy"),
    ("an old grey tabby cat", "the old grey tabby cat"),
])
def test_the_short_reference_is_the_descriptions_head(description: str, short: str) -> None:
    assert g.derive_short(description) == short


WOMAN = "a woman in her thirties, slight and long-limbed, short dark curly hair, a freckled face, grey-green eyes"


@pytest.mark.parametrize("size", ["CU", "MS"])
def test_eyes_closed_leave_the_eyes_colour_out(size: str, tmp_path: Path) -> None:
    """A character laughing with her eyes closed: an image cannot show her grey-green eyes, so the prompt does not
    ask for them (the rest word for word, the whole description too where the size shows it all)."""
    shut = seen(WOMAN, None, size, None, True)
    assert "eyes" not in shut.description and not shut.whole
    assert "a freckled face" in shut.description and "short dark curly hair" in shut.description
    assert ("slight and long-limbed" in shut.description) == (size == "MS")
    assert "grey-green eyes" in seen(WOMAN, None, size, None).description
    film = _film(tmp_path, f"""\
          - id: s1
            section: a
            size: {size}
            cast: [{{id: keeper, action: laughs with his eyes shut tight}}]
          - id: s2
            section: a
            size: {size}
            cast: [{{id: keeper, expression: "eyes tightly closed, at peace"}}]
        """)
    for sid, prompts in compiled_prompts(film, targets=["mystic"]).items():
        text = prompts["mystic"]["prompt"]
        assert "grey eyes" not in text and "a crooked nose once broken" in text, (sid, text)
        assert "heavy white eyebrows" in text, (sid, text)  # (of "heavy white eyebrows over deep-set pale grey eyes")


@pytest.mark.parametrize(("phrase", "kept"), [
    ("heavy white eyebrows over deep-set pale grey eyes", "heavy white eyebrows"),
    ("wire-rimmed glasses over watery blue eyes", "wire-rimmed glasses"),
    ("grey-green eyes", None),
    ("a black patch over his left eye", "a black patch over his left eye"),
    ("deep wrinkles around her eyes", "deep wrinkles around her eyes"),
    ("long dark eyelashes", "long dark eyelashes"),
    ("a leather patch over one eye", "a leather patch over one eye"),
    ("a face with bright eyes and freckles", "a face with freckles"),
    ("grey-green eyes that miss nothing", None),
    ("a steady gaze", None),
])
def test_eyes_closed_keep_what_a_closed_eye_still_shows(phrase: str, kept: str | None) -> None:
    shut = seen(f"a man in his fifties, a broad face, {phrase}", None, "CU", None, True)
    assert shut.phrases[-1] == kept if kept else not any("eye" in p for p in shut.phrases), shut.phrases


@pytest.mark.parametrize(("text", "closed"), [
    ("laughing with her eyes closed", True), ("closes his eyes", True), ("eyes squeezed shut", True),
    ("eyes tightly closed, at peace", True), ("opens her closed eyes", False),
    ("eyes closed, then opens them wide", False), ("stares at the horizon", False),
    ("singing with her eyes closed and her mouth open", True), ("eyes shut, arms open wide", True),
])
def test_which_actions_close_the_eyes(text: str, closed: bool) -> None:
    from compiler.expand.framing import eyes_closed

    assert eyes_closed(text) is closed


def test_each_framing_shows_only_what_is_in_view() -> None:
    ms = seen(KEEPER, WARDROBE, "MS", None)
    assert ms.whole and ms.description == KEEPER.replace(";", ",") and ms.wardrobe == WARDROBE and ms.face
    ws = seen(KEEPER, WARDROBE, "WS", None)
    assert "eyebrows" not in ws.description and "gait" in ws.description and ws.wardrobe == WARDROBE
    cu = seen(KEEPER, WARDROBE, "CU", None)
    assert "eyebrows" in cu.description and "gait" not in cu.description and "hands" not in cu.description
    assert cu.wardrobe == "a navy sweater over a cream shirt"  # neckline up: no trousers, no boots
    back = seen(KEEPER, WARDROBE, "OTS", "back")
    assert not back.face and "eyes" not in back.description and "nose" not in back.description
    assert back.view_words == "seen from behind"
    hands = seen(KEEPER, WARDROBE, "INSERT", "hands")
    assert hands.description == "large scarred hands with swollen knuckles" and hands.wardrobe is None
    silhouette = seen(KEEPER, WARDROBE, "WS", "silhouette")
    assert silhouette.wardrobe is None and "hair" not in silhouette.description
    for s in (ws, cu, back, hands, silhouette):  # every phrase kept is kept word for word
        assert all(phrase.strip() in KEEPER for phrase in s.description.split(", ") if phrase.count(" ") > 2)


def _film(tmp_path: Path, shots: str, *, extra: str = "") -> Path:
    (tmp_path / "film.yaml").write_text(textwrap.dedent(f"""\
        version: 1
        film: {{title: T}}
        song: {{duration: 8, sections: [{{id: a, start: 0}}]}}
        concept:
          style: 35mm film, anamorphic
          palette: stormy greys
          lighting: overcast
          avoid: [text, flicker, rain, extra people, distorted hands]
          worlds:
            dream: {{style: soft focus, palette: warm gold}}
        characters:
          keeper:
            name: Aurel
            short: keeper
            pronoun: he
            description: "{KEEPER}"
            wardrobe: "{WARDROBE}"
          mate:
            name: Bram
            pronoun: he
            description: a stocky man in his forties with a red beard
        locations:
          kitchen: {{slug: INT. KITCHEN - NIGHT, description: a small curved room with a stove}}
        targets: {{image: [mystic, flux], video: [kling, runway]}}
        {extra}
        shots:
        """) + textwrap.indent(textwrap.dedent(shots), ""), encoding="utf-8")
    return tmp_path / "film.yaml"


def test_two_characters_with_one_pronoun_are_named_by_their_references(tmp_path: Path) -> None:
    film = _film(tmp_path, """\
          - id: s1
            section: a
            size: MS
            location: kitchen
            cast:
              - {id: keeper, action: polishes the lens, motion: he wipes the glass}
              - {id: mate, action: at the window, motion: turns away}
        """)
    p = compiled_prompts(film)["s1"]
    for target in ("mystic", "flux", "kling"):
        text = p[target]["prompt"]
        assert " he " not in f" {text.lower()} " and " his " not in f" {text.lower()} ".replace("in his ", ""), text
        assert "Aurel" not in text and "Bram" not in text
    assert "The keeper polishes the lens" in p["mystic"]["prompt"]
    assert "The keeper wipes the glass" in p["kling"]["prompt"]
    assert "It is night." in p["mystic"]["prompt"]  # the slug's time of day


def test_the_look_cascades_and_avoid_fits_the_shot(tmp_path: Path) -> None:
    film = _film(tmp_path, """\
          - id: s1
            section: a
            world: dream
            subject: a lamp whose bulb flickers on and off
            subject_motion: the bulb flickers
          - id: s2
            section: a
            subject: a park bench
            time: a sunny afternoon
            palette: bright greens and a blue sky
        """)
    p = compiled_prompts(film)
    dream = p["s1"]["mystic"]["prompt"]
    assert "35mm film, anamorphic, soft focus" in dream  # the world's style adds to the film's
    assert "warm gold" in dream and "stormy" not in dream
    assert "flicker" not in (p["s1"]["kling"].get("negative") or "")  # the shot flickers on purpose
    assert "bright greens and a blue sky" in p["s2"]["mystic"]["prompt"]
    assert "stormy greys" not in p["s2"]["mystic"]["prompt"]  # the shot's own palette wins
    assert "no people in view" in p["s2"]["mystic"]["prompt"]  # 'extra people' with nobody in frame
    assert "hands" not in p["s2"]["mystic"]["prompt"]


def test_a_films_own_target_imports_the_shared_prose(tmp_path: Path) -> None:
    film = _film(tmp_path, """\
          - id: s1
            section: a
            size: CU
            cast: [{id: keeper, action: hunched over the dial, expression: wary}]
        """)
    (tmp_path / "film.yaml").write_text((tmp_path / "film.yaml").read_text().replace(
        "targets: {image: [mystic, flux], video: [kling, runway]}", "targets: {image: [mine], video: []}"))
    own = tmp_path / "targets" / "mine"
    own.mkdir(parents=True)
    (own / "target.yaml").write_text("name: mine\nkind: image\ntitle: Mine\ndescription: mine\noptions: {type: object, additionalProperties: false, properties: {}}\ndefaults: {}\nproviders: {}\nprices: []\ncapabilities: {aspects: {}, prompt_max_chars: null, "
                                     "negative_prompt: false, reference_images: false, camera_style: none}\n")
    (own / "prompt.j2").write_text('{% import "_common/prose.j2" as prose %}{{ prose.framing_sentence(shot) }} '
                                   "{{ prose.cast_lines(shot) }}")
    text = compiled_prompts(film)["s1"]["mine"]["prompt"]
    assert text.startswith("A close-up shows a tall, lean man in his late sixties")
    assert "He is hunched over the dial" in text and "His expression is wary." in text
    assert "gait" not in text and "boots" not in text  # a close-up shows the face, not the legs


def test_lint_says_what_templates_cannot_fix(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _film(tmp_path, """\
          - id: s1
            section: a
            size: OTS
            cast:
              - {id: keeper, view: back, action: nowhere to be seen, expression: sad}
            prompt: {runway: "He lowers his head."}
          - id: s2
            section: a
            world: dream
            time: a sunny afternoon
            subject: a park
          - id: s3
            section: a
            cast: [mate]
            prompt: {runway: "He waves from the door."}
        """, extra="")
    (tmp_path / "film.yaml").write_text((tmp_path / "film.yaml").read_text().replace(
        "dream: {style: soft focus, palette: warm gold}", "dream: {style: soft focus, lighting: storm light}"))
    r = cli(["lint", str(tmp_path)])
    codes = set(re.findall(r"\[(P4\d\d)\]", r.stdout + r.stderr))
    assert {"P413", "P414", "P415", "P416"} <= codes, r.stdout + r.stderr
    hints = re.findall(r"e\.g\. '([^']+)'\)", r.stdout + r.stderr)  # P413's: a character of the shot's own cast
    assert sorted(set(hints)) == ["the keeper", "the stocky man"], hints
    # (the prompts are overrides: the hint is about the override, not about writing a motion)
    assert "first in the override" in r.stderr and "write the motion as a verb phrase" not in r.stderr


def test_text_to_video_without_a_video_target_is_said(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    film = _film(tmp_path, """\
          - {id: s1, section: a, subject: waves, mode: text-to-video}
        """)
    film.write_text(film.read_text().replace("video: [kling, runway]", "video: []"))
    r = cli(["lint", str(tmp_path)])
    assert "[P417]" in r.stdout + r.stderr



def test_a_hands_insert_and_a_close_up_ask_for_the_hands_they_show(tmp_path: Path) -> None:
    """An insert of the hands whose motion moves the fingers: 'the keeper's fingers' (not 'the keeper's hands's
    fingers'), and the hands safeguard in every prompt; a close-up of the face asks nothing of hands it cannot show."""
    film = _film(tmp_path, """\
          - id: s1
            section: a
            size: INSERT
            cast: [{id: keeper, view: hands, action: clutching a shell, motion: his fingers tighten}]
          - id: s2
            section: a
            size: CU
            cast: [{id: keeper, action: squinting at the sea, motion: he blinks}]
        """)
    p = compiled_prompts(film)
    assert p["s1"]["kling"]["prompt"].startswith("The keeper's fingers tighten.")
    assert "distorted hands" in p["s1"]["kling"]["negative"]  # (the film's avoid, kept: a shot of fingers)
    assert p["s1"]["mystic"]["prompt"].endswith("natural, well-formed hands.")
    assert "hands" not in p["s2"]["mystic"]["prompt"] and "hands" not in p["s2"]["kling"].get("negative", "")


def test_an_extreme_close_up_names_the_face_once(tmp_path: Path) -> None:
    """ECU of a face whose description says 'a freckled face': 'the freckled face of a woman', not 'the face of a
    woman, with a freckled face'; flux's second sentence says what the frame shows, not 'she is the face of'."""
    film = _film(tmp_path, """\
          - {id: s1, section: a, size: ECU, cast: [{id: ines, action: smiling}]}
        """, extra="")
    (tmp_path / "film.yaml").write_text((tmp_path / "film.yaml").read_text().replace(
        "  mate:\n", "  ines:\n    pronoun: she\n    description: a woman in her thirties, a freckled face, grey-green eyes\n"
        "  mate:\n", 1))
    p = compiled_prompts(film)["s1"]
    assert "shows the freckled face of a woman, with grey-green eyes." in p["mystic"]["prompt"], p["mystic"]["prompt"]
    assert "The frame shows the freckled face of a woman" in p["flux"]["prompt"] and "She is the" not in \
        p["flux"]["prompt"], p["flux"]["prompt"]


def test_a_possessive_names_the_owner_of_a_body_part_only() -> None:
    """'her fingers' of a hands view is the woman's; a reference that is itself a possessive stays whole."""
    assert g.owner("the woman's hands") == "the woman" and g.owner("the woman's feet") == "the woman"
    assert g.owner("the captain's wife") == "the captain's wife"
    assert g.fix_subject("her hair lifts in the wind", "she", "the captain's wife", plural=False) == \
        "the captain's wife's hair lifts in the wind"


@pytest.mark.parametrize(("stem", "label"), [
    ("radio", "the radio"), ("brass-compass_v2", "the brass compass"), ("old_photo", "the old photo"),
    ("Brass Compass", "the brass compass"), ("radio (1)", "the radio"), ("radio_01", "the radio"),
    ("1950s_car", "the 1950s car"), ("iPhone_15", "the iPhone 15"), ("F-16_jet", "the F-16 jet"),
    ("X-Wing", "the X-Wing"), ("R2D2", "the R2D2"), ("USB_cable", "the USB cable"), ("ford_model_T", "the ford model T"),
    ("café_table", "the café table"), ("старый_фонарь", "the старый фонарь"), ("古い時計", "the 古い時計"),
    ("IMG_1234_brass_compass", "the brass compass"),
    # names that say nothing of the image
    ("IMG_0042", "the object"), ("DSC01234", "the object"), ("GOPR0042", "the object"), ("DJI_0001", "the object"),
    ("PXL_20240101_123456", "the object"), ("IMG_20240101_WA0001", "the object"), ("a8f3c9e1b2", "the object"),
    ("Screenshot 2024-01-01 at 10.00.00", "the object"), ("WhatsApp Image 2024-01-01 at 10.00.00", "the object"),
    ("photo-2024-05-01", "the object"), ("DSC01234.JPG", "the object"),
])
def test_a_reference_file_is_named_by_the_words_of_its_name(stem: str, label: str) -> None:
    from compiler.expand.ref_context import file_label

    assert file_label(stem) == label


def test_avoid_terms_about_hands_and_faces_go_only_where_none_is_seen() -> None:
    from compiler.expand.avoid import avoid_terms

    avoid = ["palm trees", "fish-eye distortion", "bird's-eye view", "door handles", "glossy surfaces",
             "blurry faces", "deformed hands"]
    kept = avoid_terms(avoid, "a cliff at dawn", people_in_frame=False, hands_in_view=False, faces_in_view=False)
    assert kept == ["palm trees", "fish-eye distortion", "bird's-eye view", "door handles", "glossy surfaces"]
    assert "blurry faces" in avoid_terms(avoid, "a woman", people_in_frame=True, hands_in_view=False,
                                         faces_in_view=True)
