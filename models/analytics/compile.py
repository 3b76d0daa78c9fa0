"""QuerySpec -> parameterised SQL over the engine's views. User values travel only as parameters."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .layer import PRODUCT_DIMENSIONS, Layer
from .spec import QuerySpec

__all__ = ["CompiledQuery", "compile_spec", "default_sort"]

_PRODUCT = {d.name for d in PRODUCT_DIMENSIONS}


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: list


def default_sort(spec: QuerySpec, layer: Layer) -> tuple[str, bool]:
    """(column, descending): time order for a time breakdown, else the first metric, largest first."""
    if spec.sort:
        return spec.sort, spec.descending
    if spec.by and layer.dimensions[spec.by[0]].time:
        return spec.by[0], False
    return ("change" if spec.compare else spec.metrics[0]), True


def compile_spec(spec: QuerySpec, layer: Layer, *, window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                 non_merchandise: tuple[list[str], list[str]] | None = None,
                 inactive_before: pd.Timestamp | None = None, order_and_limit: bool = True) -> CompiledQuery:
    """The SQL for ``spec`` (already validated, filter values already resolved to stored values).

    ``window``: [start, end) on the fact timestamp; ``non_merchandise``: (categories, departments) to leave out;
    ``inactive_before``: keep only customers whose last order is before this time.
    """
    fact = layer.metrics[spec.metrics[0]].fact
    params: list = []
    select, group, order_cols = [], [], {}
    for i, name in enumerate(spec.by):
        d = layer.dimensions[name]
        select.append(f'{d.sql} AS "{name}"')
        group.append(str(i + 1))
        if d.order_sql:
            order_cols[name] = f"_order_{i}"
            select.append(f"{d.order_sql} AS _order_{i}")
    for m in spec.metrics:
        select.append(f'{layer.metrics[m].sql.format(order_key=layer.order_key)} AS "{m}"')
    used = set(spec.by) | {f.dimension for f in spec.filters}
    need_p = bool(used & _PRODUCT) or bool(non_merchandise and (non_merchandise[0] or non_merchandise[1]))
    need_c = any(layer.dimensions[d].needs and layer.dimensions[d].needs[0][0] == "customers" for d in used)
    sql = f"SELECT {', '.join(select)}\nFROM {fact} f"
    if need_p:
        sql += "\nLEFT JOIN products p ON f.product_id = p.product_id"
    if need_c:
        sql += "\nLEFT JOIN customers c ON f.customer_id = c.customer_id"
    where = []
    if window is not None:
        where.append("f.timestamp >= ? AND f.timestamp < ?")
        params += [window[0].to_pydatetime(), window[1].to_pydatetime()]
    for flt in spec.filters:
        where.append(f"list_contains(?, CAST({layer.dimensions[flt.dimension].sql} AS VARCHAR))")
        params.append(list(flt.values))
    if non_merchandise is not None:
        cats, depts = non_merchandise
        if cats and layer.has("products", "category"):
            where.append("NOT list_contains(?, COALESCE(p.category, ''))")
            params.append(list(cats))
        if depts and layer.has("products", "department"):
            where.append("NOT list_contains(?, COALESCE(p.department, ''))")
            params.append(list(depts))
    if inactive_before is not None:
        where.append("f.customer_id IN (SELECT customer_id FROM orders GROUP BY customer_id "
                     "HAVING max(timestamp) < ?)")
        params.append(inactive_before.to_pydatetime())
    if where:
        sql += "\nWHERE " + "\n  AND ".join(where)
    if group:
        sql += "\nGROUP BY " + ", ".join(group)
    if order_and_limit and spec.by:
        col, desc = default_sort(spec, layer)
        key = order_cols.get(col, f'"{col}"')
        sql += f"\nORDER BY {key} {'DESC' if desc else 'ASC'} NULLS LAST"
        sql += "".join(f', "{d}"' for d in spec.by if d != col)
        if spec.top:
            sql += "\nLIMIT ?"
            params.append(int(spec.top))
    return CompiledQuery(sql, params)
