"""Sales forecasts: weekly revenue, orders and active customers, total and per department, category and
segment, with 80%/95% intervals, the model per level chosen by a rolling-origin backtest, reconciled."""

from .fit import fit_workspace, forecast_panel
from .query import forecast, target_text
from .series import BREAKDOWNS, METRICS, build_panel

__all__ = ["forecast", "fit_workspace", "forecast_panel", "build_panel", "target_text", "METRICS", "BREAKDOWNS"]
