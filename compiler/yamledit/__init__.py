"""Edits of film.yaml that change only what they change (`filmc beats`, and any command that writes film.yaml).

An edit is a splice of the text: the file is parsed (the same parser as `validate`), each edited value
is located, and only its characters change, or a line is inserted or removed. Nothing else is re-emitted,
so comments, quoting, key order, indentation, flow-style mappings, anchors, tabs before comments, CRLF
line ends and a byte-order mark all stay as they were. Before anything is written the result is checked
twice: parsed again, it must mean the old document plus the change; and every line outside the edited
values must be byte-identical to the original. An edit that cannot meet both is refused with a located
Y6xx error, never guessed.

The write is atomic (a temp file beside the real file, fsync, os.replace), goes through a symlink to the
file it names, keeps the file's mode and (where allowed) its owner, and is refused when the file changed
on disk since it was read.

    with_edit = FilmEdit.open("film.yaml")
    with_edit.set(("song", "bpm"), 100, after=("duration",))
    print(with_edit.diff())
    with_edit.commit()

or, in one call: edit_film("film.yaml", lambda e: e.set(("song", "bpm"), 100)).
"""

from .edit import BOM, EditResult, FilmEdit, YamlEditError, edit_film, set_song_fields
from .emit import format_number

__all__ = ["BOM", "EditResult", "FilmEdit", "YamlEditError", "edit_film", "format_number", "set_song_fields"]
