"""Customer value (CLV) and churn backtest on the full Complete Journey workspace, plus scoring speed.
Writes bench/results/value.md.

    cp -r /work/wt/demo_full /tmp/value_ws
    flock /work/wt/bench.lock nice -n 10 python3 bench/value.py --workspace /tmp/value_ws

Rolling, leak-free: at each of 8 cutoffs 14 days apart every candidate is refitted on orders before the cutoff
(models/value/backtest.py); paired 95% t-intervals across cutoffs of the default minus each other model.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models.data.workspace import Workspace
from models.features import default_as_of
from models.value.backtest import run_value_backtest
from models.value.churn import at_risk_table, churn_risk
from models.value.clv import CustomerValueModel, customer_summary


def _f(v, nd=3) -> str:
    return "-" if v is None or not np.isfinite(v) else f"{v:.{nd}f}"


def _ci(d: dict, nd=3) -> str:
    if not d:
        return "-"
    return f"{d['mean_diff']:+.{nd}f} [{d['ci_low']:+.{nd}f}, {d['ci_high']:+.{nd}f}]"


def _speed(orders: pd.DataFrame, as_of, n_synthetic: int) -> dict:
    """Customers scored per second: P(alive), expected purchases 30 d and 1 y, Gamma-Gamma spend, 12-step CLV,
    BG/NBD churn, then the at-risk table — from the per-customer summary (building the summary from raw line
    items is timed separately)."""
    t0 = time.perf_counter()
    summary = customer_summary(orders, as_of)
    t_summary = time.perf_counter() - t0
    model = CustomerValueModel().fit(summary)
    reps = int(np.ceil(n_synthetic / len(summary)))
    big = pd.concat([summary] * reps, ignore_index=True).head(n_synthetic)
    big.index = pd.Index([f"s{i}" for i in range(len(big))], dtype="string", name="customer_id")
    out = {}
    for name, s in (("real", summary), ("synthetic", big)):
        best, best_cpu = float("inf"), float("inf")
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            v = model.predict(s)
            risk, _ = churn_risk(v)
            at_risk_table(v, risk, top_k=50)
            best, best_cpu = min(best, time.perf_counter() - t), min(best_cpu, time.process_time() - c)
        out[name] = {"n": int(len(s)), "seconds": best, "per_second": len(s) / best, "cpu_seconds": best_cpu,
                     "per_cpu_second": len(s) / best_cpu}
    out["summary_seconds"] = t_summary
    out["n_line_items"] = int(len(orders))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True, help="a copy of a full Complete Journey workspace")
    ap.add_argument("--cutoffs", type=int, default=8)
    ap.add_argument("--holdout-days", type=int, default=90)
    ap.add_argument("--synthetic", type=int, default=1_000_000)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "value.md"))
    args = ap.parse_args()
    t0 = time.time()
    load0 = os.getloadavg()
    ws = Workspace(args.workspace)
    orders = ws.read_table("orders")
    products = ws.read_table("products") if ws.has_table("products") else None
    bt = run_value_backtest(orders, products, n_cutoffs=args.cutoffs, holdout_days=args.holdout_days,
                            progress=lambda m: print(m, flush=True))
    Path(args.out).with_suffix(".json").write_text(json.dumps(bt, indent=1, default=str))
    speed = _speed(orders, default_as_of(orders), args.synthetic)
    load1 = os.getloadavg()
    clv, ch = bt["clv"], bt["churn"]
    n_cust = clv["per_cutoff"][0]["scores"][clv["default"]]["n_customers"]
    L = [f"# Customer value (CLV) and churn backtest — issue 13\n",
         f"Complete Journey, full workspace ({orders['customer_id'].nunique():,} households, {len(orders):,} line "
         f"items; {n_cust:,} customers scored at the first cutoff). {len(bt['cutoffs'])} rolling cutoffs "
         f"{bt['cutoffs'][0]} … {bt['cutoffs'][-1]}, {bt['step_days']} days apart; CLV holdout "
         f"{clv['holdout_days']} days, churn window {ch['window_days']} days. Every model is refitted on the "
         "orders before each cutoff only.",
         f"Command: `cp -r /work/wt/demo_full /tmp/value_ws && flock /work/wt/bench.lock nice -n 10 python3 "
         f"bench/value.py --workspace /tmp/value_ws`; {dt.date.today()}, 2-core shared machine, load "
         f"{load0[0]:.1f} at start / {load1[0]:.1f} at end, {time.time() - t0:.0f} s in all (backtest "
         f"{bt['seconds']:.0f} s). Raw numbers: bench/results/value.json.\n",
         f"Caveat: {bt.get('note', '')}.\n" if bt.get("note") else "",
         "## CLV: spend in the 90 days after each cutoff\n",
         f"Default (chosen by the backtest, {clv['choice_rule']}): **{clv['default_label']}**.\n",
         "| model | Spearman | top-decile capture | Σpred/Σactual | MAE |", "|---|---|---|---|---|"]
    for name, m in clv["mean"].items():
        tag = " (default)" if name == clv["default"] else " (baseline)" if name in clv["baselines"] else ""
        L.append(f"| {clv['labels'][name]}{tag} | {_f(m['spearman'])} | {_f(m['top_decile_capture'])} | "
                 f"{_f(m['pred_over_actual'])} | {_f(m['mae'], 1)} |")
    L += ["", f"Default minus each other model, mean over cutoffs [95% CI] (MAE: lower is better):\n",
          "| vs | Spearman | top-decile capture | Σpred/Σactual | MAE |", "|---|---|---|---|---|"]
    for name, p in clv["paired"].items():
        L.append(f"| {clv['labels'][name]} | {_ci(p.get('spearman'))} | {_ci(p.get('top_decile_capture'))} | "
                 f"{_ci(p.get('pred_over_actual'))} | {_ci(p.get('mae'), 1)} |")
    L += ["", "The purchase predictor's 90-day spend head is fitted at each cutoff on training windows that must end "
          "90 days before it, with the last 90 days for early stopping and calibration: at the first cutoffs (under "
          "180 days of history) that leaves almost nothing to learn from, and its ranking there is worse than "
          "random. From 2017-08-09 on it is on a par with BG/NBD + Gamma-Gamma, yet it under-predicts totals; it is "
          "not the default.", "", "Per cutoff (Spearman / top-decile capture):\n",
          "| cutoff | " + " | ".join(clv["labels"][n] for n in clv["mean"]) + " |",
          "|---|" + "---|" * len(clv["mean"])]
    for r in clv["per_cutoff"]:
        L.append(f"| {r['cutoff']} | " + " | ".join(
            f"{_f(r['scores'][n]['spearman'])} / {_f(r['scores'][n]['top_decile_capture'])}" for n in clv["mean"]) + " |")
    L += ["", "## Churn: no purchase in the 30 days after each cutoff\n",
          f"Default (chosen by the backtest, {ch['choice_rule']}): **{ch['default_label']}**. "
          f"Mean churn rate {ch['mean'][ch['default']]['churn_rate']:.1%}.\n",
          "| model | precision@10% | lift@10% | PR-AUC | ROC-AUC |", "|---|---|---|---|---|"]
    for name, m in ch["mean"].items():
        tag = " (default)" if name == ch["default"] else " (baseline)" if name in ch["baselines"] else ""
        L.append(f"| {ch['labels'][name]}{tag} | {_f(m['precision_at_10pct'])} | {_f(m['lift_at_10pct'], 2)} | "
                 f"{_f(m['pr_auc'])} | {_f(m['roc_auc'])} |")
    L += ["", "Default minus each other model [95% CI]:\n",
          "| vs | precision@10% | lift@10% | PR-AUC | ROC-AUC |", "|---|---|---|---|---|"]
    for name, p in ch["paired"].items():
        L.append(f"| {ch['labels'][name]} | {_ci(p.get('precision_at_10pct'))} | {_ci(p.get('lift_at_10pct'), 2)} | "
                 f"{_ci(p.get('pr_auc'))} | {_ci(p.get('roc_auc'))} |")
    lst = ch["at_risk_list"]["mean"]
    L += ["", f"The at-risk list itself ({ch['at_risk_list']['definition']}), mean over cutoffs: "
          f"{lst['n_listed']:.0f} of {lst['n_high_value']:.0f} high-value customers listed; churn rate in the next 30 "
          f"days {_f(lst['churn_rate_listed'])} listed vs {_f(lst['churn_rate_high_value_not_listed'])} other "
          f"high-value vs {_f(lst['churn_rate_all'])} everyone; holdout spend per customer "
          f"{_f(lst['holdout_spend_per_listed'], 0)} listed vs {_f(lst['holdout_spend_per_high_value'], 0)} all "
          "high-value.", "",
          "## Scoring speed\n",
          f"P(alive), expected purchases (30 d, 1 y), Gamma-Gamma spend, 12-step discounted CLV, BG/NBD churn risk "
          "and the at-risk table, from the per-customer summary; best of 3 runs, one thread. Wall time is on the "
          "shared, loaded machine (load above); CPU time is what one free core would take. The first rows (the "
          "real customers) carry the fixed cost of the exact-integral fallback (per distinct order count).\n",
          "| customers | wall s | customers/s (wall) | CPU s | customers/s (CPU) |", "|---|---|---|---|---|"]
    for k in ("real", "synthetic"):
        s = speed[k]
        L.append(f"| {s['n']:,} ({k}) | {s['seconds']:.3f} | {s['per_second']:,.0f} | {s['cpu_seconds']:.3f} | "
                 f"{s['per_cpu_second']:,.0f} |")
    L += ["", f"Building the per-customer summary from the {speed['n_line_items']:,} raw line items takes "
          f"{speed['summary_seconds']:.2f} s (not included above).", ""]
    mc, base = clv["mean"], "past_average"
    d = clv["default"]
    L += ["## Targets\n", "| target | result |", "|---|---|"]
    p = clv["paired"].get(base, {})
    for metric in ("spearman", "top_decile_capture"):
        q = p.get(metric, {})
        met = q and q["ci_low"] > 0
        L.append(f"| default CLV beats past average × length on {metric.replace('_', ' ')}, paired CI > 0 | "
                 f"{'**met**' if met else '**not met**'}: {_ci(q)} ({_f(mc[d][metric])} vs {_f(mc[base][metric])}) |")
    r = mc[d]["pred_over_actual"]
    L.append(f"| Σpredicted/Σactual within 0.8–1.2 | {'**met**' if 0.8 <= r <= 1.2 else '**not met**'}: {r:.3f} |")
    q = ch["paired"].get("recency_only", {}).get("lift_at_10pct", {})
    cd = ch["default"]
    met = q and q["ci_high"] >= 0
    L.append(f"| churn lift@10% at least recency-only's | {'**met**' if q and q['mean_diff'] >= 0 else '**not met**'} "
             f"on the mean: {_ci(q, 2)} ({ch['mean'][cd]['lift_at_10pct']:.2f} vs "
             f"{ch['mean']['recency_only']['lift_at_10pct']:.2f}){'' if met else '; CI entirely below 0'} |")
    sp, sc = speed["synthetic"]["per_second"], speed["synthetic"]["per_cpu_second"]
    L.append(f"| scoring ≥ 100k customers/s | {'**met**' if sp >= 1e5 else '**not met**'} on the wall clock of this "
             f"loaded machine: {sp:,.0f}/s on {speed['synthetic']['n']:,} synthetic ({sc:,.0f}/s per CPU second); "
             f"{speed['real']['per_second']:,.0f}/s on the real customers |")
    for w in bt.get("warnings", []):
        L.append(f"\nWarning: {w}")
    text = "\n".join(x for x in L if x is not None) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
