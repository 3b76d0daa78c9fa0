"""Review polarity learned from the workspace's own stars: how much a review, and each of its passages, reads
like a complaint.

Weak labels: a 1-2 star review is negative, a 4-5 star one positive (3 stars are left out of training and
scored like the rest). Two logistic regressions, one over the review's MiniLM vector (the mean of its passage
vectors, i.e. by meaning) and one over TF-IDF word uni/bigrams (the words: "returned", "stopped working"), each
with balanced class weights; the review's *negativity* is the sum of their standardized log-odds.

Out of fold: reviews are split in ``n_folds`` by a hash of their id and each is scored by the models fitted on the
other folds, so a review's own stars never feed its score (the ranking does not peek at the rating it is judged
on, in bench/reviews_quality.py or for the user) and the scores themselves are held-out predictions: their AUC
against the stars is the reported accuracy.

Per passage: when the passages are given, each fold's models also score the passages of the reviews held out of
that fold (a passage's own text and MiniLM vector), standardized over passages. A review's negativity is then the
larger of its whole-text score and its most negative passage's less ``PASSAGE_MARGIN`` (standardized again over
reviews), so a complaint paragraph inside a long 4-star review counts as a complaint. ``passage_auc`` is each passage's score
against its review's stars (a weak label: a 1-star review's neutral passage counts as "negative").
"""

from __future__ import annotations

import zlib
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

__all__ = ["PolarityModel", "out_of_fold_negativity", "out_of_fold_polarity", "MIN_PER_CLASS", "PASSAGE_MARGIN"]

MIN_PER_CLASS = 20  # fewer negative or positive reviews in a training fold: no polarity model
# a passage lifts its review's negativity when it reads more than this many sd more negative than the whole review
# (the most negative passage alone ranks worse: a long 5-star review often has one lukewarm passage; chosen on the
# bench's complaint queries, bench/results/reviews_quality.md)
PASSAGE_MARGIN = 1.0


def _z(x: np.ndarray, ref: tuple[float, float]) -> np.ndarray:
    return (x - ref[0]) / (ref[1] if ref[1] > 1e-12 else 1.0)


class PolarityModel(BaseEstimator):
    """Negativity of reviews from their text and MiniLM vectors (higher: more like a 1-2 star review)."""

    def __init__(self, C_meaning: float = 1.0, C_words: float = 4.0, min_df: int = 2, max_iter: int = 1000) -> None:
        self.C_meaning = C_meaning
        self.C_words = C_words
        self.min_df = min_df
        self.max_iter = max_iter

    def fit(self, texts: Sequence[str], y: Sequence[int], vectors: np.ndarray) -> "PolarityModel":
        """``y``: 1 negative, 0 positive (rows to leave out are not passed)."""
        y = np.asarray(y, dtype=int)
        self.words_ = TfidfVectorizer(ngram_range=(1, 2), min_df=self.min_df, sublinear_tf=True)
        words = self.words_.fit_transform([str(t) for t in texts])
        self.meaning_lr_ = LogisticRegression(C=self.C_meaning, class_weight="balanced", max_iter=self.max_iter) \
            .fit(np.asarray(vectors), y)
        self.words_lr_ = LogisticRegression(C=self.C_words, class_weight="balanced", max_iter=self.max_iter) \
            .fit(words, y)
        m = self.meaning_lr_.decision_function(np.asarray(vectors))
        w = self.words_lr_.decision_function(words)
        self.scale_ = ((float(m.mean()), float(m.std())), (float(w.mean()), float(w.std())))
        return self

    def decision_function(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        m = self.meaning_lr_.decision_function(np.asarray(vectors))
        w = self.words_lr_.decision_function(self.words_.transform([str(t) for t in texts]))
        return _z(m, self.scale_[0]) + _z(w, self.scale_[1])


def _fold(ids: Sequence[str], n_folds: int) -> np.ndarray:
    return np.array([zlib.crc32(str(i).encode("utf-8")) % n_folds for i in ids])


def _standardize(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / max(float(x.std()), 1e-12) if len(x) else x


def out_of_fold_negativity(ids: Sequence[str], texts: Sequence[str], vectors: np.ndarray, ratings: Sequence[float],
                           n_folds: int = 2, **params) -> tuple[np.ndarray | None, dict]:
    """Held-out negativity of every review (standardized: mean 0, sd 1) and its accuracy, or (None, why).

    metrics: n_reviews, n_negative, n_positive, auc (held-out negativity vs 1-2 against 4-5 stars), n_folds.
    """
    scores, _, info = out_of_fold_polarity(ids, texts, vectors, ratings, n_folds=n_folds, **params)
    return scores, info


def out_of_fold_polarity(ids: Sequence[str], texts: Sequence[str], vectors: np.ndarray, ratings: Sequence[float],
                         passage_texts: Sequence[str] | None = None, passage_vectors: np.ndarray | None = None,
                         passage_review: Sequence[int] | None = None, n_folds: int = 2,
                         **params) -> tuple[np.ndarray | None, np.ndarray | None, dict]:
    """(review negativity, passage negativity, info), held out; (None, None, info with why) when too few labels.

    ``passage_review[j]`` is the row in ``ids`` of passage ``j``. Without passages the review negativity is the
    whole review's score and the passage negativity is None; with them see ``PASSAGE_MARGIN``.
    """
    ratings = np.asarray(ratings, dtype=float)
    label = np.where(ratings <= 2, 1, np.where(ratings >= 4, 0, -1))
    folds = _fold(ids, n_folds)
    info = {"n_reviews": int(len(ratings)), "n_negative": int((label == 1).sum()),
            "n_positive": int((label == 0).sum()), "n_folds": n_folds}
    for f in range(n_folds):
        train = (folds != f) & (label >= 0)
        if min((label[train] == 1).sum(), (label[train] == 0).sum()) < MIN_PER_CLASS:
            return None, None, {**info, "skipped": f"fewer than {MIN_PER_CLASS} reviews of 1-2 or of 4-5 stars to "
                                                   f"learn polarity from"}
    texts = [str(t) for t in texts]
    vectors = np.asarray(vectors)
    with_passages = passage_texts is not None and passage_vectors is not None and passage_review is not None
    if with_passages:
        passage_texts = [str(t) for t in passage_texts]
        passage_vectors = np.asarray(passage_vectors)
        of = np.asarray(passage_review, dtype=int)
        passage_out = np.zeros(len(of))
    out = np.zeros(len(ratings))
    for f in range(n_folds):
        train = np.flatnonzero((folds != f) & (label >= 0))
        test = np.flatnonzero(folds == f)
        model = PolarityModel(**params).fit([texts[i] for i in train], label[train], vectors[train])
        out[test] = model.decision_function([texts[i] for i in test], vectors[test])
        if with_passages:
            held = np.flatnonzero(folds[of] == f)
            if len(held):
                passage_out[held] = model.decision_function([passage_texts[j] for j in held], passage_vectors[held])
    passages = None
    if with_passages and len(of):
        passages = _standardize(passage_out)
        worst = np.full(len(ratings), -np.inf)
        np.maximum.at(worst, of, passages)
        out = np.maximum(_standardize(out), worst - PASSAGE_MARGIN)  # -inf for a review without passages
        plabel = label[of]
        scored = plabel >= 0
        if len(np.unique(plabel[scored])) == 2:
            info["passage_auc"] = round(float(roc_auc_score(plabel[scored], passages[scored])), 4)
        info["n_passages"] = int(len(of))
        info["scored_by"] = f"whole text, or its most negative passage less {PASSAGE_MARGIN} sd"
    out = _standardize(out)
    scored = label >= 0
    info["auc"] = round(float(roc_auc_score(label[scored], out[scored])), 4)
    return out, passages, info
