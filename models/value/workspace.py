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

__all__ = ["fit_workspace", "customer_values", "predictor_p_buy_30", "at_risk", "value_backtest",
           "saved_value_backtest", "VALUE_FILE", "PARAMS_FILE", "BACKTEST_FILE"]

VALUE_FILE = "customer_value.parquet"
PARAMS_FILE = "customer_value.json"
BACKTEST_FILE = "value_backtest.json"
NO_BACKTEST = "not backtested yet on this data: run `mka backtest --target clv` (or `mka train`)"


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


def saved_value_backtest(ws) -> dict | None:
    """The saved value/churn backtest when it was run on the current data, else None."""
    info = ws.artifact_info("value_backtest")
    path = ws.artifact_path(BACKTEST_FILE)
    if not info or info.get("data_hash") != ws.data_hash() or not path.exists():
        return None
    return json.loads(path.read_text("utf-8"))


def value_backtest(ws, *, rerun: bool = False, quick: bool = False, progress=None) -> dict:
    """The rolling CLV and churn backtest (models.value.backtest) of the workspace's orders: the saved one when
    it matches the data (unless ``rerun``), else run now, saved to artifacts/value_backtest.json and recorded."""
    if not rerun:
        saved = saved_value_backtest(ws)
        if saved is not None:
            return {**saved, "source": "saved backtest"}
    from models.predictor.workspace import quick_params
    from models.value.backtest import run_value_backtest

    orders = ws.read_table("orders")
    products = ws.read_table("products") if ws.has_table("products") else None
    bt = run_value_backtest(orders, products, n_cutoffs=3 if quick else 8,
                            predictor_params=quick_params() if quick else None, progress=progress)
    bt.update(data_hash=ws.data_hash(), quick=bool(quick))
    atomic_write_text(ws.artifact_path(BACKTEST_FILE), json.dumps(bt, indent=1, default=str))
    ws.record_artifact("value_backtest", {
        "as_of": bt["as_of"], "data_hash": bt["data_hash"], "files": [BACKTEST_FILE], "cutoffs": bt["cutoffs"],
        "quick": bool(quick), "clv_default": bt["clv"]["default"], "churn_default": bt["churn"]["default"],
        "metrics": {"clv": bt["clv"]["mean"][bt["clv"]["default"]],
                    "churn": bt["churn"]["mean"][bt["churn"]["default"]]}})
    return {**bt, "source": "run now"}


def _backtest_summary(ws) -> dict:
    bt = saved_value_backtest(ws)
    if bt is None:
        return {"clv_backtest": NO_BACKTEST, "churn_backtest": NO_BACKTEST, "clv_default": None,
                "churn_default": None}
    clv_line = bt["clv"]["backtest_line"]
    if bt["clv"]["default"] != "bgnbd_gamma_gamma" and "bgnbd_gamma_gamma" in bt["clv"]["mean"]:
        # the CLV shown is always BG/NBD + Gamma-Gamma's: say so, with its own backtest numbers
        m = bt["clv"]["mean"]["bgnbd_gamma_gamma"]
        clv_line += (f" The CLV shown is {MODEL_NAME}'s (the only CLV model the product scores with yet): in the same "
                     f"backtest Spearman {m['spearman']:.3f}, top-decile revenue capture {m['top_decile_capture']:.1%}, "
                     f"Σpredicted/Σactual {m['pred_over_actual']:.2f}.")
    return {"clv_backtest": clv_line, "churn_backtest": bt["churn"]["backtest_line"],
            "clv_default": bt["clv"]["default"], "churn_default": bt["churn"]["default"]}


def fit_workspace(ws, progress: bool = True, *, quick: bool = False, horizon_days: int = 365,
                  discount_rate: float = 0.10, backtest: bool = True) -> dict:
    """Backtest CLV and churn risk (rolling cutoffs; ``quick``: 3 of them, quick predictor settings), fit on
    every order, save artifacts/customer_value.parquet + customer_value.json, record ``value``."""
    say = (lambda msg: print(f"[value] {msg}", flush=True)) if progress else (lambda msg: None)
    bt_error = None
    if backtest:
        try:
            value_backtest(ws, quick=quick, progress=say)
        except ValueError as exc:  # too little history for a rolling backtest: the fit still runs, and says so
            bt_error = str(exc)
            say(f"no backtest: {exc}")
    values, info = _fit(ws, horizon_days=horizon_days, discount_rate=discount_rate)
    with atomic_path(ws.artifact_path(VALUE_FILE), suffix=".parquet") as tmp:
        values.reset_index().to_parquet(tmp, index=False)
    atomic_write_text(ws.artifact_path(PARAMS_FILE), json.dumps(info, indent=1, default=str))
    metrics = {"total_clv": round(float(values["clv"].sum()), 2), "mean_p_alive": round(float(values["p_alive"].mean()), 4)}
    ws.record_artifact("value", {**info, "metrics": metrics, "files": [VALUE_FILE, PARAMS_FILE]})
    say(f"fitted {MODEL_NAME} on {len(values):,} customers as of {info['as_of']}")
    summary = _backtest_summary(ws)
    if bt_error:
        summary.update(clv_backtest=f"not backtested: {bt_error}", churn_backtest=f"not backtested: {bt_error}")
    for k in ("clv_backtest", "churn_backtest"):
        say(summary[k])
    return {**info, "metrics": metrics, **summary}


def customer_values(ws) -> tuple[pd.DataFrame, dict]:
    """(per-customer values indexed by customer_id, info: as_of, model, params, definitions, source). The saved
    fit when it matches the data; otherwise fitted now in memory (nothing written)."""
    info = ws.artifact_info("value")
    path = ws.artifact_path(VALUE_FILE)
    if info and info.get("data_hash") == ws.data_hash() and path.exists():
        values = read_artifact(path, lambda p: pd.read_parquet(p).set_index("customer_id"), what="customer values")
        values.index = values.index.astype("string")
        return values, {**info, "source": "saved fit", **_backtest_summary(ws)}
    values, info = _fit(ws)
    return values, {**info, "source": "fitted now (no saved fit for this data: run `mka train`)",
                    **_backtest_summary(ws)}


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
    risk, source = churn_risk(values, predictor_p_buy_30(ws), chosen=info.get("churn_default"))
    rows, summary = at_risk_table(values, risk, min_value_quantile=min_value_quantile, top_k=top_k,
                                  segment_of=segment_of, segment=segment)
    return {"as_of": info["as_of"], "value_model": info["model"], "churn_model": source,
            "clv_backtest": info["clv_backtest"], "churn_backtest": info["churn_backtest"],
            "definitions": [CHURN_DEFINITION, VALUE_AT_RISK_DEFINITION, info["clv_definition"], OVERDUE_DEFINITION],
            "min_value_quantile": min_value_quantile, **summary, "rows": rows, "values": values, "info": info}
