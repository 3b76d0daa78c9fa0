"""The fifth TUNING question bank for the offline assistant (session 10, helper tune9). NOT blind.

The lead reads this bank's misses and fixes the planner on them, so its score says how far tuning got, not how
well the planner does on wording it has not seen (the held-out banks measure that). It was written without reading
assistant/offline/*, the parser / planner / periods modules or the planner's tests, and no question is copied from
the other banks' lists; only the grading machinery is imported (tests/question_bank.py: BankData, the Expect
helpers, grade; tests/question_bank_heldout.py: versus, pctl, id_ranked and the name aliases), so every bank is
graded by the same rules.

The questions are typed as busy non-analysts type into a chat box: long rambling sentences with the real question
in the middle ("so my manager wants to know, roughly, how many ..."), hedges (approx, ballpark, roughly), polite
wrappers, unusual verbs (rake in, shift, move, pull in, ring up), negations ("did NOT grow"), "excluding" /
"apart from" filters, bottom rankings, per-X averages, weekday / hour questions, household attributes, campaigns,
coupons and redemptions, thresholds, sets (bought X and Y, X but not Y) and period comparisons (this month vs last,
Q4 vs Q3, H2 vs H1, the last 4 weeks vs the 4 before).

Every ground truth is an independent pandas expression over the raw workspace tables (``BankData``); where a
question has two reasonable readings both are accepted (``anyof`` / ``either`` / ``versus``). Relative periods
anchor on the latest order (2018-01-01 03:09 in the demo data, a Monday): "last quarter" = 2017-Q4, "last month" =
2017-12, "this month" = 2018-01 (one day; read loosely, December against November), "H1" / "H2" = the halves of
2017, "the last 4 weeks" = the 28 days up to the latest order (or the 4 complete Monday-Sunday weeks before the
week holding it), and "the 4 before" the 28 days (or 4 weeks) before that. The orders start on 2017-01-01.
"""

from __future__ import annotations

import pandas as pd

from tests.question_bank import BankData, Expect, Question, anyof, either, inactive, one, rank_lines, ranked
from tests.question_bank_heldout import hour_aliases, pctl, versus, weekday_aliases

__all__ = ["ANSWERABLE", "REFUSALS", "QUESTIONS"]

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_H1, _H2 = ("2017-01-01", "2017-07-01"), ("2017-07-01", "2018-01-01")


def _q(qid, cat, text, truth=None, note=""):
    return Question(qid, cat, text, truth, note)


# ------------------------------------------------------------------------------------- helpers for the truths
def _amount(g) -> pd.Series:
    return g["amount"].sum()


def _households(g) -> pd.Series:
    return g["customer_id"].nunique().astype(float)


def _buyers(df: pd.DataFrame) -> set:
    return set(df["customer_id"])


def _aov(d: BankData, df: pd.DataFrame) -> float:
    return d.rev(df) / d.n_orders(df)


def _rpc(d: BankData, df: pd.DataFrame) -> float:
    return d.rev(df) / d.n_customers(df)


def _weekday(df: pd.DataFrame) -> pd.Series:
    return df["timestamp"].dt.dayofweek.map(lambda i: _WEEKDAYS[i])


def _weekend(df: pd.DataFrame) -> pd.Series:
    return df["timestamp"].dt.dayofweek >= 5


def _half(d: BankData, df: pd.DataFrame, half) -> pd.DataFrame:
    return d.between(df, *half)


def _in_half(half):
    return lambda df: (df["timestamp"] >= pd.Timestamp(half[0])) & (df["timestamp"] < pd.Timestamp(half[1]))


def _dept(name: str):
    return lambda df: df["department"] == name


def _new_set(d: BankData, start: str, end_exclusive: str) -> set:
    f = d.first_order
    return set(f[(f >= pd.Timestamp(start)) & (f < pd.Timestamp(end_exclusive))].index)


def _kind_buyers(d: BankData, exact: list[str], word: str) -> list[set]:
    """Who bought a product kind, read three ways: the exact categories, any category with the word, any
    product name with the word."""
    l = d.lines
    return [_buyers(l[l["category"].isin(exact)]),
            _buyers(l[l["category"].fillna("").str.lower().str.contains(word)]),
            _buyers(l[l["name"].fillna("").str.lower().str.contains(word)])]


def _pairs(d: BankData, x: tuple[list[str], str], y: tuple[list[str], str]) -> list[tuple[set, set]]:
    a, b = _kind_buyers(d, *x), _kind_buyers(d, *y)
    return [(a[i], b[i]) for i in range(3)] + [(a[0], b[1]), (a[1], b[0])]


def _x_and_y(d: BankData, x, y) -> Expect:
    return anyof(*sorted({len(p & q) for p, q in _pairs(d, x, y)}))


def _x_not_y(d: BankData, x, y) -> Expect:
    return anyof(*sorted({len(p - q) for p, q in _pairs(d, x, y)}))


def _spans(d: BankData) -> pd.DataFrame:
    return d.campaigns.groupby("campaign_id").agg(s=("start_date", "min"), e=("end_date", "max"))


def _campaign_names(c: str) -> tuple[str, ...]:
    return (f"campaign {c}", f"campaign #{c}", f"campaign_id {c}", c)


def _type_of(d: BankData) -> pd.Series:
    return d.campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["campaign_type"]


def _private_share(df: pd.DataFrame) -> float:
    return float(df.loc[df["brand"] == "Private", "amount"].sum() / df["amount"].sum() * 100)


def _per_unit(df: pd.DataFrame) -> float:
    return float(df["amount"].sum() / df["quantity"].sum())


def _kids(d: BankData) -> tuple[set, set]:
    return d.cust(kids_count=["1", "2", "3+"]), d.cust(kids_count="0")


def _attr_rpc(d: BankData, col: str, ascending: bool = False) -> Expect:
    w = d.with_customers
    return ranked(w.groupby(col)["amount"].sum() / w.groupby(col)["customer_id"].nunique(), ascending=ascending)


def _windows_4w(d: BankData, df: pd.DataFrame, fn) -> tuple[Expect, ...]:
    """The last 4 weeks against the 4 before: 28-day windows ending at the latest order (timestamp or day), or
    the 4 complete Monday-Sunday weeks before the week holding it and the 4 weeks before those."""
    ts = df["timestamp"]
    ends = [d.latest, d.latest.normalize() + pd.Timedelta(days=1),
            d.latest.normalize() - pd.Timedelta(days=d.latest.dayofweek)]
    out = []
    for end in ends:
        mid, start = end - pd.Timedelta(days=28), end - pd.Timedelta(days=56)
        if end == d.latest:
            cur = df[(ts > mid) & (ts <= end)]
            prev = df[(ts > start) & (ts <= mid)]
            out.append(versus(fn(cur), fn(prev)))
            cur, prev = df[(ts >= mid) & (ts <= end)], df[(ts >= start) & (ts < mid)]
        else:
            cur, prev = df[(ts >= mid) & (ts < end)], df[(ts >= start) & (ts < mid)]
        out.append(versus(fn(cur), fn(prev)))
    return either(*out)


def _non_growers(d: BankData) -> Expect:
    """Categories whose Q4 revenue did not beat Q3: over merchandise or all lines, over the categories sold in
    either quarter (a missing quarter counts as zero) or only those sold in Q3."""
    counts = set()
    for df in (d.merch, d.lines):
        q3 = d.within(df, "2017Q3").groupby("category")["amount"].sum()
        q4 = d.within(df, "2017Q4").groupby("category")["amount"].sum()
        both = q3.index.union(q4.index)
        a, b = q3.reindex(both, fill_value=0), q4.reindex(both, fill_value=0)
        counts.add(int((b <= a).sum()))
        counts.add(int((q4.reindex(q3.index, fill_value=0) <= q3).sum()))
    return anyof(*sorted(counts))


def _monthly_per_household(d: BankData) -> Expect:
    """Average spend per household per month: the year's spend per household over 12 (or 13) months, or the
    mean over the months of each month's revenue per household shopping that month."""
    o = d.orders
    y = d.within(o, "2017")
    per_month = lambda df: df.groupby(df["timestamp"].dt.to_period("M")).apply(
        lambda g: g["amount"].sum() / g["customer_id"].nunique(), include_groups=False).mean()
    hh_month = lambda df: df.groupby(["customer_id", df["timestamp"].dt.to_period("M")])["amount"].sum().mean()
    return anyof(*sorted({_rpc(d, y) / 12, _rpc(d, o) / 12, _rpc(d, o) / 13, float(per_month(y)),
                          float(per_month(o)), float(hh_month(y)), float(hh_month(o))}))


def _top_n_share(d: BankData, k: int) -> float:
    s = d.spend.sort_values(ascending=False)
    return float(s.iloc[:k].sum() / s.sum() * 100)


def _live_in(d: BankData, start: str, end: str) -> int:
    s = _spans(d)
    return int(((s["s"] <= pd.Timestamp(end)) & (s["e"] >= pd.Timestamp(start))).sum())


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # ================================================================ customers, retention, households
    _q("t5-lapsed-45", "retention",
       "so my manager wants to know, roughly, how many of our customers haven't bought a thing in the last 45 days?",
       lambda d: inactive(d, 45)),
    _q("t5-spend-per-hh-month", "averages", "ballpark figure: average spend per household per month?",
       _monthly_per_household, "the year over 12 (or 13) months, or the mean of each month's spend per shopper"),
    _q("t5-single-order", "retention",
       "hi! quick one, how many customers only ever placed one single order with us and never came back?",
       lambda d: one(int((d.order_counts == 1).sum()))),
    _q("t5-over-1000", "thresholds", "approx how many households have spent over $1,000 with us in total?",
       lambda d: one(int((d.spend > 1000).sum()))),
    _q("t5-10-orders-2017", "thresholds",
       "could you tell me how many customers placed at least 10 orders during 2017, thanks so much",
       lambda d: one(int((d.within(d.orders, "2017").groupby("customer_id")["order_id"].nunique() >= 10).sum()))),
    _q("t5-new-since-apr", "new vs returning",
       "for the board deck i need roughly how many brand new customers we've pulled in since the start of april",
       lambda d: one(len(_new_set(d, "2017-04-01", "2018-01-02")))),
    _q("t5-nov-also-oct", "retention",
       "of everyone who shopped in november, what percentage had also shopped with us in october?",
       lambda d: one(len(_buyers(d.within(d.orders, "2017-11")) & _buyers(d.within(d.orders, "2017-10")))
                     / d.n_customers(d.within(d.orders, "2017-11")) * 100)),
    _q("t5-kids-vs-none", "customer attributes",
       "i'm curious whether households with kids spend more per household than households without kids, can you check?",
       lambda d: either(versus(_rpc(d, d.of(d.orders, _kids(d)[0])), _rpc(d, d.of(d.orders, _kids(d)[1]))),
                        versus(_rpc(d, d.of(d.orders, d.cust(household_comp=["2 Adults Kids", "1 Adult Kids"]))),
                               _rpc(d, d.of(d.orders, d.cust(household_comp=["2 Adults No Kids",
                                                                             "1 Adult No Kids"])))))),
    _q("t5-income-rings-up", "customer attributes", "which income band rings up the most revenue overall?",
       lambda d: ranked(d.with_customers.groupby("income")["amount"].sum())),
    _q("t5-age-least-per-hh", "customer attributes",
       "which age group spends the least per household on average, roughly?",
       lambda d: _attr_rpc(d, "age", ascending=True)),
    _q("t5-married-q4", "customer attributes", "how many married households shopped with us last quarter, approx?",
       lambda d: one(d.n_customers(d.of(d.within(d.orders, "2017Q4"), d.cust(marital_status="Married"))))),
    _q("t5-single-person-2017", "customer attributes",
       "how much did single-person households bring in over the whole of 2017?",
       lambda d: anyof(*sorted({d.rev(d.of(y := d.within(d.orders, "2017"), d.cust(household_size="1"))),
                                d.rev(d.of(y, d.cust(household_comp="1 Adult No Kids")))}))),
    _q("t5-homeowner-aov", "customer attributes", "what's the average order value for homeowners, please?",
       lambda d: anyof(*sorted({_aov(d, d.of(d.orders, d.cust(home_ownership="Homeowner"))),
                                _aov(d, d.of(d.orders, d.cust(home_ownership=["Homeowner",
                                                                              "Probable Homeowner"])))}))),
    _q("t5-big-households", "customer attributes", "how many households of five or more people do we have on file?",
       lambda d: one(len(d.cust(household_size="5+")))),
    _q("t5-unmarried-share", "customer attributes",
       "among customers where we know marital status, what percent are unmarried?",
       lambda d: one(len(d.cust(marital_status="Unmarried"))
                     / len(d.cust(marital_status=["Married", "Unmarried"])) * 100)),
    _q("t5-median-orders", "distributions", "what's the median number of orders a customer places with us?",
       lambda d: pctl(d.order_counts, 0.5)),
    _q("t5-top10-share", "concentration",
       "how dependent are we on the big spenders - what share of revenue comes from our top 10 customers?",
       lambda d: one(_top_n_share(d, 10))),
    _q("t5-q4-new-rev", "new vs returning",
       "how much of last quarter's revenue came from people who first shopped with us during that quarter?",
       lambda d: anyof(d.rev(r := d.of(q := d.within(d.orders, "2017Q4"), _new_set(d, "2017-10-01", "2018-01-01"))),
                       d.rev(r) / d.rev(q) * 100), "in dollars, or as a share of the quarter"),

    # ================================================================ products, categories, departments
    _q("t5-worst-3-depts", "rankings",
       "what are the worst 3 departments for sales, like the ones that barely move anything?",
       lambda d: rank_lines(d, "department", _amount, ascending=True)),
    _q("t5-cats-not-grow", "comparisons", "how many categories did NOT grow from Q3 to Q4?", _non_growers,
       "merchandise or all lines; categories of either quarter or of Q3"),
    _q("t5-produce-apart-salad", "filters",
       "apart from salad mix, what's the top selling category in the produce department?",
       lambda d: rank_lines(d, "category", _amount,
                            where=lambda df: (df["department"] == "Produce") & (df["category"] != "Salad Mix"))),
    _q("t5-grocery-excl-soft", "filters",
       "grocery department revenue last quarter, excluding soft drinks?",
       lambda d: one(d.rev((g := d.within(d.lines, "2017Q4"))[(g["department"] == "Grocery")
                                                             & (g["category"] != "Soft Drinks")]))),
    _q("t5-beef-units-dec-nov", "comparisons", "did we shift more units of beef in december than in november?",
       lambda d: versus(float(d.within(b := d.lines[d.lines["category"] == "Beef"], "2017-12")["quantity"].sum()),
                        float(d.within(b, "2017-11")["quantity"].sum()))),
    _q("t5-top-cat-h2", "rankings", "which category raked in the most money in the second half of the year?",
       lambda d: rank_lines(d, "category", _amount, where=_in_half(_H2))),
    _q("t5-own-brand-dec", "filters", "ballpark, what share of december sales was our own brand (private label)?",
       lambda d: anyof(_private_share(d.within(d.merch, "2017-12")), _private_share(d.within(d.lines, "2017-12")))),
    _q("t5-cheese-and-milk", "sets", "how many customers bought both cheese and milk at some point?",
       lambda d: _x_and_y(d, (["Cheese", "Cheeses"], "cheese"), (["Fluid Milk Products"], "milk"))),
    _q("t5-beer-not-wine", "sets", "how many households bought beer but never bought any wine?",
       lambda d: _x_not_y(d, (["Beers/Ales"], "beer"), (["Domestic Wine", "Imported Wine", "Misc Wine"], "wine"))),
    _q("t5-dept-most-hh", "rankings", "which department do the most households buy from?",
       lambda d: rank_lines(d, "department", _households)),
    _q("t5-soft-ppu", "averages", "roughly what do we get per unit for soft drinks on average?",
       lambda d: one(_per_unit(d.lines[d.lines["category"] == "Soft Drinks"]))),
    _q("t5-produce-worst-q4", "rankings", "which produce category did the worst last quarter in sales?",
       lambda d: rank_lines(d, "category", _amount, where=_dept("Produce"), ascending=True, period="2017Q4")),
    _q("t5-meat-share-no-fuel", "concentration",
       "what share of sales does the meat department make up if we leave fuel out of the total?",
       lambda d: anyof(d.rev(d.lines[d.lines["department"] == "Meat"])
                       / d.rev(d.lines[d.lines["department"] != "Fuel"]) * 100,
                       d.rev(d.merch[d.merch["department"] == "Meat"]) / d.rev(d.merch) * 100)),
    _q("t5-pizza-weekend", "comparisons", "frozen pizza: how much do we ring up at weekends compared to weekdays?",
       lambda d: versus(d.rev((p := d.lines[d.lines["category"] == "Frozen Pizza"])[_weekend(p)]),
                        d.rev(p[~_weekend(p)]))),
    _q("t5-chicken-hh-h2", "filters", "how many different households bought chicken in H2, roughly?",
       lambda d: one(d.n_customers(_half(d, d.lines[d.lines["category"] == "Chicken"], _H2)))),
    _q("t5-drug-top-excl-cig", "filters",
       "in drug gm, leaving cigarettes aside, which category pulls in the most revenue?",
       lambda d: rank_lines(d, "category", _amount,
                            where=lambda df: (df["department"] == "Drug Gm") & (df["category"] != "Cigarettes"))),

    # ================================================================ campaigns, coupons, discounts
    _q("t5-n-type-b", "campaigns & coupons", "so how many type B campaigns did we actually run, roughly?",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_type"] == "Type B", "campaign_id"].nunique())),
    _q("t5-redeem-h2-h1", "campaigns & coupons", "coupon redemptions in H2 versus H1 - did they go up or down?",
       lambda d: versus(len(_half(d, d.redemptions, _H2)), len(_half(d, d.redemptions, _H1)))),
    _q("t5-redeemer-vs-not", "campaigns & coupons",
       "what does a household that redeemed at least one coupon spend in total on average, versus one that never did?",
       lambda d: versus(_rpc(d, d.of(d.orders, r := set(d.redemptions["customer_id"]))),
                        _rpc(d, d.orders[~d.orders["customer_id"].isin(r)]))),
    _q("t5-reach-26", "campaigns & coupons", "how many households actually got campaign 26?",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_id"] == "26", "customer_id"].nunique())),
    _q("t5-coupon-dec-nov", "campaigns & coupons",
       "did we give away more in coupon discounts in december than in november?",
       lambda d: versus(float(d.within(d.orders, "2017-12")["coupon_discount"].sum()),
                        float(d.within(d.orders, "2017-11")["coupon_discount"].sum()))),
    _q("t5-longest-campaign", "campaigns & coupons", "which campaign ran the longest, start to finish?",
       lambda d: (lambda e: Expect(anyof(float(e.alternatives[0][0]), float(e.alternatives[0][0]) + 1).alternatives,
                                   e.name, tuple((r[0], r[1]) for r in e.rivals)))(
           ranked(((s := _spans(d))["e"] - s["s"]).dt.days.astype(float), aliases=_campaign_names)),
       "its length in days, counting the end day or not"),
    _q("t5-type-c-redeemed", "campaigns & coupons", "how many coupons from type C campaigns got redeemed?",
       lambda d: one(int((d.redemptions["campaign_id"].map(_type_of(d)) == "Type C").sum()))),
    _q("t5-targeted-never-redeemed", "campaigns & coupons",
       "how many households were targeted by at least one campaign but never redeemed anything?",
       lambda d: one(len(set(d.campaigns["customer_id"]) - set(d.redemptions["customer_id"])))),
    _q("t5-retailer-disc-pct", "discounts", "approx what percent of revenue do we give back as retailer discounts?",
       lambda d: one(d.orders["discount"].sum() / d.rev(d.orders) * 100)),
    _q("t5-live-dec", "campaigns & coupons", "how many campaigns were live at some point during december?",
       lambda d: one(_live_in(d, "2017-12-01", "2017-12-31"))),
    _q("t5-redeemers-h2", "campaigns & coupons", "roughly how many households redeemed a coupon in the second half?",
       lambda d: one(d.n_customers(_half(d, d.redemptions, _H2)))),

    # ================================================================ periods, time of day, exec totals
    _q("t5-rev-month-vs-last", "comparisons", "this month vs last month, how's revenue looking?",
       lambda d: either(versus(d.rev(d.within(d.orders, d.this_month)), d.rev(d.within(d.orders, d.last_month))),
                        versus(d.rev(d.within(d.orders, d.last_month)),
                               d.rev(d.within(d.orders, d.last_month - 1)))),
       "this month is one day of 2018-01; read loosely, December against November"),
    _q("t5-orders-q4-q3", "comparisons", "could you compare the number of orders in Q4 with Q3 for me please?",
       lambda d: versus(d.n_orders(d.within(d.orders, "2017Q4")), d.n_orders(d.within(d.orders, "2017Q3")))),
    _q("t5-shoppers-h2-h1", "comparisons", "did more people shop with us in H2 than in H1?",
       lambda d: versus(d.n_customers(_half(d, d.orders, _H2)), d.n_customers(_half(d, d.orders, _H1)))),
    _q("t5-4w-vs-prior", "comparisons", "revenue for the last 4 weeks vs the 4 weeks before that?",
       lambda d: _windows_4w(d, d.orders, d.rev), "28-day windows, or complete Monday-Sunday weeks"),
    _q("t5-busiest-weekday-dec", "rankings", "which day of the week was busiest in december, by number of orders?",
       lambda d: ranked((w := d.within(d.orders, "2017-12")).groupby(_weekday(w))["order_id"].nunique().astype(float),
                        aliases=weekday_aliases)),
    _q("t5-after-6pm-share", "filters", "what share of our revenue comes in after 6pm?",
       lambda d: anyof(d.rev(d.orders[d.orders["timestamp"].dt.hour >= 18]) / d.rev(d.orders) * 100,
                       d.rev(d.orders[d.orders["timestamp"].dt.hour >= 19]) / d.rev(d.orders) * 100),
       "from 18:00, or from 19:00 (after the 6 o'clock hour)"),
    _q("t5-quietest-hour", "rankings", "what's the quietest hour of the day for orders?",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["order_id"].nunique().astype(float),
                        ascending=True, aliases=hour_aliases)),
    _q("t5-sunday-aov", "averages", "average basket on sundays - ballpark?",
       lambda d: one(_aov(d, d.orders[d.orders["timestamp"].dt.dayofweek == 6]))),
    _q("t5-worst-quarter", "rankings", "which quarter of 2017 pulled in the least revenue?",
       lambda d: ranked((y := d.within(d.orders, "2017")).groupby(y["timestamp"].dt.quarter)["amount"].sum(),
                        ascending=True, aliases=lambda q: (f"2017-Q{q}", f"Q{q} 2017", f"2017Q{q}", f"Q{q}"))),
    _q("t5-opc-h2", "averages", "approximately how many orders did each customer place in H2, on average?",
       lambda d: one(d.n_orders(h := _half(d, d.orders, _H2)) / d.n_customers(h))),
    _q("t5-daily-dec", "averages", "on an average day in december, how much revenue did we take?",
       lambda d: anyof(*sorted({d.rev(w := d.within(d.orders, "2017-12")) / 31,
                                d.rev(w) / w["timestamp"].dt.date.nunique()}))),
    _q("t5-weekend-orders-q4", "filters", "how many orders did we get on weekends last quarter?",
       lambda d: one(d.n_orders((q := d.within(d.orders, "2017Q4"))[_weekend(q)]))),
    _q("t5-two-dec", "two in one",
       "in december, how many orders did we get and what was the average basket in dollars?",
       lambda d: one(d.n_orders(w := d.within(d.orders, "2017-12")), _aov(d, w))),
    _q("t5-rev-no-fuel", "filters", "what's total revenue for 2017 if you take fuel out?",
       lambda d: anyof(*sorted({d.rev((y := d.within(d.lines, "2017"))[y["department"] != "Fuel"]),
                                d.rev(y[y["merch"]])}))),
]


REFUSALS: list[Question] = [
    _q("t5-no-margin", "not held",
       "my boss is asking what our gross margin was on beef last quarter, can you pull that?"),
    _q("t5-no-fb-ads", "not held", "roughly how much did we spend on facebook ads in december?"),
    _q("t5-no-email-clicks", "not held", "how many people clicked the links in our november newsletter?"),
    _q("t5-no-web", "not held", "how many hits did the online store get on black friday?"),
    _q("t5-no-returns-why", "not held", "what reasons do customers give most often when they bring something back?"),
    _q("t5-no-stock", "not held", "how many bottles of wine are left on the shelves at the moment?"),
    _q("t5-no-staff", "not held", "which cashier rang up the most sales in december?"),
    _q("t5-no-weather", "not held", "did the cold snap in december push soup sales up?"),
    _q("t5-no-2031", "unknowable", "what will our revenue be in december 2031?"),
    _q("t5-no-dragons", "nonsense", "how many dragons redeemed moon coupons on a tuesday on jupiter?"),
    _q("t5-no-samsung", "unknown names", "how much samsung stuff did we sell last quarter?"),
    _q("t5-no-sporting", "unknown names", "what did the sporting goods department take in H2?"),
    _q("t5-no-campaign-31", "unknown names", "how many households redeemed coupons from campaign 31?",
       note="the campaign ids run 1-27"),
    _q("t5-no-seg-warriors", "unknown names", "how many customers are in the weekend warriors segment?"),
]


QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
