"""The fourth question bank for the offline assistant, held out and blind (issue 12, session 8 end).

Written without reading assistant/offline/*, the planner's tests and question files, bench/results/question_bank.md,
or the question lists of the other three banks (tests/question_bank.py, tests/question_bank_heldout.py,
tests/question_bank_heldout2.py): only their grading machinery and truth helpers are imported, so all four banks are
graded by the same rules (tests/question_bank.py). The planner has never been tuned on these questions; the first,
untuned run is in bench/results/question_bank_heldout3.md.

Questions are typed the way a marketer would on day one (typos, casual wording, relative periods, two questions in
one). Every ground truth is an independent pandas expression over the raw workspace tables (``BankData``); nothing
here calls models.analytics. Where a question has two reasonable readings both are accepted (``anyof`` /
``either`` / ``versus``). Relative periods anchor on the latest order (2018-01-01 03:09 in the demo data): "last
quarter" = 2017-Q4, "last month" = 2017-12, "this month" = 2018-01; "december" / "Q3" without a year are 2017's.
Product / category / department rankings leave out non-merchandise lines (``rank_lines``); totals include them.
"""

from __future__ import annotations

import math

import pandas as pd

from tests.question_bank import BankData, Expect, Question, anyof, either, month_aliases, one, rank_lines, ranked
from tests.question_bank import inactive
from tests.question_bank_heldout import hour_aliases, id_ranked, pctl, versus, weekday_aliases

__all__ = ["ANSWERABLE", "REFUSALS", "QUESTIONS"]


# ------------------------------------------------------------------------------------- helpers for the truths
def _q(qid, cat, text, truth=None, note=""):
    return Question(qid, cat, text, truth, note)


def _amount(g) -> pd.Series:
    return g["amount"].sum()


def _buyers(df: pd.DataFrame) -> set:
    return set(df["customer_id"])


def _rev_of(d: BankData, ids: set, period=None) -> float:
    o = d.of(d.orders, ids)
    return d.rev(d.within(o, period) if period is not None else o)


def _past_three_months(d: BankData, fn) -> Expect:
    """"the past 3 months": the last 90 days (any of the usual cut-offs), the last three complete months
    (Oct-Dec 2017), or the three calendar months up to and including the current one (Nov 2017 - Jan 2018)."""
    o = d.orders
    vals = [fn(df) for df in d.last_days(o, 90)]
    cm = d.this_month
    vals.append(fn(o[(o["timestamp"] >= (cm - 3).start_time) & (o["timestamp"] < cm.start_time)]))
    vals.append(fn(o[o["timestamp"] >= (cm - 2).start_time]))
    return anyof(*sorted(set(vals)))




def _top_share(d: BankData, frac: float) -> Expect:
    s = d.spend.sort_values(ascending=False)
    ks = {max(1, math.ceil(len(s) * frac - 1e-9)), max(1, math.floor(len(s) * frac + 1e-9))}
    return anyof(*sorted({float(s.iloc[:k].sum() / s.sum() * 100) for k in ks}))


def _campaign_type_of(d: BankData) -> pd.Series:
    return d.campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["campaign_type"]


def _redemptions_by_type(d: BankData) -> pd.Series:
    t = d.redemptions["campaign_id"].map(_campaign_type_of(d))
    return d.redemptions.groupby(t).size().astype(float)


def _campaigns_in(d: BankData, start: str, end_inclusive: str) -> Expect:
    c = d.campaigns.groupby("campaign_id").agg(s=("start_date", "min"), e=("end_date", "max"))
    s, e = pd.Timestamp(start), pd.Timestamp(end_inclusive)
    overlap = int(((c["s"] <= e) & (c["e"] >= s)).sum())
    started = int(((c["s"] >= s) & (c["s"] <= e)).sum())
    inside = int(((c["s"] >= s) & (c["e"] <= e)).sum())
    return anyof(*sorted({overlap, started, inside}))


def _hour_series(d: BankData, value: str) -> pd.Series:
    o = d.orders
    g = o.groupby(o["timestamp"].dt.hour)
    return (g["order_id"].nunique() if value == "orders" else g["amount"].sum()).astype(float)


def _monthly_revenue(df: pd.DataFrame) -> pd.Series:
    return df.groupby(df["timestamp"].dt.to_period("M").astype(str))["amount"].sum()


def _weekday_revenue(d: BankData) -> pd.Series:
    o = d.orders
    return o.groupby(o["timestamp"].dt.day_name())["amount"].sum()


def _kids(d: BankData) -> Expect:
    c = d.customers
    by_count = set(c.loc[c["kids_count"].isin(["1", "2", "3+"]).fillna(False).astype(bool), "customer_id"])
    by_comp = set(c.loc[c["household_comp"].str.contains("Kids", na=False)
                        & ~c["household_comp"].str.contains("No Kids", na=False), "customer_id"])
    return anyof(*sorted({_rev_of(d, by_count), _rev_of(d, by_comp)}))


def _per_customer(d: BankData, ids: set) -> Expect:
    rev = _rev_of(d, ids)
    buyers = len(ids & _buyers(d.orders))
    return anyof(*sorted({rev / buyers, rev / len(ids)}))


def _private_share(d: BankData) -> Expect:
    priv = d.rev(d.lines[d.lines["brand"] == "Private"])
    branded = d.rev(d.lines[d.lines["brand"].isin(["Private", "National"]).fillna(False).astype(bool)])
    priv_m = d.rev(d.merch[d.merch["brand"] == "Private"])
    return anyof(priv / d.rev(d.orders) * 100, priv / branded * 100, priv_m / d.rev(d.merch) * 100)


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # totals and periods
    _q("h3-per-lastq", "periods", "how much did we sell last quater?",
       lambda d: one(d.rev(d.within(d.orders, d.last_quarter)))),
    _q("h3-per-3mo", "periods", "number of orders in the past 3 months", lambda d: _past_three_months(d, d.n_orders),
       "last 90 days, Oct-Dec, or Nov-Jan"),
    _q("h3-per-basket", "periods", "avg basket size in december?",
       lambda d: (lambda dec: anyof(d.rev(dec) / d.n_orders(dec), len(dec) / d.n_orders(dec),
                                    dec["quantity"].sum() / d.n_orders(dec)))(d.within(d.orders, "2017-12")),
       "basket value, lines per basket or units per basket"),
    _q("h3-per-q3cust", "periods", "how many unique shoppers did we have in Q3",
       lambda d: one(d.n_customers(d.within(d.orders, "2017Q3")))),
    _q("h3-per-spring", "periods", "total sales march thru may 2017",
       lambda d: one(d.rev(d.between(d.orders, "2017-03-01", "2017-06-01")))),
    # comparisons
    _q("h3-cmp-month", "comparisons", "revenue this month vs last month",
       lambda d: versus(d.rev(d.within(d.orders, d.this_month)), d.rev(d.within(d.orders, d.last_month)))),
    _q("h3-cmp-q4q3", "comparisons", "did Q4 beat Q3 on sales?",
       lambda d: versus(d.rev(d.within(d.orders, "2017Q4")), d.rev(d.within(d.orders, "2017Q3")))),
    _q("h3-cmp-halves", "comparisons", "orders in the first half of 2017 vs the second half",
       lambda d: versus(d.n_orders(d.between(d.orders, "2017-01-01", "2017-07-01")),
                        d.n_orders(d.between(d.orders, "2017-07-01", "2018-01-01")))),
    # filters on household attributes, departments, categories, brands, stores
    _q("h3-flt-home", "filters", "how much have homeowners spent in total",
       lambda d: anyof(_rev_of(d, d.cust(home_ownership="Homeowner")),
                       _rev_of(d, d.cust(home_ownership=["Homeowner", "Probable Homeowner"]))),
       "with or without 'Probable Homeowner'"),
    _q("h3-flt-kids", "filters", "revenue from housholds with kids", _kids),
    _q("h3-flt-age", "filters", "what do 45-54 year olds spend on avg per person?",
       lambda d: _per_customer(d, d.cust(age="45-54"))),
    _q("h3-flt-income", "filters", "sales to customers earning 50-74k",
       lambda d: one(_rev_of(d, d.cust(income="50-74K")))),
    _q("h3-flt-produce", "filters", "how much produce did we sell last month",
       lambda d: one(d.rev(d.within(d.lines[d.lines["department"] == "Produce"], d.last_month)))),
    _q("h3-flt-private", "filters", "what % of sales is private label?", _private_share,
       "of all revenue, of branded revenue, or of merchandise revenue"),
    _q("h3-flt-store", "filters", "revenue at store 412 in 2017",
       lambda d: one(d.rev(d.within(d.orders[d.orders["store_id"] == "412"], "2017")))),
    _q("h3-flt-soda", "filters", "how many soft drinks did we sell (units)",
       lambda d: (lambda sd: anyof(sd["quantity"].sum(), len(sd)))(d.lines[d.lines["category"] == "Soft Drinks"])),
    # rankings, top-N within a filter
    _q("h3-rk-meat", "rankings", "top 3 categorys in the meat department",
       lambda d: rank_lines(d, "category", _amount, where=lambda df: df["department"] == "Meat")),
    _q("h3-rk-brand", "rankings", "which sells more, national brands or private label?",
       lambda d: ranked(d.merch.groupby("brand")["amount"].sum())),
    _q("h3-rk-produce", "rankings", "best selling product in produce by revenue",
       lambda d: rank_lines(d, "name", _amount, where=lambda df: df["department"] == "Produce")),
    _q("h3-rk-young", "rankings", "who's our biggest spender under 35?",
       lambda d: id_ranked(d.spend[d.spend.index.isin(d.cust(age=["19-24", "25-34"]))], "customer")),
    _q("h3-rk-store", "rankings", "which store had the most orders last quarter",
       lambda d: id_ranked(d.within(d.orders, d.last_quarter).groupby("store_id")["order_id"].nunique().astype(float),
                           "store")),
    _q("h3-rk-worstmo", "rankings", "worst month for revenue in 2017",
       lambda d: ranked(_monthly_revenue(d.within(d.orders, "2017")), ascending=True, aliases=month_aliases)),
    # thresholds
    _q("h3-thr-45d", "thresholds", "how many customers haven't shopped in 45 days", lambda d: inactive(d, 45)),
    _q("h3-thr-2k", "thresholds", "how many households spent over $2,000 total",
       lambda d: anyof(*sorted({int((d.spend > 2000).sum()), int((d.spend >= 2000).sum())}))),
    _q("h3-thr-50ord", "thresholds", "how many customers placed 50 or more orders",
       lambda d: one(int((d.order_counts >= 50).sum()))),
    _q("h3-thr-dec500", "thresholds", "customers who spent more than $500 last month - how many?",
       lambda d: (lambda s: anyof(*sorted({int((s > 500).sum()), int((s >= 500).sum())})))(
           d.within(d.orders, d.last_month).groupby("customer_id")["amount"].sum())),
    # set questions
    _q("h3-set-beef", "sets", "how many customers bought beef but never bought cheese",
       lambda d: one(len(_buyers(d.lines[d.lines["category"] == "Beef"])
                         - _buyers(d.lines[d.lines["category"] == "Cheese"])))),
    _q("h3-set-q1q3", "sets", "how many shoppers bought in both Q1 and Q3?",
       lambda d: one(len(_buyers(d.within(d.orders, "2017Q1")) & _buyers(d.within(d.orders, "2017Q3"))))),
    _q("h3-set-lapsed", "sets", "customers who shopped in Q1 but not in Q4, how many",
       lambda d: one(len(_buyers(d.within(d.orders, "2017Q1")) - _buyers(d.within(d.orders, "2017Q4"))))),
    # concentration and distributions
    _q("h3-conc-10pct", "concentration", "what share of revenue comes from our top 10% of customers?",
       lambda d: _top_share(d, 0.10)),
    _q("h3-conc-top20", "concentration", "how much of our sales come from the top 20 customers",
       lambda d: (lambda s: anyof(s.iloc[:20].sum() / s.sum() * 100, s.iloc[:20].sum()))(
           d.spend.sort_values(ascending=False)),
       "their share or their total"),
    _q("h3-dist-medspend", "distributions", "whats the median amount a customer has spent w/ us",
       lambda d: pctl(d.spend, 0.5)),
    _q("h3-dist-medorder", "distributions", "whats the median order value", lambda d: pctl(d.baskets, 0.5)),
    _q("h3-dist-p90", "distributions", "90th percentile of number of orders per customer",
       lambda d: pctl(d.order_counts, 0.9)),
    # new vs returning
    _q("h3-new-feb", "new vs returning", "how many new customers did we get in feb",
       lambda d: one(int(((d.first_order >= pd.Timestamp("2017-02-01"))
                          & (d.first_order < pd.Timestamp("2017-03-01"))).sum()))),
    _q("h3-new-retq4", "new vs returning", "of the people who shopped last quarter, how many were returning customers?",
       lambda d: (lambda b: anyof(len(b), len(b) / d.n_customers(d.within(d.orders, d.last_quarter)) * 100))(
           {c for c in _buyers(d.within(d.orders, d.last_quarter)) if d.first_order[c] < d.last_quarter.start_time}),
       "the count, or their share of the quarter's shoppers"),
    # campaigns and coupons
    _q("h3-cpn-total", "campaigns", "how many coupons got redeemed altogether", lambda d: one(len(d.redemptions))),
    _q("h3-cpn-reach", "campaigns", "which campaign reached the most households?",
       lambda d: id_ranked(d.campaigns.groupby("campaign_id")["customer_id"].nunique().astype(float), "campaign")),
    _q("h3-cpn-type", "campaigns", "which campaign type gets the most redemptions",
       lambda d: ranked(_redemptions_by_type(d))),
    _q("h3-cpn-hh", "campaigns", "how many different households redeemed at least one coupon",
       lambda d: one(d.redemptions["customer_id"].nunique())),
    _q("h3-cpn-summer", "campaigns", "how many campaigns ran over the summer (jun-aug 2017)?",
       lambda d: _campaigns_in(d, "2017-06-01", "2017-08-31"), "overlapping, started in, or wholly inside"),
    # weekday / hour
    _q("h3-time-wkday", "time of week", "what day of the week do ppl spend the most",
       lambda d: ranked(_weekday_revenue(d), aliases=weekday_aliases)),
    _q("h3-time-hour", "time of week", "busiest hour of the day?",
       lambda d: either(ranked(_hour_series(d, "orders"), aliases=hour_aliases),
                        ranked(_hour_series(d, "revenue"), aliases=hour_aliases)), "by orders or by revenue"),
    # two questions in one: only an answer with both numbers passes
    _q("h3-two-dec", "two in one", "revenue last month and how many orders?",
       lambda d: (lambda o: one(d.rev(o), d.n_orders(o)))(d.within(d.orders, d.last_month))),
    _q("h3-two-cust", "two in one", "how many customers do we have, and whats the average spend per customer",
       lambda d: one(d.n_customers(d.orders), d.rev(d.orders) / d.n_customers(d.orders))),
]

REFUSALS: list[Question] = [
    # data we don't hold
    _q("h3-r-margin", "not held", "whats our profit margin on dairy?"),
    _q("h3-r-ads", "not held", "how much did we spend on ads last quarter"),
    _q("h3-r-returnwhy", "not held", "top reasons customers gave for returning stuff"),
    _q("h3-r-sessions", "not held", "how many website sessions did we get last week"),
    _q("h3-r-openrate", "not held", "email open rates for the campaign 18 emails"),
    _q("h3-r-phone", "not held", "give me the phone numbers of our top 10 customers"),
    _q("h3-r-stock", "not held", "how much cheese do we have in stock right now"),
    # names that don't exist
    _q("h3-r-brand", "no such name", "sales of the Zephyrine brand last month"),
    _q("h3-r-toys", "no such name", "revenue from the Toys department"),
    _q("h3-r-whales", "no such name", "how many customers are in the Whales segment?"),
    # impossible periods
    _q("h3-r-2031", "bad periods", "orders in march 2031"),
    # unknowable
    _q("h3-r-tomorrow", "unknowable", "exactly how many people will walk into store 412 tomorrow at 3pm"),
]

QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
