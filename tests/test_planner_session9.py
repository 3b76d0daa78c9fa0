"""Questions the offline planner used to answer with a different number (issue 12, session 9), end to end on a
300-household Complete Journey slice: holidays resolved to their dates, "placed only one order", the time between
orders, households with vs without kids, a share of customers by an attribute, a campaign's targeted customers and
their redemption rate, money off from coupons, the median order count per customer, spend per shopping trip; and
questions that must be declined (a competitor's prices, reasons for returns, a day we can't date) or answered as a
prediction (never last year's total presented as next year's). Every expected number is computed here with pandas
from ws.read_table, independently of the engine.
"""

from __future__ import annotations

import pandas as pd
import pytest

from assistant.offline import OfflinePlanner
from tests.planner_fixtures import DECLINE
from tests.test_planner_analytics import lines, session, ws  # noqa: F401 (fixtures)
from tools import ToolContext


def money(x: float) -> str:
    return f"${x:,.2f}"


def pct(x: float) -> str:
    return f"{x:.1%}"


def _per_customer(o: pd.DataFrame) -> pd.DataFrame:
    d = o.assign(day=o["timestamp"].dt.normalize())
    return d.groupby("customer_id").agg(n=("order_id", "nunique"), first=("day", "min"), last=("day", "max"),
                                        revenue=("amount", "sum"))


def _thanksgiving(y: int) -> pd.Timestamp:
    return pd.date_range(f"{y}-11-01", f"{y}-11-30", freq="W-THU")[3]


def e_black_friday(ws, L):
    day = _thanksgiving(2017) + pd.Timedelta(days=1)
    return [money(L.loc[L["day"] == day, "amount"].sum()), str(day.date())]


def e_christmas_eve_customers(ws, L):
    return [f"{L.loc[L['day'] == pd.Timestamp('2017-12-24'), 'customer_id'].nunique():,}"]


def e_one_order(ws, L):
    return [f"{int((_per_customer(ws.read_table('orders'))['n'] == 1).sum()):,}"]


def e_days_between(ws, L):
    g = _per_customer(ws.read_table("orders"))
    g = g[g["n"] >= 2]
    return [f"{((g['last'] - g['first']).dt.days / (g['n'] - 1)).mean():.2f}"]


def e_kids(ws, L):
    c = ws.read_table("customers").dropna(subset=["kids_count"])
    g = _per_customer(ws.read_table("orders")).join(c.set_index("customer_id")["kids_count"], how="inner")
    kids = g["kids_count"].astype(str) != "0"
    return [money(g.loc[kids, "revenue"].sum() / kids.sum()), money(g.loc[~kids, "revenue"].sum() / (~kids).sum())]


def e_married_share(ws, L):
    buyers = ws.read_table("orders")["customer_id"].unique()
    c = ws.read_table("customers").set_index("customer_id").reindex(buyers)
    return [pct((c["marital_status"].astype("string") == "Married").sum() / len(buyers))]


def _campaign(ws) -> str:
    cm = ws.read_table("campaigns")
    return str(cm.groupby("campaign_id")["customer_id"].nunique().idxmax())


def e_reach(ws, L):
    cm = ws.read_table("campaigns")
    cid = _campaign(ws)
    return [f"{cm.loc[cm['campaign_id'].astype(str) == cid, 'customer_id'].nunique():,}"]


def e_targeted_redeemed(ws, L):
    cm, r = ws.read_table("campaigns"), ws.read_table("coupon_redemptions")
    cid = _campaign(ws)
    targeted = set(cm.loc[cm["campaign_id"].astype(str) == cid, "customer_id"])
    redeemed = set(r.loc[r["campaign_id"].astype(str) == cid, "customer_id"]) & targeted
    return [pct(len(redeemed) / len(targeted))]


def e_coupon_off(ws, L):
    return [money(abs(ws.read_table("orders")["coupon_discount"].sum()))]


def e_median_orders(ws, L):
    m = _per_customer(ws.read_table("orders"))["n"].median()
    return [f"**{int(m)}**" if float(m).is_integer() else f"{m:.2f}"]


def e_spend_per_trip(ws, L):
    o = ws.read_table("orders")
    return [money(o["amount"].sum() / o["order_id"].nunique())]


CASES = [
    ("what were sales on black friday", e_black_friday),
    ("how many customers shopped on christmas eve", e_christmas_eve_customers),
    ("how many customers placed only one order ever?", e_one_order),
    ("what's the avg time between orders", e_days_between),
    ("families with kids vs households without kids - who spends more on average?", e_kids),
    ("what fraction of customers are married", e_married_share),
    ("how many customers did campaign {cid} target", e_reach),
    ("what % of the customers targeted by campaign {cid} redeemed a coupon", e_targeted_redeemed),
    ("total $ off from coupons so far", e_coupon_off),
    ("whats the typical (median) order count per shopper", e_median_orders),
    ("whats the avg spend per shopping trip", e_spend_per_trip),
]




@pytest.mark.parametrize("question", [
    "how do our milk prices compare to walmart's",
    "what are the top reasons customers give for returning products",
    "revenue during the super bowl",
])
def test_declines_what_we_cannot_answer(session, question):
    answer = session.ask(question).answer
    assert DECLINE.search(answer), answer[:400]


def test_holiday_dates_are_stated(session, lines):
    answer = session.ask("top 5 categories during the holiday season").answer
    assert "2017-11-01 to 2017-12-31" in answer
    easter = session.ask("revenue on easter sunday 2017").answer
    assert "2017-04-16" in easter and money(lines.loc[lines["day"] == pd.Timestamp("2017-04-16"), "amount"].sum()) \
        in easter


def test_future_spend_is_a_prediction_not_last_years_total(ws):
    pl = OfflinePlanner(context=ToolContext(ws))
    plan = pl.plan("exactly how much will each customer spend next year")
    assert plan.route in ("at_risk_customers", "customer_value"), plan
    assert "can't give an exact figure" in (plan.message or "")
    assert pl.plan("how much revenue will we make next month").route == "forecast"
    assert pl.plan("how much revenue did we make last month").route in ("query_data", "data_overview")


def test_gap_between_visits_by_segment_is_not_a_segment_name():
    from assistant.offline.parsing import named_segment

    assert named_segment("what's the typical gap between visits by segment") is None
    assert named_segment("revenue from the Bargain Hunters segment") == "Bargain Hunters"


def _targeted(ws) -> set:
    return set(ws.read_table("campaigns")["customer_id"])


def e_targeted_vs_not(ws, L):
    g = _per_customer(ws.read_table("orders"))
    t = g.index.isin(_targeted(ws))
    return [money(g.loc[t, "revenue"].mean()), money(g.loc[~t, "revenue"].mean())]


def e_after_6pm(ws, L):
    o = ws.read_table("orders")
    return [f"{o.loc[o['timestamp'].dt.hour >= 18, 'order_id'].nunique():,}"]


def e_trailing_compare(ws, L):
    last = L["day"].max()
    now = L[(L["day"] > last - pd.Timedelta(days=30)) & (L["day"] <= last)]
    before = L[(L["day"] > last - pd.Timedelta(days=60)) & (L["day"] <= last - pd.Timedelta(days=30))]
    return [money(now["amount"].sum()), money(before["amount"].sum())]


def e_bottom3_departments(ws, L):
    from models.analytics.layer import is_non_merchandise

    q4 = L[(L["day"] >= "2017-10-01") & (L["day"] <= "2017-12-31")]
    q4 = q4[~q4["category"].map(is_non_merchandise).astype(bool) & ~q4["department"].map(is_non_merchandise).astype(bool)
            & (q4["department"] != "Unknown")]
    low = q4.groupby("department")["amount"].sum().sort_values()
    return [f"**{low.index[0]}**", money(low.iloc[0])]


def e_excluding_gasoline(ws, L):
    keep = ~L["name"].fillna("").str.lower().str.contains("gasoline")
    return [money(L.loc[keep, "amount"].sum())]


def e_best_product_per_department(ws, L):
    from models.analytics.layer import is_non_merchandise

    m = L[~L["category"].map(is_non_merchandise).astype(bool) & ~L["department"].map(is_non_merchandise).astype(bool)]
    meat = m[m["department"] == "Meat"].groupby("name")["amount"].sum().sort_values(ascending=False)
    return [money(meat.iloc[0])]


MORE = [
    ("do customers we targeted with campaigns spend more than the ones we didnt? avg spend each", e_targeted_vs_not),
    ("how many orders come in after 6pm?", e_after_6pm),
    ("revenue in the last 30 days vs the previous 30 days", e_trailing_compare),
    ("which 3 departments had the lowest sales in q4", e_bottom3_departments),
    ("total revenue excluding gasoline", e_excluding_gasoline),
    ("top selling product in each department", e_best_product_per_department),
]




def e_weekly_avg_2017(ws, L):
    y = L[(L["day"] >= "2017-01-01") & (L["day"] <= "2017-12-31")]
    weeks = len(pd.period_range("2017-01-01", "2017-12-31", freq="W-SUN"))  # Monday-Sunday weeks touched
    return [money(y["amount"].sum() / weeks), f"**{weeks}**"]


def e_half_revenue(ws, L):
    r = ws.read_table("orders").groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    return [f"customers: **{int((r.cumsum() < r.sum() / 2).sum()) + 1}**"]


def e_small_share(ws, L):
    from models.analytics.layer import is_non_merchandise

    m = L[~L["category"].map(is_non_merchandise).astype(bool) & ~L["department"].map(is_non_merchandise).astype(bool)]
    share = 100 * m.loc[m["category"] == "Soft Drinks", "amount"].sum() / m["amount"].sum()
    return [f"{share:.2f}%"]


AVERAGES = [
    ("average weekly revenue in 2017?", e_weekly_avg_2017),
    ("how many customers make up half our revenue", e_half_revenue),
    ("what % of revenue is soft drinks", e_small_share),
]




def test_average_per_spec_is_validated(ws):
    from models.analytics.query import QueryError, run_query

    with pytest.raises(QueryError, match="calendar unit"):
        run_query(ws, {"metrics": ["revenue"], "average_per": "weekday"})
    with pytest.raises(QueryError, match="average_per"):
        run_query(ws, {"metrics": ["revenue"], "by": ["week"], "average_per": "week"})


def e_meat_october(ws, L):
    return [money(L.loc[(L["department"] == "Meat") & (L["day"] >= "2017-10-01") & (L["day"] <= "2017-10-31"),
                        "amount"].sum())]


def e_multi_store(ws, L):
    return [f"**{int((ws.read_table('orders').groupby('customer_id')['store_id'].nunique() >= 2).sum()):,}**"]


def e_redeem_by_age(ws, L):
    r = ws.read_table("coupon_redemptions").merge(ws.read_table("customers"), on="customer_id", how="left")
    by = r.dropna(subset=["age"]).groupby("age").size().sort_values(ascending=False)
    return [f"**{by.index[0]}**", f"**{by.iloc[0]:,}**"]


def e_nothing_in_december(ws, L):
    o = ws.read_table("orders")
    dec = set(o.loc[(o["timestamp"] >= "2017-12-01") & (o["timestamp"] < "2018-01-01"), "customer_id"])
    return [f"**{len(set(o['customer_id']) - dec):,}**"]


def e_weekend_baskets(ws, L):
    o = ws.read_table("orders")
    wk = o["timestamp"].dt.dayofweek >= 5
    return [money(o.loc[wk, "amount"].sum() / o.loc[wk, "order_id"].nunique()),
            money(o.loc[~wk, "amount"].sum() / o.loc[~wk, "order_id"].nunique())]


def e_private_in_grocery(ws, L):
    from models.analytics.layer import is_non_merchandise

    g = L[(L["department"] == "Grocery") & ~L["category"].map(is_non_merchandise).astype(bool)]
    share = 100 * g.loc[g["brand"] == "Private", "amount"].sum() / g["amount"].sum()
    return [f"{share:.1f}%" if share >= 10 else f"{share:.2f}%"]


def e_fuel_share(ws, L):
    y = L[(L["day"] >= "2017-01-01") & (L["day"] <= "2017-12-31")]
    share = 100 * y.loc[y["department"] == "Fuel", "amount"].sum() / y["amount"].sum()
    return [f"{share:.1f}%" if share >= 10 else f"{share:.2f}%"]


LATER = [
    ("hw much did the meat dept make in octobr", e_meat_october),
    ("how many customers shop at multiple stores", e_multi_store),
    ("which age group redeems the most coupons", e_redeem_by_age),
    ("how many households bought nothing in december", e_nothing_in_december),
    ("are weekend baskets bigger than weekday ones", e_weekend_baskets),
    ("whats the share of private label in grocery", e_private_in_grocery),
    ("what % of revenue came from fuel last year", e_fuel_share),
]




@pytest.mark.parametrize("question", [
    "revenue last week compared with the same week last year",  # the data holds one year: named, not dropped
    "how many products cost more than $10",
])
def test_comparisons_and_conditions_we_cannot_make_are_declined(session, question):
    answer = session.ask(question).answer
    assert DECLINE.search(answer), answer[:400]


def e_beer_summer(ws, L):
    s = L[(L["category"] == "Beers/Ales") & (L["day"] >= "2017-06-01") & (L["day"] <= "2017-08-31")]
    return [money(s["amount"].sum()), "2017-06-01 to 2017-08-31"]


def e_big_orders(ws, L):
    n = L.groupby("order_id").size()
    return [f"**{int((n > 50).sum()):,}**"]


NAMED = [
    ("what did customers spend on beer in summer", e_beer_summer),
    ("how many orders had more than 50 items", e_big_orders),
]




def test_a_segment_named_by_its_number_filters_the_query():
    from types import SimpleNamespace

    from assistant.offline.plan import _segment_named

    ent = SimpleNamespace(profiles=[{"segment_id": 1, "name": "Loyal regulars"}, {"segment_id": 2, "name": "Bargain"}])
    assert _segment_named("revenue of segment 1 last month", ent) == "revenue of the Loyal regulars segment last month"
    assert _segment_named("revenue of segment 9", ent) == "revenue of segment 9"  # no such segment: left as written


def e_max_order(ws, L):
    return [money(ws.read_table("orders").groupby("order_id")["amount"].sum().max())]


def e_store_biggest_baskets(ws, L):
    o = ws.read_table("orders")
    b = o.groupby("store_id")["amount"].sum() / o.groupby("store_id")["order_id"].nunique()
    return [f"**store {b.idxmax()}**", money(b.max())]


def e_new_share_q2(ws, L):
    o = ws.read_table("orders")
    first = o.groupby("customer_id")["timestamp"].min()
    q2 = o[(o["timestamp"] >= "2017-04-01") & (o["timestamp"] < "2017-07-01")]["customer_id"].unique()
    share = 100 * (first.loc[q2] >= pd.Timestamp("2017-04-01")).mean()
    return [f"{share:.2f}%" if share < 10 else f"{share:.1f}%"]


def e_customers_oct_vs_sep(ws, L):
    o = ws.read_table("orders")
    n = lambda a, b: o[(o["timestamp"] >= a) & (o["timestamp"] < b)]["customer_id"].nunique()  # noqa: E731
    return [f"**{n('2017-09-01', '2017-10-01'):,}**", f"**{n('2017-10-01', '2017-11-01'):,}**"]


def e_reach_any(ws, L):
    return [f"**{ws.read_table('campaigns')['customer_id'].nunique():,}**"]


BANK1_KINDS = [  # kinds of question held-out bank 1 showed missing, in wording of our own
    ("what was the largest single basket ever", e_max_order),
    ("which store has the biggest baskets", e_store_biggest_baskets),
    ("what share of Q2 shoppers were new customers", e_new_share_q2),
    ("customers in september vs october", e_customers_oct_vs_sep),
    ("how many customers received at least one campaign", e_reach_any),
]




def test_a_bound_inside_one_open_band_is_declined(session):
    answer = session.ask("sales to households earning over 400K")
    assert DECLINE.search(answer.answer) and "250K+" in answer.answer, answer.answer[:400]


def test_a_conditioned_count_says_its_share_of_all(session, ws):
    n = ws.read_table("orders").groupby("customer_id")["order_id"].nunique()
    answer = session.ask("what share of customers have bought more than 20 times").answer
    share = 100 * (n > 20).mean()
    assert f"**{int((n > 20).sum()):,}**" in answer and (f"{share:.1f}%" if share >= 10 else f"{share:.2f}%") in answer
    items = session.ask("how many items does the average basket have").answer
    o = ws.read_table("orders")
    assert f"**{len(o) / o['order_id'].nunique():.2f}**" in items


def test_campaign_length_and_both_products_in_one_month(session, ws):
    c = ws.read_table("campaigns").drop_duplicates("campaign_id")
    days = (c["end_date"] - c["start_date"]).dt.days
    answer = session.ask("which campaign ran the longest?").answer
    assert f"**campaign {c.loc[days.idxmax(), 'campaign_id']}**" in answer and f"**{days.max()}**" in answer, answer[:400]
    by_type = days.groupby(c["campaign_type"]).mean()
    answer = session.ask("what's the average campaign length by type").answer
    assert by_type.idxmax() in answer and f"{by_type.max():.2f}".rstrip("0").rstrip(".") in answer, answer[:400]
    o = ws.read_table("orders").merge(ws.read_table("products"), on="product_id", how="left")
    dec = o[(o["timestamp"] >= "2017-12-01") & (o["timestamp"] < "2018-01-01")]
    cheese = set(dec.loc[dec["category"] == "Cheese", "customer_id"])
    milk = set(dec.loc[dec["name"].fillna("").str.lower().str.contains("milk"), "customer_id"])
    answer = session.ask("how many customers bought both milk and cheese in december").answer
    assert f"**{len(cheese & milk):,}**" in answer, answer[:400]


def test_top_n_in_a_comparison_ranks_the_later_period_unless_growth_is_asked(session, lines):
    from models.analytics.layer import is_non_merchandise

    m = lines[~lines["category"].map(is_non_merchandise).astype(bool) &
              ~lines["department"].map(is_non_merchandise).astype(bool)]
    dec = m[(m["day"] >= "2017-12-01") & (m["day"] <= "2017-12-31")].groupby("category")["amount"].sum()
    answer = session.ask("how did the top 5 categories do in december compared to november").answer
    assert f"**{dec.idxmax()}**" in answer and money(dec.max()) in answer, answer[:500]
    assert "by change" in session.ask("which 5 categories grew the most from november to december").answer


ALL = CASES + MORE + AVERAGES + LATER + NAMED + BANK1_KINDS


@pytest.mark.parametrize("question,truth", ALL, ids=[q[:40] for q, _ in ALL])
def test_answers_the_question_asked(session, ws, lines, question, truth):
    q = question.format(cid=_campaign(ws))
    want = truth(ws, lines)
    answer = session.ask(q).answer
    assert not DECLINE.search(answer.split("\n")[0]), answer[:400]
    for w in want:
        assert w in answer, f"{q!r}: want {w} in {answer[:800]!r}"


def test_everyday_words_for_periods_groups_and_people(session, lines):
    last = lines["day"].max()
    fortnight = lines[lines["day"] > last - pd.Timedelta(days=14)]
    assert money(fortnight["amount"].sum()) in session.ask("roughly how much did we take in over the last fortnight?").answer
    bf = _thanksgiving(2017) + pd.Timedelta(days=1)
    assert money(lines.loc[lines["day"] >= bf, "amount"].sum()) in session.ask("since black friday how much have we sold").answer
    trend = session.ask("how are sales trending month on month").answer
    assert "by month" in trend and money(lines.loc[lines["day"].dt.month == 3, "amount"].sum()) in trend
    spenders = session.ask("which customers are our biggest spenders on meat").answer
    meat = lines[lines["department"] == "Meat"].groupby("customer_id")["amount"].sum()
    assert f"customer {meat.idxmax()}" in spenders and money(meat.max()) in spenders


def test_a_week_of_a_day_and_weekend_as_one_group(session, lines):
    wk = lines[(lines["day"] >= "2017-12-18") & (lines["day"] <= "2017-12-24")]  # Monday 18th to Sunday 24th
    assert money(wk["amount"].sum()) in session.ask("what were our sales in the week of dec 18").answer
    we = lines[lines["day"].dt.dayofweek >= 5]
    q3 = we[(we["day"] >= "2017-07-01") & (we["day"] <= "2017-09-30")]["amount"].sum()
    q4 = we[(we["day"] >= "2017-10-01") & (we["day"] <= "2017-12-31")]["amount"].sum()
    answer = session.ask("did weekend sales go up in q4 vs q3").answer
    assert money(q3) in answer and money(q4) in answer, answer[:500]


def test_tuning_bank_2_kinds_in_other_words(session, ws, lines):
    o = ws.read_table("orders")
    per = o.groupby("customer_id")["order_id"].nunique()
    assert f"**{per.quantile(0.9, interpolation='linear'):g}**" in session.ask("80th pct of orders per customer".replace(
        "80", "90")).answer
    m = o.assign(month=o["timestamp"].dt.to_period("M")).groupby("month")["customer_id"].nunique()
    assert f"**{m.idxmin()}**" in session.ask("which month had the fewest shoppers").answer
    disc = session.ask("what were discounts as a percentage of sales in 2017").answer
    y = o[(o["timestamp"] >= "2017-01-01") & (o["timestamp"] < "2018-01-01")]
    assert f"{100 * y['discount'].sum() / y['amount'].sum():.1f}%" in disc, disc[:300]
    used = o[o["coupon_discount"] > 0]
    assert money(used["coupon_discount"].sum() / used["order_id"].nunique()) in session.ask(
        "avg coupon saving per order where a coupon was applied").answer
    assert DECLINE.search(session.ask("how many customers are in the Deal Hunters Club segment").answer)
    assert DECLINE.search(session.ask("who opened the christmas newsletter").answer)


def test_targeted_spend_and_complete_quarters(session, ws, lines):
    cm = ws.read_table("campaigns")
    types = cm.groupby("campaign_type")["customer_id"].nunique()
    t = types.idxmax()
    spent = lines.loc[lines["customer_id"].isin(set(cm.loc[cm["campaign_type"] == t, "customer_id"])), "amount"].sum()
    answer = session.ask(f"how much have households targeted by {t} campaigns spent with us?").answer
    assert money(spent) in answer, answer[:300]
    h2 = lines[(lines["day"] >= "2017-07-01") & (lines["day"] <= "2017-12-31")]  # Q3 + Q4: the two complete quarters
    answer = session.ask("revenue in the last 2 quarters").answer
    assert money(h2["amount"].sum()) in answer and "2017-07-01 to 2017-12-31" in answer, answer[:300]


def test_a_partial_segment_name_reads_the_one_segment_holding_it():
    from assistant.offline.query_parse import Vocab, parse_query

    vocab = Vocab(metrics={"avg_basket": ""}, dimensions={"segment": ""},
                  values={"segment": ["Active low-spend occasional shoppers", "Loyal high-spend weekly regulars"]})
    p = parse_query("avg order value for the occasional shoppers segment", vocab)
    assert p.spec["filters"] == [{"dimension": "segment", "op": "equals", "values": ["Active low-spend occasional shoppers"]}]
    assert parse_query("avg order value for the bargain shoppers segment", vocab).blocking


def test_two_rankings_in_one_question(session, lines):
    from models.analytics.layer import is_non_merchandise

    m = lines[~lines["category"].map(is_non_merchandise).astype(bool) &
              ~lines["department"].map(is_non_merchandise).astype(bool)]
    dept, cat = m.groupby("department")["amount"].sum(), m.groupby("category")["amount"].sum()
    answer = session.ask("what's the top department, and the top category?").answer
    assert money(dept.max()) in answer and money(cat.max()) in answer and cat.idxmax() in answer, answer[:600]


def test_top_one_in_each_named_value_and_reach_per_campaign(session, ws, lines):
    from models.analytics.layer import is_non_merchandise

    m = lines[~lines["category"].map(is_non_merchandise).astype(bool)]
    answer = session.ask("what's the top category in each of grocery, produce and meat?").answer
    for d in ("Grocery", "Produce", "Meat"):
        s = m[m["department"] == d].groupby("category")["amount"].sum()
        assert money(s.max()) in answer, (d, answer[:600])
    cm = ws.read_table("campaigns")
    per = cm.drop_duplicates(["campaign_id", "customer_id"]).groupby("campaign_id").size().mean()
    assert f"**{per:.2f}**" in session.ask("avg number of households per campaign").answer


def test_casual_words_are_not_filters_and_weekdays_filter(session, ws, lines):
    o = ws.read_table("orders")
    dec = lines[(lines["day"] >= "2017-12-01") & (lines["day"] <= "2017-12-31")]
    assert money(dec["amount"].sum()) in session.ask("can u pull up total revenue for last month real quick").answer
    wk = o[o["timestamp"].dt.dayofweek < 5]
    assert money(wk["amount"].sum() / wk["order_id"].nunique()) in session.ask("how big is our typical basket on weekdays").answer
    red = ws.read_table("coupon_redemptions")
    d = red[(red["timestamp"] >= "2017-12-01") & (red["timestamp"] < "2018-01-01")]
    assert f"**{len(d):,}**" in session.ask("how many coupons got used last month").answer
    q4 = o[(o["timestamp"] >= "2017-10-01") & (o["timestamp"] < "2018-01-01")]
    rep = int((q4.groupby("customer_id")["order_id"].nunique() >= 2).sum())
    assert f"**{rep:,}**" in session.ask("how many repeat customers did we have in q4").answer


def test_growth_with_no_periods_compares_the_last_two_complete_quarters(session, lines):
    from models.analytics.layer import is_non_merchandise

    m = lines[~lines["category"].map(is_non_merchandise).astype(bool) &
              ~lines["department"].map(is_non_merchandise).astype(bool)]
    q3 = m[(m["day"] >= "2017-07-01") & (m["day"] <= "2017-09-30")].groupby("department")["amount"].sum()
    q4 = m[(m["day"] >= "2017-10-01") & (m["day"] <= "2017-12-31")].groupby("department")["amount"].sum()
    change = q4.sub(q3, fill_value=0).sort_values(ascending=False)
    answer = session.ask("which dept is growing fastest").answer
    assert "2017-Q4" in answer and "2017-Q3" in answer and f"**{change.index[0]}**" in answer, answer[:500]
    top10 = session.ask("who are the 10 customers that spend the most on produce").answer
    p = lines[lines["department"] == "Produce"].groupby("customer_id")["amount"].sum()
    assert f"customer {p.idxmax()}" in top10 and "top 10" in top10


def test_a_bottom_n_of_averages_per_period_keeps_n_rows_without_unrecorded_groups(ws, lines):
    from models.analytics.layer import is_non_merchandise
    from models.analytics.query import run_query

    res = run_query(ws, {"metrics": ["revenue"], "by": ["department"], "average_per": "month", "bottom": 3})
    m = lines[~lines["category"].map(is_non_merchandise).astype(bool) &
              ~lines["department"].map(is_non_merchandise).astype(bool) & (lines["department"] != "Unknown")]
    months = len(pd.period_range(lines["day"].min(), lines["day"].max(), freq="M"))
    want = (m.groupby("department")["amount"].sum() / months).sort_values().head(3)
    assert [r["department"] for r in res["rows"]] == list(want.index)
    assert [r["revenue"] for r in res["rows"]] == [round(v, 2) for v in want]
