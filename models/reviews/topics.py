"""Topics that do occur near a query: what "no review mentions X" offers instead.

When the review search abstains (models/reviews/relevance.py), the reviews nearest the query in meaning still
say what the corpus is about in that direction. Their frequent words and two-word phrases (English stopwords and
review boilerplate left out, said in at least two of those reviews) are the candidates; the ones closest to the
query in MiniLM space are offered, each with how many of those reviews hold it. Nothing is suggested that no
review holds.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

__all__ = ["nearest_topics", "NEAR_REVIEWS", "CANDIDATES"]

NEAR_REVIEWS = 30  # reviews nearest the query whose words are the candidates
CANDIDATES = 40  # most frequent candidates embedded and compared to the query
_BOILERPLATE = {"product", "item", "bought", "buy", "just", "really", "use", "used", "great", "good", "like", "does",
                "did", "got", "amazon", "review", "stars", "star", "thing", "things", "ve", "don", "doesn", "didn",
                "isn", "wasn", "aren", "won", "wouldn", "couldn", "ll", "re", "love", "nice", "works", "work",
                "little", "better", "best", "need", "want", "way", "make", "say", "think", "know", "pretty", "lot",
                "bit", "sure", "far", "time", "recommend", "highly", "fine", "perfect", "excellent", "happy"}


def nearest_topics(query_vec: np.ndarray, review_vecs_scores: np.ndarray, review_docs: list[str],
                   exclude: str = "", k: int = 3) -> list[dict]:
    """Up to ``k`` phrases {"topic", "n_reviews"} from the ``NEAR_REVIEWS`` reviews with the highest
    ``review_vecs_scores`` (their cosine to the query), closest to ``query_vec`` first."""
    from models.embeddings import embed

    scores = np.asarray(review_vecs_scores, dtype=np.float64)
    ok = np.flatnonzero(np.isfinite(scores))
    if not len(ok):
        return []
    near = ok[np.argsort(-scores[ok], kind="stable")[:NEAR_REVIEWS]]
    docs = [review_docs[i] for i in near]
    stop = sorted(ENGLISH_STOP_WORDS | _BOILERPLATE | set(str(exclude).lower().split()))
    vec = CountVectorizer(ngram_range=(1, 2), stop_words=stop, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
                          binary=True)
    try:
        counts = np.asarray(vec.fit_transform(docs).sum(axis=0)).ravel()
    except ValueError:  # nothing but stopwords
        return []
    terms = vec.get_feature_names_out()
    keep = np.flatnonzero(counts >= 2)
    if not len(keep):
        return []
    keep = keep[np.lexsort((terms[keep], -counts[keep]))][:CANDIDATES]
    cand = [str(terms[i]) for i in keep]
    sims = embed(cand) @ np.asarray(query_vec, dtype=np.float32)
    out: list[dict] = []
    for j in np.lexsort((cand, -sims)):
        phrase = cand[j]
        words = set(phrase.split())
        if any(words <= set(o["topic"].split()) or set(o["topic"].split()) <= words for o in out):
            continue  # "strings" beside "guitar strings"
        out.append({"topic": phrase, "n_reviews": int(counts[keep[j]])})
        if len(out) >= k:
            break
    return out
