"""The names a film's ids become: build files, job ids, take files. One rule, used where the names are
made (emit writes the files, expand names the jobs) and where they are checked (validate refuses ids
whose names collide, also on case-insensitive disks, or are too long for a file system)."""

from __future__ import annotations

from collections.abc import Iterable

MAX_ID_LENGTH = 100  # characters of a shot id: its longest file name ('<id>.<target>.png') stays far below 255 bytes
MAX_NAME_BYTES = 255  # a file name (one path component) on every common file system


def sheet_file(target: str) -> str:
    """Every prompt of a target, shot by shot, readable and ready to paste (the requests are in its jobs file)."""
    return f"prompts/{target}.md"


def jobs_file(target: str) -> str:
    return f"jobs/{target}.jsonl"


def job_id(shot: str, target: str, segment: int = 1) -> str:
    return f"{shot}.{target}" + (f".{segment}" if segment > 1 else "")


def take_stems(shot: str, image_targets: Iterable[str]) -> list[str]:
    """Where a shot's first-frame image is looked for in takes/ (any image extension follows): its own
    name, then the name the generation stage gives each image target's result."""
    return [f"takes/{shot}"] + [f"takes/{shot}.{t}" for t in image_targets]


def card_clip_id(number: int) -> str:
    """The edit's name for title card `number` (1-based), beside the shots' ids."""
    return f"card-{number}"


def still_file(clip: str) -> str:
    """The still an exported timeline uses for a slate or title card, named after its clip (shot id or card)."""
    return f"slates/{clip}.png"


def shot_names(shot: str, targets: Iterable[str], image_targets: Iterable[str]) -> list[str]:
    """Every name shot `shot` gives a file or a job: two shots must never share one."""
    names: list[str] = []
    for t in targets:
        names.append(f"job {job_id(shot, t)}")
    names += [f"{stem}.png" for stem in take_stems(shot, image_targets)]
    names.append(still_file(shot))
    return names


def distinct_names(shots: Iterable[str]) -> bool:
    """Whether these shot ids give names no two of which are the same when case-folded (one file on a
    case-insensitive disk), told without making the names: ids distinct when case-folded, none with a '.' (which
    separates an id from a target or an extension in every name shot_names makes) or named like a title card's clip
    (card_clip_id). False: compare the names themselves."""
    folded = [s.casefold() for s in shots]
    card = card_clip_id(1)[:-1]
    return len(set(folded)) == len(folded) and not any("." in f or f.startswith(card) for f in folded)


def target_names(target: str) -> list[str]:
    """The files named after a target."""
    return [sheet_file(target), jobs_file(target)]
