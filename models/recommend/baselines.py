"""Next-basket baselines over a sparse customer × product representation.

- ``GTopFreq``: the most popular products overall (same list for everyone).
- ``PTopFreq``: each customer's own most frequently bought products, padded with G-TopFreq (GP-TopFreq).
- ``GPTopFreq``: P-TopFreq with ties and the rest of the list filled by global popularity.
- ``ItemKNN``: item-based kNN: the customer's purchase frequencies times the cosine item-item similarity (each
  item's ``k`` most similar items; an item is its own nearest neighbour, so repeats count).
- ``TIFUKNN``: Hu et al. (SIGIR 2020): a time-decayed personal item vector (baskets grouped, decay within and
  across groups) blended with the mean vector of the k nearest customers: ``alpha * own + (1-alpha) * neighbours``.

Every method exposes ``fit(baskets)`` and ``scores(rows)`` -> a dense (len(rows) × n_items) score block
(``models.recommend.methods`` names them all, the Transformer included); the sparse ones also ``sparse_scores``
and TIFU-KNN a pruned ``topk(rows, k)`` (``evaluate.model_topk`` picks the fastest a method has).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .topk import sparse_topk

__all__ = ["Baskets", "to_baskets", "drop_last", "last_baskets", "GTopFreq", "PTopFreq", "GPTopFreq", "ItemKNN",
           "TIFUKNN", "BASELINES"]


@dataclass
class Baskets:
    """Baskets of an orders frame, indexed: ``B`` (baskets × items, 0/1), basket -> customer row and its order
    position (0 = oldest) and position from the end, plus the id <-> index maps."""

    customers: np.ndarray       # customer ids (str), row order
    items: np.ndarray           # product ids (str), column order
    B: sp.csr_matrix            # baskets × items
    basket_user: np.ndarray     # customer row of each basket
    basket_rank_from_end: np.ndarray  # 0 = the customer's most recent basket
    n_baskets: np.ndarray       # baskets per customer row
    basket_day: np.ndarray | None = None   # each basket's time in days (float), for time gaps
    item_group: np.ndarray | None = None   # each item's category (str) when the orders carry one, else None

    @property
    def history(self) -> sp.csr_matrix:
        """customers × items purchase counts (number of baskets containing the item)."""
        n = len(self.customers)
        W = sp.csr_matrix((np.ones(len(self.basket_user)), (self.basket_user, np.arange(len(self.basket_user)))),
                          shape=(n, len(self.basket_user)))
        return (W @ self.B).tocsr()


def to_baskets(orders: pd.DataFrame, items: np.ndarray | None = None) -> Baskets:
    """One basket per order (``order_id``) or, without it, per customer and day. ``items``: a fixed item
    vocabulary (rows with other products are dropped). A ``category`` column, when there, becomes
    ``item_group`` (the back-off of rare products)."""
    df = orders[["customer_id", "timestamp", "product_id"] + [c for c in ("order_id", "category") if c in orders]]
    df = df.dropna(subset=["customer_id", "product_id", "timestamp"])
    cust = df["customer_id"].astype(str).to_numpy()
    prod = df["product_id"].astype(str).to_numpy()
    ts = pd.to_datetime(df["timestamp"])
    key = df["order_id"].astype(str).to_numpy() if "order_id" in df else ts.dt.strftime("%Y-%m-%d").to_numpy()
    if items is None:
        codes, items = pd.factorize(prod, sort=True)
        col = codes
    else:
        col = pd.Index(items).get_indexer(prod)
    items = np.asarray(items, dtype=object)
    keep = col >= 0
    group = None
    if "category" in df:
        cat = df["category"].astype(object).where(df["category"].notna(), "").astype(str).to_numpy()
        group = np.full(len(items), "", dtype=object)
        group[col[keep]] = cat[keep]
    cust, col, key, ts = cust[keep], col[keep], key[keep], ts.to_numpy()[keep]
    urow, customers = pd.factorize(cust, sort=True)
    customers = np.asarray(customers, dtype=object)
    brow, bnames = pd.factorize(pd.MultiIndex.from_arrays([urow, key]))
    nb = len(bnames)
    bts = pd.Series(ts).groupby(brow).min().to_numpy()
    buser = np.zeros(nb, dtype=np.int64)
    buser[brow] = urow
    B = sp.csr_matrix((np.ones(len(col)), (brow, col)), shape=(nb, len(items)))
    B.data[:] = 1.0  # duplicates summed: a basket holds an item or not
    B.sum_duplicates()
    B.data[:] = 1.0
    order = np.lexsort((bts, buser))  # by customer, then time
    pos = np.empty(nb, dtype=np.int64)
    counts = np.bincount(buser, minlength=len(customers))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos[order] = np.arange(nb) - np.repeat(starts, counts)
    rank_from_end = counts[buser] - 1 - pos
    day = (pd.to_datetime(bts) - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    return Baskets(customers=customers, items=np.asarray(items), B=B, basket_user=buser,
                   basket_rank_from_end=rank_from_end, n_baskets=counts,
                   basket_day=np.asarray(day, dtype=np.float64), item_group=group)


def drop_last(b: Baskets) -> Baskets:
    """The same customers and items without each customer's most recent basket (an inner validation split)."""
    keep = b.basket_rank_from_end > 0
    return Baskets(customers=b.customers, items=b.items, B=b.B[np.flatnonzero(keep)], basket_user=b.basket_user[keep],
                   basket_rank_from_end=b.basket_rank_from_end[keep] - 1, n_baskets=np.maximum(b.n_baskets - 1, 0),
                   basket_day=None if b.basket_day is None else b.basket_day[keep], item_group=b.item_group)


def last_baskets(b: Baskets) -> dict[int, np.ndarray]:
    """customer row -> item columns of its most recent basket."""
    rows = np.flatnonzero(b.basket_rank_from_end == 0)
    B = b.B[rows].tocsr()
    return {int(u): B.indices[B.indptr[i]:B.indptr[i + 1]] for i, u in enumerate(b.basket_user[rows])}


class GTopFreq:
    """Global popularity: share of baskets containing each product."""

    name = "G-TopFreq"

    def fit(self, b: Baskets) -> "GTopFreq":
        self.pop_ = np.asarray(b.B.sum(axis=0)).ravel() / max(b.B.shape[0], 1)
        return self

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return np.tile(self.pop_, (len(rows), 1))


class PTopFreq:
    """Personal frequency (share of the customer's baskets with the item); nothing else (ties: column order)."""

    name = "P-TopFreq"

    def fit(self, b: Baskets) -> "PTopFreq":
        self.pop_ = GTopFreq().fit(b).pop_
        H = b.history.astype(np.float64)
        self.own_ = sp.diags(1.0 / np.maximum(b.n_baskets, 1)) @ H
        return self

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return self.own_[rows].toarray()


class GPTopFreq(PTopFreq):
    """GP-TopFreq: personal frequency first, ties and the rest of the list by global popularity."""

    name = "GP-TopFreq"

    def scores(self, rows: np.ndarray) -> np.ndarray:
        # popularity is < 1e-3 of a single purchase: it breaks ties and fills, never outranks a repeat
        return self.own_[rows].toarray() + 1e-3 * self.pop_ / max(self.pop_.max(), 1e-12)

    @property
    def fill_(self) -> np.ndarray:
        return np.argsort(-self.pop_, kind="stable")

    def sparse_scores(self, rows: np.ndarray) -> sp.csr_matrix:
        """``scores`` on the items the customer bought (the rest rank by popularity: ``fill_``)."""
        S = self.own_[rows].tocsr()
        S.data = S.data + 1e-3 * self.pop_[S.indices] / max(self.pop_.max(), 1e-12)
        return S


class ItemKNN:
    """Item-based collaborative filtering over customer × item purchase counts: shrunk cosine
    ``co / (sqrt(n_i n_j) + shrink)`` (so items bought by one or two customers are not each other's perfect
    match), each item's ``k`` most similar items, and the item itself at similarity 1."""

    name = "item-kNN"

    def __init__(self, k: int = 50, shrink: float = 10.0, chunk: int = 1024) -> None:
        self.k, self.shrink, self.chunk = k, shrink, chunk

    def fit(self, b: Baskets) -> "ItemKNN":
        self.pop_ = GTopFreq().fit(b).pop_
        H = b.history.astype(np.float64)
        self.own_ = (sp.diags(1.0 / np.maximum(b.n_baskets, 1)) @ H).tocsr()
        X = (H > 0).astype(np.float64).T.tocsr()  # items × customers
        norms = np.sqrt(np.asarray(X.sum(axis=1)).ravel())
        XT = X.T.tocsr()
        n = X.shape[0]
        k = min(self.k, n)
        rows, cols, vals = [], [], []
        for s in range(0, n, self.chunk):
            S = (X[s:s + self.chunk] @ XT).toarray()
            S /= norms[s:s + S.shape[0], None] * norms[None, :] + self.shrink
            S[np.arange(S.shape[0]), np.arange(s, s + S.shape[0])] = 1.0  # an item is its own best match
            top = np.argpartition(-S, k - 1, axis=1)[:, :k]
            v = np.take_along_axis(S, top, axis=1)
            r = np.repeat(np.arange(s, s + S.shape[0]), k)
            ok = v.ravel() > 0
            rows.append(r[ok]), cols.append(top.ravel()[ok]), vals.append(v.ravel()[ok])
        self.sim_ = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
        return self

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return (self.own_[rows] @ self.sim_).toarray() + 1e-9 * self.pop_


class TIFUKNN:
    """TIFU-KNN (Hu et al. 2020). Hyperparameters as in the paper's notation: ``group_size`` baskets per group,
    ``r_b`` decay within a group, ``r_g`` decay across groups, ``k`` neighbours, ``alpha`` own-vector weight.

    ``precompute_k``: at fit, every customer's best ``precompute_k`` items of the blend are kept (``best_items_``,
    ``best_scores_``), so ``topk(rows, k)`` for k up to it is a lookup; the blend itself (one sparse product of 50
    neighbours' vectors, ~10.7k items a customer on Complete Journey) is the cost, and it is paid once at fit
    (0: off, every ``topk`` computes the blend)."""

    name = "TIFU-KNN"

    def __init__(self, k: int = 50, group_size: int = 7, r_b: float = 0.9, r_g: float = 0.7, alpha: float = 0.7,
                 chunk: int = 2048, precompute_k: int = 20) -> None:
        self.k, self.group_size, self.r_b, self.r_g, self.alpha, self.chunk = k, group_size, r_b, r_g, alpha, chunk
        self.precompute_k = precompute_k

    def fit(self, b: Baskets) -> "TIFUKNN":
        self.pop_ = GTopFreq().fit(b).pop_
        g = b.basket_rank_from_end // self.group_size          # 0 = most recent group
        j = b.basket_rank_from_end % self.group_size           # 0 = most recent basket in its group
        n_groups = (b.n_baskets + self.group_size - 1) // self.group_size
        # group size of each basket's group (the oldest group may be partial)
        full = b.n_baskets[b.basket_user] - g * self.group_size
        gsize = np.minimum(full, self.group_size)
        w = (self.r_b ** j) / gsize * (self.r_g ** g) / n_groups[b.basket_user]
        n = len(b.customers)
        W = sp.csr_matrix((w, (b.basket_user, np.arange(len(w)))), shape=(n, len(w)))
        U = (W @ b.B).tocsr()
        norms = np.sqrt(np.asarray(U.multiply(U).sum(axis=1)).ravel())
        Un = (sp.diags(1.0 / np.maximum(norms, 1e-12)) @ U).tocsr()
        k = min(self.k, n - 1)
        nbr = np.zeros((n, max(k, 0)), dtype=np.int64)
        if k > 0:
            for s in range(0, n, self.chunk):
                S = (Un[s:s + self.chunk] @ Un.T).toarray()
                S[np.arange(S.shape[0]), np.arange(s, s + S.shape[0])] = -np.inf  # not oneself
                nbr[s:s + S.shape[0]] = np.argpartition(-S, k - 1, axis=1)[:, :k]
        self.own_, self.neighbours_ = U, nbr
        self.best_items_ = self.best_scores_ = None
        pk = min(int(self.precompute_k), len(self.pop_))
        if pk > 0:
            tops, vals = [], []
            for s in range(0, n, 256):   # blocks bound the product's memory (~10k entries a row)
                t, v = self._blend_topk(np.arange(s, min(s + 256, n)), pk)
                tops.append(t), vals.append(v)
            self.best_items_, self.best_scores_ = np.concatenate(tops), np.concatenate(vals)
        return self

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return self.sparse_scores(rows).toarray() + 1e-9 * self.pop_

    @property
    def fill_(self) -> np.ndarray:
        return np.argsort(-self.pop_, kind="stable")

    def sparse_scores(self, rows: np.ndarray) -> sp.csr_matrix:
        """``alpha * own + (1 - alpha) * neighbours``, stored entries only (+ the popularity tie-break): one
        sparse product of a (rows × customers) weight matrix — ``alpha`` on the customer itself, ``(1 - alpha) / k``
        on each neighbour — with the time-decayed customer vectors computed at fit."""
        rows = np.asarray(rows, dtype=np.int64)
        kk = self.neighbours_.shape[1]
        if kk == 0:
            S = (self.alpha * self.own_[rows]).tocsr()
        else:
            cols = np.column_stack([rows, self.neighbours_[rows]]).ravel()
            w = np.tile(np.r_[self.alpha, np.full(kk, (1 - self.alpha) / kk)], len(rows))
            M = sp.csr_matrix((w, cols, np.arange(0, len(cols) + 1, kk + 1)), shape=(len(rows), self.own_.shape[0]))
            S = (M @ self.own_).tocsr()
        S.data = S.data + 1e-9 * self.pop_[S.indices]
        return S

    def topk(self, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best items per row (best first) and their scores: the lists kept at fit when k is at most
        ``precompute_k``, else ``_blend_topk``."""
        rows = np.asarray(rows, dtype=np.int64)
        k = min(int(k), len(self.pop_))
        if self.best_items_ is not None and k <= self.best_items_.shape[1]:
            return self.best_items_[rows, :k], self.best_scores_[rows, :k]
        return self._blend_topk(rows, k)

    def _blend_topk(self, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best items per row and their scores, same as ``sparse_topk(sparse_scores(rows))``, faster: a
        customer's k-th best ``alpha * own`` entry is a floor under its k-th best score (neighbours only add), so
        the long tail the neighbours bring (about 10k items a row on Complete Journey) is dropped before the
        top-k is taken."""
        rows = np.asarray(rows, dtype=np.int64)
        k = min(int(k), len(self.pop_))
        own_k = sparse_topk(self.own_[rows], k, self.fill_)[1][:, k - 1] if k > 0 else np.zeros(len(rows))
        floor = self.alpha * own_k * (1 - 1e-9)   # a row with fewer than k items of its own: floor 0, keeps all
        return sparse_topk(self.sparse_scores(rows), k, self.fill_, floor=floor, dedupe=False)


BASELINES = {"g-topfreq": GTopFreq, "p-topfreq": PTopFreq, "gp-topfreq": GPTopFreq, "item-knn": ItemKNN,
             "tifu-knn": TIFUKNN}
