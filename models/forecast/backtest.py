"""Rolling-origin backtest of every forecasting method per level of a panel, the model chosen per level, and
the reconciliation compared (base forecasts vs bottom-up vs MinT-shrink).

At each origin o every method is fitted on periods [0, o) only and forecasts o .. o+H-1. Scores per window of
w periods (the mean over steps 1..w):
- MASE: mean |error| divided by the in-sample mean absolute one-step naive error of that origin's training
  window (the raw series, holidays included); series whose training window is constant have no scale and
  are left out of MASE.
- sMAPE: mean of 200·|error| / (|actual| + |forecast|) (0 where both are 0).
- coverage: the share of actuals inside the 80% and 95% intervals (nominal 80 / 95).
Holiday periods among the targets are left out of the headline numbers (one year of history holds at most
one earlier occurrence, too few to learn its effect); the same scores with them are reported beside.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from .engine import forecast_columns
from .methods import METHODS, min_history
from .reconcile import reconcile, summing_matrix
from .series import Panel

__all__ = ["backtest_panel", "origins_for", "score", "SCALING", "settings_for"]

SCALING = ("MASE = mean absolute error / the mean absolute one-step naive error in the training window of "
           "each origin (raw series, holidays included)")
LEVEL_ORDER = ("total", "department", "category", "segment")


def settings_for(freq: str) -> dict:
    """Default horizon, reported windows, season length (for seasonal methods) per frequency."""
    if freq == "D":
        return {"horizon": 28, "windows": (7, 28), "season_length": 7, "unit": "day"}
    return {"horizon": 8, "windows": (4, 8), "season_length": 52, "unit": "week"}


def origins_for(n_periods: int, horizon: int, n_origins: int, min_train: int) -> list[int]:
    """Up to ``n_origins`` training lengths from ``min_train`` to ``n_periods - horizon``, evenly spaced,
    always including the last one."""
    last = n_periods - horizon
    if last < min_train:
        return []
    cand = np.arange(min_train, last + 1)
    if len(cand) <= n_origins:
        return [int(c) for c in cand]
    step = int(np.ceil(len(cand) / n_origins))
    return sorted({int(c) for c in cand[::-1][::step][:n_origins]})


def score(actual: np.ndarray, fc: dict, scale: np.ndarray, holiday: np.ndarray, windows) -> dict:
    """Scores of forecasts ``fc`` (mean/lo80/.. arrays, series × origins × steps) against ``actual``."""
    err = np.abs(actual - fc["mean"])
    den = np.abs(actual) + np.abs(fc["mean"])
    smape = np.where(den > 0, 200.0 * err / np.where(den > 0, den, 1.0), 0.0)
    in80 = (actual >= fc["lo80"]) & (actual <= fc["hi80"])
    in95 = (actual >= fc["lo95"]) & (actual <= fc["hi95"])
    ok_scale = scale > 0
    out = {}
    for w in windows:
        reg = ~holiday[..., :w]
        def mean_over(x, mask):
            return float(x[..., :w][mask].mean()) if mask.any() else None
        scaled = err[..., :w] / np.where(ok_scale, scale, np.nan)[..., None]
        mask_s = reg & ok_scale[..., None]
        all_s = np.broadcast_to(ok_scale[..., None], reg.shape)
        out[str(w)] = {
            "mase": mean_over(scaled, mask_s), "smape": mean_over(smape, reg),
            "coverage80": mean_over(in80, reg), "coverage95": mean_over(in95, reg),
            "mase_incl_holidays": mean_over(scaled, all_s),
            "coverage80_incl_holidays": float(in80[..., :w].mean()),
            "n_forecasts": int(reg.sum()),
        }
    return out


def _select(panel: Panel, level: str, limit: int | None, min_train: int) -> list[str]:
    names = panel.series_at(level)
    if limit is None or len(names) <= limit:
        return names
    size = panel.values[names].iloc[:min_train].abs().sum().sort_values(ascending=False, kind="stable")
    return list(size.index[:limit])


def backtest_panel(panel: Panel, *, candidates=METHODS, horizon: int | None = None, windows=None,
                   n_origins: int = 10, min_train: int | None = None, max_series_per_level: int | None = 40,
                   n_rec_origins: int = 6, reconcilers=("bottom_up", "mint_shrink"), n_jobs: int = 1,
                   per_series: bool = False, progress: Callable[[str], None] | None = None) -> dict:
    """Backtest ``candidates`` on each level of ``panel`` (at most ``max_series_per_level`` series per level,
    the largest by their training-window volume), choose the lowest-MASE method per level at the full horizon,
    then (for additive panels with a hierarchy) compare reconciliations over all series at ``n_rec_origins``."""
    say = progress or (lambda m: None)
    started = time.perf_counter()
    st = settings_for(panel.freq)
    H = int(horizon or st["horizon"])
    windows = tuple(windows or st["windows"])
    m = st["season_length"]
    vals = panel.values
    T = len(vals)
    min_train = int(min_train or max(2 * H, T // 2))
    origins = origins_for(T, H, n_origins, min_train)
    short = None
    if not origins and T >= 8:
        # a short history still gets a backtest, over shorter windows, said so
        H = max(1, min(H, T // 4))
        windows = tuple(w for w in windows if w <= H) or (H,)
        min_train = max(6, T // 2)
        origins = origins_for(T, H, n_origins, min_train)
        short = (f"only {T} complete {st['unit']}s: the backtest scores {H}-{st['unit']} windows, not the full "
                 f"horizon")
    periods = vals.index
    hol = np.array([panel.holidays.get(p) is not None for p in periods])
    names_all = [panel.holidays.get(p) for p in periods]
    result: dict = {"metric": panel.metric, "by": panel.by, "freq": panel.freq, "unit": st["unit"],
                    "horizon": H, "windows": list(windows), "n_periods": T, "min_train": min_train,
                    "origins": [periods[o].date().isoformat() for o in origins], "scaling": SCALING,
                    "holiday_periods": {p.date().isoformat(): n for p, n in panel.holidays.items() if p in periods},
                    "levels": {}, "notes": list(panel.notes) + ([short] if short else [])}
    if not origins:
        result["error"] = (f"only {T} complete {st['unit']}s of orders: a forecast needs at least 8 (and a "
                           f"backtest over the full horizon {min_train + H})")
        return result
    available = [c for c in candidates if min_history(c, m) <= origins[0]]
    unavailable = {c: (f"needs {min_history(c, m)} {st['unit']}s of history (two full seasons of {m}) at the "
                       f"first backtest origin, which has {origins[0]}") for c in candidates if c not in available}
    levels = [lv for lv in LEVEL_ORDER if panel.series_at(lv)]
    cols = [s for lv in levels for s in _select(panel, lv, max_series_per_level, min_train)]
    Y = vals[cols].to_numpy(np.float64)
    nonneg = [panel.metric != "revenue" or bool((vals[c].to_numpy() >= 0).all()) for c in cols]
    actual = np.stack([Y[o:o + H].T for o in origins], axis=1)                        # series × origin × step
    scale = np.stack([np.abs(np.diff(Y[:o], axis=0)).mean(axis=0) for o in origins], axis=1)
    holiday = np.broadcast_to(np.stack([hol[o:o + H] for o in origins])[None], actual.shape)
    runs: dict[str, list[dict]] = {}
    for method in available:
        t0 = time.perf_counter()
        runs[method] = [forecast_columns(Y[:o], [method] * len(cols), H, season_length=m,
                                         train_names=names_all[:o], future_names=names_all[o:o + H],
                                         nonnegative=nonneg, n_jobs=n_jobs) for o in origins]
        say(f"backtest {panel.metric}{' by ' + panel.by if panel.by else ''}: {method} on {len(cols)} series × "
            f"{len(origins)} origins [{time.perf_counter() - t0:.1f} s]")
    fcs = {meth: _stack(r) for meth, r in runs.items()}
    col_level = np.array([panel.level[c] for c in cols])
    for lv in levels:
        rows = col_level == lv
        entry = {"n_series": int(rows.sum()), "n_series_total": len(panel.series_at(lv)), "methods": {}}
        if entry["n_series"] < entry["n_series_total"]:
            entry["series_selection"] = (f"the {entry['n_series']} largest of {entry['n_series_total']} by volume "
                                         f"in the first {min_train} {st['unit']}s")
        for meth, fc in fcs.items():
            entry["methods"][meth] = score(actual[rows], {k: v[rows] for k, v in fc.items()}, scale[rows],
                                           holiday[rows], windows)
        scored = {k: v[str(H)]["mase"] for k, v in entry["methods"].items() if v[str(H)]["mase"] is not None}
        entry["chosen"] = min(scored, key=scored.get) if scored else "naive"
        entry["not_available"] = unavailable
        base = [b for b in ("naive", "drift", "seasonal_naive") if b in scored]
        entry["chosen_beats"] = {b: bool(scored[entry["chosen"]] <= scored[b]) for b in base if b != entry["chosen"]}
        if per_series:
            entry["series"] = {c: {meth: score(actual[[j]], {k: v[[j]] for k, v in fc.items()}, scale[[j]],
                                               holiday[[j]], windows) for meth, fc in fcs.items()}
                               for j, c in enumerate(cols) if rows[j]}
        result["levels"][lv] = entry
    if panel.by is not None and panel.additive and n_rec_origins < 1:
        result["reconciliation"] = {"chosen": "mint_shrink", "compared": False,
                                    "reason": "reconciliations not compared in this quick backtest; MinT-shrink "
                                              "is the default (it was as good as or better than bottom-up on "
                                              "Complete Journey, bench/forecast.py)"}
    elif panel.by is not None and panel.additive:
        result["reconciliation"] = _reconciliation(panel, result, origins[-n_rec_origins:], H, windows, m,
                                                   names_all, reconcilers, runs, cols, origins, n_jobs, say)
    elif panel.by is not None:
        result["reconciliation"] = {"chosen": "none", "reason": panel.notes[-1] if panel.notes else "not additive"}
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _stack(per_origin: list[dict]) -> dict:
    mean = np.stack([r["mean"] for r in per_origin], axis=1)
    sd = np.stack([r["sd"] for r in per_origin], axis=1)
    return _bands(mean, sd)


def _bands(mean: np.ndarray, sd: np.ndarray) -> dict:
    from .methods import Z

    out = {"mean": mean}
    for lv, z in Z.items():
        out[f"lo{lv}"], out[f"hi{lv}"] = mean - z * sd, mean + z * sd
    return out


def _reconciliation(panel, result, rec_origins, H, windows, m, names_all, reconcilers, runs, cols, origins,
                    n_jobs, say) -> dict:
    """Base vs reconciled forecasts over every series of the hierarchy at the last ``rec_origins``."""
    t0 = time.perf_counter()
    series = list(panel.values.columns)
    chosen = {s: result["levels"][panel.level[s]]["chosen"] for s in series}
    S, bottom = summing_matrix(series, panel.parent)
    bottom_rows = [series.index(b) for b in bottom]
    Y = panel.values[series].to_numpy(np.float64)
    nonneg = panel.metric != "revenue" or bool((Y >= 0).all())
    pos = {c: j for j, c in enumerate(cols)}
    per_rec: dict[str, list] = {"none": [], **{r: [] for r in reconcilers}}
    for o in rec_origins:
        k = origins.index(o)
        mean = np.zeros((len(series), H))
        sd = np.zeros((len(series), H))
        resid_parts: list = [None] * len(series)
        todo = [i for i, s in enumerate(series) if s not in pos]
        for i, s in enumerate(series):
            if s in pos:
                r = runs[chosen[s]][k]
                mean[i], sd[i], resid_parts[i] = r["mean"][pos[s]], r["sd"][pos[s]], r["resid"][:, pos[s]]
        if todo:
            r = forecast_columns(Y[:o, todo], [chosen[series[i]] for i in todo], H, season_length=m,
                                 train_names=names_all[:o], future_names=names_all[o:o + H],
                                 nonnegative=[nonneg] * len(todo), n_jobs=n_jobs)
            for jj, i in enumerate(todo):
                mean[i], sd[i], resid_parts[i] = r["mean"][jj], r["sd"][jj], r["resid"][:, jj]
        t_min = min(len(x) for x in resid_parts)
        resid = np.stack([x[len(x) - t_min:] for x in resid_parts], axis=1)
        per_rec["none"].append((mean, sd))
        for rec in reconcilers:
            rm, rs, _ = reconcile(rec, mean, sd, resid, S, bottom_rows, nonnegative=nonneg)
            per_rec[rec].append((rm, rs))
    actual = np.stack([Y[o:o + H].T for o in rec_origins], axis=1)
    scale = np.stack([np.abs(np.diff(Y[:o], axis=0)).mean(axis=0) for o in rec_origins], axis=1)
    hol = np.array([n is not None for n in names_all])
    holiday = np.broadcast_to(np.stack([hol[o:o + H] for o in rec_origins])[None], actual.shape)
    levels = np.array([panel.level[s] for s in series])
    out: dict = {"n_origins": len(rec_origins), "origins": [panel.values.index[o].date().isoformat()
                                                             for o in rec_origins],
                 "n_series": len(series), "levels": {}}
    for rec, items in per_rec.items():
        fc = _bands(np.stack([a for a, _ in items], axis=1), np.stack([b for _, b in items], axis=1))
        for lv in dict.fromkeys(levels):
            rows = levels == lv
            out["levels"].setdefault(str(lv), {})[rec] = score(actual[rows], {k: v[rows] for k, v in fc.items()},
                                                                scale[rows], holiday[rows], windows)
    def avg(rec):
        vals_ = [out["levels"][lv][rec][str(H)]["mase"] for lv in out["levels"]]
        vals_ = [v for v in vals_ if v is not None]
        return float(np.mean(vals_)) if vals_ else float("inf")
    out["mean_mase"] = {rec: avg(rec) for rec in per_rec}
    out["chosen"] = min(reconcilers, key=avg)
    out["rule"] = ("the coherent method (bottom-up or MinT-shrink) with the lower MASE averaged over the levels; "
                   "'none' (each series' own base forecast) is shown for comparison")
    out["seconds"] = round(time.perf_counter() - t0, 1)
    say(f"reconciliation over {len(series)} series × {len(rec_origins)} origins [{out['seconds']} s]: "
        f"chosen {out['chosen']}")
    return out

