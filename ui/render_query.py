"""The ``query_data`` result: the restatement, the table, a line (time) or bar chart, the notes, the SQL
behind a "show query" disclosure and the CSV download."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from .view import MAX_TABLE_ROWS, Chart, Table, View, download, frame, round_floats

__all__ = ["render_query"]


def render_query(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    view.markdown.append(f"**{result.get('restatement', 'Query')}**")
    for note in result.get("notes") or []:
        view.markdown.append(f"_Note: {note}_")
    rows = [r for r in result.get("rows") or [] if isinstance(r, Mapping)]
    if rows:
        df = round_floats(frame(rows, list(result.get("columns") or [])), 2)
        view.tables.append(Table(str(result.get("restatement", "query")), df.head(MAX_TABLE_ROWS)))
        by = list((result.get("spec") or {}).get("by") or [])
        if not by:  # a histogram, quantiles or concentration: their first column is the x axis
            by = [c for c in ("bin", "quantile", "top_pct") if c in df.columns][:1]
        skip = set(by) | {"low", "high", "n", "customers in all"}
        numeric = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])]
        if "revenue share %" in df.columns:
            numeric = ["revenue share %"]
        chart = result.get("chart")
        if by and numeric and len(df) > 1 and chart in ("line", "bar"):
            x, y = by[0], numeric[0]
            cdf = df[[x, y]].copy()
            cdf[x] = cdf[x].astype(str)
            view.charts.append(Chart(chart, cdf, x, y, f"{y} by {x}", sort=list(cdf[x])))
        path = download(result, rows, export_dir, "query")
        if path is not None:
            view.downloads.append(path)
    defs = result.get("definitions") or {}
    if defs:
        view.cards.append("Definitions: " + "; ".join(f"**{k}**: {v}" for k, v in defs.items()))
    if result.get("sql"):
        view.cards.append(f"<details><summary>Show query</summary>\n\n```sql\n{result['sql']}\n```\n"
                          f"parameters: {result.get('params')}\n</details>")
    return view
