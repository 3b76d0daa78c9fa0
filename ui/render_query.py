"""The ``query_data`` result: the restatement, the table, a line (time) or bar chart, the notes, the SQL
behind a "show query" disclosure and the CSV download."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from .vega import comparison_spec
from .view import MAX_TABLE_ROWS, Chart, Table, View, frame, round_floats

__all__ = ["render_query", "comparison_chart"]

TIME_BUCKETS = ("day", "week", "month", "quarter", "year")
MAX_GROUPS = 15  # bars per period in a comparison chart; the table and the CSV hold every row


def _days(start: str, end: str) -> int:
    return (pd.Timestamp(end) - pd.Timestamp(start)).days + 1


def comparison_chart(result: Mapping[str, Any], df: pd.DataFrame) -> tuple[Chart | None, list[str]]:
    """A comparison of two windows (``spec.compare``): both periods in one chart — one line per period over
    "week 1, week 2, …" for a time breakdown, grouped bars otherwise — and the notes it needs (a window the data
    covers only in part, groups left out). None when the result is not a two-window comparison."""
    spec = result.get("spec") or {}
    windows = [w for w in result.get("windows") or [] if isinstance(w, Mapping) and w.get("label")]
    metrics = list(spec.get("metrics") or [])
    if not spec.get("compare") or len(windows) < 2 or not metrics:
        return None, []
    metric = metrics[0]
    cols = [f"{metric} {w['label']}" for w in windows]
    if not all(c in df.columns for c in cols):
        return None, []
    notes: list[str] = []
    as_of = result.get("as_of")
    names = []
    for w in windows:
        name = str(w["label"])
        if as_of and w.get("end") and w.get("start") and str(w["end"]) > str(as_of) >= str(w["start"]):
            covered, total = _days(w["start"], as_of), _days(w["start"], w["end"])
            name += " (partial)"
            notes.append(f"{w['label']} is partial: the data end on {as_of}, so it covers {covered} of its "
                         f"{total} days.")
        names.append(name)
    by = list(spec.get("by") or [])
    x = by[0] if by and by[0] in df.columns else None
    time_axis = bool(x) and x in TIME_BUCKETS
    rows: list[dict] = []
    if x is None:
        for name, col in zip(names, cols):
            rows.append({"x": metric, "label": metric, "period": name, "value": df[col].iloc[0]})
    elif time_axis:
        dates = pd.to_datetime(df[x].astype(str), errors="coerce")
        step = pd.Timedelta(days={"day": 1, "week": 7}.get(x, 1))
        for name, col, w in zip(names, cols, windows):
            start, end = pd.Timestamp(w["start"]), pd.Timestamp(w["end"])
            inside = df[(dates > start - step) & (dates <= end)].copy()
            inside = inside.assign(_d=dates[inside.index]).sort_values("_d")
            for i, (_, r) in enumerate(inside.iterrows(), start=1):
                rows.append({"x": f"{x} {i}", "label": str(r[x]), "period": name, "value": r[col]})
    else:
        shown = df
        if len(df) > MAX_GROUPS:
            order = df[cols].abs().max(axis=1).sort_values(ascending=False).index[:MAX_GROUPS]
            shown = df.loc[sorted(order)]
            notes.append(f"The chart shows the {MAX_GROUPS} {x} values with the largest {metric} of {len(df)}; "
                         f"the table and the CSV hold all.")
        for _, r in shown.iterrows():
            for name, col in zip(names, cols):
                rows.append({"x": str(r[x]), "label": str(r[x]), "period": name, "value": r[col]})
    if not rows:
        return None, notes
    title = f"{metric}: {names[0]} vs {names[1]}" + (f" by {x}" if x else "")
    money = any(w in metric.lower() for w in ("revenue", "sales", "spend", "amount", "value"))
    vspec = comparison_spec(rows, x=x or "metric", periods=names, title=title, metric=metric,
                            time_axis=time_axis, y_format="$,.0f" if money else ",.0f")
    return Chart("vega", pd.DataFrame(rows), "x", "value", title, color="period", spec=vspec), notes


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
        compared, compare_notes = comparison_chart(result, df)
        if compared is not None:  # both periods in one chart; the table keeps the change and % change
            view.charts.append(compared)
            view.markdown += [f"_Note: {n}_" for n in compare_notes]
        elif by and numeric and len(df) > 1 and chart in ("line", "bar"):
            x, y = by[0], numeric[0]
            cdf = df[[x, y]].copy()
            cdf[x] = cdf[x].astype(str)
            view.charts.append(Chart(chart, cdf, x, y, f"{y} by {x}", sort=list(cdf[x])))
        view.offer_download(result, rows, export_dir, "query")
    defs = result.get("definitions") or {}
    if defs:
        view.cards.append("Definitions: " + "; ".join(f"**{k}**: {v}" for k, v in defs.items()))
    if result.get("sql"):
        view.cards.append(f"<details><summary>Show query</summary>\n\n```sql\n{result['sql']}\n```\n"
                          f"parameters: {result.get('params')}\n</details>")
    return view
