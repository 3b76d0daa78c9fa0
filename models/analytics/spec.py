"""QuerySpec: the one typed question the analytics layer answers, and its validation against a workspace's layer.

Every error is a ``QueryError`` whose message lists what is valid, so a model or the offline planner can correct
the query or tell the user.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from .layer import Layer

__all__ = ["QueryError", "Filter", "CustomerCondition", "OrderCondition", "PurchaseCondition", "Concentration", "Distribution", "QuerySpec", "SPEC_FIELDS",
           "FILTER_OPS", "CONDITION_OPS", "CUSTOMER_MEASURES", "ORDER_MEASURES"]

MAX_TOP = 1000
MAX_BINS = 100
FILTER_OPS = ("equals", "in", "not_in", "contains", "not_contains", "range")
CONDITION_OPS = (">", ">=", "<", "<=", "=", "between", "top_pct", "bottom_pct")
CUSTOMER_MEASURES = ("revenue", "orders", "line_items", "units", "avg_basket", "days_since_last_order",
                     "days_since_first_order", "stores", "products")
ORDER_MEASURES = ("revenue", "line_items", "units")
_OP_ALIASES = {"eq": "equals", "==": "equals", "=": "equals", "is": "equals", "not in": "not_in", "nin": "not_in",
               "exclude": "not_in", "like": "contains", "not like": "not_contains", "not contains": "not_contains", "match": "contains", "name_match": "contains",
               "between": "range"}
_COND_ALIASES = {"gt": ">", "gte": ">=", "ge": ">=", "lt": "<", "lte": "<=", "le": "<=", "eq": "=", "==": "=",
                 "top": "top_pct", "bottom": "bottom_pct"}
_MEASURE_ALIASES = {"spend": "revenue", "recency": "days_since_last_order", "frequency": "orders",
                    "tenure": "days_since_first_order", "basket": "revenue", "basket_value": "revenue"}


class QueryError(ValueError):
    """A query the layer cannot answer as asked; the message says why and what is valid."""


@dataclass(frozen=True)
class Filter:
    dimension: str
    values: tuple[str, ...] = ()
    op: str = "in"  # equals | in | not_in | contains (case-insensitive substring) | not_contains | range (min/max, inclusive)
    min: Any = None
    max: Any = None


@dataclass(frozen=True)
class CustomerCondition:
    """Keep customers whose ``measure`` (over the query window, all lines) satisfies ``op value``."""

    measure: str
    op: str
    value: Any  # a number, or [lo, hi] for between


@dataclass(frozen=True)
class OrderCondition:
    """Keep the orders (baskets) whose ``measure`` (revenue, line_items or units of the whole basket) is ``op value``:
    "orders over $100"."""

    measure: str
    op: str
    value: Any


@dataclass(frozen=True)
class PurchaseCondition:
    """Keep customers who bought (``bought``) or did not buy anything matching ``filters`` in [start, end].

    A set operation on customers: "bought in Q2 but not in Q3" is the query window Q2 plus a condition
    (start=end=Q3, bought=False); "bought both coffee and tea" is a filter on coffee plus a condition on tea.
    No window (start and end None) means the whole history.
    """

    filters: tuple[Filter, ...] = ()
    start: str | None = None
    end: str | None = None
    bought: bool = True


@dataclass(frozen=True)
class Concentration:
    top_pct: tuple[float, ...]
    measure: str | None = None  # default: the first metric
    top_n: tuple[int, ...] = ()  # instead of top_pct: the N biggest customers ("our 5 biggest customers")
    share_pct: tuple[float, ...] = ()  # instead: how few top customers make X% of the measure ("half our revenue")


@dataclass(frozen=True)
class Distribution:
    measure: str = "revenue"
    per: str = "customer"  # or "order"
    quantiles: tuple[float, ...] | None = None
    bins: int | None = None


def _num(v: Any, what: str) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise QueryError(f"{what} must be a number, got {v!r}") from None
    if x != x:
        raise QueryError(f"{what} must be a number, got {v!r}")
    return x


def _filter(f: Any) -> Filter:
    if isinstance(f, Filter):
        return f
    if not isinstance(f, Mapping) or "dimension" not in f:
        raise QueryError("a filter is {'dimension': ..., 'op': 'equals'|'in'|'not_in'|'contains'|'not_contains'|'range', "
                         f"'values': [...]}} (range: 'min' and/or 'max'), got {f!r}")
    op = str(f.get("op", "in")).strip().lower()
    op = _OP_ALIASES.get(op, op)
    if op not in FILTER_OPS:
        raise QueryError(f"filter op {op!r} is not supported; use one of {list(FILTER_OPS)}")
    vals = f.get("values", f.get("value"))
    lo, hi = f.get("min"), f.get("max")
    if op == "range" and lo is None and hi is None and isinstance(vals, (list, tuple)) and len(vals) == 2:
        lo, hi = vals
        vals = None
    vals = () if vals is None else (vals,) if isinstance(vals, (str, int, float)) else tuple(vals)
    return Filter(str(f["dimension"]), tuple(str(v) for v in vals), op, lo, hi)


def _condition(c: Any) -> CustomerCondition:
    if isinstance(c, CustomerCondition):
        return c
    if not isinstance(c, Mapping) or "measure" not in c or "value" not in c:
        raise QueryError("a customer condition is {'measure': 'orders'|'revenue'|..., 'op': '>='|'top_pct'|..., "
                         f"'value': N}}, got {c!r}")
    measure = str(c["measure"]).strip().lower()
    measure = _MEASURE_ALIASES.get(measure, measure)
    op = str(c.get("op", ">=")).strip().lower()
    op = _COND_ALIASES.get(op, op)
    if op not in CONDITION_OPS:
        raise QueryError(f"customer condition op {op!r} is not supported; use one of {list(CONDITION_OPS)}")
    v = c["value"]
    if op == "between":
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise QueryError(f"'between' takes [low, high], got {v!r}")
        value: Any = (_num(v[0], "between low"), _num(v[1], "between high"))
    else:
        value = _num(v, f"the value of the {measure} condition")
    return CustomerCondition(measure, op, value)


def _order_condition(c: Any) -> OrderCondition:
    if isinstance(c, OrderCondition):
        return c
    cc = _condition(c)
    if cc.op in ("top_pct", "bottom_pct"):
        raise QueryError("an order condition takes >, >=, <, <=, = or between, not a top share")
    return OrderCondition(cc.measure, cc.op, cc.value)


def _purchase(c: Any) -> PurchaseCondition:
    if isinstance(c, PurchaseCondition):
        return c
    if not isinstance(c, Mapping) or not set(c) <= {"filters", "period", "start", "end", "bought"}:
        raise QueryError("a purchase condition is {'filters': [...], 'period' or 'start'/'end': ..., 'bought': "
                         f"true|false}} (customers who bought / did not buy those lines then), got {c!r}")
    start, end = c.get("start"), c.get("end")
    if c.get("period") is not None:
        if start is not None or end is not None:
            raise QueryError("a purchase condition takes period or start/end, not both")
        start = end = c["period"]
    filters = tuple(_filter(f) for f in c.get("filters") or ())
    if not filters and start is None and end is None:
        raise QueryError("a purchase condition needs filters (what was bought) or a period (when), or both")
    clean = lambda v: None if v is None else (str(v).strip() or None)  # noqa: E731
    bought = c.get("bought", True)
    if isinstance(bought, str):
        bought = bought.strip().lower() not in ("false", "no", "0", "not")
    return PurchaseCondition(filters, clean(start), clean(end), bool(bought))


def _concentration(c: Any) -> Concentration | None:
    if c is None or isinstance(c, Concentration):
        return c
    if isinstance(c, (int, float, list, tuple)):
        c = {"top_pct": c}
    if isinstance(c, Mapping) and "share_pct" in c and "top_pct" not in c:
        ps = c["share_pct"]
        ps = tuple(_num(p, "share_pct") for p in (ps if isinstance(ps, (list, tuple)) else [ps]))
        if any(not 0 < p <= 100 for p in ps):
            raise QueryError("concentration share_pct takes percents in (0, 100], e.g. 50 or [50, 80]")
        return Concentration((), None if c.get("measure") is None else str(c["measure"]).strip().lower(),
                             (), ps)
    if isinstance(c, Mapping) and "top_n" in c and "top_pct" not in c:
        ns = c["top_n"]
        ns = tuple(_num(n, "top_n") for n in (ns if isinstance(ns, (list, tuple)) else [ns]))
        if any(n < 1 or not float(n).is_integer() for n in ns):
            raise QueryError("concentration top_n takes whole numbers of customers, e.g. 5 or [5, 10]")
        return Concentration((), None if c.get("measure") is None else str(c["measure"]).strip().lower(),
                             tuple(int(n) for n in ns))
    if not isinstance(c, Mapping) or "top_pct" not in c:
        raise QueryError(f"concentration is {{'top_pct': 10 or [1, 10, 20], 'measure': 'revenue'}}, "
                         f"{{'top_n': 5}} or {{'share_pct': 50}}, got {c!r}")
    pcts = c["top_pct"]
    pcts = tuple(_num(p, "top_pct") for p in (pcts if isinstance(pcts, (list, tuple)) else [pcts]))
    return Concentration(pcts, None if c.get("measure") is None else str(c["measure"]).strip().lower())


def _distribution(d: Any) -> Distribution | None:
    if d is None or isinstance(d, Distribution):
        return d
    if isinstance(d, str):
        d = {"measure": d}
    if not isinstance(d, Mapping):
        raise QueryError(f"distribution is {{'measure': 'revenue', 'per': 'customer'|'order', 'quantiles': [...]}} "
                         f"or {{..., 'bins': 10}}, got {d!r}")
    q = d.get("quantiles")
    bins = d.get("bins")
    measure = str(d.get("measure", "revenue")).strip().lower()
    return Distribution(_MEASURE_ALIASES.get(measure, measure), str(d.get("per", "customer")).strip().lower(),
                        None if q is None else tuple(_num(x, "a quantile") for x in q),
                        None if bins is None else int(_num(bins, "bins")))


@dataclass(frozen=True)
class QuerySpec:
    metrics: tuple[str, ...] = ("revenue",)
    by: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    period: str | None = None  # one window: shorthand for start = end = period
    start: str | None = None  # a date or a period ("2017", "2017-Q2", "2017-06", "last_quarter"...)
    end: str | None = None  # a date or period; inclusive
    compare: tuple[str, str] | None = None  # two periods: (before, after) -> absolute and % change
    sort: str | None = None  # a metric, a dimension, "change", "pct_change" or "share"
    descending: bool = True
    top: int | None = None
    bottom: int | None = None
    top_per: str | None = None  # with top/bottom: the first N within each value of this dimension (one of by)
    average_per: str | None = None  # the mean per calendar day / week / month ... of the window ("average weekly sales")
    share_of_total: bool = False
    inactive_days: int | None = None  # only customers whose last order is >= N days before the last order date
    customer_conditions: tuple[CustomerCondition, ...] = ()
    purchase_conditions: tuple[PurchaseCondition, ...] = ()  # bought / did not buy X in period P (set operations)
    order_conditions: tuple[OrderCondition, ...] = ()  # baskets by their own size: "orders over $100"
    concentration: Concentration | None = None
    distribution: Distribution | None = None
    include_non_merchandise: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "QuerySpec":
        unknown = set(d) - set(SPEC_FIELDS)
        if unknown:
            raise QueryError(f"unknown query field(s) {sorted(unknown)}; valid fields: {list(SPEC_FIELDS)}")
        kw: dict[str, Any] = {k: v for k, v in d.items() if v is not None}
        for key in ("metrics", "by"):
            v = kw.get(key)
            if isinstance(v, str):
                kw[key] = tuple(s.strip() for s in v.split(",") if s.strip())
            elif v is not None:
                kw[key] = tuple(str(s) for s in v)
        if kw.get("metrics") in (None, ()):
            kw.pop("metrics", None)
        kw["filters"] = tuple(_filter(f) for f in kw.get("filters") or ())
        kw["customer_conditions"] = tuple(_condition(c) for c in kw.get("customer_conditions") or ())
        kw["purchase_conditions"] = tuple(_purchase(c) for c in kw.get("purchase_conditions") or ())
        kw["order_conditions"] = tuple(_order_condition(c) for c in kw.get("order_conditions") or ())
        kw["concentration"] = _concentration(kw.get("concentration"))
        kw["distribution"] = _distribution(kw.get("distribution"))
        if kw.get("compare") is not None:
            c = kw["compare"]
            c = c.split(":") if isinstance(c, str) else list(c)
            if len(c) != 2:
                raise QueryError("compare takes two periods, e.g. ['2017-Q2', '2017-Q3'] or '2017-Q2:2017-Q3'")
            kw["compare"] = (str(c[0]).strip(), str(c[1]).strip())
        for key in ("period", "start", "end", "sort", "top_per", "average_per"):
            if key in kw:
                kw[key] = str(kw[key]).strip() or None
        for key in ("top", "bottom", "inactive_days"):
            if kw.get(key) is not None:
                try:
                    kw[key] = int(kw[key])
                except (TypeError, ValueError):
                    raise QueryError(f"{key} must be a whole number, got {kw[key]!r}") from None
        for key in ("descending", "share_of_total", "include_non_merchandise"):
            if key in kw:
                kw[key] = bool(kw[key])
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def limit(self) -> int | None:
        return self.bottom if self.bottom is not None else self.top

    def validate(self, layer: Layer) -> None:
        """Check names against the layer (values are checked by the query against the data)."""
        if not self.metrics:
            raise QueryError(f"ask for at least one metric: {sorted(layer.metrics)}")
        for m in self.metrics:
            if m not in layer.metrics:
                raise QueryError(_unknown("metric", m, layer.metrics, layer.unavailable))
        facts = {layer.metrics[m].fact for m in self.metrics}
        if len(facts) > 1:
            raise QueryError(f"metrics {list(self.metrics)} come from different tables ({sorted(facts)}); "
                             f"ask for them in separate queries")
        fact = facts.pop()
        dims = list(self.by) + [f.dimension for f in self.filters]
        targeting = {f.dimension for f in self.filters if f.dimension in ("campaign", "campaign_type")
                     and f.op in ("equals", "in", "not_in") and fact == "orders" and "campaigns" in layer.columns}
        for d in dims:
            if d not in layer.dimensions:
                raise QueryError(_unknown("dimension", d, layer.dimensions, layer.unavailable))
            if d in targeting and d not in self.by:
                continue  # orders of the customers those campaigns targeted (compile.is_targeting)
            if fact not in layer.dimensions[d].facts:
                ok = sorted(k for k, v in layer.dimensions.items() if fact in v.facts)
                raise QueryError(f"{', '.join(self.metrics)} cannot be broken down or filtered by {d} (the {fact} "
                                 f"table has no link to it); dimensions that work here: {ok}")
        for f in self.filters:
            if f.op == "range":
                if f.min is None and f.max is None:
                    raise QueryError(f"the range filter on {f.dimension} needs 'min' and/or 'max'")
            elif not f.values:
                raise QueryError(f"the filter on {f.dimension} has no values")
            if f.op == "equals" and len(f.values) != 1:
                raise QueryError(f"'equals' takes one value; use 'in' for {list(f.values)}")
        if self.top is not None and self.bottom is not None:
            raise QueryError("give top or bottom, not both")
        if self.limit is not None and not 1 <= self.limit <= MAX_TOP:
            raise QueryError(f"top/bottom must be between 1 and {MAX_TOP}")
        if self.average_per is not None:
            if self.average_per not in ("day", "week", "month", "quarter", "year") or \
                    self.average_per not in layer.dimensions:
                raise QueryError(f"average_per takes a calendar unit (day, week, month, quarter or year), got "
                                 f"{self.average_per!r}")
            if self.average_per in self.by or self.compare or self.concentration or self.distribution:
                raise QueryError("average_per averages over the window's periods: not with that unit in by, a "
                                 "comparison, a concentration or a distribution")
        if self.top_per is not None:
            if self.top_per not in self.by or len(self.by) < 2:
                raise QueryError(f"top_per names the dimension to rank within; it must be one of by (with at least "
                                 f"two dimensions), got {self.top_per!r}")
            if self.limit is None:
                raise QueryError("top_per needs top or bottom (how many per group)")
        if self.inactive_days is not None and self.inactive_days < 0:
            raise QueryError("inactive_days must be >= 0")
        for c in self.customer_conditions:
            if c.measure not in CUSTOMER_MEASURES:
                raise QueryError(f"unknown customer measure {c.measure!r}; valid: {list(CUSTOMER_MEASURES)}")
            if c.op in ("top_pct", "bottom_pct") and not 0 < c.value <= 100:
                raise QueryError(f"{c.op} takes a percentage between 0 and 100, got {c.value}")
        if (self.customer_conditions or self.inactive_days is not None) and not layer.has("orders", "customer_id"):
            raise QueryError("customer conditions need orders with customer ids")
        for oc in self.order_conditions:
            if oc.measure not in ORDER_MEASURES:
                raise QueryError(f"an order condition measures the basket's {list(ORDER_MEASURES)}, not {oc.measure!r}")
            if fact != "orders":
                raise QueryError("an order condition keeps baskets of the orders table")
            if oc.measure == "revenue" and not layer.has("orders", "amount"):
                raise QueryError("an order-value condition needs the orders.amount column")
        if self.purchase_conditions:
            if not layer.has("orders", "customer_id"):
                raise QueryError("a bought / did-not-buy condition needs orders with customer ids")
            if fact not in ("orders", "coupon_redemptions", "campaigns"):
                raise QueryError(f"a bought / did-not-buy condition keeps customers; {', '.join(self.metrics)} "
                                 f"are not counted per customer")
            for pc in self.purchase_conditions:
                for f in pc.filters:
                    if f.dimension not in layer.dimensions:
                        raise QueryError(_unknown("dimension", f.dimension, layer.dimensions, layer.unavailable))
                    if "orders" not in layer.dimensions[f.dimension].facts:
                        ok = sorted(k for k, v in layer.dimensions.items() if "orders" in v.facts)
                        raise QueryError(f"what a customer bought can be filtered by {ok}, not {f.dimension}")
                    if f.op != "range" and not f.values:
                        raise QueryError(f"the filter on {f.dimension} has no values")
        if any(c.measure in ("revenue", "avg_basket") for c in self.customer_conditions) \
                and not layer.has("orders", "amount"):
            raise QueryError("a spend condition needs the orders.amount column, which this workspace does not have")
        valid_sort = set(self.metrics) | set(self.by) | ({"change", "pct_change"} if self.compare else set()) \
            | ({"share"} if self.share_of_total else set())
        if self.sort is not None and self.sort not in valid_sort:
            raise QueryError(f"cannot sort by {self.sort!r}; sort by one of {sorted(valid_sort)}")
        windows = [k for k in ("period", "compare") if getattr(self, k)] + (["start/end"] if self.start or self.end else [])
        if len(windows) > 1:
            raise QueryError(f"give one of period, start/end or compare, not {' and '.join(windows)}")
        if self.share_of_total:
            bad = [m for m in self.metrics if not layer.metrics[m].additive]
            if bad:
                raise QueryError(f"a share of the total needs a sum or a count; {bad} are ratios")
            if self.compare:
                raise QueryError("share_of_total and compare cannot be combined: ask for each period's shares")
        special = [k for k in ("concentration", "distribution") if getattr(self, k) is not None]
        if len(special) > 1:
            raise QueryError("ask for concentration and distribution in separate queries")
        if special and (self.by or self.compare):
            raise QueryError(f"{special[0]} cannot be combined with by or compare; use filters and a period")
        if special and fact != "orders":
            raise QueryError(f"{special[0]} works on orders (revenue, orders, units, line_items)")
        if self.concentration is not None:
            c = self.concentration
            measure = c.measure or self.metrics[0]
            if measure not in ("revenue", "orders", "units", "line_items"):
                raise QueryError(f"concentration measure {measure!r}: use revenue, orders, units or line_items")
            if measure not in layer.metrics:
                raise QueryError(_unknown("metric", measure, layer.metrics, layer.unavailable))
            if not c.top_n and not c.share_pct and (not c.top_pct or any(not 0 < p <= 100 for p in c.top_pct)):
                raise QueryError("concentration top_pct takes percentages between 0 and 100, e.g. [1, 10, 20]")
        if self.distribution is not None:
            d = self.distribution
            if d.per not in ("customer", "order"):
                raise QueryError(f"distribution per {d.per!r}: use 'customer' or 'order'")
            valid = CUSTOMER_MEASURES[:-1] if d.per == "customer" else ORDER_MEASURES
            if d.measure not in valid:
                raise QueryError(f"distribution of {d.measure!r} per {d.per}: use one of {list(valid)}")
            if d.measure in ("revenue", "avg_basket") and not layer.has("orders", "amount"):
                raise QueryError("a spend distribution needs the orders.amount column, which this workspace does not have")
            if d.measure == "units" and not layer.has("orders", "quantity"):
                raise QueryError(_unknown("metric", "units", layer.metrics, layer.unavailable))
            if d.quantiles is not None and (not d.quantiles or any(not 0 <= q <= 1 for q in d.quantiles)):
                raise QueryError("quantiles are between 0 and 1, e.g. [0.25, 0.5, 0.75]")
            if d.bins is not None and not 1 <= d.bins <= MAX_BINS:
                raise QueryError(f"bins must be between 1 and {MAX_BINS}")
            if d.bins is not None and d.quantiles is not None:
                raise QueryError("give quantiles or bins, not both")


SPEC_FIELDS = tuple(QuerySpec.__dataclass_fields__)


def _unknown(kind: str, name: str, valid: Mapping[str, Any], unavailable: Mapping[str, str]) -> str:
    if name in unavailable:
        return f"{kind} {name!r} is not available here: it {unavailable[name]}. Available {kind}s: {sorted(valid)}"
    close = difflib.get_close_matches(name, list(valid), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"unknown {kind} {name!r}{hint}; valid {kind}s: {sorted(valid)}"
