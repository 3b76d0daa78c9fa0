"""The review index: one persistent Chroma collection of review passages in the workspace, and search over it.

Reviews are split into passages that fit the embedder (models/review_passages.py). The first passage's Chroma id
is the review id, later ones ``<review_id>#<n>``; every passage carries ``review_id`` in its metadata, so
re-indexing is an idempotent upsert, unchanged passages (same text hash) are not embedded again, and reviews gone
from the table are deleted.

Chroma is the persistent store and the source of truth. Search runs on an in-memory copy of it (documents,
metadata and the normalized passage vectors as one float32 matrix), loaded once and reloaded when the
collection's revision (bumped on every write) or size changes, which is asked of Chroma only when its files'
stamp changed. A new process loads that copy from a snapshot taken at the same revision when there is one
(models/passage_snapshot.py) instead of reading Chroma page by page. A filter is a boolean mask over metadata arrays
and the dense ranking an exact dot product over the allowed rows, milliseconds at 100k reviews where Chroma's
filtered query takes over a second. Passages of one review are merged into one hit (a review scores as its best
passage).

With ``url`` (``http://host:port``, the ``--chroma-url`` setting) the collection lives on a Chroma server
(``chroma run``; ``chromadb.HttpClient``) that many clients share; ``path`` then only holds the local snapshot
cache. There are no local files to stamp, so every search asks the server for the revision (two small requests)
and reloads the in-memory copy only when another client wrote.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from urllib.parse import urlsplit
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from models.embeddings import DEFAULT_BATCH_SIZE, EMBEDDING_DIM, MODEL_NAME, MiniLMEmbeddingFunction, embed
from models.data.errors import WorkspaceError
from models.features import default_as_of
from models.reviews.intent import NEGATIVE, POSITIVE
from models.reviews.polarity import out_of_fold_polarity
from models.reviews.ranking import FUSION, POLARITY_WEIGHT, fuse, with_polarity
from models.reviews.relevance import content_terms, is_about, topic_text
from models.reviews.topics import nearest_topics
from models.reviews.readonly import CHROMA_DB, peek_revision, private_copy, unreadable
from models.reviews.snapshot import (SNAPSHOT_NAME, POLARITY_NAME, load_polarity, load_snapshot, save_polarity,
                                    save_snapshot)
from models.reviews.passages import (MISSING_TS as _MISSING_TS, PASSAGE_TOKENS, PassageFilters as _Filters,
                              PassageTable as _Corpus, iso_date as _iso, passage_records, quote_review,
                              resolve_product, split_passages, to_unix as _to_unix)

__all__ = ["ReviewIndex", "index_workspace", "workspace_index", "parse_chroma_url", "resolve_product", "quote_review", "split_passages",
           "passage_records", "COLLECTION", "PASSAGE_TOKENS", "DEFAULT_MODE", "MODES", "FUSION", "fuse"]

COLLECTION = "reviews"
MODES = ("hybrid", "dense", "bm25")
# Ranking (models/review_ranking.py): each review's BM25 and dense scores plus its product's context, fused with
# weights chosen on the dev half of bench/reviews.py's known-item queries (real Amazon reviews) and reported on
# the other half (bench/results/reviews.md). Hybrid also finds reviews sharing no word with the query.
DEFAULT_MODE = "hybrid"
_REVISION_KEY = "mka_revision"
_CHROMA_DB = CHROMA_DB
_STAMP_SETTLE_NS = 2_000_000_000
_passage_records = passage_records  # the name tests and older callers use


def _top(scores: np.ndarray, k: int, positive: bool = False) -> np.ndarray:
    """Indices of the ``k`` best finite (or positive) scores, best first; ties by index, i.e. by review id."""
    cand = np.flatnonzero(scores > 0) if positive else np.flatnonzero(np.isfinite(scores))
    if len(cand) > k:
        cand = cand[np.argpartition(-scores[cand], k - 1)[:k]]
    return cand[np.lexsort((cand, -scores[cand]))]


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) of a Chroma server URL ``http[s]://host[:port]``; ValueError with the expected form."""
    parts = urlsplit(str(url).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise ValueError(f"Chroma server URL {url!r}: expected http://host:port (e.g. http://127.0.0.1:8000)")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"Chroma server URL {url!r}: the port is not a number") from exc
    ssl = parts.scheme == "https"
    return parts.hostname, port or (443 if ssl else 8000), ssl


# -- the index -------------------------------------------------------------------------------------------
def _progress_bar(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    disable=not enabled, transient=True)


class ReviewIndex:
    """The persistent review collection under ``path`` (``ws.chroma_dir``), or on the Chroma server at ``url``
    (then ``path`` holds only the snapshot cache); opens lazily on first use."""

    def __init__(self, path: str | Path, embed_batch_size: int = DEFAULT_BATCH_SIZE, url: str | None = None) -> None:
        self.path = Path(path)
        self.embed_batch_size = embed_batch_size
        self.url = url or None
        if self.url:
            parse_chroma_url(self.url)  # a malformed URL fails here, not at the first search
        self._client = None
        self._collection = None
        self._writable = False
        self._corpus: _Corpus | None = None
        self._stamp: tuple | None = None
        self._polarity: tuple[Any, np.ndarray | None, dict, np.ndarray | None] | None = None

    # -- chroma ----------------------------------------------------------------------------------------
    @property
    def location(self) -> str:
        """Where the collection lives: the server URL or the local folder."""
        return self.url or str(self.path)

    def _connect(self, writable: bool = True):
        """A client. A local reader gets Chroma opened on a private copy of the folder
        (``models.reviews.readonly``): opening Chroma writes to its files, and a search must not."""
        import chromadb
        from chromadb.config import Settings

        if not self.url:
            if writable:
                self.path.mkdir(parents=True, exist_ok=True)
                where = self.path
            else:
                if not (self.path / CHROMA_DB).exists():
                    raise WorkspaceError(f"no review index at {self.path}: run `mka index` first")
                peek_revision(self.path, COLLECTION, _REVISION_KEY)  # corrupt: ArtifactError, not Chroma's 60 lines
                where = private_copy(self.path, self, skip=(SNAPSHOT_NAME, POLARITY_NAME))
            try:
                return chromadb.PersistentClient(path=str(where), settings=Settings(anonymized_telemetry=False))
            except Exception as exc:  # noqa: BLE001 — whatever Chroma raises on a damaged folder
                raise unreadable(self.path, exc) from None
        host, port, ssl = parse_chroma_url(self.url)
        try:  # the client checks the tenant and database on the server, so an unreachable server fails here
            return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=Settings(anonymized_telemetry=False))
        except Exception as exc:  # httpx ConnectError / chromadb errors, depending on the version
            raise WorkspaceError(f"cannot reach the Chroma server at {self.url} ({type(exc).__name__}: "
                                 f"{str(exc)[:160]}); start one with `chroma run --path DIR --port PORT` or drop "
                                 f"--chroma-url / MKA_CHROMA_URL to use the workspace's own index") from exc

    def _open(self, create: bool = False):
        """The collection; ``create`` (a writer): the index itself, made if missing; else read-only."""
        if self._collection is not None and (self._writable or not create or self.url):
            return self._collection
        if not create and not self.url and not self.path.exists():
            raise WorkspaceError(f"no review index at {self.path}: run `mka index` first")
        self._client = self._connect(writable=create)
        self._writable = create
        if create:
            self._collection = self._client.get_or_create_collection(
                COLLECTION, embedding_function=MiniLMEmbeddingFunction(), configuration={"hnsw": {"space": "cosine"}})
        else:
            try:
                self._collection = self._client.get_collection(COLLECTION, embedding_function=MiniLMEmbeddingFunction())
            except Exception as exc:  # chromadb raises NotFoundError / ValueError depending on the version
                raise WorkspaceError(f"no review index at {self.location}: run `mka index` first") from exc
        return self._collection

    def count(self) -> int:
        """Number of passages in the index (0 when there is no index yet)."""
        try:
            peeked = None if self.url else peek_revision(self.path, COLLECTION, _REVISION_KEY)
            return int(peeked[0]) if peeked is not None else int(self._open().count())
        except WorkspaceError:
            if self.url and self._client is None:  # the server is unreachable: that is not an empty index
                raise
            return 0

    def _revision(self, coll) -> tuple[int, Any]:
        """(passage count, revision token) of the stored collection: the in-memory copy is valid while it matches.

        Every write through this class stores a fresh token in the collection metadata (another process's
        ``mka index`` included); the count also catches writes that bypassed this class.
        """
        meta = self._client.get_collection(COLLECTION, embedding_function=MiniLMEmbeddingFunction()).metadata or {}
        return int(coll.count()), meta.get(_REVISION_KEY)

    def _bump_revision(self) -> None:
        coll = self._open(create=True)
        meta = {k: v for k, v in (coll.metadata or {}).items() if not k.startswith("hnsw:")}
        coll.modify(metadata={**meta, _REVISION_KEY: uuid.uuid4().hex})
        self._corpus = None

    def _store_stamp(self) -> tuple:
        """Inode, size and mtime of Chroma's SQLite files: every write to the collection changes them.
        Empty on a server (no local files): the revision is then asked on every search."""
        stamp = []
        if self.url:
            return ()
        for name in (_CHROMA_DB, _CHROMA_DB + "-wal"):
            try:
                st = (self.path / name).stat()
            except FileNotFoundError:
                continue
            stamp.append((name, st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(stamp)

    def _load_corpus(self) -> _Corpus:
        if not self.url and not self.path.exists():
            raise WorkspaceError(f"no review index at {self.path}: run `mka index` first")
        # Asking for the revision costs tens of ms per search; an unchanged stamp of Chroma's files proves
        # nothing was written since the last check. Stamped before the revision is read, so a write in between
        # changes the stamp and is caught on the next search.
        stamp = self._store_stamp()
        if self._corpus is not None and stamp and stamp == self._stamp:
            return self._corpus
        # a local index: read-only from its SQLite file when the layout is known; else Chroma (a private copy)
        key = None if self.url or self._writable else peek_revision(self.path, COLLECTION, _REVISION_KEY)
        if key is None:
            key = self._revision(self._open())
        if self._corpus is None or key != self._corpus.revision:
            self._corpus = load_snapshot(self.path / SNAPSHOT_NAME, key)
            if self._corpus is None:
                self._corpus = self._read_collection(self._open(), key)
                if key[1] is not None:  # without a revision token a stale snapshot could not be told apart
                    with contextlib.suppress(OSError):  # no snapshot only means the next process reads Chroma too
                        self.path.mkdir(parents=True, exist_ok=True)
                        save_snapshot(self._corpus, self.path / SNAPSHOT_NAME)
        # mtimes tick coarsely: a later write within the same tick and leaving the size as it was would keep a
        # fresh stamp unchanged, so a stamp is trusted only once its newest mtime is old enough
        settled = stamp and time.time_ns() - max(s[3] for s in stamp) > _STAMP_SETTLE_NS
        self._stamp = stamp if settled else None
        return self._corpus

    def _read_collection(self, coll, key: tuple[int, Any]) -> _Corpus:
        n = key[0]
        got: dict = {"ids": [], "documents": [], "metadatas": []}
        vecs = np.zeros((n, EMBEDDING_DIM), dtype=np.float32)
        step = 20_000
        for offset in range(0, n, step):  # paged: one huge get() holds several copies in memory
            part = coll.get(include=["documents", "metadatas", "embeddings"], limit=step, offset=offset)
            for k in got:
                got[k].extend(part[k])
            vecs[offset:offset + len(part["ids"])] = np.asarray(part["embeddings"], dtype=np.float32)
        vecs = vecs[:len(got["ids"])]
        # stored vectors are unit length already; renormalizing keeps dot product == cosine whatever wrote them
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return _Corpus.from_get(got, vecs, revision=key)

    # -- writing ---------------------------------------------------------------------------------------
    def upsert_passages(self, ids: Sequence[str], documents: Sequence[str], metadatas: Sequence[dict],
                        embeddings: np.ndarray) -> None:
        """Write passages with their (already computed) embeddings, in Chroma-sized batches."""
        coll = self._open(create=True)
        step = min(5000, int(self._client.get_max_batch_size()))
        for s in range(0, len(ids), step):
            coll.upsert(ids=list(ids[s:s + step]), documents=list(documents[s:s + step]),
                        metadatas=list(metadatas[s:s + step]), embeddings=np.asarray(embeddings[s:s + step]))
        self._bump_revision()

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
        # longest first in fixed chunks, so the bar moves evenly. A chunk is many batches: each pays a thread-pool
        # start, a straggling last batch and a Chroma write. Writing cannot overlap embedding: Chroma's upsert holds
        # the GIL for its whole call (about 1 ms a passage), which stalls the embedding threads.
        order = sorted(to_embed, key=lambda i: -len(docs[i]))
        chunk_size = self.embed_batch_size * 32
        with _progress_bar(progress) as bar:
            task = bar.add_task("Embedding reviews", total=len(order))
            for s in range(0, len(order), chunk_size):
                chunk = order[s:s + chunk_size]
                vecs = embed([docs[i] for i in chunk], batch_size=self.embed_batch_size)
                self.upsert_passages([ids[i] for i in chunk], [docs[i] for i in chunk],
                                     [metas[i] for i in chunk], vecs)
                bar.advance(task, len(chunk))
        self._bump_revision()
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
        return self._load_corpus().match_products(text)

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

    def _dense_chroma(self, query_vec: np.ndarray, filters: _Filters, n: int) -> list[str]:
        """Chroma's own filtered query (review ids, best first): the reference the in-memory search must match."""
        res = self._open().query(query_embeddings=[np.asarray(query_vec, dtype=np.float32)], n_results=max(1, n),
                                 where=filters.where(), include=["metadatas"])
        return list(dict.fromkeys(m["review_id"] for m in res["metadatas"][0]))

    def search(self, query: str, product: str | None = None, min_rating: int | None = None,
               max_rating: int | None = None, since: Any = None, until: Any = None, k: int = 10,
               mode: str | None = None, query_embedding: np.ndarray | None = None,
               intent: str | None = None) -> list[dict]:
        """The ``k`` reviews best matching ``query`` within the filters, one hit per review.

        ``mode``: "hybrid" (see models/review_ranking.py), "dense" or "bm25"; DEFAULT_MODE when None.
        ``query_embedding`` lets batch callers pass a precomputed query vector. ``intent`` "negative" / "positive"
        (models/reviews/intent.py) re-ranks the most relevant reviews by their learned polarity
        (models/reviews/ranking.py ``with_polarity``; hybrid and dense modes, when a polarity model could be fitted).
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
        scores = self.review_scores(query, filters, mode, query_embedding, corpus)
        if mode == "bm25":
            top = _top(scores["bm25"], k, positive=True)
            final = scores["bm25"]
        elif mode == "dense":
            final = scores["dense"]
            top = _top(final, k)
        else:
            final = fuse(scores)
            top = _top(final, k)
        if intent in (NEGATIVE, POSITIVE) and mode != "bm25" and POLARITY_WEIGHT[intent] > 0:
            negativity = self.negativity(corpus)
            if negativity is not None:
                final = with_polarity(final, negativity, intent)
                top = _top(final, k)
        return [self._hit(corpus, corpus.reviews[i], final[i]) for i in top]

    def negativity(self, corpus: _Corpus | None = None) -> np.ndarray | None:
        """Each review's held-out negativity (models/reviews/polarity.py: its most negative passage), in
        ``corpus.reviews`` order; None when the reviews hold too few 1-2 or 4-5 star ratings to learn from.
        Fitted once per index revision and kept beside the snapshot (``mka_polarity.npz``)."""
        return self._fit_polarity(corpus)[1]

    def passage_negativity(self, corpus: _Corpus | None = None) -> np.ndarray | None:
        """Each passage's held-out negativity (standardized over passages), in corpus row order; None as above."""
        return self._fit_polarity(corpus)[3]

    def polarity_info(self) -> dict:
        """The polarity model's held-out accuracy and counts (or why there is none)."""
        return dict(self._fit_polarity()[2])

    def _fit_polarity(self, corpus: _Corpus | None = None) -> tuple[Any, np.ndarray | None, dict, np.ndarray | None]:
        corpus = corpus or self._load_corpus()
        if self._polarity is not None and self._polarity[0] == corpus.revision:
            return self._polarity
        got = load_polarity(self.path / POLARITY_NAME, corpus.revision, len(corpus.reviews), len(corpus.docs))
        if got is None:
            rv = np.zeros((len(corpus.reviews), corpus.vecs.shape[1]), dtype=np.float64)
            np.add.at(rv, corpus.passage_review, corpus.vecs)
            rv /= np.maximum(np.linalg.norm(rv, axis=1, keepdims=True), 1e-12)
            scores, passage_scores, info = out_of_fold_polarity(
                corpus.reviews, corpus.review_docs(), rv, corpus.rating[corpus.first_passage],
                passage_texts=corpus.docs, passage_vectors=corpus.vecs, passage_review=corpus.passage_review)
            got = (scores, info, passage_scores)
            if corpus.revision is not None and corpus.revision[1] is not None:
                with contextlib.suppress(OSError):
                    self.path.mkdir(parents=True, exist_ok=True)
                    save_polarity(self.path / POLARITY_NAME, corpus.revision, scores, info, passage_scores)
        self._polarity = (corpus.revision, got[0], got[1], got[2])
        return self._polarity

    def review_scores(self, query: str, filters: _Filters | None = None, mode: str = "hybrid",
                      query_embedding: np.ndarray | None = None, corpus: _Corpus | None = None) -> dict:
        """Per-review scores in ``corpus.reviews`` order, -inf outside the filters: "bm25" (the whole review),
        "dense" (its best passage), and for hybrid also "product_bm25" / "product_dense" (its product's context)."""
        corpus = corpus or self._load_corpus()
        mask = (filters or _Filters()).mask(corpus)
        allowed = None if mask is None else mask[corpus.first_passage]  # a review's passages share its metadata
        inside = (lambda x: x) if allowed is None else (lambda x: np.where(allowed, x, -np.inf))  # noqa: E731
        out: dict[str, np.ndarray] = {}
        if mode in ("bm25", "hybrid"):
            reviews_bm25, products_bm25 = corpus.lexical()
            out["bm25"] = inside(reviews_bm25.scores(query))
            if mode == "hybrid":
                out["product_bm25"] = inside(products_bm25.scores(query)[corpus.review_product()])
        if mode in ("dense", "hybrid"):
            vec = query_embedding if query_embedding is not None else embed([query])[0]
            out["dense"] = corpus.per_review(corpus.dense_scores(vec), mask)
            if mode == "hybrid":
                product_dense = corpus.product_vecs() @ np.asarray(vec, dtype=np.float32)
                out["product_dense"] = inside(product_dense[corpus.review_product()])
        return out

    def check_topic(self, query: str, hits: Sequence[dict], suggest: int = 3) -> dict:
        """Is any of ``hits`` (from :meth:`search`) about the query's topic (models/reviews/relevance.py)?

        {"no_match", "about" (per hit), "nearest_topics" (when no_match: phrases that do occur near the query)}.
        """
        if not hits or not content_terms(query):
            return {"no_match": False, "about": [True] * len(hits), "nearest_topics": []}
        corpus = self._load_corpus()
        vec = embed([topic_text(query) or str(query)])[0]
        cos = corpus.per_review(corpus.dense_scores(vec), None)
        row = {r: i for i, r in enumerate(corpus.reviews)} if len(hits) > 50 else None
        at = (lambda r: row[r]) if row else (lambda r: int(np.searchsorted(corpus.reviews, r)))  # noqa: E731
        about = is_about(query, [h.get("text", "") for h in hits], [float(cos[at(str(h["review_id"]))]) for h in hits])
        no_match = not any(about)
        near = nearest_topics(vec, cos, corpus.review_docs(), exclude=topic_text(query), k=suggest) if no_match else []
        return {"no_match": no_match, "about": about, "nearest_topics": near}

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
        return df, corpus.vecs[pos].copy()


def _as_of(ws) -> str | None:
    for table in ("orders", "reviews"):
        if ws.has_table(table):
            ts = pd.to_datetime(ws.read_table(table, columns=["timestamp"])["timestamp"]) \
                if "timestamp" in ws.table_info(table).get("columns", []) else None
            if ts is not None and ts.notna().any():
                return default_as_of(ts).date().isoformat()
    return None


def workspace_index(ws, **kwargs: Any) -> ReviewIndex:
    """The workspace's review index: ``ws.chroma_dir``, or the Chroma server at ``ws.chroma_url`` when set."""
    return ReviewIndex(ws.chroma_dir, url=getattr(ws, "chroma_url", None), **kwargs)


def index_workspace(ws, progress: bool = True) -> dict:
    """Upsert the workspace's reviews table into its review index (``workspace_index``) and note it in the
    manifest, under the workspace write lock (one writer at a time; the reviews cannot change while indexed)."""
    with ws.write_lock():
        return _index_workspace(ws, progress)


def _index_workspace(ws, progress: bool) -> dict:
    reviews = ws.read_table("reviews")
    products = ws.read_table("products") if ws.has_table("products") else None
    index = workspace_index(ws)
    stats = index.upsert_reviews(reviews, products, progress=progress)
    stats["polarity"] = index.polarity_info()  # fitted now so the first complaint query does not wait for it
    info = {**stats, "as_of": _as_of(ws), "data_hash": ws.data_hash(), "path": index.location,
            "server": index.url, "collection": COLLECTION, "default_mode": DEFAULT_MODE,
            "n_synthetic": int(reviews["synthetic"].fillna(False).astype(bool).sum()) if "synthetic" in reviews else 0}
    ws.record_artifact("review_index", info)
    return info
