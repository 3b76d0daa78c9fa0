"""Segmenter benchmark: quality and stability on the full Complete Journey, scale on 1M synthetic customers.

    python bench/segmenter.py [--n-boot 10] [--synthetic 1000000] [--threads 1]

Compares ``CustomerSegmenter`` with the classic RFM-quintile rule (R, F and M scored 1-5 by quintile; the
usual R x FM grid of 10 named segments: Champions, Loyal, At risk, Hibernating, ...). Both partitions are
scored in the segmenter's feature space (silhouette), by bootstrap adjusted Rand index (refit on a resample,
predict everyone, compare with the full-data partition), by revenue concentration, smallest segment and the
"every pair of segments differs by >= 25% on >= 2 profile metrics" target. Timed fits run in fresh
processes so each peak RSS is that fit's own. Prints markdown.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.segments.segmenter import CustomerSegmenter  # noqa: E402
from models.segments.stability import cutoff_ari  # noqa: E402

# profile metrics compared pairwise (the >= 25% difference target)
PAIR_METRICS = ("recency_days_median", "orders_median", "spend_median", "avg_basket", "coupon_rate",
                "tenure_days_median")

RFM_GRID = [  # (R scores, FM scores, name): the widely used R x FM segment map
    ((1, 2), (1, 2), "Hibernating"), ((1, 2), (3, 4), "At risk"), ((1, 2), (5,), "Can't lose them"),
    ((3,), (1, 2), "About to sleep"), ((3,), (3,), "Need attention"), ((3, 4), (4, 5), "Loyal customers"),
    ((4,), (1,), "Promising"), ((5,), (1,), "New customers"), ((4, 5), (2, 3), "Potential loyalists"),
    ((5,), (4, 5), "Champions"),
]


def md_table(rows: list[dict]) -> str:
    """Markdown table (tabulate is not a dependency); floats to 3 decimals."""
    cols = list(rows[0])
    cell = lambda v: f"{v:.3f}" if isinstance(v, (float, np.floating)) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it does not carry the parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- RFM-quintile baseline ------------------------------------------------------------------------------
class RFMQuintiles:
    """Quintile edges learned on one set of customers, applied to any."""

    def fit(self, X: pd.DataFrame) -> "RFMQuintiles":
        q = [0.2, 0.4, 0.6, 0.8]
        self.edges_ = {c: np.quantile(X[c].to_numpy(), q) for c in ("recency_days", "frequency", "monetary")}
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        score = {c: np.searchsorted(e, X[c].to_numpy(), side="right") + 1 for c, e in self.edges_.items()}
        r = 6 - score["recency_days"]  # recent = 5
        fm = np.rint((score["frequency"] + score["monetary"]) / 2 + 1e-9).astype(int).clip(1, 5)
        out = np.full(len(X), -1)
        for i, (rs, fs, _) in enumerate(RFM_GRID):
            out[np.isin(r, rs) & np.isin(fm, fs)] = i
        assert (out >= 0).all(), "RFM grid must cover every (R, FM) pair"
        return out


# -- measures -----------------------------------------------------------------------------------------
def _profiles(X: pd.DataFrame, labels: np.ndarray, orders: pd.DataFrame) -> list[dict]:
    from models.segments.profiles import build_profiles

    profiles, _ = build_profiles(X, pd.Series(labels, index=X.index), orders)
    return profiles


def _pairs_ok(profiles: list[dict]) -> tuple[int, int]:
    ok = 0
    pairs = list(combinations(profiles, 2))
    for a, b in pairs:
        n = 0
        for m in PAIR_METRICS:
            x, y = a.get(m), b.get(m)
            if x is None or y is None or max(abs(x), abs(y)) == 0:
                continue
            n += abs(x - y) / max(abs(x), abs(y)) >= 0.25
        ok += n >= 2
    return ok, len(pairs)


def _bootstrap(make, X: pd.DataFrame, n_boot: int, seed: int = 0) -> tuple[float, float]:
    from sklearn.metrics import adjusted_rand_score

    base = make(0).fit(X).predict(X)
    rng = np.random.default_rng(seed)
    vals = []
    for b in range(n_boot):
        idx = rng.integers(0, len(X), len(X))
        vals.append(adjusted_rand_score(base, make(b + 1).fit(X.iloc[idx]).predict(X)))
    return float(np.mean(vals)), float(np.min(vals))


def quality_row(name: str, labels: np.ndarray, Z: np.ndarray, X, orders, boot, fit_s, rss) -> dict:
    from sklearn.metrics import silhouette_score

    prof = _profiles(X, labels, orders)
    ok, n_pairs = _pairs_ok(prof)
    shares = np.array([p["share_customers"] for p in prof])
    rev = np.array([p["share_revenue"] for p in prof])
    return {
        "method": name, "segments": len(prof),
        "silhouette": silhouette_score(Z, labels, random_state=0) if len(prof) > 1 else float("nan"),
        "bootstrap ARI mean (min)": f"{boot[0]:.3f} ({boot[1]:.3f})",
        "smallest segment": f"{shares.min():.1%}",
        "top segment revenue share": f"{rev.max():.1%} (of {shares[rev.argmax()]:.1%} customers)",
        "max revenue/customer share": f"{(rev / shares).max():.2f}",
        "pairs differing >=25% on >=2 metrics": f"{ok}/{n_pairs}",
        "fit s": f"{fit_s:.2f}", "peak RSS MB": f"{rss:.0f}" if rss else "–",
    }


# -- timed fits in fresh processes ------------------------------------------------------------------------
def _timed_fit(args):
    kind, payload, threads = args
    if kind == "cj":
        X = pd.read_parquet(payload)
    else:
        X = synthetic_features(payload)
    base_rss = _peak_rss_mb()
    t = time.perf_counter()
    seg = CustomerSegmenter(random_state=0, n_threads=threads).fit(X)
    ids = seg.predict(X)
    secs = time.perf_counter() - t
    return {"n": len(X), "fit_predict_s": secs, "peak_rss_mb": _peak_rss_mb(), "rss_before_fit_mb": base_rss,
            "k": seg.k_, "method": seg.method_, "min_share": float(pd.Series(ids).value_counts(normalize=True).min())}


def run_timed(kind: str, payload, threads: int) -> dict:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.map(_timed_fit, [(kind, payload, threads)])[0]


def synthetic_features(n: int, seed: int = 0) -> pd.DataFrame:
    """Feature rows shaped like Complete Journey's: six latent customer types, log-normal counts and money,
    Dirichlet category mixes. Generated directly (no orders), seeded."""
    rng = np.random.default_rng(seed)
    types = rng.choice(6, size=n, p=[0.3, 0.2, 0.15, 0.15, 0.12, 0.08])
    freq_mu = np.array([4.3, 3.6, 2.9, 2.2, 1.4, 0.5])[types]
    rec_mu = np.array([1.0, 1.6, 2.4, 3.2, 4.0, 4.6])[types]
    basket_mu = np.array([3.4, 3.1, 3.3, 2.9, 3.0, 2.7])[types]
    frequency = np.maximum(1, np.round(np.exp(rng.normal(freq_mu, 0.35))))
    avg_basket = np.exp(rng.normal(basket_mu, 0.3))
    recency = np.minimum(np.exp(rng.normal(rec_mu, 0.5)), 365)
    tenure = np.clip(recency + np.exp(rng.normal(5.6, 0.25, n)), recency, 366)
    X = pd.DataFrame({
        "recency_days": recency, "frequency": frequency, "monetary": frequency * avg_basket,
        "tenure_days": tenure, "avg_basket": avg_basket,
        "discount_share": rng.beta(2, 8, n), "coupon_share": rng.beta(0.3, 12, n) * (types == 2) + rng.beta(0.2, 30, n),
    }, index=pd.Index([f"S{i}" for i in range(n)], name="customer_id", dtype="string"))
    alpha = np.array([[3, 2, 2, 1, 1, 1, 1, 1], [1, 3, 1, 2, 1, 1, 1, 1], [1, 1, 3, 1, 2, 1, 1, 1],
                      [1, 1, 1, 3, 1, 2, 1, 1], [1, 1, 1, 1, 3, 1, 2, 1], [1, 1, 1, 1, 1, 3, 1, 2]], float)
    g = rng.gamma(alpha[types] * 2.0)
    shares = g / g.sum(axis=1, keepdims=True) * 0.6  # categories outside the top 8 take the rest
    for j in range(8):
        X[f"cat_share__C{j}"] = shares[:, j]
    return X


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-boot", type=int, default=10)
    ap.add_argument("--synthetic", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    from models.data.sources.completejourney import load_completejourney
    from models.features import default_as_of, features_at

    t = time.perf_counter()
    data = load_completejourney()
    orders, products = data["orders"], data["products"]
    cutoff = default_as_of(orders)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    X = features_at(orders, cutoff, products=products)
    feat_s = time.perf_counter() - t
    tmp = Path("/tmp") / f"bench_segmenter_X_{id(X)}.parquet"
    X.to_parquet(tmp)

    cj = run_timed("cj", str(tmp), args.threads)
    seg = CustomerSegmenter(random_state=0, n_threads=args.threads).fit(X)
    ids = seg.predict(X)
    Z = seg.transform(X)
    boot = _bootstrap(lambda s: CustomerSegmenter(random_state=s, n_threads=args.threads), X, args.n_boot)
    t = time.perf_counter()
    rfm_ids = RFMQuintiles().fit(X).predict(X)
    rfm_s = time.perf_counter() - t
    rfm_boot = _bootstrap(lambda s: RFMQuintiles(), X, args.n_boot)
    month = cutoff_ari(CustomerSegmenter(random_state=0, n_threads=args.threads), orders, cutoff, products)

    rows = [quality_row(f"segmenter ({seg.method_}, k={seg.k_})", ids, Z, X, orders, boot,
                        cj["fit_predict_s"], cj["peak_rss_mb"]),
            quality_row("RFM quintiles (R x FM grid)", rfm_ids, Z, X, orders, rfm_boot, rfm_s, None)]
    print(f"## Segmenter on Complete Journey ({len(X):,} customers, {len(orders):,} line items, as of {cutoff.date()})\n")
    print(md_table(rows))
    print(f"\nBootstrap: {args.n_boot} resamples (fresh seed each; the segmenter re-chooses method and k every time).")
    print(f"Consecutive monthly cutoffs {month['cutoffs'][0]} -> {month['cutoffs'][1]}: ARI {month['ari']:.3f} on "
          f"{month['n_customers']:,} customers (k {month['k'][0]} -> {month['k'][1]}).")
    print(f"Data load {load_s:.1f} s, features_at {feat_s:.1f} s (not in fit s). Fit in a fresh process: "
          f"{cj['fit_predict_s']:.2f} s fit+predict, peak RSS {cj['peak_rss_mb']:.0f} MB "
          f"({cj['rss_before_fit_mb']:.0f} MB before the fit).\n")
    print("Model selection (silhouette on a seeded sample; admissible = every segment >= 2%):\n")
    print(md_table(seg.selection_))
    tmp.unlink(missing_ok=True)

    if args.synthetic:
        syn = run_timed("synthetic", args.synthetic, args.threads)
        print(f"\n## Scale: {syn['n']:,} synthetic customers (feature rows generated directly)\n")
        print(md_table([{
            "customers": f"{syn['n']:,}", "chosen": f"{syn['method']}, k={syn['k']}",
            "smallest segment": f"{syn['min_share']:.1%}", "fit+predict s": f"{syn['fit_predict_s']:.1f}",
            "target s": 120, "peak RSS MB (process)": f"{syn['peak_rss_mb']:.0f}",
            "RSS before fit MB": f"{syn['rss_before_fit_mb']:.0f}", "threads": args.threads,
        }]))


if __name__ == "__main__":
    main()
