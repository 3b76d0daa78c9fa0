"""Next-basket backtest on Complete Journey (issue 14): G-TopFreq, P-TopFreq, GP-TopFreq, item-kNN, TIFU-KNN and
the Transformer (mixed with TIFU-KNN) on the same time-based cutoffs — each customer's first basket after the
cutoff — with Recall@10/20, NDCG@10, PHR@10, repeat / explore recall and paired 95% CIs; product level and
category level; fit time and recommending speed (customers/s). Writes bench/results/recommend.md (or --out).

    flock /work/wt/bench.lock nice -n 10 python3 bench/recommend.py --workspace /work/wt/demo_full --customers 0
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
from models.recommend import LABELS, Recommender, backtest
from models.recommend.workspace import orders_for_recommend

METHODS = ("g-topfreq", "p-topfreq", "gp-topfreq", "item-knn", "tifu-knn", "tifu-rerank", "transformer")


def _table(bt: dict, k: int) -> list[str]:
    cols = [f"recall@{k}", f"recall@{2 * k}", f"ndcg@{k}", f"phr@{k}", f"recall_repeat@{k}", f"recall_explore@{k}"]
    lines = ["| method | " + " | ".join(cols) + " | fit CPU s |", "|---|" + "---|" * (len(cols) + 1)]
    for m, sc in bt["methods"].items():
        vals = " | ".join("-" if sc.get(c) is None else f"{sc[c]:.4f}" for c in cols)
        lines.append(f"| {LABELS.get(m, m)} | {vals} | {bt.get('fit_seconds', {}).get(m, '-')} |")
    return lines


def _paired(bt: dict, k: int, against=("p-topfreq", "gp-topfreq", "tifu-knn", "tifu-rerank"), metric: str = "recall") -> list[str]:
    out = [f"| method | vs | {'Recall' if metric == 'recall' else 'NDCG'}@{k} diff | paired 95% CI |", "|---|---|---|---|"]
    for a, d in bt[f"paired_{metric}_diff"].items():
        for b in against:
            if b in d and a != b and a in ("transformer", "tifu-rerank", "tifu-knn", "item-knn", "gp-topfreq"):
                out.append(f"| {LABELS.get(a, a)} | {LABELS.get(b, b)} | {d[b]['diff']:+.4f} | "
                           f"[{d[b]['ci95'][0]:+.4f}, {d[b]['ci95'][1]:+.4f}] |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default="/work/wt/demo_full")
    ap.add_argument("--customers", type=int, default=0, help="seeded sample of customers (0: all)")
    ap.add_argument("--cutoffs", type=int, default=3)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--blend", default="mix", choices=("mix", "rerank"), help="how the Transformer meets the repeat signal")
    ap.add_argument("--mix-metric", default="recall", choices=("recall", "ndcg"), help="inner metric picking the mix")
    ap.add_argument("--no-category", action="store_true", help="skip the category-level backtest")
    ap.add_argument("--category-cutoffs", type=int, default=1)
    ap.add_argument("--out", default="bench/results/recommend.md")
    args = ap.parse_args()
    t0 = time.time()
    ws = Workspace(Path(args.workspace))
    orders = orders_for_recommend(ws)
    if args.customers:
        ids = np.sort(orders["customer_id"].astype(str).unique())
        keep = set(np.random.default_rng(0).choice(ids, min(args.customers, len(ids)), replace=False))
        orders = orders[orders["customer_id"].astype(str).isin(keep)]
    methods = tuple(m for m in args.methods.split(",") if m)
    params = {"transformer": {"epochs": args.epochs, "n_threads": args.threads, "blend": args.blend,
                              "mix_metric": args.mix_metric}}
    n_cust = orders["customer_id"].nunique()
    print(f"{len(orders)} rows, {n_cust} customers, {orders['product_id'].nunique()} products", flush=True)
    bt = backtest(orders, methods=methods, n_cutoffs=args.cutoffs, params=params, ks=(10, 20), timings=True)
    print(json.dumps(bt["methods"], indent=1), flush=True)
    cat = None
    if not args.no_category and "category" in orders:
        co = orders.assign(product_id=orders["category"].astype(str)).drop(columns=["category"])
        cat = backtest(co, methods=tuple(m for m in methods if m != "item-knn"), n_cutoffs=args.category_cutoffs,
                       params={"transformer": params["transformer"] | {"min_count": 1}}, ks=(10, 20), timings=True)
        print(json.dumps(cat["methods"], indent=1), flush=True)
    # speed: fit on everything, then recommend 10 products for every customer
    speed = []
    for m in [m for m in ("gp-topfreq", "tifu-knn") if m in methods]:  # the Transformer's fit: see the tables
        t = time.process_time()
        rec = Recommender(m, params.get(m)).fit(orders)
        fit_s = time.process_time() - t
        t = time.process_time()
        out = rec.recommend(None, k=10)
        rec_s = time.process_time() - t
        speed.append((m, fit_s, rec_s, out["customer_id"].nunique()))
    load = os.getloadavg()
    lines = ["# Next-basket recommendations — issue 14\n",
             f"Complete Journey ({args.workspace}), {n_cust} customers"
             f"{' (seeded sample)' if args.customers else ' (all)'}, {len(orders)} order lines, "
             f"{orders['product_id'].nunique()} products. Target: {bt['target']}; cutoffs {', '.join(bt['cutoffs'])}; "
             f"{bt['n_customers']} customer-baskets scored by every method.",
             f"Command: `flock /work/wt/bench.lock nice -n 10 python3 bench/recommend.py --workspace {args.workspace} "
             f"--customers {args.customers} --cutoffs {args.cutoffs} --category-cutoffs {args.category_cutoffs} "
             f"--epochs {args.epochs} --threads {args.threads} --blend {args.blend} --mix-metric {args.mix_metric}"
             f"{' --no-category' if args.no_category else ''}"
             f"{' --methods ' + args.methods if args.methods != ','.join(METHODS) else ''}`; {dt.date.today()}, "
             f"load {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} on 2 cores, {time.time() - t0:.0f} s in all.\n",
             "## Product level", *_table(bt, 10), "", *_paired(bt, 10), "", *_paired(bt, 10, metric="ndcg"), "",
             "Transformer blend chosen on the inner split, per cutoff: " + "; ".join(
                 f"{n['cutoff']}: " + (f"re-ranker {n['rerank']}" if "rerank" in n else
                                       f"mix {n['mix']} (inner Recall@10 by mix {n['inner_recall@10_by_mix']}; "
                                       f"NDCG@10 {n.get('inner_ndcg@10_by_mix')})")
                 for n in bt.get("model_notes", {}).get("transformer", [])), ""]
    if cat is not None:
        lines += ["## Category level (product_id replaced by its category)", *_table(cat, 10), "",
                  *_paired(cat, 10), ""]
    if speed:
        lines += ["## Fit on all orders and recommend 10 products for every customer (CPU seconds)", "",
                  "| method | fit CPU s | recommend CPU s | customers | customers per CPU s |", "|---|---|---|---|---|"]
        lines += [f"| {LABELS.get(m, m)} | {f:.1f} | {r:.2f} | {n} | {n / max(r, 1e-9):,.0f} |" for m, f, r, n in speed]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
