"""The offline planner on ad-hoc analytics questions, end to end (`mka ask` path: router -> QuerySpec -> query_data
-> answer), on a real 300-household Complete Journey slice. Every expected number is computed here with pandas
from ws.read_table, independently of the engine; refusals must name what cannot be done.

Wording here was written as a dev set for issue 12 and is NOT the wording the parser's lexicon was tuned on; the
accuracy is written to the test summary (see the note in /work/wt/notes/12-planner.md).
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from assistant.agent import build_agent
from assistant.offline import OfflinePlanner
from assistant.session import ChatSession
from models.analytics.layer import is_non_merchandise
from models.data.workspace import Workspace
from tests.planner_fixtures import DECLINE, one_embedding_thread  # noqa: F401 (fixture)
from tools import ToolContext, build_tools



@pytest.fixture(scope="module")
def ws(tmp_path_factory, cj_small):
    w = Workspace(tmp_path_factory.mktemp("planner_analytics") / "ws")
    w.ingest(cj_small)
    return w


@pytest.fixture(scope="module")
def session(ws):
    from assistant.offline.router import Router

    ctx = ToolContext(ws)
    return ChatSession(build_agent(OfflinePlanner(context=ctx, router=Router()), build_tools(ctx)), "offline")


@pytest.fixture(scope="module")
def lines(ws):
    o = ws.read_table("orders")
    p = ws.read_table("products")
    df = o.merge(p, on="product_id", how="left")
    df["category"] = df["category"].fillna("Unknown")
    df["department"] = df["department"].fillna("Unknown")
    df["day"] = df["timestamp"].dt.normalize()
    return df


def _merch(df: pd.DataFrame) -> pd.DataFrame:
    bad = df["category"].map(is_non_merchandise).astype(bool) | df["department"].map(is_non_merchandise).astype(bool)
    return df[~bad]


def money(x: float) -> str:
    return f"${x:,.2f}"


def count(x: float) -> str:
    return f"{int(x):,}"


def _window(df, a, b):
    return df[(df.day >= pd.Timestamp(a)) & (df.day <= pd.Timestamp(b))]


def _last(lines):
    return lines["timestamp"].max().normalize()


# --- the dev set: (question, expected(lines) -> list of strings that must be in the answer) -------------------
def e_q2_q3_category(L):
    m = _merch(L)
    a = _window(m, "2017-04-01", "2017-06-30").groupby("category")["amount"].sum()
    b = _window(m, "2017-07-01", "2017-09-30").groupby("category")["amount"].sum()
    ch = (b.reindex(a.index.union(b.index), fill_value=0) - a.reindex(a.index.union(b.index), fill_value=0))
    top = ch.round(2).sort_values(ascending=False).index[0]
    return [top, money(round(a.get(top, 0), 2)), money(round(b.get(top, 0), 2)), "2017-04-01", "2017-09-30"]


def e_top5_meat_lastq(L):
    m = _window(_merch(L[L.department == "Meat"]), "2017-10-01", "2017-12-31")
    s = m.groupby("category")["amount"].sum().round(2).sort_values(ascending=False).head(5)
    return [s.index[0], money(s.iloc[0]), s.index[4], money(s.iloc[4]), "2017-10-01", "2017-12-31"]


def e_inactive_60(L):
    as_of = L.timestamp.max().normalize() + pd.Timedelta(days=1)
    last = L.groupby("customer_id")["timestamp"].max()
    return [count((last < as_of - pd.Timedelta(days=60)).sum())]


def e_inactive_90_weeks(L):
    as_of = L.timestamp.max().normalize() + pd.Timedelta(days=1)
    last = L.groupby("customer_id")["timestamp"].max()
    return [count((last < as_of - pd.Timedelta(days=84)).sum())]


def e_best_month(L):
    s = L.assign(m=L.timestamp.dt.strftime("%Y-%m")).groupby("m")["amount"].sum().round(2)
    return [s.idxmax(), money(s.max())]


def e_worst_month_orders(L):
    s = L.assign(m=L.timestamp.dt.strftime("%Y-%m")).groupby("m")["order_id"].nunique()
    s = s[s.index < "2018-01"]  # not asked: the 1-day January 2018 stub is the lowest; accept either
    full = L.assign(m=L.timestamp.dt.strftime("%Y-%m")).groupby("m")["order_id"].nunique()
    return [full.idxmin(), count(full.min())]


def e_rev_march(L):
    return [money(round(_window(L, "2017-03-01", "2017-03-31")["amount"].sum(), 2)), "2017-03-01", "2017-03-31"]


def e_rev_last_month(L):
    return [money(round(_window(L, "2017-12-01", "2017-12-31")["amount"].sum(), 2)), "2017-12-01", "2017-12-31"]


def e_orders_lastq(L):
    return [count(_window(L, "2017-10-01", "2017-12-31")["order_id"].nunique()), "2017-10-01", "2017-12-31"]


def e_dept_produce_rev(L):
    return [money(round(L[L.department == "Produce"]["amount"].sum(), 2))]


def e_top3_brands_produce(L):
    s = _merch(L[L.department == "Produce"]).groupby("brand")["amount"].sum().round(2).sort_values(ascending=False)
    return [s.index[0], money(s.iloc[0])]


def e_more_than_10_orders(L):
    n = L.groupby("customer_id")["order_id"].nunique()
    return [count((n > 10).sum())]


def e_avg_basket_q3(L):
    w = _window(L, "2017-07-01", "2017-09-30")
    return [money(round(w["amount"].sum() / w["order_id"].nunique(), 2))]


def e_customers_2017(L):
    return [count(_window(L, "2017-01-01", "2017-12-31")["customer_id"].nunique())]


def e_top_dept(L):
    s = _merch(L).groupby("department")["amount"].sum().round(2).sort_values(ascending=False)
    return [s.index[0], money(s.iloc[0])]


def e_units_beef_q2(L):
    w = _window(L[L.category == "Beef"], "2017-04-01", "2017-06-30")
    return [count(w["quantity"].fillna(1).sum())]


def e_rev_per_customer(L):
    return [money(round(L["amount"].sum() / L["customer_id"].nunique(), 2))]


def e_cheese_last_30(L):
    last = _last(L)
    w = _window(L[L.category == "Cheese"], last - pd.Timedelta(days=29), last)
    return [money(round(w["amount"].sum(), 2))]


def e_weekday_best(L):
    s = L.assign(d=L.timestamp.dt.day_name()).groupby("d")["amount"].sum().round(2)
    return [s.idxmax(), money(s.max())]


def e_dept_dec_vs_nov(L):
    a = _window(L, "2017-11-01", "2017-11-30")["amount"].sum()
    b = _window(L, "2017-12-01", "2017-12-31")["amount"].sum()
    return [money(round(a, 2)), money(round(b, 2))]


def e_income_rev(L, ws):
    c = ws.read_table("customers")
    ids = set(c[c["income"].isin(["100-124K", "125-149K", "150-174K", "175-199K", "200-249K", "250K+"])]["customer_id"])
    return [money(round(L[L.customer_id.isin(ids)]["amount"].sum(), 2))]


def e_homeowner_customers(L, ws):
    c = ws.read_table("customers")
    ids = set(c[c["home_ownership"] == "Homeowner"]["customer_id"])
    return [count(L[L.customer_id.isin(ids)]["customer_id"].nunique())]


def e_redemptions_total(L, ws):
    r = ws.read_table("coupon_redemptions")
    return [count(len(r))]


def e_private_brand_share_rev(L):
    return [money(round(L[L.brand == "Private"]["amount"].sum(), 2))]


def e_spent_over_1000(L):
    s = L.groupby("customer_id")["amount"].sum()
    return [count((s > 1000).sum())]


def e_orders_by_quarter_best(L):
    s = L.assign(q=L.timestamp.dt.to_period("Q").astype(str)).groupby("q")["order_id"].nunique()
    return [s.idxmax().replace("Q", "-Q"), count(s.max())]


def e_deli_units_vs(L):
    d = L[L.department == "Deli"]
    a = _window(d, "2017-06-01", "2017-06-30")["amount"].sum()
    b = _window(d, "2017-07-01", "2017-07-31")["amount"].sum()
    return [money(round(a, 2)), money(round(b, 2))]


def e_married_avg_basket(L, ws):
    c = ws.read_table("customers")
    ids = set(c[c["marital_status"] == "Married"]["customer_id"])
    w = L[L.customer_id.isin(ids)]
    return [money(round(w["amount"].sum() / w["order_id"].nunique(), 2))]


def e_seniors_rev(L, ws):
    c = ws.read_table("customers")
    ids = set(c[c["age"] == "65+"]["customer_id"])
    return [money(round(L[L.customer_id.isin(ids)]["amount"].sum(), 2))]


def e_discount_lastq(L):
    return [money(round(_window(L, "2017-10-01", "2017-12-31")["discount"].sum(), 2))]


def e_top_cat_soft_drinks_share(L):
    return [money(round(L[L.category == "Soft Drinks"]["amount"].sum(), 2))]


def e_redemptions_by_quarter(L, ws):
    r = ws.read_table("coupon_redemptions")
    s = r.assign(q=r.timestamp.dt.to_period("Q").astype(str)).groupby("q").size()
    return [count(s.max())]


def e_top10pct_share(L):
    s = L.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    k = int(np.ceil(0.10 * len(s)))
    return [f"{s.iloc[:k].sum() / s.sum():.1%}", count(k)]


def e_median_basket(L):
    b = L.groupby("order_id")["amount"].sum()
    return [money(round(float(np.quantile(b, 0.5)) + 1e-9, 2))]  # half-up, as the engine rounds


def e_redemption_rate_type(L, ws):
    c = ws.read_table("campaigns")[["customer_id", "campaign_id", "campaign_type"]].drop_duplicates()
    r = ws.read_table("coupon_redemptions")[["customer_id", "campaign_id"]].drop_duplicates().assign(hit=1)
    m = c.merge(r, on=["customer_id", "campaign_id"], how="left")
    rate = m.assign(hit=m.hit.fillna(0)).groupby("campaign_type")["hit"].mean()
    return [rate.idxmax(), f"{rate.max():.1%}"]


def e_campaign_reach_18(L, ws):
    c = ws.read_table("campaigns")
    return [count(c[c.campaign_id == "18"]["customer_id"].nunique())]


def e_produce_share(L):
    m = _merch(L)
    return [f"{100 * m[m.department == 'Produce']['amount'].sum() / m['amount'].sum():.1f}%"]


def e_new_customers_march(L):
    first = L.groupby("customer_id")["timestamp"].min()
    return [count(((first >= "2017-03-01") & (first < "2017-04-01")).sum())]


def e_repeat_share(L):
    n = L.groupby("customer_id")["order_id"].nunique()
    return [f"{(n >= 2).mean():.1%}"]


def e_n_campaigns(L, ws):
    return [count(ws.read_table("campaigns")["campaign_id"].nunique())]


DEV = [
    ("How did category revenue change from Q2 to Q3?", e_q2_q3_category),
    ("top five categories within the meat department last quarter", e_top5_meat_lastq),
    ("How many customers haven't purchased in 60 days?", e_inactive_60),
    ("number of households that have not shopped for 12 weeks", e_inactive_90_weeks),
    ("Which month brought in the most revenue?", e_best_month),
    ("what month had the fewest orders", e_worst_month_orders),
    ("What were sales in March?", e_rev_march),
    ("revenue last month", e_rev_last_month),
    ("how many orders did we get last quarter", e_orders_lastq),
    ("total sales for the produce department", e_dept_produce_rev),
    ("top 3 brands in produce by revenue", e_top3_brands_produce),
    ("how many customers have placed more than 10 orders?", e_more_than_10_orders),
    ("average order value in Q3", e_avg_basket_q3),
    ("how many distinct customers shopped in 2017", e_customers_2017),
    ("which department sells the most?", e_top_dept),
    ("units of beef sold in the second quarter", e_units_beef_q2),
    ("what is the average spend per customer", e_rev_per_customer),
    ("cheese sales over the past 30 days", e_cheese_last_30),
    ("which day of the week has the highest sales", e_weekday_best),
    ("December vs November revenue", e_dept_dec_vs_nov),
    ("revenue from households earning over 100K", e_income_rev),
    ("how many homeowners bought something", e_homeowner_customers),
    ("how many coupons were redeemed", e_redemptions_total),
    ("revnue from the privat brand", e_private_brand_share_rev),
    ("how many customers spent more than $1,000", e_spent_over_1000),
    ("Which quarter had the most orders?", e_orders_by_quarter_best),
    ("deli department sales june compared to july", e_deli_units_vs),
    ("avg basket size for married households", e_married_avg_basket),
    ("how much revenue came from customers aged 65+", e_seniors_rev),
    ("total discounts given last quarter", e_discount_lastq),
    ("soft drinks revenue", e_top_cat_soft_drinks_share),
    ("coupon redemptions per quarter", e_redemptions_by_quarter),
    ("what share of revenue do our top 10% of customers generate", e_top10pct_share),
    ("what is the median basket value", e_median_basket),
    ("which campaign type has the best coupon redemption rate", e_redemption_rate_type),
    ("how many households did campaign 18 reach", e_campaign_reach_18),
    ("what percent of sales comes from the produce department", e_produce_share),
    ("how many new customers did we get in march", e_new_customers_march),
    ("share of customers who bought more than once", e_repeat_share),
    ("how many campaigns were there", e_n_campaigns),
]

REFUSE = [
    "what was our ad spend last month?",
    "show me web traffic by week",
    "what is the email address of customer 1234?",
    "what are our profit margins by category?",
    "revenue in the Toys and Gadgets Galore department",
    "sales in 2015",
    "how much did we sell over the super bowl",
    "conversion rate by month",
    "how many returns did we have last quarter",
    "inventory levels for beef",
    "what's the average margin per order",
    "which campaign drove the most revenue",
    "revenue from the Bargain Hunters segment",
    "click-through rate of our last email",
]


def _ok(answer: str, expected: list[str]) -> bool:
    return all(e in answer for e in expected)


def test_dev_set_accuracy(session, lines, ws, summary_note):
    import inspect

    misses, n = [], 0
    for q, fn in DEV:
        want = fn(lines, ws) if len(inspect.signature(fn).parameters) == 2 else fn(lines)
        res = session.ask(q)
        n += 1
        if not _ok(res.answer, want) or DECLINE.search(res.answer.split("\n")[0] or ""):
            misses.append(f"`{q}`: want {want}; calls {[(c['name'], c['args']) for c in res.tool_calls]}; "
                          f"answer {res.answer[:300]!r}")
    acc = 1 - len(misses) / n
    summary_note(f"planner analytics dev set: {n - len(misses)}/{n} answered with the right numbers ({acc:.0%})"
                 + "".join(f"\n- {m}" for m in misses))
    assert acc >= 0.8, "\n".join(misses)


def test_refusals_name_what_is_missing(session, summary_note):
    bad = []
    for q in REFUSE:
        res = session.ask(q)
        if not DECLINE.search(res.answer):
            bad.append(f"`{q}`: {res.answer[:200]!r}")
    summary_note(f"planner analytics refusals: {len(REFUSE) - len(bad)}/{len(REFUSE)} named what cannot be done"
                 + "".join(f"\n- {m}" for m in bad))
    assert not bad, "\n".join(bad)


def test_answer_restates_resolved_dates(session, lines):
    res = session.ask("revenue by department last quarter")
    assert res.tool_calls and res.tool_calls[0]["name"] == "query_data"
    assert "2017-10-01" in res.answer and "2017-12-31" in res.answer
    m = _window(_merch(lines), "2017-10-01", "2017-12-31").groupby("department")["amount"].sum().round(2)
    assert money(m.max()) in res.answer


def test_unknown_value_lists_valid_ones(session):
    res = session.ask("revenue in the Toyz department")
    assert "no such department" in res.answer.lower() and "Produce" in res.answer
    assert not res.tool_calls


def test_partial_decline_answers_the_rest(session, lines):
    res = session.ask("revenue and ad spend in March")
    assert DECLINE.search(res.answer) and "advertising" in res.answer
    assert money(round(_window(lines, "2017-03-01", "2017-03-31")["amount"].sum(), 2)) in res.answer


def test_typos_are_corrected(session, lines):
    res = session.ask("revnue by departmnt in the last quartr")
    assert res.tool_calls and res.tool_calls[0]["args"].get("by") == ["department"]
    assert "2017-10-01" in res.answer


def test_unknown_segment_is_named_for_every_tool(fake_ctx):
    from tests.agent_fakes import SEGMENTS

    planner = OfflinePlanner(context=fake_ctx)
    for q in ("write an email for the Bargain Hunters segment", "who will buy next week in segment 9",
              "export the audience of the segment called Weekend Warriors"):
        plan = planner.plan(q)
        assert plan.route == "list_segments" and "no such segment" in plan.message.lower(), (q, plan)
        assert all(s["name"] in plan.message for s in SEGMENTS)
    assert planner.plan(f"write an sms for the {SEGMENTS[1]['name']} segment").route == "write_campaign"


# --- held out: written after the parser was frozen at 13:46 UTC, run once, never tuned on (see the note) ---------
def h_grocery_lastmonth(L):
    return [money(round(_window(L[L.department == "Grocery"], "2017-12-01", "2017-12-31")["amount"].sum(), 2))]


def h_orders_2017_q1(L):
    return [count(_window(L, "2017-01-01", "2017-03-31")["order_id"].nunique())]


def h_bottom_dept(L):
    s = _merch(L).groupby("department")["amount"].sum().round(2).sort_values()
    return [s.index[0]]


def h_customers_inactive_3m(L):
    as_of = L.timestamp.max().normalize() + pd.Timedelta(days=1)
    last = L.groupby("customer_id")["timestamp"].max()
    return [count((last < as_of - pd.Timedelta(days=90)).sum())]


def h_top_cat_chicken_q(L):
    w = _window(L[L.category == "Chicken"], "2017-07-01", "2017-09-30")
    return [money(round(w["amount"].sum(), 2))]


def h_units_by_brand_private(L):
    return [count(L[L.brand == "Private"]["quantity"].fillna(1).sum())]


def h_aov_nov_vs_dec(L):
    a = _window(L, "2017-11-01", "2017-11-30")
    b = _window(L, "2017-12-01", "2017-12-31")
    return [money(round(a.amount.sum() / a.order_id.nunique(), 2)), money(round(b.amount.sum() / b.order_id.nunique(), 2))]


def h_renters_revenue(L, ws):
    c = ws.read_table("customers")
    ids = set(c[c["home_ownership"] == "Renter"]["customer_id"])
    return [money(round(L[L.customer_id.isin(ids)]["amount"].sum(), 2))]


def h_five_orders_or_more(L):
    n = L.groupby("customer_id")["order_id"].nunique()
    return [count((n >= 5).sum())]


def h_pastry_best_month(L):
    s = L[L.department == "Pastry"].assign(m=L.timestamp.dt.strftime("%Y-%m")).groupby("m")["amount"].sum().round(2)
    return [s.idxmax(), money(s.max())]


def h_top20_share(L):
    s = L.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    k = int(np.ceil(0.20 * len(s)))
    return [f"{s.iloc[:k].sum() / s.sum():.1%}"]


def h_redemptions_2017(L, ws):
    r = ws.read_table("coupon_redemptions")
    return [count(((r.timestamp >= "2017-01-01") & (r.timestamp < "2018-01-01")).sum())]


HOLDOUT = [
    ("How much did the grocery department make last month?", h_grocery_lastmonth),
    ("number of transactions in Q1 2017", h_orders_2017_q1),
    ("what's our weakest department by sales", h_bottom_dept),
    ("customers who haven't shopped in 3 months - how many?", h_customers_inactive_3m),
    ("chicken revenue in the third quarter", h_top_cat_chicken_q),
    ("units sold under the private brand", h_units_by_brand_private),
    ("compare average basket in november vs december", h_aov_nov_vs_dec),
    ("total spend by renters", h_renters_revenue),
    ("how many shoppers have 5 or more orders", h_five_orders_or_more),
    ("best month for pastry sales", h_pastry_best_month),
    ("how concentrated is revenue - what do the top 20% of customers contribute?", h_top20_share),
    ("coupons redeemed during 2017", h_redemptions_2017),
]

HOLDOUT_REFUSE = [
    "how much did we spend on facebook ads in december",
    "what were sales in the Electronics department",
    "average delivery time last month",
    "revenue for June 2019",
    "which customers opened our newsletter",
]


def test_holdout_wording(session, lines, ws, summary_note):
    import inspect

    misses = []
    for q, fn in HOLDOUT:
        want = fn(lines, ws) if len(inspect.signature(fn).parameters) == 2 else fn(lines)
        res = session.ask(q)
        if not _ok(res.answer, want):
            misses.append(f"`{q}`: want {want}; calls {[(c['name'], c['args']) for c in res.tool_calls]}; "
                          f"answer {res.answer[:240]!r}")
    bad = [q for q in HOLDOUT_REFUSE if not DECLINE.search(session.ask(q).answer)]
    n = len(HOLDOUT)
    summary_note(f"planner analytics HOLDOUT (first run untuned 10/12 + 3/5; fixed since): {n - len(misses)}/{n} right numbers; refusals "
                 f"{len(HOLDOUT_REFUSE) - len(bad)}/{len(HOLDOUT_REFUSE)}" + "".join(f"\n- {m}" for m in misses)
                 + "".join(f"\n- refusal missed: `{q}`" for q in bad))
    assert (n - len(misses)) / n >= 0.6 and len(bad) <= 1, "\n".join(misses + bad)


# --- second held-out round: written at 14:27 UTC after the last parser change, run once; its first score is the
# number reported in the note (not tuned on) -------------------------------------------------------------------
def g_spirits_q4(L):
    return [money(round(_window(L[L.department == "Spirits"], "2017-10-01", "2017-12-31")["amount"].sum(), 2))]


def g_customers_dec(L):
    return [count(_window(L, "2017-12-01", "2017-12-31")["customer_id"].nunique())]


def g_top_brand_units(L):
    s = _merch(L).groupby("brand")["quantity"].apply(lambda x: x.fillna(1).sum()).sort_values(ascending=False)
    return [s.index[0]]


def g_yogurt_vs(L):
    y = L[L.category == "Yogurt"]
    return [money(round(_window(y, "2017-01-01", "2017-03-31")["amount"].sum(), 2)),
            money(round(_window(y, "2017-04-01", "2017-06-30")["amount"].sum(), 2))]


def g_inactive_30(L):
    as_of = L.timestamp.max().normalize() + pd.Timedelta(days=1)
    last = L.groupby("customer_id")["timestamp"].max()
    return [count((last < as_of - pd.Timedelta(days=30)).sum())]


def g_orders_saturday(L):
    s = L.assign(d=L.timestamp.dt.day_name()).groupby("d")["order_id"].nunique()
    return [count(s["Saturday"])]


def g_aov_2017(L):
    w = _window(L, "2017-01-01", "2017-12-31")
    return [money(round(w.amount.sum() / w.order_id.nunique(), 2))]


def g_unmarried_customers(L, ws):
    c = ws.read_table("customers")
    ids = set(c[c["marital_status"] == "Unmarried"]["customer_id"])
    return [count(L[L.customer_id.isin(ids)]["customer_id"].nunique())]


def g_spend_under_100(L):
    s = L.groupby("customer_id")["amount"].sum()
    return [count((s < 100).sum())]


def g_worst_quarter(L):
    s = _window(L, "2017-01-01", "2017-12-31").assign(q=L.timestamp.dt.quarter).groupby("q")["amount"].sum().round(2)
    return [money(s.min())]


GHOLD = [
    ("spirits department revenue in the fourth quarter", g_spirits_q4),
    ("how many different customers bought something in december", g_customers_dec),
    ("which brand moves the most units", g_top_brand_units),
    ("yogurt sales: Q1 against Q2", g_yogurt_vs),
    ("count of households with no purchase in the past 30 days", g_inactive_30),
    ("orders placed on saturdays", g_orders_saturday),
    ("what was the typical basket value across 2017", g_aov_2017),
    ("number of unmarried customers who shopped", g_unmarried_customers),
    ("how many customers spent less than $100 in total", g_spend_under_100),
    ("lowest revenue quarter of 2017", g_worst_quarter),
]

GHOLD_REFUSE = [
    "what is our customer acquisition cost",
    "sales in the Pharmacy Superstore department",
    "revenue by gender",
    "how many visitors came to the website yesterday",
    "what was revenue in 2016",
]


def test_second_holdout(session, lines, ws, summary_note):
    import inspect

    misses = []
    for q, fn in GHOLD:
        want = fn(lines, ws) if len(inspect.signature(fn).parameters) == 2 else fn(lines)
        res = session.ask(q)
        if not _ok(res.answer, want):
            misses.append(f"`{q}`: want {want}; calls {[(c['name'], c['args']) for c in res.tool_calls]}; "
                          f"answer {res.answer[:240]!r}")
    bad = [q for q in GHOLD_REFUSE if not DECLINE.search(session.ask(q).answer)]
    n = len(GHOLD)
    summary_note(f"planner analytics HOLDOUT 2 (first run untuned 7/10 + 4/5; fixed since): {n - len(misses)}/{n} right numbers; refusals "
                 f"{len(GHOLD_REFUSE) - len(bad)}/{len(GHOLD_REFUSE)}" + "".join(f"\n- {m}" for m in misses)
                 + "".join(f"\n- refusal missed: `{q}`" for q in bad))
    assert (n - len(misses)) / n >= 0.6 and len(bad) <= 1, "\n".join(misses + bad)


def _cust(df) -> set:
    return set(df["customer_id"].dropna())


def test_bought_but_not_and_both_are_answered_as_sets(session, lines):
    """Set questions ("bought in Q2 but not in Q3", "both coffee and soft drinks", "never bought fuel") are
    answered as asked (a purchase condition), with numbers checked against pandas sets."""
    q2, q3 = _cust(_window(lines, "2017-04-01", "2017-06-30")), _cust(_window(lines, "2017-07-01", "2017-09-30"))
    res = session.ask("how many customers bought in Q2 but not in Q3?")
    assert res.tool_calls[0]["name"] == "query_data"
    assert res.tool_calls[0]["args"]["purchase_conditions"][0]["bought"] is False
    assert f"**{count(len(q2 - q3))}**" in res.answer and "did not buy anything in 2017-Q3" in res.answer
    res = session.ask("households that shopped in both q2 2017 and q3 2017")
    assert f"**{count(len(q2 & q3))}**" in res.answer
    cats = _merch(lines).groupby("category")["amount"].sum().sort_values(ascending=False).index[:2]
    a, b = _cust(lines[lines.category == cats[0]]), _cust(lines[lines.category == cats[1]])
    res = session.ask(f"customers who purchased {cats[0].lower()} but never {cats[1].lower()}")
    assert f"**{count(len(a - b))}**" in res.answer
    res = session.ask(f"how many customers who bought {cats[0]} also bought {cats[1]}?")
    assert f"**{count(len(a & b))}**" in res.answer
    # "not bought since October": a window of its own, not a silent count of everyone
    since = _cust(lines[lines.day >= pd.Timestamp("2017-10-01")])
    res = session.ask("how many customers haven't bought anything since october")
    assert f"**{count(len(_cust(lines) - since))}**" in res.answer
    # the question's window is shared: "coffee but not tea last quarter"
    lq = _window(lines, "2017-10-01", "2017-12-31")
    a4, b4 = _cust(lq[lq.category == cats[0]]), _cust(lq[lq.category == cats[1]])
    res = session.ask(f"how many shoppers bought {cats[0]} but not {cats[1]} last quarter")
    assert f"**{count(len(a4 - b4))}**" in res.answer and "2017-10-01" in res.answer


def test_excluding_a_value_and_weekend_vs_weekday(session, lines):
    res = session.ask("revenue by department excluding grocery and drug gm")
    f = res.tool_calls[0]["args"]["filters"]
    assert f == [{"dimension": "department", "op": "not_in", "values": ["Drug Gm", "Grocery"]}]
    m = _merch(lines[~lines.department.isin(["Grocery", "Drug Gm"])]).groupby("department")["amount"].sum()
    assert m.idxmax() in res.answer and money(round(m.max(), 2)) in res.answer
    res = session.ask("weekend vs weekday revenue")
    kind = np.where(lines.timestamp.dt.dayofweek >= 5, "Weekend", "Weekday")
    want = lines.groupby(kind)["amount"].sum()
    assert money(round(want["Weekend"], 2)) in res.answer and money(round(want["Weekday"], 2)) in res.answer
    # "but not" without a buying verb is not a set of customers; with an unknown value it is declined, named
    res = session.ask("households that bought soft drinks and also bought caviar")
    assert DECLINE.search(res.answer) and "caviar" in res.answer.lower()


def test_campaign_questions_are_numbers_and_unknown_names_are_named(session, ws):
    camps = ws.read_table("campaigns")
    per_type = camps.groupby("campaign_type")["campaign_id"].nunique()
    t = per_type.index[0]
    res = session.ask(f"how many {t.lower()} campaigns were there")
    assert res.tool_calls and res.tool_calls[0]["args"]["metrics"] == ["campaigns"]
    assert f"**{per_type[t]}**" in res.answer
    missing = max(int(c) for c in camps["campaign_id"].astype(int)) + 100
    res = session.ask(f"what did campaign {missing} bring in")
    assert f'no such campaign "{missing}"' in res.answer.lower() and "Campaign copy" not in res.answer
    res = session.ask("what did campaign 18 bring in")
    assert res.tool_calls and res.tool_calls[0]["name"] == "query_data"
    assert res.tool_calls[0]["args"]["metrics"] == ["revenue"]


def test_a_segment_that_does_not_exist_is_named_when_describing_segments(fake_ctx):
    from tests.agent_fakes import SEGMENTS

    planner = OfflinePlanner(context=fake_ctx)
    plan = planner.plan("how are customers in the Whales segment doing")
    assert plan.route == "list_segments" and "no such segment “Whales”" in plan.message
    assert all(s["name"] in plan.message for s in SEGMENTS)
    plan = planner.plan(f"how is the {SEGMENTS[0]['name']} segment doing")  # an existing one: no such note
    assert "no such segment" not in (plan.message or "")


def test_which_customers_lists_them_and_busiest_means_orders(session, lines):
    q4 = _window(lines, "2017-10-01", "2017-12-31")
    spend = q4.groupby("customer_id")["amount"].sum()
    cut = float(spend.quantile(0.9).round(-2))
    want = spend[spend > cut].sort_values(ascending=False)
    res = session.ask(f"list customers who spent over ${cut:,.0f} last quarter")
    assert res.tool_calls[0]["args"]["by"] == ["customer"]
    assert f"**{len(want):,} customers** match" in res.answer and money(round(want.iloc[0], 2)) in res.answer
    hours = lines.groupby(lines.timestamp.dt.hour)["order_id"].nunique()
    res = session.ask("which hour of the day is busiest")
    assert res.tool_calls and res.tool_calls[0]["args"]["metrics"] == ["orders"]
    assert f"**{count(hours.max())}**" in res.answer
    days = lines.groupby(lines.timestamp.dt.day_name())["order_id"].nunique()
    res = session.ask("quietest day of the week")
    assert days.idxmin() in res.answer and f"**{count(days.min())}**" in res.answer


def test_partial_last_period_is_named(session, lines):
    last = lines.timestamp.max()
    res = session.ask("slowest month for sales")
    label = last.strftime("%Y-%m")
    if last.normalize() < (last + pd.offsets.MonthEnd(0)).normalize():
        assert f"{label} is a partial month: the data ends {last.date()}" in res.answer


def test_distinct_counts_change_between_two_periods_and_new_customers_revenue(session, lines):
    res = session.ask("how many stores do we have")
    assert f"**{count(lines['store_id'].nunique())}**" in res.answer
    res = session.ask("how many different products did we sell last quarter")
    assert f"**{count(_window(lines, '2017-10-01', '2017-12-31')['product_id'].nunique())}**" in res.answer
    res = session.ask("how many distinct brands are there")
    assert res.tool_calls[0]["name"] == "query_data" and f"**{lines['brand'].nunique()}**" in res.answer
    # "change from October to November" compares the two months (not one Oct-Nov total)
    oct_, nov = (_window(lines, a, b)["amount"].sum() for a, b in (("2017-10-01", "2017-10-31"),
                                                                    ("2017-11-01", "2017-11-30")))
    res = session.ask("how did revenue change from october to november")
    assert money(round(oct_, 2)) in res.answer and money(round(nov, 2)) in res.answer
    assert res.tool_calls[0]["args"].get("compare")
    # revenue of the customers whose first order falls in Q3
    first = lines.groupby("customer_id")["timestamp"].min()
    new = first[(first >= "2017-07-01") & (first < "2017-10-01")].index
    q3 = _window(lines, "2017-07-01", "2017-09-30")
    res = session.ask("revenue from new customers in q3")
    assert money(round(q3[q3.customer_id.isin(new)]["amount"].sum(), 2)) in res.answer
    assert "did not buy anything before 2017-07-01" in res.answer
    res = session.ask("what fraction of revenue comes from our top 20 customers")
    top = lines.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    assert f"{100 * top.head(20).sum() / top.sum():.1f}%" in res.answer


def test_two_questions_in_one_message_are_both_answered(session, lines):
    res = session.ask("revenue by month and which category sold the most")
    names = [c["name"] for c in res.tool_calls]
    assert len(names) == 2, res.tool_calls
    months = lines.assign(m=lines.timestamp.dt.strftime("%Y-%m")).groupby("m")["amount"].sum()
    cats = _merch(lines).groupby("category")["amount"].sum()
    assert money(round(months.iloc[2], 2)) in res.answer  # the month table
    assert cats.idxmax() in res.answer and money(round(cats.max(), 2)) in res.answer  # and the top category
    # one part declined by name, the other answered
    res = session.ask("how many orders did we have in march? and what was our web traffic")
    assert DECLINE.search(res.answer) and "traffic" in res.answer
    assert f"**{count(_window(lines, '2017-03-01', '2017-03-31')['order_id'].nunique())}**" in res.answer


def test_a_filter_a_tool_cannot_take_is_named_not_dropped(fake_ctx):
    planner = OfflinePlanner(context=fake_ctx)
    plan = planner.plan("write a win-back email for customers who haven't bought in 60 days")
    assert plan.route == "write_campaign" and plan.message
    assert "can't narrow" in plan.message and "not bought for 60 days" in plan.message
    plan = planner.plan("which customers will buy this week")
    assert plan.route == "predict_buyers" and not plan.message
    plan = planner.plan("which customers will buy this week among those with orders over $100")
    assert plan.route == "predict_buyers" and "can't narrow" in plan.message and "orders with revenue > 100" in plan.message


def test_shares_rates_and_per_order_discount(session, lines, ws):
    q2 = _window(lines, "2017-04-01", "2017-06-30")
    first = lines.groupby("customer_id")["timestamp"].min()
    buyers = q2["customer_id"].dropna().unique()
    returning = (first.loc[buyers] < pd.Timestamp("2017-04-01")).mean()
    res = session.ask("what percent of q2 shoppers were returning customers")
    assert f"**{100 * returning:.1f}%**" in res.answer
    stores = lines.groupby("store_id")["amount"].sum().sort_values(ascending=False)
    res = session.ask("share of revenue from the top 5 stores")
    assert f"**{100 * stores.head(5).sum() / lines['amount'].sum():.1f}%**" in res.answer
    res = session.ask("avg discount per order")
    assert money(round(lines["discount"].sum() / lines["order_id"].nunique(), 2)) in res.answer
    res = session.ask("how many trips did customers make in november")
    assert f"**{count(_window(lines, '2017-11-01', '2017-11-30')['order_id'].nunique())}**" in res.answer
    red = ws.read_table("coupon_redemptions")
    camps = ws.read_table("campaigns")
    res = session.ask("how many coupons did each campaign type get redeemed")
    by_type = red.merge(camps.drop_duplicates("campaign_id")[["campaign_id", "campaign_type"]], on="campaign_id")
    want = by_type.groupby("campaign_type").size()
    assert res.tool_calls[0]["args"]["by"] == ["campaign_type"] and f"**{count(want.max())}**" in res.answer


def test_chat_shorthand_and_an_unread_number_is_never_dropped(session, lines):
    from assistant.offline.query_parse import expand_shorthand

    assert expand_shorthand("hw much did ppl spend last wk in the meat dept, more then 2k?") == \
        "how much did people spend last week in the meat department, more than 2k?"
    res = session.ask("hw much did we make last wk")
    last = lines.timestamp.max().normalize()
    start = last - pd.Timedelta(days=last.dayofweek + 7)
    want = lines[(lines.day >= start) & (lines.day < start + pd.Timedelta(days=7))]["amount"].sum()
    assert money(round(want, 2)) in res.answer
    spend = _window(lines, "2017-01-01", "2017-12-31").groupby("customer_id")["amount"].sum()
    res = session.ask("custmers who spent more then 2k in 2017")
    assert f"**{count((spend > 2000).sum())}**" in res.answer
    res = session.ask("customers who spent loads 2k in 2017")  # "2k" not read as a threshold: named, not dropped
    assert DECLINE.search(res.answer) and "2k" in res.answer


def test_campaign_performance_is_numbers_and_a_named_campaign_is_declined(session, ws):
    camps, red = ws.read_table("campaigns"), ws.read_table("coupon_redemptions")
    cid = camps["campaign_id"].astype(str).value_counts().index[0]
    targeted = set(camps[camps["campaign_id"].astype(str) == cid]["customer_id"])
    redeemed = set(red[red["campaign_id"].astype(str) == cid]["customer_id"]) & targeted
    res = session.ask(f"how did campaign {cid} perform")
    assert res.tool_calls and res.tool_calls[0]["args"]["metrics"][0] == "customer_redemption_rate"
    assert f"**{len(targeted)}**" in res.answer and f"**{100 * len(redeemed) / len(targeted):.1f}%**" in res.answer
    res = session.ask("how did the mega deals campaign do")
    assert "no such campaign" in res.answer.lower() and "Campaign copy" not in res.answer


def test_future_spend_of_one_customer_is_its_value_and_exactly_is_answered_honestly(fake_ctx):
    planner = OfflinePlanner(context=fake_ctx)
    plan = planner.plan("how much will customer 1453 spend next year")
    assert plan.route == "customer_value" and plan.args.get("customer_id") in ("1453", 1453) and not plan.message
    plan = planner.plan("how much will customer 1453 spend next year exactly")
    assert plan.route == "customer_value" and "can't give an exact figure" in plan.message


def test_weeks_of_a_month_which_n_values_and_coupon_orders(session, lines):
    res = session.ask("how many households bought anything in the first week of december")
    assert f"**{count(_window(lines, '2017-12-01', '2017-12-07')['customer_id'].nunique())}**" in res.answer
    nov = _window(lines, "2017-11-01", "2017-11-30")
    named = _merch(nov).assign(label=lambda d: d["name"].fillna(d["product_id"].astype(str)))
    units = named.groupby("label")["quantity"].sum().sort_values(ascending=False)  # the layer's product = its name
    res = session.ask("which 5 products sold the most units in november")
    assert res.tool_calls[0]["args"].get("top") == 5 and f"**{count(units.iloc[0])}**" in res.answer
    sat_sun = lines[lines.timestamp.dt.dayofweek >= 5]
    per_day = sat_sun.groupby(sat_sun.timestamp.dt.day_name()).apply(lambda d: d["amount"].sum() / d["order_id"].nunique())
    res = session.ask("average order value on saturdays vs sundays")
    assert money(round(per_day["Saturday"], 2)) in res.answer and money(round(per_day["Sunday"], 2)) in res.answer
    res = session.ask("how many orders had a coupon applied")
    assert f"**{count(lines[lines.coupon_discount > 0]['order_id'].nunique())}**" in res.answer
    res = session.ask("how many customers shopped in every month of 2017")
    assert DECLINE.search(res.answer) and "every month" in res.answer
    dec = _window(lines, "2017-12-01", "2017-12-31").groupby("customer_id").agg(rev=("amount", "sum"),
                                                                                   n=("order_id", "nunique"))
    top = dec.sort_values("rev", ascending=False).iloc[0]
    res = session.ask("top 10 customers last month and their order counts")
    assert money(round(top["rev"], 2)) in res.answer and res.tool_calls[0]["args"]["metrics"] == ["revenue", "orders"]


def test_orders_by_their_own_size(session, lines):
    baskets = lines.groupby("order_id")["amount"].sum()
    res = session.ask("how many orders over $100")
    oc = res.tool_calls[0]["args"]["order_conditions"]
    assert oc == [{"measure": "revenue", "op": ">", "value": 100}]
    assert f"**{count((baskets > 100).sum())}**" in res.answer
    res = session.ask("what percent of orders were over $50")
    assert f"**{100 * (baskets > 50).mean():.1f}%**" in res.answer
    res = session.ask("customers who spent over $500")  # a customer's spend stays a customer condition
    assert "customer_conditions" in res.tool_calls[0]["args"] and "order_conditions" not in res.tool_calls[0]["args"]


def test_growth_in_one_period_compares_with_the_one_before_and_attribute_numbers(session, lines):
    q3, q4 = (_window(lines, a, b)["amount"].sum() for a, b in (("2017-07-01", "2017-09-30"),
                                                                 ("2017-10-01", "2017-12-31")))
    res = session.ask("did revenue go up or down in q4")
    assert res.tool_calls[0]["args"]["compare"] == ["2017-Q3", "2017-Q4"]
    assert money(round(q3, 2)) in res.answer and money(round(q4, 2)) in res.answer
    res = session.ask("did orders drop in 2017")  # the year before is not in the data: said, not answered
    assert DECLINE.search(res.answer) and "2016" in res.answer
    res = session.ask("how many customers have 3 or more kids")
    assert res.tool_calls[0]["args"]["filters"] == [{"dimension": "kids_count", "op": "equals", "values": ["3+"]}]
    res = session.ask("whats the avg basket size for customers under 35")
    assert res.tool_calls[0]["args"]["filters"][0]["dimension"] == "age"


def test_preferences_and_products_per_customer(session, lines, ws):
    res = session.ask("what's the average number of products per customer")
    assert f"**{lines.groupby('customer_id')['product_id'].nunique().mean():,.2f}**" in res.answer
    cust = ws.read_table("customers")
    if "home_ownership" in cust.columns and (cust["home_ownership"] == "Homeowner").any():
        own = set(cust[cust["home_ownership"] == "Homeowner"]["customer_id"])
        brands = _merch(lines[lines.customer_id.isin(own)]).groupby("brand")["amount"].sum()
        res = session.ask("which brand do homeowners prefer")
        assert res.tool_calls and brands.idxmax() in res.answer and money(round(brands.max(), 2)) in res.answer


def test_a_set_over_a_product_name_match(session, lines):
    dec = _window(lines, "2017-12-01", "2017-12-31")
    a = _cust(dec[dec.category == "Cheese"])
    b = _cust(dec[dec["name"].fillna("").str.lower().str.contains("milk")])
    res = session.ask("customers who bought cheese but not milk last month")
    assert f"**{count(len(a - b))}**" in res.answer and "name contains \"milk\"" in res.answer
