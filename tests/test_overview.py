"""overview() and data_query() on a small hand-made shop (numbers checked by hand) and on real households."""

from __future__ import annotations

import pandas as pd
import pytest

from models.data.errors import WorkspaceError
from models.analytics.overview import data_query, overview, parse_period
from models.data.validate import validate_table
from models.data.workspace import Workspace

# customer A: 2 orders (Jan, Feb) + a refund in Feb; B: 1 order in Jan with two lines
ORDERS = pd.DataFrame({
    "customer_id": ["A", "A", "B", "B", "A"],
    "order_id": ["o1", "o2", "o3", "o3", "o2"],
    "timestamp": ["2017-01-02 10:00", "2017-02-06 09:00", "2017-01-03 12:00", "2017-01-03 12:00", "2017-02-06 09:00"],
    "product_id": ["P1", "P2", "P1", "P3", "P1"],
    "amount": [10.0, 30.0, 20.0, 5.0, -4.0],
})
PRODUCTS = pd.DataFrame({"product_id": ["P1", "P2", "P3"], "name": ["Apple", "Bread", "Soap"],
                         "category": ["Fruit", "Bakery", "Household"]})


@pytest.fixture
def shop(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.ingest({"orders": validate_table("orders", ORDERS), "products": validate_table("products", PRODUCTS)})
    return ws


def test_overview_numbers(shop):
    ov = overview(shop)
    assert (ov["customers"], ov["orders"], ov["line_items"]) == (2, 3, 5)
    assert ov["revenue"] == 61.0  # net of the 4.00 refund
    assert ov["date_range"] == ["2017-01-02", "2017-02-06"]
    assert ov["revenue_by_month"] == [{"month": "2017-01", "revenue": 35.0, "orders": 2, "customers": 2},
                                      {"month": "2017-02", "revenue": 26.0, "orders": 1, "customers": 1}]
    assert ov["top_categories"][0] == {"category": "Bakery", "revenue": 30.0, "share": round(30 / 61, 4)}
    assert ov["top_categories"][1]["category"] == "Fruit" and ov["top_categories"][1]["revenue"] == 26.0
    assert ov["returns"] == {"rows": 1, "amount": -4.0}


def test_data_query_metrics(shop):
    assert data_query(shop, "revenue")["value"] == 61.0
    assert data_query(shop, "orders")["value"] == 3
    assert data_query(shop, "customers", period="2017-02")["value"] == 1
    assert data_query(shop, "average_basket")["value"] == round(61 / 3, 2)
    assert data_query(shop, "repeat_rate")["value"] == 0.5  # A has 2 orders, B one
    rows = data_query(shop, "revenue", by="month")["rows"]
    assert rows == [{"month": "2017-01", "revenue": 35.0}, {"month": "2017-02", "revenue": 26.0}]
    weeks = data_query(shop, "orders", by="week")["rows"]
    assert weeks == [{"week": "2017-01-02", "orders": 2}, {"week": "2017-02-06", "orders": 1}]  # Monday starts
    cats = {r["category"]: r["revenue"] for r in data_query(shop, "revenue", by="category")["rows"]}
    assert cats == {"Bakery": 30.0, "Fruit": 26.0, "Household": 5.0}
    top = data_query(shop, "top_products")["rows"]
    assert [t["name"] for t in top] == ["Bread", "Apple", "Soap"] and top[1]["revenue"] == 26.0
    tc = data_query(shop, "top_categories", by="month")["rows"]
    assert [(r["month"], r["category"]) for r in tc][:2] == [("2017-01", "Fruit"), ("2017-01", "Household")]


def test_period_parsing():
    first, last = pd.Timestamp("2017-01-01 11:00"), pd.Timestamp("2018-01-01 04:00")
    assert parse_period("2017-06", first, last)[:2] == (pd.Timestamp("2017-06-01"), pd.Timestamp("2017-07-01"))
    assert parse_period("2017-Q2", first, last)[:2] == (pd.Timestamp("2017-04-01"), pd.Timestamp("2017-07-01"))
    start, end, label = parse_period("last_30_days", first, last)
    assert (start, end) == (pd.Timestamp("2017-12-03"), pd.Timestamp("2018-01-02")) and "of data" in label
    assert parse_period(None, first, last)[:2] == (pd.Timestamp("2017-01-01"), pd.Timestamp("2018-01-02"))
    with pytest.raises(ValueError, match="last_30_days"):
        parse_period("last summer", first, last)


def test_bad_arguments_name_the_choices(shop):
    with pytest.raises(ValueError, match="revenue, orders"):
        data_query(shop, "profit")
    with pytest.raises(ValueError, match="month, week, category, segment"):
        data_query(shop, "revenue", by="region")
    with pytest.raises(WorkspaceError, match="no segments"):
        data_query(shop, "revenue", by="segment")


def test_segment_grouping_uses_saved_segments(shop):
    seg = pd.DataFrame({"customer_id": ["A", "B"], "segment_id": [0, 1], "segment": ["Loyal", "New"]})
    shop.artifacts_dir.mkdir(parents=True)
    seg.to_parquet(shop.artifact_path("segments.parquet"))
    rows = data_query(shop, "revenue", by="segment")["rows"]
    assert rows == [{"segment": "Loyal", "revenue": 36.0}, {"segment": "New", "revenue": 25.0}]


def test_orders_only_workspace(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.ingest({"orders": validate_table("orders", ORDERS.drop(columns=["order_id", "product_id"]))})
    ov = overview(ws)
    assert ov["top_categories"] == [] and ov["orders"] == 3  # one order per customer+timestamp
    with pytest.raises(WorkspaceError, match="category"):
        data_query(ws, "revenue", by="category")


def test_real_households_match_plain_pandas(tmp_path, cj_small):
    ws = Workspace(tmp_path / "ws")
    orders = validate_table("orders", cj_small["orders"])
    ws.ingest({"orders": orders, "products": cj_small["products"]})
    ov = overview(ws)
    assert ov["customers"] == 300 and ov["line_items"] == len(orders)
    assert ov["revenue"] == pytest.approx(orders["amount"].sum(), abs=0.01)
    june = orders[orders["timestamp"].dt.strftime("%Y-%m") == "2017-06"]
    q = data_query(ws, "average_basket", period="2017-06")
    assert q["value"] == pytest.approx(june["amount"].sum() / june["order_id"].nunique(), abs=0.01)
    per_cust = orders.groupby("customer_id")["order_id"].nunique()
    assert data_query(ws, "repeat_rate")["value"] == pytest.approx((per_cust >= 2).mean(), abs=1e-4)
    months = data_query(ws, "customers", by="month")["rows"]
    assert sum(1 for _ in months) == 13
    assert months[5] == {"month": "2017-06", "customers": june["customer_id"].nunique()}
