"""The one period parser of the analytics package: text -> a resolved window [start, end).

Absolute periods ("2017", "2017-Q3", "Q3 2017", "2017-H1", "H2 2017", "2017-W12" (ISO week), "2017-03",
"2017-03-15", "A..B", ISO "A/B") and relative ones
anchored on the data's last order date (never on today): this_/last_ week|month|quarter|year, ytd/qtd/mtd,
last_N_days|weeks|months|quarters, "all". The result restates the dates it resolved to.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

import pandas as pd

__all__ = ["Window", "resolve_period", "PERIOD_HELP", "is_relative", "ImpossiblePeriod"]

PERIOD_HELP = ("use e.g. '2017', '2017-Q2', '2017-H1', '2017-W12', '2017-06', '2017-06-15', '2017-06-01..2017-08-31', 'last_quarter', "
               "'this_month', 'last_month', 'last_30_days', 'last_4_weeks', 'last_3_months', 'ytd' or 'all'")


@dataclass(frozen=True)
class Window:
    start: pd.Timestamp  # inclusive, midnight
    end: pd.Timestamp  # exclusive, midnight
    label: str  # the text as the user gave it, tidied ("2017-Q3", "last quarter")
    partial: bool = False  # a this_/to-date period cut at the last order date

    @property
    def last_day(self) -> pd.Timestamp:
        return self.end - pd.Timedelta(days=1)

    @property
    def dates(self) -> str:
        a, b = self.start.date().isoformat(), self.last_day.date().isoformat()
        return a if a == b else f"{a} to {b}"

    def describe(self) -> str:
        """"2017-Q3 (2017-07-01 to 2017-09-30)"; the dates alone when the label is them."""
        if self.label in (self.dates, self.start.date().isoformat()):
            return self.dates
        return f"{self.label} ({self.dates}{', to the last order date' if self.partial else ''})"

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "start": self.start.date().isoformat(), "end": self.last_day.date().isoformat()}


_Q = re.compile(r"^(\d{4})[-_ ]?q(\d+)$|^q(\d+)[-_ ]?(\d{4})$")
_H = re.compile(r"^(\d{4})[-_ ]?h(\d+)$|^h(\d+)[-_ ]?(\d{4})$")
_W = re.compile(r"^(\d{4})[-_ ]?w(\d+)$|^w(\d+)[-_ ]?(\d{4})$")


class ImpossiblePeriod(ValueError):
    """A period that names something no calendar has (Q7, month 13, February 30, week 60): said so, not guessed."""
_REL_N = re.compile(r"^(?:last|past|previous)_(\d+)_(day|week|month|quarter|year)s?$")
_REL = re.compile(r"^(this|last|previous|current)_(week|month|quarter|year)$")
_TD = {"ytd": "year", "qtd": "quarter", "mtd": "month", "wtd": "week",
       "year_to_date": "year", "quarter_to_date": "quarter", "month_to_date": "month"}
_FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


def is_relative(text: str) -> bool:
    t = _norm(text)
    return bool(_REL_N.match(t) or _REL.match(t) or t in _TD)


def _norm(text: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(text).strip().lower()) if not re.match(r"^\d", str(text).strip()) \
        else str(text).strip().lower()


def _absolute(t: str) -> tuple[pd.Timestamp, pd.Timestamp, str] | None:
    tq = t.replace(" ", "-").replace("_", "-") if re.match(r"^[qhw]\d", t) else t
    m = _Q.match(tq)
    if m:
        year, q = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        if not 1 <= int(q) <= 4:
            raise ImpossiblePeriod(f"there is no Q{int(q)}: quarters run Q1 to Q4")
        p = pd.Period(f"{year}Q{q}", freq="Q")
        return p.start_time, (p + 1).start_time, f"{year}-Q{q}"
    m = _H.match(tq)
    if m:
        year, h = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        if not 1 <= int(h) <= 2:
            raise ImpossiblePeriod(f"there is no H{int(h)}: a year has two halves, H1 and H2")
        s = pd.Timestamp(year=int(year), month=1 if int(h) == 1 else 7, day=1)
        return s, s + pd.DateOffset(months=6), f"{year}-H{h}"
    m = _W.match(tq)
    if m:
        year, w = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(4)), int(m.group(3)))
        weeks = pd.Timestamp(year=year, month=12, day=28).isocalendar()[1]  # 52 or 53
        if not 1 <= w <= weeks:
            raise ImpossiblePeriod(f"there is no week {w} in {year}: its ISO weeks run 1 to {weeks}")
        s = pd.Timestamp.fromisocalendar(year, w, 1)
        return s, s + pd.Timedelta(days=7), f"{year}-W{w:02d}"
    if re.fullmatch(r"\d{4}", t):
        return pd.Timestamp(f"{t}-01-01"), pd.Timestamp(f"{int(t) + 1}-01-01"), t
    if re.fullmatch(r"\d{4}-\d{1,2}", t):
        if not 1 <= int(t.split("-")[1]) <= 12:
            raise ImpossiblePeriod(f"there is no month {int(t.split('-')[1])}: months run 1 to 12")
        p = pd.Period(t, freq="M")
        return p.start_time, (p + 1).start_time, str(p)
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", t):
        y, mo, d = (int(x) for x in t.split("-"))
        if not 1 <= mo <= 12:
            raise ImpossiblePeriod(f"there is no month {mo}: months run 1 to 12")
        if not 1 <= d <= calendar.monthrange(y, mo)[1]:
            raise ImpossiblePeriod(f"there is no {calendar.month_name[mo]} {d} in {y}: it has "
                                   f"{calendar.monthrange(y, mo)[1]} days")
        d = pd.Timestamp(t)
        return d, d + pd.Timedelta(days=1), d.date().isoformat()
    return None


def resolve_period(text: str | None, last: pd.Timestamp | None = None,
                   first: pd.Timestamp | None = None) -> Window:
    """The window for ``text``. ``last`` is the last order time (the anchor of relative periods; required for them),
    ``first`` the first order time (for "all"). Raises ValueError naming the accepted forms."""
    raw = "" if text is None else str(text).strip()
    t = _norm(raw)
    anchor = None if last is None else pd.Timestamp(last).normalize()  # the last order date
    if t in ("", "all", "none", "all_data", "all_time"):
        if anchor is None or first is None:
            raise ValueError("'all' needs the data's date range")
        return Window(pd.Timestamp(first).normalize(), anchor + pd.Timedelta(days=1), "all data")
    for sep in ("..", "/"):
        if sep in raw:
            a, b = raw.split(sep, 1)
            wa, wb = resolve_period(a, last, first), resolve_period(b, last, first)
            if wb.end <= wa.start:
                raise ValueError(f"period {raw!r} ends before it starts")
            return Window(wa.start, wb.end, f"{wa.label} to {wb.label}", wb.partial)
    try:
        hit = _absolute(t)
    except ImpossiblePeriod:
        raise
    except ValueError:
        hit = None
    if hit:
        return Window(*hit)
    if _REL_N.match(t) or _REL.match(t) or t in _TD:
        if anchor is None:
            raise ValueError(f"relative period {raw!r} needs the data's last order date")
        end = anchor + pd.Timedelta(days=1)
        m = _REL_N.match(t)
        if m:
            n, unit = int(m.group(1)), m.group(2)
            if n < 1:
                raise ValueError(f"period {raw!r}: the count must be at least 1")
            delta = {"day": pd.DateOffset(days=n), "week": pd.DateOffset(weeks=n), "month": pd.DateOffset(months=n),
                     "quarter": pd.DateOffset(months=3 * n), "year": pd.DateOffset(years=n)}[unit]
            return Window(end - delta, end, f"last {n} {unit}{'s' if n != 1 else ''}")
        if t in _TD:
            p = pd.Period(anchor, freq=_FREQ[_TD[t]])
            return Window(p.start_time.normalize(), end, f"{_TD[t]} to date", True)
        which, unit = _REL.match(t).groups()
        p = pd.Period(anchor, freq=_FREQ[unit])
        if which in ("last", "previous"):
            p = p - 1
            return Window(p.start_time.normalize(), (p + 1).start_time.normalize(), f"last {unit}")
        return Window(p.start_time.normalize(), end, f"this {unit}", True)
    raise ValueError(f"period {raw!r} not understood: {PERIOD_HELP}")
