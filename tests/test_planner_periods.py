"""Periods in analytics questions (issue 12): halves, explicit date ranges, single days, ISO weeks, comparisons of
two periods in free wording, and periods no calendar has (declined naming the bad part). Unit tests on the one
period parser (models.analytics.periods.resolve_period, which the planner's period finder resolves through), then
end to end on a 300-household Complete Journey slice with every expected number computed here by pandas."""

from __future__ import annotations


import pandas as pd
import pytest

from assistant.offline.periods import parse_periods
from models.analytics.periods import ImpossiblePeriod, resolve_period
from tests.planner_fixtures import DECLINE, one_embedding_thread, session, ws  # noqa: F401 (fixtures)

LAST = pd.Timestamp("2018-01-01")
FIRST = pd.Timestamp("2016-01-01")


def _dates(w):
    return (str(w.start.date()), str(w.end.date()))


# --- the one period parser ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,start,last_day", [
    ("2016-H2", "2016-07-01", "2016-12-31"), ("h1 2017", "2017-01-01", "2017-06-30"),
    ("2017-W01", "2017-01-02", "2017-01-08"), ("W52 2016", "2016-12-26", "2017-01-01"),
    ("2016-02-29", "2016-02-29", "2016-02-29"),
])
def test_layer_parser_reads_halves_and_weeks(text, start, last_day):
    w = resolve_period(text, LAST, FIRST)
    assert (str(w.start.date()), str(w.last_day.date())) == (start, last_day)


@pytest.mark.parametrize("text,named", [("2017-Q5", "Q5"), ("2017-H3", "H3"), ("2017-14", "month 14"),
                                        ("2017-04-31", "April 31"), ("2017-02-29", "February 29"),
                                        ("2017-W54", "week 54")])
def test_layer_parser_names_impossible_periods(text, named):
    with pytest.raises(ImpossiblePeriod, match=named):
        resolve_period(text, LAST, FIRST)


# --- finding periods in free text --------------------------------------------------------------------------------
@pytest.mark.parametrize("q,dates", [
    ("revenue for the 2nd half of 2016", ("2016-07-01", "2016-12-31")),
    ("orders in H1", ("2017-01-01", "2017-06-30")),  # a bare half: the latest one with data
    ("sales on the 3rd of March 2017", ("2017-03-03", "2017-03-03")),
    ("baskets on Dec 24", ("2017-12-24", "2017-12-24")),
    ("spend from 4/2 to 4/9", ("2017-04-02", "2017-04-09")),
    ("units sold between May 3 and May 17, 2016", ("2016-05-03", "2016-05-17")),
    ("revenue from November 20 through January 1 2018", ("2017-11-20", "2018-01-01")),
    ("orders during week 20 of 2017", ("2017-05-15", "2017-05-21")),
    ("what happened in the 5th week of 2017", ("2017-01-30", "2017-02-05")),
    ("sales for 2017-06-05 to 2017-06-11", ("2017-06-05", "2017-06-11")),
])
def test_single_windows(q, dates):
    p = parse_periods(q.lower(), LAST, FIRST)
    assert not p.problems and p.window is not None and _dates(p.window) == dates, (q, p)


@pytest.mark.parametrize("q,a,b", [
    ("were there fewer orders in May than in June 2017", ("2017-05-01", "2017-05-31"), ("2017-06-01", "2017-06-30")),
    ("did the first half of 2016 beat the second half", ("2016-01-01", "2016-06-30"), ("2016-07-01", "2016-12-31")),
    ("H1 vs H2 2016", ("2016-01-01", "2016-06-30"), ("2016-07-01", "2016-12-31")),
    ("week 3 of 2017 against week 4", ("2017-01-16", "2017-01-22"), ("2017-01-23", "2017-01-29")),
    ("was basket size in the second half of 2017 higher than the first half",
     ("2017-01-01", "2017-06-30"), ("2017-07-01", "2017-12-31")),
])
def test_two_windows_compare(q, a, b):
    p = parse_periods(q.lower(), LAST, FIRST)
    assert not p.problems and p.compare is not None, (q, p)
    assert (_dates(p.compare[0]), _dates(p.compare[1])) == (a, b)


@pytest.mark.parametrize("q,named", [
    ("revenue in Q5 2017", "Q5"), ("sales in quarter 6", "Q6"), ("orders on April 31st", "April 31"),
    ("revenue on 2/30", "February 30"), ("the 14th month of 2017", "month 14"), ("sales in 2017-15", "month 15"),
    ("orders in week 61", "week 61"), ("third half of the year", "third half"), ("H4 2017", "H4"),
    ("revenue on February 29 2017", "February 29"),
])
def test_impossible_periods_are_named(q, named):
    p = parse_periods(q.lower(), LAST, FIRST)
    assert p.window is None and p.compare is None
    assert any(named in x and "can't" in x for x in p.problems), (q, p.problems)


def test_pareto_is_not_a_date():
    p = parse_periods("do the top customers follow 80/20", LAST, FIRST)
    assert not p.problems and p.window is None


# --- end to end ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lines(ws):
    o = ws.read_table("orders")
    o["day"] = o["timestamp"].dt.normalize()
    return o


def _win(df, a, b):
    return df[(df.day >= pd.Timestamp(a)) & (df.day <= pd.Timestamp(b))]


def money(x):
    return f"${x:,.2f}"


def test_half_year_total(session, lines):
    res = session.ask("how much revenue did we make in the 2nd half of 2017")
    want = _win(lines, "2017-07-01", "2017-12-31")["amount"].sum()
    assert money(round(want, 2)) in res.answer and "2017-07-01" in res.answer, res.answer


def test_explicit_day_range(session, lines):
    res = session.ask("number of orders between July 4 and July 10, 2017")
    want = _win(lines, "2017-07-04", "2017-07-10")["order_id"].nunique()
    assert f"{want:,}" in res.answer and "2017-07-10" in res.answer, res.answer


def test_single_day(session, lines):
    res = session.ask("customers who shopped on 2017-12-23")
    want = _win(lines, "2017-12-23", "2017-12-23")["customer_id"].nunique()
    assert f"**{want:,}**" in res.answer, res.answer


def test_comparison_than_gives_both_values_and_change(session, lines):
    res = session.ask("Did we sell more units in September than in August 2017?")
    q = lines["quantity"].fillna(1)
    a = q[(lines.day >= "2017-08-01") & (lines.day <= "2017-08-31")].sum()
    b = q[(lines.day >= "2017-09-01") & (lines.day <= "2017-09-30")].sum()
    assert f"{int(a):,}" in res.answer and f"{int(b):,}" in res.answer, res.answer
    assert f"{int(b - a):,}" in res.answer and f"{(b - a) / a:+.1%}" in res.answer, res.answer


def test_half_comparison_with_year_from_partner(session, lines):
    res = session.ask("was the basket size in the second half of 2017 higher than the first half")
    h1, h2 = _win(lines, "2017-01-01", "2017-06-30"), _win(lines, "2017-07-01", "2017-12-31")
    for h in (h1, h2):
        assert money(round(h.amount.sum() / h.order_id.nunique(), 2)) in res.answer, res.answer


@pytest.mark.parametrize("q", ["revenue in Q5 2017", "how many orders on April 31st?", "sales in the 14th month",
                               "units in week 60 of 2017"])
def test_impossible_periods_declined(session, q):
    res = session.ask(q)
    assert DECLINE.search(res.answer) and "there is no" in res.answer.lower() and not res.tool_calls, res.answer
