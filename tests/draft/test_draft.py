"""`filmc draft`: the real google-genai client against a fake Gemini on 127.0.0.1; real film.yaml files."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import yaml

from tests.conftest import run_cli
from tests.draft.conftest import draft
from tests.fakes import FakeGemini
from tests.fakes.gemini import b64decode

CODE = re.compile(r"error\[([A-Z][0-9]{3})\]")


def codes(text: str) -> list[str]:
    return CODE.findall(text)


def texts(body: dict) -> list[str]:
    return [p["text"] for c in body["contents"] for p in c["parts"] if "text" in p]


# ---------------------------------------------------------------- what is sent


def test_lyrics_request_carries_instructions_schema_and_facts_without_names(lighthouse: Path,
                                                                            gemini: FakeGemini) -> None:
    before = (lighthouse / "film.yaml").read_bytes()
    res = draft(gemini, "lyrics", str(lighthouse))
    assert res.exit_code == 0, res.stderr
    (body,) = gemini.generates()
    system = body["systemInstruction"]["parts"][0]["text"]
    assert "Never use a character's name" in system and "Suno" in system and "push-in" in system
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config.get("responseSchema") or config.get("response_schema")
    section = schema["properties"]["sections"]["items"]
    assert schema["type"] == "OBJECT" and set(section["properties"]) == {"id", "tag", "lyrics"}
    assert section["properties"]["id"]["enum"] == ["intro", "verse1", "chorus1", "bridge", "chorus2", "outro"]
    facts = json.loads(texts(body)[0])
    assert facts["story"].startswith("A rock lighthouse")
    assert [s["id"] for s in facts["song"]["sections"]] == section["properties"]["id"]["enum"]
    assert {c["id"] for c in facts["characters"]} == {"keeper", "engineer", "wife"}
    assert "Maddox" not in json.dumps(body) and "Okoro" not in json.dumps(body)  # names never reach a model
    # shown, not written
    assert res.stdout.startswith("--- ") and "+        the first light of the intro" in res.stdout
    assert (lighthouse / "film.yaml").read_bytes() == before
    assert "--write" in res.stderr and "tokens in" in res.stderr


def test_lyrics_write_changes_only_the_drafted_values(lighthouse: Path, gemini: FakeGemini) -> None:
    film = lighthouse / "film.yaml"
    before = film.read_text(encoding="utf-8")
    gemini.reply({"sections": [{"id": "bridge", "tag": "Bridge", "lyrics": "Salt on the glass,\nink on the page"}]})
    res = draft(gemini, "lyrics", str(lighthouse), "--write")
    assert res.exit_code == 0, res.stderr
    old_block = ("      lyrics: |\n        You sang to the wick when the panes ran black with spray,\n"
                 "        you wrote the wind in ink so it couldn't blow away.\n")
    new_block = "      lyrics: |\n        Salt on the glass,\n        ink on the page\n"
    assert old_block in before
    assert film.read_text(encoding="utf-8") == before.replace(old_block, new_block)  # all else byte-identical
    assert "no lyrics drafted for: intro, verse1" in res.stderr
    assert run_cli(["validate", str(lighthouse)]).exit_code == 0


def test_write_after_a_look_applies_the_answer_shown(lighthouse: Path, gemini: FakeGemini) -> None:
    film = lighthouse / "film.yaml"
    gemini.reply({"sections": [{"id": "bridge", "tag": "Bridge", "lyrics": "Salt on the glass"}]})
    shown = draft(gemini, "lyrics", str(lighthouse))
    assert shown.exit_code == 0 and "Salt on the glass" in shown.stdout
    gemini.reply({"sections": [{"id": "bridge", "tag": "Bridge", "lyrics": "A different answer"}]})
    res = draft(gemini, "lyrics", str(lighthouse), "--write")
    assert res.exit_code == 0, res.stderr
    assert len(gemini.generates()) == 1  # no second (paid) call
    assert "Salt on the glass" in film.read_text(encoding="utf-8") and "A different" not in film.read_text()
    film.write_text(film.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")  # film.yaml changed:
    res = draft(gemini, "lyrics", str(lighthouse), "--write")  # a new request, so a new answer
    assert res.exit_code == 0, res.stderr
    assert len(gemini.generates()) == 2 and "A different answer" in film.read_text(encoding="utf-8")


# ---------------------------------------------------------------- the song's audio


def test_song_sends_short_audio_inline_and_snaps_to_the_beat_grid(small: Path, gemini: FakeGemini) -> None:
    gemini.reply({"sections": [
        {"id": "x", "tag": "Intro", "start": 0.2},
        {"id": "y", "tag": "Chorus", "start": 2.13, "lines": [{"at": 2.3, "text": "the boat, the boat"}]},
        {"id": "coda", "tag": "Outro", "start": 3.2}]})
    res = draft(gemini, "song", str(small), "--write")
    assert res.exit_code == 0, res.stderr
    (body,) = gemini.generates()
    inline = [p.get("inlineData") or p.get("inline_data") for p in body["contents"][0]["parts"]
              if p.get("inlineData") or p.get("inline_data")]
    assert len(inline) == 1 and b64decode(inline[0]["data"]) == (small / "song.wav").read_bytes()
    assert not gemini.calls("upload")
    text = (small / "film.yaml").read_text(encoding="utf-8")
    assert "      tag: Intro\n      start: 0\n" in text  # a's start stays as written, its tag changes
    assert "      start: 2.0            # no shots yet\n" in text  # 2.13 snaps to the beat at 2.0: unchanged
    assert "- at: 2.5\n          text: \"the boat, the boat\"" in text  # 2.3 -> the beat at 2.5
    assert "- id: coda\n      tag: Outro\n      start: 3\n" in text  # a new section, snapped from 3.2
    assert "V240" in res.stderr  # the new section has no shots yet: said, not refused


def test_song_uploads_long_audio_through_the_files_api(lighthouse: Path, gemini: FakeGemini) -> None:
    gemini.reply({"sections": [{"id": "intro", "tag": "Intro", "start": 0}]})
    res = draft(gemini, "song", str(lighthouse))
    assert res.exit_code == 0, res.stderr
    start, chunk = gemini.calls("upload")
    assert start.headers["x-goog-upload-protocol"] == "resumable" and start.headers["x-goog-upload-command"] == "start"
    (received,) = gemini.received.values()
    assert received == (lighthouse / "audio" / "song.ogg").read_bytes()
    (body,) = gemini.generates()
    (fd,) = [p.get("fileData") or p.get("file_data") for p in body["contents"][0]["parts"]
             if p.get("fileData") or p.get("file_data")]
    assert (fd.get("fileUri") or fd.get("file_uri")).endswith("/files/" + next(iter(gemini.received)))
    assert gemini.calls("file-delete")  # the upload is removed once answered
    assert "(" in res.stderr and "audio)" in res.stderr  # audio tokens reported


# ---------------------------------------------------------------- storyboard


def test_storyboard_fills_the_section_and_says_what_it_dropped(small: Path, gemini: FakeGemini) -> None:
    gemini.reply({"shots": [
        {"id": "b1", "section": "b", "duration": 1.0, "size": "CU", "angle": "low", "camera": "slow push-in",
         "location": "pier", "cast": [{"id": "sailor", "action": "shading her eyes", "motion": "she waves"}]},
        {"id": "b2", "section": "b", "duration": 0.8, "size": "EWS", "angle": "high", "camera": "static",
         "subject": "a small boat on the horizon"},
        {"id": "b3", "section": "b", "duration": 0.5, "size": "WS", "angle": "eye-level", "camera": "tracking",
         "subject": "gulls over the water"}]})
    res = draft(gemini, "storyboard", str(small), "--write")
    assert res.exit_code == 0, res.stderr
    assert "b3: dropped" in res.stderr and "b2: lengthened from 0.8 s to 1 s" in res.stderr
    (body,) = gemini.generates()
    facts = json.loads(texts(body)[0])
    assert facts["draft"]["sections"] == [{"id": "b", "seconds_left": 2.0}]
    shot = body["generationConfig"]["responseSchema"]["properties"]["shots"]["items"]["properties"]
    assert shot["location"]["enum"] == ["pier"] and shot["cast"]["items"]["properties"]["id"]["enum"] == ["sailor"]
    assert "slow orbit-left" in shot["camera"]["enum"]
    ok = run_cli(["validate", "--strict", str(small)])
    assert ok.exit_code == 0, ok.stderr  # the drafted shots fill section b exactly
    timeline = run_cli(["timeline", str(small), "--format", "json"]).json()
    assert [(s["id"], s["duration"]) for s in timeline] == [("a1", 2.0), ("b1", 1.0), ("b2", 1.0)]


def test_storyboard_inserts_new_shots_in_song_order(lighthouse: Path, gemini: FakeGemini) -> None:
    film = lighthouse / "film.yaml"
    text = film.read_text(encoding="utf-8")
    a, b = text.index("  # --- verse1"), text.index("  # --- chorus1")
    film.write_text(text[:a] + text[b:], encoding="utf-8")  # verse1 without shots
    before = film.read_text(encoding="utf-8")
    res = draft(gemini, "storyboard", str(lighthouse), "--write")  # the fake drafts from the facts it is sent
    assert res.exit_code == 0, res.stderr
    after = film.read_text(encoding="utf-8")
    assert run_cli(["validate", str(lighthouse)]).exit_code == 0
    ids = [s["id"] for s in run_cli(["timeline", str(lighthouse), "--format", "json"]).json()]
    assert ids[:3] == ["s01", "s02", "s03"] and ids[3].startswith("verse1-") and ids[-1] == "s22"
    changes = [ln for ln in difflib.ndiff(before.splitlines(True), after.splitlines(True)) if ln[:2] in ("- ", "+ ")]
    assert changes and all(ln.startswith("+ ") for ln in changes)  # only new lines: everything else is as it was


def test_storyboard_refuses_unknown_references_naming_them(small: Path, gemini: FakeGemini) -> None:
    before = (small / "film.yaml").read_bytes()
    gemini.reply({"shots": [{"id": "b1", "section": "b", "duration": 2.0, "size": "CU", "angle": "low",
                             "camera": "static", "location": "lighthouse"}]})
    res = draft(gemini, "storyboard", str(small), "--write")
    assert res.exit_code == 1 and codes(res.stderr) == ["D708"]
    assert "'lighthouse' is not a location" in res.stderr and "known: pier" in res.stderr
    assert re.search(r"\.filmc/drafts/storyboard\.json:\d+:\d+: error\[D708\]", res.stderr)  # located in the answer
    assert (small / "film.yaml").read_bytes() == before


def test_unknown_section_asked_is_a_located_error_before_any_request(small: Path, gemini: FakeGemini) -> None:
    res = draft(gemini, "storyboard", str(small), "--section", "chorus")
    assert res.exit_code == 1 and codes(res.stderr) == ["D711"] and not gemini.generates()
    assert re.search(r"film\.yaml:\d+:\d+: error\[D711\]", res.stderr)


# ---------------------------------------------------------------- bad answers


def test_bad_answers_are_refused_and_leave_the_file_untouched(small: Path, gemini: FakeGemini) -> None:
    film = small / "film.yaml"
    before = film.read_bytes()
    shot = {"id": "b1", "section": "b", "duration": 2.0, "size": "CU", "angle": "low", "camera": "static"}
    cases = [
        ('{"shots": [{"id": "b1", "section": ', "STOP", "D706"),  # not JSON
        ({"shots": [shot]}, "MAX_TOKENS", "D705"),  # cut short
        ({"shots": [{**shot, "size": "XXL"}]}, "STOP", "D707"),  # against the schema
        ({"shots": [{**shot, "colour": "red"}]}, "STOP", "D707"),
        ({"shots": [{**shot, "camera": "spin"}]}, "STOP", "D707"),
        ({"shots": [{**shot, "id": "a1"}]}, "STOP", "D708"),  # an id already used
    ]
    for answer, finish, code in cases:
        gemini.reply(answer, finish=finish)
        res = draft(gemini, "storyboard", str(small), "--write")
        assert res.exit_code == 1, (code, res.stderr)
        assert codes(res.stderr)[0] == code, res.stderr
        assert "Traceback" not in res.stderr and film.read_bytes() == before
    res_schema = res  # the last: located in the kept answer
    assert ".filmc/drafts/storyboard.json" in res_schema.stderr
    ledger = [json.loads(x) for x in (small / ".filmc" / "ledger.jsonl").read_text().splitlines()]
    assert len([e for e in ledger if e["ev"] == "draft"]) == len(cases)  # every answer's tokens are recorded


def test_schema_violation_is_located_in_the_kept_answer(small: Path, gemini: FakeGemini) -> None:
    gemini.reply({"shots": [{"id": "b1", "section": "b", "duration": 2.0, "size": "XXL", "angle": "low",
                             "camera": "static"}]})
    res = draft(gemini, "storyboard", str(small))
    saved = small / ".filmc" / "drafts" / "storyboard.json"
    m = re.search(r"storyboard\.json:(\d+):(\d+): error\[D707\] (.*)", res.stderr)
    assert m and "XXL" in m.group(3)
    assert "XXL" in saved.read_text().splitlines()[int(m.group(1)) - 1]


def test_rate_limit_then_success_is_retried(small: Path, gemini: FakeGemini) -> None:
    gemini.fault("generate", error="rate_limit", retry_after=0.05)
    gemini.fault("generate", status=500, after_n=0)
    res = draft(gemini, "lyrics", str(small))
    assert res.exit_code == 0, res.stderr
    assert [r.status for r in gemini.calls("generate")] == [429, 500, 200]
    assert res.stderr.count("trying again") == 2


def test_gemini_busy_for_good_is_a_clear_error(small: Path, gemini: FakeGemini) -> None:
    gemini.fault("generate", error="rate_limit", retry_after=0.01, times=None)
    res = draft(gemini, "lyrics", str(small), "--write")
    assert res.exit_code == 1 and codes(res.stderr) == ["D704"] and "Traceback" not in res.stderr
    assert len(gemini.calls("generate")) == 4  # bounded


def test_file_changed_while_gemini_thinks_is_not_overwritten(small: Path, gemini: FakeGemini) -> None:
    film = small / "film.yaml"
    other = film.read_text(encoding="utf-8").replace("title: Tide Test", "title: Tide Test (edited)")
    gemini.before_answer = lambda body: film.write_text(other, encoding="utf-8")
    res = draft(gemini, "lyrics", str(small), "--write")
    assert res.exit_code == 1 and codes(res.stderr) == ["Y601"]
    assert film.read_text(encoding="utf-8") == other


# ---------------------------------------------------------------- keys


def test_no_key_is_a_clear_error(small: Path, gemini: FakeGemini) -> None:
    res = draft(gemini, "lyrics", str(small), env={"GEMINI_API_KEY": None})
    assert res.exit_code == 1 and codes(res.stderr) == ["D701"] and not gemini.requests


def test_the_key_appears_in_no_output(small: Path) -> None:
    key = "AIzaSy-very-secret-key-0123456789"
    with FakeGemini(key=key) as fake:
        fake.fault("generate", status=400, reason=f"API key {key} not valid")  # an error that quotes the key
        bad = draft(fake, "lyrics", str(small))
        ok = draft(fake, "lyrics", str(small), "--write")
        wrong = draft(fake, "lyrics", str(small), env={"GEMINI_API_KEY": key + "x"})
    assert bad.exit_code == 1 and codes(bad.stderr) == ["D703"] and "***" in bad.stderr
    assert ok.exit_code == 0, ok.stderr
    assert wrong.exit_code == 1 and codes(wrong.stderr) == ["D703"] and "GEMINI_API_KEY" in wrong.stderr
    files = [p for p in (small / ".filmc").rglob("*") if p.is_file()] + [small / "film.yaml"]
    for text in [bad.stdout, bad.stderr, ok.stdout, ok.stderr, wrong.stdout, wrong.stderr,
                 *(p.read_text(errors="replace") for p in files)]:
        assert key not in text


# ---------------------------------------------------------------- prompt and concept


def test_prompt_is_linted_and_shown_beside_the_compiled_one(lighthouse: Path, gemini: FakeGemini) -> None:
    gemini.reply({"prompt": "Aurel Maddox looks away toward the rainy window as the camera pushes in."})
    res = draft(gemini, "prompt", str(lighthouse), "s07", "--target", "kling", "--write")
    assert res.exit_code == 0, res.stderr
    (body,) = gemini.generates()
    facts = json.loads(texts(body)[0])
    assert facts["draft"]["kind"] == "video" and facts["draft"]["target"] == "kling"
    assert facts["draft"]["compiled"].startswith("The keeper")  # the compiled kling prompt, beside the draft
    assert res.stdout.index("compiled video prompt for kling") < res.stdout.index("drafted video prompt for kling")
    assert "warning[P401]" in res.stderr and "Aurel Maddox" in res.stderr  # the same lint as compiled prompts
    data = yaml.safe_load((lighthouse / "film.yaml").read_text(encoding="utf-8"))
    (s07,) = [s for s in data["shots"] if s["id"] == "s07"]
    assert s07["prompt"] == {"kling": "Aurel Maddox looks away toward the rainy window as the camera pushes in."}


def test_prompt_for_a_target_the_film_does_not_use(lighthouse: Path, gemini: FakeGemini) -> None:
    res = draft(gemini, "prompt", str(lighthouse), "s07", "--target", "luma")
    assert res.exit_code == 1 and codes(res.stderr) == ["D714"] and not gemini.generates()
    res = draft(gemini, "prompt", str(lighthouse), "s99", "--target", "kling")
    assert res.exit_code == 1 and codes(res.stderr) == ["D713"]


def test_concept_sets_descriptions_and_refuses_unknown_characters(small: Path, gemini: FakeGemini) -> None:
    concept = {"style": ["cinematic"], "palette": "grey and rust", "lighting": "dawn light", "avoid": ["text"],
               "motifs": ["a rope"], "worlds": [],
               "characters": [{"id": "captain", "description": "a man with a beard"}]}
    bad = draft(gemini, "concept", str(small), "--write")  # the fake's own answer: fine
    assert bad.exit_code == 0, bad.stderr
    gemini.reply(concept)
    res = draft(gemini, "concept", str(small), "--write")
    assert res.exit_code == 1 and codes(res.stderr) == ["D708"] and "'captain'" in res.stderr
    gemini.reply({**concept, "characters": [{"id": "sailor", "description": "a tall woman with red hair"}]})
    res = draft(gemini, "concept", str(small), "--write")
    assert res.exit_code == 0, res.stderr
    text = (small / "film.yaml").read_text(encoding="utf-8")
    assert "    description: a tall woman with red hair\n" in text and "palette: grey and rust" in text
    assert "    name: Ida Brenner       # for humans only\n" in text


# ---------------------------------------------------------------- spend


def test_drafting_spend_is_in_the_ledger_and_in_stats(small: Path, gemini: FakeGemini) -> None:
    assert draft(gemini, "lyrics", str(small)).exit_code == 0
    (event,) = [json.loads(x) for x in (small / ".filmc" / "ledger.jsonl").read_text().splitlines()]
    assert event["ev"] == "draft" and event["draft"] == "lyrics" and event["model"] == "gemini-3.8-flash"
    assert event["tokens_in"] > 0 and event["tokens_out"] > 0 and event["currency"] == "USD" and event["amount"] > 0
    st = run_cli(["stats", str(small), "--format", "json"]).json()
    (row,) = st["drafting"]
    assert row["drafts"] == 1 and row["tokens_in"] == event["tokens_in"]
    assert st["spend"]["USD"] == round(event["amount"], 6)
    assert "1 draft with Gemini" in run_cli(["stats", str(small)]).stdout


def test_model_option_reaches_the_request(small: Path, gemini: FakeGemini) -> None:
    res = draft(gemini, "lyrics", str(small), "--model", "gemini-2.5-flash")
    assert res.exit_code == 0, res.stderr
    assert gemini.calls("generate")[0].path.endswith("/models/gemini-2.5-flash:generateContent")


def test_filmc_starts_without_loading_google_genai() -> None:
    """The SDK is imported by the draft commands only: `filmc --help` stays lean."""
    import subprocess
    import sys

    code = ("import sys; from click.testing import CliRunner; from compiler.cli import main; "
            "CliRunner().invoke(main, ['--help']); CliRunner().invoke(main, ['draft', '--help']); "
            "print([m for m in sys.modules if m.startswith('google')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_filtered_answer_and_a_missing_story(small: Path, gemini: FakeGemini) -> None:
    gemini.reply("", finish="SAFETY")
    res = draft(gemini, "lyrics", str(small), "--write")
    assert res.exit_code == 1 and codes(res.stderr) == ["D709"]
    film = small / "film.yaml"
    film.write_text(film.read_text(encoding="utf-8").replace(
        "story: |\n  A woman waits on a pier for the boat that comes at dawn.\n", ""), encoding="utf-8")
    res = draft(gemini, "lyrics", str(small))
    assert res.exit_code == 1 and codes(res.stderr) == ["D710"] and len(gemini.generates()) == 1


def test_an_upload_still_processing_is_waited_for(lighthouse: Path, gemini: FakeGemini) -> None:
    gemini.file_state = "PROCESSING"
    gemini.reply({"sections": [{"id": "intro", "tag": "Intro", "start": 0}]})
    res = draft(gemini, "song", str(lighthouse))
    assert res.exit_code == 0, res.stderr
    assert len(gemini.calls("file")) == 2 and len(gemini.generates()) == 1  # PROCESSING, then ACTIVE


def test_the_fake_answers_on_v1_as_on_v1beta(gemini: FakeGemini) -> None:
    """google-genai 3.x calls /v1/ unless pinned (filmc pins v1beta): the fake answers both, in the real format."""
    from google import genai
    from google.genai import types

    client = genai.Client(api_key=gemini.key, http_options=types.HttpOptions(base_url=gemini.origin))
    gemini.reply({"ok": True})
    resp = client.models.generate_content(model="gemini-3.8-flash", contents="hi")
    assert resp.text == '{"ok": true}' and resp.usage_metadata.total_token_count > 0
    assert gemini.calls("generate")[0].path == "/v1/models/gemini-3.8-flash:generateContent"
