"""The second TUNING question bank for the offline assistant (session 9, helper tune6). NOT blind.

The lead reads this bank's misses and fixes the planner on them, so its score says how far tuning got, not how
well the planner does on wording it has not seen (the held-out banks measure that). It was written without reading
assistant/offline/* or the planner's tests, and no question is copied from the other banks' lists; only the grading
machinery is imported (tests/question_bank.py: BankData, the Expect helpers, grade; tests/question_bank_heldout.py:
versus, pctl, id_ranked and the name aliases), so every bank is graded by the same rules.

Questions are typed the way different marketers type: terse ("rev by dept q3"), chatty, with typos and British
spelling ("favourite", "colour", "analyse"), relative periods (last fortnight, past 90 days, Q4 vs Q3, the last
2 quarters, since Black Friday, the holiday season), filters on any attribute the data holds, rankings, thresholds,
set questions, concentration, distributions, trends, new vs returning, campaigns and coupons, two questions in one.
Every ground truth is an independent pandas expression over the raw workspace tables (``BankData``); segment
membership is read from the fitted artifact ``artifacts/segments.parquet`` (a segment is the model's output, not a
raw column). Where a question has two reasonable readings both are accepted (``anyof`` / ``either`` / ``versus``).
Relative periods anchor on the latest order (2018-01-01 03:09 in the demo data): "last quarter" = 2017-Q4, "last
month" = 2017-12, "the last 2 quarters" = 2017-Q3 + Q4, "Black Friday" = 2017-11-24.
"""

from __future__ import annotations

import pandas as pd

from tests.question_bank import (BankData, Expect, Question, anyof, either, inactive, month_aliases, one, rank_lines,
                                 ranked)
from tests.question_bank_heldout import hour_aliases, id_ranked, pctl, versus, weekday_aliases

__all__ = ["ANSWERABLE", "REFUSALS", "QUESTIONS"]

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_H2 = ("2017-07-01", "2018-01-01")  # "the last 2 quarters" / "the second half"


def _q(qid, cat, text, truth=None, note=""):
    return Question(qid, cat, text, truth, note)


# ------------------------------------------------------------------------------------- helpers for the truths
def _amount(g) -> pd.Series:
    return g["amount"].sum()


def _buyers(df: pd.DataFrame) -> set:
    return set(df["customer_id"])


def _aov(d: BankData, df: pd.DataFrame) -> float:
    return d.rev(df) / d.n_orders(df)


def _rpc(d: BankData, df: pd.DataFrame) -> float:
    return d.rev(df) / d.n_customers(df)


def _h2(d: BankData, df: pd.DataFrame) -> pd.DataFrame:
    return d.between(df, *_H2)


def _weekday(df: pd.DataFrame) -> pd.Series:
    return df["timestamp"].dt.dayofweek.map(lambda i: _WEEKDAYS[i])


def _month(df: pd.DataFrame) -> pd.Series:
    return df["timestamp"].dt.strftime("%Y-%m")


def _last_days(d: BankData, days: int, fn, df: pd.DataFrame | None = None) -> Expect:
    return anyof(*sorted({float(fn(w)) for w in d.last_days(d.orders if df is None else df, days)}))


def _windows(d: BankData, df: pd.DataFrame, windows, fn) -> Expect:
    return anyof(*sorted({float(fn(d.between(df, a, b))) for a, b in windows}))


# the holiday season read the usual ways: Nov-Dec, December, Thanksgiving / Black Friday to Christmas or year end
_HOLIDAYS = [("2017-11-01", "2018-01-01"), ("2017-12-01", "2018-01-01"), ("2017-11-23", "2018-01-01"),
             ("2017-11-24", "2018-01-01"), ("2017-11-23", "2017-12-26"), ("2017-11-24", "2017-12-26"),
             ("2017-11-23", "2018-01-02"), ("2017-11-24", "2018-01-02"), ("2017-12-01", "2017-12-26"),
             ("2017-11-01", "2018-01-02")]


def _segment_members(d: BankData, word: str) -> set:
    s = pd.read_parquet(d.path / "artifacts" / "segments.parquet")
    return set(s.loc[s["segment"].str.lower().str.contains(word), "customer_id"].astype(str))


def _segment_sizes(d: BankData) -> pd.Series:
    s = pd.read_parquet(d.path / "artifacts" / "segments.parquet")
    return s.groupby("segment")["customer_id"].nunique().astype(float)


def _first_in(d: BankData, start: str, end_exclusive: str) -> set:
    f = d.first_order
    return set(f[(f >= pd.Timestamp(start)) & (f < pd.Timestamp(end_exclusive))].index)


def _name_has(df: pd.DataFrame, word: str) -> pd.Series:
    return df["name"].fillna("").str.lower().str.contains(word)


def _cat_has(df: pd.DataFrame, word: str) -> pd.Series:
    return df["category"].fillna("").str.lower().str.contains(word)


def _buyer_sets(d: BankData, df: pd.DataFrame, exact: list[str], word: str) -> list[set]:
    """Who bought a product kind, read three ways: the exact categories, any category with the word, any
    product name with the word."""
    return [_buyers(df[df["category"].isin(exact)]), _buyers(df[_cat_has(df, word)]),
            _buyers(df[_name_has(df, word)])]


def _type_of(d: BankData) -> pd.Series:
    return d.campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["campaign_type"]


def _campaign_spans(d: BankData) -> pd.DataFrame:
    return d.campaigns.groupby("campaign_id").agg(s=("start_date", "min"), e=("end_date", "max"))


def _campaign_names(c: str) -> tuple[str, ...]:
    return (f"campaign {c}", f"campaign #{c}", f"campaign_id {c}", c)


def _spend_of(d: BankData, df: pd.DataFrame) -> pd.Series:
    return df.groupby("customer_id")["amount"].sum()


def _homeowners_vs_renters(d: BankData) -> tuple[Expect, ...]:
    renters = d.of(d.orders, d.cust(home_ownership="Renter"))
    owners = [d.of(d.orders, d.cust(home_ownership="Homeowner")),
              d.of(d.orders, d.cust(home_ownership=["Homeowner", "Probable Homeowner"]))]
    return either(*(versus(_rpc(d, o), _rpc(d, renters)) for o in owners))


def _top_cat_in(d: BankData, dept: str) -> float:
    m = d.merch
    return float(m[m["department"] == dept].groupby("category")["amount"].sum().max())


def _share_over(d: BankData, threshold: float) -> Expect:
    b = d.baskets
    return anyof((b > threshold).mean() * 100, (b >= threshold).mean() * 100)


def _top_share(d: BankData, frac: float) -> Expect:
    s = d.spend.sort_values(ascending=False)
    ks = {max(1, int(len(s) * frac)), max(1, -(-int(len(s) * frac * 1000) // 1000))}
    return anyof(*sorted({float(s.iloc[:k].sum() / s.sum() * 100) for k in ks}))


def _top_products_share(d: BankData, k: int) -> Expect:
    top = d.merch.groupby("name")["amount"].sum().sort_values(ascending=False).iloc[:k].sum()
    return anyof(top / d.rev(d.lines) * 100, top / d.rev(d.merch) * 100)


def _new_vs_returning_rev(d: BankData, period) -> Expect:
    p = pd.Period(period) if isinstance(period, str) else period
    w = d.within(d.orders, p)
    first = w["customer_id"].map(d.first_order)
    new = w[first >= p.start_time]
    ret = w[first < p.start_time]
    return one(d.rev(new), d.rev(ret))


def _returning_share(d: BankData, start: str, end_exclusive: str) -> float:
    w = d.between(d.orders, start, end_exclusive)
    buyers = _buyers(w)
    ret = {c for c in buyers if d.first_order[c] < pd.Timestamp(start)}
    return len(ret) / len(buyers) * 100


def _redeemers_vs_not(d: BankData) -> Expect:
    r = set(d.redemptions["customer_id"])
    red = d.of(d.orders, r)
    non = d.orders[~d.orders["customer_id"].isin(r)]
    return versus(_rpc(d, red), _rpc(d, non))


def _campaign_rate(d: BankData, cid: str) -> Expect:
    targeted = d.campaigns.loc[d.campaigns["campaign_id"] == cid, "customer_id"].nunique()
    red = d.redemptions[d.redemptions["campaign_id"] == cid]
    return anyof(red["customer_id"].nunique() / targeted * 100, len(red) / targeted * 100)


def _weekend_hours(d: BankData) -> tuple[Expect, ...]:
    w = d.orders[d.orders["timestamp"].dt.dayofweek >= 5]
    g = w.groupby(w["timestamp"].dt.hour)
    return either(ranked(g["order_id"].nunique().astype(float), aliases=hour_aliases),
                  ranked(g["amount"].sum(), aliases=hour_aliases))


def _discount_rate(d: BankData) -> Expect:
    y = d.within(d.orders, "2017")
    disc, cdisc, rev = y["discount"].sum(), y["coupon_discount"].sum(), d.rev(y)
    return anyof(*sorted({disc / rev * 100, (disc + cdisc) / rev * 100, disc / (rev + disc) * 100,
                          (disc + cdisc) / (rev + disc + cdisc) * 100}))


def _weekly(d: BankData, df: pd.DataFrame, days: int, fn) -> Expect:
    total = float(fn(df))
    weekly = df.groupby(df["timestamp"].dt.to_period("W"))["order_id"].nunique()
    return anyof(*sorted({total / 13, total / (days / 7), float(weekly.mean()), total / 14}))


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # ---- periods: relative and named windows
    _q("t2-fortnight", "periods", "revenue over the last fortnight", lambda d: _last_days(d, 14, d.rev)),
    _q("t2-90d-shoppers", "periods", "how many unique shoppers in the past 90 days?",
       lambda d: _last_days(d, 90, d.n_customers)),
    _q("t2-since-bf", "periods", "total sales since black friday",
       lambda d: _windows(d, d.orders, [("2017-11-24", "2018-01-02"), ("2017-11-24", "2018-01-01"),
                                        ("2017-11-25", "2018-01-02")], d.rev),
       "Black Friday 2017 = Nov 24; to the latest order or to year end"),
    _q("t2-holiday-orders", "periods", "number of orders during the holiday season",
       lambda d: _windows(d, d.orders, _HOLIDAYS, d.n_orders)),
    _q("t2-aov-2q", "periods",
       "hey, could you tell me roughly how our average order value looked over the last 2 quarters?",
       lambda d: one(_aov(d, _h2(d, d.orders)))),
    _q("t2-daily-nov", "averages per period", "average daily revenue in november",
       lambda d: anyof(d.rev(n := d.within(d.orders, "2017-11")) / 30,
                       d.rev(n) / n["timestamp"].dt.date.nunique())),
    _q("t2-monthly-2017", "averages per period", "whats our avg monthly revenue for 2017",
       lambda d: one(d.rev(d.within(d.orders, "2017")) / 12)),
    _q("t2-orders-per-day-dec", "averages per period", "avrage orders per day last month",
       lambda d: anyof(d.n_orders(w := d.within(d.orders, d.last_month)) / 31,
                       d.n_orders(w) / w["timestamp"].dt.date.nunique())),
    _q("t2-weekly-orders-q4", "averages per period", "how many orders do we get a week, on average, in Q4?",
       lambda d: _weekly(d, d.within(d.orders, "2017Q4"), 92, d.n_orders)),

    # ---- comparisons
    _q("t2-q4-vs-q3", "comparisons", "Q4 vs Q3 revenue - up or down?",
       lambda d: versus(d.rev(d.within(d.orders, "2017Q4")), d.rev(d.within(d.orders, "2017Q3")))),
    _q("t2-h1-vs-h2-orders", "comparisons", "orders: first half of 2017 vs second half",
       lambda d: versus(d.n_orders(d.between(d.orders, "2017-01-01", "2017-07-01")),
                        d.n_orders(_h2(d, d.orders)))),
    _q("t2-oct-vs-sep-cust", "comparisons", "shoppers in oct compared with sept?",
       lambda d: versus(d.n_customers(d.within(d.orders, "2017-10")), d.n_customers(d.within(d.orders, "2017-09")))),
    _q("t2-owner-vs-renter", "comparisons", "do homeowners or renters spend more per customer?",
       _homeowners_vs_renters),
    _q("t2-redeemers-vs-not", "comparisons",
       "per customer, how much more do coupon redeemers spend than people who never redeemed?",
       _redeemers_vs_not),
    _q("t2-weekend-vs-weekday-aov", "comparisons", "aov weekends vs weekdays",
       lambda d: versus(_aov(d, d.orders[d.orders["timestamp"].dt.dayofweek >= 5]),
                        _aov(d, d.orders[d.orders["timestamp"].dt.dayofweek < 5]))),

    # ---- filters on product attributes
    _q("t2-national-q4", "filters", "how much national brand stuff did we sell in Q4?",
       lambda d: anyof(d.rev(d.within(d.lines[d.lines["brand"] == "National"], "2017Q4")),
                       d.rev(d.within(d.merch[d.merch["brand"] == "National"], "2017Q4")))),
    _q("t2-meat-units-90d", "filters", "units sold in the meat department over the past 90 days",
       lambda d: anyof(*sorted({float(w["quantity"].sum()) for df in
                                (d.lines[d.lines["department"] == "Meat"],
                                 d.lines[d.lines["department"].isin(["Meat", "Meat-Pckgd"])])
                                for w in d.last_days(df, 90)}))),
    _q("t2-coffee-hh", "filters", "how many households bought coffee in 2017",
       lambda d: anyof(*sorted({len(s) for s in _buyer_sets(d, d.within(d.lines, "2017"), ["Coffee"], "coffee")}))),
    _q("t2-drug-dec", "filters", "Drug GM sales in december",
       lambda d: one(d.rev(d.within(d.lines[d.lines["department"] == "Drug Gm"], "2017-12")))),
    _q("t2-hair-colour", "filters", "how much hair colour have we sold?",
       lambda d: one(d.rev(d.lines[_name_has(d.lines, "hair colo")])),
       "British spelling; the products are named 'Hair Color And Developers'"),
    _q("t2-private-produce", "filters", "in produce, does private label or national sell more?",
       lambda d: ranked(d.lines[d.lines["department"] == "Produce"].groupby("brand")["amount"].sum())),

    # ---- filters on customer attributes, store, weekday, hour
    _q("t2-kids3-rev", "customer attributes", "total spend from households with 3 or more kids",
       lambda d: one(d.rev(d.of(d.orders, d.cust(kids_count="3+"))))),
    _q("t2-age45-orders-q4", "customer attributes", "how many orders did the 45-54 age group place last quarter",
       lambda d: one(d.n_orders(d.of(d.within(d.orders, d.last_quarter), d.cust(age="45-54"))))),
    _q("t2-under15k-aov", "customer attributes", "avg basket value for the under 15K income band",
       lambda d: one(_aov(d, d.of(d.orders, d.cust(income="Under 15K"))))),
    _q("t2-hh4-rev", "customer attributes", "reveneu from 4 person households",
       lambda d: one(d.rev(d.of(d.orders, d.cust(household_size="4"))))),
    _q("t2-unmarried-q4", "customer attributes", "how many unmarried custmers shopped in q4",
       lambda d: one(d.n_customers(d.of(d.within(d.orders, "2017Q4"), d.cust(marital_status="Unmarried"))))),
    _q("t2-2adults-kids-rpc", "customer attributes", "spend per household for 2 adults with kids",
       lambda d: one(_rpc(d, d.of(d.orders, d.cust(household_comp="2 Adults Kids"))))),
    _q("t2-store381-2q", "filters", "store 381 revenue in the last 2 quarters",
       lambda d: one(d.rev(_h2(d, d.orders[d.orders["store_id"] == "381"])))),
    _q("t2-sat-aov", "filters", "whats the average order value on saturdays",
       lambda d: one(_aov(d, d.orders[d.orders["timestamp"].dt.dayofweek == 5]))),
    _q("t2-before-9", "filters", "how many orders come in before 9am?",
       lambda d: one(d.n_orders(d.orders[d.orders["timestamp"].dt.hour < 9]))),
    _q("t2-typeb-spend", "campaigns & coupons", "how much have households targeted by Type B campaigns spent with us?",
       lambda d: one(d.rev(d.of(d.orders, set(d.campaigns.loc[d.campaigns["campaign_type"] == "Type B",
                                                              "customer_id"]))))),
    _q("t2-occasional-aov", "segments", "avg order value for the occasional shoppers segment",
       lambda d: one(_aov(d, d.of(d.orders, _segment_members(d, "occasional"))))),

    # ---- rankings (top / bottom N, per group)
    _q("t2-rev-dept-q3", "rankings", "rev by dept q3",
       lambda d: rank_lines(d, "department", _amount, period="2017Q3")),
    _q("t2-top5-grocery-q4", "rankings", "top 5 categories in grocery this past quarter",
       lambda d: rank_lines(d, "category", _amount, where=lambda df: df["department"] == "Grocery",
                            period=d.last_quarter)),
    _q("t2-best-beef", "rankings", "best-selling beef product by revenue",
       lambda d: rank_lines(d, "name", _amount, where=lambda df: df["category"] == "Beef")),
    _q("t2-top-cat-per-dept", "rankings", "what's the top category in each of grocery, produce and meat?",
       lambda d: one(_top_cat_in(d, "Grocery"), _top_cat_in(d, "Produce"), _top_cat_in(d, "Meat"))),
    _q("t2-top-cust-q4", "rankings", "who spent the most in q4",
       lambda d: id_ranked(_spend_of(d, d.within(d.orders, "2017Q4")), "customer")),
    _q("t2-weekend-hour", "rankings", "busiest hour on weekends",
       lambda d: _weekend_hours(d)),
    _q("t2-fewest-shoppers-month", "rankings", "which month had the fewest shoppers",
       lambda d: either(ranked((y := d.within(d.orders, "2017")).groupby(_month(y))["customer_id"].nunique(),
                               ascending=True, aliases=month_aliases),
                        ranked(d.orders.groupby(_month(d.orders))["customer_id"].nunique(), ascending=True,
                               aliases=month_aliases)),
       "2017 only, or with the one day of 2018-01"),
    _q("t2-income-orders", "rankings", "which income group places the most orders?",
       lambda d: ranked(d.with_customers.groupby("income")["order_id"].nunique())),
    _q("t2-age-aov", "rankings", "which age band has the highest average order value?",
       lambda d: ranked((w := d.with_customers).groupby("age")["amount"].sum()
                        / w.groupby("age")["order_id"].nunique())),
    _q("t2-least-weekday", "rankings", "least busy day of the week by number of orders",
       lambda d: ranked(d.orders.groupby(_weekday(d.orders))["order_id"].nunique(), ascending=True,
                        aliases=weekday_aliases)),
    _q("t2-favourite-cat", "rankings", "what's our customers' favourite category?",
       lambda d: either(rank_lines(d, "category", _amount),
                        rank_lines(d, "category", lambda g: g["customer_id"].nunique()),
                        rank_lines(d, "category", lambda g: g["order_id"].nunique())),
       "by revenue, by buyers or by orders"),
    _q("t2-analyse-weekday", "rankings", "can you analyse revenue by weekday and tell me the strongest day",
       lambda d: ranked(d.orders.groupby(_weekday(d.orders))["amount"].sum(), aliases=weekday_aliases)),
    _q("t2-largest-segment", "segments", "which segment is biggest?",
       lambda d: ranked(_segment_sizes(d))),

    # ---- thresholds
    _q("t2-under-100", "thresholds", "how many customers spent less than $100 in total",
       lambda d: anyof(*sorted({int((d.spend < 100).sum()), int((d.spend <= 100).sum())}))),
    _q("t2-10-orders-q4", "thresholds", "customers with at least 10 orders in Q4",
       lambda d: one(int((d.within(d.orders, "2017Q4").groupby("customer_id")["order_id"].nunique() >= 10).sum()))),
    _q("t2-share-over-75", "thresholds", "what share of orders were above $75?", lambda d: _share_over(d, 75)),
    _q("t2-lapsed-60", "thresholds", "how many shoppers have lapsed (no purchase in the past 60 days)?",
       lambda d: inactive(d, 60)),
    _q("t2-rev-over-5k", "thresholds", "total revenue from customers who spent over $5k",
       lambda d: one(float(d.spend[d.spend > 5000].sum()))),

    # ---- sets
    _q("t2-coffee-and-cereal", "sets", "customers who purchased both coffee and cold cereal",
       lambda d: anyof(*sorted({len(a & b) for a in _buyer_sets(d, d.lines, ["Coffee"], "coffee")
                                for b in _buyer_sets(d, d.lines, ["Cold Cereal"], "cold cereal") if b}))),
    _q("t2-nov-not-dec", "sets", "people who shopped in november but didn't come back in december",
       lambda d: one(len(_buyers(d.within(d.orders, "2017-11")) - _buyers(d.within(d.orders, "2017-12"))))),
    _q("t2-targeted-never-redeemed", "sets", "how many targeted households never redeemed a coupon?",
       lambda d: one(len(set(d.campaigns["customer_id"]) - set(d.redemptions["customer_id"])))),
    _q("t2-beer-or-wine", "sets", "how many customers buy beer or wine?",
       lambda d: anyof(*sorted({len(_buyers(d.lines[d.lines["category"].isin(beer + wine)])) for beer, wine in
                                [(["Beers/Ales"], ["Domestic Wine", "Imported Wine"]),
                                 (["Beers/Ales"], ["Domestic Wine", "Imported Wine", "Misc Wine"])]}
                               | {len(_buyers(d.lines[_cat_has(d.lines, "beer") | _cat_has(d.lines, "wine")]))}))),

    # ---- concentration
    _q("t2-top5pct", "concentration", "what % of sales comes from the top 5% of customers?",
       lambda d: _top_share(d, 0.05)),
    _q("t2-top-store-share", "concentration",
       "how concentrated are sales by store? what share does the biggest store have",
       lambda d: id_ranked((s := d.orders.groupby("store_id")["amount"].sum()) / s.sum() * 100, "store")),
    _q("t2-top10-products", "concentration", "share of revenue from our top 10 products",
       lambda d: _top_products_share(d, 10)),

    # ---- distributions
    _q("t2-median-basket-q4", "distributions", "median order value last quarter",
       lambda d: pctl(d.within(d.orders, d.last_quarter).groupby("order_id")["amount"].sum(), 0.5)),
    _q("t2-p90-orders", "distributions", "90th pct of orders per customer", lambda d: pctl(d.order_counts, 0.9)),
    _q("t2-distinct-products", "distributions", "how many different products does the average customer buy?",
       lambda d: anyof(d.orders.groupby("customer_id")["product_id"].nunique().mean(),
                       d.merch.groupby("customer_id")["product_id"].nunique().mean())),

    # ---- trends
    _q("t2-q4-monthly", "trends", "monthly revenue trend for q4",
       lambda d: one(*(d.rev(d.within(d.orders, m)) for m in ("2017-10", "2017-11", "2017-12")))),
    _q("t2-jan-to-dec", "trends", "how much did revenue grow from january to december 2017 (%)",
       lambda d: versus(d.rev(d.within(d.orders, "2017-12")), d.rev(d.within(d.orders, "2017-01")))),

    # ---- new vs returning
    _q("t2-new-march", "new vs returning", "how many brand new customers did we pick up in march",
       lambda d: one(len(_first_in(d, "2017-03-01", "2017-04-01")))),
    _q("t2-new-ret-rev-q4", "new vs returning", "revenue split between new and returning customers last quarter",
       lambda d: _new_vs_returning_rev(d, d.last_quarter)),
    _q("t2-ret-share-h2", "new vs returning", "what proportion of H2 shoppers were returning?",
       lambda d: one(_returning_share(d, *_H2))),

    # ---- campaigns, coupons, redemptions, discounts
    _q("t2-camp22-redeemed", "campaigns & coupons", "how many coupons were redeemed from campaign 22",
       lambda d: one(int((d.redemptions["campaign_id"] == "22").sum()))),
    _q("t2-started-q2", "campaigns & coupons", "how many campaigns started in Q2?",
       lambda d: one(int(d.within(_campaign_spans(d), "2017Q2", col="s").shape[0]))),
    _q("t2-avg-reach", "campaigns & coupons", "avg number of households per campaign",
       lambda d: one(d.campaigns.groupby("campaign_id")["customer_id"].nunique().mean())),
    _q("t2-coupon-per-order", "campaigns & coupons", "average coupon discount per order where a coupon was used",
       lambda d: one(d.orders["coupon_discount"].sum()
                     / d.orders.loc[d.orders["coupon_discount"] > 0, "order_id"].nunique())),
    _q("t2-camp18-rate", "campaigns & coupons", "redemption rate of campaign 18", lambda d: _campaign_rate(d, "18")),
    _q("t2-redeem-peak-month", "campaigns & coupons", "which month had the most coupon redemptions",
       lambda d: ranked(d.redemptions.groupby(_month(d.redemptions)).size().astype(float), aliases=month_aliases)),
    _q("t2-fewest-redeem-type", "campaigns & coupons", "campaign type with the fewest redemptions",
       lambda d: ranked(d.redemptions.groupby(d.redemptions["campaign_id"].map(_type_of(d))).size().astype(float),
                        ascending=True)),
    _q("t2-discount-rate", "discounts", "discounts as a % of revenue in 2017", _discount_rate),

    # ---- two questions in one
    _q("t2-two-dec", "two in one", "how many shoppers did we have in dec, and what did they spend on avg?",
       lambda d: one(d.n_customers(w := d.within(d.orders, "2017-12")), _rpc(d, w))),
    _q("t2-two-top", "two in one", "what's the top department, and the top category?",
       lambda d: anyof((float(d.merch.groupby("department")["amount"].sum().max()),
                        float(d.merch.groupby("category")["amount"].sum().max())))),
    _q("t2-two-q3", "two in one", "orders and units in q3",
       lambda d: anyof((d.n_orders(w := d.within(d.orders, "2017Q3")), w["quantity"].sum()),
                       (d.n_orders(w), d.within(d.merch, "2017Q3")["quantity"].sum()))),
]


REFUSALS: list[Question] = [
    _q("t2-no-prospect-clv", "not held", "what's the lifetime value of prospects who haven't bought from us yet?"),
    _q("t2-no-cpc", "not held", "what was our cost per click on google ads in december"),
    _q("t2-no-nps", "not held", "how did our net promoter score change over the year"),
    _q("t2-no-email-opens", "not held", "how many people opened the black friday email"),
    _q("t2-no-stockout", "not held", "which products are about to run out of stock"),
    _q("t2-no-weather", "not held", "how much did the rainy weather hurt sales in october"),
    _q("t2-no-colour", "not held", "which colour of t-shirt is our favourite seller"),
    _q("t2-no-dept", "unknown names", "revenue from the gluten free bakery department"),
    _q("t2-no-segment", "unknown names", "how many customers are in the Big Spenders Club segment"),
    _q("t2-no-store", "unknown names", "sales at store 99999 last quarter"),
    _q("t2-no-type", "unknown names", "how did type Z campaigns perform"),
    _q("t2-no-brand", "unknown names", "how many Lego sets did we sell"),
    _q("t2-no-q0", "bad periods", "revenue in Q0 2017"),
    _q("t2-no-apr31", "bad periods", "orders on 31 april 2017"),
    _q("t2-no-1850", "bad periods", "what were sales like in 1850"),
    _q("t2-no-amazon", "unknowable", "how many customers will we lose to amazon next year"),
]


QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
