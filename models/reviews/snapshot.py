"""A snapshot of the review index's in-memory passage table, so a new process skips reading Chroma.

Reading every document, metadata and vector back from Chroma takes about 40 s at 100k reviews; the same table
loads from one uncompressed ``.npz`` in about a second. The snapshot sits in the Chroma folder and names the
collection revision it was taken at (models/reviews.py bumps the revision on every write): it is used only when
that revision is still the stored one, otherwise the table is read from Chroma again. Written atomically, with
text columns as UTF-8 bytes plus offsets, so loading needs no pickle.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from models.data.atomic import atomic_path
from models.reviews.passages import PassageTable

__all__ = ["save_snapshot", "load_snapshot", "SNAPSHOT_NAME", "save_polarity", "load_polarity", "POLARITY_NAME"]

SNAPSHOT_NAME = "mka_passages.npz"
POLARITY_NAME = "mka_polarity.npz"  # the review polarity scores (models/reviews/polarity.py) at one revision
_FORMAT = 1
_TEXT = ("ids", "docs", "review_id", "product_id", "product_name", "category")
_ARRAYS = ("passage", "rating", "timestamp", "synthetic", "vecs")


def _stamp(revision: Any) -> str:
    return json.dumps([_FORMAT, *revision])


def save_snapshot(table: PassageTable, path: Path) -> None:
    arrays: dict[str, np.ndarray] = {"revision": np.array(_stamp(table.revision))}
    for name in _TEXT:
        encoded = [str(s).encode("utf-8") for s in getattr(table, name)]
        arrays[f"{name}.utf8"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        arrays[f"{name}.ends"] = np.cumsum([len(b) for b in encoded], dtype=np.int64)
    arrays.update({name: getattr(table, name) for name in _ARRAYS})
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def _decode(blob: np.ndarray, ends: np.ndarray) -> list[str]:
    data = blob.tobytes()
    starts = [0, *ends[:-1].tolist()]
    return [data[a:b].decode("utf-8") for a, b in zip(starts, ends.tolist())]


def load_snapshot(path: Path, revision: Any) -> PassageTable | None:
    """The table saved at ``path`` if it was taken at ``revision``; None when missing, stale or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["revision"]) != _stamp(revision):
                return None
            text = {name: _decode(z[f"{name}.utf8"], z[f"{name}.ends"]) for name in _TEXT}
            arrays = {name: z[name] for name in _ARRAYS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    columns = {name: np.array(values, dtype=object) for name, values in text.items() if name != "docs"}
    return PassageTable(docs=text["docs"], **columns, **arrays, revision=revision)


def save_polarity(path: Path, revision: Any, scores: np.ndarray | None, info: dict,
                  passage_scores: np.ndarray | None = None) -> None:
    """Per-review and per-passage negativity (or none, with why) taken at ``revision``, written atomically."""
    arrays = {"revision": np.array(_stamp(revision)), "info": np.array(json.dumps(info)),
              "scores": np.asarray(scores if scores is not None else [], dtype=np.float64),
              "passage_scores": np.asarray(passage_scores if passage_scores is not None else [], dtype=np.float64),
              "has_scores": np.array(scores is not None)}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def load_polarity(path: Path, revision: Any, n_reviews: int,
                  n_passages: int | None = None) -> tuple[np.ndarray | None, dict, np.ndarray | None] | None:
    """(review scores or None, info, passage scores or None) saved at ``revision`` for ``n_reviews`` reviews
    (and ``n_passages`` passages); None when missing, stale, or written before passages were scored."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["revision"]) != _stamp(revision):
                return None
            info = json.loads(str(z["info"]))
            scores = z["scores"] if bool(z["has_scores"]) else None
            passage_scores = z["passage_scores"] if bool(z["has_scores"]) else None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    if scores is not None and len(scores) != n_reviews:
        return None
    if passage_scores is not None and n_passages is not None and len(passage_scores) != n_passages:
        return None
    return scores, info, passage_scores
