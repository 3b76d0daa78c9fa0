"""Abstention: is a retrieved review about the query's topic at all?

The ranker always returns its ``k`` best reviews, even when no review is about the topic ("delivery drone" in a
corpus of guitar strings). A hit counts as a *mention* when more than half of the query's content
terms occur in its text, terms compared the way BM25 counts them: lowercased, English stopwords dropped,
Snowball-stemmed (so "strings" matches "string", "freshness" matches "fresh") — i.e. the hit's BM25 over those
terms is > 0 for at least that many of them. When no hit mentions the topic, the search abstains
("no review mentions X") instead of presenting unrelated reviews as matches.

Words alone are not enough: "phone battery life" shares two of three words with tuner reviews, and a paraphrase
("keeps going out of tune") may share none with a review about tuning stability. So where the MiniLM cosine of
the topic to a hit's best passage is known, the rule is (``is_about``)::

    about = cosine >= DENSE_ALONE
            or (more than half of the words  and  cosine >= DENSE_WITH_WORDS)
            or (every word                   and  cosine >= DENSE_ALL_WORDS)
            or the text says the topic word for word ("ignore previous instructions" inside a long review)

Calibration (bench/reviews_quality.py, real Amazon Musical Instruments reviews, 2,000 known-item queries = a
review's own summary line, each against 50 random other reviews): cosines of random query-review pairs have
99th percentile 0.52 and 99.9th percentile 0.65; the true pairs (query vs its own review) have median 0.39 and
30% / 11% of them reach 0.52 / 0.65. A summary line paraphrases its review, so true pairs are a weak, lower bound
for "about the topic"; the thresholds are therefore set on the random side: a hit that shares the words must
also be closer than 99% of random pairs, one that shares no word closer than 99.9%. A hit holding every word
of the topic needs only to be closer than 90% of random pairs (0.33): a one-word topic ("strap") embeds far from
a long review about a strap (cosines 0.38-0.51 measured), while a word shared by chance ("produces a fresh
sound" for "produce freshness") sits near the random pairs. Measured on 20+ topics absent
from and 20+ present in that corpus in bench/results/reviews_quality.md. Without a cosine (the lexical ``bm25``
mode, test fakes) the lexical rule alone decides. A query with no content term (only stopwords or words naming
the kind of review: "complaints", "problems") never abstains.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from models.reviews.bm25 import analyzer

__all__ = ["content_terms", "topic_text", "mentions", "any_mention", "is_about", "DENSE_ALONE", "DENSE_WITH_WORDS",
           "DENSE_ALL_WORDS"]

# calibrated on random query-review pairs of the real Amazon reviews (see the module docstring)
DENSE_WITH_WORDS = 0.52  # 99th percentile of random pairs
DENSE_ALONE = 0.65  # 99.9th percentile of random pairs
DENSE_ALL_WORDS = 0.33  # 90th percentile of random pairs


# words that say what kind of review is wanted, not what it is about: "problems and complaints" names no topic,
# so it must never abstain (the rating filter, not the words, carries that intent)
_INTENT_WORDS = ("problem problems complaint complaints complain complaining issue issues praise feedback review "
                 "reviews opinion opinions customer customers people say saying said think thought like liked love "
                 "loved hate good bad negative positive")


def content_terms(query: str) -> list[str]:
    """The query's distinct stemmed non-stopword terms that name a topic (intent words left out), in order."""
    analyze = analyzer(True, True)
    intent = set(analyze(_INTENT_WORDS))
    return [t for t in dict.fromkeys(analyze(str(query or ""))) if t not in intent]


def topic_text(query: str) -> str:
    """The query's words that name its topic, in order, without intent words and leading or trailing stopwords:
    what the abstention check embeds, so "complaints about the strap" is compared as "strap"."""
    analyze = analyzer(True, True)
    intent = set(analyze(_INTENT_WORDS))
    words = re.findall(r"[\w'-]+", str(query or ""))
    words = [w for w in words if not (set(analyze(w)) & intent)]  # "complaints", "customers", "say"…
    is_stop = [not analyze(w) for w in words]  # stopwords analyze to nothing
    if all(is_stop):
        return ""
    first = is_stop.index(False)
    last = len(words) - is_stop[::-1].index(False)
    return " ".join(words[first:last])  # inner stopwords stay: "out of tune" is not "tune"


def mentions(query: str, text: str) -> bool:
    """True when ``text`` holds more than half of the query's content terms (both of two, 2 of 3, 3 of 4…;
    always True when the query has none)."""
    terms = content_terms(query)
    if not terms:
        return True
    have = set(analyzer(True, True)(str(text or "")))
    return sum(t in have for t in terms) > len(terms) / 2


def any_mention(query: str, texts: Iterable[str]) -> bool:
    """True when at least one of ``texts`` mentions the query's topic (see ``mentions``)."""
    return any(mentions(query, t) for t in texts)


def is_about(query: str, texts: Sequence[str], cosines: Sequence[float] | None = None) -> list[bool]:
    """Per hit: is it about the query's topic? ``cosines``: MiniLM cosine of ``topic_text(query)`` to each hit's best
    passage; None falls back to the lexical rule. All True when the query names no topic."""
    if not content_terms(query):
        return [True] * len(texts)
    terms = content_terms(query)
    analyze = analyzer(True, True)
    shared = [sum(t in set(analyze(str(x or ""))) for t in terms) for x in texts]
    if cosines is None:
        return [n > len(terms) / 2 for n in shared]
    phrase = topic_text(query).lower()
    said = re.compile(r"\b" + re.escape(phrase) + r"\b") if phrase else None
    return [c >= DENSE_ALONE or (n > len(terms) / 2 and c >= DENSE_WITH_WORDS)
            or (n == len(terms) and c >= DENSE_ALL_WORDS)
            or bool(said and said.search(" ".join(str(x or "").lower().split())))  # says the topic word for word
            for n, c, x in zip(shared, cosines, texts)]
