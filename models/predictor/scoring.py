"""Read API over the trained predictor: ranked customers with reasons, and the model card.

The model is loaded once per (path, mtime) and features once per (workspace data, as_of, model), so tools
calling these repeatedly pay the cost once. Reasons are gradient × input on the calibrated horizon's logit,
measured against the scored population's mean and summed over groups of related features, then worded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import pandas as pd

from models.data.freshness import check_as_of, staleness_note
from models.data.errors import WorkspaceError
from models.predictor.card import backtest_card, backtest_line, target_text
from models.runtime import limit_threads
from models.predictor.estimator import PurchasePredictor

__all__ = ["score_customers", "model_card", "load_predictor", "trained_horizons", "target_text", "backtest_line",
           "explain", "REASON_GROUPS", "score_frame"]

_MODELS: "OrderedDict[tuple, PurchasePredictor]" = OrderedDict()
_FEATURES: "OrderedDict[tuple, pd.DataFrame]" = OrderedDict()
_LOCK = threading.Lock()
RECENT_WEEKS = 5  # week_00..week_04 count as "recent" for the reasons

# reason group → features in it (cat_share__* and the weekly sequence are added by rule)
REASON_GROUPS = {
    "recent": ["orders_last_7d", "orders_last_14d", "orders_last_30d"],
    "rhythm": ["gap_mean_days", "gap_std_days", "gap_last_days"],
    "recency": ["recency_days"],
    "habit": ["frequency", "orders_last_90d", "active_weeks_share"],
    "spend": ["monetary", "avg_basket", "spend_last_30d", "spend_last_90d"],
    "tenure": ["tenure_days", "tenure_in_window"],
    "deals": ["discount_share", "coupon_share", "return_share"],
    "categories": [],
}


def load_predictor(ws) -> PurchasePredictor:
    """The workspace's trained predictor, cached by file path and modification time."""
    path = ws.artifact_path("predictor.pt")
    if not path.exists():
        raise WorkspaceError(f"{path}: no trained predictor in workspace {ws.path}; run `mka train` "
                             f"(or `mka demo`) first")
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    with _LOCK:
        if key not in _MODELS:
            # a corrupt file or one saved by another version: ArtifactError "... retrain with `mka train`"
            _MODELS[key] = PurchasePredictor.load(path)
            while len(_MODELS) > 4:
                _MODELS.popitem(last=False)
        return _MODELS[key]


def _features(ws, est: PurchasePredictor, as_of: pd.Timestamp) -> pd.DataFrame:
    model_file = ws.artifact_path("predictor.pt")
    key = (str(ws.path.resolve()), ws.data_hash(), str(as_of), model_file.stat().st_mtime_ns)
    with _LOCK:
        if key in _FEATURES:
            return _FEATURES[key]
    orders = ws.read_table("orders")
    products = ws.read_table("products") if ws.has_table("products") else None
    feats = est.features(orders, as_of, products)
    if len(feats) == 0:
        raise WorkspaceError(f"workspace {ws.path}: no orders before {as_of.date()}; choose a later --as-of")
    with _LOCK:
        _FEATURES[key] = feats
        while len(_FEATURES) > 4:
            _FEATURES.popitem(last=False)
    return feats


def _group_matrix(est: PurchasePredictor) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(group names, static-feature → group one-hot, week → group one-hot)."""
    groups = list(REASON_GROUPS)
    gs = np.zeros((len(est.feature_names_), len(groups)))
    for i, name in enumerate(est.feature_names_):
        g = "categories" if name.startswith("cat_share__") else next(
            (k for k, v in REASON_GROUPS.items() if name in v), "habit")
        gs[i, groups.index(g)] = 1.0
    gw = np.zeros((est.config_.n_weeks, len(groups)))
    gw[:RECENT_WEEKS, groups.index("recent")] = 1.0
    gw[RECENT_WEEKS:, groups.index("habit")] = 1.0
    return groups, gs, gw


def _attributions(est: PurchasePredictor, feats: pd.DataFrame, j: int, rows: np.ndarray | None = None,
                  batch: int = 65536) -> tuple[list[str], np.ndarray]:
    xs, seq = est._tensors(feats)
    # the baseline is the whole population's mean, whichever rows are explained
    base_s, base_q = xs.mean(0, keepdim=True), seq.mean(0, keepdim=True)
    if rows is not None:
        xs, seq = xs[rows], seq[rows]
    groups, gs, gw = _group_matrix(est)
    out = np.zeros((len(xs), len(groups)))
    est.model_.eval()
    for i in range(0, len(xs), batch):
        s = xs[i:i + batch].clone().requires_grad_(True)
        q = seq[i:i + batch].clone().requires_grad_(True)
        est.model_(s, q)[:, 0, j].sum().backward()
        a_s = (s.grad * (s.detach() - base_s)).numpy()
        a_q = (q.grad * (q.detach() - base_q)).numpy()
        out[i:i + batch] = a_s @ gs + a_q @ gw
    # the calibration slope scales every attribution the same way, so it changes no ranking
    return groups, out


def _phrases(feats: pd.DataFrame) -> dict[str, np.ndarray]:
    """One plain-words phrase per customer for each reason group (vectorized: this runs on every customer)."""
    def s(x) -> pd.Series:
        return pd.Series(np.asarray(x), index=feats.index).astype("string")

    n30 = feats["orders_last_30d"].round().astype(int)
    times = np.where(n30 == 1, " time", " times")
    gap = feats["gap_mean_days"].clip(lower=0).round().astype(int).clip(lower=1)
    rec = np.floor(feats["recency_days"]).astype(int)
    rec_txt = np.where(rec == 0, "last purchase today", "last purchase " + s(rec) + np.where(rec == 1, " day ago", " days ago"))
    active = (feats["active_weeks_share"] * 100).round().astype(int)
    freq = feats["frequency"].round().astype(int)
    basket = feats["avg_basket"].round(2)
    tenure = np.floor(feats["tenure_days"]).astype(int)
    deals = ((feats["discount_share"] + feats["coupon_share"]) * 100).round().astype(int)
    cat_cols = [c for c in feats.columns if c.startswith("cat_share__")]
    if cat_cols:
        top = feats[cat_cols].to_numpy().argmax(axis=1)
        share = (feats[cat_cols].to_numpy().max(axis=1) * 100).round().astype(int)
        names = np.array([c[len("cat_share__"):] for c in cat_cols], dtype=object)[top]
        cat_txt = s(share) + "% of spend on " + s(names)
    else:
        cat_txt = s(np.full(len(feats), "no category mix in the data"))
    out = {
        "recent": "bought " + s(n30) + times + " in the last 30 days",
        "rhythm": "usually buys every " + s(gap) + np.where(gap == 1, " day", " days"),
        "recency": s(rec_txt),
        "habit": "shopped in " + s(active) + "% of recent weeks (" + s(freq) + " orders in total)",
        "spend": "spends about $" + s(basket.map("{:.2f}".format)) + " per order",
        "tenure": "first purchase " + s(tenure) + " days ago",
        "deals": s(deals) + "% of spend saved through discounts and coupons",
        "categories": cat_txt,
    }
    return {k: pd.Series(v).to_numpy(dtype=object) for k, v in out.items()}


def explain(est: PurchasePredictor, feats: pd.DataFrame, horizon_days: int, top: int = 3,
            chunk: int = 100_000, rows: np.ndarray | None = None) -> list[list[str]]:
    """Top ``top`` reasons per customer: the groups with the largest |attribution|, worded, with direction.

    Attributions are against the mean of all of ``feats``; phrases are built a chunk at a time so a
    million customers do not hold eight million strings at once. ``rows`` (positions in ``feats``) explains
    only those customers, in that order.
    """
    j = est._check_horizon(horizon_days)
    with limit_threads(est.n_threads):  # this thread only
        groups, attr = _attributions(est, feats, j, rows=rows)
    out: list[list[str]] = []
    for i in range(0, len(feats), chunk):
        part = attr[i:i + chunk]
        phrases = _phrases(feats.iloc[i:i + chunk] if rows is None else feats.iloc[rows[i:i + chunk]])
        table = np.stack([phrases[g] for g in groups], axis=1)
        idx = np.argsort(-np.abs(part), axis=1, kind="stable")[:, :top]
        picked = np.take_along_axis(table, idx, axis=1)
        suffix = np.where(np.take_along_axis(part, idx, axis=1) >= 0, " (raises the chance)", " (lowers the chance)")
        out.extend((picked.astype(str).astype(object) + suffix).tolist())
    return out


def score_frame(est: PurchasePredictor, feats: pd.DataFrame, as_of, horizon_days: int = 7,
                reasons: bool | int = True) -> pd.DataFrame:
    """Score precomputed features (the part ``score_customers`` runs after loading; used by the benchmark).

    ``reasons``: True explains every customer; an int N explains only the N likeliest buyers (the others get
    an empty list) — attributions cost a gradient pass, ten times the scoring itself; False explains none.
    """
    pred = est.predict(feats)
    h = int(horizon_days)
    as_of = pd.Timestamp(as_of)
    rec = feats["recency_days"].to_numpy(np.float64)
    out = pd.DataFrame({
        "customer_id": feats.index.astype("string"),
        "p_buy": pred[f"p_buy_{h}"].to_numpy(),
        "expected_orders": pred[f"expected_orders_{h}"].to_numpy(),
        "expected_spend": pred[f"expected_spend_{h}"].to_numpy(),
        "last_purchase": (as_of - pd.to_timedelta(rec, unit="D")).round("s"),
        "days_since_last": np.floor(rec).astype(np.int64),
    })
    order = np.lexsort((out["customer_id"].to_numpy(dtype=object), -out["p_buy"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    n_explain = len(out) if reasons is True else int(reasons or 0)
    n_explain = min(max(n_explain, 0), len(out))
    explained = explain(est, feats, h, rows=order[:n_explain]) if n_explain else []
    out["reasons"] = explained + [[] for _ in range(len(out) - n_explain)]
    return out


def score_customers(ws, horizon_days: int = 7, as_of=None, reasons: bool | int = True) -> pd.DataFrame:
    """Every customer with an order before ``as_of`` (default: the model's as_of), ranked by
    P(>= 1 purchase in [as_of, as_of + horizon_days)), with expected orders/spend, last purchase and reasons
    (for everyone, or for the ``reasons`` likeliest buyers when it is an int)."""
    est = load_predictor(ws)
    est._check_horizon(horizon_days)
    # a cutoff outside the orders is refused with the valid range (AsOfRangeError, a ValueError)
    as_of = check_as_of(ws, as_of) if as_of is not None else pd.Timestamp(est.as_of_)
    return score_frame(est, _features(ws, est, as_of), as_of, horizon_days, reasons=reasons)


def trained_horizons(ws) -> tuple[int, ...]:
    """The horizons (days) the workspace's trained predictor predicts, read from its checkpoint."""
    return load_predictor(ws).horizons_


def model_card(ws, horizon_days: int = 7) -> dict:
    """What the probability means, when the model was trained, and how it did in the backtest."""
    est = load_predictor(ws)
    est._check_horizon(horizon_days)
    training = dict(est.training_ or {})
    training.update({"data_hash": est.data_hash_, "current_data_hash": ws.data_hash(),
                     "stale": bool(est.data_hash_ and est.data_hash_ != ws.data_hash())})
    card = backtest_card((est.backtest_ or {}).get(str(int(horizon_days))), horizon_days)
    return {
        "target": target_text(horizon_days),
        "horizon_days": card.pop("horizon_days"),
        "horizons": list(est.horizons_),
        "as_of": str(pd.Timestamp(est.as_of_).date()),
        "trained_on": training,
        # every answer from this card says so when the model is older than the data (issue 17)
        "stale_note": staleness_note(ws, est.data_hash_, est.as_of_, what="purchase predictor"),
        **card,
    }
