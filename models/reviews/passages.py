"""Review passages and product resolution: the text side of the review index (models/reviews.py).

A review is split into passages of at most ``PASSAGE_TOKENS`` MiniLM word pieces, the length the embedder reads
(``embeddings.MAX_SEQ_LENGTH``), so no passage is silently truncated. Passages pack whole sentences; a sentence
longer than the budget is cut between words. Word pieces are counted per whitespace word: BERT's tokenizer splits
on whitespace before word pieces, so the per-word counts add up exactly to the passage's count.

``PassageTable`` is the in-memory copy of the stored passages that search runs on; ``PassageFilters`` is one
filter expressed both as a Chroma ``where`` and as a boolean mask over that table (the two must agree).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from models.reviews.bm25 import BM25, count_terms
from models.embeddings import MAX_SEQ_LENGTH, MODEL_NAME, count_word_pieces
from models.data.errors import WorkspaceError

__all__ = ["split_passages", "passage_records", "quote_review", "unquote_review", "resolve_product", "match_products",
           "catalog_from_tables", "to_unix", "iso_date", "PassageTable", "PassageFilters", "PASSAGE_TOKENS", "MISSING_TS"]

# [CLS] and [SEP] take two of the model's positions
PASSAGE_TOKENS = MAX_SEQ_LENGTH - 2
MISSING_TS = np.iinfo(np.int64).min
_MAX_REMEMBERED_MATCHES = 1024

_FENCE_RE = re.compile(r"<<\s*/?\s*customer_review[^>]*>>", re.IGNORECASE)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


def quote_review(review_id: str, text: str) -> str:
    """Review text fenced as quoted customer data; markers inside the text are removed so it cannot close the fence."""
    clean = _FENCE_RE.sub("", str(text or "")).strip()
    rid = re.sub(r"[^\w.\-#]", "_", str(review_id))
    return f"<<customer_review id={rid}>>\n{clean}\n<</customer_review>>"


def unquote_review(text: str) -> str:
    """The review text inside ``quote_review``'s fence, for display (text without a fence is returned as is)."""
    return _FENCE_RE.sub("", str(text or "")).strip()


def split_passages(text: str, max_tokens: int = PASSAGE_TOKENS, pieces: Mapping[str, int] | None = None) -> list[str]:
    """Pack whole sentences into passages of at most ``max_tokens`` word pieces (a longer sentence is cut by words).

    ``pieces``: word-piece count of every word of ``text`` (default: counted with the MiniLM tokenizer).
    """
    words_total = str(text or "").split()
    if not words_total:
        return [""]
    if pieces is None:
        vocab = list(dict.fromkeys(words_total))
        pieces = dict(zip(vocab, count_word_pieces(vocab)))
    if sum(map(pieces.__getitem__, words_total)) <= max_tokens:
        return [" ".join(words_total)]
    passages: list[str] = []
    current: list[str] = []
    used = 0
    for sentence in _SENTENCE_RE.split(str(text).strip()):
        words = sentence.split()
        cost = sum(pieces[w] for w in words)
        if current and used + cost > max_tokens:
            passages.append(" ".join(current))
            current, used = [], 0
        for w in words:  # fits whole, or a run-on "sentence" cut between words
            if current and used + pieces[w] > max_tokens:
                passages.append(" ".join(current))
                current, used = [], 0
            current.append(w)
            used += pieces[w]
    if current:
        passages.append(" ".join(current))
    return passages


def text_hash(text: str) -> str:
    return hashlib.sha1(f"{MODEL_NAME}\x00{text}".encode("utf-8")).hexdigest()[:16]


def to_unix(value: Any, end_of_day: bool = False) -> int | None:
    """Dates as unix seconds (naive timestamps read as UTC, the same convention the index stores)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    date_only = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if isinstance(value, str):
        date_only = len(value.strip()) <= 10
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a date: {value!r}; expected e.g. 2014-03-31") from exc
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    if end_of_day and date_only:  # --until 2014-03-31 includes that whole day
        ts = ts + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    return int((ts - pd.Timestamp(0)) // pd.Timedelta(seconds=1))


def iso_date(ts: int | None) -> str | None:
    if ts is None or ts == MISSING_TS:
        return None
    t = pd.Timestamp(ts, unit="s")
    return t.date().isoformat() if t == t.normalize() else t.isoformat()


# -- products --------------------------------------------------------------------------------------------
def catalog_from_tables(reviews: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    counts = reviews["product_id"].astype("string").value_counts()
    cat = pd.DataFrame({"product_id": counts.index.astype("string"), "n_reviews": counts.to_numpy()})
    if products is not None and len(products):
        p = products.drop_duplicates("product_id").copy()
        p["product_id"] = p["product_id"].astype("string")
        keep = ["product_id"] + [c for c in ("name", "category") if c in p.columns]
        cat = cat.merge(p[keep], on="product_id", how="left")
    name = cat["name"] if "name" in cat else pd.Series(pd.NA, index=cat.index)
    category = cat["category"] if "category" in cat else pd.Series(pd.NA, index=cat.index)
    cat["product_name"] = name.astype("string").fillna(cat["product_id"])
    cat["category"] = category.astype("string").fillna("")
    return cat[["product_id", "product_name", "category", "n_reviews"]]


def match_products(catalog: pd.DataFrame, text: str) -> list[dict]:
    """Products matching free text: exact id, exact name, category, substring, then all words. First stage wins."""
    q = " ".join(str(text).lower().split())
    if not q:
        return []
    pid = catalog["product_id"].astype(str)
    name = catalog["product_name"].astype(str).str.lower()
    category = catalog["category"].astype(str).str.lower()
    words = q.split()
    haystack = name + " " + category
    stages = [
        ("id", pid.str.lower() == q),
        ("name", name == q),
        ("category", category == q),
        ("name", name.str.contains(q, regex=False)),
        ("category", category.str.contains(q, regex=False)),
        ("words", np.logical_and.reduce([haystack.str.contains(w, regex=False) for w in words])),
    ]
    for how, mask in stages:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            hits = catalog[mask].sort_values(["n_reviews", "product_id"], ascending=[False, True])
            return [{"product_id": str(r.product_id), "product_name": str(r.product_name),
                     "category": str(r.category), "n_reviews": int(r.n_reviews), "match": how}
                    for r in hits.itertuples(index=False)]
    return []


def resolve_product(ws_or_tables: Any, text: str) -> list[dict]:
    """Products whose id, name or category matches ``text`` (for the planner and tools), most-reviewed first.

    ``ws_or_tables``: a Workspace, or a mapping with a ``reviews`` table (and optionally ``products``).
    Each match: ``{"product_id", "product_name", "category", "n_reviews", "match"}``.
    """
    if isinstance(ws_or_tables, Mapping):
        reviews, products = ws_or_tables["reviews"], ws_or_tables.get("products")
    else:
        ws = ws_or_tables
        reviews = ws.read_table("reviews", columns=["product_id"])
        products = ws.read_table("products") if ws.has_table("products") else None
    return match_products(catalog_from_tables(reviews, products), text)


# -- passages --------------------------------------------------------------------------------------------
def passage_records(reviews: pd.DataFrame, products: pd.DataFrame | None) -> tuple[list, list, list]:
    """(ids, documents, metadatas) for every passage of every review."""
    missing = [c for c in ("review_id", "product_id", "rating", "text") if c not in reviews.columns]
    if missing:
        raise WorkspaceError(f"reviews table lacks column(s) {', '.join(missing)}")
    dup = reviews["review_id"].duplicated()
    if dup.any():
        raise WorkspaceError(f"reviews table: review_id repeats ({', '.join(map(str, reviews.loc[dup, 'review_id'].head(3)))}); "
                             "expected one row per review")
    n = len(reviews)
    pids = reviews["product_id"].astype(str).tolist()
    # plain lists, not per-row pandas lookups: a .loc/.iloc per review cost seconds on 10k reviews
    prod = catalog_from_tables(reviews, products).set_index("product_id").reindex(pids)
    names, categories = prod["product_name"].tolist(), prod["category"].tolist()
    ts = reviews["timestamp"] if "timestamp" in reviews else pd.Series(pd.NaT, index=reviews.index)
    ts = pd.to_datetime(ts)
    ts_unix = np.where(ts.isna(), MISSING_TS, (ts - pd.Timestamp(0)) // pd.Timedelta(seconds=1)).tolist()
    cust = reviews["customer_id"].astype("string").fillna("").tolist() if "customer_id" in reviews else [""] * n
    synth = reviews["synthetic"].fillna(False).astype(bool).tolist() if "synthetic" in reviews else [False] * n
    texts = [t if isinstance(t, str) else "" for t in reviews["text"]]
    # one tokenizer call for every distinct word of the table (much faster than one call per review)
    vocab = sorted({w for t in texts for w in t.split()})
    pieces = dict(zip(vocab, count_word_pieces(vocab)))
    ids, docs, metas = [], [], []
    for i, (rid, pid, rating) in enumerate(zip(reviews["review_id"].astype(str), pids, reviews["rating"])):
        base = {"review_id": rid, "product_id": pid, "product_name": str(names[i]),
                "category": str(categories[i]), "rating": int(round(float(rating))),
                "customer_id": str(cust[i]), "synthetic": bool(synth[i])}
        if ts_unix[i] != MISSING_TS:
            base["timestamp"] = int(ts_unix[i])  # absent (not a sentinel) so date filters exclude it
        passages = split_passages(texts[i], pieces=pieces)
        for n_p, passage in enumerate(passages):
            ids.append(rid if n_p == 0 else f"{rid}#{n_p}")
            docs.append(passage)
            metas.append({**base, "passage": n_p, "n_passages": len(passages), "text_hash": text_hash(passage)})
    return ids, docs, metas


# -- the in-memory passage table ---------------------------------------------------------------------
@dataclass
class PassageTable:
    """In-memory copy of the review collection: documents, metadata arrays and passage vectors, one row per passage."""

    ids: np.ndarray
    docs: list[str]
    review_id: np.ndarray
    passage: np.ndarray
    product_id: np.ndarray
    product_name: np.ndarray
    category: np.ndarray
    rating: np.ndarray
    timestamp: np.ndarray
    synthetic: np.ndarray
    vecs: np.ndarray  # (n_passages, 384) float32, unit rows
    revision: Any = None
    _pos: dict | None = None
    _by_review: dict | None = None

    def __post_init__(self) -> None:
        # reviews in id order; a review's score is its best passage's: the score of one passage per review,
        # raised by its other passages with np.maximum.at (most reviews have one passage, so this beats a
        # gather into review order plus a segment max)
        self.reviews, first, codes = np.unique(self.review_id.astype(str), return_index=True, return_inverse=True)
        is_first = np.zeros(len(self.review_id), dtype=bool)
        is_first[first] = True
        self.first_passage = first  # row of one passage of each review (its metadata is the review's), ``reviews`` order
        self.passage_review = codes  # index into ``reviews`` of each passage's review
        self._rest = np.flatnonzero(~is_first)
        self._rest_review = codes[self._rest]
        # integer product codes: a product filter is a lookup per passage, not an isin over 100k Python strings
        self.products, self.product_code = np.unique(self.product_id.astype(str), return_inverse=True)
        self._catalog: pd.DataFrame | None = None
        self._matches: dict[str, list[dict]] = {}
        self._review_docs: list[str] | None = None
        self._lexical: tuple[BM25, BM25] | None = None
        self._product_vecs: np.ndarray | None = None
        self._review_product: np.ndarray | None = None

    @classmethod
    def from_get(cls, got: dict, vecs: np.ndarray, revision: Any = None) -> "PassageTable":
        metas = got["metadatas"] or []
        col = lambda k, d="": np.array([m.get(k, d) for m in metas], dtype=object)  # noqa: E731
        return cls(ids=np.array(got["ids"], dtype=object), docs=list(got["documents"] or []),
                   review_id=col("review_id"), passage=np.array([m.get("passage", 0) for m in metas], dtype=np.int64),
                   product_id=col("product_id"), product_name=col("product_name"), category=col("category"),
                   rating=np.array([m.get("rating", 0) for m in metas], dtype=np.int64),
                   timestamp=np.array([m.get("timestamp", MISSING_TS) for m in metas], dtype=np.int64),
                   synthetic=np.array([bool(m.get("synthetic", False)) for m in metas], dtype=bool),
                   vecs=vecs, revision=revision)

    def catalog(self) -> pd.DataFrame:
        """product_id, product_name, category, n_reviews (computed once per table: product filters use it)."""
        if self._catalog is None:
            df = pd.DataFrame({"product_id": self.product_id, "product_name": self.product_name,
                               "category": self.category, "review_id": self.review_id})
            g = df.groupby(["product_id", "product_name", "category"], sort=True)["review_id"].nunique()
            self._catalog = g.rename("n_reviews").reset_index()
        return self._catalog.copy()

    def match_products(self, text: str) -> list[dict]:
        """:func:`match_products` on :meth:`catalog`, remembered per text: a product filter resolves the same few
        names on every search, and the catalog is fixed for the table's lifetime."""
        q = " ".join(str(text).lower().split())
        if q not in self._matches:
            if len(self._matches) >= _MAX_REMEMBERED_MATCHES:
                self._matches.clear()
            self._matches[q] = match_products(self.catalog(), q)
        return [dict(m) for m in self._matches[q]]

    # -- review- and product-level views, built on first use ------------------------------------------------
    def review_docs(self) -> list[str]:
        """Each review's whole text (its passages in order), in ``reviews`` order."""
        if self._review_docs is None:
            of = self.passage_review
            parts: list[list[str]] = [[] for _ in range(len(self.reviews))]
            for i in np.lexsort((self.passage, of)):
                parts[of[i]].append(self.docs[i])
            self._review_docs = [" ".join(p) for p in parts]
        return self._review_docs

    def review_product(self) -> np.ndarray:
        """Index into ``products`` of each review's product."""
        if self._review_product is None:
            self._review_product = self.product_code[self.first_passage]
        return self._review_product

    def lexical(self) -> tuple[BM25, BM25]:
        """BM25 over whole reviews, and over whole products (all their reviews as one text), from one tokenization."""
        if self._lexical is None:
            tf, vocab = count_terms(self.review_docs())
            n = len(self.reviews)
            by_product = sparse.csr_matrix((np.ones(n, dtype=np.float32), (self.review_product(), np.arange(n))),
                                           shape=(len(self.products), n))
            self._lexical = (BM25().fit_counts(tf, vocab), BM25().fit_counts(by_product @ tf, vocab))
        return self._lexical

    def product_vecs(self) -> np.ndarray:
        """Each product's centroid of its passage vectors (unit length), in ``products`` order."""
        if self._product_vecs is None:
            n = len(self.ids)
            by_product = sparse.csr_matrix((np.ones(n, dtype=np.float32), (self.product_code, np.arange(n))),
                                           shape=(len(self.products), n))
            sums = np.asarray(by_product @ self.vecs, dtype=np.float32)
            self._product_vecs = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        return self._product_vecs

    def positions(self) -> dict[str, int]:
        """Chroma id -> row (built once per corpus)."""
        if self._pos is None:
            self._pos = {pid: i for i, pid in enumerate(self.ids)}
        return self._pos

    def review_positions(self, review_id: str) -> np.ndarray:
        if self._by_review is None:
            by: dict[str, list[int]] = {}
            for i, rid in enumerate(self.review_id):
                by.setdefault(rid, []).append(i)
            self._by_review = {r: np.array(v) for r, v in by.items()}
        return self._by_review[review_id]

    def review_text(self, positions: np.ndarray) -> str:
        order = positions[np.argsort(self.passage[positions], kind="stable")]
        return " ".join(self.docs[i] for i in order)

    def per_review(self, passage_scores: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """Each review's best passage score; -inf for a review with no passage inside ``mask``."""
        s = np.asarray(passage_scores, dtype=np.float32)
        if mask is not None:
            s = np.where(mask, s, np.float32(-np.inf))
        out = s[self.first_passage]
        np.maximum.at(out, self._rest_review, s[self._rest])
        return out

    def dense_scores(self, query_vec: np.ndarray) -> np.ndarray:
        """Cosine similarity of every passage to the query (both unit length)."""
        return self.vecs @ np.asarray(query_vec, dtype=np.float32)


@dataclass(frozen=True)
class PassageFilters:
    product_ids: tuple[str, ...] | None = None
    min_rating: int | None = None
    max_rating: int | None = None
    since: int | None = None
    until: int | None = None

    def where(self) -> dict | None:
        conds: list[dict] = []
        if self.product_ids is not None:
            conds.append({"product_id": {"$in": list(self.product_ids)}})
        if self.min_rating is not None:
            conds.append({"rating": {"$gte": self.min_rating}})
        if self.max_rating is not None:
            conds.append({"rating": {"$lte": self.max_rating}})
        if self.since is not None:
            conds.append({"timestamp": {"$gte": self.since}})
        if self.until is not None:
            conds.append({"timestamp": {"$lte": self.until}})
        if not conds:
            return None
        return conds[0] if len(conds) == 1 else {"$and": conds}

    def mask(self, c: PassageTable) -> np.ndarray | None:
        """The same filter as :meth:`where`, on the in-memory corpus (missing timestamps fail date filters)."""
        m = np.ones(len(c.ids), dtype=bool)
        if self.product_ids is not None:
            m &= np.isin(c.products, list(self.product_ids))[c.product_code]
        if self.min_rating is not None:
            m &= c.rating >= self.min_rating
        if self.max_rating is not None:
            m &= c.rating <= self.max_rating
        has_ts = c.timestamp != MISSING_TS
        if self.since is not None:
            m &= has_ts & (c.timestamp >= self.since)
        if self.until is not None:
            m &= has_ts & (c.timestamp <= self.until)
        return None if m.all() else m
