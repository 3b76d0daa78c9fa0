"""The review index on real Amazon reviews: idempotent upserts, in-memory filters that match Chroma's, merged
passages, hybrid fusion, cache invalidation, fencing."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from models.data.errors import WorkspaceError
from models.embeddings import embed, get_embedder
from models.reviews.index import (PASSAGE_TOKENS, ReviewIndex, _passage_records, index_workspace, quote_review,
                            resolve_product, split_passages)
from models.data.workspace import Workspace


@pytest.fixture(scope="module")
def reviews(amazon_review_ws):
    return amazon_review_ws.read_table("reviews")


@pytest.fixture(scope="module")
def index(amazon_review_ws):
    return ReviewIndex(amazon_review_ws.chroma_dir)


def test_split_passages_keeps_every_word_and_fits_the_model(reviews):
    tok = get_embedder().tokenizer
    n_pieces = lambda t: len(tok(t, add_special_tokens=True)["input_ids"])  # noqa: E731
    long_text = max(reviews["text"].tolist(), key=n_pieces)
    assert n_pieces(long_text) > 2 * PASSAGE_TOKENS
    parts = split_passages(long_text)
    # [CLS] + passage + [SEP] fits the model's max_seq_length: nothing is truncated when embedding
    assert len(parts) >= 3 and all(n_pieces(p) <= get_embedder().max_seq_length for p in parts)
    assert " ".join(parts).split() == long_text.split()
    assert split_passages("short one") == ["short one"]
    for text in reviews["text"].head(200):
        assert all(n_pieces(p) <= PASSAGE_TOKENS + 2 for p in split_passages(text))


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


@pytest.mark.parametrize("filters", [{"min_rating": 4}, {"max_rating": 2}, {"since": "2013-01-01", "until": "2013-12-31"},
                                     {"product": "busiest", "min_rating": 3}])
def test_in_memory_dense_search_matches_chroma_where(index, reviews, filters):
    """The in-memory mask + dot product returns what Chroma's own filtered query returns."""
    if filters.get("product") == "busiest":
        filters = {**filters, "product": reviews["product_id"].value_counts().index[0]}
    for q in ("great sound for the price", "the strap broke", "cable hum and noise"):
        mine = [h["review_id"] for h in index.search(q, k=10, mode="dense", **filters)]
        f = index._filters(**{"product": None, "min_rating": None, "max_rating": None, "since": None,
                              "until": None, **filters})
        theirs = index._dense_chroma(embed([q])[0], f, 60)[:10]
        assert mine and mine == theirs


def test_in_memory_copy_follows_writes_from_another_handle(amazon_review_ws, tmp_path):
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(amazon_review_ws.path, ws.path)
    reader = ReviewIndex(ws.chroma_dir)
    assert "NEW-1" not in {h["review_id"] for h in reader.search("banjo", k=5, mode="hybrid")}
    writer = ReviewIndex(ws.chroma_dir)  # e.g. `mka index` in another process
    reviews = ws.read_table("reviews")
    new = reviews.iloc[[0]].assign(review_id="NEW-1", text="A banjo banjo banjo that glows in the dark.")
    writer.upsert_reviews(pd.concat([reviews, new], ignore_index=True), ws.read_table("products"), progress=False)
    assert reader.search("banjo glows in the dark", k=1, mode="dense")[0]["review_id"] == "NEW-1"
    assert reader.search("banjo", k=1, mode="bm25")[0]["review_id"] == "NEW-1"


def test_passage_records_ids_documents_and_metadata():
    from models.reviews.passages import text_hash

    sentence = " ".join(["great"] * 60) + "."  # 61 word pieces: two fit one passage (126), the third does not
    reviews = pd.DataFrame({
        "review_id": pd.array(["r1", "r2", "r3"], dtype="string"),
        "product_id": pd.array(["p1", "p2", "p1"], dtype="string"),
        "rating": [5.0, 2.0, 4.0],
        "text": [" ".join([sentence] * 3), "Too  quiet.", None],
        "customer_id": pd.array(["c1", pd.NA, "c3"], dtype="string"),
        "timestamp": pd.to_datetime(["2014-03-31 00:00", None, "2014-04-01 12:00"]),
        "synthetic": pd.array([False, True, pd.NA], dtype="boolean"),
    }, index=[7, 3, 9])  # positions, not labels, pair the columns
    products = pd.DataFrame({"product_id": pd.array(["p1"], dtype="string"), "name": ["Nylon strings"],
                             "category": ["Strings"]})
    ids, docs, metas = _passage_records(reviews, products)
    assert ids == ["r1", "r1#1", "r2", "r3"]
    assert docs == [f"{sentence} {sentence}", sentence, "Too quiet.", ""]
    r1 = {"review_id": "r1", "product_id": "p1", "product_name": "Nylon strings", "category": "Strings",
          "rating": 5, "customer_id": "c1", "synthetic": False, "timestamp": 1396224000, "n_passages": 2}
    expected = [
        {**r1, "passage": 0},
        {**r1, "passage": 1},
        {"review_id": "r2", "product_id": "p2", "product_name": "p2", "category": "", "rating": 2,
         "customer_id": "", "synthetic": True, "passage": 0, "n_passages": 1},  # no timestamp key: excluded by dates
        {"review_id": "r3", "product_id": "p1", "product_name": "Nylon strings", "category": "Strings", "rating": 4,
         "customer_id": "c3", "synthetic": False, "timestamp": 1396353600, "passage": 0, "n_passages": 1},
    ]
    assert metas == [{**m, "text_hash": text_hash(d)} for m, d in zip(expected, docs)]
    assert all(type(v) in (str, int, bool) for m in metas for v in m.values())  # Chroma metadata types


def test_review_and_product_views_cover_every_word_once(index, reviews):
    corpus = index._load_corpus()
    text = dict(zip(reviews["review_id"].astype(str), reviews["text"].fillna("").astype(str)))
    assert corpus.review_docs() == [" ".join(text[r].split()) for r in corpus.reviews]
    product_of = dict(zip(reviews["review_id"].astype(str), reviews["product_id"].astype(str)))
    assert list(corpus.products[corpus.review_product()]) == [product_of[r] for r in corpus.reviews]
    reviews_bm25, products_bm25 = corpus.lexical()
    assert reviews_bm25.n_docs_ == len(corpus.reviews) and products_bm25.n_docs_ == len(corpus.products)
    np.testing.assert_allclose(np.linalg.norm(corpus.product_vecs(), axis=1), 1.0, atol=1e-5)
