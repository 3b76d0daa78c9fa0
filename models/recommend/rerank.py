"""A learned blend of the Transformer with the repeat signal: a second stage that re-ranks candidates.

A single mixing weight cannot say "trust the Transformer to order the items the customer keeps buying, but do
not let its popular guesses push a habit out of the top slots": a fixed linear mix raised Recall@10 and lowered
NDCG@10 on Complete Journey (bench/results/recommend.md). The standard two-stage answer: take each customer's
candidates (the union of the repeat method's and the Transformer's top ``n_candidates``), describe each
(customer, item) pair by both scores, their ranks and the customer's own history of the item, and fit a
gradient-boosted classifier of "the item is in the next basket" on the inner split (each customer's last
training basket, which the network never trained on). At prediction the same features are computed from all
baskets; a candidate's score is 1 + P(bought), so every candidate ranks above every non-candidate.

``FEATURES`` names the columns of ``candidate_features``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .baselines import Baskets

__all__ = ["FEATURES", "history_stats", "candidates", "candidate_features", "fit_reranker"]

FEATURES = ("repeat_share", "repeat_rank", "own_share", "model_prob", "model_rank", "freq", "n_bought",
            "baskets_since", "n_baskets", "popularity")


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


def candidates(rep: np.ndarray, model: np.ndarray, n: int) -> list[np.ndarray]:
    """Each row's candidate columns: the union of the ``n`` best by ``rep`` and the ``n`` best by ``model``."""
    n = min(n, rep.shape[1])
    a = np.argpartition(-rep, n - 1, axis=1)[:, :n]
    m = np.argpartition(-model, n - 1, axis=1)[:, :n]
    return [np.unique(np.r_[a[i], m[i]]) for i in range(len(rep))]


def candidate_features(rows: np.ndarray, cand: list[np.ndarray], rep: np.ndarray, own: np.ndarray,
                       model: np.ndarray, count: sp.csr_matrix, since: sp.csr_matrix, n_baskets: np.ndarray,
                       pop: np.ndarray) -> np.ndarray:
    """One row of ``FEATURES`` per (customer row, candidate column), in the order of ``cand``. ``rep``,
    ``own`` and ``model``: dense score blocks for ``rows`` (the repeat method's blend, its own-history part and
    the Transformer's probabilities)."""
    out = []
    for i, (u, c) in enumerate(zip(rows, cand)):
        r, o, m = rep[i], own[i], model[i]
        rs, os_ = r / max(r.sum(), 1e-12), o / max(o.sum(), 1e-12)
        rv, mv = r[c], m[c]
        # rank among all items: how many score strictly higher
        r_rank = np.searchsorted(np.sort(-r), -rv)
        m_rank = np.searchsorted(np.sort(-m), -mv)
        cnt = np.asarray(count[u, c].todense()).ravel()
        snc = np.asarray(since[u, c].todense()).ravel()
        nb = float(n_baskets[u])
        out.append(np.column_stack([rs[c], r_rank, os_[c], mv, m_rank, cnt / max(nb, 1.0), cnt,
                                    np.where(snc > 0, snc, 1e4), np.full(len(c), nb), pop[c]]))
    return np.concatenate(out) if out else np.zeros((0, len(FEATURES)))


def fit_reranker(X: np.ndarray, y: np.ndarray, random_state: int = 0, max_iter: int = 200):
    """A gradient-boosted classifier of P(candidate in the next basket) (sklearn, no early stopping: the
    same fit every time)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=max_iter, learning_rate=0.05, max_leaf_nodes=31,
                                          min_samples_leaf=40, l2_regularization=1.0, early_stopping=False,
                                          random_state=random_state).fit(X, y)
