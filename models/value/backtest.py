"""Leak-free rolling backtest of customer value (CLV) and churn risk.

At each cutoff C every candidate is fitted on orders before C only and scores the customers seen before C:
- CLV: spend predicted over [C, C + holdout_days) against the actual spend there — Spearman, MAE,
  Σpredicted/Σactual and the share of holdout revenue captured by the top decile — for BG/NBD + Gamma-Gamma,
  the purchase predictor's expected spend and the past-average × length baseline.
- Churn: "no purchase in [C, C + churn_days)" ranked by the predictor's 1 − P(buy), BG/NBD's, and the
  recency-only baseline (days since the last purchase) — precision and lift at the top 10%, PR-AUC, ROC-AUC.
Paired differences across cutoffs (mean and 95% t-interval) come from the purchase backtest's machinery.
The default of each target is the candidate model the backtest ranks best; its name is on every output.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from models.features import default_as_of, normalize_orders
from models.predictor.backtest import backtest_cutoffs, paired_differences
from models.predictor.metrics import top_k_metrics
from models.value.clv import CustomerValueModel, customer_summary

__all__ = ["run_value_backtest", "clv_metrics", "churn_metrics", "choose_default", "value_backtest_line",
           "CLV_LABELS", "CHURN_LABELS", "CLV_CANDIDATES", "CHURN_CANDIDATES", "CLV_METRICS", "CHURN_METRICS"]

CLV_LABELS = {"bgnbd_gamma_gamma": "BG/NBD + Gamma-Gamma", "predictor": "purchase predictor's expected spend",
              "past_average": "past average × length"}
CHURN_LABELS = {"predictor": "purchase predictor (1 − P(buy))", "bgnbd": "BG/NBD (1 − P(buy))",
                "overdue": "overdue ratio (days since last ÷ own usual gap)",
                "recency_only": "recency only (days since last purchase)"}
CLV_CANDIDATES = ("bgnbd_gamma_gamma", "predictor")  # the models the product can use; past_average is a baseline
CHURN_CANDIDATES = ("predictor", "bgnbd")
CLV_METRICS = ("spearman", "top_decile_capture", "mae", "pred_over_actual")
CHURN_METRICS = ("precision_at_10pct", "lift_at_10pct", "pr_auc", "roc_auc")
MIN_HISTORY_DAYS = 56


def clv_metrics(pred, actual) -> dict:
    """Spearman, MAE, Σpredicted/Σactual and the top decile's (by prediction) share of actual holdout spend."""
    pred = np.asarray(pred, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    n = len(pred)
    k = max(1, int(np.ceil(n / 10)))
    top = np.argsort(-pred, kind="stable")[:k]
    total = float(actual.sum())
    sp = stats.spearmanr(pred, actual).statistic if n > 2 and np.ptp(pred) > 0 and np.ptp(actual) > 0 else np.nan
    return {"n_customers": int(n), "actual_total": total, "predicted_total": float(pred.sum()),
            "spearman": float(sp), "mae": float(np.abs(pred - actual).mean()) if n else float("nan"),
            "pred_over_actual": float(pred.sum() / total) if total > 0 else float("nan"),
            "top_decile_capture": float(actual[top].sum() / total) if total > 0 else float("nan")}


def churn_metrics(churned, risk) -> dict:
    """Ranking metrics for "no purchase in the window" (1 = churned) by a risk score (higher = riskier)."""
    y = np.asarray(churned, dtype=np.float64)
    r = np.asarray(risk, dtype=np.float64)
    both = 0 < y.sum() < len(y)
    top = top_k_metrics(y, r, fractions=(0.10,))
    return {"n_customers": int(len(y)), "n_churned": int(y.sum()), "churn_rate": float(y.mean()) if len(y) else np.nan,
            "precision_at_10pct": top["precision_at_10pct"], "lift_at_10pct": top["lift_at_10pct"],
            "recall_at_10pct": top["recall_at_10pct"],
            "pr_auc": float(average_precision_score(y, r)) if both else float("nan"),
            "roc_auc": float(roc_auc_score(y, r)) if both else float("nan")}


def _list_check(values: pd.DataFrame, churned: np.ndarray, actual: np.ndarray, q: float = 0.8) -> dict:
    """How the at-risk list (CLV ≥ the q-quantile and overdue > 1) fared after the cutoff: churn rate and
    holdout spend per customer of the listed vs all high-value customers vs everyone."""
    clv = values["clv"].to_numpy(np.float64)
    high = clv >= np.quantile(clv, q)
    listed = high & (values["overdue_ratio"].to_numpy(np.float64) > 1)

    def rate(m):
        return float(churned[m].mean()) if m.any() else float("nan")

    return {"n_listed": int(listed.sum()), "n_high_value": int(high.sum()), "churn_rate_listed": rate(listed),
            "churn_rate_high_value_not_listed": rate(high & ~listed), "churn_rate_all": rate(np.ones_like(high)),
            "holdout_spend_per_listed": float(actual[listed].mean()) if listed.any() else float("nan"),
            "holdout_spend_per_high_value": float(actual[high].mean()) if high.any() else float("nan")}


def _mean(rows: list[dict]) -> dict:
    return {k: float(np.nanmean([r[k] for r in rows])) if any(np.isfinite(r[k]) for r in rows) else float("nan")
            for k in rows[0]}


def _paired(per_cutoff: list[dict], a: str, b: str, metrics) -> dict:
    rows = [{"model": r["scores"][a], "baselines": {b: r["scores"][b]}} for r in per_cutoff
            if a in r["scores"] and b in r["scores"]]
    return paired_differences(rows, b, metrics) if rows else {}


def choose_default(mean: dict, candidates, metric: str, calibration_key: str | None = None) -> tuple[str, str]:
    """(the candidate with the best mean ``metric``, the rule in words). For CLV only candidates whose mean
    Σpredicted/Σactual is within 0.8–1.2 qualify while any does."""
    avail = [c for c in candidates if c in mean and np.isfinite(mean[c].get(metric, np.nan))]
    if not avail:
        raise ValueError("no candidate model could be backtested")
    rule = f"highest mean {metric.replace('_', ' ')} over the cutoffs"
    if calibration_key:
        ok = [c for c in avail if 0.8 <= mean[c].get(calibration_key, np.nan) <= 1.2]
        if ok:
            avail = ok
            rule += " among candidates with Σpredicted/Σactual within 0.8–1.2"
    return max(avail, key=lambda c: mean[c][metric]), rule


def _fit_predictor(before, products, cutoff, horizons, params, random_state):
    from models.predictor.estimator import PurchasePredictor  # torch: imported only when the candidate runs

    est = PurchasePredictor(**dict(params or {}, horizons=horizons, random_state=random_state)).fit(
        before, products, as_of=cutoff)
    return est.predict(est.features(before, cutoff, products))


def run_value_backtest(*args, n_threads: int = 1, **kwargs) -> dict:
    """See ``_run``; BLAS/OpenMP pools are held at ``n_threads`` (the cores are shared)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n_threads):
        return _run(*args, **kwargs)


def _run(orders: pd.DataFrame, products: pd.DataFrame | None = None, *, holdout_days: int = 90,
         churn_days: int = 30, n_cutoffs: int = 8, step_days: int = 14, with_predictor: bool = True,
         predictor_params: dict | None = None, random_state: int = 0,
         progress: Callable[[str], None] | None = None) -> dict:
    say = progress or (lambda m: None)
    started = time.perf_counter()
    o = normalize_orders(orders)
    first = o["timestamp"].min()
    cutoffs = [c for c in backtest_cutoffs(o, (holdout_days, churn_days), n_cutoffs, step_days)
               if (c - first).days >= MIN_HISTORY_DAYS]
    if not cutoffs:
        span = (default_as_of(o) - first).days
        raise ValueError(f"the orders span {span} days: a value backtest needs at least {MIN_HISTORY_DAYS} days "
                         f"of history before a cutoff plus a {max(holdout_days, churn_days)}-day holdout")
    horizons = tuple(sorted({int(churn_days), int(holdout_days)}))
    clv_rows, churn_rows, warnings = [], [], []
    predictor_error = None
    for i, cutoff in enumerate(cutoffs):
        t0 = time.perf_counter()
        before = o[o["timestamp"] < cutoff]
        summary = customer_summary(before, cutoff)
        ids = summary.index
        hold = o[(o["timestamp"] >= cutoff) & (o["timestamp"] < cutoff + pd.Timedelta(days=holdout_days))]
        actual = hold.groupby("customer_id")["amount"].sum()
        actual.index = actual.index.astype("string")
        actual = actual.reindex(ids).fillna(0.0).clip(lower=0).to_numpy()
        win = o[(o["timestamp"] >= cutoff) & (o["timestamp"] < cutoff + pd.Timedelta(days=churn_days))]
        churned = (~ids.isin(set(win["customer_id"].astype(str)))).astype(np.float64)

        value = CustomerValueModel(horizon_days=holdout_days, discount_rate=0.0).fit(summary)
        pv = value.predict(summary, purchase_days=churn_days)
        days_seen = ((cutoff - summary["first"]).dt.total_seconds() / 86400.0).clip(lower=1.0).to_numpy()
        clv_pred = {"bgnbd_gamma_gamma": pv["clv"].to_numpy(),
                    "past_average": summary["spend"].to_numpy() / days_seen * holdout_days}
        gap = summary["mean_gap_days"].to_numpy(np.float64)
        gap = np.where(np.isfinite(gap), gap, np.nanmedian(gap) if np.isfinite(gap).any() else 1.0)
        risk = {"bgnbd": pv[f"p_no_purchase_{churn_days}d_bgnbd"].to_numpy(),
                "overdue": summary["days_since_last"].to_numpy() / np.maximum(gap, 1e-9),
                "recency_only": summary["days_since_last"].to_numpy()}
        if with_predictor and predictor_error is None:
            try:
                pred = _fit_predictor(before, products, cutoff, horizons, predictor_params, random_state)
                pred.index = pred.index.astype("string")
                pred = pred.reindex(ids)
                clv_pred["predictor"] = pred[f"expected_spend_{holdout_days}"].fillna(0.0).to_numpy()
                risk["predictor"] = 1.0 - pred[f"p_buy_{churn_days}"].fillna(0.0).to_numpy()
            except ValueError as exc:  # too little history for the net's training windows
                predictor_error = str(exc)
                warnings.append(f"purchase predictor not backtested: {exc}")
        clv_rows.append({"cutoff": str(cutoff.date()), "scores": {k: clv_metrics(v, actual) for k, v in clv_pred.items()}})
        churn_rows.append({"cutoff": str(cutoff.date()), "scores": {k: churn_metrics(churned, v) for k, v in risk.items()},
                           "at_risk_list": _list_check(pv, churned, actual)})
        s = clv_rows[-1]["scores"]
        say(f"value backtest cutoff {i + 1}/{len(cutoffs)} {cutoff.date()}: CLV Spearman "
            + ", ".join(f"{k} {v['spearman']:.3f}" for k, v in s.items()) + "; churn lift@10% "
            + ", ".join(f"{k} {v['lift_at_10pct']:.2f}" for k, v in churn_rows[-1]["scores"].items())
            + f" [{time.perf_counter() - t0:.1f} s]")
    if with_predictor and predictor_error is not None:
        # a candidate must be scored at every cutoff to be compared: drop partial predictor scores
        for r in clv_rows + churn_rows:
            r["scores"].pop("predictor", None)
    result = {"cutoffs": [str(c.date()) for c in cutoffs], "step_days": step_days,
              "as_of": str(default_as_of(o).date()), "warnings": warnings,
              "clv": _summarize(clv_rows, CLV_CANDIDATES, CLV_LABELS, CLV_METRICS, "spearman", "pred_over_actual",
                                baselines=("past_average",)),
              "churn": _summarize(churn_rows, CHURN_CANDIDATES, CHURN_LABELS, CHURN_METRICS, "lift_at_10pct", None,
                                  baselines=("recency_only",))}
    result["clv"].update(holdout_days=int(holdout_days),
                         target=f"spend in the {holdout_days} days after each cutoff")
    result["churn"].update(window_days=int(churn_days),
                           target=f"no purchase in the {churn_days} days after each cutoff")
    if len(cutoffs) > 1 and step_days < holdout_days:
        result["note"] = (f"cutoffs are {step_days} days apart, so {holdout_days}-day holdouts overlap; the "
                          "t-intervals across cutoffs are then somewhat too narrow")
    if len(cutoffs) < 2:
        warnings.append("a single cutoff: no confidence intervals")
    lists = [r["at_risk_list"] for r in churn_rows]
    result["churn"]["at_risk_list"] = {"per_cutoff": lists, "mean": _mean(lists),
                                       "definition": "CLV at or above the 80th percentile and overdue (ratio > 1)"}
    result["clv"]["backtest_line"] = value_backtest_line(result, "clv")
    result["churn"]["backtest_line"] = value_backtest_line(result, "churn")
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _summarize(rows, candidates, labels, metrics, key_metric, calibration_key, baselines) -> dict:
    names = list(rows[0]["scores"])
    mean = {n: _mean([r["scores"][n] for r in rows]) for n in names}
    default, rule = choose_default(mean, candidates, key_metric, calibration_key)
    others = [n for n in names if n != default]
    return {"per_cutoff": rows, "mean": mean, "default": default, "default_label": labels[default],
            "choice_rule": rule, "labels": {n: labels[n] for n in names},
            "baselines": [b for b in baselines if b in names],
            "paired": {o: _paired(rows, default, o, metrics) for o in others},
            "paired_sign": "default minus the other model; higher is better except MAE (lower is better)"}


def _ci(d: dict, nd: int = 3) -> str:
    if not d or not np.isfinite(d.get("ci_low", np.nan)):
        return f"{d.get('mean_diff', float('nan')):+.{nd}f}" if d else "n/a"
    return f"{d['mean_diff']:+.{nd}f} [{d['ci_low']:+.{nd}f}, {d['ci_high']:+.{nd}f}]"


def value_backtest_line(bt: dict, target: str) -> str:
    """One sentence: the default, its key numbers, and the paired 95% CI against the named baseline."""
    part = bt[target]
    d, mean, n = part["default"], part["mean"], len(bt["cutoffs"])
    base = part["baselines"][0] if part["baselines"] else None
    if target == "clv":
        m = mean[d]
        s = (f"CLV model: {part['default_label']} (chosen by a {n}-cutoff rolling backtest, {part['holdout_days']}"
             f"-day holdouts): Spearman {m['spearman']:.3f}, top-decile revenue capture {m['top_decile_capture']:.1%}, "
             f"Σpredicted/Σactual {m['pred_over_actual']:.2f}")
        if base:
            b, p = mean[base], part["paired"].get(base, {})
            s += (f"; {part['labels'][base]}: Spearman {b['spearman']:.3f} (difference "
                  f"{_ci(p.get('spearman', {}))}), capture {b['top_decile_capture']:.1%} "
                  f"(difference {_ci(p.get('top_decile_capture', {}))})")
        return s + "."
    m = mean[d]
    s = (f"Churn model: {part['default_label']} (chosen by a {n}-cutoff rolling backtest of \"no purchase in the next "
         f"{part['window_days']} days\"): top 10% precision {m['precision_at_10pct']:.1%}, lift "
         f"{m['lift_at_10pct']:.2f}× (base rate {m['churn_rate']:.1%})")
    if base:
        b, p = mean[base], part["paired"].get(base, {})
        s += (f"; {part['labels'][base]}: lift {b['lift_at_10pct']:.2f}× (difference "
              f"{_ci(p.get('lift_at_10pct', {}), 2)})")
    lst = part.get("at_risk_list", {}).get("mean")
    if lst and np.isfinite(lst.get("churn_rate_listed", np.nan)):
        s += (f". Of the high-value overdue customers listed at past cutoffs, {lst['churn_rate_listed']:.0%} made no "
              f"purchase in the next {part['window_days']} days (other high-value customers "
              f"{lst['churn_rate_high_value_not_listed']:.0%}, everyone {lst['churn_rate_all']:.0%})")
    return s + "."
