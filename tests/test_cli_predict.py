"""`mka train / backtest / predict` through click's CliRunner, on CJ and on generic customer/date/amount data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from assistant.cli import cli
from models.data.workspace import Workspace


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_predict_json(cj_trained_workspace):
    r = run("predict", "-w", str(cj_trained_workspace.path), "--horizon", "7", "--top", "5", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["target"] == "P(≥1 purchase in next 7 days)" and doc["as_of"] == "2018-01-02"
    assert len(doc["customers"]) == 5 and doc["n_scored"] == 300
    assert doc["customers"][0]["p_buy"] >= doc["customers"][-1]["p_buy"]
    assert "PR-AUC" in doc["backtest_line"]
    assert doc["model_card"]["backtest"]["n_cutoffs"] == 3


def test_predict_text_and_csv(cj_trained_workspace, tmp_path):
    out = tmp_path / "top.csv"
    r = run("predict", "-w", str(cj_trained_workspace.path), "--horizon", "30", "--top", "3", "--csv", str(out))
    assert r.exit_code == 0, r.output
    assert "P(≥1 purchase in next 30 days)" in r.output and "as of 2018-01-02" in r.output
    assert "Backtest over 3 past cutoffs (30-day windows)" in r.output
    df = pd.read_csv(out)
    assert len(df) == 300 and df["p_buy"].is_monotonic_decreasing
    assert (df["target"] == "P(≥1 purchase in next 30 days)").all()


def test_predict_errors_are_clean(cj_trained_workspace, tmp_path):
    r = CliRunner().invoke(cli, ["predict", "-w", str(cj_trained_workspace.path), "--horizon", "3"])
    assert r.exit_code == 2 and "7, 14, 30" in r.output
    r = CliRunner().invoke(cli, ["predict", "-w", str(cj_trained_workspace.path), "--segment", "x"])
    assert r.exit_code == 2 and "segment" in r.output.lower() and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["predict", "-w", str(tmp_path / "none")])
    assert r.exit_code == 2 and "mka" in r.output


def test_backtest_reads_saved_results(cj_trained_workspace):
    r = run("backtest", "-w", str(cj_trained_workspace.path), "--horizon", "7", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["target"] == "P(≥1 purchase in next 7 days)" and len(doc["per_cutoff"]) == 3
    assert "logistic_rfm" in doc["paired"] and "ci_low" in doc["paired"]["logistic_rfm"]["pr_auc"]
    assert doc["warnings"]  # 300 households: too few buyers per window, and we say so
    text = run("backtest", "-w", str(cj_trained_workspace.path), "--horizon", "30")
    assert "mean over cutoffs" in text.output and "vs logistic_rfm" in text.output


@pytest.fixture(scope="module")
def generic_workspace(tmp_path_factory, cj_small):
    """Only customer, date and amount: what a shop's export might look like."""
    o = cj_small["orders"]
    o = o[o["customer_id"].isin(sorted(o["customer_id"].unique())[:150])]
    daily = (o.assign(timestamp=o["timestamp"].dt.normalize())
             .groupby(["customer_id", "timestamp"], as_index=False)["amount"].sum())
    ws = Workspace(tmp_path_factory.mktemp("generic") / "ws")
    ws.ingest({"orders": daily}, sources={"orders": "orders.csv"})
    return ws


def test_generic_csv_train_backtest_predict(generic_workspace):
    path = str(generic_workspace.path)
    r = run("train", "-w", path, "--quick", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output[r.output.index("{"):])
    assert info["as_of"] == "2018-01-02"
    r = run("backtest", "-w", path, "--json", "--horizon", "14")
    assert r.exit_code == 0 and json.loads(r.output)["horizon_days"] == 14
    r = run("predict", "-w", path, "--top", "3")
    assert r.exit_code == 0, r.output
    assert "P(≥1 purchase in next 7 days)" in r.output and "150 customers scored" in r.output
