"""The third question bank for the offline assistant, held out and blind (issue 12, session 8).

Written without reading assistant/offline/*, the planner's tests and question files, or the question lists of the
dev bank (tests/question_bank.py) and the first held-out bank (tests/question_bank_heldout.py): only their grading
machinery and truth helpers are imported, so all three banks are graded by the same rules (tests/question_bank.py).
The planner has never been tuned on these questions; the first untuned run is in bench/results/question_bank.md.

Questions are typed the way a marketer would on day one (typos, casual wording, relative periods). Every ground
truth is an independent pandas expression over the raw workspace tables (``BankData``); nothing here calls
models.analytics. Where a question has two reasonable readings both are accepted (``anyof`` / ``either`` /
``versus``). Relative periods anchor on the latest order (2018-01-01 03:09 in the demo data): "last quarter" =
2017-Q4, "last month" = 2017-12, "this month" = 2018-01; "December" / "Q2" without a year are the ones of 2017.
"""

from __future__ import annotations

import math

import pandas as pd

from tests.question_bank import (BankData, Expect, Question, anyof, either, month_aliases, one, rank_lines, ranked)
from tests.question_bank_heldout import hour_aliases, id_ranked, pctl, quarter_aliases, versus, weekday_aliases

__all__ = ["ANSWERABLE", "REFUSALS", "QUESTIONS"]


# ------------------------------------------------------------------------------------- helpers for the truths
def _amount(g) -> pd.Series:
    return g["amount"].sum()


def _units(g) -> pd.Series:
    return g["quantity"].sum()


def _dept(name):
    return lambda df: df["department"] == name


def _cat(name):
    return lambda df: df["category"] == name


def _between(d: BankData, df: pd.DataFrame, start: str, end_exclusive: str) -> pd.DataFrame:
    return d.between(df, start, end_exclusive)


def _buyers(d: BankData, df: pd.DataFrame) -> set:
    return set(df["customer_id"])


def _customer_ranked(values: pd.Series) -> Expect:
    """Top customers: the top id bare (a table row) or as customer / household N; runners-up only when named."""
    e = ranked(values, aliases=lambda n: (f"customer {n}", f"customer #{n}", f"household {n}", f"household #{n}", n))
    return Expect(e.alternatives, e.name, tuple(r[:4] for r in e.rivals))


def _campaign_ranked(values: pd.Series) -> Expect:
    e = ranked(values, aliases=lambda c: (f"campaign {c}", f"campaign #{c}", f"campaign_id {c}", c))
    return Expect(e.alternatives, e.name, tuple(r[:3] for r in e.rivals))


def _first_in(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    f = d.first_order
    return set(f[(f >= p.start_time) & (f <= p.end_time)].index)


def _returning_in(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    return {c for c in _buyers(d, d.within(d.orders, p)) if d.first_order[c] < p.start_time}


def _is_weekend(df: pd.DataFrame) -> pd.Series:
    return df["timestamp"].dt.dayofweek >= 5


def _weekday_weekend(d: BankData):
    """Weekdays vs the weekend: as totals, or per calendar day of each kind (a fairer reading)."""
    o = d.orders
    wkend = _is_weekend(o)
    days = o["timestamp"].dt.normalize()
    a, b = d.rev(o[~wkend]), d.rev(o[wkend])
    per_a, per_b = a / days[~wkend].nunique(), b / days[wkend].nunique()
    return either(versus(a, b), versus(per_a, per_b))


def _with_kids(d: BankData, kids: bool) -> set:
    comp = d.customers["household_comp"].astype(object)
    has = comp.map(lambda v: isinstance(v, str) and "no kids" not in v.lower() and "kids" in v.lower())
    none = comp.map(lambda v: isinstance(v, str) and "no kids" in v.lower())
    return set(d.customers.loc[has if kids else none, "customer_id"])


def _kids_vs_none(d: BankData):
    def rpc(ids):
        o = d.of(d.orders, ids)
        return d.rev(o) / d.n_customers(o)

    def aov(ids):
        o = d.of(d.orders, ids)
        return d.rev(o) / d.n_orders(o)

    k, n = _with_kids(d, True), _with_kids(d, False)
    return either(versus(rpc(k), rpc(n)), versus(aov(k), aov(n)))


def _coffee_customers(d: BankData, wide: bool) -> set:
    cat = d.lines["category"].astype(object)
    mask = cat.map(lambda v: isinstance(v, str) and ("coffee" in v.lower() if wide else v == "Coffee"))
    return _buyers(d, d.lines[mask.astype(bool)])


def _type_of_campaign(d: BankData) -> pd.Series:
    return d.campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["campaign_type"]


def _counts(*values) -> Expect:
    return anyof(*sorted({int(v) for v in values}))


def _rate_of(d: BankData, campaign: str) -> Expect:
    targets = set(d.campaigns.loc[d.campaigns["campaign_id"] == campaign, "customer_id"])
    redeemers = set(d.redemptions.loc[d.redemptions["campaign_id"] == campaign, "customer_id"])
    return anyof(*sorted({len(redeemers & targets) / len(targets) * 100, len(redeemers) / len(targets) * 100}))


def _campaigns_in_q4(d: BankData) -> Expect:
    q = pd.Period("2017Q4")
    c = d.campaigns.groupby("campaign_id").agg(s=("start_date", "min"), e=("end_date", "max"))
    running = int(((c["s"] <= q.end_time) & (c["e"] >= q.start_time)).sum())
    started = int(((c["s"] >= q.start_time) & (c["s"] <= q.end_time)).sum())
    return _counts(running, started)


def _new_revenue_q2(d: BankData) -> Expect:
    """Revenue of the customers whose first order fell in 2017-Q2: all their Q2 orders, or the first orders only."""
    new = _first_in(d, "2017Q2")
    o = d.of(d.orders, new)
    firsts = o[o["timestamp"] == o["customer_id"].map(d.first_order)]
    return anyof(*sorted({d.rev(d.within(o, "2017Q2")), d.rev(firsts)}))


def _q(qid, cat, text, truth=None, note=""):
    return Question(qid, cat, text, truth, note)


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # totals
    _q("h2-tot-2017", "totals", "hw much revenue did we make in 2017?", lambda d: one(d.rev(d.within(d.orders, "2017")))),
    _q("h2-tot-trip", "totals", "whats the avg spend per shopping trip",
       lambda d: one(d.rev(d.orders) / d.n_orders(d.orders)), "a trip = an order (basket)"),
    _q("h2-tot-items", "totals", "on average how many items are in a basket",
       lambda d: anyof(len(d.orders) / d.n_orders(d.orders), d.orders["quantity"].sum() / d.n_orders(d.orders)),
       "items = order lines or units"),
    _q("h2-tot-coupdisc", "totals", "total $ off from coupons so far",
       lambda d: anyof(d.orders["coupon_discount"].sum(), d.orders["coupon_discount"].sum() + d.orders["discount"].sum()),
       "coupon discount alone, or with the retailer discount"),
    _q("h2-tot-stores", "totals", "how many stores have sales?", lambda d: one(d.orders["store_id"].nunique())),
    # periods
    _q("h2-per-lm", "periods", "sales last month?", lambda d: one(d.rev(d.within(d.orders, d.last_month)))),
    _q("h2-per-h1", "periods", "revenue in the first half of 2017",
       lambda d: one(d.rev(_between(d, d.orders, "2017-01-01", "2017-07-01")))),
    _q("h2-per-lq-cust", "periods", "how many ppl shopped with us last quarter",
       lambda d: one(d.n_customers(d.within(d.orders, d.last_quarter)))),
    _q("h2-per-q3-orders", "periods", "number of orders in q3 2017",
       lambda d: one(d.n_orders(d.within(d.orders, "2017Q3")))),
    _q("h2-per-30d", "periods", "what did we take in over the last 30 days",
       lambda d: anyof(*sorted({d.rev(df) for df in d.last_days(d.orders, 30)}))),
    _q("h2-per-mar", "periods", "march 2017 revenue pls", lambda d: one(d.rev(d.within(d.orders, "2017-03")))),
    # comparisons
    _q("h2-cmp-mom", "comparisons", "this month vs last month revenue",
       lambda d: versus(d.rev(d.within(d.orders, d.this_month)), d.rev(d.within(d.orders, d.last_month)))),
    _q("h2-cmp-q4q3", "comparisons", "how did Q4 compare to Q3 in sales",
       lambda d: versus(d.rev(d.within(d.orders, "2017Q4")), d.rev(d.within(d.orders, "2017Q3")))),
    _q("h2-cmp-halves", "comparisons", "first half vs second half of 2017, revenue",
       lambda d: versus(d.rev(_between(d, d.orders, "2017-01-01", "2017-07-01")),
                        d.rev(_between(d, d.orders, "2017-07-01", "2018-01-01")))),
    _q("h2-cmp-weekend", "comparisons", "do we sell more on weekdays or on weekends?", _weekday_weekend,
       "totals, or revenue per day of each kind"),
    _q("h2-cmp-grocery", "comparisons", "did Grocery revenue go up from Q3 to Q4?",
       lambda d: versus(d.rev(d.within(d.lines[d.lines["department"] == "Grocery"], "2017Q4")),
                        d.rev(d.within(d.lines[d.lines["department"] == "Grocery"], "2017Q3")))),
    _q("h2-cmp-kids", "comparisons", "families with kids vs households without kids - who spends more on average?",
       _kids_vs_none, "per customer, or per basket"),
    _q("h2-cmp-brand", "comparisons", "private label vs national brands: which makes us more money",
       lambda d: rank_lines(d, "brand", _amount)),
    # rankings
    _q("h2-rank-produce", "rankings", "top 5 products in the Produce department by revenue",
       lambda d: rank_lines(d, "name", _amount, where=_dept("Produce"))),
    _q("h2-rank-druggm-units", "rankings", "which category sells the most units in Drug GM?",
       lambda d: rank_lines(d, "category", _units, where=_dept("Drug Gm"))),
    _q("h2-rank-meat", "rankings", "top 3 categories in the meat dept",
       lambda d: rank_lines(d, "category", _amount, where=_dept("Meat"))),
    _q("h2-rank-store-orders", "rankings", "which store has the most orders?",
       lambda d: id_ranked(d.orders.groupby("store_id")["order_id"].nunique(), "store")),
    _q("h2-rank-custs", "rankings", "who are our top 10 customers by spend", lambda d: _customer_ranked(d.spend)),
    _q("h2-rank-dept-lq", "rankings", "best department last quarter by revenue",
       lambda d: rank_lines(d, "department", _amount, period=d.last_quarter)),
    _q("h2-rank-cat-dec", "rankings", "3 best selling categories in december",
       lambda d: rank_lines(d, "category", _amount, period="2017-12")),
    # filters
    _q("h2-f-income", "filters", "revenue from households earning 50-74K",
       lambda d: one(d.rev(d.of(d.orders, d.cust(income="50-74K"))))),
    _q("h2-f-age", "filters", "how many customers aged 45-54 bought something in 2017?",
       lambda d: _counts(d.n_customers(d.of(d.within(d.orders, "2017"), d.cust(age="45-54"))),
                         len(d.cust(age="45-54")))),
    _q("h2-f-homeowner", "filters", "avg basket for homeowners",
       lambda d: anyof(*[d.rev(o) / d.n_orders(o) for o in (d.of(d.orders, d.cust(home_ownership="Homeowner")),
                                                          d.of(d.orders, d.cust(home_ownership=["Homeowner",
                                                                                                "Probable Homeowner"])))]),
       "Homeowner, or with Probable Homeowner"),
    _q("h2-f-store-lq", "filters", "how much did store 422 sell last quarter",
       lambda d: one(d.rev(d.within(d.orders[d.orders["store_id"] == "422"], d.last_quarter)))),
    _q("h2-f-coffee", "filters", "coffee sales in 2017",
       lambda d: anyof(d.rev(d.within(d.lines[d.lines["category"] == "Coffee"], "2017")),
                       d.rev(d.within(d.lines[d.lines["category"].astype(object).map(
                           lambda v: isinstance(v, str) and "coffee" in v.lower()).astype(bool)], "2017"))),
       "the Coffee category, or every category naming coffee"),
    _q("h2-f-soda-married", "filters", "soft drinks revenue among married customers",
       lambda d: one(d.rev(d.of(d.lines[d.lines["category"] == "Soft Drinks"], d.cust(marital_status="Married"))))),
    _q("h2-f-private-grocery", "filters", "units sold of private label stuff in grocery",
       lambda d: one(d.lines.loc[(d.lines["brand"] == "Private") & (d.lines["department"] == "Grocery"),
                                 "quantity"].sum())),
    _q("h2-f-single-q4", "filters", "revenue from single person households in q4",
       lambda d: anyof(*sorted({d.rev(d.within(d.of(d.orders, ids), "2017Q4"))
                                for ids in (d.cust(household_size="1"), d.cust(household_comp="1 Adult No Kids"))}))),
    _q("h2-f-sundays-dec", "filters", "revenue on sundays in december",
       lambda d: one(d.rev(d.within(d.orders[d.orders["timestamp"].dt.dayofweek == 6], "2017-12")))),
    # thresholds
    _q("h2-th-90d", "thresholds", "customers who haven't bought in 90 days",
       lambda d: _counts(*[int((d.last_order < d.latest - pd.Timedelta(days=90)).sum()),
                           int((d.last_order.dt.normalize() <= d.latest.normalize() - pd.Timedelta(days=90)).sum()),
                           int((d.last_order.dt.normalize() < d.latest.normalize() - pd.Timedelta(days=90)).sum())])),
    _q("h2-th-1000", "thresholds", "how many customers have spent over $1,000 with us",
       lambda d: _counts((d.spend > 1000).sum(), (d.spend >= 1000).sum())),
    _q("h2-th-50orders", "thresholds", "customers with 50+ orders",
       lambda d: _counts((d.order_counts >= 50).sum(), (d.order_counts > 50).sum())),
    _q("h2-th-q2-not-q3", "thresholds", "customers who bought in Q2 but not in Q3",
       lambda d: one(len(_buyers(d, d.within(d.orders, "2017Q2")) - _buyers(d, d.within(d.orders, "2017Q3"))))),
    _q("h2-th-coffee-soda", "thresholds", "how many households bought both coffee and soft drinks",
       lambda d: _counts(*[len(_coffee_customers(d, wide) & _buyers(d, d.lines[d.lines["category"] == "Soft Drinks"]))
                           for wide in (False, True)]), "the Coffee category, or every category naming coffee"),
    _q("h2-th-nov-dec", "thresholds", "how many customers shopped in both november and december",
       lambda d: one(len(_buyers(d, d.within(d.orders, "2017-11")) & _buyers(d, d.within(d.orders, "2017-12"))))),
    # concentration
    _q("h2-con-top10pct", "concentration", "what share of revenue comes from the top 10% of customers",
       lambda d: one(d.spend.sort_values(ascending=False).iloc[:max(1, math.ceil(len(d.spend) * 0.1))].sum()
                     / d.spend.sum() * 100)),
    _q("h2-con-top20", "concentration", "what % of sales do our top 20 customers account for",
       lambda d: one(d.spend.sort_values(ascending=False).iloc[:20].sum() / d.spend.sum() * 100)),
    _q("h2-con-stores", "concentration", "share of revenue from the top 5 stores",
       lambda d: one(d.orders.groupby("store_id")["amount"].sum().sort_values(ascending=False).iloc[:5].sum()
                     / d.rev(d.orders) * 100)),
    # distributions
    _q("h2-dist-median-basket", "distributions", "median basket value?", lambda d: pctl(d.baskets, 0.5)),
    _q("h2-dist-median-cust", "distributions", "whats the median customer's total spend",
       lambda d: pctl(d.spend, 0.5)),
    _q("h2-dist-p90-basket", "distributions", "90th percentile order value", lambda d: pctl(d.baskets, 0.9)),
    _q("h2-dist-median-orders", "distributions", "whats the typical (median) order count per shopper",
       lambda d: pctl(d.order_counts, 0.5)),
    # time series
    _q("h2-ts-weekday", "time series", "which day of the week brings in the most money",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.day_name())["amount"].sum(),
                        aliases=weekday_aliases)),
    _q("h2-ts-hour", "time series", "busiest hour of the day by number of orders",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["order_id"].nunique(), aliases=hour_aliases)),
    _q("h2-ts-month", "time series", "best month of 2017 for revenue",
       lambda d: ranked(d.within(d.orders, "2017").pipe(
           lambda o: o.groupby(o["timestamp"].dt.to_period("M").astype(str))["amount"].sum()),
           aliases=month_aliases)),
    _q("h2-ts-quarter", "time series", "which quarter of 2017 had the most orders",
       lambda d: ranked(d.within(d.orders, "2017").pipe(
           lambda o: o.groupby(o["timestamp"].dt.to_period("Q").astype(str))["order_id"].nunique()),
           aliases=quarter_aliases)),
    _q("h2-ts-slowday", "time series", "slowest weekday for orders",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.day_name())["order_id"].nunique(), ascending=True,
                        aliases=weekday_aliases), "any day of the week (a reader may mean Monday-Sunday)"),
    # new vs returning
    _q("h2-nr-new-q2", "new vs returning", "how many new customers did we get in Q2",
       lambda d: one(len(_first_in(d, "2017Q2")))),
    _q("h2-nr-lq", "new vs returning", "new vs returning customers last quarter",
       lambda d: one(len(_first_in(d, d.last_quarter)), len(_returning_in(d, d.last_quarter)))),
    _q("h2-nr-new-rev-q2", "new vs returning", "how much revenue came from first-time customers in Q2 2017",
       _new_revenue_q2,
       "their Q2 revenue, or that of their first orders only"),
    _q("h2-nr-ret-share-q2", "new vs returning", "what % of Q2 shoppers were returning customers",
       lambda d: one(len(_returning_in(d, "2017Q2")) / d.n_customers(d.within(d.orders, "2017Q2")) * 100)),
    # campaigns & coupons
    _q("h2-cc-redeemed", "campaigns & coupons", "how many coupons got redeemed overall",
       lambda d: one(len(d.redemptions))),
    _q("h2-cc-reach", "campaigns & coupons", "which campaign reached the most customers",
       lambda d: _campaign_ranked(d.campaigns.groupby("campaign_id")["customer_id"].nunique())),
    _q("h2-cc-c13", "campaigns & coupons", "how many customers did campaign 13 target",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_id"] == "13", "customer_id"].nunique())),
    _q("h2-cc-type", "campaigns & coupons", "which campaign type gets the most coupon redemptions?",
       lambda d: ranked(d.redemptions["campaign_id"].map(_type_of_campaign(d)).value_counts())),
    _q("h2-cc-q4-running", "campaigns & coupons", "how many campaigns were running in q4 2017",
       _campaigns_in_q4,
       "running at any time in Q4, or started in Q4"),
    _q("h2-cc-redeemers", "campaigns & coupons", "number of unique customers who used a coupon",
       lambda d: one(d.redemptions["customer_id"].nunique())),
    _q("h2-cc-dec", "campaigns & coupons", "coupon redemptions in december?",
       lambda d: one(len(d.within(d.redemptions, "2017-12")))),
    _q("h2-cc-typea", "campaigns & coupons", "how many Type A campaigns have we run",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_type"] == "Type A", "campaign_id"].nunique())),
    _q("h2-cc-rate18", "campaigns & coupons", "what % of the customers targeted by campaign 18 redeemed a coupon",
       lambda d: _rate_of(d, "18"), "redeemers of campaign 18 among its targets, or all its redeemers"),
]


# ----------------------------------------------------------------------------------------------------- refusals
REFUSALS: list[Question] = [
    # not held
    _q("h2-r-adspend", "not held", "what did our facebook + google ad spend come to in q4"),
    _q("h2-r-web", "not held", "whats our website conversion rate"),
    _q("h2-r-email", "not held", "open rate of the december newsletter email?"),
    _q("h2-r-reasons", "not held", "what are the top reasons customers give for returning products"),
    _q("h2-r-margin", "not held", "profit margin by department"),
    _q("h2-r-inventory", "not held", "how much coffee do we have in stock right now"),
    _q("h2-r-cac", "not held", "what's our customer acquisition cost"),
    _q("h2-r-competitor", "not held", "how do our milk prices compare to walmart's"),
    # unknown names
    _q("h2-r-whales", "unknown names", "revenue from the Whales segment"),
    _q("h2-r-brand", "unknown names", "sales of the Zorblax brand last quarter"),
    _q("h2-r-store", "unknown names", "how much did store 99999 sell in 2017"),
    _q("h2-r-campaign", "unknown names", "how many customers did campaign 777 reach"),
    # bad periods
    _q("h2-r-2031", "bad periods", "revenue in 2031"),
    _q("h2-r-q5", "bad periods", "orders in Q5 2017"),
    # unknowable
    _q("h2-r-nextyear", "unknowable", "exactly how much will each customer spend next year"),
    _q("h2-r-cent", "unknowable", "what will our revenue be on 14 march 2019, to the cent"),
]

QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
