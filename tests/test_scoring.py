"""score_customers / model_card: the read API the tools use."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from models.data.errors import WorkspaceError
from models.predictor.scoring import backtest_line, load_predictor, model_card, score_customers
from models.data.workspace import Workspace


def test_score_customers_contract(cj_trained_workspace, cj_small):
    ws = cj_trained_workspace
    s = score_customers(ws, horizon_days=7)
    assert list(s.columns) == ["customer_id", "p_buy", "expected_orders", "expected_spend", "last_purchase",
                               "days_since_last", "reasons"]
    assert s["p_buy"].is_monotonic_decreasing and s["p_buy"].between(0, 1).all()
    assert s["customer_id"].is_unique and len(s) == cj_small["orders"]["customer_id"].nunique()
    orders = cj_small["orders"]
    last = orders.groupby("customer_id")["timestamp"].max()
    top = s.iloc[0]
    assert abs(top["last_purchase"] - last[top["customer_id"]]) <= pd.Timedelta(seconds=1)
    as_of = pd.Timestamp(json.loads(json.dumps(ws.artifact_info("predictor")))["as_of"])
    assert top["days_since_last"] == int((as_of - last[top["customer_id"]]) / pd.Timedelta(days=1))
    assert all(len(r) == 3 and all(isinstance(x, str) and x for x in r) for r in s["reasons"])
    # the most likely buyers are recent, frequent buyers; the least likely have been away
    assert s.head(30)["days_since_last"].median() < s.tail(30)["days_since_last"].median()
    with pytest.raises(ValueError, match="7, 14, 30"):
        score_customers(ws, horizon_days=3)


def test_reasons_describe_the_customer(cj_trained_workspace, cj_small):
    s = score_customers(cj_trained_workspace, horizon_days=7)
    row = s.iloc[0]
    text = " ".join(row["reasons"])
    assert "(raises the chance)" in text or "(lowers the chance)" in text
    recent = [r for r in s["reasons"].explode() if r.startswith("last purchase ")]
    for r in recent[:5]:
        assert "day" in r or "today" in r
    # a reason quoting 30-day orders must match the data
    orders = cj_small["orders"]
    for cid, reasons in zip(s["customer_id"].head(20), s["reasons"].head(20)):
        for r in reasons:
            if r.startswith("bought "):
                n = int(r.split()[1])
                mine = orders[(orders["customer_id"] == cid) & (orders["timestamp"] >= pd.Timestamp("2018-01-02") - pd.Timedelta(days=30))]
                assert n == mine["order_id"].nunique()


def test_longer_horizon_scores_higher_and_as_of_in_the_past(cj_trained_workspace):
    ws = cj_trained_workspace
    s7 = score_customers(ws, 7).set_index("customer_id")
    s30 = score_customers(ws, 30).set_index("customer_id")
    assert s30["p_buy"].mean() > s7["p_buy"].mean()
    past = score_customers(ws, 7, as_of="2017-06-01")
    assert (past["last_purchase"] < pd.Timestamp("2017-06-01")).all()
    assert len(past) < len(s7) + 1


def test_model_card(cj_trained_workspace):
    card = model_card(cj_trained_workspace, 7)
    assert card["target"] == "P(≥1 purchase in next 7 days)"
    assert card["as_of"] == "2018-01-02" and card["horizon_days"] == 7
    for k in ("n_cutoffs", "roc_auc", "pr_auc", "brier_skill", "lift_at_10pct", "ece", "predicted_vs_actual_buyers"):
        assert k in card["backtest"]
    assert card["backtest"]["n_cutoffs"] == 3
    assert {"logistic_rfm", "recency", "bgnbd", "gbm_rfm", "base_rate"} <= set(card["baselines"])
    assert len(card["reliability"]) == 10 and card["reliability"][0]["bin"] == 1
    assert card["trained_on"]["stale"] is False
    assert "PR-AUC" in backtest_line(card) and "3 past cutoffs" in backtest_line(card)
    json.dumps(card)  # JSON-able for the tools
    with pytest.raises(ValueError):
        model_card(cj_trained_workspace, 60)


def test_model_is_cached_per_file(cj_trained_workspace):
    assert load_predictor(cj_trained_workspace) is load_predictor(cj_trained_workspace)


def test_untrained_workspace_says_what_to_do(tmp_path, cj_small):
    ws = Workspace(tmp_path / "ws")
    ws.ingest({"orders": cj_small["orders"].head(100)})
    with pytest.raises(WorkspaceError, match="mka train"):
        score_customers(ws)


def test_reasons_for_top_n_match_full_explanations(cj_trained_workspace):
    """Explaining only the likeliest N must give them the same reasons as explaining everyone
    (the attribution baseline stays the whole population), and leave the rest unexplained."""
    full = score_customers(cj_trained_workspace, horizon_days=7)
    top = score_customers(cj_trained_workspace, horizon_days=7, reasons=25)
    assert top["customer_id"].tolist() == full["customer_id"].tolist()
    assert top["reasons"].iloc[:25].tolist() == full["reasons"].iloc[:25].tolist()
    assert all(len(r) == 3 for r in top["reasons"].iloc[:25])
    assert all(r == [] for r in top["reasons"].iloc[25:])


def test_a_predictor_from_another_version_asks_for_a_retrain(tmp_path, cj_trained_workspace):
    import shutil

    import torch

    ws = Workspace(tmp_path / "ws")
    shutil.copytree(cj_trained_workspace.path, ws.path)
    ckpt = torch.load(ws.artifact_path("predictor.pt"), weights_only=False)
    state = next(v for v in ckpt.values() if isinstance(v, dict) and any(hasattr(t, "shape") for t in v.values()))
    name = next(k for k, t in state.items() if hasattr(t, "shape") and t.ndim == 2)
    state[name] = torch.zeros(state[name].shape[0] + 1, state[name].shape[1])
    torch.save(ckpt, ws.artifact_path("predictor.pt"))
    with pytest.raises(WorkspaceError, match="retrain"):
        load_predictor(ws)
