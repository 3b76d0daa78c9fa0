"""Sales forecast models: complete-week panels, holidays, methods and intervals, reconciliation, backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from models.data.errors import WorkspaceError
from models.forecast.backtest import backtest_panel, origins_for, score
from models.forecast.holidays import adjust_holidays, holiday_names
from models.forecast.methods import Z, Forecaster
from models.forecast.reconcile import reconcile, shrunk_covariance, summing_matrix
from models.forecast.series import build_panel
from tests.forecast_fakes import synthetic_shop


@pytest.fixture(scope="module")
def shop():
    return synthetic_shop()


def test_panel_keeps_complete_weeks_only_and_adds_up(shop):
    p = build_panel(shop["orders"], "revenue", "category", products=shop["products"])
    idx = p.values.index
    assert idx[0] == pd.Timestamp("2017-01-02") and idx[-1] == pd.Timestamp("2017-12-25") and len(idx) == 52
    assert [x["period"] for x in p.partial] == ["2016-12-26", "2018-01-01"]
    assert all(x["days_with_data"] == 1 for x in p.partial)
    assert any("partial week 2018-01-01" in n for n in p.notes)
    cats, deps = p.series_at("category"), p.series_at("department")
    assert "Bread (Bakery)" in cats and "Bread (Grocery)" in cats and "Fuel (Fuel)" in cats  # labels stay unique
    assert len(set(p.values.columns)) == len(p.values.columns)
    assert np.allclose(p.values[cats].sum(axis=1), p.values["total"])
    assert np.allclose(p.values[deps].sum(axis=1), p.values["total"])
    assert p.parent["Bread (Bakery)"] == "Bakery" and p.parent["Bakery"] == "total" and p.additive
    week = shop["orders"][(shop["orders"]["timestamp"] >= "2017-03-06") & (shop["orders"]["timestamp"] < "2017-03-13")]
    assert p.values.loc["2017-03-06", "total"] == pytest.approx(week["amount"].sum())


def test_counts_are_distinct_and_not_additive_by_category(shop):
    p = build_panel(shop["orders"], "orders", "category", products=shop["products"])
    o = shop["orders"]
    week = o[(o["timestamp"] >= "2017-03-06") & (o["timestamp"] < "2017-03-13")]
    assert p.values.loc["2017-03-06", "total"] == week["order_id"].nunique()
    assert not p.additive and any("do not add up" in n for n in p.notes)
    c = build_panel(o, "customers", None)
    assert c.values.loc["2017-03-06", "total"] == week["customer_id"].nunique()


def test_daily_panel_drops_the_partial_last_day(shop):
    p = build_panel(shop["orders"], "revenue", None, freq="D")
    assert p.values.index[0] == pd.Timestamp("2017-01-01") and p.values.index[-1] == pd.Timestamp("2017-12-31")
    assert p.holidays[pd.Timestamp("2017-12-25")] == "Christmas"


def test_breakdowns_need_their_columns(shop):
    plain = shop["orders"][["customer_id", "timestamp", "amount"]]
    with pytest.raises(WorkspaceError, match="products"):
        build_panel(plain, "revenue", "category")
    with pytest.raises(WorkspaceError, match="mka segment"):
        build_panel(plain, "revenue", "segment")
    assert build_panel(plain, "orders", None).values["total"].sum() > 0  # one order per customer and time


def test_holiday_weeks_and_adjustment():
    idx = pd.date_range("2017-01-02", periods=53, freq="7D")
    names = holiday_names(idx, "W")
    assert names == {pd.Timestamp("2017-11-20"): "Thanksgiving week", pd.Timestamp("2017-12-18"): "week before Christmas",
                     pd.Timestamp("2017-12-25"): "Christmas week", pd.Timestamp("2018-01-01"): "New Year week"}
    y = np.array([10.0, 10, 10, 20, 10, 10, 10])
    adj, effects = adjust_holidays(y, [None, None, None, "X", None, None, None])
    assert adj[3] == 10 and effects == {"X": 2.0} and adj[0] == 10


def test_baseline_forecasts_and_intervals():
    y = np.array([1.0, 3, 2, 5, 4, 6])
    with pytest.raises(NotFittedError):
        Forecaster("naive").predict(2)
    naive = Forecaster("naive").fit(y).predict(3)
    sigma = np.sqrt(np.mean(np.diff(y) ** 2))
    assert np.allclose(naive["mean"], 6) and np.allclose(naive["sd"], sigma * np.sqrt([1, 2, 3]))
    drift = Forecaster("drift").fit(y).predict(2)
    assert np.allclose(drift["mean"], [7, 8])  # slope (6 - 1) / 5
    s = Forecaster("seasonal_naive", season_length=2).fit(y).predict(3)
    assert np.allclose(s["mean"], [4, 6, 4])
    for p in (naive, drift, s):
        assert (p["lo95"] <= p["lo80"]).all() and (p["lo80"] <= p["mean"]).all() and (p["hi80"] <= p["hi95"]).all()
        assert np.allclose(p["hi80"] - p["mean"], Z[80] * p["sd"])


def test_models_fit_and_fall_back():
    rng = np.random.default_rng(0)
    y = 100 + np.arange(40) * 2.0 + rng.normal(0, 3, 40)
    for method in ("ets", "theta"):
        f = Forecaster(method).fit(y)
        p = f.predict(4)
        assert f.fallback_ is None and len(f.resid_) >= 39
        assert p["mean"][0] > 150 and (p["hi95"] > p["hi80"]).all() and (np.diff(p["sd"]) >= -1e-9).all()
    f = Forecaster("ets").fit(np.zeros(20))
    assert f.method_used_ == "naive" and "constant" in f.fallback_
    weekly = Forecaster("seasonal_naive", season_length=52).fit(y)
    assert weekly.method_used_ == "naive" and "104" in weekly.fallback_  # one year is not two seasons


def test_reconciliation_is_coherent():
    series = ["total", "A", "B", "a1", "a2", "b1"]
    parent = {"A": "total", "B": "total", "a1": "A", "a2": "A", "b1": "B"}
    S, bottom = summing_matrix(series, parent)
    assert bottom == ["a1", "a2", "b1"] and S.shape == (6, 3)
    rng = np.random.default_rng(1)
    mean = rng.normal(10, 3, (6, 4))
    sd = np.abs(rng.normal(1, 0.2, (6, 4)))
    resid = rng.normal(0, 1, (30, 6))
    rows = [series.index(b) for b in bottom]
    for method in ("bottom_up", "mint_shrink"):
        m, s, info = reconcile(method, mean, sd, resid, S, rows)
        assert np.allclose(m[0], m[1] + m[2]) and np.allclose(m[1], m[3] + m[4]) and np.allclose(m[2], m[5])
        assert s.shape == sd.shape
    m, _, _ = reconcile("bottom_up", mean, sd, resid, S, rows)
    assert np.allclose(m[3:], mean[3:])
    coherent = S @ mean[3:]
    m, _, _ = reconcile("mint_shrink", coherent, sd, resid, S, rows)
    assert np.allclose(m, coherent)  # MinT leaves coherent forecasts alone
    _, lam = shrunk_covariance(resid)
    assert 0 <= lam <= 1


def test_score_scales_by_in_sample_naive_error():
    actual = np.array([[[10.0, 12.0]]])
    fc = {"mean": np.array([[[11.0, 11.0]]]), "lo80": np.array([[[9.0, 9.0]]]), "hi80": np.array([[[11.5, 11.5]]]),
          "lo95": np.array([[[8.0, 8.0]]]), "hi95": np.array([[[13.0, 13.0]]])}
    out = score(actual, fc, np.array([[2.0]]), np.zeros((1, 1, 2), dtype=bool), (2,))["2"]
    assert out["mase"] == pytest.approx(0.5) and out["coverage80"] == 0.5 and out["coverage95"] == 1.0
    assert out["smape"] == pytest.approx(np.mean([200 / 21, 200 / 23]))
    held = score(actual, fc, np.array([[2.0]]), np.array([[[False, True]]]), (2,))["2"]
    assert held["n_forecasts"] == 1 and held["mase"] == pytest.approx(0.5) and held["coverage80"] == 1.0


def test_origins():
    assert origins_for(52, 8, 10, 26) == [26, 28, 30, 32, 34, 36, 38, 40, 42, 44]
    assert origins_for(52, 8, 3, 26)[-1] == 44 and origins_for(20, 8, 3, 16) == []


def test_backtest_chooses_per_level_and_names_what_is_missing(shop):
    p = build_panel(shop["orders"], "revenue", "department", products=shop["products"])
    bt = backtest_panel(p, n_origins=3, max_series_per_level=2, n_rec_origins=2)
    assert bt["horizon"] == 8 and bt["windows"] == [4, 8] and len(bt["origins"]) == 3
    assert "naive" in bt["scaling"] and "training window" in bt["scaling"]
    total = bt["levels"]["total"]
    assert set(total["methods"]) == {"naive", "drift", "ets", "theta"} and total["chosen"] in total["methods"]
    assert "two full seasons" in total["not_available"]["seasonal_naive"]
    assert bt["levels"]["department"]["n_series"] == 2 and "largest" in bt["levels"]["department"]["series_selection"]
    for m in total["methods"].values():
        assert 0 <= m["8"]["coverage80"] <= 1 and m["8"]["mase"] > 0
    rec = bt["reconciliation"]
    assert set(rec["mean_mase"]) == {"none", "bottom_up", "mint_shrink"} and rec["chosen"] in ("bottom_up", "mint_shrink")
    assert bt["holiday_periods"]["2017-12-25"] == "Christmas week"
    # the last origin's targets hold the three holiday weeks: they are left out of the headline numbers
    assert total["methods"]["naive"]["8"]["n_forecasts"] == 3 * 8 - 3


def test_short_history_backtests_shorter_windows():
    shop = synthetic_shop(n_customers=15, end="2017-04-30 20:00")
    p = build_panel(shop["orders"], "revenue", None)
    bt = backtest_panel(p, n_origins=3)
    assert "error" not in bt and bt["horizon"] < 8 and any("only" in n for n in bt["notes"])


def test_segment_series_add_up_with_unassigned(shop):
    ids = sorted(shop["orders"]["customer_id"].astype(str).unique())
    seg = pd.DataFrame({"customer_id": ids[:30], "segment": ["A" if i % 2 else "B" for i in range(30)]})
    for metric in ("revenue", "orders", "customers"):
        p = build_panel(shop["orders"], metric, "segment", segments=seg)
        assert p.series_at("segment") == ["A", "B", "Unassigned"] and p.additive
        assert np.allclose(p.values[["A", "B", "Unassigned"]].sum(axis=1), p.values["total"])
