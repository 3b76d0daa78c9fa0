"""The third TUNING question bank for the offline assistant (session 10, helper tune7). NOT blind.

The lead reads this bank's misses and fixes the planner on them, so its score says how far tuning got, not how
well the planner does on wording it has not seen (the held-out banks measure that). It was written without reading
assistant/offline/*, the parser / planner / periods modules or the planner's tests, and no question is copied from
the other banks' lists; only the grading machinery is imported (tests/question_bank.py: BankData, the Expect
helpers, grade; tests/question_bank_heldout.py: versus, pctl, id_ranked and the name aliases), so every bank is
graded by the same rules.

Questions are worded the way a marketer at a grocery / e-commerce shop types on day one: terse, chatty, with
typos, slang and British spelling ("takings", "turnover", "punters", "shift", "a tenner", "own label"), filler
("hey can you quickly tell me..."), context around the question ("for the board deck, ..."), relative periods
(last quarter, last 8 weeks vs the 8 before, the week before Christmas), filters on any attribute the data holds
(department, category, brand, store, weekday, hour, income, age, household size, kids, homeowner, marital status),
rankings, thresholds, set questions, concentration, distributions, trends, new vs returning, campaigns and coupons,
and two questions in one. Every ground truth is an independent pandas expression over the raw workspace tables
(``BankData``). Where a question has two reasonable readings both are accepted (``anyof`` / ``either`` /
``versus``). Relative periods anchor on the latest order (2018-01-01 03:09 in the demo data, a Monday): "last
quarter" = 2017-Q4, "last month" = 2017-12, "this month" = 2018-01 (one day), "the last 8 weeks" = the 56 days
up to the latest order (or the 8 complete Monday-Sunday weeks before it). The data starts on 2017-01-01, so a
year-over-year question is a refusal here. "Units" of fuel are gallons-like quantities, so a units total is
accepted with or without the non-merchandise lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.question_bank import (BankData, Expect, Question, anyof, either, inactive, month_aliases, one, rank_lines,
                                 ranked)
from tests.question_bank_heldout import hour_aliases, id_ranked, pctl, versus, weekday_aliases

__all__ = ["ANSWERABLE", "REFUSALS", "QUESTIONS"]

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_HIGH_INCOME = ["100-124K", "125-149K", "150-174K", "175-199K", "200-249K", "250K+"]


def _q(qid, cat, text, truth=None, note=""):
    return Question(qid, cat, text, truth, note)


# ------------------------------------------------------------------------------------- helpers for the truths
def _amount(g) -> pd.Series:
    return g["amount"].sum()


def _units(g) -> pd.Series:
    return g["quantity"].sum()


def _households(g) -> pd.Series:
    return g["customer_id"].nunique()


def _merge(*expects: Expect) -> Expect:
    """Several single-reading number expectations (no names) accepted as one."""
    return Expect(tuple(dict.fromkeys(alt for e in expects for alt in e.alternatives)))


def _buyers(df: pd.DataFrame) -> set:
    return set(df["customer_id"])


def _aov(d: BankData, df: pd.DataFrame) -> float:
    return d.rev(df) / d.n_orders(df)


def _rpc(d: BankData, df: pd.DataFrame) -> float:
    return d.rev(df) / d.n_customers(df)


def _upo(df: pd.DataFrame) -> float:
    return float(df["quantity"].sum()) / df["order_id"].nunique()


def _weekday(df: pd.DataFrame) -> pd.Series:
    return df["timestamp"].dt.dayofweek.map(lambda i: _WEEKDAYS[i])


def _month(df: pd.DataFrame) -> pd.Series:
    return df["timestamp"].dt.strftime("%Y-%m")


def _weekend(df: pd.DataFrame) -> pd.Series:
    return df["timestamp"].dt.dayofweek >= 5


def _windows(d: BankData, df: pd.DataFrame, windows, fn) -> Expect:
    return anyof(*sorted({float(fn(d.between(df, a, b))) for a, b in windows}))


def _last_days(d: BankData, days: int, fn) -> Expect:
    return anyof(*sorted({float(fn(w)) for w in d.last_days(d.orders, days)}))


def _store(d: BankData, sid: str) -> pd.DataFrame:
    return d.orders[d.orders["store_id"] == sid]


def _dept(name: str):
    return lambda df: df["department"] == name


def _who(ids: set):
    return lambda df: df["customer_id"].isin(ids)


def _spend_in(d: BankData, period) -> pd.Series:
    return d.within(d.orders, period).groupby("customer_id")["amount"].sum()


def _new_set(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    f = d.first_order
    return set(f[(f >= p.start_time) & (f <= p.end_time)].index)


def _returning_set(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    return {c for c in _buyers(d.within(d.orders, p)) if d.first_order[c] < p.start_time}


def _eight_weeks(d: BankData) -> tuple[Expect, ...]:
    """Revenue of the last 8 weeks vs the 8 before: 56 days back from the latest order (timestamp or date), or
    the 8 complete Monday-Sunday weeks before the week holding it."""
    o, pairs = d.orders, []
    for start in sorted({d.latest - pd.Timedelta(days=56), d.latest.normalize() - pd.Timedelta(days=56),
                         d.latest.normalize() - pd.Timedelta(days=55)}):
        prev = start - pd.Timedelta(days=56)
        pairs.append((d.rev(o[o["timestamp"] >= start]),
                      d.rev(o[(o["timestamp"] >= prev) & (o["timestamp"] < start)])))
    monday = (d.latest.normalize() - pd.Timedelta(days=d.latest.dayofweek))
    a, b = monday - pd.Timedelta(weeks=8), monday - pd.Timedelta(weeks=16)
    pairs.append((d.rev(o[(o["timestamp"] >= a) & (o["timestamp"] < monday)]),
                  d.rev(o[(o["timestamp"] >= b) & (o["timestamp"] < a)])))
    return either(*(versus(x, y) for x, y in pairs))


def _weekly_trend(d: BankData) -> Expect:
    """The first and the last week of an 8-week weekly series: the 8 complete Monday-Sunday weeks, or the 8
    weeks ending with the (one-day) week of the latest order."""
    o = d.orders
    weekly = o.groupby(o["timestamp"].dt.to_period("W-SUN"))["amount"].sum()
    return anyof((weekly.iloc[-9], weekly.iloc[-2]), (weekly.iloc[-8], weekly.iloc[-1]))


def _best_week(d: BankData) -> Expect:
    y = d.within(d.orders, "2017")
    return anyof(*sorted({float(y.groupby(y["timestamp"].dt.to_period(f))["amount"].sum().max())
                          for f in ("W-SUN", "W-SAT")}))


def _kind_buyers(d: BankData, exact: list[str], word: str) -> list[set]:
    """Who bought a product kind, read three ways: the exact categories, any category with the word, any
    product name with the word."""
    l = d.lines
    return [_buyers(l[l["category"].isin(exact)]),
            _buyers(l[l["category"].fillna("").str.lower().str.contains(word)]),
            _buyers(l[l["name"].fillna("").str.lower().str.contains(word)])]


def _milk_not_cereal(d: BankData) -> Expect:
    milk = _kind_buyers(d, ["Fluid Milk Products"], "milk")
    cereal = _kind_buyers(d, ["Cold Cereal"], "cereal")
    pairs = [(milk[i], cereal[i]) for i in range(3)] + [(milk[0], cereal[1]), (milk[1], cereal[0])]
    return anyof(*sorted({len(a - b) for a, b in pairs}))


def _type_of(d: BankData) -> pd.Series:
    return d.campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["campaign_type"]


def _spans(d: BankData) -> pd.DataFrame:
    return d.campaigns.groupby("campaign_id").agg(s=("start_date", "min"), e=("end_date", "max"))


def _campaign_names(c: str) -> tuple[str, ...]:
    return (f"campaign {c}", f"campaign #{c}", f"campaign_id {c}", c)


def _rank_campaigns(values: pd.Series) -> Expect:
    """The top campaign may be named by its bare id; the runners-up count only as "campaign N"."""
    e = ranked(values, aliases=_campaign_names)
    return Expect(e.alternatives, e.name, tuple((r[0], r[1]) for r in e.rivals))


def _campaign_rates(d: BankData) -> tuple[Expect, ...]:
    targeted = d.campaigns.groupby("campaign_id")["customer_id"].nunique()
    r = d.redemptions.groupby("campaign_id")["customer_id"]
    by_people = (r.nunique() / targeted).dropna() * 100
    by_coupons = (r.size() / targeted).dropna() * 100
    return either(_rank_campaigns(by_people), _rank_campaigns(by_coupons))


def _campaign_rate(d: BankData, cid: str) -> Expect:
    targeted = d.campaigns.loc[d.campaigns["campaign_id"] == cid, "customer_id"].nunique()
    red = d.redemptions[d.redemptions["campaign_id"] == cid]
    return anyof(red["customer_id"].nunique() / targeted * 100, len(red) / targeted * 100)


def _targeted_not_redeemed(d: BankData, cid: str) -> Expect:
    targeted = set(d.campaigns.loc[d.campaigns["campaign_id"] == cid, "customer_id"])
    from_it = set(d.redemptions.loc[d.redemptions["campaign_id"] == cid, "customer_id"])
    return anyof(*sorted({len(targeted - from_it), len(targeted - set(d.redemptions["customer_id"]))}))


def _coupon_orders(d: BankData) -> set:
    return set(d.orders.loc[d.orders["coupon_discount"] > 0, "order_id"])


def _top_share(d: BankData, frac: float) -> Expect:
    s = d.spend.sort_values(ascending=False)
    ks = {max(1, int(len(s) * frac)), max(1, -(-int(round(len(s) * frac * 1000)) // 1000))}
    return anyof(*sorted({float(s.iloc[:k].sum() / s.sum() * 100) for k in ks}))


def _pareto(d: BankData, share: float) -> Expect:
    s = d.spend.sort_values(ascending=False)
    k = int((s.cumsum() / s.sum() < share).sum()) + 1
    return anyof(k, k / len(s) * 100)


def _size_ranked(values: pd.Series) -> Expect:
    """A ranking of household sizes ("1" .. "5+"): the top one may be named bare (a table row); a runner-up
    counts only with a word beside it (a bare "2" could be any number)."""
    e = ranked(values, aliases=lambda n: (f"household size {n}", f"size {n}", f"{n} people", f"{n}-person",
                                          f"{n} person", n))
    return Expect(e.alternatives, e.name, tuple(r[:-1] for r in e.rivals))


def _kids_vs_none(d: BankData) -> Expect:
    kids = d.of(d.orders, d.cust(kids_count=["1", "2", "3+"]))
    none = d.of(d.orders, d.cust(kids_count="0"))
    return versus(_rpc(d, kids), _rpc(d, none))


def _married_basket(d: BankData) -> tuple[Expect, ...]:
    m = d.of(d.orders, d.cust(marital_status="Married"))
    u = d.of(d.orders, d.cust(marital_status="Unmarried"))
    return either(versus(_aov(d, m), _aov(d, u)), versus(_upo(m), _upo(u)))


def _no_demographics(d: BankData) -> Expect:
    c = d.customers
    cols = [k for k in ("age", "income", "home_ownership", "marital_status", "household_size", "household_comp",
                        "kids_count") if k in c.columns]
    return anyof(*sorted({int(c[cols].isna().all(axis=1).sum()), int(c["age"].isna().sum())}))


def _big_household_share(d: BankData) -> Expect:
    big = d.rev(d.of(d.orders, d.cust(household_size="5+")))
    known = d.rev(d.of(d.orders, set(d.customers.loc[d.customers["household_size"].notna(), "customer_id"])))
    return anyof(big / d.rev(d.orders) * 100, big / known * 100)


def _redeemed_or_not(d: BankData) -> Expect:
    red = set(d.redemptions["customer_id"])
    everyone = _buyers(d.orders) | set(d.customers["customer_id"])
    targeted = set(d.campaigns["customer_id"])
    return anyof((len(red), len(everyone - red)), (len(red & targeted), len(targeted - red)))


def _coupon_rev_share(d: BankData) -> Expect:
    o = d.orders
    by_order = d.rev(o[o["order_id"].isin(_coupon_orders(d))])
    by_line = d.rev(o[o["coupon_discount"] > 0])
    return anyof(by_order / d.rev(o) * 100, by_line / d.rev(o) * 100)


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # ---- one period, many names for revenue / orders / customers
    _q("t3-takings-2017", "periods", "what were our total takings for 2017?",
       lambda d: one(d.rev(d.within(d.orders, "2017")))),
    _q("t3-board-turnover", "periods", "for the board deck, what was turnover last quarter?",
       lambda d: one(d.rev(d.within(d.orders, d.last_quarter)))),
    _q("t3-shoppers-dec", "periods", "hey can you quickly tell me how many different shoppers we had in december",
       lambda d: one(d.n_customers(d.within(d.orders, "2017-12")))),
    _q("t3-punters-q3", "periods", "how many punters bought something in Q3?",
       lambda d: one(d.n_customers(d.within(d.orders, "2017Q3")))),
    _q("t3-june-sales", "periods", "wat were sales in june pls", lambda d: one(d.rev(d.within(d.orders, "2017-06")))),
    _q("t3-xmas-week", "periods", "how much did people spend with us in the week before christmas?",
       lambda d: _windows(d, d.orders, [("2017-12-18", "2017-12-25"), ("2017-12-17", "2017-12-24")], d.rev),
       "Christmas 2017 is a Monday: the week before is Mon 18 - Sun 24 December"),
    _q("t3-30d-active", "periods", "number of active customers, i.e. ones who bought in the last 30 days",
       lambda d: _last_days(d, 30, d.n_customers)),
    _q("t3-typical-basket", "averages", "um, what's a typical basket value for us?",
       lambda d: _merge(one(_aov(d, d.orders)), pctl(d.baskets, 0.5)), "the mean or the median"),
    _q("t3-produce-units-q4", "filters", "how many units of produce did we shift last quarter",
       lambda d: one(d.within(d.lines[d.lines["department"] == "Produce"], d.last_quarter)["quantity"].sum())),
    _q("t3-store422-nov", "filters", "no. of transactions at store 422 in nov",
       lambda d: one(d.n_orders(d.within(_store(d, "422"), "2017-11")))),
    _q("t3-own-label-share", "filters", "what proportion of our merchandise sales is own label (private brand)?",
       lambda d: anyof(d.rev(d.merch[d.merch["brand"] == "Private"]) / d.rev(d.merch) * 100,
                       d.rev(d.lines[d.lines["brand"] == "Private"]) / d.rev(d.lines) * 100)),
    _q("t3-soup-dec", "filters", "how much soup did we sell in december, in dollars",
       lambda d: one(d.rev(d.within(d.lines[d.lines["category"] == "Soup"], "2017-12")))),
    _q("t3-sunday-orders", "filters", "how many orders do we get on sundays in total?",
       lambda d: one(d.n_orders(d.orders[d.orders["timestamp"].dt.dayofweek == 6]))),
    _q("t3-evening-rev", "filters", "revenue from orders placed after 6pm",
       lambda d: one(d.rev(d.orders[d.orders["timestamp"].dt.hour >= 18]))),

    # ---- rankings by product, store and time
    _q("t3-dept-turnover", "rankings", "turnover by department please, biggest first",
       lambda d: rank_lines(d, "department", _amount)),
    _q("t3-deli-top3", "rankings", "top 3 products in the deli dept by sales",
       lambda d: rank_lines(d, "name", _amount, where=_dept("Deli"))),
    _q("t3-meat-own-label", "rankings", "brand split in the meat department: national vs own label, which wins?",
       lambda d: either(ranked(d.lines[d.lines["department"] == "Meat"].groupby("brand")["amount"].sum()),
                        ranked(d.lines[d.lines["department"].isin(["Meat", "Meat-Pckgd"])]
                               .groupby("brand")["amount"].sum()))),
    _q("t3-units-category", "rankings", "which category shifts the most units?",
       lambda d: rank_lines(d, "category", _units)),
    _q("t3-drug-cats", "rankings", "best performing categories within drug GM?",
       lambda d: rank_lines(d, "category", _amount, where=_dept("Drug Gm"))),
    _q("t3-most-households-product", "rankings", "what's the product the most households buy?",
       lambda d: rank_lines(d, "name", _households)),
    _q("t3-busiest-shop", "rankings", "which shop gets the most transactions",
       lambda d: id_ranked(d.orders.groupby("store_id")["order_id"].nunique().astype(float), "store")),
    _q("t3-money-hour", "rankings", "what hour of the day brings in the most money?",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["amount"].sum(), aliases=hour_aliases)),
    _q("t3-weekday-shoppers", "rankings", "which weekday sees the most unique shoppers",
       lambda d: either(ranked(d.orders.groupby(_weekday(d.orders))["customer_id"].nunique().astype(float),
                               aliases=weekday_aliases),
                        ranked((w := d.orders[~_weekend(d.orders)]).groupby(_weekday(w))["customer_id"]
                               .nunique().astype(float), aliases=weekday_aliases)),
       "all seven days, or Monday to Friday"),
    _q("t3-best-week", "rankings", "what was our best week of 2017 for revenue, and how much did it do?",
       _best_week),
    _q("t3-month-basket", "rankings", "in which month was the avg basket the biggest?",
       lambda d: either(ranked((y := d.within(d.orders, "2017")).groupby(_month(y))["amount"].sum()
                               / y.groupby(_month(y))["order_id"].nunique(), aliases=month_aliases),
                        ranked(d.orders.groupby(_month(d.orders))["amount"].sum()
                               / d.orders.groupby(_month(d.orders))["order_id"].nunique(), aliases=month_aliases))),
    _q("t3-top-units-customer", "rankings", "which customer bought the most items overall?",
       lambda d: either(id_ranked(d.orders.groupby("customer_id")["quantity"].sum(), "customer"),
                        id_ranked(d.merch.groupby("customer_id")["quantity"].sum(), "customer"),
                        id_ranked(d.orders.groupby("customer_id").size().astype(float), "customer")),
       "units with or without fuel, or line items"),
    _q("t3-top-spender-dec", "rankings", "who was our biggest spender last month",
       lambda d: id_ranked(d.within(d.orders, d.last_month).groupby("customer_id")["amount"].sum(), "customer")),

    # ---- household demographics
    _q("t3-age-spend", "customer attributes", "which age group spends the most in total?",
       lambda d: ranked(d.with_customers.groupby("age")["amount"].sum())),
    _q("t3-income-per-hh", "customer attributes", "which income band is worth the most per household?",
       lambda d: ranked((w := d.with_customers).groupby("income")["amount"].sum()
                        / w.groupby("income")["customer_id"].nunique())),
    _q("t3-hhsize-frequency", "customer attributes",
       "which household size shops most often? (orders per household)",
       lambda d: _size_ranked((w := d.with_customers).groupby("household_size")["order_id"].nunique()
                              / w.groupby("household_size")["customer_id"].nunique())),
    _q("t3-high-earners-cat", "customer attributes", "what do high earners (100k plus) spend most on, category-wise?",
       lambda d: rank_lines(d, "category", _amount, where=_who(d.cust(income=_HIGH_INCOME)))),
    _q("t3-65-worst-dept", "customer attributes", "weakest department for the 65+ crowd",
       lambda d: rank_lines(d, "department", _amount, where=_who(d.cust(age="65+")), ascending=True)),
    _q("t3-kids-vs-none", "customer attributes",
       "do families with kids spend more per household than those without kids?", _kids_vs_none),
    _q("t3-married-basket", "customer attributes", "basket size, married vs unmarried customers", _married_basket,
       "basket size as dollars or as units per order"),
    _q("t3-homeowners", "customer attributes", "how many of our customers are home owners?",
       lambda d: anyof(len(d.cust(home_ownership="Homeowner")),
                       len(d.cust(home_ownership=["Homeowner", "Probable Homeowner"])))),
    _q("t3-single-adult", "customer attributes", "how much do single-adult households spend in total",
       lambda d: anyof(d.rev(d.of(d.orders, d.cust(household_comp=["1 Adult No Kids", "1 Adult Kids"]))),
                       d.rev(d.of(d.orders, d.cust(household_size="1"))))),
    _q("t3-income-orders-q4", "customer attributes", "orders from the 50-74k income bracket last quarter",
       lambda d: one(d.n_orders(d.of(d.within(d.orders, d.last_quarter), d.cust(income="50-74K"))))),
    _q("t3-age-25-nov", "customer attributes", "how many 25 to 34 year olds shopped with us in november?",
       lambda d: one(d.n_customers(d.of(d.within(d.orders, "2017-11"), d.cust(age="25-34"))))),
    _q("t3-big-hh-share", "customer attributes", "what share of revenue comes from households of 5 or more people",
       _big_household_share),
    _q("t3-no-demog", "customer attributes", "how many households are we missing demographic info for?",
       _no_demographics),

    # ---- comparisons
    _q("t3-this-vs-last-month", "comparisons", "this month vs last month, revenue?",
       lambda d: either(versus(d.rev(d.within(d.orders, d.this_month)), d.rev(d.within(d.orders, d.last_month))),
                        versus(d.rev(d.within(d.orders, d.last_month)),
                               d.rev(d.within(d.orders, d.last_month - 1)))),
       "this month is one day of 2018-01; read loosely, December against November"),
    _q("t3-q4-q3-orders", "comparisons", "Q4 orders compared to Q3 - how did we do?",
       lambda d: versus(d.n_orders(d.within(d.orders, "2017Q4")), d.n_orders(d.within(d.orders, "2017Q3")))),
    _q("t3-8w-vs-8w", "comparisons", "revenue for the last 8 weeks vs the 8 weeks before that", _eight_weeks),
    _q("t3-nov-oct-aov", "comparisons", "was the average basket higher in nov or in oct?",
       lambda d: versus(_aov(d, d.within(d.orders, "2017-11")), _aov(d, d.within(d.orders, "2017-10")))),
    _q("t3-weekend-shoppers", "comparisons", "do we get more shoppers at the weekend or on weekdays?",
       lambda d: versus(d.n_customers(d.orders[_weekend(d.orders)]), d.n_customers(d.orders[~_weekend(d.orders)]))),
    _q("t3-store-vs-store", "comparisons", "store 422 vs store 323 - sales?",
       lambda d: versus(d.rev(_store(d, "422")), d.rev(_store(d, "323")))),
    _q("t3-mom-dec", "comparisons", "month-on-month revenue growth in december, as a %",
       lambda d: versus(d.rev(d.within(d.orders, "2017-12")), d.rev(d.within(d.orders, "2017-11")))),
    _q("t3-q1-to-q4", "comparisons", "how much have we grown from Q1 to Q4 in sales terms?",
       lambda d: versus(d.rev(d.within(d.orders, "2017Q4")), d.rev(d.within(d.orders, "2017Q1")))),

    # ---- thresholds
    _q("t3-unseen-45", "thresholds", "customers we haven't seen in 45 days - how many?", lambda d: inactive(d, 45)),
    _q("t3-over-500", "thresholds", "how many customers have spent over $500 with us",
       lambda d: anyof(*sorted({int((d.spend > 500).sum()), int((d.spend >= 500).sum())}))),
    _q("t3-ten-times", "thresholds", "how many shoppers have bought from us at least 10 times?",
       lambda d: one(int((d.order_counts >= 10).sum()))),
    _q("t3-one-and-done", "thresholds", "how many people only ever shopped once",
       lambda d: one(int((d.order_counts == 1).sum()))),
    _q("t3-under-a-tenner", "thresholds", "what percentage of baskets are under a tenner?",
       lambda d: anyof((d.baskets < 10).mean() * 100, (d.baskets <= 10).mean() * 100)),
    _q("t3-q4-1k-club", "thresholds", "total Q4 spend from customers who spent $1k or more in Q4",
       lambda d: anyof(*sorted({float((s := _spend_in(d, "2017Q4"))[s >= 1000].sum()),
                                float(s[s > 1000].sum())}))),

    # ---- sets
    _q("t3-milk-not-cereal", "sets", "customers who bought milk but never any cereal", _milk_not_cereal),
    _q("t3-pop-and-snacks", "sets", "how many households buy both soft drinks and bag snacks?",
       lambda d: one(len(_buyers(d.lines[d.lines["category"] == "Soft Drinks"])
                         & _buyers(d.lines[d.lines["category"] == "Bag Snacks"])))),
    _q("t3-redeemed-or-not", "sets", "how many customers have redeemed a coupon vs never redeemed one?",
       _redeemed_or_not),
    _q("t3-q3-not-q4", "sets", "shoppers from Q3 who didn't come back in Q4",
       lambda d: one(len(_buyers(d.within(d.orders, "2017Q3")) - _buyers(d.within(d.orders, "2017Q4"))))),
    _q("t3-two-stores", "sets", "how many customers shopped at both store 381 and store 412?",
       lambda d: one(len(_buyers(_store(d, "381")) & _buyers(_store(d, "412"))))),

    # ---- concentration
    _q("t3-top10pct", "concentration", "what share of turnover do our top 10% of households account for?",
       lambda d: _top_share(d, 0.10)),
    _q("t3-pareto", "concentration", "how many customers make up 80% of revenue?", lambda d: _pareto(d, 0.8)),
    _q("t3-grocery-share", "concentration", "what % of our sales is the grocery department?",
       lambda d: anyof(d.rev(d.lines[d.lines["department"] == "Grocery"]) / d.rev(d.lines) * 100,
                       d.rev(d.merch[d.merch["department"] == "Grocery"]) / d.rev(d.merch) * 100)),
    _q("t3-top20-cust", "concentration", "how dependent are we on our top 20 customers? what % of revenue is theirs",
       lambda d: one(d.spend.sort_values(ascending=False).iloc[:20].sum() / d.spend.sum() * 100)),

    # ---- distributions
    _q("t3-median-basket", "distributions", "median basket in dollars?", lambda d: pctl(d.baskets, 0.5)),
    _q("t3-p90-basket", "distributions", "90th percentile basket value", lambda d: pctl(d.baskets, 0.9)),
    _q("t3-orders-hist", "distributions", "show me a histogram of orders per customer",
       lambda d: either(one(int(np.histogram(d.order_counts.to_numpy(dtype=float), bins=10)[0][0])),
                        pctl(d.order_counts, 0.5)),
       "the first bar of the usual 10 equal-width bins over min..max, or (a summary) the median"),
    _q("t3-items-per-basket", "distributions", "how many items are in the average basket?",
       lambda d: anyof(_upo(d.orders), len(d.orders) / d.n_orders(d.orders), _upo(d.merch))),
    _q("t3-p75-spend", "distributions", "what's the 75th percentile of spend per customer?",
       lambda d: pctl(d.spend, 0.75)),

    # ---- trends
    _q("t3-weekly-trend", "trends", "weekly revenue trend over the last 8 weeks", _weekly_trend),
    _q("t3-h2-monthly-orders", "trends", "monthly order counts for the second half of the year",
       lambda d: one(*(d.n_orders(d.within(d.orders, f"2017-{m:02d}")) for m in range(7, 13)))),
    _q("t3-q4-shopper-trend", "trends", "are shopper numbers going up or down month to month in Q4?",
       lambda d: one(*(d.n_customers(d.within(d.orders, m)) for m in ("2017-10", "2017-11", "2017-12")))),

    # ---- new vs returning
    _q("t3-new-q2", "new vs returning", "how many first-time shoppers did we get in Q2?",
       lambda d: one(len(_new_set(d, "2017Q2")))),
    _q("t3-returning-nov", "new vs returning", "returning customers in november - how many?",
       lambda d: one(len(_returning_set(d, "2017-11")))),
    _q("t3-new-spend-mar", "new vs returning", "how much did brand-new customers spend in march",
       lambda d: one(d.rev(d.of(d.within(d.orders, "2017-03"), _new_set(d, "2017-03"))))),
    _q("t3-new-ret-feb", "new vs returning", "new vs returning shoppers in february",
       lambda d: one(len(_new_set(d, "2017-02")), len(_returning_set(d, "2017-02")))),

    # ---- campaigns
    _q("t3-n-campaigns", "campaigns & coupons", "how many marketing campaigns are in the data?",
       lambda d: one(d.campaigns["campaign_id"].nunique())),
    _q("t3-live-dec", "campaigns & coupons", "how many campaigns were live in december?",
       lambda d: one(int((((s := _spans(d))["s"] <= pd.Timestamp("2017-12-31"))
                          & (s["e"] >= pd.Timestamp("2017-12-01"))).sum()))),
    _q("t3-typeA-reach", "campaigns & coupons", "total reach of type A campaigns (households)?",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_type"] == "Type A", "customer_id"].nunique())),
    _q("t3-typeA-vs-B", "campaigns & coupons", "type A vs type B campaigns: which gets more redemptions?",
       lambda d: versus(*(float((d.redemptions["campaign_id"].map(_type_of(d)) == t).sum())
                          for t in ("Type A", "Type B")))),
    _q("t3-best-rate", "campaigns & coupons", "redemption rate per campaign - which one is best?", _campaign_rates),
    _q("t3-camp8-rate", "campaigns & coupons", "wht's the redemption rate on campaign 8",
       lambda d: _campaign_rate(d, "8")),
    _q("t3-18-no-redeem", "campaigns & coupons",
       "customers targeted by campaign 18 who didn't redeem anything - how many?",
       lambda d: _targeted_not_redeemed(d, "18"), "not from campaign 18, or never any coupon"),
    _q("t3-longest-campaign", "campaigns & coupons", "which campaign lasted longest, start to finish?",
       lambda d: _rank_campaigns(((s := _spans(d))["e"] - s["s"]).dt.days.astype(float))),
    _q("t3-redeemer-spend", "campaigns & coupons", "total spend of people who've redeemed at least one coupon",
       lambda d: one(d.rev(d.of(d.orders, set(d.redemptions["customer_id"]))))),

    # ---- coupons and discounts
    _q("t3-coupon-q4", "campaigns & coupons", "how much coupon discount did we hand out in q4",
       lambda d: one(d.within(d.orders, "2017Q4")["coupon_discount"].sum())),
    _q("t3-coupon-rev-share", "campaigns & coupons",
       "what share of revenue comes from baskets where a coupon was used?", _coupon_rev_share),
    _q("t3-markdowns-dec", "discounts", "total markdowns in december",
       lambda d: anyof(d.within(d.orders, "2017-12")["discount"].sum(),
                       (w := d.within(d.orders, "2017-12"))["discount"].sum() + w["coupon_discount"].sum())),
    _q("t3-coupon-orders", "campaigns & coupons", "how many transactions had a coupon discount applied?",
       lambda d: one(len(_coupon_orders(d)))),

    # ---- two questions in one
    _q("t3-two-nov", "two in one", "revenue and number of shoppers for november please",
       lambda d: one(d.rev(w := d.within(d.orders, "2017-11")), d.n_customers(w))),
    _q("t3-two-basket", "two in one", "avg basket value and avg units per basket for 2017?",
       lambda d: anyof((_aov(d, y := d.within(d.orders, "2017")), _upo(y)),
                       (_aov(d, y), float(d.within(d.merch, "2017")["quantity"].sum()) / d.n_orders(y)))),
]


REFUSALS: list[Question] = [
    _q("t3-no-fb-spend", "not held", "how much did we spend on facebook ads in Q4?"),
    _q("t3-no-cac", "not held", "whats our CAC for new shoppers this year"),
    _q("t3-no-margin", "not held", "which brand gives us the best margin?"),
    _q("t3-no-sessions", "not held", "how many web sessions did we get on black friday"),
    _q("t3-no-open-rate", "not held", "email open rate for the christmas campaign?"),
    _q("t3-no-phone", "not held", "what's the phone number of customer 749?"),
    _q("t3-no-returns", "not held", "which products get returned the most?"),
    _q("t3-no-nps", "not held", "what's our NPS among high-income households"),
    _q("t3-no-competitor", "not held", "are tesco cheaper than us on bananas?"),
    _q("t3-no-snow", "not held", "did the snow in december boost soup sales?"),
    _q("t3-no-footfall", "not held", "what's the footfall at store 422 on saturdays?"),
    _q("t3-no-2030", "unknowable", "what will our takings be in 2030?"),
    _q("t3-no-forever", "unknowable", "which customers will still be shopping with us in 2045?"),
    _q("t3-no-yoy-2016", "bad periods", "how did december compare with december 2016?",
       note="the orders start on 2017-01-01"),
    _q("t3-no-elephants", "nonsense", "how many purple elephants bought wine on the moon?"),
    _q("t3-no-toys", "unknown names", "revenue from the toys department last quarter"),
    _q("t3-no-playstation", "unknown names", "how much playstation gear did we sell?"),
    _q("t3-no-warriors", "unknown names", "how big is the Weekend Warriors segment?"),
    _q("t3-no-manchester", "unknown names", "sales at our Manchester store"),
    _q("t3-no-type-q", "unknown names", "redemptions for type Q campaigns"),
]


QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
