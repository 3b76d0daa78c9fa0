"""Purchase-prediction tools: who will buy in the next N days, and why one customer scores as they do."""

from __future__ import annotations

from typing import Optional

import pandas as pd
from langchain_core.tools import BaseTool, StructuredTool

from ._common import ToolArgError, check_count, safe_tool
from .context import ToolContext
from .results import CustomerResult, CustomerStats, PredictionsResult, RecentOrder, ResultKind, ScoredCustomer

__all__ = ["make_predict_tools", "DEFAULT_TOP_K"]

DEFAULT_TOP_K = 10
MAX_TOP_K = 200


def _check_horizon(ctx: ToolContext, horizon_days: int) -> int:
    horizons = list(ctx.horizons())  # what the trained model predicts, from its checkpoint
    try:
        h = int(horizon_days)
    except (TypeError, ValueError) as exc:
        raise ToolArgError(f"horizon_days={horizon_days!r} must be one of {horizons}") from exc
    if h not in horizons:
        raise ToolArgError(f"horizon_days={h} is not a trained horizon; use one of {horizons} (days ahead)")
    return h


def _customer_rows(df: pd.DataFrame, segment_of: dict[str, str]) -> list[ScoredCustomer]:
    rows: list[ScoredCustomer] = []
    for r in df.itertuples(index=False):
        rows.append({
            "customer_id": str(r.customer_id),
            "p_buy": round(float(r.p_buy), 4),
            "expected_orders": round(float(getattr(r, "expected_orders", float("nan"))), 3),
            "expected_spend": round(float(getattr(r, "expected_spend", float("nan"))), 2),
            "last_purchase": getattr(r, "last_purchase", None),
            "segment": segment_of.get(str(r.customer_id)),
            "reasons": list(getattr(r, "reasons", []) or []),
        })
    return rows


def predict_buyers_impl(ctx: ToolContext, horizon_days: int = 7, top_k: int = DEFAULT_TOP_K,
                        segment: Optional[str] = None, min_probability: Optional[float] = None) -> PredictionsResult:
    h = _check_horizon(ctx, horizon_days)
    k = check_count(top_k, "top_k", MAX_TOP_K, "the CSV export holds everyone")
    if min_probability is not None:
        p = float(min_probability)
        if p > 1 and p <= 100:  # "at least 60%" sent as 60
            p = p / 100
        if not 0 <= p <= 1:
            raise ToolArgError(f"min_probability={min_probability!r} must be between 0 and 1")
        min_probability = p

    scores = ctx.scores(h)
    card = ctx.model_card(h)
    seg_of = ctx.segment_of()
    seg_name = None
    if segment not in (None, ""):
        try:
            prof = ctx.find_segment(segment)
        except ValueError as exc:
            raise ToolArgError(str(exc)) from exc
        seg_name = str(prof["name"])
        scores = scores[scores["customer_id"].astype(str).map(seg_of).eq(seg_name).fillna(False)]
    pool = scores
    if min_probability is not None:
        pool = pool[pool["p_buy"] >= min_probability]
    pool = pool.sort_values("p_buy", ascending=False, kind="stable")

    export = pool.copy()
    export["segment"] = export["customer_id"].astype(str).map(seg_of)
    if "reasons" in export.columns:
        export["reasons"] = export["reasons"].map(lambda v: "; ".join(v) if isinstance(v, (list, tuple)) else v)
    stem = f"predict_buyers_{h}d" + (f"_{seg_name}" if seg_name else "") + (
        f"_min{min_probability:.2f}" if min_probability is not None else "")
    return {
        "kind": ResultKind.PREDICTIONS,
        "target": card.get("target", f"P(≥1 purchase in next {h} days)"),
        "horizon_days": h,
        "as_of": card.get("as_of"),
        "model_card": card,
        "segment": seg_name,
        "min_probability": min_probability,
        "customers": _customer_rows(pool.head(k), seg_of),
        "n_scored": int(len(scores)),
        "n_matching": int(len(pool)),
        "expected_buyers_total": round(float(scores["p_buy"].sum()), 1),
        "export_csv": ctx.export_csv(export, stem),
    }


def explain_customer_impl(ctx: ToolContext, customer_id: str) -> CustomerResult:
    cid = str(customer_id).strip().lstrip("#")
    if not cid:
        raise ToolArgError("customer_id is empty; send an id such as one listed by predict_buyers")
    p_buy: dict[str, float] = {}
    reasons: list[str] = []
    row7 = None
    horizons = ctx.horizons()
    for h in horizons:
        s = ctx.scores(h)
        hit = s[s["customer_id"].astype(str) == cid]
        if hit.empty:
            continue
        r = hit.iloc[0]
        p_buy[str(h)] = round(float(r["p_buy"]), 4)
        if row7 is None:
            row7 = r
            reasons = list(r.get("reasons", []) or [])
    orders = ctx.orders()
    mine = orders[orders["customer_id"].astype(str) == cid]
    if row7 is None and mine.empty:
        sample = ", ".join(ctx.scores(horizons[0])["customer_id"].astype(str).head(3))
        raise ToolArgError(f"no customer with id {cid!r} in this workspace; ids look like: {sample}")
    by_order = (mine.assign(order_id=mine["order_id"] if "order_id" in mine.columns else mine["timestamp"].astype(str))
                .groupby("order_id", sort=False)
                .agg(date=("timestamp", "min"), amount=("amount", "sum"), items=("amount", "size"))
                .sort_values("date", ascending=False))
    recent: list[RecentOrder] = [{"order_id": str(oid), "date": r["date"], "amount": round(float(r["amount"]), 2),
                                  "items": int(r["items"])} for oid, r in by_order.head(5).iterrows()]
    as_of, stale_note = None, None
    try:
        card = ctx.model_card(horizons[0])
        as_of, stale_note = card.get("as_of"), card.get("stale_note")
    except Exception:
        pass
    stats: CustomerStats = {
        "orders": int(len(by_order)),
        "spend": round(float(mine["amount"].sum()), 2),
        "avg_basket": round(float(by_order["amount"].mean()), 2) if len(by_order) else None,
        "first_purchase": mine["timestamp"].min() if len(mine) else None,
        "last_purchase": mine["timestamp"].max() if len(mine) else None,
        "days_since_last": int(row7["days_since_last"]) if row7 is not None and "days_since_last" in row7 else None,
    }
    return {
        "kind": ResultKind.CUSTOMER,
        "customer_id": cid,
        "as_of": as_of,
        "p_buy": p_buy,
        "segment": ctx.segment_of().get(cid),
        "recent_orders": recent,
        "reasons": reasons,
        "stats": stats,
        "stale_note": stale_note,
    }


def make_predict_tools(ctx: ToolContext) -> list[BaseTool]:
    @safe_tool
    def predict_buyers(horizon_days: int = 7, top_k: int = DEFAULT_TOP_K, segment: Optional[str] = None,
                       min_probability: Optional[float] = None) -> PredictionsResult:
        """Rank customers by their predicted probability of buying in the next `horizon_days` days.

        Use for "who will buy this week / next month", "top 20 likely buyers", "which champions will buy".
        Returns the model's target, as-of date and backtest metrics, the top customers with p_buy, expected
        spend and plain-words reasons, the expected number of buyers, and a CSV export of everyone.

        Args:
            horizon_days: 7 (this week), 14 (two weeks) or 30 (next month).
            top_k: how many customers to list (1-200); the CSV has all of them.
            segment: optional segment name or id to restrict to (see list_segments).
            min_probability: optional lowest p_buy to keep, between 0 and 1.
        """
        return predict_buyers_impl(ctx, horizon_days, top_k, segment, min_probability)

    @safe_tool
    def explain_customer(customer_id: str) -> CustomerResult:
        """Explain one customer: purchase probability for 7/14/30 days, segment, recent orders, reasons, stats.

        Args:
            customer_id: the customer's id exactly as shown in other results (e.g. "1234").
        """
        return explain_customer_impl(ctx, customer_id)

    return [StructuredTool.from_function(predict_buyers, parse_docstring=True),
            StructuredTool.from_function(explain_customer, parse_docstring=True)]
