"""The predictor's workspace step: backtest against the baselines, fit the final model, save both artifacts."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd

from models.data.atomic import atomic_write_text
from models.features import default_as_of
from models.predictor import DEFAULT_HORIZONS
from models.predictor.backtest import run_backtest
from models.predictor.card import summarize_for_card
from models.predictor.estimator import PurchasePredictor

__all__ = ["train_workspace", "quick_params"]


def quick_params() -> dict:
    """Settings for tests and the quick demo: a handful of snapshots and epochs."""
    return {"max_snapshots": 10, "snapshot_step_days": 14, "epochs": 8, "patience": 3, "hidden": 32,
            "batch_size": 256}


def train_workspace(ws, horizons=DEFAULT_HORIZONS, quick: bool = False, progress: bool = True) -> dict:
    """Backtest the predictor against the baselines, fit the final model on all data, save the artifacts.

    Writes ``artifacts/predictor.pt`` and ``artifacts/backtest.json`` atomically and records ``predictor``
    in the manifest. ``quick`` = few snapshots, epochs and backtest cutoffs (tests, demos).
    """
    say = (lambda m: print(m, flush=True)) if progress else (lambda m: None)
    started = time.perf_counter()
    orders = ws.read_table("orders")
    products = ws.read_table("products") if ws.has_table("products") else None
    params = quick_params() if quick else {}
    horizons = tuple(int(h) for h in horizons)
    n_cutoffs = 3 if quick else 8
    say(f"backtest: {'quick' if quick else 'full'} run over {n_cutoffs} cutoffs ...")
    bt = run_backtest(orders, products, horizons=horizons, n_cutoffs=n_cutoffs,
                      model_params=dict(params, horizons=horizons), progress=say)
    as_of = default_as_of(orders)
    say(f"final model: fitting on all orders before {as_of.date()} ...")
    est = PurchasePredictor(horizons=horizons, **params).fit(orders, products, as_of=as_of)
    data_hash, card = ws.data_hash(), summarize_for_card(bt)
    path = est.save(ws.artifact_path("predictor.pt"), data_hash=data_hash, backtest=card)
    bt_path = ws.artifact_path("backtest.json")
    bt_doc = dict(bt, as_of=str(as_of.date()), data_hash=data_hash)
    atomic_write_text(bt_path, json.dumps(bt_doc, indent=2, default=_json_default))
    info = {
        "path": str(path.relative_to(ws.path)),
        "backtest_path": str(bt_path.relative_to(ws.path)),
        "as_of": str(as_of.date()),
        "data_hash": data_hash,
        "horizons": list(horizons),
        "quick": bool(quick),
        "training": est.training_,
        "metrics": {str(h): card.get(str(h), {}).get("model", {}) for h in horizons},
        "seconds": round(time.perf_counter() - started, 1),
    }
    ws.record_artifact("predictor", info)
    say(f"saved {path} ({info['seconds']} s)")
    return info


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, (pd.Timestamp,)):
        return str(o.date())
    return str(o)
