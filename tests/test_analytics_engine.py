"""The in-memory copy stores the text ids as ENUMs (models.analytics.engine): every answer must be the one the text
ids give, ids must keep their text order, and a new ingest must rebuild the types with the new ids."""

from __future__ import annotations

import pandas as pd
import pytest

from models.analytics import engine
from models.analytics.query import run_query
from models.data.validate import validate_table
from models.data.workspace import Workspace

# questions that group, count, join, filter and rank on the three id columns (and on segments, keyed by customer)
SPECS = [
    {"metrics": ["revenue", "orders", "customers", "line_items", "products"]},
    {"metrics": ["revenue"], "by": ["category"], "top": 10},
    {"metrics": ["revenue", "orders"], "by": ["customer"], "top": 12},
    {"metrics": ["revenue"], "by": ["product_id"], "bottom": 5},
    {"metrics": ["revenue"], "by": ["product"], "top": 5, "filters": [
        {"dimension": "department", "op": "equals", "values": ["Meat"]}]},
    {"metrics": ["customers"], "customer_conditions": [{"measure": "orders", "op": ">=", "value": 10}]},
    {"metrics": ["customers"], "customer_conditions": [{"measure": "revenue", "op": "top_pct", "value": 10}]},
    {"metrics": ["revenue"], "concentration": {"top_n": [1, 5, 20]}},
    {"distribution": {"measure": "revenue", "per": "order", "bins": 6}},
    {"metrics": ["repeat_customer_share", "new_customers", "returning_customers"], "by": ["quarter"]},
    {"metrics": ["avg_basket", "products_per_customer"], "by": ["weekday"]},
    {"metrics": ["revenue"], "by": ["income"], "filters": [{"dimension": "age", "op": "range", "min": 35, "max": 54}]},
    {"metrics": ["coupon_redemption_rate", "campaign_reach"], "by": ["campaign_type"]},
    {"metrics": ["customers"], "inactive_days": 60, "by": ["segment"]},
    {"metrics": ["revenue"], "purchase_conditions": [
        {"bought": False, "filters": [{"dimension": "department", "op": "equals", "values": ["Meat"]}]}]},
    {"metrics": ["orders"], "order_conditions": [{"measure": "revenue", "op": ">", "value": 50}], "by": ["month"]},
]


@pytest.fixture(scope="module")
def cj_ws(tmp_path_factory, cj_small):
    ws = Workspace(tmp_path_factory.mktemp("engine") / "ws")
    ws.ingest(cj_small)
    ids = sorted(cj_small["customers"]["customer_id"].unique())
    ws.artifact_path(engine.SEGMENTS_FILE).parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"customer_id": ids, "segment_id": [i % 3 for i in range(len(ids))],
                  "segment": [f"segment {i % 3}" for i in range(len(ids))]}).to_parquet(
        ws.artifact_path(engine.SEGMENTS_FILE))
    return ws


def _answers(ws: Workspace, specs) -> list:
    engine.close_all()
    out = [{k: run_query(ws, s)[k] for k in ("columns", "rows", "notes", "restatement")} for s in specs]
    engine.close_all()
    return out


def test_enum_ids_answer_like_text_ids(cj_ws, monkeypatch):
    with_enums = _answers(cj_ws, SPECS)
    cur = engine.connect(cj_ws)
    try:
        kinds = cur.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                            "WHERE column_name IN ('customer_id', 'order_id', 'product_id')").fetchall()
        off = cur.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
        known = {r[0] for r in cur.execute("SELECT name FROM duckdb_optimizers()").fetchall()}
    finally:
        cur.close()
    assert {t for t, _, _ in kinds} >= {"orders", "products", "customers", "campaigns", "segments"}
    assert all(kind.startswith("ENUM") for _, _, kind in kinds), kinds
    assert set(engine._SLOW_WITH_ENUMS) & known <= set(off.split(","))  # planning time grows with the ENUMs' sizes
    monkeypatch.setattr(engine, "ID_COLUMNS", ())
    as_text = _answers(cj_ws, SPECS)
    assert with_enums == as_text
    assert all(isinstance(r["customer"], str) for r in with_enums[2]["rows"])  # not a categorical, not a number


def _orders(ws: Workspace, ids: list[str]) -> None:
    orders = pd.DataFrame({"customer_id": ids, "order_id": [f"o{c}" for c in ids],
                           "timestamp": pd.date_range("2020-01-01", periods=len(ids), freq="D"),
                           "amount": [float(i + 1) for i in range(len(ids))]})
    ws.ingest({"orders": validate_table("orders", orders)})


def test_ids_keep_text_order_and_a_new_ingest_brings_new_ids(tmp_path):
    ws = Workspace(tmp_path / "ws")
    _orders(ws, ["9", "10", "100", "B", "a"])
    res = run_query(ws, {"metrics": ["revenue"], "by": ["customer"], "sort": "customer", "descending": False})
    assert [r["customer"] for r in res["rows"]] == sorted(["9", "10", "100", "B", "a"])
    cur = engine.connect(ws)
    try:
        assert cur.execute("SELECT min(customer_id), max(customer_id) FROM orders").fetchone() == ("10", "a")
        assert cur.execute("SELECT count(*) FROM orders WHERE customer_id = 'not an id'").fetchone() == (0,)
        assert cur.execute("SELECT count(*) FROM orders WHERE customer_id > '9'").fetchone() == (2,)  # 'B', 'a'
    finally:
        cur.close()
    _orders(ws, ["9", "10", "77"])  # a new ingest: '77' was in no type of the previous database
    res = run_query(ws, {"metrics": ["customers", "orders"], "filters": [
        {"dimension": "customer", "op": "in", "values": ["77"]}]})
    assert res["rows"] == [{"customers": 1, "orders": 1}]
    engine.close_all()


def test_per_customer_breakdowns_match_pandas(cj_ws, cj_small):
    """Repeat customers, days between orders and new / returning per group (groups listed from the per-customer
    step, not from the lines) against pandas, with a product filter and unrecorded groups (customers with no
    demographics have no income)."""
    lines = cj_small["orders"].merge(cj_small["products"][["product_id", "department"]], on="product_id", how="left")
    lines = lines.merge(cj_small["customers"][["customer_id", "income"]], on="customer_id", how="left")
    assert lines["income"].isna().any()  # the unrecorded group is exercised
    meat = lines[lines["department"] == "Meat"]
    per = meat.groupby(["income", "customer_id"], dropna=False).agg(
        n=("order_id", "nunique"), lo=("timestamp", "min"), hi=("timestamp", "max")).reset_index()
    per["gap"] = (per["hi"].dt.normalize() - per["lo"].dt.normalize()).dt.days / (per["n"] - 1)
    res = run_query(cj_ws, {"metrics": ["repeat_customers", "repeat_customer_share", "days_between_orders"],
                            "by": ["income"], "filters": [{"dimension": "department", "op": "equals",
                                                           "values": ["Meat"]}]})
    got = {r["income"]: r for r in res["rows"]}
    assert len(got) == per["income"].nunique(dropna=False)
    for income, g in per.groupby("income", dropna=False):
        r = got[None if pd.isna(income) else income]
        rep = g[g["n"] >= 2]
        assert r["repeat_customers"] == len(rep)
        assert r["repeat_customer_share"] == pytest.approx(len(rep) / len(g), abs=1e-4)
        assert r["days_between_orders"] == (pytest.approx(rep["gap"].mean(), abs=1e-4) if len(rep) else None)
    first = lines.groupby("customer_id")["timestamp"].min()
    q3 = lines[(lines["timestamp"] >= "2017-07-01") & (lines["timestamp"] < "2017-10-01")]
    res = run_query(cj_ws, {"metrics": ["new_customers", "returning_customers"], "by": ["income"],
                            "period": "2017-Q3"})
    got = {r["income"]: (r["new_customers"], r["returning_customers"]) for r in res["rows"]}
    want = {}
    for income, g in q3.groupby("income", dropna=False):
        new = int((first.loc[g["customer_id"].unique()] >= pd.Timestamp("2017-07-01")).sum())
        want[None if pd.isna(income) else income] = (new, g["customer_id"].nunique() - new)
    assert got == want
