"""Small synthetic shops for the forecast tests: a year of daily orders, Sunday 2017-01-01 to Monday
2018-01-01 (so both end weeks are partial, as in Complete Journey), with a category in two departments and a
category named like a department."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["synthetic_shop", "PRODUCTS"]

PRODUCTS = pd.DataFrame({
    "product_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
    "category": ["Bread", "Bread", "Cheese", "Soft Drinks", "Fuel", "Beef"],
    "department": ["Bakery", "Grocery", "Grocery", "Grocery", "Fuel", "Meat"],
}).astype("string")


def synthetic_shop(n_customers: int = 40, seed: int = 0, end: str = "2018-01-01 09:00") -> dict:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2017-01-01", end, freq="D")
    rows = []
    for c in range(n_customers):
        rate = rng.uniform(0.05, 0.3)
        for d in days:
            if rng.random() < rate * (1.0 + 0.3 * (d.dayofweek >= 5)):
                for _ in range(int(rng.integers(1, 4))):
                    rows.append((f"c{c}", d + pd.Timedelta(hours=int(rng.integers(8, 21))),
                                 str(rng.choice(PRODUCTS["product_id"])), float(rng.gamma(2.0, 4.0))))
    orders = pd.DataFrame(rows, columns=["customer_id", "timestamp", "product_id", "amount"])
    orders = orders[orders["timestamp"] <= pd.Timestamp(end)]
    orders["order_id"] = orders["customer_id"] + "|" + orders["timestamp"].dt.strftime("%Y%m%d%H")
    orders = orders.astype({"customer_id": "string", "product_id": "string", "order_id": "string"})
    return {"orders": orders.reset_index(drop=True), "products": PRODUCTS.copy()}
