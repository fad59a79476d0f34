"""film.yaml on disk: read without blocking on a FIFO or device, and replaced atomically, through a symlink, with
its mode and owner, only when it is still the file that was read."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..diagnostics import Collector
from ..errors import FilmError
from .splice import Refuse


def read_regular(target: Path, shown: str, named: Path) -> bytes:
    """The file's bytes; a FIFO or device is refused without blocking on it."""
    from ..load import MAX_BYTES

    c = Collector(shown)
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        c.error("L100", f"no such file: {shown}", hint="run 'filmc init' to create a film.yaml")
        raise FilmError(c.items) from None
    except OSError as e:
        c.error("L100", f"cannot read {shown}: {e.strerror}")
        raise FilmError(c.items) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file (a pipe or device)"
            c.error("Y605", f"{shown} is {what}: film.yaml edits need a regular file")
            raise FilmError(c.items)
        if st.st_size > MAX_BYTES:
            c.error("L103", f"the file is too large ({st.st_size} bytes; the limit is {MAX_BYTES})")
            raise FilmError(c.items)
        chunks = []
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


def replace_checked(target: Path, raw: bytes, *, digest: bytes, display: str, named: Path, refuse: Refuse,
                    before_replace: Callable[[], None] | None = None) -> None:
    """Write raw over target (the real file; `named` is the name it was read by) atomically: a temp file beside
    it with its owner and mode, fsync, then os.replace, refused (Y601) when the file on disk is no longer the
    one read (its sha256 is not `digest`) and when it cannot be written (Y605). before_replace runs just before
    the final check (where another program's save would race with this one)."""
    try:
        st = os.stat(target)
    except OSError as e:
        refuse("Y601", (), f"{display} is gone or unreadable ({e.strerror}); nothing was written")
    if not os.access(target, os.W_OK):
        refuse("Y605", (), f"{display} is read-only; nothing was written",
               hint="make it writable (chmod u+w) and run again")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        refuse("Y605", (), f"cannot write beside {target}: {e.strerror}; nothing was written")
    try:
        with os.fdopen(fd, "wb") as f:
            keep_owner_and_mode(f.fileno(), st)
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        if before_replace is not None:
            before_replace()
        try:
            now = read_regular(target, display, named)
        except FilmError:
            now = None
        if now is None or hashlib.sha256(now).digest() != digest:
            refuse("Y601", (), f"{display} changed on disk after it was read; nothing was written "
                   "(the file keeps the other change)", hint="run the command again")
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename durable
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def keep_owner_and_mode(fd: int, st: os.stat_result) -> None:
    """Give the new file the old one's owner (where allowed) and mode."""
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        for uid, gid in ((st.st_uid, st.st_gid), (-1, st.st_gid)):  # a user may still set a group they are in
            try:
                os.fchown(fd, uid, gid)
                break
            except (OSError, AttributeError):
                continue
    os.fchmod(fd, stat.S_IMODE(st.st_mode))
