"""The held-out question bank for the offline assistant (issue 12, build item 8).

Written independently of the planner: its author did not read assistant/offline/* or the planner's own question
files. Every ground truth is an independent pandas expression over ``ws.read_table(...)``; nothing here calls
models.analytics. Definitions follow the semantic layer's one-line definitions (models/analytics/layer.py):

- revenue: sum of line ``amount``; an order is a distinct ``order_id``; a customer is a distinct ``customer_id``.
- relative periods are anchored to the latest order timestamp in the data ("last quarter" = the last complete
  calendar quarter before the one holding that date; "last month" likewise; "this month" = the month holding it).
- product / category / brand / department rankings leave out non-merchandise lines (fuel, gasoline, coupons,
  gift cards, lottery, misc transactions; the rule below is a copy of the layer's documented rule, applied to a
  line's category and department); revenue totals include them.

``grade(question, answer, data)`` returns ("right" | "declined" | "wrong", why):
- an answerable question is RIGHT when, for one of its accepted alternatives, every ground-truth number appears in
  the answer text (numbers parsed as $1,234.56, 12.3%, 1,234, 1.2k, 0.6M; the tolerance is the displayed
  precision — half a unit of the last digit shown — and a number shown coarser than 1% of the truth never counts)
  and, for rankings, the right top item is named before any of the runners-up;
- otherwise DECLINED when the answer contains one of DECLINE_PHRASES (case-insensitive);
- otherwise WRONG. A refusal question is RIGHT only when it is declined.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import pandas as pd

__all__ = ["inactive", "either", "expects_of", "Expect", "Question", "BankData", "ANSWERABLE", "REFUSALS", "QUESTIONS", "DECLINE_PHRASES",
           "parse_numbers", "grade", "run_bank", "summarize", "markdown_table"]

DECLINE_PHRASES = ("can't", "cannot", "don't have", "no such", "not in your data")

# the layer's documented non-merchandise rule (copied as text, not imported: the bank stays independent)
_NON_MERCH = re.compile(r"fuel|gasoline|\bgas\b|coupon|gift ?card|lottery|^tickets?$"
                        r"|^misc(ellaneous|\.)?( items| sales.*| trans.*)?$", re.IGNORECASE)


# ----------------------------------------------------------------------------------------------- expectations
@dataclass(frozen=True)
class Expect:
    """What a right answer must contain: all numbers of at least one alternative, and the top item's name."""

    alternatives: tuple[tuple[float, ...], ...]
    name: tuple[str, ...] = ()  # aliases of the top item (any one)
    rivals: tuple[tuple[str, ...], ...] = ()  # runners-up (aliases each): the top item must be named first

    def describe(self) -> str:
        alts = " | ".join(", ".join(_fmt(v) for v in alt) for alt in self.alternatives)
        return (f"name={self.name[0]!r} " if self.name else "") + f"numbers=[{alts}]"


def _fmt(v: float) -> str:
    return f"{v:,.2f}" if abs(v) < 1e6 else f"{v:,.0f}"


def one(*values: float) -> Expect:
    return Expect((tuple(float(v) for v in values),))


def anyof(*alts) -> Expect:
    return Expect(tuple(tuple(float(v) for v in (a if isinstance(a, (tuple, list)) else (a,))) for a in alts))


def compare(a: float, b: float) -> Expect:
    """A comparison of a (the period asked about) with b: both values, or one of them with the change."""
    diff = a - b
    pct = diff / b * 100 if b else float("nan")
    alts = [(a, b), (a, pct), (b, pct), (diff, pct)]
    return Expect(tuple(tuple(float(v) for v in alt) for alt in alts if not any(math.isnan(v) for v in alt)))


def ranked(values: pd.Series, ascending: bool = False, aliases: Callable[[str], tuple[str, ...]] | None = None,
           n_rivals: int = 3) -> Expect:
    s = values.sort_values(ascending=ascending)
    names = [str(i) for i in s.index]
    alias = aliases or (lambda n: (n,))
    return Expect(((float(s.iloc[0]),),), name=alias(names[0]), rivals=tuple(alias(n) for n in names[1:1 + n_rivals]))


def rank_lines(d: "BankData", by: str, agg: Callable[[pd.core.groupby.DataFrameGroupBy], pd.Series],
               where: Callable[[pd.DataFrame], pd.Series] | None = None, ascending: bool = False,
               period=None) -> Expect:
    """A product-side ranking over merchandise lines (the default). The top item's value over all its lines is
    accepted too (a reader may leave out only whole non-merchandise groups). Runners-up are the next items and
    also the leaders of the unfiltered ranking with and without non-merchandise lines, so an answer that gives
    the overall ranking for a filtered question, or leads with fuel, does not pass by naming the item later."""
    frames = []
    for df in (d.merch, d.lines):
        if period is not None:
            df = d.within(df, period)
        if where is not None:
            df = df[where(df)]
        frames.append(agg(df.groupby(by)))
    e = ranked(frames[0], ascending=ascending, n_rivals=10)
    top = e.name[0]
    raw = frames[1]
    alts = e.alternatives
    if top in raw.index and not math.isclose(float(raw[top]), e.alternatives[0][0]):
        alts = alts + ((float(raw[top]),),)
    wider = [agg(df.groupby(by)).sort_values(ascending=ascending).index[:10] for df in (d.lines, d.merch)]
    rivals = list(e.rivals) + [(str(n),) for idx in wider for n in idx if str(n) != top]
    return Expect(alts, e.name, tuple(dict.fromkeys(rivals)))


def _amount(g) -> pd.Series:
    return g["amount"].sum()


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def month_aliases(label: str) -> tuple[str, ...]:
    y, m = label.split("-")
    name = _MONTHS[int(m) - 1]
    return (label, f"{name} {y}", f"{name[:3]} {y}")


# ------------------------------------------------------------------------------------------------------- data
class BankData:
    """The workspace's tables as pandas frames, and small helpers for the ground truths."""

    def __init__(self, ws) -> None:
        self.path = ws.path  # the workspace folder (a bank may read a fitted artifact, e.g. segment membership)
        self.orders = ws.read_table("orders")
        self.products = ws.read_table("products")
        self.customers = ws.read_table("customers")
        self.campaigns = ws.read_table("campaigns")
        self.redemptions = ws.read_table("coupon_redemptions")
        self.latest = self.orders["timestamp"].max()

    @cached_property
    def lines(self) -> pd.DataFrame:
        """Order lines with their product's department / category / brand / name and the merchandise flag."""
        m = self.orders.merge(self.products, on="product_id", how="left")
        non = (m["category"].astype(object).map(lambda v: isinstance(v, str) and bool(_NON_MERCH.search(v)))
               | m["department"].astype(object).map(lambda v: isinstance(v, str) and bool(_NON_MERCH.search(v))))
        m["merch"] = ~non.astype(bool)
        return m

    @cached_property
    def merch(self) -> pd.DataFrame:
        return self.lines[self.lines["merch"]]

    @cached_property
    def with_customers(self) -> pd.DataFrame:
        return self.orders.merge(self.customers, on="customer_id", how="left")

    # periods, anchored to the latest order
    @property
    def this_quarter(self) -> pd.Period:
        return self.latest.to_period("Q")

    @property
    def last_quarter(self) -> pd.Period:
        return self.this_quarter - 1

    @property
    def this_month(self) -> pd.Period:
        return self.latest.to_period("M")

    @property
    def last_month(self) -> pd.Period:
        return self.this_month - 1

    @staticmethod
    def within(df: pd.DataFrame, period, col: str = "timestamp") -> pd.DataFrame:
        p = pd.Period(period) if isinstance(period, str) else period
        ts = df[col]
        return df[(ts >= p.start_time) & (ts <= p.end_time)]

    @staticmethod
    def between(df: pd.DataFrame, start: str, end_exclusive: str, col: str = "timestamp") -> pd.DataFrame:
        ts = df[col]
        return df[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end_exclusive))]

    def last_days(self, df: pd.DataFrame, days: int) -> list[pd.DataFrame]:
        """The window "last N days", read the ways a person might: N days back from the latest timestamp,
        or N (or N-1) calendar days back from the latest date."""
        d = self.latest.normalize()
        starts = {self.latest - pd.Timedelta(days=days), d - pd.Timedelta(days=days), d - pd.Timedelta(days=days - 1)}
        return [df[df["timestamp"] >= s] for s in sorted(starts)]

    @staticmethod
    def rev(df: pd.DataFrame) -> float:
        return float(df["amount"].sum())

    @staticmethod
    def n_orders(df: pd.DataFrame) -> int:
        return int(df["order_id"].nunique())

    @staticmethod
    def n_customers(df: pd.DataFrame) -> int:
        return int(df["customer_id"].nunique())

    def cust(self, **eq) -> set:
        c = self.customers
        mask = pd.Series(True, index=c.index)
        for col, val in eq.items():
            vals = val if isinstance(val, (list, tuple, set)) else [val]
            mask &= c[col].isin(vals).fillna(False).astype(bool)
        return set(c.loc[mask, "customer_id"])

    def of(self, df: pd.DataFrame, ids: set) -> pd.DataFrame:
        return df[df["customer_id"].isin(ids)]

    @cached_property
    def first_order(self) -> pd.Series:
        return self.orders.groupby("customer_id")["timestamp"].min()

    @cached_property
    def last_order(self) -> pd.Series:
        return self.orders.groupby("customer_id")["timestamp"].max()

    @cached_property
    def spend(self) -> pd.Series:
        return self.orders.groupby("customer_id")["amount"].sum()

    @cached_property
    def order_counts(self) -> pd.Series:
        return self.orders.groupby("customer_id")["order_id"].nunique()

    @cached_property
    def baskets(self) -> pd.Series:
        return self.orders.groupby("order_id")["amount"].sum()


# --------------------------------------------------------------------------------------------------- questions
@dataclass(frozen=True)
class Question:
    id: str
    category: str
    text: str
    truth: Callable[[BankData], Expect] | None = None  # None: must be refused or clarified
    note: str = ""

    @property
    def refusal(self) -> bool:
        return self.truth is None


def _q(qid, cat, text, truth, note=""):
    return Question(qid, cat, text, truth, note)


def _share_top(d: BankData, frac: float) -> float:
    s = d.spend.sort_values(ascending=False)
    k = max(1, int(math.ceil(len(s) * frac - 1e-9)))
    return float(s.iloc[:k].sum() / s.sum() * 100)


def _top_n_share(d: BankData, k: int) -> float:
    s = d.spend.sort_values(ascending=False)
    return float(s.iloc[:k].sum() / s.sum() * 100)


def inactive(d: BankData, days: int) -> Expect:
    """Customers with no order in the last ``days`` days: the three usual cut-offs (timestamp, day inclusive/exclusive)."""
    last = d.last_order
    cut_ts = d.latest - pd.Timedelta(days=days)
    cut_day = d.latest.normalize() - pd.Timedelta(days=days)
    counts = {int((last < cut_ts).sum()), int((last.dt.normalize() <= cut_day).sum()),
              int((last.dt.normalize() < cut_day).sum())}
    return anyof(*sorted(counts))


def _new_in(d: BankData, period) -> int:
    p = pd.Period(period) if isinstance(period, str) else period
    f = d.first_order
    return int(((f >= p.start_time) & (f <= p.end_time)).sum())


def _returning_in(d: BankData, period) -> int:
    p = pd.Period(period) if isinstance(period, str) else period
    buyers = set(d.within(d.orders, p)["customer_id"])
    before = set(d.orders.loc[d.orders["timestamp"] < p.start_time, "customer_id"])
    return len(buyers & before)


def _campaign_reach(d: BankData) -> pd.Series:
    return d.campaigns.groupby("campaign_id")["customer_id"].nunique()


def _redemption_rate(d: BankData) -> Expect:
    redeemers = d.redemptions["customer_id"].nunique()
    targeted = d.campaigns["customer_id"].nunique()
    all_customers = d.orders["customer_id"].nunique()
    return anyof(redeemers / targeted * 100, redeemers / all_customers * 100)


def _hour_names(h) -> tuple[str, ...]:
    h = int(h)
    twelve = f"{(h % 12) or 12}"
    ampm = "am" if h < 12 else "pm"
    return (f"{h}:00", f"{h:02d}:00", f"hour {h}", f"{twelve} {ampm}", f"{twelve}{ampm}", f"{twelve}:00 {ampm}")


def _campaign_names(c: str) -> tuple[str, ...]:
    return (f"campaign {c}", f"campaign #{c}", f"campaign_id {c}", c)


def _rank_campaigns(values: pd.Series) -> Expect:
    """The top campaign may be named by its bare id (a table row); the runners-up only as "campaign N"."""
    e = ranked(values, aliases=_campaign_names)
    return Expect(e.alternatives, e.name, tuple((r[0], f"campaign #{r[-1]}") for r in e.rivals))


def _pct(a: float, b: float) -> float:
    return a / b * 100


ANSWERABLE: list[Question] = [
    # ---- totals over all data
    _q("tot-rev", "totals", "What's our total revenue?", lambda d: one(d.rev(d.orders))),
    _q("tot-orders", "totals", "how many orders have we had in total", lambda d: one(d.n_orders(d.orders))),
    _q("tot-cust", "totals", "How many customers bought from us at least once?",
       lambda d: one(d.n_customers(d.orders))),
    _q("tot-lines", "totals", "how many line items are in the order data?", lambda d: one(len(d.orders))),
    _q("tot-aov", "totals", "what is our average order value?", lambda d: one(d.rev(d.orders) / d.n_orders(d.orders))),
    _q("tot-opc", "totals", "On average how many orders does a customer place?",
       lambda d: one(d.n_orders(d.orders) / d.n_customers(d.orders))),
    _q("tot-rpc", "totals", "whats the avg revenue per customer",
       lambda d: one(d.rev(d.orders) / d.n_customers(d.orders))),
    _q("tot-disc", "totals", "How much did we give away in retailer discounts overall?",
       lambda d: one(d.orders["discount"].sum())),
    _q("tot-cdisc", "totals", "total coupon discount amount across all orders?",
       lambda d: one(d.orders["coupon_discount"].sum())),
    _q("tot-2017", "totals", "What was revenue for 2017?", lambda d: one(d.rev(d.within(d.orders, "2017")))),

    # ---- one period
    _q("per-lastq", "periods", "what was total revenue last quarter?",
       lambda d: one(d.rev(d.within(d.orders, d.last_quarter)))),
    _q("per-lastm-orders", "periods", "How many orders did we get last month?",
       lambda d: one(d.n_orders(d.within(d.orders, d.last_month)))),
    _q("per-march", "periods", "revenue in March 2017", lambda d: one(d.rev(d.within(d.orders, "2017-03")))),
    _q("per-q2-cust", "periods", "how many distinct customers shopped in Q2 2017?",
       lambda d: one(d.n_customers(d.within(d.orders, "2017Q2")))),
    _q("per-h1", "periods", "Total sales in the first half of 2017?",
       lambda d: one(d.rev(d.between(d.orders, "2017-01-01", "2017-07-01")))),
    _q("per-summer", "periods", "what was revenue between June 1 and August 31 2017",
       lambda d: one(d.rev(d.between(d.orders, "2017-06-01", "2017-09-01")))),
    _q("per-90d", "periods", "revenue in the last 90 days",
       lambda d: anyof(*[d.rev(w) for w in d.last_days(d.orders, 90)])),
    _q("per-30d-orders", "periods", "how many orders in the past 30 days?",
       lambda d: anyof(*[d.n_orders(w) for w in d.last_days(d.orders, 30)])),
    _q("per-lastq-aov", "periods", "What was the average basket size last quater?",
       lambda d: one(d.rev(w := d.within(d.orders, d.last_quarter)) / d.n_orders(w))),
    _q("per-nov-disc", "periods", "how much discount did we give in November 2017?",
       lambda d: one(d.within(d.orders, "2017-11")["discount"].sum())),
    _q("per-day", "periods", "What were sales on November 24th 2017?",
       lambda d: one(d.rev(d.within(d.orders, "2017-11-24")))),

    # ---- comparisons of two periods
    _q("cmp-q4q3", "comparisons", "How did revenue in Q4 compare to Q3?",
       lambda d: compare(d.rev(d.within(d.orders, "2017Q4")), d.rev(d.within(d.orders, "2017Q3")))),
    _q("cmp-lastm", "comparisons", "revenue last month vs the month before",
       lambda d: compare(d.rev(d.within(d.orders, d.last_month)), d.rev(d.within(d.orders, d.last_month - 1)))),
    _q("cmp-thism", "comparisons", "this month vs last month revenue?",
       lambda d: compare(d.rev(d.within(d.orders, d.this_month)), d.rev(d.within(d.orders, d.last_month)))),
    _q("cmp-mar-apr-orders", "comparisons", "did we get more orders in April than in March 2017?",
       lambda d: compare(d.n_orders(d.within(d.orders, "2017-04")), d.n_orders(d.within(d.orders, "2017-03")))),
    _q("cmp-q1q2-cust", "comparisons", "compare number of customers Q1 vs Q2 2017",
       lambda d: compare(d.n_customers(d.within(d.orders, "2017Q2")), d.n_customers(d.within(d.orders, "2017Q1")))),
    _q("cmp-grocery-q4q3", "comparisons", "how did Grocery revenue change from Q3 to Q4?",
       lambda d: compare(d.rev(d.within(d.lines[d.lines.department == "Grocery"], "2017Q4")),
                         d.rev(d.within(d.lines[d.lines.department == "Grocery"], "2017Q3")))),
    _q("cmp-aov-h1h2", "comparisons", "Was the average order value higher in the second half of 2017 than the first half?",
       lambda d: compare(d.rev(h2 := d.between(d.orders, "2017-07-01", "2018-01-01")) / d.n_orders(h2),
                         d.rev(h1 := d.between(d.orders, "2017-01-01", "2017-07-01")) / d.n_orders(h1))),
    _q("cmp-dec-nov-softdrinks", "comparisons", "soft drinks sales december vs november 2017",
       lambda d: compare(d.rev(d.within(d.lines[d.lines.category == "Soft Drinks"], "2017-12")),
                         d.rev(d.within(d.lines[d.lines.category == "Soft Drinks"], "2017-11")))),

    # ---- rankings
    _q("rk-dept", "rankings", "Which department brings in the most revenue?",
       lambda d: rank_lines(d, "department", _amount)),
    _q("rk-cat", "rankings", "top 5 categories by revenue", lambda d: rank_lines(d, "category", _amount)),
    _q("rk-prod", "rankings", "what are our best selling products by revenue?",
       lambda d: rank_lines(d, "name", _amount)),
    _q("rk-brand", "rankings", "which brand sells more, national or private label?",
       lambda d: rank_lines(d, "brand", _amount)),
    _q("rk-cat-meat", "rankings", "top categories in the Meat department",
       lambda d: rank_lines(d, "category", _amount, where=lambda df: df.department == "Meat")),
    _q("rk-prod-drug", "rankings", "best sellers in Drug GM?",
       lambda d: rank_lines(d, "name", _amount, where=lambda df: df.department == "Drug Gm")),
    _q("rk-cat-lastq", "rankings", "which category did best last quarter",
       lambda d: rank_lines(d, "category", _amount, period=d.last_quarter)),
    _q("rk-dept-bottom", "rankings", "What are the 3 worst performing departments by revenue?",
       lambda d: rank_lines(d, "department", _amount, ascending=True)),
    _q("rk-cat-units", "rankings", "which categories sell the most units?",
       lambda d: rank_lines(d, "category", lambda g: g["quantity"].sum())),
    _q("rk-store", "rankings", "Which store has the highest sales?",
       lambda d: ranked(d.orders.groupby("store_id")["amount"].sum())),
    _q("rk-cat-orders", "rankings", "what category shows up in the most orders",
       lambda d: rank_lines(d, "category", lambda g: g["order_id"].nunique())),
    _q("rk-prod-produce", "rankings", "top 3 produce items by sales",
       lambda d: rank_lines(d, "name", _amount, where=lambda df: df.department == "Produce")),
    _q("rk-cat-custs", "rankings", "Which category is bought by the most customers?",
       lambda d: rank_lines(d, "category", lambda g: g["customer_id"].nunique())),
    _q("rk-cust", "rankings", "who are our top 10 customers by spend?", lambda d: ranked(d.spend)),
    _q("rk-dept-h1", "rankings", "top departmnets in the first half of 2017",
       lambda d: rank_lines(d, "department", _amount, where=lambda df: df.timestamp < pd.Timestamp("2017-07-01"))),

    # ---- filters (department / category / brand / customer attributes)
    _q("f-grocery", "filters", "How much revenue came from the Grocery department?",
       lambda d: one(d.rev(d.lines[d.lines.department == "Grocery"]))),
    _q("f-produce-lastq", "filters", "produce revenue last quarter",
       lambda d: one(d.rev(d.within(d.lines[d.lines.department == "Produce"], d.last_quarter)))),
    _q("f-private", "filters", "what's the revenue from private label brand products?",
       lambda d: one(d.rev(d.lines[d.lines.brand == "Private"]))),
    _q("f-beef-units", "filters", "how many units of beef did we sell?",
       lambda d: one(d.lines.loc[d.lines.category == "Beef", "quantity"].sum())),
    _q("f-cheese-cust", "filters", "how many customers bought cheese?",
       lambda d: one(d.n_customers(d.lines[d.lines.category == "Cheese"]))),
    _q("f-income", "filters", "revenue from households with income 50-74K",
       lambda d: one(d.rev(d.of(d.orders, d.cust(income="50-74K"))))),
    _q("f-homeowner", "filters", "How much do homeowners spend in total?",
       lambda d: one(d.rev(d.of(d.orders, d.cust(home_ownership="Homeowner"))))),
    _q("f-married-aov", "filters", "average order value for married customers",
       lambda d: one(d.rev(w := d.of(d.orders, d.cust(marital_status="Married"))) / d.n_orders(w))),
    _q("f-kids-orders", "filters", "number of orders from households with 2 adults and kids",
       lambda d: one(d.n_orders(d.of(d.orders, d.cust(household_comp="2 Adults Kids"))))),
    _q("f-age-cust", "filters", "how many customers aged 45-54 do we have?", lambda d: one(len(d.cust(age="45-54")))),
    _q("f-renters-q4", "filters", "revenue from renters in Q4 2017",
       lambda d: one(d.rev(d.within(d.of(d.orders, d.cust(home_ownership="Renter")), "2017Q4")))),
    _q("f-income-low", "filters", "How much revenue did we get from customers earning under 15K?",
       lambda d: one(d.rev(d.of(d.orders, d.cust(income="Under 15K"))))),
    _q("f-milk-store", "filters", "fluid milk sales at store 323",
       lambda d: one(d.rev(d.lines[(d.lines.category == "Fluid Milk Products") & (d.lines.store_id == "323")]))),
    _q("f-pizza-lastm", "filters", "how much frozen pizza did we sell last month (revenue)?",
       lambda d: one(d.rev(d.within(d.lines[d.lines.category == "Frozen Pizza"], d.last_month)))),

    # ---- customer-level thresholds
    _q("th-60d", "thresholds", "how many customers have not bought anything in 60 days?", lambda d: inactive(d, 60)),
    _q("th-90d", "thresholds", "Customers who haven't ordered in the last 90 days - how many?",
       lambda d: inactive(d, 90)),
    _q("th-10orders", "thresholds", "how many customers have placed more than 10 orders?",
       lambda d: one(int((d.order_counts > 10).sum()))),
    _q("th-1000", "thresholds", "how many custmers spent over $1,000 in total?",
       lambda d: one(int((d.spend > 1000).sum()))),
    _q("th-once", "thresholds", "How many one-time buyers do we have (only one order)?",
       lambda d: one(int((d.order_counts == 1).sum()))),
    _q("th-q4-500", "thresholds", "number of customers who spent more than 500 dollars last quarter",
       lambda d: one(int((d.within(d.orders, d.last_quarter).groupby("customer_id")["amount"].sum() > 500).sum()))),
    _q("th-lapsed", "thresholds", "how many customers bought in Q3 2017 but not in Q4?",
       lambda d: one(len(set(d.within(d.orders, "2017Q3").customer_id) - set(d.within(d.orders, "2017Q4").customer_id)))),
    _q("th-50orders", "thresholds", "customers with at least 50 orders: how many are there?",
       lambda d: one(int((d.order_counts >= 50).sum()))),

    # ---- concentration
    _q("con-top10pct", "concentration", "What share of revenue comes from the top 10% of customers?",
       lambda d: one(_share_top(d, 0.10))),
    _q("con-top20pct", "concentration", "how much of our revenue do the top 20% of customers account for?",
       lambda d: one(_share_top(d, 0.20))),
    _q("con-top5", "concentration", "what percent of sales come from our 5 biggest customers?",
       lambda d: one(_top_n_share(d, 5))),
    _q("con-grocery", "concentration", "what share of total revenue is Grocery?",
       lambda d: anyof(_pct(d.rev(d.lines[d.lines.department == "Grocery"]), d.rev(d.orders)),
                       _pct(d.rev(d.merch[d.merch.department == "Grocery"]), d.rev(d.merch)))),
    _q("con-private", "concentration", "Private label share of revenue?",
       lambda d: anyof(_pct(d.rev(d.lines[d.lines.brand == "Private"]), d.rev(d.orders)),
                       _pct(d.rev(d.merch[d.merch.brand == "Private"]), d.rev(d.merch)))),

    # ---- averages and distributions
    _q("avg-median-basket", "distributions", "what's the median order value?", lambda d: one(d.baskets.median())),
    _q("avg-items", "distributions", "how many items are in an average order?",
       lambda d: anyof(len(d.orders) / d.n_orders(d.orders), d.orders["quantity"].sum() / d.n_orders(d.orders))),
    _q("avg-median-spend", "distributions", "median spend per customer?", lambda d: one(d.spend.median())),
    _q("avg-p90-spend", "distributions", "What's the 90th percentile of customer spend?",
       lambda d: anyof(d.spend.quantile(0.9), d.spend.quantile(0.9, interpolation="lower"),
                       d.spend.quantile(0.9, interpolation="higher"))),
    _q("avg-opc-2017q4", "distributions", "average number of orders per customer in Q4?",
       lambda d: one(d.n_orders(w := d.within(d.orders, "2017Q4")) / d.n_customers(w))),

    # ---- time series: which period was highest / lowest
    _q("ts-best-month", "time series", "which month was highest for revenue?",
       lambda d: ranked(d.within(d.orders, "2017").groupby(d.orders.timestamp.dt.strftime("%Y-%m"))["amount"].sum(),
                        aliases=month_aliases)),
    _q("ts-worst-month", "time series", "What was our slowest month in 2017?",
       lambda d: ranked(d.within(d.orders, "2017").groupby(d.orders.timestamp.dt.strftime("%Y-%m"))["amount"].sum(),
                        ascending=True, aliases=month_aliases)),
    _q("ts-weekday", "time series", "which day of the week do we get the most orders?",
       lambda d: ranked(d.orders.groupby(d.orders.timestamp.dt.day_name())["order_id"].nunique())),
    _q("ts-hour", "time series", "what hour of the day is busiest for orders?",
       lambda d: ranked(d.orders.groupby(d.orders.timestamp.dt.hour)["order_id"].nunique(),
                        aliases=_hour_names)),
    _q("ts-best-quarter", "time series", "Which quarter had the most revenue?",
       lambda d: ranked(d.within(d.orders, "2017").groupby(d.orders.timestamp.dt.quarter)["amount"].sum(),
                        aliases=lambda q: (f"2017-Q{q}", f"Q{q} 2017", f"2017Q{q}"))),
    _q("ts-best-month-orders", "time series", "in which month did we have the most orders",
       lambda d: ranked(d.within(d.orders, "2017").groupby(d.orders.timestamp.dt.strftime("%Y-%m"))["order_id"].nunique(),
                        aliases=month_aliases)),

    # ---- new vs returning, repeat share
    _q("nr-new-q1", "new vs returning", "how many new customers did we acquire in Q1 2017?",
       lambda d: one(_new_in(d, "2017Q1"))),
    _q("nr-new-march", "new vs returning", "new customers in March 2017?", lambda d: one(_new_in(d, "2017-03"))),
    _q("nr-ret-dec", "new vs returning", "How many returning customers shopped in December 2017?",
       lambda d: one(_returning_in(d, "2017-12"))),
    _q("nr-repeat", "new vs returning", "what percentage of customers are repeat buyers?",
       lambda d: one(_pct((d.order_counts >= 2).sum(), len(d.order_counts)))),
    _q("nr-new-vs-ret-q2", "new vs returning", "new vs returning customers in Q2 2017",
       lambda d: one(_new_in(d, "2017Q2"), _returning_in(d, "2017Q2"))),

    # ---- campaigns and coupons
    _q("cp-n-campaigns", "campaigns & coupons", "How many campaigns have we run?",
       lambda d: one(d.campaigns["campaign_id"].nunique())),
    _q("cp-reach", "campaigns & coupons", "how many households did our campaigns reach?",
       lambda d: one(d.campaigns["customer_id"].nunique())),
    _q("cp-top-campaign", "campaigns & coupons", "which campaign reached the most customers?",
       lambda d: _rank_campaigns(_campaign_reach(d))),
    _q("cp-type", "campaigns & coupons", "Which campaign type reached the most households?",
       lambda d: ranked(d.campaigns.groupby("campaign_type")["customer_id"].nunique())),
    _q("cp-redemptions", "campaigns & coupons", "how many coupons were redeemed in total?",
       lambda d: one(len(d.redemptions))),
    _q("cp-redeem-lastq", "campaigns & coupons", "number of coupon redemptions last quarter",
       lambda d: one(len(d.within(d.redemptions, d.last_quarter)))),
    _q("cp-redeemers", "campaigns & coupons", "How many customers redeemed at least one coupon?",
       lambda d: one(d.redemptions["customer_id"].nunique())),
    _q("cp-top-redeem", "campaigns & coupons", "which campaign had the most coupon redemptions?",
       lambda d: _rank_campaigns(d.redemptions.groupby("campaign_id").size())),
    _q("cp-rate", "campaigns & coupons", "what's our coupon redemption rate?", _redemption_rate),
    _q("cp-campaign18", "campaigns & coupons", "How many customers were targeted by campaign 18?",
       lambda d: one(d.campaigns.loc[d.campaigns.campaign_id == "18", "customer_id"].nunique())),
    _q("cp-typeA-rev", "campaigns & coupons", "how much revenue came from households in Type A campaigns?",
       lambda d: one(d.rev(d.of(d.orders, set(d.campaigns.loc[d.campaigns.campaign_type == "Type A", "customer_id"]))))),
    _q("cp-redeem-type", "campaigns & coupons", "coupon redemptions by campaign type: which type has the most?",
       lambda d: ranked(d.redemptions.merge(d.campaigns[["campaign_id", "campaign_type"]].drop_duplicates(),
                                            on="campaign_id").groupby("campaign_type").size())),
    _q("cp-cdisc-lastm", "campaigns & coupons", "How much coupon discount was used last month?",
       lambda d: one(d.within(d.orders, d.last_month)["coupon_discount"].sum())),
]

REFUSALS: list[Question] = [
    # data we do not hold
    _q("no-adspend", "not held", "How much did we spend on ads last quarter?", None),
    _q("no-roas", "not held", "what's the ROAS of our Facebook campaigns?", None),
    _q("no-traffic", "not held", "How many website visitors did we have in March?", None),
    _q("no-conv", "not held", "what's our website conversion rate", None),
    _q("no-emails", "not held", "give me the email addresses of our top 10 customers", None),
    _q("no-open", "not held", "what was the open rate of last month's newsletter?", None),
    _q("no-margin", "not held", "which category has the highest profit margin?", None),
    _q("no-cogs", "not held", "what's our gross profit for 2017?", None),
    _q("no-return-reasons", "not held", "why do customers return items? show me return reasons", None),
    _q("no-gender", "not held", "how much do female customers spend compared to men?", None),
    _q("no-location", "not held", "revenue from customers in California", None),
    _q("no-inventory", "not held", "how many units of beef do we have in stock right now?", None),
    _q("no-cac", "not held", "What's our customer acquisition cost?", None),
    # names that do not exist in the data
    _q("no-dept", "unknown names", "revenue in the Electronics department", None),
    _q("no-brand", "unknown names", "how much Nike did we sell last quarter?", None),
    _q("no-segment", "unknown names", "how many customers are in the Platinum VIP segment?", None),
    _q("no-campaign", "unknown names", "how many customers did campaign 999 reach?", None),
    _q("no-store", "unknown names", "sales at the Springfield Mall store", None),
    _q("no-income", "unknown names", "revenue from households earning over 10 million a year", None),
    # nonsense or out-of-range periods
    _q("no-q7", "bad periods", "What was revenue in Q7 2017?", None),
    _q("no-feb30", "bad periods", "how many orders did we get on February 30th?", None),
    _q("no-2012", "bad periods", "revenue in 2012", None),
    _q("no-month13", "bad periods", "sales for the 13th month of 2017", None),
    # things no one can know from this data
    _q("no-2035", "unknowable", "what will our revenue be in 2035?", None),
    _q("no-competitor", "unknowable", "what price will our competitors charge for milk next year?", None),
    _q("no-lottery", "unknowable", "which of our customers will win the lottery?", None),
]

QUESTIONS: list[Question] = ANSWERABLE + REFUSALS


# ------------------------------------------------------------------------------------------------------ grading
_DATES = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{4}-\d{2}\b|\b\d{4}-?Q\d\b|\bQ\d\b|\b\d{1,2}:\d{2}(:\d{2})?\b",
                    re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])([-−+]?)\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s?([kKmMbB]\b|%)?")
_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9}


@dataclass(frozen=True)
class Shown:
    value: float
    half_unit: float  # half a unit of the last digit shown (the displayed precision)


def parse_numbers(text: str) -> list[Shown]:
    """The numbers a reader sees in ``text`` (dates and clock times left out)."""
    clean = _DATES.sub(" ", text.replace("**", ""))
    out = []
    for sign, whole, frac, suffix in _NUMBER.findall(clean):
        digits = whole.replace(",", "") + (frac or "")
        value = float(digits)
        decimals = len(frac) - 1 if frac else 0
        scale = _SCALE.get((suffix or "").lower(), 1.0)
        if sign in ("-", "−"):
            value = -value
        out.append(Shown(value * scale, 0.5 * 10 ** -decimals * scale))
    return out


def _matches(truth: float, shown: Shown) -> bool:
    t, x = abs(truth), abs(shown.value)
    if t == round(t) and shown.half_unit == 0.5:
        return x == t  # a count shown as a whole number is exact: it matches only itself
    if t > 0 and shown.half_unit > 0.01 * t:
        return False  # shown too coarsely to count as this number
    return abs(x - t) <= shown.half_unit * 1.001 + 1e-9 + 5e-5 * t


_FULL_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_EXCLUDING = re.compile(r"exclud|leav|left out|without|not includ|except|non-merchandise", re.IGNORECASE)


def _position(text_l: str, aliases: tuple[str, ...], skip_excluded: bool = False) -> int | None:
    """Where the first of ``aliases`` is named; with ``skip_excluded``, a mention inside a note that the item
    was left out ("excluding fuel, Coupon/Misc Items") does not count."""
    best = None
    # a full date ("2017-01-01" in "2017-01-01 to 2017-12-31") names no month: blank it, keeping positions
    text_l = _FULL_DATE.sub(lambda m: " " * len(m.group()), text_l)
    for a in aliases:
        for m in re.finditer(r"(?<![\w])" + re.escape(a.lower()) + r"(?![\w])", text_l):
            if skip_excluded and _EXCLUDING.search(text_l[max(0, m.start() - 80):m.start()]):
                continue
            if best is None or m.start() < best:
                best = m.start()
            break
    return best


def declined(answer: str) -> bool:
    a = answer.lower().replace("’", "'")
    return any(p in a for p in DECLINE_PHRASES)


def either(*expects: Expect) -> tuple[Expect, ...]:
    """Two defensible readings of one question, each with its own top item and numbers: an answer is right when
    it satisfies one of them completely (a name from one reading with a number from the other does not pass)."""
    return tuple(expects)


def expects_of(truth: "Expect | tuple[Expect, ...]") -> tuple[Expect, ...]:
    """The readings a ground truth accepts (one Expect, or the several of ``either``)."""
    return truth if isinstance(truth, tuple) else (truth,)


def _check(expect: Expect, answer: str, shown: list[Shown]) -> tuple[bool, list[str]]:
    missing_name = ""
    if expect.name:
        text_l = answer.lower()
        pos = _position(text_l, expect.name)
        if pos is None:
            missing_name = f"top item {expect.name[0]!r} not named"
        else:
            earlier = [r[0] for r in expect.rivals
                       if (rp := _position(text_l, r, skip_excluded=True)) is not None and rp < pos]
            if earlier:
                missing_name = f"{earlier[0]!r} named before the top item {expect.name[0]!r}"
    numbers_ok = any(all(any(_matches(v, s) for s in shown) for v in alt) for alt in expect.alternatives)
    why = [missing_name] if missing_name else []
    if not numbers_ok:
        why.append(f"expected {expect.describe()}")
    return numbers_ok and not missing_name, why


def grade(question: Question, answer: str, data: BankData) -> tuple[str, str]:
    """("right" | "declined" | "wrong", why) for one answer."""
    if question.refusal:
        return ("right", "declined") if declined(answer) else ("wrong", "answered a question it must refuse")
    expects = expects_of(question.truth(data))
    shown = parse_numbers(answer)
    whys = []
    for expect in expects:
        ok, why = _check(expect, answer, shown)
        if ok:
            return "right", ""
        whys.append("; ".join(why))
    if declined(answer):
        return "declined", "declined an answerable question"
    return "wrong", " | or | ".join(whys)


# ------------------------------------------------------------------------------------------------ running it
def run_bank(ws, ask: Callable[[str], str], questions: list[Question] | None = None) -> list[dict]:
    """Ask every question (a fresh session each: ``ask`` builds it) and grade the answers."""
    data = BankData(ws)
    rows = []
    for q in questions or QUESTIONS:
        try:
            answer = ask(q.text)
        except Exception as exc:  # a crash is a wrong answer, reported with its reason
            answer = f"<crash: {type(exc).__name__}: {exc}>"
        verdict, why = grade(q, answer, data)
        rows.append({"id": q.id, "category": q.category, "refusal": q.refusal, "question": q.text,
                     "verdict": verdict, "why": why, "answer": answer})
    return rows


def summarize(rows: list[dict]) -> dict:
    ans = [r for r in rows if not r["refusal"]]
    ref = [r for r in rows if r["refusal"]]
    return {"answerable": len(ans), "answerable_right": sum(r["verdict"] == "right" for r in ans),
            "answerable_declined": sum(r["verdict"] == "declined" for r in ans),
            "answerable_wrong": sum(r["verdict"] == "wrong" for r in ans),
            "refusals": len(ref), "refusals_declined": sum(r["verdict"] == "right" for r in ref),
            "refusals_answered": sum(r["verdict"] != "right" for r in ref)}


def markdown_table(rows: list[dict]) -> str:
    cats: dict[tuple[bool, str], list[dict]] = {}
    for r in rows:
        cats.setdefault((r["refusal"], r["category"]), []).append(r)
    lines = ["| set | category | questions | answered right | declined | wrong |", "|---|---|---|---|---|---|"]
    for (refusal, cat), rs in cats.items():
        if refusal:
            lines.append(f"| refusal | {cat} | {len(rs)} | — | {sum(r['verdict'] == 'right' for r in rs)} | "
                         f"{sum(r['verdict'] != 'right' for r in rs)} |")
        else:
            lines.append(f"| answerable | {cat} | {len(rs)} | {sum(r['verdict'] == 'right' for r in rs)} | "
                         f"{sum(r['verdict'] == 'declined' for r in rs)} | {sum(r['verdict'] == 'wrong' for r in rs)} |")
    s = summarize(rows)
    acc = s["answerable_right"] / s["answerable"] if s["answerable"] else 0.0
    lines.append(f"| **answerable** | all | {s['answerable']} | {s['answerable_right']} ({acc:.1%}) | "
                 f"{s['answerable_declined']} | {s['answerable_wrong']} |")
    lines.append(f"| **refusal** | all | {s['refusals']} | — | {s['refusals_declined']} | {s['refusals_answered']} |")
    return "\n".join(lines)
