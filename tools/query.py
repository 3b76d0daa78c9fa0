"""query_data: one typed query over the semantic layer (metrics x dimensions, filters, windows, comparisons)."""

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
                    inactive_days: Optional[int] = None, include_non_merchandise: bool = False) -> QueryResult:
    spec = {"metrics": metrics or ["revenue"], "by": by or [], "filters": filters or [], "start": start or None,
            "end": end or None, "compare": compare or None, "sort": sort or None, "top": top,
            "inactive_days": inactive_days, "include_non_merchandise": bool(include_non_merchandise)}
    try:
        res = dict(ctx.run_query(spec))
    except ValueError as exc:  # QueryError: the message lists what is valid
        raise ToolArgError(str(exc)) from exc
    rows = list(res.get("rows", []))
    return {"kind": ResultKind.QUERY, "rows": rows[:MAX_ROWS], "n_rows": len(rows),
            "columns": list(res.get("columns", [])), "restatement": str(res.get("restatement", "")),
            "sql": str(res.get("sql", "")), "params": list(res.get("params", [])),
            "definitions": dict(res.get("definitions", {})), "chart": res.get("chart", "none"),
            "notes": list(res.get("notes", [])), "spec": dict(res.get("spec", spec)), "as_of": res.get("as_of")}


def make_query_tools(ctx: ToolContext) -> list[BaseTool]:
    @safe_tool
    def query_data(metrics: Optional[list[str]] = None, by: Optional[list[str]] = None,
                   filters: Optional[list[dict]] = None, start: Optional[str] = None, end: Optional[str] = None,
                   compare: Optional[list[str]] = None, sort: Optional[str] = None, top: Optional[int] = None,
                   inactive_days: Optional[int] = None, include_non_merchandise: bool = False) -> QueryResult:
        """Compute business numbers exactly: metrics (revenue, orders, customers, units, avg_basket,
        revenue_per_customer, coupon_redemptions...) broken down by dimensions (month, week, quarter, year,
        weekday, department, category, brand, product, store, customer attributes), filtered, in a time window
        or comparing two periods. An unknown name or value returns an error listing the valid ones.

        Args:
            metrics: metric names, e.g. ["revenue"] or ["revenue", "orders"].
            by: dimensions to group by, e.g. ["month"] or ["category"].
            filters: e.g. [{"dimension": "department", "op": "equals", "values": ["MEAT"]}].
            start: first period or date included, e.g. "2017-06" or "2017-Q2".
            end: last period or date included.
            compare: two periods to compare, e.g. ["2017-Q2", "2017-Q3"] (absolute and % change).
            sort: a metric, a dimension or "change"; default time order or the first metric, largest first.
            top: keep only the first N rows after sorting.
            inactive_days: only customers whose last order is more than N days before the as-of date.
            include_non_merchandise: keep fuel/coupon/misc lines in product and category rankings.
        """
        return query_data_impl(ctx, metrics, by, filters, start, end, compare, sort, top, inactive_days,
                               include_non_merchandise)

    return [StructuredTool.from_function(query_data, parse_docstring=True)]
