"""What is in the workspace, and simple business numbers over it (revenue, orders, baskets, repeat rate...).

Pure pandas over the ingested tables, reading only the columns a question needs (a second or less on the
full 1.47M-line Complete Journey). Revenue is net: returns (negative amounts) are subtracted.
"""

from __future__ import annotations

import pandas as pd

from models.data.artifacts import read_artifact
from models.data.errors import WorkspaceError
from models.data.workspace import Workspace

from .periods import resolve_period

__all__ = ["overview", "data_query", "parse_period", "METRICS", "GROUPINGS", "SEGMENTS_FILE"]

METRICS = ("revenue", "orders", "customers", "average_basket", "repeat_rate", "top_products", "top_categories")
GROUPINGS = ("month", "week", "category", "segment")
SEGMENTS_FILE = "segments.parquet"
TOP_N = 10


def _money(x: float) -> float:
    return round(float(x), 2)


def _orders(ws: Workspace, columns: list[str]) -> pd.DataFrame:
    have = set(ws.table_info("orders")["columns"])
    return ws.read_table("orders", columns=[c for c in columns if c in have])


def _products(ws: Workspace) -> pd.DataFrame | None:
    if not ws.has_table("products"):
        return None
    have = set(ws.table_info("products")["columns"])
    return ws.read_table("products", columns=[c for c in ("product_id", "name", "category") if c in have])


def _with_category(ws: Workspace, orders: pd.DataFrame) -> pd.DataFrame:
    products = _products(ws)
    if products is None or "category" not in products.columns or "product_id" not in orders.columns:
        raise WorkspaceError(f"workspace {ws.path} has no product categories: ingest a products file with a "
                             f"category column (`mka ingest --products FILE`)")
    cat = products.set_index("product_id")["category"]
    return orders.assign(category=orders["product_id"].map(cat).fillna("Unknown").astype("string"))


def _period_key(ts: pd.Series, unit: str) -> pd.Categorical:
    """Month ("2017-06") or Monday-week ("2017-06-05") labels as a categorical: formatting each distinct
    period once instead of every row keeps this fast on millions of rows."""
    days = ts.to_numpy().astype("datetime64[D]")
    if unit == "month":
        start = days.astype("datetime64[M]")
    else:  # 1970-01-01 was a Thursday: weekday (Monday=0) = (days + 3) % 7
        start = days - ((days.astype("int64") + 3) % 7).astype("timedelta64[D]")
    codes, uniques = pd.factorize(start, sort=True)
    return pd.Categorical.from_codes(codes, [str(u) for u in uniques])


def _revenue_by_category(ws: Workspace, orders: pd.DataFrame, top: int) -> list[dict]:
    # sum per product first, then map the (few) products to categories: far cheaper than mapping every line
    per_product = orders.groupby("product_id", observed=True, dropna=False)["amount"].sum().reset_index()
    rev = (_with_category(ws, per_product).groupby("category", observed=True)["amount"].sum()
           .sort_values(ascending=False, kind="stable"))
    total = float(orders["amount"].sum())
    return [{"category": str(c), "revenue": _money(v), "share": round(float(v) / total, 4) if total else None}
            for c, v in rev.head(top).items()]


def overview(ws: Workspace) -> dict:
    """Customers, orders, line items, revenue, date range, revenue by month, top categories, returns."""
    o = _orders(ws, ["customer_id", "order_id", "timestamp", "amount", "product_id", "is_return"])
    returns = o["is_return"] if "is_return" in o.columns else o["amount"] < 0
    month = pd.Series(_period_key(o["timestamp"], "month"), index=o.index, name="month")
    by_month = o.groupby(month, observed=True).agg(revenue=("amount", "sum"), orders=("order_id", "nunique"),
                                    customers=("customer_id", "nunique"))
    top_categories: list[dict] = []
    try:
        top_categories = _revenue_by_category(ws, o, TOP_N)
    except WorkspaceError:
        pass  # an orders-only workspace has no categories; the overview says so by an empty list
    out = {
        "customers": int(o["customer_id"].nunique()),
        "orders": int(o["order_id"].nunique()),
        "line_items": int(len(o)),
        "revenue": _money(o["amount"].sum()),
        "date_range": [o["timestamp"].min().date().isoformat(), o["timestamp"].max().date().isoformat()],
        "revenue_by_month": [{"month": m, "revenue": _money(r.revenue), "orders": int(r.orders),
                              "customers": int(r.customers)} for m, r in by_month.iterrows()],
        "top_categories": top_categories,
        "returns": {"rows": int(returns.sum()), "amount": _money(o.loc[o["amount"] < 0, "amount"].sum())},
        "tables": {name: {"rows": info["rows"], "source": info.get("source", "")}
                   for name, info in sorted(ws.manifest().get("tables", {}).items())},
    }
    if ws.has_table("reviews"):
        r = ws.read_table("reviews", columns=["rating"] + (["synthetic"] if "synthetic" in
                                                           ws.table_info("reviews")["columns"] else []))
        out["reviews"] = {"rows": int(len(r)), "mean_rating": round(float(r["rating"].mean()), 2),
                          "synthetic_rows": int(r["synthetic"].sum()) if "synthetic" in r.columns else 0}
    return out


def parse_period(period: str | None, first: pd.Timestamp, last: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """``(start, end_exclusive, label)`` for any period models.analytics.periods understands ("2017", "2017-Q2",
    "last_30_days", "last_quarter", "ytd"... counted back from the last order, not from today), or None (all data)."""
    w = resolve_period(period, last, first)
    label = w.label + (" of data" if w.label.startswith("last ") else "")
    return w.start, w.end, label


def _group_key(ws: Workspace, o: pd.DataFrame, by: str) -> tuple[pd.DataFrame, str]:
    if by == "month":
        return o.assign(month=_period_key(o["timestamp"], "month")), "month"
    if by == "week":  # weeks start on Monday, labelled by that date
        return o.assign(week=_period_key(o["timestamp"], "week")), "week"
    if by == "category":
        return o if "category" in o.columns else _with_category(ws, o), "category"
    path = ws.artifact_path(SEGMENTS_FILE)
    if not path.exists():
        raise WorkspaceError(f"no segments in workspace {ws.path} yet: fit them first (`mka demo` does, or "
                             f"models.segments.workspace.fit_workspace) and ask again")
    seg = read_artifact(path, lambda p: pd.read_parquet(p, columns=["customer_id", "segment"]),
                        what="segment assignments").set_index("customer_id")["segment"]
    return o.assign(segment=o["customer_id"].map(seg).fillna("(no segment)").astype("string")), "segment"


def _value(g: pd.DataFrame, metric: str) -> float:
    if metric == "revenue":
        return _money(g["amount"].sum())
    if metric == "orders":
        return int(g["order_id"].nunique())
    if metric == "customers":
        return int(g["customer_id"].nunique())
    if metric == "average_basket":
        n = g["order_id"].nunique()
        return _money(g["amount"].sum() / n) if n else 0.0
    per_customer = g.groupby("customer_id", observed=True)["order_id"].nunique()
    return round(float((per_customer >= 2).mean()), 4) if len(per_customer) else 0.0


def _grouped(o: pd.DataFrame, key: str, metric: str) -> pd.DataFrame:
    g = o.groupby(key, observed=True, sort=True)
    if metric == "revenue":
        return g["amount"].sum().round(2).rename("revenue").reset_index()
    if metric == "orders":
        return g["order_id"].nunique().rename("orders").reset_index()
    if metric == "customers":
        return g["customer_id"].nunique().rename("customers").reset_index()
    if metric == "average_basket":
        df = pd.DataFrame({"revenue": g["amount"].sum(), "orders": g["order_id"].nunique()})
        df["average_basket"] = (df["revenue"] / df["orders"]).round(2)
        return df.reset_index()[[key, "average_basket", "orders"]]
    repeat = o.groupby([key, "customer_id"], observed=True)["order_id"].nunique() >= 2
    per = repeat.groupby(level=0, observed=True)
    df = pd.DataFrame({"customers": per.size(), "repeat_customers": per.sum().astype(int)})
    df["repeat_rate"] = (df["repeat_customers"] / df["customers"]).round(4)
    return df.reset_index()[[key, "repeat_rate", "repeat_customers", "customers"]]


def _top(ws: Workspace, o: pd.DataFrame, item: str, key: str | None) -> list[dict]:
    if item == "category" and "category" not in o.columns:
        o = _with_category(ws, o)
    keys = ([key] if key else []) + [item]
    agg = o.groupby(keys, observed=True).agg(revenue=("amount", "sum"), orders=("order_id", "nunique"),
                                             customers=("customer_id", "nunique")).reset_index()
    total = o.groupby(key, observed=True)["amount"].sum() if key else pd.Series({None: o["amount"].sum()})
    agg["share"] = (agg["revenue"] / (agg[key].map(total).astype("float64") if key else total.iloc[0])).round(4)
    agg = agg.sort_values(keys[:-1] + ["revenue"], ascending=[True] * (len(keys) - 1) + [False], kind="stable")
    agg = agg.groupby(key, observed=True).head(5) if key else agg.head(TOP_N)
    if item == "product_id":
        products = _products(ws)
        if products is not None:
            info = products.set_index("product_id")
            for col in ("name", "category"):
                if col in info.columns:
                    agg[col] = agg["product_id"].map(info[col])
    agg["revenue"] = agg["revenue"].round(2)
    return _records(agg)


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
    return out


def data_query(ws: Workspace, metric: str, by: str | None = None, period: str | None = None) -> dict:
    """One business number (``metric``), optionally per month/week/category/segment, over a period.

    Returns ``{"metric", "by", "period", "date_range", "value", "rows", "summary"}``; ``rows`` are the groups
    (or the ranked products/categories). Raises ValueError naming the allowed values for a bad argument.
    """
    metric = str(metric).strip().lower()
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: use one of {', '.join(METRICS)}")
    by = None if by in (None, "", "none") else str(by).strip().lower()
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}: use one of {', '.join(GROUPINGS)} (or none)")
    o = _orders(ws, ["customer_id", "order_id", "timestamp", "amount", "product_id"])
    start, end, label = parse_period(period, o["timestamp"].min(), o["timestamp"].max())
    o = o[(o["timestamp"] >= start) & (o["timestamp"] < end)]
    date_range = [start.date().isoformat(), (end - pd.Timedelta(days=1)).date().isoformat()]
    if o.empty:
        return {"metric": metric, "by": by, "period": label, "date_range": date_range, "value": None, "rows": [],
                "summary": f"No orders in {label} ({date_range[0]} to {date_range[1]})."}
    key = None
    if by is not None:
        o, key = _group_key(ws, o, by)
    if metric in ("top_products", "top_categories"):
        item = "product_id" if metric == "top_products" else "category"
        rows = _top(ws, o, item, key)
        value = None
        first = rows[0] if rows else {}
        name = first.get("name") or first.get("category") or first.get("product_id")
        summary = (f"Top {'products' if item == 'product_id' else 'categories'} by revenue in {label}"
                   + (f" per {by}" if by else "") + (f": #1 {name} (${first['revenue']:,.2f})." if first else "."))
    else:
        value = _value(o, metric)
        rows = _records(_grouped(o, key, metric)) if key else [{metric: value}]
        shown = (f"{value:.1%}" if metric == "repeat_rate" else f"${value:,.2f}" if metric in
                 ("revenue", "average_basket") else f"{value:,}")
        summary = f"{metric.replace('_', ' ').capitalize()} in {label} ({date_range[0]} to {date_range[1]}): {shown}"
        summary += f", {len(rows)} {by} groups." if key else "."
    return {"metric": metric, "by": by, "period": label, "date_range": date_range, "value": value, "rows": rows,
            "summary": summary}
