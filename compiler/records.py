"""Files of records: a header, then records each with its length, written a record at a time (a big cache is
never in memory as one bytes object) and read back the same way. emit.state writes them (through its temp folder);
reading needs nothing else, so a command that only reads a build's cache imports no more than this."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

# The layout: RECORDS_MAGIC, the SHA-1 of what follows, then records, each its length (8 bytes, little endian) and
# its bytes. The digest tells an unchanged file without reading it.
RECORDS_MAGIC = b"filmc-records-1\n"


def records_digest(path: str) -> bytes | None:
    """The digest a file of records holds in its head (None: no such file, or not one of records)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(RECORDS_MAGIC) + hashlib.sha1().digest_size)
    except OSError:
        return None
    return head[len(RECORDS_MAGIC):] if head.startswith(RECORDS_MAGIC) else None


def read_records(path: Path) -> Iterator[bytes]:
    """The records of a file write_records wrote, a record at a time; OSError when there is none, ValueError when it
    is not whole or not as written (its digest is checked once the last record is read: a caller keeps what it read
    only when the iteration ends without an error)."""
    size = len(RECORDS_MAGIC) + hashlib.sha1().digest_size
    with open(path, "rb") as f:
        left = os.fstat(f.fileno()).st_size - size
        head = f.read(size)
        if not head.startswith(RECORDS_MAGIC) or len(head) < size:
            raise ValueError(f"{path} is not a file of records")
        digest = hashlib.sha1()
        while length := f.read(8):
            n = int.from_bytes(length, "little")
            if len(length) < 8 or n > left - 8:
                raise ValueError(f"{path} is cut short")
            record = f.read(n)
            if len(record) < n:
                raise ValueError(f"{path} is cut short")
            left -= 8 + n
            digest.update(length)
            digest.update(record)
            yield record
        if digest.digest() != head[len(RECORDS_MAGIC):]:
            raise ValueError(f"{path} is not as it was written")
