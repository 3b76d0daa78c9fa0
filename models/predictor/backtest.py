"""Leak-free rolling backtest: at each cutoff C the predictor and every baseline are fitted on orders before
C only, then scored on the customers seen before C against purchases in [C, C + h).
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from models.features import default_as_of, features_from_prepared, labels_from_prepared, prepare_orders
from models.predictor import DEFAULT_HORIZONS
from models.predictor.baselines import BASELINES, make_baseline
from models.predictor.estimator import PurchasePredictor
from models.predictor.metrics import binary_metrics, reliability_table

__all__ = ["run_backtest", "backtest_cutoffs", "paired_differences", "MIN_BUYERS", "PAIRED_METRICS"]

# below this many buyers in a window, AUCs and calibration swing too much between windows to be trusted
MIN_BUYERS = 300
PAIRED_METRICS = ("pr_auc", "roc_auc", "brier_skill", "lift_at_10pct", "ece")


def backtest_cutoffs(orders: pd.DataFrame, horizons, n_cutoffs: int = 8, step_days: int = 14) -> list[pd.Timestamp]:
    """``n_cutoffs`` cutoffs ``step_days`` apart; the last one leaves a full longest-horizon window of data."""
    last = default_as_of(orders) - pd.Timedelta(days=max(horizons))
    return [last - pd.Timedelta(days=step_days * k) for k in range(n_cutoffs)][::-1]


def paired_differences(per_cutoff: list[dict], baseline: str, metrics=PAIRED_METRICS) -> dict:
    """Model minus baseline per cutoff: mean and 95% t-interval across cutoffs."""
    out = {}
    for m in metrics:
        d = np.array([c["model"][m] - c["baselines"][baseline][m] for c in per_cutoff], dtype=np.float64)
        d = d[np.isfinite(d)]
        n = len(d)
        mean = float(d.mean()) if n else float("nan")
        if n >= 2:
            half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n))
        else:
            half = float("nan")
        out[m] = {"mean_diff": mean, "ci_low": mean - half, "ci_high": mean + half, "n": n}
    return out


def _mean(rows: list[dict]) -> dict:
    keys = [k for k, v in rows[0].items() if isinstance(v, (int, float))]
    return {k: float(np.nanmean([r[k] for r in rows])) for k in keys}


def run_backtest(*args, n_threads: int = 1, **kwargs) -> dict:
    """See ``_run_backtest``; BLAS/OpenMP pools are held at ``n_threads`` (the cores are shared)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n_threads):
        return _run_backtest(*args, **kwargs)


def _run_backtest(
    orders: pd.DataFrame,
    products: pd.DataFrame | None = None,
    *,
    horizons=DEFAULT_HORIZONS,
    n_cutoffs: int = 8,
    step_days: int = 14,
    model_params: dict | None = None,
    baselines=tuple(BASELINES),
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Per cutoff and horizon: metrics for the model and each baseline; means; paired differences with 95% CIs;
    a pooled reliability table for the model; warnings for windows with fewer than ``MIN_BUYERS`` buyers."""
    say = progress or (lambda m: None)
    started = time.perf_counter()
    horizons = tuple(int(h) for h in horizons)
    cutoffs = backtest_cutoffs(orders, horizons, n_cutoffs, step_days)
    ts = pd.to_datetime(orders["timestamp"])
    all_prep = prepare_orders(orders)  # labels only: reads orders on/after each cutoff, never features
    per = {h: [] for h in horizons}
    pooled = {h: ([], []) for h in horizons}
    warnings: list[str] = []
    fit_seconds = []
    for i, cutoff in enumerate(cutoffs):
        t0 = time.perf_counter()
        before = orders[ts < cutoff]
        params = dict(model_params or {}, horizons=horizons, random_state=random_state)
        est = PurchasePredictor(**params).fit(before, products, as_of=cutoff)
        fit_seconds.append(time.perf_counter() - t0)
        feats = est.features(before, cutoff, products)
        pred = est.predict(feats)
        prep_c = prepare_orders(before)
        base_feats = features_from_prepared(prep_c, cutoff, n_weeks=1).reindex(feats.index)
        cache: dict = {}
        for h in horizons:
            y = labels_from_prepared(all_prep, cutoff, h, index=feats.index).to_numpy()
            p = pred[f"p_buy_{h}"].to_numpy()
            row = {"cutoff": str(cutoff.date()), "model": binary_metrics(y, p), "baselines": {}}
            pooled[h][0].append(y)
            pooled[h][1].append(p)
            for name in baselines:
                b = make_baseline(name, random_state=random_state).fit(prep_c, cutoff, h, cache=cache)
                row["baselines"][name] = binary_metrics(y, b.predict_proba(base_feats))
            per[h].append(row)
            if row["model"]["n_buyers"] < MIN_BUYERS:
                warnings.append(f"cutoff {cutoff.date()}, {h}-day window: only {row['model']['n_buyers']} buyers "
                                f"(< {MIN_BUYERS}); these metrics are noisy, do not trust small differences")
        say(f"backtest cutoff {i + 1}/{len(cutoffs)} {cutoff.date()}: "
            + ", ".join(f"{h}d PR-AUC {per[h][-1]['model']['pr_auc']:.3f} "
                        f"(logistic RFM {per[h][-1]['baselines'].get('logistic_rfm', {}).get('pr_auc', float('nan')):.3f})"
                        for h in horizons)
            + f" [{time.perf_counter() - t0:.1f} s]")
    result = {"horizons": list(horizons), "cutoffs": [str(c.date()) for c in cutoffs], "step_days": step_days,
              "baselines": list(baselines), "per_cutoff": {}, "mean": {}, "paired": {}, "reliability": {},
              "warnings": warnings}
    for h in horizons:
        rows = per[h]
        key = str(h)
        result["per_cutoff"][key] = rows
        result["mean"][key] = {"model": _mean([r["model"] for r in rows]),
                               **{b: _mean([r["baselines"][b] for r in rows]) for b in baselines}}
        result["paired"][key] = {b: paired_differences(rows, b) for b in baselines}
        result["reliability"][key] = reliability_table(np.concatenate(pooled[h][0]), np.concatenate(pooled[h][1]))
    if len(cutoffs) > 1 and step_days < max(horizons):
        result["note"] = (f"cutoffs are {step_days} days apart, so windows of {max(horizons)} days overlap; "
                          "the t-intervals across cutoffs are then somewhat too narrow")
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["model_fit_seconds_mean"] = round(float(np.mean(fit_seconds)), 1)
    return result
