"""customer_value and at_risk_customers: CLV, P(alive), churn risk and the at-risk high-value list."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd
from langchain_core.tools import BaseTool, StructuredTool

from models.value.churn import CHURN_DEFINITION, VALUE_AT_RISK_DEFINITION, at_risk_table, churn_risk
from models.value.clv import OVERDUE_DEFINITION

from ._common import ToolArgError, safe_tool
from .context import ToolContext
from .results import AtRiskCustomer, AtRiskResult, CustomerValueResult, ResultKind

__all__ = ["make_value_tools", "customer_value_impl", "at_risk_impl", "at_risk_audience"]

MAX_TOP_K = 500


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if not np.isfinite(f) else round(f, 4)


def _date(v) -> str | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date().isoformat()


def _p_buy_30(ctx: ToolContext) -> pd.Series | None:
    try:
        if 30 not in ctx.horizons():
            return None
        s = ctx.scores(30)
    except Exception:  # no trained predictor: churn risk comes from BG/NBD, and says so
        return None
    return pd.Series(s["p_buy"].to_numpy(dtype="float64"), index=s["customer_id"].astype(str))


def _risk(ctx: ToolContext) -> tuple[pd.DataFrame, dict, pd.Series, str]:
    values, info = ctx.customer_values()
    chosen = info.get("churn_default")
    risk, source = churn_risk(values, None if chosen == "bgnbd" else _p_buy_30(ctx), chosen=chosen)
    return values, info, risk, source


def _backtest(info: dict) -> list[str]:
    """The CLV and churn backtest sentences (or what to run to get them)."""
    lines = [str(info[k]) for k in ("clv_backtest", "churn_backtest") if info.get(k)]
    return list(dict.fromkeys(lines))


def _definitions(info: dict) -> list[str]:
    return [CHURN_DEFINITION, VALUE_AT_RISK_DEFINITION, str(info.get("clv_definition")), OVERDUE_DEFINITION]


def customer_value_impl(ctx: ToolContext, customer_id: str) -> CustomerValueResult:
    cid = str(customer_id or "").strip()
    if not cid:
        raise ToolArgError("customer_id is required (a customer id from the data)")
    values, info, risk, source = _risk(ctx)
    idx = values.index.astype(str)
    if cid not in set(idx):
        raise ToolArgError(f"customer {cid!r} has no orders before {info.get('as_of')}; give a customer id from "
                           f"the orders (e.g. {idx[0]!r})")
    row = values.loc[idx == cid].iloc[0]
    r = float(risk[idx == cid].iloc[0])
    clv = float(row["clv"])
    return {"kind": ResultKind.CUSTOMER_VALUE, "customer_id": cid, "as_of": str(info.get("as_of")),
            "value_model": str(info.get("model")), "churn_model": source, "definitions": _definitions(info),
            "p_alive": _num(row["p_alive"]), "expected_purchases_30d": _num(row["expected_purchases_30d"]),
            "expected_purchases_365d": _num(row["expected_purchases_horizon"]),
            "expected_spend_per_order": _num(row["expected_spend_per_order"]), "clv": _num(clv),
            "value_percentile": _num((values["clv"] <= clv).mean()), "churn_risk": _num(r),
            "value_at_risk": _num(clv * r), "orders": int(row["orders"]), "spend": _num(row["spend"]),
            "first_purchase": _date(row["first_purchase"]), "last_purchase": _date(row["last_purchase"]),
            "days_since_last": _num(row["days_since_last"]), "mean_gap_days": _num(row["mean_gap_days"]),
            "overdue_ratio": _num(row["overdue_ratio"]), "segment": ctx.segment_of().get(cid),
            "source": str(info.get("source", "")), "backtest": _backtest(info)}


def at_risk_impl(ctx: ToolContext, min_value_quantile: Optional[float] = 0.8, top_k: Optional[int] = 50,
                 segment: Optional[str] = None, rank_by: Optional[str] = None) -> AtRiskResult:
    q = 0.8 if min_value_quantile is None else float(min_value_quantile)
    if q > 1 and q < 100:  # "80" meant as a percentile
        q = q / 100.0
    if not 0 <= q < 1:
        raise ToolArgError(f"min_value_quantile={min_value_quantile!r} must be from 0 to below 1 (0.8: the top 20% "
                           f"by CLV)")
    k = 50 if top_k is None else int(top_k)
    if not 1 <= k <= MAX_TOP_K:
        raise ToolArgError(f"top_k={top_k!r} must be from 1 to {MAX_TOP_K}")
    rank = "value_at_risk" if rank_by in (None, "") else str(rank_by).strip().lower()
    if rank not in ("value_at_risk", "value"):
        raise ToolArgError(f"rank_by={rank_by!r} must be 'value_at_risk' (the at-risk list, the default) or 'value' "
                           f"(the most valuable customers, overdue or not)")
    seg_name = None
    if segment not in (None, ""):
        try:
            seg_name = str(ctx.find_segment(segment)["name"])
        except Exception as exc:
            raise ToolArgError(f"segment {segment!r}: {exc}") from exc
    values, info, risk, source = _risk(ctx)
    rows, summary = at_risk_table(values, risk, min_value_quantile=q, top_k=k, segment_of=ctx.segment_of(),
                                  segment=seg_name, rank_by=rank)
    customers: list[AtRiskCustomer] = [{
        "customer_id": str(cid), "clv": _num(r.clv), "churn_risk": _num(r.churn_risk),
        "value_at_risk": _num(r.value_at_risk), "p_alive": _num(r.p_alive), "overdue_ratio": _num(r.overdue_ratio),
        "last_purchase": _date(r.last_purchase), "days_since_last": _num(r.days_since_last),
        "mean_gap_days": _num(r.mean_gap_days), "segment": r.segment, "reasons": list(r.reasons)}
        for cid, r in zip(rows.index, rows.itertuples())]
    notes = []
    if summary["n_high_value_one_order"]:
        notes.append(f"{summary['n_high_value_one_order']} high-value customers have a single order, so no usual "
                     f"gap to be overdue against; they are not listed")
    if rank == "value":
        notes = ["ranked by CLV: every customer at or above the value threshold, overdue or not (the churn "
                 "risk and overdue columns are shown, not used to select)"]
    if not customers:
        notes.append("no high-value customer is overdue against their own usual gap as of " + str(info.get("as_of")))
    export = pd.DataFrame([{k2: v for k2, v in c.items() if k2 != "reasons"} | {"reasons": "; ".join(c["reasons"])}
                           for c in customers])
    stem = ("top_value" if rank == "value" else "at_risk") + f"_q{int(round(q * 100))}" + (f"_{seg_name}" if seg_name else "")
    return {"kind": ResultKind.AT_RISK, "as_of": str(info.get("as_of")), "value_model": str(info.get("model")),
            "churn_model": source, "definitions": _definitions(info), "min_value_quantile": q,
            "value_threshold": _num(summary["value_threshold"]), "segment": seg_name,
            "n_customers": summary["n_customers"], "n_high_value": summary["n_high_value"],
            "n_high_value_overdue": summary["n_high_value_overdue"],
            "n_high_value_one_order": summary["n_high_value_one_order"],
            "value_at_risk_total": _num(summary["value_at_risk_total"]), "customers": customers,
            "export_csv": ctx.export_csv(export, stem), "notes": notes, "backtest": _backtest(info), "rank_by": rank}


def at_risk_audience(ctx: ToolContext, segment: Optional[str] = None, min_value_quantile: float = 0.8,
                     ) -> tuple[dict, list[str], str]:
    """(profile for write_campaign, facts saying who these customers are, recipients CSV) of the at-risk
    high-value list (every listed customer, up to MAX_TOP_K)."""
    from models.value.audience import AT_RISK_AUDIENCE, audience_profile

    res = at_risk_impl(ctx, min_value_quantile, MAX_TOP_K, segment)
    if not res["customers"]:
        raise ToolArgError(f"no high-value customer is overdue as of {res['as_of']}: there is nobody to win back "
                           f"(at_risk_customers shows the list and its definitions)")
    values, info = ctx.customer_values()
    ids = pd.Index([c["customer_id"] for c in res["customers"]])
    try:
        orders, products = ctx.orders(), ctx.products()
    except Exception:  # a plain customer/date/amount file has no products: no categories to name
        orders, products = None, None
    name = AT_RISK_AUDIENCE + (f" in {res['segment']}" if res.get("segment") else "")
    prof = audience_profile(values, ids, orders, products, name=name)
    facts = [f"audience: {len(ids):,} high-value customers (CLV ≥ {res['value_threshold']:,.2f}, the top "
             f"{1 - res['min_value_quantile']:.0%}) who are overdue against their own usual gap, as of {res['as_of']}",
             f"median {prof['recency_days_median']:.0f} days since their last purchase against a usual gap of "
             f"{prof['usual_gap_days_median']:.0f} days ({prof['overdue_ratio_median']:.1f}× overdue)",
             f"value at risk {res['value_at_risk_total']:,.2f} (CLV × P(no purchase in the next 30 days))"]
    return prof, facts, res["export_csv"]


def make_value_tools(ctx: ToolContext) -> list[BaseTool]:
    @safe_tool
    def customer_value(customer_id: str) -> CustomerValueResult:
        """One customer's predicted value and churn risk: P(alive), expected purchases in the next 30 and 365
        days, expected spend per order, CLV over the coming year, churn risk (P(no purchase in the next 30
        days)), value at risk and how overdue they are against their own usual gap. Use it for "what is
        customer 123 worth", "lifetime value of customer 123", "is customer 123 about to churn".

        Args:
            customer_id: the customer's id as in the data.
        """
        return customer_value_impl(ctx, customer_id)

    @safe_tool
    def at_risk_customers(min_value_quantile: Optional[float] = 0.8, top_k: Optional[int] = 50,
                          segment: Optional[str] = None, rank_by: Optional[str] = None) -> AtRiskResult:
        """High-value customers at risk of churning: CLV at or above a quantile of all customers, overdue
        against their own usual gap between purchases, ranked by value at risk (CLV × P(no purchase in the
        next 30 days)), each with reasons in plain words. Use it for "which high-value customers are at risk of
        churning", "who is slipping away", "win back our best customers", "lapsing valuable customers".

        Args:
            min_value_quantile: CLV quantile a customer must reach (0.8, the default: the top 20% by value).
            top_k: at most this many customers (default 50).
            segment: optional segment name: only that segment's customers.
            rank_by: "value_at_risk" (default: the overdue high-value customers, by value at risk) or "value"
                (the most valuable customers by CLV, overdue or not: "who are our most valuable customers").
        """
        return at_risk_impl(ctx, min_value_quantile, top_k, segment, rank_by)

    return [StructuredTool.from_function(customer_value, parse_docstring=True),
            StructuredTool.from_function(at_risk_customers, parse_docstring=True)]
