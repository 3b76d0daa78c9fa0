"""forecast: weekly revenue, orders or active customers ahead, with 80%/95% intervals and the backtest."""

from __future__ import annotations

from typing import Optional

import pandas as pd
from langchain_core.tools import BaseTool, StructuredTool

from ._common import ToolArgError, safe_tool
from .context import ToolContext
from .results import ForecastResult, ResultKind

__all__ = ["make_forecast_tools", "forecast_impl", "METRICS", "BREAKDOWNS", "MAX_SERIES"]

METRICS = ("revenue", "orders", "customers")
BREAKDOWNS = ("category", "department", "segment")
MAX_SERIES = 10         # series returned to the model; the CSV export has them all
MAX_WEEKS = 26
_ALIASES = {"sales": "revenue", "turnover": "revenue", "buyers": "customers", "active_customers": "customers",
            "baskets": "orders", "transactions": "orders", "categories": "category", "departments": "department",
            "segments": "segment"}


def _norm(value, allowed: tuple, name: str) -> Optional[str]:
    if value in (None, "", "none", "total"):
        return None
    v = str(value).strip().lower().replace(" ", "_")
    v = _ALIASES.get(v, v)
    if v not in allowed:
        raise ToolArgError(f"{name}={value!r} is not known; use one of {list(allowed)}")
    return v


def _bottom_up(ctx: ToolContext, segment: Optional[str]) -> Optional[dict]:
    """The purchase predictor's summed expected spend for the next 7 and 14 days (a cross-check)."""
    try:
        horizons = ctx.horizons()
    except Exception:  # no predictor in this workspace: the cross-check is optional
        return None
    if not {7, 14} <= set(horizons):
        return None
    out = {}
    for h in (7, 14):
        s = ctx.scores(h)
        if segment is not None:
            members = {c for c, seg in ctx.segment_of().items() if seg == segment}
            s = s[s["customer_id"].astype(str).isin(members)]
        out[f"next_{h}_days"] = round(float(s["expected_spend"].sum()), 2)
    return {"source": "purchase predictor: sum of every customer's expected spend", **out,
            "as_of": ctx.artifact_as_of("predictor"),
            "note": "a bottom-up cross-check for the first one or two weeks; the weekly model above is the one "
                    "chosen by the forecast backtest"}


def _pick(names: list[str], wanted: str, exact: bool) -> Optional[str]:
    w = wanted.strip().casefold()
    if exact:
        return next((n for n in names if n.casefold() == w or n.casefold().split(" (")[0] == w), None)
    part = [n for n in names if w in n.casefold()]
    return part[0] if len(part) == 1 else None


def _find_series(ctx: ToolContext, metric: str, by: Optional[str], h: int, seg_name: Optional[str],
                 series: str) -> tuple[str, dict, str]:
    """(level, result, series name) for a named category or department: exact names at every level first."""
    results: dict = {}
    for exact in (True, False):
        for level in [by] if by else ["department", "category"]:
            if level not in results:
                results[level] = dict(ctx.forecast(metric, level, h, seg_name))
            names = list(dict.fromkeys(r["series"] for r in results[level].get("forecasts", [])))
            picked = _pick(names, series, exact)
            if picked is not None:
                return level, results[level], picked
    raise ToolArgError(f"series={series!r} is not a category or department of this shop; leave it empty and use "
                       f"by='category' to see them all")


def forecast_impl(ctx: ToolContext, metric: Optional[str] = "revenue", by: Optional[str] = None,
                  horizon_weeks: Optional[int] = 8, segment: Optional[str] = None,
                  series: Optional[str] = None) -> ForecastResult:
    metric = _norm(metric, METRICS, "metric") or "revenue"
    by = _norm(by, BREAKDOWNS, "by")
    try:
        h = int(8 if horizon_weeks is None else horizon_weeks)
    except (TypeError, ValueError) as exc:
        raise ToolArgError(f"horizon_weeks={horizon_weeks!r} must be a whole number of weeks from 1 to "
                           f"{MAX_WEEKS}") from exc
    if not 1 <= h <= MAX_WEEKS:
        raise ToolArgError(f"horizon_weeks={h} must be from 1 to {MAX_WEEKS} (a quarter is 13)")
    seg_name = None
    if segment not in (None, ""):
        if by == "segment":
            raise ToolArgError("give either by='segment' (every segment) or one segment, not both")
        try:
            seg_name = str(ctx.find_segment(segment)["name"])
        except ValueError as exc:
            raise ToolArgError(str(exc)) from exc
    series = None if series in (None, "") else str(series)
    if series is not None and by == "segment":
        raise ToolArgError("series names a category or department; for one segment use segment=...")
    picked = None
    if series is None:
        res = dict(ctx.forecast(metric, by, h, seg_name))
    else:
        by, res, picked = _find_series(ctx, metric, by, h, seg_name, series)
    rows = list(res.get("forecasts", []))
    names = list(dict.fromkeys(r["series"] for r in rows))
    if picked is not None:
        names = [n for n in names if n in ("total", picked)]
    stem = f"forecast_{metric}" + (f"_by_{by}" if by else "") + (f"_{seg_name}" if seg_name else "")
    res["export_csv"] = ctx.export_csv(pd.DataFrame(rows).assign(metric=metric, model=res.get("model")), stem)
    keep = set(names[:MAX_SERIES])
    res["forecasts"] = [r for r in rows if r["series"] in keep]
    res["history"] = [r for r in res.get("history", []) if r["series"] in keep]
    res["n_series"] = len(names)
    res["series_shown"] = names[:MAX_SERIES]
    if metric == "revenue" and by is None:
        check = _bottom_up(ctx, seg_name)
        if check:
            res["bottom_up_check"] = check
    return {"kind": ResultKind.FORECAST, **res}


def make_forecast_tools(ctx: ToolContext) -> list[BaseTool]:
    @safe_tool
    def forecast(metric: Optional[str] = "revenue", by: Optional[str] = None, horizon_weeks: Optional[int] = 8,
                 segment: Optional[str] = None, series: Optional[str] = None) -> ForecastResult:
        """Forecast weekly revenue, orders or active customers for the coming weeks, with 80% and 95% prediction
        intervals, the model chosen by a rolling-origin backtest and its accuracy against naive and drift
        baselines. Use it for "forecast revenue", "next month's sales" (horizon_weeks=4), "how many orders next
        quarter" (horizon_weeks=13) or "projected sales of a category" (by="category"). Past numbers are for
        data_overview; who will buy is for predict_buyers.

        Args:
            metric: revenue (default), orders or customers (active buyers per week).
            by: optional breakdown: category, department or segment (forecasts add up to the total where the
                metric is additive).
            horizon_weeks: weeks ahead, 1 to 26 (default 8; a month is 4, a quarter 13).
            segment: optional segment name: forecast only that segment's customers.
            series: optional category or department name: only that series (and the total).
        """
        return forecast_impl(ctx, metric, by, horizon_weeks, segment, series)

    return [StructuredTool.from_function(forecast, parse_docstring=True)]
