"""Is a fitted model older than the data, and is an ``as_of`` date inside the data (issue 17)?

``staleness_note`` is the one sentence every answer from an out-of-date model carries (CLI, `mka ask`, the chat,
a ``stale_note`` JSON field). ``check_as_of`` refuses a cutoff outside the orders' range with the valid range:
a cutoff after the data predicts from an empty recent past ("shopped in 0% of recent weeks"), one before the
first order has nobody to score.
"""

from __future__ import annotations

import pandas as pd

from models.data.errors import WorkspaceError

__all__ = ["orders_range", "check_as_of", "staleness_note", "AsOfRangeError"]


class AsOfRangeError(ValueError):
    """An ``as_of`` date outside the range the data supports; the message gives that range."""


def orders_range(ws) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(first, last) order timestamp, from the manifest (no table read); None without orders."""
    try:
        rng = ws.table_info("orders").get("date_range")
    except (WorkspaceError, KeyError):
        return None
    if not rng:
        return None
    return pd.Timestamp(rng[0]), pd.Timestamp(rng[1])


def check_as_of(ws, as_of) -> pd.Timestamp:
    """``as_of`` as a Timestamp when some orders are before it and it is at most the day after the last order;
    else ``AsOfRangeError`` naming the valid range."""
    ts = pd.Timestamp(as_of)
    rng = orders_range(ws)
    if rng is None:
        return ts
    first, last = rng
    lo, hi = first.normalize() + pd.Timedelta(days=1), last.normalize() + pd.Timedelta(days=1)
    if not lo <= ts <= hi:
        where = ("after the data (nothing is known about the weeks before it)" if ts > hi
                 else f"before the first order (no orders before {ts.date()})")
        raise AsOfRangeError(f"as-of {ts.date()} is {where}: the orders run from {first.date()} to {last.date()}, "
                             f"so the as-of date must be between {lo.date()} and {hi.date()}")
    return ts


def staleness_note(ws, data_hash: str | None, as_of=None, *, what: str = "model",
                   fix: str = "retrain with `mka train`") -> str | None:
    """One sentence when ``data_hash`` (what the artifact was fitted on) is not the workspace's data now; None
    when it is current or unknown."""
    if not data_hash or data_hash == ws.data_hash():
        return None
    since = f" as of {pd.Timestamp(as_of).date()}" if as_of is not None else ""
    rng = orders_range(ws)
    now = f" (orders now run to {rng[1].date()})" if rng is not None else ""
    return f"Out of date: the {what} was fitted on the data{since}, and the data has changed since{now}; {fix}."
