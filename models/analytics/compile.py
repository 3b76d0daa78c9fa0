"""QuerySpec -> parameterised SQL over the engine's views. User values travel only as parameters; the only
numbers written into the SQL text are validated floats (quantiles) and the layer's own fragments."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .layer import FACT_TIME, JOINS, PRODUCT_DIMENSIONS, PRODUCT_ID, Layer
from .spec import CustomerCondition, Filter, OrderCondition, PurchaseCondition, QuerySpec

__all__ = ["CompiledQuery", "Context", "compile_spec", "compile_concentration", "compile_distribution",
           "default_sort", "is_new_mode"]

_PRODUCT = {d.name for d in PRODUCT_DIMENSIONS} | {PRODUCT_ID.name}
_JOIN_ORDER = ("p", "c", "s", "cl", "fo", "r")
_CALENDAR = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: list


@dataclass(frozen=True)
class Context:
    """What the query resolved before compiling: the window, non-merchandise names, the last order date."""

    window: tuple[pd.Timestamp, pd.Timestamp] | None = None  # [start, end)
    non_merchandise: tuple[list[str], list[str]] | None = None  # (categories, departments) to leave out
    anchor: pd.Timestamp | None = None  # the last order date (midnight); relative measures count from it
    range_kinds: dict = field(default_factory=dict)  # dimension -> "number" | "text" for range filters
    purchase_windows: tuple = ()  # per purchase condition: its [start, end) or None (all history)


def default_sort(spec: QuerySpec, layer: Layer) -> tuple[str, bool]:
    """(column, descending): time order for a time breakdown, else the first metric, largest first;
    ``bottom`` flips the metric order (smallest first)."""
    if spec.sort:
        col, desc = spec.sort, spec.descending
    elif spec.by and layer.dimensions[spec.by[0]].time and spec.limit is None:
        return spec.by[0], False
    else:
        col, desc = ("change" if spec.compare else spec.metrics[0]), True
    if spec.bottom is not None:
        desc = not desc if spec.sort else False
    return col, desc


def is_new_mode(spec: QuerySpec, layer: Layer, window) -> str:
    """How new_customers is decided: "period" (first order in the row's period), "window" or "all"."""
    if spec.by and spec.by[0] in _CALENDAR:
        return "period"
    return "window" if window is not None else "all"


def _p(ts: pd.Timestamp):
    return pd.Timestamp(ts).to_pydatetime()


def _measure_sql(measure: str, layer: Layer, alias: str) -> str:
    ok = layer.order_key(alias)
    return {"revenue": f"SUM({alias}.amount)", "orders": f"COUNT(DISTINCT {ok})", "line_items": "COUNT(*)",
            "units": f"SUM(COALESCE({alias}.quantity, 1))",
            "avg_basket": f"SUM({alias}.amount) / NULLIF(COUNT(DISTINCT {ok}), 0)",
            "days_since_last_order": f"date_diff('day', CAST(max({alias}.timestamp) AS DATE), CAST(? AS DATE))",
            "days_since_first_order": f"date_diff('day', CAST(min({alias}.timestamp) AS DATE), CAST(? AS DATE))",
            "stores": f"COUNT(DISTINCT {alias}.store_id)", "products": f"COUNT(DISTINCT {alias}.product_id)",
            }[measure]


def _having(m: str, op: str, value, pre: list) -> tuple[str, list]:
    """``m op ?`` (or ``m >= ? AND m <= ?`` for between) and its parameters; ``pre`` are the parameters ``m``
    itself takes (the anchor date of a days-since measure), repeated for each use of ``m``."""
    if op == "between":
        return f"{m} >= ? AND {m} <= ?", pre + [float(value[0])] + pre + [float(value[1])]
    return f"{m} {op} ?", pre + [float(value)]


def _joined(fact: str, joins, sep: str = "\n") -> str:
    """``<fact> f`` and its joins, in the one order the aliases need."""
    return f"{fact} f" + "".join(f"{sep}{JOINS[j]}" for j in _JOIN_ORDER if j in joins)


def _condition_sql(c: CustomerCondition, layer: Layer, ctx: Context) -> tuple[str, list]:
    """``f.customer_id IN (...)`` for one customer-level condition, measured on orders."""
    params: list = []
    relative = c.measure.startswith("days_since")
    where = ""
    if ctx.window is not None and not relative:
        where = " WHERE o.timestamp >= ? AND o.timestamp < ?"
    m = _measure_sql(c.measure, layer, "o")
    if c.op in ("top_pct", "bottom_pct"):
        if relative:
            params.append(_p(ctx.anchor))
        if where:
            params += [_p(ctx.window[0]), _p(ctx.window[1])]
        desc = "DESC" if c.op == "top_pct" else "ASC"
        sql = (f"f.customer_id IN (SELECT customer_id FROM (SELECT o.customer_id, {m} AS v FROM orders o{where} "
               f"GROUP BY o.customer_id) QUALIFY row_number() OVER (ORDER BY v {desc}, customer_id) "
               f"<= ceil(count(*) OVER () * ? / 100.0))")
        return sql, params + [float(c.value)]
    if where:
        params += [_p(ctx.window[0]), _p(ctx.window[1])]
    having, hp = _having(m, c.op, c.value, [_p(ctx.anchor)] if relative else [])
    return f"f.customer_id IN (SELECT o.customer_id FROM orders o{where} GROUP BY o.customer_id HAVING {having})", \
        params + hp


def _purchase_sql(pc: PurchaseCondition, window, layer: Layer, ctx: Context) -> tuple[str, list]:
    """``f.customer_id [NOT] IN (the customers with an order line matching the condition's filters in its window)``.
    Every line counts (fuel too): buying anything that matches is a purchase."""
    joins = {layer.dimensions[f.dimension].join for f in pc.filters} - {None, ""}
    where, params = ["f.customer_id IS NOT NULL"], []
    if window is not None:
        where.append("f.timestamp >= ? AND f.timestamp < ?")
        params += [_p(window[0]), _p(window[1])]
    for flt in pc.filters:
        s, p = _filter_sql(flt, layer, "orders", ctx)
        where.append(s)
        params += p
    sub = f"SELECT f.customer_id FROM {_joined('orders', joins, ' ')} WHERE " + " AND ".join(where)
    return f"f.customer_id {'' if pc.bought else 'NOT '}IN ({sub})", params


def _order_sql(c: OrderCondition, layer: Layer) -> tuple[str, list]:
    """``<order key> IN (the baskets whose whole-basket measure satisfies the condition)``."""
    having, hp = _having(_measure_sql(c.measure, layer, "o"), c.op, c.value, [])
    ok, oo = layer.order_key("f"), layer.order_key("o")
    return f"{ok} IN (SELECT {oo} FROM orders o GROUP BY ALL HAVING {having})", hp


TARGETING = {"campaign": "CAST(campaign_id AS VARCHAR)", "campaign_type": "COALESCE(campaign_type, 'Unknown')"}


def is_targeting(dim: str, layer: Layer, fact: str) -> bool:
    """A campaign filter on a fact with no campaign link (orders): keeps the customers the campaigns targeted."""
    return dim in TARGETING and fact not in layer.dimensions[dim].facts and "campaigns" in layer.columns


def _filter_sql(flt: Filter, layer: Layer, fact: str, ctx: Context) -> tuple[str, list]:
    if is_targeting(flt.dimension, layer, fact):
        col = TARGETING[flt.dimension]
        neg = "NOT " if flt.op == "not_in" else ""
        return (f"f.customer_id {neg}IN (SELECT customer_id FROM campaigns WHERE list_contains(?, {col}))",
                [list(flt.values)])
    d = layer.dim_sql(flt.dimension, fact)
    if flt.op in ("equals", "in"):
        return f"list_contains(?, CAST({d} AS VARCHAR))", [list(flt.values)]
    if flt.op == "not_in":
        return f"NOT list_contains(?, COALESCE(CAST({d} AS VARCHAR), ''))", [list(flt.values)]
    if flt.op in ("contains", "not_contains"):
        neg = "NOT " if flt.op == "not_contains" else ""
        return f"{neg}(" + " OR ".join(f"contains(lower(COALESCE(CAST({d} AS VARCHAR), '')), ?)" for _ in flt.values) \
            + ")", [v.lower() for v in flt.values]
    number = ctx.range_kinds.get(flt.dimension) == "number"
    expr = f"TRY_CAST({d} AS DOUBLE)" if number else f"CAST({d} AS VARCHAR)"
    conv = float if number else str
    parts, params = [], []
    if flt.min is not None:
        parts.append(f"{expr} >= ?")
        params.append(conv(flt.min))
    if flt.max is not None:
        parts.append(f"{expr} <= ?")
        params.append(conv(flt.max))
    return "(" + " AND ".join(parts) + ")", params


def _joins_for(spec: QuerySpec, layer: Layer, names, extra: tuple[str, ...] = ()) -> set[str]:
    joins = set(extra)
    fact = layer.fact_of(spec.metrics) if spec.metrics else "orders"
    for n in names:
        if is_targeting(n, layer, fact) and n not in spec.by:
            continue  # read by a sub-query on campaigns, no join
        j = layer.dimensions[n].join
        if j:
            joins.add(j)
    return joins


def _where_parts(spec: QuerySpec, layer: Layer, ctx: Context, fact: str) -> list[tuple[str, list, bool]]:
    """Each WHERE clause with its parameters, and whether it reads the products join ``p``."""
    parts: list[tuple[str, list, bool]] = []
    if ctx.window is not None:
        if fact == "campaigns":  # a campaign counts in a window it overlaps
            parts.append(("f.start_date < ? AND f.end_date >= ?", [_p(ctx.window[1]), _p(ctx.window[0])], False))
        else:
            ts = f"f.{FACT_TIME[fact]}"
            parts.append((f"{ts} >= ? AND {ts} < ?", [_p(ctx.window[0]), _p(ctx.window[1])], False))
    for flt in spec.filters:
        s, p = _filter_sql(flt, layer, fact, ctx)
        parts.append((s, p, layer.dimensions[flt.dimension].join == "p"))
    nm = ctx.non_merchandise
    if nm is not None:
        cats, depts = nm
        if cats and layer.has("products", "category"):
            parts.append(("NOT list_contains(?, COALESCE(p.category, ''))", [list(cats)], True))
        if depts and layer.has("products", "department"):
            parts.append(("NOT list_contains(?, COALESCE(p.department, ''))", [list(depts)], True))
    if spec.inactive_days is not None:
        parts.append(("f.customer_id IN (SELECT customer_id FROM orders GROUP BY customer_id HAVING max(timestamp) < ?)",
                      [_p(ctx.anchor + pd.Timedelta(days=1) - pd.Timedelta(days=spec.inactive_days))], False))
    for c in spec.customer_conditions:
        s, p = _condition_sql(c, layer, ctx)
        parts.append((s, p, False))
    for oc in spec.order_conditions:
        s, p = _order_sql(oc, layer)
        parts.append((s, p, False))
    windows = ctx.purchase_windows or (None,) * len(spec.purchase_conditions)
    for pc, w in zip(spec.purchase_conditions, windows):
        s, p = _purchase_sql(pc, w, layer, ctx)
        parts.append((s, p, False))
    return parts


def _from_where(spec: QuerySpec, layer: Layer, ctx: Context, fact: str, extra_joins: tuple[str, ...] = (),
                use_by: bool = True) -> tuple[str, list]:
    """``FROM fact f <joins> WHERE ...`` and its parameters."""
    names = (list(spec.by) if use_by else []) + [f.dimension for f in spec.filters]
    joins = _joins_for(spec, layer, names, extra_joins)
    nm = ctx.non_merchandise
    if nm is not None and (nm[0] or nm[1]):
        joins.add("p")
    sql = "FROM " + _joined(fact, joins)
    parts = _where_parts(spec, layer, ctx, fact)
    if parts:
        sql += "\nWHERE " + "\n  AND ".join(w for w, _, _ in parts)
    return sql, [x for _, p, _ in parts for x in p]


# metrics that add up over products: summed per product first, then joined to the (small) products table
_SUMMABLE = {"revenue", "line_items", "units", "discount", "coupon_discount"}


def _preaggregated(spec: QuerySpec, layer: Layer, ctx: Context, fact: str, metrics: list[str]) -> tuple[str, list] | None:
    """The ``m`` CTE body for a product breakdown of summable metrics: aggregate the lines per product (and the
    other dimensions) before the products join. None when it does not apply."""
    names = list(spec.by) + [f.dimension for f in spec.filters]
    product = [n for n in names if layer.dimensions[n].join == "p"]
    nm = ctx.non_merchandise
    if fact != "orders" or not metrics or not set(metrics) <= _SUMMABLE or not (product or (nm and (nm[0] or nm[1]))):
        return None
    other = [n for n in spec.by if layer.dimensions[n].join != "p"]
    inner_joins = _joins_for(spec, layer, [n for n in names if layer.dimensions[n].join != "p"])
    parts = _where_parts(spec, layer, ctx, fact)
    inner_sel = ["f.product_id"] + [f'{layer.group_sql(n, fact)} AS "{n}"' for n in other] + \
        [f'{layer.metrics[m].sql} AS "{m}"' for m in metrics]
    inner = f"SELECT {', '.join(inner_sel)}\nFROM " + _joined(fact, inner_joins)
    inner_where = [(w, p) for w, p, is_p in parts if not is_p]
    if inner_where:
        inner += "\nWHERE " + "\n  AND ".join(w for w, _ in inner_where)
    inner += "\nGROUP BY ALL"
    outer_sel = [f'{layer.group_sql(n, fact) if layer.dimensions[n].join == "p" else f"f.{chr(34)}{n}{chr(34)}"} '
                 f'AS "{n}"' for n in spec.by] + [f'SUM(f."{m}") AS "{m}"' for m in metrics]
    sql = f"SELECT {', '.join(outer_sel)}\nFROM ({inner}) f\n{JOINS['p']}"
    outer_where = [(w, p) for w, p, is_p in parts if is_p]
    if outer_where:
        sql += "\nWHERE " + "\n  AND ".join(w for w, _ in outer_where)
    if spec.by:
        sql += f"\nGROUP BY {', '.join(str(i + 1) for i in range(len(spec.by)))}"
    return sql, [x for _, p in inner_where for x in p] + [x for _, p in outer_where for x in p]


def compile_spec(spec: QuerySpec, layer: Layer, ctx: Context = Context(), *, order_and_limit: bool = True) -> CompiledQuery:
    """The SQL for ``spec`` (already validated, filter values already resolved to stored values)."""
    fact = layer.fact_of(spec.metrics)
    mode = is_new_mode(spec, layer, ctx.window)
    sel_params: list = []
    dims, select, order_cols = [], [], {}
    for i, name in enumerate(spec.by):
        d = layer.dimensions[name]
        dims.append(f'"{name}"')
        select.append(f'{layer.group_sql(name, fact)} AS "{name}"')
        if d.order_sql:
            order_cols[name] = f"_order_{i}"

    def metric_sql(m: str) -> tuple[str, list]:
        sql = layer.metrics[m].sql.replace("{order_key}", layer.order_key("f"))
        if "{is_new}" not in sql:
            return sql, []
        if mode == "period":
            return sql.replace("{is_new}", f"{layer.group_sql(spec.by[0], fact, 'fo.first_ts')} = "
                                           f"{layer.group_sql(spec.by[0], fact)}"), []
        if mode == "window":
            n = sql.count("{is_new}")
            return sql.replace("{is_new}", "fo.first_ts >= ?"), [_p(ctx.window[0])] * n
        return sql.replace("{is_new}", "TRUE"), []

    nr = [m for m in spec.metrics if layer.metrics[m].joins == ("fo",)]  # new / returning: per (group, customer)
    line_metrics = [m for m in spec.metrics if not layer.metrics[m].two_level and m not in nr]
    metric_joins = tuple(j for m in line_metrics for j in layer.metrics[m].joins)
    for m in line_metrics:
        s, p = metric_sql(m)
        select.append(f'{s} AS "{m}"')
        sel_params += p
    pre = _preaggregated(spec, layer, ctx, fact, line_metrics) if not any(
        layer.dimensions[n].order_sql for n in spec.by) else None
    two = [m for m in spec.metrics if layer.metrics[m].two_level]
    # a breakdown of per-customer metrics only (repeat share, new / returning): the groups are listed from their CTE
    # (rp / nr, below: the same lines, so the same groups) instead of by one more pass over the lines
    listed = ("rp" if two else "nr") if spec.by and not line_metrics and (two or nr) else None
    if pre is not None:
        ctes, params = [f"m AS ({pre[0]})"], list(pre[1])
    elif listed:
        ctes, params = [], []
    else:
        base, base_params = _from_where(spec, layer, ctx, fact, metric_joins)
        group = f"\nGROUP BY {', '.join(str(i + 1) for i in range(len(spec.by)))}" if spec.by else ""
        ctes = [f"m AS (SELECT {', '.join(select)}\n{base}{group})" if select else "m AS (SELECT 1 AS _one)"]
        params = sel_params + base_params if select else []
    final = [f'{layer.label(n, f"m.{chr(34)}{n}{chr(34)}")} AS "{n}"' for n in spec.by] + \
        [f'm."{n}" AS {c}' for n, c in order_cols.items()]
    joins = ""
    on = " AND ".join(f'm."{n}" IS NOT DISTINCT FROM {{a}}."{n}"' for n in spec.by) or "TRUE"
    if two:  # repeat_customer_share / repeat_customers: per (group, customer) first, from its distinct orders (a
        # GROUP BY, not COUNT(DISTINCT) beside min / max, which DuckDB runs at about half the speed)
        inner = [f'{layer.group_sql(n, fact)} AS "{n}"' for n in spec.by]
        ts = FACT_TIME[fact]
        b2, p2 = _from_where(spec, layer, ctx, fact)
        ctes.append(f"rp AS (SELECT {', '.join(dims + [''])}AVG(CASE WHEN n >= 2 THEN 1.0 ELSE 0.0 END) AS "
                    f"repeat_customer_share, CAST(SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END) AS BIGINT) AS repeat_customers, "
                    f"AVG(CASE WHEN n >= 2 THEN span * 1.0 / (n - 1) END) AS days_between_orders"
                    f"\nFROM (SELECT {', '.join(dims + [''])}customer_id, count(_o) AS n, "
                    f"date_diff('day', CAST(min(lo) AS DATE), CAST(max(hi) AS DATE)) AS span"
                    f"\nFROM (SELECT {', '.join(inner + [''])}f.customer_id, {layer.order_key('f')} AS _o, "
                    f"min(f.{ts}) AS lo, max(f.{ts}) AS hi\n{b2}\nGROUP BY ALL) GROUP BY ALL)"
                    + (f" GROUP BY {', '.join(dims)})" if dims else ")"))
        params += p2
        joins += f"\nLEFT JOIN rp ON {on.format(a='rp')}"
    if nr:  # the customers of each group first, then their first order: a small join instead of one per line
        inner = [f'{layer.group_sql(n, fact)} AS "{n}"' for n in spec.by]
        b4, p4 = _from_where(spec, layer, ctx, fact)
        if mode == "period":
            cond, cp = f'{layer.group_sql(spec.by[0], fact, "fo.first_ts")} = g."{spec.by[0]}"', []
        elif mode == "window":
            cond, cp = "fo.first_ts >= ?", [_p(ctx.window[0])]
        else:
            cond, cp = "TRUE", []
        ctes.append(f"nr AS (SELECT {', '.join(dims + [''])}COUNT(*) FILTER (WHERE {cond}) AS new_customers, "
                    f"COUNT(*) FILTER (WHERE NOT ({cond})) AS returning_customers, "
                    f"AVG(CASE WHEN {cond} THEN 1.0 ELSE 0.0 END) AS new_customer_share, "
                    f"AVG(CASE WHEN NOT ({cond}) THEN 1.0 ELSE 0.0 END) AS returning_customer_share, "
                    f"COALESCE(SUM(amt) FILTER (WHERE {cond}), 0) AS new_customer_revenue, "
                    f"COALESCE(SUM(amt) FILTER (WHERE NOT ({cond})), 0) AS returning_customer_revenue\n"
                    f"FROM (SELECT {', '.join(inner + [''])}f.customer_id, SUM(f.amount) AS amt\n{b4}\nGROUP BY ALL) g\n"
                    f"LEFT JOIN (SELECT customer_id, min(timestamp) AS first_ts FROM orders GROUP BY customer_id) fo "
                    f"ON g.customer_id = fo.customer_id" + (f"\nGROUP BY {', '.join(dims)})" if dims else ")"))
        params += cp * 6 + p4
        joins += f"\nLEFT JOIN nr ON {on.format(a='nr')}"
    for m in spec.metrics:
        final.append(f'rp."{m}"' if m in two else f'nr."{m}"' if m in nr else f'm."{m}"')
    if spec.share_of_total:
        tsel, tparams = [], []
        for m in line_metrics + nr:
            s, p = metric_sql(m)
            if "{is_new}" in layer.metrics[m].sql and mode == "period":
                s, p = layer.metrics[m].sql.replace("{is_new}", "TRUE" if ctx.window is None else "fo.first_ts >= ?") \
                    .replace("{order_key}", layer.order_key("f")), ([] if ctx.window is None else [_p(ctx.window[0])])
            tsel.append(f'{s} AS "{m}"')
            tparams += p
        b3, p3 = _from_where(spec, layer, ctx, fact, metric_joins + (("fo",) if nr else ()), use_by=False)
        ctes.append(f"t AS (SELECT {', '.join(tsel)}\n{b3})")
        params += tparams + p3
        joins += "\nCROSS JOIN t"
        final += [f'100.0 * {"nr" if m in nr else "m"}."{m}" / NULLIF(t."{m}", 0) AS "{m} % of total"'
                  for m in line_metrics + nr]
    if listed:
        ctes.append(f"m AS (SELECT DISTINCT {', '.join(dims)} FROM {listed})")
    sql = "WITH " + ",\n".join(ctes) + f"\nSELECT {', '.join(final)}\nFROM m{joins}"
    if order_and_limit and spec.by:
        col, desc = default_sort(spec, layer)
        if col == "share":
            col = f"{(line_metrics + nr)[0]} % of total"
        key = order_cols.get(col, f'"{col}"')
        sql += f"\nORDER BY {key} {'DESC' if desc else 'ASC'} NULLS LAST"
        sql += "".join(f', "{d}"' for d in spec.by if d != col)
        if spec.limit and spec.top_per:  # the first N within each value of one dimension
            part = ", ".join(f'"{d}"' for d in spec.by if d != col and d == spec.top_per)
            sql = (f"SELECT * FROM ({sql}) q QUALIFY row_number() OVER (PARTITION BY {part} ORDER BY "
                   f"{key.replace(chr(34), '') if key.startswith('_order') else key} {'DESC' if desc else 'ASC'} "
                   f"NULLS LAST) <= ?\nORDER BY {part}, {key} {'DESC' if desc else 'ASC'} NULLS LAST")
            params.append(int(spec.limit))
        elif spec.limit:
            sql += "\nLIMIT ?"
            params.append(int(spec.limit))
    return CompiledQuery(sql, params)


def _per_unit(spec: QuerySpec, layer: Layer, ctx: Context, measure: str, per: str) -> tuple[str, list]:
    """``pc(key, v)``: the measure per customer (or per order), over the spec's window and filters."""
    base, params = _from_where(spec, layer, ctx, "orders", use_by=False)
    key = "f.customer_id" if per == "customer" else layer.order_key("f")
    m = _measure_sql(measure, layer, "f")
    pre = [_p(ctx.anchor)] if measure.startswith("days_since") else []
    return f"pc AS (SELECT {key} AS k, {m} AS v\n{base}\nGROUP BY 1)", pre + params


def compile_concentration(spec: QuerySpec, layer: Layer, ctx: Context) -> CompiledQuery:
    c = spec.concentration
    measure = c.measure or spec.metrics[0]
    pc, params = _per_unit(spec, layer, ctx, measure, "customer")
    if c.share_pct:  # how few of the biggest customers make X% of the total
        sql = (f"WITH {pc},\nr AS (SELECT v, row_number() OVER (ORDER BY v DESC, k) AS rn, count(*) OVER () AS n, "
               f"sum(v) OVER () AS total, sum(v) OVER (ORDER BY v DESC, k ROWS UNBOUNDED PRECEDING) AS cum FROM pc),\n"
               f"q AS (SELECT unnest(?::DOUBLE[]) AS share_pct)\n"
               f'SELECT q.share_pct AS "target share %", min(r.rn) AS customers, any_value(r.n) AS "customers in all", '
               f'100.0 * min(r.rn) / any_value(r.n) AS "customers %", '
               f'min(r.cum) AS "{measure}", any_value(r.total) AS "total {measure}", '
               f'100.0 * min(r.cum) / NULLIF(any_value(r.total), 0) AS "{measure} share %"\n'
               f"FROM q JOIN r ON r.cum >= r.total * q.share_pct / 100.0\nGROUP BY q.share_pct ORDER BY q.share_pct")
        return CompiledQuery(sql, params + [[float(p) for p in c.share_pct]])
    if c.top_n:  # the N biggest customers and their share
        sql = (f"WITH {pc},\nr AS (SELECT v, row_number() OVER (ORDER BY v DESC, k) AS rn, count(*) OVER () AS n, "
               f"sum(v) OVER () AS total FROM pc),\nq AS (SELECT unnest(?::BIGINT[]) AS top_n)\n"
               f'SELECT q.top_n, count(r.v) AS customers, any_value(r.n) AS "customers in all", '
               f'sum(r.v) AS "{measure}", any_value(r.total) AS "total {measure}", '
               f'100.0 * sum(r.v) / NULLIF(any_value(r.total), 0) AS "{measure} share %"\n'
               f"FROM q JOIN r ON r.rn <= q.top_n\nGROUP BY q.top_n ORDER BY q.top_n")
        return CompiledQuery(sql, params + [[int(n) for n in c.top_n]])
    sql = (f"WITH {pc},\nr AS (SELECT v, row_number() OVER (ORDER BY v DESC, k) AS rn, count(*) OVER () AS n, "
           f"sum(v) OVER () AS total FROM pc),\nq AS (SELECT unnest(?::DOUBLE[]) AS top_pct)\n"
           f'SELECT q.top_pct, count(r.v) AS customers, any_value(r.n) AS "customers in all", '
           f'sum(r.v) AS "{measure}", any_value(r.total) AS "total {measure}", '
           f'100.0 * sum(r.v) / NULLIF(any_value(r.total), 0) AS "{measure} share %"\n'
           f"FROM q JOIN r ON r.rn <= ceil(r.n * q.top_pct / 100.0)\nGROUP BY q.top_pct ORDER BY q.top_pct")
    return CompiledQuery(sql, params + [[float(p) for p in c.top_pct]])


DEFAULT_QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


def compile_distribution(spec: QuerySpec, layer: Layer, ctx: Context) -> CompiledQuery:
    d = spec.distribution
    pc, params = _per_unit(spec, layer, ctx, d.measure, d.per)
    if d.bins is None:
        qs = ", ".join(repr(float(q)) for q in (d.quantiles or DEFAULT_QUANTILES))  # validated floats in [0, 1]
        sql = (f"WITH {pc}\nSELECT unnest([{qs}]) AS quantile, unnest(quantile_cont(v, [{qs}])) AS value, "
               f"count(*) AS n FROM pc")
        return CompiledQuery(sql, params)
    sql = (f"WITH {pc},\nb AS (SELECT min(v) AS lo, max(v) AS hi, count(*) AS n FROM pc)\n"
           f"SELECT COALESCE(LEAST(CAST(floor((v - lo) * ? / NULLIF(hi - lo, 0)) AS BIGINT), ? - 1), 0) AS bin, "
           f"count(*) AS count, any_value(lo) AS lo, any_value(hi) AS hi, any_value(n) AS n\n"
           f"FROM pc, b WHERE v IS NOT NULL GROUP BY 1 ORDER BY 1")
    return CompiledQuery(sql, params + [float(d.bins), int(d.bins)])
