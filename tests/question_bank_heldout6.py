"""The seventh question bank for the offline assistant, held out and blind (issue 12, session 10 end, helper blind7).

Written without reading assistant/offline/*, the analytics parser and planner code, the planner's tests and question
files, bench/results/question_bank*.md, or the question lists of the other banks: only their grading machinery and
truth helpers are imported (tests/question_bank.py, tests/question_bank_heldout.py, the helper functions of
tests/question_bank_heldout5.py), so every bank is graded by the same rules. The planner has never been tuned on these
questions; the first, untuned run is in bench/results/question_bank_heldout6.md (the score only: the misses stay with
the bank's author, so that the bank stays blind).

Questions are typed the way a grocery / e-commerce marketer would on day one: typos, terse and chatty wording,
British spelling, relative periods, filters on the attributes the data holds (department, category, brand, store,
household income / age / size / kids / home ownership / marital status, campaign, campaign type, coupon),
rankings, top / bottom N, thresholds, concentration, distributions, new vs returning customers, discounts, and two
questions in one. Every ground truth is an independent pandas expression over the raw workspace tables
(``BankData``); nothing here calls models.analytics. Where a question has two reasonable readings both are accepted
(``anyof`` / ``either`` / ``versus``).

Relative periods anchor on the latest order (2018-01-01 03:09, a Monday, in the demo data): "last quarter" = 2017-Q4,
"last month" = 2017-12, "this month" = 2018-01 (so far), "last year" = 2017, "YTD" = 2018 so far (2017 accepted too,
the only full year), "H1" / "H2" = January-June / July-December 2017, "the past N weeks / days" = N*7 / N days back
from the latest order (any of the usual cut-offs, or whole Monday weeks); month or quarter names without a year are
2017's. Orders start 2017-01-01, so there is no year-on-year. Product / category / department / brand rankings leave
out non-merchandise lines (``rank_lines``); totals include them.
"""

from __future__ import annotations

import pandas as pd

from tests.question_bank import (BankData, Expect, Question, anyof, compare, either, month_aliases, one, rank_lines,
                                 ranked)
from tests.question_bank_heldout import hour_aliases, pctl, weekday_aliases
from tests.question_bank_heldout5 import (_band_ranked, _campaign_ranked, _campaign_table, _gaps, _inactive, _pareto,
                                          _products, _size_ranked, _top_share, _who_ranked, _windows)

__all__ = ["ANSWERABLE", "REFUSALS", "QUESTIONS"]


# ------------------------------------------------------------------------------------- helpers for the truths
def _q(qid, cat, text, truth=None, note=""):
    return Question(qid, cat, text, truth, note)


def _amount(g) -> pd.Series:
    return g["amount"].sum()


def _units(g) -> pd.Series:
    return g["quantity"].sum()


def _pct(part: float, whole: float) -> float:
    return part / whole * 100


def _aov(df: pd.DataFrame) -> float:
    return float(df["amount"].sum()) / df["order_id"].nunique()


def _in(d: BankData, period, df: pd.DataFrame | None = None) -> pd.DataFrame:
    return d.within(d.orders if df is None else df, period)


def _h(d: BankData, half: int, df: pd.DataFrame | None = None) -> pd.DataFrame:
    a, b = ("2017-01-01", "2017-07-01") if half == 1 else ("2017-07-01", "2018-01-01")
    return d.between(d.orders if df is None else df, a, b)


def _dept_rev(d: BankData, name: str, period=None) -> float:
    df = d.lines if period is None else d.within(d.lines, period)
    return d.rev(df[df["department"] == name])


def _store_ranked(values: pd.Series) -> Expect:
    e = ranked(values, aliases=lambda s: (f"store {s}", f"store #{s}", f"store_id {s}", s))
    return Expect(e.alternatives, e.name, tuple(r[:2] for r in e.rivals))


def _seg_rev(d: BankData, period=None, **eq) -> float:
    df = d.orders if period is None else d.within(d.orders, period)
    return d.rev(d.of(df, d.cust(**eq)))


def _seg_aov(d: BankData, **eq) -> float:
    return _aov(d.of(d.orders, d.cust(**eq)))


def _by_customer_attr(d: BankData, col: str, fn) -> pd.Series:
    w = d.with_customers.dropna(subset=[col])
    return w.groupby(col).apply(fn)


def _new(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    f = d.first_order
    return set(f[(f >= p.start_time) & (f <= p.end_time)].index)


def _returning(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    buyers = set(d.within(d.orders, p)["customer_id"])
    f = d.first_order
    return {c for c in buyers if f[c] < p.start_time}


def _type_of_redemption(d: BankData) -> pd.Series:
    kinds = _campaign_table(d)["kind"]
    return d.redemptions["campaign_id"].map(kinds)


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # ---- periods
    _q("h6-per-lastqtr", "periods", "whats our revenue last qtr",
       lambda d: one(d.rev(_in(d, d.last_quarter)))),
    _q("h6-per-h2-take", "periods", "how much did we take in H2?",
       lambda d: one(d.rev(_h(d, 2)))),
    _q("h6-per-month-vs", "periods", "sales this month vs last month?",
       lambda d: compare(d.rev(_in(d, d.this_month)), d.rev(_in(d, d.last_month)))),
    _q("h6-per-8wk-orders", "periods", "number of orders over the past 8 weeks",
       lambda d: _windows(d, 56, d.n_orders)),
    _q("h6-per-q3", "periods", "Q3 2017 turnover pls",
       lambda d: one(d.rev(_in(d, "2017Q3")))),
    _q("h6-per-dec-basket", "periods", "avg basket value in december",
       lambda d: one(_aov(_in(d, "2017-12")))),
    _q("h6-per-oct-shoppers", "periods", "how many diffrent shoppers came in during october",
       lambda d: one(d.n_customers(_in(d, "2017-10")))),
    _q("h6-per-ytd", "periods", "revenue ytd?",
       lambda d: anyof(d.rev(_in(d, "2018")), d.rev(_in(d, "2017")))),
    _q("h6-per-q3-q4", "periods", "compare Q3 and Q4 sales",
       lambda d: either(compare(d.rev(_in(d, "2017Q4")), d.rev(_in(d, "2017Q3"))),
                        compare(d.rev(_in(d, "2017Q3")), d.rev(_in(d, "2017Q4"))))),
    _q("h6-per-best-month", "trends", "which month last year was our strongest for sales?",
       lambda d: ranked(_in(d, "2017").groupby(_in(d, "2017")["timestamp"].dt.to_period("M").astype(str))["amount"]
                        .sum(), aliases=month_aliases)),
    _q("h6-per-weekday", "trends", "busiest day of the week by number of orders",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.day_name())["order_id"].nunique(),
                        aliases=weekday_aliases)),
    _q("h6-per-hour", "trends", "what time of day do most baskets get rung up?",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["order_id"].nunique(),
                        aliases=hour_aliases)),
    _q("h6-per-q1-q4", "trends", "did sales grow between Q1 and Q4?",
       lambda d: compare(d.rev(_in(d, "2017Q4")), d.rev(_in(d, "2017Q1")))),
    _q("h6-per-sept-units", "periods", "how many units did we shift in september",
       lambda d: one(float(_in(d, "2017-09")["quantity"].sum()))),
    # ---- departments, categories, brands
    _q("h6-dept-top5-lastq", "departments", "top 5 departments by sales last quarter",
       lambda d: rank_lines(d, "department", _amount, period=d.last_quarter)),
    _q("h6-dept-produce-nov", "departments", "how much did produce bring in during november?",
       lambda d: one(_dept_rev(d, "Produce", "2017-11"))),
    _q("h6-dept-produce-share", "departments", "what % of our takings is produce?",
       lambda d: anyof(_pct(_dept_rev(d, "Produce"), d.rev(d.orders)),
                       _pct(_dept_rev(d, "Produce"), d.rev(d.merch)))),
    _q("h6-cat-units", "categories", "best selling category by units",
       lambda d: rank_lines(d, "category", _units)),
    _q("h6-cat-cheese-products", "products", "which cheese products sell best?",
       lambda d: _products(d, _amount, where=lambda df: df["category"] == "Cheese")),
    _q("h6-dept-meat-buyers-q4", "departments", "how many customers bought from the meat dept in Q4",
       lambda d: one(d.n_customers(d.within(d.lines, "2017Q4").query("department == 'Meat'")))),
    _q("h6-cat-pizza-h1h2", "categories", "frozen pizza revenue H2 vs H1",
       lambda d: compare(d.rev(_h(d, 2, d.lines).query("category == 'Frozen Pizza'")),
                         d.rev(_h(d, 1, d.lines).query("category == 'Frozen Pizza'")))),
    _q("h6-brand-private-share", "brands", "what share of sales is own-label / private brand?",
       lambda d: anyof(_pct(d.rev(d.lines[d.lines["brand"] == "Private"]), d.rev(d.orders)),
                       _pct(d.rev(d.merch[d.merch["brand"] == "Private"]), d.rev(d.merch)))),
    _q("h6-brand-nat-vs-priv", "brands", "national brands vs private label - revenue for each",
       lambda d: anyof((d.rev(d.lines[d.lines["brand"] == "National"]), d.rev(d.lines[d.lines["brand"] == "Private"])),
                       (d.rev(d.merch[d.merch["brand"] == "National"]),
                        d.rev(d.merch[d.merch["brand"] == "Private"])))),
    _q("h6-brand-softdrinks", "brands", "in soft drinks, which brand sells more, private or national?",
       lambda d: rank_lines(d, "brand", _amount, where=lambda df: df["category"] == "Soft Drinks")),
    _q("h6-dept-bottom", "departments", "weakest dept for sales overall?",
       lambda d: rank_lines(d, "department", _amount, ascending=True)),
    _q("h6-cat-produce-bottom3", "categories", "bottom 3 categories within produce by revenue",
       lambda d: rank_lines(d, "category", _amount, where=lambda df: df["department"] == "Produce", ascending=True)),
    _q("h6-prod-top-dec", "products", "top selling product in december by revenue",
       lambda d: _products(d, _amount, period="2017-12")),
    _q("h6-cat-milk-units", "categories", "how many units of fluid milk did we sell last quarter?",
       lambda d: one(float(d.within(d.lines, "2017Q4").query("category == 'Fluid Milk Products'")["quantity"].sum()))),
    # ---- households / demographics
    _q("h6-seg-income-top", "segments", "which income band spends the most with us",
       lambda d: either(_band_ranked(_by_customer_attr(d, "income", lambda g: g["amount"].sum())),
                        _band_ranked(_by_customer_attr(d, "income",
                                                       lambda g: g.groupby("customer_id")["amount"].sum().mean())))),
    _q("h6-seg-homeowner-avg", "segments", "average spend per household for home owners",
       lambda d: anyof(float(d.spend[list(d.cust(home_ownership="Homeowner"))].mean()),
                       float(d.spend[list(d.cust(home_ownership=["Homeowner", "Probable Homeowner"]))].mean()))),
    _q("h6-seg-kids-total", "segments", "total spend from households with kids",
       lambda d: one(_seg_rev(d, kids_count=["1", "2", "3+"]))),
    _q("h6-seg-married-aov", "segments", "married vs unmarried customers: avg order value?",
       lambda d: one(_seg_aov(d, marital_status="Married"), _seg_aov(d, marital_status="Unmarried"))),
    _q("h6-seg-age-top", "segments", "what age group buys the most",
       lambda d: _band_ranked(_by_customer_attr(d, "age", lambda g: g["amount"].sum()))),
    _q("h6-seg-single-dec", "segments", "revenue from single-person households last month",
       lambda d: one(_seg_rev(d, "2017-12", household_size="1"))),
    _q("h6-seg-size-aov", "segments", "which household size has the highest average order value",
       lambda d: _size_ranked(_by_customer_attr(d, "household_size", _aov))),
    _q("h6-seg-65-count", "segments", "how many of our customers are 65 or over?",
       lambda d: one(len(d.cust(age="65+")))),
    _q("h6-seg-4554-q4", "segments", "spend from 45-54 year olds in Q4",
       lambda d: one(_seg_rev(d, "2017Q4", age="45-54"))),
    _q("h6-seg-lowincome-count", "segments", "no. of households earning under 15k",
       lambda d: one(len(d.cust(income="Under 15K")))),
    # ---- thresholds
    _q("h6-thr-60d", "thresholds", "customers who havent shopped in 60 days - how many?",
       lambda d: anyof(*sorted(_inactive(d, 60)))),
    _q("h6-thr-1000", "thresholds", "how many households have spent over $1000 in total",
       lambda d: anyof(int((d.spend > 1000).sum()), int((d.spend >= 1000).sum()))),
    _q("h6-thr-10orders", "thresholds", "customers with at least 10 orders?",
       lambda d: one(int((d.order_counts >= 10).sum()))),
    _q("h6-thr-one-order", "thresholds", "how many one-and-done customers (only a single order)?",
       lambda d: one(int((d.order_counts == 1).sum()))),
    _q("h6-thr-90d", "thresholds", "count of lapsed customers, 90+ days since last purchase",
       lambda d: anyof(*sorted(_inactive(d, 90)))),
    # ---- concentration / distributions / customers
    _q("h6-conc-top10pct", "concentration", "what share of sales comes from our top 10% of customers?",
       lambda d: _top_share(d, 0.10)),
    _q("h6-dist-median-basket", "distributions", "whats the median basket, in dollars",
       lambda d: one(float(d.baskets.median()))),
    _q("h6-conc-80", "concentration", "how many customers make up 80% of revenue",
       lambda d: _pareto(d, 0.80)),
    _q("h6-dist-p90", "distributions", "order value at the 90th percentile?",
       lambda d: pctl(d.baskets, 0.9)),
    _q("h6-cust-gaps", "customers", "typical gap in days between one shop and the next, on average per customer",
       lambda d: _gaps(d)),
    _q("h6-cust-top", "customers", "who's our biggest spender?",
       lambda d: _who_ranked(d.spend)),
    _q("h6-cust-q4-orders", "customers", "top 3 customers by number of orders in Q4",
       lambda d: _who_ranked(_in(d, "2017Q4").groupby("customer_id")["order_id"].nunique())),
    # ---- new vs returning
    _q("h6-new-dec", "new vs returning", "how many new customers did we get in december?",
       lambda d: one(len(_new(d, "2017-12")))),
    _q("h6-ret-q4", "new vs returning", "returning customers last quarter - count",
       lambda d: one(len(_returning(d, "2017Q4")))),
    _q("h6-new-q3-spend", "new vs returning", "new customers in Q3: how many, and what did they spend?",
       lambda d: anyof((len(_new(d, "2017Q3")), d.rev(d.of(_in(d, "2017Q3"), _new(d, "2017Q3")))),
                       (len(_new(d, "2017Q3")), d.rev(d.of(d.orders, _new(d, "2017Q3")))))),
    # ---- stores
    _q("h6-store-top", "stores", "which store does the most revenue?",
       lambda d: _store_ranked(d.orders.groupby("store_id")["amount"].sum())),
    _q("h6-store-count", "stores", "how many stores are in the data",
       lambda d: one(int(d.orders["store_id"].nunique()))),
    _q("h6-store-422-dec", "stores", "store 422 sales last month",
       lambda d: one(d.rev(_in(d, "2017-12").query("store_id == '422'")))),
    # ---- campaigns / coupons / discounts
    _q("h6-camp-count", "campaigns", "hw many marketing campaigns have we ran so far",
       lambda d: one(int(d.campaigns["campaign_id"].nunique()))),
    _q("h6-camp-reach", "campaigns", "which campaign reached the most households",
       lambda d: _campaign_ranked(_campaign_table(d)["reach"])),
    _q("h6-coup-q4", "coupons", "how many coupons were redeemed in Q4?",
       lambda d: one(len(_in(d, "2017Q4", d.redemptions)))),
    _q("h6-coup-type", "coupons", "which campaign type gets the most coupon redemptions",
       lambda d: ranked(_type_of_redemption(d).value_counts())),
    _q("h6-camp-typea-reach", "campaigns", "how many customers were targeted by type A campaigns",
       lambda d: one(int(d.campaigns.query("campaign_type == 'Type A'")["customer_id"].nunique()))),
    _q("h6-disc-q4", "discounts", "total discounts given last quarter",
       lambda d: anyof(float(_in(d, "2017Q4")["discount"].sum()),
                       float(_in(d, "2017Q4")[["discount", "coupon_discount"]].sum().sum()))),
    _q("h6-disc-coupon-2017", "discounts", "how much coupon discount did we give away in 2017",
       lambda d: one(float(_in(d, "2017")["coupon_discount"].sum()))),
    # ---- two in one
    _q("h6-two-nov", "two in one", "orders and customers in november?",
       lambda d: one(d.n_orders(_in(d, "2017-11")), d.n_customers(_in(d, "2017-11")))),
    _q("h6-two-dec-rev-aov", "two in one", "last month's revenue and AOV",
       lambda d: one(d.rev(_in(d, "2017-12")), _aov(_in(d, "2017-12")))),
]


# ---------------------------------------------------------------------------------------------------- refusals
REFUSALS: list[Question] = [
    _q("h6-r-google-ads", "not held", "what did we spend on google ads in Q4?"),
    _q("h6-r-sessions", "not held", "website sessions last week?"),
    _q("h6-r-openrate", "not held", "open rate on our last email blast"),
    _q("h6-r-gross-margin", "not held", "gross margin by department please"),
    _q("h6-r-stock", "not held", "how much milk do we have left in stock at store 422"),
    _q("h6-r-cashiers", "not held", "how many cashiers were on shift on boxing day"),
    _q("h6-r-snow", "not held", "did the snow over christmas hurt footfall?"),
    _q("h6-r-mobile", "not held", "whats household 749's mobile number"),
    _q("h6-r-2019", "future", "what will revenue be in march 2019 exactly?"),
    _q("h6-r-garden", "does not exist", "sales in the Garden Furniture department last month"),
    _q("h6-r-brand", "does not exist", "how is the Acme Organics brand doing?"),
    _q("h6-r-campaign", "does not exist", "how did campaign 99 perform"),
    _q("h6-r-nonsense", "nonsense", "blorf the quarterly zibble for me"),
]

QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
