"""Summaries without an LLM: every count adds up and every quote cites a real review."""

from __future__ import annotations

import numpy as np
import pytest

from models.reviews.summary import MAX_QUERY_REVIEWS, choose_n_themes, key_phrases, summarize_reviews


@pytest.fixture(scope="module")
def reviews(amazon_review_ws):
    return amazon_review_ws.read_table("reviews").set_index("review_id")


def _check_evidence(s: dict, reviews) -> None:
    n = s["n_reviews"]
    assert sum(s["rating_distribution"].values()) == n == len(s["review_ids"]) == len(set(s["review_ids"]))
    assert sum(t["count"] for t in s["themes"]) == n  # each review lands in exactly one theme
    assert sum(t["n"] for t in s["trend"]) == reviews.loc[s["review_ids"], "timestamp"].notna().sum()
    sub = reviews.loc[s["review_ids"]]
    assert s["mean_rating"] == pytest.approx(sub["rating"].mean(), abs=1e-3)
    for r in range(1, 6):
        assert s["rating_distribution"][str(r)] == int((sub["rating"] == r).sum())
    for t in s["themes"]:
        assert 1 <= len(t["quotes"]) <= 3 and t["key_phrases"]
        assert t["mean_rating"] == pytest.approx(reviews.loc[t["review_ids"], "rating"].mean(), abs=1e-3)
        for q in t["quotes"]:
            assert q["review_id"] in t["review_ids"] and q["rating"] == reviews.loc[q["review_id"], "rating"]
            quoted = q["text"].rstrip("…")
            assert " ".join(quoted.split()) in " ".join(reviews.loc[q["review_id"], "text"].split())


def test_whole_index_summary(amazon_review_ws, reviews):
    s = summarize_reviews(amazon_review_ws)
    assert s["n_reviews"] == len(reviews)
    _check_evidence(s, reviews)
    assert len(s["themes"]) == choose_n_themes(len(reviews))
    assert s["synthetic"] is True  # the made-up injection review is in the set
    assert s == summarize_reviews(amazon_review_ws)  # deterministic


def test_product_summary_counts_that_products_reviews(amazon_review_ws, reviews):
    pid = reviews["product_id"].value_counts().index[0]
    s = summarize_reviews(amazon_review_ws, product=pid)
    assert s["n_reviews"] == (reviews["product_id"] == pid).sum()
    assert set(s["review_ids"]) == set(reviews.index[reviews["product_id"] == pid])
    assert s["synthetic"] is False
    _check_evidence(s, reviews)


def test_query_summary_covers_the_matching_reviews(amazon_review_ws, reviews):
    s = summarize_reviews(amazon_review_ws, query="cable noise and crackle", max_query_reviews=30)
    assert s["n_reviews"] == 30 <= MAX_QUERY_REVIEWS
    _check_evidence(s, reviews)
    top_theme_words = " ".join(p for t in s["themes"] for p in t["key_phrases"])
    assert "cable" in top_theme_words


def test_key_phrases_pick_what_sets_a_cluster_apart():
    texts = ["the strap broke fast", "strap broke on day two", "cheap strap broke",
             "tuner is accurate", "accurate tuner, bright display", "the tuner display is bright"]
    phrases = key_phrases(texts, np.array([0, 0, 0, 1, 1, 1]), 2)
    assert phrases[0][0] in ("strap broke", "strap", "broke") and "tuner" not in " ".join(phrases[0])
    assert "tuner" in " ".join(phrases[1]) and "strap" not in " ".join(phrases[1])


def test_theme_count_grows_with_size():
    sizes = [0, 3, 10, 50, 200, 5000]
    ks = [choose_n_themes(n) for n in sizes]
    assert ks[0] == 0 and ks[1] == 1 and ks == sorted(ks) and ks[-1] == 8


def test_themes_are_ranked_with_share_and_trend(amazon_review_ws, reviews):
    s = summarize_reviews(amazon_review_ws)
    counts = [t["count"] for t in s["themes"]]
    assert counts == sorted(counts, reverse=True)
    assert sum(t["share"] for t in s["themes"]) == pytest.approx(1.0, abs=1e-3)
    for t in s["themes"]:
        assert t["share"] == pytest.approx(t["count"] / s["n_reviews"], abs=1e-4) and t["review_ids"]
        assert sum(p["n"] for p in t["trend"]) == reviews.loc[t["review_ids"], "timestamp"].notna().sum()


def test_complaint_summary_keeps_only_complaints(amazon_review_ws, reviews):
    """150 real reviews hold too few 1-2 star ones to learn polarity from: the stars alone choose, and it says so."""
    s = summarize_reviews(amazon_review_ws, intent="negative")
    low = reviews.index[reviews["rating"] <= 2]
    assert sorted(s["review_ids"]) == sorted(low) and s["intent"] == "negative" and "stars only" in s["selection"]
    _check_evidence(s, reviews)
    praise = summarize_reviews(amazon_review_ws, intent="positive")
    assert set(praise["review_ids"]) == set(reviews.index[reviews["rating"] >= 4])


def test_summary_tool_focus(fake_ctx):
    from tools._common import ToolArgError
    from tools.reviews import summarize_reviews_impl

    seen = {}
    real = fake_ctx.api.summarize_reviews

    def spy(ws, product=None, query=None, intent=None):
        seen.update(query=query, intent=intent)
        return real(ws, product=product, query=query)

    import dataclasses

    fake_ctx.api = dataclasses.replace(fake_ctx.api, summarize_reviews=spy)
    summarize_reviews_impl(fake_ctx, focus="complaints")
    assert seen == {"query": None, "intent": "negative"}
    summarize_reviews_impl(fake_ctx, query="complaints")  # names no topic: all complaints
    assert seen == {"query": None, "intent": "negative"}
    summarize_reviews_impl(fake_ctx, query="price", focus="praise")
    assert seen == {"query": "price", "intent": "positive"}
    with pytest.raises(ToolArgError):
        summarize_reviews_impl(fake_ctx, focus="sideways")
