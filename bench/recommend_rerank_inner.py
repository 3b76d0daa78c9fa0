"""Dev bench (issue 14, session 8): does the Transformer-free re-ranker gain from more inner baskets per customer?
On a validation cutoff only: the orders before the first reported backtest cutoff, and that slice's own last
cutoff (28 days before its end), so no reported target basket is seen.

    flock /work/wt/bench.lock nice -n 10 python3 bench/recommend_rerank_inner.py --workspace W --n-inner 1,3
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from models.data.workspace import Workspace
from models.recommend import backtest
from models.recommend.evaluate import cutoffs_for
from models.recommend.workspace import orders_for_recommend


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default="/tmp/i14_demo_full")
    ap.add_argument("--n-inner", default="1,3")
    args = ap.parse_args()
    orders = orders_for_recommend(Workspace(Path(args.workspace)))
    first_reported = cutoffs_for(orders, 3)[0]
    orders = orders[pd.to_datetime(orders["timestamp"]) < first_reported]
    for n in [int(x) for x in args.n_inner.split(",")]:
        t = time.process_time()
        bt = backtest(orders, methods=("tifu-knn", "tifu-rerank"), n_cutoffs=1,
                      params={"tifu-rerank": {"n_inner": n}})
        m, d = bt["methods"], {k: bt[f"paired_{k}_diff"]["tifu-rerank"]["tifu-knn"] for k in ("recall", "ndcg")}
        print(f"n_inner {n}: cutoff {bt['cutoffs']}, {bt['n_customers']} baskets; TIFU-KNN R {m['tifu-knn']['recall@10']} "
              f"N {m['tifu-knn']['ndcg@10']}; re-ranked R {m['tifu-rerank']['recall@10']} N {m['tifu-rerank']['ndcg@10']}; "
              f"dR {d['recall']['diff']:+.4f} {d['recall']['ci95']}, dN {d['ndcg']['diff']:+.4f} {d['ndcg']['ci95']}; "
              f"{time.process_time() - t:.0f} CPU s", flush=True)


if __name__ == "__main__":
    main()
