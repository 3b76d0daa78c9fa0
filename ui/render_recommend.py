"""The ``recommend`` result: the picks table (one customer's, or a segment's most shared), the method and its
backtest line, and the CSV download."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .view import MAX_TABLE_ROWS, Table, View, frame, round_floats

__all__ = ["render_recommend"]


def render_recommend(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    who = (f"customer {result['customer_id']}" if result.get("customer_id")
           else f"segment {result['segment']}" if result.get("segment") else "all customers")
    view.markdown.append(f"**Next-basket picks for {who}** · as of {result.get('as_of')}  \n"
                         f"Method: {result.get('method')}")
    if result.get("picks"):
        rows = list(result["picks"])
        view.tables.append(Table("Recommended products", round_floats(
            frame(rows, ["rank", "product_name", "product_id", "score", "kind"]), 3).head(MAX_TABLE_ROWS)))
    elif result.get("segment_picks"):
        rows = list(result["segment_picks"])
        view.tables.append(Table(f"Picks shared by most of {result.get('n_customers')} customers", round_floats(
            frame(rows, ["product_name", "product_id", "customers", "mean_rank", "repeat_share"]), 2)))
    else:
        rows = []
    if result.get("backtest_line"):
        view.cards.append(str(result["backtest_line"]))
    view.offer_download(result, rows, export_dir, "recommendations")
    return view
