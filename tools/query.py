"""query_data: one typed query over the semantic layer (metrics x dimensions, filters, windows, comparisons,
shares, customer conditions, bought / did-not-buy sets, concentration, distributions)."""

from __future__ import annotations

from typing import Optional

from langchain_core.tools import BaseTool, StructuredTool

from ._common import ToolArgError, safe_tool
from .context import ToolContext
from .results import QueryResult, ResultKind

__all__ = ["make_query_tools", "query_data_impl"]

MAX_ROWS = 200


def query_data_impl(ctx: ToolContext, metrics: Optional[list[str]] = None, by: Optional[list[str]] = None,
                    filters: Optional[list[dict]] = None, start: Optional[str] = None, end: Optional[str] = None,
                    compare: Optional[list[str]] = None, sort: Optional[str] = None, top: Optional[int] = None,
                    inactive_days: Optional[int] = None, include_non_merchandise: bool = False,
                    period: Optional[str] = None, bottom: Optional[int] = None, share_of_total: bool = False,
                    customer_conditions: Optional[list[dict]] = None, concentration: Optional[dict] = None,
                    distribution: Optional[dict] = None, descending: Optional[bool] = None,
                    purchase_conditions: Optional[list[dict]] = None,
                    order_conditions: Optional[list[dict]] = None, top_per: Optional[str] = None,
                    average_per: Optional[str] = None) -> QueryResult:
    spec = {"metrics": metrics or ["revenue"], "by": by or [], "filters": filters or [], "period": period or None,
            "start": start or None, "end": end or None, "compare": compare or None, "sort": sort or None,
            "top": top, "bottom": bottom, "top_per": top_per or None, "average_per": average_per or None, "share_of_total": bool(share_of_total), "inactive_days": inactive_days,
            "customer_conditions": customer_conditions or [], "purchase_conditions": purchase_conditions or [],
            "order_conditions": order_conditions or [],
            "concentration": concentration or None,
            "distribution": distribution or None, "include_non_merchandise": bool(include_non_merchandise)}
    if descending is not None:
        spec["descending"] = bool(descending)
    try:
        res = dict(ctx.run_query(spec))
    except ValueError as exc:  # QueryError: the message lists what is valid
        raise ToolArgError(str(exc)) from exc
    rows = list(res.get("rows", []))
    return {"kind": ResultKind.QUERY, "rows": rows[:MAX_ROWS], "n_rows": len(rows),
            "columns": list(res.get("columns", [])), "restatement": str(res.get("restatement", "")),
            "sql": str(res.get("sql", "")), "params": list(res.get("params", [])),
            "definitions": dict(res.get("definitions", {})), "chart": res.get("chart", "none"),
            "notes": list(res.get("notes", [])), "spec": dict(res.get("spec", spec)),
            "windows": [dict(w) for w in res.get("windows", [])], "as_of": res.get("as_of")}


def make_query_tools(ctx: ToolContext) -> list[BaseTool]:
    @safe_tool
    def query_data(metrics: Optional[list[str]] = None, by: Optional[list[str]] = None,
                   filters: Optional[list[dict]] = None, period: Optional[str] = None, start: Optional[str] = None,
                   end: Optional[str] = None, compare: Optional[list[str]] = None, sort: Optional[str] = None,
                   descending: Optional[bool] = None, top: Optional[int] = None, bottom: Optional[int] = None,
                   share_of_total: bool = False, inactive_days: Optional[int] = None,
                   customer_conditions: Optional[list[dict]] = None, concentration: Optional[dict] = None,
                   distribution: Optional[dict] = None, include_non_merchandise: bool = False,
                   purchase_conditions: Optional[list[dict]] = None,
                   order_conditions: Optional[list[dict]] = None, top_per: Optional[str] = None,
                   average_per: Optional[str] = None) -> QueryResult:
        """Compute business numbers exactly: metrics (revenue, orders, customers, units, avg_basket,
        revenue_per_customer, repeat_customer_share, new_customers, returning_customers, coupon_redemptions,
        coupon_redemption_rate, campaign_reach...; from the reviews: review_count, avg_rating, share_negative,
        e.g. "average rating by month", "which products are rated worst": a row with fewer than 5 reviews has no
        avg_rating, so it is not ranked) broken down by dimensions (month, week, quarter, year, weekday,
        department, category, brand, product, store, segment, campaign, campaign_type, customer attributes),
        filtered, in a time window or comparing two periods. An unknown name or value returns an error listing
        the valid ones.

        Args:
            metrics: metric names, e.g. ["revenue"] or ["revenue", "orders"].
            by: dimensions to group by, e.g. ["month"] or ["category"].
            filters: e.g. [{"dimension": "department", "op": "equals", "values": ["MEAT"]}]; op is equals, in,
                not_in, contains / not_contains (case-insensitive) or range (with "min" and/or "max", e.g. age 35..54).
            period: one window: "2017-Q3", "2017-06", "2017", "2017-06-01..2017-08-31", or relative to the last
                order date: "last_quarter", "this_month", "last_month", "last_30_days", "last_4_weeks", "ytd".
            start: first period or date included (instead of period).
            end: last period or date included.
            compare: two periods to compare, e.g. ["2017-Q2", "2017-Q3"] (absolute and % change).
            sort: a metric, a dimension, "change", "pct_change" or "share"; default time order or the first
                metric, largest first.
            descending: sort order (default largest first).
            top: keep only the first N rows after sorting.
            bottom: keep only the last N rows (smallest first), e.g. the lowest month.
            top_per: with top/bottom and two dimensions in by: the first N within each value of this one, e.g.
                the best product in each department: by ["product", "department"], top 1, top_per "department".
            average_per: the mean per calendar period of the window instead of the total, e.g. average weekly
                revenue in 2017: metrics ["revenue"], period "2017", average_per "week" (day, week, month, quarter,
                year).
            share_of_total: add each row's percent of the total.
            inactive_days: only customers with no order in the last N days before the last order date.
            customer_conditions: per-customer thresholds over the window, e.g.
                [{"measure": "orders", "op": ">=", "value": 10}], [{"measure": "revenue", "op": ">", "value": 500}],
                [{"measure": "revenue", "op": "top_pct", "value": 10}]; measures revenue, orders, line_items,
                units, avg_basket, days_since_last_order, days_since_first_order.
            purchase_conditions: keep customers by what they bought, or did not buy, in another period or product
                set (set operations), e.g. bought in Q2 but not in Q3: period "2017-Q2" with
                [{"period": "2017-Q3", "bought": false}]; bought both coffee and tea: a coffee filter with
                [{"filters": [{"dimension": "category", "values": ["Teas"]}]}]. Each is {"filters": [...],
                "period" or "start"/"end", "bought": true|false}; no period means all data.
            order_conditions: keep orders (baskets) by their own size, e.g. orders over $100:
                [{"measure": "revenue", "op": ">", "value": 100}]; measures revenue, line_items, units of the whole
                basket. With no breakdown the answer adds each count's share of all orders.
            concentration: top X% of customers and their share, e.g. {"top_pct": [1, 10, 20], "measure": "revenue"}.
            distribution: quantiles or a histogram of a per-customer or per-order measure, e.g.
                {"measure": "revenue", "per": "customer", "quantiles": [0.5, 0.9]} or {"measure": "orders", "bins": 10}.
            include_non_merchandise: keep fuel/coupon/misc lines in product and category rankings.
        """
        return query_data_impl(ctx, metrics, by, filters, start, end, compare, sort, top, inactive_days,
                               include_non_merchandise, period, bottom, share_of_total, customer_conditions,
                               concentration, distribution, descending, purchase_conditions, order_conditions,
                               top_per, average_per)

    return [StructuredTool.from_function(query_data, parse_docstring=True)]
