"""The ``customer_value`` and ``at_risk`` results: the definitions, the numbers, the list with reasons, a value vs
risk chart and the CSV download."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .view import MAX_TABLE_ROWS, Chart, Table, View, frame, round_floats

__all__ = ["render_customer_value", "render_at_risk", "value_risk_scatter"]


def _defs(result: Mapping[str, Any]) -> str:
    out = ("Definitions: " + "; ".join(result.get("definitions") or []) + f". Value model: {result.get('value_model')};"
           f" churn model: {result.get('churn_model')}; as of {result.get('as_of')}.")
    return " ".join([out] + [f"Backtest: {line}" for line in result.get("backtest") or []])


def value_risk_scatter(rows: list[Mapping[str, Any]]) -> Chart:
    """Value × risk: each listed customer at (churn risk, CLV), coloured by how overdue they are; the top right
    holds the most value at risk."""
    data = frame(rows, ["customer_id", "clv", "churn_risk", "overdue_ratio"])[
        ["customer_id", "clv", "churn_risk", "overdue_ratio"]]
    bands = [("overdue 3× or more" if (o or 0) >= 3 else "overdue 2–3×" if (o or 0) >= 2 else "overdue 1–2×")
             for o in data["overdue_ratio"]]
    return Chart("scatter", data.assign(overdue=bands), "churn_risk", "clv",
                 "value × risk: CLV against P(no purchase in the next 30 days)", color="overdue",
                 x_title="churn risk (P(no purchase in 30 days))", y_title="CLV (next 365 days)")


def render_customer_value(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    view.markdown.append(f"**Customer {result.get('customer_id')}: value and churn risk** · as of {result.get('as_of')}")
    keys = ["clv", "value_percentile", "p_alive", "churn_risk", "value_at_risk", "expected_purchases_30d",
            "expected_purchases_365d", "expected_spend_per_order", "orders", "spend", "last_purchase",
            "mean_gap_days", "days_since_last", "overdue_ratio", "segment"]
    view.tables.append(Table("value", round_floats(frame([{"measure": k, "value": result.get(k)} for k in keys]), 3)))
    view.cards.append(_defs(result))
    return view


def render_at_risk(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    rows = [dict(r, reasons="; ".join(r.get("reasons") or [])) for r in result.get("customers") or []]
    scope = f" in {result['segment']}" if result.get("segment") else ""
    if result.get("rank_by") == "value":
        view.markdown.append(
            f"**Most valuable customers{scope}** (by CLV) · as of {result.get('as_of')}: {len(rows)} shown of the "
            f"{result.get('n_high_value')} customers with CLV ≥ {result.get('value_threshold')}; "
            f"{result.get('n_high_value_overdue')} of them are overdue.")
    else:
        view.markdown.append(
            f"**High-value customers at risk{scope}** · as of {result.get('as_of')}: "
            f"{result.get('n_high_value_overdue')} of {result.get('n_high_value')} customers with CLV ≥ "
            f"{result.get('value_threshold')} (top {1 - float(result.get('min_value_quantile') or 0):.0%}) are "
            f"overdue; {len(rows)} shown.")
    for note in result.get("notes") or []:
        view.markdown.append(f"_{note}_")
    if rows:
        cols = ["customer_id", "clv", "churn_risk", "value_at_risk", "overdue_ratio", "last_purchase", "segment",
                "reasons"]
        title = "most valuable customers" if result.get("rank_by") == "value" else "at-risk high-value customers"
        view.tables.append(Table(title, round_floats(frame(rows, cols), 3).head(MAX_TABLE_ROWS)))
        view.charts.append(Chart("bar", frame(rows, ["customer_id", "value_at_risk"]).head(20), "customer_id",
                                 "value_at_risk", "value at risk (CLV × churn risk)",
                                 sort=[str(r["customer_id"]) for r in rows[:20]]))
        view.charts.append(value_risk_scatter(rows))
        view.offer_download(result, rows, export_dir, "at_risk_customers")
    view.cards.append(_defs(result))
    return view
