"""Time windows in a question, resolved to dates anchored on the data's last order date (not today).

"last quarter", "in March", "Q2 vs Q3", "this month vs last", "the last 30 days", "2017", "since May", "the first
half of 2017", "H2", "week 12 of 2017", "November 24th 2017", "between June 1 and August 31 2017", "from 3/1 to
3/15"... become ``Window`` objects: a query period text the semantic layer reads ("2017-Q3", "2017-H1", "2017-W12",
"2017-03", "2017-06-01..2017-06-30") and the resolved first/last day, so the answer can say which dates it
computed. This module only FINDS periods in free text; every window is resolved to dates by the analytics layer's
one period parser (models.analytics.periods.resolve_period). What cannot be resolved (a period outside the data, a
holiday name, a period no calendar has: Q7, February 30, the 13th month) is returned as a plain-words problem
naming the bad part, never answered as the nearest period.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from models.analytics.periods import ImpossiblePeriod, resolve_period

__all__ = ["Window", "PeriodParse", "parse_periods", "MONTH_NAMES", "NAMED_PERIOD_WORDS"]

MONTH_NAMES = {m: i + 1 for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july",
                                               "august", "september", "october", "november", "december"])}
MONTH_NAMES.update({k[:3]: v for k, v in list(MONTH_NAMES.items())})
MONTH_NAMES["sept"] = 9
_MON = r"(" + "|".join(sorted(MONTH_NAMES, key=len, reverse=True)) + r")"
_NUMW = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
         "ten": 10, "twelve": 12, "fourteen": 14, "thirty": 30, "sixty": 60, "ninety": 90, "a": 1}
_N = r"(\d+|" + "|".join(sorted(_NUMW, key=len, reverse=True)) + r")"
# named days with no fixed calendar rule we resolve (a decline names them)
_HOLIDAYS = r"\b(winter|back to school|super bowl)\b"


def _nth_weekday(y: int, m: int, weekday: int, n: int) -> pd.Timestamp:
    """The n-th (1-based; -1 = last) given weekday (Monday = 0) of month m."""
    days = [pd.Timestamp(year=y, month=m, day=d) for d in range(1, calendar.monthrange(y, m)[1] + 1)]
    hits = [d for d in days if d.weekday() == weekday]
    return hits[n - 1] if n > 0 else hits[n]


def _easter(y: int) -> pd.Timestamp:
    """Easter Sunday (the Gregorian computus)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    lw = (32 + 2 * e + 2 * i - h - k) % 7
    mm = (a + 11 * h + 19 * lw) // 433
    month = (h + lw - 7 * mm + 90) // 25
    return pd.Timestamp(year=y, month=month, day=(h + lw - 7 * mm + 33 * month + 19) % 32)


def _thanksgiving(y: int) -> pd.Timestamp:
    return _nth_weekday(y, 11, 3, 4)  # the fourth Thursday of November (US)


_DAY = pd.Timedelta(days=1)


def _week_holding(day: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The Monday-to-Sunday week that holds ``day`` ("christmas week", "the week of dec 18")."""
    start = day - day.weekday() * _DAY
    return start, start + 6 * _DAY
# (pattern, year -> (first day, last day)): US retail holidays and seasons, each answer says the dates it used
_NAMED: list[tuple[str, Callable[[int], tuple[pd.Timestamp, pd.Timestamp]]]] = [
    (r"black friday weekend", lambda y: (_thanksgiving(y) + _DAY, _thanksgiving(y) + 3 * _DAY)),
    (r"black friday", lambda y: (_thanksgiving(y) + _DAY, _thanksgiving(y) + _DAY)),
    (r"cyber monday", lambda y: (_thanksgiving(y) + 4 * _DAY, _thanksgiving(y) + 4 * _DAY)),
    (r"thanksgiving (weekend|week ?end)", lambda y: (_thanksgiving(y), _thanksgiving(y) + 3 * _DAY)),
    (r"thanksgiving week", lambda y: _week_holding(_thanksgiving(y))),
    (r"(the )?week (before|leading up to|running up to|ahead of|prior to) (christmas|xmas)",
     lambda y: (pd.Timestamp(year=y, month=12, day=18), pd.Timestamp(year=y, month=12, day=24))),
    (r"(the )?week (before|leading up to|running up to|ahead of|prior to) thanksgiving",
     lambda y: (_thanksgiving(y) - 7 * _DAY, _thanksgiving(y) - _DAY)),
    (r"thanksgiving( day)?", lambda y: (_thanksgiving(y), _thanksgiving(y))),
    (r"christmas eve|xmas eve", lambda y: (pd.Timestamp(year=y, month=12, day=24),) * 2),
    (r"(the )?(christmas|xmas) week", lambda y: _week_holding(pd.Timestamp(year=y, month=12, day=25))),
    (r"christmas( day)?|xmas( day)?", lambda y: (pd.Timestamp(year=y, month=12, day=25),) * 2),
    (r"new year'?s? eve", lambda y: (pd.Timestamp(year=y, month=12, day=31),) * 2),
    (r"new year'?s?( day)?", lambda y: (pd.Timestamp(year=y, month=1, day=1),) * 2),
    (r"valentine'?s?( day)?", lambda y: (pd.Timestamp(year=y, month=2, day=14),) * 2),
    (r"halloween", lambda y: (pd.Timestamp(year=y, month=10, day=31),) * 2),
    (r"(the )?(fourth|4th) of july|independence day|july (4th|fourth)", lambda y: (pd.Timestamp(year=y, month=7, day=4),) * 2),
    (r"easter weekend", lambda y: (_easter(y) - 2 * _DAY, _easter(y) + _DAY)),  # Good Friday to Easter Monday
    (r"easter( sunday)?", lambda y: (_easter(y), _easter(y))),
    (r"memorial day weekend", lambda y: (_nth_weekday(y, 5, 0, -1) - 2 * _DAY, _nth_weekday(y, 5, 0, -1))),
    (r"memorial day", lambda y: (_nth_weekday(y, 5, 0, -1), _nth_weekday(y, 5, 0, -1))),
    (r"labou?r day weekend", lambda y: (_nth_weekday(y, 9, 0, 1) - 2 * _DAY, _nth_weekday(y, 9, 0, 1))),
    (r"labou?r day", lambda y: (_nth_weekday(y, 9, 0, 1), _nth_weekday(y, 9, 0, 1))),
    (r"mother'?s'? day", lambda y: (_nth_weekday(y, 5, 6, 2),) * 2),
    (r"father'?s'? day", lambda y: (_nth_weekday(y, 6, 6, 3),) * 2),
    (r"(the )?(holiday season|holidays|festive season|holiday period)",
     lambda y: (pd.Timestamp(year=y, month=11, day=1), pd.Timestamp(year=y, month=12, day=31))),
    (r"(the )?summer( months| season)?", lambda y: (pd.Timestamp(year=y, month=6, day=1), pd.Timestamp(year=y, month=8, day=31))),
    (r"(the )?spring( months| season)?", lambda y: (pd.Timestamp(year=y, month=3, day=1), pd.Timestamp(year=y, month=5, day=31))),
    (r"(the )?(autumn|fall season|fall months)( months| season)?",
     lambda y: (pd.Timestamp(year=y, month=9, day=1), pd.Timestamp(year=y, month=11, day=30))),
]
NAMED_PERIOD_WORDS = frozenset(w for p, _ in _NAMED for w in re.findall(r"[a-z]{3,}", p))  # not typos of anything
_NAMED_RE = r"\b(" + "|".join(p for p, _ in _NAMED) + r")\b(?:\s*(?:of\s+|in\s+)?(?P<year>(?:19|20)\d{2})\b)?"


def _named_day(m: re.Match, last: pd.Timestamp) -> Window:
    """A holiday or season: its dates in the year written, else the latest year it had ended (or begun) by the last
    order date; the answer's period line says which days."""
    name = m.group(1)
    rule = next(r for p, r in _NAMED if re.fullmatch(p, name))
    y = int(m.group("year")) if m.group("year") else None
    if y is None:
        y = last.year if rule(last.year)[0] <= last else last.year - 1
    s, e = rule(y)
    said = m.group(0).strip()
    return _range(s, e, f"{said} ({s.strftime('%A')})" if s == e else said, last)


@dataclass(frozen=True)
class Window:
    text: str            # what the query layer reads: "2017-Q3", "2017-03", "2017", "2017-06-01..2017-06-30"
    start: pd.Timestamp  # first day included
    end: pd.Timestamp    # last day included
    said: str            # the user's words ("last quarter")
    partial: bool = False  # runs to the last order date, not the period's end
    # for a window written without its year ("April", "the first half"): the same window in another year
    rebuild: Callable[[int], "Window"] | None = field(default=None, compare=False, repr=False)

    @property
    def dates(self) -> str:
        return f"{self.start.date()} to {self.end.date()}"

    def describe(self) -> str:
        return f"{self.said} = {self.dates}" + (" (partial: the data ends there)" if self.partial else "")


@dataclass
class PeriodParse:
    window: Window | None = None                 # one window
    compare: tuple[Window, Window] | None = None  # (before, after)
    problems: list[str] | None = None            # parts that name a period we cannot resolve
    spans: list[tuple[int, int]] | None = None   # character spans consumed in the text


def _num(tok: str) -> int:
    return int(tok) if tok.isdigit() else _NUMW[tok]


def _resolved(text: str, said: str, last: pd.Timestamp, rebuild=None) -> Window:
    """``text`` resolved by the analytics layer's period parser (the one parser), clipped to the last order date."""
    w = resolve_period(text, last)
    return _clip(Window(text, w.start, w.last_day, said, rebuild=rebuild), last)


def _month(y: int, m: int, said: str, last: pd.Timestamp, yearless: bool = False) -> Window:
    return _resolved(f"{y:04d}-{m:02d}", said, last,
                     (lambda yy: _month(yy, m, said, last, True)) if yearless else None)


def _quarter(y: int, q: int, said: str, last: pd.Timestamp, yearless: bool = False) -> Window:
    return _resolved(f"{y:04d}-Q{q}", said, last, (lambda yy: _quarter(yy, q, said, last, True)) if yearless else None)


def _half(y: int, h: int, said: str, last: pd.Timestamp, yearless: bool = False) -> Window:
    return _resolved(f"{y:04d}-H{h}", said, last, (lambda yy: _half(yy, h, said, last, True)) if yearless else None)


def _week(y: int, wk: int, said: str, last: pd.Timestamp, yearless: bool = False) -> Window:
    return _resolved(f"{y:04d}-W{wk:02d}", said, last, (lambda yy: _week(yy, wk, said, last, True)) if yearless else None)


def _day(y: int, m: int, d: int, said: str, last: pd.Timestamp, yearless: bool = False) -> Window:
    return _resolved(f"{y:04d}-{m:02d}-{d:02d}", said, last,
                     (lambda yy: _day(yy, m, d, said, last, True)) if yearless else None)


def _year(y: int, said: str, last: pd.Timestamp) -> Window:
    return _resolved(f"{y:04d}", said, last)


def _range(s: pd.Timestamp, e: pd.Timestamp, said: str, last: pd.Timestamp) -> Window:
    text = f"{s.date()}..{e.date()}"
    w = resolve_period(text, last)
    return _clip(Window(text, w.start, w.last_day, said), last)


def _clip(w: Window, last: pd.Timestamp) -> Window:
    if w.start <= last < w.end:
        return Window(w.text, w.start, last, w.said, partial=True, rebuild=w.rebuild)
    return w


def _relative(unit: str, back: int, said: str, last: pd.Timestamp) -> Window:
    """The calendar ``unit`` containing ``last`` moved ``back`` units earlier."""
    if unit == "month":
        p = pd.Period(last, freq="M") - back
        return _month(p.year, p.month, said, last)
    if unit == "quarter":
        p = pd.Period(last, freq="Q") - back
        return _quarter(p.year, p.quarter, said, last)
    if unit == "year":
        return _year(last.year - back, said, last)
    if unit == "week":
        s = (last - pd.Timedelta(days=last.weekday())).normalize() - pd.Timedelta(weeks=back)
        return _range(s, s + pd.Timedelta(days=6), said, last)
    d = last.normalize() - pd.Timedelta(days=back)
    return _range(d, d, said, last)


def _year_for_month(m: int, last: pd.Timestamp, first: pd.Timestamp | None) -> int:
    """The most recent year whose month ``m`` has a week of data by the last order date."""
    if m < last.month or (m == last.month and last.day >= 7):
        return last.year
    return last.year - 1


def _year_for_day(m: int, d: int, last: pd.Timestamp) -> int:
    """The most recent year in which month ``m`` day ``d`` is on or before the last order date."""
    for y in range(last.year, last.year - 9, -1):
        if d <= calendar.monthrange(y, m)[1] and pd.Timestamp(year=y, month=m, day=d) <= last:
            return y  # February 29: the last leap year
    return last.year


def _year_for_start(start_of: Callable[[int], pd.Timestamp], last: pd.Timestamp) -> int:
    """The most recent year whose period (first day ``start_of(year)``) has a week of data by the last order date."""
    return last.year if (last - start_of(last.year)).days >= 6 else last.year - 1


_ORD = r"(?:st|nd|rd|th)?"
_DAYNUM = r"(3[01]|[12]\d|0?[1-9])"


def _day_from(y: str | None, mo: int, d: str, said: str, last: pd.Timestamp) -> Window:
    dd = int(d)
    if y:
        return _day(int(y), mo, dd, said, last)
    return _day(_year_for_day(mo, dd, last), mo, dd, said, last, yearless=True)


def _us_date(m: re.Match, last: pd.Timestamp) -> Window:
    mo, d, y = int(m.group(1)), m.group(2), m.group(3)
    if y and len(y) == 2:
        y = "20" + y
    return _day_from(y, mo, d, m.group(0), last)


def _half_from(h: int, y: str | None, said: str, last: pd.Timestamp) -> Window:
    if y:
        return _half(int(y), h, said, last)
    yy = _year_for_start(lambda yr: pd.Timestamp(year=yr, month=1 if h == 1 else 7, day=1), last)
    return _half(yy, h, said, last, yearless=True)


def _week_from(wk: int, y: str | None, said: str, last: pd.Timestamp) -> Window:
    if y:
        return _week(int(y), wk, said, last)
    yy = _year_for_start(lambda yr: pd.Timestamp.fromisocalendar(yr, min(wk, 52), 1), last)
    return _week(yy, wk, said, last, yearless=True)


def _one(text: str, last: pd.Timestamp, first: pd.Timestamp | None) -> tuple[Window | None, tuple[int, int] | None]:
    """The first single window written in ``text`` (with its span)."""
    t = text
    wk = re.search(r"\b(?:the\s+)?week\s+(of|starting|beginning|commencing|from)\s+(?:the\s+)?(?=\S)", t)
    if wk:  # "the week of dec 18": the Monday-Sunday week holding that day; "the week starting ...": 7 days from it
        day, span = _one(t[wk.end():], last, first)
        if day is not None and span[0] == 0 and day.start == day.end:
            s, e = _week_holding(day.start) if wk.group(1) == "of" else (day.start, day.start + 6 * _DAY)
            return (_range(s, e, f"the week {wk.group(1)} {day.said}", last),
                    (wk.start(), wk.end() + span[1]))
    pats: list[tuple[str, object]] = [
        (r"\b(\d{4})-(\d{2})-(\d{2})\s*(?:\.\.|to|until|through|-|–)\s*(\d{4})-(\d{2})-(\d{2})\b",
         lambda m: _range(pd.Timestamp(m.group(0)[:10]), pd.Timestamp(m.group(0)[-10:]), m.group(0), last)),
        (_NAMED_RE, lambda m: _named_day(m, last)),
        (r"\b(?:between|from)\s+" + _MON + r"(?:\s+(\d{4}))?\s+(?:and|to|until|through|-)\s+" + _MON + r"(?:\s+(\d{4}))?\b"
         r"(?!\s*\d)",
         lambda m: _span_months(m, last, first)),
        (r"\b(?:in\s+|during\s+)?(?:the\s+)?(last|past|previous|trailing)\s+" + _N + r"\s+(day|week|month|quarter|year)s?\b",
         lambda m: _trailing(_num(m.group(2)), m.group(3), m.group(0).strip(), last)),
        (r"\b(?:in\s+|during\s+)?(?:the\s+)?(last|past|previous)\s+(day|week|month|quarter|year)\b",
         lambda m: _relative(m.group(2), 1, f"last {m.group(2)}", last)),
        (r"\b(?:in\s+|during\s+)?(this|current|the current)\s+(day|week|month|quarter|year)\b(\s+(so far|to date))?",
         lambda m: _relative(m.group(2), 0, f"this {m.group(2)}", last)),
        (r"\b(?:since|from)\s+the\s+(?:start|beginning)\s+of\s+(?:the|this)\s+(year|quarter|month|week)\b",
         lambda m: _relative(m.group(1), 0, f"the start of the {m.group(1)}", last)),
        (r"\b(ytd|year[- ]to[- ]date)\b", lambda m: _relative("year", 0, "year to date", last)),
        (r"\b(qtd|quarter[- ]to[- ]date)\b", lambda m: _relative("quarter", 0, "quarter to date", last)),
        (r"\b(mtd|month[- ]to[- ]date)\b", lambda m: _relative("month", 0, "month to date", last)),
        (r"\byesterday\b", lambda m: _relative("day", 1, "yesterday", last)),
        (r"\btoday\b", lambda m: _relative("day", 0, "today (the last day of data)", last)),
        (r"\b(\d{4})-(\d{2})-(\d{2})\b", lambda m: _day(int(m.group(1)), int(m.group(2)), int(m.group(3)),
                                                        m.group(0), last)),
        # "the first week of December", "the last week of march 2017": seven days of that month
        (r"\b(?:the\s+)?(first|second|third|fourth|last|final|1st|2nd|3rd|4th)\s+week\s+(?:of|in)\s+" + _MON +
         r"\.?(?:,?\s+(\d{4}))?\b",
         lambda m: _week_of_month(m, last, first)),
        # single days: "November 24th 2017", "nov 24", "the 24th of November", "11/24/2017", "3/1"
        (r"\b" + _MON + r"\.?\s+" + _DAYNUM + _ORD + r"\b(?!\s*(?:%|percent|days?|weeks?|months?|years?|customers?|"
         r"orders?|[-/]))(?:,?\s+(\d{4})\b)?",
         lambda m: _day_from(m.group(3), MONTH_NAMES[m.group(1)], m.group(2), m.group(0), last)),
        (r"\b(?:the\s+)?" + _DAYNUM + _ORD + r"\s+(?:of\s+)?" + _MON + r"\b(?:,?\s+(\d{4})\b)?",
         lambda m: _day_from(m.group(3), MONTH_NAMES[m.group(2)], m.group(1), m.group(0), last)),
        (r"(?<![\d/])(1[0-2]|0?[1-9])/" + _DAYNUM + r"(?:/(\d{4}|\d{2}))?(?![\d/])", lambda m: _us_date(m, last)),
        # halves: "the first half of 2017", "H2 2017", "2017-H1", "second half"
        (r"\b(?:the\s+)?(first|second|1st|2nd)\s+half(?:\s+(?:of\s+)?(?:the\s+year\s+)?((?:19|20)\d{2}))?\b",
         lambda m: _half_from(_ord(m.group(1)), m.group(2), m.group(0), last)),
        (r"\bh([12])\s*(?:of\s+)?((?:19|20)\d{2})?\b", lambda m: _half_from(int(m.group(1)), m.group(2), m.group(0), last)),
        (r"\b((?:19|20)\d{2})\s*-?\s*h([12])\b", lambda m: _half(int(m.group(1)), int(m.group(2)), m.group(0), last)),
        # ISO weeks: "week 12 of 2017", "the 12th week of 2017", "2017-W12"
        (r"\b((?:19|20)\d{2})\s*-?\s*w(\d{1,2})\b", lambda m: _week(int(m.group(1)), int(m.group(2)), m.group(0), last)),
        (r"\bweek\s+(?:number\s+|no\.?\s+|#)?(\d{1,2})(?:\s+(?:of|in)\s+((?:19|20)\d{2}))?\b",
         lambda m: _week_from(int(m.group(1)), m.group(2), m.group(0), last)),
        (r"\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\s+week(?:\s+(?:of|in)\s+(?:the\s+year\s+)?((?:19|20)\d{2}))?\b",
         lambda m: _week_from(int(m.group(1)), m.group(2), m.group(0), last)),
        (r"\b(\d{4})\s*-?\s*q([1-4])\b", lambda m: _quarter(int(m.group(1)), int(m.group(2)), m.group(0), last)),
        (r"\bq([1-4])\s*(?:of\s+)?(\d{4})\b", lambda m: _quarter(int(m.group(2)), int(m.group(1)), m.group(0), last)),
        (r"\b(?:the\s+)?(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+(?:of\s+)?(\d{4}))?\b",
         lambda m: _quarter(int(m.group(2)), _ord(m.group(1)), m.group(0), last) if m.group(2) else
         _quarter(_year_for_q(_ord(m.group(1)), last), _ord(m.group(1)), m.group(0), last, yearless=True)),
        (r"\bq([1-4])\b", lambda m: _quarter(_year_for_q(int(m.group(1)), last), int(m.group(1)), m.group(0), last,
                                             yearless=True)),
        (r"\b(\d{4})-(\d{2})\b", lambda m: _month(int(m.group(1)), int(m.group(2)), m.group(0), last)),
        (r"\b" + _MON + r"\.?,?\s+(\d{4})\b", lambda m: _month(int(m.group(2)), MONTH_NAMES[m.group(1)], m.group(0), last)),
        (r"\b" + _MON + r"\b(?=\s*(?:vs\.?|versus|compared (?:to|with)|against|and|or|to|through|-)\s*" + _MON + r"\b)",
         lambda m: _bare_month(m.group(1), last, first)),  # "soft drinks sales march vs april"
        (r"\b(?:in|during|for|of|over|since|after|from|by|on|through|and|vs|versus|with|compare|until|before|"
         r"than|to)\s+" + _MON + r"\b|^\s*(?!may\b)" + _MON + r"\b|\b(?!may\b|march\b|mar\b)" + _MON + r"\b",
         lambda m: _bare_month(next(g for g in m.groups() if g), last, first)),
        (r"\b(?:in|during|for|of|over|since|throughout)\s+(?:the\s+year\s+)?((?:19|20)\d{2})\b",
         lambda m: _year(int(m.group(1)), m.group(1), last)),
        (r"\b((?:19|20)\d{2})\b", lambda m: _year(int(m.group(1)), m.group(1), last)),
    ]
    found = []
    for k, (pat, make) in enumerate(pats):
        m = re.search(pat, t)
        if m:
            found.append((m, make, k))
            if k == 0:  # explicit date ranges win
                break
    if not found:
        return None, None
    lead = min(found, key=lambda f: (f[0].start(), f[2]))
    # "for june 2019": of the matches overlapping the first one, the one that reaches furthest ("june 2019")
    over = [f for f in found if f[0].start() < lead[0].end() and f[0].end() > lead[0].start()]
    m, make, _ = max(over, key=lambda f: (f[0].end(), -f[2]))
    return make(m), m.span()


def _bare_month(name: str, last: pd.Timestamp, first: pd.Timestamp | None) -> Window:
    mo = MONTH_NAMES[name]
    return _month(_year_for_month(mo, last, first), mo, name, last, yearless=True)


def _week_of_month(m: re.Match, last: pd.Timestamp, first: pd.Timestamp | None) -> Window:
    mo = MONTH_NAMES[m.group(2)]
    month = _month(int(m.group(3)), mo, m.group(0), last) if m.group(3) else _bare_month(m.group(2), last, first)
    start = pd.Timestamp(year=month.start.year, month=mo, day=1)
    end_of_month = start + pd.offsets.MonthEnd(0)
    if m.group(1) in ("last", "final"):
        a = end_of_month - pd.Timedelta(days=6)
    else:
        a = start + pd.Timedelta(days=7 * (_ord(m.group(1)) - 1))
    return _range(a, a + pd.Timedelta(days=6), m.group(0).strip(), last)


def _ord(w: str) -> int:
    return {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}[w]


def _year_for_q(q: int, last: pd.Timestamp) -> int:
    """The most recent year whose quarter ``q`` has a week of data by the last order date."""
    started = pd.Timestamp(year=last.year, month=3 * q - 2, day=1)
    return last.year if q < last.quarter or (q == last.quarter and (last - started).days >= 6) else last.year - 1


def _trailing(n: int, unit: str, said: str, last: pd.Timestamp) -> Window:
    """"the last 30 days", "past 3 months": resolved by the analytics layer (``last_N_units``), as a date range;
    "the last 2 quarters": the last two calendar quarters that are complete by the last order date."""
    if unit == "quarter":
        cur = pd.Period(last, freq="Q")
        done = cur if last.normalize() == cur.end_time.normalize() else cur - 1
        s, e = (done - (n - 1)).start_time.normalize(), done.end_time.normalize()
        return Window(f"{s.date()}..{e.date()}", s, e, said)
    w = resolve_period(f"last_{n}_{unit}s", last)
    return Window(f"{w.start.date()}..{w.last_day.date()}", w.start, w.last_day, said)


def _span_months(m: re.Match, last: pd.Timestamp, first: pd.Timestamp | None) -> Window:
    m1, m2 = MONTH_NAMES[m.group(1)], MONTH_NAMES[m.group(3)]
    y2 = int(m.group(4)) if m.group(4) else _year_for_month(m2, last, first)
    y1 = int(m.group(2)) if m.group(2) else (y2 if m1 <= m2 else y2 - 1)
    a, b = _month(y1, m1, "", last), _month(y2, m2, "", last)
    w = _range(a.start, b.end, m.group(0), last)
    return w


# periods no calendar has: named, never answered as the nearest real period
_YR = r"(?:\s*(?:of|in)?\s*(?:the\s+year\s+)?(?:19|20)\d{2}\b)?"


def _impossible(t: str) -> list[tuple[str, tuple[int, int]]]:
    out: list[tuple[str, tuple[int, int]]] = []

    def add(msg: str, m: re.Match) -> None:
        if not any(a <= m.start() < b for _, (a, b) in out):
            out.append((msg, m.span()))

    for m in re.finditer(r"\b(?:(?:19|20)\d{2}\s*-?\s*)?q(\d+)\b" + _YR + r"|\bquarter\s+(\d+)\b" + _YR, t):
        q = int(m.group(1) or m.group(2))
        if not 1 <= q <= 4:
            add(f"there is no Q{q} (\"{m.group(0).strip()}\"): quarters run Q1 to Q4", m)
    for m in re.finditer(r"\b(?:the\s+)?(\d+)(?:st|nd|rd|th)\s+quarter\b" + _YR, t):
        if not 1 <= int(m.group(1)) <= 4:
            add(f"there is no {m.group(1)}th quarter (\"{m.group(0).strip()}\"): a year has four, Q1 to Q4", m)
    for m in re.finditer(r"\b(?:(?:19|20)\d{2}\s*-?\s*)?h(\d+)\b" + _YR + r"|\b(third|fourth|3rd|4th)\s+half\b" + _YR, t):
        if m.group(2) or not 1 <= int(m.group(1)) <= 2:
            add(f"there is no {'H' + m.group(1) if m.group(1) else m.group(2) + ' half'} (\"{m.group(0).strip()}\"): "
                f"a year has two halves, H1 and H2", m)
    for m in re.finditer(r"\b(?:the\s+)?(\d+)(?:st|nd|rd|th)\s+month\b" + _YR + r"|\bmonth\s+(?:number\s+)?(\d+)\b" + _YR, t):
        n = int(m.group(1) or m.group(2))
        if not 1 <= n <= 12:
            add(f"there is no month {n} (\"{m.group(0).strip()}\"): a year has 12 months", m)
    for m in re.finditer(r"\b(?:19|20)\d{2}-(\d{1,2})(?:-(\d{1,2}))?\b", t):
        mo = int(m.group(1))
        if not 1 <= mo <= 12:
            add(f"there is no month {mo} (\"{m.group(0)}\"): months run 01 to 12", m)
    for m in re.finditer(r"\bweek\s+(?:number\s+|no\.?\s+|#)?(\d+)\b" + _YR + r"|\b(?:the\s+)?(\d+)(?:st|nd|rd|th)\s+"
                         r"week\b" + _YR, t):
        if not 1 <= int(m.group(1) or m.group(2)) <= 53:
            add(f"there is no week {int(m.group(1) or m.group(2))} (\"{m.group(0).strip()}\"): a year has 52 or 53 "
                f"weeks", m)
    days = [(r"\b" + _MON + r"\.?\s+(\d{1,2})" + _ORD + r"\b(?!\s*(?:%|percent|days?|weeks?|months?|years?|customers?|"
             r"orders?))(?:,?\s+((?:19|20)\d{2})\b)?", 1, 2, 3),
            (r"\b(?:the\s+)?(\d{1,2})" + _ORD + r"\s+(?:of\s+)?" + _MON + r"\b(?:,?\s+((?:19|20)\d{2})\b)?", 2, 1, 3),
            (r"\b((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})\b", None, 3, 1),
            (r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/((?:19|20)?\d{2}))?(?![\d/%])", None, 2, 3)]
    for pat, gm, gd, gy in days:
        for m in re.finditer(pat, t):
            if gm is None:
                mo = int(m.group(2) if gd == 3 else m.group(1))
                if not 1 <= mo <= 12:
                    if gd == 2 and int(m.group(2)) <= 20:
                        continue  # "80/20" and such: not a date
                    add(f"there is no month {mo} (\"{m.group(0)}\")", m)
                    continue
            else:
                mo = MONTH_NAMES[m.group(gm)]
            d = int(m.group(gd))
            y = m.group(gy)
            y = int(("20" + y) if y and len(y) == 2 else y) if y else 2016  # a leap year: February 29 exists
            if not 1 <= d <= calendar.monthrange(y, mo)[1]:
                add(f"there is no {calendar.month_name[mo]} {d}" + (f" in {y}" if m.group(gy) else "") +
                    f" (\"{m.group(0).strip()}\"): {calendar.month_name[mo]} has {calendar.monthrange(y, mo)[1]} days", m)
    return out


_VS = r"\s*(?:vs\.?|versus|through|until|till|(?:compared?|compares|stack up|stacks up)\s+(?:to|with|against)|against|" \
      r"over|and|to|with|or|than|-|–|beat|beats|outperform(?:s|ed)?|outs(?:old|ell|ells)|exceed(?:s|ed)?|surpass(?:es|ed)?)(?:\s+(?:in|during|for|on|of)\b)?(?:\s+the\b)?\s*"


def parse_periods(text: str, last: pd.Timestamp | None, first: pd.Timestamp | None = None) -> PeriodParse:
    """Windows in ``text`` (lower case). ``last``: the last order date (None: no orders, nothing resolved)."""
    try:
        return _parse_periods(text, last, first)
    except ImpossiblePeriod as exc:  # a period the layer's parser rejects (not caught by _impossible)
        return PeriodParse(problems=[f"I can't answer for that period: {exc}"], spans=[])


def _parse_periods(text: str, last: pd.Timestamp | None, first: pd.Timestamp | None) -> PeriodParse:
    out = PeriodParse(problems=[], spans=[])
    t = text.lower()
    hol = re.search(_HOLIDAYS, t)
    if hol:
        out.problems.append(f"I can't map \"{hol.group(0)}\" to dates on my own; name the months or dates "
                            f"(e.g. \"in December\" or \"2017-11-20 to 2017-11-30\")")
        out.spans.append(hol.span())
    for msg, (a, b) in _impossible(t):
        out.problems.append("I can't answer for that period: " + msg)
        out.spans.append((a, b))
        t = t[:a] + "~" * (b - a) + t[b:]
    if last is None:
        return out
    last = pd.Timestamp(last).normalize()
    # "this month vs last (month)", "last month compared to the month before"
    m = re.search(r"\b(this|current)\s+(week|month|quarter|year)(?:'s)?(?P<mid>(?:\s+[a-z]+){0,3}?)\s*(?P<vs>vs\.?|versus|"
                  r"compared (?:to|with)|against|than)\s*(?:the\s+)?(?:last|previous|prior)(?:\s+(?:week|month|quarter|year))?"
                  r"(?:'s)?(?:\s+one)?\b", t)
    if m:
        u = m.group(2)
        out.compare = (_relative(u, 1, f"last {u}", last), _relative(u, 0, f"this {u}", last))
        out.spans += [(m.start(), m.start("mid")), (m.start("vs"), m.end())]  # "this month's orders vs last": orders
        return _check(out, first, last)
    # "the past 2 months vs the 2 months before", "last 30 days vs the previous 30 days": two trailing windows
    m = re.search(r"\b(?:the\s+)?(?:last|past|previous|trailing)\s+" + _N + r"\s+(day|week|month|quarter|year)s?\b"
                  r"(?P<mid>(?:\s+[a-z]+){0,3}?)\s*(?P<vs>vs\.?|versus|compared (?:to|with)|against|and)\s+(?:the\s+|with\s+the\s+)?"
                  r"(?:(?:previous|prior|preceding|earlier)\s+(?:" + _N + r"\s+)?(?:day|week|month|quarter|year)s?|"
                  r"(?:" + _N + r"\s+)?(?:day|week|month|quarter|year)s?\s+(?:before|prior|earlier)(?:\s+(?:that|it|then))?)\b", t)
    if m:
        n, u = _num(m.group(1)), m.group(2)
        now = _trailing(n, u, f"the last {n} {u}s", last)
        end = now.start - pd.Timedelta(days=1)
        w = resolve_period(f"last_{n}_{u}s", end)
        before = Window(f"{w.start.date()}..{w.last_day.date()}", w.start, w.last_day, f"the {n} {u}s before")
        out.compare = (before, now)
        out.spans += [(m.start(), m.start("mid")), (m.start("vs"), m.end())]
        return _check(out, first, last)
    m = re.search(r"\b(last|previous)\s+(week|month|quarter|year)\s*(?:vs\.?|versus|compared (?:to|with)|against)\s*"
                  r"(?:the\s+)?(?:one|(week|month|quarter|year))\s+before\b|"
                  r"\b(week|month|quarter|year)[- ]over[- ](week|month|quarter|year)\b", t)
    if m:
        u = m.group(2) or m.group(4)
        if m.group(4):  # "month over month": the last full unit vs the one before
            out.compare = (_relative(u, 2, f"the {u} before", last), _relative(u, 1, f"last {u}", last))
        else:
            out.compare = (_relative(u, 2, f"the {u} before", last), _relative(u, 1, f"last {u}", last))
        out.spans.append(m.span())
        return _check(out, first, last)
    # "how did revenue change from October to November": a change between two periods, not one range
    if re.search(r"\b(change[sd]?|growth|grew|grow|difference|differ|increase[sd]?|decrease[sd]?|drop(ped)?|"
                 r"declin\w*|rise|rose|fell|compar\w*|go up|go down|went up|went down)\b", t):
        m = re.search(r"\b(?:from|between)\s+(?:the\s+)?(.+?)\s+(?:to|and|until|through|till)\s+(?:the\s+)?(.+?)"
                      r"(?=\s*$|\s*[?.,;!(]|\s+(?:by|for|per|across|broken|split|in\s+(?:revenue|sales|orders)|for)\b)", t)
        if m:
            wa, sa = _one(m.group(1), last, first)
            wb, sb = _one(m.group(2), last, first)
            if wa is not None and wb is not None and sa == (0, len(m.group(1))) and sb == (0, len(m.group(2))) \
                    and ".." not in wa.text and ".." not in wb.text:
                a, b = _same_year(wa, wb)
                out.compare = (a, b) if a.start <= b.start else (b, a)
                out.spans.append(m.span())
                return _check(out, first, last)
    # two windows joined by vs / compared to / and (when the question compares)
    first_w, span1 = _one(t, last, first)
    same = re.search(r"\b(?:vs\.?|versus|compared (?:to|with)|against|and|with)?\s*(?:the\s+)?same\s+(?:week|month|quarter|"
                     r"period|time|day|days|weeks|months)\s+(?:a\s+|one\s+)?(?:last|previous|prior|the previous|the prior)\s+"
                     r"year\b|\b(?:vs\.?|versus|compared (?:to|with)|against)\s+(?:a|one)\s+year\s+(?:ago|earlier|before)\b", t)
    if first_w is not None and same and same.start() >= span1[1]:
        # "last week compared with the same week last year": the same dates a year earlier
        ys, ye = first_w.start - pd.DateOffset(years=1), first_w.end - pd.DateOffset(years=1)
        before = Window(f"{ys.date()}..{ye.date()}", ys, ye, f"the same {first_w.said.split()[-1]} a year earlier")
        out.compare = (before, first_w)
        out.spans += [span1, same.span()]
        return _check(out, first, last)
    if first_w is not None:
        rest = t[span1[1]:]
        j = re.match(_VS, rest) or re.match(r"\s*(?:[a-z]+\s+){0,3}?than(?:\s+(?:in|during|for|on|of)\b)?(?:\s+the\b)?\s*",
                                            rest)  # "in H2 bigger than (in) H1"
        mid = 0  # "Q4 orders compared to Q3": the words between the period and the joiner are not the period's
        jm = re.match(r"(?P<mid>\s+(?!(?:and|or|to|vs|versus|than|over|with|through|until|till)\b)(?:[a-z]+\s+){1,3}?)"
                      r"(?:vs\.?|versus|compared?\s+(?:to|with)|against)(?:\s+(?:in|during|for|on|of)\b)?(?:\s+the\b)?\s*",
                      rest)
        if jm:
            j, mid = jm, len(jm.group("mid"))
        comparing = re.search(r"\b(vs\.?|versus|compar\w*|against|change|growth|grew|grow|difference|differ|"
                              r"increase|decrease|drop|declin\w*|up or down|rise|rose|fell|jump\w*|spike\w*|surge\w*)\b", t)
        joiner = re.sub(r"\s+(in|during|for|on|of|the)\b", "", j.group(0)).strip() if j else ""
        joiner = "than" if re.search(r"than$|^(beat|out|exceed|surpass)", joiner) else joiner
        opened = re.search(r"\b(between|from)\s+(?:the\s+)?$", t[max(0, span1[0] - 14):span1[0]])
        ranged = not comparing and (joiner in ("to", "through", "until", "till", "-", "–") or
                                    (opened is not None and joiner == "and"))
        if j and ranged:
            second, span2 = _one(rest[j.end():], last, first)
            if second is not None and span2[0] == 0:
                a, b = _same_year(first_w, second)
                if a.rebuild is not None and a.start > b.end:  # "December 1 to January 15 2018"
                    a = a.rebuild(a.start.year - 1)
                if b.end >= a.start:
                    out.window = _range(a.start, b.end, f"{a.said} to {b.said}", last)
                    out.spans.append((span1[0], span1[1] + j.end() + span2[1]))
                    return _check(out, first, last)
        if j and (comparing or joiner not in ("to", "through", "until", "till", "over", "with", "-", "–")):
            second, span2 = _one(rest[j.end():], last, first)
            if second is not None and span2[0] == 0:
                # "Q2 vs Q3 2017", "April than March 2017": a window written without its year takes its partner's
                a, b = _same_year(first_w, second)
                out.compare = (a, b) if a.start <= b.start else (b, a)
                if mid:
                    out.spans += [span1, (span1[1] + mid, span1[1] + j.end() + span2[1])]
                else:
                    out.spans.append((span1[0], span1[1] + j.end() + span2[1]))
                return _check(out, first, last)
        out.window = first_w
        out.spans.append(span1)
        # "since May" / "after March" / "before June": open windows
        pre = t[max(0, span1[0] - 8): span1[0] + 8]
        if ".." in first_w.text and not (re.search(r"\b(since|after)\b", pre) and first_w.start == first_w.end):
            pass  # already a range ("from march through june", "last 30 days"); "since black friday": open below
        elif re.search(r"\b(since|after|from)\b", pre) and not re.search(r"\bto\b|\buntil\b", rest[:20]):
            out.window = Window(f"{first_w.start.date()}..{last.date()}", first_w.start, last,
                                f"since {first_w.said}")
        elif re.search(r"\b(before|until|till|up to)\b", pre):
            end = first_w.start - pd.Timedelta(days=1)
            s = first or pd.Timestamp("1900-01-01")
            out.window = Window(f"{pd.Timestamp(s).date()}..{end.date()}", pd.Timestamp(s).normalize(), end,
                                f"before {first_w.said}")
    return _check(out, first, last)


def _same_year(a: Window, b: Window) -> tuple[Window, Window]:
    """"Q2 vs Q3 2017": a window written without its year (a bare Q2) takes the year of its partner."""
    if a.rebuild is not None and b.rebuild is None and a.start.year != b.start.year and b.text[:4].isdigit():
        return a.rebuild(b.start.year), b
    if b.rebuild is not None and a.rebuild is None and a.start.year != b.start.year and a.text[:4].isdigit():
        return a, b.rebuild(a.start.year)
    return a, b


def _check(out: PeriodParse, first: pd.Timestamp | None, last: pd.Timestamp) -> PeriodParse:
    """A window with no day inside the data is a problem to name, not a query to run."""
    lo = pd.Timestamp(first).normalize() if first is not None else None
    wins = [out.window] if out.window else list(out.compare or ())
    for w in wins:
        if w.start > last or (lo is not None and w.end < lo):
            span = f"{lo.date()} to {last.date()}" if lo is not None else f"up to {last.date()}"
            out.problems.append(f"\"{w.said}\" ({w.dates}) is not in your data: your orders run from {span}")
    return out
