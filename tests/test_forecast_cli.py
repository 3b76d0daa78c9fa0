"""`mka forecast` and `mka backtest --target forecast` on a plain customer/date/amount CSV ingested through the
CLI, the saved artifact of `fit_workspace`, the forecast tool, the offline planner's route and the UI view."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from assistant.cli import cli
from models.data.workspace import Workspace
from tests.forecast_fakes import synthetic_shop


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def shop():
    return synthetic_shop(n_customers=30, seed=1)


@pytest.fixture(scope="module")
def plain_ws(tmp_path_factory, shop):
    """Only customer, date and amount, ingested from a CSV with `mka ingest`."""
    d = tmp_path_factory.mktemp("plain")
    o = shop["orders"]
    csv = d / "orders.csv"
    o.assign(date=o["timestamp"].dt.date)[["customer_id", "date", "amount"]].to_csv(csv, index=False)
    r = run("ingest", "-w", d / "ws", "--orders", csv, "--map", "timestamp=date")
    assert r.exit_code == 0, r.output
    return Workspace(d / "ws")


@pytest.fixture(scope="module")
def fitted_ws(tmp_path_factory, shop):
    from models.forecast import fit_workspace

    ws = Workspace(tmp_path_factory.mktemp("fitted") / "ws")
    ws.ingest({"orders": shop["orders"], "products": shop["products"]})
    info = fit_workspace(ws, progress=False, quick=True, n_jobs=1)
    assert info["breakdowns"] == ["department", "total"]  # quick: categories are forecast on demand
    return ws


def test_forecast_json_on_a_plain_csv(plain_ws):
    r = run("forecast", "-w", plain_ws.path, "--horizon", "6", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert {"metric", "by", "model", "forecasts", "backtest"} <= set(doc)
    assert doc["metric"] == "revenue" and doc["by"] is None and "total" in doc["model"]
    rows = doc["forecasts"]
    assert len(rows) == 6 and {r["series"] for r in rows} == {"total"}
    assert rows[0]["period"] == "2018-01-01" and pd.Timestamp(rows[0]["period"]).dayofweek == 0
    for x in rows:
        assert x["lo95"] <= x["lo80"] <= x["forecast"] <= x["hi80"] <= x["hi95"]
    assert rows[0]["holiday"] == "New Year week"
    lv = doc["backtest"]["levels"]["total"]
    assert lv["model"] in ("naive", "drift", "ets", "theta") and {"naive", "drift"} <= set(lv["scores"]) | {lv["model"]}
    assert "training window" in doc["backtest"]["scaling"]
    assert doc["history_end"] == "2017-12-25"
    assert any("partial week 2018-01-01" in n for n in doc["notes"])


def test_forecast_text_csv_and_clean_errors(plain_ws, tmp_path):
    out = tmp_path / "fc.csv"
    r = run("forecast", "-w", plain_ws.path, "--metric", "orders", "--csv", out)
    assert r.exit_code == 0, r.output
    assert "Backtest over" in r.output and "80% interval" in r.output and "New Year week" in r.output
    df = pd.read_csv(out)
    assert len(df) == 8 and set(df.columns) >= {"metric", "series", "period", "forecast", "lo80", "hi95", "model"}
    r = CliRunner().invoke(cli, ["forecast", "-w", str(plain_ws.path), "--by", "category"])
    assert r.exit_code == 2 and "products" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["forecast", "-w", str(plain_ws.path), "--json", "--csv", str(out)])
    assert r.exit_code == 2


def test_backtest_target_forecast(plain_ws):
    r = run("backtest", "-w", plain_ws.path, "--target", "forecast", "--metric", "customers", "--json", "--quick")
    assert r.exit_code == 0, r.output
    bt = json.loads(r.output)
    total = bt["levels"]["total"]
    assert {"naive", "drift", "ets", "theta"} == set(total["methods"]) and total["chosen"] in total["methods"]
    assert set(total["methods"]["naive"]) == {"4", "8"}
    assert {"mase", "smape", "coverage80", "coverage95"} <= set(total["methods"]["ets"]["8"])
    assert "seasonal_naive" in total["not_available"]
    text = run("backtest", "-w", plain_ws.path, "--target", "forecast", "--quick")
    assert "chosen" in text.output and "MASE" in text.output and "not available" in text.output


def test_saved_forecasts_are_read_and_reconciled(fitted_ws):
    from models.forecast import forecast

    doc = forecast(fitted_ws, "revenue", "department", horizon=4)
    assert doc["source"].startswith("saved") and doc["seconds"] < 5
    assert "add up to the total" in doc["reconciliation"]
    fc = pd.DataFrame(doc["forecasts"])
    wide = fc.pivot(index="period", columns="series", values="forecast")
    parts = wide.drop(columns="total").sum(axis=1)
    assert (parts - wide["total"]).abs().max() < 0.05  # coherent to rounding
    info = fitted_ws.manifest()["artifacts"]["forecast"]
    assert info["as_of"] == "2018-01-02" and info["data_hash"] == fitted_ws.data_hash()
    cat = forecast(fitted_ws, "revenue", "category", horizon=2)  # not saved by a quick fit: fitted now
    assert cat["source"].startswith("fitted on demand") and "department and to the total" in cat["reconciliation"]
    with pytest.raises(ValueError, match="metric"):
        forecast(fitted_ws, "profit")


def test_forecast_tool_and_planner(fitted_ws):
    from assistant.agent import build_agent
    from assistant.offline import OfflinePlanner
    from assistant.offline.router import Router
    from assistant.session import ChatSession
    from tools import ToolContext, build_tools

    ctx = ToolContext(fitted_ws)
    tools = {t.name: t for t in build_tools(ctx)}
    r = json.loads(tools["forecast"].invoke({"metric": "sales", "horizon_weeks": 4, "by": "departments"}))
    assert r["kind"] == "forecast" and r["metric"] == "revenue" and r["by"] == "department"
    assert pd.read_csv(r["export_csv"])["series"].nunique() == r["n_series"]
    r = json.loads(tools["forecast"].invoke({"series": "grocery", "horizon_weeks": 2}))
    assert r["by"] == "department" and {x["series"] for x in r["forecasts"]} == {"total", "Grocery"}
    assert "error" in json.loads(tools["forecast"].invoke({"horizon_weeks": 0}))
    assert "error" in json.loads(tools["forecast"].invoke({"metric": "profit"}))
    session = ChatSession(build_agent(OfflinePlanner(context=ctx, router=Router()), list(tools.values())), "offline")
    res = session.ask("forecast revenue for the next 8 weeks")
    assert [c["name"] for c in res.tool_calls] == ["forecast"]
    assert res.tool_calls[0]["args"]["horizon_weeks"] == 8
    assert "Forecast" in res.answer and "MASE" in res.answer and "80% interval" in res.answer
    res = session.ask("how many orders should we expect next quarter?")
    assert res.tool_calls[0]["name"] == "forecast" and res.tool_calls[0]["args"] == {"metric": "orders",
                                                                                      "horizon_weeks": 13}


def test_ui_renders_history_forecast_and_band(fitted_ws, tmp_path):
    from models.forecast import forecast
    from ui.render import render_result

    doc = {"kind": "forecast", **forecast(fitted_ws, "revenue", None, horizon=4)}
    view = render_result(doc, tmp_path, "forecast")
    chart = view.charts[0]
    # a Vega-Lite chart: history and forecast lines, the 80% and 95% bands shaded between their edges
    assert chart.kind == "vega" and len(set(chart.data["line"])) == 2
    fc = chart.data[chart.data["line"] == chart.data["line"].iloc[-1]].dropna(subset=["lo95"])
    assert len(fc) >= 4
    assert (fc["lo95"] <= fc["lo80"] + 1e-9).all() and (fc["lo80"] <= fc["value"] + 1e-9).all()
    assert (fc["value"] <= fc["hi80"] + 1e-9).all() and (fc["hi80"] <= fc["hi95"] + 1e-9).all()
    bands = [layer for layer in chart.spec["layer"] if layer["mark"]["type"] == "area"]
    assert {b["encoding"]["y"]["field"] for b in bands} == {"lo80", "lo95"}
    assert view.tables and len(view.tables[0].data) == 4 and view.downloads and view.downloads[0].exists()
    assert "MASE" in view.cards[0]
