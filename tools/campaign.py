"""write_campaign: copy for one segment, grounded in its profile and in review themes of its categories."""

from __future__ import annotations

import json
import logging
import re
from typing import Optional

from langchain_core.tools import BaseTool, StructuredTool

from ._common import ToolArgError, safe_tool
from .campaign_copy import CHANNELS, CampaignBrief, offline_variants
from .context import ToolContext, quote_review
from .results import CampaignResult, ResultKind

__all__ = ["make_campaign_tools", "segment_facts", "category_themes"]

log = logging.getLogger(__name__)
CHANNEL_ALIASES = {"e-mail": "email", "mail": "email", "newsletter": "email", "text": "sms", "text message": "sms",
                   "notification": "push", "push notification": "push", "app": "push"}


def segment_facts(profile: dict) -> list[str]:
    """Plain-words facts from a segment profile (what copy may rely on)."""
    f: list[str] = []
    size, sc, sr = profile.get("size"), profile.get("share_customers"), profile.get("share_revenue")
    if size is not None:
        share = f" ({sc:.0%} of customers" + (f", {sr:.0%} of revenue)" if sr is not None else ")") if sc is not None else ""
        f.append(f"{int(size):,} customers{share}")
    rec = profile.get("recency_days_median")
    if rec is not None:
        f.append(f"median {float(rec):.0f} days since last purchase")
    om, sm, ab = profile.get("orders_mean"), profile.get("spend_mean"), profile.get("avg_basket")
    if om is not None and sm is not None:
        f.append(f"on average {float(om):.1f} orders and ${float(sm):,.0f} spend per customer")
    if ab is not None:
        f.append(f"average basket ${float(ab):,.2f}")
    if profile.get("coupon_rate") is not None:
        f.append(f"coupon use rate {float(profile['coupon_rate']):.0%}")
    if profile.get("p_buy_30d") is not None:
        f.append(f"mean 30-day purchase probability {float(profile['p_buy_30d']):.0%}")
    cats = [c for c in (profile.get("top_categories") or []) if c.get("category")][:3]
    if cats:
        parts = [f"{c['category']} ({float(c.get('share') or 0):.0%} of spend"
                 + (f", {float(c['lift']):.1f}x the average)" if c.get("lift") is not None else ")") for c in cats]
        f.append("top categories: " + "; ".join(parts))
    return f


def category_themes(ctx: ToolContext, categories: list[str], max_categories: int = 2) -> tuple[list[dict], list[str]]:
    """Review themes (with quotes) for the segment's top categories that have reviews."""
    themes: list[dict] = []
    ids: list[str] = []
    for cat in categories[:max_categories]:
        try:
            s = ctx.summarize_reviews(product=cat)
        except Exception as exc:  # no reviews for this category is normal
            log.debug("no review summary for %s: %s", cat, exc)
            continue
        if not s or not s.get("n_reviews"):
            continue
        for t in (s.get("themes") or [])[:3]:
            quotes = [{"review_id": str(q.get("review_id")), "rating": q.get("rating"),
                       "text": quote_review(q.get("review_id"), str(q.get("text", ""))[:240])}
                      for q in (t.get("quotes") or [])[:2]]
            themes.append({"category": cat, "label": t.get("label"), "key_phrases": list(t.get("key_phrases") or [])[:4],
                           "count": t.get("count"), "mean_rating": t.get("mean_rating"), "quotes": quotes})
            ids.extend(q["review_id"] for q in quotes)
    return themes, list(dict.fromkeys(ids))


def _llm_variants(ctx: ToolContext, fields: dict) -> tuple[list[dict], list[str]] | None:
    """Ask the configured LLM for copy; None when it does not return usable JSON."""
    try:
        raw = ctx.copywriter(fields)  # type: ignore[misc]
    except Exception as exc:
        log.warning("copywriter failed, using offline templates: %s", exc)
        return None
    m = re.search(r"\{.*\}", raw or "", re.S)
    if not m:
        return None
    try:
        data = json.loads(m.group(0))
    except json.JSONDecodeError:
        return None
    variants = [v for v in data.get("variants", []) if isinstance(v, dict)]
    if not variants:
        return None
    return variants, [str(x) for x in data.get("facts_used", [])]


AUDIENCES = ("segment", "at_risk")


def write_campaign_impl(ctx: ToolContext, segment: Optional[str] = None, channel: str = "email",
                        tone: Optional[str] = None, offer: Optional[str] = None,
                        audience: Optional[str] = None, min_value_quantile: Optional[float] = None) -> CampaignResult:
    aud = str(audience or "segment").strip().lower().replace("-", "_").replace(" ", "_")
    if aud not in AUDIENCES:
        raise ToolArgError(f"audience={audience!r}: use 'segment' (a segment's customers) or 'at_risk' (the "
                           f"high-value customers at risk of churning)")
    if aud == "segment" and (segment is None or str(segment).strip() == ""):
        raise ToolArgError("segment is required; call list_segments to see the names (or audience='at_risk' for "
                           "the high-value customers at risk of churning)")
    ch = str(channel or "email").strip().lower()
    ch = CHANNEL_ALIASES.get(ch, ch)
    if ch not in CHANNELS:
        raise ToolArgError(f"channel={channel!r} is not supported; use one of {list(CHANNELS)}")
    recipients_csv, audience_facts = None, []
    if aud == "at_risk":
        from .value import at_risk_audience

        profile, audience_facts, recipients_csv = at_risk_audience(
            ctx, segment=segment or None, min_value_quantile=0.8 if min_value_quantile is None else min_value_quantile)
    else:
        try:
            profile = ctx.find_segment(segment)
        except ValueError as exc:
            raise ToolArgError(str(exc)) from exc
    facts = audience_facts + segment_facts(profile)
    brief = CampaignBrief(profile, offer=offer, tone=tone)
    themes, review_ids = category_themes(ctx, brief.categories)
    brief.themes = [t for t in themes if (t.get("mean_rating") or 0) >= 4][:2]
    theme_facts = [f"reviews of {t['category']}: theme '{t['label']}' ({t['count']} reviews, mean "
                   f"{float(t['mean_rating']):.1f} stars)" for t in themes if t.get("mean_rating") is not None]

    generated_by = "offline templates"
    variants, used = offline_variants(brief, ch), facts + [t for t in theme_facts if _used_theme(t, brief)]
    if offer:
        used.append(f"offer given by the user: {offer}")
    if ctx.copywriter is not None:
        # the assistant layer owns the prompt file; the tool hands over the grounded fields only
        brief_fields = dict(
            segment=profile["name"], channel=ch, tone=tone or "friendly", offer=offer or "none",
            facts="\n".join(f"- {x}" for x in facts) or "- (none)",
            themes="\n".join(f"- {t['category']}: {t['label']} (mean {t.get('mean_rating')} stars) e.g. "
                             + " ".join(q["text"] for q in t["quotes"]) for t in themes) or "- (no reviews)",
            n_variants=3)
        got = _llm_variants(ctx, brief_fields)
        if got is not None:
            variants, used = got
            generated_by = "llm"
    personal = _personalise(ctx, profile, ch, variants, recipients_csv)
    return {
        "kind": ResultKind.CAMPAIGN,
        "segment": str(profile["name"]),
        "segment_id": profile.get("segment_id"),
        "channel": ch,
        "tone": brief.tone if generated_by != "llm" else (tone or "friendly"),
        "offer": offer,
        "variants": variants,
        "facts_used": used,
        "review_themes": [{k: t[k] for k in ("category", "label", "count", "mean_rating")} for t in themes],
        "review_ids": review_ids,
        "generated_by": generated_by,
        "audience": aud,
        "recipients": int(profile.get("size") or 0),
        "recipients_csv": recipients_csv,
        "personalisation": personal,
    }


def _personalise(ctx: ToolContext, profile: dict, channel: str, variants: list[dict],
                 recipients_csv: str | None = None) -> dict:
    """Each recipient's next-basket picks as merge fields (CSV); the email body gets the merge line. Recipients:
    the at-risk list when there is one, else the segment's members."""
    import pandas as pd

    from .recommend import campaign_merge_fields

    try:
        if recipients_csv:
            members = tuple(pd.read_csv(recipients_csv, dtype={"customer_id": str})["customer_id"].astype(str))
        else:
            members = tuple(sorted(c for c, s in ctx.segment_of().items() if s == profile["name"]))
    except Exception as exc:  # no segment assignments saved: the copy stays generic
        return {"unavailable": f"no segment members to personalise for: {exc}"}
    pers = campaign_merge_fields(ctx, members, f"campaign_{profile['name']}_{channel}_merge", channel)
    if "line" in pers and channel == "email":
        for v in variants:
            if isinstance(v.get("body"), str) and "{{pick_1}}" not in v["body"]:
                v["body"] = v["body"].rstrip() + "\n\n" + pers["line"]
    return pers


def _used_theme(fact: str, brief: CampaignBrief) -> bool:
    return any(str(t.get("label")) in fact for t in brief.themes)


def make_campaign_tools(ctx: ToolContext) -> list[BaseTool]:
    @safe_tool
    def write_campaign(segment: Optional[str] = None, channel: str = "email", tone: Optional[str] = None,
                       offer: Optional[str] = None, audience: Optional[str] = None,
                       min_value_quantile: Optional[float] = None) -> CampaignResult:
        """Write marketing copy for one customer segment, grounded in its profile (size, spend, recency, top
        categories) and in review themes of its categories. Returns several variants and the facts used.
        For every segment, call list_segments first and then this tool once per segment. For a win-back
        campaign to the high-value customers at risk of churning, pass audience="at_risk" (no segment needed;
        a segment then narrows the list to that segment); the recipients come back as a CSV.

        Args:
            segment: segment name or id (see list_segments).
            channel: "email" (subject, preheader, body, cta), "sms" or "push" (short text).
            tone: optional voice, e.g. friendly, urgent, playful, premium, formal.
            offer: optional offer to feature exactly as given, e.g. "10% off"; none is invented.
            audience: "segment" (default: the segment's customers) or "at_risk" (high-value customers who are
                overdue, ranked by value at risk, as at_risk_customers lists them).
            min_value_quantile: with audience="at_risk": the CLV quantile a customer must reach (default 0.8,
                the top 20% by value).
        """
        return write_campaign_impl(ctx, segment, channel, tone, offer, audience, min_value_quantile)

    return [StructuredTool.from_function(write_campaign, parse_docstring=True)]
