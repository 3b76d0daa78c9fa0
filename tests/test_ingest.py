"""Ingest end to end: validate everything first, commit once; adapters for Complete Journey and Amazon;
the demo's synthetic reviews."""

from __future__ import annotations

import pandas as pd
import pytest

from models.data.sources.amazon import load_amazon_reviews
from models.data.errors import DataValidationError
from models.data.ingest import ingest_demo, ingest_files
from models.data.workspace import Workspace

ORDERS = "cust,date,value,sku\nC1,2017-01-03,12.5,P1\nC2,2017-01-04,3,P2\nC1,2017-02-01,-2,P1\n"
PRODUCTS = "product_id,name,category,price\nP1,Apple,Fruit,0.5\nP2,Soap,Household,2\n"
MAP = {"customer_id": "cust", "timestamp": "date", "amount": "value", "product_id": "sku"}


@pytest.fixture
def files(tmp_path):
    (tmp_path / "o.csv").write_text(ORDERS)
    (tmp_path / "p.csv").write_text(PRODUCTS)
    return tmp_path


def test_ingest_files_with_mapping(files):
    ws = Workspace(files / "ws")
    res = ingest_files(ws, orders=files / "o.csv", products=files / "p.csv", mapping=MAP, progress=False)
    assert res["status"] == {"orders": "added", "products": "added"}
    assert res["rows"] == {"orders": 3, "products": 2}
    orders = ws.read_table("orders")
    assert orders["product_id"].tolist() == ["P1", "P2", "P1"]
    assert orders["is_return"].tolist() == [False, False, True]
    assert ws.table_info("orders")["source"] == str(files / "o.csv")


def test_reingesting_same_file_is_idempotent(files):
    ws = Workspace(files / "ws")
    ingest_files(ws, orders=files / "o.csv", mapping=MAP, progress=False)
    before = ws.manifest_path.read_bytes()
    res = ingest_files(ws, orders=files / "o.csv", mapping=[f"{k}={v}" for k, v in MAP.items()], progress=False)
    assert res["status"] == {"orders": "unchanged"}
    assert ws.manifest_path.read_bytes() == before


def test_bad_file_leaves_workspace_unchanged(files):
    ws = Workspace(files / "ws")
    ingest_files(ws, orders=files / "o.csv", mapping=MAP, progress=False)
    before = ws.manifest_path.read_bytes()
    data_before = sorted(p.name for p in ws.data_dir.iterdir())
    # a good new orders file together with a bad products file: nothing is written
    (files / "o2.csv").write_text(ORDERS + "C3,2017-03-01,4,P2\n")
    (files / "bad.csv").write_text("product_id,name\nP1,a\nP1,b\n")
    with pytest.raises(DataValidationError, match="duplicate product_id"):
        ingest_files(ws, orders=files / "o2.csv", products=files / "bad.csv", mapping=MAP, progress=False)
    assert ws.manifest_path.read_bytes() == before
    assert sorted(p.name for p in ws.data_dir.iterdir()) == data_before
    assert len(ws.read_table("orders")) == 3


def test_unused_mapping_is_refused_with_columns(files):
    ws = Workspace(files / "ws")
    with pytest.raises(DataValidationError) as info:
        ingest_files(ws, orders=files / "o.csv", mapping={**MAP, "quantity": "qty"}, progress=False)
    assert "--map quantity=qty" in str(info.value) and "cust, date, value, sku" in str(info.value)
    assert not ws.exists()


def test_missing_column_message_names_file_columns(files):
    ws = Workspace(files / "ws")
    odd = files / "odd.csv"  # "when" is no common name for the date ("date" would be read as timestamp)
    odd.write_text((files / "o.csv").read_text().replace("date", "when", 1))
    with pytest.raises(DataValidationError) as info:
        ingest_files(ws, orders=odd, mapping={"customer_id": "cust"}, progress=False)
    msg = str(info.value)
    assert "odd.csv" in msg and "'timestamp'" in msg and "columns found: cust, when, value, sku" in msg


def test_amazon_adapter_on_real_reviews(amazon_reviews_path):
    out = load_amazon_reviews(amazon_reviews_path)
    reviews, products = out["reviews"], out["products"]
    assert len(reviews) == 10261 and reviews["review_id"].is_unique
    assert len(products) == 900 and products["category"].eq("Musical Instruments").all()
    assert products["name"].iloc[0] == f"Product {products['product_id'].iloc[0]}"
    assert set(reviews["product_id"]) == set(products["product_id"])
    assert reviews["customer_id"].nunique() == 1429
    assert reviews["rating"].between(1, 5).all() and not reviews["synthetic"].any()
    assert reviews["timestamp"].min() == pd.Timestamp("2004-09-18")
    assert reviews["timestamp"].max() == pd.Timestamp("2014-07-23") - pd.Timedelta(days=1)
    assert (reviews["text"].str.len() > 0).all()
    # ids are stable across runs (derived from asin, reviewer and time, not row order)
    again = load_amazon_reviews(amazon_reviews_path)["reviews"]
    assert again["review_id"].tolist() == reviews["review_id"].tolist()
    assert reviews["review_id"].str.startswith("AMZ-").all()


def test_amazon_file_through_ingest_brings_products(tmp_path, amazon_reviews_path):
    ws = Workspace(tmp_path / "ws")
    res = ingest_files(ws, reviews=amazon_reviews_path, progress=False)
    assert res["rows"] == {"reviews": 10261, "products": 900}
    assert ws.read_table("reviews")["review_id"].is_unique


def test_completejourney_full_counts():
    from models.data.sources.completejourney import load_completejourney

    cj = load_completejourney()
    o = cj["orders"]
    assert o["customer_id"].nunique() == 2469 and len(cj["customers"]) == 2469
    assert len(o) == 1469307
    assert o["timestamp"].min().date().isoformat() == "2017-01-01"
    assert o["timestamp"].max().date().isoformat() == "2018-01-01"
    assert (o["discount"] >= 0).all() and (o["coupon_discount"] >= 0).all()
    assert cj["products"]["product_id"].is_unique


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("demo") / "ws")
    result = ingest_demo(ws, n_customers=300, progress=False)
    return ws, result


def test_ingest_demo_tables_and_sources(demo_ws):
    ws, result = demo_ws
    assert set(ws.table_names()) == {"orders", "products", "customers", "reviews", "campaigns",
                                     "coupon_redemptions"}
    assert ws.read_table("orders", columns=["customer_id"])["customer_id"].nunique() == 300
    assert "SYNTHETIC" in ws.table_info("reviews")["source"]
    assert "Complete Journey" in ws.table_info("orders")["source"]
    assert result["rows"]["reviews"] == ws.table_info("reviews")["rows"]


def test_demo_reviews_are_synthetic_structured_and_grounded(demo_ws):
    ws, _ = demo_ws
    r = ws.read_table("reviews")
    orders = ws.read_table("orders", columns=["customer_id", "product_id", "timestamp"])
    products = ws.read_table("products")
    assert r["synthetic"].all() and r["review_id"].is_unique
    assert 300 <= len(r) <= 6000
    # reviewers bought the product, and wrote after buying it, within the data period
    bought = set(zip(orders["customer_id"], orders["product_id"]))
    assert all((c, p) in bought for c, p in zip(r["customer_id"], r["product_id"]))
    first_buy = orders.groupby(["customer_id", "product_id"])["timestamp"].min()
    assert (r["timestamp"].to_numpy() >= first_buy.loc[list(zip(r["customer_id"], r["product_id"]))].to_numpy()).all()
    assert r["timestamp"].max() <= orders["timestamp"].max()
    cats = r.merge(products, on="product_id")["category"]
    assert 15 <= cats.nunique() <= 25
    # structure to find: ratings differ between categories and products, and the text varies
    by_product = r.groupby("product_id")["rating"].mean()
    assert by_product.std() > 0.3
    assert r["rating"].nunique() == 5
    assert r["text"].nunique() > 0.8 * len(r)
    assert r["text"].str.split().str.len().median() >= 8
    assert r["text"].str.contains("packag", case=False).any() and r["text"].str.contains("fresh", case=False).any()


def test_demo_reviews_are_deterministic(cj_small):
    from models.data.sources.synthetic_reviews import synthetic_reviews
    from models.data.validate import validate_table

    orders = validate_table("orders", cj_small["orders"])
    a = synthetic_reviews(orders, cj_small["products"], n_reviews=400, random_state=0)
    b = synthetic_reviews(orders, cj_small["products"], n_reviews=400, random_state=0)
    c = synthetic_reviews(orders, cj_small["products"], n_reviews=400, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a["text"].equals(c["text"])


def test_problem_products_rate_lower_on_their_problem(cj_small):
    """Products with a hidden problem get complaints about it, and worse ratings where it is mentioned."""
    from models.data.sources.synthetic_reviews import synthetic_reviews
    from models.data.validate import validate_table

    r = synthetic_reviews(validate_table("orders", cj_small["orders"]), cj_small["products"], n_reviews=3000)
    leaky = r["text"].str.contains("leaked all over|leaks every|seal was broken|seal breaks|tears", case=False)
    assert leaky.sum() > 20
    assert r.loc[leaky, "rating"].mean() < r.loc[~leaky, "rating"].mean() - 0.5
    # complaints cluster on some products rather than being spread evenly
    share = leaky.groupby(r["product_id"]).mean()
    assert share.max() > 0.5 and share.median() < 0.2
