"""Holiday periods in a weekly or daily calendar, and the holiday adjustment used before fitting.

ETS and Theta in statsmodels take no regressors, so a holiday cannot enter as an intervention term. Instead a
flagged period in the training window is replaced by the level of its regular neighbours before fitting (so a
spike or a closure does not pull the level or trend), and its observed ratio to that level is kept as the
holiday's effect. A forecast period of the same holiday is scaled by that ratio only when the history holds an
earlier occurrence of it; otherwise it is flagged and forecast as a regular period.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["holiday_names", "adjust_holidays", "HOLIDAYS"]

HOLIDAYS = ("Thanksgiving", "Christmas", "New Year")


def _thanksgiving(year: int) -> dt.date:
    nov1 = dt.date(year, 11, 1)
    first_thu = nov1 + dt.timedelta(days=(3 - nov1.weekday()) % 7)
    return first_thu + dt.timedelta(days=21)


def _days(year: int) -> dict[dt.date, str]:
    tg = _thanksgiving(year)
    return {tg: "Thanksgiving", tg + dt.timedelta(days=1): "day after Thanksgiving",
            dt.date(year, 12, 24): "Christmas Eve", dt.date(year, 12, 25): "Christmas",
            dt.date(year, 12, 31): "New Year's Eve", dt.date(year, 1, 1): "New Year"}


def holiday_names(index: pd.DatetimeIndex, freq: str) -> dict[pd.Timestamp, str]:
    """Period start -> holiday name, for the periods of ``index`` ("W": Monday weeks, "D": days).

    Weeks: the week holding Thanksgiving, the week before the one holding Christmas Day (the run-up), the week
    holding Christmas Day, and the week holding New Year's Day (Christmas and New Year are 7 days apart, so
    they always fall in different Monday weeks).
    """
    if len(index) == 0:
        return {}
    years = range(index.min().year - 1, index.max().year + 2)
    out: dict[pd.Timestamp, str] = {}
    if freq == "D":
        days = {d: n for y in years for d, n in _days(y).items()}
        for p in index:
            name = days.get(p.date())
            if name:
                out[p] = name
        return out
    weeks: dict[pd.Timestamp, str] = {}
    for y in years:
        def monday(d: dt.date) -> pd.Timestamp:
            return pd.Timestamp(d - dt.timedelta(days=d.weekday()))
        xmas = monday(dt.date(y, 12, 25))
        weeks[monday(_thanksgiving(y))] = "Thanksgiving week"
        weeks[xmas - pd.Timedelta(days=7)] = "week before Christmas"
        weeks[xmas] = "Christmas week"
        weeks[monday(dt.date(y, 1, 1))] = "New Year week"
    for p in index:
        if p in weeks:
            out[p] = weeks[p]
    return out


def adjust_holidays(y: np.ndarray, names: list[str | None], k: int = 2) -> tuple[np.ndarray, dict[str, float]]:
    """(series with each holiday period replaced by the mean of up to ``k`` regular periods on each side,
    {holiday name: mean observed / adjusted ratio}). Ratios are kept only where the adjusted level is > 0."""
    y = np.asarray(y, dtype=np.float64)
    flags = np.array([n is not None for n in names], dtype=bool)
    if not flags.any() or flags.all():
        return y.copy(), {}
    regular = np.flatnonzero(~flags)
    out = y.copy()
    ratios: dict[str, list[float]] = {}
    for i in np.flatnonzero(flags):
        left = regular[regular < i][-k:]
        right = regular[regular > i][:k]
        level = float(np.mean(y[np.concatenate([left, right])]))
        out[i] = level
        if level > 0:
            ratios.setdefault(str(names[i]), []).append(float(y[i] / level))
    return out, {n: float(np.mean(r)) for n, r in ratios.items()}
