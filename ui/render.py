"""Turn tool results (the dicts in ``AskResult.tool_calls``) into what the browser shows: tables, charts,
markdown and CSV downloads, plus the collapsible chat step for each tool call.

Pure functions over the result shapes in tools/results.py; nothing here imports gradio, so the
rendering is tested without a browser.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

from tools.results import ResultKind, is_error, result_kind

from .render_customers import (
    CUSTOMER_HEADERS,
    model_card_markdown,
    probability_histogram,
    reliability_frame,
    render_audience,
    render_customer,
    render_predictions,
    render_segments,
)
from .render_forecast import render_forecast
from .render_query import render_query
from .render_value import render_at_risk, render_customer_value
from .render_recommend import render_recommend
from .render_product_audience import render_product_audience
from .render_text import render_campaign, render_overview, render_review_summary, render_reviews
from .view import Chart, Table, View, csv_for_rows

__all__ = [
    "Chart",
    "Table",
    "View",
    "render_result",
    "render_tool_calls",
    "step_message",
    "model_card_markdown",
    "probability_histogram",
    "reliability_frame",
    "csv_for_rows",
    "CUSTOMER_HEADERS",
]

_RENDERERS = {
    ResultKind.PREDICTIONS: render_predictions,
    ResultKind.CUSTOMER: render_customer,
    ResultKind.SEGMENTS: render_segments,
    ResultKind.AUDIENCE: render_audience,
    ResultKind.REVIEWS: render_reviews,
    ResultKind.REVIEW_SUMMARY: render_review_summary,
    ResultKind.CAMPAIGN: render_campaign,
    ResultKind.OVERVIEW: render_overview,
    ResultKind.FORECAST: render_forecast,
    ResultKind.QUERY: render_query,
    ResultKind.CUSTOMER_VALUE: render_customer_value,
    ResultKind.AT_RISK: render_at_risk,
    ResultKind.RECOMMEND: render_recommend,
    ResultKind.PRODUCT_AUDIENCE: render_product_audience,
}


def render_result(result: Any, export_dir: Path, tool_name: str = "") -> View:
    """One tool result → a :class:`View`. Errors and unknown shapes become a short note, never an exception:
    a malformed result must not take the chat down."""
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except json.JSONDecodeError:
            return View(markdown=[f"`{tool_name}`: {result[:500]}"] if result else [])
    if not isinstance(result, Mapping):
        return View()
    if is_error(result):
        return View(markdown=[f"⚠️ `{tool_name or 'tool'}`: {result['error']}"])
    renderer = _RENDERERS.get(result_kind(result))
    if renderer is None:
        return View()
    try:
        return renderer(result, Path(export_dir))
    except Exception as exc:  # noqa: BLE001 — show the problem beside the chat instead of failing the turn
        return View(markdown=[f"⚠️ Could not display the `{result.get('kind')}` result: {exc}"])


def render_tool_calls(tool_calls: Iterable[Mapping[str, Any]], export_dir: Path) -> View:
    view = View()
    for call in tool_calls:
        view.extend(render_result(call.get("result"), export_dir, str(call.get("name", ""))))
    return view


def _result_summary(result: Any) -> str:
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except json.JSONDecodeError:
            return result[:200]
    if not isinstance(result, Mapping):
        return ""
    if is_error(result):
        return f"Error: {result['error']}"
    kind = result.get("kind")
    counts = {
        ResultKind.PREDICTIONS: ("customers", "customers listed"),
        ResultKind.AUDIENCE: ("customers", "customers listed"),
        ResultKind.SEGMENTS: ("segments", "segments"),
        ResultKind.REVIEWS: ("reviews", "reviews found"),
        ResultKind.OVERVIEW: ("rows", "rows"),
        ResultKind.CAMPAIGN: ("variants", "variants"),
    }
    if kind in counts:
        key, label = counts[kind]
        return f"{len(result.get(key) or [])} {label}"
    if kind == ResultKind.REVIEW_SUMMARY:
        return f"{result.get('n_reviews', 0)} reviews, {len(result.get('themes') or [])} themes"
    if kind == ResultKind.CUSTOMER:
        return f"customer {result.get('customer_id')}"
    return str(kind or "")


def step_message(call: Mapping[str, Any], status: Literal["pending", "done"] = "done") -> dict:
    """A collapsible chat step for one tool call (gradio messages format): the title names the tool, the
    body shows the arguments and a one-line outcome."""
    args = call.get("args") or {}
    body = "```json\n" + json.dumps(args, indent=2, default=str, ensure_ascii=False) + "\n```"
    if status == "done":
        summary = _result_summary(call.get("result"))
        if summary:
            body += f"\n→ {summary}"
    metadata: dict[str, Any] = {"title": f"🛠 {call.get('name', 'tool')}", "status": status}
    if call.get("duration_s") is not None:
        metadata["duration"] = round(float(call["duration_s"]), 2)
    return {"role": "assistant", "content": body, "metadata": metadata}
