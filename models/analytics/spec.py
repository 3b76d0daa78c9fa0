"""QuerySpec: the one typed question the analytics layer answers, and its validation against a workspace's layer.

Every error is a ``QueryError`` whose message lists what is valid, so a model or the offline planner can correct
the query or tell the user.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

import pandas as pd

from .layer import Layer

__all__ = ["QueryError", "Filter", "QuerySpec", "parse_window", "SPEC_FIELDS"]

MAX_TOP = 1000


class QueryError(ValueError):
    """A query the layer cannot answer as asked; the message says why and what is valid."""


@dataclass(frozen=True)
class Filter:
    dimension: str
    values: tuple[str, ...]
    op: str = "in"  # "equals" (one value) or "in"


@dataclass(frozen=True)
class QuerySpec:
    metrics: tuple[str, ...] = ("revenue",)
    by: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    start: str | None = None  # a date or a period ("2017", "2017-Q2", "2017-06", "2017-06-15")
    end: str | None = None  # a date or period; inclusive
    compare: tuple[str, str] | None = None  # two periods: (before, after) -> absolute and % change
    sort: str | None = None  # a metric, a dimension or "change"; default: time order or the first metric
    descending: bool = True
    top: int | None = None
    inactive_days: int | None = None  # only customers whose last order is more than N days before the as-of date
    include_non_merchandise: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "QuerySpec":
        unknown = set(d) - set(SPEC_FIELDS)
        if unknown:
            raise QueryError(f"unknown query field(s) {sorted(unknown)}; valid fields: {list(SPEC_FIELDS)}")
        kw: dict[str, Any] = dict(d)
        for key in ("metrics", "by"):
            v = kw.get(key)
            if isinstance(v, str):
                kw[key] = tuple(s.strip() for s in v.split(",") if s.strip())
            elif v is not None:
                kw[key] = tuple(str(s) for s in v)
        if kw.get("metrics") in (None, ()):
            kw.pop("metrics", None)
        filters = []
        for f in kw.get("filters") or ():
            if isinstance(f, Filter):
                filters.append(f)
                continue
            if not isinstance(f, Mapping) or "dimension" not in f:
                raise QueryError(f"a filter is {{'dimension': ..., 'op': 'equals'|'in', 'values': [...]}}, got {f!r}")
            vals = f.get("values", f.get("value"))
            vals = (vals,) if isinstance(vals, (str, int, float)) else tuple(vals or ())
            op = str(f.get("op", "in")).lower()
            if op not in ("equals", "in"):
                raise QueryError(f"filter op {op!r} is not supported; use 'equals' or 'in'")
            filters.append(Filter(str(f["dimension"]), tuple(str(v) for v in vals), op))
        kw["filters"] = tuple(filters)
        if kw.get("compare") is not None:
            c = kw["compare"]
            c = c.split(":") if isinstance(c, str) else list(c)
            if len(c) != 2:
                raise QueryError("compare takes two periods, e.g. ['2017-Q2', '2017-Q3'] or '2017-Q2:2017-Q3'")
            kw["compare"] = (str(c[0]).strip(), str(c[1]).strip())
        for key in ("top", "inactive_days"):
            if kw.get(key) is not None:
                try:
                    kw[key] = int(kw[key])
                except (TypeError, ValueError):
                    raise QueryError(f"{key} must be a whole number, got {kw[key]!r}") from None
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["filters"] = [asdict(f) for f in self.filters]
        return d

    def validate(self, layer: Layer) -> None:
        """Check names against the layer (values are checked by the compiler against the data)."""
        if not self.metrics:
            raise QueryError(f"ask for at least one metric: {sorted(layer.metrics)}")
        for m in self.metrics:
            if m not in layer.metrics:
                raise QueryError(_unknown("metric", m, layer.metrics, layer.unavailable))
        facts = {layer.metrics[m].fact for m in self.metrics}
        if len(facts) > 1:
            raise QueryError(f"metrics {list(self.metrics)} come from different tables ({sorted(facts)}); "
                             f"ask for them in separate queries")
        dims = list(self.by) + [f.dimension for f in self.filters]
        for d in dims:
            if d not in layer.dimensions:
                raise QueryError(_unknown("dimension", d, layer.dimensions, layer.unavailable))
        if "coupon_redemptions" in facts:
            for d in dims:
                if layer.dimensions[d].needs and layer.dimensions[d].needs[0][0] != "customers":
                    raise QueryError(f"coupon redemptions cannot be broken down by {d}: use a time dimension or a "
                                     f"customer attribute")
        for f in self.filters:
            if not f.values:
                raise QueryError(f"the filter on {f.dimension} has no values")
            if f.op == "equals" and len(f.values) != 1:
                raise QueryError(f"'equals' takes one value; use 'in' for {list(f.values)}")
        if self.top is not None and not 1 <= self.top <= MAX_TOP:
            raise QueryError(f"top must be between 1 and {MAX_TOP}")
        if self.inactive_days is not None and self.inactive_days < 0:
            raise QueryError("inactive_days must be >= 0")
        valid_sort = set(self.metrics) | set(self.by) | ({"change", "pct_change"} if self.compare else set())
        if self.sort is not None and self.sort not in valid_sort:
            raise QueryError(f"cannot sort by {self.sort!r}; sort by one of {sorted(valid_sort)}")
        if self.compare and (self.start or self.end):
            raise QueryError("give either compare (two periods) or start/end, not both")


SPEC_FIELDS = tuple(QuerySpec.__dataclass_fields__)


def _unknown(kind: str, name: str, valid: Mapping[str, Any], unavailable: Mapping[str, str]) -> str:
    if name in unavailable:
        return f"{kind} {name!r} is not available here: it {unavailable[name]}. Available {kind}s: {sorted(valid)}"
    close = difflib.get_close_matches(name, list(valid), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"unknown {kind} {name!r}{hint}; valid {kind}s: {sorted(valid)}"


_Q = re.compile(r"^(\d{4})-?q([1-4])$", re.IGNORECASE)


def parse_window(text: str) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """``(start, end_exclusive, label)`` for "2017", "2017-Q2", "2017-06", "2017-06-15" or "A..B"."""
    t = str(text).strip()
    try:
        if ".." in t:
            a, b = t.split("..", 1)
            return parse_window(a)[0], parse_window(b)[1], f"{a.strip()} to {b.strip()}"
        m = _Q.match(t)
        if m:
            q = pd.Period(f"{m.group(1)}Q{m.group(2)}", freq="Q")
            return q.start_time, (q + 1).start_time, f"{m.group(1)}-Q{m.group(2)}"
        if re.fullmatch(r"\d{4}", t):
            return pd.Timestamp(f"{t}-01-01"), pd.Timestamp(f"{int(t) + 1}-01-01"), t
        if re.fullmatch(r"\d{4}-\d{2}", t):
            p = pd.Period(t, freq="M")
            return p.start_time, (p + 1).start_time, t
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            d = pd.Timestamp(t)
            return d, d + pd.Timedelta(days=1), t
    except ValueError:
        pass
    raise QueryError(f"period {text!r} not understood: use e.g. '2017', '2017-Q2', '2017-06', '2017-06-15' "
                     f"or '2017-06-01..2017-08-31'")
