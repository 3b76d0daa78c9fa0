"""run_query (models/analytics) against independent pandas computations on a small real Complete Journey slice,
plus the errors that list valid names, a generic customer/date/amount workspace, the tool and the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
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
    assert "2017-Q3 (2017-07-01 to 2017-09-30) vs 2017-Q2 (2017-04-01 to 2017-06-30)" in res["restatement"]


def test_customers_not_bought_for_60_days(cj_ws, lines):
    res = run_query(cj_ws, {"metrics": ["customers"], "inactive_days": 60})
    as_of = lines.timestamp.max().normalize() + pd.Timedelta(days=1)
    last = lines.groupby("customer_id")["timestamp"].max()
    inactive = int((last < as_of - pd.Timedelta(days=60)).sum())
    assert res["rows"] == [{"customers": inactive, "customers % of all": round(100 * inactive / len(last), 4)}]
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


# -- session 3: periods, filters, shares, customer conditions, concentration, distributions, new metrics -----------

def test_one_period_parser_absolute_and_relative():
    from models.analytics.overview import parse_period
    from models.analytics.periods import resolve_period

    last, first = pd.Timestamp("2017-08-15 13:00"), pd.Timestamp("2016-01-03")
    cases = {"2017-Q3": ("2017-07-01", "2017-10-01"), "Q2 2017": ("2017-04-01", "2017-07-01"),
             "2017-03": ("2017-03-01", "2017-04-01"), "2017": ("2017-01-01", "2018-01-01"),
             "2017-03-05": ("2017-03-05", "2017-03-06"), "2017-03-01..2017-04-15": ("2017-03-01", "2017-04-16"),
             "2017-03-01/2017-04": ("2017-03-01", "2017-05-01"),
             "last_quarter": ("2017-04-01", "2017-07-01"), "this_quarter": ("2017-07-01", "2017-08-16"),
             "last_month": ("2017-07-01", "2017-08-01"), "this_month": ("2017-08-01", "2017-08-16"),
             "last_30_days": ("2017-07-17", "2017-08-16"), "last_2_weeks": ("2017-08-02", "2017-08-16"),
             "ytd": ("2017-01-01", "2017-08-16"), "last_year": ("2016-01-01", "2017-01-01"),
             "last week": ("2017-08-07", "2017-08-14"), "all": ("2016-01-03", "2017-08-16")}
    for text, (a, b) in cases.items():
        w = resolve_period(text, last, first)
        assert (w.start, w.end) == (pd.Timestamp(a), pd.Timestamp(b)), text
    assert resolve_period("last_quarter", last).describe() == "last quarter (2017-04-01 to 2017-06-30)"
    assert parse_period("last_quarter", first, last)[:2] == (pd.Timestamp("2017-04-01"), pd.Timestamp("2017-07-01"))
    with pytest.raises(ValueError, match="last_quarter"):
        resolve_period("the summer", last)


def test_relative_period_resolves_against_last_order_and_is_restated(cj_ws, lines):
    last = lines.timestamp.max()
    q = pd.Period(last, freq="Q") - 1
    res = run_query(cj_ws, {"metrics": ["revenue"], "period": "last_quarter"})
    want = lines[(lines.timestamp >= q.start_time) & (lines.timestamp < (q + 1).start_time)]["amount"].sum()
    assert res["rows"][0]["revenue"] == pytest.approx(want, abs=0.01)
    start, end = q.start_time.date().isoformat(), q.end_time.date().isoformat()
    assert res["windows"] == [{"label": "last quarter", "start": start, "end": end}]
    assert f"last quarter ({start} to {end})" in res["restatement"]


def test_filters_not_in_contains_and_ranges(cj_ws, lines):
    cust = cj_ws.read_table("customers")
    lc = lines.merge(cust, on="customer_id", how="left")
    # range over banded ages: 35..54 is the 35-44 and 45-54 bands
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["income"],
                            "filters": [{"dimension": "age", "op": "range", "min": 35, "max": 54}]})
    sub = lc[lc.age.isin(["35-44", "45-54"])]
    want = sub.groupby("income")["amount"].sum()
    got = {r["income"]: r["revenue"] for r in res["rows"]}
    assert set(got) == set(want.index)
    assert all(got[k] == pytest.approx(v, abs=0.01) for k, v in want.items())
    assert "age in ['35-44', '45-54']" in res["restatement"]
    # a date range on day, inclusive on both ends
    res = run_query(cj_ws, {"metrics": ["orders"], "filters": [
        {"dimension": "day", "op": "range", "min": "2017-03-01", "max": "2017-03-10"}]})
    d = lines.timestamp.dt.strftime("%Y-%m-%d")
    assert res["rows"][0]["orders"] == lines[(d >= "2017-03-01") & (d <= "2017-03-10")].order_id.nunique()
    # name match: case-insensitive substring on product names; not_in leaves a category out
    p = cj_ws.read_table("products")
    res = run_query(cj_ws, {"metrics": ["revenue"], "filters": [{"dimension": "product", "op": "contains",
                                                                 "values": ["ORGANIC"]}]})
    names = lines.product_id.map(p.set_index("product_id")["name"])
    want = lines[names.str.lower().str.contains("organic", na=False)]["amount"].sum()
    assert res["rows"][0]["revenue"] == pytest.approx(want, abs=0.01)
    top = lines.groupby("category")["amount"].sum().idxmax()
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["department"], "include_non_merchandise": True,
                            "filters": [{"dimension": "category", "op": "not_in", "values": [top.lower()]}]})
    want = lines[lines.category != top].groupby("department")["amount"].sum()
    got = {r["department"]: r["revenue"] for r in res["rows"]}
    assert all(got.get(k, 0.0) == pytest.approx(v, abs=0.01) for k, v in want.items())
    with pytest.raises(QueryError, match="no brand contains 'zzqx'"):
        run_query(cj_ws, {"filters": [{"dimension": "brand", "op": "contains", "values": ["zzqx"]}]})


def test_share_of_total_and_bottom_n(cj_ws, lines):
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["department"], "share_of_total": True,
                            "include_non_merchandise": True, "period": "2017"})
    y = lines[lines.timestamp.dt.year == 2017]
    by = y.groupby("department")["amount"].sum()
    for r in res["rows"]:
        assert r["revenue % of total"] == pytest.approx(100 * by[r["department"]] / y.amount.sum(), abs=1e-3)
    month = lines.timestamp.dt.strftime("%Y-%m")
    per = lines.groupby(month)["amount"].sum()
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["month"], "bottom": 2})
    assert [r["month"] for r in res["rows"]] == list(per.sort_values().index[:2])
    assert "bottom 2" in res["restatement"]
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["month"], "top": 1})
    assert res["rows"][0]["month"] == per.idxmax()  # "which month was highest"


def test_customer_conditions_frequency_spend_recency_top_pct(cj_ws, lines):
    n_orders = lines.groupby("customer_id")["order_id"].nunique()
    res = run_query(cj_ws, {"metrics": ["customers"],
                            "customer_conditions": [{"measure": "orders", "op": ">=", "value": 10}]})
    assert res["rows"][0]["customers"] == int((n_orders >= 10).sum())
    y = lines[lines.timestamp.dt.year == 2017]
    spend = y.groupby("customer_id")["amount"].sum()
    res = run_query(cj_ws, {"metrics": ["customers", "revenue"], "period": "2017",
                            "customer_conditions": [{"measure": "spend", "op": ">", "value": 500}]})
    keep = spend[spend > 500].index
    assert res["rows"][0]["customers"] == len(keep)
    assert res["rows"][0]["revenue"] == pytest.approx(y[y.customer_id.isin(keep)].amount.sum(), abs=0.01)
    res = run_query(cj_ws, {"metrics": ["customers"], "customer_conditions": [
        {"measure": "revenue", "op": "between", "value": [100, 1000]}]})
    total = lines.groupby("customer_id")["amount"].sum()
    assert res["rows"][0]["customers"] == int(total.between(100, 1000).sum())
    last_day = lines.timestamp.max().normalize()
    days = (last_day - lines.groupby("customer_id")["timestamp"].max().dt.normalize()).dt.days
    res = run_query(cj_ws, {"metrics": ["customers"], "customer_conditions": [
        {"measure": "days_since_last_order", "op": ">=", "value": 60}]})
    assert res["rows"][0]["customers"] == int((days >= 60).sum())
    assert res["rows"] == run_query(cj_ws, {"metrics": ["customers"], "inactive_days": 60})["rows"]
    # revenue by department from the top 10% of customers (ranked by all-time revenue)
    k = math.ceil(len(total) * 10 / 100)
    top = total.reset_index().sort_values(["amount", "customer_id"], ascending=[False, True]).head(k).customer_id
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["department"], "include_non_merchandise": True,
                            "customer_conditions": [{"measure": "revenue", "op": "top_pct", "value": 10}]})
    want = lines[lines.customer_id.isin(top)].groupby("department")["amount"].sum()
    got = {r["department"]: r["revenue"] for r in res["rows"]}
    assert set(got) == set(want.index) and all(got[d] == pytest.approx(v, abs=0.01) for d, v in want.items())


def test_concentration_top_pct_share(cj_ws, lines):
    res = run_query(cj_ws, {"metrics": ["revenue"], "concentration": {"top_pct": [1, 10, 20]}})
    spend = lines.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    for r, pct in zip(res["rows"], (1, 10, 20)):
        k = math.ceil(len(spend) * pct / 100)
        assert (r["top_pct"], r["customers"], r["customers in all"]) == (pct, k, len(spend))
        assert r["revenue"] == pytest.approx(spend.head(k).sum(), abs=0.01)
        assert r["revenue share %"] == pytest.approx(100 * spend.head(k).sum() / spend.sum(), abs=1e-3)
    assert "top 1%, 10%, 20% of customers" in res["restatement"]


def test_distributions_quantiles_and_histogram(cj_ws, lines):
    spend = lines.groupby("customer_id")["amount"].sum()
    res = run_query(cj_ws, {"distribution": {"measure": "revenue", "per": "customer", "quantiles": [0.25, 0.5, 0.9]}})
    assert [r["quantile"] for r in res["rows"]] == [0.25, 0.5, 0.9]
    for r in res["rows"]:
        assert r["value"] == pytest.approx(float(np.quantile(spend, r["quantile"])), abs=0.01)
    basket = lines.groupby("order_id")["amount"].sum()
    res = run_query(cj_ws, {"distribution": {"measure": "basket", "per": "order", "quantiles": [0.5]}})
    assert res["rows"][0]["value"] == pytest.approx(float(basket.median()), abs=0.01)
    orders = lines.groupby("customer_id")["order_id"].nunique()
    res = run_query(cj_ws, {"distribution": {"measure": "orders", "per": "customer", "bins": 6}})
    counts, edges = np.histogram(orders, bins=6)
    assert [r["count"] for r in res["rows"]] == list(counts)
    assert [r["low"] for r in res["rows"]] == pytest.approx(list(edges[:-1]), abs=1e-3)
    assert sum(r["share"] for r in res["rows"]) == pytest.approx(1.0)


def test_repeat_share_new_and_returning_customers(cj_ws, lines):
    month = lines.timestamp.dt.strftime("%Y-%m")
    res = run_query(cj_ws, {"metrics": ["repeat_customer_share", "customers"], "by": ["month"]})
    per = lines.groupby([month, "customer_id"])["order_id"].nunique()
    want = (per >= 2).groupby(level=0).mean()
    got = {r["month"]: r["repeat_customer_share"] for r in res["rows"]}
    assert got.keys() == set(want.index) and all(got[m] == pytest.approx(v, abs=1e-4) for m, v in want.items())
    res = run_query(cj_ws, {"metrics": ["repeat_customer_share", "repeat_customers"], "period": "2017-Q3"})
    q3 = lines[lines.timestamp.dt.to_period("Q").astype(str) == "2017Q3"].groupby("customer_id")["order_id"].nunique()
    assert res["rows"][0]["repeat_customers"] == int((q3 >= 2).sum())
    assert res["rows"][0]["repeat_customer_share"] == pytest.approx((q3 >= 2).mean(), abs=1e-4)
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["month", "category"], "top": 2, "top_per": "month",
                            "include_non_merchandise": True})
    per = lines.groupby([month, "category"])["amount"].sum().reset_index()
    want = per.sort_values(["timestamp", "amount"], ascending=[True, False]).groupby("timestamp").head(2)
    assert [(r["month"], r["category"]) for r in res["rows"]] == list(zip(want.timestamp, want.category))
    first = lines.groupby("customer_id")["timestamp"].min().dt.to_period("Q").astype(str).str.replace("Q", "-Q")
    quarter = lines.timestamp.dt.to_period("Q").astype(str).str.replace("Q", "-Q")
    res = run_query(cj_ws, {"metrics": ["new_customers", "returning_customers"], "by": ["quarter"]})
    for r in res["rows"]:
        buyers = lines[quarter == r["quarter"]].customer_id.unique()
        new = int((first.loc[buyers] == r["quarter"]).sum())
        assert (r["new_customers"], r["returning_customers"]) == (new, len(buyers) - new)
    res = run_query(cj_ws, {"metrics": ["new_customers", "returning_customers"], "period": "2017-Q3"})
    w = lines[quarter == "2017-Q3"].customer_id.unique()
    first_ts = lines.groupby("customer_id")["timestamp"].min().loc[w]
    new = int((first_ts >= pd.Timestamp("2017-07-01")).sum())
    assert res["rows"] == [{"new_customers": new, "returning_customers": len(w) - new}]


def test_campaign_reach_redemption_rate_and_campaign_dims(cj_ws):
    camp = cj_ws.read_table("campaigns")
    red = cj_ws.read_table("coupon_redemptions")
    res = run_query(cj_ws, {"metrics": ["campaign_reach", "coupon_redemption_rate"], "by": ["campaign_type"]})
    pairs = set(zip(red.customer_id, red.campaign_id))
    camp = camp.assign(redeemed=[(c, k) in pairs for c, k in zip(camp.customer_id, camp.campaign_id)])
    want = camp.groupby("campaign_type").agg(reach=("customer_id", "nunique"), rate=("redeemed", "mean"))
    for r in res["rows"]:
        assert r["campaign_reach"] == want.loc[r["campaign_type"], "reach"]
        assert r["coupon_redemption_rate"] == pytest.approx(want.loc[r["campaign_type"], "rate"], abs=1e-4)
    top = camp.groupby("campaign_id")["customer_id"].nunique().sort_values(ascending=False)
    res = run_query(cj_ws, {"metrics": ["campaign_reach"], "by": ["campaign"], "top": 1})
    assert res["rows"][0]["campaign_reach"] == top.iloc[0]
    ctype = camp.groupby("campaign_id")["campaign_type"].first()
    res = run_query(cj_ws, {"metrics": ["coupon_redemptions"], "by": ["campaign_type"]})
    want = red.campaign_id.map(ctype).value_counts()
    assert {r["campaign_type"]: r["coupon_redemptions"] for r in res["rows"]} == want.to_dict()
    with pytest.raises(QueryError, match="revenue cannot be broken down or filtered by campaign"):
        run_query(cj_ws, {"metrics": ["revenue"], "by": ["campaign"]})


def test_generic_workspace_refuses_campaign_metrics_and_serves_the_rest(tmp_path):
    orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
                           "timestamp": ["2020-01-05", "2020-02-01", "2020-02-03", "2020-03-09"],
                           "amount": [10.0, 5.0, 7.5, 3.0]})
    ws = Workspace(tmp_path / "ws")
    ws.ingest({"orders": validate_table("orders", orders)})
    res = run_query(ws, {"metrics": ["new_customers", "returning_customers"], "by": ["month"]})
    assert [(r["month"], r["new_customers"], r["returning_customers"]) for r in res["rows"]] == \
        [("2020-01", 1, 0), ("2020-02", 1, 1), ("2020-03", 1, 0)]
    res = run_query(ws, {"metrics": ["customers"], "customer_conditions": [{"measure": "orders", "op": ">=", "value": 2}]})
    assert res["rows"] == [{"customers": 1, "customers % of all": round(100 / 3, 4)}]  # a of a, b, c
    for metric, needs in (("campaign_reach", "campaigns"), ("coupon_redemption_rate", "campaigns")):
        with pytest.raises(QueryError, match=rf"'{metric}' is not available here: it needs the {needs} table"):
            run_query(ws, {"metrics": [metric]})
    with pytest.raises(QueryError, match="'segment' is not available here: it needs fitted segments"):
        run_query(ws, {"by": ["segment"]})
    with pytest.raises(QueryError, match="'age' is not available|unknown dimension 'age'"):
        run_query(ws, {"filters": [{"dimension": "age", "op": "range", "min": 30}]})


def test_user_values_never_reach_the_sql_text(cj_ws):
    evil = "x'); DROP TABLE orders; --"
    with pytest.raises(QueryError):
        run_query(cj_ws, {"filters": [{"dimension": "brand", "op": "in", "values": [evil]}]})
    res = run_query(cj_ws, {"metrics": ["revenue"], "filters": [
        {"dimension": "brand", "op": "contains", "values": ["nation"]},
        {"dimension": "age", "op": "range", "min": "25", "max": "34"}],
        "customer_conditions": [{"measure": "orders", "op": ">=", "value": 3}], "period": "2017-Q3"})
    for v in ("nation", "25-34", "2017-07"):
        assert v not in res["sql"]


def test_cli_flags_for_the_new_fields(cj_ws):
    from assistant.cli import cli
    from assistant.commands.query import parse_condition, parse_where

    assert parse_where("age=35..54") == {"dimension": "age", "op": "range", "min": "35", "max": "54"}
    assert parse_where("brand~organic") == {"dimension": "brand", "op": "contains", "values": ["organic"]}
    assert parse_where("category!=Fuel,Coupon") == {"dimension": "category", "op": "not_in",
                                                    "values": ["Fuel", "Coupon"]}
    assert parse_condition("orders>=10") == {"measure": "orders", "op": ">=", "value": "10"}
    assert parse_condition("revenue top 10%") == {"measure": "revenue", "op": "top_pct", "value": 10.0}
    runner = CliRunner()
    r = runner.invoke(cli, ["query", "-w", str(cj_ws.path), "--metric", "revenue", "--by", "department",
                            "--period", "last_quarter", "--share", "--top", "2", "--customer", "orders>=5", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert len(res["rows"]) == 2 and "revenue % of total" in res["columns"] and res["windows"][0]["label"] == "last quarter"
    r = runner.invoke(cli, ["query", "-w", str(cj_ws.path), "--concentration", "10,50", "--json"])
    assert r.exit_code == 0 and [x["top_pct"] for x in json.loads(r.output)["rows"]] == [10.0, 50.0]
    r = runner.invoke(cli, ["query", "-w", str(cj_ws.path), "--period", "last summer"])
    assert r.exit_code == 2 and "last_quarter" in r.output


def test_query_tool_takes_the_new_fields(fake_ctx):
    from tools import build_tools

    tool = {t.name: t for t in build_tools(fake_ctx)}["query_data"]
    out = json.loads(tool.invoke({"metrics": ["revenue"], "by": ["category"], "share_of_total": True, "bottom": 1,
                                  "period": "all"}))
    assert out["kind"] == "query" and out["n_rows"] == 1 and "revenue % of total" in out["columns"]
    out = json.loads(tool.invoke({"metrics": ["revenue"], "concentration": {"top_pct": 50}}))
    assert out["rows"][0]["top_pct"] == 50.0


def test_non_merchandise_user_override_at_ingest(tmp_path, cj_small):
    from assistant.cli import cli

    ws = Workspace(tmp_path / "ws")
    ws.ingest({"orders": cj_small["orders"], "products": cj_small["products"]})
    runner = CliRunner()
    r = runner.invoke(cli, ["ingest", "-w", str(ws.path), "--non-merch", "beef", "--merch", "Fuel", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)["non_merchandise"]
    assert out["non_merchandise"] == ["Beef"] and out["merchandise"] == ["Fuel"] and "Beef" in out["excluded"]
    assert ws.settings()["non_merchandise"] == ["Beef"]
    res = run_query(ws, {"metrics": ["revenue"], "by": ["category"]})
    df = ws.read_table("orders").merge(ws.read_table("products"), on="product_id", how="left")
    df = df.assign(category=df.category.fillna("Unknown"), department=df.department.fillna("Unknown"))
    bad = [n for n in set(df.category) | set(df.department) if is_non_merchandise(n, ["Beef"], ["Fuel"])]
    want = df[~df.category.isin(bad) & ~df.department.isin(bad)].groupby("category")["amount"].sum()
    got = {r["category"]: r["revenue"] for r in res["rows"]}
    assert "Beef" not in got and "Fuel" in got and set(got) == set(want.index)
    assert all(got[k] == pytest.approx(v, abs=0.01) for k, v in want.items())
    assert any("override" in n and "Beef" in n for n in res["notes"])
    r = runner.invoke(cli, ["ingest", "-w", str(ws.path), "--non-merch", "Narnia"])
    assert r.exit_code == 2 and "no category or department called 'Narnia'" in r.output
    r = runner.invoke(cli, ["ingest", "-w", str(ws.path), "--non-merch", "none", "--merch", "none"])
    assert r.exit_code == 0 and "non_merchandise" not in ws.settings()


def test_database_is_kept_per_revision_and_sees_a_new_ingest(tmp_path):
    """The in-memory database is opened once per workspace revision: a second query reuses it, a new ingest of the
    orders (a new content-hashed file) is seen by the very next query, and the database reads no other file."""
    import duckdb

    from models.analytics import engine

    def ingest(amounts):
        orders = pd.DataFrame({"customer_id": ["a", "b", "c"][: len(amounts)],
                               "timestamp": ["2020-01-05", "2020-02-01", "2020-02-03"][: len(amounts)],
                               "amount": amounts})
        ws.ingest({"orders": validate_table("orders", orders)})

    ws = Workspace(tmp_path / "ws")
    ingest([10.0, 5.0])
    assert run_query(ws, {"metrics": ["revenue"]})["rows"] == [{"revenue": 15.0}]
    key = str(ws.path.resolve())
    first = engine._DATABASES[key][1]
    assert run_query(ws, {"metrics": ["customers"]})["rows"] == [{"customers": 2}]
    assert engine._DATABASES[key][1] is first  # reused, not reopened
    ingest([10.0, 5.0, 7.5])
    assert run_query(ws, {"metrics": ["revenue", "customers"]})["rows"] == [{"revenue": 22.5, "customers": 3}]
    assert engine._DATABASES[key][1] is not first
    cur = engine.connect(ws)
    try:
        outside = tmp_path / "other.csv"
        outside.write_text("x\n1\n")
        with pytest.raises(duckdb.Error):
            cur.execute(f"SELECT * FROM read_csv('{outside}')").fetchall()
        with pytest.raises(duckdb.Error):
            cur.execute("SET enable_external_access = true")
    finally:
        cur.close()
    engine.close_all()
    assert key not in engine._DATABASES


def _ids(df: pd.DataFrame) -> set:
    return set(df["customer_id"].dropna())


def test_purchase_conditions_are_set_operations_on_customers(cj_ws, lines):
    q = lines.timestamp.dt.to_period("Q").astype(str)
    q2, q3 = _ids(lines[q == "2017Q2"]), _ids(lines[q == "2017Q3"])
    res = run_query(cj_ws, {"metrics": ["customers"], "period": "2017-Q2",
                            "purchase_conditions": [{"period": "2017-Q3", "bought": False}]})
    assert res["rows"][0]["customers"] == len(q2 - q3) > 0
    assert "did not buy anything in 2017-Q3" in res["restatement"]
    both = run_query(cj_ws, {"metrics": ["customers"], "period": "2017-Q2",
                             "purchase_conditions": [{"period": "2017-Q3"}]})
    assert both["rows"][0]["customers"] == len(q2 & q3)
    # products: bought the biggest category but not the second, and both; revenue of the kept customers
    cats = _merch(lines).groupby("category")["amount"].sum().sort_values(ascending=False).index[:2]
    a, b = _ids(lines[lines.category == cats[0]]), _ids(lines[lines.category == cats[1]])
    f_a = [{"dimension": "category", "values": [cats[0].upper()]}]
    f_b = [{"dimension": "category", "values": [cats[1].lower()]}]  # values resolve case-insensitively
    only = run_query(cj_ws, {"metrics": ["customers"], "filters": f_a,
                             "purchase_conditions": [{"filters": f_b, "bought": False}]})
    assert only["rows"][0]["customers"] == len(a - b)
    rev = run_query(cj_ws, {"metrics": ["revenue", "customers"], "filters": f_a,
                            "purchase_conditions": [{"filters": f_b}]})
    want = lines[(lines.category == cats[0]) & lines.customer_id.isin(a & b)]["amount"].sum()
    assert rev["rows"][0]["customers"] == len(a & b)
    assert abs(rev["rows"][0]["revenue"] - round(want, 2)) < 0.006
    assert f"also bought category = {cats[1]}" in rev["restatement"]
    # a breakdown of the customers who never bought fuel, by department
    fuel = _ids(lines[lines.department.str.lower() == "fuel"])
    keep = lines[~lines.customer_id.isin(fuel)]
    dep = run_query(cj_ws, {"metrics": ["customers"], "by": ["department"],
                            "purchase_conditions": [{"filters": [{"dimension": "department", "values": ["Fuel"]}],
                                                     "bought": False}]})
    got = {r["department"]: r["customers"] for r in dep["rows"]}
    want_dep = _merch(keep).groupby("department")["customer_id"].nunique()  # a department ranking: merchandise
    assert got == dict(want_dep) and "Grocery" in got


def test_purchase_condition_errors_name_what_is_valid(cj_ws):
    with pytest.raises(QueryError, match="filters .*or a period"):
        run_query(cj_ws, {"metrics": ["customers"], "purchase_conditions": [{"bought": False}]})
    with pytest.raises(QueryError, match="no category called 'Caviar'"):
        run_query(cj_ws, {"metrics": ["customers"], "purchase_conditions": [
            {"filters": [{"dimension": "category", "values": ["Caviar"]}]}]})
    with pytest.raises(QueryError, match="purchase condition is"):
        run_query(cj_ws, {"metrics": ["customers"], "purchase_conditions": [{"when": "2017"}]})


def test_day_type_weekend_and_weekday(cj_ws, lines):
    res = run_query(cj_ws, {"metrics": ["revenue"], "by": ["day_type"]})
    kind = np.where(lines.timestamp.dt.dayofweek >= 5, "Weekend", "Weekday")
    want = lines.groupby(kind)["amount"].sum().round(2)
    got = {r["day_type"]: r["revenue"] for r in res["rows"]}
    assert set(got) == {"Weekday", "Weekend"}
    assert all(abs(got[k] - want[k]) < 0.006 for k in got)


def test_order_conditions_keep_baskets_by_their_size(cj_ws, lines):
    baskets = lines.groupby("order_id").agg(v=("amount", "sum"), n=("amount", "size"))
    res = run_query(cj_ws, {"metrics": ["orders", "revenue"],
                            "order_conditions": [{"measure": "revenue", "op": ">=", "value": 75}]})
    keep = baskets[baskets.v >= 75]
    assert res["rows"][0]["orders"] == len(keep) and abs(res["rows"][0]["revenue"] - round(keep.v.sum(), 2)) < 0.01
    assert abs(res["rows"][0]["orders % of all"] - 100 * len(keep) / len(baskets)) < 1e-3
    res = run_query(cj_ws, {"metrics": ["orders"], "by": ["month"],
                            "order_conditions": [{"measure": "line_items", "op": "between", "value": [5, 10]}]})
    months = lines.assign(m=lines.timestamp.dt.strftime("%Y-%m"))
    ids = baskets[(baskets.n >= 5) & (baskets.n <= 10)].index
    want = months[months.order_id.isin(ids)].groupby("m")["order_id"].nunique()
    assert {r["month"]: r["orders"] for r in res["rows"]} == dict(want)
    with pytest.raises(QueryError, match="order condition"):
        run_query(cj_ws, {"metrics": ["orders"], "order_conditions": [{"measure": "orders", "op": ">", "value": 1}]})
