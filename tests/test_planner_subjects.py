"""Analytics questions about customers as the ranked subject, per-customer and per-order distributions, stored
values named in everyday words (private label, household composition, store numbers, a category's first words),
campaign questions, and filler words that must not block an answer (issue 12). End to end on a 300-household
Complete Journey slice; every expected number is computed here by pandas, independently of the engine. The
wording is this file's own."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from models.analytics.layer import is_non_merchandise
from tests.planner_fixtures import DECLINE, one_embedding_thread, session, ws  # noqa: F401 (fixtures)



@pytest.fixture(scope="module")
def L(ws):
    o = ws.read_table("orders")
    p = ws.read_table("products")
    df = o.merge(p, on="product_id", how="left")
    for c in ("category", "department", "brand"):
        df[c] = df[c].fillna("Unknown")
    df["day"] = df["timestamp"].dt.normalize()
    return df


def money(x: float) -> str:
    return f"${round(x, 2):,.2f}"


def ask(session, q):
    res = session.ask(q)
    return res.answer, res.tool_calls


def _merch(df):
    bad = df["category"].map(is_non_merchandise).astype(bool) | df["department"].map(is_non_merchandise).astype(bool)
    return df[~bad]


# --- customers as the ranked subject ------------------------------------------------------------------------------
def test_biggest_spenders_ranked(session, L):
    a, calls = ask(session, "list the 3 biggest customers by revenue")
    s = L.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    assert calls and calls[0]["args"].get("by") == ["customer"], (a, calls)
    for cid, v in s.head(3).items():
        assert str(cid) in a and money(v) in a, a
    assert a.index(str(s.index[0])) < a.index(str(s.index[1]))


def test_lowest_order_counts(session, L):
    a, calls = ask(session, "bottom 5 households by number of orders in 2017")
    assert calls and calls[0]["args"].get("by") == ["customer"] and calls[0]["args"].get("descending") is False, calls
    w = L[(L.day >= "2017-01-01") & (L.day <= "2017-12-31")]
    n = w.groupby("customer_id")["order_id"].nunique().sort_values()
    assert f"**{n.iloc[0]:,}**" in a, a


def test_share_of_n_biggest_customers(session, L):
    a, _ = ask(session, "how much of our revenue is from the top 10 customers, as a percentage?")
    s = L.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    assert f"{100 * s.head(10).sum() / s.sum():.1f}%" in a and money(s.head(10).sum()) in a, a


def test_who_spent_most(session, L):
    a, _ = ask(session, "which shopper spent the most last quarter?")
    w = L[(L.day >= "2017-10-01") & (L.day <= "2017-12-31")]
    s = w.groupby("customer_id")["amount"].sum()
    assert str(s.idxmax()) in a and money(s.max()) in a, a


# --- distributions and per-order / per-customer averages -------------------------------------------------------------
def test_median_customer_spend(session, L):
    a, calls = ask(session, "what is the median amount a household spends with us?")
    s = L.groupby("customer_id")["amount"].sum()
    assert money(float(np.quantile(s, 0.5))) in a, (a, calls)


def test_percentile_of_customer_orders(session, L):
    a, _ = ask(session, "75th percentile of orders per customer")
    n = L.groupby("customer_id")["order_id"].nunique()
    v = float(np.quantile(n, 0.75))
    assert (f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}") in a, a


def test_lines_and_units_per_basket(session, L):
    a, _ = ask(session, "on average, how many products do shoppers put in a basket?")
    orders = L["order_id"].nunique()
    assert f"{len(L) / orders:,.2f}" in a and f"{L['quantity'].fillna(1).sum() / orders:,.2f}" in a, a


def test_orders_per_household(session, L):
    a, _ = ask(session, "how many trips does the typical household make in 2017?")
    w = L[(L.day >= "2017-01-01") & (L.day <= "2017-12-31")]
    assert f"{w.order_id.nunique() / w.customer_id.nunique():,.2f}" in a, a


# --- values in everyday words -------------------------------------------------------------------------------------
def test_store_brand_units(session, L):
    a, _ = ask(session, "units sold of store brand products in December")
    w = L[(L.brand == "Private") & (L.day >= "2017-12-01") & (L.day <= "2017-12-31")]
    assert f"{int(w['quantity'].fillna(1).sum()):,}" in a, a


def test_household_composition_words(session, L, ws):
    c = ws.read_table("customers")
    ids = set(c[c["household_comp"] == "2 Adults No Kids"]["customer_id"])
    a, _ = ask(session, "revenue from couples without kids")
    assert money(L[L.customer_id.isin(ids)]["amount"].sum()) in a, a
    ids1 = set(c[c["household_comp"] == "1 Adult No Kids"]["customer_id"])
    a, _ = ask(session, "how many single adults shopped in 2017")
    w = L[(L.day >= "2017-01-01") & (L.day <= "2017-12-31") & L.customer_id.isin(ids1)]
    assert f"**{w.customer_id.nunique():,}**" in a, a


def test_store_number_filter(session, L):
    store = L["store_id"].astype(str).value_counts().index[0]
    a, calls = ask(session, f"orders at store {store} in Q3 2017")
    w = L[(L.store_id.astype(str) == store) & (L.day >= "2017-07-01") & (L.day <= "2017-09-30")]
    assert f"**{w.order_id.nunique():,}**" in a, (a, calls)


def test_category_named_by_its_first_words(session, L):
    names = [c.lower() for c in L.category.unique()] + [d.lower() for d in L.department.unique()]
    pick = [c for c in sorted(L.category.unique()) if len(c.split()) >= 3 and len(c.split()[0]) >= 4
            and sum(n.startswith(" ".join(c.lower().split()[:2])) for n in names) == 1
            and not any(n in (c.lower().split()[0], " ".join(c.lower().split()[:2])) for n in names)]
    cat = pick[0]
    first = " ".join(cat.split()[:2]).lower()
    a, _ = ask(session, f"{first} sales in 2017")
    w = L[(L.category == cat) & (L.day >= "2017-01-01") & (L.day <= "2017-12-31")]
    assert money(w.amount.sum()) in a and cat in a, a


def test_products_ranked_inside_a_department(session, L):
    a, calls = ask(session, "top sellers in the produce department")
    s = _merch(L[L.department == "Produce"]).groupby("name")["amount"].sum().sort_values(ascending=False)
    assert calls and calls[0]["args"].get("by") == ["product"], calls
    assert s.index[0] in a and money(s.iloc[0]) in a, a


def test_category_with_most_buyers(session, L):
    a, _ = ask(session, "what department do the most households buy from?")
    s = _merch(L).groupby("department")["customer_id"].nunique().sort_values(ascending=False)
    assert s.index[0] in a and f"{s.iloc[0]:,}" in a, a


# --- campaigns and coupons ----------------------------------------------------------------------------------------
def test_campaign_with_widest_reach(session, ws):
    c = ws.read_table("campaigns")
    s = c.groupby(c.campaign_id.astype(str))["customer_id"].nunique().sort_values(ascending=False)
    a, _ = ask(session, "which campaign targeted the most households?")
    assert f"campaign {s.index[0]}" in a and f"{s.iloc[0]:,}" in a, a


def test_unknown_campaign_number_declined(session, ws):
    a, calls = ask(session, "redemptions for campaign number 4321")
    assert "no such campaign" in a.lower() and not calls, a


def test_customers_who_used_coupons(session, ws):
    r = ws.read_table("coupon_redemptions")
    a, _ = ask(session, "how many households have used a coupon at least once?")
    assert f"**{r.customer_id.nunique():,}**" in a, a


def test_revenue_of_households_targeted_by_type(session, ws, L):
    c = ws.read_table("campaigns")
    t = sorted(c.campaign_type.dropna().unique())[-1]
    ids = set(c[c.campaign_type == t].customer_id)
    a, _ = ask(session, f"total sales from customers in {t} campaigns")
    assert money(L[L.customer_id.isin(ids)]["amount"].sum()) in a and "targeted" in a, a


def test_redemption_rate_both_readings(session, ws):
    c, r = ws.read_table("campaigns"), ws.read_table("coupon_redemptions")
    pairs = set(zip(c.customer_id, c.campaign_id))
    red = pairs & set(zip(r.customer_id, r.campaign_id))
    a, _ = ask(session, "what is the redemption rate of our coupons")
    assert f"{100 * len(red) / len(pairs):.1f}%" in a, a
    assert f"{100 * len({x for x, _ in red}) / c.customer_id.nunique():.1f}%" in a, a


# --- filler words, labels -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("q,col", [("how much did we give away in discounts in 2017", "discount"),
                                   ("coupon discounts used in 2017", "coupon_discount")])
def test_filler_words_do_not_block(session, L, q, col):
    a, _ = ask(session, q)
    w = L[(L.day >= "2017-01-01") & (L.day <= "2017-12-31")]
    assert not DECLINE.search(a) and money(w[col].sum()) in a, a


def test_new_and_returning_together(session, L):
    a, _ = ask(session, "new versus returning customers in Q3 2017")
    first = L.groupby("customer_id")["day"].min()
    w = L[(L.day >= "2017-07-01") & (L.day <= "2017-09-30")]
    buyers = set(w.customer_id)
    new = sum(1 for x in buyers if first[x] >= pd.Timestamp("2017-07-01"))
    assert f"**{new:,}**" in a and f"**{len(buyers) - new:,}**" in a, a


def test_busiest_hour_shown_as_clock_time(session, L):
    a, _ = ask(session, "at what hour do we get the most orders?")
    s = L.groupby(L.timestamp.dt.hour)["order_id"].nunique()
    assert f"{int(s.idxmax()):02d}:00" in a, a


# --- review metrics (issue 18 layer metrics) as parsed: the router sends these to query_data ---------------------
@pytest.mark.parametrize("q,metric,by", [
    ("mean star rating per month", "avg_rating", ["month"]),
    ("which category is rated lowest", "avg_rating", ["category"]),
    ("number of reviews by product", "review_count", ["product"]),
    ("proportion of 1-2 star reviews each month", "share_negative", ["month"]),
])
def test_review_metrics_parse(q, metric, by):
    from assistant.offline.query_parse import Vocab, parse_query

    v = Vocab(metrics={m: m for m in ("revenue", "avg_rating", "review_count", "share_negative")},
              dimensions={d: d for d in ("month", "product", "category")})
    p = parse_query(q, v)
    assert p.spec["metrics"] == [metric] and p.spec.get("by") == by and not p.ignored, (q, p)


def test_review_topic_search_is_not_a_metric():
    from assistant.offline.query_parse import Vocab, parse_query

    v = Vocab(metrics={m: m for m in ("revenue", "avg_rating", "review_count", "share_negative")},
              dimensions={"month": "month"})
    assert not {"avg_rating", "review_count", "share_negative"} & set(
        parse_query("what do reviews say about the packaging", v).spec["metrics"])
    p = parse_query("% of one-star reviews", v)
    assert p.spec["metrics"] == ["share_negative"] and any("1- and 2-star" in x for x in p.problems)
