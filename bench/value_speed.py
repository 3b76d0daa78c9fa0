"""Value scoring speed (issue 13 target: ≥ 100k customers/s): P(alive), expected purchases (30 d, 1 y),
Gamma-Gamma spend, 12-step discounted CLV, BG/NBD churn risk and the at-risk table, from the per-customer summary.

Frames: the real Complete Journey customers; the real customers replicated to N (exact copies: the scorer computes
each distinct (repeat purchases, age) once, so copies are nearly free — the best case, as for day-dated data); and
the replicated frame with every customer's age jittered by up to a day (all distinct: the worst case, as for data
stamped to the second). Rewrites the "Scoring speed" section of bench/results/value.md and the scoring target row.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.data.workspace import Workspace  # noqa: E402
from models.features import default_as_of  # noqa: E402
from models.value.churn import at_risk_table, churn_risk  # noqa: E402
from models.value.clv import CustomerValueModel, customer_summary  # noqa: E402


def frames(summary: pd.DataFrame, n: int) -> dict:
    reps = int(np.ceil(n / len(summary)))
    big = pd.concat([summary] * reps, ignore_index=True).head(n)
    big.index = pd.Index([f"s{i}" for i in range(len(big))], dtype="string", name="customer_id")
    jit = big.copy()
    rng = np.random.default_rng(0)
    d = rng.uniform(0, 1 / 7, len(jit))  # up to one day, in weeks
    jit["T"] = jit["T"] + d
    jit["t_x"] = np.clip(jit["t_x"] + d * rng.uniform(size=len(jit)), 0, jit["T"])
    return {"replicated": big, "distinct": jit}


def time_scoring(model, s: pd.DataFrame, reps: int = 3) -> dict:
    best, best_cpu = float("inf"), float("inf")
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        v = model.predict(s)
        risk, _ = churn_risk(v)
        at_risk_table(v, risk, top_k=50)
        best, best_cpu = min(best, time.perf_counter() - t), min(best_cpu, time.process_time() - c)
    return {"n": int(len(s)), "distinct_x_T": int(len(s[["x", "T"]].drop_duplicates())), "seconds": best,
            "per_second": len(s) / best, "cpu_seconds": best_cpu, "per_cpu_second": len(s) / best_cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default="/work/wt/demo_full")
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "value.md"))
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    orders = Workspace(args.workspace).read_table("orders")
    as_of = default_as_of(orders)
    t = time.perf_counter()
    summary = customer_summary(orders, as_of)
    t_summary = time.perf_counter() - t
    model = CustomerValueModel().fit(summary)
    rows = [("real", time_scoring(model, summary))]
    for n in (int(x) for x in args.sizes.split(",")):
        for kind, s in frames(summary, n).items():
            rows.append((kind, time_scoring(model, s)))
            print(kind, rows[-1][1], flush=True)
    load1 = os.getloadavg()[0]
    L = ["## Scoring speed\n",
         "P(alive), expected purchases (30 d, 1 y), Gamma-Gamma spend, 12-step discounted CLV, BG/NBD churn risk and "
         "the at-risk table, from the per-customer summary; best of 3 runs, one thread. All horizons go through one "
         "pass (one 2F1 per customer and horizon, 13 in all), each distinct (repeat purchases, age) is computed once, "
         "and the exact-integral fallback's Beta quantiles and Gauss-Legendre nodes are computed once. Frames: the "
         "real customers; replicated to N (exact copies, the best case, like day-dated data); replicated with ages "
         "jittered by up to a day (all distinct, the worst case, like data stamped to the second). Wall time is on "
         "the shared machine (2 cores, ~9 agents); CPU time is what one free core would take.\n",
         f"Command: `nice -n 10 python3 bench/value_speed.py --workspace /work/wt/demo_full`; 2026-12-03, load "
         f"{load0:.1f} at start / {load1:.1f} at end.\n",
         "| frame | customers | distinct (x, T) | wall s | customers/s (wall) | CPU s | customers/s (CPU) |",
         "|---|---|---|---|---|---|---|"]
    for kind, s in rows:
        L.append(f"| {kind} | {s['n']:,} | {s['distinct_x_T']:,} | {s['seconds']:.3f} | {s['per_second']:,.0f} | "
                 f"{s['cpu_seconds']:.3f} | {s['per_cpu_second']:,.0f} |")
    L += ["", f"Building the per-customer summary from the {len(orders):,} raw line items takes {t_summary:.2f} s "
          "(not included above). Before this change (session 3): 80,891/s wall, 193,983/s per CPU second on 1M "
          "replicated; 4,404/s on the real 2,469 (0.56 s, mostly recomputing Gauss-Legendre nodes 13 times).", ""]
    worst = [s for k, s in rows if k == "distinct"][-1]
    best = [s for k, s in rows if k == "replicated"][-1]
    target = (f"| scoring ≥ 100k customers/s | all distinct (worst case), {worst['n']:,}: "
              f"{'**met**' if worst['per_second'] >= 1e5 else '**not met**'} on the wall clock "
              f"({worst['per_second']:,.0f}/s), {'**met**' if worst['per_cpu_second'] >= 1e5 else '**not met**'} per "
              f"CPU second ({worst['per_cpu_second']:,.0f}/s); replicated (best case): {best['per_second']:,.0f}/s "
              f"wall; real 2,469: {rows[0][1]['per_second']:,.0f}/s wall |")
    path = Path(args.out)
    text = path.read_text()
    a, b = text.index("## Scoring speed"), text.index("## Targets")
    text = text[:a] + "\n".join(L) + "\n" + text[b:]
    lines = [target if ln.startswith("| scoring ≥ 100k customers/s") else ln for ln in text.split("\n")]
    path.write_text("\n".join(lines))
    print("\n".join(L))
    print(target)


if __name__ == "__main__":
    main()
