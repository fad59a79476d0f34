"""Ids that name files: no two shots may give the same name (also on case-insensitive disks), and every
name must fit a file system. The names come from compiler.output_names, where the build makes them."""

from __future__ import annotations

from ..diagnostics import Collector
from ..model import Film
from ..output_names import (
    MAX_ID_LENGTH,
    MAX_NAME_BYTES,
    card_clip_id,
    distinct_names,
    shot_names,
    still_file,
    target_names,
)


def check_output_names(film: Film, diags: Collector) -> None:
    targets = list(dict.fromkeys(film.targets.image + film.targets.video)) or ["<target>"]
    owner: dict[str, tuple[str, str, str]] = {}  # folded name -> (what makes it, its pointer, the name as made)
    for i, card in enumerate(film.edit.cards):
        name = still_file(card_clip_id(i + 1))
        owner[name.casefold()] = (f"title card {i + 1}", card.pointer, name)
    fast = distinct_names(s.id for s in film.shots)  # (then only each id's length is checked)
    for shot in film.shots:
        if fast and len(shot.id) <= MAX_ID_LENGTH:
            continue
        ptr = f"{shot.pointer}/id"
        if len(shot.id) > MAX_ID_LENGTH:
            diags.error("V284", f"{ptr}: shot id is {len(shot.id)} characters long, over the limit of "
                        f"{MAX_ID_LENGTH}", ptr,
                        hint="shot ids name the shot's files (takes/<id>.<target>.png); use a short id, and put "
                             "the description in 'subject' or 'notes'")
            continue
        for name in shot_names(shot.id, targets, film.targets.image):
            folded = name.casefold()
            other = owner.get(folded)
            if other is None:
                owner[folded] = (shot.id, ptr, name)
                continue
            if other[0] == shot.id:
                continue  # the same id twice is V201's to report
            line = diags.source.locate(other[1])[0] if diags.source else 0
            where = f" (line {line})" if line else ""
            clash_with_card = other[0].startswith("title card")
            if other[2] == name:
                msg = f"{ptr}: shot id '{shot.id}' gives the same name as {_what(other[0])}: {name}"
            else:
                msg = (f"{ptr}: shot id '{shot.id}' and {_what(other[0])} differ only in case: {name} and "
                       f"{other[2]} are one file on case-insensitive disks (macOS, Windows)")
            if clash_with_card:
                hint = f"rename this shot: the edit names its title cards {card_clip_id(1)}, {card_clip_id(2)}, ..."
            else:
                hint = f"rename this shot or {_what(other[0])}{where}"
                if other[2] == name:
                    hint += "; ids ending in '.negative' or in an image target's name collide with another shot's files"
            diags.error("V283", msg, ptr, hint=hint)
            break
    for kind in ("image", "video"):
        for i, name in enumerate(getattr(film.targets, kind)):
            long = [n for n in target_names(name) if len(n.rsplit("/", 1)[-1].encode()) > MAX_NAME_BYTES]
            if long:
                ptr = f"/targets/{kind}/{i}"
                diags.error("V284", f"{ptr}: target name '{name[:40]}...' is too long to name its files ({long[0][:40]}...)",
                            ptr, hint=f"file names have at most {MAX_NAME_BYTES} bytes; rename the target's folder")



def _what(owner: str) -> str:
    return owner if owner.startswith("title card") else f"shot '{owner}'"
