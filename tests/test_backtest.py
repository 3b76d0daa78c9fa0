"""Metrics, BG/NBD and the rolling backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.predictor.backtest import backtest_cutoffs, paired_differences, run_backtest
from models.predictor.baselines import BASELINES, make_baseline
from models.predictor.bgnbd import BetaGeoModel
from models.data.errors import NotFittedError
from models.features import features_from_prepared, prepare_orders
from models.predictor.metrics import binary_metrics, reliability_table, top_k_metrics
from models.predictor.workspace import quick_params


def test_binary_metrics_on_a_hand_checked_example():
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    m = binary_metrics(y, p)
    # positives at ranks 1, 2, 4: 3*7 pairs, 1 mis-ordered (the 0 at rank 3 above the 1 at rank 4)
    assert m["roc_auc"] == pytest.approx(20 / 21)
    assert m["pr_auc"] == pytest.approx((1 + 1 + 3 / 4) / 3)
    assert m["n_buyers"] == 3 and m["predicted_buyers"] == pytest.approx(p.sum())
    assert m["predicted_vs_actual_buyers"] == pytest.approx(p.sum() / 3)
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert m["precision_at_10pct"] == 1.0 and m["lift_at_10pct"] == pytest.approx(1 / 0.3)
    assert m["recall_at_10pct"] == pytest.approx(1 / 3)
    # predicting the base rate has zero skill
    assert binary_metrics(y, np.full(10, 0.3))["brier_skill"] == pytest.approx(0.0)


def test_reliability_deciles_and_topk_ties():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=5000)
    y = (rng.uniform(size=5000) < p).astype(float)
    table = reliability_table(y, p)
    assert len(table) == 10 and sum(r["n"] for r in table) == 5000
    assert all(abs(r["predicted"] - r["observed"]) < 0.06 for r in table)
    assert binary_metrics(y, p)["ece"] < 0.03
    assert binary_metrics(y, np.clip(p + 0.2, 0, 1))["ece"] > 0.1
    k = top_k_metrics(np.array([1, 0, 0, 0]), np.zeros(4), fractions=(0.25,))
    assert k["precision_at_25pct"] == 1.0  # ties keep the input order


def _simulate_bgnbd(n, r, alpha, a, b, T, seed=0):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            x[i] += 1
            t_x[i] = t
            if rng.uniform() < p[i]:
                break
    return x, t_x, np.full(n, T)


def test_bgnbd_recovers_simulated_parameters():
    x, t_x, T = _simulate_bgnbd(4000, r=0.8, alpha=2.0, a=1.2, b=4.0, T=40.0)
    m = BetaGeoModel().fit(x, t_x, T)
    assert m.params_["r"] == pytest.approx(0.8, rel=0.2)
    assert m.params_["alpha"] == pytest.approx(2.0, rel=0.3)
    assert m.params_["a"] / (m.params_["a"] + m.params_["b"]) == pytest.approx(1.2 / 5.2, rel=0.3)
    # for customers who just bought, expected purchases grow with frequency; a frequent buyer who went
    # quiet is probably gone (lower P(alive)) than an infrequent one with the same silence
    e = m.expected_purchases(4.0, np.array([1.0, 5.0, 20.0]), np.array([39.9] * 3), np.array([40.0] * 3))
    assert np.all(np.diff(e) > 0)
    alive = m.p_alive(np.array([2.0, 20.0]), np.array([30.0, 30.0]), np.array([40.0, 40.0]))
    assert alive[1] < alive[0]
    assert m.p_alive(np.array([0.0]), np.array([0.0]), np.array([40.0]))[0] == 1.0
    assert np.all((m.prob_purchase(4.0, x, t_x, T) >= 0) & (m.prob_purchase(4.0, x, t_x, T) <= 1))
    with pytest.raises(NotFittedError):
        BetaGeoModel().p_alive(x, t_x, T)


def test_bgnbd_conditional_expectation_matches_published_cdnow_value():
    # Fader, Hardie & Lee (2005) CDNOW parameters; customer with x=2, t_x=30.43, T=38.86 over 39 weeks
    m = BetaGeoModel()
    m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert m.expected_purchases(39, np.array([2.0]), np.array([30.43]), np.array([38.86]))[0] == pytest.approx(1.226, abs=0.01)


def test_paired_differences_interval():
    rows = [{"model": {"pr_auc": 0.6 + d}, "baselines": {"b": {"pr_auc": 0.5}}} for d in (0.01, 0.02, 0.03, 0.04)]
    d = paired_differences(rows, "b", metrics=("pr_auc",))["pr_auc"]
    assert d["mean_diff"] == pytest.approx(0.125)
    assert d["ci_low"] < 0.125 < d["ci_high"] and d["ci_low"] > 0.1 and d["n"] == 4


def test_baselines_fit_before_the_cutoff_only(cj_small):
    orders = cj_small["orders"]
    cutoff = pd.Timestamp("2017-09-01")
    prep = prepare_orders(orders[orders["timestamp"] < cutoff])
    feats = features_from_prepared(prep, cutoff)
    for name in BASELINES:
        b = make_baseline(name).fit(prep, cutoff, 7)
        p = b.predict_proba(feats)
        assert p.shape == (len(feats),) and np.all((p >= 0) & (p <= 1)), name
    with pytest.raises(ValueError, match="unknown baseline"):
        make_baseline("nope")
    with pytest.raises(NotFittedError):
        make_baseline("logistic_rfm").predict_proba(feats)


@pytest.fixture(scope="module")
def small_backtest(cj_small):
    return run_backtest(cj_small["orders"], cj_small["products"], horizons=(7, 30), n_cutoffs=2,
                        model_params=quick_params())


def test_backtest_structure_and_leak_free_cutoffs(small_backtest, cj_small):
    bt = small_backtest
    end = cj_small["orders"]["timestamp"].max()
    assert len(bt["cutoffs"]) == 2
    for c in bt["cutoffs"]:
        assert pd.Timestamp(c) + pd.Timedelta(days=30) <= end.normalize() + pd.Timedelta(days=1)
    for h in ("7", "30"):
        rows = bt["per_cutoff"][h]
        assert [r["cutoff"] for r in rows] == bt["cutoffs"]
        assert set(rows[0]["baselines"]) == set(BASELINES)
        assert set(bt["paired"][h]) == set(BASELINES)
        assert len(bt["reliability"][h]) == 10
        # the model must at least rank better than a constant and recency alone
        assert bt["mean"][h]["model"]["pr_auc"] > bt["mean"][h]["base_rate"]["pr_auc"]
        assert bt["mean"][h]["model"]["roc_auc"] > bt["mean"][h]["recency"]["roc_auc"]
    # 300 households: the 7-day windows have fewer than 300 buyers, and the backtest says so
    assert any("7-day window" in w and "buyers" in w for w in bt["warnings"])


def test_backtest_cutoffs_spacing(cj_small):
    cuts = backtest_cutoffs(cj_small["orders"], (7, 14, 30), n_cutoffs=8, step_days=14)
    assert len(cuts) == 8 and all((b - a).days == 14 for a, b in zip(cuts, cuts[1:]))
