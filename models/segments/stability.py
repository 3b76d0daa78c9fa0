"""Do the segments survive? Bootstrap and month-apart ARI, and matching a refit's clusters to the old ids.

``match_reference_ids`` is how segment ids survive a refit: the new centroids are matched to the previous
model's by the Hungarian assignment on squared distance in the new fit's scaled space.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import adjusted_rand_score

from models.features import features_at

__all__ = ["bootstrap_ari", "cutoff_ari", "match_reference_ids"]


def match_reference_ids(centers: np.ndarray, feature_names: list[str], center: np.ndarray, scale: np.ndarray,
                        weights: np.ndarray, reference, spend_order: np.ndarray) -> tuple[np.ndarray, dict]:
    """(segment id per new cluster, {old id: centroid distance}) for clusters ``centers`` of a new fit.

    ``reference`` is the fitted previous segmenter; ``center`` / ``scale`` / ``weights`` are the new fit's
    scaler. Clusters left without a match (more clusters than before) get the next free ids in
    ``spend_order``.
    """
    common = [c for c in feature_names if c in reference.feature_names_in_]
    mine = [feature_names.index(c) for c in common]
    theirs = [reference.feature_names_in_.index(c) for c in common]
    # compare in *this* fit's scaled space: old centroids are re-scaled with the new scaler
    old = (reference.centers_unscaled_[:, theirs] - center[mine]) / scale[mine] * weights[mine]
    cost = ((centers[:, None, mine] - old[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    ids = np.full(len(centers), -1, dtype=int)
    for r, c in zip(rows, cols):
        ids[r] = reference.segment_ids_[c]
    distance = {int(reference.segment_ids_[c]): round(float(np.sqrt(cost[r, c])), 4) for r, c in zip(rows, cols)}
    next_id = int(max(reference.segment_ids_)) + 1
    for r in spend_order:
        if ids[r] < 0:
            ids[r], next_id = next_id, next_id + 1
    return ids, distance


def bootstrap_ari(segmenter: BaseEstimator, X: pd.DataFrame, n_boot: int = 10, random_state: int = 0) -> dict:
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


def cutoff_ari(segmenter: BaseEstimator, orders: pd.DataFrame, cutoff, products=None,
               months_apart: int = 1) -> dict:
    """ARI between segmenters fitted at ``cutoff - months_apart`` and at ``cutoff``, both predicting the same
    customers (their features at ``cutoff``): does the segment definition survive a month of new data?"""
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
