"""What customers say, without an LLM: rating distribution, its trend, and themes with quoted evidence.

Themes cluster the reviews' embeddings (a review = mean of its passage vectors, so each review lands in exactly
one theme and theme counts add up to ``n_reviews``) with seeded KMeans; each theme is labelled by its key
phrases (class-based TF-IDF over uni/bi-grams: frequent in this theme, rare in the others) and quotes the
reviews closest to its centre. Everything is deterministic for the same index.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from models.data.errors import WorkspaceError
from models.reviews.index import ReviewIndex, workspace_index

__all__ = ["summarize_reviews", "choose_n_themes", "key_phrases", "MAX_QUERY_REVIEWS", "COMPLAINT_Z"]

COMPLAINT_Z = 1.0  # negativity (sd above the mean) from which a 3-5 star review's text counts as a complaint
MAX_QUERY_REVIEWS = 100  # a query summary covers the best-matching reviews, not the whole catalogue
MAX_THEMES = 8
QUOTES_PER_THEME = 3
SNIPPET_CHARS = 240
# review boilerplate that would otherwise top every theme
_EXTRA_STOP = {"product", "item", "bought", "buy", "just", "really", "use", "used", "great", "good", "like",
               "does", "did", "got", "amazon", "review", "stars", "star", "thing", "things",
               # the tokenizer splits contractions: "doesn't" -> "doesn"
               "ve", "don", "doesn", "didn", "isn", "wasn", "aren", "won", "wouldn", "couldn", "ll", "re"}


def choose_n_themes(n_reviews: int) -> int:
    """About sqrt(n/5) themes, 1..8: a few themes for a few dozen reviews, 8 for a few hundred and up."""
    if n_reviews < 6:
        return 1 if n_reviews else 0
    return int(min(MAX_THEMES, max(2, round(np.sqrt(n_reviews / 5)))))


def key_phrases(cluster_texts: list[str], labels: np.ndarray, n_clusters: int, top_n: int = 5) -> list[list[str]]:
    """Top c-TF-IDF uni/bi-grams per cluster (BERTopic's weighting: tf per class x log(1 + avg words / term freq))."""
    docs = [" ".join(t for t, lab in zip(cluster_texts, labels) if lab == c) for c in range(n_clusters)]
    stop = sorted(ENGLISH_STOP_WORDS | _EXTRA_STOP)
    vec = CountVectorizer(ngram_range=(1, 2), stop_words=stop, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
                          lowercase=True)
    try:
        counts = vec.fit_transform(docs).toarray().astype(np.float64)
    except ValueError:  # nothing but stopwords
        return [[] for _ in range(n_clusters)]
    terms = vec.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    avg_words = counts.sum() / max(n_clusters, 1)
    idf = np.log1p(avg_words / np.maximum(counts.sum(axis=0), 1.0))
    weight = tf * idf
    # a phrase said once is noise, not a theme
    weight[counts < 2] = 0.0
    out: list[list[str]] = []
    for c in range(n_clusters):
        order = np.lexsort((terms, -weight[c]))
        chosen: list[str] = []
        for j in order:
            if weight[c, j] <= 0 or len(chosen) >= top_n:
                break
            term = terms[j]
            # skip a word already inside a chosen phrase, and a phrase whose words are all chosen
            if any(term in phrase.split() for phrase in chosen if " " in phrase):
                continue
            if term.rstrip("s") in {p.rstrip("s") for p in chosen}:  # "cable" vs "cables"
                continue
            if " " in term and all(w in chosen for w in term.split()):
                chosen = [p for p in chosen if p not in term.split()]
            chosen.append(term)
        out.append(chosen)
    return out


def _snippet(text: str, phrases: list[str]) -> str:
    """The sentence carrying the theme's first key phrase found, else the opening; at most SNIPPET_CHARS."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()] or [text]
    pick = sentences[0]
    for phrase in phrases:
        hit = next((s for s in sentences if phrase in s.lower()), None)
        if hit:
            pick = hit
            break
    return pick if len(pick) <= SNIPPET_CHARS else pick[:SNIPPET_CHARS - 1].rstrip() + "…"


def _trend(reviews: pd.DataFrame) -> list[dict]:
    ts = reviews["timestamp"].dropna()
    if ts.empty:
        return []
    span_days = (ts.max() - ts.min()).days
    freq = "M" if span_days <= 2 * 365 else ("Q" if span_days <= 6 * 365 else "Y")
    df = reviews.dropna(subset=["timestamp"])
    periods = df["timestamp"].dt.to_period(freq)
    g = df.groupby(periods)["rating"].agg(["size", "mean"]).sort_index()
    return [{"period": str(p), "n": int(row["size"]), "mean_rating": round(float(row["mean"]), 3)}
            for p, row in g.iterrows()]


def _themes(passages: pd.DataFrame, vecs: np.ndarray, reviews: pd.DataFrame, random_state: int) -> list[dict]:
    n_themes = choose_n_themes(len(reviews))
    if n_themes == 0:
        return []
    # one vector per review: the normalized mean of its passages
    codes, uniques = pd.factorize(passages["review_id"], sort=True)
    rv = np.zeros((len(uniques), vecs.shape[1]), dtype=np.float64)
    np.add.at(rv, codes, vecs)
    rv /= np.maximum(np.linalg.norm(rv, axis=1, keepdims=True), 1e-12)
    if n_themes == 1:
        labels = np.zeros(len(uniques), dtype=int)
        centers = rv.mean(axis=0, keepdims=True)
    else:
        km = KMeans(n_clusters=n_themes, n_init=4, random_state=random_state).fit(rv)
        labels, centers = km.labels_, km.cluster_centers_
    review_text = passages.sort_values(["review_id", "passage"]).groupby("review_id", sort=True)["text"] \
        .agg(" ".join).reindex(uniques)
    phrases = key_phrases(review_text.tolist(), labels, len(centers))
    rating = reviews.set_index("review_id")["rating"].reindex(uniques).to_numpy()
    themes = []
    for c in range(len(centers)):
        members = np.flatnonzero(labels == c)
        if not len(members):
            continue
        closeness = rv[members] @ centers[c]
        order = members[np.lexsort((np.asarray(uniques)[members], -closeness))]
        quotes = [{"review_id": str(uniques[i]), "text": _snippet(review_text.iloc[i], phrases[c]),
                   "rating": int(rating[i])} for i in order[:QUOTES_PER_THEME]]
        label = " / ".join(phrases[c][:3]) if phrases[c] else f"theme {c + 1}"
        themes.append({"label": label, "key_phrases": phrases[c], "count": int(len(members)),
                       "share": round(len(members) / len(uniques), 4),
                       "mean_rating": round(float(rating[members].mean()), 3), "quotes": quotes,
                       "trend": _trend(reviews[reviews["review_id"].isin(set(np.asarray(uniques)[members]))]),
                       "review_ids": [str(uniques[i]) for i in order]})
    themes.sort(key=lambda t: (-t["count"], t["label"]))
    return themes


def _polar_passages(index: ReviewIndex, intent: str) -> tuple[set[str], str]:
    """Passage ids that read as complaints ("negative") or praise ("positive"), and how they were chosen.

    Per passage (models/reviews/polarity.py scores each passage by the fold model that never saw its review's
    stars). Complaints: a passage with a held-out negativity of at least ``COMPLAINT_Z`` standard deviations, in
    a review of any rating (a complaint paragraph inside a 4-star review counts too), plus, in a 1-2 star review,
    every passage at or above the mean and always its most negative one. Praise: the passages of 4-5 star
    reviews whose negativity is below the mean. Without a polarity model (too few low or high ratings to learn
    from), every passage of the 1-2 (4-5) star reviews.
    """
    corpus = index._load_corpus()
    rating = corpus.rating
    negativity = index.passage_negativity(corpus)
    if negativity is None:
        keep = rating <= 2 if intent == "negative" else rating >= 4
        how = "stars only (too few low or high ratings to learn polarity from)"
    elif intent == "negative":
        worst = np.full(len(corpus.reviews), -np.inf)
        np.maximum.at(worst, corpus.passage_review, negativity)
        is_worst = negativity >= worst[corpus.passage_review]
        keep = (negativity >= COMPLAINT_Z) | ((rating <= 2) & ((negativity >= 0) | is_worst))
        how = (f"passages that read as a complaint (learned negativity >= {COMPLAINT_Z} sd, any rating), and the "
               f"complaining passages of 1-2 star reviews")
    else:
        keep = (rating >= 4) & (negativity < 0)
        how = "passages of 4-5 star reviews that read as praise (learned negativity below the mean)"
    return set(corpus.ids[keep].astype(str)), how


def summarize_reviews(ws, product: str | None = None, query: str | None = None, *, intent: str | None = None,
                      max_query_reviews: int = MAX_QUERY_REVIEWS, random_state: int = 0) -> dict:
    """Evidence for "what do customers say (about X)": counts, ratings, trend and themes, citing review ids.

    ``product`` narrows to a product id, name or category; ``query`` to the ``max_query_reviews`` reviews that
    match it best (default ranking). With neither, all indexed reviews. ``intent`` "negative" / "positive" keeps
    only the complaining / praising passages (``_polar_passages``), so the themes are complaint (praise) themes ranked by count
    and share. ``no_match`` is True (and nothing is summarized) when no matching review mentions the query's
    topic (models/reviews/relevance.py).
    """
    index = workspace_index(ws)
    no_match, nearest = False, []
    if index.count() == 0:
        raise WorkspaceError(f"the review index in {index.location} is empty: run `mka index` first")
    if query and str(query).strip():
        hits = index.search(str(query), product=product, k=max_query_reviews, intent=intent)
        check = index.check_topic(str(query), hits[:10])  # the same top hits the search tool judges
        if check["no_match"]:
            # abstain: no retrieved review is about the topic (models/reviews/relevance.py)
            hits = []
            no_match = True
            nearest = check["nearest_topics"]
        review_ids = [h["review_id"] for h in hits]
        passages, vecs = index.passages(review_ids=review_ids)
    else:
        passages, vecs = index.passages(product=product)
    selection = None
    if intent in ("negative", "positive"):
        polar, selection = _polar_passages(index, intent)
        keep = passages["id"].isin(polar).to_numpy()
        passages, vecs = passages[keep].reset_index(drop=True), vecs[keep]
    reviews = passages.sort_values("passage").drop_duplicates("review_id") \
        [["review_id", "rating", "timestamp", "product_id", "synthetic"]].sort_values("review_id")
    dist = reviews["rating"].value_counts()
    themes = _themes(passages, vecs, reviews, random_state) if len(reviews) else []
    return {
        "product": product, "query": query,
        "n_reviews": int(len(reviews)),
        "mean_rating": round(float(reviews["rating"].mean()), 3) if len(reviews) else None,
        "rating_distribution": {str(r): int(dist.get(r, 0)) for r in range(1, 6)},
        "trend": _trend(reviews),
        "themes": themes,
        "review_ids": reviews["review_id"].astype(str).tolist(),
        "synthetic": bool(reviews["synthetic"].any()),
        "no_match": no_match,
        **({"intent": intent, "selection": selection} if selection else {}),
        **({"nearest_topics": nearest} if no_match else {}),
    }
