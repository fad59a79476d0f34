"""`filmc select`: write the chosen take into a shot's `take:` in film.yaml (or remove it).

A take is named the way `filmc takes` shows it: `<target>/<n>`, a bare number `n` (a take of the shot's
video target, when only one of them has a take with that number), or the path of a file inside the film's
folder (relative to the current folder, to the film's folder or to takes/<shot>/; or absolute). The file must
be a regular media file; a take whose quality checks failed is refused unless forced. The edit goes through
compiler/yamledit.py: only the `take:` line changes, atomically, and never over a film.yaml changed meanwhile.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Collector, did_you_mean
from ..errors import FilmError
from ..store.attempts import clean_path
from .listing import expectation, shot_info
from .takes_model import MEDIA_EXTS, QC, ShotTakes, Take, media_kind
from .takes_scan import collect

_NUMBER = re.compile(r"^\d+$")
_TARGET_NUMBER = re.compile(r"^([^/\\]+)/(\d+)$")
AFTER = ("duration", "section", "id")  # where a new `take:` goes in the shot's mapping


@dataclass
class Selection:
    shot: str
    before: str | None  # the shot's `take:` before
    after: str | None  # ... and after (None: removed)
    take: Take | None = None  # what was chosen (None with --clear)
    diff: str = ""
    written: bool = False
    notes: list[str] = field(default_factory=list)  # things worth saying (old prompt, QC forced)


def select_take(film: str | Path, shot: str, ref: str | None, *, clear: bool = False, force: bool = False,
                dry_run: bool = False, allow_outside: bool = False, cwd: Path | None = None,
                check_timeout: float = 300.0) -> Selection:
    """Set (or with `clear` remove) `shot`'s `take:`; FilmError (C52x, located at the shot) when refused."""
    from ..loading import film_path, resolve_film
    from ..store.attempts import read_attempts
    from ..yamledit import FilmEdit

    prod = resolve_film(film, allow_outside=allow_outside)
    c = prod.collector()
    rs = next((s for s in prod.shots if s.id == shot), None)
    if rs is None:
        c.error("C520", f"no shot '{shot}' in the film", "/shots", key=True,
                hint=did_you_mean(shot, [s.id for s in prod.shots]))
        raise FilmError(c.items, prod.sources())
    root = prod.film.root
    where = f"{rs.shot.pointer}/id"
    before = rs.shot.take
    chosen: Take | None = None
    notes: list[str] = []
    if not clear:
        if not ref:
            raise ValueError("a take to select, or clear")
        attempts, _ = read_attempts(root)
        kinds: dict[str, str | None] = {n: t.kind for n, t in prod.targets.items()}
        for a in attempts.values():
            if a.target and a.target not in kinds:
                kinds[a.target] = None
        [st], _ = collect(root, [shot_info(rs)], film_targets=[*prod.film.targets.image, *prod.film.targets.video],
                          kinds=kinds, attempts=attempts, orphans=False)
        chosen = _find(ref, st, root, cwd or Path.cwd(), kinds, allow_outside, c, where, prod.sources())
        if chosen.later:
            first = _segment_one(chosen, st)
            c.error("R107", f"shot '{shot}': take {chosen.ref} is segment {chosen.segment} of {chosen.segments} of the "
                    "extended shot, not a take of its own", where,
                    hint=f"select segment 1's take{f' ({first})' if first else ''}: render plays the later segments "
                    "after it")
            raise FilmError(c.items, prod.sources())
        if chosen.qc is None:  # not checked by the run: check it now
            from .qc import check_take

            full = Path(chosen.path) if os.path.isabs(chosen.path) else root / chosen.path
            r = check_take(full, expectation(chosen, shot_info(rs).need, prod.film.info.aspect), display=chosen.path,
                           timeout=check_timeout)
            chosen.qc = QC(r.ok, tuple(f.as_dict() for f in r.findings), "check")
        if chosen.failed_qc:
            found = "; ".join(f"{f['code']} {f['message']}" for f in chosen.qc.findings) if chosen.qc else ""
            if not force:
                c.error("C525", f"shot '{shot}': take {chosen.ref} failed the quality checks: {found}", where,
                        hint="pick another take (filmc takes), or pass --force to use this one anyway")
                raise FilmError(c.items, prod.sources())
            notes.append(f"take {chosen.ref} failed the quality checks (used because of --force): {found}")
        elif chosen.qc and chosen.qc.findings:
            notes.append("quality check warnings: " + "; ".join(f"{f['code']} {f['message']}"
                                                                 for f in chosen.qc.findings))
    after = chosen.path if chosen else None
    if after == clean_path(before) or (clear and before is None):
        return Selection(shot, before, after, chosen, "", False, notes)
    path = film_path(film)
    edit = FilmEdit.open(path, display=str(path))
    index = _index(edit.data, shot)
    if index is None:  # film.yaml changed since it was read: the edit would land elsewhere
        c.error("Y601", f"film.yaml changed on disk while '{shot}' was being selected; nothing was written",
                hint="run the command again")
        raise FilmError(c.items, prod.sources())
    if clear:
        edit.delete(("shots", index, "take"))
    else:
        edit.set(("shots", index, "take"), after, after=AFTER)
    result = edit.commit(dry_run=dry_run)
    return Selection(shot, before, after, chosen, result.diff, result.written, notes)


def _segment_one(later: Take, st: ShotTakes) -> str | None:
    """The segment-1 take a later segment was made from (following the chain back), when the ledger says so."""
    by_attempt = {t.attempt: t for t in st.takes if t.attempt}
    t: Take | None = later
    while t is not None and t.later:
        t = by_attempt.get(t.chained_from or "")
    return t.ref if t is not None and t.segment == 1 else None


def _index(data: Any, shot: str) -> int | None:
    shots = data.get("shots") if isinstance(data, dict) else None
    for i, s in enumerate(shots if isinstance(shots, list) else ()):
        if isinstance(s, dict) and s.get("id") == shot:
            return i
    return None


def _find(ref: str, st: ShotTakes, root: Path, cwd: Path, kinds: dict[str, str | None], allow_outside: bool,
          c: Collector, where: str, sources: Any) -> Take:
    """The take `ref` names among the shot's, or a located refusal."""

    def refuse(code: str, message: str, hint: str | None = None) -> FilmError:
        c.error(code, f"shot '{st.shot}': {message}", where, hint=hint)
        return FilmError(c.items, sources)

    numbered = [t for t in st.takes if t.target and t.number is not None]
    choices = ", ".join(dict.fromkeys(t.ref for t in numbered)) or "none"
    m = _TARGET_NUMBER.match(ref)
    if _NUMBER.match(ref) or (m and m.group(1) in kinds):
        if m:
            target, n = m.group(1), int(m.group(2))
            hits = [t for t in numbered if t.target == target and t.number == n]
        else:
            n = int(ref)
            videos = [t for t in numbered if kinds.get(t.target or "") == "video"]
            hits = [t for t in videos if t.number == n]
            targets = sorted({t.target for t in hits if t.target})
            if len(targets) > 1:
                raise refuse("C522", f"take {n} is ambiguous: the shot has take {n} of several video targets",
                             hint="name one: " + ", ".join(f"{t}/{n}" for t in targets))
        if not hits:
            raise refuse("C521", f"no take {ref}", hint=f"the shot's takes: {choices} (filmc takes FILM {st.shot})")
        runner = [t for t in hits if t.source == "runner"]
        if len({t.path for t in hits}) > 1 and len(runner) != 1:
            raise refuse("C522", f"take {ref} is ambiguous: " + ", ".join(t.path for t in hits),
                         hint="name the file instead")
        take = runner[0] if runner else hits[0]
        if not take.exists:
            raise refuse("C524", f"take {ref} ({take.path}) is gone: the run downloaded it, the file is not there "
                         "any more", hint="pick another take, or generate again (filmc run)")
        return _usable(take, root, allow_outside, refuse)
    # a path: as typed from here, from the film's folder, from takes/<shot>/
    typed = Path(os.path.expanduser(ref))
    bases = [typed] if typed.is_absolute() else [cwd / typed, root / typed, root / "takes" / st.shot / typed]
    existing = [p for p in bases if os.path.lexists(p)]
    inside = [p for p in existing if _inside(root, p)]
    pick: Path | None = next(iter(inside or existing), None)
    if pick is None:
        hint = f"the shot's takes: {choices}" if numbered else "give the path of a take file"
        raise refuse("C521", f"no take or file '{ref}'", hint=hint)
    rel = _rel(root, pick)
    if not _inside(root, pick):
        if not allow_outside:
            raise refuse("C523", f"'{ref}' is outside the film's folder",
                         hint="copy it into takes/" + st.shot + "/ (or pass --allow-outside-paths)")
    path = rel if rel is not None else os.path.abspath(pick)
    for t in st.takes:
        if t.path == path:
            return _usable(t, root, allow_outside, refuse)
    kind = media_kind(path)
    take = Take(path, kind or "video", "dropped", exists=True)
    return _usable(take, root, allow_outside, refuse)


def _usable(take: Take, root: Path, allow_outside: bool, refuse: Any) -> Take:
    full = Path(take.path) if os.path.isabs(take.path) else root / take.path
    try:
        st = os.stat(full)
    except FileNotFoundError:
        raise refuse("C524", f"'{take.path}' does not exist") from None
    except OSError as e:
        raise refuse("C524", f"'{take.path}' cannot be read ({e.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file (a pipe, socket or device)"
        raise refuse("C524", f"'{take.path}' is {what}")
    if not take.path.lower().endswith(MEDIA_EXTS):
        raise refuse("C524", f"'{take.path}' is not a picture or video file",
                     hint="takes are " + " ".join(MEDIA_EXTS) + " files")
    if not allow_outside and not _inside(root, full):
        raise refuse("C523", f"'{take.path}' leads outside the film's folder (a link)",
                     hint="copy the file into takes/ (or pass --allow-outside-paths)")
    return take


def _inside(root: Path, path: Path) -> bool:
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(path)]) == real_root


def _rel(root: Path, path: Path) -> str | None:
    """The path relative to the film's folder as the creator named it (links not followed), when inside."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        try:  # the film's folder named through a link (/tmp -> /private/tmp)
            return Path(os.path.realpath(path)).relative_to(os.path.realpath(root)).as_posix()
        except ValueError:
            return None
