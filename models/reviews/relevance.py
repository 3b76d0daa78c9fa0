"""Abstention: is a retrieved review about the query's topic at all?

The ranker always returns its ``k`` best reviews, even when no review is about the topic ("delivery drone" in a
corpus of guitar strings). A hit counts as a *mention* when more than half of the query's content
terms occur in its text, terms compared the way BM25 counts them: lowercased, English stopwords dropped,
Snowball-stemmed (so "strings" matches "string", "freshness" matches "fresh") — i.e. the hit's BM25 over those
terms is > 0 for at least that many of them. When no hit mentions the topic, the search abstains
("no review mentions X") instead of presenting unrelated reviews as matches.

Threshold and why: lexical, not a MiniLM cosine cutoff. There was no time in this session to calibrate a dense
cutoff (true known-item cosines vs random query-review pairs) on the Amazon reviews, so the rule is the
conservative lexical one: a wrong abstention needs every top-k hit to miss half or more of the query's words, which for a
present topic in a hybrid (BM25-weighted) ranking is rare; its cost is that pure paraphrases (no shared word)
abstain. A query with no content term (only stopwords) never abstains.
"""

from __future__ import annotations

from typing import Iterable

from models.reviews.bm25 import analyzer

__all__ = ["content_terms", "mentions", "any_mention"]


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
