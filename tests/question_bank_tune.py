"""The TUNING question bank for the offline assistant (session 9, helper tune5). NOT blind.

The lead reads this bank's misses and fixes the planner on them, so its score says how far tuning got, not how
well the planner does on wording it has not seen (the held-out banks measure that). It was written without reading
assistant/offline/* or the planner's tests, and no question is copied from the other banks' lists; only their
grading machinery is imported (tests/question_bank.py: BankData, the Expect helpers, grade, run_bank), so every
bank is graded by the same rules.

Questions are typed the way a marketer does on day one (typos, casual wording, relative periods, filters on any
attribute the data holds, thresholds, set questions, two questions in one). Every ground truth is an independent
pandas expression over the raw workspace tables (``BankData``); segment membership is read from the fitted
artifact ``artifacts/segments.parquet`` (a segment is the model's output, not a raw column), everything else from
the raw tables. Where a question has two reasonable readings both are accepted (``anyof`` / ``either`` /
``versus``). Relative periods anchor on the latest order (2018-01-01 03:09 in the demo data): "last quarter" =
2017-Q4, "last month" = 2017-12, "this month" = 2018-01, "YTD" = 2018 so far (or, read loosely, the year 2017).
"""

from __future__ import annotations

import pandas as pd

from tests.question_bank import BankData, Expect, Question, anyof, either, month_aliases, one, rank_lines, ranked
from tests.question_bank import inactive
from tests.question_bank_heldout import hour_aliases, id_ranked, pctl, quarter_aliases, versus, weekday_aliases

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


def _buyers(df: pd.DataFrame) -> set:
    return set(df["customer_id"])


def _new_rev_h2(d: BankData) -> Expect:
    """Revenue of the customers whose first order falls in 2017-H2: in all data, or in H2 itself (two readings;
    the second added by the lead in session 9 — the question names the period once, for both)."""
    ids = {c for c, t in d.first_order.items() if pd.Timestamp("2017-07-01") <= t < pd.Timestamp("2018-01-01")}
    o = d.of(d.orders, ids)
    h2 = o[(o["timestamp"] >= pd.Timestamp("2017-07-01")) & (o["timestamp"] < pd.Timestamp("2018-01-01"))]
    return anyof(*sorted({round(d.rev(o), 2), round(d.rev(h2), 2)}))


def _rev_of(d: BankData, ids: set, period=None) -> float:
    o = d.of(d.orders, ids)
    return d.rev(d.within(o, period) if period is not None else o)


def _weekday(df: pd.DataFrame) -> pd.Series:
    return df["timestamp"].dt.dayofweek.map(lambda i: _WEEKDAYS[i])


def _last_days(d: BankData, days: int, fn) -> Expect:
    return anyof(*sorted({float(fn(w)) for w in d.last_days(d.orders, days)}))


def _segment_members(d: BankData, word: str) -> set:
    s = pd.read_parquet(d.path / "artifacts" / "segments.parquet")
    return set(s.loc[s["segment"].str.lower().str.contains(word), "customer_id"].astype(str))


def _first_in(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    f = d.first_order
    return set(f[(f >= p.start_time) & (f <= p.end_time)].index)


def _returning_in(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    return {c for c in _buyers(d.within(d.orders, p)) if d.first_order[c] < p.start_time}




def _top_share(d: BankData, frac: float) -> Expect:
    s = d.spend.sort_values(ascending=False)
    ks = {max(1, int(len(s) * frac)), max(1, -(-int(len(s) * frac * 1000) // 1000))}
    return anyof(*sorted({float(s.iloc[:k].sum() / s.sum() * 100) for k in ks}))


def _half_of_revenue(d: BankData) -> Expect:
    s = d.spend.sort_values(ascending=False)
    k = int(((s.cumsum() / s.sum()) < 0.5 - 1e-12).sum()) + 1
    return anyof(k, k / len(s) * 100)


def _type_of(d: BankData) -> pd.Series:
    return d.campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["campaign_type"]


def _redemption_rate_of_type(d: BankData, ctype: str) -> Expect:
    ids = set(_type_of(d)[lambda s: s == ctype].index)
    targeted = d.campaigns.loc[d.campaigns["campaign_id"].isin(ids), "customer_id"].nunique()
    red = d.redemptions[d.redemptions["campaign_id"].isin(ids)]
    return anyof(red["customer_id"].nunique() / targeted * 100, len(red) / targeted * 100)


def _rate_by_type(d: BankData, redemptions_count: bool) -> pd.Series:
    t = _type_of(d)
    targeted = d.campaigns.groupby("campaign_type")["customer_id"].nunique()
    red = d.redemptions.assign(campaign_type=d.redemptions["campaign_id"].map(t))
    num = red.groupby("campaign_type").size() if redemptions_count else red.groupby("campaign_type")["customer_id"].nunique()
    return (num.reindex(targeted.index).fillna(0) / targeted * 100)


def _running_in(d: BankData, start: str, end_inclusive: str) -> int:
    c = d.campaigns.groupby("campaign_id").agg(s=("start_date", "min"), e=("end_date", "max"))
    return int(((c["s"] <= pd.Timestamp(end_inclusive)) & (c["e"] >= pd.Timestamp(start))).sum())


def _holidays(d: BankData) -> Expect:
    o = d.orders
    windows = [("2017-11-01", "2018-01-01"), ("2017-12-01", "2018-01-01"), ("2017-11-23", "2018-01-01"),
               ("2017-11-24", "2018-01-01"), ("2017-11-23", "2017-12-26"), ("2017-11-24", "2017-12-26"),
               ("2017-11-23", "2018-01-02"), ("2017-12-01", "2017-12-26")]
    return anyof(*sorted({d.rev(d.between(o, a, b)) for a, b in windows}))


def _kids(d: BankData, kids: bool) -> set:
    return d.cust(kids_count=["1", "2", "3+"]) if kids else d.cust(kids_count="0")


def _aov(d: BankData, df: pd.DataFrame) -> float:
    return d.rev(df) / d.n_orders(df)


def _dept_growth(d: BankData, pct: bool) -> Expect:
    m = d.merch
    q3 = d.within(m, "2017Q3").groupby("department")["amount"].sum()
    q4 = d.within(m, "2017Q4").groupby("department")["amount"].sum()
    both = q3.index.intersection(q4.index)
    q3, q4 = q3[both], q4[both]
    if pct:
        q3 = q3[q3 >= 100]  # a department with next to no Q3 sales has a meaningless growth rate
        q4 = q4[q3.index]
        return ranked((q4 - q3) / q3 * 100)
    return ranked(q4 - q3)


def _name_has(df: pd.DataFrame, word: str) -> pd.Series:
    return df["name"].fillna("").str.lower().str.contains(word)


def _cat_has(df: pd.DataFrame, word: str) -> pd.Series:
    return df["category"].fillna("").str.lower().str.contains(word)


def _beef_not_chicken(d: BankData) -> Expect:
    L = d.lines
    beef = [_buyers(L[L["category"] == "Beef"]), _buyers(L[_cat_has(L, "beef")]), _buyers(L[_name_has(L, "beef")])]
    chicken = [_buyers(L[L["category"] == "Chicken"]), _buyers(L[_cat_has(L, "chicken")]),
               _buyers(L[_name_has(L, "chicken")])]
    return anyof(*sorted({len(b - c) for b in beef for c in chicken}))


def _milk_and_cheese_dec(d: BankData) -> Expect:
    L = d.within(d.lines, "2017-12")
    milk = [_buyers(L[L["category"] == "Fluid Milk Products"]), _buyers(L[_cat_has(L, "milk")]),
            _buyers(L[_name_has(L, "milk")])]
    cheese = [_buyers(L[L["category"] == "Cheese"]), _buyers(L[_cat_has(L, "cheese")]),
              _buyers(L[_name_has(L, "cheese")])]
    return anyof(*sorted({len(a & b) for a in milk for b in cheese}))


def _last_week(d: BankData, fn) -> Expect:
    o = d.orders
    windows = [("2017-12-25", "2018-01-01"), ("2017-12-24", "2017-12-31"), ("2017-12-25", "2018-01-02")]
    vals = {float(fn(d.between(o, a, b))) for a, b in windows}
    vals |= {float(fn(w)) for w in d.last_days(o, 7)}
    return anyof(*sorted(vals))


def _weekly_avg(d: BankData) -> Expect:
    y = d.within(d.orders, "2017")
    total = d.rev(y)
    weekly = y.groupby(y["timestamp"].dt.to_period("W"))["amount"].sum()
    return anyof(*sorted({total / 52, total / (365 / 7), float(weekly.mean()), total / 53}))


def _repeat_q4(d: BankData) -> Expect:
    q4 = d.within(d.orders, "2017Q4")
    counts = q4.groupby("customer_id")["order_id"].nunique()
    buyers = len(counts)
    return anyof((counts >= 2).sum() / buyers * 100, len(_returning_in(d, "2017Q4")) / buyers * 100)


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # ---- totals and one period
    _q("t-rev-lastq", "periods", "how much did we make last quater?",
       lambda d: one(d.rev(d.within(d.orders, d.last_quarter)))),
    _q("t-orders-6wk", "periods", "number of orders in the past 6 weeks",
       lambda d: _last_days(d, 42, d.n_orders)),
    _q("t-ytd", "periods", "whats revenue ytd",
       lambda d: anyof(d.rev(d.within(d.orders, "2018")), d.rev(d.within(d.orders, "2017")))),
    _q("t-holidays", "periods", "what were sales like in the holidays",
       _holidays, "Nov-Dec, Dec, Thanksgiving/Black Friday to Christmas or year end"),
    _q("t-units-2017", "totals", "how many units did we sell in 2017",
       lambda d: anyof(d.within(d.orders, "2017")["quantity"].sum(),
                       d.within(d.merch, "2017")["quantity"].sum())),
    _q("t-lines-lastm", "totals", "line items last month?",
       lambda d: one(len(d.within(d.orders, d.last_month)))),
    _q("t-basket-lastq", "totals", "avg basket size last quarter",
       lambda d: anyof(_aov(d, w := d.within(d.orders, d.last_quarter)), len(w) / d.n_orders(w),
                       w["quantity"].sum() / d.n_orders(w))),
    _q("t-opc-h2", "totals", "orders per customer in the second half of the year",
       lambda d: one(d.n_orders(w := d.between(d.orders, "2017-07-01", "2018-01-01")) / d.n_customers(w))),
    _q("t-rpc-q3", "totals", "rev per customer in Q3",
       lambda d: one(d.rev(w := d.within(d.orders, "2017Q3")) / d.n_customers(w))),
    _q("t-disc-lastq", "discounts", "how much discount did we hand out last quarter",
       lambda d: anyof(d.within(d.orders, d.last_quarter)["discount"].sum(),
                       d.within(d.orders, d.last_quarter)[["discount", "coupon_discount"]].sum().sum())),
    _q("t-cdisc-2017", "discounts", "total coupon discounts in 2017",
       lambda d: one(d.within(d.orders, "2017")["coupon_discount"].sum())),
    _q("t-last30", "periods", "revenue over the last 30 days", lambda d: _last_days(d, 30, d.rev)),
    _q("t-since-oct", "periods", "how many customers have shopped since october 1st?",
       lambda d: one(d.n_customers(d.orders[d.orders["timestamp"] >= "2017-10-01"]))),
    _q("t-last-week", "periods", "what was revenue last week", lambda d: _last_week(d, d.rev)),
    _q("t-xmas-week", "periods", "sales in the week before christmas",
       lambda d: anyof(*sorted({d.rev(d.between(d.orders, a, b)) for a, b in
                                [("2017-12-18", "2017-12-25"), ("2017-12-17", "2017-12-24"),
                                 ("2017-12-18", "2017-12-26"), ("2017-12-17", "2017-12-25")]}))),

    # ---- comparisons
    _q("t-mom", "comparisons", "this month's sales vs last month?",
       lambda d: either(versus(d.rev(d.within(d.orders, d.this_month)), d.rev(d.within(d.orders, d.last_month))),
                        versus(d.rev(d.within(d.orders, d.last_month)),
                               d.rev(d.within(d.orders, d.last_month - 1)))),
       "this month = 2018-01 (one day); read loosely, December vs November"),
    _q("t-q4-vs-q1", "comparisons", "is revenue going up? compare Q4 to Q1",
       lambda d: versus(d.rev(d.within(d.orders, "2017Q4")), d.rev(d.within(d.orders, "2017Q1")))),
    _q("t-qoq-orders", "comparisons", "orders last quarter vs the quarter before",
       lambda d: versus(d.n_orders(d.within(d.orders, "2017Q4")), d.n_orders(d.within(d.orders, "2017Q3")))),
    _q("t-brand-split", "comparisons", "private label vs national brands, how much revenue each?",
       lambda d: either(one(d.rev(d.lines[d.lines["brand"] == "Private"]),
                            d.rev(d.lines[d.lines["brand"] == "National"])),
                        one(d.rev(d.merch[d.merch["brand"] == "Private"]),
                            d.rev(d.merch[d.merch["brand"] == "National"])))),
    _q("t-kids-aov", "comparisons", "avg order value for households with kids vs without",
       lambda d: versus(_aov(d, d.of(d.orders, _kids(d, True))), _aov(d, d.of(d.orders, _kids(d, False))))),
    _q("t-targeted-vs-not", "comparisons",
       "do customers we targeted with campaigns spend more than the ones we didnt? avg spend each",
       lambda d: versus(
           d.rev(d.of(d.orders, t := set(d.campaigns["customer_id"]))) / d.n_customers(d.of(d.orders, t)),
           d.rev(o := d.orders[~d.orders["customer_id"].isin(t)]) / d.n_customers(o))),

    # ---- weekday / hour
    _q("t-quiet-weekday", "time series", "what's our quietest weekday for revenue",
       lambda d: either(ranked(d.orders.groupby(_weekday(d.orders))["amount"].sum(), ascending=True,
                               aliases=weekday_aliases),
                        ranked(d.orders.groupby(_weekday(d.orders))["amount"].sum().drop(["Saturday", "Sunday"]),
                               ascending=True, aliases=weekday_aliases))),
    _q("t-sunday-rev", "time series", "how much revenue comes in on sundays",
       lambda d: one(d.rev(d.orders[d.orders["timestamp"].dt.dayofweek == 6]))),
    _q("t-weekend-cust", "time series", "how many customers shop on weekends?",
       lambda d: one(d.n_customers(d.orders[d.orders["timestamp"].dt.dayofweek >= 5]))),
    _q("t-peak-hour-rev", "time series", "which hour brings in the most sales",
       lambda d: either(ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["amount"].sum(),
                               aliases=hour_aliases),
                        ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["order_id"].nunique(),
                               aliases=hour_aliases))),
    _q("t-after-6pm", "time series", "how many orders come in after 6pm?",
       lambda d: one(d.n_orders(d.orders[d.orders["timestamp"].dt.hour >= 18]))),

    # ---- trends
    _q("t-best-month-cust-h2", "time series", "which month in the 2nd half of 2017 had the most shoppers",
       lambda d: ranked((w := d.between(d.orders, "2017-07-01", "2018-01-01")).groupby(
           w["timestamp"].dt.strftime("%Y-%m"))["customer_id"].nunique(), aliases=month_aliases)),
    _q("t-weekly-avg", "time series", "average weekly revenue in 2017?", _weekly_avg),
    _q("t-best-quarter-orders", "time series", "which quarter of 2017 had the most orders?",
       lambda d: ranked((w := d.within(d.orders, "2017")).groupby(
           w["timestamp"].dt.to_period("Q").astype(str))["order_id"].nunique(), aliases=quarter_aliases)),
    _q("t-worst-month-aov", "time series", "which month had the lowest avg order value in 2017",
       lambda d: ranked((w := d.within(d.orders, "2017")).groupby(w["timestamp"].dt.strftime("%Y-%m"))["amount"]
                        .sum() / w.groupby(w["timestamp"].dt.strftime("%Y-%m"))["order_id"].nunique(),
                        ascending=True, aliases=month_aliases)),

    # ---- products, categories, departments, brands, stores
    _q("t-top-dept-lastq", "rankings", "top department last quarter by sales",
       lambda d: rank_lines(d, "department", _amount, period=d.last_quarter)),
    _q("t-smallest-dept", "rankings", "which department sells the least?",
       lambda d: rank_lines(d, "department", _amount, ascending=True)),
    _q("t-top-product-units", "rankings", "what's our #1 product by units sold",
       lambda d: rank_lines(d, "name", _units)),
    _q("t-produce-top-cat", "rankings", "in produce which category does best",
       lambda d: rank_lines(d, "category", _amount, where=lambda df: df["department"] == "Produce")),
    _q("t-cheese-q4", "filters", "cheese sales in Q4",
       lambda d: anyof(d.rev(d.within(d.lines[d.lines["category"] == "Cheese"], "2017Q4")),
                       d.rev(d.within(d.lines[_name_has(d.lines, "cheese")], "2017Q4")),
                       d.rev(d.within(d.lines[_cat_has(d.lines, "cheese")], "2017Q4")))),
    _q("t-beef-units-lastm", "filters", "how many units of beef did we sell last month",
       lambda d: anyof(d.within(d.lines[d.lines["category"] == "Beef"], d.last_month)["quantity"].sum(),
                       d.within(d.lines[_name_has(d.lines, "beef")], d.last_month)["quantity"].sum())),
    _q("t-dept-growth", "rankings", "which department grew the most from Q3 to Q4?",
       lambda d: either(_dept_growth(d, pct=False), _dept_growth(d, pct=True))),
    _q("t-top-store", "rankings", "which store sells the most", lambda d: id_ranked(
        d.orders.groupby("store_id")["amount"].sum(), "store")),
    _q("t-store-323-q4", "filters", "how many orders did store 323 get last quarter",
       lambda d: one(d.n_orders(d.within(d.orders[d.orders["store_id"] == "323"], d.last_quarter)))),
    _q("t-n-stores", "totals", "how many stores do we have sales from?",
       lambda d: one(d.orders["store_id"].nunique())),
    _q("t-soda-share", "filters", "what % of revenue is soft drinks",
       lambda d: anyof(d.rev(d.lines[d.lines["category"] == "Soft Drinks"]) / d.rev(d.lines) * 100,
                       d.rev(d.lines[d.lines["category"] == "Soft Drinks"]) / d.rev(d.merch) * 100)),
    _q("t-private-share", "filters", "what share of sales is private label?",
       lambda d: anyof(d.rev(d.lines[d.lines["brand"] == "Private"]) / d.rev(d.lines) * 100,
                       d.rev(d.merch[d.merch["brand"] == "Private"]) / d.rev(d.merch) * 100)),
    _q("t-grocery-nov-cust", "filters", "how many customers bought grocery dept items in november",
       lambda d: one(d.n_customers(d.within(d.lines[d.lines["department"] == "Grocery"], "2017-11")))),

    # ---- customer attributes
    _q("t-homeowner-rev", "customer attributes", "how much do homeowners spend in total",
       lambda d: anyof(_rev_of(d, d.cust(home_ownership="Homeowner")),
                       _rev_of(d, d.cust(home_ownership=["Homeowner", "Probable Homeowner"])))),
    _q("t-income-top", "customer attributes", "which income bracket spends the most?",
       lambda d: ranked(d.with_customers.groupby("income")["amount"].sum())),
    _q("t-age-rpc", "customer attributes", "revenue per customer for 25-34 year olds",
       lambda d: one(_rev_of(d, ids := d.cust(age="25-34")) / d.n_customers(d.of(d.orders, ids)))),
    _q("t-married-dec", "customer attributes", "how many married households bought in december",
       lambda d: one(d.n_customers(d.of(d.within(d.orders, "2017-12"), d.cust(marital_status="Married"))))),
    _q("t-high-income-rev", "customer attributes", "revenue from households making 100k+",
       lambda d: one(_rev_of(d, d.cust(income=_HIGH_INCOME)))),
    _q("t-single-adult", "customer attributes", "how many single-adult households do we have",
       lambda d: anyof(len(d.cust(household_comp=["1 Adult No Kids", "1 Adult Kids"])),
                       len(d.cust(household_size="1")))),
    _q("t-seniors-lastq", "customer attributes", "how much did our 65+ shoppers spend last quater",
       lambda d: one(_rev_of(d, d.cust(age="65+"), d.last_quarter))),
    _q("t-renters-orders", "customer attributes", "number of orders from renters",
       lambda d: one(d.n_orders(d.of(d.orders, d.cust(home_ownership="Renter"))))),

    # ---- thresholds
    _q("t-over-2k", "thresholds", "how many customers spent more than $2,000?",
       lambda d: anyof(int((d.spend > 2000).sum()), int((d.spend >= 2000).sum()))),
    _q("t-no-buy-45", "thresholds", "customers who haven't bought in 45 days", lambda d: inactive(d, 45)),
    _q("t-50-orders", "thresholds", "how many shoppers have 50 or more orders",
       lambda d: one(int((d.order_counts >= 50).sum()))),
    _q("t-one-order", "thresholds", "how many customers only ever ordered once?",
       lambda d: one(int((d.order_counts == 1).sum()))),
    _q("t-big-baskets", "thresholds", "how many orders were over $100",
       lambda d: anyof(int((d.baskets > 100).sum()), int((d.baskets >= 100).sum()))),
    _q("t-500-lastq", "thresholds", "customers who spent over 500 last quarter",
       lambda d: one(int((d.within(d.orders, d.last_quarter).groupby("customer_id")["amount"].sum() > 500).sum()))),

    # ---- set questions
    _q("t-beef-not-chicken", "sets", "customers who bought beef but never chicken", _beef_not_chicken),
    _q("t-milk-cheese-dec", "sets", "how many customers bought both milk and cheese in december",
       _milk_and_cheese_dec),
    _q("t-q3-not-q4", "sets", "shoppers who bought in Q3 but not in Q4?",
       lambda d: one(len(_buyers(d.within(d.orders, "2017Q3")) - _buyers(d.within(d.orders, "2017Q4"))))),

    # ---- concentration and distributions
    _q("t-top10pct", "concentration", "how much of our revenue do the top 10% of shoppers bring in (as a %)",
       lambda d: _top_share(d, 0.10)),
    _q("t-top20-cust", "concentration", "top 20 customers' share of sales?",
       lambda d: one(d.spend.sort_values(ascending=False).iloc[:20].sum() / d.spend.sum() * 100)),
    _q("t-half-rev", "concentration", "how many customers make up half our revenue", _half_of_revenue),
    _q("t-median-orders", "distributions", "whats the median order count per shopper",
       lambda d: pctl(d.order_counts, 0.5)),
    _q("t-p75-basket", "distributions", "75th percentile order value?", lambda d: pctl(d.baskets, 0.75)),
    _q("t-items-per-order", "distributions", "how many items are in an average order",
       lambda d: anyof(len(d.orders) / d.n_orders(d.orders),
                       d.merch["quantity"].sum() / d.n_orders(d.orders))),
    _q("t-units-per-cust", "distributions", "avg units per customer",
       lambda d: anyof(d.orders["quantity"].sum() / d.n_customers(d.orders),
                       d.merch["quantity"].sum() / d.n_customers(d.orders))),
    _q("t-top-customer", "rankings", "who's our biggest customer?",
       lambda d: id_ranked(d.spend, "customer")),

    # ---- new vs returning
    _q("t-new-lastq", "new vs returning", "how many first-time customers did we get last quarter",
       lambda d: one(len(_first_in(d, d.last_quarter)))),
    _q("t-ret-share-dec", "new vs returning", "what % of december shoppers were returning customers",
       lambda d: one(len(_returning_in(d, "2017-12")) / d.n_customers(d.within(d.orders, "2017-12")) * 100)),
    _q("t-new-rev-h2", "new vs returning",
       "how much revenue came from customers who were new in the second half of 2017?",
       _new_rev_h2),
    _q("t-repeat-q4", "new vs returning", "repeat customer rate in Q4", _repeat_q4),

    # ---- campaigns and coupons
    _q("t-typec-reach", "campaigns & coupons", "how many households got a type C campaign",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_type"] == "Type C", "customer_id"].nunique())),
    _q("t-typea-rate", "campaigns & coupons", "redemption rate for type A campaigns?",
       lambda d: _redemption_rate_of_type(d, "Type A")),
    _q("t-redeem-dec", "campaigns & coupons", "how many coupons got redeemed in dec",
       lambda d: one(len(d.within(d.redemptions, "2017-12")))),
    _q("t-best-type-rate", "campaigns & coupons", "which campaign type has the best redemption rate",
       lambda d: either(ranked(_rate_by_type(d, False)), ranked(_rate_by_type(d, True)))),
    _q("t-live-nov", "campaigns & coupons", "how many campaigns were live in november",
       lambda d: one(_running_in(d, "2017-11-01", "2017-11-30"))),
    _q("t-longest-campaign", "campaigns & coupons", "which campaign ran the longest?",
       lambda d: id_ranked((c := d.campaigns.groupby("campaign_id").agg(s=("start_date", "min"),
                                                                       e=("end_date", "max")))
                           .pipe(lambda x: (x["e"] - x["s"]).dt.days.astype(float)), "campaign")),
    _q("t-coupon-orders", "campaigns & coupons", "number of orders where a coupon was used",
       lambda d: one(d.orders.loc[d.orders["coupon_discount"] > 0, "order_id"].nunique())),
    _q("t-typeb-redeemers", "campaigns & coupons", "how many people redeemed a coupon from a type B campaign?",
       lambda d: one(d.redemptions[d.redemptions["campaign_id"].map(_type_of(d)) == "Type B"]
                     ["customer_id"].nunique())),
    _q("t-camp8-reach", "campaigns & coupons", "how many customers did campaign 8 target",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_id"] == "8", "customer_id"].nunique())),
    _q("t-disc-order-share", "discounts", "what percent of orders had a discount on them",
       lambda d: anyof(d.orders.loc[d.orders["discount"] > 0, "order_id"].nunique() / d.n_orders(d.orders) * 100,
                       d.orders.loc[(d.orders["discount"] > 0) | (d.orders["coupon_discount"] > 0), "order_id"]
                       .nunique() / d.n_orders(d.orders) * 100)),
    _q("t-disc-dept", "discounts", "which department gets the most discount $",
       lambda d: rank_lines(d, "department", lambda g: g["discount"].sum())),

    # ---- segments (membership from the fitted artifact)
    _q("t-seg-coupon-size", "segments", "how many customers are in the coupon-driven segment",
       lambda d: one(len(_segment_members(d, "coupon-driven")))),
    _q("t-seg-loyal-rev", "segments", "revenue from the loyal high-spend weekly regulars last quarter",
       lambda d: one(_rev_of(d, _segment_members(d, "loyal high-spend"), d.last_quarter))),

    # ---- two questions in one
    _q("t-two-q3", "two in one", "revenue and number of customers in Q3?",
       lambda d: one(d.rev(w := d.within(d.orders, "2017Q3")), d.n_customers(w))),
    _q("t-two-nov", "two in one", "how many orders in november and what was the avg order value",
       lambda d: one(d.n_orders(w := d.within(d.orders, "2017-11")), _aov(d, w))),
]


REFUSALS: list[Question] = [
    _q("t-no-adspend", "not held", "whats our ad spend per channel this year?"),
    _q("t-no-visits", "not held", "how many people visited the website yesterday"),
    _q("t-no-emails", "not held", "pull the emails of customers who churned"),
    _q("t-no-margin", "not held", "what's the profit margin on private label products?"),
    _q("t-no-ctr", "not held", "click-through rate on our type A campaign emails"),
    _q("t-no-delivery", "not held", "what's the average delivery time for orders"),
    _q("t-no-nps", "not held", "what was our NPS score last quarter"),
    _q("t-no-texas", "not held", "sales from customers living in texas"),
    _q("t-no-app", "not held", "how many app downloads did we get in december"),
    _q("t-no-brand", "unknown names", "revenue for the Adidas brand"),
    _q("t-no-segment", "unknown names", "how many customers are in the Gold Tier segment?"),
    _q("t-no-campaign", "unknown names", "how many households did campaign 40 reach"),
    _q("t-no-dept", "unknown names", "sales in the toys department last month"),
    _q("t-no-type", "unknown names", "how many customers got type D campaigns?"),
    _q("t-no-teens", "unknown names", "how much do teenage shoppers aged 13-17 spend"),
    _q("t-no-dec32", "bad periods", "what was revenue on december 32nd"),
    _q("t-no-exact-day", "unknowable", "exactly how much revenue will we make on march 3rd next year?"),
    _q("t-no-2030-clv", "unknowable", "what will the lifetime value be of customers we sign up in 2030"),
    _q("t-no-walmart", "unknowable", "how much did walmart sell in 2017"),
]


QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
