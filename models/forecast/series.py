"""Weekly (or daily) series of revenue, orders and active customers — total and per department, category and
segment — built from the orders table as one panel with its hierarchy.

Weeks start on Monday (the same weeks as ``data_overview`` by week). Only complete periods are kept: a week
whose seven days are not all inside the data's date range (Complete Journey starts on Sunday 2017-01-01 and
ends on Monday 2018-01-01, a single day) is dropped from the series and reported in ``Panel.partial``; it is
never treated as a full week. Days with no orders inside the range are zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.data.errors import WorkspaceError

from .holidays import holiday_names

__all__ = ["Panel", "build_panel", "METRICS", "BREAKDOWNS", "TOTAL", "UNASSIGNED", "series_label"]

METRICS = ("revenue", "orders", "customers")
BREAKDOWNS = ("department", "category", "segment")
TOTAL = "total"
UNASSIGNED = "Unassigned"
_COUNT_KEY = {"orders": "order_id", "customers": "customer_id"}


@dataclass
class Panel:
    """Complete periods × series, with each series' level and parent (category → department → total)."""

    metric: str
    by: str | None
    freq: str                                   # "W" (Monday weeks) or "D"
    values: pd.DataFrame                        # index: period starts; columns: series names, "total" first
    level: dict[str, str]                       # series -> "total" | "department" | "category" | "segment"
    parent: dict[str, str]                      # series -> parent series ("total" has none)
    additive: bool                              # children sum to their parent exactly (so reconcile)
    partial: list[dict] = field(default_factory=list)   # dropped incomplete periods, with what they hold
    holidays: dict = field(default_factory=dict)         # period start -> holiday name (history and future)
    notes: list[str] = field(default_factory=list)

    @property
    def period_days(self) -> int:
        return 7 if self.freq == "W" else 1

    def future_index(self, h: int) -> pd.DatetimeIndex:
        step = pd.Timedelta(days=self.period_days)
        return pd.DatetimeIndex([self.values.index[-1] + step * (i + 1) for i in range(h)])

    def series_at(self, level: str) -> list[str]:
        return [s for s in self.values.columns if self.level[s] == level]


def series_label(department: str, category: str, ambiguous: bool) -> str:
    return f"{category} ({department})" if ambiguous else category


def _period_start(days: np.ndarray, freq: str) -> np.ndarray:
    if freq == "D":
        return days
    # 1970-01-01 was a Thursday: weekday (Monday=0) = (days + 3) % 7
    return days - ((days.astype("int64") + 3) % 7).astype("timedelta64[D]")


def _keys(orders: pd.DataFrame, by: str | None, products: pd.DataFrame | None,
          segments: pd.DataFrame | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Orders with the key columns of the hierarchy (``department``, ``category`` or ``segment``) and the
    bottom series' parent map."""
    if by is None:
        return orders, {}
    if by in ("department", "category"):
        if products is None or "product_id" not in orders.columns:
            raise WorkspaceError(f"a forecast by {by} needs product_id in the orders and a products table with a "
                                 f"{by} column (`mka ingest --products FILE`); this workspace has none")
        cols = [c for c in ("department", "category") if c in products.columns]
        if by not in cols:
            raise WorkspaceError(f"a forecast by {by} needs a {by} column in the products table; it has "
                                 f"{', '.join(map(str, products.columns))}")
        prod = products.drop_duplicates("product_id").set_index("product_id")
        o = orders.assign(**{c: orders["product_id"].map(prod[c]).fillna("Unknown").astype("string")
                             for c in cols})
        if "department" not in o.columns:
            o = o.assign(department=pd.Series("All departments", index=o.index, dtype="string"))
        if by == "department":
            return o, {}
        grouped = o.groupby(["department", "category"], sort=True)
        pair_code = grouped.ngroup().to_numpy()  # numbered in the sorted order of the keys below
        pairs = [(str(d), str(c)) for d, c in grouped.size().index]
        cats = pd.Series([c for _, c in pairs])
        # a category in several departments, or named like a department, is labelled "Category (Department)"
        ambiguous = set(cats[cats.duplicated(keep=False)]) | ({c for _, c in pairs} & {d for d, _ in pairs}) | {TOTAL}
        labels = np.array([series_label(d, c, c in ambiguous) for d, c in pairs], dtype=object)
        o = o.assign(category_label=pd.Series(labels[pair_code], index=o.index, dtype="string"))
        parents = {series_label(d, c, c in ambiguous): str(d) for d, c in pairs}
        return o, parents
    if by == "segment":
        if segments is None:
            raise WorkspaceError("a forecast by segment needs fitted segments: run `mka segment` first")
        seg = segments.drop_duplicates("customer_id").set_index(segments["customer_id"].astype("string"))["segment"]
        o = orders.assign(segment=orders["customer_id"].astype("string").map(seg).fillna(UNASSIGNED)
                          .astype("string"))
        return o, {}
    raise ValueError(f"by={by!r} is not known; use one of {list(BREAKDOWNS)} or None")


def _aggregate(o: pd.DataFrame, metric: str, key: str | None, codes: np.ndarray, n_periods: int) -> pd.DataFrame:
    """periods × groups of ``metric`` (``key`` None = the total)."""
    g = np.zeros(len(o), dtype=np.int64) if key is None else None
    names = [TOTAL]
    if key is not None:
        g, uniq = pd.factorize(o[key], sort=True)
        names = [str(u) for u in uniq]
    if metric == "revenue":
        flat = codes * len(names) + g
        vals = np.bincount(flat, weights=o["amount"].to_numpy(np.float64), minlength=n_periods * len(names))
    else:
        ident = pd.factorize(o[_COUNT_KEY[metric]])[0].astype(np.int64)
        cell = codes * len(names) + g
        # one count per distinct (period, group, order/customer)
        distinct = np.unique(cell * (int(ident.max()) + 1) + ident) // (int(ident.max()) + 1)
        vals = np.bincount(distinct, minlength=n_periods * len(names)).astype(np.float64)
    return pd.DataFrame(vals.reshape(n_periods, len(names)), columns=names)


def _complete(days: np.ndarray, freq: str, times: np.ndarray) -> tuple[np.datetime64, np.datetime64, list[str]]:
    """First and last day of the complete periods, and what was cut."""
    first, last = days.min(), days.max()
    notes: list[str] = []
    has_time = bool((times != days.astype("datetime64[ns]")).any())
    last_ts = times.max()
    if has_time and (last_ts - last.astype("datetime64[ns]")) < np.timedelta64(18, "h"):
        if freq == "D":
            notes.append(f"the last day {last} ends at {pd.Timestamp(last_ts).strftime('%H:%M')}: counted as partial")
        last_full_day = last - np.timedelta64(1, "D")
    else:
        last_full_day = last
    if freq == "D":
        return first, last_full_day, notes
    start = _period_start(np.array([first]), "W")[0]
    first_week = start if start == first else start + np.timedelta64(7, "D")
    end_start = _period_start(np.array([last_full_day]), "W")[0]
    last_week = end_start if last_full_day - end_start == np.timedelta64(6, "D") else end_start - np.timedelta64(7, "D")
    return first_week, last_week, notes


def build_panel(orders: pd.DataFrame, metric: str = "revenue", by: str | None = None, *, freq: str = "W",
                products: pd.DataFrame | None = None, segments: pd.DataFrame | None = None,
                horizon: int = 0) -> Panel:
    """The ``metric`` panel for ``by`` (None: the total only; department/segment: the total and each group;
    category: the total, each department and each category). ``horizon`` adds future periods to the
    holiday map. Needs only customer_id, timestamp and amount (and order_id for orders, which loading fills)."""
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not known; use one of {list(METRICS)}")
    if freq not in ("W", "D"):
        raise ValueError(f"freq={freq!r}: use 'W' (weeks) or 'D' (days)")
    if len(orders) == 0:
        raise WorkspaceError("no orders: nothing to forecast")
    if metric == "orders" and "order_id" not in orders.columns:
        orders = orders.assign(order_id=orders["customer_id"].astype("string") + "|"
                               + orders["timestamp"].astype("string"))
    o, parents = _keys(orders, by, products, segments)
    times = pd.to_datetime(o["timestamp"]).to_numpy().astype("datetime64[ns]")
    days = times.astype("datetime64[D]")
    first_p, last_p, notes = _complete(days, freq, times)
    step = 7 if freq == "W" else 1
    starts = _period_start(days, freq)
    all_starts = np.arange(starts.min(), starts.max() + np.timedelta64(step, "D"), np.timedelta64(step, "D"))
    codes = ((starts - all_starts[0]) // np.timedelta64(step, "D")).astype(np.int64)
    frames = [_aggregate(o, metric, None, codes, len(all_starts))]
    level = {TOTAL: TOTAL}
    parent: dict[str, str] = {}
    if by in ("department", "category"):
        dep = _aggregate(o, metric, "department", codes, len(all_starts))
        frames.append(dep)
        level.update({c: "department" for c in dep.columns})
        parent.update({c: TOTAL for c in dep.columns})
    if by == "category":
        cat = _aggregate(o, metric, "category_label", codes, len(all_starts))
        frames.append(cat)
        level.update({c: "category" for c in cat.columns})
        parent.update(parents)
    if by == "segment":
        seg = _aggregate(o, metric, "segment", codes, len(all_starts))
        frames.append(seg)
        level.update({c: "segment" for c in seg.columns})
        parent.update({c: TOTAL for c in seg.columns})
    full = pd.concat(frames, axis=1)
    full.index = pd.DatetimeIndex(all_starts.astype("datetime64[ns]"), name="period")
    keep = (full.index >= pd.Timestamp(first_p)) & (full.index <= pd.Timestamp(last_p))
    unit = "week" if freq == "W" else "day"
    partial = []
    for p in full.index[~keep]:
        lo, hi = max(p, pd.Timestamp(days.min())), min(p + pd.Timedelta(days=step - 1), pd.Timestamp(days.max()))
        partial.append({"period": p.date().isoformat(), "days_with_data": int((hi - lo).days) + 1,
                        "total_so_far": round(float(full.loc[p, TOTAL]), 2)})
    values = full[keep]
    if len(values) == 0:
        raise WorkspaceError(f"the orders span {days.min()} .. {days.max()}: not one complete {unit} to forecast from")
    for part in partial:
        notes.append(f"partial {unit} {part['period']} ({part['days_with_data']} day(s) of data) is left out of "
                     f"the series, not treated as a full {unit}")
    additive = metric == "revenue" or by in (None, "segment")
    if by is not None and not additive:
        notes.append(f"{metric} per {by} do not add up to the total (an order or customer with items from several "
                     f"{'categories' if by == 'category' else 'departments'} counts in each), so no reconciliation")
    idx = values.index.append(pd.DatetimeIndex([values.index[-1] + pd.Timedelta(days=step * (i + 1))
                                               for i in range(horizon)]))
    return Panel(metric=metric, by=by, freq=freq, values=values, level=level, parent=parent, additive=additive,
                 partial=partial, holidays=holiday_names(idx, freq), notes=notes)
