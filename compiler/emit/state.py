"""What the last build left on disk: per output, its content hash and the file's stat when it was written.

The next build trusts a file without reading it only while its size, mtime, inode and ctime are still
those recorded; any other file is compared by content. Temp files go to build/.filmc/tmp/ (renamed into
place, so an output is never half-written), where a killed build's leftovers are swept by the next one.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import marshal
import os
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..fsutil import pid_alive
from ..records import HEAD_SIZE, RECORDS_MAGIC, Stat, checksum_bytes, records_digest, stat_key

STATE_FILE = ".filmc/outputs.state"
TMP_DIR = ".filmc/tmp"
# a file made anew for writing, never through a link
_NEW_FILE = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
             | getattr(os, "O_BINARY", 0))
# a temp file: never one that is there already (a name left by a killed build of a process whose pid this one
# reuses could be a link to an output)
_NEW_TEMP = _NEW_FILE | getattr(os, "O_EXCL", 0)
_VERSION = 1
_NAMES = itertools.count(1)  # the temp files' numbers, in the process (two writers may be open at once)

# rel -> (content sha256 or None: unknown, e.g. being written by a build that was killed;
#         the file's stat, or None: compare the content next time)
Entries = dict[str, tuple[str | None, Stat | None]]


@dataclass
class BuildState:
    entries: Entries
    raw: bytes | None  # the file as read (None: there was none)


def read_state(out_dir: Path) -> BuildState:
    try:
        raw = (out_dir / STATE_FILE).read_bytes()
    except OSError:
        return BuildState({}, None)
    try:
        version, entries = marshal.loads(raw)
        if version == _VERSION and isinstance(entries, dict):
            return BuildState(entries, raw)
    except (ValueError, EOFError, TypeError):
        pass
    return BuildState({}, raw)


def racy_window(mtime_ns: int) -> int:
    """How long after a write a change to the file may still get the same mtime: file systems with
    whole-millisecond (or coarser, e.g. FAT's 2 s) timestamps need seconds, the others a clock tick."""
    return 2_000_000_000 if mtime_ns % 1_000_000 == 0 else 50_000_000


def state_bytes(entries: Entries) -> bytes:
    """Entries whose file was written too recently to trust its mtime are kept without their stat
    (their content is compared next time), as git does with racily clean index entries."""
    now = time.time_ns()
    out: Entries = {}
    for rel in sorted(entries):
        sha, st = entries[rel]
        if st is not None and now - st[1] < racy_window(st[1]):
            st = None
        out[rel] = (sha, st)
    return marshal.dumps((_VERSION, out))


class Writer:
    """Atomic writes through build/.filmc/tmp/; returns the written file's stat.

    `free_later`: a file a write replaces is first linked into the temp folder, and those links are removed by a
    thread once the writer closes (see freed): the rename then does not wait for the file system to free the old
    file's blocks (a millisecond for a few megabytes), and the other core frees them while the build goes on."""

    def __init__(self, out_dir: Path, *, free_later: bool = False) -> None:
        self.root = str(out_dir)
        self.tmp = f"{out_dir}/{TMP_DIR}"
        self.made = False
        self.free_later = free_later
        self.replaced: list[str] = []  # the links to replaced files, to remove

    def _tmp_name(self) -> str:
        if not self.made:
            for attempt in range(5):
                try:
                    os.makedirs(self.tmp, exist_ok=True)
                    break
                except FileExistsError:  # (there when made, gone when looked at: another build's close removed it)
                    if attempt == 4 or os.path.lexists(self.tmp) and not os.path.isdir(self.tmp):
                        raise
            self.made = True
        return f"{self.tmp}/{os.getpid()}.{next(_NAMES)}"

    def _open_tmp(self) -> tuple[int, str]:
        """A new temp file, open for writing. Another build of the same folder that finishes removes the temp
        folder when it is empty: then it is made again."""
        missing = 0
        for _ in range(64):
            tmp = self._tmp_name()
            try:
                return os.open(tmp, _NEW_TEMP, 0o666), tmp
            except FileExistsError:  # (a killed build's, of a process with this pid: another name)
                continue
            except FileNotFoundError:
                missing += 1
                if missing == 5:
                    raise
                self.made = False
        raise FileExistsError(f"{self.tmp}: no free temp file name")

    def write(self, rel: str, raw: bytes) -> Stat:
        path = f"{self.root}/{rel}"
        fd, tmp = self._open_tmp()
        try:
            try:
                _write_all(fd, raw)
            finally:
                os.close(fd)
            self._into_place(tmp, path, raw)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return stat_key(os.lstat(path))

    def _into_place(self, tmp: str, path: str, raw: bytes | None) -> None:
        """Rename a written temp file to its place (raw: its content, to write again beside the place when the
        temp folder is on another file system; None: copy the temp file there)."""
        if self.free_later:
            self._set_aside(path)
        try:
            os.replace(tmp, path)
        except FileNotFoundError:  # a new folder: make it only then (one syscall saved per file)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.replace(tmp, path)
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            # the folder is on another file system: a temp file beside it instead
            beside = f"{os.path.dirname(path)}/.{os.path.basename(path)}.{os.getpid()}.tmp"
            try:
                if raw is None:
                    import shutil

                    shutil.copyfile(tmp, beside)
                else:
                    _write_file(beside, raw)
                os.replace(beside, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(beside)
                raise
            os.unlink(tmp)

    def write_records(self, rel: str, records: Iterable[bytes]) -> bool:
        """Write a file of records (see write_records) unless it holds them already; True when it was written."""
        path = f"{self.root}/{rel}"
        crc = 0
        fd, tmp = self._open_tmp()
        try:
            try:
                _write_all(fd, bytes(HEAD_SIZE))
                for record in records:
                    head = len(record).to_bytes(8, "little")
                    crc = zlib.crc32(record, zlib.crc32(head, crc))
                    _write_all(fd, head)
                    _write_all(fd, record)
                os.lseek(fd, 0, os.SEEK_SET)
                _write_all(fd, RECORDS_MAGIC + checksum_bytes(crc))  # (the head last: a file cut short has none)
            finally:
                os.close(fd)
            if records_digest(path) == checksum_bytes(crc) and _same_bytes(tmp, path):
                os.unlink(tmp)
                return False
            self._into_place(tmp, path, None)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return True

    def _set_aside(self, path: str) -> None:
        """A second name for the file at `path` (if any) in the temp folder, removed later (see free_later)."""
        link = self._tmp_name()
        try:
            os.link(path, link, follow_symlinks=False)
        except (OSError, NotImplementedError):  # none there yet, or no links here (the rename frees it)
            return
        self.replaced.append(link)

    def close(self) -> None:
        if self.replaced:
            links, self.replaced = self.replaced, []
            thread = threading.Thread(target=_remove, args=(links,), name="filmc-free")
            try:
                thread.start()
            except RuntimeError:  # (no thread to be had: freed here)
                _remove(links)
            else:  # (the temp folder is removed once the thread is done: see freed)
                _FREEING.append((thread, self.tmp))
                return
        if self.made:
            with contextlib.suppress(OSError):
                os.rmdir(self.tmp)


_FREEING: list[tuple[threading.Thread, str]] = []  # Writers' threads removing links to replaced files, and their
# temp folders (removed by freed, in the thread that writes: the thread removing one could race a writer making it)


def _remove(links: list[str]) -> None:
    for link in links:
        with contextlib.suppress(OSError):
            os.unlink(link)


def freed() -> None:
    """Wait for the threads of Writer(free_later=True) to end (before a command returns: no thread outlives it),
    then remove their temp folders if empty. A process killed first leaves the links, which the next build sweeps
    (sweep_tmp: named by the pid)."""
    while _FREEING:
        thread, folder = _FREEING.pop()
        thread.join()
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _same_bytes(a: str, b: str) -> bool:
    """Whether two files hold the same bytes (the checksums of two files of records agree: compared to be sure)."""
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            if os.fstat(fa.fileno()).st_size != os.fstat(fb.fileno()).st_size:
                return False
            while chunk := fa.read(1 << 20):
                if fb.read(len(chunk)) != chunk:
                    return False
            return True
    except OSError:
        return False


def _write_file(path: str, raw: bytes) -> None:
    fd = os.open(path, _NEW_FILE, 0o666)
    try:
        _write_all(fd, raw)
    finally:
        os.close(fd)


def _write_all(fd: int, raw: bytes) -> None:
    view = memoryview(raw)
    while view:
        view = view[os.write(fd, view):]


def sweep_tmp(out_dir: Path) -> None:
    """Remove the temp files of builds that were killed (their process is gone)."""
    folder = out_dir / TMP_DIR
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        pid = name.split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and pid_alive(int(pid)):
            continue  # another build is writing into this folder right now
        with contextlib.suppress(OSError):
            os.unlink(folder / name)
    with contextlib.suppress(OSError):
        os.rmdir(folder)


def _internal_folders(out_dir: Path, rel: str) -> None:
    for folder in (os.path.dirname(rel), TMP_DIR):
        want = os.path.join(os.path.realpath(out_dir), folder)
        if os.path.lexists(want) and os.path.realpath(want) != want:
            raise OSError(f"refusing to write {out_dir / rel}: {folder} is a symbolic link")


def write_records(out_dir: Path, files: Mapping[str, Iterable[bytes]]) -> list[str]:
    """Files of build/.filmc/ made of records (records.read_records reads them back), each written through the temp
    folder a record at a time and put in place only when its content changed; the ones written."""
    written = []
    w = Writer(out_dir)
    try:
        for rel, records in files.items():
            _internal_folders(out_dir, rel)
            if w.write_records(rel, records):
                written.append(rel)
    finally:
        w.close()
    return written


def write_internal(out_dir: Path, rel: str, raw: bytes) -> bool:
    """A file of build/.filmc/ (not an output): written through the temp folder when its content changed."""
    _internal_folders(out_dir, rel)
    try:
        if (out_dir / rel).read_bytes() == raw:
            return False
    except OSError:
        pass
    w = Writer(out_dir)
    try:
        w.write(rel, raw)
    finally:
        w.close()
    return True
