"""Reference images and end frames, compiled: which refs reach which target, in the order and number its model
takes, how prompts cite them, and what validate refuses (V271-V278)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from compiler.expand import expand_production
from compiler.loading import resolve_film
from compiler.model import CAMERA_MOVES
from tests.conftest import run_cli

MOVES = ", ".join(f"{m}: {m.replace('-', ' ')}" for m in CAMERA_MOVES)

PROVIDER = """providers:
  acme:
    base_url: https://acme.example
    submit: {method: POST, path: /v1/make}
    poll: {method: GET, path: "/v1/tasks/{task_id}"}
    auth: {scheme: header, header: x-key, env: ACME_KEY}
    task_id: {path: id}
    status: {path: status, done: [done], failed: [failed]}
    result: {path: url}
"""
PRICES = "prices: []\n"

# An image model taking 3 references (1 style), cited "image N"; its "mini" model takes 1 and no style.
SHEET = """name: sheet
kind: image
title: Sheet
description: an image target of this film that takes references
capabilities:
  aspects: {"16:9": "16:9"}
  prompt_max_chars: null
  negative_prompt: false
  camera_style: none
  references: {max: 3, per_kind: {style: 1}, cite: image}
  models:
    mini: {references: {max: 1, kinds: [character]}}
    plain: {references: false}
options:
  type: object
  additionalProperties: false
  properties:
    model: {type: string, enum: [full, mini, plain], default: full, description: the model}
defaults: {model: full}
""" + PROVIDER + PRICES

# A video model with an end frame whose references cannot go with a first frame (as Veo 3.1's), cited by tag.
CLIP = """name: clip
kind: video
title: Clip
description: a video target of this film with end frames
capabilities:
  durations: [5, 10]
  aspects: {"16:9": "16:9"}
  prompt_max_chars: null
  negative_prompt: false
  camera_style: words
  camera: {""" + MOVES + """}
  references: {max: 2, cite: tag, with_first_frame: false}
  end_frame: true
  models:
    old: {end_frame: false}
options:
  type: object
  additionalProperties: false
  properties:
    model: {type: string, enum: [new, old], default: new, description: the model}
defaults: {model: new}
""" + PROVIDER + """    duration_type: integer
    routes:
      - when: {generation: text-to-video}
        submit: {method: POST, path: /v1/t2v}
        poll: {method: GET, path: "/v1/tasks/{task_id}"}
      - when: {}
        submit: {method: POST, path: /v1/make}
        poll: {method: GET, path: "/v1/tasks/{task_id}"}
""" + PRICES

SHEET_PROMPT = "{{ prose.reference_sentence(shot) }} {{ prose.subject_sentences(shot) }}"
REQUEST = ('{"prompt": {{ prompt.text | json }}, "refs": [{% for r in refs %}{{ r.mark | json }}{% if not loop.last %}, '
           '{% endif %}{% endfor %}], "labels": [{% for r in refs %}{{ (r.kind ~ ":" ~ r.label) | json }}'
           '{% if not loop.last %}, {% endif %}{% endfor %}]{% if first_frame %}, "image": {{ first_frame | json }}'
           '{% endif %}{% if end_frame %}, "end": {{ end_frame | json }}{% endif %}}')


def png(path: Path, color: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c={color}:s=32x32",
                    "-frames:v", "1", "-y", str(path)], check=True, capture_output=True)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def make_film(tmp_path: Path, shots: str, *, image: str = "[sheet]", video: str = "[clip]") -> Path:
    d = tmp_path / "film"
    d.mkdir()
    for name, color in (("keeper_face", "red"), ("keeper_full", "orange"), ("mara_face", "blue"),
                        ("lamp_room", "green"), ("storm_look", "gray"), ("radio", "white"), ("last", "black")):
        png(d / "refs" / f"{name}.png", color)
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Refs, aspect: \"16:9\"}\n"
        "song:\n  duration: 10\n  sections: [{id: a, start: 0, world: storm}]\n"
        "concept:\n  style: [35mm film]\n  worlds:\n    storm: {style: [rain-lashed], refs: [refs/storm_look.png]}\n"
        "characters:\n"
        "  keeper: {description: an old man with a white beard, short: old keeper, pronoun: he,\n"
        "           refs: [refs/keeper_face.png, refs/keeper_full.png]}\n"
        "  mara: {description: a young woman in a yellow raincoat, pronoun: she, refs: [refs/mara_face.png]}\n"
        "locations:\n  lamp: {description: a cramped circular lamp room, refs: [refs/lamp_room.png]}\n"
        f"targets: {{image: {image}, video: {video}}}\n"
        "shots:\n" + shots, encoding="utf-8")
    for name, body in (("sheet", SHEET), ("clip", CLIP)):
        t = d / "targets" / name
        t.mkdir(parents=True)
        (t / "target.yaml").write_text(body)
        (t / "prompt.j2").write_text('{% import "_common/prose.j2" as prose %}' + SHEET_PROMPT)
        (t / "request.acme.json.j2").write_text(REQUEST)
    return d


def jobs(film: Path) -> dict[str, dict]:
    plan = expand_production(resolve_film(film / "film.yaml"))
    return {j.job: j.as_dict() for j in plan.jobs}


def codes(film: Path) -> list[tuple[str, str, int]]:
    res = run_cli(["validate", str(film), "--format", "json"])
    return [(d["code"], d["severity"], d["line"]) for d in json.loads(res.stdout)["diagnostics"]]


def line_of(film: Path, needle: str) -> int:
    return next(i for i, ln in enumerate((film / "film.yaml").read_text().splitlines(), 1) if needle in ln)


def mark(film: Path, rel: str, prefix: str = "@ref:") -> str:
    return f"{prefix}{rel}#{hashlib.sha256((film / rel).read_bytes()).hexdigest()[:16]}"


def test_default_refs_go_in_order_within_the_model_limits(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, location: lamp, size: MS,\n"
                               "     cast: [keeper, mara]}\n")
    j = jobs(film)["s01.sheet"]
    # 5 candidates (keeper x2, mara, lamp, storm); max 3: the first of each character, then the place; sent in
    # the order cast, place, look
    assert j["body"]["refs"] == [mark(film, "refs/keeper_face.png"), mark(film, "refs/mara_face.png"),
                                 mark(film, "refs/lamp_room.png")]
    assert j["body"]["labels"] == ["character:the old keeper", "character:the young woman",
                                   "location:the cramped circular lamp room"]
    assert j["body"]["prompt"].startswith("Image 1 shows the old keeper, image 2 the young woman and image 3 the "
                                          "cramped circular lamp room.")
    warned = [c for c in codes(film) if c[0] == "V276"]
    assert warned and warned[0][1] == "warning"


def test_picked_refs_replace_the_default_and_are_never_trimmed(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - id: s01\n    section: a\n    location: lamp\n"
                               "    cast: [{id: keeper, refs: [refs/keeper_full.png]}]\n"
                               "    refs: [refs/radio.png]\n")
    j = jobs(film)["s01.sheet"]
    assert j["body"]["refs"] == [mark(film, "refs/keeper_full.png"), mark(film, "refs/radio.png")]
    assert j["body"]["labels"][1] == "object:the radio"
    assert not [c for c in codes(film) if c[0].startswith("V27")]


def test_a_changed_reference_image_makes_a_new_job(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, cast: [keeper]}\n")
    before = jobs(film)["s01.sheet"]["hash"]
    assert run_cli(["build", str(film)]).exit_code == 0
    png(film / "refs/keeper_face.png", "purple")
    res = run_cli(["build", str(film)])
    assert res.exit_code == 0, res.stderr
    after = [json.loads(x) for x in (film / "build/jobs/sheet.jsonl").read_text().splitlines()]
    assert after[0]["hash"] != before
    assert after[0]["body"]["refs"][0] == mark(film, "refs/keeper_face.png")


def test_per_model_limits_and_targets_without_references(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, location: lamp, cast: [keeper, mara], generate: {sheet: "
                               "{model: mini}}}\n  - {id: s02, section: a, cast: [keeper], generate: {sheet: "
                               "{model: plain}}}\n")
    j = jobs(film)
    assert j["s01.sheet"]["body"]["refs"] == [mark(film, "refs/keeper_face.png")]
    assert j["s02.sheet"]["body"]["refs"] == []
    assert not j["s02.sheet"]["body"]["prompt"].startswith("Image")


def test_too_many_picked_refs_are_refused_with_a_located_error(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - id: s01\n    section: a\n"
                               "    cast: [{id: keeper, refs: [refs/keeper_face.png, refs/keeper_full.png]}]\n"
                               "    refs: [refs/radio.png, refs/lamp_room.png]\n")
    res = run_cli(["validate", str(film)])
    assert res.exit_code == 1
    assert "error[V273]" in res.stderr and "takes at most 3" in res.stderr
    assert "drop 1 of" in res.stderr
    assert "use a target that takes them: none takes all 4; some of them: gemini-image (up to 3)" in res.stderr
    assert ("V273", "error", line_of(film, "refs: [refs/radio.png")) in codes(film)


def test_a_ref_that_is_not_the_characters_own(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - id: s01\n    section: a\n    cast: [{id: keeper, refs: [refs/mara_face.png]}]\n")
    res = run_cli(["validate", str(film)])
    assert res.exit_code == 1 and "error[V271]" in res.stderr and "refs/keeper_face.png" in res.stderr


def test_a_reference_must_be_an_image(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, refs: [notes.txt]}\n")
    assert ("V272", "error", line_of(film, "notes.txt")) in codes(film)


def test_tags_name_the_character_and_references_stay_out_with_a_first_frame(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, cast: [keeper], mode: text-to-video}\n"
                               "  - {id: s02, section: a, cast: [keeper]}\n")
    j = jobs(film)
    t2v = j["s01.clip"]["body"]
    # max 2: the character's first ref, then the world's look before the character's second angle
    assert t2v["refs"] == [mark(film, "refs/keeper_face.png"), mark(film, "refs/storm_look.png")]
    assert "@keeper" in t2v["prompt"] and "image 1" not in t2v["prompt"].lower()
    i2v = j["s02.clip"]["body"]
    assert i2v["refs"] == [] and i2v["image"] == "@job:s02.sheet" and "@keeper" not in i2v["prompt"]


def test_picked_refs_and_an_end_frame_are_refused_where_the_model_excludes_them(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - id: s01\n    section: a\n    mode: text-to-video\n    end_frame: refs/last.png\n"
                               "    cast: [{id: keeper, refs: [refs/keeper_face.png]}]\n")
    text = (film / "targets/clip/target.yaml").read_text().replace("with_first_frame: false", "with_end_frame: false") \
        .replace("  end_frame: true\n", "  end_frame: true\n  end_frame_alone: true\n")
    (film / "targets/clip/target.yaml").write_text(text)
    res = run_cli(["validate", str(film)])
    assert res.exit_code == 1 and "error[V275]" in res.stderr and "drop `end_frame`" in res.stderr
    assert ("V275", "error", line_of(film, "refs: [refs/keeper_face.png]")) in codes(film)


def test_picked_refs_on_an_image_to_video_shot_go_to_the_image_only(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - id: s01\n    section: a\n    cast: [{id: keeper, refs: [refs/keeper_full.png]}]\n")
    assert run_cli(["validate", str(film)]).exit_code == 0
    j = jobs(film)
    assert j["s01.sheet"]["body"]["refs"] == [mark(film, "refs/keeper_full.png"), mark(film, "refs/storm_look.png")]
    assert j["s01.clip"]["body"]["refs"] == [] and j["s01.clip"]["body"]["image"] == "@job:s01.sheet"


def test_end_frames_from_a_file_and_from_the_next_shot(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, subject: a door, end_frame: next}\n"
                               "  - {id: s02, section: a, subject: a hall, end_frame: refs/last.png}\n"
                               "  - {id: s03, section: a, subject: a lamp, generate: {clip: {model: old}},"
                               " end_frame: refs/last.png}\n")
    j = jobs(film)
    assert j["s01.clip"]["body"]["end"] == "@end-frame:s02.sheet"
    assert "s02.sheet" in j["s01.clip"]["depends_on"]
    assert j["s02.clip"]["body"]["end"] == mark(film, "refs/last.png", "@end-file:")
    assert "end" not in j["s03.clip"]["body"]  # the old model takes no end frame


@pytest.mark.parametrize(("shots", "code"), [
    ("  - {id: s01, section: a, subject: a door}\n  - {id: s02, section: a, subject: a hall, end_frame: next}\n",
     "V277"),
    ("  - {id: s01, section: a, subject: a door, end_frame: next}\n"
     "  - {id: s02, section: a, subject: a hall, mode: text-to-video}\n", "V277"),
    ("  - {id: s01, section: a, subject: a door, mode: still, end_frame: refs/last.png}\n", "V278"),
])
def test_unusable_end_frames_are_refused(tmp_path: Path, shots: str, code: str) -> None:
    film = make_film(tmp_path, shots)
    res = run_cli(["validate", str(film)])
    assert res.exit_code == 1 and f"error[{code}]" in res.stderr
    assert (code, "error", line_of(film, "end_frame")) in codes(film)


def test_an_end_frame_no_video_target_takes_is_a_warning(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, subject: a door, end_frame: refs/last.png, "
                               "generate: {clip: {model: old}}}\n")
    assert ("V278", "warning", line_of(film, "end_frame")) in codes(film)


def test_show_says_what_each_target_sends_and_leaves_out(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, location: lamp, cast: [keeper, mara], end_frame: "
                               "refs/last.png}\n")
    res = run_cli(["show", str(film), "s01"])
    assert res.exit_code == 0, res.stderr
    out = res.stdout
    assert "refs: image 1: refs/keeper_face.png (the old keeper), image 2: refs/mara_face.png" in out
    assert "refs left out: refs/storm_look.png (takes at most 3 references)" in out
    assert "refs: none sent (this model takes no reference images with a first frame)" in out
    assert "end frame: refs/last.png" in out
    res = run_cli(["show", str(film), "s01", "-t", "clip"])
    text = (film / "film.yaml").read_text().replace("cast: [keeper, mara], end_frame:", "generate: {clip: {model: "
                                                    "old}}, cast: [keeper, mara], end_frame:")
    (film / "film.yaml").write_text(text)
    assert "end frame: not sent" in run_cli(["show", str(film), "s01", "-t", "clip"]).stdout


def test_a_dry_run_lists_the_images_each_request_carries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, location: lamp, cast: [keeper, mara], end_frame: "
                               "refs/last.png}\n")
    monkeypatch.setenv("ACME_KEY", "k")
    res = run_cli(["run", str(film), "--dry-run"])
    assert res.exit_code == 0, res.stderr
    assert "s01.sheet  acme /v1/make (full) + 3 refs" in res.stdout
    assert "s01.clip  acme /v1/make (new) + first frame, end frame" in res.stdout


def test_an_end_frame_on_a_text_to_video_shot_needs_a_model_that_ends_without_a_first_frame(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, subject: a door, mode: text-to-video, "
                               "end_frame: refs/last.png}\n")
    assert ("V278", "warning", line_of(film, "end_frame")) in codes(film)
    assert "end" not in jobs(film)["s01.clip"]["body"]


def test_refusals_are_said_per_reason(tmp_path: Path) -> None:
    """The mini model takes 1 character ref and no style: two character picks are refused (V273, an error), the
    style pick is said not to reach it (V274, a warning), each listing its own refs."""
    film = make_film(tmp_path, "  - id: s01\n    section: a\n    generate: {sheet: {model: mini}}\n"
                               "    cast: [{id: keeper, refs: [refs/keeper_face.png, refs/keeper_full.png]}]\n"
                               "    refs: [refs/storm_look.png]\n")
    res = run_cli(["validate", str(film)])
    assert res.exit_code == 1
    v273 = next(ln for ln in res.stderr.splitlines() if "error[V273]" in ln)
    assert "picks 2 character references" in v273 and "storm_look" not in v273
    v274 = next(ln for ln in res.stderr.splitlines() if "warning[V274]" in ln)
    assert "refs/storm_look.png" in v274 and "keeper" not in v274


def test_tags_stay_unique_and_within_sixteen_characters(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - id: s01\n    section: a\n    mode: text-to-video\n    cast: [keeper]\n"
                               "    refs: [refs/radio.png]\n")
    text = (film / "film.yaml").read_text().replace("keeper:", "a_very_long_keeper_name:").replace(
        "cast: [keeper]", "cast: [a_very_long_keeper_name]").replace("refs: [refs/radio.png]",
                                                                    "refs: [refs/a_very_long_keeper_name.png]")
    png(film / "refs/a_very_long_keeper_name.png", "yellow")
    (film / "film.yaml").write_text(text)
    from compiler.load import load_film
    from compiler.refs import candidates
    from compiler.validate import validate_film

    film_model = validate_film(load_film(film / "film.yaml")).film
    tags = [r.tag for r in candidates(film_model, film_model.shots[0])]
    assert len(set(tags)) == len(tags) == 3 and all(3 <= len(t) <= 16 for t in tags)
    prompt = jobs(film)["s01.clip"]["body"]["prompt"]
    assert f"@{tags[0]}," in prompt  # the character is named by its first ref's tag


def test_a_file_named_png_that_is_no_image_is_refused(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, refs: [refs/notes.png]}\n")
    (film / "refs/notes.png").write_text("not an image")
    res = run_cli(["validate", str(film)])
    assert res.exit_code == 1 and "error[V272]" in res.stderr and "its content is something else" in res.stderr


def test_a_missing_reference_is_never_named_in_a_request(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, cast: [keeper], refs: [refs/nope.png], "
                               "end_frame: refs/gone.png}\n")
    assert ("V261", "warning", line_of(film, "refs/nope.png")) in codes(film)
    j = jobs(film)
    assert j["s01.sheet"]["body"]["refs"] == [mark(film, "refs/keeper_face.png"), mark(film, "refs/keeper_full.png")]
    assert "nope" not in j["s01.sheet"]["body"]["prompt"] and "end" not in j["s01.clip"]["body"]


def test_a_second_image_of_a_character_is_cited_as_another_angle(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, cast: [keeper], refs: []}\n")
    prompt = jobs(film)["s01.sheet"]["body"]["prompt"]
    assert prompt.startswith("Image 1 shows the old keeper and image 2 the old keeper from another angle.")


def test_an_object_is_named_from_its_file_only_when_the_name_says_something(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, subject: a table, refs: [refs/IMG_0042.png, "
                               "refs/DSC01234.JPG.png, refs/brass-compass_v2.png]}\n",
                     image="[gemini-image]")
    for name in ("IMG_0042", "DSC01234.JPG", "brass-compass_v2"):
        png(film / "refs" / f"{name}.png", "white")
    prompt = jobs(film)["s01.gemini-image"]["body"]["parts"][0]["text"]
    assert prompt.startswith("Image 1 shows the object, image 2 another object and image 3 the brass compass.")


def test_an_end_frame_the_edit_would_cut_off_is_warned_with_the_trim_that_keeps_it(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, subject: a door, duration: 7.5, end_frame: next}\n"
                               "  - {id: s02, section: a, subject: a hall}\n")
    res = run_cli(["validate", str(film)])
    assert "warning[V279]" in res.stderr and "the end frame comes 2.500 s after the cut" in res.stderr
    assert "trim: {in: 2.500}" in res.stderr
    fixed = (film / "film.yaml").read_text().replace("end_frame: next}", "end_frame: next, trim: {in: 2.5}}")
    (film / "film.yaml").write_text(fixed)
    assert "V279" not in run_cli(["validate", str(film)]).stderr


def test_refs_no_target_takes_are_warned_once_at_their_owner(tmp_path: Path) -> None:
    """A character's refs that no target of the film takes (as the film sets their models) reach no model: V286,
    once, at the refs; refs some target takes (the world's look, here) are not warned of."""
    shot = "  - {id: s1, section: a, location: lamp, cast: [keeper], camera: static, duration: 5}\n"
    d = make_film(tmp_path, shot, image="[mystic]", video="[kling]")
    res = run_cli(["validate", str(d), "--format", "json"])
    found = [x for x in json.loads(res.stdout)["diagnostics"] if x["code"] == "V286"]
    assert [(x["pointer"], x["severity"], x["line"]) for x in found] == [
        ("/characters/keeper/refs", "warning", line_of(d, "refs: [refs/keeper_face.png")),
        ("/locations/lamp/refs", "warning", line_of(d, "lamp: {description"))], found
    assert found[0]["message"].endswith("reach no model: 'mystic' with model realism takes no character references; "
                                        "'kling' with model kling-v1-6 takes no reference images"), found[0]
    # a model that takes them: no warning
    text = (d / "film.yaml").read_text().replace("targets: {image: [mystic], video: [kling]}",
                                                 "targets: {image: [sheet], video: [kling]}")
    (d / "film.yaml").write_text(text)
    res = run_cli(["validate", str(d), "--format", "json"])
    assert not [x for x in json.loads(res.stdout)["diagnostics"] if x["code"] == "V286"]


def test_refs_a_model_leaves_out_for_another_reason_are_not_said_to_reach_none(tmp_path: Path) -> None:
    """V286 gives each target's true reason (a model that takes references, but not with a first frame), and is
    quiet where refs are left out for a reason said elsewhere (a missing file: V261; over a limit: V276)."""
    shot = "  - {id: s1, section: a, location: lamp, cast: [keeper], camera: static, duration: 5}\n"
    d = make_film(tmp_path, shot, image="[mystic]", video="[clip]")
    res = run_cli(["validate", str(d), "--format", "json"])
    found = [x for x in json.loads(res.stdout)["diagnostics"] if x["code"] == "V286"]
    assert [x["pointer"] for x in found] == ["/characters/keeper/refs", "/locations/lamp/refs"], found
    assert found[0]["message"].endswith("'mystic' with model realism takes no character references; 'clip' with "
                                        "model new takes no reference images with a first frame"), found[0]
    for f in ("keeper_face", "keeper_full"):  # the character's refs missing: V261 says so, V286 does not
        (d / "refs" / f"{f}.png").unlink()
    (d / "film.yaml").write_text((d / "film.yaml").read_text().replace("targets: {image: [mystic], video: [clip]}",
                                                                       "targets: {image: [sheet], video: [clip]}"))
    res = run_cli(["validate", str(d), "--format", "json"])
    got = [x["code"] for x in json.loads(res.stdout)["diagnostics"]]
    assert "V261" in got and "V286" not in got, got


def test_a_video_that_starts_from_a_frame_is_not_said_to_lose_the_picked_refs(tmp_path: Path) -> None:
    """An image-to-video shot on a model without references: its first frame (made by an image target that took the
    refs) carries them, so V274 does not say the video "gets the description only"; a text-to-video shot does."""
    shots = ("  - {id: s1, section: a, cast: [keeper], refs: [refs/radio.png]}\n"
             "  - {id: s2, section: a, cast: [keeper], refs: [refs/radio.png], mode: text-to-video}\n")
    d = make_film(tmp_path, shots, image="[sheet]", video="[runway]")
    res = run_cli(["validate", str(d), "--format", "json"])
    found = [x for x in json.loads(res.stdout)["diagnostics"] if x["code"] == "V274" and "'runway'" in x["message"]]
    assert [x["pointer"] for x in found] == ["/shots/1/refs/0"], found
