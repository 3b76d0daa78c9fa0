"""Hybrid review ranking (models/review_ranking.py) and the BM25 it builds on (models/bm25.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from models.reviews.bm25 import BM25, count_terms
from models.reviews.ranking import FUSION, Fusion, fuse, zscore


def _scores(bm25, dense, product_bm25=None, product_dense=None):
    n = len(bm25)
    zeros = np.zeros(n)
    return {"bm25": np.array(bm25, float), "dense": np.array(dense, float),
            "product_bm25": zeros if product_bm25 is None else np.array(product_bm25, float),
            "product_dense": zeros if product_dense is None else np.array(product_dense, float)}


def test_a_review_strong_in_both_rankings_comes_first_and_filtered_ones_stay_out():
    s = _scores([3.0, 0.0, 2.5, -np.inf, 1.0], [0.2, 0.9, 0.8, -np.inf, 0.1])
    out = fuse(s)
    assert np.argmax(out) == 2
    assert out[3] == -np.inf and np.isfinite(out[[0, 1, 2, 4]]).all()


def test_bm25_weight_one_without_context_is_bm25_order():
    s = _scores([3.0, 0.0, 2.5, 1.0], [0.1, 0.9, 0.8, 0.7])
    out = fuse(s, Fusion(bm25=1.0, context=0.0))
    assert list(np.argsort(-out)) == [0, 2, 3, 1]


def test_product_context_breaks_a_tie_between_equal_reviews():
    # reviews 0 and 1 match the query equally; review 1's product matches it better
    s = _scores([2.0, 2.0, 0.5], [0.5, 0.5, 0.1], product_bm25=[0.1, 3.0, 0.2], product_dense=[0.2, 0.6, 0.1])
    assert np.argmax(fuse(s)) == 1
    assert fuse(s, Fusion(context=0.0))[0] == fuse(s, Fusion(context=0.0))[1]


def test_a_constant_context_changes_nothing():
    s = _scores([2.0, 0.0, 1.0], [0.3, 0.8, 0.5], product_bm25=[4.0, 4.0, 4.0], product_dense=[0.7, 0.7, 0.7])
    np.testing.assert_allclose(fuse(s), fuse(s, Fusion(bm25=FUSION.bm25, context=0.0)))


def test_zscore_ignores_filtered_entries():
    z = zscore(np.array([1.0, 3.0, -np.inf]))
    np.testing.assert_allclose(z[:2], [-1.0, 1.0])
    assert z[2] == -np.inf
    assert (zscore(np.array([5.0, 5.0])) == 0).all()
    assert (zscore(np.array([-np.inf])) == -np.inf).all()


@pytest.mark.parametrize("kwargs", [{"bm25": 1.5}, {"context_bm25": -0.1}, {"context": -1.0}])
def test_fusion_weights_are_validated(kwargs):
    with pytest.raises(ValueError, match="Fusion"):
        Fusion(**kwargs)


def test_bm25_stems_and_keeps_stopwords_by_default():
    docs = ["These strings sound bright", "The capo holds well", "Buzzing on the neck"]
    bm = BM25().fit(docs)
    assert np.argmax(bm.scores("string")) == 0  # "strings" -> "string"
    assert np.argmax(bm.scores("buzz")) == 2  # "buzzing" -> "buzz"
    assert bm.scores("the")[[1, 2]].min() > 0  # stopwords kept
    okapi = BM25(k1=1.2, b=0.75, stem=False, stop_words=True).fit(docs)
    assert not okapi.scores("string").any() and not okapi.scores("the").any()


def test_bm25_of_summed_counts_equals_bm25_of_joined_text():
    reviews = ["Great strings", "strings broke fast", "Capo is solid", "the capo slips"]
    product = np.array([0, 0, 1, 1])
    tf, vocab = count_terms(reviews)
    group = sparse.csr_matrix((np.ones(4), (product, np.arange(4))), shape=(2, 4))
    summed = BM25().fit_counts(group @ tf, vocab)
    joined = BM25().fit([" ".join(reviews[:2]), " ".join(reviews[2:])])
    for q in ("strings", "capo slips", "nothing here"):
        np.testing.assert_allclose(summed.scores(q), joined.scores(q), rtol=1e-6)


def test_bm25_on_empty_documents_scores_zero():
    bm = BM25().fit(["", "   "])
    assert bm.scores("anything").tolist() == [0.0, 0.0]
