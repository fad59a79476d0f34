"""Prompt snapshots: prompts.lock and the diff against it (`filmc lock`, `filmc diff`)."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

from .expand import Plan

LOCK_FORMAT = 1


def prompts_data(plan: Plan) -> dict[str, dict[str, dict[str, Any]]]:
    """{shot: {target: {"kind", "prompt", "negative"?, "segments"?}}} in screen and target order; an extended
    shot's later segments are a list of {"prompt", "negative"?} (segment 2 first)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for p in plan.prompts:
        entry: dict[str, Any] = {"kind": p.kind, "prompt": p.text}
        if p.negative:
            entry["negative"] = p.negative
        if p.segments:
            entry["segments"] = [{"prompt": t, **({"negative": n} if n else {})} for t, n in p.segments]
        out.setdefault(p.shot, {})[p.target] = entry
    order = {s.id: i for i, s in enumerate(plan.prod.shots)}
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items(), key=lambda kv: order.get(kv[0], 0))}


def lock_text(plan: Plan) -> str:
    data = {"format": LOCK_FORMAT, "film": plan.prod.film.info.title, "prompts": prompts_data(plan)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _lines(text: str | None) -> list[str]:
    """One sentence per line, so a changed sentence shows as one changed line."""
    if not text:
        return []
    return [s + "\n" for s in _SENTENCE.split(text.strip()) if s]


def _check_lock(locked: object) -> None:
    if not isinstance(locked, dict):
        raise ValueError("'prompts' is not a mapping")
    for shot, targets in locked.items():
        if not isinstance(targets, dict):
            raise ValueError(f"entry '{shot}' is not a mapping")
        for target, entry in targets.items():
            if not isinstance(entry, dict) or not all(isinstance(entry.get(k), (str, type(None)))
                                                      for k in ("prompt", "negative")):
                raise ValueError(f"entry '{shot}/{target}' is malformed")
            segs = entry.get("segments", [])
            if not isinstance(segs, list) or not all(isinstance(s, dict) and isinstance(s.get("prompt"), str)
                                                     and isinstance(s.get("negative"), (str, type(None)))
                                                     for s in segs):
                raise ValueError(f"entry '{shot}/{target}' has malformed segments")


def _parts(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """An entry's prompts by name: the shot's own ("") and each later segment's ("+2", "+3", ...)."""
    out = {"": entry}
    for n, seg in enumerate(entry.get("segments") or (), start=2):
        out[f"+{n}"] = seg
    return out


def diff_lock(plan: Plan, lock_path: Path) -> tuple[str, int]:
    """Unified diffs per shot and target, and how many prompts changed."""
    try:
        locked = json.loads(lock_path.read_text(encoding="utf-8")).get("prompts", {})
        _check_lock(locked)
    except (OSError, ValueError, AttributeError) as e:
        from .errors import UsageError

        raise UsageError(f"{lock_path} is not a prompts.lock file ({e}); run 'filmc lock' again") from None
    now = prompts_data(plan)
    out: list[str] = []
    changes = 0
    keys = list(dict.fromkeys([*now, *locked]))
    for shot in keys:
        targets = list(dict.fromkeys([*now.get(shot, {}), *locked.get(shot, {})]))
        for target in targets:
            pa = _parts(locked.get(shot, {}).get(target) or {})
            pb = _parts(now.get(shot, {}).get(target) or {})
            for part in dict.fromkeys([*pa, *pb]):
                a, b = pa.get(part) or {}, pb.get(part) or {}
                for field in ("prompt", "negative"):
                    old, new = a.get(field), b.get(field)
                    if old == new:
                        continue
                    changes += field == "prompt" or (a.get("prompt") == b.get("prompt"))
                    name = f"{shot}{part}/{target}" + ("" if field == "prompt" else ".negative")
                    out.extend(difflib.unified_diff(_lines(old), _lines(new), f"a/{name}", f"b/{name}"))
    return "".join(out), changes
