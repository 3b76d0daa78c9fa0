"""The fourth TUNING question bank for the offline assistant (session 10, helper tune8). NOT blind.

The lead reads this bank's misses and fixes the planner on them, so its score says how far tuning got, not how
well the planner does on wording it has not seen (the held-out banks measure that). It was written without reading
assistant/offline/*, the parser / planner / periods modules or the planner's tests, and no question is copied from
the other banks' lists; only the grading machinery is imported (tests/question_bank.py: BankData, the Expect
helpers, grade; tests/question_bank_heldout.py: versus, pctl, id_ranked and the name aliases), so every bank is
graded by the same rules.

The questions are written as four people would type them, about a quarter each:

1. a CRM / retention manager: lapsed customers, spend and order thresholds, repeat rate, new vs returning,
   customer counts by household attribute, who bought one thing but not another;
2. a category manager: departments, categories, products, private label (own-brand) share, filtered rankings,
   period-over-period change by category, price per unit, units;
3. a promotions / coupons analyst: campaigns and campaign types, reach, redemptions, redemption rate, coupon and
   retailer discounts, share of orders with a coupon, spend of targeted vs never-targeted households;
4. an exec skimming numbers, typed fast with typos and abbreviations ("rev", "custs", "mnth", "AOV"): totals,
   growth, this month vs last, best month, weekday / hour patterns, concentration, median basket.

They mix in relative periods (last quarter, the past 6 weeks, H2, YTD, since Thanksgiving, the last 3 months),
British spelling ("own-brand", "analyse", "favourite"), filler and context ("for the Monday meeting ..."), and two
questions in one. Every ground truth is an independent pandas expression over the raw workspace tables
(``BankData``); where a question has two reasonable readings both are accepted (``anyof`` / ``either`` /
``versus``). Relative periods anchor on the latest order (2018-01-01 03:09 in the demo data, a Monday): "last
quarter" = 2017-Q4, "last month" = 2017-12, "this month" = 2018-01 (one day), "YTD" = 2018 so far (one day; read
loosely, 2017), "H1" / "H2" = the halves of 2017, "the past 6 weeks" = the 42 days up to the latest order (or the
6 complete Monday-Sunday weeks before it), "the last 3 months" = October-December 2017 (or the 3 months / 90 days
up to the latest order), "since Thanksgiving" = from Thursday 2017-11-23 (or the day after) on. The orders start
on 2017-01-01, so there is no year-over-year question; one asking for it is a refusal.
"""

from __future__ import annotations

import pandas as pd

from tests.question_bank import (BankData, Expect, Question, anyof, either, inactive, month_aliases, one, rank_lines,
                                 ranked)
from tests.question_bank_heldout import hour_aliases, id_ranked, pctl, versus, weekday_aliases

__all__ = ["ANSWERABLE", "REFUSALS", "QUESTIONS"]

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_H1, _H2 = ("2017-01-01", "2017-07-01"), ("2017-07-01", "2018-01-01")


def _q(qid, cat, text, truth=None, note=""):
    return Question(qid, cat, text, truth, note)


# ------------------------------------------------------------------------------------- helpers for the truths
def _amount(g) -> pd.Series:
    return g["amount"].sum()


def _units(g) -> pd.Series:
    return g["quantity"].sum()


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


def _dept(name: str):
    return lambda df: df["department"] == name


def _cat(*names: str):
    return lambda df: df["category"].isin(names)


def _who(ids: set):
    return lambda df: df["customer_id"].isin(ids)


def _half(d: BankData, df: pd.DataFrame, half) -> pd.DataFrame:
    return d.between(df, *half)


def _windows(d: BankData, df: pd.DataFrame, windows, fn) -> Expect:
    return anyof(*sorted({float(fn(d.between(df, a, b))) for a, b in windows}))


def _recent(d: BankData, df: pd.DataFrame, days: int, fn, weeks: int | None = None) -> Expect:
    """A window of the last ``days`` days read the usual ways (``BankData.last_days``), or, for a window given in
    weeks, the ``weeks`` complete Monday-Sunday weeks before the week holding the latest order."""
    frames = d.last_days(df, days)
    if weeks:
        monday = d.latest.normalize() - pd.Timedelta(days=d.latest.dayofweek)
        ts = df["timestamp"]
        frames.append(df[(ts >= monday - pd.Timedelta(weeks=weeks)) & (ts < monday)])
    return anyof(*sorted({float(fn(f)) for f in frames}))


def _last_3_months(d: BankData, df: pd.DataFrame, fn) -> Expect:
    """October-December 2017, or the 3 months / 90 days up to the latest order (from the same time or date 3
    months back, or from the day after it, so that the window ends on the latest date inclusive)."""
    ts, day = df["timestamp"], d.latest.normalize() - pd.DateOffset(months=3)
    frames = [d.within(df, "2017Q4"), df[ts >= d.latest - pd.DateOffset(months=3)], df[ts >= day],
              df[ts >= day + pd.Timedelta(days=1)]] + d.last_days(df, 90)
    return anyof(*sorted({float(fn(f)) for f in frames}))


def _new_set(d: BankData, start: str, end_exclusive: str) -> set:
    f = d.first_order
    return set(f[(f >= pd.Timestamp(start)) & (f < pd.Timestamp(end_exclusive))].index)


def _returning_set(d: BankData, period) -> set:
    p = pd.Period(period) if isinstance(period, str) else period
    return {c for c in _buyers(d.within(d.orders, p)) if d.first_order[c] < p.start_time}


def _inactive_sets(d: BankData, days: int) -> list[set]:
    """Customers with no order in the last ``days`` days, at the three usual cut-offs (as ``inactive``)."""
    last = d.last_order
    cut_ts = d.latest - pd.Timedelta(days=days)
    cut_day = d.latest.normalize() - pd.Timedelta(days=days)
    return [set(last[last < cut_ts].index), set(last[last.dt.normalize() <= cut_day].index),
            set(last[last.dt.normalize() < cut_day].index)]


def _kind_buyers(d: BankData, exact: list[str], word: str) -> list[set]:
    """Who bought a product kind, read three ways: the exact categories, any category with the word, any
    product name with the word."""
    l = d.lines
    return [_buyers(l[l["category"].isin(exact)]),
            _buyers(l[l["category"].fillna("").str.lower().str.contains(word)]),
            _buyers(l[l["name"].fillna("").str.lower().str.contains(word)])]


def _x_not_y(d: BankData, x: tuple[list[str], str], y: tuple[list[str], str]) -> Expect:
    a, b = _kind_buyers(d, *x), _kind_buyers(d, *y)
    pairs = [(a[i], b[i]) for i in range(3)] + [(a[0], b[1]), (a[1], b[0])]
    return anyof(*sorted({len(p - q) for p, q in pairs}))


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


def _type_rate(d: BankData, ctype: str) -> Expect:
    """Redemption rate of one campaign type: redeemers, redemptions or redeeming (campaign, household) pairs of
    that type's campaigns over the households (or the campaign-household pairs) it targeted."""
    c = d.campaigns[d.campaigns["campaign_type"] == ctype]
    r = d.redemptions[d.redemptions["campaign_id"].isin(set(c["campaign_id"]))]
    tops = {r["customer_id"].nunique(), len(r), len(r.drop_duplicates(["campaign_id", "customer_id"]))}
    bottoms = {c["customer_id"].nunique(), len(c.drop_duplicates(["campaign_id", "customer_id"]))}
    return anyof(*sorted({t / b * 100 for t in tops for b in bottoms}))


def _coupon_orders(df: pd.DataFrame) -> set:
    return set(df.loc[df["coupon_discount"] > 0, "order_id"])


def _coupon_order_share(d: BankData, df: pd.DataFrame) -> float:
    return len(_coupon_orders(df)) / d.n_orders(df) * 100


def _top_share(d: BankData, frac: float) -> Expect:
    s = d.spend.sort_values(ascending=False)
    ks = {max(1, int(len(s) * frac)), max(1, -(-int(round(len(s) * frac * 1000)) // 1000))}
    return anyof(*sorted({float(s.iloc[:k].sum() / s.sum() * 100) for k in ks}))


def _size_ranked(values: pd.Series) -> Expect:
    """A ranking of household sizes ("1" .. "5+"): the top one may be named bare (a table row); a runner-up
    counts only with a word beside it (a bare "2" could be any number)."""
    e = ranked(values, aliases=lambda n: (f"household size {n}", f"size {n}", f"{n} people", f"{n}-person",
                                          f"{n} person", n))
    return Expect(e.alternatives, e.name, tuple(r[:-1] for r in e.rivals))


def _weekday_rank(df: pd.DataFrame, fn, ascending: bool = False) -> tuple[Expect, ...]:
    """A weekday ranking over all seven days, or Monday to Friday only ("weekday" read strictly)."""
    work = df[~_weekend(df)]
    return either(ranked(fn(df.groupby(_weekday(df))).astype(float), ascending=ascending, aliases=weekday_aliases),
                  ranked(fn(work.groupby(_weekday(work))).astype(float), ascending=ascending,
                         aliases=weekday_aliases))


def _cat_growth(d: BankData) -> tuple[Expect, ...]:
    """The category that grew most from Q3 to Q4: by the dollar change, or by the percentage change."""
    m = d.merch
    q3 = d.within(m, "2017Q3").groupby("category")["amount"].sum()
    q4 = d.within(m, "2017Q4").groupby("category")["amount"].sum()
    pct = ((q4 / q3 - 1) * 100).dropna()
    return either(ranked(q4.sub(q3, fill_value=0)), ranked(pct[q3.reindex(pct.index) > 0]))


def _private_share(df: pd.DataFrame) -> float:
    return float(df.loc[df["brand"] == "Private", "amount"].sum() / df["amount"].sum() * 100)


def _per_unit(df: pd.DataFrame) -> float:
    return float(df["amount"].sum() / df["quantity"].sum())


# --------------------------------------------------------------------------------------------------- answerable
ANSWERABLE: list[Question] = [
    # ================================================================ 1. CRM / retention manager
    _q("t4-lapsed-60", "retention", "how many customers count as lapsed, meaning no purchase in the last 60 days?",
       lambda d: inactive(d, 60)),
    _q("t4-lapsed-90-value", "retention",
       "what's the total lifetime spend of the customers who haven't bought anything for 90 days?",
       lambda d: anyof(*sorted({float(d.spend[list(s)].sum()) for s in _inactive_sets(d, 90)}))),
    _q("t4-repeat-rate", "retention", "what is our repeat purchase rate (share of customers with 2+ orders)?",
       lambda d: one((d.order_counts >= 2).mean() * 100)),
    _q("t4-q4-multi", "retention",
       "of the people who shopped in Q4, what percentage placed more than one order during the quarter?",
       lambda d: one((d.within(d.orders, "2017Q4").groupby("customer_id")["order_id"].nunique() >= 2).mean() * 100)),
    _q("t4-new-h2", "new vs returning", "how many brand new customers did we pick up in H2?",
       lambda d: one(len(_new_set(d, *_H2)))),
    _q("t4-returning-lastq", "new vs returning", "returning shoppers last quarter - what's the count?",
       lambda d: one(len(_returning_set(d, d.last_quarter)))),
    _q("t4-new-ret-rev-feb", "new vs returning",
       "split february's revenue between new and returning customers please",
       lambda d: one(d.rev(d.of(w := d.within(d.orders, "2017-02"), _new_set(d, "2017-02-01", "2017-03-01"))),
                     d.rev(d.of(w, _returning_set(d, "2017-02"))))),
    _q("t4-first-timers-mar", "new vs returning", "what % of march's shoppers were first-time buyers?",
       lambda d: one(len(_new_set(d, "2017-03-01", "2017-04-01"))
                     / d.n_customers(d.within(d.orders, "2017-03")) * 100)),
    _q("t4-two-new-feb", "two in one",
       "how many new customers came in during february, and how much did they spend that month?",
       lambda d: one(len(n := _new_set(d, "2017-02-01", "2017-03-01")),
                     d.rev(d.of(d.within(d.orders, "2017-02"), n)))),
    _q("t4-hhsize-count", "customer attributes", "customer count by household size - which size do we have most of?",
       lambda d: _size_ranked(d.customers.groupby("household_size")["customer_id"].nunique().astype(float))),
    _q("t4-with-children", "customer attributes", "how many households on file have children?",
       lambda d: anyof(*sorted({len(d.cust(kids_count=["1", "2", "3+"])),
                                len(d.cust(household_comp=["2 Adults Kids", "1 Adult Kids"]))}))),
    _q("t4-renters", "customer attributes", "how many of our customers are renting rather than owning?",
       lambda d: one(len(d.cust(home_ownership="Renter")))),
    _q("t4-age-most", "customer attributes", "which age bracket do most of our customers fall into?",
       lambda d: ranked(d.customers.groupby("age")["customer_id"].nunique().astype(float))),
    _q("t4-income-dec", "customer attributes", "number of 50-74k income households that bought something in december",
       lambda d: one(d.n_customers(d.of(d.within(d.orders, "2017-12"), d.cust(income="50-74K"))))),
    _q("t4-comp-value", "customer attributes",
       "which household composition (e.g. 2 adults with kids) is worth the most per household?",
       lambda d: ranked((w := d.with_customers).groupby("household_comp")["amount"].sum()
                        / w.groupby("household_comp")["customer_id"].nunique())),
    _q("t4-owners-vs-renters", "customer attributes", "spend per household: homeowners vs renters?",
       lambda d: either(versus(_rpc(d, d.of(d.orders, d.cust(home_ownership="Homeowner"))),
                               _rpc(d, d.of(d.orders, d.cust(home_ownership="Renter")))),
                        versus(_rpc(d, d.of(d.orders, d.cust(home_ownership=["Homeowner", "Probable Homeowner"]))),
                               _rpc(d, d.of(d.orders, d.cust(home_ownership="Renter")))))),
    _q("t4-unmarried-since-oct", "customer attributes", "how much have unmarried customers spent since october?",
       lambda d: _windows(d, d.of(d.orders, d.cust(marital_status="Unmarried")),
                          [("2017-10-01", "2018-01-01"), ("2017-10-01", "2018-01-02")], d.rev)),
    _q("t4-coffee-not-milk", "sets", "how many shoppers bought coffee but never bought any milk?",
       lambda d: _x_not_y(d, (["Coffee"], "coffee"), (["Fluid Milk Products"], "milk"))),
    _q("t4-pizza-not-beer", "sets", "households that picked up frozen pizza but no beer - how many?",
       lambda d: _x_not_y(d, (["Frozen Pizza"], "pizza"), (["Beers/Ales"], "beer"))),
    _q("t4-h1-not-h2", "sets", "how many customers bought in the first half of the year but not at all in H2?",
       lambda d: one(len(_buyers(_half(d, d.orders, _H1)) - _buyers(_half(d, d.orders, _H2))))),
    _q("t4-20-orders", "thresholds", "how many households have placed 20 or more orders with us?",
       lambda d: one(int((d.order_counts >= 20).sum()))),
    _q("t4-under-100", "thresholds", "how many customers have spent less than $100 in total, ever?",
       lambda d: anyof(*sorted({int((d.spend < 100).sum()), int((d.spend <= 100).sum())}))),
    _q("t4-freq-q4", "retention", "average number of shopping trips per customer last quarter",
       lambda d: one(d.n_orders(w := d.within(d.orders, d.last_quarter)) / d.n_customers(w))),

    # ================================================================ 2. category manager
    _q("t4-dept-units", "rankings", "which department moves the most units?",
       lambda d: rank_lines(d, "department", _units)),
    _q("t4-grocery-own-brand", "filters", "what's the own-brand share of grocery department sales?",
       lambda d: anyof(_private_share(d.merch[d.merch["department"] == "Grocery"]),
                       _private_share(d.lines[d.lines["department"] == "Grocery"])),
       "over merchandise lines, or over every line of the department"),
    _q("t4-own-brand-dept", "rankings", "which department relies most on private label, as a share of its sales?",
       lambda d: either(ranked(d.merch.groupby("department").apply(_private_share, include_groups=False)),
                        ranked(d.lines.groupby("department").apply(_private_share, include_groups=False)))),
    _q("t4-grocery-top-cats", "rankings", "top five categories in the grocery dept by revenue",
       lambda d: rank_lines(d, "category", _amount, where=_dept("Grocery"))),
    _q("t4-produce-best-q4", "rankings", "best-selling produce item last quarter?",
       lambda d: rank_lines(d, "name", _amount, where=_dept("Produce"), period="2017Q4")),
    _q("t4-cat-growth", "comparisons", "what category saw the biggest jump between Q3 and Q4?", _cat_growth,
       "by the dollar change, or by the percentage change"),
    _q("t4-meat-dec-nov", "comparisons", "meat department sales in december compared with november",
       lambda d: versus(d.rev(d.within(l := d.lines[d.lines["department"] == "Meat"], "2017-12")),
                        d.rev(d.within(l, "2017-11")))),
    _q("t4-soft-drinks-halves", "comparisons", "soft drinks revenue, H2 vs H1?",
       lambda d: versus(d.rev(_half(d, l := d.lines[d.lines["category"] == "Soft Drinks"], _H2)),
                        d.rev(_half(d, l, _H1)))),
    _q("t4-cheese-ppu", "averages", "average price per unit for cheese",
       lambda d: anyof(*sorted({_per_unit(d.lines[d.lines["category"] == "Cheese"]),
                                _per_unit(d.lines[d.lines["category"].isin(["Cheese", "Cheeses"])]),
                                _per_unit(d.lines[d.lines["category"].fillna("").str.contains("Cheese")])}))),
    _q("t4-meat-ppu-rank", "rankings", "in the meat department, which category has the highest price per unit?",
       lambda d: ranked((l := d.lines[d.lines["department"] == "Meat"]).groupby("category")["amount"].sum()
                        / l.groupby("category")["quantity"].sum())),
    _q("t4-milk-units-6w", "filters", "how many units of fluid milk did we sell in the past 6 weeks?",
       lambda d: _recent(d, d.lines[d.lines["category"] == "Fluid Milk Products"], 42, lambda f: f["quantity"].sum(),
                         weeks=6)),
    _q("t4-brand-units", "comparisons", "national brands vs private label: units sold?",
       lambda d: either(versus(float(d.merch.loc[d.merch["brand"] == "National", "quantity"].sum()),
                               float(d.merch.loc[d.merch["brand"] == "Private", "quantity"].sum())),
                        versus(float(d.lines.loc[d.lines["brand"] == "National", "quantity"].sum()),
                               float(d.lines.loc[d.lines["brand"] == "Private", "quantity"].sum())))),
    _q("t4-deli-bottom", "rankings", "worst 3 categories in the deli for sales",
       lambda d: rank_lines(d, "category", _amount, where=_dept("Deli"), ascending=True)),
    _q("t4-beef-hh-dec", "filters", "how many households bought beef in december?",
       lambda d: one(d.n_customers(d.within(d.lines[d.lines["category"] == "Beef"], "2017-12")))),
    _q("t4-n-categories", "totals", "how many different product categories do we actually sell?",
       lambda d: anyof(*sorted({d.lines["category"].nunique(), d.merch["category"].nunique(),
                                d.products["category"].nunique()}))),
    _q("t4-top-own-brand", "rankings", "what's our top selling own-brand product?",
       lambda d: rank_lines(d, "name", _amount, where=lambda df: df["brand"] == "Private")),
    _q("t4-pastry-share", "concentration", "pastry dept share of total revenue, in percent",
       lambda d: anyof(d.rev(d.lines[d.lines["department"] == "Pastry"]) / d.rev(d.lines) * 100,
                       d.rev(d.merch[d.merch["department"] == "Pastry"]) / d.rev(d.merch) * 100)),
    _q("t4-pizza-thanksgiving", "filters", "frozen pizza sales since thanksgiving?",
       lambda d: _windows(d, d.lines[d.lines["category"] == "Frozen Pizza"],
                          [("2017-11-23", "2018-01-02"), ("2017-11-24", "2018-01-02"), ("2017-11-23", "2018-01-01"),
                           ("2017-11-24", "2018-01-01")], d.rev),
       "Thanksgiving 2017 is Thursday 23 November"),
    _q("t4-produce-weekday", "rankings", "which day of the week is strongest for produce sales?",
       lambda d: ranked((p := d.lines[d.lines["department"] == "Produce"]).groupby(_weekday(p))["amount"].sum(),
                        aliases=weekday_aliases)),
    _q("t4-two-snacks", "two in one", "bag snacks: revenue and units in Q4?",
       lambda d: one(d.rev(w := d.within(d.lines[d.lines["category"] == "Bag Snacks"], "2017Q4")),
                     w["quantity"].sum())),

    # ================================================================ 3. promotions / coupons analyst
    _q("t4-type-most-campaigns", "campaigns & coupons", "which campaign type have we run the most campaigns of?",
       lambda d: ranked(d.campaigns.groupby("campaign_type")["campaign_id"].nunique().astype(float))),
    _q("t4-reach-13", "campaigns & coupons", "what was the reach of campaign 13, in households?",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_id"] == "13", "customer_id"].nunique())),
    _q("t4-two-13", "two in one", "campaign 13: how many coupons were redeemed and by how many different households?",
       lambda d: one(len(r := d.redemptions[d.redemptions["campaign_id"] == "13"]), r["customer_id"].nunique())),
    _q("t4-typeB-rate", "campaigns & coupons", "what's the redemption rate for type B campaigns?",
       lambda d: _type_rate(d, "Type B")),
    _q("t4-coupon-h2", "campaigns & coupons", "total coupon discounts given in H2",
       lambda d: one(_half(d, d.orders, _H2)["coupon_discount"].sum())),
    _q("t4-retailer-disc-q4", "discounts", "how much did we give away in retailer discounts last quarter?",
       lambda d: one(d.within(d.orders, d.last_quarter)["discount"].sum())),
    _q("t4-all-disc-2017", "discounts", "coupon and retailer discounts combined, for 2017 as a whole",
       lambda d: one((y := d.within(d.orders, "2017"))["discount"].sum() + y["coupon_discount"].sum())),
    _q("t4-coupon-order-pct", "campaigns & coupons", "what percent of orders used a coupon?",
       lambda d: one(_coupon_order_share(d, d.orders))),
    _q("t4-coupon-dec-share", "campaigns & coupons", "share of december baskets that had a coupon applied",
       lambda d: one(_coupon_order_share(d, d.within(d.orders, "2017-12")))),
    _q("t4-targeted-vs-not", "campaigns & coupons",
       "do households we targeted with a campaign spend more per head than the ones we never targeted?",
       lambda d: versus(_rpc(d, d.of(d.orders, t := set(d.campaigns["customer_id"]))),
                        _rpc(d, d.orders[~d.orders["customer_id"].isin(t)]))),
    _q("t4-untargeted-rev", "campaigns & coupons", "total revenue from customers who were never in any campaign",
       lambda d: one(d.rev(d.orders[~d.orders["customer_id"].isin(set(d.campaigns["customer_id"]))]))),
    _q("t4-typeA-top-redeem", "campaigns & coupons", "among the type A campaigns, which one got the most redemptions?",
       lambda d: _rank_campaigns(d.redemptions[d.redemptions["campaign_id"].map(_type_of(d)) == "Type A"]
                                 .groupby("campaign_id").size().astype(float))),
    _q("t4-redeemers-q4", "campaigns & coupons", "how many different households redeemed a coupon last quarter?",
       lambda d: one(d.within(d.redemptions, d.last_quarter)["customer_id"].nunique())),
    _q("t4-live-1-nov", "campaigns & coupons", "how many campaigns were running on 1 November?",
       lambda d: one(int((((s := _spans(d))["s"] <= pd.Timestamp("2017-11-01"))
                          & (s["e"] >= pd.Timestamp("2017-11-01"))).sum()))),
    _q("t4-redeem-month", "campaigns & coupons", "which month saw the most coupon redemptions?",
       lambda d: ranked(d.redemptions.groupby(_month(d.redemptions)).size().astype(float), aliases=month_aliases)),
    _q("t4-avg-coupon-off", "campaigns & coupons",
       "when a coupon is used, how much does it take off the basket on average?",
       lambda d: anyof((o := d.orders)["coupon_discount"].sum() / len(_coupon_orders(o)),
                       o.loc[o["coupon_discount"] > 0, "coupon_discount"].mean()),
       "per basket with a coupon, or per coupon line"),
    _q("t4-typeC-reach", "campaigns & coupons", "how many households did the type C campaigns reach altogether?",
       lambda d: one(d.campaigns.loc[d.campaigns["campaign_type"] == "Type C", "customer_id"].nunique())),
    _q("t4-redeemer-rev-share", "campaigns & coupons", "what share of our revenue comes from coupon redeemers?",
       lambda d: one(d.rev(d.of(d.orders, set(d.redemptions["customer_id"]))) / d.rev(d.orders) * 100)),

    # ================================================================ 4. exec, typed fast
    _q("t4-rev-ytd", "periods", "rev ytd?",
       lambda d: anyof(d.rev(d.within(d.orders, "2018")), d.rev(d.within(d.orders, "2017"))),
       "2018 so far is one day; read loosely, 2017"),
    _q("t4-two-alltime", "two in one", "tot rev + # of orders, all time",
       lambda d: one(d.rev(d.orders), d.n_orders(d.orders))),
    _q("t4-orders-mth", "comparisons", "orders this mth vs last mth",
       lambda d: either(versus(d.n_orders(d.within(d.orders, d.this_month)),
                               d.n_orders(d.within(d.orders, d.last_month))),
                        versus(d.n_orders(d.within(d.orders, d.last_month)),
                               d.n_orders(d.within(d.orders, d.last_month - 1)))),
       "this month is one day of 2018-01; read loosely, December against November"),
    _q("t4-best-mnth", "rankings", "best mnth for sales in 2017??",
       lambda d: ranked((y := d.within(d.orders, "2017")).groupby(_month(y))["amount"].sum(), aliases=month_aliases)),
    _q("t4-slow-weekday", "rankings", "slowest weekday for rev",
       lambda d: _weekday_rank(d.orders, _amount, ascending=True), "all seven days, or Monday to Friday"),
    _q("t4-peak-hr", "rankings", "peak hr for orders?",
       lambda d: ranked(d.orders.groupby(d.orders["timestamp"].dt.hour)["order_id"].nunique().astype(float),
                        aliases=hour_aliases)),
    _q("t4-h2-growth", "comparisons", "how much did rev grow in H2 vs H1, in %",
       lambda d: versus(d.rev(_half(d, d.orders, _H2)), d.rev(_half(d, d.orders, _H1)))),
    _q("t4-q4-q3-rev", "comparisons", "q4 v q3 revenue growth pls",
       lambda d: versus(d.rev(d.within(d.orders, "2017Q4")), d.rev(d.within(d.orders, "2017Q3")))),
    _q("t4-top5pct", "concentration", "top 5% of custs = what % of rev?", lambda d: _top_share(d, 0.05)),
    _q("t4-top1-share", "concentration", "what % of revenue comes from our single biggest customer?",
       lambda d: one(d.spend.max() / d.spend.sum() * 100)),
    _q("t4-median-basket-q4", "distributions", "median basket last qtr",
       lambda d: pctl(d.within(d.orders, d.last_quarter).groupby("order_id")["amount"].sum(), 0.5)),
    _q("t4-aov-dec", "averages", "for the monday meeting - AOV last month?",
       lambda d: one(_aov(d, d.within(d.orders, d.last_month)))),
    _q("t4-rev-3m", "periods", "revenue over the last 3 months", lambda d: _last_3_months(d, d.orders, d.rev)),
    _q("t4-shoppers-6w", "periods", "no. of shoppers in the past 6 weeks",
       lambda d: _recent(d, d.orders, 42, d.n_customers, weeks=6)),
    _q("t4-weekend-rev-share", "concentration", "wknd share of revenue?",
       lambda d: anyof(d.rev(d.orders[_weekend(d.orders)]) / d.rev(d.orders) * 100)),
    _q("t4-two-q4", "two in one", "q4: number of custs and rev per cust?",
       lambda d: one(d.n_customers(w := d.within(d.orders, "2017Q4")), _rpc(d, w))),
    _q("t4-before-noon", "filters", "what share of orders come in before noon?",
       lambda d: one(d.orders.loc[d.orders["timestamp"].dt.hour < 12, "order_id"].nunique()
                     / d.n_orders(d.orders) * 100)),
    _q("t4-units-per-order-dec", "averages", "avg units per order in dec",
       lambda d: anyof(_upo(d.within(d.orders, "2017-12")),
                       float(d.within(d.merch, "2017-12")["quantity"].sum())
                       / d.n_orders(d.within(d.orders, "2017-12")))),
    _q("t4-best-day", "rankings", "what was our single biggest day for takings, and how much?",
       lambda d: one(d.orders.groupby(d.orders["timestamp"].dt.date)["amount"].sum().max())),
    _q("t4-top-store-q4", "rankings", "which store did the most revenue last quarter? need it for the board pack",
       lambda d: id_ranked(d.within(d.orders, "2017Q4").groupby("store_id")["amount"].sum(), "store")),
]


REFUSALS: list[Question] = [
    _q("t4-no-google-ads", "not held", "what did our google ads cost us last month?"),
    _q("t4-no-cac", "not held", "what did it cost us to acquire each new customer in H2?"),
    _q("t4-no-margin", "not held", "gross margin % on own-brand vs national brands?"),
    _q("t4-no-site-visits", "not held", "how many visits did the website homepage get in december?"),
    _q("t4-no-open-rate", "not held", "what % of our promo emails were opened last quarter?"),
    _q("t4-no-address", "not held", "give me the home address of our biggest spender"),
    _q("t4-no-return-reasons", "not held", "why are people sending stuff back? top return reasons pls"),
    _q("t4-no-nps", "not held", "how has our net promoter score moved this year?"),
    _q("t4-no-aldi", "not held", "are our milk prices higher than aldi's?"),
    _q("t4-no-rain", "not held", "did the rainy weekends in november hurt saturday sales?"),
    _q("t4-no-stock", "not held", "how many cases of soft drinks are sitting in the warehouse right now?"),
    _q("t4-no-2040", "unknowable", "what will our best selling product be in 2040?"),
    _q("t4-no-yoy", "bad periods", "how did Q4 2017 do against Q4 2016?", note="the orders start on 2017-01-01"),
    _q("t4-no-unicorns", "nonsense", "how many unicorns redeemed a coupon on mars at midnight?"),
    _q("t4-no-jewellery", "unknown names", "jewellery department takings last quarter"),
    _q("t4-no-campaign-15", "unknown names", "what was the redemption rate of campaign 15?",
       note="the campaign ids run 1-27 without 15"),
    _q("t4-no-lions", "unknown names", "how many customers sit in the Loyal Lions segment?"),
    _q("t4-no-gucci", "unknown names", "how much Gucci did we sell in december?"),
]


QUESTIONS: list[Question] = ANSWERABLE + REFUSALS
