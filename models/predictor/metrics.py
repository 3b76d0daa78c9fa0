"""Ranking and calibration metrics for a buy/no-buy prediction over one window."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = ["TOP_FRACTIONS", "binary_metrics", "reliability_table", "expected_calibration_error", "top_k_metrics"]

TOP_FRACTIONS = (0.01, 0.05, 0.10)


def _pct(f: float) -> str:
    return f"{int(round(f * 100))}pct"


def top_k_metrics(y: np.ndarray, p: np.ndarray, fractions=TOP_FRACTIONS) -> dict:
    """Precision, lift and recall among the top fraction of customers ranked by ``p`` (ties: stable order)."""
    y = np.asarray(y, dtype=np.float64)
    order = np.argsort(-np.asarray(p, dtype=np.float64), kind="stable")
    base = y.mean() if len(y) else float("nan")
    out = {}
    for f in fractions:
        k = max(1, math.ceil(f * len(y)))
        hits = y[order[:k]].sum()
        prec = hits / k
        out[f"precision_at_{_pct(f)}"] = float(prec)
        out[f"lift_at_{_pct(f)}"] = float(prec / base) if base > 0 else float("nan")
        out[f"recall_at_{_pct(f)}"] = float(hits / y.sum()) if y.sum() > 0 else float("nan")
    return out


def reliability_table(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> list[dict]:
    """Equal-count bins of the predicted probability (deciles): mean predicted vs observed rate per bin."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if len(y) == 0:
        return []
    order = np.argsort(p, kind="stable")
    rows = []
    for b, idx in enumerate(np.array_split(order, min(n_bins, len(y)))):
        if len(idx) == 0:
            continue
        rows.append({"bin": b + 1, "predicted": float(p[idx].mean()), "observed": float(y[idx].mean()),
                     "n": int(len(idx))})
    return rows


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    table = reliability_table(y, p, n_bins)
    n = sum(r["n"] for r in table)
    return float(sum(r["n"] / n * abs(r["predicted"] - r["observed"]) for r in table)) if n else float("nan")


def binary_metrics(y: np.ndarray, p: np.ndarray) -> dict:
    """Everything the backtest reports for one window: ranking, top-k, Brier (+ skill vs the window's own
    base rate), ECE over deciles, and the sum of predicted vs actual buyers."""
    y = np.asarray(y, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    n, buyers = len(y), float(y.sum())
    both = 0 < buyers < n
    brier = float(np.mean((p - y) ** 2)) if n else float("nan")
    base = buyers / n if n else float("nan")
    ref = base * (1 - base)
    out = {
        "n_customers": int(n),
        "n_buyers": int(buyers),
        "base_rate": float(base),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier": brier,
        "brier_skill": float(1 - brier / ref) if ref > 0 else float("nan"),
        "ece": expected_calibration_error(y, p),
        "predicted_buyers": float(p.sum()),
        "actual_buyers": int(buyers),
        "predicted_vs_actual_buyers": float(p.sum() / buyers) if buyers > 0 else float("nan"),
    }
    out.update(top_k_metrics(y, p))
    return out
