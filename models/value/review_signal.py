"""What customers write, as churn features: per customer, as of a cutoff, from their reviews strictly before it.

``review_features(reviews, cutoff, embeddings=None)`` is the one pure, leak-free entry point: activity (days
since the last review, reviews in all / the last 90 and 365 days, tenure, mean gap), ratings (mean, last, trend
= mean of the last ``n_recent`` minus the mean of the earlier ones, share of 1-2 star reviews overall and among
the recent ones) and, given one embedding row per review (MiniLM, ``models.embeddings.embed``), the mean
embedding of the ``n_recent`` most recent reviews (columns ``emb_0`` …). The embedding of a review depends on
its own text only, so embedding every review once up front is leak-free: rows after the cutoff are never read.

``ReviewChurnModel`` is the churn classifier over those columns (standardised logistic regression; the mean
embedding is reduced by a PCA fitted on the training rows only), with ``use_text=False`` for the same model
without review-derived features (activity only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.data.errors import NotFittedError

__all__ = ["ACTIVITY_FEATURES", "RATING_FEATURES", "review_features", "review_churn_labels", "ReviewChurnModel",
           "NEGATIVE_STARS"]

NEGATIVE_STARS = 2  # a 1-2 star review counts as negative
ACTIVITY_FEATURES = ["log_days_since_last", "log_reviews", "reviews_90d", "reviews_365d", "log_tenure_days",
                     "log_mean_gap_days"]
RATING_FEATURES = ["mean_rating", "last_rating", "rating_trend", "negative_share", "recent_negative_share"]


def _normalise(reviews: pd.DataFrame) -> pd.DataFrame:
    """customer_id (string), timestamp, rating, and the original row position (``_row``, for embeddings)."""
    cols = {c.lower(): c for c in reviews.columns}
    cid = next((cols[c] for c in ("customer_id", "reviewerid") if c in cols), None)
    ts = next((cols[c] for c in ("timestamp", "unixreviewtime", "date") if c in cols), None)
    rating = next((cols[c] for c in ("rating", "overall", "stars") if c in cols), None)
    if cid is None or ts is None or rating is None:
        raise ValueError("reviews need a customer id, a timestamp and a rating column")
    t = reviews[ts]
    if np.issubdtype(t.dtype, np.number):
        t = pd.to_datetime(t, unit="s")
    out = pd.DataFrame({"customer_id": reviews[cid].astype("string").to_numpy(),
                        "timestamp": pd.to_datetime(t).to_numpy(),
                        "rating": pd.to_numeric(reviews[rating], errors="coerce").to_numpy(np.float64),
                        "_row": np.arange(len(reviews))})
    return out


def review_features(reviews: pd.DataFrame, cutoff, embeddings: np.ndarray | None = None,
                    n_recent: int = 3) -> pd.DataFrame:
    """One row per customer with a review before ``cutoff`` (index customer_id): ACTIVITY_FEATURES,
    RATING_FEATURES and, with ``embeddings`` (one row per review, in ``reviews``' row order), ``emb_*``."""
    cutoff = pd.Timestamp(cutoff)
    r = _normalise(reviews)
    r = r[r["timestamp"] < cutoff].sort_values(["customer_id", "timestamp", "_row"], kind="stable")
    if r.empty:
        raise ValueError(f"no reviews before {cutoff.date()}")
    g = r.groupby("customer_id", sort=True)
    days_ago = (cutoff - r["timestamp"]).dt.total_seconds().to_numpy() / 86400.0
    r = r.assign(days_ago=days_ago, neg=(r["rating"] <= NEGATIVE_STARS).astype(np.float64),
                 in90=(days_ago <= 90).astype(np.float64), in365=(days_ago <= 365).astype(np.float64),
                 rank_from_end=g.cumcount(ascending=False).to_numpy())
    g = r.groupby("customer_id", sort=True)
    n = g.size().astype(np.float64)
    last_ago = g["days_ago"].min()
    first_ago = g["days_ago"].max()
    out = pd.DataFrame(index=n.index)
    out["log_days_since_last"] = np.log1p(last_ago)
    out["log_reviews"] = np.log1p(n)
    out["reviews_90d"] = g["in90"].sum()
    out["reviews_365d"] = g["in365"].sum()
    out["log_tenure_days"] = np.log1p(first_ago)
    gap = (first_ago - last_ago) / (n - 1).clip(lower=1)
    out["log_mean_gap_days"] = np.log1p(np.where(n > 1, gap, first_ago))
    recent = r[r["rank_from_end"] < n_recent]
    earlier = r[r["rank_from_end"] >= n_recent]
    gr = recent.groupby("customer_id", sort=True)
    out["mean_rating"] = g["rating"].mean()
    out["last_rating"] = r[r["rank_from_end"] == 0].set_index("customer_id")["rating"].reindex(out.index)
    earlier_mean = earlier.groupby("customer_id")["rating"].mean().reindex(out.index)
    out["rating_trend"] = (gr["rating"].mean() - earlier_mean).fillna(0.0)
    out["negative_share"] = g["neg"].mean()
    out["recent_negative_share"] = gr["neg"].mean()
    if embeddings is not None:
        emb = np.asarray(embeddings, dtype=np.float32)
        if len(emb) != len(reviews):
            raise ValueError("embeddings: expected one row per review")
        codes = pd.Categorical(recent["customer_id"], categories=out.index).codes
        sums = np.zeros((len(out), emb.shape[1]))
        np.add.at(sums, codes, emb[recent["_row"].to_numpy()])
        mean = sums / np.bincount(codes, minlength=len(out))[:, None]
        out = pd.concat([out, pd.DataFrame(mean, index=out.index,
                                           columns=[f"emb_{i}" for i in range(emb.shape[1])])], axis=1)
    out.index.name = "customer_id"
    return out.fillna(0.0)


def review_churn_labels(reviews: pd.DataFrame, cutoff, window_days: int, index: pd.Index) -> pd.Series:
    """1 where a customer in ``index`` writes no review in [cutoff, cutoff + window_days), else 0."""
    cutoff = pd.Timestamp(cutoff)
    r = _normalise(reviews)
    m = (r["timestamp"] >= cutoff) & (r["timestamp"] < cutoff + pd.Timedelta(days=window_days))
    active = set(r.loc[m, "customer_id"])
    return pd.Series([0 if c in active else 1 for c in index], index=index, name="churned", dtype=np.int64)


class ReviewChurnModel:
    """P(churn) from ``review_features`` columns: standardised logistic regression; with ``use_text`` the rating
    features and the PCA (``n_components``, fitted on the training rows) of the recent-review embedding too."""

    def __init__(self, use_text: bool = True, n_components: int = 8, C: float = 1.0, random_state: int = 0) -> None:
        self.use_text = use_text
        self.n_components = n_components
        self.C = C
        self.random_state = random_state

    def _columns(self, X: pd.DataFrame) -> tuple[list[str], list[str]]:
        emb = [c for c in X.columns if c.startswith("emb_")] if self.use_text else []
        return ACTIVITY_FEATURES + (RATING_FEATURES if self.use_text else []), emb

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        cols, emb = self.columns_
        parts = [X[cols].to_numpy(np.float64)]
        if emb and self.pca_ is not None:
            parts.append(self.pca_.transform(X[emb].to_numpy(np.float64)))
        return self.scaler_.transform(np.hstack(parts))

    def fit(self, X: pd.DataFrame, y) -> "ReviewChurnModel":
        from sklearn.decomposition import PCA
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        self.columns_ = self._columns(X)
        cols, emb = self.columns_
        self.pca_ = None
        parts = [X[cols].to_numpy(np.float64)]
        if emb:
            k = min(self.n_components, len(emb), max(len(X) - 1, 1))
            self.pca_ = PCA(n_components=k, random_state=self.random_state).fit(X[emb].to_numpy(np.float64))
            parts.append(self.pca_.transform(X[emb].to_numpy(np.float64)))
        Z = np.hstack(parts)
        self.scaler_ = StandardScaler().fit(Z)
        self.clf_ = LogisticRegression(C=self.C, max_iter=2000).fit(self.scaler_.transform(Z), np.asarray(y))
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if not hasattr(self, "clf_"):
            raise NotFittedError("ReviewChurnModel is not fitted yet: call fit() first")
        return self.clf_.predict_proba(self._design(X))[:, 1]
