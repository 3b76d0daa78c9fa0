"""``Recommender``: the sklearn-style estimator over one next-basket method."""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from .baselines import Baskets, GTopFreq, to_baskets
from .methods import make_method
from .evaluate import model_topk

__all__ = ["Recommender", "REC_COLUMNS"]

REC_COLUMNS = ["customer_id", "rank", "product_id", "score", "kind"]


class Recommender:
    """``fit(orders)`` (customer_id, timestamp, product_id[, order_id]); ``recommend(customer_ids, k)`` -> rows
    customer_id, rank, product_id, score, kind (``repeat``: bought before; ``explore``: new to the customer).
    A customer not seen in fit gets the popularity list (all explore)."""

    def __init__(self, method: str = "tifu-knn", params: dict | None = None) -> None:
        self.method = method
        self.params = params

    def fit(self, orders: pd.DataFrame) -> "Recommender":
        b: Baskets = to_baskets(orders)
        if len(b.customers) == 0:
            raise ValueError("no orders with a customer, a timestamp and a product_id to learn from")
        self.model_ = make_method(self.method, **(self.params or {})).fit(b)
        self.pop_ = GTopFreq().fit(b).pop_
        self.fill_ = np.argsort(-self.pop_, kind="stable")  # a customer never seen: the most popular first
        self.customers_, self.items_ = b.customers, b.items
        self.history_ = b.history.tocsr()
        self.row_of_ = pd.Index(b.customers)
        return self

    def recommend(self, customer_ids: Iterable | None = None, k: int = 10, chunk: int = 256) -> pd.DataFrame:
        ids = self.customers_ if customer_ids is None else np.asarray([str(c) for c in customer_ids], dtype=object)
        rows = self.row_of_.get_indexer(ids)
        k = min(int(k), len(self.items_))
        tops, vals = [], []
        for s in range(0, len(ids), chunk):
            r = rows[s:s + chunk]
            known = r >= 0
            top = np.tile(self.fill_[:k], (len(r), 1))
            score = np.tile(self.pop_[self.fill_[:k]], (len(r), 1))
            if known.any():
                top[known], score[known] = model_topk(self.model_, r[known], k)
            tops.append(top)
            vals.append(score)
        top = np.concatenate(tops) if tops else np.zeros((0, k), dtype=np.int64)
        score = np.concatenate(vals) if vals else np.zeros((0, k))
        rr = np.repeat(rows, k)
        seen = np.zeros(len(rr), dtype=bool)
        ok = rr >= 0
        if ok.any():
            seen[ok] = np.asarray(self.history_[rr[ok], top.ravel()[ok]]).ravel() > 0
        return pd.DataFrame({"customer_id": np.repeat(ids, k), "rank": np.tile(np.arange(1, k + 1), len(ids)),
                             "product_id": self.items_[top.ravel()], "score": score.ravel().astype(float),
                             "kind": np.where(seen, "repeat", "explore")}, columns=REC_COLUMNS)
