"""run_query (models/analytics) against independent pandas computations on a small real Complete Journey slice,
plus the errors that list valid names, a generic customer/date/amount workspace, the tool and the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from models.analytics.layer import is_non_merchandise
from models.analytics.query import QueryError, run_query
from models.data.validate import validate_table
from models.data.workspace import Workspace


@pytest.fixture(scope="module")
def cj_ws(tmp_path_factory, cj_small):
    ws = Workspace(tmp_path_factory.mktemp("analytics") / "ws")
    ws.ingest(cj_small)
    return ws


@pytest.fixture(scope="module")
def lines(cj_ws):
    o = cj_ws.read_table("orders")
    p = cj_ws.read_table("products")
    df = o.merge(p, on="product_id", how="left")
    return df.assign(category=df.category.fillna("Unknown"), department=df.department.fillna("Unknown"))


def _merch(df: pd.DataFrame) -> pd.DataFrame:
    bad = df["category"].map(is_non_merchandise) | df["department"].map(is_non_merchandise)
    return df[~bad.astype(bool)]


def test_revenue_by_month_matches_pandas(cj_ws, lines):
    res = run_query(cj_ws, {"metrics": ["revenue", "orders"], "by": ["month"]})
    want = lines.assign(month=lines.timestamp.dt.strftime("%Y-%m")).groupby("month").agg(
        revenue=("amount", "sum"), orders=("order_id", "nunique"))
    got = pd.DataFrame(res["rows"]).set_index("month")
    assert list(got.index) == sorted(want.index)  # time order
    assert (got["revenue"] - want["revenue"].round(2)).abs().max() < 0.006
    assert (got["orders"] == want["orders"]).all()
    assert res["chart"] == "line" and "revenue" in res["definitions"]
    assert res["restatement"].startswith("Revenue and orders by month")
    assert "?" not in res["sql"] or res["params"] == []  # nothing to bind here


def test_top_categories_within_one_department(cj_ws, lines):
    dept = lines.groupby("department")["amount"].sum().idxmax()
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["category"],
                            "filters": [{"dimension": "department", "op": "equals", "values": [dept.upper()]}],
                            "top": 5})
    sub = _merch(lines[lines.department == dept])
    want = sub.groupby("category")["amount"].sum().sort_values(ascending=False).head(5).round(2)
    got = [(r["category"], r["revenue"]) for r in res["rows"]]
    assert got == list(want.items())
    assert f"department = {dept}" in res["restatement"] and "top 5" in res["restatement"]
    assert dept not in res["sql"]  # the value travels as a parameter
    assert any(dept in p for p in res["params"])


def test_category_ranking_excludes_fuel_and_says_so(cj_ws, lines):
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["category"], "top": 10})
    names = [r["category"] for r in res["rows"]]
    assert not any(is_non_merchandise(n) for n in names)
    assert "non-merchandise" in res["restatement"] and any("Fuel" in n for n in res["notes"])
    want = _merch(lines).groupby("category")["amount"].sum().sort_values(ascending=False).head(10).round(2)
    assert names == list(want.index)
    with_all = run_query(cj_ws, {"metrics": ["revenue"], "by": ["category"], "top": 10,
                                 "include_non_merchandise": True})
    top_all = lines.groupby("category")["amount"].sum().sort_values(ascending=False).head(10)
    assert [r["category"] for r in with_all["rows"]] == list(top_all.index)


def test_q2_vs_q3_by_department(cj_ws, lines):
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["department"], "compare": ["2017-Q2", "2017-Q3"]})
    m = _merch(lines)
    q = m.timestamp.dt.to_period("Q").astype(str)
    a = m[q == "2017Q2"].groupby("department")["amount"].sum()
    b = m[q == "2017Q3"].groupby("department")["amount"].sum()
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1).fillna(0.0)
    both["change"] = both.b - both.a
    got = pd.DataFrame(res["rows"]).set_index("department")
    assert set(got.index) == set(both.index)
    for dept, row in both.iterrows():
        assert got.loc[dept, "revenue 2017-Q2"] == pytest.approx(row.a, abs=0.01)
        assert got.loc[dept, "revenue 2017-Q3"] == pytest.approx(row.b, abs=0.01)
        assert got.loc[dept, "revenue change"] == pytest.approx(row.change, abs=0.02)
        if row.a:
            assert got.loc[dept, "revenue % change"] == pytest.approx(100 * row.change / abs(row.a), abs=1e-3)
    assert list(got["revenue change"]) == sorted(got["revenue change"], reverse=True)  # sorted by change
    assert "2017-Q3 vs 2017-Q2" in res["restatement"]


def test_customers_not_bought_for_60_days(cj_ws, lines):
    res = run_query(cj_ws, {"metrics": ["customers"], "inactive_days": 60})
    as_of = lines.timestamp.max().normalize() + pd.Timedelta(days=1)
    last = lines.groupby("customer_id")["timestamp"].max()
    assert res["rows"] == [{"customers": int((last < as_of - pd.Timedelta(days=60)).sum())}]
    assert res["as_of"] == as_of.date().isoformat() and "60 days" in res["restatement"]


def test_coupon_redemptions_by_quarter(cj_ws):
    red = cj_ws.read_table("coupon_redemptions")
    res = run_query(cj_ws, {"metrics": ["coupon_redemptions"], "by": ["quarter"]})
    want = red.timestamp.dt.to_period("Q").astype(str).str.replace("Q", "-Q").value_counts().sort_index()
    assert [(r["quarter"], r["coupon_redemptions"]) for r in res["rows"]] == list(want.items())


def test_unknown_names_and_values_list_the_valid_ones(cj_ws, lines):
    with pytest.raises(QueryError, match=r"unknown dimension 'planet'.*valid dimensions: .*month"):
        run_query(cj_ws, {"metrics": ["revenue"], "by": ["planet"]})
    with pytest.raises(QueryError, match=r"unknown metric 'profit'.*revenue"):
        run_query(cj_ws, {"metrics": ["profit"]})
    dept = sorted(lines.department.dropna().unique())[0]
    with pytest.raises(QueryError, match=rf"no department called 'Narnia'; valid department values: .*{dept}"):
        run_query(cj_ws, {"by": ["category"], "filters": [{"dimension": "department", "values": ["Narnia"]}]})
    with pytest.raises(QueryError, match="period"):
        run_query(cj_ws, {"compare": ["2017-Q2", "someday"]})


def test_generic_workspace_refuses_category_metrics_with_the_reason(tmp_path):
    orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "timestamp": ["2020-01-05", "2020-02-01", "2020-02-03"],
                           "amount": [10.0, 5.0, 7.5]})
    ws = Workspace(tmp_path / "ws")
    ws.ingest({"orders": validate_table("orders", orders)})
    res = run_query(ws, {"metrics": ["revenue", "orders", "customers"], "by": ["month"]})
    assert res["rows"] == [{"month": "2020-01", "revenue": 10.0, "orders": 1, "customers": 1},
                           {"month": "2020-02", "revenue": 12.5, "orders": 2, "customers": 2}]
    with pytest.raises(QueryError, match=r"'category' is not available here: it needs the products table"):
        run_query(ws, {"metrics": ["revenue"], "by": ["category"]})
    with pytest.raises(QueryError, match=r"'coupon_redemptions' is not available here: it needs the coupon_redemptions"):
        run_query(ws, {"metrics": ["coupon_redemptions"]})


def test_query_data_tool_and_errors(fake_ctx):
    from tools import build_tools

    tool = {t.name: t for t in build_tools(fake_ctx)}["query_data"]
    out = json.loads(tool.invoke({"metrics": ["revenue"], "by": ["category"], "top": 2}))
    orders = fake_ctx.workspace.read_table("orders").merge(fake_ctx.workspace.read_table("products"), on="product_id")
    want = orders.groupby("category")["amount"].sum().sort_values(ascending=False).head(2)
    assert [(r["category"], r["revenue"]) for r in out["rows"]] == [(k, round(v, 2)) for k, v in want.items()]
    err = json.loads(tool.invoke({"metrics": ["revenue"], "by": ["category"],
                                  "filters": [{"dimension": "category", "values": ["Wine"]}]}))
    assert "no category called 'Wine'" in err["error"] and "Cheese" in err["error"]


def test_cli_query(cj_ws, tmp_path):
    from assistant.cli import cli

    runner = CliRunner()
    r = runner.invoke(cli, ["query", "-w", str(cj_ws.path), "--metric", "revenue", "--by", "month", "--top", "3",
                            "--sort", "revenue", "--json", "--csv", str(tmp_path / "q.csv")])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert len(res["rows"]) == 3 and res["rows"][0]["revenue"] >= res["rows"][1]["revenue"]
    assert pd.read_csv(tmp_path / "q.csv").shape == (3, 2)
    r = runner.invoke(cli, ["query", "-w", str(cj_ws.path), "--spec", '{"metrics": ["revenue"], "by": ["planet"]}'])
    assert r.exit_code == 2 and "valid dimensions" in r.output
