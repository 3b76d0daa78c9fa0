"""The value step and read API: fit BG/NBD + Gamma-Gamma on the workspace's orders, save each customer's value,
and read it back (or compute it on the fly when the saved one is missing or stale)."""

from __future__ import annotations

import json

import pandas as pd

from models.data.artifacts import read_artifact
from models.data.atomic import atomic_path, atomic_write_text
from models.data.errors import NotFittedError, WorkspaceError
from models.features import default_as_of
from models.value.churn import CHURN_DEFINITION, VALUE_AT_RISK_DEFINITION, at_risk_table, churn_risk
from models.value.clv import MODEL_NAME, OVERDUE_DEFINITION, CustomerValueModel, customer_summary

__all__ = ["fit_workspace", "customer_values", "predictor_p_buy_30", "at_risk", "VALUE_FILE", "PARAMS_FILE"]

VALUE_FILE = "customer_value.parquet"
PARAMS_FILE = "customer_value.json"


def _fit(ws, as_of=None, horizon_days: int = 365, discount_rate: float = 0.10) -> tuple[pd.DataFrame, dict]:
    orders = ws.read_table("orders")
    cutoff = default_as_of(orders) if as_of is None else pd.Timestamp(as_of)
    summary = customer_summary(orders, cutoff)
    model = CustomerValueModel(horizon_days=horizon_days, discount_rate=discount_rate).fit(summary)
    values = model.predict(summary)
    info = {"as_of": cutoff.date().isoformat(), "data_hash": ws.data_hash(), "model": MODEL_NAME,
            "params": model.params_, "n_customers": int(len(values)), "horizon_days": horizon_days,
            "discount_rate": discount_rate, "clv_definition": model.definition(),
            "overdue_definition": OVERDUE_DEFINITION, "converged": bool(model.bgnbd_.converged_
                                                                        and model.gamma_gamma_.converged_)}
    return values, info


def fit_workspace(ws, progress: bool = True, *, horizon_days: int = 365, discount_rate: float = 0.10) -> dict:
    """Fit on every order, save artifacts/customer_value.parquet + customer_value.json, record ``value``."""
    say = (lambda msg: print(f"[value] {msg}", flush=True)) if progress else (lambda msg: None)
    values, info = _fit(ws, horizon_days=horizon_days, discount_rate=discount_rate)
    with atomic_path(ws.artifact_path(VALUE_FILE), suffix=".parquet") as tmp:
        values.reset_index().to_parquet(tmp, index=False)
    atomic_write_text(ws.artifact_path(PARAMS_FILE), json.dumps(info, indent=1, default=str))
    metrics = {"total_clv": round(float(values["clv"].sum()), 2), "mean_p_alive": round(float(values["p_alive"].mean()), 4)}
    ws.record_artifact("value", {**info, "metrics": metrics, "files": [VALUE_FILE, PARAMS_FILE]})
    say(f"fitted {MODEL_NAME} on {len(values):,} customers as of {info['as_of']}")
    return {**info, "metrics": metrics}


def customer_values(ws) -> tuple[pd.DataFrame, dict]:
    """(per-customer values indexed by customer_id, info: as_of, model, params, definitions, source). The saved
    fit when it matches the data; otherwise fitted now in memory (nothing written)."""
    info = ws.artifact_info("value")
    path = ws.artifact_path(VALUE_FILE)
    if info and info.get("data_hash") == ws.data_hash() and path.exists():
        values = read_artifact(path, lambda p: pd.read_parquet(p).set_index("customer_id"), what="customer values")
        values.index = values.index.astype("string")
        return values, {**info, "source": "saved fit"}
    values, info = _fit(ws)
    return values, {**info, "source": "fitted now (no saved fit for this data: run `mka train`)"}


def predictor_p_buy_30(ws) -> pd.Series | None:
    """The trained predictor's P(buy in the next 30 days) per customer, or None without a 30-day head."""
    if not ws.artifact_path("predictor.pt").exists():
        return None
    try:
        from models.predictor.scoring import score_customers

        s = score_customers(ws, horizon_days=30)
    except (ImportError, NotFittedError, WorkspaceError, FileNotFoundError, ValueError, KeyError):
        return None
    return pd.Series(s["p_buy"].to_numpy(dtype="float64"), index=s["customer_id"].astype(str))


def at_risk(ws, min_value_quantile: float = 0.8, top_k: int = 50, segment: str | None = None,
            segment_of: dict | None = None) -> dict:
    """The at-risk high-value list with its definitions (what `mka churn` prints)."""
    values, info = customer_values(ws)
    risk, source = churn_risk(values, predictor_p_buy_30(ws))
    rows, summary = at_risk_table(values, risk, min_value_quantile=min_value_quantile, top_k=top_k,
                                  segment_of=segment_of, segment=segment)
    return {"as_of": info["as_of"], "value_model": info["model"], "churn_model": source,
            "definitions": [CHURN_DEFINITION, VALUE_AT_RISK_DEFINITION, info["clv_definition"], OVERDUE_DEFINITION],
            "min_value_quantile": min_value_quantile, **summary, "rows": rows, "values": values, "info": info}
