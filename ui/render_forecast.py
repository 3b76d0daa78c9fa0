"""The ``forecast`` result: history, forecast and its shaded 80%/95% bands as one chart per series, the
forecast table, the model and backtest line, and the CSV download."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from .vega import forecast_spec
from .view import MAX_TABLE_ROWS, Chart, Table, View, frame, round_floats

__all__ = ["render_forecast", "forecast_chart"]


def _y_format(metric: str) -> str:
    return "$,.0f" if any(w in (metric or "").lower() for w in ("revenue", "sales", "spend", "amount")) else ",.0f"


def forecast_chart(result: Mapping[str, Any], series: str, unit: str) -> Chart:
    """One series: history solid, forecast dashed, the 80% and 95% bands shaded (ui.vega.forecast_spec)."""
    hist = [r for r in result.get("history") or [] if r.get("series") == series]
    fc = [r for r in result.get("forecasts") or [] if r.get("series") == series]
    metric = str(result.get("metric"))
    title = f"{series}: history, forecast and its 80%/95% bands"
    spec = forecast_spec(hist, fc, title=title, metric=metric, unit=unit, y_format=_y_format(metric))
    data = pd.DataFrame(spec["data"]["values"])
    return Chart("vega", data, "period", "value", title, x_title=f"{unit} of", y_title=metric, spec=spec)


def _line(result: Mapping[str, Any]) -> str:
    from models.forecast.query import headline_scores

    bt = result.get("backtest") or {}
    parts = [f"{h['level']}: {h['model']} MASE {h['mase']:.2f} ("
             + ", ".join(f"{b} {v:.2f}" for b, v in h["baselines"].items())
             + f"); 80% covered {h['coverage80']:.0%}, 95% {h['coverage95']:.0%}" for h in headline_scores(bt)]
    return (f"Backtest, {bt.get('n_origins')} rolling origins: " + "; ".join(parts)) if parts else ""


def render_forecast(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    rows = [r for r in result.get("forecasts") or [] if isinstance(r, Mapping)]
    unit = result.get("unit", "week")
    scope = f" — segment {result['segment']}" if result.get("segment") else ""
    view.markdown.append(f"**Forecast: {result.get('target')}**{scope} · as of {result.get('as_of')}  \n"
                         f"Model: {result.get('model')} · {result.get('reconciliation')}")
    if not rows:
        return view
    names = list(dict.fromkeys(r["series"] for r in rows))
    for s in names[:2]:
        view.charts.append(forecast_chart(result, s, unit))
    cols = ["series", "period", "forecast", "lo80", "hi80", "lo95", "hi95", "holiday"]
    table = round_floats(frame(rows, cols), 2)
    if len(names) == 1:  # one series: its name is in the title, so the table keeps the period and both bands
        table = table.drop(columns="series")
    view.tables.append(Table(f"{result.get('metric')} forecast" + (f" by {result['by']}" if result.get("by") else ""),
                             table.head(MAX_TABLE_ROWS)))
    line = _line(result)
    if line:
        view.cards.append(line + ". MASE is scaled by the in-sample one-step naive error; below 1 beats it.")
    view.offer_download(result, rows, export_dir, f"forecast_{result.get('metric')}")
    return view
