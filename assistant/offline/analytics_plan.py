"""From a parsed analytics question to the call the planner makes: query_data, data_overview, or a plain decline.

The product rule: answer the question asked or say what cannot be done. A question whose every part maps to the
layer runs as a ``query_data`` call (or ``data_overview`` when that fixed tool computes exactly the same thing);
a part that does not map is named in the answer, with the closest query that can run; a question whose core does
not map (data we do not hold, a value or period not in the data, words that name nothing) is declined with
that closest query instead of an answer to a different question.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from . import parsing as P
from .query_parse import QueryParse, Vocab, parse_query

__all__ = ["analytics_plan", "restate", "is_analytics"]

_OVERVIEW_METRICS = {"revenue": "revenue", "orders": "orders", "customers": "customers", "avg_basket": "average_basket"}


def is_analytics(route: str, parse: QueryParse, question: str) -> bool:
    """Whether a question routed to ``route`` is really an ad-hoc analytics question."""
    if route == "data_overview":
        return True
    strong = parse.signals & {"compare", "threshold", "concentration"}
    counting = re.search(r"\b(how many|number of|count|what share|what percent|what %|how much|proportion|"
                         r"percentage|total)\b", question.lower())
    t = question.lower()
    writing = re.search(r"\b(write|draft|create|compose|come up|generate|craft|make|prepare|design|ideas?|"
                        r"copy|subject lines?|slogans?)\b", t)
    analytic = parse.signals & {"metric", "period", "filter", "threshold", "compare", "concentration", "rank"}
    if "unheld" in parse.signals and (route not in ("write_campaign", "search_reviews", "summarize_reviews",
                                                    "out_of_scope", "help")
                                      or (route == "write_campaign" and not writing)
                                      or route in ("out_of_scope", "help")):  # "website conversion rate"
        return True
    future = re.search(r"\b(will|going to|likely|likeliest|next|predict\w*|probab\w*|forecast\w*|expect\w*|"
                       r"chance|soon|upcoming|coming|ahead|propensity|at[- ]risk|churn\w*|lapsing|slipping|project\w*|"
                       r"outlook|recommend\w*|suggest\w*|reorder)\b", t)
    if route == "write_campaign" and not writing and not re.search(
            r"\b(e-?mail|sms|text message|push|newsletter|message|promo\w*|offer\w*|win-?back|blast)\b", t) and \
            (parse.signals & {"metric", "threshold", "compare", "concentration"} or
             any(f.get("dimension") in ("campaign", "campaign_type") for f in parse.spec.get("filters") or ()) or
             set(parse.spec.get("by") or ()) & {"campaign", "campaign_type"} or
             any(p.startswith("no such campaign") for p in parse.problems)):
        return True  # "redemption rate by campaign type", "what did campaign 18 bring in": numbers, not copy
    if route == "write_campaign" and not writing and re.search(
            r"\bhow (did|does|do|is|was|were|are|has|have)\b[^?]*\bcampaigns?\b[^?]*\b(do|doing|did|perform\w*|go|"
            r"went|going|work\w*|result\w*|land\w*)\b|\bcampaigns?\b[^?]*\b(performance|results?|roi|effect\w*)\b", t):
        return True  # "how did the summer sale campaign do": a question about results, not a request for copy
    if route in ("search_reviews", "summarize_reviews") and "metric" in parse.signals and not re.search(
            r"\b(reviews?|reviewers?|rat(ing|ings|ed)|stars?|feedback|say|says|saying|said|think|thinks|complain\w*|"
            r"opinions?|praise\w*|mention\w*|topics?|themes?)\b", t):
        return True  # "coupon redemption rate": a metric of ours, not a review search
    if route == "customer_value" and not future and parse.spec.get("by") and "customer" not in parse.spec["by"] and \
            parse.signals & {"metric", "superlative", "rank"}:
        return True  # "which income band is worth the most per household": a breakdown, not single customers' CLV
    if route == "segment_audience":
        return bool(strong and counting)
    if route in ("predict_buyers", "at_risk_customers", "forecast", "recommend_products") and not future and \
            parse.signals & {"metric", "period", "filter", "threshold", "compare", "concentration", "distribution",
                             "superlative", "rank"}:
        return True
    if route == "list_segments" and "segment" not in t and "cluster" not in t and \
            parse.signals & {"metric", "period", "filter", "threshold", "compare", "concentration"}:
        return True
    if route == "list_segments" and "metric" in parse.signals and "segment" in (parse.spec.get("by") or ()) and \
            set(parse.spec.get("metrics") or ()) - {"revenue", "customers", "revenue_per_customer"}:
        return True  # "days between orders by segment": a metric the segment table does not show
    if route in ("out_of_scope", "help"):
        return bool(parse.signals & {"metric", "compare", "threshold", "concentration"}) or bool(
            parse.spec.get("by") and parse.signals & {"superlative", "rank", "filter"} and not parse.ignored)
    if route in ("at_risk_customers", "predict_buyers", "list_segments", "segment_audience"):
        return bool(strong and counting)
    return False


def restate(spec: dict, parse: QueryParse | None = None) -> str:
    """The query in plain words ("revenue by category, department = Meat, 2017-Q3")."""
    ms = " and ".join(m.replace("_", " ") for m in spec.get("metrics") or ["revenue"])
    text = ms
    if spec.get("by"):
        text += " by " + " and ".join(d.replace("_", " ") for d in spec["by"])
    for f in spec.get("filters") or []:
        vals = f.get("values") or []
        text += f", {f['dimension'].replace('_', ' ')} = {vals[0]}" if len(vals) == 1 else \
            f", {f['dimension'].replace('_', ' ')} in {', '.join(map(str, vals))}"
    if parse is not None and parse.windows:
        text += ", " + " vs ".join(f"{w.said} ({w.dates})" for w in parse.windows)
    return text


def _closest_values(words: list[str], vocab: Vocab) -> list[str]:
    pool = {v.lower(): (d, v) for d, vals in vocab.values.items() for v in vals if len(v) > 2}
    hits = []
    for w in words:
        for c in difflib.get_close_matches(w, list(pool), n=2, cutoff=0.6):
            d, v = pool[c]
            hits.append(f"{v} ({d.replace('_', ' ')})")
        hits += [f"{v} ({d.replace('_', ' ')})" for k, (d, v) in pool.items() if w in k.split()][:2]
    return list(dict.fromkeys(hits))[:5]


def _suggest(spec: dict, parse: QueryParse) -> str:
    ok = {k: v for k, v in spec.items() if k in ("metrics", "by", "filters")}
    return f"The closest I can answer: {restate(ok, parse if not parse.blocking or not parse.windows else None)}."


def decline_text(parse: QueryParse, vocab: Vocab) -> str:
    parts = []
    for p in parse.problems:
        parts.append(p[0].upper() + p[1:] + ".")
    if parse.ignored:
        words = " ".join(dict.fromkeys(parse.ignored))
        close = _closest_values(list(dict.fromkeys(parse.ignored)), vocab)
        parts.append(f"I can't map \"{words}\" to anything in your data: it is not a metric, a breakdown, or a "
                     f"department, category, brand, customer attribute or campaign value I hold"
                     + (f" (closest values: {', '.join(close)})" if close else "") + ".")
    parts.append(_suggest(parse.spec, parse))
    return "\n\n".join(parts)


def _overview_equivalent(question: str, parse: QueryParse, vocab: Vocab) -> dict | None:
    """data_overview arguments when that fixed tool computes exactly what was asked over all data (else None).

    Windows, filters, rankings (data_overview's top lists include fuel), thresholds and comparisons always go to
    query_data, whose answer restates the resolved dates."""
    spec = parse.spec
    if "metric" not in parse.signals and not spec.get("by") and not parse.windows and re.search(
            r"\b(overview|summary|kpis?|dashboard|headline|key (business )?numbers|how is the business|"
            r"how are we doing)\b", question.lower()) and not parse.signals & {"filter", "threshold", "compare"}:
        return {}
    if parse.windows or parse.ignored or parse.signals & {"compare", "threshold", "concentration", "filter", "rank",
                                                          "distribution", "share",
                                                          "rank_plural", "superlative", "unheld", "segment_filter"}:
        return None
    old_metric, old_by = P.parse_metric(question), P.parse_by(question)
    if old_metric == "repeat_rate" and "repeat_customer_share" not in vocab.metrics and not spec.get("by"):
        return {"metric": "repeat_rate"}
    if "metric" not in parse.signals and not spec.get("by") and re.search(
            r"\b(overview|summary|kpis?|dashboard|headline|key (business )?numbers|how is the business|"
            r"how are we doing)\b", question.lower()):
        return {}
    if parse.problems:
        return None
    metrics = spec.get("metrics") or []
    if len(metrics) != 1 or metrics[0] not in _OVERVIEW_METRICS:
        return None
    by = spec.get("by") or []
    if len(by) > 1 or (by and by[0] not in ("month", "week", "category")) or (by or [None])[0] != old_by:
        return None
    return {k: v for k, v in {"metric": _OVERVIEW_METRICS[metrics[0]], "by": by[0] if by else None}.items() if v}


def analytics_plan(question: str, vocab: Vocab, parse: QueryParse | None = None) -> tuple[str, dict, str | None]:
    """(route, args, message): the tool to call and its arguments, or ("clarify", {}, the decline)."""
    parse = parse or parse_query(question, vocab)
    if not vocab.metrics:
        return "clarify", {}, ("I can't answer data questions here: this workspace has no orders table yet. "
                               "Import orders first (mka ingest).")
    if "segment_by" in parse.signals and not parse.problems and not parse.ignored and not parse.windows and \
            not parse.signals & {"compare", "threshold", "concentration", "filter"}:
        metric = P.parse_metric(question) or "revenue"
        return "data_overview", {"metric": metric if metric in _OVERVIEW_METRICS.values() else "revenue",
                                 "by": "segment"}, None
    if "segment_by" in parse.signals:
        parse.problems.append("I can't break this query down by segment yet (only revenue, orders, customers or "
                              "average basket per segment, with no other filter or period)")
        parse.blocking = True
    old = _overview_equivalent(question, parse, vocab)
    if old is not None:
        return "data_overview", old, None
    if parse.blocking or parse.ignored or ("unheld" in parse.signals and "metric" not in parse.signals):
        return "clarify", {}, decline_text(parse, vocab)
    old = _overview_equivalent(question, parse, vocab)
    if old is not None:
        return "data_overview", old, None
    notes = [p[0].upper() + p[1:] + "." for p in parse.problems]
    if parse.windows:
        anchor = f" (relative dates count back from your last order date, {vocab.last.date()})" if vocab.last is not None \
            and any(not re.search(r"\d{4}", w.said) for w in parse.windows) else ""
        notes.append("Period: " + "; ".join(w.describe() for w in parse.windows) + anchor + ".")
    elif vocab.first is not None and vocab.last is not None and "inactive_days" not in parse.spec:
        notes.append(f"Period: all data ({vocab.first.date()} to {vocab.last.date()}).")
    return "query_data", dict(parse.spec), "\n\n".join(notes) or None

