"""recommend_products: what a customer (or a segment) will most likely buy next, with the backtest."""

from __future__ import annotations

from typing import Optional

import pandas as pd
from langchain_core.tools import BaseTool, StructuredTool

from ._common import ToolArgError, safe_tool
from .context import ToolContext
from .results import ProductAudienceResult, RecommendResult, ResultKind
from models.recommend.card import METHOD_NAMES, backtest_line

__all__ = ["make_recommend_tools", "recommend_products_impl", "backtest_line", "MAX_K", "product_audience_impl",
           "campaign_merge_fields", "MERGE_FIELDS",
           "audience_backtest_line"]

MAX_K = 20
_NAMES = METHOD_NAMES


def recommend_products_impl(ctx: ToolContext, customer_id: Optional[str] = None, segment: Optional[str] = None,
                            k: Optional[int] = 10) -> RecommendResult:
    try:
        k = int(10 if k is None else k)
    except (TypeError, ValueError) as exc:
        raise ToolArgError(f"k={k!r} must be a whole number from 1 to {MAX_K}") from exc
    if not 1 <= k <= MAX_K:
        raise ToolArgError(f"k={k} must be from 1 to {MAX_K}")
    cid = None if customer_id in (None, "") else str(customer_id).strip()
    seg_name = None
    if cid is not None and segment not in (None, ""):
        raise ToolArgError("give either customer_id or segment, not both")
    if cid is not None:
        known = set(ctx.orders()["customer_id"].astype(str))
        if cid not in known:
            raise ToolArgError(f"customer_id={cid!r} has no orders in this workspace")
        ids: Optional[tuple[str, ...]] = (cid,)
    elif segment not in (None, ""):
        try:
            seg_name = str(ctx.find_segment(segment)["name"])
        except ValueError as exc:
            raise ToolArgError(str(exc)) from exc
        ids = tuple(sorted(c for c, s in ctx.segment_of().items() if s == seg_name))
        if not ids:
            raise ToolArgError(f"segment {seg_name!r} has no customers")
    else:
        ids = None
    res = ctx.recommend(ids, k)
    rows: pd.DataFrame = res["rows"]
    seg_picks: list[dict] = []
    if cid is None:
        g = rows.groupby(["product_id", "product_name"])
        agg = g.agg(customers=("customer_id", "nunique"), mean_rank=("rank", "mean"),
                    repeat_share=("kind", lambda s: float((s == "repeat").mean()))).reset_index()
        agg = agg.sort_values(["customers", "mean_rank"], ascending=[False, True]).head(k)
        seg_picks = [{**r, "mean_rank": round(float(r["mean_rank"]), 2)} for r in agg.to_dict("records")]
    stem = "recommendations" + (f"_{cid}" if cid else f"_{seg_name}" if seg_name else "_all")
    path = ctx.export_csv(rows, stem)
    picks = rows.head(k).to_dict("records") if cid is not None else []
    return {"kind": ResultKind.RECOMMEND,
            "target": "the products of the customer's next basket",
            "customer_id": cid, "segment": seg_name, "k": k, "method": _NAMES.get(res["method"], res["method"]),
            "as_of": res.get("as_of"), "picks": picks, "segment_picks": seg_picks,
            "n_customers": int(rows["customer_id"].nunique()), "backtest": res.get("backtest") or {},
            "backtest_line": backtest_line(res["method"], res.get("backtest") or {}), "source": res.get("source", ""),
            "export_csv": path}


def make_recommend_tools(ctx: ToolContext) -> list[BaseTool]:
    @safe_tool
    def recommend_products(customer_id: Optional[str] = None, segment: Optional[str] = None,
                           k: Optional[int] = 10) -> RecommendResult:
        """Recommend the products a customer will most likely buy in their next basket (repeat purchases and
        new products apart), or for a segment the picks most of its customers share; the method is chosen by a
        next-basket backtest (Recall@10 against popularity and personal-frequency baselines). Use it for "what
        will customer 123 buy next", "recommend products for 123" or "what should we offer the lapsed segment".
        Who will buy at all is for predict_buyers.

        Args:
            customer_id: one customer's id.
            segment: optional segment name (instead of customer_id); neither: every customer (CSV export).
            k: picks per customer, 1 to 20 (default 10).
        """
        return recommend_products_impl(ctx, customer_id, segment, k)

    @safe_tool
    def product_audience(product_or_category: Optional[str] = None, horizon_days: Optional[int] = 30,
                         top_k: Optional[int] = 100) -> ProductAudienceResult:
        """Who will buy a product category, a department or named products within the next days: each
        customer's probability, the most likely first, with a backtest against "bought it before" and
        popularity. Use it for "who will buy coffee next month", "audience for Cheese", "which customers will
        buy diapers". Who will buy anything at all is for predict_buyers; what one customer buys next is for
        recommend_products.

        Args:
            product_or_category: a category (e.g. "Coffee"), a department, words of a product name, or an id.
            horizon_days: the window in days, 7 to 365 (default 30; "next month" is 30).
            top_k: how many customers to list, 1 to 1000 (default 100); the CSV has everyone.
        """
        return product_audience_impl(ctx, product_or_category, horizon_days, top_k)

    return [StructuredTool.from_function(recommend_products, parse_docstring=True),
            StructuredTool.from_function(product_audience, parse_docstring=True)]


# -- product audiences -------------------------------------------------------------------------------------
MAX_AUDIENCE = 1000


def audience_backtest_line(bt: dict, top_k: int) -> str:
    """The audience model's PR-AUC and lift one window back, beside "bought it before" and popularity."""
    m = bt.get("methods") or {}
    if "model" not in m:
        return f"Backtest: {bt.get('error', 'not available')}."

    def f(v, d=3):
        return "-" if v is None else f"{v:.{d}f}"
    mod, bb, pop = m["model"], m.get("bought_before", {}), m.get("popularity", {})
    return (f"Backtest ({bt['window_days']}-day window from {bt['cutoff']}, {bt['n_customers']} customers, "
            f"{bt['buyers']} bought): PR-AUC {f(mod.get('pr_auc'))} vs bought-it-before {f(bb.get('pr_auc'))} "
            f"and popularity {f(pop.get('pr_auc'))}; lift in the top 10% {f(mod.get('lift_top10pct'), 2)}× "
            f"(bought-it-before {f(bb.get('lift_top10pct'), 2)}×), top {top_k} "
            f"{f(mod.get(f'lift_top{top_k}'), 2)}×.")


def product_audience_impl(ctx: ToolContext, product_or_category: Optional[str], horizon_days: Optional[int] = 30,
                          top_k: Optional[int] = 100) -> ProductAudienceResult:
    query = str(product_or_category or "").strip()
    if not query:
        raise ToolArgError("name a product, a category or a department (e.g. 'Coffee')")
    try:
        horizon = int(30 if horizon_days is None else horizon_days)
        top = int(100 if top_k is None else top_k)
    except (TypeError, ValueError) as exc:
        raise ToolArgError("horizon_days and top_k must be whole numbers") from exc
    if not 7 <= horizon <= 365:
        raise ToolArgError(f"horizon_days={horizon} must be from 7 to 365")
    if not 1 <= top <= MAX_AUDIENCE:
        raise ToolArgError(f"top_k={top} must be from 1 to {MAX_AUDIENCE}")
    try:
        res = ctx.product_audience(query, horizon, top)
    except ValueError as exc:
        raise ToolArgError(str(exc)) from exc
    rows: pd.DataFrame = res["rows"]
    resolved = res["resolved"]
    notes = [n for n in [resolved.get("note")] if n]
    if resolved["kind"] == "product_name":
        notes.append(f"{query!r} is not a category or department name, so this is every product whose name "
                     f"contains it")
    path = ctx.export_csv(rows, f"audience_{query}_{horizon}d")
    members = [{"customer_id": str(r["customer_id"]), "probability": float(r["probability"]),
                "bought_before": int(r["bought_before"]),
                "days_since_last": None if pd.isna(r["days_since_last"]) else float(r["days_since_last"])}
               for r in rows.head(top).to_dict("records")]
    return {"kind": ResultKind.PRODUCT_AUDIENCE, "query": query, "target": res["target"],
            "resolved_kind": resolved["kind"], "resolved_label": resolved["label"],
            "n_products": len(resolved["product_ids"]), "horizon_days": horizon, "as_of": res["as_of"],
            "model": res["model"], "customers": members, "n_customers": res["n_customers"],
            "expected_buyers": round(float(rows["probability"].sum()), 1), "base_rate": round(res["base_rate"], 4),
            "backtest": res["backtest"], "backtest_line": audience_backtest_line(res["backtest"], top),
            "notes": notes, "export_csv": path}


# -- personalised campaigns ------------------------------------------------------------------------------
MERGE_FIELDS = ("pick_1", "pick_2", "pick_3", "discover_1", "discover_2")
MERGE_LINE = {"email": "Picked for you: {{pick_1}}, {{pick_2}} and {{pick_3}}. Something new to try: {{discover_1}}.",
              "sms": "Your {{pick_1}} is waiting.", "push": "Time for {{pick_1}}?"}


def campaign_merge_fields(ctx: ToolContext, customer_ids: tuple[str, ...], stem: str,
                          channel: str = "email") -> dict:
    """Each customer's next-basket picks as merge fields for an email tool: pick_1..3 (products they buy
    again), discover_1..2 (new to them), in a CSV with one row per customer. {merge_fields, line, export_csv,
    n_customers, example, method, backtest_line} or {unavailable: why}."""
    if not customer_ids:
        return {"unavailable": "the segment has no customers"}
    try:
        res = ctx.recommend(tuple(customer_ids), 20)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        return {"unavailable": f"no product picks: {exc}"}
    rows: pd.DataFrame = res["rows"].sort_values(["customer_id", "rank"])
    rep = rows[rows["kind"] == "repeat"].groupby("customer_id")["product_name"].apply(list)
    exp = rows[rows["kind"] == "explore"].groupby("customer_id")["product_name"].apply(list)
    fallback = rows.groupby("customer_id")["product_name"].apply(list)
    out = []
    for c in customer_ids:
        r, e, anyp = list(rep.get(c, [])), list(exp.get(c, [])), list(fallback.get(c, []))
        picks = (r + [p for p in anyp if p not in r])[:3]
        disc = [p for p in e if p not in picks][:2]
        out.append({"customer_id": c, **{f"pick_{i + 1}": (picks[i] if i < len(picks) else "") for i in range(3)},
                    **{f"discover_{i + 1}": (disc[i] if i < len(disc) else "") for i in range(2)}})
    df = pd.DataFrame(out, columns=["customer_id", *MERGE_FIELDS])
    path = ctx.export_csv(df, stem)
    named = bool((rows["product_name"].astype(str) != rows["product_id"].astype(str)).any())
    note = {} if named else {"note": "The picks are product ids: product names (and category-level picks) need a "
                                     "products table (`mka ingest --products FILE` with product_id, name, category)"}
    return {"merge_fields": list(MERGE_FIELDS), "line": MERGE_LINE.get(channel, MERGE_LINE["email"]), **note,
            "export_csv": path, "n_customers": int(len(df)), "example": out[0],
            "method": _NAMES.get(res["method"], res["method"]),
            "backtest_line": backtest_line(res["method"], res.get("backtest") or {})}
