"""The review index's query-time shortcuts: the file stamp that spares a Chroma call per search, remembered product
resolutions, the snapshot a new process loads instead of reading Chroma, per-review scores and the one-thread
query embedding. Each must give exactly what the plain path gives, and follow writes from another handle."""

from __future__ import annotations

import inspect
import shutil

import numpy as np
import pandas as pd
import pytest

from models.reviews import index as review_index
from models.reviews.snapshot import SNAPSHOT_NAME, load_snapshot
from models.reviews.index import ReviewIndex
from models.data.workspace import Workspace


@pytest.fixture
def ws(amazon_review_ws, tmp_path):
    out = Workspace(tmp_path / "ws")
    shutil.copytree(amazon_review_ws.path, out.path)
    return out


def _add_banjo_review(ws) -> None:
    """Write one new review through a second handle, as `mka index` in another process would."""
    reviews = ws.read_table("reviews")
    new = reviews.iloc[[0]].assign(review_id="NEW-1", text="A banjo banjo banjo that glows in the dark.")
    ReviewIndex(ws.chroma_dir).upsert_reviews(pd.concat([reviews, new], ignore_index=True),
                                              ws.read_table("products"), progress=False)


def _count_revision_reads(reader, monkeypatch) -> list:
    """Every read of the stored revision, by either path: Chroma's (a writable handle) or the read-only peek at
    its SQLite file (a reader, since issue 17's read-only search). The list grows by one per read."""
    asked: list = []
    revision = reader._revision
    monkeypatch.setattr(reader, "_revision", lambda coll: asked.append(1) or revision(coll))
    peek = review_index.peek_revision

    def counted_peek(*args, **kwargs):
        if any(f.function == "_load_corpus" for f in inspect.stack()[1:3]):
            asked.append(1)
        return peek(*args, **kwargs)

    monkeypatch.setattr(review_index, "peek_revision", counted_peek)
    return asked


def test_searches_ask_chroma_for_the_revision_only_after_a_write(ws, monkeypatch):
    monkeypatch.setattr(review_index, "_STAMP_SETTLE_NS", 0)  # trust a stamp at once instead of after 2 s
    reader = ReviewIndex(ws.chroma_dir)
    asked = _count_revision_reads(reader, monkeypatch)
    for _ in range(3):
        reader.search("strings", k=3)
    assert len(asked) == 1
    _add_banjo_review(ws)
    assert reader.search("banjo glows in the dark", k=1)[0]["review_id"] == "NEW-1"
    assert len(asked) == 2


def test_a_fresh_stamp_is_not_trusted(ws, monkeypatch):
    # as if the index had been written a moment ago: a write within the same mtime tick could hide behind it.
    # Set before the first search: the fixture's copy keeps the files' old mtimes, which would settle at once
    monkeypatch.setattr(review_index, "_STAMP_SETTLE_NS", 10**18)
    reader = ReviewIndex(ws.chroma_dir)
    reader.search("strings", k=3)
    asked = _count_revision_reads(reader, monkeypatch)
    reader.search("strings", k=3)
    reader.search("strings", k=3)
    assert len(asked) == 2


def test_product_resolution_is_remembered_per_table_and_redone_after_a_write(ws):
    reader = ReviewIndex(ws.chroma_dir)
    products = ws.read_table("products")
    pid = str(ws.read_table("reviews")["product_id"].value_counts().index[0])
    first = reader.resolve_product(pid)
    again = reader.resolve_product(f"  {pid.lower()} ")
    assert again == first and first[0]["product_id"] == pid
    first[0]["product_name"] = "scribbled on by a caller"  # callers get copies, not the remembered matches
    assert reader.resolve_product(pid) == again
    assert not reader.resolve_product("Studio Pop Filter")

    products.loc[products["product_id"] == pid, "name"] = "Studio Pop Filter"
    ReviewIndex(ws.chroma_dir).upsert_reviews(ws.read_table("reviews"), products, progress=False)
    assert [m["product_id"] for m in reader.resolve_product("studio pop filter")] == [pid]
    hits = reader.search("works", product="Studio Pop Filter", k=100, mode="dense")
    assert hits and {h["product_id"] for h in hits} == {pid}


def test_a_new_handle_loads_the_snapshot_and_never_a_stale_or_broken_one(ws, monkeypatch):
    expected = ReviewIndex(ws.chroma_dir).search("strings", k=10)  # reads Chroma and leaves a snapshot
    snapshot = ws.chroma_dir / SNAPSHOT_NAME
    assert snapshot.exists()
    read = []
    read_collection = ReviewIndex._read_collection
    monkeypatch.setattr(ReviewIndex, "_read_collection",
                        lambda self, coll, key: read.append(1) or read_collection(self, coll, key))
    fresh = ReviewIndex(ws.chroma_dir)
    assert fresh.search("strings", k=10) == expected and not read

    _add_banjo_review(ws)  # the snapshot is now stale
    assert ReviewIndex(ws.chroma_dir).search("banjo glows in the dark", k=1)[0]["review_id"] == "NEW-1"
    assert len(read) == 1

    snapshot.write_bytes(b"not a snapshot")
    assert ReviewIndex(ws.chroma_dir).search("banjo glows in the dark", k=1)[0]["review_id"] == "NEW-1"
    assert len(read) == 2


def test_the_snapshot_holds_exactly_what_chroma_holds(ws):
    index = ReviewIndex(ws.chroma_dir)
    corpus = index._load_corpus()
    loaded = load_snapshot(ws.chroma_dir / SNAPSHOT_NAME, corpus.revision)
    direct = index._read_collection(index._open(), corpus.revision)
    for name in ("ids", "review_id", "product_id", "product_name", "category", "passage", "rating", "timestamp",
                 "synthetic", "reviews"):
        a, b = getattr(loaded, name), getattr(direct, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert loaded.docs == direct.docs
    assert loaded.vecs.dtype == np.float32 and loaded.vecs.tobytes() == direct.vecs.tobytes()
    assert load_snapshot(ws.chroma_dir / SNAPSHOT_NAME, (corpus.revision[0], "another revision")) is None


def test_review_scores_are_the_best_passage_inside_the_mask(amazon_review_ws):
    corpus = ReviewIndex(amazon_review_ws.chroma_dir)._load_corpus()
    rng = np.random.default_rng(0)
    scores = rng.standard_normal(len(corpus.ids)).astype(np.float32)
    mask = rng.random(len(corpus.ids)) < 0.5
    got = corpus.per_review(scores, mask)
    assert got.dtype == np.float32 and len(got) == len(corpus.reviews)
    for i, rid in enumerate(corpus.reviews):
        pos = corpus.review_positions(rid)
        inside = scores[pos][mask[pos]]
        assert got[i] == (inside.max() if len(inside) else -np.inf)
    assert np.array_equal(corpus.per_review(scores, None),
                          [scores[corpus.review_positions(r)].max() for r in corpus.reviews])
