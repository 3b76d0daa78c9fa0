"""The fifth question bank for the offline assistant, held out and blind (issue 12, session 9).

Written without reading assistant/offline/*, the planner's tests and question files, bench/results/question_bank*.md,
or the question lists of the other four banks (tests/question_bank.py, tests/question_bank_heldout.py,
tests/question_bank_heldout2.py, tests/question_bank_heldout3.py): only their grading machinery and truth helpers are
imported, so all five banks are graded by the same rules (tests/question_bank.py). The planner has never been tuned on
these questions; the first, untuned run is in bench/results/question_bank_heldout4.md (the score only: the misses stay
with the bank's author, so that the bank stays blind).

Questions are typed the way a marketer would on day one (typos, casual wording, relative periods, filters on any
attribute the data has, two questions in one). Every ground truth is an independent pandas expression over the raw
workspace tables (``BankData``); nothing here calls models.analytics. Where a question has two reasonable readings
both are accepted (``anyof`` / ``either`` / ``versus``). Relative periods anchor on the latest order (2018-01-01 03:09,
a Monday, in the demo data): "last quarter" = 2017-Q4, "last month" = 2017-12, "last year" = 2017, "this year" = 2018
so far, "last week" = the ISO week of Dec 25-31 2017, the Sunday week of Dec 24-30 or the last 7 days; month or
quarter names without a year are 2017's. Product / category / department rankings leave out non-merchandise lines
(``rank_lines``); totals include them.
"""

from __future__ import annotations

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


def _buyers(df: pd.DataFrame) -> set:
    return set(df["customer_id"])


def _rev_of(d: BankData, ids: set, period=None) -> float:
    o = d.of(d.orders, ids)
    return d.rev(d.within(o, period) if period is not None else o)


def _share(part: float, whole: float) -> float:
    return part / whole * 100


def _last_week(d: BankData, fn) -> Expect:
    """"last week" on Monday 2018-01-01: the ISO week Dec 25-31, the Sunday-based week Dec 24-30, or the last
    7 days (any of the usual cut-offs)."""
    o = d.orders
    vals = [fn(d.between(o, "2017-12-25", "2018-01-01")), fn(d.between(o, "2017-12-24", "2017-12-31"))]
    vals += [fn(df) for df in d.last_days(o, 7)]
    return anyof(*sorted(set(vals)))


def _first_in(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    f = d.first_order
    return set(f[(f >= p.start_time) & (f <= p.end_time)].index)


def _returning_in(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    return _buyers(d.within(d.orders, p)) & set(d.first_order[d.first_order < p.start_time].index)


def _homeowners(d: BankData) -> tuple[set, set]:
    """Homeowners strictly, and with the 'Probable Homeowner' households too."""
    return d.cust(home_ownership="Homeowner"), d.cust(home_ownership=["Homeowner", "Probable Homeowner"])


def _who_ranked(values: pd.Series) -> Expect:
    """A customer ranking: the top id bare or as customer / household N; runners-up only with the word."""
    e = ranked(values, aliases=lambda n: (f"customer {n}", f"household {n}", f"customer #{n}", f"household #{n}",
                                          f"customer_id {n}", n))
    return Expect(e.alternatives, e.name, tuple(r[:2] for r in e.rivals))


def _campaign_table(d: BankData) -> pd.DataFrame:
    return d.campaigns.groupby("campaign_id").agg(kind=("campaign_type", "first"), start=("start_date", "min"),
                                                  end=("end_date", "max"), reach=("customer_id", "nunique"))


def _products(d: BankData, agg, where=None, period=None) -> tuple[Expect, ...]:
    """A product ranking over merchandise lines, read by product name (products sharing a name pooled) or by
    product id (the top id named by its product name)."""
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


def _cat_buyers(d: BankData, df: pd.DataFrame, word: str, cats: list[list[str]]) -> Expect:
    """Buyers of a product word: by each plausible category set, or by product names containing the word."""
    counts = {len(_buyers(df[df["category"].isin(c).fillna(False).astype(bool)])) for c in cats}
    counts.add(len(_buyers(df[df["name"].str.contains(word, case=False, na=False)])))
    return anyof(*sorted(counts))


def _set_counts(d: BankData, a: tuple[str, list[list[str]]], b: tuple[str, list[list[str]]], op) -> Expect:
    """A set question on two product words, read both by category (each plausible category set) or both by
    product names containing the words."""
    def cat(cats):
        return _buyers(d.lines[d.lines["category"].isin(cats).fillna(False).astype(bool)])

    def word(w):
        return _buyers(d.lines[d.lines["name"].str.contains(w, case=False, na=False)])
    counts = {len(op(cat(ca), cat(cb))) for ca in a[1] for cb in b[1]}
    counts.add(len(op(word(a[0]), word(b[0]))))
    return anyof(*sorted(counts))


def _live(d: BankData) -> pd.DataFrame:
    """The campaigns running on the latest order's date."""
    t = _campaign_table(d)
    return t[(t["start"] <= d.latest) & (t["end"] >= d.latest.normalize())]


def _campaign_rate(d: BankData, campaign: str) -> Expect:
    """Households a campaign targeted that redeemed one of its coupons, as a share of those it targeted (a
    redeemer it did not target, if any, counted too in the second reading)."""
    targeted = _buyers(d.campaigns[d.campaigns["campaign_id"] == campaign])
    redeemed = _buyers(d.redemptions[d.redemptions["campaign_id"] == campaign])
    return anyof(*sorted({_share(len(targeted & redeemed), len(targeted)), _share(len(redeemed), len(targeted))}))


def _aov_by(d: BankData, col: str) -> pd.Series:
    g = d.with_customers.groupby(col)
    return g["amount"].sum() / g["order_id"].nunique()


def _size_ranked(values: pd.Series) -> Expect:
    """A ranking of household sizes ("1" .. "5+"): the top one may be named bare; a runner-up only with a word
    (a bare "2" could be any number)."""
    e = ranked(values, aliases=lambda n: (f"size {n}", f"{n} people", f"{n}-person", f"{n} person", n))
    return Expect(e.alternatives, e.name, tuple(r[:-1] for r in e.rivals))


def _weekday(df: pd.DataFrame) -> pd.Series:
    return df["timestamp"].dt.day_name()


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # ---- totals and relative periods
    _q("h4-per-lastyr", "periods", "how much revenue did we do last yr",
       lambda d: one(d.rev(d.within(d.orders, "2017")))),
    _q("h4-per-lastwk", "periods", "how many orders came in last week?", lambda d: _last_week(d, d.n_orders)),
    _q("h4-per-nov", "periods", "total sales in novmber", lambda d: one(d.rev(d.within(d.orders, "2017-11")))),
    _q("h4-per-q3-shoppers", "periods", "how many diffrent shoppers did we have in q3?",
       lambda d: one(d.n_customers(d.within(d.orders, "2017Q3")))),
    _q("h4-per-aov-dec", "periods", "AOV for dec 2017?",
       lambda d: one(d.rev(w := d.within(d.orders, "2017-12")) / d.n_orders(w))),
    _q("h4-per-units", "periods", "how many units did we move in 2017",
       lambda d: anyof(d.within(d.merch, "2017")["quantity"].sum(), d.within(d.orders, "2017")["quantity"].sum()),
       "merchandise units, or every line's quantity (fuel counts gallons)"),
    _q("h4-per-ytd", "periods", "sales so far this year?", lambda d: one(d.rev(d.within(d.orders, "2018")))),
    _q("h4-per-range", "periods", "revenue from feb 14 thru march 14, 2017",
       lambda d: anyof(d.rev(d.between(d.orders, "2017-02-14", "2017-03-15")),
                       d.rev(d.between(d.orders, "2017-02-14", "2017-03-14"))), "end day in or out"),
    _q("h4-per-disc-q2", "periods", "how much did we discount in Q2",
       lambda d: anyof((w := d.within(d.orders, "2017Q2"))["discount"].sum(),
                       w["discount"].sum() + w["coupon_discount"].sum()), "retailer discount, or with coupons"),
    _q("h4-per-weekend", "periods", "how much revenue comes in on weekends?",
       lambda d: anyof(d.rev(w := d.orders[d.orders["timestamp"].dt.dayofweek >= 5]),
                       _share(d.rev(w), d.rev(d.orders))), "the amount, or its share"),

    # ---- comparisons of two periods
    _q("h4-cmp-q3q4", "comparisons", "compare q3 and q4 revenue",
       lambda d: versus(d.rev(d.within(d.orders, "2017Q4")), d.rev(d.within(d.orders, "2017Q3")))),
    _q("h4-cmp-decnov", "comparisons", "did we get more orders in december than november?",
       lambda d: versus(d.n_orders(d.within(d.orders, "2017-12")), d.n_orders(d.within(d.orders, "2017-11")))),
    _q("h4-cmp-halves", "comparisons", "1st half vs 2nd half of 2017, sales",
       lambda d: versus(d.rev(d.between(d.orders, "2017-07-01", "2018-01-01")),
                        d.rev(d.between(d.orders, "2017-01-01", "2017-07-01")))),
    _q("h4-cmp-mom", "comparisons", "how did last month's revenue stack up against the month before?",
       lambda d: compare(d.rev(d.within(d.orders, d.last_month)), d.rev(d.within(d.orders, d.last_month - 1)))),
    _q("h4-cmp-cust-janjul", "comparisons", "number of customers in january vs july",
       lambda d: versus(d.n_customers(d.within(d.orders, "2017-01")), d.n_customers(d.within(d.orders, "2017-07")))),

    # ---- rankings, top / bottom
    _q("h4-rk-cat-lastm", "rankings", "top selling category last month",
       lambda d: rank_lines(d, "category", _amount, period=d.last_month)),
    _q("h4-rk-dept-bottom", "rankings", "which department makes us the least money?",
       lambda d: rank_lines(d, "department", _amount, ascending=True)),
    _q("h4-rk-private-product", "rankings", "best selling private label product?",
       lambda d: _products(d, _amount, where=lambda df: df["brand"] == "Private")),
    _q("h4-rk-units-top5", "rankings", "top 5 products by units sold", lambda d: _products(d, _units)),
    _q("h4-rk-store-lastq", "rankings", "which store had the highest sales last quarter",
       lambda d: id_ranked(d.within(d.orders, d.last_quarter).groupby("store_id")["amount"].sum(), "store")),
    _q("h4-rk-spender", "rankings", "who is our biggest spender?", lambda d: _who_ranked(d.spend)),
    _q("h4-rk-cat-orders", "rankings", "what category shows up in the most orders?",
       lambda d: rank_lines(d, "category", _n_orders)),
    _q("h4-rk-produce", "rankings", "top category within produce",
       lambda d: rank_lines(d, "category", _amount, where=lambda df: df["department"] == "Produce")),
    _q("h4-rk-homeowner-dept", "rankings", "which department do homeowners spend the most on?",
       lambda d: either(*[rank_lines(d, "department", _amount, where=lambda df, ids=ids: df["customer_id"].isin(ids))
                          for ids in _homeowners(d)])),
    _q("h4-rk-hh-aov", "rankings", "what kind of household has the highest avg order value",
       lambda d: either(ranked(_aov_by(d, "household_comp")), _size_ranked(_aov_by(d, "household_size"))),
       "by composition, or by size"),
    _q("h4-rk-age-orders", "rankings", "which age group places the most orders",
       lambda d: either(ranked(d.with_customers.groupby("age")["order_id"].nunique()),
                        ranked(d.with_customers.groupby("age")["order_id"].nunique()
                               / d.with_customers.groupby("age")["customer_id"].nunique())),
       "total, or per household"),

    # ---- thresholds
    _q("h4-thr-500", "thresholds", "how many customers have spent more than $500?",
       lambda d: anyof(*sorted({int((d.spend > 500).sum()), int((d.spend >= 500).sum())}))),
    _q("h4-thr-10orders", "thresholds", "customers with 10 or more orders?",
       lambda d: one(int((d.order_counts >= 10).sum()))),
    _q("h4-thr-100", "thresholds", "how many orders were over 100 dollars",
       lambda d: anyof(*sorted({int((d.baskets > 100).sum()), int((d.baskets >= 100).sum())}))),
    _q("h4-thr-under10", "thresholds", "what % of our orders are under $10?",
       lambda d: anyof(*sorted({_share((d.baskets < 10).sum(), len(d.baskets)),
                                _share((d.baskets <= 10).sum(), len(d.baskets))}))),

    # ---- set questions
    _q("h4-set-beef-chicken", "sets", "how many customers bought beef but never chicken?",
       lambda d: _set_counts(d, ("beef", [["Beef"]]), ("chicken", [["Chicken"], ["Chicken", "Chicken/Poultry"]]),
                             lambda x, y: x - y)),
    _q("h4-set-coffee-milk", "sets", "customers that bought both coffee and milk",
       lambda d: _set_counts(d, ("coffee", [["Coffee"]]), ("milk", [["Fluid Milk Products"]]), lambda x, y: x & y)),
    _q("h4-set-q1-not-q4", "sets", "how many people shopped in Q1 but not in Q4?",
       lambda d: one(len(_buyers(d.within(d.orders, "2017Q1")) - _buyers(d.within(d.orders, "2017Q4"))))),
    _q("h4-set-targeted-noredeem", "sets", "how many households got a campaign but never redeemed a coupon",
       lambda d: one(len(_buyers(d.campaigns) - _buyers(d.redemptions)))),
    _q("h4-set-every-month", "sets", "how many customers bought something in every month of 2017?",
       lambda d: one(int((d.within(d.orders, "2017").groupby("customer_id")["timestamp"]
                          .apply(lambda t: t.dt.month.nunique()) == 12).sum()))),

    # ---- concentration
    _q("h4-conc-top10pct", "concentration", "what share of revenue do our top 10% of customers bring in?",
       lambda d: one(_share(d.spend.sort_values(ascending=False).iloc[:30].sum(), d.spend.sum()))),
    _q("h4-conc-store", "concentration", "what percent of sales does our biggest store account for?",
       lambda d: one(_share(d.orders.groupby("store_id")["amount"].sum().max(), d.rev(d.orders)))),
    _q("h4-conc-top20", "concentration", "how much of total spend do the top 20 customers make up",
       lambda d: anyof(_share(top := d.spend.sort_values(ascending=False).iloc[:20].sum(), d.spend.sum()), top),
       "share, or the amount"),

    # ---- distributions
    _q("h4-dist-median-basket", "distributions", "whats the median basket worth?", lambda d: pctl(d.baskets, 0.5)),
    _q("h4-dist-items", "distributions", "on average how many items are in an order",
       lambda d: anyof(len(d.orders) / d.n_orders(d.orders), d.merch["quantity"].sum() / d.n_orders(d.orders),
                       d.merch["quantity"].sum() / d.n_orders(d.merch)),
       "lines per order, or merchandise units per order"),
    _q("h4-dist-median-orders", "distributions", "whats the median number of orders per customer",
       lambda d: pctl(d.order_counts, 0.5)),
    _q("h4-dist-p75", "distributions", "75th percentile of customer spend", lambda d: pctl(d.spend, 0.75)),
    _q("h4-dist-20-50", "distributions", "how many customers have placed between 20 and 50 orders?",
       lambda d: anyof(*sorted({int(d.order_counts.between(20, 50).sum()),
                                int(((d.order_counts > 20) & (d.order_counts < 50)).sum())})), "ends in or out"),

    # ---- trends
    _q("h4-ts-month-shoppers", "trends", "which month had the most unique shoppers",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.to_period("M").astype(str))["customer_id"]
                        .nunique(), aliases=month_aliases)),
    _q("h4-ts-quiet-day", "trends", "quietest day of the week?",
       lambda d: either(ranked(d.orders.groupby(_weekday(d.orders))["order_id"].nunique(), ascending=True,
                               aliases=weekday_aliases),
                        ranked(d.orders.groupby(_weekday(d.orders))["amount"].sum(), ascending=True,
                               aliases=weekday_aliases)), "by orders, or by revenue"),
    _q("h4-ts-hour-money", "trends", "what time of day do we make the most money",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["amount"].sum(), aliases=hour_aliases)),
    _q("h4-ts-growth", "trends", "how much did revenue grow from jan to dec 2017?",
       lambda d: compare(d.rev(d.within(d.orders, "2017-12")), d.rev(d.within(d.orders, "2017-01")))),
    _q("h4-ts-redeem-month", "trends", "which month had the most coupon redemptions?",
       lambda d: ranked(d.redemptions.groupby(d.redemptions["timestamp"].dt.to_period("M").astype(str)).size()
                        .astype(float), aliases=month_aliases)),

    # ---- new vs returning
    _q("h4-nr-new-since-apr", "new vs returning", "how many new customers have we picked up since april?",
       lambda d: one(int((d.first_order >= pd.Timestamp("2017-04-01")).sum()))),
    _q("h4-nr-ret-nov", "new vs returning", "how many returning customers did we have in nov",
       lambda d: one(len(_returning_in(d, "2017-11")))),
    _q("h4-nr-new-rev-q3", "new vs returning", "how much revenue came from first time buyers in Q3?",
       lambda d: anyof(_rev_of(d, ids := _first_in(d, "2017Q3"), "2017Q3"),
                       d.rev(d.orders[d.orders["customer_id"].isin(ids)
                                      & (d.orders["timestamp"] == d.orders["customer_id"].map(d.first_order))])),
       "their Q3 revenue, or their first orders only"),

    # ---- customer attributes
    _q("h4-hh-income", "customer attributes", "total spend from households making 50-74k",
       lambda d: one(_rev_of(d, d.cust(income="50-74K")))),
    _q("h4-hh-age-aov", "customer attributes", "avg order value for customers aged 25-34",
       lambda d: one(d.rev(o := d.of(d.orders, d.cust(age="25-34"))) / d.n_orders(o))),
    _q("h4-hh-married", "customer attributes", "do married customers spend more than unmarried ones?",
       lambda d: anyof((_rev_of(d, m := d.cust(marital_status="Married")) / len(m),
                        _rev_of(d, u := d.cust(marital_status="Unmarried")) / len(u)),
                       (_rev_of(d, m), _rev_of(d, u))), "per household, or in total"),
    _q("h4-hh-renters", "customer attributes", "how much have renters spent with us?",
       lambda d: one(_rev_of(d, d.cust(home_ownership="Renter")))),
    _q("h4-hh-kids3", "customer attributes", "revenue from households with 3+ kids",
       lambda d: one(_rev_of(d, d.cust(kids_count="3+")))),
    _q("h4-hh-seniors", "customer attributes", "how many orders did 65+ customers place last quarter?",
       lambda d: one(d.n_orders(d.within(d.of(d.orders, d.cust(age="65+")), d.last_quarter)))),
    _q("h4-hh-single", "customer attributes", "average spend for single-person households",
       lambda d: one(_rev_of(d, s := d.cust(household_size="1")) / len(s))),

    # ---- store, weekday and hour filters
    _q("h4-st-323-dec", "store and time filters", "sales at store 323 in december",
       lambda d: one(d.rev(d.within(d.orders[d.orders["store_id"] == "323"], "2017-12")))),
    _q("h4-st-sat-q4", "store and time filters", "revenue on saturdays in Q4",
       lambda d: one(d.rev(d.within(d.orders[d.orders["timestamp"].dt.dayofweek == 5], "2017Q4")))),
    _q("h4-st-after8", "store and time filters", "how many orders come in after 8pm?",
       lambda d: one(d.n_orders(d.orders[d.orders["timestamp"].dt.hour >= 20]))),
    _q("h4-st-morning", "store and time filters", "revenue before noon",
       lambda d: one(d.rev(d.orders[d.orders["timestamp"].dt.hour < 12]))),

    # ---- brand, department, category filters
    _q("h4-pr-private-q4", "product filters", "how much private label did we sell last quarter",
       lambda d: anyof(d.rev(d.within(d.lines[d.lines["brand"] == "Private"], "2017Q4")),
                       d.rev(d.within(d.merch[d.merch["brand"] == "Private"], "2017Q4")))),
    _q("h4-pr-drug-orders", "product filters", "how many orders had something from drug gm in them?",
       lambda d: one(d.n_orders(d.lines[d.lines["department"] == "Drug Gm"]))),
    _q("h4-pr-cheese-dec", "product filters", "how many people bought cheese in december",
       lambda d: _cat_buyers(d, d.within(d.lines, "2017-12"), "cheese", [["Cheese"], ["Cheese", "Cheeses"]])),
    _q("h4-pr-national-share", "product filters", "what percent of sales are national brands?",
       lambda d: anyof(_share(d.rev(d.lines[d.lines["brand"] == "National"]), d.rev(d.orders)),
                       _share(d.rev(d.merch[d.merch["brand"] == "National"]), d.rev(d.merch)))),
    _q("h4-pr-pizza-share", "product filters", "what fraction of revenue is frozen pizza",
       lambda d: anyof(_share(d.rev(d.lines[d.lines["category"] == "Frozen Pizza"]), d.rev(d.orders)),
                       _share(d.rev(d.lines[d.lines["category"] == "Frozen Pizza"]), d.rev(d.merch)))),
    _q("h4-pr-soda-buyers", "product filters", "how many customers bought soft drinks last quarter?",
       lambda d: _cat_buyers(d, d.within(d.lines, "2017Q4"), "soft drink", [["Soft Drinks"]])),

    # ---- campaigns, coupons, redemptions
    _q("h4-cp-typec", "campaigns & coupons", "how many type C campaigns did we run",
       lambda d: one(int((_campaign_table(d)["kind"] == "Type C").sum()))),
    _q("h4-cp-started-h2", "campaigns & coupons", "how many campaigns kicked off in the 2nd half of 2017",
       lambda d: one(int(_campaign_table(d)["start"].between(pd.Timestamp("2017-07-01"),
                                                              pd.Timestamp("2017-12-31")).sum()))),
    _q("h4-cp-redeem-dec", "campaigns & coupons", "coupons redeemed in december?",
       lambda d: one(len(d.within(d.redemptions, "2017-12")))),
    _q("h4-cp-rate-13", "campaigns & coupons",
       "what % of the households campaign 13 targeted redeemed a coupon from it",
       lambda d: _campaign_rate(d, "13")),
    _q("h4-cp-redeemers-spend", "campaigns & coupons", "do coupon redeemers spend more than people who never redeem?",
       lambda d: anyof((_rev_of(d, r := _buyers(d.redemptions)) / len(r & _buyers(d.orders)),
                        _rev_of(d, n := _buyers(d.orders) - r) / len(n)),
                       (_rev_of(d, r), _rev_of(d, n))), "per customer, or in total"),
    _q("h4-cp-running", "campaigns & coupons", "which campaigns are live right now?",
       lambda d: anyof(len(live := _live(d)), tuple(sorted(float(i) for i in live.index))), "how many, or their ids"),
    _q("h4-cp-typeb-reach", "campaigns & coupons", "how many households did type b campaigns reach",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_type"] == "Type B", "customer_id"].nunique())),
    _q("h4-cp-pct-redeemed", "campaigns & coupons", "what % of customers have ever redeemed a coupon?",
       lambda d: anyof(_share(len(r := _buyers(d.redemptions)), len(d.customers)),
                       _share(len(r & _buyers(d.campaigns)), len(_buyers(d.campaigns))))),

    # ---- per-customer, per-order
    _q("h4-pc-orders-2017", "per customer and order", "avg orders per shopper in 2017",
       lambda d: one(d.n_orders(w := d.within(d.orders, "2017")) / d.n_customers(w))),
    _q("h4-pc-spend-lastq", "per customer and order", "average spend per customer last quarter",
       lambda d: anyof(d.rev(w := d.within(d.orders, d.last_quarter)) / d.n_customers(w),
                       d.rev(w) / len(d.customers)), "per buyer, or per household"),
    _q("h4-pc-disc-order", "per customer and order", "average discount per order in 2017?",
       lambda d: anyof((w := d.within(d.orders, "2017"))["discount"].sum() / d.n_orders(w),
                       (w["discount"].sum() + w["coupon_discount"].sum()) / d.n_orders(w))),
    _q("h4-pc-products-dec", "per customer and order", "how many different products did we sell last month",
       lambda d: anyof(*sorted({(w := d.within(d.lines, d.last_month))["product_id"].nunique(), w["name"].nunique()}))),
    _q("h4-pc-stores-dec", "per customer and order", "how many stores had at least one sale in december?",
       lambda d: one(d.within(d.orders, "2017-12")["store_id"].nunique())),
    _q("h4-pc-biggest", "per customer and order", "what was our biggest single order?",
       lambda d: one(d.baskets.max())),
    _q("h4-pc-beer-aov", "per customer and order", "avg order value for orders that had beer in them",
       lambda d: anyof(d.baskets[list(ids := set(d.lines.loc[d.lines["category"] == "Beers/Ales", "order_id"]))].mean(),
                       d.rev(d.lines[d.lines["category"] == "Beers/Ales"]) / len(ids)),
       "the whole basket, or the beer in it"),

    # ---- two questions in one
    _q("h4-two-oct", "two in one", "revenue and number of customers in october?",
       lambda d: one(d.rev(w := d.within(d.orders, "2017-10")), d.n_customers(w))),
    _q("h4-two-q1", "two in one", "how many orders did we have in Q1, and what was the AOV?",
       lambda d: one(d.n_orders(w := d.within(d.orders, "2017Q1")), d.rev(w) / d.n_orders(w))),
]

REFUSALS: list[Question] = [
    # data we do not hold
    _q("h4-no-unsub", "not held", "whats our email unsubscribe rate?"),
    _q("h4-no-carts", "not held", "how many carts were abandoned last week"),
    _q("h4-no-ctr", "not held", "click-through rate for campaign 8?"),
    _q("h4-no-profit", "not held", "profit by department for Q4"),
    _q("h4-no-zip", "not held", "which zip code spends the most with us?"),
    _q("h4-no-veg", "not held", "how many of our customers are vegetarian?"),
    _q("h4-no-delivery", "not held", "average delivery time for online orders last month"),
    _q("h4-no-nps", "not held", "what was our NPS last quarter"),
    # names that do not exist in the data
    _q("h4-no-sporting", "unknown names", "how much did the sporting goods department make?"),
    _q("h4-no-coke", "unknown names", "sales of coca-cola last month"),
    _q("h4-no-store", "unknown names", "revenue at store 99999"),
    _q("h4-no-gold", "unknown names", "how many customers are in our gold loyalty tier?"),
    _q("h4-no-typez", "unknown names", "how did the Type Z campaigns do?"),
    # nonsense or out-of-range periods
    _q("h4-no-feb31", "bad periods", "orders placed on 2017-02-31"),
    _q("h4-no-q5", "bad periods", "sales in q5 2017"),
    _q("h4-no-2014", "bad periods", "what was revenue in 2014?"),
    # unknowable from this data
    _q("h4-no-baby", "unknowable", "how many of our shoppers will have a baby next year?"),
    _q("h4-no-weather", "unknowable", "what will the weather be on black friday?"),
]

QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
