"""Offline campaign copy: well-written templates filled from a segment's facts (no LLM needed).

The copy only states what the facts support: size, spend, recency, top categories, the offer the user gave
and positive review themes. Several variants per channel so a marketer can A/B test instead of getting one
fixed sentence.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["CampaignBrief", "offline_variants", "natural_phrase", "TONES", "CHANNELS"]

CHANNELS = ("email", "sms", "push")
SMS_MAX = 160
PUSH_MAX = 120

# word choices per tone; "friendly" is the default voice
TONES: dict[str, dict[str, str]] = {
    "friendly": {"hello": "Hi there", "miss": "We've missed you", "thanks": "Thanks for shopping with us",
                 "urge": "Take a look", "sign": "See you soon"},
    "urgent": {"hello": "Heads up", "miss": "Don't miss out", "thanks": "Thanks for being a regular",
               "urge": "Hurry — shop now", "sign": "Ends soon"},
    "playful": {"hello": "Psst", "miss": "Your cart called — it misses you", "thanks": "You've got great taste",
                "urge": "Go on, treat yourself", "sign": "Happy shopping"},
    "premium": {"hello": "Good day", "miss": "It has been a while", "thanks": "Thank you for your loyalty",
                "urge": "Discover the selection", "sign": "With our compliments"},
    "formal": {"hello": "Dear customer", "miss": "We would be glad to welcome you back",
               "thanks": "Thank you for your continued custom", "urge": "Browse the range", "sign": "Kind regards"},
}
TONE_ALIASES = {"warm": "friendly", "casual": "friendly", "fun": "playful", "cheeky": "playful",
                "luxury": "premium", "luxurious": "premium", "elegant": "premium", "professional": "formal",
                "serious": "formal", "excited": "urgent", "exciting": "urgent", "fomo": "urgent"}


_NOT_PRODUCTS = re.compile(r"coupon|misc|unknown|fuel|gasoline|kiosk|postage|gift card|lottery|deposit", re.I)


def _tone(tone: str | None) -> str:
    t = (tone or "friendly").strip().lower()
    t = TONE_ALIASES.get(t, t)
    return t if t in TONES else "friendly"


class CampaignBrief:
    """The facts a campaign may use, distilled from a segment profile and review themes."""

    def __init__(self, profile: dict, themes: list[dict] | None = None, offer: str | None = None,
                 tone: str | None = None) -> None:
        self.recency = _num(profile.get("recency_days_median", profile.get("recency_days_mean")))
        # catalogue buckets such as "Coupon/Misc Items" are not something to advertise
        self.categories = [str(c["category"]) for c in (profile.get("top_categories") or [])
                           if c.get("category") and not _NOT_PRODUCTS.search(str(c["category"]))][:3]
        self.themes = [t for t in (themes or []) if (_num(t.get("mean_rating")) or 0) >= 4][:2]
        self.offer = (offer or "").strip() or None
        self.tone = _tone(tone)

    @property
    def state(self) -> str:
        """recent / cooling / lapsed, from median days since the last purchase."""
        if self.recency is None or self.recency <= 14:
            return "recent"
        return "cooling" if self.recency <= 45 else "lapsed"

    def cats(self, n: int = 2) -> str:
        c = [x.lower() for x in self.categories[:n]]
        if not c:
            return "your favourites"
        return c[0] if len(c) == 1 else ", ".join(c[:-1]) + " and " + c[-1]

    def praise(self) -> str | None:
        """A phrase from a well-rated review theme (``themes`` keeps only those), for social proof — only one
        that reads as natural language (``natural_phrase``): a reviewer wrote those words in that order, they
        are plain words, and the phrase neither starts nor ends on a filler word. Keyword pairs a clusterer
        glued together ("flavor spot") stay out of the copy."""
        for t in self.themes:
            quotes = [str(q.get("text", "")) for q in (t.get("quotes") or []) if isinstance(q, dict)]
            for p in t.get("key_phrases", []):
                if natural_phrase(p, quotes):
                    return p
        return None


_FILLER = {"a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "for", "with", "is", "it", "this", "that",
           "my", "i", "you", "we", "they", "was", "are", "be", "so", "very", "just", "not", "no", "at", "as", "by"}


def natural_phrase(phrase: Any, quotes: list[str]) -> bool:
    """Whether a theme phrase may go into copy as is: two to four plain words (letters, an apostrophe or a
    hyphen), none repeated, not starting or ending on a filler word, and written word for word in one of the
    theme's quotes (so it is something a customer said, not a keyword list)."""
    if not isinstance(phrase, str):
        return False
    words = phrase.strip().lower().split()
    if not 2 <= len(words) <= 4 or len(set(words)) < len(words):
        return False
    if not all(re.fullmatch(r"[a-z][a-z'-]*[a-z]", w) for w in words):
        return False
    if words[0] in _FILLER or words[-1] in _FILLER:
        return False
    pat = re.compile(r"\b" + r"\s+".join(map(re.escape, words)) + r"\b", re.I)
    return any(pat.search(q) for q in quotes)


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _clip(text: str, limit: int) -> str:
    """Shorten at a word boundary (subject lines must not end mid-word)."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,:;—-")


def _offer_line(b: CampaignBrief) -> str:
    if b.offer:
        return f"{b.offer[0].upper()}{b.offer[1:]} on {b.cats(1)} this week."
    return f"New picks in {b.cats(1)} are in." if b.categories else "New picks are in."


def _email(b: CampaignBrief) -> list[dict]:
    w = TONES[b.tone]
    cats, cat1 = b.cats(), b.cats(1)
    praise = b.praise()
    social = f" Shoppers keep mentioning {praise} in their reviews." if praise else ""
    offer = f" {_offer_line(b)}" if b.offer else ""
    cta_offer = "Claim your offer" if b.offer else "Shop now"
    opener = {"recent": w["thanks"], "cooling": f"{w['hello']} — {cat1} restocked", "lapsed": w["miss"]}[b.state]
    # no category known (a file without a products table): phrasings that need none, never "a your favourites"
    known = bool(b.categories)
    v1 = {
        "subject": _clip(f"{opener}: {cats} picked for you" if known else f"{opener}: picked for you", 70)[:78],
        "preheader": (b.offer or (f"Fresh {cat1} and everyday favourites, ready when you are" if known
                                  else "Your everyday favourites, ready when you are"))[:100],
        "body": (f"{w['hello']},\n\nYou often fill your basket with {cats}, so we've put the best of them in one "
                 f"place.{offer}{social}\n\n{w['urge']} and stock up for the week.\n\n{w['sign']}"),
        "cta": cta_offer,
    }
    v2_subject = (f"{b.offer} — just for you" if b.offer else
                  {"recent": f"Your next {cat1} run, sorted", "cooling": f"Time for a {cat1} top-up?",
                   "lapsed": f"Come back to {cat1} you love"}[b.state] if known else
                  {"recent": "Your next shop, sorted", "cooling": "Time for a top-up?",
                   "lapsed": "Come back to the products you love"}[b.state])
    v2 = {
        "subject": _clip(v2_subject, 70)[:78],
        "preheader": (f"Handpicked {cats} for regulars like you" if known else "Handpicked for regulars like you")[:100],
        "body": (f"{w['hello']},\n\n{opener}. Whether it's {cat1} for the weekend or the staples you reach for every "
                 f"week, it's all here.{offer}\n\n{w['urge']}.\n\n{w['sign']}"),
        "cta": "See what's new" if not b.offer else cta_offer,
    }
    v3 = {
        "subject": _clip(f"{praise.capitalize()} — and more {cat1}" if praise else
                         f"Made for your {cats} habit" if known else "Made for the way you shop", 70),
        "preheader": ("Our reviewers said it first" if praise else "A short list, picked from what you buy")[:100],
        "body": (f"{w['hello']},\n\nA quick one: we've lined up {cats} based on what customers like you buy most."
                 f"{social}{offer}\n\n{w['sign']}"),
        "cta": "Browse the picks",
    }
    return [v1, v2, v3]


def _short(b: CampaignBrief, limit: int) -> list[dict]:
    w = TONES[b.tone]
    cat1, cats = b.cats(1), b.cats()
    offer = f" {b.offer}." if b.offer else ""
    texts = [
        f"{w['hello']}! {cats[0].upper() + cats[1:]} picked for you.{offer} {w['urge']}.",
        {"recent": f"{w['thanks']}!", "cooling": f"Time for a {cat1} top-up?" if b.categories else "Time for a top-up?",
         "lapsed": f"{w['miss']}."}[b.state] + f"{offer} {w['urge']}.",
        f"New in {cat1 if b.categories else 'store'}:{offer or ' fresh picks for you.'} {w['sign']}.",
    ]
    out = []
    for t in texts:
        t = " ".join(t.split())
        out.append({"text": t if len(t) <= limit else t[: limit - 1].rstrip() + "…"})
    return out


def offline_variants(brief: CampaignBrief, channel: str) -> list[dict]:
    """Three copy variants for ``channel`` (email: subject/preheader/body/cta; sms/push: text)."""
    if channel == "email":
        return _email(brief)
    return _short(brief, SMS_MAX if channel == "sms" else PUSH_MAX)
