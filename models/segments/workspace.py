"""The segments' workspace step: fit on the workspace's orders, profile and name the segments, save them."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone

from models.data.atomic import atomic_path, atomic_write_text
from models.data.errors import NotFittedError, WorkspaceError
from models.features import default_as_of, features_at
from models.segments.naming import name_segments
from models.segments.profiles import build_profiles
from models.segments.segmenter import CustomerSegmenter
from models.segments.store import ASSIGN_FILE, MODEL_FILE, PROFILES_FILE
from models.value.lifecycle import LIFECYCLE_DEFINITION, lifecycle_from_orders, stage_shares

__all__ = ["fit_workspace"]


def _predicted_p_buy(ws) -> pd.Series | None:
    """The predictor's P(buy in 30 days) per customer, or None when no predictor is trained."""
    if not ws.artifact_path("predictor.pt").exists():
        return None
    try:
        # imported here: segments work without the predictor (and without loading torch)
        from models.predictor.scoring import score_customers

        scores = score_customers(ws, horizon_days=30)
    except (ImportError, NotFittedError, WorkspaceError, FileNotFoundError, ValueError, KeyError):
        return None  # predictor missing, stale or without a 30-day head: segment without it
    return scores.set_index(scores["customer_id"].astype("string"))["p_buy"].astype("float64")


def fit_workspace(ws, progress: bool = True, *, as_of=None, save: bool | None = None, random_state: int = 0,
                  segmenter: CustomerSegmenter | None = None) -> dict:
    """Fit segments on the workspace's orders as of ``as_of`` (default: the day after the last order).

    Saves artifacts/segments.parquet, segment_profiles.json and segmenter.joblib (default: only for the
    default ``as_of``; a past ``as_of`` is a what-if view). A saved previous model lends its segment ids.
    Returns a summary with the profiles.
    """
    say = (lambda msg: print(f"[segments] {msg}", flush=True)) if progress else (lambda msg: None)
    orders = ws.read_table("orders")
    products = ws.read_table("products") if ws.has_table("products") else None
    customers = ws.read_table("customers") if ws.has_table("customers") else None
    latest = default_as_of(orders)
    cutoff = latest if as_of is None else pd.Timestamp(as_of)
    save = (cutoff == latest) if save is None else save
    orders = orders[orders["timestamp"] < cutoff]
    if orders.empty:
        raise ValueError(f"no orders before {cutoff.date()}: nothing to segment")
    say(f"features for {orders['customer_id'].nunique():,} customers as of {cutoff.date()}")
    X = features_at(orders, cutoff, products=products)
    p_buy = _predicted_p_buy(ws) if cutoff == latest else None
    if p_buy is not None:
        X = X.assign(p_buy_30d=p_buy.reindex(X.index).fillna(p_buy.median()).to_numpy())
    reference = None
    model_path = ws.artifact_path(MODEL_FILE)
    if model_path.exists():
        try:
            reference = joblib.load(model_path)
        except Exception:  # an unreadable old model only costs id continuity
            reference = None
    say("choosing the clustering" + (" (keeping the previous segment ids)" if reference is not None else ""))
    model = clone(segmenter) if segmenter is not None else CustomerSegmenter(random_state=random_state)
    model.fit(X, reference=reference)
    ids = pd.Series(model.predict(X), index=X.index, name="segment_id")
    profiles, overall = build_profiles(X, ids, orders, products, customers, p_buy)
    stages = lifecycle_from_orders(orders, cutoff)  # lapsed / at risk / active: the status word of each name
    if stages is not None:
        stages.index = stages.index.astype(str)
        for p in profiles:
            p.update(stage_shares(stages, ids.index[ids == p["segment_id"]]))
        overall.update(stage_shares(stages, X.index), lifecycle_definition=LIFECYCLE_DEFINITION)
    profiles = name_segments(profiles, overall)
    name_of = {p["segment_id"]: p["name"] for p in profiles}
    assignments = pd.DataFrame({
        "customer_id": X.index.astype("string"),
        "segment_id": ids.to_numpy().astype("int64"),
        "segment": pd.array([name_of[i] for i in ids], dtype="string"),
        "recency_days": X["recency_days"].to_numpy(dtype="float64"),
        "orders": X["frequency"].to_numpy(dtype="float64"),
        "spend": X["monetary"].to_numpy(dtype="float64"),
        "avg_basket": X["avg_basket"].to_numpy(dtype="float64"),
        "p_buy_30d": X["p_buy_30d"].to_numpy(dtype="float64") if p_buy is not None else np.nan,
    })
    summary = {
        "as_of": cutoff.date().isoformat(), "data_hash": ws.data_hash(), "n_customers": int(len(X)),
        "method": model.method_, "k": int(model.k_), "silhouette": round(model.silhouette_, 4),
        "min_share": round(min(p["share_customers"] for p in profiles), 4),
        "uses_p_buy_30d": p_buy is not None, "ids_from_previous": reference is not None,
        "segments": [{"segment_id": p["segment_id"], "name": p["name"], "size": p["size"]} for p in profiles],
    }
    if save:
        with ws.write_lock():  # one writer at a time (models/data/lock.py); each file replaced whole
            with atomic_path(ws.artifact_path(ASSIGN_FILE), suffix=".parquet") as tmp:
                assignments.to_parquet(tmp, index=False)
            atomic_write_text(ws.artifact_path(PROFILES_FILE), json.dumps(
                {"as_of": summary["as_of"], "overall": overall, "segments": profiles}, indent=2, default=str))
            with atomic_path(model_path, suffix=".joblib") as tmp:
                joblib.dump(model, tmp)
            ws.record_artifact("segments", {**summary, "files": [ASSIGN_FILE, PROFILES_FILE, MODEL_FILE]})
        say(f"saved {model.k_} segments ({model.method_}, silhouette {model.silhouette_:.3f})")
    return {**summary, "saved": bool(save), "overall": overall, "profiles": profiles}
