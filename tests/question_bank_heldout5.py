"""The sixth question bank for the offline assistant, held out and blind (issue 12, session 10).

Written without reading assistant/offline/*, the analytics parser and planner code, the planner's tests and question
files, bench/results/question_bank*.md, or the question lists of the other banks: only their grading machinery and
truth helpers are imported (tests/question_bank.py, tests/question_bank_heldout.py), so every bank is graded by the
same rules. The planner has never been tuned on these questions; the first, untuned run is in
bench/results/question_bank_heldout5.md (the score only: the misses stay with the bank's author, so that the bank
stays blind).

Questions are typed the way a grocery marketer would on day one: typos, terse and chatty wording, British spelling,
relative periods, filters on any attribute the data holds (department, category, brand, store, household income /
age / size / kids / home ownership / marital status, campaign, coupon), rankings, thresholds, concentration,
distributions, new vs returning customers, campaigns and coupons, and two questions in one. Every ground truth is an
independent pandas expression over the raw workspace tables (``BankData``); nothing here calls models.analytics.
Where a question has two reasonable readings both are accepted (``anyof`` / ``either`` / ``versus``).

Relative periods anchor on the latest order (2018-01-01 03:09, a Monday, in the demo data): "last quarter" = 2017-Q4,
"last month" = 2017-12, "this month" = 2018-01 (so far), "last year" = 2017, "this year" / "YTD" = 2018 so far,
"H2" = July-December 2017, "the past N weeks / days" = N*7 / N days back from the latest order (any of the usual
cut-offs, or whole Monday weeks); month or quarter names without a year are 2017's; Thanksgiving 2017 is Nov 23,
Boxing Day Dec 26. Product / category / department rankings leave out non-merchandise lines (``rank_lines``); totals
include them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tests.question_bank import (BankData, Expect, Question, anyof, compare, either, month_aliases, one, rank_lines,
                                 ranked)
from tests.question_bank_heldout import hour_aliases, id_ranked, pctl, versus, weekday_aliases

__all__ = ["ANSWERABLE", "REFUSALS", "QUESTIONS"]


# ------------------------------------------------------------------------------------- helpers for the truths
def _q(qid, cat, text, truth=None, note=""):
    return Question(qid, cat, text, truth, note)


def _amount(g) -> pd.Series:
    return g["amount"].sum()


def _units(g) -> pd.Series:
    return g["quantity"].sum()


def _n_orders(g) -> pd.Series:
    return g["order_id"].nunique()


def _n_buyers(g) -> pd.Series:
    return g["customer_id"].nunique()


def _pct(part: float, whole: float) -> float:
    return part / whole * 100


def _aov(df: pd.DataFrame) -> float:
    return float(df["amount"].sum()) / df["order_id"].nunique()


def _buyers(df: pd.DataFrame) -> set:
    return set(df["customer_id"])


def _in(d: BankData, period) -> pd.DataFrame:
    return d.within(d.orders, period)


def _h2(d: BankData, df: pd.DataFrame | None = None) -> pd.DataFrame:
    return d.between(d.orders if df is None else df, "2017-07-01", "2018-01-01")


def _h1(d: BankData, df: pd.DataFrame | None = None) -> pd.DataFrame:
    return d.between(d.orders if df is None else df, "2017-01-01", "2017-07-01")


def _dept(name):
    return lambda df: df["department"] == name


def _cat(name):
    return lambda df: df["category"] == name


def _of_ids(ids: set):
    return lambda df: df["customer_id"].isin(ids)


def _windows(d: BankData, days: int, fn) -> Expect:
    """"the past N days": N days back from the latest timestamp or date (the usual cut-offs); a multiple of 7 also
    read as that many whole Monday weeks before the latest order's week, with or without that partial week."""
    o = d.orders
    vals = [fn(df) for df in d.last_days(o, days)]
    if days % 7 == 0:
        monday = d.latest.normalize() - pd.Timedelta(days=d.latest.dayofweek)
        start = monday - pd.Timedelta(days=days)
        vals += [fn(o[(o["timestamp"] >= start) & (o["timestamp"] < monday)]), fn(o[o["timestamp"] >= start])]
    return anyof(*sorted(set(vals)))


def _who_ranked(values: pd.Series) -> Expect:
    """A customer ranking: the top id bare or as customer / household N; runners-up only with the word."""
    e = ranked(values, aliases=lambda n: (f"customer {n}", f"household {n}", f"customer #{n}", f"household #{n}",
                                          f"customer_id {n}", n))
    return Expect(e.alternatives, e.name, tuple(r[:2] for r in e.rivals))


def _band_ranked(values: pd.Series) -> Expect:
    """A ranking of customer bands (income, age, size): the top band may be named bare; runners-up by their label."""
    return ranked(values, aliases=lambda n: (n, n.replace("-", " - "), n.replace("-", "–")))


def _size_ranked(values: pd.Series) -> Expect:
    """A ranking of household sizes ("1" .. "5+"): the top one may be named bare; a runner-up only with a word
    (a bare "2" could be any number)."""
    e = ranked(values, aliases=lambda n: (f"size {n}", f"{n} people", f"{n}-person", f"{n} person", n))
    return Expect(e.alternatives, e.name, tuple(r[:-1] for r in e.rivals))


def _products(d: BankData, agg, where=None, period=None) -> tuple[Expect, ...]:
    """A product ranking over merchandise lines, by product name (names pooled) or by product id (its name shown)."""
    by_name = rank_lines(d, "name", agg, where=where, period=period)
    m = d.merch if period is None else d.within(d.merch, period)
    if where is not None:
        m = m[where(m)]
    by_id = agg(m.groupby("product_id")).sort_values(ascending=False)
    names = d.products.set_index("product_id")["name"]
    by_id.index = [str(names.get(i, i)) for i in by_id.index]
    e = ranked(by_id, n_rivals=10)
    rivals = tuple(dict.fromkeys(r for r in e.rivals if r != e.name))[:3]
    return either(by_name, Expect(e.alternatives, e.name, rivals))


def _campaign_names(c: str) -> tuple[str, ...]:
    return (f"campaign {c}", f"campaign #{c}", f"campaign_id {c}", c)


def _campaign_ranked(values: pd.Series) -> Expect:
    """The top campaign may be named by its bare id (a table row); runners-up only as "campaign N"."""
    e = ranked(values, aliases=_campaign_names)
    return Expect(e.alternatives, e.name, tuple(r[:2] for r in e.rivals))


def _campaign_table(d: BankData) -> pd.DataFrame:
    return d.campaigns.groupby("campaign_id").agg(kind=("campaign_type", "first"), start=("start_date", "min"),
                                                  end=("end_date", "max"), reach=("customer_id", "nunique"))


def _inactive(d: BankData, days: int) -> set[int]:
    last = d.last_order
    cut_ts = d.latest - pd.Timedelta(days=days)
    cut_day = d.latest.normalize() - pd.Timedelta(days=days)
    return {int((last < cut_ts).sum()), int((last.dt.normalize() <= cut_day).sum()),
            int((last.dt.normalize() < cut_day).sum())}


def _top_share(d: BankData, frac: float) -> Expect:
    """Revenue share of the top ``frac`` of customers, the cut rounded up or down."""
    s = d.spend.sort_values(ascending=False)
    ks = {max(1, int(math.ceil(len(s) * frac - 1e-9))), max(1, int(math.floor(len(s) * frac + 1e-9)))}
    return anyof(*sorted({float(s.iloc[:k].sum() / s.sum() * 100) for k in ks}))


def _pareto(d: BankData, share: float) -> Expect:
    """How few customers make ``share`` of revenue: the count, or as a share of customers."""
    s = d.spend.sort_values(ascending=False)
    k = int(((s.cumsum() / s.sum()) < share - 1e-12).sum()) + 1
    return anyof(k, k / len(s) * 100, (k - 1) / len(s) * 100)


def _gaps(d: BankData) -> Expect:
    """Average days between a customer's orders: per customer then averaged, or all gaps pooled; in fractional days
    or whole calendar days."""
    o = d.orders.groupby("order_id").agg(c=("customer_id", "first"), t=("timestamp", "min")).sort_values("t")
    vals = []
    for t in (o["t"], o["t"].dt.normalize()):
        gap = t.groupby(o["c"]).diff().dt.total_seconds() / 86400
        per = gap.groupby(o["c"]).mean().dropna()
        vals += [float(per.mean()), float(gap.dropna().mean())]
    return anyof(*sorted(set(vals)))


def _per_day_avg(d: BankData, df: pd.DataFrame, n_days: int) -> Expect:
    """Average daily revenue: over the calendar days, or over the days that had an order."""
    return anyof(d.rev(df) / n_days, d.rev(df) / df["timestamp"].dt.normalize().nunique())


def _weekly_avg_2017(d: BankData) -> Expect:
    o = d.within(d.orders, "2017")
    wk = o.groupby(o["timestamp"].dt.to_period("W-SUN"))["amount"].sum()
    wk_sun = o.groupby(o["timestamp"].dt.to_period("W-SAT"))["amount"].sum()
    total = d.rev(o)
    return anyof(*sorted({total / 52, total / (365 / 7), total / 53, float(wk.mean()), float(wk_sun.mean())}))


def _growth_ranked(d: BankData, by: str, a, b) -> tuple[Expect, ...]:
    """The item that grew most from period a to b: by the change in revenue, or by % change (items sold in both)."""
    ra = _amount(d.within(d.merch, a).groupby(by))
    rb = _amount(d.within(d.merch, b).groupby(by))
    both = ra.index.union(rb.index)
    diff = rb.reindex(both, fill_value=0) - ra.reindex(both, fill_value=0)
    common = ra.index.intersection(rb.index)
    pct = (rb[common] - ra[common]) / ra[common] * 100
    return either(ranked(diff), ranked(pct))


def _month_series(df: pd.DataFrame, months: list[str]) -> list[float]:
    key = df["timestamp"].dt.to_period("M").astype(str)
    s = df.groupby(key)["amount"].sum()
    return [float(s.get(m, 0.0)) for m in months]


def _kinds(d: BankData) -> pd.Series:
    return _campaign_table(d)["kind"]


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # ---- periods (no plain grand totals: the grand total must answer none of these)
    _q("h5-per-takings-lastq", "periods", "what were our takings last quarter?",
       lambda d: one(d.rev(_in(d, d.last_quarter)))),
    _q("h5-per-h2-baskets", "periods", "no. of baskets in H2 2017",
       lambda d: one(d.n_orders(_h2(d)))),
    _q("h5-per-ytd", "periods", "ytd sales pls",
       lambda d: one(d.rev(_in(d, "2018")))),
    _q("h5-per-6wks", "periods", "how much have we sold over the past 6 weeks",
       lambda d: _windows(d, 42, d.rev)),
    _q("h5-per-thanksgiving", "periods", "how many orders have come in since thanksgiving?",
       lambda d: anyof(*sorted({d.n_orders(d.orders[d.orders["timestamp"] >= pd.Timestamp(s)])
                                for s in ("2017-11-23", "2017-11-24")}))),
    _q("h5-per-dec-units", "periods", "units shifted in december",
       lambda d: anyof(float(_in(d, "2017-12")["quantity"].sum()),
                       float(d.within(d.merch, "2017-12")["quantity"].sum()))),
    _q("h5-per-lastm-aov", "periods", "avg basket value for last month?",
       lambda d: one(_aov(_in(d, d.last_month)))),
    _q("h5-per-q3-households", "periods", "how many housholds shopped with us in Q3?",
       lambda d: one(d.n_customers(_in(d, "2017-Q3")))),
    _q("h5-per-boxing-day", "periods", "what did we take on boxing day",
       lambda d: one(d.rev(_in(d, "2017-12-26")))),
    _q("h5-per-mar-may", "periods", "total revenue March through May 2017",
       lambda d: one(d.rev(d.between(d.orders, "2017-03-01", "2017-06-01")))),
    _q("h5-per-disc-lastyear", "periods", "how much did we knock off in store discounts last year",
       lambda d: one(float(_in(d, "2017")["discount"].sum()))),
    _q("h5-per-coupon-q4", "periods", "coupon discount total for Q4",
       lambda d: one(float(_in(d, "2017-Q4")["coupon_discount"].sum()))),
    _q("h5-per-items-per-basket", "periods", "how many items in an average basket?",
       lambda d: anyof(len(d.orders) / d.n_orders(d.orders), float(d.orders["quantity"].sum()) / d.n_orders(d.orders),
                       float(d.merch["quantity"].sum()) / d.n_orders(d.orders))),
    _q("h5-per-opc-2017", "periods", "average number of shops per household in 2017",
       lambda d: anyof(d.n_orders(_in(d, "2017")) / d.n_customers(_in(d, "2017")),
                       float(_in(d, "2017").groupby("customer_id")["store_id"].nunique().mean())),
       note="a shop: a shopping trip (an order), or a store"),
    _q("h5-per-rpc-lastq", "periods", "spend per customer last quarter",
       lambda d: one(d.rev(_in(d, d.last_quarter)) / d.n_customers(_in(d, d.last_quarter)))),
    _q("h5-per-daily-dec", "periods", "what's our average daily revenue in december?",
       lambda d: _per_day_avg(d, _in(d, "2017-12"), 31)),
    _q("h5-per-weekly-2017", "periods", "typical weekly sales in 2017 - the average week",
       _weekly_avg_2017),
    _q("h5-per-products-dec", "periods", "how many different products did we sell in Dec?",
       lambda d: one(int(_in(d, "2017-12")["product_id"].nunique()))),
    _q("h5-per-last10d-cust", "periods", "number of shoppers in the last 10 days",
       lambda d: _windows(d, 10, d.n_customers)),

    # ---- comparisons
    _q("h5-cmp-orders-thism", "comparisons", "orders this month v last month",
       lambda d: versus(d.n_orders(_in(d, d.this_month)), d.n_orders(_in(d, d.last_month)))),
    _q("h5-cmp-aov-q4q3", "comparisons", "was AOV up or down in Q4 vs Q3?",
       lambda d: compare(_aov(_in(d, "2017-Q4")), _aov(_in(d, "2017-Q3")))),
    _q("h5-cmp-shoppers-h2h1", "comparisons",
       "did we have more shoppers in the second half than the first half of 2017",
       lambda d: versus(d.n_customers(_h2(d)), d.n_customers(_h1(d)))),
    _q("h5-cmp-produce-decnov", "comparisons", "produce sales dec vs nov",
       lambda d: compare(d.rev(d.within(d.lines[d.lines["department"] == "Produce"], "2017-12")),
                         d.rev(d.within(d.lines[d.lines["department"] == "Produce"], "2017-11")))),
    _q("h5-cmp-beer-q3q2", "comparisons", "how did beer do in Q3 compared with Q2?",
       lambda d: compare(d.rev(d.within(d.lines[d.lines["category"] == "Beers/Ales"], "2017-Q3")),
                         d.rev(d.within(d.lines[d.lines["category"] == "Beers/Ales"], "2017-Q2")))),
    _q("h5-cmp-cust-octsep", "comparisons", "customer numbers october versus september",
       lambda d: versus(d.n_customers(_in(d, "2017-10")), d.n_customers(_in(d, "2017-09")))),
    _q("h5-cmp-growth-q1q4", "comparisons", "by what % did revenue grow from Q1 to Q4 last year?",
       lambda d: compare(d.rev(_in(d, "2017-Q4")), d.rev(_in(d, "2017-Q1")))),
    _q("h5-cmp-weekend", "comparisons", "do we sell more at weekends or on weekdays?",
       lambda d: either(
           ranked(d.orders.groupby(np.where(d.orders["timestamp"].dt.dayofweek >= 5, "Weekend", "Weekday"))["amount"]
                  .sum(), aliases=lambda n: (n, n.lower() + "s")),
           ranked(d.orders.groupby(np.where(d.orders["timestamp"].dt.dayofweek >= 5, "Weekend", "Weekday"))["amount"]
                  .sum() / d.orders.assign(day=d.orders["timestamp"].dt.normalize())
                  .groupby(np.where(d.orders["timestamp"].dt.dayofweek >= 5, "Weekend", "Weekday"))["day"].nunique(),
                  aliases=lambda n: (n, n.lower() + "s")))),
    _q("h5-cmp-kids-spend", "comparisons", "do households with kids spend more than those without?",
       lambda d: either(
           versus(d.rev(d.of(d.orders, d.cust(kids_count=["1", "2", "3+"]))) / len(d.cust(kids_count=["1", "2", "3+"])),
                  d.rev(d.of(d.orders, d.cust(kids_count="0"))) / len(d.cust(kids_count="0"))),
           versus(d.rev(d.of(d.orders, d.cust(kids_count=["1", "2", "3+"]))),
                  d.rev(d.of(d.orders, d.cust(kids_count="0")))))),
    _q("h5-cmp-targeted", "comparisons", "targeted vs non-targeted customers: who spends more?",
       lambda d: (lambda t, every: either(
           versus(d.rev(d.of(d.orders, t)) / len(t), d.rev(d.of(d.orders, every - t)) / len(every - t)),
           versus(d.rev(d.of(d.orders, t)), d.rev(d.of(d.orders, every - t)))))(
           _buyers(d.campaigns) & _buyers(d.orders), _buyers(d.orders))),
    _q("h5-cmp-private-share", "comparisons", "what % of our sales is own-brand (private label)?",
       lambda d: anyof(_pct(d.rev(d.lines[d.lines["brand"] == "Private"]), d.rev(d.lines)),
                       _pct(d.rev(d.merch[d.merch["brand"] == "Private"]), d.rev(d.merch)),
                       _pct(d.rev(d.lines[d.lines["brand"] == "Private"]), d.rev(d.lines[d.lines["brand"].notna()])))),

    # ---- rankings
    _q("h5-rk-dept-lastm", "rankings", "top dept last month",
       lambda d: rank_lines(d, "department", _amount, period=d.last_month)),
    _q("h5-rk-cat-deli", "rankings", "best selling category in the deli",
       lambda d: rank_lines(d, "category", _amount, where=_dept("Deli"))),
    _q("h5-rk-prod-units", "rankings", "most popular product by units sold",
       lambda d: _products(d, _units)),
    _q("h5-rk-produce-worst", "rankings", "which produce categories sell the least?",
       lambda d: rank_lines(d, "category", _amount, where=_dept("Produce"), ascending=True)),
    _q("h5-rk-store-baskets", "rankings", "which shop gets the most baskets",
       lambda d: id_ranked(d.orders.groupby("store_id")["order_id"].nunique(), "store")),
    _q("h5-rk-frequent", "rankings", "who are our most frequent shoppers?",
       lambda d: _who_ranked(d.order_counts)),
    _q("h5-rk-month-2017", "rankings", "which month of 2017 was our best for revenue",
       lambda d: ranked(_in(d, "2017").groupby(_in(d, "2017")["timestamp"].dt.to_period("M").astype(str))["amount"]
                        .sum(), aliases=month_aliases)),
    _q("h5-rk-busiest-day", "rankings", "what's the busiest day of the week for us",
       lambda d: either(ranked(d.orders.groupby(d.orders["timestamp"].dt.day_name())["order_id"].nunique(),
                               aliases=weekday_aliases),
                        ranked(d.orders.groupby(d.orders["timestamp"].dt.day_name())["amount"].sum(),
                               aliases=weekday_aliases),
                        ranked(d.orders.groupby(d.orders["timestamp"].dt.day_name())["customer_id"].nunique(),
                               aliases=weekday_aliases))),
    _q("h5-rk-hour", "rankings", "what time of day do most people shop",
       lambda d: either(ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["order_id"].nunique(),
                               aliases=hour_aliases),
                        ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["customer_id"].nunique(),
                               aliases=hour_aliases))),
    _q("h5-rk-income", "rankings", "which income band spends the most?",
       lambda d: either(_band_ranked(d.with_customers.groupby("income")["amount"].sum()),
                        _band_ranked(d.with_customers.groupby("income")["amount"].sum()
                                     / d.with_customers.groupby("income")["customer_id"].nunique()))),
    _q("h5-rk-age-aov", "rankings", "which age group has the biggest average basket",
       lambda d: _band_ranked(d.with_customers.groupby("age")["amount"].sum()
                              / d.with_customers.groupby("age")["order_id"].nunique())),
    _q("h5-rk-cat-q4", "rankings", "top 5 categories Q4",
       lambda d: rank_lines(d, "category", _amount, period="2017-Q4")),
    _q("h5-rk-brand-meat", "rankings", "in the meat department, does national or private label sell more?",
       lambda d: rank_lines(d, "brand", _amount, where=_dept("Meat"))),
    _q("h5-rk-campaign-redeem", "rankings", "campaign with the highest number of coupons redeemed?",
       lambda d: _campaign_ranked(d.redemptions.groupby("campaign_id").size())),
    _q("h5-rk-campaign-reach", "rankings", "biggest campaign by households targeted",
       lambda d: _campaign_ranked(_campaign_table(d)["reach"])),
    _q("h5-rk-cat-households", "rankings", "which category do the most households buy from",
       lambda d: rank_lines(d, "category", _n_buyers)),
    _q("h5-rk-cheese", "rankings", "top selling cheese?",
       lambda d: either(*_products(d, _amount, where=_cat("Cheese")),
                        *_products(d, _amount, where=lambda df: df["category"].isin(["Cheese", "Cheeses"])),
                        *_products(d, _amount,
                                   where=lambda df: df["name"].str.contains("cheese", case=False, na=False)))),
    _q("h5-rk-kids-dept", "rankings", "what department do households with children spend most in",
       lambda d: rank_lines(d, "department", _amount, where=_of_ids(d.cust(kids_count=["1", "2", "3+"])))),
    _q("h5-rk-hhsize", "rankings", "revenue by household size - which size is highest?",
       lambda d: _size_ranked(d.with_customers.groupby("household_size")["amount"].sum())),
    _q("h5-rk-cat-growth", "rankings", "which category grew the most from Q3 to Q4?",
       lambda d: _growth_ranked(d, "category", "2017-Q3", "2017-Q4")),
    _q("h5-rk-big-spender-lastm", "rankings", "biggest spender last month?",
       lambda d: _who_ranked(_in(d, d.last_month).groupby("customer_id")["amount"].sum())),
    _q("h5-rk-dept-orders-h1", "rankings", "which department turns up in the most baskets in H1",
       lambda d: rank_lines(d, "department", _n_orders, where=lambda df: df["timestamp"] < pd.Timestamp("2017-07-01"))),

    # ---- filters
    _q("h5-f-homeowner-orders", "filters", "how many orders did home owners place?",
       lambda d: anyof(*sorted({d.n_orders(d.of(d.orders, d.cust(home_ownership="Homeowner"))),
                                d.n_orders(d.of(d.orders,
                                                d.cust(home_ownership=["Homeowner", "Probable Homeowner"])))}))),
    _q("h5-f-renters", "filters", "total spend by renters",
       lambda d: one(d.rev(d.of(d.orders, d.cust(home_ownership="Renter"))))),
    _q("h5-f-single-aov", "filters", "AOV for single customers",
       lambda d: anyof(_aov(d.of(d.orders, d.cust(marital_status="Unmarried"))),
                       _aov(d.of(d.orders, d.cust(household_comp=["1 Adult No Kids", "1 Adult Kids"]))),
                       _aov(d.of(d.orders, d.cust(household_size="1"))))),
    _q("h5-f-over65", "filters", "how much have the over 65s spent with us",
       lambda d: one(d.rev(d.of(d.orders, d.cust(age="65+"))))),
    _q("h5-f-income-100k", "filters", "revenue from households earning 100k+",
       lambda d: one(d.rev(d.of(d.orders, d.cust(income=["100-124K", "125-149K", "150-174K", "175-199K",
                                                         "200-249K", "250K+"]))))),
    _q("h5-f-3kids-lastq", "filters", "how many families with 3 or more kids shopped last quarter",
       lambda d: one(d.n_customers(d.of(_in(d, d.last_quarter), d.cust(kids_count="3+"))))),
    _q("h5-f-grocery-q3-orders", "filters", "number of orders with grocery dept items in Q3",
       lambda d: one(d.n_orders(d.within(d.lines[d.lines["department"] == "Grocery"], "2017-Q3")))),
    _q("h5-f-fuel-lastm", "filters", "how much fuel did we sell last month ($)",
       lambda d: anyof(d.rev(d.within(d.lines[d.lines["department"] == "Fuel"], d.last_month)),
                       d.rev(d.within(d.lines[d.lines["category"] == "Fuel"], d.last_month)))),
    _q("h5-f-softdrink-units-h2", "filters", "soft drink units sold in the 2nd half of the year",
       lambda d: one(float(_h2(d, d.lines[d.lines["category"] == "Soft Drinks"])["quantity"].sum()))),
    _q("h5-f-private-produce", "filters", "own label revenue in produce",
       lambda d: one(d.rev(d.lines[(d.lines["brand"] == "Private") & (d.lines["department"] == "Produce")]))),
    _q("h5-f-store-q4", "filters", "sales at store 354 in Q4",
       lambda d: one(d.rev(d.within(d.orders[d.orders["store_id"] == "354"], "2017-Q4")))),
    _q("h5-f-married-kids", "filters", "married couples with kids - what have they spent in total?",
       lambda d: anyof(*sorted({d.rev(d.of(d.orders, d.cust(marital_status="Married") & d.cust(
                                    household_comp=["2 Adults Kids", "1 Adult Kids"]))),
                                d.rev(d.of(d.orders, d.cust(marital_status="Married") & d.cust(
                                    household_comp="2 Adults Kids"))),
                                d.rev(d.of(d.orders, d.cust(marital_status="Married") & d.cust(
                                    kids_count=["1", "2", "3+"])))})),
       note="married with kids in the household (by composition or kids count), or married and 2 adults with kids"),
    _q("h5-f-under35", "filters", "how many of our customers are under 35?",
       lambda d: one(len(d.cust(age=["19-24", "25-34"])))),
    _q("h5-f-wine-dec", "filters", "how many shoppers bought wine in december",
       lambda d: (lambda dec: anyof(*sorted({
           d.n_customers(dec[dec["category"].isin(["Domestic Wine", "Imported Wine"]).fillna(False).astype(bool)]),
           d.n_customers(dec[dec["category"].isin(["Domestic Wine", "Imported Wine", "Misc Wine"])
                             .fillna(False).astype(bool)]),
           d.n_customers(dec[dec["category"].str.contains("wine", case=False, na=False)
                             | dec["name"].str.contains("wine", case=False, na=False)]),
           d.n_customers(dec[dec["name"].str.contains("wine", case=False, na=False)])})))(
           d.within(d.lines, "2017-12"))),
    _q("h5-f-coupon-orders-q4", "filters", "how many orders used a coupon last quarter?",
       lambda d: one(d.n_orders(d.within(d.orders[d.orders["coupon_discount"] != 0], d.last_quarter)))),
    _q("h5-f-disc-order-share", "filters", "what share of orders got some kind of discount",
       lambda d: anyof(_pct(d.n_orders(d.orders[d.orders["discount"] != 0]), d.n_orders(d.orders)),
                       _pct(d.n_orders(d.orders[(d.orders["discount"] != 0) | (d.orders["coupon_discount"] != 0)]),
                            d.n_orders(d.orders)))),
    _q("h5-f-2person-lastq", "filters", "two-person households' revenue last qtr",
       lambda d: one(d.rev(d.of(_in(d, d.last_quarter), d.cust(household_size="2"))))),
    _q("h5-f-disc-share-rev", "filters", "discounts as a percentage of revenue?",
       lambda d: anyof(_pct(float(d.orders["discount"].sum()), d.rev(d.orders)),
                       _pct(float(d.orders["discount"].sum() + d.orders["coupon_discount"].sum()), d.rev(d.orders)))),
    _q("h5-f-beef-mid-income", "filters", "beef sales among 35-49K earners",
       lambda d: one(d.rev(d.of(d.lines[d.lines["category"] == "Beef"], d.cust(income="35-49K"))))),

    # ---- customers: thresholds, concentration, distributions, new vs returning
    _q("h5-c-inactive-45", "customers", "no. of customers with no purchase in the last 45 days",
       lambda d: anyof(*sorted(_inactive(d, 45)))),
    _q("h5-c-lapsed-3m", "customers", "lapsed 3+ months - how many?",
       lambda d: anyof(*sorted(_inactive(d, 90) | _inactive(d, 92) | {
           int((d.last_order < d.latest - pd.DateOffset(months=3)).sum()),
           int((d.last_order < pd.Timestamp("2017-10-01")).sum())}))),
    _q("h5-c-spend-2k", "customers", "customers who've spent over $2,000",
       lambda d: anyof(*sorted({int((d.spend > 2000).sum()), int((d.spend >= 2000).sum())}))),
    _q("h5-c-20-orders", "customers", "how many households placed 20 or more orders?",
       lambda d: one(int((d.order_counts >= 20).sum()))),
    _q("h5-c-top10pct", "customers", "top 10% of customers - what share of sales do they account for?",
       lambda d: _top_share(d, 0.10)),
    _q("h5-c-top20", "customers", "top 20 customers - % of sales?",
       lambda d: one(float(d.spend.sort_values(ascending=False).iloc[:20].sum() / d.spend.sum() * 100))),
    _q("h5-c-half", "customers", "how many customers make up half our revenue?",
       lambda d: _pareto(d, 0.5)),
    _q("h5-c-bottom-half", "customers", "how much of revenue do the bottom half of customers account for",
       lambda d: (lambda s: anyof(float(s.iloc[:len(s) // 2].sum() / s.sum() * 100),
                                  float(s.iloc[:len(s) // 2].sum())))(d.spend.sort_values())),
    _q("h5-c-median-basket", "customers", "what's the median basket worth",
       lambda d: pctl(d.baskets, 0.5)),
    _q("h5-c-p90-basket", "customers", "90th pctile basket value?",
       lambda d: pctl(d.baskets, 0.9)),
    _q("h5-c-median-spend", "customers", "the median customer spends how much in total?",
       lambda d: pctl(d.spend, 0.5)),
    _q("h5-c-gap", "customers", "on average how many days between a customer's orders?",
       _gaps),
    _q("h5-c-repeat", "customers", "what % of customers came back for a second order",
       lambda d: one(_pct(int((d.order_counts >= 2).sum()), len(d.order_counts)))),
    _q("h5-c-new-feb", "customers", "new customers in feb",
       lambda d: one(len(set(d.first_order[d.first_order.dt.to_period("M") == pd.Period("2017-02")].index)))),
    _q("h5-c-new-ret-q4", "customers", "last quarter: how many new customers and how many returning ones?",
       lambda d: (lambda p: one(
           int(((d.first_order >= p.start_time) & (d.first_order <= p.end_time)).sum()),
           len(_buyers(_in(d, p)) & set(d.first_order[d.first_order < p.start_time].index))))(d.last_quarter)),
    _q("h5-c-returning-nov", "customers", "how many returning shoppers did we have in November?",
       lambda d: one(len(_buyers(_in(d, "2017-11")) & set(d.first_order[d.first_order < pd.Timestamp("2017-11-01")]
                                                           .index)))),
    _q("h5-c-q3-not-q4", "customers", "how many customers bought in Q3 but not in Q4?",
       lambda d: one(len(_buyers(_in(d, "2017-Q3")) - _buyers(_in(d, "2017-Q4"))))),
    _q("h5-c-new-q1-months", "customers", "new customer count per month for Q1",
       lambda d: one(*[int((d.first_order.dt.to_period("M") == pd.Period(m)).sum())
                       for m in ("2017-01", "2017-02", "2017-03")])),
    _q("h5-c-avg-cust-spend-homeowner", "customers", "average spend per homeowner household",
       lambda d: anyof(*sorted({d.rev(d.of(d.orders, ids)) / len(ids & _buyers(d.orders))
                                for ids in (d.cust(home_ownership="Homeowner"),
                                            d.cust(home_ownership=["Homeowner", "Probable Homeowner"]))}))),

    # ---- campaigns and coupons
    _q("h5-cp-count-2017", "campaigns", "how many campaigns did we run in 2017",
       lambda d: (lambda t: anyof(*sorted({
           int(((t["start"] <= pd.Timestamp("2017-12-31")) & (t["end"] >= pd.Timestamp("2017-01-01"))).sum()),
           int(((t["start"] >= pd.Timestamp("2017-01-01")) & (t["start"] <= pd.Timestamp("2017-12-31"))).sum())})))(
           _campaign_table(d))),
    _q("h5-cp-redemptions-q4", "campaigns", "coupon redemptions last quarter",
       lambda d: one(len(d.within(d.redemptions, d.last_quarter)))),
    _q("h5-cp-redeemers", "campaigns", "how many households have redeemed at least one coupon",
       lambda d: one(int(d.redemptions["customer_id"].nunique()))),
    _q("h5-cp-rate-18", "campaigns", "redemption rate for campaign 18",
       lambda d: (lambda t, r: anyof(*sorted({_pct(len(t & r), len(t)), _pct(len(r), len(t))})))(
           _buyers(d.campaigns[d.campaigns["campaign_id"] == "18"]),
           _buyers(d.redemptions[d.redemptions["campaign_id"] == "18"]))),
    _q("h5-cp-typea-reach", "campaigns", "how many households did the Type A campaigns reach",
       lambda d: one(int(d.campaigns.loc[d.campaigns["campaign_type"] == "Type A", "customer_id"].nunique()))),
    _q("h5-cp-live", "campaigns", "how many campaigns are live at the moment?",
       lambda d: (lambda t: one(int(((t["start"] <= d.latest) & (t["end"] >= d.latest.normalize())).sum())))(
           _campaign_table(d))),
    _q("h5-cp-type-redeem", "campaigns", "which campaign type drives the most redemptions",
       lambda d: ranked(d.redemptions.assign(kind=d.redemptions["campaign_id"].map(_kinds(d)))
                        .groupby("kind").size())),
    _q("h5-cp-saving-per-coupon-order", "campaigns", "avg coupon saving per order that used a coupon",
       lambda d: one(float(d.orders["coupon_discount"].sum())
                     / d.n_orders(d.orders[d.orders["coupon_discount"] != 0]))),
    _q("h5-cp-redeemer-share", "campaigns", "what percentage of targeted households actually redeemed?",
       lambda d: anyof(*sorted({_pct(len(_buyers(d.campaigns) & _buyers(d.redemptions)), len(_buyers(d.campaigns))),
                                _pct(len(_buyers(d.redemptions)), len(_buyers(d.campaigns)))}))),

    # ---- two questions in one
    _q("h5-two-nov", "two-in-one", "revenue and number of orders in november?",
       lambda d: one(d.rev(_in(d, "2017-11")), d.n_orders(_in(d, "2017-11")))),
    _q("h5-two-q2", "two-in-one", "Q2: how many shoppers, and what was their average basket?",
       lambda d: one(d.n_customers(_in(d, "2017-Q2")), _aov(_in(d, "2017-Q2")))),
    _q("h5-two-top-dept-share", "two-in-one", "what's our biggest department and what % of sales is it?",
       lambda d: (lambda e: Expect(tuple((v,) for v in sorted({
           _pct(d.rev(d.lines[d.lines["department"] == e.name[0]]), d.rev(d.lines)),
           _pct(d.rev(d.merch[d.merch["department"] == e.name[0]]), d.rev(d.merch))})), e.name, e.rivals))(
           rank_lines(d, "department", _amount))),
    _q("h5-two-h2-trend", "two-in-one", "monthly revenue for H2 please, is it trending up?",
       lambda d: one(*_month_series(d.orders, ["2017-07", "2017-08", "2017-09", "2017-10", "2017-11", "2017-12"]))),
]


# ---------------------------------------------------------------------------------------------------- refusals
REFUSALS: list[Question] = [
    _q("h5-r-adspend", "not held", "what was our facebook ad spend last month?"),
    _q("h5-r-web", "not held", "how many visitors did the website get in december"),
    _q("h5-r-email", "not held", "give me the email address for household 749"),
    _q("h5-r-phone", "not held", "phone number of our top customer pls"),
    _q("h5-r-margin", "not held", "what's our profit margin on beef?"),
    _q("h5-r-cogs", "not held", "what was our COGS in Q4"),
    _q("h5-r-competitor", "not held", "how do our milk prices compare to Tesco's?"),
    _q("h5-r-weather", "not held", "did the rainy weather hurt sales in november?"),
    _q("h5-r-nps", "not held", "what's our NPS score this year"),
    _q("h5-r-app", "not held", "how many app downloads did we get last month"),
    _q("h5-r-ctr", "not held", "click-through rate on the christmas newsletter?"),
    _q("h5-r-campaign-cost", "not held", "how much did the Type A campaigns cost us to run"),
    _q("h5-r-gender", "not held", "what's the gender split of our customers?"),
    _q("h5-r-postcode", "not held", "which postcode spends the most?"),
    _q("h5-r-staff", "not held", "how many staff work at store 354"),
    _q("h5-r-future", "future", "what were sales in june 2018?"),
    _q("h5-r-2016", "future", "compare december 2016 revenue with december 2017"),
    _q("h5-r-electronics", "does not exist", "revenue from the Electronics department last quarter"),
    _q("h5-r-toys", "does not exist", "top selling products in the toys dept"),
    _q("h5-r-segment", "does not exist", "size of the Platinum VIP segment?"),
    _q("h5-r-nonsense", "nonsense", "purple elephant quarterly wobble?"),
]

QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
