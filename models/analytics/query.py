"""run_query(ws, spec): answer one QuerySpec on DuckDB and say in plain words what was computed."""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import replace
from typing import Any, Mapping

import pandas as pd

from models.data.errors import WorkspaceError
from models.data.workspace import Workspace

from .compile import (_PRODUCT, Context, is_targeting, compile_concentration, compile_distribution, compile_spec, default_sort,
                      is_new_mode)
from .engine import connect, table_columns
from .layer import JOINS, Layer, build_layer, is_non_merchandise
from .periods import Window, resolve_period
from .spec import Filter, QueryError, QuerySpec

__all__ = ["run_query", "describe_layer", "non_merchandise_override", "set_non_merchandise", "QueryError", "QuerySpec"]

MAX_LISTED = 40
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TIME_FORMS = {"day": (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD"), "week": (r"\d{4}-\d{2}-\d{2}", "the Monday, YYYY-MM-DD"),
               "month": (r"\d{4}-\d{2}", "YYYY-MM"), "quarter": (r"\d{4}-Q[1-4]", "YYYY-Qn"), "year": (r"\d{4}", "YYYY"),
               "hour": (r"\d{1,2}", "0-23")}


def non_merchandise_override(ws: Workspace) -> tuple[list[str], list[str]]:
    """The user's override of the non-merchandise rule, stored in the manifest at ingest (`mka ingest --non-merch /
    --merch`): (names that are non-merchandise too, names that are merchandise although the rule matches them)."""
    settings = ws.settings()
    return ([str(v) for v in settings.get("non_merchandise", []) or []],
            [str(v) for v in settings.get("merchandise", []) or []])


def set_non_merchandise(ws: Workspace, non_merch: list[str] | None = None, merch: list[str] | None = None) -> dict:
    """Store the override (names of categories or departments; checked against the products table when there is
    one). Returns {"non_merchandise", "merchandise", "excluded"}: the stored lists and what rankings now leave out."""
    known: dict[str, str] = {}
    if ws.has_table("products"):
        have = set(ws.table_info("products")["columns"])
        cols = [c for c in ("category", "department") if c in have]
        if cols:
            p = ws.read_table("products", columns=cols)
            for c in cols:
                for v in p[c].dropna().astype(str).unique():
                    known.setdefault(v.lower(), v)
    out = {}
    for key, names in (("non_merchandise", non_merch), ("merchandise", merch)):
        if names is None:
            continue
        clean = []
        for n in names:
            n = str(n).strip()
            if not n:
                continue
            if known and n.lower() not in known:
                close = difflib.get_close_matches(n, list(known.values()), n=3, cutoff=0.5) or \
                    [v for v in known.values() if n.lower() in v.lower()][:3]
                hint = f" (closest: {', '.join(close)})" if close else ""
                raise QueryError(f"no category or department called {n!r}{hint}")
            clean.append(known.get(n.lower(), n))
        ws.set_setting(key, clean or None)
        out[key] = clean
    extra, keep = non_merchandise_override(ws)
    excluded = sorted({v for v in known.values() if is_non_merchandise(v, extra, keep)})
    return {"non_merchandise": extra, "merchandise": keep, "excluded": excluded}


def describe_layer(ws: Workspace) -> dict[str, Any]:
    """The metrics and dimensions this workspace supports, their definitions, and why others are unavailable."""
    layer = build_layer(table_columns(ws))
    return {"metrics": {k: m.definition for k, m in layer.metrics.items()},
            "dimensions": {k: d.definition for k, d in layer.dimensions.items()},
            "unavailable": dict(layer.unavailable)}


def _stored_values(con, layer: Layer, fact: str, dim: str) -> list[str]:
    d = layer.dimensions[dim]
    if d.values_sql:
        sql = f"SELECT * FROM ({d.values_sql}) t(v) WHERE v IS NOT NULL ORDER BY v"
    else:
        j = f" {JOINS[d.join]}" if d.join else ""
        sql = (f"SELECT DISTINCT CAST({layer.dim_sql(dim, fact)} AS VARCHAR) AS v FROM {fact} f{j} "
               f"WHERE v IS NOT NULL ORDER BY v")
    return [r[0] for r in con.execute(sql).fetchall()]


def _listing(dim: str, stored: list[str]) -> str:
    return ", ".join(stored[:MAX_LISTED]) + (f", ... ({len(stored)} in all)" if len(stored) > MAX_LISTED else "")


def _money_text(v: Any) -> float:
    """50000, "50000", "$50,000", "50K" -> 50000.0"""
    if isinstance(v, (int, float)):
        return float(v)
    t = str(v).strip().lower().replace(",", "").replace("$", "")
    mult = 1000.0 if t.endswith("k") else 1e6 if t.endswith("m") else 1.0
    try:
        return float(t.rstrip("km")) * mult
    except ValueError:
        raise QueryError(f"range bound {v!r} is not a number") from None


def _band(v: str) -> tuple[float, float] | None:
    """ "35-44" -> (35, 44), "65+" -> (65, inf), "Under 15K" -> (0, 15000), "50-74K" -> (50000, 74000)."""
    t = v.strip().lower().replace(",", "").replace("$", "")
    k = 1000.0 if t.endswith("k") or "k " in t or "k+" in t else 1.0
    t = t.replace("k", "")
    m = re.fullmatch(r"(?:under|less than|<)\s*(\d+(?:\.\d+)?)", t)
    if m:
        return 0.0, float(m.group(1)) * k
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:\+|and over|or more)", t)
    if m:
        return float(m.group(1)) * k, math.inf
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:-|to)\s*(\d+(?:\.\d+)?)", t)
    if m:
        return float(m.group(1)) * k, float(m.group(2)) * k
    m = re.fullmatch(r"(\d+(?:\.\d+)?)", t)
    if m:
        return float(m.group(1)) * k, float(m.group(1)) * k
    return None


def _resolve_filters(con, layer: Layer, spec: QuerySpec, fact: str) -> tuple[tuple[Filter, ...], dict, list[str]]:
    out, kinds, notes = [], {}, []
    for f in spec.filters:
        d = layer.dimensions[f.dimension]
        if d.time:
            out.append(_time_filter(f))
            kinds[f.dimension] = "number" if f.dimension == "hour" else "text"
            continue
        if d.date and f.op == "range":
            out.append(f)
            kinds[f.dimension] = "text"
            continue
        stored = _stored_values(con, layer, fact, f.dimension)
        if f.op == "range":
            bands = {v: _band(v) for v in stored}
            numeric = all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in stored) and stored
            lo = -math.inf if f.min is None else _money_text(f.min)
            hi = math.inf if f.max is None else _money_text(f.max)
            if numeric:
                out.append(replace(f, min=None if f.min is None else lo, max=None if f.max is None else hi))
                kinds[f.dimension] = "number"
                continue
            if sum(b is not None for b in bands.values()) >= max(1, len(stored) // 2):
                hit = [v for v, b in bands.items() if b is not None and b[0] <= hi and b[1] >= lo]
                if not hit:
                    raise QueryError(f"no {f.dimension} band falls in the range {f.min}..{f.max}; "
                                     f"{f.dimension} values: {_listing(f.dimension, stored)}")
                partial = [v for v in hit if bands[v][0] < lo or bands[v][1] > hi]
                if partial:
                    notes.append(f"{f.dimension} is stored in bands: {', '.join(partial)} "
                                 f"{'is' if len(partial) == 1 else 'are'} only partly inside the range and counted")
                out.append(Filter(f.dimension, tuple(hit), "in"))
                continue
            out.append(f)
            kinds[f.dimension] = "text"
            continue
        if f.op in ("contains", "not_contains"):
            hits = [v for v in stored if any(x.strip().lower() in v.lower() for x in f.values)]
            if not hits:
                close = difflib.get_close_matches(f.values[0], stored, n=3, cutoff=0.5)
                hint = f" (closest: {', '.join(close)})" if close else ""
                raise QueryError(f"no {f.dimension} contains {' or '.join(map(repr, f.values))}{hint}; "
                                 f"valid {f.dimension} values: {_listing(f.dimension, stored)}")
            out.append(replace(f, values=tuple(x.strip() for x in f.values)))
            continue
        lower: dict[str, str] = {}
        for v in stored:
            lower.setdefault(v.lower(), v)
        values = []
        for v in f.values:
            hit = v if v in stored else lower.get(v.strip().lower())
            if hit is None:
                close = difflib.get_close_matches(v, stored, n=3, cutoff=0.5) or \
                    [s for s in stored if v.strip().lower() in s.lower()][:3]
                hint = f" (closest: {', '.join(close)})" if close else ""
                raise QueryError(f"no {f.dimension} called {v!r}{hint}; valid {f.dimension} values: "
                                 f"{_listing(f.dimension, stored)}")
            values.append(hit)
        out.append(Filter(f.dimension, tuple(values), f.op))
    return tuple(out), kinds, notes


def _time_filter(f: Filter) -> Filter:
    name = f.dimension

    def norm(v: Any) -> str:
        t = str(v).strip()
        if name == "weekday":
            hit = [w for w in _WEEKDAYS if w.lower().startswith(t.lower()[:3])] if len(t) >= 3 else []
            if not hit:
                raise QueryError(f"no weekday called {v!r}; valid: {', '.join(_WEEKDAYS)}")
            return hit[0]
        if name == "quarter":
            t = t.upper().replace("Q", "-Q").replace("--", "-")
        pattern, form = _TIME_FORMS[name]
        if not re.fullmatch(pattern, t):
            raise QueryError(f"{name} value {v!r} not understood: write it as {form}")
        return t

    if f.op == "range":
        if name == "weekday":
            raise QueryError("weekday has no range; list the days with 'in'")
        return replace(f, min=None if f.min is None else (float(f.min) if name == "hour" else norm(f.min)),
                       max=None if f.max is None else (float(f.max) if name == "hour" else norm(f.max)))
    if f.op in ("contains", "not_contains"):
        return f
    return replace(f, values=tuple(norm(v) for v in f.values))


def _non_merchandise(con, layer: Layer, spec: QuerySpec, override) -> tuple[list[str], list[str]] | None:
    extra, keep = override
    if spec.include_non_merchandise or not (set(spec.by) & _PRODUCT):
        return None
    if any(f.dimension in _PRODUCT and f.op in ("equals", "in")
           and all(is_non_merchandise(v, extra, keep) for v in f.values) for f in spec.filters):
        return None  # the user asked for those lines by name
    lists = []
    for col in ("category", "department"):
        if layer.has("products", col):
            vals = [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM products WHERE {col} IS NOT NULL").fetchall()]
            lists.append(sorted(v for v in vals if is_non_merchandise(v, extra, keep)))
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
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    return v


def _fetch(con, q) -> pd.DataFrame:
    df = con.execute(q.sql, q.params).fetchdf()
    return df.drop(columns=[c for c in df.columns if str(c).startswith("_order_")])


_PARTIAL_FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


def _partial_note(spec: QuerySpec, rows: list[dict], anchor, first) -> list[str]:
    """A calendar breakdown whose last (or first) period the data covers only in part says so: a 1-day month
    is not the slowest month."""
    if not spec.by or spec.by[0] not in _PARTIAL_FREQ or anchor is None or not rows:
        return []
    dim, notes = spec.by[0], []
    labels = {str(r.get(dim)) for r in rows}

    def label(p: pd.Period) -> str:
        return {"week": lambda: p.start_time.strftime("%Y-%m-%d"), "month": lambda: p.strftime("%Y-%m"),
                "quarter": lambda: f"{p.year}-Q{p.quarter}", "year": lambda: str(p.year)}[dim]()

    last = pd.Period(anchor, _PARTIAL_FREQ[dim])
    if anchor.normalize() < last.end_time.normalize() and label(last) in labels:
        notes.append(f"{label(last)} is a partial {dim}: the data ends {anchor.date()}")
    if first is not None:
        head = pd.Period(first, _PARTIAL_FREQ[dim])
        if pd.Timestamp(first).normalize() > head.start_time.normalize() and label(head) in labels:
            notes.append(f"{label(head)} is a partial {dim}: the data starts {pd.Timestamp(first).date()}")
    return notes


def _needs_anchor(spec: QuerySpec) -> bool:
    texts = [t for t in (spec.period, spec.start, spec.end) + tuple(spec.compare or ()) if t]
    texts += [t for pc in spec.purchase_conditions for t in (pc.start, pc.end) if t]
    return bool(texts) or spec.inactive_days is not None or bool(spec.by and spec.by[0] in _PARTIAL_FREQ) \
        or spec.average_per is not None \
        or any(c.measure.startswith("days_since") for c in spec.customer_conditions) \
        or (spec.distribution is not None and spec.distribution.measure.startswith("days_since"))


def _window(spec: QuerySpec, first, last) -> Window | None:
    try:
        if spec.period:
            return resolve_period(spec.period, last, first)
        if spec.start or spec.end:
            a = resolve_period(spec.start, last, first) if spec.start else None
            b = resolve_period(spec.end, last, first) if spec.end else None
            start = a.start if a else pd.Timestamp(first).normalize() if first is not None else pd.Timestamp("1900-01-01")
            end = b.end if b else (pd.Timestamp(last).normalize() + pd.Timedelta(days=1)) if last is not None \
                else pd.Timestamp("2200-01-01")
            if end <= start:
                raise QueryError(f"the window {spec.start} .. {spec.end} ends before it starts")
            label = a.label if a and b and a.label == b.label else \
                f"{a.label if a else 'the start'} to {b.label if b else 'the end of the data'}"
            return Window(start, end, label, bool(b and b.partial))
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    return None


def run_query(ws: Workspace, spec: QuerySpec | Mapping[str, Any]) -> dict[str, Any]:
    """Rows for ``spec`` plus the restatement, the SQL and parameters, the definitions used, the resolved windows
    and a chart kind. Raises QueryError (unknown or unavailable names, values, periods) and WorkspaceError."""
    if not isinstance(spec, QuerySpec):
        spec = QuerySpec.from_dict(spec)
    columns = table_columns(ws)
    layer = build_layer(columns)
    on_reviews = bool(spec.metrics) and all(getattr(layer.metrics.get(m), "fact", None) == "reviews"
                                            for m in spec.metrics)
    if "orders" not in columns and not on_reviews:  # review metrics need only the reviews table
        raise WorkspaceError(ws._missing_hint("orders"))
    spec.validate(layer)
    fact = layer.fact_of(spec.metrics)
    con = connect(ws)
    notes: list[str] = []
    try:
        first = last = None
        if _needs_anchor(spec):
            anchor_table = "reviews" if on_reviews and "orders" not in columns else "orders"
            first, last = con.execute(f"SELECT min(timestamp), max(timestamp) FROM {anchor_table}").fetchone()
            if last is None:
                raise QueryError(f"there are no {anchor_table}, so no period can be resolved")
            first, last = pd.Timestamp(first), pd.Timestamp(last)
        filters, kinds, fnotes = _resolve_filters(con, layer, spec, fact)
        notes += fnotes
        spec = replace(spec, filters=filters)
        spec, purchase_windows = _resolve_purchases(con, layer, spec, first, last)
        override = non_merchandise_override(ws)
        non_merch = _non_merchandise(con, layer, spec, override)
        anchor = None if last is None else last.normalize()
        ctx = Context(None, non_merch, anchor, kinds, tuple(None if w is None else (w.start, w.end)
                                                          for w in purchase_windows))
        windows: list[Window] = []
        if spec.compare:
            try:
                wa, wb = (resolve_period(t, last, first) for t in spec.compare)
            except ValueError as exc:
                raise QueryError(str(exc)) from None
            windows = [wa, wb]
            qa = compile_spec(spec, layer, replace(ctx, window=(wa.start, wa.end)), order_and_limit=False)
            qb = compile_spec(spec, layer, replace(ctx, window=(wb.start, wb.end)), order_and_limit=False)
            df = _compare(spec, layer, _fetch(con, qa), _fetch(con, qb), wa.label, wb.label)
            sql, params = qa.sql + ";\n-- second window: the same query with the second window's dates", \
                qa.params + ["-- second window:"] + qb.params
            col, desc = default_sort(spec, layer)
            col = {"change": f"{spec.metrics[0]} change", "pct_change": f"{spec.metrics[0]} % change"}.get(col, col)
            if col in spec.metrics:  # a metric: its value in the later window ("top 5 categories, Dec vs Nov")
                col = f"{col} {wb.label}"
            if spec.by:
                df = df.sort_values(col, ascending=not desc, na_position="last", kind="stable")
                if spec.limit:
                    df = _ranked_known(df, spec, layer, notes).head(spec.limit)
        else:
            w = _window(spec, first, last)
            if w is not None:
                windows = [w]
                ctx = replace(ctx, window=(w.start, w.end))
            if spec.concentration is not None:
                q = compile_concentration(spec, layer, ctx)
            elif spec.distribution is not None:
                q = compile_distribution(spec, layer, ctx)
            elif spec.average_per is not None:  # per period first, then the mean over the window's periods
                q = compile_spec(replace(spec, by=tuple(spec.by) + (spec.average_per,), top=None, bottom=None,
                                         top_per=None, sort=None, share_of_total=False), layer, ctx)
            else:
                ranked = _unrecorded_ranked(spec, layer)  # one row more: an unrecorded group may drop out
                q = compile_spec(_one_more(spec) if ranked else spec, layer, ctx)
            df = _fetch(con, q)
            sql, params = q.sql, q.params
            if spec.average_per is not None:
                span = (windows[0].start, min(windows[0].last_day, last.normalize())) if windows else \
                    (first.normalize(), last.normalize())
                df = _average_per(df, spec, layer, notes, span)
            if spec.concentration is None and spec.distribution is None and spec.average_per is None and \
                    _unrecorded_ranked(spec, layer):
                df = _ranked_known(df, spec, layer, notes).head(spec.limit).reset_index(drop=True)
            conditioned = spec.order_conditions or spec.customer_conditions or spec.inactive_days is not None or \
                spec.purchase_conditions
            if conditioned and not spec.by and spec.concentration is None and spec.distribution is None \
                    and spec.average_per is None and len(df) == 1:
                # "what percent of orders were over $50", "what share of customers bought more than 20 times": the
                # share of all (the same query without its conditions) beside
                base = _fetch(con, compile_spec(replace(spec, order_conditions=(), customer_conditions=(),
                                                        inactive_days=None, purchase_conditions=()), layer,
                                                replace(ctx, purchase_windows=())))
                for m in spec.metrics:
                    if layer.metrics[m].additive and m in base.columns and base[m].iloc[0]:
                        df[f"{m} % of all"] = 100.0 * float(df[m].iloc[0]) / float(base[m].iloc[0])
            if spec.distribution is not None and spec.distribution.bins is not None:
                df = _histogram(df, spec.distribution.bins)
    finally:
        con.close()
    money = {m for m in spec.metrics if layer.metrics[m].money}
    if spec.concentration is not None and (spec.concentration.measure or spec.metrics[0]) == "revenue":
        money |= {"revenue", "total revenue"}
    if spec.distribution is not None and spec.distribution.measure in ("revenue", "avg_basket"):
        money |= {"value", "low", "high"}
    purchase_text = [_purchase_words(pc, w) for pc, w in zip(spec.purchase_conditions, purchase_windows)]
    rows = [{k: _clean(v, k in money or any(k.startswith(m + " ") for m in money) and "%" not in k)
             for k, v in r.items()} for r in df.to_dict("records")]
    notes += _notes(spec, layer, fact, non_merch, windows, anchor, ctx)
    notes += _partial_note(spec, rows, anchor, first)
    if non_merch and (override[0] or override[1]):
        notes.append("non-merchandise = the rule (fuel, gas, coupons, gift cards, lottery/tickets, misc) plus your "
                     "override set at ingest" + (f"; also excluded: {', '.join(override[0])}" if override[0] else "")
                     + (f"; kept as merchandise: {', '.join(override[1])}" if override[1] else ""))
    time_first = bool(spec.by) and layer.dimensions[spec.by[0]].time
    definitions = {m: layer.metrics[m].definition for m in spec.metrics}
    definitions.update({d: layer.dimensions[d].definition
                        for d in dict.fromkeys(list(spec.by) + [f.dimension for f in spec.filters])})
    chart = "line" if time_first else "bar" if (spec.by or spec.distribution or spec.concentration) else "none"
    return {"rows": rows, "columns": list(df.columns), "n_rows": len(rows),
            "restatement": _restate(spec, layer, windows, non_merch)
            + "".join(f"; customers who {t}" for t in purchase_text),
            "sql": sql, "params": [str(p) for p in params], "definitions": definitions, "chart": chart,
            "notes": notes, "spec": spec.to_dict(), "windows": [w.to_dict() for w in windows],
            "as_of": None if anchor is None else (anchor + pd.Timedelta(days=1)).date().isoformat()}


_PERIOD_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}  # weeks run Monday-Sunday


def _average_per(df: pd.DataFrame, spec: QuerySpec, layer: Layer, notes: list[str], span) -> pd.DataFrame:
    """Rows per (group, period) -> the mean per period: a sum or count over the number of calendar periods the
    window touches (a period with no rows counts as 0), any other metric the mean of the periods' values."""
    unit, by = spec.average_per, list(spec.by)
    n = len(pd.period_range(span[0], span[1], freq=_PERIOD_FREQ[unit]))
    if df.empty or n == 0:
        return pd.DataFrame(columns=by + list(spec.metrics) + ["periods"])
    agg = {}
    for m in spec.metrics:
        col = pd.to_numeric(df[m], errors="coerce").astype(float)
        if layer.metrics[m].additive:
            agg[m] = (col.groupby([df[b] for b in by], dropna=False).sum() / n) if by else col.sum() / n
        else:
            agg[m] = col.groupby([df[b] for b in by], dropna=False).mean() if by else col.mean()
    out = pd.DataFrame(agg).reset_index() if by else pd.DataFrame({m: [v] for m, v in agg.items()})
    out["periods"] = n
    notes.append(f"average per {unit}: over the {n} calendar {unit}s the window touches ({span[0].date()} to "
                 f"{span[1].date()}; the first and last may be partial); sums and counts are divided by {n}, other "
                 f"metrics are the mean of the {unit}s with data")
    if by:
        col, desc = default_sort(spec, layer)  # the order compile_spec gives any other breakdown
        out = out.sort_values(col, ascending=not desc, kind="stable")
        if spec.limit:  # unrecorded groups out before the cut, so a top / bottom N keeps N rows
            out = _ranked_known(out, spec, layer, notes).head(spec.limit)
    return out.reset_index(drop=True)


_UNRECORDED = ("Unknown", "(no segment)")  # the labels the layer gives a missing product attribute / segment


def _unrecorded_ranked(spec: QuerySpec, layer: Layer) -> bool:
    """A top / bottom N over one non-time dimension: a group with no recorded value is not ranked."""
    return bool(spec.limit) and len(spec.by) == 1 and not layer.dimensions[spec.by[0]].time and \
        spec.top_per is None and spec.by[0] not in ("customer", "store", "campaign", "product_id")


def _one_more(spec: QuerySpec) -> QuerySpec:
    return replace(spec, bottom=spec.bottom + 1) if spec.bottom is not None else replace(spec, top=spec.top + 1)


def _ranked_known(df: pd.DataFrame, spec: QuerySpec, layer: Layer, notes: list[str]) -> pd.DataFrame:
    """``df`` without the rows whose group is not recorded ("which department sells the least" is not the lines
    whose product is missing from the products table; "which income bracket spends most" is not "n/a"), noted."""
    if not _unrecorded_ranked(spec, layer) or df.empty:
        return df
    dim = spec.by[0]
    gone = df[dim].isna() | df[dim].astype(str).isin(_UNRECORDED)
    if gone.any():
        notes.append(f"rows with no recorded {dim.replace('_', ' ')} (shown as n/a or Unknown) are left out of this "
                     f"ranking")
    return df[~gone]


def _resolve_purchases(con, layer: Layer, spec: QuerySpec, first, last):
    """Each purchase condition with its filter values resolved to stored ones, and its window (None: all data)."""
    conds, windows = [], []
    for pc in spec.purchase_conditions:
        filters, _, _ = _resolve_filters(con, layer, replace(spec, filters=pc.filters), "orders")
        conds.append(replace(pc, filters=filters))
        windows.append(_window(QuerySpec(start=pc.start, end=pc.end), first, last) if pc.start or pc.end else None)
    return replace(spec, purchase_conditions=tuple(conds)), windows


def _filter_words(f: Filter) -> str:
    if f.op == "range":
        return f"{f.dimension} from {f.min if f.min is not None else 'any'} to {f.max if f.max is not None else 'any'}"
    if f.op in ("contains", "not_contains"):
        return f"{f.dimension} {'not ' if f.op == 'not_contains' else ''}containing {' or '.join(repr(v) for v in f.values)}"
    if f.op == "not_in":
        return f"{f.dimension} not in {list(f.values)}"
    return f"{f.dimension} = {f.values[0]}" if len(f.values) == 1 else f"{f.dimension} in {list(f.values)}"


def _purchase_words(pc, window: Window | None) -> str:
    """ "did not buy anything in 2017-Q3 (Jul 1 - Sep 30)", "also bought category = TEAS (all data)" """
    what = " and ".join(_filter_words(f) for f in pc.filters) if pc.filters else "anything"
    if window is not None and pc.start is None:  # "did not buy anything before 2017-07-01": new customers
        return f"{'also bought' if pc.bought else 'did not buy'} {what} before " \
               f"{(window.last_day + pd.Timedelta(days=1)).date()}"
    when = window.describe() if window is not None else "all data"
    return f"{'also bought' if pc.bought else 'did not buy'} {what}" + (f" in {when}" if window is not None
                                                                            else f" ({when})")


def _histogram(df: pd.DataFrame, bins: int) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=["bin", "low", "high", "count", "share"])
    lo, hi, n = float(df["lo"].iloc[0]), float(df["hi"].iloc[0]), int(df["n"].iloc[0])
    width = (hi - lo) / bins if hi > lo else 0.0
    counts = dict(zip(df["bin"].astype(int), df["count"].astype(int)))
    rows = []
    for i in range(bins if width else 1):
        a, b = lo + i * width, (lo + (i + 1) * width) if width else hi
        c = counts.get(i, 0)
        rows.append({"bin": f"{a:g}-{b:g}", "low": a, "high": b, "count": c, "share": c / n if n else None})
    return pd.DataFrame(rows)


def _compare(spec: QuerySpec, layer: Layer, da: pd.DataFrame, db: pd.DataFrame, la: str, lb: str) -> pd.DataFrame:
    by = list(spec.by)
    if by:
        df = da.merge(db, on=by, how="outer", suffixes=(" a", " b"))
    else:
        df = pd.concat([da.add_suffix(" a"), db.add_suffix(" b")], axis=1)
    out = df[by].copy() if by else pd.DataFrame(index=df.index)
    for m in spec.metrics:
        a = pd.to_numeric(df[f"{m} a"], errors="coerce").astype(float)
        b = pd.to_numeric(df[f"{m} b"], errors="coerce").astype(float)
        if layer.metrics[m].additive:
            a, b = a.fillna(0.0), b.fillna(0.0)  # additive: absent in a window means none
        out[f"{m} {la}"] = a
        out[f"{m} {lb}"] = b
        out[f"{m} change"] = b - a
        out[f"{m} % change"] = ((b - a) / a.abs().where(a != 0)) * 100
    return out.reset_index(drop=True)


def _notes(spec: QuerySpec, layer: Layer, fact: str, non_merch, windows: list[Window], anchor, ctx) -> list[str]:
    notes = []
    if non_merch:
        parts = [f"{kind} {', '.join(names)}" for kind, names in (("categories", non_merch[0]),
                                                                  ("departments", non_merch[1])) if names]
        notes.append(f"non-merchandise lines (fuel, coupons, misc) are left out of this ranking: {'; '.join(parts)}")
    elif not (set(spec.by) & _PRODUCT) and fact == "orders" and "revenue" in spec.metrics:
        notes.append("revenue totals include every line (fuel, coupons and misc transactions too)")
    for w in windows:
        if w.partial:
            notes.append(f"{w.label} runs only to the last order date, {w.last_day.date()}")
    if windows or spec.inactive_days is not None or any(c.measure.startswith("days") for c in spec.customer_conditions):
        if anchor is not None and any(w.label.startswith(("last ", "this ", "year", "quarter", "month", "week"))
                                      for w in windows) or spec.inactive_days is not None:
            notes.append(f"relative periods and recency count back from the last order date, {anchor.date()}")
    if spec.inactive_days is not None:
        cut = (anchor + pd.Timedelta(days=1) - pd.Timedelta(days=spec.inactive_days)).date()
        notes.append(f"inactive: last order before {cut} (no order in the {spec.inactive_days} days up to "
                     f"{anchor.date()})")
    if any(layer.metrics[m].joins == ("fo",) for m in spec.metrics):
        mode = is_new_mode(spec, layer, ctx.window if not spec.compare else (windows[0].start, windows[0].end))
        notes.append({"period": f"new = first order ever in that {spec.by[0] if spec.by else ''}",
                      "window": "new = first order ever inside the window; returning = ordered before it",
                      "all": "without a window every customer is new: give a period"}[mode]
                     + "; customers already buying when the data starts count as new in its first months")
    if spec.purchase_conditions:
        notes.append("a bought / did-not-buy condition reads every order line of the customer (fuel and misc too) "
                     "in its own period; the customers kept are then measured in the question's window")
    if spec.customer_conditions:
        notes.append("customer conditions are measured per customer over "
                     + ("the window" if windows else "all data") + ", on all their order lines"
                     + ("; days since are counted back from the last order date" if any(
                         c.measure.startswith("days") for c in spec.customer_conditions) else ""))
    if spec.concentration is not None:
        notes.append("customers ranked by the measure over the window; ties broken by customer id"
                     + ("; the top X% is rounded up to whole customers" if spec.concentration.top_pct else "")
                     + ("; the count is the fewest top customers whose running total reaches the share"
                        if spec.concentration.share_pct else ""))
    if fact == "campaigns" and windows:
        notes.append("a campaign counts in a window it overlaps (start date to end date)")
    tgt = [f for f in spec.filters if is_targeting(f.dimension, layer, fact) and f.dimension not in spec.by]
    if tgt:
        notes.append("orders carry no campaign link, so a campaign filter keeps the orders of the customers those "
                     "campaigns targeted (" + "; ".join(f"{f.dimension.replace('_', ' ')} {', '.join(f.values)}"
                                                         for f in tgt) + "), at any time")
    return notes


def _restate(spec: QuerySpec, layer: Layer, windows: list[Window], non_merch) -> str:
    if spec.concentration is not None:
        c = spec.concentration
        m = c.measure or spec.metrics[0]
        text = (f"Share of {m.replace('_', ' ')} from the top {', '.join(f'{p:g}%' for p in c.top_pct)} "
                f"of customers") if c.top_pct else \
            f"Share of {m.replace('_', ' ')} from the {', '.join(map(str, c.top_n))} biggest customers" if c.top_n else \
            f"How few of the biggest customers make {', '.join(f'{p:g}%' for p in c.share_pct)} of {m.replace('_', ' ')}"
    elif spec.distribution is not None:
        d = spec.distribution
        text = (f"Distribution of {d.measure.replace('_', ' ')} per {d.per}"
                + (f" ({d.bins}-bin histogram)" if d.bins else " (quantiles)"))
    else:
        words = " and ".join(m.replace("_", " ") for m in spec.metrics)
        if spec.average_per:
            words = f"average {spec.average_per}ly " + words if spec.average_per != "day" else "average daily " + words
        text = words[0].upper() + words[1:]
        if spec.by:
            text += " by " + " and ".join(spec.by)
    for f in spec.filters:
        text += ", " + _filter_words(f)
    if spec.inactive_days is not None:
        text += f", customers who have not bought for {spec.inactive_days} days"
    for c in spec.order_conditions:
        what = {"revenue": "value", "line_items": "line items", "units": "units"}[c.measure]
        text += (f", orders with {what} between {c.value[0]:g} and {c.value[1]:g}" if c.op == "between" else
                 f", orders with {what} {c.op} {c.value:g}")
    for c in spec.customer_conditions:
        what = c.measure.replace("_", " ")
        if c.op in ("top_pct", "bottom_pct"):
            text += f", {c.op.split('_')[0]} {c.value:g}% of customers by {what}"
        elif c.op == "between":
            text += f", customers with {what} between {c.value[0]:g} and {c.value[1]:g}"
        else:
            text += f", customers with {what} {c.op} {c.value:g}"
    if len(windows) == 2:
        text += f", {windows[1].describe()} vs {windows[0].describe()}"
    elif windows:
        text += f", {windows[0].describe()}"
    else:
        text += ", all data"
    if spec.share_of_total:
        text += ", with each row's share of the total"
    if spec.by:
        col, desc = default_sort(spec, layer)
        if spec.limit:
            text += f", top {spec.limit} by {col}" if desc else f", bottom {spec.limit} by {col}"
            if spec.top_per:
                text += f" per {spec.top_per}"
        elif not layer.dimensions.get(col) or not layer.dimensions[col].time:
            text += f", sorted by {col}" + (" (largest first)" if desc else " (smallest first)")
    if non_merch:
        text += "; non-merchandise (fuel, coupons, misc) excluded"
    return text
