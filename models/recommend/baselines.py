"""Next-basket baselines over a sparse customer × product representation.

- ``GTopFreq``: the most popular products overall (same list for everyone).
- ``PTopFreq``: each customer's own most frequently bought products, padded with G-TopFreq (GP-TopFreq).
- ``TIFUKNN``: Hu et al. (SIGIR 2020): a time-decayed personal item vector (baskets grouped, decay within and
  across groups) blended with the mean vector of the k nearest customers: ``alpha * own + (1-alpha) * neighbours``.

Every method exposes ``fit(baskets)`` and ``scores(rows)`` -> a dense (len(rows) × n_items) score block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["Baskets", "to_baskets", "GTopFreq", "PTopFreq", "TIFUKNN", "METHODS", "make_method"]


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

    @property
    def history(self) -> sp.csr_matrix:
        """customers × items purchase counts (number of baskets containing the item)."""
        n = len(self.customers)
        W = sp.csr_matrix((np.ones(len(self.basket_user)), (self.basket_user, np.arange(len(self.basket_user)))),
                          shape=(n, len(self.basket_user)))
        return (W @ self.B).tocsr()


def to_baskets(orders: pd.DataFrame, items: np.ndarray | None = None) -> Baskets:
    """One basket per order (``order_id``) or, without it, per customer and day. ``items``: a fixed item
    vocabulary (rows with other products are dropped)."""
    df = orders[["customer_id", "timestamp", "product_id"] + (["order_id"] if "order_id" in orders else [])]
    df = df.dropna(subset=["customer_id", "product_id", "timestamp"])
    cust = df["customer_id"].astype(str).to_numpy()
    prod = df["product_id"].astype(str).to_numpy()
    ts = pd.to_datetime(df["timestamp"])
    key = df["order_id"].astype(str).to_numpy() if "order_id" in df else ts.dt.strftime("%Y-%m-%d").to_numpy()
    if items is None:
        items = np.unique(prod)
    item_ix = pd.Index(items)
    col = item_ix.get_indexer(prod)
    keep = col >= 0
    cust, col, key, ts = cust[keep], col[keep], key[keep], ts.to_numpy()[keep]
    customers, urow = np.unique(cust, return_inverse=True)
    bkey = pd.Series(customers[urow]).str.cat(pd.Series(key), sep="\x1f").to_numpy()
    bnames, brow = np.unique(bkey, return_inverse=True)
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
    return Baskets(customers=customers, items=np.asarray(items), B=B, basket_user=buser,
                   basket_rank_from_end=rank_from_end, n_baskets=counts)


class GTopFreq:
    """Global popularity: share of baskets containing each product."""

    name = "G-TopFreq"

    def fit(self, b: Baskets) -> "GTopFreq":
        self.pop_ = np.asarray(b.B.sum(axis=0)).ravel() / max(b.B.shape[0], 1)
        return self

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return np.tile(self.pop_, (len(rows), 1))


class PTopFreq:
    """Personal frequency (share of the customer's baskets with the item), ties and padding by popularity."""

    name = "P-TopFreq"

    def fit(self, b: Baskets) -> "PTopFreq":
        self.pop_ = GTopFreq().fit(b).pop_
        H = b.history.astype(np.float64)
        self.own_ = sp.diags(1.0 / np.maximum(b.n_baskets, 1)) @ H
        return self

    def scores(self, rows: np.ndarray) -> np.ndarray:
        # popularity is < 1e-3 of a single purchase: it breaks ties and fills, never outranks a repeat
        return self.own_[rows].toarray() + 1e-3 * self.pop_ / max(self.pop_.max(), 1e-12)


class TIFUKNN:
    """TIFU-KNN (Hu et al. 2020). Hyperparameters as in the paper's notation: ``group_size`` baskets per group,
    ``r_b`` decay within a group, ``r_g`` decay across groups, ``k`` neighbours, ``alpha`` own-vector weight."""

    name = "TIFU-KNN"

    def __init__(self, k: int = 50, group_size: int = 7, r_b: float = 0.9, r_g: float = 0.7, alpha: float = 0.7,
                 chunk: int = 2048) -> None:
        self.k, self.group_size, self.r_b, self.r_g, self.alpha, self.chunk = k, group_size, r_b, r_g, alpha, chunk

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
        return self

    def scores(self, rows: np.ndarray) -> np.ndarray:
        own = self.own_[rows].toarray()
        if self.neighbours_.shape[1] == 0:
            nb = np.zeros_like(own)
        else:
            idx = self.neighbours_[rows]
            M = sp.csr_matrix((np.full(idx.size, 1.0 / idx.shape[1]),
                               (np.repeat(np.arange(len(rows)), idx.shape[1]), idx.ravel())),
                              shape=(len(rows), self.own_.shape[0]))
            nb = (M @ self.own_).toarray()
        return self.alpha * own + (1 - self.alpha) * nb + 1e-9 * self.pop_


METHODS = {"g-topfreq": GTopFreq, "p-topfreq": PTopFreq, "tifu-knn": TIFUKNN}


def make_method(name: str, **params):
    key = name.strip().lower()
    if key not in METHODS:
        raise ValueError(f"unknown method {name!r}; expected one of {', '.join(METHODS)}")
    return METHODS[key](**params)
