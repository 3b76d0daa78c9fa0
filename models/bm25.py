"""Okapi BM25 over the review passages: the lexical half of hybrid search, and its benchmark baseline.

Small on purpose: scikit-learn's CountVectorizer tokenizes and counts, the BM25 weight of every (passage, term)
is precomputed into a sparse matrix, so a query is a sum of a few columns (milliseconds at 100k passages).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

__all__ = ["BM25", "tokenize"]

_TOKEN_PATTERN = r"(?u)\b\w+\b"


def _vectorizer() -> CountVectorizer:
    return CountVectorizer(lowercase=True, token_pattern=_TOKEN_PATTERN, stop_words=sorted(ENGLISH_STOP_WORDS),
                           dtype=np.float32)


def tokenize(text: str) -> list[str]:
    """The tokens BM25 sees: lowercased words, English stopwords removed."""
    return _vectorizer().build_analyzer()(text)


class BM25:
    """Okapi BM25 (Robertson/Sparck Jones idf with +1 so it stays positive).

    ``k1`` saturates term frequency, ``b`` normalizes by passage length.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b

    def fit(self, docs: Sequence[str]) -> "BM25":
        self.vectorizer_ = _vectorizer()
        docs = [d if isinstance(d, str) else "" for d in docs]
        try:
            tf = self.vectorizer_.fit_transform(docs).tocsr()
        except ValueError:  # every passage empty or stopwords only
            self.vectorizer_ = None
            self.n_docs_ = len(docs)
            self.weights_ = sparse.csc_matrix((len(docs), 0), dtype=np.float32)
            self.vocabulary_ = {}
            return self
        self.vocabulary_ = self.vectorizer_.vocabulary_
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
        if self.vectorizer_ is None:
            return []
        analyzer = self.vectorizer_.build_analyzer()
        # a repeated query word counts once: queries are short and repetition is rarely intent
        return sorted({self.vocabulary_[t] for t in analyzer(query) if t in self.vocabulary_})

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (0 where no query term occurs)."""
        terms = self._query_terms(query)
        if not terms:
            return np.zeros(self.n_docs_, dtype=np.float32)
        return np.asarray(self.weights_[:, terms].sum(axis=1), dtype=np.float32).ravel()

    def top_k(self, query: str, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Indices and scores of the best ``k`` passages with a positive score (within ``mask`` if given)."""
        s = self.scores(query)
        if mask is not None:
            s = np.where(mask, s, 0.0)
        candidates = np.flatnonzero(s > 0)
        if len(candidates) > k:
            part = np.argpartition(-s[candidates], k - 1)[:k]
            candidates = candidates[part]
        # ties broken by passage position so results are deterministic
        order = np.lexsort((candidates, -s[candidates]))
        idx = candidates[order]
        return idx, s[idx]
