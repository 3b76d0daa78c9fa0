"""Time-based next-basket backtest (the protocol of Li et al., "A Next Basket Recommendation Reality Check",
TOIS 2023): fit on baskets before a cutoff, predict each customer's first basket on or after it; Recall@k,
NDCG@k and PHR@k over all target items, and Recall@k apart for repeat items (bought before the cutoff) and
explore items (new to the customer). Several cutoffs, each ``step_days`` apart, ending ``step_days`` before
the last order.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .baselines import Baskets, to_baskets
from .methods import make_method
from .topk import sparse_topk, topk

__all__ = ["split_at", "topk", "sparse_topk", "model_topk", "basket_metrics", "evaluate_method", "backtest", "cutoffs_for"]


def split_at(orders: pd.DataFrame, cutoff: pd.Timestamp) -> tuple[pd.DataFrame, dict[str, set]]:
    """(orders before ``cutoff``; customer -> the product ids of their first basket on/after it), the target
    only for customers with history before the cutoff."""
    ts = pd.to_datetime(orders["timestamp"])
    train = orders[ts < cutoff]
    after = orders[ts >= cutoff].assign(_ts=ts[ts >= cutoff])
    after = after[after["customer_id"].astype(str).isin(set(train["customer_id"].astype(str)))]
    if after.empty:
        return train, {}
    key = "order_id" if "order_id" in after else "_day"
    if key == "_day":
        after = after.assign(_day=after["_ts"].dt.normalize())
    first = after.groupby(after["customer_id"].astype(str))["_ts"].transform("min")
    firstkey = after[after["_ts"] == first].groupby(after["customer_id"].astype(str))[key].transform("first")
    rows = after[after["_ts"] == first]
    rows = rows[rows[key] == firstkey]
    target: dict[str, set] = {}
    for c, p in zip(rows["customer_id"].astype(str), rows["product_id"].astype(str)):
        target.setdefault(c, set()).add(p)
    return train, target


def model_topk(model, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best items (best first) and their scores for customer rows of a fitted method: its own ``topk``
    when it has one, else the sparse or dense top-k of its scores."""
    if hasattr(model, "topk"):
        return model.topk(rows, k)
    if hasattr(model, "sparse_scores"):
        return sparse_topk(model.sparse_scores(rows), k, model.fill_)
    sc = model.scores(rows)
    top = topk(sc, k)
    return top, np.take_along_axis(sc, top, axis=1)


def basket_metrics(recs: list, target: set, seen: set, k: int) -> dict[str, float]:
    """One customer's Recall@k, NDCG@k, PHR@k, and repeat / explore recall (NaN when it has none)."""
    top = list(recs)[:k]
    hits = [1.0 if r in target else 0.0 for r in top]
    dcg = sum(h / np.log2(i + 2) for i, h in enumerate(hits))
    idcg = sum(1.0 / np.log2(i + 2) for i in range(min(len(target), k)))
    rep, exp = target & seen, target - seen
    topset = set(top)
    return {"recall": sum(hits) / len(target) if target else np.nan,
            "ndcg": dcg / idcg if idcg else np.nan,
            "phr": float(sum(hits) > 0),
            "recall_repeat": len(topset & rep) / len(rep) if rep else np.nan,
            "recall_explore": len(topset & exp) / len(exp) if exp else np.nan}


def _per_customer(method: str, b: Baskets, target: dict, ks, params: dict) -> tuple[pd.DataFrame, object, float]:
    """Per-customer metrics at every k in ``ks`` (the first k's unsuffixed), the fitted model, fit seconds."""
    t0 = time.process_time()  # CPU seconds of this process (all its threads): wall time on a shared host is noise
    model = make_method(method, **params.get(method, {})).fit(b)
    fit_s = time.process_time() - t0
    row_of = {c: i for i, c in enumerate(b.customers)}
    custs = [c for c in target if c in row_of]
    rows = np.array([row_of[c] for c in custs], dtype=np.int64)
    H = b.history.tocsr()
    out = []
    kmax = max(ks)
    for s in range(0, len(rows), 1024):
        r = rows[s:s + 1024]
        top = model_topk(model, r, kmax)[0]
        for i, row in enumerate(r):
            c = custs[s + i]
            seen = set(b.items[H.indices[H.indptr[row]:H.indptr[row + 1]]])
            recs = list(b.items[top[i]])
            rec = {"customer_id": c, **basket_metrics(recs, target[c], seen, ks[0])}
            for k in ks[1:]:
                rec.update({f"{m}@{k}": v for m, v in basket_metrics(recs, target[c], seen, k).items()})
            out.append(rec)
    return pd.DataFrame(out), model, fit_s


def evaluate_method(method: str, orders: pd.DataFrame, cutoff, k: int = 10, params: dict | None = None) -> dict:
    train, target = split_at(orders, pd.Timestamp(cutoff))
    pc = _per_customer(method, to_baskets(train), target, (k,), params or {})[0]
    return {c: float(pc[c].mean()) for c in pc.columns if c != "customer_id"} | {"n_customers": len(pc)}


def cutoffs_for(orders: pd.DataFrame, n_cutoffs: int = 3, step_days: int = 28) -> list[pd.Timestamp]:
    last = pd.to_datetime(orders["timestamp"]).max().normalize()
    return [last - pd.Timedelta(days=step_days * i) for i in range(n_cutoffs, 0, -1)]


def backtest(orders: pd.DataFrame, methods=("g-topfreq", "p-topfreq", "tifu-knn"), k: int = 10,
             n_cutoffs: int = 3, step_days: int = 28, params: dict | None = None, ks: tuple = (),
             timings: bool = False) -> dict:
    """Every method on the same cutoffs and customers: mean metrics (at ``k`` and every extra k in ``ks``), and
    for each method the paired 95% CI of its per-customer Recall@k and NDCG@k differences against each
    other method.
    ``timings``: also the fit CPU seconds per method (summed over cutoffs; off by default, so results repeat)."""
    cuts = cutoffs_for(orders, n_cutoffs, step_days)
    ks = (k,) + tuple(x for x in ks if x != k)
    per: dict[str, list[pd.DataFrame]] = {m: [] for m in methods}
    fit_s: dict[str, float] = {m: 0.0 for m in methods}
    notes: dict[str, list] = {}
    for cut in cuts:
        train, target = split_at(orders, cut)
        if not target or train.empty:
            continue
        b = to_baskets(train)
        for m in methods:
            df, model, sec = _per_customer(m, b, target, ks, params or {})
            per[m].append(df.assign(cutoff=cut.date().isoformat()))
            fit_s[m] += sec
            if hasattr(model, "mix_"):
                notes.setdefault(m, []).append({"cutoff": cut.date().isoformat(), "mix": model.mix_,
                                                "inner_recall@10_by_mix": model.mix_recall_}
                                               | ({"inner_ndcg@10_by_mix": model.mix_ndcg_}
                                                  if getattr(model, "mix_ndcg_", None) else {})
                                               | ({"rerank": model.rerank_info_}
                                                  if getattr(model, "rerank_info_", None) else {}))
    frames = {m: pd.concat(v, ignore_index=True) for m, v in per.items() if v}
    if not frames:
        return {"error": "no customer has baskets both before and after a cutoff: too little history",
                "cutoffs": [c.date().isoformat() for c in cuts]}
    cols = ["recall", "ndcg", "phr", "recall_repeat", "recall_explore"]
    scores = {m: {f"{c}@{k}": _mean(df[c]) for c in cols}
              | {f"{c}@{x}": _mean(df[f"{c}@{x}"]) for x in ks[1:] for c in cols} | {"n": len(df)}
              for m, df in frames.items()}
    paired: dict[str, dict[str, dict]] = {"recall": {}, "ndcg": {}}
    for metric, pm in paired.items():
        for a in frames:
            for b in frames:
                if a == b:
                    continue
                d = (frames[a][metric] - frames[b][metric]).dropna().to_numpy()
                se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
                pm.setdefault(a, {})[b] = {"diff": _mean(pd.Series(d)),
                                           "ci95": [_num(d.mean() - 1.96 * se), _num(d.mean() + 1.96 * se)]}
    out = {"k": k, "cutoffs": sorted({c for df in frames.values() for c in df["cutoff"]}),
           "target": "each customer's first basket on or after the cutoff", "methods": scores,
           "paired_recall_diff": paired["recall"], "paired_ndcg_diff": paired["ndcg"],
           "n_customers": int(len(next(iter(frames.values()))))}
    if notes:
        out["model_notes"] = notes
    if timings:
        out["fit_seconds"] = {m: round(v, 1) for m, v in fit_s.items()}
    return out


def _num(v) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 4)


def _mean(s: pd.Series) -> float | None:
    s = s.dropna()
    return _num(s.mean()) if len(s) else None
