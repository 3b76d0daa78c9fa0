"""``Recommender``: the sklearn-style estimator over one next-basket method."""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from .baselines import Baskets, GTopFreq, make_method, to_baskets
from .evaluate import topk

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
        self.customers_, self.items_ = b.customers, b.items
        self.history_ = b.history.tocsr()
        self.row_of_ = pd.Index(b.customers)
        return self

    def recommend(self, customer_ids: Iterable | None = None, k: int = 10, chunk: int = 2048) -> pd.DataFrame:
        ids = self.customers_ if customer_ids is None else np.asarray([str(c) for c in customer_ids])
        rows = self.row_of_.get_indexer(ids)
        out = []
        k = min(int(k), len(self.items_))
        for s in range(0, len(ids), chunk):
            r = rows[s:s + chunk]
            known = r >= 0
            sc = np.tile(self.pop_, (len(r), 1))
            if known.any():
                sc[known] = self.model_.scores(r[known])
            top = topk(sc, k)
            score = np.take_along_axis(sc, top, axis=1)
            for i, row in enumerate(r):
                seen = (set(self.history_.indices[self.history_.indptr[row]:self.history_.indptr[row + 1]])
                        if row >= 0 else set())
                for rank, (col, v) in enumerate(zip(top[i], score[i]), start=1):
                    out.append((ids[s + i], rank, self.items_[col], float(v),
                                "repeat" if col in seen else "explore"))
        return pd.DataFrame(out, columns=REC_COLUMNS)
