"""The PyTorch predictor: estimator contract, reproducibility, no leakage through training, checkpoints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from models.data.errors import NotFittedError
from models.features import labels_at
from models.predictor.estimator import PurchasePredictor
from models.predictor.metrics import binary_metrics
from models.predictor.net import PredictorConfig, PurchaseNet
from models.predictor.workspace import quick_params

AS_OF = pd.Timestamp("2017-11-01")


@pytest.fixture(scope="module")
def fitted(cj_small):
    orders, products = cj_small["orders"], cj_small["products"]
    return PurchasePredictor(**quick_params()).fit(orders, products, as_of=AS_OF)


def test_init_stores_hyperparameters_only_and_predict_before_fit_raises(cj_small):
    est = PurchasePredictor(hidden=16, random_state=3)
    assert est.get_params()["hidden"] == 16 and est.get_params()["random_state"] == 3
    assert not [k for k in vars(est) if k.endswith("_")]
    with pytest.raises(NotFittedError):
        est.predict(pd.DataFrame())
    with pytest.raises(NotFittedError):
        est.save("unused.pt")


def test_net_shapes():
    cfg = PredictorConfig(n_static=5, n_weeks=26, horizons=(7, 30))
    out = PurchaseNet(cfg)(torch.zeros(4, 5), torch.zeros(4, 26))
    assert out.shape == (4, 3, 2)


def test_predictions_are_sane_and_rank_real_buyers(fitted, cj_small):
    orders, products = cj_small["orders"], cj_small["products"]
    before = orders[orders["timestamp"] < AS_OF]
    feats = fitted.features(before, AS_OF, products)
    pred = fitted.predict(feats)
    assert list(pred.index) == list(feats.index)
    for h in (7, 14, 30):
        p = pred[f"p_buy_{h}"]
        assert p.between(0, 1).all()
        assert (pred[f"expected_orders_{h}"] > 0).all() and (pred[f"expected_spend_{h}"] > 0).all()
    # longer windows: more buyers expected
    assert pred["p_buy_30"].mean() > pred["p_buy_7"].mean()
    assert pred["expected_orders_30"].mean() > pred["expected_orders_7"].mean()
    y = labels_at(orders, AS_OF, 7).reindex(feats.index, fill_value=0).to_numpy()
    m = binary_metrics(y, pred["p_buy_7"].to_numpy())
    assert m["roc_auc"] > 0.75
    assert 0.8 < m["predicted_vs_actual_buyers"] < 1.25
    np.testing.assert_allclose(fitted.predict_proba(feats, 7), pred["p_buy_7"].to_numpy())
    with pytest.raises(ValueError, match="7, 14, 30"):
        fitted.predict_proba(feats, 10)


def test_training_is_reproducible_and_blind_to_the_future(fitted, cj_small):
    orders, products = cj_small["orders"], cj_small["products"]
    after = orders["timestamp"] >= AS_OF
    changed = orders.copy()
    changed.loc[after, "amount"] = 999.0
    changed = changed[~after | (changed.index % 2 == 0)]  # and drop half the future lines
    again = PurchasePredictor(**quick_params()).fit(changed, products, as_of=AS_OF)
    feats = fitted.features(orders[~after], AS_OF, products)
    pd.testing.assert_frame_equal(fitted.predict(feats), again.predict(feats))
    # a different seed gives a different network (the test above could fail)
    other = PurchasePredictor(**dict(quick_params(), random_state=1)).fit(orders, products, as_of=AS_OF)
    assert not np.allclose(other.predict(feats)["p_buy_7"], fitted.predict(feats)["p_buy_7"])


def test_training_window_respects_purge_gap(fitted):
    tr = fitted.training_
    # the newest snapshot leaves room for a 7-day label window ending 30 days before as_of
    assert pd.Timestamp(tr["last_snapshot"]) + pd.Timedelta(days=7) <= AS_OF - pd.Timedelta(days=30)
    assert tr["n_snapshots"] >= 2 and tr["n_rows"] > 300


def test_save_load_roundtrip(fitted, cj_small, tmp_path):
    fitted.data_hash_ = "abc"
    fitted.backtest_ = {"7": {"model": {"pr_auc": 0.5}}}
    path = fitted.save(tmp_path / "m.pt")
    ck = torch.load(path, weights_only=True)
    for key in ("state_dict", "config", "feature_names", "scaler", "calibrators", "as_of", "data_hash", "backtest"):
        assert key in ck
    loaded = PurchasePredictor.load(path)
    assert loaded.as_of_ == fitted.as_of_ and loaded.data_hash_ == "abc"
    assert loaded.backtest_ == fitted.backtest_
    feats = fitted.features(cj_small["orders"], AS_OF, cj_small["products"])
    pd.testing.assert_frame_equal(loaded.predict(feats), fitted.predict(feats))
    with pytest.raises(FileNotFoundError, match="mka train"):
        PurchasePredictor.load(tmp_path / "missing.pt")


def test_fit_refuses_too_little_history(cj_small):
    orders = cj_small["orders"]
    short = orders[orders["timestamp"] < "2017-01-20"]
    with pytest.raises(ValueError, match="too little"):
        PurchasePredictor(**quick_params()).fit(short)


def test_get_params_round_trip_and_clone():
    from sklearn.base import clone

    est = PurchasePredictor(horizons=(7, 30), hidden=16, epochs=2, random_state=5)
    params = est.get_params()
    assert params["horizons"] == (7, 30) and params["hidden"] == 16 and params["epochs"] == 2
    assert PurchasePredictor(**params).get_params() == params
    assert clone(est).get_params() == params
    assert est.set_params(hidden=8) is est and est.get_params()["hidden"] == 8
    with pytest.raises(ValueError):
        est.set_params(no_such_parameter=1)


def test_every_read_before_fit_raises_not_fitted():
    est = PurchasePredictor()
    for call in (lambda: est.predict_proba(pd.DataFrame(), 7), lambda: est.features(pd.DataFrame(), AS_OF),
                 lambda: est.raw_outputs(pd.DataFrame()), lambda: est.horizons_, est.checkpoint):
        with pytest.raises(NotFittedError):
            call()


def test_fit_assigns_its_own_state_and_save_takes_the_provenance(fitted, tmp_path):
    assert fitted.horizons_ == (7, 14, 30) and fitted.as_of_ == AS_OF
    assert fitted.config_.n_static == len(fitted.feature_names_) == fitted.scaler_mean_.shape[0]
    assert len(fitted.calibrators_) == len(fitted.horizons_)
    path = fitted.save(tmp_path / "p.pt", data_hash="h1", backtest={"7": {"n_cutoffs": 2}})
    loaded = PurchasePredictor.load(path)
    assert loaded.data_hash_ == "h1" and loaded.backtest_ == {"7": {"n_cutoffs": 2}}
    assert loaded.horizons_ == fitted.horizons_ and loaded.get_params() == fitted.get_params()


def test_fit_rejects_bad_hyperparameters(cj_small):
    with pytest.raises(ValueError, match="horizons"):
        PurchasePredictor(horizons=()).fit(cj_small["orders"])
    with pytest.raises(ValueError, match="calibration"):
        PurchasePredictor(calibration="isotonic").fit(cj_small["orders"])
