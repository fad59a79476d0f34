"""The cache between builds, on disk: what each shot compiled to (per target), lint's findings, emit's pieces, the
edit's slates and files, in build/.filmc/cache/.

Every entry's key is a hash of what the entry was made from, so a key names its content. The entries are kept in
buckets by key (a shot's targets and their pieces share one), each bucket a file named by the hash of its keys: a
build after one shot changed rewrites the few buckets whose keys changed and leaves the others alone; a build that
changed nothing writes nothing. The edit's files (one big entry, whose key hashes the whole film) are a file of
their own, read only when its key is the one the build looks for. Each file is marshal data only (nothing executes
on load), in records of a few hundred entries, so a big cache is never in memory as one bytes object.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .records import Stat

Cache = dict[str, Any]  # key -> entry (see compiling.compile_film)

FOLDER = ".filmc/cache"
EDIT = "edit:"  # the edit's files: one entry, in a file of its own
DOCUMENT = ".filmc/document.bin"  # film.yaml's parse, for the next build's load (see load.splice)
_OLD = ".filmc/expand.cache"  # the single file earlier versions kept
CHECKED = ".filmc/cache.state"  # each bucket file's stat when it was last checked: read without its checksum
_LAYOUT = 8  # 8: option values in the sheets as YAML writes them; 7: emit's pieces as UTF-8 bytes; 6: the edit's slates in buckets of their own; 5: packed pairs
_BUCKETS = 64
SLATE = "slate:"  # an edit's slate chain: (what it is drawn from, the chain, its texts) (see edit.graph.build_graph)
_SLATE_BUCKETS = 8  # their own buckets ("s0".."s7"): the edit reads them, the shots' compile does not
_RECORD = 512  # entries per record


_KINDS = ("emit:", "lint:", "slate:")  # entry kinds named by a hash after the kind; a shot's pairs by theirs alone
_BY_DIGITS = {f"{n:02x}": f"{n % _BUCKETS:02d}" for n in range(256)}


def _bucket(key: str) -> str:
    """The bucket of a key: from the hash it starts with (after its kind), so a shot's pairs (`<hash>:<target>`)
    and their pieces (`emit:<hash>:<target>`) share one; slates have buckets of their own."""
    if key.startswith(SLATE):
        digits = key[len(SLATE):len(SLATE) + 2]
        return f"s{int(digits, 16) % _SLATE_BUCKETS}" if digits in _BY_DIGITS else "s0"
    if key.startswith(_KINDS):
        key = key[key.index(":") + 1:]
    return _BY_DIGITS.get(key[:2], "other")


def _bucket_of(key: str) -> str:
    """The bucket a key is written in: _bucket's, the edit's files in one of their own."""
    return "edit" if key.startswith(EDIT) else _bucket(key)


def _grouped(keys: Iterable[str], entries: Cache, buckets: dict[str, Cache] | None = None) -> dict[str, Cache]:
    """These keys' entries by the bucket they are written in (added to `buckets`, if given)."""
    out: dict[str, Cache] = {} if buckets is None else buckets
    for key in keys:
        bucket = _bucket_of(key)
        part = out.get(bucket)
        if part is None:
            part = out[bucket] = {}
        part[key] = entries[key]
    return out


@cache
def _stamp() -> str:
    """The layout, filmc's version and its code: a cache made by other code is not read (an install from a clone
    that was pulled has the version it had, and other prompts to compile)."""
    from . import __version__

    return f"{_LAYOUT}|{__version__}|{_code()}"


def _code() -> str:
    """The package's Python files as the file system has them (path, size and mtime of each)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha1()
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                try:
                    st = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                h.update(f"{os.path.relpath(folder, root)}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


EDIT_HASHES = "sha256"  # the edit's entry: (this, the sha256 of its files by path); the files are build/edit/'s


def _name(bucket: str, keys: list[str]) -> str:
    """A bucket's file name: the bucket and the hash of its keys (and of the filmc that wrote it; the edit's, of
    its entry's format too: a file of the entry as an older filmc wrote it has another name, so it is replaced)."""
    h = hashlib.sha1((_stamp() + (f"|edit:{EDIT_HASHES}" if bucket == "edit" else "")).encode())
    for k in sorted(keys):
        h.update(k.encode("utf-8", "surrogatepass") + b"\n")
    return f"{bucket}-{h.hexdigest()[:20]}.bin"


def edit_name(key: str) -> str:
    """The file the edit's entry with this key is kept in."""
    return _name("edit", [key])


def _read_file(path: Path, trusted: Stat | None = None, seen: list[Stat] | None = None) -> Cache:
    """A bucket's entries; an error when it is not whole, or of another layout or filmc (`trusted`: its stat when
    last checked, see records.read_records; `seen` learns its stat as read)."""
    from .records import load_records

    records = load_records(path, trusted, seen)
    if next(records) != _stamp():
        records.close()
        raise ValueError(f"{path} is of another filmc")
    entries: Cache = {}
    for part in records:  # (to the end: the checksum is checked after the last record)
        if not isinstance(part, dict):
            raise ValueError(f"{path} holds something else")
        entries.update(part)
    return entries


_UNREADABLE = (OSError, ValueError, EOFError, TypeError, StopIteration, OverflowError, MemoryError)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _files(folder: Path) -> dict[str, list[str]]:
    """The bucket files in the cache folder, by bucket (the edit's left out)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return {}
    out: dict[str, list[str]] = {}
    for name in names:
        if name.endswith(".bin") and not name.startswith("edit-"):
            out.setdefault(name.split("-", 1)[0], []).append(name)
    return out


def _read_bucket(folder: Path, names: list[str], checked: dict[str, Stat] | None = None,
                 whole: dict[str, Stat] | None = None) -> Cache:
    """A bucket's entries. A file that cannot be read whole, or is of another layout or filmc, is left out (its
    shots are compiled again) and removed, so the next build writes it again (its name alone would say it is there
    already). `checked`: the files' stats when last checked (see _checked); `whole` learns each file read whole,
    with its stat as read."""
    entries: Cache = {}
    for name in names:
        seen: list[Stat] = []
        try:
            entries.update(_read_file(folder / name, checked.get(name) if checked else None, seen))
        except _UNREADABLE:
            _unlink(folder / name)
        else:
            if whole is not None and seen:
                whole[name] = seen[0]
    return entries


def _checked(build_dir: Path) -> dict[str, Stat]:
    """The bucket files' stats as the last write_cache recorded them (a file written in the last moments before is
    left out: a change right after its write could keep its mtime, as emit.state says of outputs)."""
    import marshal

    try:
        stats = marshal.loads((build_dir / CHECKED).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return stats if isinstance(stats, dict) else {}


class Index:
    """What a read of the cache found: each bucket's files and the keys read from them. Given to write_cache, it
    lets the next write regroup only the buckets whose keys changed (a rebuild after one shot changed touches a
    few of them; grouping and naming every entry again cost more than writing those few)."""

    def __init__(self) -> None:
        self.files: dict[str, list[str]] = {}
        self.keys: dict[str, set[str]] = {}
        self.checked: dict[str, Stat] = {}  # the files' stats as last checked (see _checked) ...
        self.whole: dict[str, Stat] = {}  # ... and those of the files this read found whole, as read


def read_cache(build_dir: Path, *, slates: bool = True, index: Index | None = None) -> Cache:
    """The previous build's entries, the edit's files left out (see read_edit), and its slates unless `slates`;
    `index` (if given) learns each bucket read: its files and keys."""
    folder = build_dir / FOLDER
    entries: Cache = {}
    checked = _checked(build_dir)
    if index is not None:
        index.checked = checked
    for bucket, names in _files(folder).items():
        if slates or not _is_slates(bucket):
            part = _read_bucket(folder, names, checked, index.whole if index is not None else None)
            if index is not None:
                index.files[bucket] = names
                index.keys[bucket] = set(part)
            entries.update(part)
    return entries


def read_slates(build_dir: Path) -> Cache:
    """The previous build's slate entries: (what it is drawn from, the chain, its texts) by key (see SLATE)."""
    folder = build_dir / FOLDER
    out: Cache = {}
    for bucket, names in _files(folder).items():
        if _is_slates(bucket):
            for k, v in _read_bucket(folder, names).items():
                if k.startswith(SLATE) and isinstance(v, (tuple, list)) and len(v) == 3 and isinstance(v[0], str):
                    out[k] = v
    return out


def _is_slates(bucket: str) -> bool:
    return bucket.startswith("s") and bucket[1:].isdigit()


def slate_files(build_dir: Path, entries: Cache | None = None) -> tuple[list[str], Cache]:
    """Which slate buckets the cache holds already: (the files to keep as they are, the entries of the buckets to
    write). `entries`: this build's slate entries, all of them (None: the last build's are this build's, as when
    the edit is kept: every slate file is kept). A file named by a bucket's keys holds those keys (see _name), so
    the edit's process decides this and hands over only what changed."""
    present = _files(build_dir / FOLDER)
    if entries is None:
        return sorted(n for b, names in present.items() if _is_slates(b) for n in names), {}
    buckets = _grouped(entries, entries)
    kept: list[str] = []
    changed: Cache = {}
    for bucket, part in sorted(buckets.items()):
        name = _name(bucket, list(part))
        if name in present.get(bucket, ()):
            kept.append(name)
        else:
            changed.update(part)
    return kept, changed


class Buckets(Mapping[str, Any]):
    """The previous build's entries (the edit's files left out), each bucket read when one of its keys is first
    asked for: `filmc show` of one shot reads that shot's bucket, not the whole cache."""

    def __init__(self, build_dir: Path) -> None:
        self.folder = build_dir / FOLDER
        self._files: dict[str, list[str]] | None = None
        self._read: dict[str, Cache] = {}

    def _bucket(self, bucket: str) -> Cache:
        part = self._read.get(bucket)
        if part is None:
            if self._files is None:
                self._files = _files(self.folder)
            part = self._read[bucket] = _read_bucket(self.folder, self._files.get(bucket, []))
        return part

    def _all(self) -> Cache:
        if self._files is None:
            self._files = _files(self.folder)
        out: Cache = {}
        for bucket in self._files:
            out.update(self._bucket(bucket))
        return out

    def __getitem__(self, key: str) -> Any:
        if key.startswith(EDIT):
            raise KeyError(key)
        return self._bucket(_bucket(key))[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def read_edit(build_dir: Path, key: str) -> Any:
    """The edit's entry under this key, if the last build kept it (None otherwise)."""
    path = build_dir / FOLDER / edit_name(key)
    try:
        return _read_file(path).get(key)
    except FileNotFoundError:
        return None
    except _UNREADABLE:
        _unlink(path)  # (see _read_bucket)
        return None


def write_cache(build_dir: Path, entries: Cache, document: tuple[bytes, ...] | None = None,
                index: Index | None = None, keep: Iterable[str] = ()) -> None:
    """After the build's outputs, manifest and state: the buckets whose keys changed are written, the others left
    as they are, and files of keys no longer in use removed. A stale cache costs time, never correctness.
    `document`: film.yaml's parse as the load kept it (Document.keep: () to remove it, None to leave it).
    `index`: what read_cache found (the files of a bucket whose keys are the ones read are kept without grouping
    its entries again); `keep`: files kept as they are whatever `entries` holds (slate_files' choice)."""
    import marshal

    from .emit.state import write_records

    folder = build_dir / FOLDER
    try:
        present = set(os.listdir(folder))
    except OSError:
        present = set()
    kept: set[str] = set(keep) & present  # files kept as they are: `keep`, and the buckets whose keys were read
    if index is None:  # (no read to go by: every key is new)
        index = Index()
        index.checked = _checked(build_dir)
    read = set().union(*index.keys.values())
    buckets = _grouped(entries.keys() - read, entries)  # new keys, and those of buckets not read (the slates)
    changed = {*buckets, *(_bucket_of(k) for k in read - entries.keys())}
    for bucket, keys in index.keys.items():
        names = index.files[bucket]
        if bucket not in changed and len(names) == 1 and names[0] in present:
            kept.add(names[0])
        else:
            _grouped((k for k in keys if k in entries), entries, buckets)
    wanted = {_name(bucket, list(part)): part for bucket, part in buckets.items() if part}

    def records(part: Cache) -> Iterator[bytes]:
        yield marshal.dumps(_stamp())
        items = ((k, part[k]) for k in sorted(part))  # (in key order, however the build came by them)
        while chunk := dict(islice(items, _RECORD)):
            yield marshal.dumps(chunk)

    files: dict[str, Iterable[bytes]] = {f"{FOLDER}/{name}": records(wanted[name]) for name in sorted(wanted)
                                         if name not in present}
    if document:
        files[DOCUMENT] = document
    elif document is not None:
        _unlink(build_dir / DOCUMENT)
    written = {rel.rsplit("/", 1)[-1] for rel in write_records(build_dir, files)}
    for name in sorted(present - set(wanted) - kept):
        if name.endswith(".bin"):
            _unlink(folder / name)
    _unlink(build_dir / _OLD)
    before = {**index.checked, **index.whole}
    _record_checked(build_dir, sorted({*wanted, *kept}), written, before)


def _record_checked(build_dir: Path, names: list[str], written: set[str], before: dict[str, Stat]) -> None:
    """The bucket files' stats now, for the next read (see _checked): of the files this build wrote, and of the
    others still as they were when last checked or read whole (`before`); those written too recently to trust their
    mtime are left out (read with their checksum next time)."""
    import marshal
    import time

    from .emit.state import racy_window, write_internal
    from .records import stat_key

    folder = build_dir / FOLDER
    now = time.time_ns()
    stats: dict[str, Stat] = {}
    for name in names:
        try:
            st = stat_key(os.lstat(folder / name))
        except OSError:
            continue
        if (name in written or before.get(name) == st) and now - st[1] >= racy_window(st[1]):
            stats[name] = st
    write_internal(build_dir, CHECKED, marshal.dumps(stats))
