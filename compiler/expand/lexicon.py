"""lemminflect's answers, from an index on disk.

lemminflect reads its whole dictionaries (and numpy) on first use: about half a second, more than everything else
`filmc show` does. The two questions the prompt grammar asks it -- a word's lemmas, a lemma's verb forms -- are
answered once for every word of its dictionaries, by lemminflect itself, into an SQLite index in the user's cache
(a second or two, the first time; again only when lemminflect changes); a lookup there costs microseconds. What the
index cannot answer exactly (a lemma outside the dictionaries, which lemminflect inflects by rule, a capitalised
word, a tag it does not hold) still goes to lemminflect, so the answers are lemminflect's either way.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

LAYOUT = 1  # of the index: a new layout makes a new file
VERB_TAGS = ("VB", "VBD", "VBG", "VBN", "VBP", "VBZ")

Forms = dict[str, tuple[str, ...]]


@cache
def _library() -> Any:
    import lemminflect

    return lemminflect


def all_lemmas(word: str) -> Forms:
    """lemminflect.getAllLemmas(word): the word's lemmas by part of speech."""
    index = _index()
    if index is not None and word == word.lower():
        row = _row(index, "SELECT v FROM lemmas WHERE k = ?", word)
        if row is not _FAILED:
            return marshal.loads(row) if row is not None else {}  # not in the dictionaries: no lemmas
    found: Forms = _library().getAllLemmas(word)
    return found


def inflection(lemma: str, tag: str) -> tuple[str, ...]:
    """lemminflect.getInflection(lemma, tag): the spellings of `lemma` as the Penn tag `tag`."""
    index = _index()
    if index is not None and tag in VERB_TAGS and lemma == lemma.lower():
        row = _row(index, "SELECT v FROM inflections WHERE k = ?", lemma)
        if row is not None and row is not _FAILED:
            forms: Forms = marshal.loads(row)
            form = forms.get(tag)
            if form is None:  # lemminflect's alternate tags (a past tense for a participle, and back)
                for alt in _alternates(index).get(tag, ()):
                    form = forms.get(alt)
                    if form:
                        break
            if form is not None:
                return form
    found: tuple[str, ...] = _library().getInflection(lemma, tag) or ()
    return found


_FAILED = b"\x00failed"


def _row(index: sqlite3.Connection, query: str, key: str) -> bytes | None:
    import sqlite3

    try:
        row = index.execute(query, (key,)).fetchone()
    except sqlite3.Error:
        return _FAILED
    return bytes(row[0]) if row else None


@cache
def _alternates(index: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    row = index.execute("SELECT v FROM meta WHERE k = 'alternates'").fetchone()
    return marshal.loads(row[0]) if row else {}


def _cache_dir() -> Path:
    from ..resources import cache_dir

    return cache_dir("lexicon")


def _fingerprint() -> str | None:
    """Which lemminflect is installed (its data files' sizes and times), without importing it."""
    try:
        spec = importlib.util.find_spec("lemminflect")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    parts = [f"layout {LAYOUT}"]
    for folder in spec.submodule_search_locations:
        resources = Path(folder) / "resources"
        try:
            for f in sorted(resources.iterdir()):
                st = f.stat()
                parts.append(f"{f}|{st.st_size}|{st.st_mtime_ns}")
        except OSError:
            return None
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


@cache
def _index() -> sqlite3.Connection | None:
    """The index for the installed lemminflect, made on first use; None where it cannot be (then lemminflect)."""
    try:
        import sqlite3
    except ImportError:  # a Python built without SQLite
        return None
    key = _fingerprint()
    if key is None:
        return None
    path = _cache_dir() / f"{key}.sqlite"
    try:
        if not path.is_file():
            _build(path)
        index = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        if index.execute("SELECT v FROM meta WHERE k = 'complete'").fetchone() is None:
            return None
        return index
    except (OSError, sqlite3.Error):
        return None


def ready() -> None:
    """Make the index now (once per installed lemminflect), so processes forked later only open it."""
    _index()


def forget_index() -> None:
    """After a fork: the next lookup opens the index anew (an SQLite connection must not cross a fork)."""
    _index.cache_clear()
    _alternates.cache_clear()


def _build(path: Path) -> None:
    """Ask lemminflect about every word of its dictionaries; write the answers to `path` (atomically)."""
    import sqlite3

    lib = _library()
    from lemminflect.core.Inflections import Inflections
    from lemminflect.core.Lemmatizer import Lemmatizer
    from lemminflect.core.LexicalUtils import pennTagAlts

    lemmatizer, inflections = Lemmatizer(), Inflections()
    words = set(lemmatizer._getLemmaDict()) | set(lemmatizer._getOverridesDict())
    lemmas = set(inflections._getInflDict()) | set(inflections._getOverridesDict())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        db = sqlite3.connect(tmp)
        try:
            db.execute("CREATE TABLE lemmas (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
            db.execute("CREATE TABLE inflections (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
            db.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
            db.executemany("INSERT INTO lemmas VALUES (?, ?)", (
                (w, marshal.dumps(lib.getAllLemmas(w))) for w in sorted(words) if w == w.lower()))
            db.executemany("INSERT INTO inflections VALUES (?, ?)", (
                (w, marshal.dumps(lib.getAllInflections(w))) for w in sorted(lemmas) if w == w.lower()))
            alternates = {tag: tuple(pennTagAlts(tag)) for tag in VERB_TAGS}
            db.execute("INSERT INTO meta VALUES ('alternates', ?)", (marshal.dumps(alternates),))
            db.execute("INSERT INTO meta VALUES ('complete', ?)", (b"1",))
            db.commit()
        finally:
            db.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
