"""render.sh: the edit as a standalone POSIX shell script (any ffmpeg >= 7 on PATH, or FFMPEG)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def sh_quote(arg: str) -> str:
    """Single-quote for sh: nothing inside '...' is special except ' itself."""
    return "'" + arg.replace("'", "'\\''") + "'"


def _controls(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def printf_format(arg: str) -> str:
    """`arg` as a printf format that prints it exactly, with every control character (newline, ESC...) as an
    octal escape: the script holds no raw control character. A NUL cannot be an argument: it is dropped."""
    out = []
    for ch in arg.replace("\x00", ""):
        if ch == "\\":
            out.append("\\\\")
        elif ch == "%":
            out.append("%%")
        elif unicodedata.category(ch) == "Cc":
            out.append("".join(f"\\{b:03o}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


class _Words:
    """Shell words for arguments; those holding control characters become variables set with printf
    before they are used (a leading 'X' keeps printf from reading an option, a trailing '_' keeps
    trailing newlines through the command substitution)."""

    def __init__(self) -> None:
        self.setup: list[str] = []

    def __call__(self, arg: str) -> str:
        if not _controls(arg):
            return sh_quote(arg)
        name = f"ARG{len(self.setup) + 1}"
        self.setup.append(f"{name}=$(printf {sh_quote('X' + printf_format(arg) + '_')}); "
                          f'{name}="${{{name}#X}}"; {name}="${{{name}%_}}"')
        return f'"${name}"'


# Unpacks texts.txt (see outputs.pack_texts): a line '<n> <file>', then the file's n lines, joined without a final LF.
_UNPACK = ("awk 'NR == 1 { next } left == 0 { left = $1; name = $2; sep = \"\"; next } "
           "{ printf \"%s%s\", sep, $0 > name; sep = \"\\n\"; if (--left == 0) close(name) }'")


def render_script(title: str, args: Sequence[str], output: str, srt: str | None, *, texts: str | None = None) -> str:
    """The script text. `args` are ffmpeg's arguments without the output; `output` is relative to the script;
    `texts`: the file holding the texts the graph draws, unpacked into text/ while ffmpeg runs."""
    title_line = " ".join(title.split())
    word = _Words()
    out_word = word(output)
    shown = output if output.isprintable() else "see film.yaml"
    parts = [sh_quote("-loglevel"), sh_quote("warning"), sh_quote("-stats")]
    for a in args:
        parts.append('"$GRAPH_OPT"' if a == "-/filter_complex" else word(a))
    parts.append('"file:$TMP"')
    lines = [
        "#!/bin/sh",
        "# Renders the film with ffmpeg. Written by `filmc build`: edit film.yaml, not this file.",
        f"# Film: {title_line}" if title_line.isprintable() else "# Film: (see film.yaml)",
        "#",
        "# Usage: sh render.sh [OUTPUT]    (default: " + shown + ", relative to this folder)",
        "# FFMPEG=/path/to/ffmpeg sh render.sh   uses that ffmpeg instead of the one on PATH.",
        "set -eu",
        *word.setup,
        'case "${1:-}" in',
        "  '') OUT=" + out_word + " ;;",
        '  /*) OUT="$1" ;;',
        '  *) OUT="$(pwd)/$1" ;;',
        "esac",
        'cd "$(dirname "$0")"',
        'FFMPEG="${FFMPEG:-ffmpeg}"',
        'if ! command -v "$FFMPEG" >/dev/null 2>&1; then',
        '  echo "render.sh: no ffmpeg found ($FFMPEG): put ffmpeg 7 on PATH, or set FFMPEG=/path/to/ffmpeg (the one'
        ' filmc uses: python -c \'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())\')" >&2',
        '  exit 127',
        'fi',
        "# ffmpeg 7 reads a filter graph file with -/filter_complex; older versions with -filter_complex_script.",
        "GRAPH_OPT=-/filter_complex",
        'case "$("$FFMPEG" -hide_banner -version 2>/dev/null | head -n 1)" in',
        "  'ffmpeg version '[3-6].*|'ffmpeg version n'[3-6].*) GRAPH_OPT=-filter_complex_script ;;",
        "esac",
        'mkdir -p "$(dirname "$OUT")"',
        'TMP="$OUT.part"',
    ]
    if texts:
        clean = 'rm -f "$TMP"; rm -rf text'
        lines += [f"trap '{clean}' EXIT", f"trap '{clean}; exit 130' INT TERM",
                  "# drawtext reads each text from a file of its own: the texts are unpacked for this render only.",
                  "rm -rf text && mkdir text", f"{_UNPACK} {sh_quote(texts)}"]
    else:
        lines += ["trap 'rm -f \"$TMP\"' EXIT", "trap 'rm -f \"$TMP\"; exit 130' INT TERM"]
    cmd = '"$FFMPEG" ' + " \\\n  ".join(_group(parts))
    lines.append(cmd)
    lines.append('mv -f "$TMP" "$OUT"')
    if srt:
        lines.append('cp ' + sh_quote(srt) + ' "${OUT%.*}.srt"')
    lines.append('echo "wrote $(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"')
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
