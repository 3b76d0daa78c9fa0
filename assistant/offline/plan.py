"""Turn a question (plus the previous turn, for follow-ups) into tool calls: route + parsed arguments."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from models.predictor import DEFAULT_HORIZONS

from . import parsing as P
from .compose import HELP_TEXT
from .analytics_plan import analytics_plan, is_analytics
from .lexicon import REVIEW_METRICS
from .periods import parse_periods
from .query_parse import QueryParse, Vocab, expand_shorthand, parse_query
from .refusals import is_future, unheld_text, unknowable_text
from .router import Router, correct_typos, cue_scores

__all__ = ["Plan", "Entities", "make_plan", "masked_question", "previous_call", "FOLLOWUP_RE", "ANSWER_ROUTES"]

# routes the planner answers itself; every other route is the name of the tool it calls
ANSWER_ROUTES = ("out_of_scope", "help", "clarify")
_SEGMENT_ROUTES = ("predict_buyers", "segment_audience", "write_campaign", "recommend_products", "at_risk_customers",
                   "product_audience",
                   "forecast")
FOLLOWUP_RE = re.compile(r"^\s*(and|what about|how about|same|now|ok|okay|also|instead|then|but|only|just|"
                         r"make it|do it|try|repeat)\b", re.I)
_QUERY_STOP = set("""a an the of for in on at to and or is are was were be do does did what which who whom how why
when where about with from by me us our we my i you your show find give list tell any some all there their
them they it its this that these those reviews review customers customer people shoppers buyers say said saying
says mention mentioning mentions talk talking please can could would should let see get have has had look
looking complain complaining complaint complaints negative positive praise star stars rating ratings rated
only just most more less than since after before until during month year week day days 1 2 3 4 5 one two
three four five bad good great worst best like love hate write search find show""".split())


@dataclass
class Entities:
    """Names the planner can recognise: segment profiles and reviewed product/category names."""

    profiles: list[dict] = field(default_factory=list)
    product_names: list[str] = field(default_factory=list)
    trained_horizons: Callable[[], Iterable[int]] | None = field(default=None, repr=False)
    query_vocabulary: Callable[[], dict] | None = field(default=None, repr=False)
    _vocab: Vocab | None = field(default=None, repr=False)
    _aliases: dict | None = field(default=None, repr=False)
    _horizons: tuple[int, ...] | None = field(default=None, repr=False)
    _keep: set | None = field(default=None, repr=False)

    @property
    def aliases(self) -> dict[str, str]:
        if self._aliases is None:
            self._aliases = P.name_aliases(self.product_names)
        return self._aliases

    @property
    def keep_words(self) -> set[str]:
        """The workspace's own words (stored values, product and segment names): never spell-corrected."""
        if self._keep is None:
            v = self.vocab
            words = {w for vals in v.values.values() for x in vals for w in re.findall(r"[a-z]+", str(x).lower())}
            words |= {w for n in self.product_names for w in re.findall(r"[a-z]+", str(n).lower())}
            words |= {w for p in self.profiles for w in re.findall(r"[a-z]+", str(p.get("name", "")).lower())}
            self._keep = words | set(v.product_words)
        return self._keep

    @property
    def horizons(self) -> tuple[int, ...]:
        """The trained predictor's horizons (read on first use: loading the model is not free)."""
        if self._horizons is None:
            try:
                self._horizons = tuple(self.trained_horizons()) if self.trained_horizons else DEFAULT_HORIZONS
            except Exception:  # no trained predictor: the tool will say so
                self._horizons = DEFAULT_HORIZONS
        return self._horizons

    @property
    def vocab(self) -> Vocab:
        """The layer's metrics, dimensions and the workspace's values (read on first use)."""
        if self._vocab is None:
            try:
                self._vocab = Vocab.from_dict(self.query_vocabulary() if self.query_vocabulary else None)
            except Exception:  # no orders, or an unreadable table: analytics questions are declined with the reason
                self._vocab = Vocab()
        return self._vocab

    @classmethod
    def from_context(cls, ctx: Any) -> "Entities":
        if ctx is None:
            return cls()
        try:
            _, profiles = ctx.segments()
        except Exception:
            profiles = []
        try:
            names = ctx.reviewed_names()
        except Exception:
            names = []
        return cls(list(profiles), list(names), getattr(ctx, "horizons", None),
                   getattr(ctx, "query_vocabulary", None))


@dataclass
class Plan:
    route: str                      # a tool name, or one of ANSWER_ROUTES
    args: dict = field(default_factory=dict)
    each_segment: bool = False      # list_segments first, then `route` once per segment
    message: str | None = None      # for clarify / notes
    focus: list = field(default_factory=list)  # (dimension, value) a share question asks about
    extra: list = field(default_factory=list)  # (tool, args) for a second part of the question, called alongside

    def tools(self) -> list[str]:
        """Every tool the plan calls, in order."""
        if self.route in ANSWER_ROUTES:
            return []
        main = ["list_segments", self.route] if self.each_segment else [self.route]
        return main + [t for t, _ in self.extra if t not in main]

    def first_calls(self) -> list[tuple[str, dict]]:
        if self.route in ANSWER_ROUTES:
            return []
        if self.each_segment:
            return [("list_segments", {})]
        return [(self.route, dict(self.args))] + [(t, dict(a)) for t, a in self.extra]

    def next_calls(self, results: list[tuple[str, dict, dict]]) -> list[tuple[str, dict]]:
        """Calls after the first round: one ``route`` call per segment listed (for each-segment plans)."""
        if not self.each_segment:
            return []
        done = {name for name, _, _ in results}
        if self.route in done:
            return []
        segs = next((r.get("segments") for n, _, r in results if n == "list_segments" and "segments" in r), None)
        if not segs:
            return []
        return [(self.route, {**self.args, "segment": str(s["name"])}) for s in segs[:12]]


def previous_call(history: list[tuple[str, dict]]) -> tuple[str, dict, bool] | None:
    """(tool, args, each_segment) of the previous turn's main call, from its tool calls in order."""
    if not history:
        return None
    names = [n for n, _ in history]
    if "list_segments" in names and names.count("write_campaign") > 1:
        args = dict(next(a for n, a in history if n == "write_campaign"))
        args.pop("segment", None)
        return "write_campaign", args, True
    if "list_segments" in names and names.count("segment_audience") > 1:
        return "segment_audience", {}, True
    name, args = history[-1] if history[-1][0] != "list_segments" or len(history) == 1 else history[0]
    return name, dict(args), False


def _search_query(q: str, product: str | None, segment: str | None) -> str:
    t = q.lower()
    for name in (product, segment):
        if name:
            t = re.sub(re.escape(name.lower()), " ", t)
    t = re.sub(r"\b\d{4}(-\d{2}){0,2}\b", " ", t)
    for m in P.MONTHS:
        t = re.sub(r"\b" + m + r"\b", " ", t)
    words = [w for w in re.findall(r"[a-z][a-z'-]+", t) if w not in _QUERY_STOP and len(w) > 2]
    if words:
        return " ".join(words[:8])
    lo, hi = P.parse_ratings(q)
    if hi is not None and hi <= 3:
        return "problems and complaints"
    if lo is not None and lo >= 4:
        return "what customers love"
    return "customer feedback"


def _summary_query(q: str, product: str | None) -> str | None:
    m = re.search(r"\b(?:regarding|focus(?:ing|ed)? on|on the topic of|when it comes to|in terms of)\s+([a-z][\w -]{2,30})",
                  q.lower())
    if not m:
        return None
    topic = m.group(1).strip(" ?.!")
    if product and P.normalize(product) in P.normalize(topic):
        return None
    return topic or None


def build_args(route: str, q: str, ent: Entities) -> dict:
    """Arguments for ``route`` parsed from the question; only what the question says (tool defaults otherwise)."""
    a: dict[str, Any] = {}
    seg = P.match_segment(q, ent.profiles)
    if route == "predict_buyers":
        a["horizon_days"] = P.parse_horizon(q, ent.horizons)
        a["top_k"] = P.parse_top_k(q)
        a["segment"] = seg
        a["min_probability"] = P.parse_min_probability(q)
    elif route == "explain_customer":
        a["customer_id"] = P.parse_customer_id(q)
    elif route == "segment_audience":
        a["segment"] = seg
        a["limit"] = P.parse_limit(q)
    elif route in ("search_reviews", "summarize_reviews"):
        product = P.match_name(q, ent.aliases)
        a["product"] = product
        if route == "search_reviews":
            lo, hi = P.parse_ratings(q)
            since, until = P.parse_dates(q)
            a.update(query=_search_query(q, product, seg), min_rating=lo, max_rating=hi, since=since, until=until)
        else:
            a["query"] = _summary_query(q, product)
    elif route == "write_campaign":
        a.update(segment=seg, channel=P.parse_channel(q), tone=P.parse_tone(q), offer=P.parse_offer(q))
        if seg is None and AT_RISK_AUDIENCE_RE.search(q.lower()):
            a["audience"] = "at_risk"  # a win-back campaign without a segment: the at-risk high-value list
    elif route == "data_overview":
        metric, by = P.parse_metric(q), P.parse_by(q)
        if metric == "customers" and by is None and not re.search(r"\b(how many|number of|count)\b", q.lower()):
            metric = None
        if metric in ("top_categories",) and by == "category":
            by = None
        a.update(metric=metric, by=by, period=P.parse_period(q))
        if a["metric"] is None and (a["by"] or a["period"]):
            a["metric"] = "revenue"
    elif route == "recommend_products":
        k = P.parse_top_k(q)
        a.update(customer_id=P.parse_customer_id(q), segment=seg, k=k if k is not None and k <= 20 else None)
        if a["customer_id"]:
            a["segment"] = None
    elif route == "product_audience":
        a["product_or_category"] = audience_target(q, ent)
        a["horizon_days"] = P.parse_horizon(q, (7, 14, 30, 60, 90, 180, 365))
        k = P.parse_top_k(q)
        a["top_k"] = k if k is not None and k <= 1000 else None
    elif route == "forecast":
        t, each = q.lower(), r"\b(by|per|each|every|across|split by|broken down by)\s+(product\s+)?"
        by = ("department" if re.search(each + r"departments?\b", t) else
              "category" if re.search(each + r"(category|categories)\b", t) else
              "segment" if re.search(each + r"segments?\b", t) and not seg else None)
        a.update(metric=P.parse_forecast_metric(q), horizon_weeks=P.parse_forecast_weeks(q), segment=seg, by=by,
                 series=P.match_name(q, ent.aliases) if not seg and by != "segment" else None)
    elif route == "customer_value":
        a["customer_id"] = P.parse_customer_id(q)
    elif route == "at_risk_customers":
        a.update(segment=seg, top_k=P.parse_top_k(q))
    return {k: v for k, v in a.items() if v is not None}


def audience_target(q: str, ent: Entities) -> str | None:
    """What "who will buy X" names: a stored category/department (spelling and plural forgiven: "cofee" ->
    "Coffee"), else the words as written, spell-corrected against product-name words (the tool then matches
    product names and says so). A reviewed product's name is used only when the words are that name."""
    raw = P.parse_audience_target(q, {})
    known = P.match_name(q, ent.aliases)
    if not raw:
        return known
    v = ent.vocab
    vals = {str(x).lower(): str(x) for d in ("category", "department") for x in v.values.get(d, [])}
    r = raw.lower().strip()
    for cand in (r, r.rstrip("s"), r + "s"):
        if cand in vals:
            return vals[cand]
    near = difflib.get_close_matches(r, list(vals), n=1, cutoff=0.85)
    if near:
        return vals[near[0]]
    if known and P.normalize(known) == P.normalize(raw):
        return known
    words = set(v.product_words) | {w for k in vals for w in k.split()}
    fixed = []
    for w in raw.split():
        lw = w.lower()
        if len(lw) >= 4 and lw not in words and words:
            hit = difflib.get_close_matches(lw, list(words), n=1, cutoff=0.8)
            fixed.append(hit[0] if hit else w)
        else:
            fixed.append(w)
    return " ".join(fixed)


_MOST_VALUABLE = re.compile(r"\b(most valuable|highest[- ]value|top[- ]value|biggest value|greatest value|"
                            r"(top|highest|biggest|largest|best) (predicted )?(clv|ltv|lifetime value|customer value)|"
                            r"(rank|sort|order|list)\w* (our )?(customers|households|shoppers|clients) by (predicted |"
                            r"lifetime |expected )?(value|clv|ltv)|worth the most|most (lifetime )?value|"
                            r"(customers|households|shoppers|clients) (with|by) the (highest|most|biggest) "
                            r"(predicted |lifetime |expected )?(value|clv|ltv)|(customers|households|shoppers|clients) "
                            r"(ranked |sorted )?by (their )?(predicted |expected )?(lifetime value|clv|ltv|customer value))\b")


AT_RISK_AUDIENCE_RE = re.compile(r"\b(at[- ]risk|churn\w*|lapsing|slipping away|drifting( away| off)?|gone quiet|"
                                r"overdue|win[- ]?back|winback)\b")


def _segment_named(q: str, ent: Entities) -> str:
    """ "revenue of segment 1 last month": the segment's name for the analytics parse (the layer's segment values
    are names); a number no segment has is left as written (and named in the answer)."""
    names = {str(p.get("segment_id")): str(p.get("name")) for p in ent.profiles or []}

    def name(m: re.Match) -> str:
        return f"the {names[m.group(1)]} segment" if m.group(1) in names else m.group(0)
    return re.sub(r"(?i)\bsegment\s*(?:#|no\.?|number|id)?\s*(\d+)\b", name, q) if names else q


def _mask(q: str, ent: Entities) -> str:
    """Replace entity names by placeholders so the router sees the intent, not the names."""
    out = q
    seg = P.match_segment(q, ent.profiles)
    if seg:
        out = re.sub(re.escape(seg), "this segment", out, flags=re.I)
        for w in P.normalize(seg).split():
            if len(w) > 3 and w not in ("spend",):
                out = re.sub(r"\b" + re.escape(w) + r"\b", "", out, flags=re.I)
    prod = P.match_name(q, ent.aliases)
    if prod:
        out = re.sub(re.escape(prod), "this product", out, flags=re.I)
    return " ".join(out.split())


def masked_question(question: str, ent: Entities) -> str:
    """What the router embeds for ``question``."""
    return _mask(str(question).strip(), ent)


# routes that predict or list customers: a question sent there that asks for a measure over the data as it is
# (a distribution, a ranking, a metric) with no future word and no value/risk/recommendation word is analytics
_PREDICTIVE_ROUTES = ("predict_buyers", "at_risk_customers", "recommend_products", "product_audience", "forecast",
                      "customer_value", "list_segments", "segment_audience", "explain_customer")
_DATA_SIGNALS = {"distribution", "superlative", "rank", "rank_plural", "share", "metric", "threshold", "compare",
                 "concentration", "period", "filter"}
_NOT_DATA = re.compile(r"\b(valuable|value|worth|clv|ltv|lifetime|recommend\w*|suggest\w*|next[- ]basket|reorder|"
                       r"segments?|clusters?|explain\w*|why)\b")


_REVIEW_TOPIC = re.compile(r"\b(mention\w*|about|says?|said|talk\w*|complain\w*|regarding|praise\w*|love\w*)\b")


_WRITING = re.compile(r"\b(write|draft|create|compose|come up|generate|craft|prepare|design|ideas?|copy|subject "
                      r"lines?|slogans?|email|sms|newsletter|message|campaign|promo\w*|offer)\b")


_COMPLAINT = re.compile(r"\b(complain\w*|complaints?|gripes?|grumbl\w*|unhappy|dislike\w*|hate|annoy\w*|"
                        r"frustrat\w*|negative (feedback|reviews?|comments?)|criticis\w*|moan\w*|pain points?)\b")
_PRAISE = re.compile(r"\b(love\w*|like (best|most|about)|praise\w*|positive (feedback|reviews?|comments?)|happy with|"
                     r"enjoy\w*|favou?rite|compliment\w*|rave\w*|delight\w*)\b")
_RANKED = re.compile(r"\b(most|main|top|common\w*|biggest|frequent\w*|recurring|key|usual|typical|often|overall|"
                     r"themes?|kinds? of|types? of|summar\w*|rank\w*)\b")
_FOCUS_STOP = set("main top common commonly biggest frequent frequently recurring key usual typical often overall "
                  "theme themes kind kinds type types things thing stuff usually mostly summary summarise summarize "
                  "about most what are do does did is products product items item our shop store feedback comments reviews "
                  "review people households shoppers customers".split())


def review_focus(question: str, ent: "Entities") -> tuple[str, dict] | None:
    """("complaints"|"praise", summarize_reviews args) for a question asking what customers complain about or
    praise (most) with no topic of its own; a named topic ("complaints about the strap") stays a search."""
    t = question.lower()
    if _WRITING.search(t) and not re.search(r"\b(reviews?|feedback)\b", t):
        return None
    c, p = _COMPLAINT.search(t), _PRAISE.search(t)
    if bool(c) == bool(p) or not _RANKED.search(t):
        return None
    product = P.match_name(question, ent.aliases)
    said = _search_query(question, product, None)
    rest = [w for w in said.split() if w not in _FOCUS_STOP and not _COMPLAINT.search(w) and not _PRAISE.search(w)]
    if rest and said not in ("customer feedback", "problems and complaints", "what customers love"):
        return None
    args = {"focus": "complaints" if c else "praise"}
    if product:
        args["product"] = product
    return args["focus"], args


def asks_for_data(route: str, parse: QueryParse, question: str) -> bool:
    """Whether a question routed to a prediction/listing tool asks for a measure over the data instead.

    "median spend per customer", "90th percentile of customer spend", "which category is bought by the most
    customers" read like the purchase predictor's examples (customers, spend) but ask for a number computed over
    past orders: the parse finds a metric, distribution or ranking, and nothing in the question looks ahead."""
    t = question.lower()
    if is_future(t) or AT_RISK_AUDIENCE_RE.search(t) or _NOT_DATA.search(t):
        return False
    if route in _PREDICTIVE_ROUTES:
        return bool(parse.signals & _DATA_SIGNALS)
    if route in ("out_of_scope", "help"):
        return bool(parse.signals & {"distribution", "concentration"})
    if route in ("search_reviews", "summarize_reviews"):
        # "average rating by month", "which products are rated worst", "share of 1-2 star reviews by category":
        # rating metrics over the reviews table (issue 18), not a text search; a topic ("reviews that mention
        # packaging") keeps the search, since the review metrics cannot filter by what a review says
        metrics = set(parse.spec.get("metrics") or [])
        return bool(metrics) and metrics <= REVIEW_METRICS and not _REVIEW_TOPIC.search(t)
    return False


# "average rating, and which products are rated worst?", "revenue last month? and how many new customers?":
# two questions in one message (a wh-word after "and", or two sentences)
_TWO_PARTS = re.compile(r"\s*[,;]?\s+(?:and|also|plus)\s+(?=(?:which|what|how|who|whom|where|when|list|show)\b)|"
                        r",\s*(?:and|also|plus)\s+(?=(?:the|our)\s+(?:top|best|biggest|worst|lowest|highest|most|least)\b)|"
                        r"\?\s+(?:and\s+|also\s+)?(?=[a-z])|;\s+", re.I)


_SUBJECT = re.compile(r"\b((?:new|returning|repeat|first[- ]time|targeted|lapsed|inactive|loyal|coupon)\s+"
                      r"(?:customers|households|shoppers|buyers|redeemers))\b", re.I)
_BACK_WHO = re.compile(r"\b(they|them|those (?:customers|households|shoppers|people)|these (?:customers|households|"
                       r"shoppers|people))\b", re.I)
_BACK_WHEN = re.compile(r"\b(?:in\s+)?(?:that|the same)\s+(?:month|quarter|week|year|period|time|day)\b|\bthen\b", re.I)


def _resolve_back(a: str, b: str, ent: Entities) -> str:
    """The second of two questions read with what it points back to: "how many new customers came in during
    February, and how much did they spend that month" -> "... how much did new customers spend in February"."""
    who = _SUBJECT.search(a)
    if who and _BACK_WHO.search(b):
        b = _BACK_WHO.sub(who.group(1), b, count=1)
    if _BACK_WHEN.search(b) and ent.vocab.last is not None:
        pp = parse_periods(a.lower(), ent.vocab.last, ent.vocab.first)
        if pp.window is not None and pp.spans and not pp.compare:
            said = " ".join(a[x:y] for x, y in pp.spans).strip()
            b = _BACK_WHEN.sub(f"in {said}", b, count=1)
    return b


def make_plan(question: str, router: Router, ent: Entities,
              history: list[tuple[str, dict]] | None = None) -> Plan:
    """The plan for ``question``; a message holding two questions gets both parts answered (or declined) when
    the whole would answer only one of them."""
    whole = _make_plan(question, router, ent, history)
    q = str(question).strip()
    cuts = [m for m in _TWO_PARTS.finditer(q)]
    if len(cuts) != 1 or whole.each_segment or (history and previous_call(history) and FOLLOWUP_RE.match(q)):
        return whole
    a, b = q[:cuts[0].start()].strip(" ,;?"), q[cuts[0].end():].strip(" ,;?")
    if len(a.split()) < 2 or len(b.split()) < 2:
        return whole
    resolved = _resolve_back(a, b, ent)
    changed, b = resolved != b, resolved
    pa, pb = _make_plan(a, router, ent, None), _make_plan(b, router, ent, None)

    def same(x: Plan, y: Plan) -> bool:
        return x.route == y.route and x.args == y.args and x.each_segment == y.each_segment

    by = [[p.args["by"]] if isinstance(p.args.get("by"), str) else list(p.args.get("by") or [])
          for p in (whole, pa, pb)]
    crossed = whole.route == "query_data" and {pa.route, pb.route} <= {"query_data", "data_overview"} and \
        by[1] and by[2] and \
        len(by[0]) >= 2 and set(by[0]) == set(by[1]) | set(by[2])  # "revenue by month and which category …"
    if not (same(whole, pa) or same(whole, pb) or crossed or changed) or same(pa, pb) or pa.each_segment or \
            pb.each_segment:
        return whole  # the whole question already reads both parts (or neither part stands alone)
    tools = [p for p in (pa, pb) if p.route not in ANSWER_ROUTES]
    said = list(dict.fromkeys(p.message for p in (pa, pb) if p.message))  # one "Period: all data" for both
    if not tools:
        return whole
    if len(tools) == 1:  # one part is declined or unclear: say so, answer the other
        t = tools[0]
        declined = next(p for p in (pa, pb) if p is not t)
        msg = declined.message or "I can't answer one part of that question."
        return Plan(t.route, t.args, message="\n\n".join([msg] + ([t.message] if t.message else [])), focus=t.focus)
    return Plan(pa.route, pa.args, message="\n\n".join(said) or None, focus=pa.focus + pb.focus,
                extra=[(pb.route, pb.args)])


def _make_plan(question: str, router: Router, ent: Entities,
               history: list[tuple[str, dict]] | None = None) -> Plan:
    q = expand_shorthand(str(question).strip())
    masked = _mask(q, ent)
    keep = ent.keep_words
    words = getattr(router, "words", None)
    rq, rmasked = (correct_typos(q, words, keep), correct_typos(masked, words, keep)) if words else (q, masked)
    route, score, _ = router.route(rq, rmasked)
    prev = previous_call(history or [])
    if prev is not None and FOLLOWUP_RE.match(q):
        cues = cue_scores(q)
        other_cue = any(r != prev[0] and w >= 0.2 for r, w in cues.items())
        rest = [w for w in re.findall(r"[a-z]+", _mask(FOLLOWUP_RE.sub("", q), ent).lower())
                if w not in ("this", "segment", "product", "the", "for", "a", "an", "it", "as", "of", "in", "with",
                             "to", "one", "ones")]
        short = len(rest) <= 4  # only new parameters / a name: the user means "the same again, changed"
        if not other_cue and (short or route == prev[0] or route in ("out_of_scope", "help") or score < 0.55):
            tool, args, each = prev
            if tool == "query_data":
                return _query_followup(q, args, ent)
            if tool == "data_overview" and ent.vocab.metrics:
                fparse = parse_query(q, ent.vocab)
                if fparse.signals & {"filter", "compare", "threshold", "period", "rank", "superlative", "share",
                                     "concentration", "distribution", "unheld"} or fparse.blocking or fparse.ignored:
                    return _query_followup(q, _overview_spec(args), ent)
            new = build_args(tool, q, ent)
            if tool in ("search_reviews",):
                new.pop("query", None)  # the old topic stays unless a new product/rating is named
            if each and "segment" in new:
                each = False
            args = {**args, **new}
            return Plan(tool, args, each_segment=each)
    refusal = unknowable_text(q, route)
    if refusal is not None:
        return Plan("clarify", message=refusal + ("\n\n" + HELP_TEXT if route in ("out_of_scope", "help") else ""))
    if route == "data_overview" and _WILL.search(rq.lower()) and not P.parse_customer_id(q) and \
            not parse_periods(rq.lower(), ent.vocab.last, ent.vocab.first).problems:  # "in 2035": declined below
        # "how much will each customer spend next year": a prediction, never last year's totals presented as one
        route = "customer_value" if _PER_CUSTOMER.search(rq.lower()) else "forecast"
    if route != "write_campaign":
        focus = review_focus(q, ent)
        if focus is not None:
            return Plan("summarize_reviews", focus[1])
    # "most valuable customers" / "lifetime value" with no customer id: the customers ranked by CLV
    valuable = _MOST_VALUABLE.search(rq.lower())
    parse = parse_query(_segment_named(q, ent), ent.vocab) if ent.vocab.metrics else None
    breakdown = parse is not None and bool(parse.spec.get("by")) and "customer" not in parse.spec["by"] and \
        not parse.ignored and not _WILL.search(rq.lower())  # "which income band is worth the most per household"
    if not P.parse_customer_id(q) and (valuable or route == "customer_value") and not breakdown and \
            not AT_RISK_AUDIENCE_RE.search(rq.lower()) and route != "write_campaign":
        k = P.parse_top_k(q)
        notes = [_not_exact("customer_value", q), _cannot_narrow("at_risk_customers", parse, {}), None if valuable else
                 "No customer id in the question: here are the most valuable customers by predicted lifetime "
                 "value; give an id for one customer's value."]
        return Plan("at_risk_customers", {"rank_by": "value", **({"top_k": k} if k else {})},
                    message="\n\n".join(n for n in notes if n) or None)
    analytic = parse is not None and (is_analytics(route, parse, q) or asks_for_data(route, parse, q)) and not (
        route == "at_risk_customers" and AT_RISK_AUDIENCE_RE.search(rq.lower()))
    # data we do not hold: the analytics path names it itself when its lexicon caught it (and answers the rest,
    # "revenue and ad spend in March"); anything else is declined here, naming what is missing
    if not (analytic and "unheld" in parse.signals) and (route != "write_campaign" or not _WRITING.search(q.lower())):
        refusal = unheld_text(q, route)
        if refusal is not None:
            return Plan("clarify", message=refusal)
    if analytic:
        r, a, msg = analytics_plan(q, ent.vocab, parse)
        return Plan(r, a, message=msg, focus=list(parse.focus) if r == "query_data" else [])
    if route in ("out_of_scope", "help"):
        return Plan(route)
    if route == "summarize_reviews" and any(b is not None for b in P.parse_ratings(q)) and not re.search(
            r"summar|overall|themes?|digest|distribution|on average|average rating", q.lower()):
        route = "search_reviews"  # a star filter is a search: the summary takes no rating bounds
    args = build_args(route, q, ent)
    if (route in _SEGMENT_ROUTES and "segment" not in args) or (
            route == "list_segments" and P.match_segment(q, ent.profiles) is None):
        named = P.named_segment(q)
        if named is not None:  # a segment that does not exist: say so and list them, never a silent substitute
            names = [str(p["name"]) for p in ent.profiles]
            listed = ("; ".join(f"{p['segment_id']}: {p['name']}" for p in ent.profiles) if names else
                      "none are fitted yet (run `mka segments`)")
            what = "describe it" if route == "list_segments" else f"run {route.replace('_', ' ')} for it"
            return Plan("list_segments", {}, message=f"There is no such segment “{named}” in your data, so I can't "
                        f"{what}. The segments are: {listed}.")
    if route == "customer_value" and "customer_id" not in args:
        return Plan("at_risk_customers", {k: v for k, v in build_args("at_risk_customers", q, ent).items()},
                    message="No customer id in the question: here are the high-value customers at risk; give an id "
                            "for one customer's value.")
    if route == "explain_customer" and "customer_id" not in args:
        return Plan("clarify", message="Which customer? Give me a customer id (for example one from "
                    "\"who will buy this week?\") and I will explain their score.")
    if route == "product_audience" and "product_or_category" not in args:
        return Plan("clarify", message="Which product or category? For example \"who will buy coffee next "
                    "month?\" (a category, a department or words of a product name).")
    each = False
    if route == "write_campaign" and args.get("audience") != "at_risk" and (
            "segment" not in args or P.wants_each_segment(q)):
        args.pop("segment", None)
        each = True
    if route == "segment_audience" and "segment" not in args:
        if P.wants_each_segment(q):
            each = True
        else:
            return Plan("list_segments", {}, message="Name a segment to get its customer list; here are the "
                        "segments.")
    notes = [n for n in (_not_exact(route, q), _cannot_narrow(route, parse, args)) if n]
    return Plan(route, args, each_segment=each, message="\n\n".join(notes) or None)


_WILL = re.compile(r"\b(will|won't|wil|gonna|going to|expected to|predict\w*|forecast\w*|projected)\b")
_PER_CUSTOMER = re.compile(r"\b(each|every|per|individual|single|which|who|what)\s+(customer|household|shopper|"
                           r"client|buyer)s?\b|\b(customers|households|shoppers|clients)\b")

_EXACT = re.compile(r"\b(exact(ly)?|precise(ly)?|for sure|guarantee\w*|certain(ly)?|definitely)\b", re.I)


def _not_exact(route: str, q: str) -> str | None:
    """A prediction asked for "exactly": say it is an expectation, with the model's backtested accuracy below."""
    if route in ("customer_value", "predict_buyers", "forecast", "recommend_products", "product_audience",
                 "at_risk_customers") and _EXACT.search(q):
        return ("I can't give an exact figure: the future is uncertain. Below is the model's expected value, with "
                "its backtested accuracy against the baselines.")
    return None


# the tools whose audience is all customers (or a segment): a filter, threshold or bought-condition in the question
# cannot narrow them, and the answer says so instead of silently covering everyone
_AUDIENCE_SCOPE = {"predict_buyers": "all scored customers", "at_risk_customers": "all high-value customers",
                   "write_campaign": "the audience named above", "segment_audience": "the whole segment",
                   "recommend_products": "the customers named above", "customer_value": "the customer named"}


def _cannot_narrow(route: str, parse: QueryParse | None, args: dict) -> str | None:
    if route not in _AUDIENCE_SCOPE or parse is None:
        return None
    spec = parse.spec
    parts = []
    for f in spec.get("filters") or []:
        if f.get("dimension") in ("segment", "customer"):  # the tools take these themselves
            continue
        vals = f.get("values") or [f"{f.get('min')}..{f.get('max')}"]
        neg = "not " if f.get("op") == "not_in" else ""
        parts.append(f"{f['dimension'].replace('_', ' ')} {neg}{', '.join(map(str, vals))}")
    if spec.get("inactive_days") is not None:
        parts.append(f"customers who have not bought for {spec['inactive_days']} days")
    for c in spec.get("customer_conditions") or []:
        parts.append(f"customers with {c['measure'].replace('_', ' ')} {c['op']} {c['value']}")
    for c in spec.get("order_conditions") or []:
        parts.append(f"orders with {c['measure'].replace('_', ' ')} {c['op']} {c['value']}")
    if spec.get("purchase_conditions"):
        parts.append("what customers bought (or did not buy)")
    for w in parse.windows if route != "write_campaign" else ():  # "a christmas campaign" is a theme
        if not w.said.startswith(("this ", "today")):  # "who will buy this week": the horizon, read by the tool
            parts.append(f"the period {w.describe()}")  # "most valuable customers last quarter": scored as of today
    unheld = [p for p in parse.problems if "is not in your data" in p]
    if unheld:  # "customers we sign up in 2030"
        return (f"I can't answer that for the period asked: {unheld[0]}. The answer below is the model's view as of "
                f"the last order date, for {_AUDIENCE_SCOPE[route]}.")
    if not parts:
        return None
    scope = "the high-value customers at risk" if args.get("audience") == "at_risk" else \
        f"segment {args['segment']}" if args.get("segment") else _AUDIENCE_SCOPE[route]
    return (f"I can't narrow {route.replace('_', ' ')} to {'; '.join(parts)}: it takes no such filter, so the "
            f"answer below covers {scope}. For the customers who match, ask e.g. \"list customers who …\" (a table "
            f"you can export as CSV).")


def _query_followup(q: str, prev: dict, ent: Entities) -> Plan:
    """"and by month?", "only in MEAT", "what about last quarter": the previous query with what the words change."""
    parse = parse_query(q, ent.vocab)
    if parse.blocking or parse.ignored:
        r, a, msg = analytics_plan(q, ent.vocab, parse)
        return Plan(r, a, message=msg)
    spec = dict(prev)
    new = parse.spec
    if "metric" in parse.signals:
        spec["metrics"] = new["metrics"]
    for k in ("by", "top", "descending", "sort", "inactive_days", "customer_conditions", "purchase_conditions",
              "order_conditions", "concentration"):
        if k in new:
            spec[k] = new[k]
    if new.get("filters"):
        dims = {f["dimension"] for f in new["filters"]}
        spec["filters"] = [f for f in spec.get("filters") or [] if f["dimension"] not in dims] + new["filters"]
    if parse.windows:
        for k in ("start", "end", "compare"):
            spec.pop(k, None)
        spec.update({k: new[k] for k in ("start", "end", "compare") if k in new})
    notes = [p[0].upper() + p[1:] + "." for p in parse.problems]
    v = ent.vocab
    if parse.windows:
        notes.append("Period: " + "; ".join(w.describe() for w in parse.windows) + ".")
    elif not any(spec.get(k) for k in ("start", "end", "compare", "period")) and v.first is not None and v.last is not None:
        notes.append(f"Period: all data ({v.first.date()} to {v.last.date()}).")
    return Plan("query_data", spec, message="\n\n".join(notes) or None)


def _overview_spec(args: dict) -> dict:
    """A data_overview call as the equivalent QuerySpec (for a follow-up that adds a filter, period, ranking...)."""
    metric = {"average_basket": "avg_basket", "repeat_rate": "repeat_customer_share", "top_products": "revenue",
              "top_categories": "revenue"}.get(args.get("metric") or "revenue", args.get("metric") or "revenue")
    spec: dict = {"metrics": [metric]}
    by = {"top_products": "product", "top_categories": "category"}.get(args.get("metric") or "", args.get("by"))
    if by and by != "segment":
        spec["by"] = [by]
    if args.get("period"):
        spec["start"] = spec["end"] = str(args["period"])
    return spec
