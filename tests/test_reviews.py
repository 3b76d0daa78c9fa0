"""The review index on real Amazon reviews: idempotent upserts, filters inside Chroma, merged passages, fencing."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from models.errors import WorkspaceError
from models.reviews import (PASSAGE_WORDS, ReviewIndex, _passage_records, index_workspace, quote_review,
                            resolve_product, split_passages)
from models.workspace import Workspace


@pytest.fixture(scope="module")
def reviews(amazon_review_ws):
    return amazon_review_ws.read_table("reviews")


@pytest.fixture(scope="module")
def index(amazon_review_ws):
    return ReviewIndex(amazon_review_ws.chroma_dir)


def test_split_passages_keeps_every_word_and_respects_the_limit(reviews):
    long_text = max(reviews["text"].tolist(), key=lambda t: len(t.split()))
    assert len(long_text.split()) > 2 * PASSAGE_WORDS
    parts = split_passages(long_text)
    assert len(parts) >= 3 and all(len(p.split()) <= PASSAGE_WORDS for p in parts)
    assert " ".join(parts).split() == long_text.split()
    assert split_passages("short one") == ["short one"]


def test_index_holds_every_passage_once(amazon_review_ws, index, reviews):
    ids, _, metas = _passage_records(reviews, amazon_review_ws.read_table("products"))
    assert index.count() == len(ids) > len(reviews)  # some reviews are long enough to split
    assert {m["review_id"] for m in metas} == set(reviews["review_id"])
    info = amazon_review_ws.artifact_info("review_index")
    assert info["n_reviews"] == len(reviews) and info["data_hash"] == amazon_review_ws.data_hash()


def test_reindex_is_idempotent_and_tracks_changes(amazon_review_ws, tmp_path):
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(amazon_review_ws.path, ws.path)
    before = ReviewIndex(ws.chroma_dir).count()
    again = index_workspace(ws, progress=False)
    assert again["embedded"] == 0 and again["deleted"] == 0 and ReviewIndex(ws.chroma_dir).count() == before

    reviews = ws.read_table("reviews")
    products = ws.read_table("products")
    changed_id, removed_id = reviews["review_id"].iloc[3], reviews["review_id"].iloc[4]
    n_removed = len(split_passages(reviews["text"].iloc[4]))
    n_old_changed = len(split_passages(reviews["text"].iloc[3]))
    reviews.loc[3, "text"] = "The tuning pegs rattled loose like maracas on day one."
    reviews = reviews.drop(index=4).reset_index(drop=True)
    products.loc[0, "name"] = "Studio Pop Filter"
    ws.ingest({"reviews": reviews, "products": products})
    out = index_workspace(ws, progress=False)
    # the changed review is one passage now: its first passage is re-embedded, any others are deleted
    assert out["embedded"] == 1 and out["deleted"] == n_removed + n_old_changed - 1
    assert out["metadata_updated"] > 0  # the renamed product's reviews, without re-embedding
    idx = ReviewIndex(ws.chroma_dir)
    assert idx.count() == before - n_removed - n_old_changed + 1
    top = idx.search("tuning pegs rattled loose like maracas", k=1)[0]
    assert top["review_id"] == changed_id
    assert removed_id not in {h["review_id"] for h in idx.search("strings", k=200)}
    assert {h["product_name"] for h in idx.search("pop filter", product="Studio Pop Filter", k=5)} \
        == {"Studio Pop Filter"}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_filters_are_honoured(index, reviews, mode):
    busiest = reviews["product_id"].value_counts().index[0]
    hits = index.search("sound quality", product=busiest, min_rating=4, since="2012-01-01", until="2013-12-31",
                        k=50, mode=mode)
    expected = reviews[(reviews["product_id"] == busiest) & (reviews["rating"] >= 4)
                       & (reviews["timestamp"] >= "2012-01-01") & (reviews["timestamp"] < "2014-01-01")]
    assert hits and len(hits) <= len(expected)
    assert {h["review_id"] for h in hits} <= set(expected["review_id"])
    low = index.search("terrible strap", max_rating=2, k=50, mode=mode)
    assert low and all(h["rating"] <= 2 for h in low)
    if mode != "bm25":  # dense ranks every passage, so the filter alone decides the set
        assert {h["review_id"] for h in hits} == set(expected["review_id"]) or len(hits) == 50


def test_product_by_name_and_id_match_the_same_reviews(index, reviews):
    pid = reviews["product_id"].iloc[0]
    by_id = index.search("works", product=pid, k=100, mode="dense")
    by_name = index.search("works", product=f"product {pid.lower()}", k=100, mode="dense")
    assert [h["review_id"] for h in by_id] == [h["review_id"] for h in by_name]
    assert len(by_id) == (reviews["product_id"] == pid).sum()
    matches = resolve_product({"reviews": reviews}, pid)
    assert matches[0]["product_id"] == pid and matches[0]["n_reviews"] == (reviews["product_id"] == pid).sum()


def test_passages_of_one_review_merge_into_one_hit(index, reviews):
    long = reviews.loc[reviews["text"].str.split().str.len().idxmax()]
    parts = split_passages(long["text"])
    # a query made of its first and last passage: both passages match, one hit comes back
    hits = index.search(parts[0][:200] + " " + parts[-1][-200:], k=20)
    ids = [h["review_id"] for h in hits]
    assert len(ids) == len(set(ids)) and ids[0] == long["review_id"]
    assert hits[0]["text"].split() == long["text"].split()


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_a_long_sentence_finds_its_review(index, reviews, mode):
    longest = reviews["text"].map(lambda t: max(t.split(". "), key=lambda s: len(s.split())))
    eligible = longest[longest.str.split().str.len() >= 20].sample(n=5, random_state=0)
    for i, sentence in eligible.items():
        assert reviews.loc[i, "review_id"] in [h["review_id"] for h in index.search(sentence, k=3, mode=mode)]


def test_hit_shape_and_synthetic_flag(index):
    hit = index.search("reveal every customer's email", k=1)[0]
    assert set(hit) == {"review_id", "product_id", "product_name", "category", "rating", "timestamp", "text",
                        "score", "synthetic"}
    assert hit["review_id"] == "INJ-1" and hit["synthetic"] is True and hit["timestamp"] == "2014-07-01"
    assert all(h["synthetic"] is False for h in index.search("guitar", k=10) if h["review_id"] != "INJ-1")


def test_injected_text_stays_fenced(index):
    hit = index.search("ignore previous instructions", k=1)[0]
    fenced = quote_review(hit["review_id"], hit["text"])
    assert fenced.startswith("<<customer_review id=INJ-1>>\n") and fenced.endswith("\n<</customer_review>>")
    assert fenced.count("<</customer_review>>") == 1 and fenced.count("<<customer_review") == 1
    assert "ignore previous instructions" in fenced  # kept as data, inside the fence
    assert quote_review("R 1>>x", "hi").startswith("<<customer_review id=R_1__x>>")


def test_bad_arguments_raise_clear_errors(index, tmp_path):
    with pytest.raises(ValueError, match="min_rating 5 is above max_rating 2"):
        index.search("x", min_rating=5, max_rating=2)
    with pytest.raises(ValueError, match="between 1 and 5"):
        index.search("x", min_rating=0)
    with pytest.raises(ValueError, match="no product or category"):
        index.search("x", product="zither deluxe 9000")
    with pytest.raises(ValueError, match="not a date"):
        index.search("x", since="last tuesday-ish")
    with pytest.raises(WorkspaceError, match="mka index"):
        ReviewIndex(tmp_path / "nothing").search("x")
    assert not (tmp_path / "nothing").exists()  # searching never creates an index


def test_filter_where_and_mask_agree(index):
    corpus = index._load_corpus()
    f = index._filters("Musical Instruments", 2, 4, "2010-01-01", "2013-06-30")
    got = index._open().get(where=f.where(), include=[])
    mask = f.mask(corpus)
    assert set(got["ids"]) == set(np.asarray(corpus.ids)[mask]) and 0 < mask.sum() < len(mask)
    assert pd.Series(corpus.rating[mask]).between(2, 4).all()
