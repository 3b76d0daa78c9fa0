"""A learned blend of the Transformer with the repeat signal: a second stage that re-ranks candidates.

A single mixing weight cannot say "trust the Transformer to order the items the customer keeps buying, but do
not let its popular guesses push a habit out of the top slots": a fixed linear mix raised Recall@10 and lowered
NDCG@10 on Complete Journey (bench/results/recommend.md). The standard two-stage answer: take each customer's
candidates (the union of the repeat method's and the Transformer's top ``n_candidates``), describe each
(customer, item) pair by both scores, their ranks and the customer's own history of the item, and fit a
gradient-boosted classifier of "the item is in the next basket" on the inner split (each customer's last
training basket, which the network never trained on). At prediction the same features are computed from all
baskets; a candidate's score is 1 + P(bought), so every candidate ranks above every non-candidate.

``FEATURES`` names the columns of ``candidate_features`` (``REPEAT_FEATURES`` without the Transformer's two).
``RepeatReranker`` is the same second stage over the repeat method alone (no network): the ablation that says
how much of the re-ranker's gain is the Transformer's.

The classifier is kept small (8 leaves, 100 rounds, 200 pairs a leaf): with 31 leaves and 200 rounds it fitted
the inner split far better than it predicted the next cutoff (inner NDCG@10 0.24, held-out no better than
TIFU-KNN's on a cutoff before the reported ones; bench/results/recommend.md, session 8).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .baselines import BASELINES, Baskets, GTopFreq, drop_last, last_baskets
from .topk import topk as _topk

__all__ = ["FEATURES", "REPEAT_FEATURES", "history_stats", "candidates", "candidate_features", "fit_reranker",
           "lift_candidates",
           "lift_candidates", "RepeatReranker"]

FEATURES = ("repeat_share", "repeat_rank", "own_share", "model_prob", "model_rank", "freq", "n_bought",
            "baskets_since", "n_baskets", "popularity")
REPEAT_FEATURES = tuple(f for f in FEATURES if not f.startswith("model"))


def history_stats(b: Baskets) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(customers × items baskets containing the item; 1 + baskets since its last purchase, 0 where never)."""
    B = b.B.tocoo()
    user, rank = b.basket_user[B.row], b.basket_rank_from_end[B.row]
    shape = (len(b.customers), len(b.items))
    count = sp.csr_matrix((np.ones(len(user)), (user, B.col)), shape=shape)
    count.sum_duplicates()
    # the most recent purchase: the largest (big - rank); duplicates summed would be wrong, so reduce first
    key = user.astype(np.int64) * shape[1] + B.col
    order = np.lexsort((rank, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]]
    sel = order[first]
    since = sp.csr_matrix((1.0 + rank[sel], (user[sel], B.col[sel])), shape=shape)
    return count.tocsr(), since


def candidates(rep: np.ndarray, model: np.ndarray | None, n: int) -> list[np.ndarray]:
    """Each row's candidate columns: the union of the ``n`` best by ``rep`` and the ``n`` best by ``model``
    (``model`` None: the ``2 n`` best by ``rep``)."""
    if model is None:
        n = min(2 * n, rep.shape[1])
        a = np.argpartition(-rep, n - 1, axis=1)[:, :n]
        return [np.sort(a[i]) for i in range(len(rep))]
    n = min(n, rep.shape[1])
    a = np.argpartition(-rep, n - 1, axis=1)[:, :n]
    m = np.argpartition(-model, n - 1, axis=1)[:, :n]
    return [np.unique(np.r_[a[i], m[i]]) for i in range(len(rep))]


def candidate_features(rows: np.ndarray, cand: list[np.ndarray], rep: np.ndarray, own: np.ndarray,
                       model: np.ndarray | None, count: sp.csr_matrix, since: sp.csr_matrix, n_baskets: np.ndarray,
                       pop: np.ndarray) -> np.ndarray:
    """One row of ``FEATURES`` per (customer row, candidate column), in the order of ``cand``. ``rep``,
    ``own`` and ``model``: dense score blocks for ``rows`` (the repeat method's blend, its own-history part and
    the Transformer's probabilities; ``model`` None: ``REPEAT_FEATURES`` only)."""
    out = []
    for i, (u, c) in enumerate(zip(rows, cand)):
        r, o = rep[i], own[i]
        rs, os_ = r / max(r.sum(), 1e-12), o / max(o.sum(), 1e-12)
        # rank among all items: how many score strictly higher
        r_rank = np.searchsorted(np.sort(-r), -r[c])
        cnt = np.asarray(count[u, c].todense()).ravel()
        snc = np.asarray(since[u, c].todense()).ravel()
        nb = float(n_baskets[u])
        hist = [cnt / max(nb, 1.0), cnt, np.where(snc > 0, snc, 1e4), np.full(len(c), nb), pop[c]]
        if model is None:
            out.append(np.column_stack([rs[c], r_rank, os_[c], *hist]))
        else:
            m = model[i]
            out.append(np.column_stack([rs[c], r_rank, os_[c], m[c], np.searchsorted(np.sort(-m), -m[c]), *hist]))
    width = len(FEATURES if model is not None else REPEAT_FEATURES)
    return np.concatenate(out) if out else np.zeros((0, width))


def fit_reranker(X: np.ndarray, y: np.ndarray, random_state: int = 0, max_iter: int = 100):
    """A small gradient-boosted classifier of P(candidate in the next basket) (sklearn, no early stopping: the
    same fit every time)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=max_iter, learning_rate=0.05, max_leaf_nodes=8,
                                          min_samples_leaf=200, l2_regularization=1.0, early_stopping=False,
                                          random_state=random_state).fit(X, y)


def lift_candidates(block: np.ndarray, cand: list, p: np.ndarray) -> np.ndarray:
    """Put each row's candidates above every other item: 1 + P(in the next basket) added at their columns
    (``p`` holds the rows' candidate probabilities one after another, in ``cand``'s order)."""
    off = np.r_[0, np.cumsum([len(x) for x in cand])]
    for i, x in enumerate(cand):
        block[i, x] += 1.0 + p[off[i]:off[i + 1]]
    return block


class RepeatReranker:
    """The re-ranker over the repeat method alone: each customer's ``2 * n_candidates`` best items by the repeat
    method (TIFU-KNN by default), re-ranked by ``REPEAT_FEATURES`` with a classifier fitted on the inner split
    (each customer's last basket, from the baskets before it; ``n_inner`` > 1: also the one before, and so on,
    each from the baskets before it — more pairs to learn from). ``precompute_k``: every customer's best
    ``precompute_k`` items kept at fit, so ``topk(rows, k)`` for k up to it is a lookup."""

    name = "TIFU-KNN re-ranked"

    def __init__(self, repeat: str = "tifu-knn", repeat_params: dict | None = None, n_candidates: int = 50,
                 n_inner: int = 1, precompute_k: int = 20, random_state: int = 0) -> None:
        self.repeat, self.repeat_params, self.n_candidates = repeat, repeat_params, n_candidates
        self.n_inner, self.precompute_k, self.random_state = n_inner, precompute_k, random_state

    def _repeat_model(self, b: Baskets):
        return BASELINES[self.repeat](**(self.repeat_params or {})).fit(b)

    def _features(self, rep_model, stats, n_baskets, pop, rows):
        rep = rep_model.scores(rows)
        own = rep_model.own_[rows].toarray() if hasattr(rep_model, "own_") else rep
        cand = candidates(rep, None, self.n_candidates)
        return cand, candidate_features(rows, cand, rep, own, None, *stats, n_baskets, pop), rep

    def fit(self, b: Baskets, chunk: int = 256) -> "RepeatReranker":
        Xs, ys, n_rows = [], [], 0
        outer = b
        for _ in range(max(int(self.n_inner), 1)):
            inner = drop_last(outer)
            target = last_baskets(outer)
            rows = np.array(sorted(u for u in target if inner.n_baskets[u] >= 1), dtype=np.int64)
            if len(rows) == 0:
                break
            rep_model, stats, pop = self._repeat_model(inner), history_stats(inner), GTopFreq().fit(inner).pop_
            for c in range(0, len(rows), chunk):
                r = rows[c:c + chunk]
                cand, X, _ = self._features(rep_model, stats, inner.n_baskets, pop, r)
                Xs.append(X)
                ys.append(np.concatenate([np.isin(cd, target[u]) for cd, u in zip(cand, r)]))
            n_rows, outer = n_rows + len(rows), inner
        y = np.concatenate(ys) if ys else np.zeros(0, dtype=bool)
        self.info_ = {"customer_baskets": int(n_rows), "pairs": int(len(y)),
                      "positive_share": round(float(y.mean()), 4) if len(y) else None}
        # one class (or none): nothing to learn, the repeat method's own order
        self.classifier_ = None if len(y) == 0 or y.all() or not y.any() else \
            fit_reranker(np.concatenate(Xs), y, self.random_state)
        self.pop_ = GTopFreq().fit(b).pop_
        self.repeat_ = self._repeat_model(b)
        self.stats_, self.n_baskets_ = history_stats(b), b.n_baskets.copy()
        self.best_items_ = self.best_scores_ = None
        pk = min(int(self.precompute_k), len(self.pop_))
        if pk > 0:
            tops, vals = [], []
            for s in range(0, len(b.customers), chunk):
                sc = self.scores(np.arange(s, min(s + chunk, len(b.customers))))
                t = _topk(sc, pk)
                tops.append(t), vals.append(np.take_along_axis(sc, t, axis=1))
            self.best_items_, self.best_scores_ = np.concatenate(tops), np.concatenate(vals)
        return self

    def scores(self, rows: np.ndarray, chunk: int = 256) -> np.ndarray:
        """Candidates at 1 + P(in the next basket), the rest in the repeat method's order far below."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), len(self.pop_)))
        for c in range(0, len(rows), chunk):
            r = rows[c:c + chunk]
            cand, X, rep = self._features(self.repeat_, self.stats_, self.n_baskets_, self.pop_, r)
            block = 1e-6 * rep / np.maximum(rep.sum(axis=1, keepdims=True), 1e-12) + 1e-12 * self.pop_
            if self.classifier_ is not None:
                lift_candidates(block, cand, self.classifier_.predict_proba(X)[:, 1])
            out[c:c + len(r)] = block
        return out

    def topk(self, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best items per row (best first) and their scores; a lookup for k up to ``precompute_k``."""
        rows = np.asarray(rows, dtype=np.int64)
        k = min(int(k), len(self.pop_))
        if self.best_items_ is not None and k <= self.best_items_.shape[1]:
            return self.best_items_[rows, :k], self.best_scores_[rows, :k]
        sc = self.scores(rows)
        t = _topk(sc, k)
        return t, np.take_along_axis(sc, t, axis=1)
