"""Parse an analytics question into the semantic layer's QuerySpec, naming every part it cannot map.

The grammar is the layer's own: metric and dimension phrases (lexicon.py), the workspace's stored values (every
department, category, brand, customer attribute value, campaign, segment), time windows anchored on the last
order date (periods.py), rankings, customer-level thresholds, concentration and shares. Words are first
spell-corrected against that vocabulary (typos such as "revnue" or "catgory"). Whatever the parse cannot place —
data we do not hold, a value that is not in the data, a period outside it, a word that names nothing — is listed
in ``problems`` in plain words; the planner then says so instead of answering a different question.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from .lexicon import (SHORTHAND, CUSTOMER_MEASURES, DIM_PHRASES, FILLER, GROUP_CUES, METRIC_PHRASES, REVIEW_METRICS,
                      REVIEW_WORDS, TIME_DIMS, UNHELD)
from models.analytics.layer import is_non_merchandise

from .periods import MONTH_NAMES, NAMED_PERIOD_WORDS, Window, parse_periods

__all__ = ["Vocab", "QueryParse", "parse_query", "spell_correct", "expand_shorthand"]

_NUMW = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
         "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50, "sixty": 60, "ninety": 90,
         "hundred": 100}
_NUM = r"(\d[\d,]*(?:\.\d+)?|" + "|".join(sorted(_NUMW, key=len, reverse=True)) + r")"
_MASK = "~"


@dataclass
class Vocab:
    """What the workspace's layer offers (from ToolContext.query_vocabulary)."""

    metrics: dict[str, str] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    product_words: frozenset = frozenset()  # words of product names (for "products whose name contains ...")
    _index: dict | None = field(default=None, repr=False)
    _words: set | None = field(default=None, repr=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "Vocab":
        d = d or {}
        ts = lambda v: pd.Timestamp(v) if v else None
        return cls(dict(d.get("metrics") or {}), dict(d.get("dimensions") or {}), dict(d.get("unavailable") or {}),
                   {k: list(v) for k, v in (d.get("values") or {}).items()}, ts(d.get("first_date")),
                   ts(d.get("last_date")), frozenset(d.get("product_words") or ()))

    @property
    def value_index(self) -> dict[str, list[tuple[str, str]]]:
        """normalised value text -> [(dimension, stored value)]."""
        if self._index is None:
            idx: dict[str, list[tuple[str, str]]] = {}
            for dim, vals in self.values.items():
                for v in vals:
                    for key in _value_keys(dim, v):
                        idx.setdefault(key, [])
                        if (dim, v) not in idx[key]:
                            idx[key].append((dim, v))
            self._index = idx
        return self._index

    @property
    def words(self) -> set[str]:
        """Every word the grammar knows (for spell correction)."""
        if self._words is None:
            w = set(FILLER)
            for pat, _ in METRIC_PHRASES + DIM_PHRASES:  # never corrected INTO data we do not hold
                lit = re.findall(r"[a-z]{3,}", pat)
                w.update(lit)
                w.update(x[:-1] for x in lit if x.endswith("s") and len(x) > 3)
            w.update(("lowest", "least", "smallest", "worst", "weakest", "fewest", "slowest", "highest", "most",
                      "biggest", "largest", "best", "strongest", "busiest", "quietest", "peak", "maximum", "minimum",
                      "record", "popular", "leading", "growing", "grew", "growth", "increase", "decline", "dropped",
                      "band", "bracket", "group", "kids", "children", "both", "split", "visit", "visited"))
            for key in self.value_index:
                w.update(x for x in key.split() if len(x) >= 3 and x.isalpha())
            w.update(MONTH_NAMES)
            for pat in _ATTR_WORDS.values():
                w.update(re.findall(r"[a-z]{3,}", pat))
            w.update(("earning", "earnings", "something", "anything", "everything", "aged", "older", "younger",
                      "median", "medians", "quartile", "quartiles", "quantile", "quantiles", "percentile",
                      "percentiles", "decile", "deciles", "distribution", "distributed", "histogram", "spread",
                      "share", "shares", "percentage", "proportion", "fraction", "contribution", "contribute",
                      "concentrated",
                      "concentration", "pareto", "recency", "frequency", "campaign", "campaigns", "coupon", "coupons"))
            w.update(m.replace("_", " ") for m in list(self.metrics) + list(self.dimensions))
            self._words = w
        return self._words


def _norm(text: str) -> str:
    return " ".join(_stem(w) for w in re.sub(r"[^a-z0-9+]+", " ", str(text).lower()).split())


def _stem(w: str) -> str:
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def _value_keys(dim: str, v: str) -> list[str]:
    n = _norm(v)
    keys = [n] if n else []
    if dim == "campaign":
        keys = [f"campaign {n}", f"campaign number {n}", f"campaign id {n}", f"campaign #{n}"]
    elif dim == "campaign_type":
        keys += [n.replace("type ", "type ") + " campaign", n]
    elif re.fullmatch(r"[0-9+ ]+", n or "x"):
        keys = []  # bare numbers only with their attribute's words (parsed separately)
    keys += _SYNONYMS.get((dim, n), [])
    if dim == "household_comp":  # "2 Adults No Kids": "two adults without kids", "2 adults and no children"
        m = re.fullmatch(r"(\d) adult (no )?kid", n)
        if m:
            num = {"1": "one", "2": "two"}.get(m.group(1), m.group(1))
            for a in (m.group(1), num):
                for join in (["without", "with no", "and no", "no"] if m.group(2) else ["with", "and", "with the"]):
                    for kid in ("kid", "child", "children"):
                        keys.append(f"{a} adult {join} {kid}")
    return [_norm(k) for k in keys if len(k) >= 3]


# everyday names of stored values: (dimension, normalised stored value) -> phrases
_SYNONYMS: dict[tuple[str, str], list[str]] = {
    ("brand", "private"): ["private label", "private label brand", "store brand", "own brand", "own label",
                           "house brand", "private brand"],
    ("brand", "national"): ["national brand", "name brand", "branded product", "national label"],
    ("household_comp", "1 adult no kid"): ["single adult", "singles", "single people", "single person household",
                                           "people living alone", "living alone", "single without kid"],
    ("household_comp", "1 adult kid"): ["single parent", "single parents", "single adult with kid",
                                        "single with kid"],
    ("household_comp", "2 adult no kid"): ["couple without kid", "couples without kids", "childless couple",
                                           "couple with no kid"],
    ("household_comp", "2 adult kid"): ["couple with kid", "couples with kids", "two parent", "two parent household"],
    ("department", "fuel"): ["gas", "petrol", "gas station"],
    ("category", "beer ale"): ["beer", "beers", "ale", "ales", "beer and ale"],
    ("category", "soft drink"): ["soda", "sodas", "pop", "fizzy drink", "soft drink"],
    ("department", "produce"): ["fresh produce", "fruit and veg", "fruit and vegetables", "fruits and vegetables"],
    ("age", "65+"): ["pensioners", "pensioner", "seniors", "senior citizens", "retirees", "the elderly", "elderly",
                     "over 65s", "over-65s", "oaps"],
    ("home_ownership", "homeowner"): ["owners", "homeowners", "home owner", "home owners", "own their home", "own their homes",
                                      "own a home", "own their house", "owns their home", "owner occupier"],
    ("home_ownership", "renter"): ["renters", "rent their home", "rent their homes", "renting", "tenants", "tenant"],
}


@dataclass
class QueryParse:
    spec: dict = field(default_factory=dict)
    windows: list[Window] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # plain words: what cannot be answered as asked
    blocking: bool = False      # a problem that leaves no honest query to run
    signals: set[str] = field(default_factory=set)      # what was recognised (compare, filter, rank, ...)
    ignored: list[str] = field(default_factory=list)    # words left over (named in the answer)
    focus: list[tuple[str, str]] = field(default_factory=list)  # (dimension, value) asked about in a share
    corrections: dict = field(default_factory=dict)  # corrected word -> the word as written

    @property
    def confident(self) -> bool:
        return not self.problems and not self.ignored


_SHORT = re.compile(r"(?<![\w/])(" + "|".join(re.escape(k) for k in sorted(SHORTHAND, key=len, reverse=True))
                    + r")(?![\w/])", re.I)
# "more then 2k", "less then 5 orders": the comparative's "than"
_THEN = re.compile(r"\b(more|less|fewer|greater|higher|lower|bigger|smaller|larger|other|rather|better|worse)\s+then\b",
                   re.I)


_AUDIENCE = (r"deck|report|meeting|presentation|slides?|review|update|call|email|boss|manager|ceo|cfo|cmo|team|board|"
             r"stand-?up|huddle|catch-?up|newsletter|memo|summary|dashboard|exec(?:utive)?s?|investors?|client|pitch|"
             r"analysis|planning|budget(?:ing)?|forecast(?:ing)? session|leadership|management|owners?|pack|packs|"
             r"one-?pager|write-?up|recap|wrap-?up")
# a clause naming who the numbers are for ("for the board deck,", "for tomorrow's exec meeting:", ", for my boss?")
_CONTEXT = re.compile(r"(?i)^\s*(?:(?:hey|hi|hello|ok|so|quick (?:one|q|question))[,!:\s-]+)?(?:for|ahead of|before)\s+"
                      r"(?:the|my|our|a|an|this|next|today'?s|tomorrow'?s|monday'?s|friday'?s|weekly|monthly)\s+"
                      r"(?:[\w'-]+\s+){0,3}?(?:" + _AUDIENCE + r")\b\s*(?:[,:;-]+|(?:i|we)\s+(?:need|want|would like)(?:\s+to know)?\b)|[,;-]\s*(?:for|ahead of)\s+"
                      r"(?:the|my|our|a|an|this|next|today'?s|tomorrow'?s)\s+(?:[\w'-]+\s+){0,3}?(?:" + _AUDIENCE +
                      r")\b\s*(?=[?.!]*\s*$)|[?.!,;-]\s*(?:i\s+)?need\s+(?:it|this|these|them|the numbers?)\s+for\s+(?:the|my|our|a|an|"
                      r"this|next|today'?s|tomorrow'?s)\s+(?:[\w'-]+\s+){0,3}?(?:" + _AUDIENCE + r")\b\s*[?.!]*\s*$")
_NT = re.compile(r"\b(have|has|had|did|do|does|was|were|is|are|could|would|should)nt\b", re.I)
_NUMBER_ONE = re.compile(r"(?<![\w#])(?:#\s?1|no\.?\s?1|number one|number 1)(?![\w%])", re.I)


def expand_shorthand(q: str) -> str:
    """Chat shorthand ("hw much did we make last wk", "ppl", "dept") to words, "more then" to "more than",
    "havent" / "didnt" to "have not" / "did not", "our #1 product" to "our top 1 product"."""
    q = _SHORT.sub(lambda m: SHORTHAND[m.group(1).lower()], str(q))
    q = _NT.sub(lambda m: f"{m.group(1)} not", q)
    q = re.sub(r"(?i)\bwont\b", "will not", q)
    q = _NUMBER_ONE.sub("top 1", q)
    return _THEN.sub(lambda m: f"{m.group(1)} than", q)


def spell_correct(q: str, vocab: Vocab, corrections: dict | None = None) -> str:
    """Replace unknown words by the closest grammar word (same length class); others are left as written."""
    words = vocab.words
    keep = _KNOWN_UNHELD | NAMED_PERIOD_WORDS | vocab.product_words | _STATE_WORDS  # known: never corrected

    def fix(m: re.Match) -> str:
        w = m.group(0)
        lw = w.lower()
        if len(lw) < 4 or lw in words or _stem(lw) in words or lw.rstrip("s") in words or lw in keep:
            return w
        base = re.sub(r"(ed|ing|es)$", "", lw)
        if base != lw and len(base) >= 4 and (base in words or base + "e" in words):
            return w  # an inflection of a known word ("reached", "redeeming"): not a typo
        cutoff = 0.86 if len(lw) <= 5 else 0.8
        hit = [h for h in difflib.get_close_matches(lw, words, n=3, cutoff=cutoff) if h[0] == lw[0]]
        if hit and corrections is not None:
            corrections[hit[0]] = lw
        return hit[0] if hit else w

    return re.sub(r"[A-Za-z]+", fix, q)


_KNOWN_UNHELD = {w for pat, _ in UNHELD for w in re.findall(r"[a-z]{3,}", pat)}
_STATE_WORDS = {"lapsed", "lapsing", "dormant", "churned", "inactive", "spenders", "spender", "buying", "making",
                "selling", "shopping", "earning", "often", "chunk"}
_KNOWN_UNHELD |= {w[:-1] for w in _KNOWN_UNHELD if w.endswith("s")} | {
    "weather", "probability", "probabilities", "likely", "slipping", "paris", "london", "business", "company"}


class _Text:
    """The question in lower case with consumed spans masked (positions stay aligned)."""

    def __init__(self, q: str) -> None:
        self.raw = q.lower().replace("’", "'")
        self.work = self.raw

    def take(self, span: tuple[int, int]) -> None:
        a, b = span
        self.work = self.work[:a] + _MASK * (b - a) + self.work[b:]

    def search(self, pat: str, start: int = 0):
        return re.search(pat, self.work[start:]) if not start else re.compile(pat).search(self.work, start)

    def finditer(self, pat: str):
        return list(re.finditer(pat, self.work))

    def left(self) -> list[str]:
        words = re.findall(r"[a-z][a-z']+", re.sub(r"[^a-z' ]", " ", self.work))
        return [re.sub(r"'(s|re|ve|d|ll|m)?$", "", w) for w in words]


def _n(tok: str) -> float:
    tok = tok.replace(",", "")
    return float(tok) if re.fullmatch(r"\d+(\.\d+)?", tok) else float(_NUMW[tok])


def _int(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def parse_query(question: str, vocab: Vocab) -> QueryParse:
    """The QuerySpec dict for ``question`` plus what could not be mapped."""
    out = QueryParse()
    q = re.sub(r"(?i)n[’']t\b", " not", str(question))
    q = re.sub(r"(?<!\d)\s*%\s+of\b|^\s*%\s+of\b", " percent of", q)  # "what % of shoppers", not "20% of"
    # attribute numbers in the forms the attribute parser reads: "3 or more kids" -> "3+ kids", "customers under 35"
    # / "younger than 35" -> "aged under 35" (a two-digit number after a customer word, not money or a count)
    q = re.sub(r"(?i)\b(?:at least\s+)?(\d+)\s+or\s+more\s+(kids|children|child|adults|members|people|persons)\b",
               r"\1+ \2", q)
    q = re.sub(r"(?i)\bat least\s+(\d+)\s+(kids|children|adults|members|people|persons)\b", r"\1+ \2", q)
    q = re.sub(r"(?i)\b(customers|households|shoppers|people|buyers|clients|ones)\s+(?:aged\s+|who are\s+|that are\s+)?"
               r"(under|over|below|above|younger than|older than)\s+([1-9]\d)\b(?!\s*(?:k\b|%|\$|dollars|orders|items|"
               r"days|weeks|months|visits|trips|times|purchases))",
               lambda m: f"{m.group(1)} aged {'under' if m.group(2) in ('under', 'below', 'younger than') else 'over'} "
                         f"{m.group(3)}", q)
    q = re.sub(r"(?i)\b(?:hand(?:ed|ing)?|gave|give|given|giving|dish(?:ed)?|pass(?:ed)?)\s+(?:out|away)\b", "gave", q)
    q = re.sub(r"(?i)\s*\(\s*\$\s*\)|\b(?:in|as)\s+(?:dollars|usd|\$|money terms|value terms|value)\b", " ", q)  # a unit
    q = re.sub(r"(?i)\b(?:home ?owner(?:ship)?|owner|renter|housing|tenure)\s+status\b", "home ownership", q)
    q = re.sub(r"(?i)\bfortnights?\b", lambda m: "2 weeks", q)  # "the last fortnight"
    q = _CONTEXT.sub(" ", q)  # "for the board deck, ...", "..., for my boss": who the number is for, not a filter
    q = re.sub(r"(?i)\b(category|department|dept|brand|store|month|week|quarter|product|segment|region)-wise\b",
               r"by \1", q)  # "category-wise"
    q = re.sub(r"(?i)\b(\d+(?:\.\d+)?\s*k?)\s+(?:plus|and up|and above|or above)\b", r"\1+", q)  # "100k plus"
    q = re.sub(r"(?i)(?<![\w.])(\$?\d[\d,]*(?:\.\d+)?\s*k?)\s+or\s+(more|above|over|higher|greater|less|under|below|"
               r"fewer|lower)\b", lambda m: ("at least " if m.group(2).lower() in ("more", "above", "over", "higher",
                                                                                  "greater") else "at most ")
               + m.group(1), q)  # "$1k or more" = at least $1k
    rich = re.search(r"(?i)\b(high[- ](?:earners?|earning|income|incomes)|affluent|wealthy|well[- ]off|better[- ]off|"
                     r"low[- ](?:earners?|earning|income|incomes)|lower[- ]income)\b(?:\s+(?:customers|households|"
                     r"shoppers|people|families|buyers))?(?:\s*\(?\s*(\$?\d+\s*k?)\s*\+?\s*\)?)?", q)
    if rich:  # "high earners": an income band we choose, said so (a number beside it wins: "high earners (100k+)")
        low = rich.group(1).lower().startswith("low")
        amount = (rich.group(2) or ("35k" if low else "100k")).replace(" ", "")
        q = q[:rich.start()] + f"customers earning {'under' if low else 'over'} {amount}" + q[rich.end():]
        out.problems.append(f"I read \"{rich.group(1)}\" as household income {'under' if low else 'over'} {amount}")
    q = re.sub(r"(?i)\bno\.\s*of\b|#\s*of\b", "number of", q)  # "no. of shoppers", "# of orders"
    q = re.sub(r"(?i)\bsingle\s+(?=(?:biggest|largest|best|highest|most|top|busiest|worst|lowest|smallest)\b)", "", q)
    q = re.sub(r"(?i)\blifetime\s+(spend|spending|revenue|sales|value of orders)\b", r"total \1", q)
    # "which age bracket do most of our customers fall into": the band with the most customers
    q = re.sub(r"(?i)\bwhich\s+([a-z ]{2,30}?)\s+(?:do|does)\s+(?:the\s+)?most\s+(?:of\s+)?(?:our\s+|the\s+|my\s+)?"
               r"(customers|households|shoppers|buyers)\s+(?:fall|fit|sit|belong|come)\s+(?:into|in|to|from)\b",
               r"which \1 has the most \2", q)
    q = re.sub(r"(?i)\bwhich\s+([a-z ]{2,30}?)\s+do\s+we\s+have\s+(?:the\s+)?most\s+of\b", r"which \1 has the most", q)
    q = re.sub(r"(?i)\s*,?\s*\brather than\s+(?:owning|renting|buying|being \w+|\w+ing)\b", "", q)  # the other group
    q = re.sub(r"(?i)\bper\s+(customer|household|shopper|buyer)s\b", r"per \1", q)  # "rev per cust" (shorthand)
    q = re.sub(r"(?i)\bhave\s+we\s+(?:run|ran|had|done|launched)\s+the\s+most\s+campaigns(?:\s+of)?\b",
               "has the most campaigns", q)  # "which campaign type have we run the most campaigns of"
    q = re.sub(r"(?i)\bamong\s+(?:the\s+|our\s+|all\s+)?(.{1,30}?)\s+campaigns?\s*,?\s+which\s+(?:one|campaign)\b",
               r"which campaign of \1", q)  # "among the type A campaigns, which one got the most redemptions"
    if re.search(r"(?i)\bcoupons?\b", q):  # "when a coupon is used, how much does it take off the basket on average"
        q = re.sub(r"(?i)\bhow much\s+(?:does|do|did)\s+(?:it|they|a coupon|coupons|the coupon)\s+(?:take|knock|shave|save)"
                   r"\s+off(?:\s+(?:the|a|each|an average|your))?\s*(?:basket|order|bill|shop|trip|transaction)?\b",
                   "average coupon discount per order where a coupon was used", q)
    # "leave fuel out of the total", "leaving cigarettes aside", "if you take fuel out": an exclusion
    q = re.sub(r"(?i)\b(?:if\s+(?:we|you)\s+)?(?:take|taking|took|leave|leaving|left|strip|stripping|put|putting|set|"
               r"setting)\s+(?:the\s+)?([a-z][\w/&' -]{1,30}?)\s+(?:out|aside|to one side)(?:\s+of\s+(?:the\s+)?(?:total|"
               r"numbers|figures|it))?\b", r"excluding \1", q)
    # verbs for bringing in money: "rings up", "pulled in", "rake in"
    q = re.sub(r"(?i)\b(?:ring|rings|rang|ringing|rung)\s+up\b|\b(?:pull|pulls|pulled|pulling|rake|rakes|raked|raking)\s+in\b",
               "generate", q)
    q = re.sub(r"(?i)\b(?:get|make|earn|charge|receive)\s+per\s+unit\b", "price per unit", q)
    q = re.sub(r"(?i)\b(?:people|customers|households|shoppers|buyers)\s+who\s+first\s+(?:shopped|bought|ordered|purchased)"
               r"(?:\s+with\s+us)?(?:\s+(?:during|in)\s+(?:that|the same|this)\s+(?:quarter|month|week|year|period))?",
               "new customers", q)  # "revenue from people who first shopped with us during that quarter"
    q = re.sub(r"(?i)\b(?:the\s+)?(?:start|beginning)\s+of\s+(?=(?:january|february|march|april|may|june|july|august|"
               r"september|october|november|december|q[1-4]|20\d\d)\b)", "", q)  # "since the start of april"
    q = re.sub(r"(?i)\b(?:one|1)\s+single\s+(order|purchase|visit|trip|basket|transaction)", r"one \1", q)
    q = re.sub(r"(?i)\bonly\s+ever\b", "only", q)
    q = re.sub(r"(?i)\b(?:on|for)\s+an?\s+(?:average|typical|normal|usual)\s+(day|week|month)\b", r"per \1 on average", q)
    q = re.sub(r"(?i)\b(one|only once|just once|one order|a single order)(.{0,40}?)\s*,?\s*and\s+(?:never|didn't|did not)\s+"
               r"(?:came|come|return(?:ed)?)(?:\s+back)?\b", r"\1\2", q)  # "placed one order and never came back"
    q = re.sub(r"(?i)\b(two|three|four|five|six|seven|eight|nine|ten)\s+or\s+more\s+(kids|children|adults|members|people|"
               r"persons)\b", lambda m: f"{_NUMW[m.group(1).lower()]}+ {m.group(2)}", q)
    q = re.sub(r"(?i)\b(?:punters|patrons)\b", "customers", q)  # British / trade slang for shoppers
    # "shoppers from Q3 who didn't come back in Q4": bought in Q3 but did not buy in Q4
    q = re.sub(r"(?i)\b(customers|shoppers|households|buyers|people|clients)\s+from\s+(?=(?:the\s+)?(?:q[1-4]|h[12]|last|"
               r"this|first|second|january|february|march|april|may|june|july|august|september|october|november|"
               r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|\d{4})\b)", r"\1 who bought in ", q)
    q = re.sub(r"(?i)\b(?:who|that)\s+(?:did not|didn't|have not|haven't|has not|hasn't|never|did n't)\s+(?:come|came)\s+"
               r"back\b|\b(?:who|that)\s+(?:did not|didn't|have not|haven't|never)\s+(?:return(?:ed)?|shop(?:ped)? (?:with us )?"
               r"again|buy again|bought again|reorder(?:ed)?)\b", "but did not buy", q)
    # comparative phrasings to the canonical words the parse reads: "worth the most per household" = the highest
    # revenue per household; "shops most often" = the most orders per customer; "bought the most items" = units
    q = re.sub(r"(?i)\b(?:is|are|was|were)?\s*worth\s+(?:the\s+)?(most|least)\b",
               lambda m: f" has the {'highest' if m.group(1).lower() == 'most' else 'lowest'} revenue", q)
    q = re.sub(r"(?i)\b(?:shops?|shopped|orders?|ordered|buys?|comes? in|comes? back|visits?|visited)\s+(?:the\s+)?"
               r"(most|least)\s+(?:often|frequently)\b|\b(?:is|are)\s+(?:the\s+)?(most|least)\s+frequent\b",
               lambda m: f"has the {'highest' if (m.group(1) or m.group(2)).lower() == 'most' else 'lowest'} orders "
                         f"per customer", q)
    q = re.sub(r"(?i)\b(bought|buys?|purchased|buying)\s+(the\s+)?(most|fewest|least)\s+(?:items|things|stuff)\b",
               r"\1 \2\3 units", q)
    q = re.sub(r"(?i)\b(?:what'?s|what is|what was|name)\s+the\s+(product|item|brand|category|department|store)\s+"
               r"(?:that\s+)?the\s+(most|fewest)\b", r"which \1 do the \2", q)
    q = re.sub(r"(?i)\b(?:a\s+)?(tenner|fiver|grand)\b",
               lambda m: {"tenner": "$10", "fiver": "$5", "grand": "$1000"}[m.group(1).lower()], q)
    q = re.sub(r"(?i)\b(colo)u(rs?)\b|\b(flavo)u(rs?)\b|\b(yog)h(urts?)\b|\b(jewel)le(ry)\b|\b(cent)re(s?)\b",
               lambda m: "".join(g for g in m.groups() if g), q)  # British spellings of product words
    q = re.sub(r"(?i)\b(?:analy[sz]e|analy[sz]ing|break ?down)\b", "show", q)
    q = re.sub(r"(?i)\b(day|week|month|quarter|year)\s+(?:on|by|to)\s+\1\b", r"by \1", q)  # "month on month"
    q = spell_correct(q, vocab, out.corrections)
    tx = _Text(q)
    spec: dict[str, Any] = {}
    _unheld(tx, out)
    m = tx.search(r"\b(?:products|items|skus|things)\s+(?:that\s+|which\s+)?(?:cost|costs|costing|priced|are priced|sell for|"
                  r"selling for|sold for)\s+(?:at\s+)?(?:more than|over|above|less than|under|below|at least|at most)\b")
    if m:  # a condition on a product's own price: nothing stores one
        _cannot(tx, out, (m.start(), len(tx.work)), "I can't filter products by their price: a product's price is not "
                "stored, only what each basket paid. The closest I can answer: the average price per unit by product "
                "or category (\"average price per unit by category\")", unheld=True)
    _customer_conditions(tx, spec, out)  # "no purchase in the past 30 days" is a threshold, not a window
    m = tx.search(r"\b(?:in|during)\s+(?:each|every|all)(?:\s+(?:single|one))?(?:\s+of\s+the)?\s+(month|week|quarter|day)s?\b")
    if not m:  # "customers who bought coffee every month"
        m = tx.search(r"\b" + _BUY_VERB + r"\b(?:[^?]{0,40}?)\b(?:each|every)\s+(?:single\s+)?(month|week|quarter|day)\b")
    if m and re.search(r"\b(customers|households|shoppers|buyers|people|clients|who)\b", tx.raw):
        _cannot(tx, out, m.span(), f"I can't count customers who bought in every {m.group(1)} (one condition per "
                f"{m.group(1)}); I can give the customers of each {m.group(1)}, or customers with at least N orders")
    m = tx.search(r"\b(?:customers|households|shoppers|people|ones)?\s*(?:we|that we|who were|that were|who we)?\s*"
                  r"(?:targeted|reached|contacted|mailed|sent campaigns to)\b[^?]{0,60}?\b(?:vs\.?|versus|than|or|and|"
                  r"compared (?:to|with))\s+(?:the\s+)?(?:ones|those|customers|households|people|shoppers)?\s*(?:we|who|that)?\s*"
                  r"(?:did not|didn't|were not|weren't|never|not|have not)(?:\s+(?:targeted|reach|target|contact|reached))?\b|"
                  r"\b(?:targeted|reached)\s+(?:vs\.?|versus|or|and)\s+(?:un-?targeted|non-?targeted|not targeted)\b")
    if m and "targeted" in (vocab.dimensions or {"targeted": 1}):
        spec["_by_targeted"] = True
        tx.take(m.span())
        for mm in tx.finditer(r"\bwith\s+(?:a\s+|any\s+|our\s+)?campaigns?\b|\bcampaigns?\b"):
            tx.take(mm.span())
    _average_per(tx, vocab, spec)  # "average weekly revenue", "orders per day on average"
    m = tx.search(r"\b(?:did not|do not|does not|have not|has not|never|not)\s+(?:ever\s+)?(?:redeem\w*|use[ds]?|used|using)\s+"
                  r"(?:any\s+|a\s+|one\s+|their\s+)?(?:coupons?|vouchers?)\b|\b(?:did not|do not|does not|have not|"
                  r"has not|never)\s+(?:ever\s+)?redeem\w*(?:\s+(?:anything|any|one|them|it))?\b")
    pos = tx.search(r"\b(?:people|customers|households|shoppers|buyers|those|ones)\s+(?:who|that)(?:'ve|\s+have|\s+had)?\s+"
                    r"(?:ever\s+)?(?:redeemed|used)\s+(?:at least one|one or more|a|any|some)?\s*(?:coupons?|vouchers?)\b|"
                    r"\b(?:coupon\s+)?redeemers\b")
    two_groups = re.search(r"\b(?:vs\.?|versus|than|compared|against)\b", tx.raw)  # read below as a comparison
    if pos and not m and re.search(r"\b(spend|spent|revenue|sales|baskets?|orders?|worth|value|bring|brought|buy|bought|"
                                   r"units)\b", tx.raw) and _offers(vocab, "redeemer") and not two_groups:
        # "total spend of people who've redeemed a coupon": the redeemers' revenue, not the Coupon department
        _group_filter(tx, spec, out, pos.span(), "redeemer", "Redeemed a coupon")
    m_demo = tx.search(r"\b(?:missing|no|without|lack(?:ing|s)?|do not have|don't have|have no|unknown|not recorded)\s+"
                       r"(?:any\s+)?(?:demographics?|household (?:data|info|information|details|attributes|profiles?)|"
                       r"profile data)(?:\s+(?:info|information|data|details|on file|records?|rows?|for))*\b|"
                       r"\bdemographics?\s+(?:info\s+|information\s+|data\s+)?(?:is\s+|are\s+)?(?:missing|unknown|not "
                       r"recorded|blank|empty)\b")
    if m_demo and _offers(vocab, "demographics"):
        # "how many households are we missing demographic info for": no household attribute recorded
        _group_filter(tx, spec, out, m_demo.span(), "demographics", "Not recorded")
    untargeted = None if two_groups else tx.search(
        r"\b(?:who|that)\s+(?:were|was|have|has|had)\s+(?:never|not)\s+(?:been\s+)?(?:in|part of|included in|targeted by|"
        r"reached by|sent|on)\s+(?:any|a)\s+campaigns?\b|\b(?:never|not)[- ]targeted\b|\buntargeted\b")
    if untargeted and _offers(vocab, "targeted"):
        # "revenue from customers who were never in any campaign": the customers no campaign targeted
        _group_filter(tx, spec, out, untargeted.span(), "targeted", "Not targeted")
    vs = tx.search(r"\b(?P<a>(?:coupon\s+)?(?:redeemers|redeeming (?:customers|households|shoppers)|(?:customers|households|"
                   r"shoppers|people|those|ones|household|customer|shopper)\s+(?:(?:who|that)\s+)?(?:have\s+|had\s+|ever\s+)?redeemed(?:\s+(?:a\s+|any\s+|their\s+|at least one\s+|one or more\s+)?"
                   r"(?:coupons?|vouchers?))?))\b[^?]{0,60}?\b(?P<b>(?:vs\.?|versus|than|or|and|compared (?:to|with)|against)\s+"
                   r"(?:the\s+)?(?:non-?\s?redeemers|(?:people|customers|households|shoppers|those|ones|one|a household|a customer)?\s*(?:who|that)?\s*"
                   r"(?:never|did not|do not|have not|not)(?:\s+(?:ever\s+)?(?:redeem\w*|did))?)(?:\s+(?:a\s+|any\s+|one\s+)?"
                   r"(?:coupons?|vouchers?)|\s+(?:one|any|anything|them|it)\b)?)")
    if vs and _offers(vocab, "redeemer"):
        spec["_by_redeemer"] = True  # "redeemers vs non-redeemers": two groups of customers side by side
        tx.take(vs.span("a"))
        tx.take(vs.span("b"))
    elif m and _offers(vocab, "redeemer"):
        # "households that didn't redeem any coupons": the complement of the redeemers, not a product word
        _group_filter(tx, spec, out, m.span(), "redeemer", "Never redeemed")
    elif m:
        _cannot(tx, out, m.span(), "I can't count the customers who did not redeem a coupon here: this workspace has "
                "no coupon redemptions by customer", unheld=True)
    sets = _purchase_sets(tx, vocab, out)  # "bought in Q2 but not in Q3", "bought both coffee and tea"
    excluded = _exclusions(tx, vocab, out)  # "revenue by category excluding fuel"
    _periods(tx, vocab, spec, out)
    _growth_in_one_period(tx, vocab, spec, out)
    _distribution(tx, spec, out)
    _customer_rank(tx, spec, out)
    _rank(tx, spec, out)
    filters: dict[str, list[str]] = {}
    _ids(tx, vocab, filters, out)  # "store 323", "campaign 18", "campaign #999"
    _match_values(tx, vocab, filters, min_words=2)  # "Loyal high-spend weekly regulars" before "spend" is a metric
    metrics = _metrics(tx, vocab, out)
    if not metrics and (not vocab.metrics or "campaigns" in vocab.metrics) and re.search(
            r"\b(how many|number of|count of|count the)\s+(?:[\w-]+\s+){0,3}?campaigns\b", tx.raw):
        metrics = ["campaigns"]  # "how many Type A campaigns": the value took the word "campaigns" with it
    if set(metrics) & {"campaigns", "campaign_days", "campaign_reach"}:  # "campaigns live in november": running
        for m in tx.finditer(r"\b(live|running|active|ran|run|in market|going on|on air|out)\b"):
            tx.take(m.span())
    if set(metrics) & {"coupon_redemptions", "redeeming_customers", "coupon_redemption_rate", "campaign_reach",
                       "customer_redemption_rate", "coupon_discount", "campaigns", "coupon_discount_per_coupon_order",
                       "orders_with_coupon", "coupon_order_share", "coupon_order_revenue", "coupon_order_revenue_share",
                       "all_discounts"}:
        for m in tx.finditer(r"\b(coupons?|vouchers?)\b"):  # "of our coupons": the subject, not the Coupon department
            tx.take(m.span())
    if "share_negative" in metrics and re.search(r"\b(1|one)[- ]?stars?\b", tx.raw) and \
            not re.search(r"\b(2|two)[- ]?stars?\b|1[- ](or|and|to)[- ]2|one or two", tx.raw):
        out.problems.append("the share of negative reviews counts 1- and 2-star reviews together (a 1-star-only "
                            "share is not a metric here)")
    if not metrics and re.match(r"\s*(?:customers|households|shoppers|buyers|active customers)\b(?=\s+(?:in|during|for|by|"
                                r"per|last|this|over|from|on|vs|versus|q[1-4]|each|every)\b)", tx.raw) and \
            (not vocab.metrics or "customers" in vocab.metrics):
        metrics = ["customers"]  # "customers in december vs november"
    implied = spec.pop("_metric", None)
    if implied and not metrics and (not vocab.metrics or implied in vocab.metrics):
        metrics = [implied]
    _share(tx, spec, out)
    _values(tx, vocab, spec, out, filters)
    if excluded:
        spec["filters"] = list(spec.get("filters") or []) + excluded
    _unknown_named(tx, vocab, out, spec)
    by = _dims(tx, vocab, spec, out)
    if "weekday" in by and "day" in by:  # "revenue by weekday ... the strongest day": the weekday
        by = [d for d in by if d != "day"]
    if spec.pop("_by_day_type", None):
        by = ["day_type"] + [d for d in by if d not in ("weekday", "day_type")]
    if len(by) == 1 and ("top" in spec or "superlative" in out.signals) and "compare" not in spec and \
            re.search(r"\b(?:in|for|within)\s+each\s+of\b|\beach of\b", tx.raw):
        multi = [f for f in spec.get("filters") or [] if f.get("op") in ("in",) and f["dimension"] not in by]
        if multi:  # "the top category in each of grocery, produce and meat": one ranking per named value
            by = by + [multi[0]["dimension"]]
    if len(by) == 2 and ("top" in spec or "superlative" in out.signals) and "compare" not in spec:
        # "top selling product in each department": the first N within each value of the other dimension
        for d in by:
            if re.search(r"\b(?:in|for|within|of|across)\s+(?:each|every|all)\s+(?:of\s+the\s+)?" + _dim_pat(d) +
                         r"|\b(?:per|by|each)\s+" + _dim_pat(d), tx.raw) or (
                    d == by[-1] and re.search(r"\beach of\b", tx.raw)):
                spec["top_per"] = d
                spec.setdefault("top", 1)
                by = [x for x in by if x != d] + [d]
                break
    if spec.get("average_per") in by:
        by = [d for d in by if d != spec["average_per"]]
    campaign_metrics = {"campaigns", "campaign_days", "campaign_reach", "coupon_redemption_rate",
                        "customer_redemption_rate", "coupon_redemptions", "redeeming_customers"}
    if set(metrics) & campaign_metrics and "campaign_type" not in by and \
            (not vocab.dimensions or "campaign_type" in vocab.dimensions):
        m = tx.search(r"\b(?:by|per|each|every|for each|which|what)\s+types?\b")
        if m:  # "average campaign length by type": the campaign type
            by = ["campaign_type"] + by
            tx.take(m.span())
    if spec.get("_by_redeemer") or spec.get("_by_targeted"):
        out.signals.add("compare")  # two groups of customers side by side: numbers, never campaign copy
    if spec.pop("_by_redeemer", None):
        by = ["redeemer"] + [d for d in by if d != "redeemer"]
        metrics = [x for x in metrics if x not in ("redeeming_customers", "coupon_redemptions")] or ["customers"]
    if spec.pop("_by_targeted", None):
        by = ["targeted"] + [d for d in by if d not in ("targeted", "campaign")]
    if spec.pop("_by_customer", None):
        if metrics and "revenue" not in metrics and re.search(r"\b(?:and|with|plus)\s+(?:their|its|the)\s+", tx.raw) \
                and (not vocab.metrics or "revenue" in vocab.metrics):
            metrics = ["revenue"] + metrics  # "top 10 customers and their order counts": ranked by spend, orders beside
        if "customer" in vocab.dimensions or not vocab.dimensions:
            by = ["customer"] + [d for d in by if d != "customer"][:1]
        else:
            out.problems.append("I can't rank single customers here: this workspace's layer has no customer "
                                "dimension")
            out.blocking = True
    if not metrics and "unheld" in out.signals:
        out.blocking = True  # the thing asked for is data we do not hold
    if metrics:
        out.signals.add("metric")
    cust_dims = set(vocab.values) - {"department", "category", "brand", "campaign", "campaign_type", "segment"}
    counting = re.search(r"\b(how many|number of|count of|count the)\b", tx.raw)
    if not metrics:
        if "customer_conditions" in spec or "inactive_days" in spec or sets or (counting and any(
                f["dimension"] in cust_dims for f in spec.get("filters") or [])):
            metrics = ["customers"]
        elif "concentration" in spec:
            metrics = [spec["concentration"].get("measure", "revenue")]
        elif re.search(r"\bcampaigns?\b", tx.raw) and re.search(r"\b(perform\w*|performance|results?|do|doing|did|"
                                                                 r"go|went|work\w*|effective\w*)\b", tx.raw) and \
                all(m in (vocab.metrics or {"campaign_reach", "customer_redemption_rate"})
                    for m in ("campaign_reach", "customer_redemption_rate")) and \
                (any(f["dimension"] in ("campaign", "campaign_type") for f in spec.get("filters") or [])
                 or filters.get("campaign") or filters.get("campaign_type")
                 or re.search(r"\b(each|every|by|per|which|what|all|our)\s+(campaign|campaign type)s?\b", tx.raw)):
            # "how did campaign 18 perform": its reach and how many of the targeted redeemed
            metrics = ["customer_redemption_rate", "campaign_reach", "coupon_redemption_rate"]
        elif set(by) & {"campaign", "campaign_type"} and "campaign_reach" in (vocab.metrics or {"campaign_reach"}):
            metrics = ["campaign_reach"]  # "which campaigns launched in March": the campaigns (with their reach)
        else:
            metrics = ["revenue"]
    if metrics == ["revenue"] and not {"distribution", "concentration"} & set(spec) and "customer" not in by:
        # "per customer, how much do redeemers spend", "spend more per order": the per-head / per-basket average
        per = re.search(r"\b(?:per|each|a|an average)\s+(?:(?P<c>customer|household|shopper|buyer|head|person|client)|"
                        r"(?P<o>order|basket|visit|trip|transaction))\b", tx.raw)
        if per:  # read on the raw text: a two-group comparison ("targeted ... than ...") took its middle words
            name = "revenue_per_customer" if per.group("c") else "avg_basket"
            if not vocab.metrics or name in vocab.metrics:
                metrics = [name]
                tx.take(per.span())
    spec["metrics"] = metrics
    if by:
        spec["by"] = by
    if sets:
        _attach_sets(sets, spec, out)
    _from_new_customers(tx, spec, out)
    if spec["metrics"] == ["customers"] and not spec.get("by") and (not vocab.dimensions or "customer" in
                                                                     vocab.dimensions) and \
            any(spec.get(k) for k in ("customer_conditions", "purchase_conditions", "inactive_days")) and \
            _LIST_WHO.search(tx.raw) and "revenue" in (vocab.metrics or ["revenue"]):
        # "list the customers who ...", "which households haven't bought since October": the people, not a count
        spec["metrics"], spec["by"], spec["sort"] = ["revenue", "orders"], ["customer"], "revenue"
        by = spec["by"]
        out.signals.add("customer_list")
    if spec.get("share_of_total") and not spec.get("by") and spec["metrics"][:1] in (["new_customers"],
                                                                                  ["returning_customers"]):
        share = spec["metrics"][0].replace("customers", "customer_share")  # "what % of March's shoppers were new"
        if not vocab.metrics or share in vocab.metrics:
            spec["metrics"] = [share] + spec["metrics"]
            spec.pop("share_of_total")
    if spec.get("share_of_total") and not spec.get("by") and spec["metrics"][:1] in (["orders_with_coupon"],
                                                                                  ["orders_with_discount"]):
        share = {"orders_with_coupon": "coupon_order_share", "orders_with_discount": "discount_order_share"}[
            spec["metrics"][0]]  # "what percent of orders had a coupon": the share of all orders
        if not vocab.metrics or share in vocab.metrics:
            spec["metrics"] = [share] + spec["metrics"]
            spec.pop("share_of_total")
    _campaign_started(tx, vocab, spec, out)
    _finish(tx, vocab, spec, out)
    out.spec = spec
    # on a review metric the words naming what is measured ("the mean star rating of our reviews") are not filters
    on_reviews = FILLER | (REVIEW_WORDS if set(metrics) & REVIEW_METRICS else set())
    out.ignored = [w for w in tx.left() if w not in on_reviews and _stem(w) not in on_reviews and len(w) > 2
                   and w not in MONTH_NAMES and not _is_dim_word(w)]
    _product_names(tx, vocab, spec, out)
    # a number nothing consumed ("spent more then 2k" when the threshold was not read) is part of the question
    # left unanswered: name it rather than answer without it
    out.ignored += [m.group(0).strip() for m in re.finditer(r"(?<![\w~.])\$?\d[\d,]*(?:\.\d+)?(?:\s*(?:k|m)\b|%)?"
                                                            r"(?![\w~])", tx.work)]
    out.ignored = [out.corrections.get(w, w) for w in out.ignored]  # name the user's own words
    return out


_STARTED = re.compile(r"\b(?P<s>start(?:ed|ing|s)?|began|begin(?:s|ning)?|begun|launch(?:ed|es|ing)?|kick(?:ed|s)? off|"
                      r"went live|go(?:es)? live)|(?P<e>end(?:ed|ing|s)?|finish(?:ed|es|ing)?|wrapped up|closed)\b")


def _campaign_started(tx: _Text, vocab: Vocab, spec: dict, out: QueryParse) -> None:
    """"campaigns that started in Q2": the window is a range on the campaigns' start (or end) day, not the
    campaigns running then (a campaign counts in a window it overlaps)."""
    if len(out.windows) != 1 or spec.get("compare") or "start" not in spec or \
            not spec.get("metrics") or spec["metrics"][0] not in ("campaigns", "campaign_reach"):
        return
    m = _STARTED.search(tx.raw)
    dim = "campaign_start" if m and m.group("s") else "campaign_end"
    if not m or (vocab.dimensions and dim not in vocab.dimensions):
        return
    w = out.windows.pop()
    tx.take(m.span())
    spec.pop("start")
    spec.pop("end", None)
    spec.setdefault("filters", []).append({"dimension": dim, "op": "range", "min": str(w.start.date()),
                                           "max": str(w.end.date())})
    out.signals.add("filter")
    out.problems.append(f"campaigns whose {'start' if dim == 'campaign_start' else 'end'} day falls in {w.said} "
                        f"({w.dates})")


def _offers(vocab: Vocab, dim: str) -> bool:
    """Whether the workspace's layer has ``dim`` (a vocabulary with no dimensions listed offers every one)."""
    return not vocab.dimensions or dim in vocab.dimensions


def _group_filter(tx: _Text, spec: dict, out: QueryParse, span: tuple[int, int], dim: str, value: str) -> None:
    """A phrase naming a group of customers ("who never redeemed", "never in any campaign") as a filter on the
    layer's group dimension; its words are consumed."""
    spec.setdefault("filters", []).append({"dimension": dim, "op": "equals", "values": [value]})
    out.signals.add("filter")
    tx.take(span)


def _cannot(tx: _Text, out: QueryParse, span: tuple[int, int], text: str, unheld: bool = False) -> None:
    """A part of the question no query can answer: named (blocking), its words consumed; ``unheld``: the question
    asks for something the data does not hold, so no other tool answers it instead."""
    out.problems.append(text)
    out.blocking = True
    if unheld:
        out.signals.add("unheld")
    tx.take(span)


def _listed(stored: list[str], limit: int = 30) -> str:
    return ", ".join(stored[:limit]) + (f", … ({len(stored)} in all)" if len(stored) > limit else "")


def _ids(tx: _Text, vocab: Vocab, filters: dict[str, list[str]], out: QueryParse) -> None:
    """Values named by number after their dimension word: "store 323", "campaign #18". A campaign number the
    campaigns table does not hold is named ("no such campaign"), never answered as all campaigns."""
    for dim, pat in (("store", r"stores?|shops?|locations?|branch(?:es)?|outlets?"), ("campaign", r"campaigns?"),
                     ("customer", r"customer|household|shopper|client|member|account")):
        for m in tx.finditer(r"\b(?:" + pat + r")\s*(?:#|number|no\.?|id)?\s*(\d+)\b(?!\s*%)(?!\s*(?:orders?|visits?|"
                             r"items?|units?|days?|weeks?|months?|times|years?|customers?|households?|\+))"):
            if dim == "customer" and len(m.group(1)) < 2:
                continue  # "customer 1": too short to be an id here
            num = str(int(m.group(1)))
            stored = vocab.values.get(dim)
            if vocab.dimensions and dim not in vocab.dimensions:
                continue  # said by _values ("I can't filter by store here")
            if stored is not None and num not in stored:
                out.problems.append(f"no such {dim} \"{num}\" in your data. {dim.title()}s: {_listed(stored)}")
                out.blocking = True
            else:
                filters.setdefault(dim, [])
                if num not in filters[dim]:
                    filters[dim].append(num)
            tx.take(m.span())
    # a campaign named by words ("the summer sale campaign"): campaigns here are numbers and types
    stored = vocab.values.get("campaign")
    if stored is None or (vocab.dimensions and "campaign" not in vocab.dimensions):
        return
    types = {str(v).lower() for v in vocab.values.get("campaign_type") or []}
    for m in tx.finditer(r"\b(?:the|our|this|that|your|my)\s+((?:[a-z][a-z'&-]*\s+){0,3}?[a-z][a-z'&-]*)\s+"
                         r"campaign\b(?!\s+types?\b)"):
        words = [w for w in m.group(1).split() if w not in _CAMPAIGN_WORDS]
        if len(words) != len(m.group(1).split()):
            continue  # "the last email campaign", "our biggest campaign": not a name
        name = " ".join(words)
        if not words or name in types or any(t in m.group(0) for t in types) or name in FILLER:
            continue
        listed = _listed(stored)
        kinds = f"; campaign types: {', '.join(sorted(vocab.values.get('campaign_type') or []))}" if types else ""
        out.problems.append(f"no such campaign \"{name}\" in your data: campaigns are identified by number "
                            f"({listed}){kinds}")
        out.blocking = True
        tx.take(m.span())
        break


_CAMPAIGN_WORDS = set("""the a an this that these those our my your their its which what each every any all one no
email e-mail emails sms text push mail direct marketing promo promotional promotion last first latest recent
previous prior next new best worst biggest top most least per by of for in on from to type types win-back winback
retention loyalty coupon coupons did does do how was were is are and or with between vs versus each""".split())


_NOT_PRODUCT_WORDS = frozenset("""not no never nor without didn don doesn haven hasn won size sizes value values pack packs
store stores best cost costs price prices priced promo promos deal deals sale sales free new total type types kind kinds
regular special plain large small big mini extra super premium basic single double multi family families""".split())


def _product_names(tx: _Text, vocab: Vocab, spec: dict, out: QueryParse) -> None:
    """Left-over words that occur in product names ("kale", "coca cola") become a name-contains filter on
    product, said so in the restatement; words that occur in no product name stay ignored (and are named)."""
    if not out.ignored:
        return
    words = [_stem(w) for w in out.ignored]
    if len(words) == 1 and len(words[0]) >= 4 and (not vocab.dimensions or "category" in vocab.dimensions):
        # "wine": no category is called that, but a few are named with the word ("Domestic Wine", "Imported Wine")
        cats = [v for v in vocab.values.get("category") or [] if words[0] in [_stem(w) for w in _norm(v).split()]]
        same = [f for f in spec.get("filters") or [] if f["dimension"] == "category" and f.get("op") in ("equals", "in")]
        named = out.ignored[0] in vocab.product_words or words[0] in vocab.product_words
        if 2 <= len(cats) <= 3 or (cats and len(cats) <= 6 and same) or (len(cats) == 1 and not named):
            # else one category by its first words, or products whose name holds the word (below)
            if same:  # "beer or wine": one set of categories (two category filters would match no line)
                same[0]["values"], same[0]["op"] = sorted(set(same[0]["values"]) | set(cats)), "in"
            else:
                spec.setdefault("filters", []).append({"dimension": "category", "op": "in" if len(cats) > 1 else "equals",
                                                       "values": sorted(cats)})
            out.signals.add("filter")
            out.problems.append(f"I read \"{out.ignored[0]}\" as the {'categories' if len(cats) > 1 else 'category'} "
                                f"{', '.join(sorted(cats))}")
            out.ignored = []
            return
    # "fluid milk": the words start exactly one stored category/department name ("Fluid Milk Products")
    hits = []
    for dim in ("category", "department"):
        for v in vocab.values.get(dim) or []:
            key = _norm(v).split()
            if len(words) <= len(key) and key[:len(words)] == words and (len(words) >= 2 or len(words[0]) >= 5):
                hits.append((dim, v))
    if len(hits) == 1 and (not vocab.dimensions or hits[0][0] in vocab.dimensions):
        dim, v = hits[0]
        spec.setdefault("filters", []).append({"dimension": dim, "op": "equals", "values": [v]})
        out.signals.add("filter")
        out.problems.append(f"I read \"{' '.join(out.ignored)}\" as the {dim} {v}")
        out.ignored = []
        return
    said = re.search(r"\b" + re.escape(out.ignored[-1]) + r"\s+(department|dept|category|aisle|section)\b", tx.raw)
    if said:  # "jewellery department": a department was named, and none is called that
        dim = {"dept": "department", "aisle": "department", "section": "department"}.get(said.group(1), said.group(1))
        out.problems.append(f"no such {dim} \"{' '.join(out.ignored)}\" in your data ({dim}s: "
                            f"{_listed(vocab.values.get(dim) or [])})")
        out.blocking = True
        out.ignored = []
        return
    if not vocab.product_words or "product" not in vocab.dimensions:
        return
    if set(out.ignored) & _NOT_PRODUCT_WORDS:
        # "who didn't come back", "which size", "google ads cost": a word nothing read, not a product whose name
        # happens to hold it ("not", "size", "cost" and "value" are in product descriptions too)
        return
    if not all(w in vocab.product_words or _stem(w) in vocab.product_words for w in out.ignored):
        return
    phrase = " ".join(_stem(w) if w not in vocab.product_words else w for w in out.ignored)
    spec.setdefault("filters", []).append({"dimension": "product", "op": "contains", "values": [phrase]})
    out.signals.add("filter")
    out.problems.append(f"\"{phrase}\" is not a department, category or brand, so I matched products whose name "
                        f"contains \"{phrase}\"")
    out.ignored = []


def _is_dim_word(w: str) -> bool:
    return any(re.fullmatch(p, w) for p, _ in DIM_PHRASES)


def _unheld(tx: _Text, out: QueryParse) -> None:
    for pat, words in UNHELD:
        for m in tx.finditer(r"\b(" + pat + r")\b"):
            out.problems.append(f"I don't have {words} in your data (\"{m.group(0)}\"): your workspace holds orders, "
                                f"products, customers' household attributes, campaigns and coupon redemptions")
            out.signals.add("unheld")
            tx.take(m.span())
            break


def _periods(tx: _Text, vocab: Vocab, spec: dict, out: QueryParse) -> None:
    p = parse_periods(tx.work, vocab.last, vocab.first)
    for s in p.spans or []:
        tx.take(s)
    for prob in p.problems or []:
        out.problems.append(prob)
        out.blocking = True
    if p.compare:
        a, b = p.compare
        spec["compare"] = [a.text, b.text]
        out.windows = [a, b]
        out.signals.add("compare")
    elif p.window:
        w = p.window
        spec["start"] = spec["end"] = w.text if ".." not in w.text else None
        if ".." in w.text:
            spec["start"], spec["end"] = str(w.start.date()), str(w.end.date())
        out.windows = [w]
        out.signals.add("period")


_BUY = r"(?:bought|buy|buys|buying|purchased|purchases|purchase|shopped|shop|ordered|order|got|picked up)"
_BUY_VERB = r"(?:bought|buy|buys|purchased|purchase|ordered|order|shopped|shop)"
_NEGATION = re.compile(r"\b(?:but|and|yet)\s+(?:did\s+not|do\s+not|does\s+not|have\s+not|has\s+not|not|never|no)\s+"
                       r"(?:(?:ever\s+|again\s+)?" + _BUY + r"\s+)?(?:any(?:thing)?\s+|again\s+)?")
_BOTH = re.compile(r"\b" + _BUY + r"\s+(?:from\s+|in\s+|at\s+)?(both)\s+.+?\s+(and(?:\s+also)?)\s+")
_ALSO = re.compile(r"\b(?:and|but)\s+also\s+(?:" + _BUY + r"\s+)?|\balso\s+" + _BUY + r"\s+")
_ALONE = re.compile(r"\b(?:(?:who|that|which)\s+)?(?:(?:have|has|had)\s+)?(?:never|not|did\s+not|do\s+not|does\s+not|"
                    r"have\s+not|has\s+not|no\s+longer)\s+(?:ever\s+)?" + _BUY + r"\s+(?:any(?:thing)?\s+)?|"
                    r"\b(?:(?:who|that|which)\s+)?" + _BUY + r"\s+nothing\s+")
_SET_END = re.compile(r"[?.;!]")


def _sub_parse(tx: _Text, start: int, vocab: Vocab) -> tuple[int, "QueryParse | None"]:
    """The longest run of words after ``start`` that parses as products and / or a period only (no metric,
    breakdown or ranking, nothing left over): (its end, its parse); the whole rest when none does."""
    end = _SET_END.search(tx.work, start)
    stop = end.start() if end else len(tx.work)
    words = list(re.finditer(r"\S+", tx.work[start:stop]))
    for k in range(len(words), 0, -1):
        b = start + words[k - 1].end()
        text = tx.raw[start:b].strip(" ,")
        sub = parse_query(text, vocab)
        sp = sub.spec
        name_match = all("so I matched products whose name" in x or x.startswith("I read \"")
                         for x in sub.problems)  # a stated fallback ("I read "cereal" as the category ...")
        if not sub.ignored and not sub.blocking and name_match and (sp.get("filters") or sp.get("start") or
                                                                     sp.get("end")) and \
                "metric" not in sub.signals and "top" not in sp and \
                set(sp.get("by") or ()) <= {f["dimension"] for f in sp.get("filters") or ()} and \
                "superlative" not in sub.signals and "purchase_set" not in sub.signals:
            return b, sub
    return stop, None


def _purchase_sets(tx: _Text, vocab: Vocab, out: QueryParse) -> list[dict]:
    """Set operations on customers by what they bought: "bought in Q2 but not in Q3" (did not buy in another
    period), "bought coffee but never tea", "bought both coffee and tea", "coffee and also soft drinks",
    "customers who never bought fuel". The second part is the longest run of words that names only products
    and / or a period (parsed on its own); the rest stays in the question. A "but not" needs a buying verb before
    it: "revenue by category but not fuel" is not a set of customers."""
    conds = []
    for _ in range(2):  # at most two conditions
        hit = None
        for kind, pat in (("not", _NEGATION), ("both", _BOTH), ("also", _ALSO), ("not", _ALONE)):
            m = pat.search(tx.work)
            if m and (pat is _ALONE or re.search(r"\b" + _BUY + r"\b", tx.work[:m.start() if kind != "both"
                                                                                 else m.end(1)])):
                hit = (kind, m)
                break
        if hit is None:
            break
        kind, m = hit
        if kind == "both":
            op_start, op_end = m.start(2), m.end(2)
            tx.take(m.span(1))
        else:
            op_start, op_end = m.span()
        stop, sub = _sub_parse(tx, op_end, vocab)
        text = tx.raw[op_end:stop].strip(" ,")
        never = kind == "not" and re.search(r"\bnever\b", m.group(0)) is not None
        tx.take((op_start, stop))
        if sub is None:
            if not text:
                out.problems.append(f"I can't tell what \"{tx.raw[op_start:op_end].strip()}\" refers to")
            else:
                sub = parse_query(text, vocab)
                out.problems += sub.problems or [f"I can't tell which products or period \"{text}\" names"]
            out.blocking = True
            break
        sspec = sub.spec
        out.problems += [x for x in sub.problems if x not in out.problems]  # "… so I matched products whose name …"
        cond = {"bought": kind != "not", "_never": never, "_windows": list(sub.windows)}
        if sspec.get("filters"):
            cond["filters"] = sspec["filters"]
        if sspec.get("start") or sspec.get("end"):
            cond["start"], cond["end"] = sspec.get("start"), sspec.get("end")
        conds.append(cond)
        out.signals |= {"purchase_set", "threshold"}  # a condition on customers, as a threshold is
    return conds


_LIST_WHO = re.compile(r"^\s*(?:please\s+)?(?:list|show(?:\s+me)?|give\s+me|export|name|which|who\s+are|who\s+were|"
                       r"find|get(?:\s+me)?|pull)\b(?:\s+(?:the|all|our|a\s+list\s+of|me))*\s+(?:customers|households|"
                       r"shoppers|buyers|clients|people)\b")
_EXCLUDE = re.compile(r"\b(?:but not|excluding|exclude|except(?:\s+for)?|other than|apart from|not counting|"
                      r"leaving out|leave out|minus)\s+(?:the\s+)?")


def _exclusions(tx: _Text, vocab: Vocab, out: QueryParse) -> list[dict]:
    """ "excluding fuel", "but not Coffee": the values named after the word, as not_in filters."""
    found = []
    for m in list(_EXCLUDE.finditer(tx.work)):
        if tx.work[m.start():m.end()] != tx.raw[m.start():m.end()]:
            continue  # consumed already
        stop, sub = _sub_parse(tx, m.end(), vocab)
        if sub is None or not sub.spec.get("filters") or sub.spec.get("start") or sub.spec.get("end"):
            continue  # not only values: left to the rest of the parse (it names what it cannot map)
        tx.take((m.start(), stop))
        for f in sub.spec["filters"]:
            if f.get("op") in ("equals", "in"):
                found.append({"dimension": f["dimension"], "op": "not_in", "values": list(f["values"])})
            elif f.get("op") == "contains":  # "excluding gasoline": products whose name contains it
                found.append({"dimension": f["dimension"], "op": "not_contains", "values": list(f["values"])})
        out.problems += [p for p in sub.problems if p.startswith('"')]  # "'gasoline' is not a department ..." 
        out.signals.add("filter")
    return found


_FROM_NEW = re.compile(r"\b(?:from|of|by|among|for)\s+(?:the\s+|our\s+|those\s+)?(new|first[- ]time|returning|"
                       r"existing|repeat)\s+(?:customers|households|shoppers|buyers|clients)\b|"
                       r"\b(?:from|of|by|among|for)\s+(?:the\s+|our\s+|those\s+)?(?:customers|households|shoppers|buyers|"
                       r"clients)\s+(?:who|that)\s+(?:were|are|was)\s+(new|first[- ]time|returning|existing|repeat)\b")


def _from_new_customers(tx: _Text, spec: dict, out: QueryParse) -> None:
    """ "revenue from new customers in Q3": the revenue of the customers whose first order falls in the window
    (did not buy before it), not the revenue total beside a count of new customers."""
    m = _FROM_NEW.search(tx.raw)
    metrics = spec.get("metrics") or []
    group = {"new_customers", "returning_customers"}
    rest = [x for x in metrics if x not in group]
    if not m or not rest or (m.group(1) and not set(metrics) & group) or len(out.windows) != 1 or "compare" in spec:
        return
    tx.take(m.span())
    before = out.windows[0].start - pd.Timedelta(days=1)
    new = (m.group(1) or m.group(2)) in ("new", "first-time", "first time")
    spec["metrics"] = rest
    spec.setdefault("purchase_conditions", []).append(
        {"end": str(before.date()), "bought": not new})
    out.signals.add("purchase_set")


def _attach_sets(sets: list[dict], spec: dict, out: QueryParse) -> None:
    """Each parsed condition into the spec. A condition with no period of its own shares the question's window
    (unless it says "never": no window); a period given only after the product ("coffee but not tea in 2017")
    is the question's window too."""
    main = {k: spec[k] for k in ("start", "end") if spec.get(k)}
    conds = []
    for c in sets:
        cond = {k: v for k, v in c.items() if not k.startswith("_")}
        if "start" not in cond and not c["_never"] and main:
            cond.update(main)
        elif "start" in cond and "filters" in cond and not main and "compare" not in spec and not c["_never"]:
            spec["start"], spec["end"] = cond["start"], cond["end"]
            main = {"start": cond["start"], "end": cond["end"]}
            out.windows = list(c["_windows"])
        conds.append(cond)
    spec["purchase_conditions"] = conds


_GROWTH = re.compile(r"\b(go(?:es)? up|go(?:es)? down|went up|went down|up or down|grow|grew|growth|increase[sd]?|"
                     r"decrease[sd]?|drop(?:ped)?|declin\w*|rise|rose|fall|fell|change[sd]?|improve[sd]?)\b")


def _previous_label(label: str) -> str | None:
    """The calendar period before a YYYY-Qn / YYYY-MM / YYYY / YYYY-Hn label (None for other windows)."""
    m = re.fullmatch(r"(\d{4})-Q([1-4])", label)
    if m:
        y, q = int(m.group(1)), int(m.group(2))
        return f"{y - 1}-Q4" if q == 1 else f"{y}-Q{q - 1}"
    m = re.fullmatch(r"(\d{4})-H([12])", label)
    if m:
        y, h = int(m.group(1)), int(m.group(2))
        return f"{y - 1}-H2" if h == 1 else f"{y}-H1"
    m = re.fullmatch(r"(\d{4})-(\d{2})", label)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        return f"{y - 1}-12" if mo == 1 else f"{y}-{mo - 1:02d}"
    if re.fullmatch(r"\d{4}", label):
        return str(int(label) - 1)
    return None


def _growth_in_one_period(tx: _Text, vocab: Vocab, spec: dict, out: QueryParse) -> None:
    """ "did revenue go up or down in Q4", "how much did sales grow in March": the period against the one before
    it, not the period's total alone."""
    if len(out.windows) != 1 or "compare" in spec or spec.get("start") != spec.get("end") or not spec.get("start"):
        return
    if not _GROWTH.search(tx.raw) or re.search(r"\b(by|per|each|every)\s+(day|week|month|quarter|year)\b", tx.raw):
        return
    prev = _previous_label(str(spec["start"]).upper())
    if prev is None:
        return
    p = parse_periods(prev.lower(), vocab.last, vocab.first)
    if p.problems or p.window is None:
        out.problems += [f"I can't compare {out.windows[0].describe()} with the period before it: " + x
                         for x in (p.problems or ["that period is not in your data"])]
        out.blocking = True
        return
    spec["compare"] = [prev, spec.pop("start")]
    spec.pop("end", None)
    out.windows = [p.window, out.windows[0]]
    out.signals.add("compare")


_UNITLY = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter", "yearly": "year",
           "annual": "year"}


def _average_per(tx: _Text, vocab: Vocab, spec: dict) -> None:
    """ "average weekly revenue in 2017", "avg daily orders", "revenue per month on average", "how much do we sell a
    week on average": the mean per calendar period of the window (not a table of the periods)."""
    if vocab.dimensions and not {"day", "week", "month"} & set(vocab.dimensions):
        return
    m = tx.search(r"\b(?:average|avg|mean|typical)\s+(daily|weekly|monthly|quarterly|yearly|annual)\b(?!\s+(?:basket|"
                  r"order value|rating))")
    if m:
        spec["average_per"] = _UNITLY[m.group(1)]
        tx.take((m.start(1), m.end(1)))
        return
    m = tx.search(r"\b(?:per|a|each|every)\s+(day|week|month|quarter|year)\s*,?\s+on average\b|"
                  r"\b(?:average|avg|mean)\s+(?:revenue|sales|orders|customers|units|spend|baskets|visits|transactions)"
                  r"\s+(?:per|a|each|every)\s+(day|week|month|quarter|year)\b|"
                  r"\bon average\s+(?:per|a|each|every)\s+(day|week|month|quarter|year)\b")
    if m:
        unit = m.group(1) or m.group(2) or m.group(3)
        spec["average_per"] = unit
        span = m.span(1) if m.group(1) else m.span(2) if m.group(2) else m.span(3)
        tx.take((span[0] - 4 if tx.work[max(0, span[0] - 4):span[0]].strip() in ("per", "a") else span[0], span[1]))
        for mm in tx.finditer(r"\bon average\b"):
            tx.take(mm.span())


def _days(n: float, unit: str) -> int:
    return int(round(n * {"day": 1, "week": 7, "month": 30, "year": 365}[unit]))


def _customer_conditions(tx: _Text, spec: dict, out: QueryParse) -> None:
    # not bought for N days / inactive for N weeks / no purchase in the last N months / lapsed 60+ days
    m = tx.search(r"\b(?:not|n't|never|no longer|stopped)\s+(?:\w+\s+){0,3}?(?:bought|buy|buying|purchased|purchase|"
                  r"shopped|shop|ordered|order|visited|come back|returned|seen|been seen|been in|come in|been back|"
                  r"heard from|active)\w*\s+(?:anything\s+|at all\s+|here\s+|in store\s+)?"
                  r"(?:for|in|during|within|over)\s+(?:the\s+)?(?:last\s+|past\s+)?(?:more than\s+|over\s+|at least\s+)?"
                  + _NUM + r"\+?\s*(day|week|month|year)s?\b|"
                  r"\b(?:inactive|lapsed|dormant|quiet|absent)\s+(?:for\s+)?(?:more than\s+|over\s+|at least\s+)?"
                  + _NUM + r"\+?\s*(day|week|month|year)s?\b|"
                  r"\bno (?:purchases?|orders?|visits?|shopping)\s+(?:for|in|during|within)\s+(?:the\s+)?"
                  r"(?:last\s+|past\s+)?" + _NUM + r"\s*(day|week|month|year)s?\b|"
                  r"\blast (?:purchase|order|visit|bought)\s+(?:was\s+)?(?:more than|over|at least)\s+" + _NUM +
                  r"\s*(day|week|month|year)s?\s+ago\b")
    if m:
        g = [x for x in m.groups() if x]
        spec["inactive_days"] = _days(_n(g[0]), g[1])
        out.signals.add("threshold")
        tx.take(m.span())
        for mm in tx.finditer(r"\b(lapsed|lapsing|dormant|inactive|churned|gone quiet|gone dark)\b"):
            tx.take(mm.span())  # "have lapsed (no purchase in 60 days)": the same condition, named
    conds = []
    money = r"\$?\s*" + _NUM + r"\s*(k\b)?(?:\s*(?:dollars?|usd|bucks)\b)?"
    ops = {"more than": ">", "over": ">", "above": ">", "greater than": ">", "at least": ">=", "or more": ">=",
           "minimum of": ">=", "no less than": ">=", "less than": "<", "fewer than": "<", "under": "<", "below": "<",
           "at most": "<=", "or fewer": "<=", "or less": "<=", "no more than": "<=", "exactly": "="}
    opre = r"(more than|over|above|greater than|at least|minimum of|no less than|less than|fewer than|under|below|" \
           r"at most|no more than|exactly)"
    # baskets by their own size: "orders over $100", "what percent of orders were above $50", "baskets with 20+ items"
    ocs = []
    basket = r"\b(?:orders?|baskets?|transactions?|purchases|trips|receipts|carts?|tickets)\s+(?:(?:that|which)\s+)?" \
             r"(?:(?:were|was|are|is|came to|come to|worth|of|with a total of|totall?ing|valued at|with a value of)\s+)?"
    for m in tx.finditer(basket + opre + r"\s+" + money):
        ocs.append({"measure": "revenue", "op": ops[m.group(1)], "value": _int(_n(m.group(2)) * (1000 if m.group(3) else 1))})
        tx.take(m.span())
    for m in tx.finditer(r"\b(?:orders?|baskets?|transactions?|carts?)\s+(?:(?:that|which)\s+)?(?:with\s+|having\s+|of\s+|had\s+|"
                         r"have\s+|has\s+|contained\s+|containing\s+|holding\s+)?" + opre + r"\s+" +
                         _NUM + r"\s+(items|products|lines|line items|units)\b"):
        ocs.append({"measure": "units" if m.group(3) == "units" else "line_items", "op": ops[m.group(1)],
                    "value": _int(_n(m.group(2)))})
        tx.take(m.span())
    if ocs:
        spec["order_conditions"] = ocs
        spec.setdefault("_metric", "orders")
        out.signals.add("threshold")
    # "between $100 and $500"
    for m in tx.finditer(r"\b(?:spent|spend|spending|revenue|sales)\s+(?:of\s+)?between\s+" + money + r"\s+and\s+" +
                         money + r"(?!\s*(?:am|pm|a\.m|p\.m|o'?clock)\b)"):
        lo, hi = _n(m.group(1)) * (1000 if m.group(2) else 1), _n(m.group(3)) * (1000 if m.group(4) else 1)
        conds.append({"measure": "revenue", "op": "between", "value": [_int(lo), _int(hi)]})
        tx.take(m.span())
    for m in tx.finditer(r"\b(?:spent|spend|spending|spends|worth)\s+(?:a total of\s+|in total\s+)?" + opre + r"\s+" +
                         money + r"|\b" + opre + r"\s+" + r"\$\s*" + _NUM + r"\s*(k\b)?(?:\s+(?:in\s+)?(?:total\s+)?"
                         r"(?:spend|spent|revenue|sales))?"):
        g = m.groups()
        word, num, k = (g[0], g[1], g[2]) if g[0] else (g[3], g[4], g[5])
        conds.append({"measure": "revenue", "op": ops[word], "value": _int(_n(num) * (1000 if k else 1))})
        tx.take(m.span())
    meas = "|".join(p for p, _ in CUSTOMER_MEASURES)
    for m in tx.finditer(r"\b" + opre + r"\s+" + _NUM + r"\s+(" + meas + r")\b|\b" + _NUM + r"\s+(or more|or fewer|or less|"
                         r"\+)\s+(" + meas + r")\b|\b" + _NUM + r"\+\s+(" + meas + r")\b"):
        g = m.groups()
        if g[0]:
            word, num, what = g[0], g[1], g[2]
        elif g[3]:
            word, num, what = g[4], g[3], g[5]
        else:
            word, num, what = "or more", g[6], g[7]
        word = "or more" if word == "+" else word
        measure = next(name for p, name in CUSTOMER_MEASURES if re.fullmatch(p, what))
        conds.append({"measure": measure, "op": ops[word], "value": _int(_n(num))})
        tx.take(m.span())
    for m in tx.finditer(r"(?<!how )\b(?:at\s+|in\s+|from\s+|across\s+)?(?:multiple|several|many|different|2 or more|two or more)"
                         r"\s+(?:different\s+)?(stores|shops|locations|branches)\b"):
        conds.append({"measure": "stores", "op": ">=", "value": 2})  # "customers who shop at multiple stores"
        tx.take(m.span())
    m = tx.search(r"\b(?:bought|ordered|shopped|purchased|visited|came)\s+(only\s+|just\s+)?once\b|\bone[- ]time "
                  r"(?:buyers|customers|shoppers|purchasers)\b|\bsingle[- ](?:order|purchase|visit) (?:customers|households|"
                  r"shoppers|buyers)\b")
    if m:
        conds.append({"measure": "orders", "op": "=", "value": 1})
        tx.take(m.span())
    # "placed only one order", "just 2 orders ever"
    for m in tx.finditer(r"\b(?:only|just)\s+(?:(?:placed|made|had)\s+)?(a single|" + _NUM + r")\s+(?:single\s+)?(orders?|"
                         r"purchases?|visits?|trips?|baskets?|transactions?)\b"):
        conds.append({"measure": "orders", "op": "=", "value": 1 if m.group(1) == "a single" else _int(_n(m.group(2)))})
        tx.take(m.span())
    if conds:
        spec["customer_conditions"] = conds
        out.signals.add("threshold")
    # "how many customers make up half our revenue", "what % of customers drive 80% of sales"
    m = tx.search(r"\b(?:how many|what (?:share|percent(?:age)?|fraction|proportion|%) of|what %|number of)\s+(?:our\s+|the\s+)?"
                  r"(?:top\s+|biggest\s+|best\s+)?(?:customers|households|shoppers|buyers|clients)\s+(?:make up|makes? up|"
                  r"account for|generate|drive|bring in|deliver|produce|contribute|are responsible for|give us)\s+"
                  r"(half|a half|a third|a quarter|two thirds|three quarters|\d+(?:\.\d+)?\s*(?:%|percent))\s+(?:of\s+)?"
                  r"(?:our\s+|the\s+|all\s+|total\s+)?(?:revenue|sales|spend|spending|turnover)\b")
    if m:
        word = m.group(1)
        pct = {"half": 50, "a half": 50, "a third": 100 / 3, "a quarter": 25, "two thirds": 200 / 3,
               "three quarters": 75}.get(word) or float(re.match(r"\d+(?:\.\d+)?", word).group(0))
        spec["concentration"] = {"share_pct": _int(round(pct, 2))}
        out.signals.add("concentration")
        tx.take(m.span())
        return
    # concentration: "top 10% of customers", "top 1%, 10% and 20% of households"
    m = tx.search(r"\b(?:top|best|biggest|largest|highest[- ]spending)\s+((?:\d+(?:\.\d+)?\s*%\s*(?:,|and|or)?\s*)+)"
                  r"(?:percent\s+)?(?:of\s+)?(?:our\s+|the\s+|all\s+)?(?:customers|households|shoppers|buyers|clients|"
                  r"spenders)\b|\b((?:\d+(?:\.\d+)?)\s*(?:%|percent))\s+(?:of\s+)?(?:our\s+|the\s+)?(?:best|top|biggest)\s+"
                  r"(?:customers|households|shoppers|buyers|spenders)\b")
    if m:
        pcts = [_int(float(x)) for x in re.findall(r"\d+(?:\.\d+)?", m.group(1) or m.group(2))]
        spec["concentration"] = {"top_pct": pcts[0] if len(pcts) == 1 else pcts}
        out.signals.add("concentration")
        tx.take(m.span())
        for mm in tx.finditer(r"\b(concentrat\w+|pareto|contribut\w*|account(s|ed)? for|share|shares|"
                              r"percent(age)?|proportion|fraction|portion|chunk|slice|piece|make up|makes up|"
                              r"generate[sd]?|bring in|brings? in|brought in)\b"):
            tx.take(mm.span())
    elif tx.search(r"\b(concentrat\w+|pareto|80 ?/ ?20)\b"):
        m = tx.search(r"\b(concentrat\w+|pareto|80 ?/ ?20)\b")
        spec["concentration"] = {"top_pct": [1, 10, 20]}
        out.signals.add("concentration")
        tx.take(m.span())


def _distribution(tx: _Text, spec: dict, out: QueryParse) -> None:
    """"median basket value", "distribution of spend per customer", "quartiles of orders per household"."""
    m = tx.search(r"\b(biggest|largest|highest|max(?:imum)?|most expensive|smallest|lowest|min(?:imum)?|cheapest)\s+"
                  r"(?:(?:single\s+|one\s+|individual\s+)?(?:order|basket|transaction|receipt)\b|(?:single|one|individual)\s+"
                  r"(?:purchase|trip|sale|visit))"
                  r"(?:\s+(?:value|amount|size|total|ever))?\b")
    if m:  # "the biggest single order we've had": the largest basket (a quantile of 1)
        low = m.group(1) in ("smallest", "lowest", "min", "minimum", "cheapest")
        spec["distribution"] = {"measure": "revenue", "per": "order", "quantiles": [0.0 if low else 1.0]}
        out.signals.add("distribution")
        tx.take(m.span())
        return
    m = tx.search(r"\b(median|medians|quartiles?|quantiles?|percentiles?|deciles?|distribution|distributed|"
                  r"histogram|spread|\d{1,2}(?:st|nd|rd|th) (?:percentile|percent|centile))\b")
    if not m:
        return
    word = m.group(0)
    t = tx.work
    per_order = re.search(r"\b(baskets?|order values?|orders? size|per (order|basket|transaction|trip|visit)|"
                          r"transaction values?|ticket)\b", t) and not re.search(
        r"\b(orders|baskets|visits|trips) per (customer|household|shopper)\b|\bper (customer|household|shopper)\b", t)
    if re.search(r"\b(recency|days since (the )?last (order|purchase)|since they last)\b", t):
        measure, per = "days_since_last_order", "customer"
    elif re.search(r"\b(average basket|avg basket|aov) per (customer|household)\b", t):
        measure, per = "avg_basket", "customer"
    elif re.search(r"\b(number of orders|orders|visits|trips|purchases|frequency|order counts?|orders? count|count of "
                   r"orders|visit counts?)\b", t) and not per_order:
        measure, per = "orders", "customer"
    elif re.search(r"\b(units|items)\b", t):
        measure, per = "units", "order" if per_order else "customer"
    else:
        measure, per = "revenue", "order" if per_order else "customer"
    d: dict[str, Any] = {"measure": measure, "per": per}
    if word.startswith("median"):
        d["quantiles"] = [0.5]
    elif word.startswith("quartile"):
        d["quantiles"] = [0.25, 0.5, 0.75]
    elif word.startswith("decile"):
        d["quantiles"] = [round(x / 10, 1) for x in range(1, 10)]
    elif re.match(r"\d", word):
        d["quantiles"] = [int(re.match(r"\d+", word).group(0)) / 100]
    elif word == "histogram":
        d["bins"] = 10
    spec["distribution"] = d
    out.signals.add("distribution")
    tx.take(m.span())
    for pat in (r"\b(basket|order|transaction|ticket)s?( size| value| values| amount)?\b", r"\bper (customer|household|"
                r"shopper|buyer|order|basket|transaction)\b", r"\b(spend|spending|spent|revenue|sales|recency|days since "
                r"(the )?last (order|purchase)|number of orders|orders|visits|frequency|units|items)\b"):
        for mm in tx.finditer(pat):
            tx.take(mm.span())


def _share(tx: _Text, spec: dict, out: QueryParse) -> None:
    """"share of revenue by department", "what % of sales comes from Meat", "contribution of each category"."""
    m = tx.search(r"\b(share|shares|percent(age)?|proportion|fraction|portion|chunk|slice|contribution|contribute[sd]?|% of|"
                  r"pct of|mix)\b|%")
    if not m or "concentration" in spec or "distribution" in spec:
        return
    spec["share_of_total"] = True
    out.signals.add("share")
    tx.take(m.span())


_WHO = r"(?:customers?|households?|shoppers?|clients?|buyers?|spenders?|accounts?)"
_TOPW = r"(?:top|best|biggest|largest|highest[- ]spending|most valuable|leading|heaviest|highest[- ]value|big|" \
        r"most loyal|most frequent)"
_LOWW = r"(?:bottom|worst|smallest|lowest[- ]spending|least valuable|lightest|lowest[- ]value|least frequent)"


def _customer_rank(tx: _Text, spec: dict, out: QueryParse) -> None:
    """Customers as the thing ranked: "top 10 customers by spend", "our 5 biggest customers", "bottom 20
    households", "which customers spent the most"; with a share word ("what percent of sales come from our 5
    biggest customers") the N biggest customers' combined share (concentration by count)."""
    if "concentration" in spec:
        return
    m2 = tx.search(r"\b(?:the\s+)?" + _NUM + r"\s+" + _WHO + r"\s+(?:that|who|which)\s+(?:\w+\s+){0,2}?(?:spend|spent|spends|buy|"
                   r"bought|buys|order|ordered|orders|shop|shopped|shops)\w*\s+(?:\w+\s+){0,2}?(?:the\s+)?(most|least)\b")
    if m2:  # "who are the 10 customers that spend the most on produce"
        spec["top"] = int(_n(m2.group(1)))
        if m2.group(2) == "least":
            spec["descending"] = False
        spec["_by_customer"] = True
        out.signals.add("rank")
        tx.take(m2.span())
        return
    m = tx.search(r"\b(" + _TOPW + r"|" + _LOWW + r")\s+(?:" + _NUM + r"\s+)?" + _WHO + r"\b(?!\s+(?:club|segment|cluster|"
                  r"group|tier|programme|program)\b)|\b" + _NUM + r"\s+(" + _TOPW + r"|" + _LOWW + r")\s+" + _WHO + r"\b")
    n = None
    if m:
        word = m.group(1) or m.group(4)
        num = m.group(2) or m.group(3)
        n = int(_n(num)) if num else None
        low = bool(re.fullmatch(_LOWW, word))
        plural = not re.search(_WHO[3:-1].replace("s?", "") + r"$", m.group(0)) or m.group(0).endswith("s")
    else:
        m = tx.search(r"\b(?:which|what|who)\s+(?:(?:of\s+)?(?:our\s+|the\s+)?(" + _WHO + r")\s+|(?=(?:spent|spends|bought|ordered|shopped|purchased)\b))(?:\w+\s+){0,2}?"
                      r"(?:spent|spend|spends|bought|buys|buy|ordered|orders|order|shop(?:ped|s)?|purchased|"
                      r"generated|brought in|redeemed)\s+(?:\w+\s+){0,2}?(?:the\s+)?(most|least|fewest)\b")
        if not m:
            return
        low = m.group(2) in ("least", "fewest")
        plural = bool(m.group(1) and m.group(1).endswith("s"))
    if n is None:
        n = 10 if plural else 1
    if re.search(r"\b(percent|percentage|share|proportion|fraction|portion)\b|%|\bhow much of\b", tx.work) and not low:
        spec["concentration"] = {"top_n": n}
        out.signals.add("concentration")
        for mm in tx.finditer(r"\b(percent|percentage|share|proportion|fraction|portion)\b"):
            tx.take(mm.span())
    else:
        spec["_by_customer"] = True
        spec["top"] = n
        if low:
            spec["descending"] = False
        out.signals.add("rank")
    tx.take(m.span())


# the people a superlative is about: "the fewest shoppers", "bought by the most customers" (ranked by customers)
_WHO_NEXT = re.compile(r"\s+(?:number of\s+)?(customers|households|shoppers|buyers|people)\b")


def _rank(tx: _Text, spec: dict, out: QueryParse) -> None:
    m = tx.search(r"\b(top|best|highest|biggest|largest|leading|first)\s+" + _NUM + r"\b(?!\s*%)|\b" + _NUM +
                  r"\s+(best|biggest|largest|top|highest|most popular|best[- ]selling|leading)\b|"
                  r"\b(?:which|what|name|list|show(?: me)?|give me)\s+(?:the\s+)?" + _NUM +
                  r"(?=\s+[a-z]+(?:s|ies)\b)(?!\s+(?:days?|weeks?|months?|years?|quarters?)\b)")
    which_n = False  # "which 3 departments had the lowest sales": a count, its direction said later
    if m:
        num = m.group(2) or m.group(3) or m.group(5)
        which_n = m.group(5) is not None
        spec["top"] = int(_n(num))
        out.signals.add("rank")
        tx.take(m.span())
    m = tx.search(r"\b(bottom|worst|lowest|smallest|(?<!at )least|weakest|last)\s+" + _NUM + r"\b(?!\s*%)|\b" + _NUM +
                  r"\s+(worst|smallest|lowest|weakest|least popular|slowest[- ]selling)\b")
    if m and not re.match(r"last\s+\d+\s*(day|week|month|quarter|year)", m.group(0)):
        num = m.group(2) or m.group(3)
        spec["top"] = int(_n(num))
        spec["descending"] = False
        out.signals.add("rank")
        tx.take(m.span())
    # superlatives: "which month was highest", "the department with the most revenue", "lowest"
    low = tx.search(r"\b(lowest|(?<!at )least|smallest|worst|weakest|fewest|slowest|quietest|shortest|bottom|minimum|min)\b")
    busy = tx.search(r"\b(busiest|quietest|peak|(most|least) (busy|crowded))\b")
    if busy:  # "slowest month": sales, as "best" is
        spec["_metric"] = "orders"  # busy = baskets (traffic); named when no metric word is given
        for mm in tx.finditer(r"\b(busy|crowded)\b"):
            tx.take(mm.span())
    high = tx.search(r"\b(highest|most|biggest|largest|best|top|strongest|peak|maximum|max|record|busiest|longest|fastest|prefer(?:s|red)?|"
                     r"favou?rite|"
                     r"most popular|best[- ]selling|bestsellers?|leading)\b")
    if which_n and low and (not high or low.start() < high.start()):
        spec["descending"] = False
        tx.take(low.span())
    elif "top" not in spec and (low or high):
        grow = tx.search(r"\b(grew|grow|growing|growth|increase\w*|rose|gain\w*|improv\w*|jump\w*|spike\w*|surge\w*|"
                         r"leap\w*|(?<!shows )(?<!show )(?<!turns )"
                         r"(?<!comes )(?<!pops )(?<!picked )(?<!pick )up)\b")
        fall = tx.search(r"\b(drop\w*|fell|fall\w*|declin\w*|decreas\w*|shrank|shrink\w*|lost|down)\b")
        if low and (not high or low.start() < high.start()):
            spec["descending"] = False
            out.signals.add("superlative")
            tx.take(low.span())
            nxt = tx.work[low.end():low.end() + 30]
            who = _WHO_NEXT.match(nxt)
            if who and low.group(0) in ("fewest", "least", "lowest"):
                spec["_metric"] = "customers"  # "which month had the fewest shoppers"
                tx.take((low.end(), low.end() + who.end()))
        elif high:
            out.signals.add("superlative")
            nxt = tx.work[high.end():high.end() + 30]
            who = _WHO_NEXT.match(nxt)
            big = re.match(r"\s+(?:baskets|carts|basket sizes|orders|tickets)\b", nxt)
            if who and high.group(0) in ("most", "biggest", "largest", "highest"):
                spec["_metric"] = "customers"  # "bought by the most customers": ranked by customers
                tx.take((high.end(), high.end() + who.end()))
            elif big and high.group(0) in ("biggest", "largest"):
                spec["_metric"] = "avg_basket"  # "which store has the biggest baskets": the average basket
                tx.take((high.end(), high.end() + big.end()))
            if high.group(0) in ("top", "best", "biggest", "largest", "leading", "highest", "best selling",
                                 "best-selling", "most popular") and not big and \
                    re.match(r"\s+(?:[a-z]+ing\s+)?[a-z]+(s|ies)\b", nxt):
                spec["top"] = 10  # "top categories": a ranking, not the single best
                out.signals.add("rank_plural")
            tx.take(high.span())
        if grow:
            spec["sort"] = "change"
            tx.take(grow.span())
        elif fall:
            spec["sort"] = "change"
            spec["descending"] = not spec.get("descending", True)
            tx.take(fall.span())
    else:
        grow = tx.search(r"\b(grew|grow|growing|growth|increase\w*|rose|gain\w*|improv\w*|jump\w*|spike\w*|surge\w*)\b")
        fall = tx.search(r"\b(drop\w*|fell|fall\w*|declin\w*|decreas\w*|shrank|shrink\w*|lost)\b")
        if grow or fall:
            spec["sort"] = "change"
            if fall and not grow:
                spec["descending"] = False
            tx.take((grow or fall).span())


def _metrics(tx: _Text, vocab: Vocab, out: QueryParse) -> list[str]:
    found: list[tuple[int, str]] = []
    verbs: set[int] = set()  # "sell", "made": revenue only when nothing else is measured ("sell more units")
    for pat, name in METRIC_PHRASES:
        for m in tx.finditer(r"\b(" + pat + r")\b"):
            found.append((m.start(), name))
            if name == "revenue" and re.fullmatch(r"sell|sold|sells|selling|earn(ed)?|(how much|what) did (we|they) "
                                                  r"(make|sell|earn)", m.group(0)):
                verbs.add(m.start())
            tx.take(m.span("who") if m.groupdict().get("who") else m.span())
            if name == "coupon_redemption_rate":  # per targeting, and per targeted customer: both readings
                found.append((m.start() + 1, "customer_redemption_rate"))
            if name == "new_customers" and re.search(r"\breturning\b", m.group(0)):
                found.append((m.start() + 1, "returning_customers"))
            if name == "line_items_per_order" and re.search(r"\b(items|products|things)\b", m.group(0)):
                found.append((m.start() + 1, "units_per_order"))  # "items": order lines or units, both shown
    if any(n != "revenue" for _, n in found):
        found = [(p, n) for p, n in found if p not in verbs]
    names: list[str] = []
    for _, name in sorted(found):
        if name in names:
            continue
        if vocab.metrics and name not in vocab.metrics:
            why = vocab.unavailable.get(name)
            out.problems.append(f"I can't compute {name.replace('_', ' ')} here" + (f": it {why}" if why else
                                "") + f". Metrics I can compute: {', '.join(sorted(vocab.metrics))}")
            continue
        names.append(name)
    if "campaign_reach" in names and set(names) & {"revenue", "orders", "avg_basket", "revenue_per_customer", "units"} \
            and re.search(r"\b(?:customers|households|shoppers|people|buyers)\s+(?:(?:who|that)\s+(?:were|we)\s+|we\s+)?"
                          r"(?:targeted|reached|contacted|mailed)\b", tx.raw):
        names = [n for n in names if n != "campaign_reach"]  # "how much have households targeted by Type B spent"
    if "campaign_reach" in names and "customers" in names:
        names = [n for n in names if n != "customers"]  # "how many customers did campaign 18 reach"
    # one table per query: keep the first metric's table
    coupon = {"coupon_redemptions", "redeeming_customers"}
    campaign = {"coupon_redemption_rate", "campaign_reach", "customer_redemption_rate"}
    for group in (coupon, campaign):
        if names and names[0] in group:
            names = [n for n in names if n in group]
        elif names:
            dropped = [n for n in names if n in group]
            if dropped:
                out.problems.append(f"I can't compute {', '.join(d.replace('_', ' ') for d in dropped)} in the same "
                                    f"query as {names[0].replace('_', ' ')}: ask for it separately")
                names = [n for n in names if n not in group]
    if names and names[0] == "coupon_redemptions" and "redeeming_customers" not in names and re.search(
            r"\bhow many (?:different |distinct |unique |separate )?(?:households|customers|shoppers|people)\b", tx.raw) and \
            (not vocab.metrics or "redeeming_customers" in vocab.metrics):
        names.append("redeeming_customers")  # "how many coupons were redeemed and by how many households"
    if "customers" in names and len(names) > 1 and names[0] != "customers":
        names = [n for n in names if n != "customers"] + ["customers"]
    if set(names) & {"new_customers", "returning_customers"} and _SPLIT_REVENUE.search(tx.raw) and \
            "new_customer_revenue" in (vocab.metrics or {"new_customer_revenue": ""}):
        # "revenue split between new and returning customers", "how much did new customers spend": the revenue of
        # each group, beside the total (the counts stay only when asked for: "how many new customers and ...")
        count = re.search(r"\b(how many|number of|count)\b", tx.raw)
        returning = re.search(r"\breturning|repeat|existing\b", tx.raw)
        new = re.search(r"\bnew\b", tx.raw)
        split = ["new_customer_revenue"] * bool(new or not returning) + \
            ["returning_customer_revenue"] * bool(returning and (not new or "returning" in tx.raw))
        if len(split) == 1 and _FROM_NEW.search(tx.raw) and len(out.windows) == 1 and "compare" not in out.signals:
            return names  # "revenue from new customers in Q3": _from_new_customers reads it, for any metric
        keep = [n for n in names if n not in ("new_customers", "returning_customers", "revenue")
                or (count and n != "revenue")]
        names = ["revenue"] + split + keep
    return names


_NR = r"(new|returning|repeat|existing|first[- ]time)"
_SPLIT_REVENUE = re.compile(
    r"\b(revenue|sales|spend|takings|turnover|money)\b[^?.]{0,30}\b(from|of|by|between|among|split|brought in by|"
    r"generated by|coming from)\b[^?.]{0,25}\b" + _NR + r"\b|\b" + _NR + r"\b[^?.]{0,40}\b(spend|spent|spending|"
    r"bring in|brought in|bringing in|generated?|contribut\w*|revenue|sales)\b")


def _values(tx: _Text, vocab: Vocab, spec: dict, out: QueryParse, filters: dict[str, list[str]]) -> None:
    """Stored values named in the question become filters (the dimension word next to them is consumed too)."""
    _match_values(tx, vocab, filters, min_words=1)
    _attribute_numbers(tx, vocab, spec, out, filters)
    both = re.compile(r"\b(?:weekdays?|week ?days?|during the week|working days?|mon(?:day)?\s*(?:-|to|through|thru)\s*fri(?:day)?)\b")
    if "day_type" in vocab.dimensions and re.search(r"\bweekends?\b", tx.work) and both.search(tx.work):
        for m in tx.finditer(r"\bweekends?\b"):  # "weekend vs weekday revenue": the two groups, side by side
            tx.take(m.span())
        for m in list(both.finditer(tx.work)):
            tx.take(m.span())
        spec["_by_day_type"] = True
    wd = tx.search(r"\b(?:on|during|for)\s+(?:the\s+)?(?:weekdays|week ?days|working days|workdays)\b")
    if wd and not spec.get("_by_day_type"):  # "our typical basket on weekdays": Monday to Friday
        filters.setdefault("weekday", [])
        filters["weekday"] += [d for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
                               if d not in filters["weekday"]]
        out.signals.add("weekend_group")  # one group, not the five days side by side
        tx.take(wd.span())
    if "weekday" in vocab.dimensions:  # "on saturdays", "weekends"
        for m in tx.finditer(r"\b(mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?|weekends?)\b"):
            w = m.group(0).rstrip("s")
            names = ["Saturday", "Sunday"] if w == "weekend" else [w.title()]
            if w == "weekend":
                out.signals.add("weekend_group")  # one group, not Saturday and Sunday side by side
            filters.setdefault("weekday", [])
            filters["weekday"] += [n for n in names if n not in filters["weekday"]]
            tx.take(m.span())
    flist = _hours(tx, vocab, out)
    kids = spec.pop("_kids", None)
    if kids and "kids_count" in vocab.dimensions:
        flist.append({"dimension": "kids_count", "op": kids[0], "values": kids[1]})
        out.signals.add("filter")
    for dim, vals in filters.items():
        if vocab.dimensions and dim not in vocab.dimensions:
            if dim == "segment":
                out.signals.add("segment_filter")
            why = vocab.unavailable.get(dim, "is not a dimension of this workspace's data")
            out.problems.append(f"I can't filter by {dim.replace('_', ' ')} here: it {why}")
            continue
        flist.append({"dimension": dim, "op": "equals" if len(vals) == 1 else "in", "values": vals})
        out.signals.add("filter")
    if flist:
        spec["filters"] = list(spec.get("filters") or []) + flist  # after those read earlier ("never redeemed")


_CLOCK = r"(1[0-2]|0?[1-9])(?::00)?\s*(am|pm|a\.m\.|p\.m\.)|(1\d|2[0-3]|0?\d):00|noon|midday|midnight"
_PARTS_OF_DAY = {"morning": (5, 11), "afternoon": (12, 16), "evening": (17, 21), "lunchtime": (11, 13),
                 "lunch time": (11, 13)}


def _clock(m: re.Match, g: int) -> int:
    """The hour (0-23) of a clock time matched by _CLOCK starting at group ``g``."""
    word = m.group(0)
    if m.group(g):
        h = int(m.group(g)) % 12
        return h + (12 if m.group(g + 1).startswith("p") else 0)
    if m.group(g + 2):
        return int(m.group(g + 2))
    return 0 if "midnight" in word else 12


def _hours(tx: _Text, vocab: Vocab, out: QueryParse) -> list[dict]:
    """ "after 6pm", "before 10am", "between 5 and 7pm", "in the morning": a range on the hour of the order."""
    if vocab.dimensions and "hour" not in vocab.dimensions:
        return []
    found = []
    m = tx.search(r"\bbetween\s+(1[0-2]|0?[1-9])\s*(am|pm)?\s+and\s+(?:" + _CLOCK + r")")
    if m:
        hi = _clock(m, 3)
        lo = int(m.group(1)) % 12 + (12 if (m.group(2) or ("p" if hi >= 12 else "a")).startswith("p") else 0)
        found.append({"dimension": "hour", "op": "range", "min": lo, "max": max(lo, hi - 1)})
        tx.take(m.span())
    for m in tx.finditer(r"\b(after|later than|past|from|since|before|earlier than|until|till|by)\s+(?:" + _CLOCK + r")"):
        h = _clock(m, 2)
        if m.group(1) in ("before", "earlier than", "until", "till", "by"):
            found.append({"dimension": "hour", "op": "range", "min": 0, "max": max(0, h - 1)})
        else:
            found.append({"dimension": "hour", "op": "range", "min": h, "max": 23})
        tx.take(m.span())
    for word, (lo, hi) in _PARTS_OF_DAY.items():
        for m in tx.finditer(r"\b(?:in the |during the |at |over )?" + word + r"s?\b"):
            found.append({"dimension": "hour", "op": "range", "min": lo, "max": hi})
            out.problems.append(f'"{word}" read as the hours {lo}:00 to {hi}:59')
            tx.take(m.span())
    if found:
        out.signals.add("filter")
    return found[:1] if len(found) > 1 and "vs" not in tx.raw else found


def _match_values(tx: _Text, vocab: Vocab, filters: dict[str, list[str]], min_words: int) -> None:
    idx = vocab.value_index
    if not idx:
        return
    toks = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"[a-z0-9+]+", tx.work)]
    i = 0
    maxn = 6
    while i < len(toks):
        hit = None
        for n in range(min(maxn, len(toks) - i), min_words - 1, -1):
            seg = toks[i:i + n]
            if any(tx.work[seg[k][2]:seg[k + 1][1]].strip(" ,/&-") for k in range(n - 1)):
                continue  # never across a consumed span or punctuation other than light separators
            key = _norm(" ".join(t for t, _, _ in seg))
            if key in idx and key not in FILLER and (n > 1 or len(key) > 2):
                hit = (key, seg[0][1], seg[-1][2], n)
                break
        if hit is None:
            i += 1
            continue
        key, a, b, n = hit
        cands = idx[key]
        after = tx.work[b:b + 16]
        before = tx.work[max(0, a - 16):a]
        dim, val = _pick(cands, before + " " + after)
        # the dimension word right next to the value ("the MEAT department", "brand Private")
        m = re.match(r"\s*(" + _dim_pat(dim) + r")\b", tx.work[b:])
        end = b + m.end() if m else b
        m2 = re.search(r"(" + _dim_pat(dim) + r")\s*(?:called|named|=|:)?\s*$", tx.work[:a])
        start = m2.start() if m2 else a
        filters.setdefault(dim, [])
        if val not in filters[dim]:
            filters[dim].append(val)
        tx.take((start, end))
        i += n


_DIM_WORDS = {d: p for p, d in DIM_PHRASES}


def _dim_pat(dim: str) -> str:
    return _DIM_WORDS.get(dim, re.escape(dim.replace("_", " ")))


def _pick(cands: list[tuple[str, str]], near: str) -> tuple[str, str]:
    """A value stored under several dimensions: the one whose word is next to it, else the broadest."""
    for dim, val in cands:
        if re.search(r"\b(" + _dim_pat(dim) + r")\b", near):
            return dim, val
    order = ["department", "category", "brand", "campaign_type", "campaign", "segment"]
    return sorted(cands, key=lambda c: order.index(c[0]) if c[0] in order else len(order))[0]


def _band(v: str) -> tuple[float, float] | None:
    """(low, high) of a stored band: "45-54" -> (45, 54), "65+" -> (65, inf), "Under 15K" -> (0, 14.99)."""
    s = v.lower().replace("k", "").replace("$", "").strip()
    m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", s)
    if m:
        return float(m.group(1)), float(m.group(2))
    m = re.fullmatch(r"(\d+)\s*\+", s)
    if m:
        return float(m.group(1)), float("inf")
    m = re.fullmatch(r"under\s*(\d+)", s)
    if m:
        return 0.0, float(m.group(1)) - 0.01
    m = re.fullmatch(r"\d+", s)
    return (float(s), float(s)) if m else None


_ATTR_WORDS = {"age": r"aged?|ages|age group|year olds?|years old", "income": r"(?:household )?income|earning|earners?|earn|making|makes?",
               "household_size": r"household size|(?:people|persons?|members?) (?:in the )?households?|"
                                 r"person households?|-person households?|people|persons|members",
               "kids_count": r"kids|children|child"}


def _attribute_numbers(tx: _Text, vocab: Vocab, spec: dict, out: QueryParse,
                       filters: dict[str, list[str]] | None = None) -> None:
    """Numeric bands of customer attributes: "aged 35 to 54", "over 65", "income above 100K", "3+ kids"."""
    if filters is None:
        filters = {}
    for dim in ("age", "income"):  # a band written as stored: "45-54", "65+", "50-74K"
        for v in vocab.values.get(dim) or []:
            if re.search(r"[-+k]", v.lower()):
                m = re.search(r"(?<![\w$])\$?" + re.escape(v.lower()) + r"(?![\w+])", tx.work)
                if m:
                    filters.setdefault(dim, [])
                    if v not in filters[dim]:
                        filters[dim].append(v)
                    tx.take(m.span())
    kids = vocab.values.get("kids_count") or []
    if "0" in kids:
        m = tx.search(r"\b(without|with no|no|childless|zero)\s+(kids|children|child)\b|\bchildless\b|"
                      r"(?<=kids )(?:vs\.?|versus|or|and|compared (?:to|with))\s+(?:those\s+|ones\s+|households\s+|"
                      r"people\s+|families\s+|customers\s+)?(?:without|with none|none)\b|"
                      r"(?<=children )(?:vs\.?|versus|or|and|compared (?:to|with))\s+(?:those\s+|ones\s+|households\s+|"
                      r"people\s+|families\s+|customers\s+)?(?:without|with none|none)\b")
        m2 = tx.search(r"\b(?:families\s+|households\s+|customers\s+|people\s+)?(with|have|having|has)\s+(kids|children|"
                       r"a child)\b|\bfamilies with (kids|children)\b|\bparents\b")
        if "has_kids" in vocab.dimensions and (m or m2):
            filters.setdefault("has_kids", [])
            for mm, v in ((m, "No kids"), (m2, "With kids")):
                if mm:
                    filters["has_kids"].append(v)
                    tx.take(mm.span())
        elif m:
            spec.setdefault("_kids", ("equals", ["0"]))
            tx.take(m.span())
        elif m2:
            spec.setdefault("_kids", ("not_in", ["0"]))
            tx.take(m2.span())
    for dim, words in _ATTR_WORDS.items():
        vals = vocab.values.get(dim)
        if not vals:
            continue
        bands = {v: _band(v) for v in vals}
        bands = {v: b for v, b in bands.items() if b}
        if not bands:
            continue
        k = r"\s*k?\b" if dim == "income" else r"\b"
        n = r"\$?(\d+)"
        pats = [
            (r"(?:" + words + r")\s+(?:between\s+|from\s+)?" + n + r"\s*(?:-|to|and)\s*" + n + k, "range"),
            (n + r"\s*(?:-|to)\s*" + n + r"(?:k)?\s*(?:" + words + r")\b", "range"),
            (r"(?:" + words + r")\s+(?:of\s+)?(?:over|above|more than|older than|at least|\+)\s*" + n + k + r"|"
             r"(?:over|above|older than|more than)\s+" + n + r"\s*(?:" + words + r")\b|" + n + r"\+\s*(?:" + words +
             r")\b|(?:" + words + r")\s+" + n + r"\s*k?\+", "min"),
            (r"(?:" + words + r")\s+(?:of\s+)?(?:under|below|less than|younger than|at most)\s*" + n + k + r"|"
             r"(?:under|below|younger than|less than)\s+" + n + r"\s*(?:" + words + r")\b", "max"),
            (r"(?:" + words + r")\s+(?:of\s+)?" + n + k + r"|" + n + r"\s*(?:" + words + r")\b", "eq"),
        ]
        for pat, kind in pats:
            m = tx.search(r"\b" + pat)
            if not m:
                continue
            nums = [float(x) for x in m.groups() if x]
            if kind == "range":
                lo, hi = nums[0], nums[1]
            elif kind == "min":
                lo, hi = nums[0], float("inf")  # bands start on round numbers: "over 100K" takes 100-124K
            elif kind == "max":
                lo, hi = float("-inf"), nums[0] - (0 if "at most" in m.group(0) else 0.01)
            else:
                lo = hi = nums[0]
            hit = [v for v, (a, b) in bands.items() if a <= hi and b >= lo]  # bands that overlap
            inside = [v for v, (a, b) in bands.items() if a >= lo and b <= hi]
            if not hit:
                out.problems.append(f"no {dim.replace('_', ' ')} band in your data matches \"{m.group(0).strip()}\" "
                                    f"(the bands are {', '.join(sorted(bands))})")
                out.blocking = True
            elif kind in ("min", "max") and len(hit) == 1 and not inside:
                out.problems.append(f"I can't isolate \"{m.group(0).strip()}\": {dim.replace('_', ' ')} is stored in bands "
                                    f"and it falls inside the band {hit[0]} (the bands are {', '.join(sorted(bands))})")
                out.blocking = True
            else:
                if set(hit) != set(inside):
                    out.problems.append(f"{dim.replace('_', ' ')} is stored in bands, so \"{m.group(0).strip()}\" "
                                        f"was read as the bands {', '.join(sorted(hit))}")
                filters.setdefault(dim, [])
                filters[dim] += [v for v in sorted(hit) if v not in filters[dim]]
            tx.take(m.span())
            break


def _dims(tx: _Text, vocab: Vocab, spec: dict, out: QueryParse) -> list[str]:
    by: list[tuple[int, str]] = []
    for pat, dim in DIM_PHRASES:
        for m in tx.finditer(r"\b(" + pat + r")\b"):
            before = tx.raw[max(0, m.start() - 28):m.start()]
            word = m.group(0)
            adverb = word in ("daily", "weekly", "monthly", "quarterly", "yearly", "annually", "hourly")
            cue = re.search(r"\b(" + GROUP_CUES + r")\s+(?:the\s+|our\s+|a\s+|product\s+|customer\s+|[a-z]+\s+)?$",
                            before) or re.search(r"\b(" + GROUP_CUES + r")\s+$", before)
            after = tx.raw[m.end():m.end() + 40]
            sup_before = re.search(r"\b(lowest|least|smallest|worst|weakest|fewest|slowest|highest|biggest|"
                                   r"largest|best|strongest|busiest|quietest|top|bottom|leading|favou?rite|preferred)\s+(?:\w+\s+)?$", before)
            sup = re.match(r"\s*(?:\w+\s+){0,3}?(had|has|was|is|were|with|that|did|saw|made|brought|got|sold|"
                           r"performed|generated)\b", after)
            if dim in TIME_DIMS and not adverb and not cue and not (sup_before and "superlative" in out.signals):
                tx.take(m.span())
                continue  # "per day" etc. handled above; a bare "month" is not a breakdown
            metric_next = re.match(r"\s*(revenue|sales|spend|spending|orders|units|customers|baskets|"
                                   r"turnover|redemptions|growth|performance)\b", after)
            if "superlative" in out.signals and "top" not in spec and re.search(r"(s|ies)$", word) and \
                    not adverb and dim not in TIME_DIMS and re.search(r"\b(which|what)\s+(?:\w+\s+)?$", before):
                spec["top"] = 10  # "which categories sell the most": a ranking, not the single best
            if adverb or cue or sup_before or metric_next or (dim not in TIME_DIMS and "compare" in out.signals) or \
                    (sup and ("superlative" in out.signals or "rank" in out.signals)):
                by.append((m.start(), dim))
            tx.take(m.span())
    names: list[str] = []
    for _, d in sorted(by):
        if d in names:
            continue
        if vocab.dimensions and d not in vocab.dimensions:
            if d == "segment":
                out.signals.add("segment_by")  # data_overview breaks revenue down by segment
                continue
            why = vocab.unavailable.get(d)
            out.problems.append(f"I can't break this down by {d.replace('_', ' ')} here"
                                + (f": it {why}" if why else ": your data has no such dimension")
                                + f". Breakdowns I can do: {', '.join(sorted(vocab.dimensions))}")
            out.blocking = True
            continue
        names.append(d)
    return names[:2]


def _unknown_named(tx: _Text, vocab: Vocab, out: QueryParse, spec: dict | None = None) -> None:
    """"the Toys2 department", "brand Acme", "segment Bargain Hunters": a dimension named with a value we lack."""
    types = vocab.values.get("campaign_type") or []
    for m in tx.finditer(r"\btype\s+([a-z0-9])\b(?=\s+campaigns?\b)|\bcampaigns?\s+(?:of\s+)?type\s+([a-z0-9])\b"):
        letter = m.group(1) or m.group(2)
        if types and f"type {letter}" not in {str(t).lower() for t in types}:
            out.problems.append(f"no such campaign type \"Type {letter.upper()}\" in your data. Campaign types: "
                                f"{', '.join(sorted(map(str, types)))}")
            out.blocking = True
            tx.take(m.span())
    for dim in ("department", "category", "brand", "segment", "campaign", "store"):
        vals = vocab.values.get(dim)
        pat = _dim_pat(dim)
        for m in list(re.finditer(r"\b(?:in|for|from|of|within|on|the)\s+(?:the\s+)?([a-z][a-z0-9&' -]{1,30}?)\s+(?:" +
                                  pat + r")\b|\b(?:" + pat + r")\s+(?:called|named)?\s*\"?([a-z0-9][a-z0-9&' -]{1,30}?)"
                                  r"\"?(?=\s*(?:$|\?|,|\.|\b(?:in|for|last|this|during|vs|by|and|over|since)\b))",
                                  tx.work)):
            name = (m.group(1) or m.group(2) or "").strip()
            if not name or _MASK in name or name in FILLER or all(w in FILLER for w in name.split()):
                continue
            words = [_stem(w) for w in name.split() if w not in FILLER]
            whole = [v for v in vals or [] if words and all(w in _norm(v).split() for w in words)]
            if dim == "segment" and len(whole) == 1 and spec is not None:
                # "the occasional shoppers segment": the one segment whose name holds those words (said so)
                spec.setdefault("filters", []).append({"dimension": "segment", "op": "equals", "values": whole})
                out.signals.add("filter")
                out.problems.append(f'I read "{name}" as the segment {whole[0]}')
                tx.take(m.span())
                continue
            close = difflib.get_close_matches(name, [v.lower() for v in vals or []], n=3, cutoff=0.5)
            shown = [v for v in (vals or []) if v.lower() in close]
            if vals:
                listed = _listed(vals, 25)
                out.problems.append(f"no such {dim} \"{name}\" in your data"
                                    + (f" (closest: {', '.join(shown)})" if shown else "") + f". {dim.title()}s: {listed}")
            else:
                out.problems.append(f"no such {dim} \"{name}\": your data has no {dim} values to match")
            out.blocking = True
            tx.take(m.span())


def _finish(tx: _Text, vocab: Vocab, spec: dict, out: QueryParse) -> None:
    by = spec.get("by") or []
    if "superlative" in out.signals and "top" not in spec:
        if by:
            spec["top"] = 1
        elif "compare" not in spec and vocab.metrics:
            # "which month was highest" with no dimension word parsed: nothing to rank
            pass
    if "superlative" in out.signals and not by and "compare" not in spec and "concentration" not in spec and \
            "distribution" not in spec and "segment_by" not in out.signals and "top" not in spec and \
            spec.get("descending") is False:
        out.problems.append("I can't tell what to rank from the lowest: name a breakdown such as category, "
                            "department, brand or month")
        out.blocking = True
    if ("top" in spec or "superlative" in out.signals) and not by and "concentration" not in spec and \
            "segment_by" not in out.signals and "distribution" not in spec and \
            re.search(r"\b(best|top|worst|slowest)[- ]?(sellers?|selling|sold)\b|\bbestsellers?\b|\bwhat (?:are|do|did|does) "
                      r"(?:people|customers|shoppers|households|folks|they) (?:buy|buying|bought|purchase|purchasing)\b",
                      tx.raw) and \
            (not vocab.dimensions or "product" in vocab.dimensions):
        spec["by"] = by = ["product"]  # "best sellers in Drug GM": products
        spec.setdefault("top", 1)  # "best seller in produce?": the one product
        if "sort" not in spec:
            spec["sort"] = spec["metrics"][0]
    if "top" in spec and not by and "concentration" not in spec and "segment_by" not in out.signals:
        # "top 5" with no dimension: the question ranks something we did not recognise
        out.problems.append("I can't tell what to rank: name a breakdown such as category, department, brand or month")
        out.blocking = True
        spec.pop("top", None)
    if spec.get("sort") == "change" and "compare" not in spec and by and not spec.get("start") and vocab.last is not None \
            and not out.windows and re.search(r"\b(grew|grow\w*|growth|increas\w*|rose|rising|gain\w*|improv\w*|declin\w*|"
                                              r"drop\w*|fell|falling|shrink\w*|shrank)\b", tx.raw):
        # "which dept is growing fastest": the last complete quarter against the one before, said so
        cur = pd.Period(vocab.last, freq="Q")
        done = cur if vocab.last.normalize() == cur.end_time.normalize() else cur - 1
        a, b = str(done - 1).replace("Q", "-Q"), str(done).replace("Q", "-Q")
        spec["compare"] = [a, b]
        pp = parse_periods(f"{a} vs {b}".lower(), vocab.last, vocab.first)
        out.windows = list(pp.compare or [])
        out.signals.add("compare")
        out.problems.append(f"no periods named, so growth compares the last complete quarter ({b}) with the one "
                            f"before ({a})")
    if spec.get("sort") == "change" and "compare" not in spec:
        spec.pop("sort")
        if by:
            out.problems.append("I can't rank by growth without two periods to compare: say e.g. \"Q2 vs Q3\" "
                                "or \"this month vs last\"")
    if "concentration" in spec and by and by[0] != "customer" and spec["concentration"] == {"top_pct": [1, 10, 20]}:
        # "how concentrated are sales by store": each store's share of the total, the biggest first (the customer
        # concentration table answers a different question)
        spec.pop("concentration")
        spec["share_of_total"] = True
        spec["sort"] = spec["metrics"][0]
        spec["top"] = spec.get("top") if spec.get("top", 1) > 1 else 10
        spec.pop("descending", None)
        spec.pop("compare", None)
        out.signals.discard("concentration")
        out.signals.add("share")
    if "concentration" in spec:
        spec.pop("by", None)
        spec.pop("top", None)
        spec.pop("compare", None)
        spec.pop("descending", None)
    if by and ("top" in spec or "superlative" in out.signals) and not spec.get("sort") and "compare" not in spec:
        spec["sort"] = spec["metrics"][0]  # a ranking: by the metric, not in time order
    for f in spec.get("filters") or []:
        # "top categories in Frozen Grocery": a name both a department and a category filters the department when
        # the question breaks down by category (a category filtered to itself ranks one row)
        if f.get("op") in ("equals", "in") and f["dimension"] in by and len(by) == 1:
            for other in ("department", "category", "brand"):
                stored = {str(v).lower(): v for v in vocab.values.get(other) or []}
                if other != f["dimension"] and all(str(v).lower() in stored for v in f["values"]):
                    f["dimension"], f["values"] = other, [stored[str(v).lower()] for v in f["values"]]
                    break
        if f.get("op") == "in" and f["dimension"] not in ("weekday",):
            f["values"] = sorted(f["values"])  # as stored, not in the order the question named them
    versus = re.search(r"\b(vs\.?|versus|compared (?:to|with)|against)\b", tx.raw) is not None
    multi = [f for f in spec.get("filters") or [] if len(f.get("values") or []) > 1 and f.get("op") in ("in", "equals")
             and (f["dimension"] not in ("age", "income", "weekday") or versus)
             and not (f["dimension"] == "weekday" and "weekend_group" in out.signals)]
    union = spec.get("metrics") == ["customers"] and re.search(r"\b(how many|number of|count)\b", tx.raw) and \
        re.search(r"\w\s+(?:or|and/or)\s+\w", tx.raw) and not versus  # "how many customers buy cheese or yogurt"
    if multi and not spec.get("by") and "concentration" not in spec and "distribution" not in spec and not union:
        spec["by"] = [multi[0]["dimension"]]  # "national and private brands": one row each

        by = spec["by"]
    if re.search(r"\bboth\b", tx.raw) and ("compare" in spec or out.windows) and \
            spec.get("metrics") == ["customers"] and not spec.get("purchase_conditions"):
        out.problems.append("I can't count customers who bought in both periods (an intersection); I can give the "
                            "customers in each period")
        out.blocking = True
    if spec.get("share_of_total") and not spec.get("by") and spec.get("filters"):
        # "share of private label in grocery": the value named right after the share word is the part; the
        # others keep filtering (the last filter when the words cannot be placed)
        eq = [g for g in spec["filters"] if g.get("op") in ("equals", "in")] or spec["filters"]
        at = re.search(r"\b(share|percent(age)?|proportion|fraction|portion|contribution|% of|pct of)\b|%", tx.raw)

        def _pos(g: dict) -> int:
            keys = [k for v in g.get("values") or [] for k in [_norm(v)] + _SYNONYMS.get((g["dimension"], _norm(v)), [])]
            text = _norm(tx.raw)
            hits = [m.start() + (10 ** 5 if re.match(r"[a-z0-9]+(?: [a-z]+)? (?:revenue|sale|order|spend|unit|customer)",
                                                     text[m.start():]) else 0)  # "grocery revenue": the base
                    for k in keys if k for m in re.finditer(r"\b" + re.escape(k.split()[0]), text)]
            return min(hits) if hits else 10 ** 6
        f = min(eq, key=_pos) if at and len(eq) > 1 and any(_pos(g) < 10 ** 6 for g in eq) else eq[-1]
        part = f
        if part.get("op") == "range" and part["dimension"] == "hour":  # "share of orders before noon": those hours
            lo = int(part["min"]) if part.get("min") is not None else 0
            hi = int(part["max"]) if part.get("max") is not None else 23
            f = {"dimension": "hour", "op": "in", "values": [str(h) for h in range(lo, hi + 1)]}
            spec["filters"] = [f if g is part else g for g in spec["filters"]]
        if "values" not in f:  # a range we cannot list as values: the total inside it, said so
            spec.pop("share_of_total")
            out.problems.append("I can't give that range as a share of the total; the total inside the range is below")
        else:
            if f["dimension"] in ("department", "category") and any(is_non_merchandise(str(v)) for v in f["values"]):
                spec["include_non_merchandise"] = True  # "what % of revenue is fuel": fuel stays in the shares
            spec["filters"] = [g for g in spec["filters"] if g is not f] or None
            if spec["filters"] is None:
                spec.pop("filters")
            spec["by"] = [f["dimension"]]
            out.focus = [(f["dimension"], v) for v in f["values"]]
    elif spec.get("share_of_total") and not spec.get("by"):
        spec.pop("share_of_total")  # a share of nothing: the plain total answers it
    if spec.get("descending") is True:
        spec.pop("descending")
    if "top" in spec and by and spec.get("sort") is None and "compare" in spec:
        # "top 5 categories, december vs november" (no growth word): the biggest in the later period, with their
        # change; "which grew most" set the sort to the change already
        spec["sort"] = spec["metrics"][0] if re.search(r"\btop\s+\d+|\b(biggest|largest|leading|top)\b", tx.raw) and \
            not re.search(r"\b(chang\w*|differ\w*|gain\w*|loss\w*|swing\w*|mov\w*)\b", tx.raw) else "change"
