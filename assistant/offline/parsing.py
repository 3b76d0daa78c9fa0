"""Argument parsing for the offline planner: numbers, horizons, ratings, dates, channels, metrics, names.

Every parser is a pure function of the question text (and, for names, of the candidate names), so the
question set in tests/planner_questions.jsonl can check each one.
"""

from __future__ import annotations

import difflib
import re
from typing import Iterable

from models.predictor import DEFAULT_HORIZONS

__all__ = [
    "normalize", "parse_horizon", "parse_top_k", "parse_min_probability", "parse_customer_id", "parse_ratings",
    "parse_dates", "parse_channel", "parse_tone", "parse_offer", "parse_metric", "parse_by", "parse_period",
    "match_segment", "match_name", "parse_audience_target", "P_AUDIENCE", "name_aliases", "parse_limit",
    "wants_each_segment", "NEGATIVE_WORDS", "POSITIVE_WORDS", "parse_forecast_weeks", "parse_forecast_metric",
    "named_segment",
]

NUMBER_WORDS = {"one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50,
                "hundred": 100, "couple": 2, "few": 3}
MONTHS = {m: i + 1 for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                          "september", "october", "november", "december"])}
MONTHS.update({k[:3]: v for k, v in list(MONTHS.items())})
MONTHS["sept"] = 9
NEGATIVE_WORDS = ("complain", "complaint", "negative", "bad review", "unhappy", "angry", "worst", "problem",
                  "issue", "dislike", "hate", "disappoint", "poor", "low rating", "low-rated", "low rated",
                  "critical", "criticism", "gripe", "frustrat", "annoy", "wrong with", "broken", "defect")
POSITIVE_WORDS = ("positive", "praise", "love", "happy", "favourite", "favorite", "good review", "great review",
                  "compliment", "best review", "highly rated", "high rating", "top rated", "top-rated", "delight",
                  "like most", "like best", "enjoy")
_NUM = r"(\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"


def normalize(text: str) -> str:
    """Lower case, hyphens and punctuation to spaces, single spaces (for name matching)."""
    t = str(text).casefold().replace("’", "'")
    t = re.sub(r"[^\w%$'#.]+", " ", t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)
    return " ".join(t.split())


def _num(tok: str) -> int | None:
    tok = tok.strip().lower()
    if tok.isdigit():
        return int(tok)
    return NUMBER_WORDS.get(tok)


def nearest_horizon(days: float, horizons: Iterable[int] = DEFAULT_HORIZONS) -> int:
    return min(horizons, key=lambda h: (abs(h - days), h))


def parse_horizon(q: str, horizons: Iterable[int] = DEFAULT_HORIZONS) -> int | None:
    """Days ahead the question asks about, snapped to one of ``horizons`` (the trained ones when the planner
    knows them); None if not said."""
    t = q.lower()
    m = re.search(_NUM + r"[\s-]*(day|week|month)s?\b", t)
    if m and not re.search(r"\b(last|past|previous|ago)\b[^.?!]{0,12}$", t[: m.start()]):
        n = _num(m.group(1)) or 1
        unit = {"day": 1, "week": 7, "month": 30}[m.group(2)]
        return nearest_horizon(n * unit, horizons)
    if re.search(r"\b(fortnight|couple of weeks|two weeks)\b", t):
        return nearest_horizon(14, horizons)
    if re.search(r"\b(this|next|coming|upcoming|following)\s+month\b|\bwithin a month\b|\bmonthly\b", t):
        return nearest_horizon(30, horizons)
    if re.search(r"\b(this|next|coming|upcoming|following)\s+week\b|\b(today|tomorrow|weekend|soon|right now|"
                 r"within a week|days ahead|short term|short-term|imminently)\b", t):
        return nearest_horizon(7, horizons)
    return None


def parse_top_k(q: str) -> int | None:
    t = q.lower()
    patterns = [r"\btop[\s-]*" + _NUM + r"\b", r"\b(?:first|best|leading|highest)\s+" + _NUM + r"\b",
                r"\b" + _NUM + r"\s+(?:most|best|top|likeliest|highest|customers|buyers|people|shoppers|households|"
                r"clients|names|members|rows|likely)\b"]
    for p in patterns:
        m = re.search(p, t)
        if m:
            n = _num(m.group(1))
            if n and not (m.group(1) in ("a", "one") and "top" not in m.group(0)):
                return n
    return None


def parse_limit(q: str) -> int | None:
    return parse_top_k(q)


def parse_min_probability(q: str) -> float | None:
    t = q.lower()
    m = re.search(r"(?:at least|above|over|more than|greater than|higher than|>=?|minimum(?: of)?)\s*"
                  r"(\d+(?:\.\d+)?)\s*(%|percent)?(?:\s*(?:chance|probability|likely|likelihood))?", t)
    if not m:
        m = re.search(r"(?:probability|chance|likelihood|p_buy|p buy)\s*(?:of\s*)?(?:at least|above|over|>=?|"
                      r"more than)?\s*(\d+(?:\.\d+)?)\s*(%|percent)?", t)
    if not m:
        return None
    ctx = t[max(0, m.start() - 40): m.end() + 30]
    if not re.search(r"%|percent|chance|probab|likel|p_buy|p buy", ctx):
        return None
    v = float(m.group(1))
    if m.group(2) or v > 1:
        v = v / 100
    return round(v, 4) if 0 < v <= 1 else None


_ID_NOUNS = ("customer", "household", "client", "shopper", "buyer", "member")
_NOT_CUSTOMER_HASH = {"store", "stores", "campaign", "campaigns", "coupon", "coupons", "product", "products", "order",
                      "orders", "item", "items", "sku", "department", "category", "brand", "segment", "cluster",
                      "basket", "shop", "location", "branch", "no", "number"}
_NOT_ID_NOUNS = {"cluster", "costume", "number", "mumber"}


def parse_customer_id(q: str) -> str | None:
    m = re.search(r"\b(?:customer|household|client|shopper|buyer|hh|member|id)\s*(?:id|number|no\.?)?\s*#?\s*(\d{2,})\b",
                  q, re.I)
    if m:
        return m.group(1)
    for m in re.finditer(r"#\s*(\d{3,})\b", q):  # "#1234": a customer unless a store/campaign/... word names it
        before = re.findall(r"[a-z]+", q[:m.start()].lower())
        if not before or before[-1] not in _NOT_CUSTOMER_HASH:
            return m.group(1)
    for m in re.finditer(r"\b([a-z]{4,})\s*(?:id|number|no\.?)?\s*#?\s*(\d{2,})\b", q.lower()):
        if m.group(1).rstrip("s") in _ID_NOUNS:  # a plural ("customers 2017") names no one customer
            continue
        w = m.group(1)
        near = difflib.get_close_matches(w, _ID_NOUNS, n=1, cutoff=0.75)  # "custmer 123", "costumer 42"
        if near and abs(len(near[0]) - len(w)) <= 1 and w not in _NOT_ID_NOUNS:
            return m.group(2)
    return None


def parse_ratings(q: str) -> tuple[int | None, int | None]:
    """(min_rating, max_rating) from stars and sentiment words; redundant bounds (1 and 5) are dropped."""
    t = q.lower()
    lo = hi = None
    m = re.search(r"\b([1-5])\s*(?:-|–|to|or|and)\s*([1-5])[\s-]*stars?\b", t)
    if m:
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        lo, hi = a, b
    else:
        m = re.search(r"\b([1-5]|one|two|three|four|five)[\s-]*stars?\b(?:\s*(or|and)\s*(less|lower|below|under|fewer|"
                      r"worse|more|higher|above|up|better|over))?", t)
        pre = re.search(r"(at least|at most|under|below|fewer than|less than|over|above|more than)\s+(?:[1-5]|one|two|"
                        r"three|four|five)[\s-]*stars?", t)
        if m:
            n = _num(m.group(1)) if not m.group(1).isdigit() else int(m.group(1))
            tail = m.group(3)
            if tail in ("less", "lower", "below", "under", "fewer", "worse"):
                hi = n
            elif tail in ("more", "higher", "above", "up", "better", "over"):
                lo = n
            elif pre:
                word = pre.group(1)
                if word == "at least":
                    lo = n
                elif word == "at most":
                    hi = n
                elif word in ("under", "below", "fewer than", "less than"):
                    hi = n - 1
                else:
                    lo = n + 1
            else:
                lo = hi = n
    if lo is None and hi is None:
        if any(w in t for w in NEGATIVE_WORDS):
            hi = 2
        elif any(w in t for w in POSITIVE_WORDS):
            lo = 4
    if lo is not None and lo <= 1:
        lo = None
    if hi is not None and hi >= 5:
        hi = None
    return lo, hi


def _month_start(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}-01"


def _month_end(year: int, month: int) -> str:
    import calendar

    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


_MONTH_RE = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?\s+(\d{4})"


def _point(text: str, end: bool) -> str | None:
    text = text.strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return m.group(0)
    m = re.match(r"(\d{4})-(\d{2})\b", text)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        return _month_end(y, mo) if end else _month_start(y, mo)
    m = re.match(_MONTH_RE, text)
    if m:
        y, mo = int(m.group(2)), MONTHS[m.group(1)]
        return _month_end(y, mo) if end else _month_start(y, mo)
    m = re.match(r"(\d{4})\b", text)
    if m:
        return f"{m.group(1)}-12-31" if end else f"{m.group(1)}-01-01"
    return None


def parse_dates(q: str) -> tuple[str | None, str | None]:
    """(since, until) ISO dates from "since May 2017", "before 2017-06-01", "in March 2017", "in 2017"."""
    t = q.lower()
    since = until = None
    point = r"(\d{4}-\d{2}(?:-\d{2})?|" + _MONTH_RE + r"|\d{4})"
    m = re.search(r"\b(?:since|after|from|starting)\s+" + point, t)
    if m:
        since = _point(m.group(1), end=False)
    m = re.search(r"\b(?:before|until|till|up to|through|to)\s+" + point, t)
    if m:
        until = _point(m.group(1), end=True)
    if since is None and until is None:
        m = re.search(r"\b(?:in|during|for|of)\s+" + point, t)
        if m:
            since, until = _point(m.group(1), end=False), _point(m.group(1), end=True)
    return since, until


def parse_period(q: str) -> str | None:
    """"2017" or "2017-06" for data_overview."""
    t = q.lower()
    m = re.search(r"\b(\d{4})-(\d{2})\b", t)
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    m = re.search(_MONTH_RE, t)
    if m:
        return f"{int(m.group(2)):04d}-{MONTHS[m.group(1)]:02d}"
    m = re.search(r"\b(?:in|during|for|of)\s+(\d{4})\b", t)
    return m.group(1) if m else None


def parse_channel(q: str) -> str | None:
    t = q.lower()
    if re.search(r"\b(sms|text message|texts?|txt)\b", t):
        return "sms"
    if re.search(r"\b(push|notifications?|app message|in-app)\b", t):
        return "push"
    if re.search(r"\b(e-?mails?|newsletters?|mailers?|mailing)\b", t):
        return "email"
    return None


def parse_tone(q: str) -> str | None:
    from tools.campaign_copy import TONE_ALIASES, TONES

    t = q.lower()
    for word in sorted(list(TONES) + list(TONE_ALIASES), key=len, reverse=True):
        if re.search(r"\b" + re.escape(word) + r"\b", t):
            return TONE_ALIASES.get(word, word)
    return None


def parse_offer(q: str) -> str | None:
    t = q.lower()
    m = re.search(r"(\d+\s*%\s*(?:off|discount)|\$\s*\d+(?:\.\d+)?\s*(?:off|coupon|voucher|discount)|"
                  r"free (?:shipping|delivery)|buy one,? get one(?: free)?|bogo|double points|"
                  r"\d+\s*percent\s*(?:off|discount))", t)
    if not m:
        return None
    offer = " ".join(m.group(1).split())
    offer = re.sub(r"(\d+)\s*percent", r"\1%", offer)
    offer = re.sub(r"(\d+)\s+%", r"\1%", offer)
    return re.sub(r"\$\s+", "$", offer)


_METRICS = [
    ("top_products", r"\b(top|best[- ]?selling|best sellers?|bestsellers?|most popular|biggest)\s+(\w+\s+)?(products|items|skus)\b|"
                     r"\bwhich products (sell|sold)\b|\bbest[- ]?sellers?\b"),
    ("top_categories", r"\b(top|best[- ]?selling|most popular|biggest|leading|largest)\s+(\w+\s+)?(categories|category|departments)\b|"
                       r"\bwhich categories\b|\bcategories (sell|bring|make|drive)"),
    ("repeat_rate", r"\brepeat\b|\bretention\b|\breturning customers\b|\bcome back\b|\bbuy again\b"),
    ("average_basket", r"\b(average|avg|mean|typical)\s+(basket|order value|order size|ticket|spend per order)\b|"
                       r"\bbasket size\b|\baov\b"),
    ("orders", r"\b(orders|baskets|transactions|purchases|trips)\b"),
    ("customers", r"\b(customers|shoppers|households|buyers)\b"),
    ("revenue", r"\b(revenue|sales|turnover|income|money|gmv|takings|sold)\b"),
]


def parse_metric(q: str) -> str | None:
    t = q.lower()
    for name, pat in _METRICS:
        if re.search(pat, t):
            return name
    return None


def parse_by(q: str) -> str | None:
    t = q.lower()
    if re.search(r"\b(by|per|each|every|over the|across|month over)\s+(calendar\s+)?months?\b|\bmonthly\b|"
                 r"\bmonth by month\b|\bmonth-by-month\b", t):
        return "month"
    if re.search(r"\b(by|per|each|every)\s+weeks?\b|\bweekly\b|\bweek by week\b", t):
        return "week"
    if re.search(r"\b(by|per|each|every|across)\s+(product\s+)?(category|categories|department)\b", t):
        return "category"
    if re.search(r"\b(by|per|each|every|across)\s+segments?\b", t):
        return "segment"
    return None


def wants_each_segment(q: str) -> bool:
    return bool(re.search(r"\b(each|every|all|all of our|all our|each of our|each of the|per)\s+(of\s+)?(the\s+|our\s+)?"
                          r"(customer\s+)?(segments?|groups|clusters)\b|\bsegment by segment\b", q.lower()))


# words in segment names that users do not use to pick a segment
_SEG_STOP = {"spend", "one", "off", "the", "and", "of", "big", "small", "average", "some", "few", "no", "lean",
             "fans", "baskets", "coupons", "customers", "segment", "high", "low", "mid", "shoppers", "buyers",
             "shopper", "buyer", "customer"}


def match_segment(q: str, profiles: Iterable[dict]) -> str | None:
    """The segment named in the question: "segment 3", the full name, or its distinctive words."""
    profiles = list(profiles)
    if not profiles:
        return None
    m = re.search(r"\b(?:segment|cluster|group)\s*(?:id\s*)?#?\s*(\d+)\b", q, re.I)
    if m:
        for p in profiles:
            if int(p["segment_id"]) == int(m.group(1)):
                return str(p["name"])
    nq = f" {normalize(q)} "
    names = [(str(p["name"]), normalize(p["name"])) for p in profiles]
    full = [n for n, nn in names if f" {nn} " in nq or f" {_base(nn)} " in nq]
    if full:
        return max(full, key=len)
    qwords = set(nq.split())
    qwords |= {w[:-1] for w in qwords if w.endswith("s")}
    best, best_score, tie = None, 0.0, False
    for name, nn in names:
        words = [w for w in _base(nn).split() if w not in _SEG_STOP and len(w) > 2]
        hits = sum(1 for w in words if w in qwords or w.rstrip("s") in qwords)
        if hits == 0:
            continue
        # "high spend" / "low spend" count when written as words
        for lvl in ("high", "low", "mid"):
            if f" {lvl} spend" in nq and f"{lvl} spend" in nn:
                hits += 1
        score = hits / max(1, len(words)) + hits
        if score > best_score:
            best, best_score, tie = name, score, False
        elif score == best_score:
            tie = True
    if best is None or tie:
        return None
    named = named_segment(q)  # "the Loyal Lions segment": a name with a word no segment has is not "Loyal ..."
    if named is not None and not named.isdigit():
        have = [w for w in _base(normalize(best)).split() if len(w) > 2]
        extra = [w for w in normalize(named).split() if w not in _SEG_STOP and len(w) > 2
                 and not any(w.startswith(h[:4]) or h.startswith(w[:4]) for h in have)]
        if extra:
            return None
    return best


def _base(normalized_name: str) -> str:
    return normalized_name.split(" (")[0].split("(")[0].strip()


_ALIAS_STOP = {"products", "product", "baked", "frozen", "frzn", "packaged", "stable", "shelf", "other", "misc",
               "fresh", "canned", "bag", "cold", "dinners", "private", "national", "regular", "items", "goods",
               "sweet", "non", "and", "all", "mix", "mixes", "pack", "packs", "multi", "not", "incl", "only",
               "white", "fluid", "care", "supplies", "refrigerated", "prepared", "dry", "hot", "misc.", "single"}


def _stem(w: str) -> str:
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


def _norm_stem(text: str) -> str:
    return " ".join(_stem(w) for w in normalize(text).split())


def name_aliases(names: Iterable[str]) -> dict[str, str]:
    """Normalized phrase -> canonical name: full names, their "/" and " - " parts, and words unique to one name."""
    aliases: dict[str, str] = {}
    token_owner: dict[str, set[str]] = {}
    names = sorted(set(str(n) for n in names))
    for n in names:
        base = n.split(" (")[0]
        aliases.setdefault(_norm_stem(n), n)
        aliases.setdefault(_norm_stem(base), n)
        for part in re.split(r"/|\s-\s|&|,", base):
            if len(part.strip()) > 3:
                aliases.setdefault(_norm_stem(part), n)
        for w in _norm_stem(base).split():
            if len(w) > 3 and w not in _ALIAS_STOP and not w.isdigit():
                token_owner.setdefault(w, set()).add(n)
    # a word names a category only when one category has it (products sharing it defer to the category)
    for w, owners in token_owner.items():
        if w in aliases:
            continue
        cats = [o for o in owners if "(" not in o]
        if len(cats) == 1:
            aliases[w] = cats[0]
        elif len(owners) == 1:
            aliases[w] = next(iter(owners))
    return {a: c for a, c in aliases.items() if len(a) >= 3}


# "who will buy coffee", "likely buyers of cheese", "audience for soft drinks": a product / category after the verb
_NOT_A_PRODUCT = (r"(anything|something|again|next|this|that|in|within|soon|over|during|from|more|less|online|"
                  r"today|tomorrow|the next|the coming|a lot|most|much|at|more than|between|our|us|it|them)")
P_AUDIENCE = (r"\b(who|which (customers|shoppers|households|people|clients|buyers))\b(\s+[\w']+){0,4}?\s+"
              r"(buy|purchase|order|want|get)s?\s+(?!" + _NOT_A_PRODUCT + r"\b)[a-z]|"
              r"\b(buyers|purchasers|audience|propensity)\s+(of|for|to buy)\s+(?!" + _NOT_A_PRODUCT + r"\b)[a-z]")
_TIME_WORDS = r"\b(next|this|in|within|over|during|soon|today|tomorrow|the coming|coming|by|for every|for each|" \
              r"for all|in the|before|after)\b"


def parse_audience_target(q: str, aliases: dict[str, str] | None = None) -> str | None:
    """The product or category a product-audience question names: a known name, else the words after
    "buy" / "buyers of" / "audience for" up to a time phrase ("who will buy frozen pizza next month" -> "frozen
    pizza")."""
    known = match_name(q, aliases or {})
    if known:
        return known
    m = re.search(r"\b(?:buy|purchase|order|want|get|buyers of|purchasers of|audience for|propensity to buy)\s+"
                  r"([a-z][a-z &'/-]{1,40})", q.lower())
    if not m:
        return None
    words = re.split(_TIME_WORDS, m.group(1))[0].rstrip(" ?.!,")
    lead = re.match(r"(some|any|the|a|an|our)\s+", words)
    start = m.start(1) + (lead.end() if lead else 0)
    return q[start:m.start(1) + len(words)].strip(" ?.!,") or None  # as written (names keep their case)


def match_name(q: str, candidates: Iterable[str] | dict[str, str]) -> str | None:
    """The canonical name whose longest alias is written in the question (plural-insensitive)."""
    aliases = candidates if isinstance(candidates, dict) else name_aliases(candidates)
    nq = f" {_norm_stem(q)} "
    best, best_len = None, 0
    for alias, canon in aliases.items():
        if len(alias) > best_len and f" {alias} " in nq:
            best, best_len = canon, len(alias)
    return best


def parse_forecast_weeks(q: str) -> int | None:
    """Weeks ahead a forecast question asks for ("next 8 weeks", "next month" = 4, "next quarter" = 13)."""
    t = q.lower()
    m = re.search(_NUM + r"[\s-]*(week|month|quarter)s?\b", t)
    if m and not re.search(r"\b(last|past|previous|ago)\b[^.?!]{0,12}$", t[: m.start()]):
        n = _num(m.group(1)) or 1
        return max(1, min(26, round(n * {"week": 1, "month": 4.35, "quarter": 13}[m.group(2)])))
    if re.search(r"\b(next|coming|upcoming|following|this)\s+quarter\b|\bquarterly\b", t):
        return 13
    if re.search(r"\b(next|coming|upcoming|following)\s+month'?s?\b|\bmonth ahead\b", t):
        return 4
    if re.search(r"\b(next|coming|upcoming|following)\s+week'?s?\b", t):
        return 1
    if re.search(r"\b(next|coming)\s+(half[- ]year|six months)\b|\brest of the year\b|\bnext year\b", t):
        return 26
    return None


def parse_forecast_metric(q: str) -> str:
    """revenue unless the question counts orders or (active) customers."""
    t = q.lower()
    if re.search(r"\b(orders|baskets|transactions|trips)\b", t):
        return "orders"
    if re.search(r"\b(customers|shoppers|households|buyers)\b", t) and not re.search(
            r"\b(revenue|sales|turnover|spend)\b", t):
        return "customers"
    return "revenue"


_NOT_A_NAME = {"each", "every", "all", "this", "that", "these", "those", "my", "our", "a", "an", "which", "what", "one",
               "same", "new", "biggest", "largest", "best", "top", "first", "second", "third", "last", "any", "your",
               "their", "its", "per", "by", "customer", "whole", "entire", "other", "another", "each customer",
               "smallest", "most valuable", "highest", "lowest", "given", "specific", "certain", "single", "right"}


def named_segment(q: str) -> str | None:
    """A segment the question names ("the Bargain Hunters segment", "segment called X", "segment 9"), as written;
    None when it names none. Whether it exists is for the caller to check."""
    t = " ".join(str(q).replace("’", "'").split())
    m = re.search(r"\b(?:segment|cluster)s?\s+(?:called|named)\s+[\"“']?([\w][\w' &+-]{1,40}?)[\"”']?(?=[?.!,]|$|\s+(?:with|for|in|"
                  r"and|as|to|by|who|that|this|next|over)\b)", t, re.I) or \
        re.search(r"\b(?:segment|cluster)\s*(?:id\s*)?#?\s*(\d+)\b", t, re.I) or \
        re.search(r"\b(?:the|for|to|in|of|from|among)\s+[\"“']?([A-Za-z][\w' &+-]{1,40}?)[\"”']?\s+(?:segment|cluster)\b", t, re.I)
    if not m:
        return None
    name = m.group(1).strip(" '\"")
    words = name.lower().split()
    if not words or name.lower() in _NOT_A_NAME or all(w in _NOT_A_NAME for w in words):
        return None
    if words[-1] in ("by", "per", "each", "every", "across", "all", "and", "or", "vs", "of", "which", "what", "any"):
        return None  # "the gap between visits by segment": a breakdown, not a segment's name
    if words[0] in ("the", "a", "an", "our", "my") and len(words) > 1:
        name = " ".join(name.split()[1:])
    return name
