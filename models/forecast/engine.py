"""Fit one method per series of a panel and forecast ``h`` periods ahead, holidays adjusted, in parallel.

Each column is fitted on its own (the series are independent until reconciliation); columns are split over
``n_jobs`` worker processes when there are many, each held to one BLAS thread (the cores are shared and
statsmodels' optimiser slows down badly when OpenBLAS threads compete).
"""

from __future__ import annotations

import numpy as np

from .holidays import adjust_holidays
from .methods import Forecaster

__all__ = ["forecast_columns", "PARALLEL_MIN_SERIES"]

PARALLEL_MIN_SERIES = 24


def _one(y: np.ndarray, method: str, h: int, season_length: int | None, train_names: list, future_names: list,
         nonneg: bool) -> dict:
    adjusted, effects = adjust_holidays(y, train_names)
    f = Forecaster(method, season_length).fit(adjusted)
    p = f.predict(h)
    scale = np.array([effects.get(n, 1.0) if n else 1.0 for n in future_names], dtype=np.float64)
    mean, sd = p["mean"] * scale, p["sd"] * scale
    if nonneg:
        mean = np.maximum(mean, 0.0)
    return {"mean": mean, "sd": sd, "resid": f.resid_, "spec": f.spec_, "fallback": f.fallback_,
            "holiday_effects": effects}


def _chunk(cols: list[tuple], h: int, season_length: int | None, train_names: list, future_names: list) -> list[dict]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return [_one(y, m, h, season_length, train_names, future_names, nn) for y, m, nn in cols]


def forecast_columns(values: np.ndarray, methods: list[str], h: int, *, season_length: int | None = None,
                     train_names: list | None = None, future_names: list | None = None,
                     nonnegative: list[bool] | None = None, n_jobs: int = 1) -> dict:
    """``values``: T × n training panel; ``methods``: one per column. Returns mean, sd (n × h), resid
    (T' × n, the common tail of the one-step errors), specs, fallbacks and holiday effects per column."""
    values = np.asarray(values, dtype=np.float64)
    T, n = values.shape
    train_names = list(train_names or [None] * T)
    future_names = list(future_names or [None] * h)
    nonnegative = list(nonnegative if nonnegative is not None else [False] * n)
    cols = [(values[:, j], methods[j], nonnegative[j]) for j in range(n)]
    if n_jobs > 1 and n >= PARALLEL_MIN_SERIES:
        from joblib import Parallel, delayed

        parts = np.array_split(np.arange(n), n_jobs * 4)
        res = Parallel(n_jobs=n_jobs)(delayed(_chunk)([cols[j] for j in idx], h, season_length, train_names,
                                                      future_names) for idx in parts if len(idx))
        out = [r for part in res for r in part]
    else:
        out = _chunk(cols, h, season_length, train_names, future_names)
    t_min = min(len(r["resid"]) for r in out)
    return {"mean": np.stack([r["mean"] for r in out]), "sd": np.stack([r["sd"] for r in out]),
            "resid": np.stack([r["resid"][len(r["resid"]) - t_min:] for r in out], axis=1),
            "specs": [r["spec"] for r in out], "fallbacks": [r["fallback"] for r in out],
            "holiday_effects": [r["holiday_effects"] for r in out]}
