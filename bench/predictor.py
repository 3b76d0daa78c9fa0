"""Benchmark the purchase predictor on the full Complete Journey data; prints markdown.

    python bench/predictor.py [--skip-scaling] [--workdir DIR]

1. `train_workspace` (8-cutoff rolling backtest + final fit): wall time and peak RSS;
2. the backtest table at 7 and 30 days for the model and every baseline, with paired 95% CIs;
3. scoring throughput (customers/s) on the real customers and on 1M synthetic customers;
4. training time (one final-model fit) at 0.25x, 0.5x, 1x and 4x the customers, resampled.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

TARGETS = {"pr_auc": "higher", "roc_auc": "higher", "brier_skill": "higher"}


def rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: KiB


def fmt(v, nd=3):
    return "-" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{nd}f}"


def backtest_tables(bt: dict, horizons=(7, 30)) -> list[str]:
    out = []
    for h in horizons:
        key = str(h)
        mean = bt["mean"][key]
        out.append(f"\n### {h}-day window: P(≥1 purchase in next {h} days), mean over {len(bt['per_cutoff'][key])} cutoffs "
                   f"({bt['cutoffs'][0]} .. {bt['cutoffs'][-1]}, every {bt['step_days']} days)\n")
        out.append("| model | PR-AUC | ROC-AUC | Brier | Brier skill | ECE | prec@1% | lift@5% | lift@10% | recall@10% | predicted/actual buyers |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for name, m in mean.items():
            label = "**PyTorch model**" if name == "model" else name
            out.append(f"| {label} | {fmt(m['pr_auc'])} | {fmt(m['roc_auc'])} | {fmt(m['brier'])} | {fmt(m['brier_skill'])} | "
                       f"{fmt(m['ece'])} | {fmt(m['precision_at_1pct'])} | {fmt(m['lift_at_5pct'], 2)} | "
                       f"{fmt(m['lift_at_10pct'], 2)} | {fmt(m['recall_at_10pct'])} | {fmt(m['predicted_vs_actual_buyers'], 3)} |")
        out.append(f"\nPaired difference, model minus baseline, mean over cutoffs [95% t-interval], {h} days:\n")
        out.append("| baseline | Δ PR-AUC | Δ ROC-AUC | Δ Brier skill |")
        out.append("|---|---|---|---|")
        for name, d in bt["paired"][key].items():
            cells = [f"{fmt(d[m]['mean_diff'], 4)} [{fmt(d[m]['ci_low'], 4)}, {fmt(d[m]['ci_high'], 4)}]"
                     for m in ("pr_auc", "roc_auc", "brier_skill")]
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        out.append("\nPer cutoff (model / logistic RFM PR-AUC, buyers):\n")
        out.append("| cutoff | customers | buyers | model PR-AUC | logistic RFM PR-AUC | model ROC-AUC | pred/actual |")
        out.append("|---|---|---|---|---|---|---|")
        for r in bt["per_cutoff"][key]:
            m = r["model"]
            out.append(f"| {r['cutoff']} | {m['n_customers']} | {m['n_buyers']} | {fmt(m['pr_auc'])} | "
                       f"{fmt(r['baselines']['logistic_rfm']['pr_auc'])} | {fmt(m['roc_auc'])} | "
                       f"{fmt(m['predicted_vs_actual_buyers'], 3)} |")
    return out


def synthetic_features(real: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """n customers resampled from the real feature rows, counts jittered so rows differ."""
    rng = np.random.default_rng(seed)
    f = real.iloc[rng.integers(0, len(real), n)].reset_index(drop=True)
    f = f * rng.uniform(0.8, 1.2, size=(n, 1))
    f.index = pd.Index([f"s{i}" for i in range(n)], dtype="string", name="customer_id")
    return f


def synthetic_orders(n_customers: int, orders_per_customer: int = 3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_customers * orders_per_customer
    start = np.datetime64("2017-01-01")
    return pd.DataFrame({
        "customer_id": pd.array(np.repeat(np.arange(n_customers), orders_per_customer).astype(str), dtype="string"),
        "timestamp": start + rng.integers(0, 365 * 24 * 3600, n).astype("timedelta64[s]"),
        "amount": rng.gamma(2.0, 20.0, n),
    })


def resample_customers(orders: pd.DataFrame, factor: float, seed: int = 0) -> pd.DataFrame:
    """Households drawn with replacement (factor > 1 repeats them under new ids)."""
    rng = np.random.default_rng(seed)
    orders = orders[["customer_id", "order_id", "timestamp", "product_id", "amount", "discount", "coupon_discount"]]
    ids = np.sort(orders["customer_id"].unique().to_numpy(dtype=object))
    pick = rng.choice(ids, size=int(round(len(ids) * factor)), replace=factor > 1)
    by = {cid: g for cid, g in orders.groupby("customer_id", sort=False)}
    parts = []
    for k, cid in enumerate(pick):
        g = by[cid]
        parts.append(g.assign(customer_id=f"{cid}_{k}", order_id=g["order_id"] + f"_{k}"))
    out = pd.concat(parts, ignore_index=True)
    out["customer_id"] = out["customer_id"].astype("string")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-scaling", action="store_true")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()

    import torch

    from models.data.sources.completejourney import load_completejourney
    from models.predictor.estimator import PurchasePredictor
    from models.predictor.scoring import load_predictor, score_frame
    from models.predictor.workspace import train_workspace
    from models.data.workspace import Workspace
    import json

    torch.set_num_threads(1)
    lines = ["# Purchase predictor benchmark (Complete Journey, 2,469 households, 1.47M line items)", ""]
    t0 = time.perf_counter()
    data = load_completejourney()
    load_s = time.perf_counter() - t0
    work = Path(args.workdir or tempfile.mkdtemp(prefix="mka-bench-predictor-"))
    ws = Workspace(work / "ws")
    ws.ingest({"orders": data["orders"], "products": data["products"]})

    t0 = time.perf_counter()
    info = train_workspace(ws, quick=False, progress=True)
    train_s = time.perf_counter() - t0
    rss_train = rss_gib()
    bt = json.loads(ws.artifact_path("backtest.json").read_text())
    lines.append("## Training (`train_workspace`: 8-cutoff backtest of model + 5 baselines, then final fit)\n")
    lines.append("| step | value |")
    lines.append("|---|---|")
    lines.append(f"| load CJ data | {load_s:.1f} s |")
    lines.append(f"| train_workspace total (backtest + final model) | {train_s:.1f} s |")
    lines.append(f"| of which backtest | {bt['seconds']:.1f} s (mean model fit per cutoff {bt['model_fit_seconds_mean']} s) |")
    lines.append(f"| final model fit | {info['training']['seconds']} s, {info['training']['n_rows']} rows from "
                 f"{info['training']['n_snapshots']} weekly snapshots, {info['training']['epochs_run']} epochs |")
    lines.append(f"| peak RSS of the process after training | {rss_train:.2f} GiB |")
    lines.extend(backtest_tables(bt))
    if bt.get("note"):
        lines.append(f"\nNote: {bt['note']}.")
    for w in bt.get("warnings", []):
        lines.append(f"\nWarning: {w}")

    # scoring throughput
    est = load_predictor(ws)
    feats = est.features(data["orders"], est.as_of_, data["products"])
    lines.append("\n## Scoring throughput (1 torch thread)\n")
    lines.append("| data | customers | features | model only (predict) | score_frame, reasons for top 1,000 | "
                 "score_frame, reasons for everyone |")
    lines.append("|---|---|---|---|---|---|")

    def timed(fn, reps=3):
        best = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        return best

    t_feat = timed(lambda: est.features(data["orders"], est.as_of_, data["products"]), reps=1)
    t_pred = timed(lambda: est.predict(feats), reps=5)
    t_top = timed(lambda: score_frame(est, feats, est.as_of_, 7, reasons=1000), reps=3)
    t_full = timed(lambda: score_frame(est, feats, est.as_of_, 7), reps=3)
    n = len(feats)
    lines.append(f"| real CJ | {n:,} | {t_feat:.2f} s | {n / t_pred:,.0f} /s | {n / t_top:,.0f} /s | "
                 f"{n / t_full:,.0f} /s |")
    big = synthetic_features(feats, 1_000_000)
    syn_orders = synthetic_orders(1_000_000)
    t_syn_feat = timed(lambda: est.features(syn_orders, pd.Timestamp("2018-01-01")), reps=1)
    del syn_orders
    t_pred_big = timed(lambda: est.predict(big), reps=2)
    t_top_big = timed(lambda: score_frame(est, big, est.as_of_, 7, reasons=1000), reps=2)
    t_full_big = timed(lambda: score_frame(est, big, est.as_of_, 7), reps=1)
    lines.append(f"| synthetic | 1,000,000 | {t_syn_feat:.1f} s (3M generic order lines; reported separately) | "
                 f"{1e6 / t_pred_big:,.0f} /s | {1e6 / t_top_big:,.0f} /s | {1e6 / t_full_big:,.0f} /s |")
    lines.append(f"\npeak RSS after scoring: {rss_gib():.2f} GiB")
    del big

    if not args.skip_scaling:
        lines.append("\n## Training cost vs customers (one final-model fit, resampled households, generic + product columns)\n")
        lines.append("| customers | line items | training rows | epochs | fit time |")
        lines.append("|---|---|---|---|---|")
        for factor in (0.25, 0.5, 1.0, 4.0):
            orders = resample_customers(data["orders"], factor) if factor != 1.0 else data["orders"]
            t = time.perf_counter()
            e = PurchasePredictor().fit(orders, data["products"])
            s = time.perf_counter() - t
            lines.append(f"| {orders['customer_id'].nunique():,} ({factor}x) | {len(orders):,} | {e.training_['n_rows']:,} | "
                         f"{e.training_['epochs_run']} | {s:.1f} s |")
            del orders
        lines.append(f"\npeak RSS at the end: {rss_gib():.2f} GiB")
    lines.append(f"\nMachine: {os.cpu_count()} CPU cores shared with five other engineers' jobs "
                 f"(load average {os.getloadavg()[0]:.1f} at the end): timings are under load.")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
