"""Route a question to a tool: nearest example utterances by MiniLM embedding, plus high-precision cues.

The embedding similarity does the heavy lifting across phrasings; the cues (a customer id, the word
"campaign", "by month"...) settle near-ties that embeddings blur. Without models.embeddings (or when the
model cannot load) a token-overlap scorer stands in, and ``Router.method`` says so.
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
from typing import Callable, Sequence

import numpy as np

from .examples import EXAMPLES
from .lexicon import FILLER
from .parsing import NEGATIVE_WORDS, P_AUDIENCE, parse_customer_id, parse_metric

__all__ = ["Router", "cue_scores", "correct_typos", "TOP_N", "MIN_SCORE"]

log = logging.getLogger(__name__)

TOP_N = 3          # mean of the 3 nearest examples per route: one lucky neighbour cannot win alone
MIN_SCORE = 0.30   # below this (and with no cue) the question is out of scope
Embed = Callable[[Sequence[str]], np.ndarray]

_CUES: list[tuple[str, str, float]] = [
    ("write_campaign", r"\b(campaigns?|e-?mails?|sms|text messages?|push|notifications?|newsletters?|copy|"
                       r"subject lines?|promos?|promotions?|mailers?|ads?|slogans?|win-?back|re-?engage\w*|"
                       r"reactivat\w*|blast|message to)\b", 0.30),
    ("segment_audience", r"\b(export|audience|csv|download|members?|customer list|mailing list|target list|"
                         r"who (is|are) in|belong|everyone in|list (the |all )?(customers|people|households) in)\b",
     0.20),
    ("list_segments", r"\b(what|which|list|show|describe|compare|how many)\b.*\bsegments\b|\bsegmentation\b|"
                      r"\bclusters\b|\bcustomer groups\b", 0.15),
    ("predict_buyers", r"\b(will|going to|likely|likeliest|probab\w*|predict\w*|forecast\w*|propensity|expected to|"
                       r"chance)\b.*\b(buy|purchase|order|shop|return|come back|convert)\w*|\blikely (buyers|"
                       r"purchasers|customers)\b|\bbuyers? (this|next)\b", 0.25),
    ("summarize_reviews", r"\b(summar\w*|overall|themes?|rating distribution|average (star )?rating|"
                          r"sentiment|digest|overview of (the )?reviews|how (is|are) .* rated)\b", 0.20),
    ("search_reviews", r"\b(find|search|show|mention\w*|saying|say about|talk\w* about|quotes?|examples?)\b.*"
                       r"\breviews?\b|\breviews?\b.*\b(mention\w*|saying|about)\b", 0.10),
    ("forecast", r"\b(forecast\w*|project(ed|ion|ions)?|outlook|expect\w*|will (we|be|make|sell|get)|going to (be|make|sell|get)|"
                 r"next (week|month|quarter|year)'?s?|coming (weeks|months)|weeks? ahead|months? ahead|upcoming)\b"
                 r".*\b(revenue|sales|turnover|orders|baskets|active customers|how many customers|sell|sold|make)\b|"
                 r"\b(revenue|sales|turnover|orders)\b.*\b(forecast\w*|projected|projection|outlook|next (week|month|"
                 r"quarter|year)|coming (weeks|months)|ahead)\b|"
                 r"\b((how many|number of)\s+(active\s+)?|active\s+)(customers|shoppers|buyers|households)\b.*\b(next "
                 r"(week|month|quarter|year)|coming (weeks|months)|ahead|will (we|there))\b|\bsales forecast\b|\bforecast\b(?!.*\b(buy|purchase|"
                 r"shop|customers? will)\b)", 0.35),
    ("recommend_products", r"\b(recommend\w*|suggest\w*)\b.*\b(products?|items?|(for|to) (customer|household|client|"
                           r"shopper|buyer|member|this segment)|(customer|household|client|shopper|buyer) #?\d+)\b|"
                           r"\b(buy|purchase|order|get|want) next\b(?!\s+(weeks?|months?|quarters?|years?|fortnight|days?|\d|few|couple|"
                           r"\w+ (days|weeks|months)))|\bnext[- ]basket\b|\bproduct (picks|"
                           r"recommendations?)\b|\breorder\b", 0.55),
    ("product_audience", P_AUDIENCE, 0.55),
    ("data_overview", r"\b(revenue|sales|turnover|kpis?|aov|average basket|basket size|repeat rate|"
                      r"best[- ]?sellers?|top (products|categories)|by month|per month|monthly|weekly|"
                      r"by category|how many orders)\b", 0.20),
]


def cue_scores(question: str) -> dict[str, float]:
    """Additive boosts from unambiguous words in the question."""
    t = question.lower()
    out: dict[str, float] = {}
    for route, pat, w in _CUES:
        if re.search(pat, t):
            out[route] = out.get(route, 0.0) + w
    if parse_customer_id(question):
        out["explain_customer"] = out.get("explain_customer", 0.0) + 0.45
    if any(w in t for w in NEGATIVE_WORDS) and "review" in t:
        out["search_reviews"] = out.get("search_reviews", 0.0) + 0.15
    if "review" in t or "feedback" in t or "rating" in t:
        for r in ("search_reviews", "summarize_reviews"):
            out[r] = out.get(r, 0.0) + 0.10
    campaign = re.search(r"\b(campaigns?|e-?mails?|sms|copy|message|newsletter|promo\w*|offer)\b", t)
    if re.search(r"\b(churn\w*|at[- ]risk|slipping away|lapsing|drifting away|gone quiet|overdue|win[- ]?back)\b", t) and not campaign:
        out["at_risk_customers"] = out.get("at_risk_customers", 0.0) + 0.40
    if parse_customer_id(question) and re.search(r"\b(lifetime value|clv|ltv|worth|churn\w*|at[- ]risk|"
                                                 r"p\(alive\)|still (alive|active)|(will|going to|likely to|expected to) "
                                                 r"(\w+ )?spend|spend (next|in the next|over the next|this coming) "
                                                 r"(year|12 months|twelve months))\b", t):
        out.pop("at_risk_customers", None)
        out["customer_value"] = out.get("customer_value", 0.0) + 0.60
    if "forecast" in out and not re.search(r"\b(who|which (customers|shoppers|households|people|clients))\b", t):
        out.pop("predict_buyers", None)  # "forecast orders" is about totals, not about which customers buy
    if parse_metric(question) in ("top_products", "top_categories", "repeat_rate", "average_basket"):
        out["data_overview"] = out.get("data_overview", 0.0) + 0.10
    return out


# words the cues key on, beside the example utterances' own words (the spell-correction vocabulary)
_CUE_WORDS = set("""buy buys purchase purchases order orders shop next recommend recommendations recommended suggest
suggestions products product items customer customers household households client shopper buyer valuable value
lifetime worth churn churning risk lapsing slipping away back win campaign email newsletter segment segments
reviews review rating ratings rated complaints complaining complain praise forecast revenue sales likely predict
prediction probability audience export members percentile median average distribution""".split())
_SHORT_FIXES = re.compile(r"\b(will|wil|to|gonna)\s+((?:[a-z]+\s+)?\#?\d{2,}\s+)?by\b(?!\s+(month|week|day|quarter|"
                          r"year|category|department|brand|store|segment|product|the|a|an|each|every)\b)", re.I)


def correct_typos(question: str, vocab: set[str], keep: set[str] | frozenset = frozenset()) -> str:
    """The question with misspelt words replaced by the nearest word the router knows ("custmer" -> "customer",
    "sugest" -> "suggest", "what will customer 5 by next" -> "... buy next"). Words in ``keep`` (the
    workspace's own names) and words the router already knows are left alone; only the routing text changes."""
    out = _SHORT_FIXES.sub(lambda m: f"{m.group(1)} {m.group(2) or ''}buy", question)

    def fix(m: re.Match) -> str:
        w = m.group(0)
        lw = w.lower()
        if len(lw) < 4 or lw in vocab or lw in keep or lw.rstrip("s") in vocab or lw in FILLER:
            return w
        # a typo keeps its first letter ("custmer", "sugest", "cofee"); "last" is not a typo of "blast"
        near = [c for c in difflib.get_close_matches(lw, vocab, n=3, cutoff=0.85) if c[0] == lw[0]]
        return near[0] if near else w
    return re.sub(r"[A-Za-z]+", fix, out)


def _tokens(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2}


class Router:
    """Scores every route for a question. ``embed`` defaults to models.embeddings.embed (MiniLM)."""

    def __init__(self, embed: Embed | None = None, examples: dict[str, list[str]] | None = None) -> None:
        self.examples = examples or EXAMPLES
        self._embed = embed
        self._matrix: np.ndarray | None = None
        self._labels: list[str] = []
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}
        self.method = "unloaded"
        self.words = {w for utts in self.examples.values() for u in utts for w in re.findall(r"[a-z]+", u.lower())} | \
            _CUE_WORDS

    def _ensure(self) -> None:
        with self._lock:
            if self._matrix is not None or self.method == "keywords":
                return
            if self._embed is None:
                try:
                    from models.embeddings import embed as _e

                    self._embed = _e
                except ImportError as exc:
                    log.warning("models.embeddings missing (%s): routing by keyword overlap instead", exc)
                    self.method = "keywords"
                    return
            texts, labels = [], []
            for route, utts in self.examples.items():
                texts += utts
                labels += [route] * len(utts)
            try:
                self._matrix = np.asarray(self._embed(texts), dtype=np.float32)
            except Exception as exc:  # e.g. the MiniLM package cannot load
                log.warning("embedding model unavailable (%s): routing by keyword overlap instead", exc)
                self.method = "keywords"
                return
            self._labels = labels
            self.method = "embeddings"

    def _similarities(self, question: str) -> dict[str, float]:
        self._ensure()
        if self.method == "keywords":
            q = _tokens(question)
            sims: dict[str, list[float]] = {}
            for route, utts in self.examples.items():
                for u in utts:
                    e = _tokens(u)
                    sims.setdefault(route, []).append(len(q & e) / max(1, len(q | e)))
        else:
            v = self._cache.get(question)
            if v is None:
                v = np.asarray(self._embed([question]), dtype=np.float32)[0]
                if len(self._cache) < 2048:
                    self._cache[question] = v
            scores = self._matrix @ v
            sims = {}
            for lab, s in zip(self._labels, scores):
                sims.setdefault(lab, []).append(float(s))
        return {r: float(np.mean(sorted(v, reverse=True)[:TOP_N])) for r, v in sims.items()}

    def warm(self, questions: Sequence[str]) -> None:
        """Embed many questions in one batch (for evaluation runs); later routing reads the cache."""
        self._ensure()
        if self.method != "embeddings":
            return
        todo = [q for q in dict.fromkeys(questions) if q not in self._cache]
        if todo:
            for q, v in zip(todo, np.asarray(self._embed(todo), dtype=np.float32)):
                self._cache[q] = v

    def scores(self, question: str, masked: str | None = None) -> dict[str, float]:
        """Similarity (on the masked question) plus cue boosts (on the raw question), per route."""
        sims = self._similarities(masked or question)
        for route, boost in cue_scores(question).items():
            sims[route] = sims.get(route, 0.0) + boost
        return sims

    def route(self, question: str, masked: str | None = None) -> tuple[str, float, dict[str, float]]:
        s = self.scores(question, masked)
        best = max(s, key=s.get)
        min_score = MIN_SCORE if self.method == "embeddings" else 0.08
        if s[best] < min_score:
            return "out_of_scope", s[best], s
        return best, s[best], s
