"""recommend_products: what a customer (or a segment) will most likely buy next, with the backtest."""

from __future__ import annotations

from typing import Optional

import pandas as pd
from langchain_core.tools import BaseTool, StructuredTool

from ._common import ToolArgError, safe_tool
from .context import ToolContext
from .results import RecommendResult, ResultKind

__all__ = ["make_recommend_tools", "recommend_products_impl", "backtest_line", "MAX_K"]

MAX_K = 20
_NAMES = {"g-topfreq": "G-TopFreq (global popularity)", "p-topfreq": "P-TopFreq (own purchase frequency)",
          "tifu-knn": "TIFU-KNN (time-decayed own + nearest customers)"}


def backtest_line(method: str, bt: dict, k: int = 10) -> str:
    """The chosen method's backtest Recall@k / NDCG@k beside each baseline's."""
    m = bt.get("methods") or {}
    if method not in m:
        return f"Backtest: {bt.get('error', 'not available')}."

    def f(v):
        return "-" if v is None else f"{v:.3f}"
    own = m[method]
    others = ", ".join(f"{_NAMES.get(b, b).split(' (')[0]} {f(s.get(f'recall@{k}'))}" for b, s in m.items()
                       if b != method)
    cuts = bt.get("cutoffs") or []
    return (f"Backtest (next basket after {len(cuts)} cutoff{'s' if len(cuts) != 1 else ''}"
            f"{' ' + ', '.join(cuts) if cuts else ''}, {own.get('n')} customer-baskets): "
            f"{_NAMES.get(method, method).split(' (')[0]} Recall@{k} {f(own.get(f'recall@{k}'))} vs {others}; "
            f"NDCG@{k} {f(own.get(f'ndcg@{k}'))}, repeat-item recall {f(own.get(f'recall_repeat@{k}'))}, "
            f"explore-item recall {f(own.get(f'recall_explore@{k}'))}.")


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

    return [StructuredTool.from_function(recommend_products, parse_docstring=True)]
