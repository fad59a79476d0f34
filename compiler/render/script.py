"""render.sh: the edit as a standalone POSIX shell script (any ffmpeg >= 7 on PATH, or FFMPEG)."""

from __future__ import annotations

from collections.abc import Sequence


def sh_quote(arg: str) -> str:
    """Single-quote for sh: nothing inside '...' is special except ' itself."""
    return "'" + arg.replace("'", "'\\''") + "'"


def render_script(title: str, args: Sequence[str], output: str, srt: str | None) -> str:
    """The script text. `args` are ffmpeg's arguments without the output; `output` is relative to the script."""
    title_line = " ".join(title.split())
    lines = [
        "#!/bin/sh",
        "# Renders the film with ffmpeg. Written by `filmc build`: edit film.yaml, not this file.",
        f"# Film: {title_line}" if title_line.isprintable() else "# Film: (see film.yaml)",
        "#",
        "# Usage: sh render.sh [OUTPUT]    (default: " + output + ", relative to this folder)",
        "# FFMPEG=/path/to/ffmpeg sh render.sh   uses that ffmpeg instead of the one on PATH.",
        "set -eu",
        'case "${1:-}" in',
        "  '') OUT=" + sh_quote(output) + " ;;",
        '  /*) OUT="$1" ;;',
        '  *) OUT="$(pwd)/$1" ;;',
        "esac",
        'cd "$(dirname "$0")"',
        'FFMPEG="${FFMPEG:-ffmpeg}"',
        "# ffmpeg 7 reads a filter graph file with -/filter_complex; older versions with -filter_complex_script.",
        "GRAPH_OPT=-/filter_complex",
        'case "$("$FFMPEG" -hide_banner -version 2>/dev/null | head -n 1)" in',
        "  'ffmpeg version '[3-6].*|'ffmpeg version n'[3-6].*) GRAPH_OPT=-filter_complex_script ;;",
        "esac",
        'mkdir -p "$(dirname "$OUT")"',
        'TMP="$OUT.part"',
        "trap 'rm -f \"$TMP\"' EXIT",
        "trap 'rm -f \"$TMP\"; exit 130' INT TERM",
    ]
    parts = [sh_quote("-loglevel"), sh_quote("warning"), sh_quote("-stats")]
    for a in args:
        if a == "-/filter_complex":
            parts.append('"$GRAPH_OPT"')
        else:
            parts.append(sh_quote(a))
    parts.append('"file:$TMP"')
    cmd = '"$FFMPEG" ' + " \\\n  ".join(_group(parts))
    lines.append(cmd)
    lines.append('mv -f "$TMP" "$OUT"')
    if srt:
        lines.append('cp ' + sh_quote(srt) + ' "${OUT%.*}.srt"')
    lines.append('echo "wrote $OUT"')
    return "\n".join(lines) + "\n"


def _is_opt(q: str) -> bool:
    return q == '"$GRAPH_OPT"' or (q.startswith("'-") and not q[2:3].isdigit())


def _group(parts: list[str]) -> list[str]:
    """One option and its value per line, for a readable script."""
    out: list[str] = []
    for p in parts:
        if out and " " not in out[-1] and _is_opt(out[-1]) and not _is_opt(p):
            out[-1] += " " + p
        else:
            out.append(p)
    return out
