"""Issue 18: complaint / praise queries rank by relevance and a polarity model learned from the workspace's own
stars (held out: a review's own rating never feeds its score), with negation understood in the query."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.reviews.intent import query_polarity
from models.reviews.polarity import MIN_PER_CLASS, out_of_fold_negativity, out_of_fold_polarity
from models.reviews.ranking import with_polarity

# negated phrasings written for this check: a negated complaint asks for praise, negated praise for complaints
NEGATED = {
    "no problems with the cable": "positive", "not broken": "positive", "never had any issues": "positive",
    "didn't break after a year": "positive", "not flimsy at all": "positive", "no complaints about the sound": "positive",
    "no hum or noise": "positive", "hum free": "positive", "not worth the money": "negative", "not great": "negative",
    "not comfortable to wear": "negative", "doesn't stay in tune": "negative", "does not hold the guitar": "negative",
    "never accurate": "negative",
}
PLAIN = {
    "stopped working after a few weeks": "negative", "cheap flimsy plastic": "negative", "arrived damaged": "negative",
    "what are customers complaining about most?": "negative", "very sturdy and well made": "positive",
    "what do people praise?": "positive", "stays in tune": "positive", "guitar strings": None, "price": None,
}


# complaint questions, as a user or the agent asks them: ranked by polarity
COMPLAINT_QUESTIONS = ["what do customers complain about most?", "what are the most common complaints?",
                       "which problems do people report with the cable?", "did anything arrive damaged?",
                       "why do people return it?"]
# sentences written about one review, weighing both sides or with a negated complaint: not a request for complaints
DESCRIPTIVE = {"the strap broke but I fixed it": None, "good sound, some annoying minor issues": None,
               "wrong color, but it's pretty nice for a cheap capo": None, "it broke though it was replaced": None,
               "feels flimsy, works great": None, "you can't go wrong with these strings": "positive",
               "works well, inexpensive, can't complain": "positive", "you won't be disappointed": "positive",
               # "cheap" names a price as often as poor quality; a hyphenated word is one word
               "cheap and it works": None, "a decent and cheap ukulele": None, "cheaply made": "negative",
               "the re-issue of a classic pedal": None, "noise-free cable": "positive"}


@pytest.mark.parametrize("query,expected", list(NEGATED.items()) + list(PLAIN.items()))
def test_query_polarity_with_negation(query, expected):
    assert query_polarity(query) == expected


@pytest.mark.parametrize("query", COMPLAINT_QUESTIONS)
def test_complaint_questions_ask_for_complaints(query):
    assert query_polarity(query) == "negative"


@pytest.mark.parametrize("query,expected", list(DESCRIPTIVE.items()))
def test_descriptive_sentences_are_not_complaint_requests(query, expected):
    # "n't" negates ("can't go wrong" is praise); cues on both sides or a contrast ("but", "though") are neutral
    assert query_polarity(query) == expected


def _toy(n=180, seed=0):
    rng = np.random.default_rng(seed)
    bad = ["broke after a week", "stopped working, returned it", "cheap and flimsy, junk"]
    good = ["works great, love it", "sturdy and well made", "excellent, highly recommend"]
    rows = []
    for i in range(n):
        neg = i % 3 == 0
        rows.append({"id": f"r{i:03d}", "text": f"the strap {rng.choice(bad if neg else good)}",
                     "rating": 1.0 if neg else 5.0})
    df = pd.DataFrame(rows)
    vecs = rng.normal(size=(n, 8)) + np.where(df["rating"].to_numpy()[:, None] <= 2, 0.5, -0.5)
    return df, vecs


def test_out_of_fold_negativity_learns_and_never_sees_its_own_stars():
    df, vecs = _toy()
    scores, info = out_of_fold_negativity(df["id"], df["text"], vecs, df["rating"])
    assert info["auc"] > 0.95 and info["n_negative"] == 60 and info["n_positive"] == 120
    assert np.isclose(scores.mean(), 0) and np.isclose(scores.std(), 1)
    # flip one review's stars: its own (held-out) raw score cannot move, only the standardization of all
    flipped = df["rating"].copy()
    flipped.iloc[5] = 1.0 if flipped.iloc[5] >= 4 else 5.0
    again, _ = out_of_fold_negativity(df["id"], df["text"], vecs, flipped)
    assert scores[5] > 0 if df["rating"].iloc[5] <= 2 else scores[5] < 0
    assert np.sign(again[5]) == np.sign(scores[5])


def test_passages_are_scored_one_by_one_and_a_review_by_its_worst():
    """A 5-star review with one complaining passage: that passage reads negative, the other positive, and the
    review's negativity is lifted by its worst passage, so a complaint inside a high-star review counts."""
    df, vecs = _toy()
    texts, pvecs, of = [], [], []
    for i, t in enumerate(df["text"]):
        texts.append(t)
        pvecs.append(vecs[i])
        of.append(i)
    mixed = [i for i in range(len(df)) if df["rating"].iloc[i] >= 4][:6]
    rng = np.random.default_rng(1)
    for i in mixed:  # a second passage that complains
        texts.append("the buckle broke after a week, returned it")
        pvecs.append(rng.normal(size=8) + 0.5)
        of.append(i)
    reviews, passages, info = out_of_fold_polarity(df["id"], df["text"], vecs, df["rating"], passage_texts=texts,
                                                   passage_vectors=np.array(pvecs), passage_review=of)
    assert passages.shape == (len(texts),) and info["passage_auc"] > 0.8 and "most negative passage" in info["scored_by"]
    complaint = passages[len(df):]
    assert (complaint > 0).all() and (passages[mixed] < 0).all()
    assert np.isclose(reviews.mean(), 0) and np.isclose(reviews.std(), 1)
    others = [i for i in range(len(df)) if df["rating"].iloc[i] >= 4 and i not in mixed]
    assert reviews[mixed].min() > np.median(reviews[others])
    # held out: the mixed reviews' own stars do not move their passages' scores
    flipped = df["rating"].copy()
    flipped.iloc[mixed] = 1.0
    _, again, _ = out_of_fold_polarity(df["id"], df["text"], vecs, flipped, passage_texts=texts,
                                       passage_vectors=np.array(pvecs), passage_review=of)
    assert (again[len(df):] > 0).all()


def test_too_few_labels_means_no_polarity():
    df, vecs = _toy(n=3 * MIN_PER_CLASS)  # 20 negative in all, fewer in each training fold
    scores, info = out_of_fold_negativity(df["id"], df["text"], vecs, df["rating"])
    assert scores is None and "fewer than" in info["skipped"]


def test_with_polarity_reranks_only_the_relevant_pool():
    final = np.array([5.0, 4.0, 3.0, -1.0, -np.inf])
    neg = np.array([-1.0, 2.0, 0.0, 9.0, 9.0])
    out = with_polarity(final, neg, "negative", weight=1.0, pool=3)
    assert np.argmax(out) == 1 and np.isinf(out[3]) and np.isinf(out[4])  # outside the pool: dropped
    praise = with_polarity(final, neg, "positive", weight=1.0, pool=3)
    assert np.argmax(praise) == 0


@pytest.fixture(scope="module")
def toy_index(tmp_path_factory):
    from models.reviews.index import ReviewIndex

    df, _ = _toy()
    # one long 4-star review: praise, then a complaint a passage later
    long = " ".join(["The strap works great and I love the color and the soft padding on it."] * 14) + " " + \
        " ".join(["But the buckle broke after a week, cheap and flimsy junk, I returned it."] * 6)
    df = pd.concat([df, pd.DataFrame([{"id": "mixed", "text": long, "rating": 4.0}])], ignore_index=True)
    reviews = pd.DataFrame({"review_id": df["id"], "product_id": "P1", "rating": df["rating"], "text": df["text"],
                            "customer_id": [f"c{i}" for i in range(len(df))],
                            "timestamp": pd.Timestamp("2020-01-01"), "synthetic": True})
    idx = ReviewIndex(tmp_path_factory.mktemp("toyidx") / "chroma")
    idx.upsert_reviews(reviews, None, progress=False)
    return idx, df.set_index("id")["rating"]


def test_complaint_query_ranks_complaints_first_and_is_cached(toy_index):
    idx, rating = toy_index
    assert idx.polarity_info()["auc"] > 0.9
    hits = idx.search("strap", k=10, intent="negative")
    assert all(rating[h["review_id"]] <= 2 or h["review_id"] == "mixed" for h in hits)
    plain = idx.search("strap", k=10)
    assert idx.search("strap", k=10, intent="positive") == plain  # praise is not re-ranked (POLARITY_WEIGHT)
    from models.reviews.index import ReviewIndex

    again = ReviewIndex(idx.path)  # a new handle reads the stored scores instead of refitting
    assert np.allclose(again.negativity(), idx.negativity())
    assert (idx.path / "mka_polarity.npz").exists()


def test_a_complaint_inside_a_4_star_review_is_found_per_passage(toy_index):
    from models.reviews.summary import COMPLAINT_Z, _polar_passages

    idx, rating = toy_index
    passages, _ = idx.passages(review_ids=["mixed"], with_embeddings=False)
    assert len(passages) >= 2  # long enough to be split
    corpus = idx._load_corpus()
    neg = idx.passage_negativity(corpus)
    row = {str(i): j for j, i in enumerate(corpus.ids)}
    by_passage = {int(p): neg[row[i]] for i, p in zip(passages["id"], passages["passage"])}
    last, first = by_passage[max(by_passage)], by_passage[min(by_passage)]
    assert last >= COMPLAINT_Z and first < 0
    review_neg = pd.Series(idx.negativity(corpus), index=corpus.reviews)
    high = rating.index[rating >= 4]
    assert review_neg["mixed"] == review_neg[high].max()  # the most complaining of the 4-5 star reviews
    chosen, how = _polar_passages(idx, "negative")
    ids = dict(zip(passages["passage"].astype(int), passages["id"]))
    assert ids[max(ids)] in chosen and ids[min(ids)] not in chosen and "any rating" in how
    praise, _ = _polar_passages(idx, "positive")
    assert ids[min(ids)] in praise and ids[max(ids)] not in praise


def test_search_tool_passes_the_intent(fake_ctx):
    from tools.reviews import search_reviews_impl

    seen = {}
    real = fake_ctx.review_index()

    class Spy:
        def search(self, *a, **kw):
            seen.update(kw)
            return real.search(*a, **kw)

    fake_ctx._cache["review_index"] = Spy()
    r = search_reviews_impl(fake_ctx, "stopped working after a week")
    assert seen["intent"] == "negative" and r["intent"] == "negative"
    r = search_reviews_impl(fake_ctx, "no problems with the taste")
    assert seen["intent"] == "positive"
    r = search_reviews_impl(fake_ctx, "taste")
    assert seen["intent"] is None and "intent" not in r
