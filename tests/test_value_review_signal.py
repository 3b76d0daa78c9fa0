"""Review-derived churn features (issue 13 item 4): leak-free on a slice of the real Amazon reviews."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from models.value.review_signal import ReviewChurnModel, review_churn_labels, review_features

CUTOFF = pd.Timestamp("2013-07-01")


@pytest.fixture(scope="module")
def review_slice(amazon_reviews_path):
    with gzip.open(amazon_reviews_path, "rt") as f:
        rows = [json.loads(line) for _, line in zip(range(3000), f)]
    df = pd.DataFrame(rows)[["reviewerID", "overall", "unixReviewTime", "reviewText"]]
    df = df.rename(columns={"reviewerID": "customer_id", "overall": "rating"})
    df["timestamp"] = pd.to_datetime(df["unixReviewTime"], unit="s")
    emb = np.random.default_rng(0).normal(size=(len(df), 16)).astype(np.float32)
    return df.drop(columns="unixReviewTime"), emb


def test_features_use_no_review_after_the_cutoff(review_slice):
    df, emb = review_slice
    after = df["timestamp"] >= CUTOFF
    assert after.any() and (~after).any()
    full = review_features(df, CUTOFF, embeddings=emb)
    # the same as computed from the reviews before the cutoff only
    before = review_features(df[~after], CUTOFF, embeddings=emb[~after.to_numpy()])
    pd.testing.assert_frame_equal(full, before)
    # and unchanged when everything after the cutoff is rewritten: ratings, text embeddings, extra reviewers
    changed = df.copy()
    changed.loc[after, "rating"] = 1.0
    emb2 = emb.copy()
    emb2[after.to_numpy()] = 99.0
    extra = pd.DataFrame({"customer_id": ["NEW"], "rating": [1.0], "reviewText": ["awful"],
                          "timestamp": [CUTOFF + pd.Timedelta(days=1)]})
    changed = pd.concat([changed, extra], ignore_index=True)
    emb2 = np.vstack([emb2, np.full((1, emb.shape[1]), 99.0, dtype=np.float32)])
    pd.testing.assert_frame_equal(review_features(changed, CUTOFF, embeddings=emb2), full)
    assert "NEW" not in full.index


def test_features_match_pandas_for_each_reviewer(review_slice):
    df, emb = review_slice
    X = review_features(df, CUTOFF, embeddings=emb, n_recent=3)
    before = df[df["timestamp"] < CUTOFF]
    assert set(X.index) == set(before["customer_id"])
    for cid in list(X.index[:40]):
        mine = before[before["customer_id"] == cid].sort_values("timestamp", kind="stable")
        row = X.loc[cid]
        days = (CUTOFF - mine["timestamp"]).dt.days.to_numpy()
        assert row["log_days_since_last"] == pytest.approx(np.log1p(days.min()))
        assert row["reviews_365d"] == (days <= 365).sum()
        assert row["negative_share"] == pytest.approx((mine["rating"] <= 2).mean())
        assert row["mean_rating"] == pytest.approx(mine["rating"].mean())
        recent = mine.tail(3)
        assert row["recent_negative_share"] == pytest.approx((recent["rating"] <= 2).mean())
        trend = recent["rating"].mean() - mine.iloc[:-3]["rating"].mean() if len(mine) > 3 else 0.0
        assert row["rating_trend"] == pytest.approx(trend)
        np.testing.assert_allclose(row[[f"emb_{i}" for i in range(16)]].to_numpy(np.float64),
                                   emb[recent.index.to_numpy()].mean(axis=0), rtol=1e-5, atol=1e-6)


def test_labels_and_model(review_slice):
    df, emb = review_slice
    X = review_features(df, CUTOFF, embeddings=emb)
    y = review_churn_labels(df, CUTOFF, 90, X.index)
    window = df[(df["timestamp"] >= CUTOFF) & (df["timestamp"] < CUTOFF + pd.Timedelta(days=90))]
    assert set(y.index[y == 0]) == set(window["customer_id"]) & set(X.index)
    for kw in ({"use_text": False}, {"use_text": True, "n_components": 0}, {"use_text": True, "n_components": 4}):
        p = ReviewChurnModel(**kw).fit(X, y).predict_proba(X)
        assert p.shape == (len(X),) and np.all((p >= 0) & (p <= 1))
