"""Baselines the predictor must beat, each fitted on data before a cutoff and scoring customers at it.

Every baseline has ``fit(prep, cutoff, horizon_days, cache=None)`` (training label windows end by the cutoff)
and ``predict_proba(features) -> np.ndarray``. ``prep`` is ``features.PreparedOrders`` built from orders before
the cutoff; ``cache`` (a dict) lets baselines fitted at the same cutoff share training snapshots.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from models.predictor.bgnbd import BetaGeoModel, rft_from_features
from models.data.errors import NotFittedError
from models.features import PreparedOrders, features_from_prepared, labels_from_prepared

__all__ = ["BASELINES", "make_baseline", "BaseRate", "RecencyOnly", "LogisticRFM", "GradientBoostingRFM",
           "BGNBDBaseline", "RFM_COLUMNS", "training_snapshots"]

RFM_COLUMNS = ["recency_days", "frequency", "monetary", "tenure_days"]


def training_snapshots(prep: PreparedOrders, cutoff, horizon_days: int, n_snapshots: int = 8,
                       step_days: int = 7, n_weeks: int = 26) -> tuple[pd.DataFrame, np.ndarray]:
    """Stacked (features, label) over cutoffs t = cutoff - h - k*step whose label windows end by ``cutoff``."""
    cutoff = pd.Timestamp(cutoff)
    first = pd.Timestamp(prep.ts.min()) if len(prep.ts) else cutoff
    frames, labels = [], []
    for k in range(n_snapshots):
        t = cutoff - pd.Timedelta(days=horizon_days + k * step_days)
        if t <= first + pd.Timedelta(days=14):
            break
        f = features_from_prepared(prep, t, n_weeks=n_weeks)
        if len(f) == 0:
            continue
        frames.append(f)
        labels.append(labels_from_prepared(prep, t, horizon_days, index=f.index).to_numpy())
    if not frames:
        raise ValueError(f"too little history before {cutoff.date()} to fit a {horizon_days}-day baseline")
    return pd.concat(frames, ignore_index=True), np.concatenate(labels)


def _cached_snapshots(cache, prep, cutoff, horizon_days, n_snapshots=8):
    if cache is None:
        return training_snapshots(prep, cutoff, horizon_days, n_snapshots=n_snapshots)
    key = ("snapshots", str(cutoff), int(horizon_days), n_snapshots)
    if key not in cache:
        cache[key] = training_snapshots(prep, cutoff, horizon_days, n_snapshots=n_snapshots)
    return cache[key]


def _rfm(features: pd.DataFrame) -> np.ndarray:
    return np.log1p(np.clip(features[RFM_COLUMNS].to_numpy(np.float64), 0, None))


class _Baseline:
    name = "baseline"

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def _check(self) -> None:
        if not hasattr(self, "fitted_"):
            raise NotFittedError(f"{self.name} is not fitted yet")


class BaseRate(_Baseline):
    """Everyone gets the share of customers who bought in the most recent complete window before the cutoff."""

    name = "base_rate"

    def fit(self, prep, cutoff, horizon_days, cache=None):
        t = pd.Timestamp(cutoff) - pd.Timedelta(days=horizon_days)
        seen = features_from_prepared(prep, t, n_weeks=1).index
        if len(seen) == 0:
            raise ValueError(f"too little history before {pd.Timestamp(cutoff).date()} for a {horizon_days}-day base rate")
        self.rate_ = float(labels_from_prepared(prep, t, horizon_days, index=seen).mean())
        self.fitted_ = True
        return self

    def predict_proba(self, features):
        self._check()
        return np.full(len(features), self.rate_)


class _SklearnRFM(_Baseline):
    columns = RFM_COLUMNS

    def _X(self, features):
        return _rfm(features)

    def fit(self, prep, cutoff, horizon_days, cache=None):
        from threadpoolctl import threadpool_limits

        f, y = _cached_snapshots(cache, prep, cutoff, horizon_days)
        self.model_ = self._make()
        # OpenMP in HistGradientBoosting spins badly when the cores are shared; one thread is faster here
        with threadpool_limits(limits=1):
            self.model_.fit(self._X(f), y)
        self.fitted_ = True
        return self

    def predict_proba(self, features):
        from threadpoolctl import threadpool_limits

        self._check()
        with threadpool_limits(limits=1):
            return self.model_.predict_proba(self._X(features))[:, 1]


class RecencyOnly(_SklearnRFM):
    """Logistic regression on log(days since the last order) alone."""

    name = "recency"

    def _X(self, features):
        return np.log1p(features[["recency_days"]].to_numpy(np.float64))

    def _make(self):
        return LogisticRegression(max_iter=1000)


class LogisticRFM(_SklearnRFM):
    """Logistic regression on log recency, frequency, monetary and tenure (what a careful analyst fits)."""

    name = "logistic_rfm"

    def _make(self):
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


class GradientBoostingRFM(_SklearnRFM):
    """scikit-learn HistGradientBoosting on the same RFM features."""

    name = "gbm_rfm"

    def _make(self):
        return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_leaf_nodes=15,
                                              early_stopping=False, random_state=self.random_state)


class BGNBDBaseline(_Baseline):
    """BG/NBD fitted by maximum likelihood on everyone's history at the cutoff (no labels needed)."""

    name = "bgnbd"

    def fit(self, prep, cutoff, horizon_days, cache=None):
        key = ("bgnbd", str(cutoff))
        if cache is not None and key in cache:
            self.model_ = cache[key]  # the fit does not depend on the horizon
        else:
            f = features_from_prepared(prep, cutoff, n_weeks=1)
            self.model_ = BetaGeoModel().fit(*rft_from_features(f))
            if cache is not None:
                cache[key] = self.model_
        self.horizon_weeks_ = horizon_days / 7.0
        self.fitted_ = True
        return self

    def predict_proba(self, features):
        self._check()
        return self.model_.prob_purchase(self.horizon_weeks_, *rft_from_features(features))


BASELINES = {c.name: c for c in (BaseRate, RecencyOnly, LogisticRFM, GradientBoostingRFM, BGNBDBaseline)}


def make_baseline(name: str, random_state: int = 0) -> _Baseline:
    try:
        return BASELINES[name](random_state=random_state)
    except KeyError:
        raise ValueError(f"unknown baseline {name!r}; expected one of {', '.join(BASELINES)}") from None
