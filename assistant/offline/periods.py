"""Time windows in a question, resolved to dates anchored on the data's last order date (not today).

"last quarter", "in March", "Q2 vs Q3", "this month vs last", "the last 30 days", "2017", "since May"... become
``Window`` objects: a query period text the semantic layer reads ("2017-Q3", "2017-03", "2017-06-01..2017-06-30")
and the resolved first/last day, so the answer can say which dates it computed. What cannot be resolved (a
period outside the data, a holiday name) is returned as a plain-words problem, never guessed.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

import pandas as pd

__all__ = ["Window", "PeriodParse", "parse_periods", "MONTH_NAMES"]

MONTH_NAMES = {m: i + 1 for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july",
                                               "august", "september", "october", "november", "december"])}
MONTH_NAMES.update({k[:3]: v for k, v in list(MONTH_NAMES.items())})
MONTH_NAMES["sept"] = 9
_MON = r"(" + "|".join(sorted(MONTH_NAMES, key=len, reverse=True)) + r")"
_NUMW = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
         "ten": 10, "twelve": 12, "fourteen": 14, "thirty": 30, "sixty": 60, "ninety": 90, "a": 1}
_N = r"(\d+|" + "|".join(sorted(_NUMW, key=len, reverse=True)) + r")"
_HOLIDAYS = r"\b(christmas|xmas|easter|thanksgiving|black friday|cyber monday|halloween|valentine'?s?( day)?|" \
            r"new year'?s?( eve| day)?|holiday season|the holidays|summer|winter|spring|autumn|fall season|" \
            r"back to school|labor day|memorial day|super bowl)\b"


@dataclass(frozen=True)
class Window:
    text: str            # what the query layer reads: "2017-Q3", "2017-03", "2017", "2017-06-01..2017-06-30"
    start: pd.Timestamp  # first day included
    end: pd.Timestamp    # last day included
    said: str            # the user's words ("last quarter")
    partial: bool = False  # runs to the last order date, not the period's end

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


def _month(y: int, m: int, said: str, last: pd.Timestamp) -> Window:
    s = pd.Timestamp(year=y, month=m, day=1)
    e = pd.Timestamp(year=y, month=m, day=calendar.monthrange(y, m)[1])
    return _clip(Window(f"{y:04d}-{m:02d}", s, e, said), last)


def _quarter(y: int, q: int, said: str, last: pd.Timestamp) -> Window:
    s = pd.Timestamp(year=y, month=3 * q - 2, day=1)
    e = (s + pd.offsets.QuarterEnd(0)).normalize()
    return _clip(Window(f"{y:04d}-Q{q}", s, e, said), last)


def _year(y: int, said: str, last: pd.Timestamp) -> Window:
    return _clip(Window(f"{y:04d}", pd.Timestamp(year=y, month=1, day=1), pd.Timestamp(year=y, month=12, day=31), said),
                 last)


def _range(s: pd.Timestamp, e: pd.Timestamp, said: str, last: pd.Timestamp) -> Window:
    return _clip(Window(f"{s.date()}..{e.date()}", s.normalize(), e.normalize(), said), last)


def _clip(w: Window, last: pd.Timestamp) -> Window:
    if w.start <= last < w.end:
        return Window(w.text, w.start, last, w.said, partial=True)
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


def _one(text: str, last: pd.Timestamp, first: pd.Timestamp | None) -> tuple[Window | None, tuple[int, int] | None]:
    """The first single window written in ``text`` (with its span)."""
    t = text
    pats: list[tuple[str, object]] = [
        (r"\b(\d{4})-(\d{2})-(\d{2})\s*(?:\.\.|to|until|through|-|–)\s*(\d{4})-(\d{2})-(\d{2})\b",
         lambda m: _range(pd.Timestamp(m.group(0)[:10]), pd.Timestamp(m.group(0)[-10:]), m.group(0), last)),
        (r"\b(?:between|from)\s+" + _MON + r"(?:\s+(\d{4}))?\s+(?:and|to|until|through|-)\s+" + _MON + r"(?:\s+(\d{4}))?\b",
         lambda m: _span_months(m, last, first)),
        (r"\b(?:in\s+|during\s+)?(?:the\s+)?(last|past|previous|trailing)\s+" + _N + r"\s+(day|week|month|quarter|year)s?\b",
         lambda m: _trailing(_num(m.group(2)), m.group(3), m.group(0).strip(), last)),
        (r"\b(?:in\s+|during\s+)?(?:the\s+)?(last|past|previous)\s+(day|week|month|quarter|year)\b",
         lambda m: _relative(m.group(2), 1, f"last {m.group(2)}", last)),
        (r"\b(?:in\s+|during\s+)?(this|current|the current)\s+(day|week|month|quarter|year)\b(\s+(so far|to date))?",
         lambda m: _relative(m.group(2), 0, f"this {m.group(2)}", last)),
        (r"\b(ytd|year[- ]to[- ]date)\b", lambda m: _relative("year", 0, "year to date", last)),
        (r"\b(qtd|quarter[- ]to[- ]date)\b", lambda m: _relative("quarter", 0, "quarter to date", last)),
        (r"\b(mtd|month[- ]to[- ]date)\b", lambda m: _relative("month", 0, "month to date", last)),
        (r"\byesterday\b", lambda m: _relative("day", 1, "yesterday", last)),
        (r"\btoday\b", lambda m: _relative("day", 0, "today (the last day of data)", last)),
        (r"\b(\d{4})-(\d{2})-(\d{2})\b", lambda m: _range(pd.Timestamp(m.group(0)), pd.Timestamp(m.group(0)),
                                                          m.group(0), last)),
        (r"\b(\d{4})\s*-?\s*q([1-4])\b", lambda m: _quarter(int(m.group(1)), int(m.group(2)), m.group(0), last)),
        (r"\bq([1-4])\s*(?:of\s+)?(\d{4})\b", lambda m: _quarter(int(m.group(2)), int(m.group(1)), m.group(0), last)),
        (r"\b(?:the\s+)?(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+(?:of\s+)?(\d{4}))?\b",
         lambda m: _quarter(int(m.group(2)) if m.group(2) else _year_for_q(_ord(m.group(1)), last),
                            _ord(m.group(1)), m.group(0), last)),
        (r"\bq([1-4])\b", lambda m: _quarter(_year_for_q(int(m.group(1)), last), int(m.group(1)), m.group(0), last)),
        (r"\b(\d{4})-(\d{2})\b", lambda m: _month(int(m.group(1)), int(m.group(2)), m.group(0), last)),
        (r"\b" + _MON + r"\.?,?\s+(\d{4})\b", lambda m: _month(int(m.group(2)), MONTH_NAMES[m.group(1)], m.group(0), last)),
        (r"\b(?:in|during|for|of|over|since|after|from|by|on|through|and|vs|versus|with|compare|until|before|"
         r"to)\s+" + _MON + r"\b|^\s*(?!may\b)" + _MON + r"\b|\b(?!may\b|march\b|mar\b)" + _MON + r"\b",
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
    first = min(found, key=lambda f: (f[0].start(), f[2]))
    # "for june 2019": of the matches overlapping the first one, the one that reaches furthest ("june 2019")
    over = [f for f in found if f[0].start() < first[0].end() and f[0].end() > first[0].start()]
    m, make, _ = max(over, key=lambda f: (f[0].end(), -f[2]))
    return make(m), m.span()


def _bare_month(name: str, last: pd.Timestamp, first: pd.Timestamp | None) -> Window:
    mo = MONTH_NAMES[name]
    return _month(_year_for_month(mo, last, first), mo, name, last)


def _ord(w: str) -> int:
    return {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}[w]


def _year_for_q(q: int, last: pd.Timestamp) -> int:
    """The most recent year whose quarter ``q`` has a week of data by the last order date."""
    started = pd.Timestamp(year=last.year, month=3 * q - 2, day=1)
    return last.year if q < last.quarter or (q == last.quarter and (last - started).days >= 6) else last.year - 1


def _trailing(n: int, unit: str, said: str, last: pd.Timestamp) -> Window:
    days = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}[unit] * n
    s = last.normalize() - pd.Timedelta(days=days - 1)
    return Window(f"{s.date()}..{last.date()}", s, last.normalize(), said)


def _span_months(m: re.Match, last: pd.Timestamp, first: pd.Timestamp | None) -> Window:
    m1, m2 = MONTH_NAMES[m.group(1)], MONTH_NAMES[m.group(3)]
    y2 = int(m.group(4)) if m.group(4) else _year_for_month(m2, last, first)
    y1 = int(m.group(2)) if m.group(2) else (y2 if m1 <= m2 else y2 - 1)
    a, b = _month(y1, m1, "", last), _month(y2, m2, "", last)
    w = _range(a.start, b.end, m.group(0), last)
    return w


_VS = r"\s*(?:vs\.?|versus|through|until|till|(?:compared?|compares|stack up|stacks up)\s+(?:to|with|against)|against|over|and|to|with|or)\s*"


def parse_periods(text: str, last: pd.Timestamp | None, first: pd.Timestamp | None = None) -> PeriodParse:
    """Windows in ``text`` (lower case). ``last``: the last order date (None: no orders, nothing resolved)."""
    out = PeriodParse(problems=[], spans=[])
    t = text.lower()
    hol = re.search(_HOLIDAYS, t)
    if hol:
        out.problems.append(f"I can't map \"{hol.group(0)}\" to dates on my own; name the months or dates "
                            f"(e.g. \"in December\" or \"2017-11-20 to 2017-11-30\")")
        out.spans.append(hol.span())
    if last is None:
        return out
    last = pd.Timestamp(last).normalize()
    # "this month vs last (month)", "last month compared to the month before"
    m = re.search(r"\b(this|current)\s+(week|month|quarter|year)\s*(?:vs\.?|versus|compared (?:to|with)|against)\s*"
                  r"(?:the\s+)?(?:last|previous|prior)(?:\s+(?:week|month|quarter|year))?(?:'s)?(?:\s+one)?\b", t)
    if m:
        u = m.group(2)
        out.compare = (_relative(u, 1, f"last {u}", last), _relative(u, 0, f"this {u}", last))
        out.spans.append(m.span())
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
    # two windows joined by vs / compared to / and (when the question compares)
    first_w, span1 = _one(t, last, first)
    if first_w is not None:
        rest = t[span1[1]:]
        j = re.match(_VS, rest)
        comparing = re.search(r"\b(vs\.?|versus|compar\w*|against|change|growth|grew|grow|difference|differ|"
                              r"increase|decrease|drop|declin\w*|up or down|rise|rose|fell)\b", t)
        joiner = j.group(0).strip() if j else ""
        ranged = joiner in ("to", "through", "until", "till") and not comparing
        if j and ranged:
            second, span2 = _one(rest[j.end():], last, first)
            if second is not None and span2[0] == 0 and second.end >= first_w.start:
                w = _range(first_w.start, second.end, f"{first_w.said} to {second.said}", last)
                out.window = w
                out.spans.append((span1[0], span1[1] + j.end() + span2[1]))
                return _check(out, first, last)
        if j and (comparing or joiner not in ("to", "through", "until", "till", "over", "with")):
            second, span2 = _one(rest[j.end():], last, first)
            if second is not None and span2[0] == 0:
                # "Q2 2017" after "Q2": the first window may take its year from the second
                first_w = _same_year(first_w, second, last)
                out.compare = (first_w, second) if first_w.start <= second.start else (second, first_w)
                out.spans.append((span1[0], span1[1] + j.end() + span2[1]))
                return _check(out, first, last)
        out.window = first_w
        out.spans.append(span1)
        # "since May" / "after March" / "before June": open windows
        pre = t[max(0, span1[0] - 8): span1[0] + 8]
        if ".." in first_w.text:
            pass  # already a range ("from march through june", "last 30 days")
        elif re.search(r"\b(since|after|from)\b", pre) and not re.search(r"\bto\b|\buntil\b", rest[:20]):
            out.window = Window(f"{first_w.start.date()}..{last.date()}", first_w.start, last,
                                f"since {first_w.said}")
        elif re.search(r"\b(before|until|till|up to)\b", pre):
            end = first_w.start - pd.Timedelta(days=1)
            s = first or pd.Timestamp("1900-01-01")
            out.window = Window(f"{pd.Timestamp(s).date()}..{end.date()}", pd.Timestamp(s).normalize(), end,
                                f"before {first_w.said}")
    return _check(out, first, last)


def _same_year(a: Window, b: Window, last: pd.Timestamp) -> Window:
    """"Q2 vs Q3 2017": a bare Q2 takes 2017 from its partner."""
    if re.fullmatch(r"q[1-4]", a.said.strip()) and b.text[:4].isdigit() and a.text[:4] != b.text[:4]:
        return _quarter(int(b.text[:4]), int(a.said.strip()[1]), a.said, last)
    if a.said.strip() in MONTH_NAMES and b.text[:4].isdigit() and a.text[:4] != b.text[:4] and len(b.text) == 7:
        return _month(int(b.text[:4]), MONTH_NAMES[a.said.strip()], a.said, last)
    return a


def _check(out: PeriodParse, first: pd.Timestamp | None, last: pd.Timestamp) -> PeriodParse:
    """A window with no day inside the data is a problem to name, not a query to run."""
    lo = pd.Timestamp(first).normalize() if first is not None else None
    wins = [out.window] if out.window else list(out.compare or ())
    for w in wins:
        if w.start > last or (lo is not None and w.end < lo):
            span = f"{lo.date()} to {last.date()}" if lo is not None else f"up to {last.date()}"
            out.problems.append(f"\"{w.said}\" ({w.dates}) is not in your data: your orders run from {span}")
    return out
