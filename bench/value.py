"""CLV backtest on Complete Journey: fit BG/NBD + Gamma-Gamma before a cutoff, predict spend over the holdout,
compare with the actual holdout spend against the past-average baseline (Spearman, top-decile capture,
Σpredicted/Σactual). Writes bench/results/value.md.

    nice -n 10 python3 bench/value.py --customers 1000 --holdout-days 120
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from models.data.sources.completejourney import load_completejourney
from models.features import default_as_of, normalize_orders
from models.value.clv import CustomerValueModel, customer_summary


def _scores(pred: np.ndarray, actual: np.ndarray) -> dict:
    k = max(1, len(pred) // 10)
    top = np.argsort(-pred, kind="mergesort")[:k]
    return {"spearman": float(spearmanr(pred, actual).statistic),
            "top_decile_capture": float(actual[top].sum() / max(actual.sum(), 1e-9)),
            "pred_over_actual": float(pred.sum() / max(actual.sum(), 1e-9)),
            "mae": float(np.abs(pred - actual).mean())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--holdout-days", type=int, default=120)
    args = ap.parse_args()
    t0 = time.time()
    orders = normalize_orders(load_completejourney(n_customers=args.customers, random_state=0)["orders"])
    end = default_as_of(orders)
    cutoff = end - pd.Timedelta(days=args.holdout_days)
    summary = customer_summary(orders, cutoff)
    model = CustomerValueModel(horizon_days=args.holdout_days, discount_rate=0.0).fit(summary)
    pred = model.predict(summary)["clv"].to_numpy()
    hold = orders[(orders["timestamp"] >= cutoff) & (orders["timestamp"] < end)]
    actual = hold.groupby("customer_id")["amount"].sum().reindex(summary.index).fillna(0).to_numpy()
    days_seen = ((cutoff - summary["first"]).dt.total_seconds() / 86400).clip(lower=1).to_numpy()
    baseline = summary["spend"].to_numpy() / days_seen * args.holdout_days
    rows = {"BG/NBD + Gamma-Gamma (default)": _scores(pred, actual),
            "past average × length (baseline)": _scores(baseline, actual)}
    load = os.getloadavg()
    lines = [f"# Customer value (CLV) backtest — issue 13\n",
             f"Complete Journey, {len(summary)} customers (seeded sample of {args.customers}), fit before "
             f"{cutoff.date()}, holdout {args.holdout_days} days to {end.date()}; one cutoff (no CI yet).",
             f"Command: `nice -n 10 python3 bench/value.py --customers {args.customers} --holdout-days "
             f"{args.holdout_days}`; {dt.date.today()}, load {load[0]:.1f}/{load[1]:.1f}, {time.time() - t0:.0f}s.\n",
             "| model | Spearman | top-decile capture | Σpred/Σactual | MAE |", "|---|---|---|---|---|"]
    lines += [f"| {k} | {v['spearman']:.3f} | {v['top_decile_capture']:.3f} | {v['pred_over_actual']:.3f} | "
              f"{v['mae']:.1f} |" for k, v in rows.items()]
    lines.append("\nNot yet: rolling cutoffs with paired 95% CIs, the predictor's expected spend as a candidate, "
                 "the churn (no purchase in 30 days) backtest vs recency-only.")
    out = Path(__file__).parent / "results" / "value.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
