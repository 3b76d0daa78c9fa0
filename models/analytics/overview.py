"""What is in the workspace, and simple business numbers over it (revenue, orders, baskets, repeat rate...).

Every number comes from the semantic layer on DuckDB (models.analytics.query.run_query), so the overview, the old
``data_query`` and ``query_data`` share one definition of each metric. Revenue is net: returns (negative amounts)
are subtracted. Category and product rankings leave non-merchandise lines (fuel, coupons, misc) out and say so.
"""

from __future__ import annotations

import pandas as pd

from models.data.errors import WorkspaceError
from models.data.workspace import Workspace

from .engine import SEGMENTS_FILE, connect, table_columns
from .periods import resolve_period
from .query import run_query
from .spec import QueryError

__all__ = ["overview", "data_query", "parse_period", "METRICS", "GROUPINGS", "SEGMENTS_FILE"]

METRICS = ("revenue", "orders", "customers", "average_basket", "repeat_rate", "top_products", "top_categories")
GROUPINGS = ("month", "week", "category", "segment")
TOP_N = 10
_NON_MERCH_NOTE = "non-merchandise lines (fuel, coupons, misc) are left out of this ranking"


def _money(x: float) -> float:
    return round(float(x), 2)


def _ranking_note(res: dict) -> str | None:
    return next((n for n in res.get("notes", []) if n.startswith(_NON_MERCH_NOTE)), None)


def overview(ws: Workspace) -> dict:
    """Customers, orders, line items, revenue, date range, revenue by month, top categories, returns."""
    head = run_query(ws, {"metrics": ["customers", "orders", "line_items", "revenue"]})["rows"][0]
    months = run_query(ws, {"metrics": ["revenue", "orders", "customers"], "by": ["month"]})["rows"]
    total = float(head["revenue"] or 0.0)
    top_categories: list[dict] = []
    note = None
    try:
        res = run_query(ws, {"metrics": ["revenue"], "by": ["category"], "top": TOP_N})
        note = _ranking_note(res)
        top_categories = [{"category": str(r["category"]), "revenue": r["revenue"],
                           "share": round(float(r["revenue"]) / total, 4) if total else None} for r in res["rows"]]
    except QueryError:
        pass  # an orders-only workspace has no categories; the overview says so by an empty list
    has_return = "is_return" in ws.table_info("orders")["columns"]
    con = connect(ws)
    try:
        first, last, n_ret, amt_ret = con.execute(
            "SELECT min(timestamp), max(timestamp), "
            + ("count(*) FILTER (WHERE is_return)" if has_return else "count(*) FILTER (WHERE amount < 0)")
            + ", COALESCE(sum(amount) FILTER (WHERE amount < 0), 0) FROM orders").fetchone()
    finally:
        con.close()
    out = {
        "customers": int(head["customers"]),
        "orders": int(head["orders"]),
        "line_items": int(head["line_items"]),
        "revenue": _money(total),
        "date_range": [pd.Timestamp(first).date().isoformat(), pd.Timestamp(last).date().isoformat()],
        "revenue_by_month": [{"month": m["month"], "revenue": m["revenue"], "orders": int(m["orders"]),
                              "customers": int(m["customers"])} for m in months],
        "top_categories": top_categories,
        "returns": {"rows": int(n_ret), "amount": _money(amt_ret)},
        "tables": {name: {"rows": info["rows"], "source": info.get("source", "")}
                   for name, info in sorted(ws.manifest().get("tables", {}).items())},
    }
    if note:
        out["top_categories_note"] = note
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


def _window(ws: Workspace, period: str | None) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    con = connect(ws)
    try:
        first, last = con.execute("SELECT min(timestamp), max(timestamp) FROM orders").fetchone()
    finally:
        con.close()
    return parse_period(period, pd.Timestamp(first), pd.Timestamp(last))


def _dim(ws: Workspace, by: str | None) -> list[str]:
    if by is None:
        return []
    if by == "segment" and not ws.artifact_path(SEGMENTS_FILE).exists():
        raise WorkspaceError(f"no segments in workspace {ws.path} yet: fit them first (`mka demo` does, or "
                             f"models.segments.workspace.fit_workspace) and ask again")
    return [by]


def _run(ws: Workspace, spec: dict) -> dict:
    try:
        return run_query(ws, spec)
    except QueryError as exc:
        msg = str(exc)
        if "category" in msg and "not available" in msg:
            raise WorkspaceError(f"workspace {ws.path} has no product categories: ingest a products file with a "
                                 f"category column (`mka ingest --products FILE`)") from None
        raise ValueError(msg) from None


def _top(ws: Workspace, item: str, by: list[str], window: dict) -> tuple[list[dict], str | None]:
    cols = table_columns(ws)  # the layer's view of the tables, no file opened
    has_products = "products" in cols
    if item == "category":
        dims = ["category"]
    else:
        dims = ["product_id"] + [d for d in ("product", "category") if has_products and d in cols["products"]
                                 or (d == "product" and has_products and "name" in cols["products"])]
    spec = {"metrics": ["revenue", "orders", "customers"], "by": by + dims, **window,
            "top": 5 if by else TOP_N, **({"top_per": by[0]} if by else {})}
    res = _run(ws, spec)
    totals = _run(ws, {"metrics": ["revenue"], "by": by, **window})["rows"]
    total = {(r[by[0]] if by else None): r["revenue"] for r in totals}
    rows = []
    for r in res["rows"]:
        t = total.get(r[by[0]] if by else None) or 0.0
        row = {k: r[k] for k in by}
        if item == "category":
            row["category"] = r["category"]
        else:
            row["product_id"] = r["product_id"]
        row.update(revenue=r["revenue"], orders=int(r["orders"]), customers=int(r["customers"]),
                   share=round(float(r["revenue"]) / t, 4) if t else None)
        if item != "category":
            if "product" in r:
                row["name"] = r["product"]
            if "category" in r:
                row["category"] = r["category"]
        rows.append(row)
    return rows, _ranking_note(res)


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
    if not ws.has_table("orders"):
        raise WorkspaceError(ws._missing_hint("orders"))
    start, end, label = _window(ws, period)
    date_range = [start.date().isoformat(), (end - pd.Timedelta(days=1)).date().isoformat()]
    window = {"start": date_range[0], "end": date_range[1]}
    dims = _dim(ws, by)
    if by == "category" or metric == "top_categories":
        cols = table_columns(ws)
        if "category" not in cols.get("products", []) or "product_id" not in cols.get("orders", []):
            raise WorkspaceError(f"workspace {ws.path} has no product categories: ingest a products file with a "
                                 f"category column (`mka ingest --products FILE`)")
    n = _run(ws, {"metrics": ["orders"], **window})["rows"][0]["orders"]
    if not n:
        return {"metric": metric, "by": by, "period": label, "date_range": date_range, "value": None, "rows": [],
                "summary": f"No orders in {label} ({date_range[0]} to {date_range[1]})."}
    if metric in ("top_products", "top_categories"):
        item = "product" if metric == "top_products" else "category"
        rows, note = _top(ws, item, dims, window)
        value = None
        first = rows[0] if rows else {}
        name = first.get("name") or first.get("category") or first.get("product_id")
        summary = (f"Top {'products' if item == 'product' else 'categories'} by revenue in {label}"
                   + (f" per {by}" if by else "") + (f": #1 {name} (${first['revenue']:,.2f})." if first else ".")
                   + (f" Fuel, coupons and misc lines are left out ({note.split(': ', 1)[-1]})." if note else ""))
        return {"metric": metric, "by": by, "period": label, "date_range": date_range, "value": value, "rows": rows,
                "summary": summary}
    layer_metrics = {"revenue": ["revenue"], "orders": ["orders"], "customers": ["customers"],
                     "average_basket": ["avg_basket", "orders"],
                     "repeat_rate": ["repeat_customer_share", "repeat_customers", "customers"]}[metric]
    head = _run(ws, {"metrics": layer_metrics[:1], **window})["rows"][0]
    value = head[layer_metrics[0]]
    if metric == "average_basket":
        value = value if value is not None else 0.0
    rows = [{metric: value}]
    if dims:
        grouped = _run(ws, {"metrics": layer_metrics, "by": dims, **window, "sort": dims[0], "descending": False,
                            "include_non_merchandise": True})["rows"]
        rename = {"avg_basket": "average_basket", "repeat_customer_share": "repeat_rate"}
        rows = [{k if k not in rename else rename[k]: (int(v) if k in ("orders", "customers", "repeat_customers")
                                                       and v is not None else v) for k, v in r.items()}
                for r in grouped]
    shown = (f"{value:.1%}" if metric == "repeat_rate" else f"${value:,.2f}" if metric in
             ("revenue", "average_basket") else f"{value:,}")
    summary = f"{metric.replace('_', ' ').capitalize()} in {label} ({date_range[0]} to {date_range[1]}): {shown}"
    summary += f", {len(rows)} {by} groups." if dims else "."
    return {"metric": metric, "by": by, "period": label, "date_range": date_range, "value": value, "rows": rows,
            "summary": summary}
