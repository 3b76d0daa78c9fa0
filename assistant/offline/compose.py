"""Compose the offline planner's markdown answer from tool results: real numbers, ids cited, no invention."""

from __future__ import annotations

from typing import Any, Iterable

from models.predictor.card import backtest_line
from models.reviews.passages import unquote_review
from tools.results import ResultKind, is_error

__all__ = ["compose_answer", "cannot_call_text", "left_out_text", "query_lacking_text", "HELP_TEXT", "OUT_OF_SCOPE_TEXT"]

HELP_TEXT = """I answer questions about your shop's data with these tools:

- **Who will buy** — "which customers will buy this week?", "top 20 buyers next month in a segment"
- **One customer** — "explain customer 1234"
- **Segments** — "what segments do we have?", "export the audience of a segment"
- **Reviews** — "what do customers complain about in the reviews of a product?", "summarize reviews of a category"
- **Campaigns** — "write an email campaign for each segment", "an sms with 10% off for a segment"
- **Data** — "revenue by month", "top categories", "repeat rate", "average basket"
- **Forecasts** — "forecast revenue for the next 8 weeks", "how many orders next quarter?", "projected sales by category"
"""

OUT_OF_SCOPE_TEXT = ("I can't answer that from your data: it is outside what I can help with. I only work with this "
                     "shop's sales, customers, campaigns and reviews.\n\n" + HELP_TEXT)



def _unfence(text: Any, limit: int = 220) -> str:
    """Review text for display: without the fence, one line, shortened."""
    s = " ".join(unquote_review(text).split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def _share_text(p: float) -> str:
    """A percent share: two decimals under 10% (4.75%, not 4.8%: a small share needs them), else one."""
    return f"{p:.2f}%" if abs(p) < 10 else f"{p:.1f}%"


def _pct(x: Any, nd: int = 0) -> str:
    return "n/a" if x is None else f"{float(x):.{nd}%}"


def _money(x: Any) -> str:
    return "n/a" if x is None else f"${float(x):,.2f}"


def _f(x: Any, nd: int = 2) -> str:
    return "n/a" if x is None else f"{float(x):.{nd}f}"


def _cell(x: Any) -> str:
    return str(x).replace("|", "/").replace("\n", " ")


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _stale(note: Any) -> str:
    return f"⚠️ **{note}**\n\n" if note else ""


def _model_line(card: dict) -> str:
    return (f"_Model: {card.get('target', 'purchase probability')}, as of {card.get('as_of', '?')}. "
            f"{backtest_line(card)}_")


def _predictions(r: dict) -> str:
    h = r.get("horizon_days")
    seg = f" in **{r['segment']}**" if r.get("segment") else ""
    head = (f"**Most likely buyers in the next {h} days{seg}** (as of {r.get('as_of')}): the model expects about "
            f"**{r.get('expected_buyers_total')}** of {r.get('n_scored')} scored customers to buy.")
    if r.get("min_probability") is not None:
        head += f" {r.get('n_matching')} have p_buy ≥ {_pct(r['min_probability'])}."
    head = _stale((r.get("model_card") or {}).get("stale_note")) + head
    rows = [[c["customer_id"], _pct(c.get("p_buy"), 1), _money(c.get("expected_spend")), str(c.get("last_purchase") or "")[:10],
             c.get("segment") or "", "; ".join((c.get("reasons") or [])[:2])] for c in r.get("customers", [])]
    parts = [head, _table(["customer", "p_buy", "expected spend", "last purchase", "segment", "why"], rows)
             if rows else "_No customer matches these filters._", _model_line(r.get("model_card") or {})]
    if r.get("export_csv"):
        parts.append(f"Full list: `{r['export_csv']}`")
    return "\n\n".join(parts)


def _customer(r: dict) -> str:
    pb = r.get("p_buy") or {}
    probs = ", ".join(f"{_pct(v, 1)} within {k} days" for k, v in pb.items()) or "not scored"
    st = r.get("stats") or {}
    lines = [f"**Customer {r.get('customer_id')}**" + (f" — segment *{r['segment']}*" if r.get("segment") else ""),
             f"- Purchase probability: {probs} (as of {r.get('as_of')})",
             f"- {st.get('orders')} orders, {_money(st.get('spend'))} total, average basket {_money(st.get('avg_basket'))}; "
             f"first purchase {str(st.get('first_purchase'))[:10]}, last {str(st.get('last_purchase'))[:10]}"]
    if r.get("reasons"):
        lines.append("- Why: " + "; ".join(r["reasons"]))
    if r.get("stale_note"):
        lines.append(f"- ⚠️ **{r['stale_note']}**")
    if r.get("recent_orders"):
        lines.append("\nRecent orders:\n\n" + _table(["order", "date", "amount", "items"], [
            [o["order_id"], str(o["date"])[:16].replace("T", " "), _money(o["amount"]), o["items"]] for o in r["recent_orders"]]))
    return "\n".join(lines)


def _segments(r: dict, note: str | None) -> str:
    segs = r.get("segments") or []
    rows = [[s.get("segment_id"), s.get("name"), f"{s.get('size'):,}" if s.get("size") is not None else "",
             _pct(s.get("share_revenue")), _money(s.get("spend_mean")), _f(s.get("recency_days_median"), 0),
             _pct(s.get("p_buy_30d")) if s.get("p_buy_30d") is not None else "n/a",
             ", ".join(c["category"] for c in (s.get("top_categories") or [])[:3])] for s in segs]
    head = f"**{len(segs)} customer segments** (as of {r.get('as_of')})."
    if note:
        head = note + "\n\n" + head
    return head + "\n\n" + _table(["id", "segment", "customers", "revenue share", "mean spend", "median recency (days)",
                                   "p_buy 30d", "top categories"], rows)


def _audience(r: dict) -> str:
    cs = r.get("customers") or []
    rows = [[c.get("customer_id"), _pct(c.get("p_buy_30d"), 1) if c.get("p_buy_30d") is not None else "n/a",
             c.get("last_purchase") or "", _money(c.get("expected_spend")) if c.get("expected_spend") is not None
             else ""] for c in cs]
    return (f"**Audience: {r.get('segment')}** — {r.get('n_total')} customers (showing {len(cs)}, most likely "
            f"to buy in 30 days first).\n\n" + _table(["customer", "p_buy 30d", "last purchase", "expected spend"], rows)
            + (f"\n\nFull audience CSV: `{r['export_csv']}`" if r.get("export_csv") else ""))


def _filters(f: dict) -> str:
    bits = []
    if f.get("product"):
        bits.append(f"product/category **{f['product']}**")
    if f.get("min_rating") or f.get("max_rating"):
        bits.append(f"{f.get('min_rating') or 1}–{f.get('max_rating') or 5} stars")
    if f.get("since") or f.get("until"):
        bits.append(f"dates {f.get('since') or '…'} to {f.get('until') or '…'}")
    return ", ".join(bits)


def _no_match(r: dict) -> str:
    topic = r.get("query") or ""
    near = [t.get("topic") for t in r.get("nearest_topics") or [] if t.get("topic")]
    tail = (" Nearest topics that do occur: " + ", ".join(f"“{t}”" for t in near) + ".") if near else \
        " Try other words for the topic, or a summary of all reviews."
    return f"No review mentions “{topic}”: none of the best-matching reviews is about it, so none are shown as matches." + tail


def _reviews(r: dict) -> str:
    if r.get("no_match"):
        return _no_match(r)
    revs = r.get("reviews") or []
    flt = _filters(r.get("filters") or {})
    head = f"**{len(revs)} reviews** matching “{r.get('query')}”" + (f" ({flt})" if flt else "") + "."
    if r.get("intent") in ("negative", "positive"):
        kind = "complaint" if r["intent"] == "negative" else "praise"
        head += f" Ranked by relevance and by how much each reads like a {kind} (learned from the star ratings)."
    if not revs:
        return head + " Try a broader query or fewer filters."
    lines = [head, ""]
    for v in revs:
        lines.append(f"- **{v.get('rating')}★** {v.get('product_name') or ''} ({str(v.get('timestamp') or '')[:10]}) "
                     f"[{v.get('review_id')}]: “{_unfence(v.get('text'))}”")
    if r.get("synthetic"):
        lines.append("\n_Note: these demo reviews are synthetic._")
    lines.append(f"\n_{r.get('note', '')}_")
    return "\n".join(lines)


def _review_summary(r: dict) -> str:
    if r.get("no_match") and r.get("query"):
        return _no_match(r)
    dist = r.get("rating_distribution") or {}
    subject = r.get("product") or "all products"
    kind = {"negative": "Complaints in reviews", "positive": "Praise in reviews"}.get(r.get("intent") or "", "Reviews")
    lines = [f"**{kind} of {subject}**: {r.get('n_reviews')} reviews, mean rating "
             f"**{_f(r.get('mean_rating'))}★** (" + ", ".join(f"{k}★: {v}" for k, v in sorted(dist.items())) + ")."]
    if r.get("selection"):
        lines.append(f"_Chosen as: {r['selection']}._")
    if r.get("themes"):
        lines.append("Themes, most reviews first:")
    for n, t in enumerate((r.get("themes") or [])[:5], 1):
        q = (t.get("quotes") or [])[:1]
        quote = f" — e.g. [{q[0].get('review_id')}] “{_unfence(q[0].get('text'), 160)}”" if q else ""
        share = f", {100 * t['share']:.0f}%" if t.get("share") is not None else ""
        lines.append(f"{n}. **{t.get('label')}** ({t.get('count')} reviews{share}, mean "
                     f"{_f(t.get('mean_rating'), 1)}★; {', '.join((t.get('key_phrases') or [])[:3])}){quote}")
    trend = r.get("trend") or []
    if len(trend) >= 2:
        lines.append(f"\nTrend: {trend[0].get('period')} mean {_f(trend[0].get('mean_rating'))}★ → "
                     f"{trend[-1].get('period')} mean {_f(trend[-1].get('mean_rating'))}★.")
    if r.get("synthetic"):
        lines.append("\n_Note: these demo reviews are synthetic._")
    return "\n".join(lines)


def _campaign(r: dict) -> str:
    lines = [f"### {r.get('segment')} — {r.get('channel')} ({r.get('tone')} tone"
             + (f", offer: {r['offer']}" if r.get("offer") else "") + ")"]
    for i, v in enumerate(r.get("variants") or [], 1):
        if "text" in v:
            lines.append(f"{i}. {v['text']}")
        else:
            body = " ".join(str(v.get("body", "")).split())
            lines.append(f"**Variant {i}** — Subject: *{v.get('subject')}* · Preheader: {v.get('preheader')}\n\n"
                         f"> {body}\n>\n> **[{v.get('cta')}]**")
    if r.get("facts_used"):
        lines.append("Facts used: " + "; ".join(r["facts_used"]))
    if r.get("review_ids"):
        lines.append("Reviews consulted: " + ", ".join(r["review_ids"][:8]))
    if r.get("recipients_csv"):
        lines.append(f"Recipients ({r.get('recipients')}): `{r['recipients_csv']}`")
    pers = r.get("personalisation") or {}
    if pers.get("export_csv"):
        lines.append(f"Personalised: each of {pers.get('n_customers')} customers gets their own picks as merge fields "
                     f"({', '.join('{{' + f + '}}' for f in pers.get('merge_fields') or [])}; by {pers.get('method')}): "
                     f"`{pers['export_csv']}`" + (f". {pers['note']}" if pers.get("note") else ""))
    elif pers.get("unavailable"):
        lines.append(f"Not personalised: {pers['unavailable']}")
    return "\n\n".join(lines)


def _overview(r: dict) -> str:
    rows = r.get("rows") or []
    summ = r.get("summary") or {}
    title = (f"**{(r.get('metric') or 'overview').replace('_', ' ').title()}"
             + (f" by {r['by']}" if r.get("by") else "") + (f" in {r['period']}" if r.get("period") else "") + "**")
    parts = [title]
    if isinstance(summ, dict) and summ:
        s = []
        for k, v in summ.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                s.append(f"{k.replace('_', ' ')}: {_money(v) if 'revenue' in k or 'amount' in k else f'{v:,.4g}' if isinstance(v, float) else f'{v:,}'}")
            elif isinstance(v, (str, list)) and k == "date_range":
                s.append(f"dates: {' to '.join(map(str, v)) if isinstance(v, list) else v}")
        if s:
            parts.append("; ".join(s) + ".")
    elif summ:
        parts.append(str(summ))
    if rows:
        headers = list(rows[0].keys())
        fmt = lambda k, v: _money(v) if k in ("revenue", "amount", "spend") and isinstance(v, (int, float)) else (
            f"{v:.4g}" if isinstance(v, float) else v)
        parts.append(_table(headers, [[fmt(k, row.get(k)) for k in headers] for row in rows[:36]]))
    return "\n\n".join(parts)


def _forecast_backtest_line(bt: dict) -> str:
    from models.forecast.query import headline_scores

    parts = [f"{h['level']}: **{h['model']}** MASE {_f(h['mase'])} vs "
             + ", ".join(f"{b} {_f(v)}" for b, v in h["baselines"].items())
             + f"; 80% interval covered {_pct(h['coverage80'])}, 95% covered {_pct(h['coverage95'])} "
             f"({h['window']}-{bt.get('unit', 'week')} windows)" for h in headline_scores(bt)]
    if not parts:
        return "_Backtest: not enough history to score the models._"
    return (f"_Backtest over {bt.get('n_origins')} rolling origins — " + "; ".join(parts)
            + ". MASE below 1 beats the in-sample one-step naive error._")


def _forecast(r: dict) -> str:
    money = r.get("metric") == "revenue"
    fmt = (lambda v: _money(v)) if money else (lambda v: "n/a" if v is None else f"{float(v):,.0f}")
    rows = r.get("forecasts") or []
    names = list(dict.fromkeys(x["series"] for x in rows))
    scope = f" for segment **{r['segment']}**" if r.get("segment") else ""
    unit = r.get("unit", "week")
    n = r.get("horizon")
    first = rows[0]["period"] if rows else "?"
    head = (f"**Forecast: {r.get('target')}**{scope} — the next {n} {unit}s from the {unit} of {first} "
            f"(as of {r.get('as_of')}).")
    parts = [head]
    main = names[0] if names else None
    if main is not None:
        tot = sum(x["forecast"] for x in rows if x["series"] == main)
        parts.append(f"{'Total' if main == 'total' else main}: about **{fmt(tot)}** over the {n} {unit}s (the sum of "
                     f"the {unit}ly point forecasts; the intervals below are per {unit}).")
    show = names[:1]
    table = [[x["period"], fmt(x["forecast"]), f"{fmt(x['lo80'])} – {fmt(x['hi80'])}",
              f"{fmt(x['lo95'])} – {fmt(x['hi95'])}", x.get("holiday") or ""]
             for x in rows if x["series"] in show]
    if table:
        parts.append(_table([f"{unit} of", "forecast", "80% interval", "95% interval", "holiday"], table))
    if len(names) > 1:
        tot_by = [[s, fmt(sum(x["forecast"] for x in rows if x["series"] == s))] for s in names[1:]]
        parts.append(f"By {r.get('by') or 'series'} (sum over the {n} {unit}s; {r.get('n_series', len(names))} "
                     f"series in all):\n\n" + _table(["series", "forecast"], tot_by[:12]))
    parts.append(f"_Model: {r.get('model')}. Hierarchy: {r.get('reconciliation')}._")
    parts.append(_forecast_backtest_line(r.get("backtest") or {}))
    bu = r.get("bottom_up_check")
    if bu:
        parts.append(f"Cross-check from the purchase predictor (sum of customers' expected spend, as of "
                     f"{bu.get('as_of')}): {_money(bu.get('next_7_days'))} in the next 7 days, "
                     f"{_money(bu.get('next_14_days'))} in the next 14.")
    notes = [x for x in (r.get("notes") or []) if "holiday" in x or "partial" in x][:3]
    if notes:
        parts.append("Notes: " + " ".join(f"{x[0].upper()}{x[1:]}." for x in notes))
    if r.get("export_csv"):
        parts.append(f"All forecast rows: `{r['export_csv']}`")
    return "\n\n".join(parts)


def _label(dim: str, v: Any) -> str:
    """A grouped value as a person names it: hour 22 -> "22:00", campaign 18 -> "campaign 18" (issue 12 planner)."""
    if dim == "hour" and isinstance(v, (int, float)) or (dim == "hour" and str(v).isdigit()):
        return f"{int(v):02d}:00"
    if dim in ("campaign", "customer", "store") and str(v).isdigit():
        return f"{dim} {v}"
    return str(v)


def _together(who: str, rows: list[dict], share_col: str) -> str:
    """ "Saturday and Sunday together: 33.1% of the total orders": the rows' shares summed."""
    total = sum(float(x.get(share_col) or 0) for x in rows)
    return f"{who} together: **{total:.1f}%** of the total {share_col.replace(' % of total', '')}."


def _query(r: dict, focus: Iterable[tuple[str, str]] = ()) -> str:
    rows = r.get("rows") or []
    spec = r.get("spec") or {}
    by = list(spec.get("by") or [])
    money = {"revenue", "avg_basket", "revenue_per_customer", "discount", "coupon_discount", "discount_per_order", "price_per_unit",
             "coupon_discount_per_coupon_order", "new_customer_revenue", "returning_customer_revenue", "coupon_order_revenue", "all_discounts"}

    def fmt(col: str, v: Any) -> str:
        if v is None:
            return "n/a"
        if not isinstance(v, (int, float)):
            return str(v)
        if "% change" in col:
            return f"{v:+.1f}%"
        if "%" in col:
            return _share_text(v)  # already in percent
        if "share" in col or col.endswith("_rate") or col in ("repeat_customer_share",):
            return _share_text(100 * v)  # a fraction
        dist_money = (spec.get("distribution") or {}).get("measure") in ("revenue", "avg_basket")
        if any(w in money for w in col.split(" ")) or (dist_money and col in ("value", "low", "high")):
            return _money(v)
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"

    parts = [f"**{r.get('restatement')}**"]
    cols = list(r.get("columns") or (rows[0].keys() if rows else []))
    focus = list(focus)
    for dim, value in (focus if len(focus) <= 4 else []):  # the value a share question asked about, before the table
        row = next((x for x in rows if str(x.get(dim, "")).lower() == str(value).lower()), None)
        if row is None:
            parts.append(f"{value}: no rows in this window.")
        else:
            parts.append(f"**{row.get(dim)}**: " + ", ".join(f"{c} **{fmt(c, row.get(c))}**" for c in cols if c != dim) + ".")
    share_cols = [c for c in cols if c.endswith("% of total")]
    if len(focus) > 1 and share_cols:  # "share of orders on weekends": Saturday and Sunday together
        hit = [x for x in rows if any(str(x.get(d, "")).lower() == str(v).lower() for d, v in focus)]
        who = " and ".join(str(v) for _, v in focus) if len(focus) <= 4 else \
            f"{_label(focus[0][0], focus[0][1])} to {_label(focus[-1][0], focus[-1][1])}"
        parts.append(_together(who, hit, share_cols[0]))
    if by == ["customer"] and not spec.get("top") and not spec.get("compare") and rows:
        parts.append(f"**{r.get('n_rows', len(rows)):,} customers** match; each with their {', '.join(c for c in cols if c != 'customer')} "
                     f"in the window (the table is exportable as CSV).")
    if not rows:
        parts.append("No rows match this query.")
    elif not by and len(rows) == 1:
        parts.append(" · ".join(f"{c}: **{fmt(c, rows[0].get(c))}**" for c in cols))
        total = rows[0].get("revenue")
        split = [c for c in ("new_customer_revenue", "returning_customer_revenue") if c in cols]
        if split and isinstance(total, (int, float)) and total:
            parts.append("Share of revenue: " + ", ".join(
                f"{c.split('_')[0]} customers **{_share_text(100 * rows[0][c] / total)}**" for c in split
                if isinstance(rows[0].get(c), (int, float))) + ".")
    else:
        metric = next((c for c in cols if c not in by), None)
        if metric and by and not spec.get("compare"):
            vals = [x for x in rows if isinstance(x.get(metric), (int, float))]
            if vals:
                low = spec.get("descending") is False
                best = (min if low else max)(vals, key=lambda x: x[metric])
                top_label = "n/a (not recorded)" if best[by[0]] is None else _label(by[0], best[by[0]])
                parts.append(f"{'Lowest' if low else 'Highest'} {metric}: **{top_label}** with "
                             f"**{fmt(metric, best[metric])}**.")
                share_col = next((c for c in cols if c.endswith("% of total")), None)
                if share_col and spec.get("top") and len(rows) > 1:  # "share of revenue from the top 5 stores"
                    parts.append(_together(f"The {len(rows)} shown", rows, share_col))
        elif metric and by and spec.get("compare") and rows:
            chg = next((c for c in cols if c.endswith(" change") and "%" not in c), None)
            pct = next((c for c in cols if c.endswith("% change")), None)
            first = rows[0]
            if chg:
                parts.append(f"First row ({'sorted by change' if spec.get('sort') in ('change', 'pct_change') else 'sorted'}): "
                             f"**{first.get(by[0])}**, change **{fmt(chg, first.get(chg))}**"
                             + (f" ({fmt(pct, first.get(pct))})" if pct else "") + ".")
        parts.append(_table(cols, [[fmt(c, x.get(c)) for c in cols] for x in rows[:36]]))
        if r.get("n_rows", len(rows)) > 36:
            parts.append(f"_{r.get('n_rows')} rows in all; the first 36 are shown._")
    for n in r.get("notes") or []:
        parts.append(f"_Note: {n}._")
    defs = r.get("definitions") or {}
    if defs:
        parts.append("_Definitions: " + "; ".join(f"{k}: {v}" for k, v in defs.items()) + "._")
    return "\n\n".join(parts)


def _value_defs(r: dict) -> str:
    out = (f"_Definitions: {'; '.join(r.get('definitions') or [])}. Value model: {r.get('value_model')}; churn "
           f"model: {r.get('churn_model')}; as of {r.get('as_of')}._")
    for line in r.get("backtest") or []:
        out += f"\n\n_Backtest: {line}_"
    return out


def _customer_value(r: dict) -> str:
    head = (f"**Customer {r.get('customer_id')}** (as of {r.get('as_of')}): CLV over the coming year "
            f"**{_money(r.get('clv'))}** (percentile {_pct(r.get('value_percentile'))}), P(alive) "
            f"{_pct(r.get('p_alive'))}, churn risk {_pct(r.get('churn_risk'))}, value at risk "
            f"{_money(r.get('value_at_risk'))}; expected purchases {_f(r.get('expected_purchases_30d'))} in 30 days, "
            f"{_f(r.get('expected_purchases_365d'))} in a year at {_money(r.get('expected_spend_per_order'))} per "
            f"order. Last purchase {r.get('last_purchase')}, usual gap {_f(r.get('mean_gap_days'), 0)} days, "
            f"overdue ratio {_f(r.get('overdue_ratio'))}.")
    return head + "\n\n" + _value_defs(r)


def _at_risk(r: dict) -> str:
    seg = f" in **{r['segment']}**" if r.get("segment") else ""
    if r.get("rank_by") == "value":
        head = (f"**Most valuable customers{seg}, by predicted lifetime value (CLV)** (as of {r.get('as_of')}): "
                f"{len(r.get('customers') or [])} shown of the {r.get('n_high_value')} customers with CLV ≥ "
                f"{_money(r.get('value_threshold'))}; {r.get('n_high_value_overdue')} of them are overdue.")
    else:
        head = (f"**High-value customers at risk of churning{seg}** (as of {r.get('as_of')}): "
                f"{r.get('n_high_value_overdue')} of the {r.get('n_high_value')} customers with CLV ≥ "
                f"{_money(r.get('value_threshold'))} are overdue; value at risk {_money(r.get('value_at_risk_total'))}.")
    rows = [[c["customer_id"], _money(c.get("clv")), _pct(c.get("churn_risk")), _money(c.get("value_at_risk")),
             _f(c.get("overdue_ratio"), 1), c.get("segment") or "", "; ".join((c.get("reasons") or [])[:2])]
            for c in r.get("customers", [])[:20]]
    parts = [head]
    if rows:
        parts.append(_table(["customer", "CLV", "churn risk", "value at risk", "overdue ×", "segment", "why"], rows))
    parts += [f"_{n}_" for n in r.get("notes") or []]
    parts.append(_value_defs(r))
    if r.get("export_csv"):
        parts.append(f"All listed rows: `{r['export_csv']}`")
    return "\n\n".join(parts)


def _recommend(r: dict) -> str:
    who = (f"customer **{r['customer_id']}**" if r.get("customer_id")
           else f"segment **{r['segment']}**" if r.get("segment") else f"all {r.get('n_customers')} customers")
    parts = [f"**Next-basket picks for {who}** (as of {r.get('as_of')}; method: {r.get('method')}). "
             f"_{r.get('target', '')}_"]
    if r.get("picks"):
        parts.append(_table(["rank", "product", "kind", "score"],
                            [[p["rank"], p["product_name"], p["kind"], _f(p["score"], 3)] for p in r["picks"]]))
    elif r.get("segment_picks"):
        parts.append(f"The products most of its {r.get('n_customers')} customers have among their top picks:\n\n"
                     + _table(["product", "customers", "mean rank", "repeat share"],
                              [[p["product_name"], p["customers"], _f(p["mean_rank"], 1), _pct(p["repeat_share"])]
                               for p in r["segment_picks"]]))
    if r.get("backtest_line"):
        parts.append(f"_{r['backtest_line']}_")
    if r.get("export_csv"):
        parts.append(f"Every pick: `{r['export_csv']}`")
    return "\n\n".join(parts)


def _product_audience(r: dict) -> str:
    parts = [f"**Who will buy {r.get('resolved_label')} in the next {r.get('horizon_days')} days** (as of "
             f"{r.get('as_of')}; {r.get('n_products')} products): about {r.get('expected_buyers')} of "
             f"{r.get('n_customers')} customers are expected to (base rate {_pct(r.get('base_rate'))})."]
    parts += [f"_{n}_" for n in r.get("notes") or []]
    rows = [[c["customer_id"], _pct(c["probability"]), c["bought_before"],
             "never" if c.get("days_since_last") is None else f"{c['days_since_last']:.0f} days ago"]
            for c in (r.get("customers") or [])[:20]]
    if rows:
        parts.append(_table(["customer", "P(buys)", "baskets with it before", "last bought"], rows))
    if r.get("backtest_line"):
        parts.append(f"_{r['backtest_line']}_")
    if r.get("export_csv"):
        parts.append(f"Every customer's probability: `{r['export_csv']}`")
    return "\n\n".join(parts)


_BY_KIND = {ResultKind.PREDICTIONS: _predictions, ResultKind.CUSTOMER: _customer, ResultKind.AUDIENCE: _audience,
            ResultKind.REVIEWS: _reviews, ResultKind.REVIEW_SUMMARY: _review_summary, ResultKind.OVERVIEW: _overview,
            ResultKind.FORECAST: _forecast, ResultKind.RECOMMEND: _recommend,
            ResultKind.PRODUCT_AUDIENCE: _product_audience,
            ResultKind.CUSTOMER_VALUE: _customer_value, ResultKind.AT_RISK: _at_risk,
            ResultKind.QUERY: _query}


def compose_answer(results: list[tuple[str, dict, dict]], note: str | None = None,
                   focus: Iterable[tuple[str, str]] = ()) -> str:
    """Markdown from ``[(tool_name, args, result)]`` in call order."""
    parts: list[str] = []
    errors = [(n, a, r) for n, a, r in results if is_error(r)]
    ok = [(n, a, r) for n, a, r in results if not is_error(r)]
    campaigns = [r for _, _, r in ok if r.get("kind") == ResultKind.CAMPAIGN]
    for name, args, r in ok:
        kind = r.get("kind")
        if kind == ResultKind.SEGMENTS:
            if campaigns:
                parts.append(f"Campaign copy for **{len(campaigns)} segments**, from each segment's profile and "
                             f"review themes of its top categories.")
                continue
            parts.append(_segments(r, note))
        elif kind == ResultKind.CAMPAIGN:
            parts.append(_campaign(r))
        elif kind == ResultKind.QUERY:
            parts.append(_query(r, list(focus)))
        elif kind in _BY_KIND:
            parts.append(_BY_KIND[kind](r))
        else:
            parts.append(f"`{name}` returned: {r}")
    for name, args, r in errors:
        if name == "query_data":
            parts.append(f"I can't answer that as asked: {r['error']}")
        else:
            parts.append(f"**{name}** could not answer: {r['error']}")
    if note and not any(r.get("kind") == ResultKind.SEGMENTS for _, _, r in ok):
        parts.insert(0, note)
    if not parts:
        return "I found nothing to report."
    return "\n\n".join(parts)


def cannot_call_text(unbound: Iterable[str], missing: Iterable[tuple[str, list[str]]], available: Iterable[str]) -> str:
    """Why the planned calls cannot be made in this chat: tools not bound, or required arguments not given."""
    lines = []
    unbound = list(unbound)
    if unbound:
        names = ", ".join(f"`{n}`" for n in unbound)
        lines.append(f"I cannot answer that here: it needs {names}, which {'is' if len(unbound) == 1 else 'are'} "
                     f"not among the tools of this chat.")
        have = list(available)
        lines.append("Tools available here: " + (", ".join(f"`{n}`" for n in have) if have else "none") + ".")
    for name, args in missing:
        lines.append(f"`{name}` needs {', '.join(f'`{a}`' for a in args)}, which the question does not give.")
    return "\n\n".join(lines)


def left_out_text(dropped: Iterable[tuple[str, str, Any]]) -> str:
    """A note naming the parsed arguments a tool does not take (so the answer is not read as covering them)."""
    parts = [f"{arg}={value!r} (`{tool}` does not take it)" for tool, arg, value in dropped]
    return ("_Left out: " + "; ".join(parts) + "._") if parts else ""


_LACKING = {"descending": "rank from the lowest up", "bottom": "rank from the lowest up",
            "customer_conditions": "keep only customers over or under a threshold (orders, spend)",
            "concentration": "compute the share held by the top X% of customers",
            "purchase_conditions": "keep customers by what they bought (or did not buy) in another period or "
                                   "product set",
            "order_conditions": "keep orders by their own size (orders over $X)",
            "share_of_total": "compute shares of the total", "distribution": "compute a distribution",
            "period": "read this period"}


def query_lacking_text(lacking: Iterable[tuple[str, Any]], args: dict) -> str:
    """The question needs query arguments the bound query tool does not take: say which, run nothing."""
    what = [_LACKING.get(a, f"use {a}") for a, _ in lacking]
    kept = {k: v for k, v in args.items() if k not in {a for a, _ in lacking}}
    return (f"I can't answer that as asked: the query tool here cannot {'; '.join(dict.fromkeys(what))}. "
            f"The closest query it can run: `{kept}`.")
