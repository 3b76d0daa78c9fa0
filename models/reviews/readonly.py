"""Reading the review index without writing to it (issue 17).

Opening a Chroma ``PersistentClient`` writes to ``chroma.sqlite3`` (it records a write-lock row on every start),
so a search, which only reads, would change the workspace's files. Readers here instead
- ask the collection's size and revision straight from the SQLite file, opened read-only (``mode=ro``), which
  is all a search needs when the passage snapshot (models/reviews/snapshot.py) was taken at that revision;
- otherwise open Chroma on a private copy of the folder, removed when the index object goes away.
A file that is not a database (corrupt, cut short) is an ``ArtifactError`` saying "rebuild with `mka index`".
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import weakref
from pathlib import Path
from typing import Any

from models.data.artifacts import REINDEX
from models.data.errors import ArtifactError

__all__ = ["peek_revision", "private_copy", "unreadable", "CHROMA_DB"]

CHROMA_DB = "chroma.sqlite3"


def unreadable(path: Path, exc: BaseException) -> ArtifactError:
    return ArtifactError(f"{path}: the review index is unreadable (corrupt, cut short or written by another "
                         f"version: {type(exc).__name__}); {REINDEX}")


def peek_revision(path: Path, collection: str, revision_key: str) -> tuple[int, Any] | None:
    """(passage count, revision token) of ``collection``, read without writing; None when Chroma's tables are
    not laid out as expected (another Chroma version: the caller asks Chroma itself)."""
    db = Path(path) / CHROMA_DB
    if not db.exists():
        return None
    try:
        con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = con.execute("SELECT id FROM collections WHERE name = ?", (collection,)).fetchone()
        if row is None:
            return None
        (n,) = con.execute("SELECT COUNT(*) FROM embeddings e JOIN segments s ON e.segment_id = s.id "
                           "WHERE s.collection = ? AND s.scope = 'METADATA'", (row[0],)).fetchone()
        rev = con.execute("SELECT str_value FROM collection_metadata WHERE collection_id = ? AND key = ?",
                          (row[0], revision_key)).fetchone()
        return int(n), (rev[0] if rev else None)
    except sqlite3.OperationalError:  # no such table / column: a layout this code does not know
        return None
    except sqlite3.DatabaseError as exc:  # "file is not a database"
        raise unreadable(db, exc) from None
    finally:
        con.close()


def private_copy(path: Path, owner: object, skip: tuple[str, ...] = ()) -> Path:
    """A copy of the index folder in a private temporary folder, deleted when ``owner`` is garbage-collected
    (or the process exits)."""
    tmp = Path(tempfile.mkdtemp(prefix="mka-index-"))
    weakref.finalize(owner, shutil.rmtree, tmp, True)
    dest = tmp / "chroma"
    shutil.copytree(path, dest, ignore=shutil.ignore_patterns(*skip, "*.tmp"))
    return dest
