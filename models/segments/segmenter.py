"""Customer segments: a seeded clustering of per-customer features, with ids that survive retraining.

``CustomerSegmenter`` follows the scikit-learn estimator contract. It takes the frame ``features_at`` returns
(optionally with a ``p_buy_30d`` column), turns order and spend totals into rates per 30 days of tenure,
log-transforms the skewed money/count/day columns, scales robustly
(median / IQR), then picks the clustering on the data: k-means and a Gaussian mixture for every k in
``k_range``, keeping the candidate with the best silhouette (on a seeded sample) among those whose every
segment holds at least ``min_share`` of customers. Passing a previously fitted segmenter as ``reference``
matches the new clusters to the old ones by centroid (Hungarian assignment), so segment ids survive a refit.

The workspace side (``fit_workspace``, ``load_segments``, ``segment_members``) sits at the bottom: it reads the
tables, fits, profiles and names the segments (``models.segments.profiles``) and saves the artifacts atomically.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

__all__ = [
    "CustomerSegmenter", "REQUIRED_FEATURES", "CORE_FEATURES", "RATE_FEATURES", "CATEGORY_PREFIX",
    "bootstrap_ari", "cutoff_ari", "fit_workspace", "load_segments", "find_segment", "segment_members",
]

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
        ids = np.zeros(k, dtype=int)
        self.id_match_ = None
        if reference is not None:
            check_is_fitted(reference, "centers_")
            common = [c for c in self.feature_names_in_ if c in reference.feature_names_in_]
            mine = [self.feature_names_in_.index(c) for c in common]
            theirs = [reference.feature_names_in_.index(c) for c in common]
            # compare in *this* fit's scaled space: old centroids are re-scaled with the new scaler
            old = (reference.centers_unscaled_[:, theirs] - self.center_[mine]) / self.scale_[mine] * self.weights_[mine]
            cost = ((centers[:, None, mine] - old[None, :, :]) ** 2).sum(axis=2)
            rows, cols = linear_sum_assignment(cost)
            ids[:] = -1
            for r, c in zip(rows, cols):
                ids[r] = reference.segment_ids_[c]
            self.id_match_ = {int(reference.segment_ids_[c]): round(float(np.sqrt(cost[r, c])), 4)
                              for r, c in zip(rows, cols)}
            next_id = int(max(reference.segment_ids_)) + 1
            for r in spend_order:
                if ids[r] < 0:
                    ids[r], next_id = next_id, next_id + 1
        else:
            ids[spend_order] = np.arange(1, k + 1)
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


# -- stability ----------------------------------------------------------------------------------------
def bootstrap_ari(segmenter: CustomerSegmenter, X: pd.DataFrame, n_boot: int = 10, random_state: int = 0) -> dict:
    """Adjusted Rand index between the segments of ``segmenter`` fitted on all of ``X`` and segmenters refitted
    on bootstrap resamples (fresh seed each), all predicting the same customers. 1 = identical partitions."""
    base = clone(segmenter).fit(X).predict(X)
    rng = np.random.default_rng(random_state)
    values = []
    for b in range(n_boot):
        idx = rng.integers(0, len(X), size=len(X))
        refit = clone(segmenter).set_params(random_state=int(rng.integers(0, 2**31 - 1))).fit(X.iloc[idx])
        values.append(float(adjusted_rand_score(base, refit.predict(X))))
    return {"mean": float(np.mean(values)), "min": float(np.min(values)), "values": values, "n_boot": n_boot}


def cutoff_ari(segmenter: CustomerSegmenter, orders: pd.DataFrame, cutoff, products=None,
               months_apart: int = 1) -> dict:
    """ARI between segmenters fitted at ``cutoff - months_apart`` and at ``cutoff``, both predicting the same
    customers (their features at ``cutoff``): does the segment definition survive a month of new data?"""
    from models.features import features_at

    cutoff = pd.Timestamp(cutoff)
    earlier = cutoff - pd.DateOffset(months=months_apart)
    X_now = features_at(orders, cutoff, products=products)
    X_then = features_at(orders, earlier, products=products)
    columns = [c for c in X_now.columns if c in X_then.columns]
    X_now, X_then = X_now[columns], X_then[columns]
    old = clone(segmenter).fit(X_then)
    new = clone(segmenter).fit(X_now, reference=old)
    common = X_now.index.intersection(X_then.index)
    ari = float(adjusted_rand_score(old.predict(X_now.loc[common]), new.predict(X_now.loc[common])))
    return {"ari": ari, "cutoffs": [earlier.date().isoformat(), cutoff.date().isoformat()],
            "n_customers": int(len(common)), "k": [int(old.k_), int(new.k_)]}




# -- workspace ----------------------------------------------------------------------------------------
MODEL_FILE, ASSIGN_FILE, PROFILES_FILE = "segmenter.joblib", "segments.parquet", "segment_profiles.json"


def _predicted_p_buy(ws) -> pd.Series | None:
    """The predictor's P(buy in 30 days) per customer, or None when no predictor is trained."""
    if not ws.artifact_path("predictor.pt").exists():
        return None
    from models.data.errors import NotFittedError, WorkspaceError

    try:
        from models.predictor.scoring import score_customers

        scores = score_customers(ws, horizon_days=30)
    except (ImportError, NotFittedError, WorkspaceError, FileNotFoundError, ValueError, KeyError):
        return None  # predictor missing, stale or without a 30-day head: segment without it
    return scores.set_index(scores["customer_id"].astype("string"))["p_buy"].astype("float64")


def fit_workspace(ws, progress: bool = True, *, as_of=None, save: bool | None = None, random_state: int = 0,
                  segmenter: CustomerSegmenter | None = None) -> dict:
    """Fit segments on the workspace's orders as of ``as_of`` (default: the day after the last order).

    Saves artifacts/segments.parquet, segment_profiles.json and segmenter.joblib (default: only for the
    default ``as_of``; a past ``as_of`` is a what-if view). A saved previous model lends its segment ids.
    Returns a summary with the profiles.
    """
    import joblib

    from models.data.atomic import atomic_path, atomic_write_text
    from models.features import features_at
    from models.segments.naming import name_segments
    from models.segments.profiles import build_profiles

    say = (lambda msg: print(f"[segments] {msg}", flush=True)) if progress else (lambda msg: None)
    orders = ws.read_table("orders")
    products = ws.read_table("products") if ws.has_table("products") else None
    customers = ws.read_table("customers") if ws.has_table("customers") else None
    latest = orders["timestamp"].max().normalize() + pd.Timedelta(days=1)
    cutoff = latest if as_of is None else pd.Timestamp(as_of)
    save = (cutoff == latest) if save is None else save
    orders = orders[orders["timestamp"] < cutoff]
    if orders.empty:
        raise ValueError(f"no orders before {cutoff.date()}: nothing to segment")
    say(f"features for {orders['customer_id'].nunique():,} customers as of {cutoff.date()}")
    X = features_at(orders, cutoff, products=products)
    p_buy = _predicted_p_buy(ws) if cutoff == latest else None
    if p_buy is not None:
        X = X.assign(p_buy_30d=p_buy.reindex(X.index).fillna(p_buy.median()).to_numpy())
    reference = None
    model_path = ws.artifact_path(MODEL_FILE)
    if model_path.exists():
        try:
            reference = joblib.load(model_path)
        except Exception:  # an unreadable old model only costs id continuity
            reference = None
    say("choosing the clustering" + (" (keeping the previous segment ids)" if reference is not None else ""))
    model = clone(segmenter) if segmenter is not None else CustomerSegmenter(random_state=random_state)
    model.fit(X, reference=reference)
    ids = pd.Series(model.predict(X), index=X.index, name="segment_id")
    profiles, overall = build_profiles(X, ids, orders, products, customers, p_buy)
    profiles = name_segments(profiles, overall)
    name_of = {p["segment_id"]: p["name"] for p in profiles}
    assignments = pd.DataFrame({
        "customer_id": X.index.astype("string"),
        "segment_id": ids.to_numpy().astype("int64"),
        "segment": pd.array([name_of[i] for i in ids], dtype="string"),
        "recency_days": X["recency_days"].to_numpy(dtype="float64"),
        "orders": X["frequency"].to_numpy(dtype="float64"),
        "spend": X["monetary"].to_numpy(dtype="float64"),
        "avg_basket": X["avg_basket"].to_numpy(dtype="float64"),
        "p_buy_30d": X["p_buy_30d"].to_numpy(dtype="float64") if p_buy is not None else np.nan,
    })
    summary = {
        "as_of": cutoff.date().isoformat(), "data_hash": ws.data_hash(), "n_customers": int(len(X)),
        "method": model.method_, "k": int(model.k_), "silhouette": round(model.silhouette_, 4),
        "min_share": round(min(p["share_customers"] for p in profiles), 4),
        "uses_p_buy_30d": p_buy is not None, "ids_from_previous": reference is not None,
        "segments": [{"segment_id": p["segment_id"], "name": p["name"], "size": p["size"]} for p in profiles],
    }
    if save:
        import json

        with atomic_path(ws.artifact_path(ASSIGN_FILE), suffix=".parquet") as tmp:
            assignments.to_parquet(tmp, index=False)
        atomic_write_text(ws.artifact_path(PROFILES_FILE), json.dumps(
            {"as_of": summary["as_of"], "overall": overall, "segments": profiles}, indent=2, default=str))
        with atomic_path(model_path, suffix=".joblib") as tmp:
            joblib.dump(model, tmp)
        ws.record_artifact("segments", {**summary, "files": [ASSIGN_FILE, PROFILES_FILE, MODEL_FILE]})
        say(f"saved {model.k_} segments ({model.method_}, silhouette {model.silhouette_:.3f})")
    return {**summary, "saved": bool(save), "overall": overall, "profiles": profiles}


def load_segments(ws) -> tuple[pd.DataFrame, list[dict]]:
    """Saved assignments (customer_id, segment_id, segment, plus recency_days, orders, spend, avg_basket,
    p_buy_30d) and profiles. WorkspaceError with a hint when segments were never fitted."""
    import json

    from models.data.errors import WorkspaceError

    assign_path, prof_path = ws.artifact_path(ASSIGN_FILE), ws.artifact_path(PROFILES_FILE)
    if not assign_path.exists() or not prof_path.exists():
        raise WorkspaceError(f"no segments in {ws.path}: run `mka segments` to fit them")
    return pd.read_parquet(assign_path), json.loads(prof_path.read_text("utf-8"))["segments"]


def segment_members(ws, name_or_id, limit: int | None = None) -> tuple[dict, pd.DataFrame]:
    """The profile of one segment and its customers with their key numbers, most likely buyers (or biggest
    spenders, without a predictor) first."""
    from models.segments.profiles import find_segment

    assignments, profiles = load_segments(ws)
    profile = find_segment(profiles, name_or_id)
    members = assignments[assignments["segment_id"] == profile["segment_id"]]
    has_p = "p_buy_30d" in members and members["p_buy_30d"].notna().any()
    keys = (["p_buy_30d"] if has_p else []) + ["spend", "customer_id"]
    members = members.sort_values(keys, ascending=[False] * (len(keys) - 1) + [True], kind="stable")
    if not has_p:
        members = members.drop(columns=["p_buy_30d"], errors="ignore")
    # rounded for people and CSV files; the parquet keeps full precision
    members = members.reset_index(drop=True).round({"recency_days": 1, "spend": 2, "avg_basket": 2, "p_buy_30d": 4})
    members["orders"] = members["orders"].astype("int64")
    return profile, members.head(limit) if limit is not None else members


def find_segment(profiles: list[dict], name_or_id) -> dict:
    """See ``models.segments.profiles.find_segment`` (case-insensitive id, name, prefix or words)."""
    from models.segments.profiles import find_segment as _find

    return _find(profiles, name_or_id)
