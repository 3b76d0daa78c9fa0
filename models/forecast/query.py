"""Read API: the forecast of one metric, total or by a breakdown, with intervals, the model per level and its
backtest against the baselines — from the artifact saved at ``mka train`` when it is fresh, else fitted now.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict

import pandas as pd

from models.data.artifacts import read_artifact
from models.data.errors import WorkspaceError

from .backtest import backtest_panel, settings_for
from .fit import CARD_FILE, FORECAST_FILE, HISTORY_FILE, QUICK, forecast_panel, panel_inputs
from .series import BREAKDOWNS, METRICS, TOTAL, build_panel

__all__ = ["forecast", "forecast_backtest", "target_text", "MAX_HORIZON", "backtest_summary", "load_card",
           "headline_scores"]

MAX_HORIZON = 26
HISTORY_SERIES = 12     # series whose history is returned (the total and the largest ones)
_CACHE: "OrderedDict[tuple, dict]" = OrderedDict()
_LOCK = threading.Lock()
_WHAT = {"revenue": "revenue (net of returns)", "orders": "orders (distinct baskets)",
         "customers": "active customers (distinct buyers)"}


def target_text(metric: str, freq: str = "W") -> str:
    unit = "Monday–Sunday week" if freq == "W" else "day"
    return f"{_WHAT[metric]} per {unit}"


def load_card(ws) -> dict | None:
    path = ws.artifact_path(CARD_FILE)
    if not path.exists():
        return None
    key = ("card", str(path.resolve()), path.stat().st_mtime_ns)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = read_artifact(path, lambda p: dict(json.loads(p.read_text("utf-8"))), what="forecast card")
            while len(_CACHE) > 8:
                _CACHE.popitem(last=False)
        return _CACHE[key]


def _saved(ws, metric: str, by: str | None, horizon: int) -> tuple[dict, pd.DataFrame, pd.DataFrame] | None:
    doc = load_card(ws)
    if not doc or doc.get("data_hash") != ws.data_hash() or horizon > int(doc.get("horizon", 0)):
        return None
    card = doc["cards"].get(f"{metric}|{by or ''}")
    if not card or "error" in card:
        return None
    flt = [("metric", "==", metric), ("by", "==", by or "")]
    fc = read_artifact(ws.artifact_path(FORECAST_FILE), lambda p: pd.read_parquet(p, filters=flt), what="forecast")
    hist = read_artifact(ws.artifact_path(HISTORY_FILE), lambda p: pd.read_parquet(p, filters=flt),
                         what="forecast history")
    return dict(card, as_of=doc["as_of"], source=f"saved by `mka train` ({'quick' if doc.get('quick') else 'full'} "
                f"backtest)"), fc, hist


def _fresh(ws, metric, by, horizon, segment, freq, n_jobs) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    inputs = panel_inputs(ws)
    orders = inputs["orders"]
    if segment is not None:
        if inputs["segments"] is None:
            raise WorkspaceError("a forecast for one segment needs fitted segments: run `mka segment` first")
        seg = inputs["segments"]
        ids = set(seg.loc[seg["segment"].astype(str) == segment, "customer_id"].astype(str))
        orders = orders[orders["customer_id"].astype(str).isin(ids)]
        if len(orders) == 0:
            raise WorkspaceError(f"segment {segment!r} has no orders")
    panel = build_panel(orders, metric, by, freq=freq, products=inputs["products"], segments=inputs["segments"],
                        horizon=horizon)
    # on demand: the quick backtest settings keep a breakdown with hundreds of series to seconds
    bt = backtest_panel(panel, n_jobs=n_jobs, **QUICK)
    if "error" in bt:
        raise WorkspaceError(bt["error"])
    fc, facts = forecast_panel(panel, bt, horizon, n_jobs=n_jobs)
    hist = panel.values.reset_index().melt(id_vars="period", var_name="series", value_name="actual")
    as_of = (pd.Timestamp(orders["timestamp"].max()).normalize() + pd.Timedelta(days=1)).date().isoformat()
    card = {"backtest": bt, "facts": facts, "notes": panel.notes, "partial": panel.partial, "as_of": as_of,
            "history_end": panel.values.index[-1].date().isoformat(), "source": "fitted on demand (quick backtest)"}
    return card, fc, hist


def backtest_summary(bt: dict) -> dict:
    """Per level: the chosen model and the baselines at each window (MASE, sMAPE, coverage 80/95)."""
    out = {"origins": bt.get("origins", []), "n_origins": len(bt.get("origins", [])), "windows": bt.get("windows"),
           "unit": bt.get("unit"), "scaling": bt.get("scaling"), "holiday_periods_excluded": bt.get("holiday_periods"),
           "levels": {}}
    for lv, e in bt.get("levels", {}).items():
        keep = [e["chosen"]] + [b for b in ("naive", "drift", "seasonal_naive") if b != e["chosen"]]
        out["levels"][lv] = {
            "model": e["chosen"], "n_series": e["n_series"], "n_series_total": e["n_series_total"],
            **({"series_selection": e["series_selection"]} if "series_selection" in e else {}),
            "scores": {m: {w: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in s.items()
                               if k in ("mase", "smape", "coverage80", "coverage95")}
                           for w, s in e["methods"][m].items()} for m in keep if m in e["methods"]},
            "not_available": e.get("not_available", {}),
        }
    rec = bt.get("reconciliation")
    if rec:
        out["reconciliation"] = {k: rec[k] for k in ("chosen", "reason", "mean_mase", "rule", "n_origins")
                                 if k in rec}
    return out


def _reconciliation_text(by: str | None, rec: str, additive: bool) -> str:
    if by is None:
        return "single series (no hierarchy)"
    if not additive or rec == "none":
        return f"not reconciled: these {by} series do not add up to the total"
    name = {"mint_shrink": "MinT with a shrunk covariance", "bottom_up": "bottom-up"}[rec]
    if by == "category":
        return f"category forecasts add up to their department and to the total ({name})"
    return f"{by} forecasts add up to the total ({name})"


def forecast(ws, metric: str = "revenue", by: str | None = None, horizon: int = 8, segment: str | None = None,
             freq: str = "W", n_jobs: int = 1) -> dict:
    """Forecast ``metric`` for ``horizon`` periods: {"metric", "by", "model", "forecasts", "history",
    "backtest", ...}. ``segment`` (a segment name) restricts the orders to its customers."""
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not known; use one of {list(METRICS)}")
    if by is not None and by not in BREAKDOWNS:
        raise ValueError(f"by={by!r} is not known; use one of {list(BREAKDOWNS)} or none")
    if by == "segment" and segment is not None:
        raise ValueError("give either by='segment' or one segment, not both")
    if not 1 <= int(horizon) <= MAX_HORIZON:
        raise ValueError(f"horizon={horizon} must be from 1 to {MAX_HORIZON} periods")
    horizon = int(horizon)
    started = time.perf_counter()
    got = _saved(ws, metric, by, horizon) if segment is None and freq == "W" else None
    if got is None:
        got = _fresh(ws, metric, by, horizon, segment, freq, n_jobs)
    card, fc, hist = got
    fc = fc.sort_values(["series", "period"], kind="stable")
    fc = fc.groupby("series", sort=False).head(horizon)
    bt = card["backtest"]
    facts = card["facts"]
    order = _series_order(hist, fc)
    fc = fc.set_index("series").loc[order].reset_index()
    shown = order[:HISTORY_SERIES]
    hist = hist[hist["series"].isin(shown)]
    additive = metric == "revenue" or by in (None, "segment")
    models = facts.get("models", {})
    model = "; ".join(f"{lv}: {m}" for lv, m in models.items())
    if by is not None and facts.get("reconciliation") not in (None, "none"):
        model += f"; reconciled by {facts['reconciliation']}"
    notes = list(card.get("notes", []))
    for h in facts.get("holidays", []):
        notes.append(f"{h['period']} is the {h['holiday']}: " + (
            "scaled by its effect in the history" if h["adjusted"] else
            f"no earlier occurrence in the history to learn its effect from, so it is forecast as a regular "
            f"{settings_for(freq)['unit']}"))
    unit = settings_for(freq)["unit"]
    notes.append(f"holiday {unit}s in the history (Thanksgiving, Christmas, New Year) are replaced by their "
                 f"neighbours' level before fitting, and left out of the backtest's headline scores")
    if by == "segment" or segment is not None:
        notes.append("segments are the customers' current segments applied to their whole history")
    return {
        "metric": metric, "by": by, "segment": segment, "freq": freq, "unit": settings_for(freq)["unit"],
        "target": target_text(metric, freq), "horizon": horizon, "as_of": card.get("as_of"),
        "history_end": card.get("history_end"), "model": model, "models": models,
        "reconciliation": _reconciliation_text(by, facts.get("reconciliation", "none"), additive),
        "forecasts": [{"series": r.series, "level": r.level, "period": pd.Timestamp(r.period).date().isoformat(),
                       "forecast": round(float(r.forecast), 2), "lo80": round(float(r.lo80), 2),
                       "hi80": round(float(r.hi80), 2), "lo95": round(float(r.lo95), 2),
                       "hi95": round(float(r.hi95), 2), "holiday": r.holiday if isinstance(r.holiday, str) else None}
                      for r in fc.itertuples(index=False)],
        "history": [{"series": r.series, "period": pd.Timestamp(r.period).date().isoformat(),
                     "actual": round(float(r.actual), 2)} for r in hist.itertuples(index=False)],
        "n_series": len(order), "partial_periods": card.get("partial", []),
        "backtest": backtest_summary(bt), "notes": notes, "source": card.get("source"),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _series_order(hist: pd.DataFrame, fc: pd.DataFrame) -> list[str]:
    """"total" first, then the other series by their history's volume."""
    vol = hist.groupby("series")["actual"].apply(lambda s: s.abs().sum()).sort_values(ascending=False,
                                                                                        kind="stable")
    have = set(fc["series"].astype(str))
    names = [str(s) for s in vol.index if str(s) in have]
    return [TOTAL] + [s for s in names if s != TOTAL] if TOTAL in names else names


def forecast_backtest(ws, metric: str = "revenue", by: str | None = None, rerun: bool = False,
                      quick: bool = False, n_jobs: int = 1, progress=None) -> dict:
    """The full rolling-origin backtest of one metric × breakdown: saved by `mka train` when fresh, else run now
    (``quick``: the quick settings)."""
    from .fit import FULL

    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not known; use one of {list(METRICS)}")
    if by is not None and by not in BREAKDOWNS:
        raise ValueError(f"by={by!r} is not known; use one of {list(BREAKDOWNS)} or none")
    doc = load_card(ws)
    card = (doc or {}).get("cards", {}).get(f"{metric}|{by or ''}")
    if card and not rerun and doc.get("data_hash") == ws.data_hash():
        return dict(card["backtest"], as_of=doc["as_of"], source="saved by `mka train`")
    inputs = panel_inputs(ws)
    panel = build_panel(inputs["orders"], metric, by, products=inputs["products"], segments=inputs["segments"])
    bt = backtest_panel(panel, n_jobs=n_jobs, progress=progress, **(QUICK if quick else FULL))
    as_of = (pd.Timestamp(inputs["orders"]["timestamp"].max()).normalize() + pd.Timedelta(days=1)).date().isoformat()
    return dict(bt, as_of=as_of, source="run now")


def headline_scores(summary: dict) -> list[dict]:
    """Per level of a ``backtest_summary``: the chosen model's scores at the longest window and the baselines'
    MASE there — what every answer line quotes."""
    out = []
    for lv, e in (summary.get("levels") or {}).items():
        sc = e.get("scores") or {}
        mine = sc.get(e.get("model")) or {}
        if not mine:
            continue
        w = max(mine, key=int)
        if mine[w].get("mase") is None:
            continue
        out.append({"level": lv, "model": e.get("model"), "window": int(w), **mine[w],
                    "baselines": {b: sc[b][w].get("mase") for b in ("naive", "drift", "seasonal_naive")
                                  if b in sc and b != e.get("model") and sc[b][w].get("mase") is not None}})
    return out
