"""What each segment looks like, in numbers a marketer can check against the raw orders.

``build_profiles`` turns per-customer features plus segment ids into one dict per segment (size, shares of
customers and revenue, recency / orders / spend, basket, coupon use, category lift, predicted buy
probability, demographics). Revenue comes straight from the orders table, so the segment revenues add up to
the same total ``mka overview`` shows. ``find_segment`` resolves what a person types to one segment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["build_profiles", "find_segment", "top_categories_of", "TOP_CATEGORIES", "MIN_CATEGORY_SHARE"]

TOP_CATEGORIES = 5
# a category must make up at least this share of the segment's spend to be listed: lift on a sliver is noise
MIN_CATEGORY_SHARE = 0.02


def _r(x, nd: int = 4):
    return None if x is None or (isinstance(x, float) and not np.isfinite(x)) else round(float(x), nd)


def _metrics(f: pd.DataFrame, revenue: float, n_orders: int, coupon_orders: int | None,
             p_buy: pd.Series | None) -> dict:
    """The numeric profile of a group of customers (rows of ``f``)."""
    tenure_weeks = np.maximum(f["tenure_days"].to_numpy() / 7.0, 1.0)
    return {
        "size": int(len(f)),
        "revenue": _r(revenue, 2),
        "recency_days_mean": _r(f["recency_days"].mean(), 1),
        "recency_days_median": _r(f["recency_days"].median(), 1),
        "orders_mean": _r(f["frequency"].mean(), 2),
        "orders_median": _r(f["frequency"].median(), 1),
        "spend_mean": _r(f["monetary"].mean(), 2),
        "spend_median": _r(f["monetary"].median(), 2),
        "avg_basket": _r(revenue / n_orders if n_orders else 0.0, 2),
        "tenure_days_median": _r(f["tenure_days"].median(), 1),
        "orders_per_week_median": _r(np.median(f["frequency"].to_numpy() / tenure_weeks), 3),
        "coupon_rate": None if coupon_orders is None else _r(coupon_orders / n_orders if n_orders else 0.0),
        "p_buy_30d": None if p_buy is None else _r(p_buy.reindex(f.index).mean()),
    }


def _order_table(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per order: customer, amount, whether a coupon was used on any line."""
    cols = {"amount": ("amount", "sum")}
    if "coupon_discount" in orders.columns:
        cols["coupon"] = ("coupon_discount", "max")
    key = "order_id" if "order_id" in orders.columns else "timestamp"
    return orders.groupby(["customer_id", key], sort=False, observed=True).agg(**cols).reset_index()


def _category_spend(orders: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame | None:
    """Spend per (customer, category); None when no category is known."""
    if products is None or "category" not in products.columns or "product_id" not in orders.columns:
        return None
    cat = products.drop_duplicates("product_id").set_index("product_id")["category"]
    spend = orders[["customer_id", "amount"]].assign(category=orders["product_id"].map(cat))
    spend = spend.dropna(subset=["category"])
    if spend.empty:
        return None
    return spend.groupby(["customer_id", "category"], observed=True)["amount"].sum().reset_index()


def top_categories_of(orders: pd.DataFrame, products: pd.DataFrame | None, members) -> list[dict]:
    """The most distinctive categories (share of spend, lift vs all customers) of any group of customers, as
    a segment profile lists them; [] when no category is known."""
    cat_spend = _category_spend(orders, products)
    if cat_spend is None:
        return []
    overall = cat_spend.groupby("category", observed=True)["amount"].sum().clip(lower=0.0)
    overall = overall / overall.sum() if overall.sum() > 0 else overall
    members = pd.Index(pd.Index(members).astype(str))
    cat_spend = cat_spend.assign(customer_id=cat_spend["customer_id"].astype(str))
    return _top_categories(cat_spend, members, overall)


def _top_categories(cat_spend: pd.DataFrame, members: pd.Index, overall_share: pd.Series) -> list[dict]:
    mine = cat_spend[cat_spend["customer_id"].isin(members)].groupby("category", observed=True)["amount"].sum()
    mine = mine.clip(lower=0.0)
    if mine.sum() <= 0:
        return []
    share = mine / mine.sum()
    lift = share / overall_share.reindex(share.index)
    table = pd.DataFrame({"share": share, "lift": lift})
    table = table[(table["share"] >= MIN_CATEGORY_SHARE) & np.isfinite(table["lift"])]
    # most distinctive first; ties broken by share, then name, so the listing is deterministic
    table = table.reset_index().sort_values(["lift", "share", "category"], ascending=[False, False, True])
    return [{"category": str(r.category), "share": _r(r.share), "lift": _r(r.lift, 2)}
            for r in table.head(TOP_CATEGORIES).itertuples()]


def _demographics(customers: pd.DataFrame | None, members: pd.Index) -> dict | None:
    """Per attribute: the most common known value among members, its share, and its share among everyone."""
    if customers is None or "customer_id" not in customers.columns:
        return None
    attrs = [c for c in customers.columns if c != "customer_id"]
    if not attrs:
        return None
    table = customers.drop_duplicates("customer_id").set_index("customer_id")
    mine = table.reindex(members)
    out = {}
    for a in attrs:
        known = mine[a].dropna().astype(str)
        if known.empty:
            continue
        counts = known.value_counts()
        top = min(counts[counts == counts.max()].index)  # ties: alphabetically first, so reruns agree
        everyone = table[a].dropna().astype(str)
        out[a] = {"value": top, "share": _r(counts[top] / len(known)),
                  "overall_share": _r((everyone == top).mean()) if len(everyone) else None,
                  "known": _r(len(known) / len(members))}
    return out or None


def build_profiles(features: pd.DataFrame, segment_ids: pd.Series, orders: pd.DataFrame,
                   products: pd.DataFrame | None = None, customers: pd.DataFrame | None = None,
                   p_buy: pd.Series | None = None) -> tuple[list[dict], dict]:
    """Profiles (without names) in segment-id order, and the same metrics over all customers.

    ``features``: ``features_at`` output indexed by customer_id; ``segment_ids``: id per customer_id;
    ``orders``: the line items the features were computed from (already cut at ``as_of``);
    ``p_buy``: predicted P(buy in 30 days) per customer_id, or None.
    """
    segment_ids = segment_ids.reindex(features.index)
    if segment_ids.isna().any():
        missing = list(features.index[segment_ids.isna()][:5])
        raise ValueError(f"no segment id for customer(s) {missing}; every customer with features needs one")
    orders = orders[orders["customer_id"].isin(features.index)]
    per_order = _order_table(orders)
    by_cust = per_order.groupby("customer_id", observed=True).agg(
        revenue=("amount", "sum"), n_orders=("amount", "size"),
        **({"coupon_orders": ("coupon", lambda s: int((s > 0).sum()))} if "coupon" in per_order else {}))
    by_cust = by_cust.reindex(features.index, fill_value=0)
    has_coupons = "coupon_orders" in by_cust.columns

    def group_metrics(idx: pd.Index) -> dict:
        b = by_cust.loc[idx]
        return _metrics(features.loc[idx], float(b["revenue"].sum()), int(b["n_orders"].sum()),
                        int(b["coupon_orders"].sum()) if has_coupons else None, p_buy)

    overall = group_metrics(features.index)
    total_revenue = float(by_cust["revenue"].sum())
    overall.update({"n_customers": int(len(features)), "n_orders": int(by_cust["n_orders"].sum()),
                    "share_customers": 1.0, "share_revenue": 1.0})
    cat_spend = _category_spend(orders, products)
    overall_cat = None
    if cat_spend is not None:
        totals = cat_spend.groupby("category", observed=True)["amount"].sum().clip(lower=0.0)
        overall_cat = totals / totals.sum() if totals.sum() > 0 else None

    profiles = []
    for sid in sorted(int(s) for s in segment_ids.unique()):
        idx = features.index[(segment_ids == sid).to_numpy()]
        m = group_metrics(idx)
        p = {"segment_id": sid, "name": None, "description": None, "size": m.pop("size"),
             "share_customers": _r(len(idx) / len(features)),
             "share_revenue": _r(m["revenue"] / total_revenue) if total_revenue else None}
        p.update(m)
        p["top_categories"] = _top_categories(cat_spend, idx, overall_cat) if overall_cat is not None else []
        p["demographics"] = _demographics(customers, idx)
        profiles.append(p)
    return profiles, overall


def find_segment(profiles: list[dict], name_or_id) -> dict:
    """The one profile ``name_or_id`` points at: its id, its exact name, a unique prefix of a name, or words
    that all appear in exactly one name (case-insensitive). ValueError listing the segments otherwise."""
    listing = "; ".join(f"{p['segment_id']}: {p['name']}" for p in profiles)
    text = str(name_or_id).strip()
    if isinstance(name_or_id, (int, np.integer)) or text.lstrip("#").isdigit():
        sid = int(text.lstrip("#"))
        for p in profiles:
            if int(p["segment_id"]) == sid:
                return p
        raise ValueError(f"no segment with id {sid}; segments are {listing}")
    q = text.casefold()
    if not q:
        raise ValueError(f"empty segment name; segments are {listing}")
    names = [(p, str(p["name"]).casefold()) for p in profiles]
    for test in (lambda n: n == q, lambda n: n.startswith(q),
                 lambda n: all(w in n.replace("-", " ").split() or w in n.split() for w in q.split())):
        hits = [p for p, n in names if test(n)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ValueError(f"{text!r} matches several segments: "
                             + "; ".join(f"{p['segment_id']}: {p['name']}" for p in hits) + " — be more specific")
    raise ValueError(f"no segment matches {text!r}; segments are {listing}")
