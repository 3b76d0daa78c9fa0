"""Customer value in batch scoring (`mka score`): CLV, P(alive) and churn risk of a bucket of customers as of a
date, from the fitted value model's parameters (the ``value`` artifact).

Given the fitted BG/NBD and Gamma-Gamma parameters, a customer's value depends only on that customer's own orders
(``customer_summary``), so customers can be scored bucket by bucket (on Spark: one ``applyInPandas`` call per hash
bucket) with the same result as all at once. The spec is a small dict, broadcast with the predictor checkpoint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.predictor.bgnbd import BetaGeoModel
from models.value.churn import BGNBD_CHOSEN, BGNBD_SOURCE, PREDICTOR_SOURCE
from models.value.clv import CustomerValueModel, customer_summary
from models.value.gamma_gamma import GammaGammaModel

__all__ = ["VALUE_COLUMNS", "value_spec", "model_from_spec", "value_columns", "churn_source"]

VALUE_COLUMNS = ["clv", "p_alive", "churn_risk_30d"]


def value_spec(info: dict, churn_default: str | None = None) -> dict:
    """The part of the ``value`` artifact's record batch scoring needs (params, horizon, discount rate), plus
    the churn model the backtest chose (``"bgnbd"`` or the predictor)."""
    return {"params": {"bgnbd": dict(info["params"]["bgnbd"]), "gamma_gamma": dict(info["params"]["gamma_gamma"])},
            "horizon_days": int(info.get("horizon_days", 365)), "discount_rate": float(info.get("discount_rate", 0.10)),
            "churn_default": churn_default, "as_of": info.get("as_of"), "definition": info.get("clv_definition")}


def model_from_spec(spec: dict) -> CustomerValueModel:
    """The fitted CustomerValueModel the spec describes (no refit)."""
    model = CustomerValueModel(horizon_days=spec["horizon_days"], discount_rate=spec["discount_rate"])
    model.bgnbd_ = BetaGeoModel()
    model.bgnbd_.params_ = {k: float(v) for k, v in spec["params"]["bgnbd"].items()}
    model.gamma_gamma_ = GammaGammaModel()
    model.gamma_gamma_.params_ = {k: float(v) for k, v in spec["params"]["gamma_gamma"].items()}
    model.bgnbd_.converged_ = model.gamma_gamma_.converged_ = True
    model.n_customers_ = 0
    return model


def churn_source(spec: dict, horizons) -> str:
    """Which model gives ``churn_risk_30d`` (the same rule as models.value.churn.churn_risk)."""
    if spec.get("churn_default") == "bgnbd":
        return BGNBD_CHOSEN
    return PREDICTOR_SOURCE if 30 in {int(h) for h in horizons} else BGNBD_SOURCE


def value_columns(spec: dict, orders: pd.DataFrame, as_of, customer_ids, p_buy_30d=None) -> pd.DataFrame:
    """clv, p_alive, churn_risk_30d for ``customer_ids`` (in that order) from their orders before ``as_of``.

    churn risk = 1 − the predictor's P(buy in 30 days) when given (``p_buy_30d``, aligned with ``customer_ids``)
    and the backtest did not choose BG/NBD; else BG/NBD's P(no purchase in 30 days)."""
    ids = pd.Index(pd.Series(customer_ids, dtype="string"))
    out = pd.DataFrame(index=ids, columns=VALUE_COLUMNS, dtype="float64")
    if len(ids) == 0:
        return out.reset_index(drop=True)
    vals = model_from_spec(spec).predict(customer_summary(orders, as_of)).reindex(ids)
    out["clv"] = vals["clv"].to_numpy(np.float64)
    out["p_alive"] = vals["p_alive"].to_numpy(np.float64)
    bg = vals["p_no_purchase_30d_bgnbd"].to_numpy(np.float64)
    if p_buy_30d is not None and spec.get("churn_default") != "bgnbd":
        risk = 1.0 - np.asarray(p_buy_30d, dtype=np.float64)
        out["churn_risk_30d"] = np.where(np.isfinite(risk), risk, bg)
    else:
        out["churn_risk_30d"] = bg
    return out.reset_index(drop=True)
