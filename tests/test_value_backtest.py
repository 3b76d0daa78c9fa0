"""models.value.backtest: CLV and churn metrics against hand computations, the rolling backtest against an
independent refit at each cutoff, paired CIs against scipy, and `mka backtest --target clv|churn --json`."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from models.data.workspace import Workspace
from models.value.backtest import churn_metrics, clv_metrics, run_value_backtest
from models.value.clv import CustomerValueModel, customer_summary
from models.value.workspace import at_risk, fit_workspace, saved_value_backtest


def _generic_orders(n: int = 120, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows, end = [], pd.Timestamp("2024-12-31")
    for c in range(n):
        gap = rng.uniform(4, 50)
        t = pd.Timestamp("2024-01-01") + pd.Timedelta(days=float(rng.uniform(0, 90)))
        stop = end - pd.Timedelta(days=float(rng.uniform(0, 250))) if c % 3 == 0 else end
        basket = rng.uniform(10, 150)
        while t < stop:
            rows.append({"customer_id": f"c{c}", "timestamp": t, "amount": float(basket * rng.uniform(0.5, 1.5))})
            t += pd.Timedelta(days=float(rng.exponential(gap)) + 1)
    return pd.DataFrame(rows)


def test_clv_metrics_by_hand():
    pred = np.array([10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5, 0.1])
    actual = np.array([0.0, 30, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0])
    m = clv_metrics(pred, actual)
    # top decile of 12 customers = ceil(1.2) = 2: the customers predicted 10 and 9 hold 30 of 66
    assert m["top_decile_capture"] == pytest.approx(30 / 66)
    assert m["pred_over_actual"] == pytest.approx(pred.sum() / 66)
    assert m["mae"] == pytest.approx(np.mean(np.abs(pred - actual)))
    assert m["spearman"] == pytest.approx(pd.Series(pred).rank().corr(pd.Series(actual).rank()))


def test_churn_metrics_by_hand():
    # 20 customers, 4 churned; the riskiest two (top 10%) are one churner and one buyer
    y = np.zeros(20)
    y[[0, 5, 6, 7]] = 1
    risk = np.linspace(1, 0, 20)
    risk[[0, 1]] = [0.99, 1.0]  # customer 1 (did not churn) ranks first, customer 0 second
    m = churn_metrics(y, risk)
    assert m["precision_at_10pct"] == pytest.approx(0.5)
    assert m["lift_at_10pct"] == pytest.approx(0.5 / 0.2)
    assert m["churn_rate"] == pytest.approx(0.2) and m["n_churned"] == 4


def test_backtest_refits_before_each_cutoff_and_pairs_the_differences():
    orders = _generic_orders()
    bt = run_value_backtest(orders, n_cutoffs=4, step_days=21, holdout_days=60, with_predictor=False)
    assert len(bt["cutoffs"]) == 4 and bt["clv"]["default"] == "bgnbd_gamma_gamma"
    o = orders.assign(timestamp=pd.to_datetime(orders["timestamp"]))
    for row, crow in zip(bt["clv"]["per_cutoff"], bt["churn"]["per_cutoff"]):
        cutoff = pd.Timestamp(row["cutoff"])
        before = o[o["timestamp"] < cutoff]
        summary = customer_summary(before, cutoff)
        clv = CustomerValueModel(horizon_days=60, discount_rate=0.0).fit(summary).clv(summary)
        hold = o[(o["timestamp"] >= cutoff) & (o["timestamp"] < cutoff + pd.Timedelta(days=60))]
        s = row["scores"]["bgnbd_gamma_gamma"]
        assert s["n_customers"] == before["customer_id"].nunique()
        assert s["predicted_total"] == pytest.approx(clv.sum(), rel=1e-9)
        assert s["actual_total"] == pytest.approx(hold["amount"].sum())
        # past average × length, computed here from the raw orders
        first = before.groupby("customer_id")["timestamp"].min()
        days = ((cutoff - first).dt.total_seconds() / 86400).clip(lower=1)
        base = before.groupby("customer_id")["amount"].sum() / days * 60
        assert row["scores"]["past_average"]["predicted_total"] == pytest.approx(base.sum())
        buyers30 = set(o[(o["timestamp"] >= cutoff) & (o["timestamp"] < cutoff + pd.Timedelta(days=30))]["customer_id"])
        churned = ~before["customer_id"].drop_duplicates().isin(buyers30)
        assert crow["scores"]["recency_only"]["churn_rate"] == pytest.approx(churned.mean())
    d = np.array([r["scores"]["bgnbd_gamma_gamma"]["spearman"] - r["scores"]["past_average"]["spearman"]
                  for r in bt["clv"]["per_cutoff"]])
    p = bt["clv"]["paired"]["past_average"]["spearman"]
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    assert p["mean_diff"] == pytest.approx(d.mean()) and p["ci_low"] == pytest.approx(d.mean() - half)
    assert "BG/NBD + Gamma-Gamma" in bt["clv"]["backtest_line"] and "past average" in bt["clv"]["backtest_line"]
    assert "recency only" in bt["churn"]["backtest_line"]


def test_backtest_ignores_orders_after_the_last_window():
    """Leak check: orders after every holdout cannot change any prediction."""
    orders = _generic_orders(n=60, seed=2)
    a = run_value_backtest(orders, n_cutoffs=2, step_days=30, holdout_days=60, with_predictor=False)
    late = pd.DataFrame({"customer_id": ["c1", "c2"], "timestamp": pd.to_datetime(["2025-06-01", "2025-06-02"]),
                         "amount": [1e6, 1e6]})
    b = run_value_backtest(pd.concat([orders, late]), n_cutoffs=2, step_days=30, holdout_days=60,
                           with_predictor=False)
    # the later data moves the cutoffs: compare a backtest of the same cutoff instead
    common = set(a["cutoffs"]) & set(b["cutoffs"])
    for ra in a["clv"]["per_cutoff"]:
        for rb in b["clv"]["per_cutoff"]:
            if ra["cutoff"] == rb["cutoff"] and ra["cutoff"] in common:
                assert ra["scores"]["bgnbd_gamma_gamma"]["predicted_total"] == pytest.approx(
                    rb["scores"]["bgnbd_gamma_gamma"]["predicted_total"])
    # and a cutoff's predictions never depend on orders after it: drop everything from the cutoff on
    c = pd.Timestamp(a["cutoffs"][0])
    o = orders.assign(timestamp=pd.to_datetime(orders["timestamp"]))
    s = customer_summary(o[o["timestamp"] < c], c)
    clv = CustomerValueModel(horizon_days=60, discount_rate=0.0).fit(s).clv(s)
    assert a["clv"]["per_cutoff"][0]["scores"]["bgnbd_gamma_gamma"]["predicted_total"] == pytest.approx(clv.sum())


def test_too_short_history_is_a_clear_error():
    orders = pd.DataFrame({"customer_id": ["a", "b", "a"], "amount": [1.0, 2.0, 3.0],
                           "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-02-01"])})
    with pytest.raises(ValueError, match="needs at least"):
        run_value_backtest(orders, with_predictor=False)


def test_workspace_backtest_is_saved_named_on_outputs_and_cli_json(tmp_path):
    from assistant.cli import cli

    ws = Workspace(tmp_path / "ws")
    ws.ingest({"orders": _generic_orders(n=80, seed=3)})
    out = fit_workspace(ws, progress=False, quick=True)
    bt = saved_value_backtest(ws)
    assert bt is not None and len(bt["cutoffs"]) == 3
    assert ws.artifact_info("value_backtest")["clv_default"] == bt["clv"]["default"]
    assert out["clv_backtest"] == bt["clv"]["backtest_line"]
    doc = at_risk(ws)
    assert doc["clv_backtest"].startswith(f"CLV model: {bt['clv']['default_label']}")
    assert doc["churn_backtest"].startswith(f"Churn model: {bt['churn']['default_label']}")
    for target in ("clv", "churn"):
        res = CliRunner().invoke(cli, ["backtest", "--target", target, "--json", "-w", str(ws.path)])
        assert res.exit_code == 0, res.output
        j = json.loads(res.output)
        assert j["default"] in j["labels"] and j["default"] in j["mean"]
        assert j["backtest_line"] == bt[target]["backtest_line"] and len(j["per_cutoff"]) == 3
        assert all(set(d) >= {"mean_diff", "ci_low", "ci_high"} for p in j["paired"].values() for d in p.values())
    res = CliRunner().invoke(cli, ["backtest", "--target", "churn", "-w", str(ws.path)])
    assert res.exit_code == 0 and "recency only" in res.output and "Default:" in res.output


def test_too_short_workspace_still_fits_and_says_it_is_not_backtested(tmp_path):
    ws = Workspace(tmp_path / "ws")
    orders = _generic_orders(n=40, seed=4)
    orders = orders[pd.to_datetime(orders["timestamp"]) < pd.Timestamp("2024-04-01")]
    ws.ingest({"orders": orders})
    out = fit_workspace(ws, progress=False, quick=True)
    assert out["clv_backtest"].startswith("not backtested") and saved_value_backtest(ws) is None
    assert at_risk(ws)["clv_backtest"].startswith("not backtested yet")
