"""run_query(ws, spec): answer one QuerySpec on DuckDB and say in plain words what was computed."""

from __future__ import annotations

import difflib
import math
from typing import Any, Mapping

import pandas as pd

from models.data.errors import WorkspaceError
from models.data.workspace import Workspace
from models.features import default_as_of

from .compile import _PRODUCT, compile_spec, default_sort
from .engine import connect, table_columns
from .layer import Layer, build_layer, is_non_merchandise
from .spec import Filter, QueryError, QuerySpec, parse_window

__all__ = ["run_query", "describe_layer", "QueryError", "QuerySpec"]

MAX_LISTED = 40


def describe_layer(ws: Workspace) -> dict[str, Any]:
    """The metrics and dimensions this workspace supports, their definitions, and why others are unavailable."""
    layer = build_layer(table_columns(ws))
    return {"metrics": {k: m.definition for k, m in layer.metrics.items()},
            "dimensions": {k: d.definition for k, d in layer.dimensions.items()},
            "unavailable": dict(layer.unavailable)}


def _fact_from(layer: Layer, fact: str, dim: str) -> str:
    sql = f"FROM {fact} f"
    needs = layer.dimensions[dim].needs
    if needs and needs[0][0] == "products":
        sql += " LEFT JOIN products p ON f.product_id = p.product_id"
    if needs and needs[0][0] == "customers":
        sql += " LEFT JOIN customers c ON f.customer_id = c.customer_id"
    return sql


def _resolve_filters(con, layer: Layer, spec: QuerySpec, fact: str) -> tuple[Filter, ...]:
    out = []
    for f in spec.filters:
        d = layer.dimensions[f.dimension]
        stored = [r[0] for r in con.execute(
            f"SELECT DISTINCT CAST({d.sql} AS VARCHAR) AS v {_fact_from(layer, fact, f.dimension)} "
            f"WHERE v IS NOT NULL ORDER BY v").fetchall()]
        lower = {}
        for v in stored:
            lower.setdefault(v.lower(), v)
        values = []
        for v in f.values:
            hit = v if v in stored else lower.get(v.strip().lower())
            if hit is None:
                close = difflib.get_close_matches(v, stored, n=3, cutoff=0.5) or \
                    [s for s in stored if v.strip().lower() in s.lower()][:3]
                hint = f" (closest: {', '.join(close)})" if close else ""
                listed = ", ".join(stored[:MAX_LISTED]) + (f", ... ({len(stored)} in all)" if len(stored) > MAX_LISTED else "")
                raise QueryError(f"no {f.dimension} called {v!r}{hint}; valid {f.dimension} values: {listed}")
            values.append(hit)
        out.append(Filter(f.dimension, tuple(values), f.op))
    return tuple(out)


def _non_merchandise(con, layer: Layer, spec: QuerySpec) -> tuple[list[str], list[str]] | None:
    if spec.include_non_merchandise or not (set(spec.by) & _PRODUCT):
        return None
    if any(f.dimension in _PRODUCT and all(is_non_merchandise(v) for v in f.values) for f in spec.filters):
        return None  # the user asked for those lines by name
    lists = []
    for col in ("category", "department"):
        if layer.has("products", col):
            vals = [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM products WHERE {col} IS NOT NULL").fetchall()]
            lists.append(sorted(v for v in vals if is_non_merchandise(v)))
        else:
            lists.append([])
    return (lists[0], lists[1]) if lists[0] or lists[1] else None


def _clean(v: Any, money: bool) -> Any:
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return round(v, 2 if money else 4)
    if hasattr(v, "item"):
        return _clean(v.item(), money)
    return v


def _fetch(con, spec: QuerySpec, layer: Layer, **kw) -> tuple[pd.DataFrame, str, list]:
    q = compile_spec(spec, layer, **kw)
    df = con.execute(q.sql, q.params).fetchdf()
    return df.drop(columns=[c for c in df.columns if str(c).startswith("_order_")]), q.sql, q.params


def run_query(ws: Workspace, spec: QuerySpec | Mapping[str, Any]) -> dict[str, Any]:
    """Rows for ``spec`` plus the restatement, the SQL and parameters, the definitions used and a chart kind.

    Raises QueryError (unknown or unavailable names, values, periods) and WorkspaceError (no orders table).
    """
    if not isinstance(spec, QuerySpec):
        spec = QuerySpec.from_dict(spec)
    columns = table_columns(ws)
    if "orders" not in columns:
        raise WorkspaceError(ws._missing_hint("orders"))
    layer = build_layer(columns)
    spec.validate(layer)
    fact = layer.metrics[spec.metrics[0]].fact
    con = connect(ws)
    try:
        filters = _resolve_filters(con, layer, spec, fact)
        spec = QuerySpec(**{**spec.__dict__, "filters": filters})
        non_merch = _non_merchandise(con, layer, spec)
        notes: list[str] = []
        inactive_before = as_of = None
        if spec.inactive_days is not None:
            last = con.execute("SELECT max(timestamp) FROM orders").fetchone()[0]
            as_of = default_as_of(pd.Timestamp(last))
            inactive_before = as_of - pd.Timedelta(days=spec.inactive_days)
        kw = {"non_merchandise": non_merch, "inactive_before": inactive_before}
        if spec.compare:
            (a0, a1, la), (b0, b1, lb) = parse_window(spec.compare[0]), parse_window(spec.compare[1])
            da, sql, params = _fetch(con, spec, layer, window=(a0, a1), order_and_limit=False, **kw)
            db, _, params_b = _fetch(con, spec, layer, window=(b0, b1), order_and_limit=False, **kw)
            df = _compare(spec, da, db, la, lb)
            params = params + ["-- second window:"] + params_b
            col, desc = default_sort(spec, layer)
            col = {"change": f"{spec.metrics[0]} change", "pct_change": f"{spec.metrics[0]} % change"}.get(col, col)
            if spec.by:
                df = df.sort_values(col, ascending=not desc, na_position="last", kind="stable")
                if spec.top:
                    df = df.head(spec.top)
            window_label = f"{lb} vs {la}"
        else:
            window = None
            window_label = None
            if spec.start or spec.end:
                start = parse_window(spec.start)[0] if spec.start else pd.Timestamp("1900-01-01")
                end = parse_window(spec.end)[1] if spec.end else pd.Timestamp("2200-01-01")
                window = (start, end)
                window_label = f"{spec.start or 'the start'} to {spec.end or 'the end of the data'}"
            df, sql, params = _fetch(con, spec, layer, window=window, **kw)
    finally:
        con.close()
    money = {m for m in spec.metrics if layer.metrics[m].money}
    rows = [{k: _clean(v, any(k == m or k.startswith(m + " ") for m in money) and "%" not in k)
             for k, v in r.items()} for r in df.to_dict("records")]
    if non_merch:
        names = non_merch[0] + non_merch[1]
        notes.append(f"non-merchandise lines (fuel, coupons, misc) are left out of this ranking: {', '.join(names)}")
    elif not (set(spec.by) & _PRODUCT) and fact == "orders" and "revenue" in spec.metrics:
        notes.append("revenue totals include every line (fuel, coupons and misc transactions too)")
    if as_of is not None:
        notes.append(f"inactive: last order before {inactive_before.date()} ({spec.inactive_days} days before "
                     f"the as-of date {as_of.date()}, the day after the last order)")
    time_first = bool(spec.by) and layer.dimensions[spec.by[0]].time
    definitions = {m: layer.metrics[m].definition for m in spec.metrics}
    definitions.update({d: layer.dimensions[d].definition for d in dict.fromkeys(list(spec.by) + [f.dimension for f in spec.filters])})
    return {"rows": rows, "columns": list(df.columns), "n_rows": len(rows),
            "restatement": _restate(spec, layer, window_label, non_merch),
            "sql": sql, "params": [str(p) for p in params], "definitions": definitions,
            "chart": "line" if time_first else "bar" if spec.by else "none",
            "notes": notes, "spec": spec.to_dict(), "as_of": None if as_of is None else as_of.date().isoformat()}


def _compare(spec: QuerySpec, da: pd.DataFrame, db: pd.DataFrame, la: str, lb: str) -> pd.DataFrame:
    by = list(spec.by)
    if by:
        df = da.merge(db, on=by, how="outer", suffixes=(" a", " b"))
    else:
        df = pd.concat([da.add_suffix(" a"), db.add_suffix(" b")], axis=1)
    out = df[by].copy() if by else pd.DataFrame(index=df.index)
    for m in spec.metrics:
        a = pd.to_numeric(df[f"{m} a"], errors="coerce").astype(float)
        b = pd.to_numeric(df[f"{m} b"], errors="coerce").astype(float)
        if m in ("revenue", "orders", "customers", "units", "line_items", "discount", "coupon_discount",
                 "coupon_redemptions", "redeeming_customers"):
            a, b = a.fillna(0.0), b.fillna(0.0)  # additive: absent in a window means none
        out[f"{m} {la}"] = a
        out[f"{m} {lb}"] = b
        out[f"{m} change"] = b - a
        out[f"{m} % change"] = ((b - a) / a.abs().where(a != 0)) * 100
    return out.reset_index(drop=True)


def _restate(spec: QuerySpec, layer: Layer, window_label: str | None, non_merch) -> str:
    words = " and ".join(m.replace("_", " ") for m in spec.metrics)
    text = words[0].upper() + words[1:]
    if spec.by:
        text += " by " + " and ".join(spec.by)
    for f in spec.filters:
        text += f", {f.dimension} = {f.values[0]}" if len(f.values) == 1 else f", {f.dimension} in {list(f.values)}"
    if spec.inactive_days is not None:
        text += f", customers who have not bought for {spec.inactive_days} days"
    if window_label:
        text += f", {window_label}"
    else:
        text += ", all data"
    if spec.by:
        col, desc = default_sort(spec, layer)
        if spec.top:
            text += f", top {spec.top} by {col}" if desc else f", bottom {spec.top} by {col}"
        elif not layer.dimensions.get(col) or not layer.dimensions[col].time:
            text += f", sorted by {col}" + (" (largest first)" if desc else "")
    if non_merch:
        text += "; non-merchandise (fuel, coupons, misc) excluded"
    return text
