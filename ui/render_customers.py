"""Renderers for customer-level results: predictions (with the model card, probability distribution and
reliability diagram), audiences, one customer, and segments."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from .view import MAX_TABLE_ROWS, Chart, Table, View, cell, cell_text, fmt, frame, round_floats

__all__ = ["model_card_markdown", "probability_histogram", "reliability_frame", "CUSTOMER_HEADERS",
           "render_predictions", "render_audience", "render_customer", "render_segments"]

# -- predictions -------------------------------------------------------------------------------------

_BACKTEST_LABELS = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "brier_skill": "Brier skill",
    "lift_at_10pct": "Lift @ top 10%",
    "ece": "Calibration error (ECE)",
    "predicted_vs_actual_buyers": "Predicted / actual buyers",
}


_TRAINED_ON = {"n_customers": "customers", "customers": "customers", "n_snapshots": "snapshots",
               "first_snapshot": "from", "last_snapshot": "to"}


# baseline names in words: a header like "logistic_rfm" cannot wrap, and the card must fit the pane at 1024 px
_BASELINE_WORDS = {"base_rate": "base rate", "recency": "recency", "logistic_rfm": "logistic RFM",
                   "gbm_rfm": "GBM RFM", "bgnbd": "BG/NBD"}


def model_card_markdown(card: Mapping[str, Any] | None) -> str:
    """The model card as markdown: what is predicted, as of when, and backtest metrics against baselines."""
    if not card:
        return "_No model card: train the predictor (Data tab → Retrain)._"
    lines = [
        "### Model card",
        f"**Target:** {card.get('target', '—')}  ",
        f"**As of:** {card.get('as_of', '—')} · **horizon:** {card.get('horizon_days', '—')} days",
    ]
    trained = card.get("trained_on") or {}
    if isinstance(trained, Mapping):
        # the facts a marketer can check; training internals (losses, hashes) stay in the manifest
        bits = [f"{label}: {fmt(trained[k])}" for k, label in _TRAINED_ON.items() if trained.get(k) is not None]
        if bits:
            lines.append("**Trained on:** " + ", ".join(bits))
        if trained.get("stale"):
            lines.append("⚠️ The data changed since training: retrain (Data tab) for current predictions.")
    backtest = card.get("backtest") or {}
    baselines = card.get("baselines") or {}
    if backtest:
        n_cut = backtest.get("n_cutoffs")
        lines.append("")
        lines.append(f"Backtest over {n_cut} past cutoffs (higher is better except calibration error):"
                     if n_cut else "Backtest (higher is better except calibration error):")
        names = list(baselines)
        lines.append("| metric | model | " + " | ".join(_BASELINE_WORDS.get(n, n.replace("_", " ")) for n in names)
                     + " |")
        lines.append("|---|---|" + "---|" * len(names))
        for key, value in backtest.items():
            if key == "n_cutoffs" or isinstance(value, (dict, list)):
                continue
            label = _BACKTEST_LABELS.get(key, key)
            base = [fmt((baselines[n] or {}).get(key)) for n in names]
            lines.append(f"| {label} | {fmt(value)} | " + " | ".join(base) + " |")
    return "\n".join(lines)


def probability_histogram(p: Iterable[float], n_bins: int = 10) -> pd.DataFrame:
    """Counts of customers per purchase-probability band, every band present (zeros kept) so bars line up."""
    values = pd.Series(list(p), dtype="float64").dropna().clip(0.0, 1.0)
    edges = [i / n_bins for i in range(n_bins + 1)]
    labels = [f"{edges[i]:.1f}–{edges[i + 1]:.1f}" for i in range(n_bins)]
    # the last band is closed so p = 1.0 is counted
    idx = (values * n_bins).astype(int).clip(upper=n_bins - 1)
    counts = idx.value_counts().reindex(range(n_bins), fill_value=0)
    return pd.DataFrame({"p_buy": labels, "customers": counts.to_numpy().astype("int64")})


def reliability_frame(reliability: list[Mapping[str, Any]] | None) -> pd.DataFrame | None:
    """Long frame for the reliability diagram: the model's bins plus the perfect-calibration diagonal."""
    if not reliability:
        return None
    model = pd.DataFrame(
        {
            "predicted": [float(r["predicted"]) for r in reliability],
            "observed": [float(r["observed"]) for r in reliability],
            "series": "model",
        }
    )
    hi = float(max(model["predicted"].max(), model["observed"].max(), 0.0))
    diag = pd.DataFrame({"predicted": [0.0, hi], "observed": [0.0, hi], "series": "perfect calibration"})
    return pd.concat([model, diag], ignore_index=True)


_CUSTOMER_COLS = ["customer_id", "p_buy", "expected_orders", "expected_spend", "last_purchase", "days_since_last",
                  "segment", "reasons"]
# short headers for the browser table; the CSV keeps the raw column names
CUSTOMER_HEADERS = {"customer_id": "customer", "p_buy": "P(buy)", "expected_orders": "exp. orders",
                    "expected_spend": "exp. spend", "last_purchase": "last purchase", "days_since_last": "days since",
                    "reasons": "why"}


def _customer_table(rows: list[Mapping[str, Any]]) -> pd.DataFrame:
    df = round_floats(frame(rows, _CUSTOMER_COLS)).head(MAX_TABLE_ROWS)
    if "last_purchase" in df.columns:
        df["last_purchase"] = df["last_purchase"].astype(str).str.slice(0, 10)
    return df.rename(columns=CUSTOMER_HEADERS)


def render_predictions(result: Mapping[str, Any], export_dir: Path) -> View:
    rows = list(result.get("customers") or [])
    card = result.get("model_card") or {}
    horizon = result.get("horizon_days") or card.get("horizon_days")
    view = View()
    head = f"**{result.get('target') or card.get('target', 'Purchase probability')}** · as of {result.get('as_of', '—')}"
    extra = []
    if result.get("n_scored") is not None:
        extra.append(f"{result['n_scored']} customers scored")
    if result.get("expected_buyers_total") is not None:
        extra.append(f"expected buyers: {fmt(result['expected_buyers_total'], 1)}")
    view.markdown.append(head + ("  \n" + " · ".join(extra) if extra else ""))
    view.cards.append(model_card_markdown(card))
    path = view.offer_download(result, rows, export_dir, f"buyers_{horizon}d_{result.get('as_of', '')}")
    if rows:
        view.tables.append(Table(f"Customers most likely to buy in the next {horizon} days", _customer_table(rows)))
        p_all, who = (_all_probabilities(path) if result.get("export_csv") else None), "scored customers"
        if p_all is None:
            p_all, who = [r.get("p_buy") for r in rows], "listed customers"
        view.charts.append(Chart("bar", probability_histogram(p_all), "p_buy", "customers",
                                 f"Purchase probability of all {len(p_all)} {who}",
                                 x_title="P(buy)", y_title="customers",
                                 sort=list(probability_histogram([])["p_buy"])))
    rel = reliability_frame(card.get("reliability"))
    if rel is not None:
        view.charts.append(Chart("line", rel, "predicted", "observed", "Reliability: predicted vs observed buy rate",
                                 color="series", x_title="predicted", y_title="observed"))
    return view


def _all_probabilities(csv_path: Path | None) -> list[float] | None:
    """p_buy of everyone in the export: the listed top customers alone would show only the high end."""
    if csv_path is None:
        return None
    try:
        p = pd.read_csv(csv_path, usecols=["p_buy"])["p_buy"]
    except (ValueError, OSError, pd.errors.ParserError):
        return None
    return [float(v) for v in p.dropna()]


# -- segments and audiences --------------------------------------------------------------------------

_SEGMENT_COLS = ["segment_id", "name", "size", "share_customers", "share_revenue", "recency_days_median",
                 "orders_mean", "spend_mean", "avg_basket", "coupon_rate", "p_buy_30d", "top_categories",
                 "description"]


_SEGMENT_HEADERS = {"segment_id": "id", "share_customers": "% customers", "share_revenue": "% revenue",
                    "recency_days_median": "days since last (median)", "orders_mean": "orders (mean)",
                    "spend_mean": "spend (mean)", "avg_basket": "avg basket", "coupon_rate": "% coupon",
                    "p_buy_30d": "% buy in 30 d", "top_categories": "top categories"}


def render_segments(result: Mapping[str, Any], export_dir: Path) -> View:
    profiles = [p for p in (result.get("segments") or []) if isinstance(p, Mapping)]
    view = View()
    view.markdown.append(f"**{len(profiles)} customer segments** · as of {result.get('as_of', '—')}")
    if not profiles:
        return view
    rows = [{k: v for k, v in p.items() if k != "demographics"} for p in profiles]
    table = round_floats(frame(rows, _SEGMENT_COLS))
    for col in ("share_customers", "share_revenue", "coupon_rate", "p_buy_30d"):
        if col in table.columns and pd.api.types.is_numeric_dtype(table[col]):
            table[col] = (table[col] * 100).round(1)
    view.tables.append(Table("Segments", table.rename(columns=_SEGMENT_HEADERS)))
    names = [str(p.get("name", p.get("segment_id"))) for p in profiles]
    sizes = pd.DataFrame({"segment": names, "customers": [int(p.get("size") or 0) for p in profiles]})
    view.charts.append(Chart("bar", sizes, "segment", "customers", "Customers per segment", sort=names))
    if any(p.get("share_revenue") is not None for p in profiles):
        rev = pd.DataFrame({"segment": names,
                            "revenue_share_pct": [round(100 * float(p.get("share_revenue") or 0.0), 1)
                                                  for p in profiles]})
        view.charts.append(Chart("bar", rev, "segment", "revenue_share_pct", "Share of revenue by segment (%)",
                                 y_title="% of revenue", sort=names))
    return view


def render_audience(result: Mapping[str, Any], export_dir: Path) -> View:
    rows = list(result.get("customers") or [])
    seg = result.get("segment")
    seg_name = seg.get("name") if isinstance(seg, Mapping) else seg
    view = View()
    total = result.get("n_total", len(rows))
    view.markdown.append(f"**Audience: {seg_name}** · {total} customers"
                         + (f" (table shows {min(len(rows), MAX_TABLE_ROWS)})" if total != len(rows) else ""))
    if rows:
        view.tables.append(Table(f"Audience — {seg_name}", _customer_table(rows)))
        if any("p_buy" in r for r in rows):
            view.charts.append(Chart("bar", probability_histogram(r.get("p_buy") for r in rows if "p_buy" in r),
                                     "p_buy", "customers", "Purchase probability in this audience",
                                     sort=list(probability_histogram([])["p_buy"])))
    view.offer_download(result, rows, export_dir, f"audience_{seg_name}")
    return view


def render_customer(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    lines = [f"### Customer {result.get('customer_id', '?')}"]
    if result.get("segment"):
        seg = result["segment"]
        lines.append(f"**Segment:** {seg.get('name') if isinstance(seg, Mapping) else seg}")
    p = result.get("p_buy")
    if isinstance(p, Mapping):
        lines.append("**P(buy):** " + " · ".join(f"{h} days: {fmt(v)}" for h, v in p.items()))
    elif p is not None:
        lines.append(f"**P(buy):** {fmt(p)}")
    reasons = result.get("reasons") or []
    if reasons:
        lines.append("**Why:**")
        lines += [f"- {r}" for r in reasons]
    view.markdown.append("\n".join(lines))
    stats = result.get("stats")
    if isinstance(stats, Mapping) and stats:
        view.tables.append(Table("Customer statistics",
                                 pd.DataFrame({"statistic": list(stats), "value": [cell_text(v) if isinstance(
                                     v, (float, dict)) else str(cell(v)) for v in stats.values()]})))
    orders = result.get("recent_orders") or []
    if orders and isinstance(orders, list) and isinstance(orders[0], Mapping):
        view.tables.append(Table("Recent orders", round_floats(frame(orders))))
    return view

