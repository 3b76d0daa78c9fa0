"""Product-audience backtest (issue 14) on rolling cutoffs: for the ``--targets`` categories with the most
buyers, the audience model (``models.recommend.audience``) against "bought it before" and popularity, PR-AUC
and lift in the top 10% / top 100, with paired 95% CIs over the (category, cutoff) pairs. Appends a section to
bench/results/recommend.md (or --out).

    flock /work/wt/bench.lock nice -n 10 python3 bench/recommend_audience.py --workspace /work/wt/demo_full
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

import pandas as pd

from models.data.workspace import Workspace
from models.recommend.audience import audience_rolling
from models.recommend.workspace import orders_for_recommend


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default="/work/wt/demo_full")
    ap.add_argument("--targets", type=int, default=20, help="categories with the most buyers")
    ap.add_argument("--cutoffs", type=int, default=3)
    ap.add_argument("--horizon", type=int, default=30)
    ap.add_argument("--top-k", type=int, default=100)
    ap.add_argument("--out", default="bench/results/recommend.md")
    args = ap.parse_args()
    t0 = time.process_time()
    orders = orders_for_recommend(Workspace(Path(args.workspace)))
    if "category" not in orders:
        raise SystemExit(f"{args.workspace}: the orders have no category (no product table): nothing to target")
    cat = orders["category"].astype(str)
    top = orders.assign(_c=cat).groupby("_c")["customer_id"].nunique().sort_values(ascending=False)
    names = [c for c in top.index if c not in ("", "nan", "<NA>")][: args.targets]
    as_of = pd.to_datetime(orders["timestamp"]).max().normalize() + pd.Timedelta(days=1)
    res = audience_rolling(orders, {c: (cat == c).to_numpy() for c in names}, as_of, args.cutoffs, args.horizon,
                           args.top_k)
    k = f"lift_top{args.top_k}"
    load = os.getloadavg()
    lines = ["", f"## Product audiences: {len(names)} categories x {len(res['cutoffs'])} rolling cutoffs "
             f"({res['pairs']} pairs), {args.horizon}-day window", "",
             f"Command: `flock /work/wt/bench.lock nice -n 10 python3 bench/recommend_audience.py --workspace "
             f"{args.workspace} --targets {args.targets} --cutoffs {args.cutoffs} --horizon {args.horizon}`; "
             f"{dt.date.today()}, load {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} on 2 cores, "
             f"{time.process_time() - t0:.0f} CPU s. Cutoffs {', '.join(res['cutoffs'])}; categories: "
             f"{', '.join(names)}.", "",
             f"| method | PR-AUC | lift top 10% | lift top {args.top_k} |", "|---|---|---|---|"]
    for m, v in res["methods"].items():
        lines.append(f"| {m} | " + " | ".join("-" if v[c] is None else f"{v[c]:.4f}"
                                              for c in ("pr_auc", "lift_top10pct", k)) + " |")
    lines += ["", "| metric | model vs | diff | paired 95% CI | pairs |", "|---|---|---|---|---|"]
    for metric, d in res["paired_vs_model"].items():
        for base, v in d.items():
            ci = "-" if v["ci95"] is None else f"[{v['ci95'][0]:+.4f}, {v['ci95'][1]:+.4f}]"
            lines.append(f"| {metric} | {base} | {v['diff']:+.4f} | {ci} | {v['n']} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "a") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
