"""Review retrieval benchmark on the real Amazon Musical Instruments reviews (../shared/data).

    python bench/reviews.py --workdir DIR [--reuse] [--n-queries 6000] [--replicas 10] [--out bench/results/reviews.md]

1. Index all reviews from scratch: throughput (reviews/s, embedding included), passages, disk size. With
   ``--reuse`` an index and its stats left in ``--workdir`` by an earlier run are used instead.
2. Known-item retrieval: each review's own summary line (>= 4 words, and not the text itself) is the query
   (titles are not indexed, so nothing leaks); is that review in the top 10? recall@10 and MRR@10 for three
   textbook BM25 baselines, this index's BM25 and dense rankings, and a grid of hybrid fusions
   (models/review_ranking.py). The queries are split in two seeded halves: settings are chosen on the dev half
   and reported on the test half.
3. Query latency p50/p95 (query embedding included) without and with filters, at the real size (~10k reviews)
   and at ``replicas`` x that size: the real reviews copied under new ids, their stored vectors reused
   (embedding 100k reviews would take a quarter of an hour more; the index and query path are what is measured).
   Chroma's own filtered query is timed on a few queries as the reference the in-memory path replaces.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.data.sources.amazon import load_amazon_reviews  # noqa: E402
from models.embeddings import embed  # noqa: E402
from models.reviews.bm25 import BM25  # noqa: E402
from models.reviews.ranking import FUSION, Fusion, fuse  # noqa: E402
from models.reviews.index import DEFAULT_MODE, ReviewIndex, _top  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "reviews_Musical_Instruments_5.json.gz"


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# the fusion grid searched on the dev half (context 0: plain BM25 + dense hybrid, no product context)
GRID = sorted({Fusion(b, c, cb if c else 0.7) for b in (0.5, 0.6, 0.7) for c in (0.0, 0.3, 0.6, 1.0)
               for cb in (0.5, 0.7, 1.0)}, key=lambda f: (f.bm25, f.context, f.context_bm25))
# lexical baselines, all over the same review texts except the first
BASELINES = {
    "okapi-passage": ("Okapi BM25 over passages, best passage per review (k1 1.2, b 0.75, stopwords removed, "
                      "no stemming: this index's lexical ranking before this change)", dict(k1=1.2, b=0.75, stem=False,
                                                                                            stop_words=True)),
    "okapi": ("Okapi BM25 over whole reviews (k1 1.2, b 0.75, stopwords removed, no stemming)",
              dict(k1=1.2, b=0.75, stem=False, stop_words=True)),
    "anserini": ("BM25 with Anserini's defaults (k1 0.9, b 0.4, stopwords removed, Porter 2 stemming)",
                 dict(k1=0.9, b=0.4, stem=True, stop_words=True)),
}


def fusion_key(f: Fusion) -> str:
    return f"hybrid bm25={f.bm25} context={f.context} context_bm25={f.context_bm25}"


def known_item(index: ReviewIndex, reviews: pd.DataFrame, n_queries: int, seed: int) -> tuple[dict, int, int]:
    """Rank of each query's own review under every ranking, split into dev/test halves."""
    title = reviews["title"].fillna("").astype(str)
    text = reviews["text"].fillna("").astype(str)
    ok = (title.str.split().str.len() >= 4) & (title.str.strip().str.lower() != text.str.strip().str.lower())
    pool = reviews[ok]
    sample = pool.sample(n=min(n_queries, len(pool)), random_state=seed)
    qvecs = embed(sample["title"].astype(str).tolist())
    corpus = index._load_corpus()
    row = {r: i for i, r in enumerate(corpus.reviews)}
    review_docs = corpus.review_docs()
    lexical = {name: BM25(**kw).fit(corpus.docs if name == "okapi-passage" else review_docs)
               for name, (_, kw) in BASELINES.items()}
    ranks: dict[str, list] = {"bm25": [], "dense": [], **{k: [] for k in BASELINES},
                              **{fusion_key(f): [] for f in GRID}}

    def rank_of(scores: np.ndarray, target: int, positive: bool = False) -> int | None:
        top = list(_top(scores, 10, positive=positive))
        return top.index(target) + 1 if target in top else None

    for rid, q, v in zip(sample["review_id"].astype(str), sample["title"].astype(str), qvecs):
        sc = index.review_scores(q, mode="hybrid", query_embedding=v, corpus=corpus)
        target = row[rid]
        ranks["bm25"].append(rank_of(sc["bm25"], target, positive=True))
        ranks["dense"].append(rank_of(sc["dense"], target))
        for name, bm in lexical.items():
            s = bm.scores(q)
            ranks[name].append(rank_of(corpus.per_review(s, None) if name == "okapi-passage" else s, target, True))
        for f in GRID:
            ranks[fusion_key(f)].append(rank_of(fuse(sc, f), target))
    half = len(sample) // 2
    perm = np.random.default_rng(seed).permutation(len(sample))
    splits = {"dev": perm[:half], "test": perm[half:]}
    out = {}
    for name, rs in ranks.items():
        arr = np.array([np.nan if r is None else r for r in rs], dtype=float)
        out[name] = {}
        for split, idx in splits.items():
            a = arr[idx]
            out[name][split] = {"recall@10": float(np.mean(~np.isnan(a))),
                                "mrr@10": float(np.nansum(1.0 / a) / len(a))}
    return out, len(pool), len(sample)


def latency(index: ReviewIndex, queries: list[str], filters: dict, mode: str) -> tuple[float, float]:
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q, k=10, mode=mode, **filters)
        times.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def latency_rows(index: ReviewIndex, label: str, queries: list[str], product: str,
                 chroma_queries: int) -> tuple[list[dict], float]:
    t = time.perf_counter()
    index.search("warm up", k=10, mode="hybrid")  # loads the in-memory copy (vectors too) and fits BM25 once
    cold = time.perf_counter() - t
    cases = {"none": {}, "rating>=4": {"min_rating": 4},
             "product+rating>=4+since 2012": {"product": product, "min_rating": 4, "since": "2012-01-01"}}
    rows = []
    for mode in ("hybrid", "dense", "bm25"):
        for name, f in cases.items():
            p50, p95 = latency(index, queries, f, mode)
            rows.append({"size": label, "mode": mode, "filters": name, "p50_ms": p50, "p95_ms": p95})
    # the old path for reference: Chroma's own filtered query (dense only, query embedding included)
    for name, f in list(cases.items())[1:]:
        times = []
        for q in queries[:chroma_queries]:
            t = time.perf_counter()
            index._dense_chroma(embed([q])[0], index._filters(**{"product": None, "min_rating": None,
                                "max_rating": None, "since": None, "until": None, **f}), 60)
            times.append((time.perf_counter() - t) * 1000)
        rows.append({"size": label, "mode": f"dense via Chroma where ({chroma_queries} queries)", "filters": name,
                     "p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))})
    return rows, cold


def replicate(src: ReviewIndex, dst: ReviewIndex, replicas: int) -> tuple[int, float]:
    """Copy every passage ``replicas`` times under new ids, reusing the stored vectors."""
    coll = src._open()
    got = {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
    for off in range(0, coll.count(), 5000):
        part = coll.get(include=["documents", "metadatas", "embeddings"], limit=5000, offset=off)
        for k in got:
            got[k].extend(part[k])
    vecs = np.asarray(got["embeddings"], dtype=np.float32)
    t = time.perf_counter()
    for r in range(replicas):
        ids = [f"{i}~{r}" if r else i for i in got["ids"]]
        metas = [{**m, "review_id": f"{m['review_id']}~{r}" if r else m["review_id"]} for m in got["metadatas"]]
        dst.upsert_passages(ids, got["documents"], metas, vecs)
    return len(got["ids"]) * replicas, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-queries", type=int, default=6000, help="known-item queries (seeded sample, all if fewer)")
    ap.add_argument("--latency-queries", type=int, default=200)
    ap.add_argument("--chroma-queries", type=int, default=50, help="queries for the Chroma-where reference rows")
    ap.add_argument("--replicas", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="only the first N reviews (smoke test)")
    ap.add_argument("--workdir", type=Path, default=None, help="keep indexes here (default: a temp dir)")
    ap.add_argument("--reuse", action="store_true", help="keep an index already in --workdir (no throughput)")
    ap.add_argument("--out", type=Path, default=None, help="also write the markdown here")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="mka-bench-reviews-"))
    tables = load_amazon_reviews(DATA)
    reviews, products = tables["reviews"], tables["products"]
    if args.limit:
        reviews = reviews.head(args.limit)
    lines = [f"Data: {DATA.name}: {len(reviews):,} reviews, {reviews['product_id'].nunique():,} products. "
             f"Host: {os.cpu_count()} cores shared with other jobs (load average at start "
             f"{os.getloadavg()[0]:.1f}); torch threads = 2; no GPU."]

    # 1. indexing from scratch (or the stats an earlier run of this step left in the workdir)
    stats_file = work / "index_stats.json"
    idx = ReviewIndex(work / "idx10k")
    if not (args.reuse and stats_file.exists()):
        shutil.rmtree(work / "idx10k", ignore_errors=True)
        load0 = os.getloadavg()[0]
        cpu0 = time.process_time()
        stats = idx.upsert_reviews(reviews, products, progress=True)
        cpu_s = time.process_time() - cpu0
        again = idx.upsert_reviews(reviews, products, progress=False)
        stats = {**stats, "cpu_s": cpu_s, "load_start": [load0], "load_end": list(os.getloadavg()),
                 "reindex_s": again["seconds"], "reindex_embedded": again["embedded"]}
        stats_file.write_text(json.dumps(stats))
    stats = json.loads(stats_file.read_text())
    size10 = dir_size(work / "idx10k")
    lines += ["", "## Indexing (from scratch, embedding included)", "",
              f"Load average at start {stats['load_start'][0]:.1f}, at end {stats['load_end'][0]:.1f}.", "",
              "| reviews | passages | wall s | reviews/s (wall) | process CPU s | reviews per CPU-s | re-index s (nothing changed) | embedded on re-index | disk MB |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
              f"| {stats['n_reviews']:,} | {stats['n_passages']:,} | {stats['seconds']:.0f} | "
              f"{stats['n_reviews'] / stats['seconds']:.1f} | {stats['cpu_s']:.0f} | "
              f"{stats['n_reviews'] / stats['cpu_s']:.1f} | "
              f"{stats['reindex_s']:.1f} | {stats['reindex_embedded']} | {size10 / 1e6:.1f} |"]

    # 2. known-item retrieval: BM25 settings and fusion weights chosen on the dev half, reported on the test half
    res, pool, n_q = known_item(idx, reviews, args.n_queries, args.seed)
    fusions = [fusion_key(f) for f in GRID]
    best = max(fusions, key=lambda k: (res[k]["dev"]["recall@10"], res[k]["dev"]["mrr@10"]))
    best_plain = max((fusion_key(f) for f in GRID if f.context == 0), key=lambda k: res[k]["dev"]["recall@10"])
    default = fusion_key(FUSION)
    labels = {**{k: v[0] for k, v in BASELINES.items()},
              "bm25": "BM25 of this index, lexical mode (k1 0.9, b 0.4, stopwords kept, Porter 2 stemming)",
              "dense": "dense: MiniLM, best passage per review",
              best_plain: f"hybrid without product context, best on dev ({best_plain})",
              best: f"hybrid, best on dev ({best})",
              default: f"hybrid default ({default})"}
    shown = list(dict.fromkeys(["okapi-passage", "okapi", "anserini", "bm25", "dense", best_plain, best, default]))
    lines += ["", f"## Known-item retrieval ({n_q:,} of {pool:,} eligible summaries as queries, seed {args.seed}; "
              f"dev half {n_q // 2:,} queries chooses settings, test half {n_q - n_q // 2:,} reports)", "",
              "| ranking | dev recall@10 | test recall@10 | test MRR@10 | test recall@10 vs Okapi BM25 | vs Anserini BM25 | vs this index's BM25 |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for k in shown:
        t = res[k]["test"]["recall@10"]
        lines.append(f"| {labels[k]} | {res[k]['dev']['recall@10']:.3f} | {t:.3f} | {res[k]['test']['mrr@10']:.3f} | "
                     + " | ".join(f"{100 * (t - res[b]['test']['recall@10']):+.1f} pts" for b in ("okapi", "anserini", "bm25"))
                     + " |")
    lines += ["", f"DEFAULT_MODE = {DEFAULT_MODE}; FUSION = {FUSION}.",
              "All fusion grid points (dev / test recall@10): " + ", ".join(
                  f"({k.split(' ', 1)[1]}) {res[k]['dev']['recall@10']:.3f}/{res[k]['test']['recall@10']:.3f}"
                  for k in fusions)]

    # 3. latency at 10k and replicated
    rng = np.random.default_rng(args.seed)
    titles = reviews["title"].dropna().astype(str)
    queries = titles.iloc[rng.choice(len(titles), size=args.latency_queries, replace=False)].tolist()
    product = str(reviews["product_id"].value_counts().index[0])
    lat, cold10 = latency_rows(ReviewIndex(work / "idx10k"), f"{len(reviews):,}", queries, product,
                               args.chroma_queries)
    lat_big, cold_big, n_big, write_s, size_big = [], float("nan"), 0, float("nan"), 0
    if args.replicas > 1:
        if not (args.reuse and (work / "idxbig").exists()):
            shutil.rmtree(work / "idxbig", ignore_errors=True)
            n_big, write_s = replicate(idx, ReviewIndex(work / "idxbig"), args.replicas)
        size_big = dir_size(work / "idxbig")
        big = ReviewIndex(work / "idxbig")
        lat_big, cold_big = latency_rows(big, f"{len(reviews) * args.replicas:,}", queries, product,
                                         args.chroma_queries)
        n_big = big.count()
    lines += ["", f"## Query latency ({args.latency_queries} queries, k=10, query embedding included; "
              f"product filter = the most reviewed product, {product}; load average now "
              f"{os.getloadavg()[0]:.1f})", "",
              "| reviews | ranking | filters | p50 ms | p95 ms |", "|---:|---|---|---:|---:|"]
    for r in lat + lat_big:
        lines.append(f"| {r['size']} | {r['mode']} | {r['filters']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |")
    lines += ["", f"First query after opening (reads documents, metadata and vectors from Chroma, fits BM25): "
              f"{cold10:.1f} s at {len(reviews):,} reviews, {cold_big:.1f} s at {len(reviews) * args.replicas:,}.",
              f"Replicated index: {n_big:,} passages" + (f" written in {write_s:.0f} s" if write_s == write_s else "")
              + f" (vectors reused, no embedding); disk {size_big / 1e6:.0f} MB ({size10 / 1e6:.1f} MB at the real size)."]
    md = "\n".join(lines)
    print(md)
    if args.out:
        cmd = "python bench/reviews.py " + " ".join(sys.argv[1:])
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"# Review retrieval benchmark\n\nCommand: `{cmd}` (repo at {commit} + working tree)\n\n"
                            + md + "\n", "utf-8")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
