"""Renderers for text-level results: review search, review summaries, campaign drafts and data overviews."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
from models.reviews.passages import unquote_review

from .compact import header_words
from .view import MAX_TABLE_ROWS, Chart, Table, View, cell, cell_text, fmt, frame, round_floats

__all__ = ["render_reviews", "render_review_summary", "render_campaign", "render_overview", "partial_periods"]

_TEXT_PREVIEW = 400

# -- reviews -----------------------------------------------------------------------------------------

def _short(text: Any) -> str:
    s = str(text or "")
    return s if len(s) <= _TEXT_PREVIEW else s[: _TEXT_PREVIEW - 1] + "…"


def render_reviews(result: Mapping[str, Any], export_dir: Path) -> View:
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
                 "synthetic": bool(r.get("synthetic", False)), "text": _short(unquote_review(r.get("text")))} for r in reviews]
        table = pd.DataFrame(rows)
        if table["synthetic"].nunique() == 1:  # the same for every row: the note above says it once
            table = table.drop(columns="synthetic")
        view.tables.append(Table("Reviews (evidence)", table))
    return view


def render_review_summary(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    n = result.get("n_reviews", 0)
    head = f"**{n} reviews** · mean rating {fmt(result.get('mean_rating'), 2)} / 5"
    if result.get("synthetic"):
        head += "  \n⚠️ Based on **synthetic** reviews generated for the demo data, not real customers."
    view.markdown.append(head)
    themes = [t for t in (result.get("themes") or []) if isinstance(t, Mapping)]
    if themes:
        rows = [{"theme": t.get("label"), "reviews": t.get("count"), "mean_rating": t.get("mean_rating"),
                 "key_phrases": ", ".join(map(str, t.get("key_phrases") or []))} for t in themes]
        view.tables.append(Table("Themes", round_floats(pd.DataFrame(rows), 2)))
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

def render_campaign(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    seg = result.get("segment")
    seg_name = seg.get("name") if isinstance(seg, Mapping) else seg
    # blocks are separated by a blank line: otherwise markdown folds the next heading into the last list item
    blocks = [f"### Campaign draft — {seg_name} · {result.get('channel', '')}"]
    for i, v in enumerate(result.get("variants") or [], 1):
        if not isinstance(v, Mapping):
            continue
        items = [f"- *{key}:* {v[key]}" for key in ("subject", "preheader", "body", "text", "cta") if v.get(key)]
        blocks.append(f"**Variant {i}**\n\n" + "\n".join(items))
    facts = result.get("facts_used") or []
    if facts:
        blocks.append("**Facts used:** " + "; ".join(map(str, facts)))
    if result.get("review_ids"):
        blocks.append("**Reviews cited:** " + ", ".join(map(str, result["review_ids"])))
    view.markdown.append("\n\n".join(blocks))
    csv = result.get("recipients_csv")
    if csv and Path(str(csv)).exists():  # the at-risk audience: the recipients to send it to
        view.downloads.append(Path(str(csv)))
    return view


def render_overview(result: Mapping[str, Any], export_dir: Path) -> View:
    view = View()
    summary = result.get("summary")
    metric = result.get("metric") or "value"
    by = result.get("by")
    if isinstance(summary, Mapping):
        summary = " · ".join(f"{k}: {cell_text(v) if isinstance(v, float) else cell(v)}" for k, v in summary.items())
    view.markdown.append(f"**{metric}**" + (f" by {by}" if by else "") + (f"  \n{summary}" if summary else ""))
    rows = [r for r in (result.get("rows") or []) if isinstance(r, Mapping)]
    if not rows:
        return view
    df = round_floats(frame(rows), 2)
    words = {c: header_words(c) + (" (%)" if "pct" in str(c) else "") for c in df.columns}
    view.tables.append(Table(f"{metric}" + (f" by {by}" if by else ""), df.head(MAX_TABLE_ROWS).rename(columns=words)))
    x = by if by in df.columns else df.columns[0]
    numeric = [c for c in df.columns if c != x and pd.api.types.is_numeric_dtype(df[c])]
    y = metric if metric in numeric else (numeric[0] if numeric else None)
    if y is not None and len(df) > 1:
        chart_df = df[[x, y]].copy()
        if by in ("month", "week"):
            partial = partial_periods(list(chart_df[x].astype(str)), by, _date_range(result))
            if partial:
                chart_df = chart_df[~chart_df[x].astype(str).isin(partial)]
                view.markdown.append(f"_Partial {by}{'s' if len(partial) > 1 else ''} left out of the chart "
                                     f"(the data covers only part of {', '.join(partial)}; the table keeps "
                                     f"{'them' if len(partial) > 1 else 'it'})._")
            if by == "month":  # one label per month, written as the table writes it
                chart_df[x] = chart_df[x].astype(str)
                view.charts.append(Chart("line", chart_df, x, y, f"{metric} by {by}", x_title=by,
                                         sort=list(chart_df[x])))
                return view
            parsed = pd.to_datetime(chart_df[x].astype(str), errors="coerce")
            if parsed.notna().all():
                chart_df[x] = parsed
            view.charts.append(Chart("line", chart_df, x, y, f"{metric} by {by}"))
        else:
            chart_df[x] = chart_df[x].astype(str)
            view.charts.append(Chart("bar", chart_df, x, y, f"{metric}" + (f" by {by}" if by else ""),
                                     sort=list(chart_df[x])))
    return view


_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s+to\s+(\d{4}-\d{2}-\d{2})")


def _date_range(result: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first and last day the result's data covers: its ``date_range`` (top level or in the summary), or
    the "(YYYY-MM-DD to YYYY-MM-DD)" its summary text names."""
    summary = result.get("summary")
    for rng in (result.get("date_range"), summary.get("date_range") if isinstance(summary, Mapping) else None):
        if isinstance(rng, (list, tuple)) and len(rng) == 2 and all(rng):
            return str(rng[0])[:10], str(rng[1])[:10]
    m = _RANGE.search(str(summary or ""))
    return (m.group(1), m.group(2)) if m else None


def partial_periods(labels: list[str], by: str, date_range: tuple[str, str] | None) -> list[str]:
    """The first/last period labels (months "2018-01" or weeks labelled by their Monday) the data covers
    only in part, given the first and last day with data."""
    if not labels or date_range is None or by not in ("month", "week"):
        return []
    try:
        first, last = pd.Timestamp(date_range[0]), pd.Timestamp(date_range[1])
        starts = [pd.Timestamp(lbl) for lbl in labels]
    except (ValueError, TypeError):
        return []
    out = []
    for lbl, start in zip(labels, starts):
        if by == "month":
            start = start.to_period("M").start_time
            end = start.to_period("M").end_time.normalize()
        else:
            end = start + pd.Timedelta(days=6)
        if start <= last < end or start < first <= end:
            out.append(lbl)
    return out
