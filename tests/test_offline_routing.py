"""The offline planner's routing and refusal layer on a real 300-household Complete Journey slice (plus a few
made-up reviews so the review metrics exist): questions go to the tool that answers what is asked, and questions
nothing here can answer are declined in plain words, naming what is missing and what can be done instead.

Wording here is written for this test (not the question bank's)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from assistant.offline import OfflinePlanner
from assistant.offline.refusals import unheld_text, unknowable_text
from models.data.workspace import Workspace
from tests.planner_fixtures import DECLINE, one_embedding_thread  # noqa: F401 (fixture)
from tools import ToolContext



@pytest.fixture(scope="module")
def planner(tmp_path_factory, cj_small):
    from assistant.offline.router import Router

    tables = dict(cj_small)
    products = cj_small["products"]["product_id"].astype(str).head(12).tolist()
    n = 60
    tables["reviews"] = pd.DataFrame({
        "review_id": pd.array([f"r{i}" for i in range(n)], dtype="string"),
        "product_id": pd.array([products[i % len(products)] for i in range(n)], dtype="string"),
        "customer_id": pd.array([str(cj_small["orders"]["customer_id"].iloc[i]) for i in range(n)], dtype="string"),
        "rating": [float(1 + i % 5) for i in range(n)],
        "text": pd.array([f"review text number {i}, the product was {'bad' if i % 5 < 2 else 'fine'}"
                          for i in range(n)], dtype="string"),
        "timestamp": pd.date_range("2017-03-01", periods=n, freq="5D")})
    ws = Workspace(tmp_path_factory.mktemp("offline_routing") / "ws")
    ws.ingest(tables)
    return OfflinePlanner(context=ToolContext(ws), router=Router())


def _plan(planner, q):
    return planner.plan(q)


# 1. a measure over past data is analytics, even when it reads like the purchase predictor's examples ---------
@pytest.mark.parametrize("q", [
    "what is the typical (median) amount a household spends with us?",
    "show the 75th percentile of spend per household",
    "which department do the most households buy from?",
    "what share of households bought more than once?",
])
def test_measures_over_the_data_go_to_query_data(planner, q):
    p = _plan(planner, q)
    assert p.route == "query_data", (q, p.route, p.args, p.message)


@pytest.mark.parametrize("q", [
    "which households are likely to shop in the next 2 weeks?",
    "who is most likely to place an order this week",
])
def test_predictions_still_go_to_the_predictor(planner, q):
    assert _plan(planner, q).route == "predict_buyers"


# 2. refusals -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("q", [
    "which households are going to win a raffle prize?",
    "will it rain on saturday?",
    "which customers will win the jackpot next week",
    "what will the stock market do next month?",
])
def test_unknowable_predictions_are_declined_with_what_we_can_predict(planner, q):
    p = _plan(planner, q)
    assert p.route == "clarify", (q, p.route, p.args)
    assert DECLINE.search(p.message) and "predict" in p.message
    assert re.search(r"who will buy", p.message) and re.search(r"churn|lapsing", p.message)


@pytest.mark.parametrize("q,missing", [
    ("what are the main reasons shoppers send products back?", "returns"),
    ("why did people return their orders last month", "returns"),
    ("how much money did we put into advertising last quarter?", "advertising"),
    ("how many visitors came to the website in june", "web"),
    ("what's the click-through on our newsletters", "email engagement"),
    ("give me the phone number for household 1234", "contact"),
])
def test_data_we_do_not_hold_is_named(planner, q, missing):
    p = _plan(planner, q)
    assert p.route == "clarify", (q, p.route, p.args)
    assert DECLINE.search(p.message), p.message
    assert missing in p.message.lower(), p.message


@pytest.mark.parametrize("q", ["do any reviews talk about returning the product?",
                               "find reviews that mention a refund"])
def test_review_questions_about_returns_stay_review_searches(planner, q):
    p = _plan(planner, q)
    assert p.route == "search_reviews", (q, p.route, p.message)


def test_refusal_helpers_leave_answerable_questions_alone():
    for q, route in [("who will buy coffee next month", "product_audience"),
                     ("will revenue grow next quarter", "forecast"),
                     ("how many customers will we lose next month", "at_risk_customers"),
                     ("what will custmer 123 by next", "recommend_products"),
                     ("which households will come back soon", "predict_buyers")]:
        assert unknowable_text(q, route) is None, q
    assert unheld_text("do reviews mention returns?", "search_reviews") is None
    assert unheld_text("what is our revenue by month", "data_overview") is None


# 5. recommendations and product audiences, with typos ----------------------------------------------------------
@pytest.mark.parametrize("q", ["what is household 1234 going to buy next?", "what will custmer 1234 by next",
                               "sugest products for costumer 1234"])
def test_next_basket_questions_route_with_the_customer(planner, q):
    p = _plan(planner, q)
    assert p.route == "recommend_products", (q, p.route, p.args, p.message)
    assert p.args.get("customer_id") == "1234"


# 3. complaints and praise as ranked themes ---------------------------------------------------------------------
@pytest.mark.parametrize("q,focus", [
    ("what do our shoppers grumble about most often?", "complaints"),
    ("biggest complaints in the feedback", "complaints"),
    ("what do households love most?", "praise"),
    ("what are the common things people praise?", "praise"),
])
def test_complaint_and_praise_rankings_go_to_the_summary_with_a_focus(planner, q, focus):
    p = _plan(planner, q)
    assert p.route == "summarize_reviews" and p.args.get("focus") == focus, (q, p.route, p.args)


def test_a_named_complaint_topic_stays_a_search(planner):
    p = _plan(planner, "complaints about the packaging")
    assert p.route == "search_reviews" and "packaging" in p.args.get("query", "")


# 5. product audiences name the stored category, spelling forgiven; "#N" after store/campaign is no customer -----
@pytest.mark.parametrize("q", ["which households will buy cheese in the next month?",
                               "who wil buy chese next month"])
def test_product_audience_names_the_stored_category(planner, q):
    p = _plan(planner, q)
    assert p.route == "product_audience", (q, p.route, p.args)
    assert p.args["product_or_category"] == "Cheese"


def test_hash_numbers_after_store_or_campaign_are_not_customer_ids():
    from assistant.offline.parsing import parse_customer_id

    assert parse_customer_id("sales at store #367 last month") is None
    assert parse_customer_id("how did campaign #12 do") is None
    assert parse_customer_id("tell me about #1234") == "1234"
    assert parse_customer_id("what will custmer 77 buy") == "77"
    assert parse_customer_id("customers 2017") is None


# 4. value: the most valuable customers by CLV, one customer's lifetime value, the at-risk list -------------------
@pytest.mark.parametrize("q", ["which households are worth the most to us?", "list our customers by lifetime value",
                               "show the 5 most valuable shoppers", "who are our most valueable clients"])
def test_most_valuable_lists_customers_by_clv(planner, q):
    p = _plan(planner, q)
    assert p.route == "at_risk_customers" and p.args.get("rank_by") == "value", (q, p.route, p.args)


@pytest.mark.parametrize("q,route", [
    ("what is household 1234 worth over the next year?", "customer_value"),
    ("lifetime valu of custmer 1234", "customer_value"),
    ("which of our big spenders are drifting off?", "at_risk_customers"),
    ("valuable customers who might be lapsing", "at_risk_customers"),
])
def test_value_and_risk_routes(planner, q, route):
    p = _plan(planner, q)
    assert p.route == route, (q, p.route, p.args)
    assert p.args.get("rank_by") != "value"
    if route == "customer_value":
        assert p.args["customer_id"] == "1234"


def test_rank_by_value_lists_every_high_value_customer_by_clv(fake_ctx):
    from tools.value import at_risk_impl

    at_risk = at_risk_impl(fake_ctx, 0.5, 50)
    top = at_risk_impl(fake_ctx, 0.5, 50, rank_by="value")
    assert top["rank_by"] == "value" and at_risk["rank_by"] == "value_at_risk"
    clv = [c["clv"] for c in top["customers"]]
    assert clv == sorted(clv, reverse=True) and all(v >= top["value_threshold"] for v in clv)
    assert len(top["customers"]) == min(50, top["n_high_value"]) >= len(at_risk["customers"])
    assert {c["customer_id"] for c in at_risk["customers"]} <= {c["customer_id"] for c in top["customers"]}
    with pytest.raises(Exception):
        at_risk_impl(fake_ctx, 0.5, 50, rank_by="luck")


def test_most_valuable_answer_says_what_it_ranks(fake_ctx):
    from assistant.offline.compose import compose_answer
    from tools.value import at_risk_impl

    text = compose_answer([("at_risk_customers", {"rank_by": "value"}, at_risk_impl(fake_ctx, 0.5, 5, rank_by="value"))])
    assert "Most valuable customers" in text and "CLV" in text and "at risk of churning" not in text


# 6. rating questions are review metrics over the reviews table (issue 18 item 4), topics stay searches ----------
@pytest.mark.parametrize("q, metric", [
    ("what is the mean star rating of our reviews, month by month?", "avg_rating"),
    ("which items have the lowest ratings?", "avg_rating"),
    ("what fraction of reviews are 1 or 2 stars?", "share_negative"),
    ("how many reviews have we received in total?", "review_count"),
])
def test_rating_questions_go_to_the_review_metrics(planner, q, metric):
    p = _plan(planner, q)
    assert p.route == "query_data" and metric in p.args["metrics"], (q, p.route, p.args, p.message)


def test_rating_answers_match_pandas_and_topics_stay_searches(planner):
    from tools.query import query_data_impl

    reviews = planner.context.workspace.read_table("reviews")
    args = _plan(planner, "what fraction of reviews are 1 or 2 stars?").args
    res = query_data_impl(planner.context, **args)
    value = res["rows"][0]["share_negative"]
    assert value == pytest.approx((reviews["rating"] <= 2).mean(), abs=1e-9)
    assert _plan(planner, "how many reviews mention the packaging?").route == "search_reviews"
    assert _plan(planner, "what do reviews say about the taste?").route == "search_reviews"
