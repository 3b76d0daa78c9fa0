"""data_overview: headline numbers and ad-hoc metrics (revenue by month, top categories, repeat rate...)."""

from __future__ import annotations

from typing import Optional

from langchain_core.tools import BaseTool, StructuredTool

from ._common import ToolArgError, safe_tool
from .context import ToolContext
from .results import OverviewResult, ResultKind

__all__ = ["make_overview_tools", "METRICS", "BREAKDOWNS"]

METRICS = ("revenue", "orders", "customers", "average_basket", "repeat_rate", "top_products", "top_categories")
BREAKDOWNS = ("month", "week", "category", "segment")
MAX_ROWS = 60


def data_overview_impl(ctx: ToolContext, metric: Optional[str] = None, by: Optional[str] = None,
                       period: Optional[str] = None) -> OverviewResult:
    metric = str(metric).strip().lower() if metric not in (None, "") else None
    by = str(by).strip().lower() if by not in (None, "") else None
    period = str(period).strip() if period not in (None, "") else None
    if metric is not None and metric not in METRICS:
        raise ToolArgError(f"metric={metric!r} is not known; use one of {list(METRICS)}")
    if by is not None and by not in BREAKDOWNS:
        raise ToolArgError(f"by={by!r} is not known; use one of {list(BREAKDOWNS)} or leave it empty")
    if metric is None:
        if by is not None or period is not None:
            metric = "revenue"
        else:
            ov = dict(ctx.overview())
            summary = {k: ov.get(k) for k in ("customers", "orders", "line_items", "revenue", "date_range", "returns")}
            summary["top_categories"] = list(ov.get("top_categories", []))[:5]
            return {"kind": ResultKind.OVERVIEW, "metric": None, "by": "month", "period": None,
                    "rows": list(ov.get("revenue_by_month", []))[:MAX_ROWS], "summary": summary}
    res = dict(ctx.data_query(metric, by, period))
    rows = res.get("rows")
    if rows is None:  # tolerate a result shaped as a single table under another key
        rows = next((v for v in res.values() if isinstance(v, list)), [])
    rows = list(rows)
    summary = res.get("summary")
    if summary is None:
        summary = {k: v for k, v in res.items() if not isinstance(v, list) and k not in ("metric", "by", "period")}
    return {"kind": ResultKind.OVERVIEW, "metric": metric, "by": res.get("by", by), "period": res.get("period", period),
            "rows": rows[:MAX_ROWS], "n_rows": len(rows), "summary": summary}


def make_overview_tools(ctx: ToolContext) -> list[BaseTool]:
    @safe_tool
    def data_overview(metric: Optional[str] = None, by: Optional[str] = None,
                      period: Optional[str] = None) -> OverviewResult:
        """Answer ad-hoc questions about the sales data: revenue, orders, customers, average basket, repeat
        rate, top products or top categories, optionally broken down by month, week, category or segment.
        With no arguments it returns the headline numbers and revenue by month.

        Args:
            metric: one of revenue, orders, customers, average_basket, repeat_rate, top_products, top_categories.
            by: optional breakdown: month, week, category or segment.
            period: optional period to restrict to, e.g. "2017" or "2017-06".
        """
        return data_overview_impl(ctx, metric, by, period)

    return [StructuredTool.from_function(data_overview, parse_docstring=True)]
