"""Okapi BM25 over review text: the lexical half of hybrid search, and its benchmark baseline.

Small on purpose: scikit-learn's CountVectorizer counts, the BM25 weight of every (document, term) is
precomputed into a sparse matrix, so a query is a sum of a few columns (milliseconds at 100k reviews).

Words are lowercased and reduced to their Snowball (Porter 2) stem, so "strings" finds "string"; stopwords are
kept by default. The defaults (stemming, stopwords kept, k1 0.9, b 0.4; the last two are Anserini's defaults)
were chosen on the dev half of bench/reviews.py's known-item queries; ``BM25(k1=1.2, b=0.75, stem=False,
stop_words=True)`` is the textbook Okapi configuration the benchmark also reports.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

__all__ = ["BM25", "analyzer", "count_terms"]

_TOKEN_PATTERN = r"(?u)\b\w+\b"


@functools.lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=200_000)
def _stem(token: str) -> str:
    return _stemmer().stemWord(token)


@functools.lru_cache(maxsize=4)
def analyzer(stem: bool = True, stop_words: bool = False) -> Callable[[str], list[str]]:
    """Text -> the tokens BM25 counts: lowercased words, optionally without English stopwords, optionally stemmed."""
    words = CountVectorizer(lowercase=True, token_pattern=_TOKEN_PATTERN,
                            stop_words=sorted(ENGLISH_STOP_WORDS) if stop_words else None).build_analyzer()
    if not stem:
        return words
    return lambda text: [_stem(t) for t in words(text)]


def count_terms(docs: Sequence[str], stem: bool = True, stop_words: bool = False) -> tuple[sparse.csr_matrix, dict]:
    """(documents x terms) counts and the term -> column vocabulary, with :func:`analyzer`'s tokens."""
    docs = [d if isinstance(d, str) else "" for d in docs]
    vec = CountVectorizer(analyzer=analyzer(stem, stop_words), dtype=np.float32)
    try:
        return vec.fit_transform(docs).tocsr(), dict(vec.vocabulary_)
    except ValueError:  # every document empty (or stopwords only)
        return sparse.csr_matrix((len(docs), 0), dtype=np.float32), {}


class BM25:
    """Okapi BM25 (Robertson/Sparck Jones idf with +1 so it stays positive).

    ``k1`` saturates term frequency, ``b`` normalizes by document length; ``stem`` and ``stop_words`` pick the
    analyzer (see the module docstring).
    """

    def __init__(self, k1: float = 0.9, b: float = 0.4, stem: bool = True, stop_words: bool = False) -> None:
        self.k1 = k1
        self.b = b
        self.stem = stem
        self.stop_words = stop_words

    def fit(self, docs: Sequence[str]) -> "BM25":
        return self.fit_counts(*count_terms(docs, bool(self.stem), bool(self.stop_words)))

    def fit_counts(self, tf: sparse.spmatrix, vocabulary: dict[str, int]) -> "BM25":
        """Fit from a (documents x terms) count matrix made by :func:`count_terms` with this analyzer, e.g. summed
        over groups of documents (a product's reviews) without tokenizing the text again."""
        self.analyzer_ = analyzer(bool(self.stem), bool(self.stop_words))
        self.vocabulary_ = vocabulary
        tf = sparse.csr_matrix(tf, dtype=np.float32)
        n_docs = tf.shape[0]
        doc_len = np.asarray(tf.sum(axis=1)).ravel()
        avg_len = float(doc_len.mean()) if n_docs else 0.0
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float64)
        self.idf_ = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        # w = idf * tf (k1 + 1) / (tf + k1 (1 - b + b len / avg_len)), computed on the nonzeros only
        norm = self.k1 * (1.0 - self.b + self.b * doc_len / max(avg_len, 1e-9))
        rows = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
        data = tf.data.astype(np.float32)
        w = self.idf_[tf.indices] * data * (self.k1 + 1.0) / (data + norm[rows].astype(np.float32))
        self.weights_ = sparse.csr_matrix((w, tf.indices, tf.indptr), shape=tf.shape).tocsc()
        self.n_docs_ = n_docs
        return self

    def _query_terms(self, query: str) -> list[int]:
        # a repeated query word counts once: queries are short and repetition is rarely intent
        return sorted({self.vocabulary_[t] for t in self.analyzer_(query) if t in self.vocabulary_})

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document (0 where no query term occurs)."""
        terms = self._query_terms(query)
        if not terms:
            return np.zeros(self.n_docs_, dtype=np.float32)
        return np.asarray(self.weights_[:, terms].sum(axis=1), dtype=np.float32).ravel()
