"""The review index: one persistent Chroma collection of review passages in the workspace, and search over it.

Each review is split into passages of at most ``PASSAGE_WORDS`` words (MiniLM reads 256 word pieces; a longer
review would be silently cut). The first passage's Chroma id is the review id, later ones ``<review_id>#<n>``;
every passage carries ``review_id`` in its metadata, so re-indexing is an idempotent upsert, unchanged passages
(same text hash) are not embedded again, and reviews gone from the table are deleted.

Search filters (product, rating, date range) run inside Chroma's ``where``; the BM25 side applies the same
filters to its in-memory copy of the metadata. Passages of one review are merged into one hit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .bm25 import BM25
from .embeddings import MODEL_NAME, MiniLMEmbeddingFunction, embed
from .errors import WorkspaceError

__all__ = ["ReviewIndex", "index_workspace", "resolve_product", "quote_review", "split_passages",
           "COLLECTION", "PASSAGE_WORDS", "DEFAULT_MODE", "MODES"]

COLLECTION = "reviews"
PASSAGE_WORDS = 120
MODES = ("hybrid", "dense", "bm25")
# Chosen on bench/reviews.py (known-item retrieval, real Amazon reviews, bench/results/reviews.md): hybrid did not
# beat BM25 there (recall@10 0.272 vs 0.278, dense 0.178), so BM25 is the default. BM25 returns nothing for a
# query sharing no word with any review; "hybrid" or "dense" cover that case.
DEFAULT_MODE = "bm25"
RRF_K = 60  # the usual reciprocal-rank-fusion constant (Cormack et al. 2009)
_MISSING_TS = np.iinfo(np.int64).min

_FENCE_RE = re.compile(r"<<\s*/?\s*customer_review[^>]*>>", re.IGNORECASE)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


def quote_review(review_id: str, text: str) -> str:
    """Review text fenced as quoted customer data; markers inside the text are removed so it cannot close the fence."""
    clean = _FENCE_RE.sub("", str(text or "")).strip()
    rid = re.sub(r"[^\w.\-#]", "_", str(review_id))
    return f"<<customer_review id={rid}>>\n{clean}\n<</customer_review>>"


def split_passages(text: str, max_words: int = PASSAGE_WORDS) -> list[str]:
    """Pack whole sentences into passages of at most ``max_words`` words (a longer sentence is cut by words)."""
    words_total = str(text or "").split()
    if len(words_total) <= max_words:
        return [" ".join(words_total)]
    passages: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE_RE.split(str(text).strip()):
        words = sentence.split()
        while len(words) > max_words:  # a run-on "sentence": cut it
            if current:
                passages.append(" ".join(current))
                current = []
            passages.append(" ".join(words[:max_words]))
            words = words[max_words:]
        if current and len(current) + len(words) > max_words:
            passages.append(" ".join(current))
            current = []
        current.extend(words)
    if current:
        passages.append(" ".join(current))
    return passages


def _text_hash(text: str) -> str:
    return hashlib.sha1(f"{MODEL_NAME}\x00{text}".encode("utf-8")).hexdigest()[:16]


def _to_unix(value: Any, end_of_day: bool = False) -> int | None:
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


def _iso(ts: int | None) -> str | None:
    if ts is None or ts == _MISSING_TS:
        return None
    t = pd.Timestamp(ts, unit="s")
    return t.date().isoformat() if t == t.normalize() else t.isoformat()


# -- products --------------------------------------------------------------------------------------------
def _catalog_from_tables(reviews: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
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


def _match_products(catalog: pd.DataFrame, text: str) -> list[dict]:
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
    return _match_products(_catalog_from_tables(reviews, products), text)


# -- passages --------------------------------------------------------------------------------------------
def _passage_records(reviews: pd.DataFrame, products: pd.DataFrame | None) -> tuple[list, list, list]:
    """(ids, documents, metadatas) for every passage of every review."""
    missing = [c for c in ("review_id", "product_id", "rating", "text") if c not in reviews.columns]
    if missing:
        raise WorkspaceError(f"reviews table lacks column(s) {', '.join(missing)}")
    dup = reviews["review_id"].duplicated()
    if dup.any():
        raise WorkspaceError(f"reviews table: review_id repeats ({', '.join(map(str, reviews.loc[dup, 'review_id'].head(3)))}); "
                             "expected one row per review")
    cat = _catalog_from_tables(reviews, products).set_index("product_id")
    n = len(reviews)
    ts = reviews["timestamp"] if "timestamp" in reviews else pd.Series(pd.NaT, index=reviews.index)
    ts = pd.to_datetime(ts)
    ts_unix = np.where(ts.isna(), _MISSING_TS, (ts - pd.Timestamp(0)) // pd.Timedelta(seconds=1))
    cust = reviews["customer_id"].astype("string").fillna("") if "customer_id" in reviews else pd.Series([""] * n)
    synth = reviews["synthetic"].fillna(False).astype(bool) if "synthetic" in reviews else pd.Series([False] * n)
    ids, docs, metas = [], [], []
    for i, (rid, pid, rating, text) in enumerate(zip(reviews["review_id"].astype(str), reviews["product_id"].astype(str),
                                                      reviews["rating"], reviews["text"])):
        prod = cat.loc[pid]
        base = {"review_id": rid, "product_id": pid, "product_name": str(prod["product_name"]),
                "category": str(prod["category"]), "rating": int(round(float(rating))),
                "customer_id": str(cust.iloc[i]), "synthetic": bool(synth.iloc[i])}
        if ts_unix[i] != _MISSING_TS:
            base["timestamp"] = int(ts_unix[i])  # absent (not a sentinel) so date filters exclude it
        passages = split_passages(text if isinstance(text, str) else "")
        for n_p, passage in enumerate(passages):
            ids.append(rid if n_p == 0 else f"{rid}#{n_p}")
            docs.append(passage)
            metas.append({**base, "passage": n_p, "n_passages": len(passages), "text_hash": _text_hash(passage)})
    return ids, docs, metas


@dataclass
class _Corpus:
    """In-memory copy of the collection's documents and metadata: BM25, filter masks and hit assembly."""

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
    bm25: BM25 | None = None
    _pos: dict | None = None
    _by_review: dict | None = None

    @classmethod
    def from_get(cls, got: dict) -> "_Corpus":
        metas = got["metadatas"] or []
        col = lambda k, d="": np.array([m.get(k, d) for m in metas], dtype=object)  # noqa: E731
        return cls(ids=np.array(got["ids"], dtype=object), docs=list(got["documents"] or []),
                   review_id=col("review_id"), passage=np.array([m.get("passage", 0) for m in metas], dtype=np.int64),
                   product_id=col("product_id"), product_name=col("product_name"), category=col("category"),
                   rating=np.array([m.get("rating", 0) for m in metas], dtype=np.int64),
                   timestamp=np.array([m.get("timestamp", _MISSING_TS) for m in metas], dtype=np.int64),
                   synthetic=np.array([bool(m.get("synthetic", False)) for m in metas], dtype=bool))

    def catalog(self) -> pd.DataFrame:
        df = pd.DataFrame({"product_id": self.product_id, "product_name": self.product_name,
                           "category": self.category, "review_id": self.review_id})
        g = df.groupby(["product_id", "product_name", "category"], sort=True)["review_id"].nunique()
        return g.rename("n_reviews").reset_index()

    def get_bm25(self) -> BM25:
        if self.bm25 is None:
            self.bm25 = BM25().fit(self.docs)
        return self.bm25

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


@dataclass(frozen=True)
class _Filters:
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

    def mask(self, c: _Corpus) -> np.ndarray | None:
        """The same filter as :meth:`where`, on the in-memory corpus (missing timestamps fail date filters)."""
        m = np.ones(len(c.ids), dtype=bool)
        if self.product_ids is not None:
            m &= np.isin(c.product_id, list(self.product_ids))
        if self.min_rating is not None:
            m &= c.rating >= self.min_rating
        if self.max_rating is not None:
            m &= c.rating <= self.max_rating
        has_ts = c.timestamp != _MISSING_TS
        if self.since is not None:
            m &= has_ts & (c.timestamp >= self.since)
        if self.until is not None:
            m &= has_ts & (c.timestamp <= self.until)
        return None if m.all() else m



def _fuse(rankings: list[list[tuple[int, float]]], corpus: _Corpus, k: int) -> list[tuple[str, float]]:
    """Merge passages into reviews (a review ranks at its best passage); with two rankings, fuse by RRF."""
    per_ranking: list[dict[str, float]] = []
    for ranking in rankings:
        best: dict[str, float] = {}  # insertion order = rank order
        for pos, score in ranking:
            rid = corpus.review_id[pos]
            if rid not in best:
                best[rid] = score
        per_ranking.append(best)
    if len(per_ranking) == 1:
        fused = per_ranking[0]
    else:
        fused = {}
        for best in per_ranking:
            for rank, rid in enumerate(best):
                fused[rid] = fused.get(rid, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


# -- the index -------------------------------------------------------------------------------------------
def _progress_bar(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    disable=not enabled, transient=True)


class ReviewIndex:
    """The persistent review collection under ``path`` (``ws.chroma_dir``); opens lazily on first use."""

    def __init__(self, path: str | Path, embed_batch_size: int = 64) -> None:
        self.path = Path(path)
        self.embed_batch_size = embed_batch_size
        self._client = None
        self._collection = None
        self._corpus: _Corpus | None = None
        self._corpus_count = -1

    # -- chroma ----------------------------------------------------------------------------------------
    def _open(self, create: bool = False):
        if self._collection is not None:
            return self._collection
        if not create and not self.path.exists():
            raise WorkspaceError(f"no review index at {self.path}: run `mka index` first")
        import chromadb
        from chromadb.config import Settings

        self.path.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(path=str(self.path),
                                                 settings=Settings(anonymized_telemetry=False))
        if create:
            self._collection = self._client.get_or_create_collection(
                COLLECTION, embedding_function=MiniLMEmbeddingFunction(), configuration={"hnsw": {"space": "cosine"}})
        else:
            try:
                self._collection = self._client.get_collection(COLLECTION, embedding_function=MiniLMEmbeddingFunction())
            except Exception as exc:  # chromadb raises NotFoundError / ValueError depending on the version
                raise WorkspaceError(f"no review index at {self.path}: run `mka index` first") from exc
        return self._collection

    def count(self) -> int:
        """Number of passages in the index (0 when there is no index yet)."""
        try:
            return int(self._open().count())
        except WorkspaceError:
            return 0

    def _load_corpus(self) -> _Corpus:
        coll = self._open()
        n = coll.count()
        if self._corpus is None or n != self._corpus_count:
            got: dict = {"ids": [], "documents": [], "metadatas": []}
            step = 20_000
            for offset in range(0, n, step):  # paged: one huge get() holds several copies in memory
                part = coll.get(include=["documents", "metadatas"], limit=step, offset=offset)
                for key in got:
                    got[key].extend(part[key])
            self._corpus = _Corpus.from_get(got)
            self._corpus_count = n
        return self._corpus

    # -- writing ---------------------------------------------------------------------------------------
    def upsert_passages(self, ids: Sequence[str], documents: Sequence[str], metadatas: Sequence[dict],
                        embeddings: np.ndarray) -> None:
        """Write passages with their (already computed) embeddings, in Chroma-sized batches."""
        coll = self._open(create=True)
        step = min(5000, int(self._client.get_max_batch_size()))
        for s in range(0, len(ids), step):
            coll.upsert(ids=list(ids[s:s + step]), documents=list(documents[s:s + step]),
                        metadatas=list(metadatas[s:s + step]), embeddings=np.asarray(embeddings[s:s + step]))
        self._corpus = None

    def upsert_reviews(self, reviews: pd.DataFrame, products: pd.DataFrame | None = None,
                       progress: bool = True) -> dict:
        """Make the index hold exactly these reviews; embed only passages whose text is new or changed."""
        t0 = time.perf_counter()
        ids, docs, metas = _passage_records(reviews, products)
        coll = self._open(create=True)
        existing: dict[str, dict] = {}
        n = coll.count()
        for offset in range(0, n, 20_000):
            part = coll.get(include=["metadatas"], limit=20_000, offset=offset)
            existing.update(zip(part["ids"], part["metadatas"]))
        to_embed = [i for i, (pid, m) in enumerate(zip(ids, metas))
                    if existing.get(pid, {}).get("text_hash") != m["text_hash"]]
        embed_set = set(to_embed)
        to_update = [i for i, (pid, m) in enumerate(zip(ids, metas))
                     if i not in embed_set and existing.get(pid) != m]
        stale = sorted(set(existing) - set(ids))
        step = min(5000, int(self._client.get_max_batch_size()))
        for s in range(0, len(stale), step):
            coll.delete(ids=stale[s:s + step])
        for s in range(0, len(to_update), step):  # metadata changed (e.g. product renamed): no re-embedding
            chunk = to_update[s:s + step]
            coll.update(ids=[ids[i] for i in chunk], metadatas=[metas[i] for i in chunk])
        # longest first in fixed chunks: batches of similar length waste less padding, and the bar moves evenly
        order = sorted(to_embed, key=lambda i: -len(docs[i]))
        chunk_size = max(self.embed_batch_size * 4, 256)
        with _progress_bar(progress) as bar:
            task = bar.add_task("Embedding reviews", total=len(order))
            for s in range(0, len(order), chunk_size):
                chunk = order[s:s + chunk_size]
                vecs = embed([docs[i] for i in chunk], batch_size=self.embed_batch_size)
                self.upsert_passages([ids[i] for i in chunk], [docs[i] for i in chunk],
                                     [metas[i] for i in chunk], vecs)
                bar.advance(task, len(chunk))
        self._corpus = None
        seconds = time.perf_counter() - t0
        return {"n_reviews": int(len(reviews)), "n_passages": len(ids), "embedded": len(to_embed),
                "metadata_updated": len(to_update), "deleted": len(stale),
                "unchanged": len(ids) - len(to_embed) - len(to_update), "seconds": round(seconds, 2),
                "model": MODEL_NAME}

    # -- reading ---------------------------------------------------------------------------------------
    def products(self) -> pd.DataFrame:
        """product_id, product_name, category, n_reviews of the indexed reviews."""
        return self._load_corpus().catalog()

    def resolve_product(self, text: str) -> list[dict]:
        return _match_products(self.products(), text)

    def _filters(self, product, min_rating, max_rating, since, until) -> _Filters:
        for name, val in (("min_rating", min_rating), ("max_rating", max_rating)):
            if val is not None and not 1 <= int(val) <= 5:
                raise ValueError(f"{name} must be between 1 and 5, got {val}")
        if min_rating is not None and max_rating is not None and int(min_rating) > int(max_rating):
            raise ValueError(f"min_rating {min_rating} is above max_rating {max_rating}")
        product_ids = None
        if product is not None and str(product).strip():
            matches = self.resolve_product(str(product))
            if not matches:
                examples = ", ".join(self.products().sort_values("n_reviews", ascending=False)
                                     ["product_name"].head(5).astype(str))
                raise ValueError(f"no product or category in the review index matches {product!r}; "
                                 f"try a product id or name, e.g. {examples}")
            product_ids = tuple(m["product_id"] for m in matches)
        since_ts, until_ts = _to_unix(since), _to_unix(until, end_of_day=True)
        if since_ts is not None and until_ts is not None and since_ts > until_ts:
            raise ValueError(f"since {since} is after until {until}")
        return _Filters(product_ids, None if min_rating is None else int(min_rating),
                        None if max_rating is None else int(max_rating), since_ts, until_ts)

    def _dense(self, query_vec: np.ndarray, filters: _Filters, n: int, corpus: _Corpus) -> list[tuple[int, float]]:
        coll = self._open()
        res = coll.query(query_embeddings=[np.asarray(query_vec, dtype=np.float32)], n_results=max(1, n),
                         where=filters.where(), include=["distances"])
        pos = corpus.positions()
        # cosine distance -> similarity; an id missing from the corpus copy was written after it was loaded
        return [(pos[pid], 1.0 - float(d)) for pid, d in zip(res["ids"][0], res["distances"][0]) if pid in pos]

    def search(self, query: str, product: str | None = None, min_rating: int | None = None,
               max_rating: int | None = None, since: Any = None, until: Any = None, k: int = 10,
               mode: str | None = None, query_embedding: np.ndarray | None = None) -> list[dict]:
        """The ``k`` reviews best matching ``query`` within the filters, one hit per review.

        ``mode``: "bm25" (the default, see DEFAULT_MODE), "hybrid" (dense + BM25 fused by reciprocal rank) or "dense".
        ``query_embedding`` lets batch callers pass a precomputed query vector.
        """
        mode = mode or DEFAULT_MODE
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        corpus = self._load_corpus()
        if not len(corpus.ids):
            return []
        filters = self._filters(product, min_rating, max_rating, since, until)
        n_cand = min(len(corpus.ids), 4 * k + 20)  # several passages may belong to one review
        rankings: list[list[tuple[int, float]]] = []
        if mode in ("dense", "hybrid"):
            vec = query_embedding if query_embedding is not None else embed([query])[0]
            rankings.append(self._dense(vec, filters, n_cand, corpus))
        if mode in ("bm25", "hybrid"):
            idx, scores = corpus.get_bm25().top_k(query, n_cand, mask=filters.mask(corpus))
            rankings.append(list(zip(idx.tolist(), scores.tolist())))
        return [self._hit(corpus, rid, score) for rid, score in _fuse(rankings, corpus, k)]

    def _hit(self, corpus: _Corpus, review_id: str, score: float) -> dict:
        positions = corpus.review_positions(review_id)
        first = positions[np.argmin(corpus.passage[positions])]
        return {"review_id": str(review_id), "product_id": str(corpus.product_id[first]),
                "product_name": str(corpus.product_name[first]), "category": str(corpus.category[first]),
                "rating": int(corpus.rating[first]), "timestamp": _iso(int(corpus.timestamp[first])),
                "text": corpus.review_text(positions), "score": round(float(score), 6),
                "synthetic": bool(corpus.synthetic[first])}

    def passages(self, review_ids: Sequence[str] | None = None, product: str | None = None,
                 with_embeddings: bool = True) -> tuple[pd.DataFrame, np.ndarray | None]:
        """Passages (id, review_id, passage, text, rating, timestamp, product_id, synthetic) of the given reviews
        or product (all when neither), with their stored embeddings in the same row order."""
        corpus = self._load_corpus()
        mask = np.ones(len(corpus.ids), dtype=bool)
        if product is not None:
            f = self._filters(product, None, None, None, None).mask(corpus)
            mask = f if f is not None else mask
        if review_ids is not None:
            mask &= np.isin(corpus.review_id, list(review_ids))
        pos = np.flatnonzero(mask)
        df = pd.DataFrame({"id": corpus.ids[pos].astype(str), "review_id": corpus.review_id[pos].astype(str),
                           "passage": corpus.passage[pos], "text": [corpus.docs[i] for i in pos],
                           "rating": corpus.rating[pos], "timestamp": corpus.timestamp[pos],
                           "product_id": corpus.product_id[pos].astype(str), "synthetic": corpus.synthetic[pos]})
        df["timestamp"] = pd.to_datetime(df["timestamp"].where(df["timestamp"] != _MISSING_TS), unit="s")
        if not with_embeddings:
            return df, None
        vecs = np.zeros((len(df), 384), dtype=np.float32)
        coll = self._open()
        row = {pid: i for i, pid in enumerate(df["id"])}
        for s in range(0, len(df), 5000):
            got = coll.get(ids=list(df["id"].iloc[s:s + 5000]), include=["embeddings"])
            for pid, v in zip(got["ids"], got["embeddings"]):
                vecs[row[pid]] = v
        return df, vecs


def _as_of(ws) -> str | None:
    for table in ("orders", "reviews"):
        if ws.has_table(table):
            ts = pd.to_datetime(ws.read_table(table, columns=["timestamp"])["timestamp"]) \
                if "timestamp" in ws.table_info(table).get("columns", []) else None
            if ts is not None and ts.notna().any():
                return (ts.max().normalize() + pd.Timedelta(days=1)).date().isoformat()
    return None


def index_workspace(ws, progress: bool = True) -> dict:
    """Upsert the workspace's reviews table into ``ws.chroma_dir`` and note the index in the manifest."""
    reviews = ws.read_table("reviews")
    products = ws.read_table("products") if ws.has_table("products") else None
    stats = ReviewIndex(ws.chroma_dir).upsert_reviews(reviews, products, progress=progress)
    info = {**stats, "as_of": _as_of(ws), "data_hash": ws.data_hash(), "path": str(ws.chroma_dir),
            "collection": COLLECTION, "default_mode": DEFAULT_MODE,
            "n_synthetic": int(reviews["synthetic"].fillna(False).astype(bool).sum()) if "synthetic" in reviews else 0}
    ws.record_artifact("review_index", info)
    return info
