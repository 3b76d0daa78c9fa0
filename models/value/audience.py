"""The at-risk high-value list as a campaign audience: a profile in the shape a segment profile has (size,
recency, orders, spend, basket, distinctive categories) plus the facts that say why these customers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.segments.profiles import top_categories_of

__all__ = ["AT_RISK_AUDIENCE", "audience_profile"]

AT_RISK_AUDIENCE = "High-value customers at risk"


def _r(x, nd: int = 2):
    return None if x is None or not np.isfinite(float(x)) else round(float(x), nd)


def audience_profile(values: pd.DataFrame, listed: pd.Index, orders: pd.DataFrame | None = None,
                     products: pd.DataFrame | None = None, *, name: str = AT_RISK_AUDIENCE) -> dict:
    """Profile of the customers ``listed`` (ids in ``values``, the customer value table): what
    ``write_campaign`` grounds copy in. Spend and orders are those before the value model's as-of date."""
    ids = pd.Index(listed).astype(str)
    v = values.copy()
    v.index = v.index.astype(str)
    g = v.reindex(ids)
    n_orders = float(g["orders"].sum())
    prof = {"name": name, "segment_id": None, "size": int(len(ids)),
            "share_customers": _r(len(ids) / len(v), 4) if len(v) else None,
            "share_revenue": _r(g["spend"].sum() / v["spend"].sum(), 4) if v["spend"].sum() > 0 else None,
            "recency_days_median": _r(g["days_since_last"].median(), 1),
            "orders_mean": _r(g["orders"].mean()), "spend_mean": _r(g["spend"].mean()),
            "avg_basket": _r(g["spend"].sum() / n_orders) if n_orders else None,
            "usual_gap_days_median": _r(g["mean_gap_days"].median(), 1),
            "overdue_ratio_median": _r(g["overdue_ratio"].median()),
            "clv_mean": _r(g["clv"].mean()), "top_categories": []}
    if orders is not None and len(ids):
        prof["top_categories"] = top_categories_of(orders, products, ids)
    return prof
