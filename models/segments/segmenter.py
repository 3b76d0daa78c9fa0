"""Customer segments: a seeded clustering of per-customer features, with ids that survive retraining.

``CustomerSegmenter`` follows the scikit-learn estimator contract. It takes the frame ``features_at`` returns
(optionally with a ``p_buy_30d`` column), turns order and spend totals into rates per 30 days of tenure,
log-transforms the skewed money/count/day columns, scales robustly
(median / IQR), then picks the clustering on the data: k-means and a Gaussian mixture for every k in
``k_range``, keeping the candidate with the best silhouette (on a seeded sample) among those whose every
segment holds at least ``min_share`` of customers. Passing a previously fitted segmenter as ``reference``
matches the new clusters to the old ones by centroid (Hungarian assignment), so segment ids survive a refit.

Stability checks and the id matching live in ``models.segments.stability``; fitting a workspace in
``models.segments.workspace``; reading the saved segments and the audience ranking in ``models.segments.store``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from models.segments.stability import match_reference_ids

__all__ = ["CustomerSegmenter", "REQUIRED_FEATURES", "CORE_FEATURES", "RATE_FEATURES", "CATEGORY_PREFIX"]

REQUIRED_FEATURES = ("recency_days", "frequency", "monetary", "tenure_days", "avg_basket")
# Clustered on *rates* per 30 days of tenure, not on totals or tenure: totals and tenure grow with the
# observation window, so a model fitted a month earlier saw every customer as "smaller" and the partition
# drifted (ARI between consecutive monthly cutoffs 0.60 with totals + tenure, 0.93 with rates, on Complete
# Journey). Heavy-tailed, so all four go through log1p: a few whales do not own a cluster.
CORE_FEATURES = ("recency_days", "orders_per_30d", "spend_per_30d", "avg_basket")
# Already in [0, 1]; used as they are (scaled robustly like the rest).
RATE_FEATURES = ("discount_share", "coupon_share", "p_buy_30d")
CATEGORY_PREFIX = "cat_share__"
_CLIP = 5.0  # scaled values beyond ±5 IQRs are clipped: outliers then cannot pull a centroid away alone


class CustomerSegmenter(ClusterMixin, BaseEstimator):
    """Segment customers from their features; ``predict`` returns stable integer segment ids (1-based).

    Parameters
    ----------
    k_range : (min_k, max_k), inclusive range of segment counts tried.
    methods : clustering families tried, subset of ``("kmeans", "gmm")``.
    min_share : a candidate is admissible only if every segment holds at least this share of customers.
    category_weight : total weight of all ``cat_share__*`` columns together, in units of one core feature.
    selection_sample : candidates are compared on at most this many customers (seeded sample); the chosen one
        is then refitted on everyone, warm-started from the sample solution.
    silhouette_sample : customers used to compute each candidate's silhouette.
    n_init : k-means restarts per candidate.
    n_threads : BLAS/OpenMP threads while fitting and predicting; 1 by default because oversubscribed
        threads on a shared machine made small fits ~50x slower.
    random_state : seed for sampling and the clustering.
    """

    def __init__(self, k_range=(4, 8), methods=("kmeans", "gmm"), min_share=0.02, category_weight=1.0,
                 selection_sample=10_000, silhouette_sample=4_000, n_init=10, n_threads=1, random_state=0):
        self.k_range = k_range
        self.methods = methods
        self.min_share = min_share
        self.category_weight = category_weight
        self.selection_sample = selection_sample
        self.silhouette_sample = silhouette_sample
        self.n_init = n_init
        self.n_threads = n_threads
        self.random_state = random_state

    # -- features -------------------------------------------------------------------------------------
    def _validate(self, X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"CustomerSegmenter expects the DataFrame features_at returns, got {type(X).__name__}")
        missing = [c for c in REQUIRED_FEATURES if c not in X.columns]
        if missing:
            raise ValueError(f"features are missing column(s) {missing}; expected the columns of "
                             f"models.features.features_at: {list(REQUIRED_FEATURES)}")
        if len(X) == 0:
            raise ValueError("no customers to segment: the features frame is empty")
        return X

    @staticmethod
    def _select_columns(X: pd.DataFrame) -> list[str]:
        cats = sorted(c for c in X.columns if str(c).startswith(CATEGORY_PREFIX))
        return list(CORE_FEATURES) + [c for c in RATE_FEATURES if c in X.columns] + cats

    def _log_space(self, X: pd.DataFrame, columns: list[str]) -> np.ndarray:
        months = np.maximum(X["tenure_days"].to_numpy(dtype="float64", na_value=np.nan), 30.0) / 30.0
        X = X.assign(orders_per_30d=X["frequency"].to_numpy(dtype="float64", na_value=np.nan) / months,
                     spend_per_30d=X["monetary"].to_numpy(dtype="float64", na_value=np.nan) / months)
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise ValueError(f"features are missing column(s) {missing} the segmenter was fitted with")
        Z = X[columns].to_numpy(dtype="float64", na_value=np.nan, copy=True)
        n_core = len(CORE_FEATURES)
        # net spend can be negative (returns); clip before the log
        Z[:, :n_core] = np.log1p(np.clip(Z[:, :n_core], 0.0, None))
        bad = ~np.isfinite(Z)
        if bad.any():
            rows, cols = np.nonzero(bad)
            cust = list(X.index[rows[:5]])
            raise ValueError(f"features have missing/infinite values in column(s) "
                             f"{sorted({columns[c] for c in cols})} for customer(s) {cust}; expected finite numbers")
        return Z

    def _scale(self, Z: np.ndarray) -> np.ndarray:
        return np.clip((Z - self.center_) / self.scale_, -_CLIP, _CLIP) * self.weights_

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Features in the clustering space (log, robust-scaled, clipped, weighted)."""
        check_is_fitted(self, "centers_")
        return self._scale(self._log_space(self._validate(X), self.feature_names_in_))

    # -- fit --------------------------------------------------------------------------------------------
    def _candidate(self, method: str, k: int, Z: np.ndarray, seed: int):
        if method == "kmeans":
            return KMeans(n_clusters=k, n_init=self.n_init, random_state=seed).fit(Z)
        if method == "gmm":
            return GaussianMixture(n_components=k, covariance_type="full", reg_covar=1e-4, n_init=1,
                                   init_params="k-means++", random_state=seed).fit(Z)
        raise ValueError(f"unknown clustering method {method!r}; expected 'kmeans' or 'gmm'")

    def fit(self, X, y=None, reference: "CustomerSegmenter | None" = None):
        """Choose and fit the clustering; ``reference`` (a fitted segmenter) keeps its segment ids."""
        with threadpool_limits(self.n_threads):
            return self._fit(X, reference)

    def _fit(self, X, reference):
        X = self._validate(X)
        lo, hi = (int(v) for v in self.k_range)
        if not 2 <= lo <= hi:
            raise ValueError(f"k_range must be (min_k, max_k) with 2 <= min_k <= max_k, got {self.k_range}")
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(0, 2**31 - 1))
        columns = self._select_columns(X)
        Z = self._log_space(X, columns)
        q25, q50, q75 = np.percentile(Z, [25, 50, 75], axis=0)
        scale = q75 - q25
        std = Z.std(axis=0)
        # sparse shares (e.g. a category few buy) have IQR 0: fall back to the standard deviation, then 1
        scale = np.where(scale > 1e-12, scale, np.where(std > 1e-12, std, 1.0))
        n_cat = sum(c.startswith(CATEGORY_PREFIX) for c in columns)
        weights = np.ones(len(columns))
        if n_cat:
            # squared distances add up: each of n_cat columns gets weight sqrt(w / n_cat) so the group counts as w
            weights[-n_cat:] = np.sqrt(self.category_weight / n_cat)
        self.feature_names_in_ = columns
        self.n_features_in_ = len(columns)
        self.center_, self.scale_, self.weights_ = q50, scale, weights
        Zs = self._scale(Z)

        n = len(Zs)
        if n <= lo:
            raise ValueError(f"{n} customers cannot form {lo} segments; need more than {lo} customers with orders")
        hi = min(hi, n - 1)
        sample = rng.choice(n, size=min(n, self.selection_sample), replace=False) if n > self.selection_sample \
            else np.arange(n)
        sil_n = min(self.silhouette_sample, len(sample))
        results, best, best_model = [], None, None
        for method in self.methods:
            for k in range(lo, hi + 1):
                model = self._candidate(method, k, Zs[sample], seed)
                labels = model.predict(Zs[sample])
                min_share = float(np.bincount(labels, minlength=k).min() / len(labels))
                sil = float(silhouette_score(Zs[sample], labels, sample_size=sil_n, random_state=seed)) \
                    if len(np.unique(labels)) > 1 else -1.0
                row = {"method": method, "k": k, "silhouette": round(sil, 4), "min_share": round(min_share, 4),
                       "admissible": min_share >= self.min_share}
                results.append(row)
                # best silhouette among admissible candidates; if none is admissible, the largest smallest segment
                key = (row["admissible"], sil if row["admissible"] else min_share)
                if best is None or key > best:
                    best, best_model, self.method_, self.k_ = key, model, method, k
        self.selection_ = results
        self.model_ = self._refit_full(best_model, Zs, seed) if len(sample) < n else best_model
        labels = self.model_.predict(Zs)
        centers = self.model_.cluster_centers_ if self.method_ == "kmeans" else self.model_.means_
        self.silhouette_ = float(silhouette_score(Zs, labels, sample_size=min(self.silhouette_sample, n),
                                                  random_state=seed)) if len(np.unique(labels)) > 1 else -1.0
        self._assign_ids(centers, reference)
        sizes = np.bincount(labels, minlength=len(centers))
        self.segment_sizes_ = {int(self.id_of_label_[i]): int(s) for i, s in enumerate(sizes)}
        return self

    def _refit_full(self, model, Zs: np.ndarray, seed: int):
        if self.method_ == "kmeans":
            return KMeans(n_clusters=self.k_, init=model.cluster_centers_, n_init=1, random_state=seed).fit(Zs)
        return GaussianMixture(n_components=self.k_, covariance_type="full", reg_covar=1e-4, random_state=seed,
                               weights_init=model.weights_, means_init=model.means_,
                               precisions_init=model.precisions_).fit(Zs)

    def _assign_ids(self, centers: np.ndarray, reference) -> None:
        """Give each cluster a segment id: the matched old id, else the next free id in order of spend."""
        k = len(centers)
        unscaled = centers / self.weights_ * self.scale_ + self.center_  # back to log-feature space
        spend_order = np.argsort(-unscaled[:, CORE_FEATURES.index("spend_per_30d")], kind="stable")
        if reference is not None:
            check_is_fitted(reference, "centers_")
            ids, self.id_match_ = match_reference_ids(centers, self.feature_names_in_, self.center_, self.scale_,
                                                      self.weights_, reference, spend_order)
        else:
            ids = np.zeros(k, dtype=int)
            ids[spend_order] = np.arange(1, k + 1)
            self.id_match_ = None
        self.id_of_label_ = ids
        order = np.argsort(ids, kind="stable")
        self.segment_ids_ = ids[order]
        self.centers_ = centers[order]
        self.centers_unscaled_ = unscaled[order]

    def predict(self, X) -> np.ndarray:
        """Segment id of each customer (row of ``X``)."""
        check_is_fitted(self, "centers_")
        with threadpool_limits(self.n_threads):
            return self.id_of_label_[self.model_.predict(self.transform(X))]

    def fit_predict(self, X, y=None, reference=None) -> np.ndarray:
        return self.fit(X, reference=reference).predict(X)
