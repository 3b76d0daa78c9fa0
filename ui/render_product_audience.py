"""The ``product_audience`` result: who will buy a category / named products in the window, the backtest line,
and the CSV download."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .view import MAX_TABLE_ROWS, Table, View, frame, round_floats

__all__ = ["render_product_audience"]


def render_product_audience(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    view.markdown.append(f"**Who will buy {result.get('resolved_label')} in the next {result.get('horizon_days')} "
                         f"days** · as of {result.get('as_of')}  \n"
                         f"{result.get('n_products')} products; expected buyers {result.get('expected_buyers')} of "
                         f"{result.get('n_customers')} customers. Model: {result.get('model')}")
    for note in result.get("notes") or []:
        view.markdown.append(f"_{note}_")
    rows = list(result.get("customers") or [])
    if rows:
        view.tables.append(Table("Most likely buyers", round_floats(
            frame(rows, ["customer_id", "probability", "bought_before", "days_since_last"]), 3).head(MAX_TABLE_ROWS)))
    if result.get("backtest_line"):
        view.cards.append(str(result["backtest_line"]))
    view.offer_download(result, rows, export_dir, "product_audience")
    return view
