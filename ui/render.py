"""Turn tool results (the dicts in ``AskResult.tool_calls``) into what the browser shows: tables, charts,
markdown and CSV downloads.

Pure functions over the result shapes in docs/ARCHITECTURE.md; nothing here imports gradio, so the
rendering is tested without a browser. The app (``ui.app``) maps a :class:`View` onto its components.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

import pandas as pd

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

MAX_TABLE_ROWS = 500  # the browser table stays responsive; the CSV download holds every row
_TEXT_PREVIEW = 400


@dataclass
class Table:
    title: str
    data: pd.DataFrame


@dataclass
class Chart:
    kind: Literal["bar", "line"]
    data: pd.DataFrame
    x: str
    y: str
    title: str
    color: str | None = None
    x_title: str | None = None
    y_title: str | None = None
    sort: list[str] | None = None  # explicit order of a nominal x axis (vega sorts alphabetically otherwise)


@dataclass
class View:
    """Everything one assistant turn shows beside the chat."""

    markdown: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)  # markdown shown under the tables (the model card)
    charts: list[Chart] = field(default_factory=list)
    downloads: list[Path] = field(default_factory=list)

    def extend(self, other: "View") -> "View":
        self.markdown += other.markdown
        self.tables += other.tables
        self.cards += other.cards
        self.charts += other.charts
        self.downloads += other.downloads
        return self

    @property
    def empty(self) -> bool:
        return not (self.markdown or self.tables or self.cards or self.charts or self.downloads)


# -- small helpers -----------------------------------------------------------------------------------

def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != value:  # NaN
            return "—"
        return f"{value:.{digits}f}"
    return str(value)


def _cell(value: Any) -> Any:
    """A table cell: lists and dicts become readable text (the Dataframe shows strings, not JSON)."""
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell_text(v)}" for k, v in value.items())
    return value


def _cell_text(value: Any) -> str:
    if isinstance(value, dict):
        # top_categories entries and similar: show the name-like field first
        for key in ("category", "name", "label", "segment"):
            if key in value:
                return str(value[key])
        return json.dumps(value, default=str)
    if isinstance(value, float):
        return _fmt(value)
    return str(value)


def _frame(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    df = pd.DataFrame([{k: _cell(v) for k, v in row.items()} for row in rows])
    if columns:
        present = [c for c in columns if c in df.columns]
        rest = [c for c in df.columns if c not in present]
        df = df[present + rest]
    return df


def _round(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(digits)
    return out


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:60] or "export"


def csv_for_rows(rows: list[Mapping[str, Any]], export_dir: Path, stem: str) -> Path:
    """Write rows to ``export_dir/<stem>.csv`` (lists joined with '; ') and return the path."""
    export_dir.mkdir(parents=True, exist_ok=True)
    path = export_dir / f"{_safe_name(stem)}.csv"
    df = _frame(rows)
    df.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return path


def _download(result: Mapping[str, Any], rows: list[Mapping[str, Any]], export_dir: Path, stem: str) -> Path | None:
    """The tool's own export when it exists, copied next to the session's other downloads (the browser may
    only fetch files from the app's temp folder); otherwise a CSV written from the rows."""
    src = result.get("export_csv")
    export_dir.mkdir(parents=True, exist_ok=True)
    if src and Path(src).is_file():
        dest = export_dir / Path(src).name
        if Path(src).resolve() != dest.resolve():
            shutil.copyfile(src, dest)
        return dest
    if not rows:
        return None
    return csv_for_rows(rows, export_dir, stem)


# -- predictions -------------------------------------------------------------------------------------

_BACKTEST_LABELS = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "brier_skill": "Brier skill",
    "lift_at_10pct": "Lift @ top 10%",
    "ece": "Calibration error (ECE)",
    "predicted_vs_actual_buyers": "Predicted / actual buyers",
}


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
    if isinstance(trained, Mapping) and trained:
        bits = ", ".join(f"{k}: {_fmt(v)}" for k, v in trained.items() if not isinstance(v, (dict, list)))
        if bits:
            lines.append(f"**Trained on:** {bits}")
    backtest = card.get("backtest") or {}
    baselines = card.get("baselines") or {}
    if backtest:
        n_cut = backtest.get("n_cutoffs")
        lines.append("")
        lines.append(f"Backtest over {n_cut} past cutoffs (higher is better except calibration error):"
                     if n_cut else "Backtest (higher is better except calibration error):")
        names = list(baselines)
        lines.append("| metric | model | " + " | ".join(names) + " |")
        lines.append("|---|---|" + "---|" * len(names))
        for key, value in backtest.items():
            if key == "n_cutoffs" or isinstance(value, (dict, list)):
                continue
            label = _BACKTEST_LABELS.get(key, key)
            base = [_fmt((baselines[n] or {}).get(key)) for n in names]
            lines.append(f"| {label} | {_fmt(value)} | " + " | ".join(base) + " |")
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
    df = _round(_frame(rows, _CUSTOMER_COLS)).head(MAX_TABLE_ROWS)
    if "last_purchase" in df.columns:
        df["last_purchase"] = df["last_purchase"].astype(str).str.slice(0, 10)
    return df.rename(columns=CUSTOMER_HEADERS)


def _render_predictions(result: Mapping[str, Any], export_dir: Path) -> View:
    rows = list(result.get("customers") or [])
    card = result.get("model_card") or {}
    horizon = result.get("horizon_days") or card.get("horizon_days")
    view = View()
    head = f"**{result.get('target') or card.get('target', 'Purchase probability')}** · as of {result.get('as_of', '—')}"
    extra = []
    if result.get("n_scored") is not None:
        extra.append(f"{result['n_scored']} customers scored")
    if result.get("expected_buyers_total") is not None:
        extra.append(f"expected buyers: {_fmt(result['expected_buyers_total'], 1)}")
    view.markdown.append(head + ("  \n" + " · ".join(extra) if extra else ""))
    view.cards.append(model_card_markdown(card))
    if rows:
        view.tables.append(Table(f"Customers most likely to buy in the next {horizon} days", _customer_table(rows)))
        view.charts.append(Chart("bar", probability_histogram(r.get("p_buy") for r in rows), "p_buy", "customers",
                                 f"Purchase probability of the {len(rows)} listed customers",
                                 x_title="P(buy)", y_title="customers",
                                 sort=list(probability_histogram([])["p_buy"])))
    rel = reliability_frame(card.get("reliability"))
    if rel is not None:
        view.charts.append(Chart("line", rel, "predicted", "observed", "Reliability: predicted vs observed buy rate",
                                 color="series", x_title="predicted", y_title="observed"))
    path = _download(result, rows, export_dir, f"buyers_{horizon}d_{result.get('as_of', '')}")
    if path:
        view.downloads.append(path)
    return view


# -- segments and audiences --------------------------------------------------------------------------

_SEGMENT_COLS = ["segment_id", "name", "size", "share_customers", "share_revenue", "recency_days_median",
                 "orders_mean", "spend_mean", "avg_basket", "coupon_rate", "p_buy_30d", "top_categories",
                 "description"]


def _render_segments(result: Mapping[str, Any], export_dir: Path) -> View:
    profiles = [p for p in (result.get("segments") or []) if isinstance(p, Mapping)]
    view = View()
    view.markdown.append(f"**{len(profiles)} customer segments** · as of {result.get('as_of', '—')}")
    if not profiles:
        return view
    rows = [{k: v for k, v in p.items() if k != "demographics"} for p in profiles]
    view.tables.append(Table("Segments", _round(_frame(rows, _SEGMENT_COLS))))
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


def _render_audience(result: Mapping[str, Any], export_dir: Path) -> View:
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
    path = _download(result, rows, export_dir, f"audience_{seg_name}")
    if path:
        view.downloads.append(path)
    return view


def _render_customer(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    lines = [f"### Customer {result.get('customer_id', '?')}"]
    if result.get("segment"):
        seg = result["segment"]
        lines.append(f"**Segment:** {seg.get('name') if isinstance(seg, Mapping) else seg}")
    p = result.get("p_buy")
    if isinstance(p, Mapping):
        lines.append("**P(buy):** " + " · ".join(f"{h} days: {_fmt(v)}" for h, v in p.items()))
    elif p is not None:
        lines.append(f"**P(buy):** {_fmt(p)}")
    reasons = result.get("reasons") or []
    if reasons:
        lines.append("**Why:**")
        lines += [f"- {r}" for r in reasons]
    view.markdown.append("\n".join(lines))
    stats = result.get("stats")
    if isinstance(stats, Mapping) and stats:
        view.tables.append(Table("Customer statistics",
                                 pd.DataFrame({"statistic": list(stats), "value": [_cell_text(v) if isinstance(
                                     v, (float, dict)) else str(_cell(v)) for v in stats.values()]})))
    orders = result.get("recent_orders") or []
    if orders and isinstance(orders, list) and isinstance(orders[0], Mapping):
        view.tables.append(Table("Recent orders", _round(_frame(orders))))
    return view


# -- reviews -----------------------------------------------------------------------------------------

def _short(text: Any) -> str:
    s = str(text or "")
    return s if len(s) <= _TEXT_PREVIEW else s[: _TEXT_PREVIEW - 1] + "…"


def _render_reviews(result: Mapping[str, Any], export_dir: Path) -> View:
    reviews = list(result.get("reviews") or [])
    view = View()
    filters = result.get("filters") or {}
    fdesc = ", ".join(f"{k}={v}" for k, v in filters.items() if v not in (None, "", [])) if isinstance(
        filters, Mapping) else str(filters)
    note = result.get("note") or ""
    view.markdown.append(f"**{len(reviews)} reviews** for “{result.get('query', '')}”"
                         + (f" ({fdesc})" if fdesc else "") + (f"  \n_{note}_" if note else ""))
    if any(r.get("synthetic") for r in reviews):
        view.markdown.append("⚠️ Some of these reviews are **synthetic** (generated for the demo data), "
                             "not written by real customers.")
    if reviews:
        rows = [{"review_id": r.get("review_id"), "product": r.get("product_name") or r.get("product_id"),
                 "rating": r.get("rating"), "date": str(r.get("timestamp") or "")[:10],
                 "synthetic": bool(r.get("synthetic", False)), "text": _short(r.get("text"))} for r in reviews]
        view.tables.append(Table("Reviews (evidence)", pd.DataFrame(rows)))
    return view


def _render_review_summary(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    n = result.get("n_reviews", 0)
    head = f"**{n} reviews** · mean rating {_fmt(result.get('mean_rating'), 2)} / 5"
    if result.get("synthetic"):
        head += "  \n⚠️ Based on **synthetic** reviews generated for the demo data, not real customers."
    view.markdown.append(head)
    themes = [t for t in (result.get("themes") or []) if isinstance(t, Mapping)]
    if themes:
        rows = [{"theme": t.get("label"), "reviews": t.get("count"), "mean_rating": t.get("mean_rating"),
                 "key_phrases": ", ".join(map(str, t.get("key_phrases") or []))} for t in themes]
        view.tables.append(Table("Themes", _round(pd.DataFrame(rows), 2)))
        quotes = [{"theme": t.get("label"), "review_id": q.get("review_id"), "rating": q.get("rating"),
                   "quote": _short(q.get("text"))} for t in themes for q in (t.get("quotes") or [])]
        if quotes:
            view.tables.append(Table("Quotes behind the themes (evidence)", pd.DataFrame(quotes)))
    dist = result.get("rating_distribution") or {}
    if dist:
        stars = [str(s) for s in range(1, 6)]
        df = pd.DataFrame({"rating": [f"{s}★" for s in stars],
                           "reviews": [int(dist.get(s, dist.get(int(s), 0)) or 0) for s in stars]})
        view.charts.append(Chart("bar", df, "rating", "reviews", "Rating distribution", sort=list(df["rating"])))
    trend = [t for t in (result.get("trend") or []) if isinstance(t, Mapping) and t.get("mean_rating") is not None]
    if trend:
        df = pd.DataFrame({"period": [str(t.get("period")) for t in trend],
                           "mean_rating": [float(t["mean_rating"]) for t in trend],
                           "reviews": [int(t.get("n") or 0) for t in trend]})
        parsed = pd.to_datetime(df["period"], errors="coerce")
        if parsed.notna().all():  # a real time axis when the periods are dates/months
            df["period"] = parsed
        view.charts.append(Chart("line", df, "period", "mean_rating", "Ratings over time", y_title="mean rating"))
    return view


# -- campaign and overview ---------------------------------------------------------------------------

def _render_campaign(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    seg = result.get("segment")
    seg_name = seg.get("name") if isinstance(seg, Mapping) else seg
    lines = [f"### Campaign draft — {seg_name} · {result.get('channel', '')}"]
    for i, v in enumerate(result.get("variants") or [], 1):
        if not isinstance(v, Mapping):
            continue
        lines.append(f"**Variant {i}**")
        for key in ("subject", "preheader", "body", "text", "cta"):
            if v.get(key):
                lines.append(f"- *{key}:* {v[key]}")
    facts = result.get("facts_used") or []
    if facts:
        lines.append("**Facts used:** " + "; ".join(map(str, facts)))
    if result.get("review_ids"):
        lines.append("**Reviews cited:** " + ", ".join(map(str, result["review_ids"])))
    view.markdown.append("\n".join(lines))
    return view


def _render_overview(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    summary = result.get("summary")
    metric = result.get("metric") or "value"
    by = result.get("by")
    if isinstance(summary, Mapping):
        summary = " · ".join(f"{k}: {_cell_text(v) if isinstance(v, float) else _cell(v)}" for k, v in summary.items())
    view.markdown.append(f"**{metric}**" + (f" by {by}" if by else "") + (f"  \n{summary}" if summary else ""))
    rows = [r for r in (result.get("rows") or []) if isinstance(r, Mapping)]
    if not rows:
        return view
    df = _round(_frame(rows), 2)
    view.tables.append(Table(f"{metric}" + (f" by {by}" if by else ""), df.head(MAX_TABLE_ROWS)))
    x = by if by in df.columns else df.columns[0]
    numeric = [c for c in df.columns if c != x and pd.api.types.is_numeric_dtype(df[c])]
    y = metric if metric in numeric else (numeric[0] if numeric else None)
    if y is not None and len(df) > 1:
        chart_df = df[[x, y]].copy()
        if by in ("month", "week"):
            parsed = pd.to_datetime(chart_df[x].astype(str), errors="coerce")
            if parsed.notna().all():
                chart_df[x] = parsed
            view.charts.append(Chart("line", chart_df, x, y, f"{metric} by {by}"))
        else:
            chart_df[x] = chart_df[x].astype(str)
            view.charts.append(Chart("bar", chart_df, x, y, f"{metric}" + (f" by {by}" if by else ""),
                                     sort=list(chart_df[x])))
    return view


_RENDERERS = {
    "predictions": _render_predictions,
    "customer": _render_customer,
    "segments": _render_segments,
    "audience": _render_audience,
    "reviews": _render_reviews,
    "review_summary": _render_review_summary,
    "campaign": _render_campaign,
    "overview": _render_overview,
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
    if result.get("error"):
        return View(markdown=[f"⚠️ `{tool_name or 'tool'}`: {result['error']}"])
    renderer = _RENDERERS.get(str(result.get("kind")))
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
    if result.get("error"):
        return f"Error: {result['error']}"
    kind = result.get("kind")
    counts = {
        "predictions": ("customers", "customers listed"),
        "audience": ("customers", "customers listed"),
        "segments": ("segments", "segments"),
        "reviews": ("reviews", "reviews found"),
        "overview": ("rows", "rows"),
        "campaign": ("variants", "variants"),
    }
    if kind in counts:
        key, label = counts[kind]
        return f"{len(result.get(key) or [])} {label}"
    if kind == "review_summary":
        return f"{result.get('n_reviews', 0)} reviews, {len(result.get('themes') or [])} themes"
    if kind == "customer":
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
