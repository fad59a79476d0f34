"""A video take made from a first frame that has since changed is not kept silently: `filmc run` records the sha256 of
each image a video create starts from (the intent's `made_from`), and a take counts as done only while those are the
images the run would send now. Real HTTP against the fake Freepik on 127.0.0.1, real files, the real CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from compiler.store.ledger import LEDGER
from tests.conftest import run_cli
from tests.fakes import FakeBFL, FakeFreepik, FakeKling
from tests.jobs.test_kling_luma_hailuo_frames import film as frames_film
from tests.jobs.test_providers import fakes as fakes  # noqa: F401 (the fixture)
from tests.jobs.test_run import attempts, events, film
from tests.jobs.test_run import freepik as freepik  # noqa: F401 (the fixture)

S01 = "  - {id: s01, section: a, size: WS, subject: waves on black sand, background_motion: spray drifts}\n"


def new_image_prompt(root: Path, text: str = "a red dawn over black sand, waves rolling in") -> None:
    """Rewrite s01's image prompt only (a hand-written prompt for mystic): its video job's hash stays as it was."""
    yaml = root / "film.yaml"
    old = yaml.read_text(encoding="utf-8")
    assert S01 in old
    yaml.write_text(old.replace(S01, S01[:-2] + f", prompt: {{mystic: {{image: \"{text}\"}}}}}}\n"), encoding="utf-8")


def kling_creates(fake: FakeFreepik) -> list:
    return [c for c in fake.calls("create") if "kling" in c.path]


def run(root: Path, *args: str):  # noqa: ANN201 - the CLI's result
    return run_cli(["run", str(root), "--yes", *args])


def job_hashes(root: Path) -> dict[str, str]:
    return {a.job: a.hash for a in attempts(root).values()}


def test_a_new_first_frame_makes_the_video_again_and_then_nothing(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    before = run_cli(["run", str(root), "--dry-run"]).stdout.splitlines()
    listed = next(x for x in before if x.strip().startswith("s01.kling"))  # its endpoint and cost
    first = run(root)
    assert first.exit_code == 0, first.stderr
    assert freepik.create_count == 4
    hashes = job_hashes(root)
    # the intent of each video create names the image it starts from by its sha256
    by_job = {a.job: a for a in attempts(root).values()}
    image = (root / "takes/s01/mystic/1.png").read_bytes()
    assert by_job["s01.kling"].made_from == {"@job:s01.mystic": hashlib.sha256(image).hexdigest()}
    assert by_job["s01.mystic"].made_from == {}
    intents = [e for e in events(root) if e["ev"] == "intent" and e["job"] == "s01.kling"]
    assert intents[0]["made_from"] == {"@job:s01.mystic": hashlib.sha256(image).hexdigest()}

    new_image_prompt(root)
    dry = run_cli(["run", str(root), "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert "2 creates to send" in dry.stdout
    line = next(x for x in dry.stdout.splitlines() if x.strip().startswith("s01.kling"))
    assert line.startswith(listed) and "made again: its first frame" in line  # its cost, and why
    assert not any(x.strip().startswith("s02.") for x in dry.stdout.splitlines())
    assert freepik.create_count == 4

    second = run(root)
    assert second.exit_code == 0, second.stderr
    assert "s01.kling: made again" in second.stderr  # said before the run spends
    assert freepik.create_count == 6
    now = job_hashes(root)
    assert now["s01.kling"] == hashes["s01.kling"]  # the video job is the same job: only its first frame changed
    assert now["s01.mystic"] != hashes["s01.mystic"]
    new_image = (root / "takes/s01/mystic/2.png").read_bytes()
    sent = kling_creates(freepik)[-1]
    assert base64.b64decode(sent.body["image"]) == new_image  # the second video starts from the new image
    assert (root / "takes/s01/kling/1.mp4").is_file() and (root / "takes/s01/kling/2.mp4").is_file()

    third = run(root)
    assert third.exit_code == 0, third.stderr
    assert freepik.create_count == 6 and "nothing to send" in third.stderr


def test_nothing_changed_nothing_is_sent(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    assert run(root).exit_code == 0
    dry = run_cli(["run", str(root), "--dry-run"])
    assert "4 jobs: 4 have their takes" in dry.stdout and "0 creates to send" in dry.stdout
    again = run(root)
    assert again.exit_code == 0 and freepik.create_count == 4 and "nothing to send" in again.stderr


def older_ledger(root: Path) -> None:
    """The ledger as a filmc that did not record first frames wrote it: the same events, intents without `made_from`."""
    path = root / LEDGER
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        e = json.loads(raw)
        e.pop("made_from", None)
        lines.append(json.dumps(e, ensure_ascii=False, sort_keys=True))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert '"made_from"' not in path.read_text(encoding="utf-8")


def test_a_ledger_without_the_record_sends_nothing_new(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    assert run(root).exit_code == 0
    older_ledger(root)
    again = run(root)
    assert again.exit_code == 0 and freepik.create_count == 4 and "nothing to send" in again.stderr
    # its video takes count as made from the images there are: a new image is made, the video is not made again
    new_image_prompt(root)
    dry = run_cli(["run", str(root), "--dry-run"])
    assert "1 create to send" in dry.stdout and "s01.mystic" in dry.stdout and "s01.kling" not in dry.stdout
    last = run(root)
    assert last.exit_code == 0, last.stderr
    assert freepik.create_count == 5 and not kling_creates(freepik)[4:]


def test_the_old_take_is_listed_as_made_from_an_older_first_frame(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    assert run(root).exit_code == 0
    new_image_prompt(root)
    assert run(root, "--target", "mystic").exit_code == 0  # the image only: the video is not made yet
    listing = run_cli(["takes", str(root), "--format", "json"])
    assert listing.exit_code == 0, listing.stderr
    takes = {t["path"]: t for s in json.loads(listing.stdout)["shots"] for g in s["targets"] for t in g["takes"]}
    old = takes["takes/s01/kling/1.mp4"]
    assert old["older_frame"] and "first frame" in old["older_frame"] and old["stale"] is False
    assert takes["takes/s02/kling/1.mp4"]["older_frame"] is None
    assert takes["takes/s01/mystic/1.png"]["stale"] is True
    text = run_cli(["takes", str(root)])
    assert "1 from an older first frame" in text.stdout and "older first frame" in text.stdout
    # the planner says the same of it, by the same rule
    dry = run_cli(["run", str(root), "--dry-run"])
    line = next(x for x in dry.stdout.splitlines() if x.strip().startswith("s01.kling"))
    assert "its first frame changed since the take was made" in line
    assert "1 create to send" in dry.stdout
    # once made again, the new take is not marked (the old one still is: it stays on disk and listed)
    assert run(root).exit_code == 0 and freepik.create_count == 6
    takes = {t["path"]: t for s in json.loads(run_cli(["takes", str(root), "--format", "json"]).stdout)["shots"]
             for g in s["targets"] for t in g["takes"]}
    assert takes["takes/s01/kling/2.mp4"]["older_frame"] is None and takes["takes/s01/kling/1.mp4"]["older_frame"]


def test_a_chosen_image_take_holds_the_first_frame(tmp_path: Path, freepik: FakeFreepik) -> None:
    """The shot's `take:` is its first frame whatever the image job makes: a new image take changes no video."""
    root = film(tmp_path)
    assert run(root).exit_code == 0
    new_image_prompt(root)
    yaml = root / "film.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("  - {id: s01,", "  - {take: takes/s01/mystic/1.png, id: s01,"),
                    encoding="utf-8")
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert freepik.create_count == 5 and len(kling_creates(freepik)) == 2  # the image only


@pytest.mark.parametrize("fault", [{"status": 500, "record": True}])
def test_an_unknown_video_create_still_refuses(tmp_path: Path, freepik: FakeFreepik, fault: dict) -> None:
    """A video create of unknown outcome blocks its job as before, whatever image it was sent with."""
    root = film(tmp_path)
    freepik.fault("create", **fault, match=lambda r: "kling" in r.path and "Spray" in json.dumps(r.json))
    first = run(root)
    assert first.exit_code == 1 and "s01.kling: unknown" in first.stderr
    made = freepik.create_count
    new_image_prompt(root)
    dry = run_cli(["run", str(root), "--dry-run"])
    assert "waiting on a create of unknown outcome" in dry.stdout
    assert not any(x.strip().startswith("s01.kling") for x in dry.stdout.splitlines())
    again = run(root)
    assert again.exit_code == 1 and "--resubmit-unknown" in again.stderr
    assert freepik.create_count == made + 1  # the new image only
    assert len(kling_creates(freepik)) == 2


def test_extended_shot_segments_are_made_again_from_the_new_image(tmp_path: Path, freepik: FakeFreepik) -> None:
    shots = "shots:\n" + S01.replace("background_motion: spray drifts}", "background_motion: spray drifts, extend: true}")
    root = film(tmp_path, shots=shots)
    yaml = root / "film.yaml"
    yaml.write_text(yaml.read_text().replace("  duration: 10\n", "  duration: 16\n", 1))  # longer than kling's 10 s
    assert run(root).exit_code == 0
    assert freepik.create_count == 3
    seg2 = next(a for a in attempts(root).values() if a.job == "s01.kling.2")
    seg1 = next(a for a in attempts(root).values() if a.job == "s01.kling")
    assert seg2.made_from == {"@last-frame:s01.kling": seg1.sha256}  # the take its last frame was cut from
    old = root / "film.yaml"
    old.write_text(old.read_text().replace("background_motion: spray drifts, extend: true}",
                                           "background_motion: spray drifts, extend: true, "
                                           "prompt: {mystic: {image: \"a red dawn over black sand\"}}}"))
    dry = run_cli(["run", str(root), "--dry-run"])
    assert "3 creates to send" in dry.stdout, dry.stdout
    assert "the segment before it is made again in this run" in dry.stdout
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert freepik.create_count == 6
    assert run(root).exit_code == 0 and freepik.create_count == 6


def test_a_chosen_video_take_is_not_made_again_for_a_new_first_frame(tmp_path: Path, freepik: FakeFreepik) -> None:
    """The shot's `take:` is a video: the edit plays it, so a new first frame makes the image again and not the video
    (the dry run and the run agree); the listing still marks the clip as made from an older first frame."""
    root = film(tmp_path)
    assert run(root).exit_code == 0
    new_image_prompt(root)
    chose = run_cli(["select", str(root), "s01", "kling/1"])
    assert chose.exit_code == 0, chose.stderr
    dry = run_cli(["run", str(root), "--dry-run"])
    assert dry.exit_code == 0, dry.stdout
    assert "1 create to send" in dry.stdout and "s01.mystic" in dry.stdout
    (kept,) = [x.strip() for x in dry.stdout.splitlines() if x.strip().startswith("s01.kling")]
    assert kept.startswith("s01.kling: not made again: the shot's take: is one of its clips (its first frame")
    assert f"'filmc select {os.path.relpath(root)} s01 --clear'" in kept  # (said, as it is not sent)
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert freepik.create_count == 5 and len(kling_creates(freepik)) == 2  # the image only
    assert (root / "takes/s01/mystic/2.png").is_file() and not (root / "takes/s01/kling/2.mp4").exists()
    built = run_cli(["build", str(root)])
    assert built.exit_code == 0, built.stderr
    edit = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (root / "build/edit").rglob("*")
                   if p.is_file() and p.suffix in (".json", ".txt", ".sh", ".ffconcat", ".edl", ""))
    assert "takes/s01/kling/1.mp4" in edit
    listing = json.loads(run_cli(["takes", str(root), "--format", "json"]).stdout)
    (old,) = [t for s in listing["shots"] for g in s["targets"] for t in g["takes"] if t["path"] == "takes/s01/kling/1.mp4"]
    assert old["selected"] and old["older_frame"] and "first frame" in old["older_frame"]
    again = run(root)
    assert again.exit_code == 0 and freepik.create_count == 5 and "nothing to send" in again.stderr


def test_the_rule_is_the_same_whatever_the_run_sends(tmp_path: Path, freepik: FakeFreepik) -> None:
    """A take counts by the images of its job's current prompt, whether or not the image job is in the run: the
    video alone sends nothing while its first frame is not made, and a take of a prompt the film went back to
    counts again (no run pays for a clip another run calls older)."""
    root = film(tmp_path)
    assert run(root).exit_code == 0 and freepik.create_count == 4
    yaml = root / "film.yaml"
    first_prompt = yaml.read_text(encoding="utf-8")
    new_image_prompt(root)
    # the video alone: its first frame (a take of the new prompt) does not exist, and this run does not make it
    dry = run_cli(["run", str(root), "--dry-run", "--target", "kling"])
    assert dry.exit_code == 0, dry.stderr
    assert "0 creates to send" in dry.stdout
    assert "s01.kling: not sent: waits for its first frame: the image job s01.mystic" in dry.stdout
    alone = run(root, "--target", "kling")
    assert alone.exit_code == 0, alone.stderr
    assert freepik.create_count == 4 and "nothing to send" in alone.stderr and "waits for its first frame" in alone.stderr
    assert run(root, "--target", "mystic").exit_code == 0 and freepik.create_count == 5  # the new prompt's image
    yaml.write_text(first_prompt, encoding="utf-8")  # back to the first prompt: its image and its clip stand
    takes = {t["path"]: t for s in json.loads(run_cli(["takes", str(root), "--format", "json"]).stdout)["shots"]
             for g in s["targets"] for t in g["takes"]}
    assert takes["takes/s01/kling/1.mp4"]["older_frame"] is None
    dry = run_cli(["run", str(root), "--dry-run", "--target", "kling"])
    assert "2 jobs: 2 have their takes" in dry.stdout and "0 creates to send" in dry.stdout, dry.stdout
    alone = run(root, "--target", "kling")
    assert alone.exit_code == 0 and freepik.create_count == 5 and "made again" not in alone.stderr
    dry = run_cli(["run", str(root), "--dry-run"])
    assert "4 jobs: 4 have their takes" in dry.stdout and "0 creates to send" in dry.stdout, dry.stdout
    full = run(root)
    assert full.exit_code == 0 and freepik.create_count == 5 and "nothing to send" in full.stderr
    # the new prompt again: its image is there, so a full run and the video alone agree (the clip is made again)
    new_image_prompt(root)
    dry_alone = run_cli(["run", str(root), "--dry-run", "--target", "kling"])
    dry_full = run_cli(["run", str(root), "--dry-run"])
    for d in (dry_alone, dry_full):
        line = next(x for x in d.stdout.splitlines() if x.strip().startswith("s01.kling"))
        assert "1 create to send" in d.stdout and "made again: its first frame changed" in line, d.stdout
    assert run(root, "--target", "kling").exit_code == 0 and freepik.create_count == 6
    new_image = (root / "takes/s01/mystic/2.png").read_bytes()
    assert base64.b64decode(kling_creates(freepik)[-1].body["image"]) == new_image
    assert run(root).exit_code == 0 and freepik.create_count == 6


def test_a_second_take_makes_only_the_second_takes(tmp_path: Path, freepik: FakeFreepik) -> None:
    """--takes 2 after --takes 1: a new image take and a new clip per shot; the clip made from the first image take
    still counts."""
    root = film(tmp_path)
    assert run(root, "--takes", "1").exit_code == 0 and freepik.create_count == 4
    dry = run_cli(["run", str(root), "--dry-run", "--takes", "2"])
    assert "4 creates to send" in dry.stdout and "made again" not in dry.stdout, dry.stdout
    res = run(root, "--takes", "2")
    assert res.exit_code == 0, res.stderr
    creates = freepik.calls("create")
    assert len(creates) == 8
    assert sum("kling" in c.path for c in creates[4:]) == 2 and sum("kling" not in c.path for c in creates[4:]) == 2
    for shot in ("s01", "s02"):
        assert (root / f"takes/{shot}/mystic/2.png").is_file() and (root / f"takes/{shot}/kling/2.mp4").is_file()
    second = next(a for a in attempts(root).values() if a.job == "s01.kling" and a.take == 2)
    assert second.made_from == {"@job:s01.mystic": hashlib.sha256((root / "takes/s01/mystic/2.png").read_bytes()).hexdigest()}
    again = run(root, "--takes", "2")
    assert again.exit_code == 0 and freepik.create_count == 8 and "nothing to send" in again.stderr
    assert run(root).exit_code == 0 and freepik.create_count == 8


def test_more_image_takes_leave_the_clips_alone(tmp_path: Path, freepik: FakeFreepik) -> None:
    root = film(tmp_path)
    assert run(root).exit_code == 0 and freepik.create_count == 4
    assert run(root, "--target", "mystic", "--takes", "2").exit_code == 0 and freepik.create_count == 6
    dry = run_cli(["run", str(root), "--dry-run"])
    assert "4 jobs: 4 have their takes" in dry.stdout and "0 creates to send" in dry.stdout, dry.stdout
    res = run(root)
    assert res.exit_code == 0 and freepik.create_count == 6 and "nothing to send" in res.stderr
    listing = json.loads(run_cli(["takes", str(root), "--format", "json"]).stdout)
    assert not [t for s in listing["shots"] for g in s["targets"] for t in g["takes"] if t["older_frame"]]


def test_a_take_that_cannot_be_read_has_no_digest(tmp_path: Path) -> None:
    """A folder, or a link to nothing, where a take's file should be: no digest (nothing to compare), no traceback."""
    from compiler.store.frame_stamps import digest

    (tmp_path / "folder.png").mkdir()
    (tmp_path / "gone.png").symlink_to(tmp_path / "nowhere.png")
    assert digest(tmp_path / "folder.png") == "" and digest(tmp_path / "gone.png") == ""
    (tmp_path / "a.png").write_bytes(b"png")
    assert digest(tmp_path / "a.png") == hashlib.sha256(b"png").hexdigest()


def test_a_new_end_frame_makes_the_clip_that_ends_on_it_again(tmp_path: Path, fakes: Any) -> None:
    """`end_frame: next`: s01's clip ends on s02's image; a new s02 image makes s01's clip (and s02's) again."""
    bfl, kling = fakes(FakeBFL(steps=1), FakeKling(steps=1))
    root = frames_film(tmp_path, "kling", "flux: {provider: bfl}, kling: {provider: kling, model: kling-v2-1, mode: pro}")
    assert run(root).exit_code == 0
    assert len(kling.calls("create")) == 2 and len(bfl.calls("create")) == 2
    s02 = "  - {id: s02, section: a, size: WS, subject: a lighthouse in fog, background_motion: fog rolls}\n"
    yaml = root / "film.yaml"
    yaml.write_text(yaml.read_text().replace(s02, s02[:-2] + ", prompt: {flux: {image: \"a lighthouse at dusk\"}}}\n"))
    dry = run_cli(["run", str(root), "--dry-run"])
    assert "3 creates to send" in dry.stdout, dry.stdout
    line = next(x for x in dry.stdout.splitlines() if x.strip().startswith("s01.kling"))
    assert "its end frame is made again in this run" in line
    res = run(root)
    assert res.exit_code == 0, res.stderr
    assert len(kling.calls("create")) == 4 and len(bfl.calls("create")) == 3
    new_image = next(a for a in attempts(root).values() if a.job == "s02.flux" and a.take == 2)
    tail = next(c for c in kling.calls("create")[2:] if "image_tail" in c.body)
    assert base64.b64decode(tail.body["image_tail"]) == (root / new_image.path).read_bytes()
    assert run(root).exit_code == 0 and len(kling.calls("create")) == 4


def test_a_failed_remake_is_not_reported_done_with_the_older_take(tmp_path: Path, freepik: FakeFreepik) -> None:
    """The video made again from the new first frame fails at the provider: the job failed (the take from the older
    first frame does not make it done), and the run says so in its exit status."""
    root = film(tmp_path)
    assert run(root).exit_code == 0
    new_image_prompt(root)
    freepik.fault("poll", outcome="failed", reason="the task failed", times=None, match=lambda r: "kling" in r.path)
    res = run(root)
    assert len(kling_creates(freepik)) == 3
    assert "s01.kling: failed" in res.stderr and "s01.kling: done" not in res.stderr, res.stderr
    assert res.exit_code == 1


def test_a_second_take_after_a_remake_says_why_the_first_clip_does_not_count(tmp_path: Path,
                                                                              freepik: FakeFreepik) -> None:
    """After a new image prompt made the image and its clip again, `--takes 2` makes one more clip: the clip made
    from the older image does not count, because that image changed (not because the image is made again now)."""
    root = film(tmp_path)
    assert run(root).exit_code == 0
    new_image_prompt(root)
    assert run(root).exit_code == 0
    dry = run_cli(["run", str(root), "--dry-run", "--takes", "2", "--select", "s01"])
    line = next(x for x in dry.stdout.splitlines() if x.strip().startswith("s01.kling"))
    assert "made again: its first frame changed since the take was made" in line, dry.stdout
