"""The trained model's checkpoint is the one source of its horizons: scoring, the card, the tools and the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from models.data.workspace import Workspace
from models.predictor.card import backtest_line
from models.predictor.estimator import PurchasePredictor
from models.predictor.scoring import model_card, score_customers, trained_horizons
from models.predictor.workspace import quick_params
from tools import ToolContext, build_tools


@pytest.fixture(scope="module")
def ws_7_21(cj_small, tmp_path_factory):
    """A workspace whose predictor was trained for 7 and 21 days only (no backtest saved)."""
    ws = Workspace(tmp_path_factory.mktemp("h21") / "ws")
    ws.ingest({"orders": cj_small["orders"], "products": cj_small["products"]})
    est = PurchasePredictor(horizons=(7, 21), **quick_params()).fit(cj_small["orders"], cj_small["products"])
    est.save(ws.artifact_path("predictor.pt"), data_hash=ws.data_hash())
    return ws


def test_read_api_uses_the_checkpoint_horizons(ws_7_21):
    assert trained_horizons(ws_7_21) == (7, 21)
    assert score_customers(ws_7_21, 21, reasons=False)["p_buy"].between(0, 1).all()
    card = model_card(ws_7_21, 21)
    assert card["horizons"] == [7, 21] and card["target"] == "P(≥1 purchase in next 21 days)"
    assert backtest_line(card) == "Backtest: not available for 21-day windows (retrain with `mka train`)."
    with pytest.raises(ValueError, match="7, 21"):
        model_card(ws_7_21, 30)


def test_tools_validate_against_the_checkpoint(ws_7_21):
    tools = {t.name: t for t in build_tools(ToolContext(ws_7_21))}
    ok = json.loads(tools["predict_buyers"].invoke({"horizon_days": 21, "top_k": 2}))
    assert ok["horizon_days"] == 21 and len(ok["customers"]) == 2
    bad = json.loads(tools["predict_buyers"].invoke({"horizon_days": 30}))
    assert set(bad) == {"error"} and "[7, 21]" in bad["error"]
    cid = ok["customers"][0]["customer_id"]
    one = json.loads(tools["explain_customer"].invoke({"customer_id": cid}))
    assert set(one["p_buy"]) == {"7", "21"}


def test_cli_predict_defaults_to_the_shortest_trained_horizon(ws_7_21):
    r = CliRunner().invoke(cli, ["predict", "-w", str(ws_7_21.path), "--top", "2", "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["horizon_days"] == 7
    r = CliRunner().invoke(cli, ["predict", "-w", str(ws_7_21.path), "--horizon", "30"])
    assert r.exit_code == 2 and "7, 21" in r.output


def test_cli_backtest_says_the_model_cards_sentence(cj_trained_workspace):
    r = CliRunner().invoke(cli, ["backtest", "-w", str(cj_trained_workspace.path), "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["horizon_days"] == 7  # the shortest one backtested
    assert doc["backtest_line"] == backtest_line(model_card(cj_trained_workspace, 7))
