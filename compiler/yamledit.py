"""Comment-preserving edits of film.yaml (ruamel.yaml).

ruamel.yaml's round trip keeps comments, but re-emitting a whole document can still move
things a creator wrote by hand (line widths, spacing, indentation of sequences). So an edit
is a splice: ruamel.yaml parses the file and says where each value is; only those
characters change, or one line is inserted, and the result is parsed again to check that
it means the old document plus the change. Only when that cannot be done (a flow-style
`song: {...}`, say) is the document re-emitted by ruamel.yaml's round trip.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .fsutil import write_atomic

_VALUE = re.compile(r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^#\n]*?)([ \t]+#.*)?$""")
# Where a new key goes: after the first of these that the mapping has (else first in the mapping).
_AFTER = {"bpm": ("duration", "audio"), "beat_offset": ("bpm", "duration", "audio")}


class YamlEditError(Exception):
    pass


def _yaml():  # type: ignore[no-untyped-def]
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    return y


def format_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _splice(text: str, fields: dict[str, float]) -> str | None:
    """The edited text, or None when a splice is not possible."""
    data = _yaml().load(text)
    song = data.get("song") if isinstance(data, Mapping) else None
    if not isinstance(song, Mapping) or not hasattr(song, "lc") or song.fa.flow_style():
        return None
    lines = text.splitlines(keepends=True)
    for key, value in fields.items():
        new = format_number(value)
        if key in song:
            if isinstance(song[key], (Mapping, list)):
                return None
            line, col = song.lc.value(key)
            src = lines[line]
            body, nl = (src[:-2], "\r\n") if src.endswith("\r\n") else (src.rstrip("\n"), "\n" if src.endswith("\n") else "")
            m = _VALUE.match(body, col)
            if not m:
                return None
            old, comment = m.group(1), m.group(2) or ""
            if comment:
                pad = len(old) + (len(comment) - len(comment.lstrip())) - len(new)
                comment = " " * max(pad, 1) + comment.lstrip()
            lines[line] = body[:col] + new + comment + nl
        else:
            keys = list(song.keys())
            if not keys:
                return None
            indent = song.lc.key(keys[0])[1]
            anchor = next((k for k in _AFTER.get(key, ()) if k in song and not isinstance(song[k], (Mapping, list))), None)
            nl = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
            if anchor is not None:
                kline = song.lc.key(anchor)[0]
                vline = song.lc.value(anchor)[0]
                if vline != kline or not isinstance(song[anchor], (int, float, str)) or "\n" in str(song[anchor]):
                    return None
                at = kline + 1
            else:
                at = song.lc.key(keys[0])[0]
            if at > 0 and not lines[at - 1].endswith(("\n", "\r")):
                lines[at - 1] += nl
            lines.insert(at, " " * indent + f"{key}: {new}{nl}")
            # later keys' positions moved: re-parse before the next field
            text = "".join(lines)
            data = _yaml().load(text)
            song = data["song"]
            lines = text.splitlines(keepends=True)
    return "".join(lines)


def _roundtrip(text: str, fields: dict[str, float]) -> str:
    y = _yaml()
    data = y.load(text)
    song = data.get("song") if isinstance(data, Mapping) else None
    if not isinstance(song, Mapping):
        raise YamlEditError("film.yaml has no song: mapping")
    for key, value in fields.items():
        song[key] = int(value) if float(value).is_integer() else value
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def set_song_fields(path: Path, fields: dict[str, float]) -> bool:
    """Insert or update keys under `song:` in film.yaml, keeping comments and formatting; atomic.

    Returns False when the file already had these values (nothing written)."""
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    before = _plain(_yaml().load(text))
    if not isinstance(before, dict) or not isinstance(before.get("song"), dict):
        raise YamlEditError(f"{path}: no song: mapping to write into")
    want = dict(before)
    want["song"] = {**before["song"], **{k: (int(v) if float(v).is_integer() else v) for k, v in fields.items()}}
    if before == want:
        return False
    edited = None
    try:
        edited = _splice(text, fields)
    except Exception:  # noqa: BLE001 - any surprise: fall back to the full round trip
        edited = None
    if edited is None or _plain(_yaml().load(edited)) != want:
        edited = _roundtrip(text, fields)
        if _plain(_yaml().load(edited)) != want:
            raise YamlEditError(f"{path}: could not write {', '.join(fields)} under song:")
    write_atomic(path, edited)
    return True
