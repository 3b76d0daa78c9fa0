"""Vega-Lite specs for the charts gradio's native plots cannot draw honestly: a forecast with shaded 80%/95%
bands, and two periods side by side. Pure dicts (JSON-safe values), no gradio import."""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

__all__ = ["SCHEMA", "forecast_spec", "comparison_spec", "json_safe"]

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
HISTORY, FORECAST, BAND80, BAND95 = "history", "forecast", "80% band", "95% band"
_FONT = "ui-sans-serif, system-ui, sans-serif"
_CONFIG = {"font": _FONT, "axis": {"labelFont": _FONT, "titleFont": _FONT, "titleFontWeight": "normal"},
           "legend": {"orient": "top", "title": None}, "view": {"stroke": None}}
PALETTE = ["#2563eb", "#ea580c"]  # first period / history blue, second period / forecast orange


def json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return json_safe(value.item())
    return value


def _base(title: str, values: list[dict], height: int) -> dict:
    return {"$schema": SCHEMA, "title": title, "width": "container", "height": height,
            "autosize": {"type": "fit", "contains": "padding"}, "config": _CONFIG,
            "data": {"values": [{k: json_safe(v) for k, v in row.items()} for row in values]}}


def forecast_spec(history: Iterable[Mapping[str, Any]], forecasts: Iterable[Mapping[str, Any]], *, title: str,
                  metric: str, unit: str, y_format: str = ",.0f") -> dict:
    """History as a solid line, the forecast dashed, the 95% and 80% bands shaded between their edges. The
    band starts at the last actual so history and forecast join."""
    hist = [{"period": str(r["period"])[:10], "value": r.get("actual"), "line": HISTORY} for r in history]
    fc = list(forecasts)
    values = list(hist)
    if hist and fc:
        last = hist[-1]
        values.append({"period": last["period"], "value": last["value"], "line": FORECAST,
                       **{k: last["value"] for k in ("lo80", "hi80", "lo95", "hi95")}})
    values += [{"period": str(r["period"])[:10], "value": r.get("forecast"), "line": FORECAST,
                **{k: r.get(k) for k in ("lo80", "hi80", "lo95", "hi95")}} for r in fc]
    periods = list(dict.fromkeys(v["period"] for v in values))
    # one tick per period, labelled with its date (a time axis would put ticks between the periods)
    x = {"field": "period", "type": "ordinal", "sort": periods, "title": f"{unit} of",
         "axis": {"labelAngle": -40 if len(periods) > 8 else 0, "labelOverlap": True}}
    color = {"scale": {"domain": [HISTORY, FORECAST, BAND80, BAND95],
                       "range": [PALETTE[0], PALETTE[1], PALETTE[1], PALETTE[1]]}, "legend": {"title": None}}
    only_fc = [{"filter": f"datum.line === '{FORECAST}'"}]
    spec = _base(title, values, 300)
    spec["layer"] = [
        {"transform": only_fc, "mark": {"type": "area", "opacity": 0.15},
         "encoding": {"x": x, "y": {"field": "lo95", "type": "quantitative"}, "y2": {"field": "hi95"},
                      "color": {"datum": BAND95, **color}}},
        {"transform": only_fc, "mark": {"type": "area", "opacity": 0.3},
         "encoding": {"x": x, "y": {"field": "lo80", "type": "quantitative"}, "y2": {"field": "hi80"},
                      "color": {"datum": BAND80, **color}}},
        {"mark": {"type": "line", "point": True},
         "encoding": {"x": x, "y": {"field": "value", "type": "quantitative", "title": metric,
                                    "axis": {"format": y_format}},
                      "color": {"field": "line", "type": "nominal", **color},
                      "strokeDash": {"field": "line", "type": "nominal", "legend": None,
                                     "scale": {"domain": [HISTORY, FORECAST], "range": [[1, 0], [6, 4]]}},
                      "tooltip": [{"field": "period", "type": "ordinal"},
                                  {"field": "line", "type": "nominal"},
                                  {"field": "value", "type": "quantitative", "format": y_format},
                                  {"field": "lo80", "format": y_format}, {"field": "hi80", "format": y_format},
                                  {"field": "lo95", "format": y_format}, {"field": "hi95", "format": y_format}]}},
    ]
    return spec


def comparison_spec(values: list[dict], *, x: str, periods: list[str], title: str, metric: str,
                    time_axis: bool, y_format: str = ",.0f") -> dict:
    """Two periods side by side: ``values`` are long rows {x, period, value, label}. A time ``x`` ("week 1",
    "week 2", … of each period) gives one line per period over the same axis, the dates in the tooltip; anything
    else grouped horizontal bars, one bar per period in each group."""
    color = {"field": "period", "type": "nominal", "sort": periods,
             "scale": {"domain": periods, "range": PALETTE[:len(periods)]}, "legend": {"title": None}}
    tooltip = [{"field": "label", "type": "nominal", "title": x}, {"field": "period", "type": "nominal"},
               {"field": "value", "type": "quantitative", "format": y_format, "title": metric}]
    value = {"field": "value", "type": "quantitative", "title": metric, "axis": {"format": y_format}}
    groups = list(dict.fromkeys(str(v["x"]) for v in values))
    if time_axis:
        spec = _base(title, values, 300)
        spec["mark"] = {"type": "line", "point": True}
        spec["encoding"] = {"x": {"field": "x", "type": "ordinal", "sort": groups, "title": f"{x} of the period",
                                  "axis": {"labelAngle": 0}},
                            "y": value, "color": color, "tooltip": tooltip}
        return spec
    spec = _base(title, values, max(120, 22 * len(groups) * len(periods)))
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {"y": {"field": "x", "type": "nominal", "sort": groups, "title": None},
                        "yOffset": {"field": "period", "sort": periods}, "x": value, "color": color,
                        "tooltip": tooltip}
    return spec
