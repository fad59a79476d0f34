"""Generation modes and extend segments, compiled: which jobs exist, what they ask for, what validate refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.expand import expand_production
from compiler.loading import resolve_film
from tests.conftest import run_cli

# A film-local video target whose prompt shows what a segment's context holds.
PROBE_TARGET = """name: probe
kind: video
title: Probe
description: a video target of this film that prints its context
capabilities:
  durations: [5, 10]
  aspects: {"16:9": "16:9"}
  prompt_max_chars: null
  negative_prompt: false
  reference_images: false
  camera_style: words
  camera: {""" + ", ".join(f"{m}: {m.replace('-', ' ')}" for m in (
    "static push-in pull-out zoom-in zoom-out pan-left pan-right tilt-up tilt-down dolly-in dolly-out truck-left "
    "truck-right tracking crane-up crane-down orbit-left orbit-right handheld").split()) + """}
options:
  type: object
  additionalProperties: false
  properties:
    model: {type: string, enum: [m1], default: m1, description: the model}
defaults: {model: m1}
providers:
  acme:
    base_url: https://acme.example
    submit: {method: POST, path: /v1/i2v}
    poll: {method: GET, path: "/v1/tasks/{task_id}"}
    auth: {scheme: header, header: x-key, env: ACME_KEY}
    task_id: {path: id}
    status: {path: status, done: [done], failed: [failed]}
    result: {path: url}
    duration_type: integer
prices:
  - {provider: acme, unit: second, amount: 0.02, currency: USD, date: undated, source: acme list, confidence: V}
"""
PROBE_PROMPT = ("{{ segment.index }}/{{ segment.count }} {{ segment.duration }} s. {{ shot.video.motion | join(' ') }} "
                "{{ shot.subject_motion or '' }} | {{ shot.camera_sentence }}")
PROBE_REQUEST = '{"prompt": {{ prompt.text | json }}, "duration": {{ duration | json }}' \
                '{% if first_frame %}, "image": {{ first_frame | json }}{% endif %}}'


def make_film(tmp_path: Path, shots: str, *, video: str = "[kling]", image: str = "[mystic]", song: float = 30,
              extra: str = "") -> Path:
    d = tmp_path / "film"
    d.mkdir()
    (d / "film.yaml").write_text(
        "version: 1\n"
        "film: {title: Modes, aspect: \"16:9\"}\n"
        f"song:\n  duration: {song}\n  sections: [{{id: a, start: 0}}]\n"
        "concept: {style: [35mm film], palette: teal and amber, lighting: low sun}\n"
        "characters:\n  mara: {description: a woman with short grey hair, pronoun: she}\n"
        f"targets: {{image: {image}, video: {video}}}\n"
        + extra + "shots:\n" + shots, encoding="utf-8")
    return d


def add_probe(film: Path) -> None:
    t = film / "targets" / "probe"
    t.mkdir(parents=True)
    (t / "target.yaml").write_text(PROBE_TARGET)
    (t / "prompt.j2").write_text(PROBE_PROMPT)
    (t / "request.acme.json.j2").write_text(PROBE_REQUEST)


def diagnostics(film: Path) -> list[dict]:
    res = run_cli(["validate", str(film), "--format", "json"])
    return json.loads(res.stdout)["diagnostics"]


def line_of(film: Path, needle: str) -> int:
    return next(i for i, ln in enumerate((film / "film.yaml").read_text().splitlines(), 1) if needle in ln)


# ------------------------------------------------------------------------------------------------ modes

def test_a_still_shot_has_image_jobs_only(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, subject: a lighthouse, mode: still, duration: 22}\n"
                               "  - {id: s02, section: a, subject: the sea, background_motion: waves roll in}\n")
    res = run_cli(["build", str(film)])
    assert res.exit_code == 0, res.stderr
    build = film / "build"
    assert "## s01:" in (build / "prompts/mystic.md").read_text()
    kling = (build / "prompts/kling.md").read_text()
    assert "## s01:" not in kling and "## s02:" in kling
    jobs = [json.loads(x) for x in (build / "jobs/kling.jsonl").read_text().splitlines()]
    assert [j["job"] for j in jobs] == ["s02.kling"]
    cost = run_cli(["cost", str(film), "--format", "json"])
    assert cost.exit_code == 0, cost.stderr
    assert "s01.kling" not in cost.stdout and "s02.kling" in cost.stdout


def test_a_text_to_video_shot_has_no_image_job_and_no_first_frame(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, subject: a lighthouse, mode: text-to-video}\n", song=8)
    text = (film / "film.yaml").read_text().replace("targets: {image: [mystic], video: [kling]}",
                                                     "targets: {image: [mystic], video: [kling], "
                                                     "options: {kling: {provider: kling}}}")
    (film / "film.yaml").write_text(text)
    plan = expand_production(resolve_film(film / "film.yaml"))
    assert {(p.shot, p.target) for p in plan.prompts} == {("s01", "kling")}
    (job,) = plan.jobs
    assert job.depends_on == () and job.url.endswith("/v1/videos/text2video")
    assert "image" not in job.body and job.body["aspect_ratio"] == "16:9"
    assert job.poll and "/v1/videos/text2video/" in job.poll


@pytest.mark.parametrize(("target", "provider", "options", "path", "no_image"), [
    ("kling", "kling", {}, "/v1/videos/text2video", "image"),
    ("kling", "fal", {}, "/fal-ai/kling-video/v1.6/standard/text-to-video", "image_url"),
    ("hailuo", "minimax", {}, "/v1/video_generation", "first_frame_image"),
    ("hailuo", "freepik", {"resolution": "768P"}, "/v1/ai/image-to-video/minimax-hailuo-02-768p", "first_frame_image"),
    ("hailuo", "fal", {"resolution": "768P"}, "/fal-ai/minimax/hailuo-02/standard/text-to-video", "image_url"),
    ("luma", "luma", {}, "/generations", "keyframes"),
    ("luma", "fal", {}, "/fal-ai/luma-dream-machine/ray-2", "image_url"),
    ("runway", "runway", {"model": "gen4.5"}, "/v1/text_to_video", "promptImage"),
])
def test_each_provider_gets_its_text_to_video_request(tmp_path: Path, target: str, provider: str,
                                                       options: dict, path: str, no_image: str) -> None:
    opts = json.dumps({"provider": provider, **options})
    film = make_film(tmp_path, "  - {id: s01, section: a, subject: a lighthouse, mode: text-to-video}\n",
                     video=f"[{target}]", song=5)
    text = (film / "film.yaml").read_text().replace(
        f"video: [{target}]}}", f"video: [{target}], options: {{{target}: {opts}}}}}")
    (film / "film.yaml").write_text(text)
    plan = expand_production(resolve_film(film / "film.yaml"))
    (job,) = plan.jobs
    assert job.url.endswith(path)
    assert no_image not in json.dumps(job.body) and job.depends_on == ()


def test_validate_names_the_targets_that_make_video_from_text(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - id: s01\n    section: a\n    subject: a lighthouse\n    mode: text-to-video\n",
                     video="[kling, runway]", song=5)
    diags = [d for d in diagnostics(film) if d["code"] == "V297"]
    assert {d["line"] for d in diags} == {line_of(film, "mode: text-to-video")}
    assert len(diags) == 2  # kling through Freepik (its default provider) and runway's gen4_turbo
    kling = next(d for d in diags if "'kling'" in d["message"])
    assert "freepik" in kling["message"] and "kling" in kling["hint"] and "fal" in kling["hint"]
    assert "luma" in kling["hint"] and "hailuo" in kling["hint"]
    res = run_cli(["build", str(film)])
    assert res.exit_code == 1 and "Traceback" not in res.stderr and not (film / "build").exists()
    # with a provider and a model that can, the film builds
    text = (film / "film.yaml").read_text().replace(
        "    mode: text-to-video\n",
        "    mode: text-to-video\n    generate: {kling: {provider: kling}, runway: {model: gen4.5}}\n")
    (film / "film.yaml").write_text(text)
    assert [d for d in diagnostics(film) if d["severity"] == "error"] == []


# ------------------------------------------------------------------------------------------------ extend

def test_extend_true_minimizes_the_last_segment(tmp_path: Path) -> None:
    film = make_film(tmp_path, "  - {id: s01, section: a, subject: a wave, background_motion: spray, extend: true}\n",
                     song=14)
    plan = expand_production(resolve_film(film / "film.yaml"), targets=["kling"])
    assert [(j.job, j.duration, j.body["duration"]) for j in plan.jobs] == [
        ("s01.kling", 10.0, "10"), ("s01.kling.2", 5.0, "5")]
    assert plan.jobs[1].depends_on == ("s01.kling",) and plan.jobs[1].body["image"] == "@last-frame:s01.kling"


def test_extend_true_generates_the_fewest_seconds_that_cover_the_shot(tmp_path: Path) -> None:
    # Hailuo makes 6 or 10 s: 12 s is 6 + 6 (12 s paid), not the longest first and then what is left (10 + 6)
    film = make_film(tmp_path, "  - {id: s01, section: a, subject: a wave, background_motion: spray, extend: true}\n",
                     song=12, video="[hailuo]")
    plan = expand_production(resolve_film(film / "film.yaml"), targets=["hailuo"])
    assert [(j.job, j.duration) for j in plan.jobs] == [("s01.hailuo", 6.0), ("s01.hailuo.2", 6.0)]


def test_as_few_segments_as_cover_the_shot_in_the_fewest_seconds_longest_first() -> None:
    from compiler.model import Segment, Shot
    from compiler.segments import segment_lengths

    endless = Shot(id="s", section="a", index=0, extend=True)
    assert segment_lengths((4.0, 6.0, 8.0), 10.0, endless, "veo")[0] == [6.0, 4.0]  # not 8 + 4
    assert segment_lengths((5.0, 9.0), 10.0, endless, "luma")[0] == [5.0, 5.0]  # not 9 + 5
    assert segment_lengths((5.0, 10.0), 10.5, endless, "kling")[0] == [10.0, 5.0]  # 15 s either way: 2, not 3
    assert segment_lengths((5.0, 9.0), 14.5, endless, "luma")[0] == [9.0, 9.0]  # not a third seam for 3 s less
    # any length of shot in bounded time: an hour of Seedance's 4..15 s
    lengths = segment_lengths(tuple(float(x) for x in range(4, 16)), 3600.5, endless, "seedance")[0]
    assert len(lengths) == 241 and sum(lengths) == 3601.0
    # a thousand listed segments without a length, on an hour and a bit: 4,100 s, no more
    many = Shot(id="s", section="a", index=0, extend=True, segments=(Segment("on"),) * 999)
    lengths = segment_lengths(tuple(float(x) for x in range(4, 16)), 4100.0, many, "seedance")[0]
    assert len(lengths) == 1000 and sum(lengths) == 4100.0
    # a film's own target may list its lengths in any order, and one twice
    assert segment_lengths((10.0, 5.0, 10.0), 12.0, endless, "mine")[0] == [10.0, 5.0]
    assert segment_lengths((5.0, 10.0), 9.0, endless, "kling")[0] == [10.0]
    # as even as the seconds allow: each segment long enough for its motion
    assert segment_lengths((1.0, 2.0, 3.0, 4.0, 5.0), 12.0, endless, "wan")[0] == [4.0, 4.0, 4.0]  # not 5 + 5 + 2
    assert segment_lengths((4.0, 6.0, 8.0), 11.5, endless, "veo")[0] == [6.0, 6.0]  # not 8 + 4
    # a first length asked for (generate.<target>.duration) stays; the rest covers what it leaves
    assert segment_lengths((6.0, 10.0), 22.0, endless, "hailuo", first=10.0)[0] == [10.0, 6.0, 6.0]
    # listed segments without a length share what the others leave, in as few seconds
    listed = Shot(id="s", section="a", index=0, extend=True,
                  segments=(Segment("turns", duration=5.0), Segment("sits")))
    assert segment_lengths((4.0, 5.0, 6.0, 8.0), 14.0, listed, "x") == ([5.0, 5.0, 4.0], [])
    # more than the open segments can make: each the longest, and V299 says what is left uncovered
    lengths, problems = segment_lengths((5.0, 10.0), 40.0, listed, "kling")
    assert lengths == [10.0, 5.0, 10.0] and [p.code for p in problems] == ["V299"]
    assert problems[0].message == "the segments cover 25 s, but the shot needs 40 s from 'kling'"
    assert problems[0].hint == "add a segment ('kling' makes 10 s at most each)"  # (the last has no length to drop)
    fixed = Shot(id="s", section="a", index=0, extend=True, segments=(Segment("turns", duration=5.0),))
    problems = segment_lengths((5.0, 10.0), 17.5, fixed, "kling")[1]
    assert [p.hint for p in problems] == ["leave out the last segment's duration so it covers what is left, or add "
                                          "a segment"]
    problems = segment_lengths((5.0, 10.0), 40.0, fixed, "kling")[1]  # (without its length it still falls short)
    assert [p.hint for p in problems] == ["add a segment ('kling' makes 10 s at most each)"]
    # lengths that are not whole seconds come out as listed, never as a sum's float error
    odd = (4.12, 5.6, 9.72)
    assert set(segment_lengths(odd, 30.0, endless, "mine")[0]) <= set(odd)


def _wave(sid: str, duration: float, generate: str | None = None, extra: str = "") -> str:
    """A shot of a wave, for its lengths."""
    gen = f", generate: {generate}" if generate else ""
    return f"  - {{id: {sid}, section: a, subject: a wave, background_motion: spray, duration: {duration:g}{gen}{extra}}}\n"


def test_lengths_a_target_makes_only_with_some_options(tmp_path: Path) -> None:
    """Hailuo makes 1080P clips of 6 s only, Veo 1080p clips of 8 s only (capabilities.durations_when): the jobs
    ask for those lengths, an extended shot is split into them, and a length the options exclude is refused."""
    shots = (_wave("s01", 4, "{veo: {resolution: 1080p}, hailuo: {resolution: 1080P}}")
             + _wave("s02", 8, "{hailuo: {resolution: 1080P}}", ", extend: true") + _wave("s03", 4))
    film = make_film(tmp_path, shots, video="[hailuo, veo]", song=16)
    assert [d for d in diagnostics(film) if d["severity"] == "error"] == []
    plan = expand_production(resolve_film(film / "film.yaml"))
    lengths = {(j.shot, j.target): j.duration for j in plan.jobs if j.target in ("hailuo", "veo") and j.segment == 1}
    assert lengths[("s01", "veo")] == 8.0 and lengths[("s03", "veo")] == 4.0  # 1080p: 8 s; 720p: the shortest
    assert [j.duration for j in plan.jobs if j.shot == "s02" and j.target == "hailuo"] == [6.0, 6.0]  # not 10 (768P)
    # a length the options exclude, or a shot longer than they allow, is refused where it is asked
    shots = _wave("s01", 4, "{hailuo: {resolution: 1080P, duration: 10}}") + _wave("s02", 7, "{hailuo: {resolution: 1080P}}")
    (tmp_path / "refused").mkdir()
    film = make_film(tmp_path / "refused", shots, video="[hailuo]", song=11)
    errors = [d for d in diagnostics(film) if d["severity"] == "error"]
    assert [(d["code"], d["pointer"]) for d in errors] == [("V225", "/shots/0/generate/hailuo/duration"),
                                                          ("V223", "/shots/1/id")], errors
    assert errors[0]["message"].endswith("asks 'hailuo' for 10 s, which it does not make with resolution 1080P (6 s)")
    assert errors[0]["hint"] == "ask for 6 s, or change what the shot sets (resolution 1080P)"
    assert "longer than 'hailuo' generates with resolution 1080P (6 s at most; 10 s otherwise)" in errors[1]["message"]
    assert errors[1]["hint"].endswith("or change what limits the length (resolution 1080P)")
    # the film's own length, excluded for some shot: said once, naming the shot and where the option is set
    shots = _wave("s01", 4, "{hailuo: {resolution: 1080P}}") + _wave("s02", 4, "{hailuo: {resolution: 1080P}}")
    (tmp_path / "film-wide").mkdir()
    film = make_film(tmp_path / "film-wide", shots, video="[hailuo], options: {hailuo: {duration: 10}}", song=8)
    errors = [d for d in diagnostics(film) if d["severity"] == "error"]
    assert [(d["code"], d["pointer"]) for d in errors] == [("V225", "/targets/options/hailuo/duration")], errors
    assert errors[0]["message"].endswith("the film asks 'hailuo' for 10 s, which it does not make for shot 's01' "
                                         "with resolution 1080P (6 s)")
    assert errors[0]["hint"] == "ask for 6 s, or change what the shot sets (resolution 1080P)"


def test_listed_segments_have_their_own_motion_camera_and_length(tmp_path: Path) -> None:
    shots = ("  - id: s01\n    section: a\n    camera: push-in\n"
             "    cast: [{id: mara, action: stands at the rail, motion: she turns to the sea}]\n"
             "    extend:\n"
             "      - {motion: she walks to the end of the pier, camera: static, duration: 5}\n"
             "      - {motion: gulls wheel over the water, camera: tilt-up}\n")
    film = make_film(tmp_path, shots, video="[probe]", song=18)
    add_probe(film)
    plan = expand_production(resolve_film(film / "film.yaml"), targets=["probe"])
    # segment 1: 18 - 5 = 13 s is more than the target makes: 10 s; the last covers what is left (3 s): 5 s
    assert [j.duration for j in plan.jobs] == [10.0, 5.0, 5.0]
    (p,) = plan.prompts
    one, two, three = p.texts
    assert one.startswith("1/3 10") and "turns to the sea" in one and "pushes in" in one
    assert two.startswith("2/3 5") and "walks to the end of the pier" in two and "turns" not in two
    assert "holds still" in two
    assert three.startswith("3/3 5") and "gulls wheel over the water" in three and "tilts up" in three
    assert [j.body["prompt"] for j in plan.jobs] == [one, two, three]
    assert [j.body.get("image") for j in plan.jobs] == ["@job:s01.mystic", "@last-frame:s01.probe",
                                                       "@last-frame:s01.probe.2"]
    # the target's sheet gives each segment its prompt and length
    assert run_cli(["build", str(film), "--target", "probe"]).exit_code == 0
    sheet = (film / "build/prompts/probe.md").read_text()
    for n, (text, length) in enumerate(((one, 10), (two, 5), (three, 5)), 1):
        assert f"Segment {n} ({length} s" in sheet and f"```text\n{text}\n```" in sheet


def test_show_lists_the_segments_and_their_lengths(tmp_path: Path) -> None:
    shots = ("  - id: s01\n    section: a\n    subject: a wave\n    camera: slow push-in\n"
             "    extend:\n      - {motion: the wave breaks, camera: static, duration: 5}\n")
    film = make_film(tmp_path, shots, song=12)
    res = run_cli(["show", str(film), "s01", "-t", "kling"])
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert "  1: the shot's own motion; slow push-in" in lines
    assert "  2: the wave breaks; static; 5 s" in lines
    assert "[kling] video, generate 10 s + 5 s" in lines
    assert "segment 2 (5 s):" in lines


def test_segment_lengths_are_checked_against_the_target(tmp_path: Path) -> None:
    shots = ("  - id: s01\n    section: a\n    subject: a wave\n"
             "    extend:\n"
             "      - {motion: the wave breaks, duration: 12}\n"
             "      - {motion: foam spreads, duration: 5}\n")
    film = make_film(tmp_path, shots, song=14, video="[kling]")
    diags = diagnostics(film)
    v298 = [d for d in diags if d["code"] == "V298"]
    assert [(d["severity"], d["line"]) for d in v298] == [("error", line_of(film, "duration: 12"))]
    assert v298[0]["hint"]
    # too short: the listed segments leave part of the shot uncovered
    text = (film / "film.yaml").read_text().replace("duration: 12", "duration: 5")
    (film / "film.yaml").write_text(text.replace("14\n", "40\n", 1))
    v299 = [d for d in diagnostics(film) if d["code"] == "V299"]
    assert len(v299) == 1 and v299[0]["severity"] == "error" and v299[0]["line"] == line_of(film, "the wave breaks")
    assert v299[0]["hint"]


def test_a_segment_problem_shared_by_targets_is_said_once(tmp_path: Path) -> None:
    segments = "".join(f"      - {x}\n" for x in ("{motion: the wave breaks, duration: 4}", "{motion: foam spreads}"))
    film = make_film(tmp_path, "  - id: s01\n    section: a\n    subject: a wave\n    extend:\n" + segments,
                     song=13, video="[kling, runway, luma]")
    v298 = [d["message"].split(": ", 2)[2] for d in diagnostics(film) if d["code"] == "V298"]
    assert v298 == ["segment 2 asks for 4 s, a length 'kling' and 'runway' do not offer: they generate 5 s",
                    "segment 2 asks for 4 s, a length 'luma' does not offer: it generates 5 s"], v298  # (its hint differs)


def test_a_segment_after_the_shot_is_covered_is_refused(tmp_path: Path) -> None:
    shots = ("  - id: s01\n    section: a\n    subject: a wave\n    generate: {kling: {duration: 10}}\n"
             "    extend:\n"
             "      - {motion: the wave breaks}\n"
             "      - {motion: foam spreads}\n")
    film = make_film(tmp_path, shots, song=14, video="[kling]")
    v299 = [d for d in diagnostics(film) if d["code"] == "V299"]
    assert [d["line"] for d in v299] == [line_of(film, "foam spreads")]


def test_a_length_the_target_does_not_offer_is_generated_longer_with_a_warning(tmp_path: Path) -> None:
    shots = ("  - id: s01\n    section: a\n    subject: a wave\n"
             "    extend:\n"
             "      - {motion: the wave breaks, duration: 4}\n"
             "      - {motion: foam spreads, duration: 4}\n")
    film = make_film(tmp_path, shots, song=13, video="[kling]")
    v298 = [d for d in diagnostics(film) if d["code"] == "V298"]
    # the middle segment starts later than asked: a warning; the last one is trimmed in the edit: nothing to say
    assert [(d["severity"], d["line"]) for d in v298] == [("warning", line_of(film, "the wave breaks"))]
    plan = expand_production(resolve_film(film / "film.yaml"), targets=["kling"])
    assert [j.duration for j in plan.jobs] == [5.0, 5.0, 5.0]


def test_lock_and_diff_see_each_segment_prompt(tmp_path: Path) -> None:
    shots = ("  - id: s01\n    section: a\n    subject: a wave\n    background_motion: spray\n"
             "    extend:\n      - {motion: the wave breaks on the rocks, camera: static}\n")
    film = make_film(tmp_path, shots, song=14, video="[probe]")
    add_probe(film)
    assert run_cli(["lock", str(film)]).exit_code == 0
    lock = json.loads((film / "prompts.lock").read_text())["prompts"]["s01"]["probe"]
    assert "wave breaks on the rocks" in lock["segments"][0]["prompt"]
    text = (film / "film.yaml").read_text().replace("the wave breaks on the rocks", "foam slides back")
    (film / "film.yaml").write_text(text)
    res = run_cli(["diff", str(film)])
    assert "a/s01+2/probe" in res.stdout and "foam slides back" in res.stdout
    assert "a/s01/probe" not in res.stdout  # segment 1 did not change


def test_segments_without_a_length_share_what_is_left() -> None:
    from compiler.model import Segment, Shot
    from compiler.segments import segment_lengths

    shot = Shot(id="s", section="a", index=0, extend=True, segments=(Segment("turns"), Segment("sits")))
    lengths, problems = segment_lengths((5.0, 10.0), 13.3, shot, "kling")
    assert lengths == [5.0, 5.0, 5.0] and problems == []  # not 10 + never-on-screen segments
    lengths, problems = segment_lengths((5.0, 10.0), 10.0, Shot(id="s", section="a", index=0, extend=True,
                                                               segments=(Segment("turns"),)), "kling")
    assert lengths == [5.0, 5.0] and problems == []
