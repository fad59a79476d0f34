"""Files of records: a header, then records each with its length, written a record at a time (a big cache is
never in memory as one bytes object) and read back a record at a time from the file's pages. emit.state writes
them (through its temp folder); reading needs nothing else, so a command that only reads a build's cache imports no
more than this."""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# The layout: RECORDS_MAGIC, the CRC-32 of what follows (4 bytes, little endian), then records, each its length
# (8 bytes, little endian) and its bytes. The checksum finds a file damaged since it was written (a CRC, not a
# cryptographic hash: nothing here guards against a file made to deceive, and a build reads its cache on every
# run, where SHA-1 of 20 MB cost twice as long); it also tells a file that may be unchanged without reading it
# (a writer then compares the bytes).
RECORDS_MAGIC = b"filmc-records-2\n"
HEAD_SIZE = len(RECORDS_MAGIC) + 4


def checksum_bytes(crc: int) -> bytes:
    """A running zlib.crc32 as the head holds it."""
    return crc.to_bytes(4, "little")


def records_digest(path: str) -> bytes | None:
    """The checksum a file of records holds in its head (None: no such file, or not one of records)."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_SIZE)
    except OSError:
        return None
    return head[len(RECORDS_MAGIC):] if head.startswith(RECORDS_MAGIC) and len(head) == HEAD_SIZE else None


Stat = tuple[int, int, int, int]  # size, mtime_ns, inode, ctime_ns: a file as it was when recorded


def stat_key(st: os.stat_result) -> Stat:
    """A file's stat as recorded: what changes when anything writes the file (its size, mtime, inode, ctime)."""
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def read_records(path: Path, trusted: Stat | None = None) -> Iterator[bytes]:
    """The records of a file write_records wrote, a record at a time; OSError when there is none, ValueError when it
    is not whole or not as written (its checksum is checked once the last record is read: a caller keeps what it read
    only when the iteration ends without an error). `trusted`: the file's stat when it was last checked; a file that
    still has it is not checked again (as build outputs are trusted: emit.state)."""
    return _records(path, trusted, bytes)


def load_records(path: Path, trusted: Stat | None = None,
                 seen: list[Stat] | None = None) -> Generator[Any, None, None]:
    """read_records, each record unmarshalled (marshal data only: nothing executes) straight from the file's pages,
    with no copy of the file made (a rebuild reads ~20 MB of cache). `seen` learns the file's stat as it is read."""
    import marshal

    return _records(path, trusted, marshal.loads, seen)


def _records(path: Path, trusted: Stat | None, use: Callable[[memoryview], T],
             seen: list[Stat] | None = None) -> Generator[T, None, None]:
    """Each record of the file, as `use` makes it of the record's bytes (a view of them, let go after).

    The file is mapped where it can be (its pages are read in place; filmc replaces its files whole and never cuts
    one short in place, which would end the process: a file of records is filmc's own), read whole otherwise."""
    import mmap

    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_size < HEAD_SIZE:
            raise ValueError(f"{path} is not a file of records")
        check = trusted is None or stat_key(st) != trusted
        if seen is not None:
            seen.append(stat_key(st))
        try:
            pages: mmap.mmap | bytes = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # a file system that maps no file (some network and shared folders)
            pages = f.read()
        view = memoryview(pages)
        try:
            if view[:len(RECORDS_MAGIC)] != RECORDS_MAGIC:
                raise ValueError(f"{path} is not a file of records")
            pos, end, digest = HEAD_SIZE, len(view), 0
            while pos < end:
                n = int.from_bytes(view[pos:pos + 8], "little")
                if end - pos < 8 or n > end - pos - 8:
                    raise ValueError(f"{path} is cut short")
                record = view[pos + 8:pos + 8 + n]
                try:
                    if check:
                        digest = zlib.crc32(record, zlib.crc32(view[pos:pos + 8], digest))
                    value = use(record)
                finally:
                    record.release()
                pos += 8 + n
                yield value
            if check and checksum_bytes(digest) != view[len(RECORDS_MAGIC):HEAD_SIZE]:
                raise ValueError(f"{path} is not as it was written")
        finally:
            view.release()
            if isinstance(pages, mmap.mmap):
                pages.close()
