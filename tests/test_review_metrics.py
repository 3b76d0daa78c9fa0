"""Issue 18: review metrics in the semantic layer (review count, mean rating, share of 1-2 stars) by product,
category and month, with the minimum-count rule for an average rating."""

from __future__ import annotations

import pandas as pd
import pytest

from models.analytics.layer import MIN_REVIEWS_FOR_RATING
from models.analytics.query import run_query
from models.data.workspace import Workspace


@pytest.fixture()
def review_ws(tmp_path):
    rows = []
    ratings = {"P1": [5, 4, 5, 1, 2, 5], "P2": [1, 2, 1, 3, 2], "P3": [1, 1]}  # P3: too few to rank
    for pid, rs in ratings.items():
        for i, r in enumerate(rs):
            rows.append({"review_id": f"{pid}-{i}", "product_id": pid, "customer_id": f"c{i}", "rating": float(r),
                         "text": "fine", "timestamp": pd.Timestamp("2020-01-05") + pd.Timedelta(days=20 * i)})
    reviews = pd.DataFrame(rows).astype({"review_id": "string", "product_id": "string", "customer_id": "string",
                                         "text": "string"})
    products = pd.DataFrame({"product_id": ["P1", "P2", "P3"], "name": ["Capo", "Strap", "Pick"],
                             "category": ["Accessories", "Accessories", "Picks"]}).astype("string")
    ws = Workspace(tmp_path / "ws")
    ws.ingest({"reviews": reviews, "products": products})
    return ws, reviews


def _rows(res) -> pd.DataFrame:
    return pd.DataFrame(res["rows"], columns=res["columns"]) if isinstance(res["rows"][0], list) else \
        pd.DataFrame(res["rows"])


def test_review_metrics_by_product_on_a_review_only_workspace(review_ws):
    ws, reviews = review_ws
    res = run_query(ws, {"metrics": ["review_count", "avg_rating", "share_negative"], "by": ["product"]})
    df = _rows(res).set_index("product")
    assert df.loc["Capo", "review_count"] == 6 and df.loc["Strap", "review_count"] == 5
    assert df.loc["Capo", "avg_rating"] == pytest.approx(22 / 6, abs=1e-3)
    assert df.loc["Strap", "share_negative"] == pytest.approx(4 / 5, abs=1e-3)
    assert pd.isna(df.loc["Pick", "avg_rating"])  # fewer than MIN_REVIEWS_FOR_RATING reviews: no average
    assert MIN_REVIEWS_FOR_RATING == 5


def test_worst_rated_skips_products_with_too_few_reviews(review_ws):
    ws, _ = review_ws
    res = run_query(ws, {"metrics": ["avg_rating"], "by": ["product"], "bottom": 1})
    assert _rows(res)["product"].tolist() == ["Strap"]


def test_review_metrics_by_category_and_month(review_ws):
    ws, reviews = review_ws
    by_cat = _rows(run_query(ws, {"metrics": ["review_count"], "by": ["category"]})).set_index("category")
    assert by_cat.loc["Accessories", "review_count"] == 11 and by_cat.loc["Picks", "review_count"] == 2
    by_month = _rows(run_query(ws, {"metrics": ["review_count"], "by": ["month"]}))
    assert by_month["review_count"].sum() == len(reviews)


def test_review_only_workspace_offers_the_review_metrics_to_the_planner(review_ws):
    """No orders table (an Amazon review file): the query vocabulary still holds the review metrics, dated by
    the reviews, so rating questions reach the layer instead of a text search."""
    from tools import ToolContext

    ws, reviews = review_ws
    assert not ws.has_table("orders")
    vocab = ToolContext(ws).query_vocabulary()
    assert {"review_count", "avg_rating", "share_negative"} <= set(vocab["metrics"])
    assert {"product", "category", "month"} <= set(vocab["dimensions"])
    assert vocab["first_date"] == str(reviews["timestamp"].min().date())
    assert vocab["last_date"] == str(reviews["timestamp"].max().date())


def test_llm_tool_descriptions_name_the_review_metrics(fake_ctx):
    """The docstring is what an LLM reads: query_data names every review metric the layer declares and the
    minimum count; the review summary points rating numbers to query_data."""
    from models.analytics.layer import METRICS
    from tools import build_tools

    tools = {t.name: t.description for t in build_tools(fake_ctx)}
    review_metrics = [m.name for m in METRICS if m.fact == "reviews"]
    assert review_metrics and all(m in tools["query_data"] for m in review_metrics)
    assert f"fewer than {MIN_REVIEWS_FOR_RATING} reviews" in tools["query_data"]
    assert "query_data" in tools["summarize_reviews"]
