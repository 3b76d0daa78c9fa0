"""The second, HELD-OUT question bank for the offline assistant (issue 12).

Nobody working on the planner has seen these questions; the dev bank (tests/question_bank.py) is the one the
planner was tuned on. Written without reading assistant/offline/*, the planner's tests or the dev bank's question
list: only the dev bank's grading machinery is imported (BankData, the Expect helpers, grade, run_bank, summarize,
markdown_table), so both banks are graded by the same rules (see tests/question_bank.py).

The questions are worded the way a marketer types on day one: typos, casual phrasing, relative periods. Every
ground truth is an independent pandas expression over the raw workspace tables (``BankData``), computed when the
question is graded; where a question has two reasonable readings both are accepted (``anyof`` / ``versus``).
Relative periods anchor on the latest order (2018-01-01 03:09 in the demo data): "last quarter" = 2017-Q4,
"last month" = 2017-12, "this month" = 2018-01, "YTD" = 2018 so far.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tests.question_bank import (BankData, Expect, Question, anyof, compare, either, month_aliases, one,
                                 rank_lines, ranked)

__all__ = ["ANSWERABLE", "REFUSALS", "QUESTIONS", "versus", "pctl", "weekday_aliases", "quarter_aliases",
           "hour_aliases", "id_ranked"]


# ------------------------------------------------------------------------------------- helpers for the truths
def versus(a: float, b: float) -> Expect:
    """"a vs b" where either can be read as the base: the comparison of a with b or of b with a."""
    alts = compare(a, b).alternatives + compare(b, a).alternatives
    return Expect(tuple(dict.fromkeys(alts)))


def pctl(values: pd.Series, q: float) -> Expect:
    """A percentile under any of the usual interpolation rules (linear, lower, higher, nearest, midpoint)."""
    arr = np.asarray(values, dtype=float)
    return anyof(*sorted({float(np.percentile(arr, q * 100, method=m))
                          for m in ("linear", "lower", "higher", "nearest", "midpoint")}))


_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def weekday_aliases(name: str) -> tuple[str, ...]:
    return (name, name + "s")


def quarter_aliases(label: str) -> tuple[str, ...]:
    y, q = label.split("Q")
    return (label, f"{y.rstrip('-')}-Q{q}", f"Q{q} {y.rstrip('-')}", f"Q{q}")


def hour_aliases(h) -> tuple[str, ...]:
    h = int(h)
    twelve = (h % 12) or 12
    ampm = "am" if h < 12 else "pm"
    return (f"{h:02d}:00", f"{h}:00", f"hour {h}", f"{twelve} {ampm}", f"{twelve}{ampm}", f"{twelve}:00 {ampm}")


def id_ranked(values: pd.Series, word: str, ascending: bool = False) -> Expect:
    """A ranking of ids (customers, stores): the top one may be named bare (a table row) or as "<word> N";
    runners-up count only when named as "<word> N" (a bare runner-up id could be any number)."""
    e = ranked(values, ascending=ascending, aliases=lambda n: (f"{word} {n}", f"{word} #{n}", n))
    return Expect(e.alternatives, e.name, tuple((r[0],) for r in e.rivals))


def _pct(part: float, whole: float) -> float:
    return part / whole * 100


def _rev_ids(d: BankData, ids: set, period=None) -> float:
    o = d.of(d.orders, ids)
    return d.rev(d.within(o, period) if period is not None else o)


def _dept(name):
    return lambda df: df["department"] == name


def _cat(name):
    return lambda df: df["category"] == name


def _customers_with(d: BankData, col: str, vals) -> set:
    return d.cust(**{col: vals})


def _inactive_for(d: BankData, days: int) -> list[int]:
    last = d.last_order
    return sorted({int((last < d.latest - pd.Timedelta(days=days)).sum()),
                   int((last.dt.normalize() <= d.latest.normalize() - pd.Timedelta(days=days)).sum()),
                   int((last.dt.normalize() < d.latest.normalize() - pd.Timedelta(days=days)).sum())})


def _new(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    f = d.first_order
    return set(f[(f >= p.start_time) & (f <= p.end_time)].index)


def _returning(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    buyers = set(d.within(d.orders, p)["customer_id"])
    return {c for c in buyers if d.first_order[c] < p.start_time}


def _weekday_series(d: BankData, value: str) -> pd.Series:
    o = d.orders
    names = o["timestamp"].dt.dayofweek.map(lambda i: _WEEKDAYS[i])
    g = o.groupby(names)
    return g["order_id"].nunique() if value == "orders" else g["amount"].sum()


def _by_month(df: pd.DataFrame, value: str) -> pd.Series:
    key = df["timestamp"].dt.to_period("M").astype(str)
    g = df.groupby(key)
    return {"revenue": g["amount"].sum(), "orders": g["order_id"].nunique(),
            "customers": g["customer_id"].nunique()}[value]


def _campaign_names(c: str) -> tuple[str, ...]:
    return (f"campaign {c}", f"campaign #{c}", f"campaign_id {c}", c)


def _rank_campaign(values: pd.Series) -> Expect:
    e = ranked(values, aliases=_campaign_names)
    return Expect(e.alternatives, e.name, tuple((r[0], r[1]) for r in e.rivals))


def _running_in(d: BankData, period: str) -> int:
    p = pd.Period(period)
    c = d.campaigns.groupby("campaign_id").agg(s=("start_date", "min"), e=("end_date", "max"))
    return int(((c["s"] <= p.end_time) & (c["e"] >= p.start_time)).sum())


def _pareto(d: BankData, share: float) -> Expect:
    s = d.spend.sort_values(ascending=False)
    cum = s.cumsum() / s.sum()
    k = int((cum < share - 1e-12).sum()) + 1
    return anyof(k / len(s) * 100, k, (k - 1) / len(s) * 100)


def _lapsed(d: BankData, before: str, after: str) -> int:
    a = set(d.within(d.orders, before)["customer_id"])
    b = set(d.within(d.orders, after)["customer_id"])
    return len(a - b)


def _q(qid, cat, text, truth=None, note=""):
    return Question(qid, cat, text, truth, note)


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # totals
    _q("h-tot-sales", "totals", "whats our total sales", lambda d: one(d.rev(d.orders))),
    _q("h-tot-trans", "totals", "how many transactions do we have in total?",
       lambda d: anyof(d.n_orders(d.orders), len(d.orders)), "transactions = baskets or lines"),
    _q("h-tot-shoppers", "totals", "number of shoppers overall?", lambda d: one(d.n_customers(d.orders))),
    _q("h-tot-aov", "totals", "avg basket size in dollars", lambda d: one(d.rev(d.orders) / d.n_orders(d.orders))),
    _q("h-tot-units", "totals", "how many units did we sell altogether",
       lambda d: anyof(d.orders["quantity"].sum(), d.merch["quantity"].sum()), "all lines or merchandise only"),
    _q("h-tot-disc", "totals", "total discounts we've given",
       lambda d: anyof(d.orders["discount"].sum(), d.orders["discount"].sum() + d.orders["coupon_discount"].sum()),
       "discount alone or discount + coupon discount"),
    _q("h-tot-rpc", "totals", "on average how much does a customer spend with us",
       lambda d: one(d.rev(d.orders) / d.n_customers(d.orders))),
    _q("h-tot-opc", "totals", "avg number of orders per shopper?",
       lambda d: one(d.n_orders(d.orders) / d.n_customers(d.orders))),
    _q("h-tot-prods", "totals", "how many different products have people bought",
       lambda d: one(d.orders["product_id"].nunique())),
    # periods
    _q("h-per-lq", "periods", "revenue last quarter", lambda d: one(d.rev(d.within(d.orders, d.last_quarter)))),
    _q("h-per-lm-orders", "periods", "# of orders last month pls",
       lambda d: one(d.n_orders(d.within(d.orders, d.last_month)))),
    _q("h-per-30d", "periods", "sales in the past 30 days",
       lambda d: anyof(*[d.rev(x) for x in d.last_days(d.orders, 30)])),
    _q("h-per-ytd", "periods", "ytd revenue?", lambda d: one(d.rev(d.within(d.orders, str(d.latest.year))))),
    _q("h-per-feb", "periods", "revenue in febuary 2017", lambda d: one(d.rev(d.within(d.orders, "2017-02")))),
    _q("h-per-q3-cust", "periods", "how many customers shopped in Q3 2017",
       lambda d: one(d.n_customers(d.within(d.orders, "2017Q3")))),
    _q("h-per-h2", "periods", "sales for the second half of 2017",
       lambda d: one(d.rev(d.between(d.orders, "2017-07-01", "2018-01-01")))),
    _q("h-per-range", "periods", "revenue between 1 may and 15 may 2017",
       lambda d: anyof(d.rev(d.between(d.orders, "2017-05-01", "2017-05-16")),
                       d.rev(d.between(d.orders, "2017-05-01", "2017-05-15"))), "end day inclusive or not"),
    _q("h-per-xmas-eve", "periods", "how many orders on christmas eve 2017?",
       lambda d: one(d.n_orders(d.within(d.orders, "2017-12-24")))),
    _q("h-per-lq-aov", "periods", "average order value last qtr",
       lambda d: one((lambda o: d.rev(o) / d.n_orders(o))(d.within(d.orders, d.last_quarter)))),
    _q("h-per-7d-units", "periods", "units sold in the last 7 days",
       lambda d: anyof(*[x["quantity"].sum() for x in d.last_days(d.orders, 7)]
                       + [x["quantity"].sum() for x in d.last_days(d.merch, 7)]), "all lines or merchandise only"),
    _q("h-per-oct-lines", "periods", "number of line items in october 2017",
       lambda d: one(len(d.within(d.orders, "2017-10")))),
    _q("h-per-april", "periods", "what did we sell from 2017-04-01 to 2017-04-30",
       lambda d: one(d.rev(d.within(d.orders, "2017-04")))),
    # comparisons
    _q("h-cmp-mom", "comparisons", "revenue this month vs last",
       lambda d: compare(d.rev(d.within(d.orders, d.this_month)), d.rev(d.within(d.orders, d.last_month)))),
    _q("h-cmp-q4q3-orders", "comparisons", "how did q4 compare to q3 on orders",
       lambda d: compare(d.n_orders(d.within(d.orders, "2017Q4")), d.n_orders(d.within(d.orders, "2017Q3")))),
    _q("h-cmp-q1q2", "comparisons", "Q1 vs Q2 2017 sales",
       lambda d: versus(d.rev(d.within(d.orders, "2017Q1")), d.rev(d.within(d.orders, "2017Q2")))),
    _q("h-cmp-produce", "comparisons", "did produce sales grow from Q2 to Q3?",
       lambda d: compare(d.rev(d.within(d.lines[d.lines["department"] == "Produce"], "2017Q3")),
                         d.rev(d.within(d.lines[d.lines["department"] == "Produce"], "2017Q2")))),
    _q("h-cmp-meat-lq", "comparisons", "meat dept revenue last quarter compared with the quarter before",
       lambda d: compare(d.rev(d.within(d.lines[d.lines["department"] == "Meat"], d.last_quarter)),
                         d.rev(d.within(d.lines[d.lines["department"] == "Meat"], d.last_quarter - 1)))),
    _q("h-cmp-cust-dec-nov", "comparisons", "customers in december vs november",
       lambda d: compare(d.n_customers(d.within(d.orders, "2017-12")), d.n_customers(d.within(d.orders, "2017-11")))),
    _q("h-cmp-aov-h", "comparisons", "aov in H2 vs H1 2017",
       lambda d: versus(*[(lambda o: d.rev(o) / d.n_orders(o))(d.between(d.orders, a, b))
                          for a, b in (("2017-07-01", "2018-01-01"), ("2017-01-01", "2017-07-01"))])),
    _q("h-cmp-brands", "comparisons", "national vs private label revenue",
       # all lines, or merchandise lines only (the layer's convention for product-side questions; stated in the answer)
       lambda d: Expect(tuple(dict.fromkeys(
           versus(d.rev(d.lines[d.lines["brand"] == "National"]), d.rev(d.lines[d.lines["brand"] == "Private"])).alternatives
           + versus(d.rev(d.merch[d.merch["brand"] == "National"]),
                    d.rev(d.merch[d.merch["brand"] == "Private"])).alternatives)))),
    _q("h-cmp-owners", "comparisons", "homeowners vs renters - how much did each spend",
       lambda d: Expect(tuple(dict.fromkeys(
           versus(_rev_ids(d, d.cust(home_ownership="Homeowner")), _rev_ids(d, d.cust(home_ownership="Renter"))).alternatives
           + versus(_rev_ids(d, d.cust(home_ownership=["Homeowner", "Probable Homeowner"])),
                    _rev_ids(d, d.cust(home_ownership="Renter"))).alternatives))),
       "probable homeowners counted as homeowners or not"),
    _q("h-cmp-soda", "comparisons", "soft drinks sales march vs april",
       lambda d: versus(d.rev(d.within(d.lines[d.lines["category"] == "Soft Drinks"], "2017-03")),
                        d.rev(d.within(d.lines[d.lines["category"] == "Soft Drinks"], "2017-04")))),
    _q("h-cmp-weekend", "comparisons", "weekend vs weekday revenue",
       lambda d: versus(d.rev(d.orders[d.orders["timestamp"].dt.dayofweek >= 5]),
                        d.rev(d.orders[d.orders["timestamp"].dt.dayofweek < 5]))),
    # rankings
    _q("h-rk-cat5", "rankings", "top 5 categories by sales", lambda d: rank_lines(d, "category", lambda g: g["amount"].sum())),
    _q("h-rk-dept", "rankings", "which department makes the most money",
       lambda d: rank_lines(d, "department", lambda g: g["amount"].sum())),
    _q("h-rk-prod-units", "rankings", "best selling product by units",
       lambda d: rank_lines(d, "name", lambda g: g["quantity"].sum())),
    _q("h-rk-store", "rankings", "wich store has the highest revenue",
       lambda d: id_ranked(d.orders.groupby("store_id")["amount"].sum(), "store")),
    _q("h-rk-store-orders", "rankings", "rank stores by number of orders",
       lambda d: id_ranked(d.orders.groupby("store_id")["order_id"].nunique(), "store")),
    _q("h-rk-drug", "rankings", "top category within drug gm",
       lambda d: rank_lines(d, "category", lambda g: g["amount"].sum(), where=_dept("Drug Gm"))),
    _q("h-rk-produce-prod", "rankings", "best seller in produce?",
       lambda d: rank_lines(d, "name", lambda g: g["amount"].sum(), where=_dept("Produce"))),
    _q("h-rk-dept-bottom", "rankings", "least popular department by revenue",
       lambda d: rank_lines(d, "department", lambda g: g["amount"].sum(), ascending=True)),
    _q("h-rk-meat-bottom", "rankings", "bottom 5 categories in the meat department",
       lambda d: rank_lines(d, "category", lambda g: g["amount"].sum(), where=_dept("Meat"), ascending=True)),
    _q("h-rk-cust", "rankings", "top 10 customers by spend", lambda d: id_ranked(d.spend, "customer")),
    _q("h-rk-cat-orders-lq", "rankings", "which category had the most orders last quarter",
       lambda d: rank_lines(d, "category", lambda g: g["order_id"].nunique(), period=d.last_quarter)),
    _q("h-rk-dept-cust", "rankings", "top department by number of customers",
       lambda d: rank_lines(d, "department", lambda g: g["customer_id"].nunique())),
    _q("h-rk-prod-dec", "rankings", "which product brought in the most revenue in december?",
       lambda d: rank_lines(d, "name", lambda g: g["amount"].sum(), period="2017-12")),
    _q("h-rk-cat-owners", "rankings", "biggest category by sales among homeowners",
       lambda d: rank_lines(d, "category", lambda g: g["amount"].sum(),
                            where=lambda df: df["customer_id"].isin(d.cust(home_ownership="Homeowner")))),
    _q("h-rk-grocery-cat", "rankings", "top 3 categories in grocery last month",
       lambda d: rank_lines(d, "category", lambda g: g["amount"].sum(), where=_dept("Grocery"), period=d.last_month)),
    # filters
    _q("h-f-age", "filters", "revenue from customers aged 45-54",
       lambda d: one(_rev_ids(d, d.cust(age="45-54")))),
    _q("h-f-income", "filters", "how much did households earning 50-74K spend",
       lambda d: one(_rev_ids(d, d.cust(income="50-74K")))),
    _q("h-f-renters", "filters", "sales to renters", lambda d: one(_rev_ids(d, d.cust(home_ownership="Renter")))),
    _q("h-f-single", "filters", "orders from single adults with no kids",
       lambda d: one(d.n_orders(d.of(d.orders, d.cust(household_comp="1 Adult No Kids"))))),
    _q("h-f-kids", "filters", "revenue from households with kids",
       lambda d: anyof(_rev_ids(d, d.cust(household_comp=["1 Adult Kids", "2 Adults Kids"])),
                       _rev_ids(d, d.cust(kids_count=["1", "2", "3+"])))),
    _q("h-f-married", "filters", "total spend by married customers",
       lambda d: one(_rev_ids(d, d.cust(marital_status="Married")))),
    _q("h-f-produce", "filters", "sales in the produce department",
       lambda d: one(d.rev(d.lines[d.lines["department"] == "Produce"]))),
    _q("h-f-private", "filters", "how much private label did we sell",
       lambda d: one(d.rev(d.lines[d.lines["brand"] == "Private"]))),
    _q("h-f-store", "filters", "revenue at store 422", lambda d: one(d.rev(d.orders[d.orders["store_id"] == "422"]))),
    _q("h-f-beef-lq", "filters", "beef revenue last quarter",
       lambda d: one(d.rev(d.within(d.lines[d.lines["category"] == "Beef"], d.last_quarter)))),
    _q("h-f-seafood-cust", "filters", "how many customers bought seafood",
       lambda d: anyof(d.n_customers(d.lines[d.lines["department"] == "Seafood"]),
                       d.n_customers(d.lines[d.lines["department"].isin(["Seafood", "Seafood-Pckgd"])]))),
    _q("h-f-soda-orders", "filters", "number of orders with soft drinks in them",
       lambda d: one(d.n_orders(d.lines[d.lines["category"] == "Soft Drinks"]))),
    _q("h-f-young", "filters", "how many customers are 25-34",
       lambda d: one(len(d.cust(age="25-34")))),
    _q("h-f-lowinc", "filters", "revenue from customers with income under 15K",
       lambda d: one(_rev_ids(d, d.cust(income="Under 15K")))),
    _q("h-f-nat-meat", "filters", "national brand sales in the meat dept",
       lambda d: one(d.rev(d.lines[(d.lines["brand"] == "National") & (d.lines["department"] == "Meat")]))),
    _q("h-f-owners", "filters", "how many homeowners do we have",
       lambda d: anyof(len(d.cust(home_ownership="Homeowner")),
                       len(d.cust(home_ownership=["Homeowner", "Probable Homeowner"])))),
    _q("h-f-65-aov", "filters", "avg basket for 65+ shoppers",
       lambda d: one((lambda o: d.rev(o) / d.n_orders(o))(d.of(d.orders, d.cust(age="65+"))))),
    _q("h-f-2kids-lm", "filters", "what did 2 adults kids households spend last month",
       lambda d: one(_rev_ids(d, d.cust(household_comp="2 Adults Kids"), d.last_month))),
    # thresholds
    _q("h-th-20", "thresholds", "how many customers have more than 20 orders",
       lambda d: one(int((d.order_counts > 20).sum()))),
    _q("h-th-45d", "thresholds", "customers who haven't shopped in 45 days",
       lambda d: anyof(*_inactive_for(d, 45))),
    _q("h-th-le5", "thresholds", "shoppers with 5 or fewer orders", lambda d: one(int((d.order_counts <= 5).sum()))),
    _q("h-th-2000", "thresholds", "how many customers spent over $2000",
       lambda d: one(int((d.spend > 2000).sum()))),
    _q("h-th-100", "thresholds", "customers who spent less than $100 in total",
       lambda d: one(int((d.spend < 100).sum()))),
    _q("h-th-once", "thresholds", "how many people only ordered once", lambda d: one(int((d.order_counts == 1).sum()))),
    _q("h-th-50", "thresholds", "customers with at least 50 orders", lambda d: one(int((d.order_counts >= 50).sum()))),
    _q("h-th-3mo", "thresholds", "customers not seen in 3 months",
       lambda d: anyof(*sorted(set(_inactive_for(d, 90) + _inactive_for(d, 91) + _inactive_for(d, 92)
                                   + [int((d.last_order < pd.Timestamp("2017-10-01")).sum())])))),
    _q("h-th-lapsed", "thresholds", "how many bought in Q3 but not in Q4",
       lambda d: one(_lapsed(d, "2017Q3", "2017Q4"))),
    # concentration
    _q("h-con-10pct", "concentration", "what share of revenue comes from our top 10% of customers",
       lambda d: one(_pct(d.spend.sort_values(ascending=False).iloc[:math.ceil(len(d.spend) * 0.1)].sum(),
                          d.spend.sum()))),
    _q("h-con-1pct", "concentration", "top 1% of shoppers - what % of sales?",
       lambda d: one(_pct(d.spend.sort_values(ascending=False).iloc[:math.ceil(len(d.spend) * 0.01)].sum(),
                          d.spend.sum()))),
    _q("h-con-50", "concentration", "how much of revenue do the top 50 customers account for",
       lambda d: anyof(_pct(d.spend.sort_values(ascending=False).iloc[:50].sum(), d.spend.sum()),
                       d.spend.sort_values(ascending=False).iloc[:50].sum())),
    _q("h-con-grocery", "concentration", "% of sales from grocery",
       lambda d: anyof(_pct(d.rev(d.lines[d.lines["department"] == "Grocery"]), d.rev(d.lines)),
                       _pct(d.rev(d.merch[d.merch["department"] == "Grocery"]), d.rev(d.merch)))),
    _q("h-con-private", "concentration", "what percent of revenue is private label",
       lambda d: anyof(_pct(d.rev(d.lines[d.lines["brand"] == "Private"]), d.rev(d.lines)),
                       _pct(d.rev(d.merch[d.merch["brand"] == "Private"]), d.rev(d.merch)))),
    _q("h-con-pareto", "concentration", "what share of customers make up 80% of revenue", lambda d: _pareto(d, 0.8)),
    # distributions
    _q("h-dist-median-order", "distributions", "median order value", lambda d: pctl(d.baskets, 0.5)),
    _q("h-dist-p90-basket", "distributions", "90th percentile basket size in $", lambda d: pctl(d.baskets, 0.9)),
    _q("h-dist-median-spend", "distributions", "median spend per customer", lambda d: pctl(d.spend, 0.5)),
    _q("h-dist-p75-orders", "distributions", "75th percentile of orders per customer",
       lambda d: pctl(d.order_counts, 0.75)),
    _q("h-dist-items", "distributions", "avg items per basket",
       lambda d: anyof(len(d.orders) / d.n_orders(d.orders), d.orders["quantity"].sum() / d.n_orders(d.orders),
                       d.merch["quantity"].sum() / d.n_orders(d.orders)), "lines, units, or merchandise units"),
    _q("h-dist-median-orders", "distributions", "median number of orders per customer",
       lambda d: pctl(d.order_counts, 0.5)),
    _q("h-dist-p25-spend", "distributions", "25th percentile of customer spend", lambda d: pctl(d.spend, 0.25)),
    _q("h-dist-max-order", "distributions", "what's the biggest single order we've had ($)",
       lambda d: one(d.baskets.max())),
    # time series
    _q("h-ts-weekday", "time series", "busiest day of the week?",
       # "busiest" read as the most orders, or as the most revenue (the answer says which it ranked by)
       lambda d: either(ranked(_weekday_series(d, "orders"), aliases=weekday_aliases),
                        ranked(_weekday_series(d, "revenue"), aliases=weekday_aliases))),
    _q("h-ts-weekday-rev", "time series", "which weekday has the highest sales",
       lambda d: ranked(_weekday_series(d, "revenue"), aliases=weekday_aliases)),
    _q("h-ts-hour", "time series", "peak shopping hour",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["order_id"].nunique(), aliases=hour_aliases)),
    _q("h-ts-best-month", "time series", "best month for revenue in 2017",
       lambda d: ranked(_by_month(d.within(d.orders, "2017"), "revenue"), aliases=month_aliases)),
    _q("h-ts-slow-month", "time series", "slowest full month of 2017 by sales",
       lambda d: ranked(_by_month(d.within(d.orders, "2017"), "revenue"), ascending=True, aliases=month_aliases)),
    _q("h-ts-quarter", "time series", "which quarter had the most orders",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.to_period("Q").astype(str))["order_id"].nunique(),
                        aliases=quarter_aliases)),
    _q("h-ts-quiet-hour", "time series", "quietest hour of the day by orders",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["order_id"].nunique(), ascending=True,
                        aliases=hour_aliases)),
    _q("h-ts-month-cust", "time series", "which month had the most shoppers",
       lambda d: ranked(_by_month(d.orders, "customers"), aliases=month_aliases)),
    # new vs returning
    _q("h-nr-new-q2", "new vs returning", "how many new customers did we get in the 2nd quarter",
       lambda d: one(len(_new(d, "2017Q2")))),
    _q("h-nr-new-mar", "new vs returning", "new customers in march 2017", lambda d: one(len(_new(d, "2017-03")))),
    _q("h-nr-ret-lm", "new vs returning", "returning customers last month",
       lambda d: one(len(_returning(d, d.last_month)))),
    _q("h-nr-q3", "new vs returning", "new vs returning customers in q3",
       lambda d: one(len(_new(d, "2017Q3")), len(_returning(d, "2017Q3")))),
    _q("h-nr-new-rev-q2", "new vs returning", "revenue from new customers in Q2",
       lambda d: anyof(_rev_ids(d, _new(d, "2017Q2"), pd.Period("2017Q2")),
                       d.rev(d.orders[d.orders["order_id"].isin(
                           d.orders.loc[d.orders["customer_id"].isin(_new(d, "2017Q2"))]
                           .sort_values("timestamp").groupby("customer_id")["order_id"].first())])),
       "all their Q2 orders or only the first one"),
    _q("h-nr-new-share-q3", "new vs returning", "what % of Q3 shoppers were new customers",
       lambda d: one(_pct(len(_new(d, "2017Q3")), d.n_customers(d.within(d.orders, "2017Q3"))))),
    _q("h-nr-repeat", "new vs returning", "whats our repeat purchase rate",
       lambda d: one(_pct(int((d.order_counts >= 2).sum()), len(d.order_counts)))),
    # campaigns & coupons
    _q("h-cc-count", "campaigns & coupons", "how many campaigns did we run",
       lambda d: one(d.campaigns["campaign_id"].nunique())),
    _q("h-cc-targeted", "campaigns & coupons", "how many households got at least one campaign",
       lambda d: one(d.campaigns["customer_id"].nunique())),
    _q("h-cc-top-reach", "campaigns & coupons", "which campaign reached the most people",
       lambda d: _rank_campaign(d.campaigns.groupby("campaign_id")["customer_id"].nunique())),
    _q("h-cc-type-a", "campaigns & coupons", "how many type A campaigns were there",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_type"] == "Type A", "campaign_id"].nunique())),
    _q("h-cc-redemptions", "campaigns & coupons", "total coupon redemptions", lambda d: one(len(d.redemptions))),
    _q("h-cc-redeemers", "campaigns & coupons", "how many customers redeemed a coupon",
       lambda d: one(d.redemptions["customer_id"].nunique())),
    _q("h-cc-rate", "campaigns & coupons", "coupon redemption rate?",
       lambda d: anyof(_pct(d.redemptions["customer_id"].nunique(), d.campaigns["customer_id"].nunique()),
                       _pct(d.redemptions["customer_id"].nunique(), d.orders["customer_id"].nunique()),
                       _pct(len(d.campaigns[["customer_id", "campaign_id"]].drop_duplicates().merge(
                           d.redemptions[["customer_id", "campaign_id"]].drop_duplicates())),
                            len(d.campaigns[["customer_id", "campaign_id"]].drop_duplicates()))),
       "redeemers / targeted, redeemers / all customers, or redeemed (customer, campaign) targetings"),
    _q("h-cc-top-redeem", "campaigns & coupons", "which campaign had the most redemptions",
       lambda d: _rank_campaign(d.redemptions.groupby("campaign_id").size())),
    _q("h-cc-disc-lq", "campaigns & coupons", "how much coupon discount did we give last quarter",
       lambda d: one(d.within(d.orders, d.last_quarter)["coupon_discount"].sum())),
    _q("h-cc-red-13", "campaigns & coupons", "how many coupons were redeemed in campaign 13",
       lambda d: one(int((d.redemptions["campaign_id"] == "13").sum()))),
    _q("h-cc-rev-18", "campaigns & coupons", "revenue from customers targeted by campaign 18",
       lambda d: (lambda ids, c: anyof(_rev_ids(d, ids),
                                       d.rev(d.of(d.orders[(d.orders["timestamp"] >= c["start_date"].min())
                                                           & (d.orders["timestamp"] < c["end_date"].max()
                                                              + pd.Timedelta(days=1))], ids))))(
           set(d.campaigns.loc[d.campaigns["campaign_id"] == "18", "customer_id"]),
           d.campaigns[d.campaigns["campaign_id"] == "18"]), "all-time or during the campaign"),
    _q("h-cc-july", "campaigns & coupons", "how many campaigns were running in july 2017",
       lambda d: one(_running_in(d, "2017-07"))),
    _q("h-cc-type-reach", "campaigns & coupons", "which campaign type reached the most households",
       lambda d: ranked(d.campaigns.groupby("campaign_type")["customer_id"].nunique())),
    _q("h-cc-red-dec", "campaigns & coupons", "coupon redemptions in december",
       lambda d: one(len(d.within(d.redemptions, "2017-12")))),
    _q("h-cc-coupon-orders", "campaigns & coupons", "how many orders used a coupon",
       lambda d: one(d.n_orders(d.orders[d.orders["coupon_discount"] != 0]))),
]

# --------------------------------------------------------------------------------------------------- refusals
REFUSALS: list[Question] = [
    # data we do not hold
    _q("h-no-adspend", "not held", "how much did we spend on facebook ads last month"),
    _q("h-no-roas", "not held", "whats the return on ad spend for campaign 18"),
    _q("h-no-web", "not held", "how many website visits did we get yesterday"),
    _q("h-no-open", "not held", "email open rate for campaign 8?"),
    _q("h-no-email", "not held", "give me customer 749's email address"),
    _q("h-no-phone", "not held", "what's the phone number of our top customer"),
    _q("h-no-address", "not held", "home address for household 7 please"),
    _q("h-no-margin", "not held", "profit margin on beef"),
    _q("h-no-return-reasons", "not held", "why do customers return items - top return reasons"),
    _q("h-no-stock", "not held", "how many units of milk do we have in stock right now"),
    _q("h-no-cogs", "not held", "cost of goods sold last quarter"),
    _q("h-no-app", "not held", "how many app downloads this month"),
    _q("h-no-nps", "not held", "what's our NPS score"),
    _q("h-no-ctr", "not held", "click through rate on our coupon emails"),
    _q("h-no-gender", "not held", "gender split of our shoppers"),
    _q("h-no-foot", "not held", "how many people walked past store 422 yesterday without coming in"),
    # names that do not exist
    _q("h-unk-dept", "unknown names", "sales in the electronics dept"),
    _q("h-unk-brand", "unknown names", "sales of the Acme Organics brand"),
    _q("h-unk-campaign", "unknown names", "how did campaign 15 perform"),
    _q("h-unk-segment", "unknown names", "how big is the 'gold tier vip' segment"),
    _q("h-unk-cust", "unknown names", "how much has customer 99999999 spent"),
    _q("h-unk-store", "unknown names", "revenue at store 9999"),
    _q("h-unk-cat", "unknown names", "top products in the hoverboards category"),
    _q("h-unk-income", "unknown names", "revenue from customers earning 500K+"),
    _q("h-unk-type", "unknown names", "how many Type Z campaigns did we run"),
    # impossible periods
    _q("h-bad-q5", "bad periods", "revenue in Q5 2017"),
    _q("h-bad-jun31", "bad periods", "sales on June 31st 2017"),
    _q("h-bad-2015", "bad periods", "how many orders did we have in 2015"),
    _q("h-bad-2019", "bad periods", "revenue for march 2019"),
    _q("h-bad-feb30", "bad periods", "orders on feb 30"),
    # unknowable
    _q("h-unk-competitor", "unknowable", "what's our market share vs walmart"),
    _q("h-unk-lottery", "unknowable", "which of our customers will win the lottery next year"),
    _q("h-unk-competitor-rev", "unknowable", "how much revenue did our competitors make last quarter"),
]

QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
