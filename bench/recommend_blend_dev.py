"""Dev bench (issue 14, session 8): how should the Transformer's scores be blended with TIFU-KNN's?

For one cutoff (by default one *before* the three the backtest reports, so nothing here is tuned on them), fit
TIFU-KNN and the Transformer once, then score blend rules on the inner split (each customer's last training
basket) and on the cutoff's target baskets: linear ``(1 - w) * tifu + w * transformer`` (both sum-one
normalised) over a fine grid, and weighted reciprocal-rank fusion. Prints both so a selection rule (which
metric picks ``w`` on the inner split) can be judged by what it gives on the held-out cutoff.

    flock /work/wt/bench.lock nice -n 10 python3 bench/recommend_blend_dev.py --workspace W --customers 1000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models.data.workspace import Workspace
from models.recommend.baselines import TIFUKNN, drop_last, last_baskets, to_baskets
from models.recommend.evaluate import cutoffs_for, split_at
from models.recommend.rerank import FEATURES, candidate_features, candidates, fit_reranker, history_stats
from models.recommend.topk import topk
from models.recommend.transformer import NextBasketTransformer
from models.recommend.workspace import orders_for_recommend

GRID = tuple(round(x, 2) for x in np.arange(0.0, 0.51, 0.05)) + (0.7, 1.0)


def _metrics(top: np.ndarray, targets: list[np.ndarray], k: int = 10) -> tuple[float, float]:
    """Mean Recall@k, NDCG@k; ``targets``: item columns per row (-1: a product outside the vocabulary)."""
    rec, nd = [], []
    disc = 1 / np.log2(np.arange(2, k + 2))
    for t, tg in zip(top[:, :k], targets):
        hit = np.isin(t, tg)
        rec.append(hit.sum() / len(tg))
        nd.append((hit * disc).sum() / disc[:min(len(tg), k)].sum())
    return float(np.mean(rec)), float(np.mean(nd))


def _rrf(rep: np.ndarray, model: np.ndarray, w: float, c: float = 60.0) -> np.ndarray:
    def ranks(s):
        r = np.empty_like(s)
        o = np.argsort(-s, axis=1, kind="stable")
        np.put_along_axis(r, o, np.arange(s.shape[1], dtype=np.float64)[None, :].repeat(len(s), 0), axis=1)
        return r
    return (1 - w) / (c + ranks(rep)) + w / (c + ranks(model))


def evaluate(rep, model, targets, pop, rrf: bool = True) -> dict:
    out = {}
    rep = rep / np.maximum(rep.sum(axis=1, keepdims=True), 1e-12)
    for w in GRID:
        out[f"lin{w}"] = _metrics(topk((1 - w) * rep + w * model + 1e-12 * pop, 10), targets)
    for w in (0.1, 0.2, 0.3, 0.4, 0.5) if rrf else ():
        out[f"rrf{w}"] = _metrics(topk(_rrf(rep + 1e-12 * pop, model, w), 10), targets)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default="/tmp/i14_demo_full")
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--cutoff-index", type=int, default=4, help="cutoffs_for(n) [0]: 4 = one before the 3 reported")
    ap.add_argument("--epochs", default="4")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-rows", type=int, default=3000)
    ap.add_argument("--no-rrf", action="store_true")
    ap.add_argument("--dump", default="", help="save the re-ranker's features and targets here (.npz)")
    args = ap.parse_args()
    orders = orders_for_recommend(Workspace(Path(args.workspace)))
    if args.customers:
        ids = np.sort(orders["customer_id"].astype(str).unique())
        keep = set(np.random.default_rng(0).choice(ids, min(args.customers, len(ids)), replace=False))
        orders = orders[orders["customer_id"].astype(str).isin(keep)]
    cut = cutoffs_for(orders, args.cutoff_index)[0]
    train, target = split_at(orders, cut)
    b = to_baskets(train)
    inner = drop_last(b)
    col = pd.Index(b.items)
    row_of = {c: i for i, c in enumerate(b.customers)}
    test_rows = np.array([row_of[c] for c in sorted(target) if c in row_of], dtype=np.int64)
    test_t = [col.get_indexer(sorted(target[b.customers[r]])) for r in test_rows]
    lb = last_baskets(b)
    in_rows = np.array(sorted(u for u in lb if inner.n_baskets[u] >= 1), dtype=np.int64)
    if len(in_rows) > args.max_rows:
        in_rows = np.sort(np.random.default_rng(0).choice(in_rows, args.max_rows, replace=False))
    in_t = [lb[u] for u in in_rows]
    print(f"cutoff {cut.date()}, {len(b.customers)} customers, {len(b.items)} items, {len(test_rows)} test rows, "
          f"{len(in_rows)} inner rows", flush=True)
    ti, tt = TIFUKNN().fit(inner), TIFUKNN().fit(b)
    rep_in, rep_te = ti.scores(in_rows), tt.scores(test_rows)
    own_in, own_te = ti.own_[in_rows].toarray(), tt.own_[test_rows].toarray()
    st_in, st_te = history_stats(inner), history_stats(b)
    res = {}
    for ep in [int(e) for e in args.epochs.split(",")]:
        t0 = time.process_time()
        m = NextBasketTransformer(epochs=ep, n_threads=args.threads).fit(b)
        fit = time.process_time() - t0
        mi, mt = m._model_probs(in_rows, end_offset=1), m._model_probs(test_rows)
        inn = evaluate(rep_in, mi, in_t, m.pop_, not args.no_rrf)
        te = evaluate(rep_te, mt, test_t, m.pop_, not args.no_rrf)
        for name, use_model in (("rerank", True), ("rerank-no-model", False)):
            t1 = time.process_time()
            ci = candidates(rep_in, mi if use_model else rep_in, 50)
            Xi = candidate_features(in_rows, ci, rep_in, own_in, mi, *st_in, inner.n_baskets, m.pop_)
            yi = np.concatenate([np.isin(c, t) for c, t in zip(ci, in_t)])
            cols = [j for j, f in enumerate(FEATURES) if use_model or not f.startswith("model")]
            clf = fit_reranker(Xi[:, cols], yi)
            ct = candidates(rep_te, mt if use_model else rep_te, 50)
            Xt = candidate_features(test_rows, ct, rep_te, own_te, mt, *st_te, b.n_baskets, m.pop_)
            p = clf.predict_proba(Xt[:, cols])[:, 1]
            sc = np.full(rep_te.shape, -1.0)
            off = np.r_[0, np.cumsum([len(c) for c in ct])]
            for i, c in enumerate(ct):
                sc[i, c] = p[off[i]:off[i + 1]]
            te[name] = _metrics(topk(sc, 10), test_t)
            if args.dump and use_model:
                np.savez_compressed(args.dump, Xi=Xi, yi=yi, ni=[len(c) for c in ci], Xt=Xt, ct=np.concatenate(ct),
                                    nt=[len(c) for c in ct], tt=np.concatenate(test_t), ntt=[len(t) for t in test_t],
                                    tifu_top=topk(rep_te, 10), n_items=rep_te.shape[1])
            pi = clf.predict_proba(Xi[:, cols])[:, 1]
            sci = np.full(rep_in.shape, -1.0)
            offi = np.r_[0, np.cumsum([len(c) for c in ci])]
            for i, c in enumerate(ci):
                sci[i, c] = pi[offi[i]:offi[i + 1]]
            inn[name] = _metrics(topk(sci, 10), in_t)  # in-sample: optimistic
            print(f"{name}: {len(yi)} inner pairs, {yi.mean():.3f} positive, {time.process_time() - t1:.0f} CPU s, "
                  f"test R {te[name][0]:.4f} N {te[name][1]:.4f}", flush=True)
        res[ep] = {"fit_cpu_s": round(fit, 1), "loss": m.loss_history_, "inner": inn, "test": te}
        print(f"epochs {ep}: fit {fit:.0f} CPU s, loss {m.loss_history_}, shipped mix {m.mix_}", flush=True)
        print("rule      inner R / N        test R / N", flush=True)
        for key in inn:
            print(f"{key:8s} {inn[key][0]:.4f} {inn[key][1]:.4f}   {te[key][0]:.4f} {te[key][1]:.4f}", flush=True)
        for name, f in (("recall", lambda v: v[0]), ("ndcg", lambda v: v[1]), ("sum", lambda v: v[0] + v[1])):
            lin = {k: v for k, v in inn.items() if k.startswith("lin")}
            best = max(lin, key=lambda k: f(lin[k]))
            print(f"pick by inner {name}: {best} -> test R {te[best][0]:.4f} N {te[best][1]:.4f} "
                  f"(tifu {te['lin0.0'][0]:.4f} / {te['lin0.0'][1]:.4f})", flush=True)
    Path("/tmp/i14_blend_dev.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
