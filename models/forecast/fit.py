"""The final forecast of a panel with the model chosen per level by its backtest, reconciled, as rows; and
``fit_workspace``, which backtests and forecasts every metric × breakdown of a workspace at ``mka train`` and
saves the result (so a question is answered from the artifact in milliseconds).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd

from .backtest import backtest_panel, settings_for
from .engine import forecast_columns
from .reconcile import reconcile, summing_matrix
from .series import METRICS, Panel, build_panel

__all__ = ["forecast_panel", "fit_workspace", "FORECAST_FILE", "HISTORY_FILE", "CARD_FILE", "SAVED_HORIZON",
           "panel_inputs", "QUICK"]

FORECAST_FILE = "forecast.parquet"
HISTORY_FILE = "forecast_history.parquet"
CARD_FILE = "forecast.json"
SAVED_HORIZON = 13          # weeks: a quarter ahead is answered from the artifact
QUICK = {"n_origins": 3, "max_series_per_level": 5, "n_rec_origins": 0}
FULL = {"n_origins": 8, "max_series_per_level": 20, "n_rec_origins": 2}


def forecast_panel(panel: Panel, backtest: dict, horizon: int, n_jobs: int = 1) -> tuple[pd.DataFrame, dict]:
    """(rows: series, level, parent, period, forecast, lo80, hi80, lo95, hi95, holiday; facts: models per
    level, reconciliation, holiday handling)."""
    st = settings_for(panel.freq)
    series = list(panel.values.columns)
    levels = backtest.get("levels", {})
    chosen = {s: levels.get(panel.level[s], {}).get("chosen", "naive") for s in series}
    Y = panel.values[series].to_numpy(np.float64)
    fut = panel.future_index(horizon)
    train_names = [panel.holidays.get(p) for p in panel.values.index]
    future_names = [panel.holidays.get(p) for p in fut]
    nonneg = panel.metric != "revenue" or bool((Y >= 0).all())
    r = forecast_columns(Y, [chosen[s] for s in series], horizon, season_length=st["season_length"],
                         train_names=train_names, future_names=future_names, nonnegative=[nonneg] * len(series),
                         n_jobs=n_jobs)
    mean, sd = r["mean"], r["sd"]
    rec = (backtest.get("reconciliation") or {}).get("chosen", "none")
    facts: dict = {"models": {lv: levels[lv]["chosen"] for lv in levels},
                   "specs": dict(zip(series, r["specs"])), "reconciliation": rec}
    if rec != "none" and panel.additive and panel.by is not None:
        S, bottom = summing_matrix(series, panel.parent)
        mean, sd, info = reconcile(rec, mean, sd, r["resid"], S, [series.index(b) for b in bottom],
                                   nonnegative=nonneg)
        facts.update(info)
    from .methods import Z

    rows = []
    for i, s in enumerate(series):
        for k, p in enumerate(fut):
            lo80, hi80 = mean[i, k] - Z[80] * sd[i, k], mean[i, k] + Z[80] * sd[i, k]
            lo95, hi95 = mean[i, k] - Z[95] * sd[i, k], mean[i, k] + Z[95] * sd[i, k]
            if nonneg:
                lo80, lo95 = max(lo80, 0.0), max(lo95, 0.0)
            rows.append((s, panel.level[s], panel.parent.get(s), p, mean[i, k], lo80, hi80, lo95, hi95,
                         future_names[k]))
    out = pd.DataFrame(rows, columns=["series", "level", "parent", "period", "forecast", "lo80", "hi80", "lo95",
                                      "hi95", "holiday"])
    adjusted = sorted({n for eff in r["holiday_effects"] for n in eff})
    facts["holidays"] = [{"period": p.date().isoformat(), "holiday": n,
                          "adjusted": n in adjusted} for p, n in zip(fut, future_names) if n]
    facts["fallbacks"] = sorted({f for f in r["fallbacks"] if f})[:5]
    return out, facts


def panel_inputs(ws) -> dict:
    """The tables a panel needs from a workspace (orders columns read: only those used)."""
    have = set(ws.table_info("orders")["columns"])
    cols = [c for c in ("customer_id", "order_id", "timestamp", "amount", "product_id") if c in have]
    out = {"orders": ws.read_table("orders", columns=cols), "products": None, "segments": None}
    if ws.has_table("products"):
        pcols = set(ws.table_info("products")["columns"])
        out["products"] = ws.read_table("products", columns=[c for c in ("product_id", "category", "department")
                                                              if c in pcols])
    try:
        from models.segments.segmenter import load_segments

        out["segments"] = load_segments(ws)[0]
    except Exception:  # segments are optional: no by=segment without them
        out["segments"] = None
    return out


def _breakdowns(inputs: dict, quick: bool) -> list[str | None]:
    out: list[str | None] = [None]
    prod = inputs["products"]
    if prod is not None and "product_id" in inputs["orders"].columns:
        # hundreds of category series: a quick fit leaves them to be forecast on demand
        out += [b for b in ("department", "category") if b in prod.columns and not (quick and b == "category")]
    if inputs["segments"] is not None:
        out.append("segment")
    return out


def fit_workspace(ws, progress: bool = True, *, quick: bool = False, n_jobs: int = 2) -> dict:
    """Backtest and forecast revenue, orders and customers — total and by every breakdown the data allows —
    (``quick``: 3 origins, no reconciliation comparison, categories left to on-demand forecasts),
    then save ``artifacts/forecast.parquet`` (forecasts), ``forecast_history.parquet`` and ``forecast.json``
    (backtests, chosen models, notes) and record ``forecast`` in the manifest."""
    from threadpoolctl import threadpool_limits

    from models.data.atomic import atomic_path, atomic_write_text

    say = (lambda m: print(m, flush=True)) if progress else (lambda m: None)
    started = time.perf_counter()
    inputs = panel_inputs(ws)
    settings = QUICK if quick else FULL
    cards, frames, hist = {}, [], []
    with threadpool_limits(limits=1):
        for by in _breakdowns(inputs, quick):
            for metric in METRICS:
                t0 = time.perf_counter()
                panel = build_panel(inputs["orders"], metric, by, products=inputs["products"],
                                    segments=inputs["segments"], horizon=SAVED_HORIZON)
                bt = backtest_panel(panel, n_jobs=n_jobs, **settings)
                key = f"{metric}|{by or ''}"
                if "error" in bt:
                    cards[key] = {"backtest": bt, "error": bt["error"]}
                    say(f"forecast {key}: {bt['error']}")
                    continue
                rows, facts = forecast_panel(panel, bt, SAVED_HORIZON, n_jobs=n_jobs)
                frames.append(rows.assign(metric=metric, by=by or ""))
                h = panel.values.reset_index().melt(id_vars="period", var_name="series", value_name="actual")
                hist.append(h.assign(metric=metric, by=by or ""))
                cards[key] = {"backtest": bt, "facts": facts, "notes": panel.notes, "partial": panel.partial,
                              "history_end": panel.values.index[-1].date().isoformat()}
                say(f"forecast {metric}{' by ' + by if by else ''}: {len(panel.values.columns)} series, models "
                    f"{facts['models']}, reconciliation {facts['reconciliation']} "
                    f"[{time.perf_counter() - t0:.1f} s]")
    orders = inputs["orders"]
    as_of = (pd.Timestamp(orders["timestamp"].max()).normalize() + pd.Timedelta(days=1)).date().isoformat()
    doc = {"as_of": as_of, "data_hash": ws.data_hash(), "horizon": SAVED_HORIZON, "quick": bool(quick),
           "settings": settings, "cards": cards}
    fc_path, hist_path, card_path = (ws.artifact_path(n) for n in (FORECAST_FILE, HISTORY_FILE, CARD_FILE))
    for path, frames_ in ((fc_path, frames), (hist_path, hist)):
        df = pd.concat(frames_, ignore_index=True) if frames_ else pd.DataFrame()
        for c in ("series", "level", "parent", "holiday", "metric", "by"):
            if c in df.columns:
                df[c] = df[c].astype("string")
        with atomic_path(path, suffix=".parquet") as tmp:
            df.to_parquet(tmp, index=False)
    atomic_write_text(card_path, json.dumps(doc, indent=1, default=str))
    total = cards.get("revenue|", {}).get("backtest", {}).get("levels", {}).get("total", {})
    chosen = total.get("chosen")
    metrics = {"revenue_total_model": chosen,
               **{f"revenue_total_mase_{w}": total.get("methods", {}).get(chosen, {}).get(str(w), {}).get("mase")
                  for w in (4, 8)}} if chosen else {}
    info = {"path": str(fc_path.relative_to(ws.path)), "card_path": str(card_path.relative_to(ws.path)),
            "as_of": as_of, "data_hash": doc["data_hash"], "quick": bool(quick), "metrics": metrics,
            "breakdowns": sorted({k.split("|")[1] or "total" for k in cards}),
            "seconds": round(time.perf_counter() - started, 1)}
    ws.record_artifact("forecast", info)
    say(f"saved {fc_path} ({info['seconds']} s)")
    return info

