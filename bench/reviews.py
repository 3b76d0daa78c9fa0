"""Review retrieval benchmark on the real Amazon Musical Instruments reviews (../shared/data).

    python bench/reviews.py [--n-queries 2000] [--replicas 10] [--out bench/results/reviews.md]

1. Index all reviews from scratch: throughput (reviews/s, embedding included), passages, disk size.
2. Known-item retrieval: each review's own summary line (>= 4 words, and not the text itself) is the query;
   is that review in the top 10? recall@10 and MRR@10 for dense, BM25 and hybrid (RRF).
3. Query latency p50/p95 (query embedding included) without and with filters, at the real size (~10k reviews)
   and at ``replicas`` x that size: the real reviews copied under new ids, their stored vectors reused
   (embedding 100k reviews on 2 shared cores takes hours; the index and query path are what is measured).
"""

from __future__ import annotations

import argparse
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

from models.amazon import load_amazon_reviews  # noqa: E402
from models.embeddings import embed  # noqa: E402
from models.reviews import DEFAULT_MODE, MODES, ReviewIndex  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "reviews_Musical_Instruments_5.json.gz"


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def known_item(index: ReviewIndex, reviews: pd.DataFrame, n_queries: int, seed: int) -> tuple[list[dict], int]:
    title = reviews["title"].fillna("").astype(str)
    text = reviews["text"].fillna("").astype(str)
    ok = (title.str.split().str.len() >= 4) & (title.str.strip().str.lower() != text.str.strip().str.lower())
    pool = reviews[ok]
    sample = pool.sample(n=min(n_queries, len(pool)), random_state=seed)
    qvecs = embed(sample["title"].astype(str).tolist())
    rows = []
    for mode in MODES:
        ranks = []
        for (rid, q), v in zip(zip(sample["review_id"].astype(str), sample["title"].astype(str)), qvecs):
            hits = [h["review_id"] for h in index.search(q, k=10, mode=mode, query_embedding=v)]
            ranks.append(hits.index(rid) + 1 if rid in hits else None)
        found = [r for r in ranks if r is not None]
        rows.append({"mode": mode, "recall@10": len(found) / len(ranks),
                     "mrr@10": sum(1.0 / r for r in found) / len(ranks)})
    return rows, len(pool)


def latency(index: ReviewIndex, queries: list[str], filters: dict, mode: str) -> tuple[float, float]:
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q, k=10, mode=mode, **filters)
        times.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def latency_rows(index: ReviewIndex, label: str, queries: list[str], product: str) -> list[dict]:
    t = time.perf_counter()
    index.search("warm up", k=10, mode="hybrid")  # loads the corpus copy and fits BM25 once
    cold = time.perf_counter() - t
    cases = {"none": {}, "rating>=4": {"min_rating": 4},
             "product+rating>=4+since 2012": {"product": product, "min_rating": 4, "since": "2012-01-01"}}
    rows = []
    for mode in ("hybrid", "dense"):
        for name, f in cases.items():
            p50, p95 = latency(index, queries, f, mode)
            rows.append({"size": label, "mode": mode, "filters": name, "p50_ms": p50, "p95_ms": p95})
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
    ap.add_argument("--n-queries", type=int, default=2000, help="known-item queries (seeded sample)")
    ap.add_argument("--latency-queries", type=int, default=200)
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
             f"{os.getloadavg()[0]:.1f}); torch threads = 2."]

    # 1. indexing from scratch
    if not args.reuse:
        shutil.rmtree(work / "idx10k", ignore_errors=True)
    idx = ReviewIndex(work / "idx10k")
    cpu0 = time.process_time()
    stats = idx.upsert_reviews(reviews, products, progress=True)
    cpu_s = time.process_time() - cpu0
    again = idx.upsert_reviews(reviews, products, progress=False)
    size10 = dir_size(work / "idx10k")
    rate = f"{stats['n_reviews'] / stats['seconds']:.1f}" if stats["embedded"] else "reused index"
    rate_cpu = f"{stats['n_reviews'] / cpu_s:.1f}" if stats["embedded"] else "–"
    lines += ["", "## Indexing (from scratch, embedding included)", "",
              "| reviews | passages | wall s | reviews/s (wall) | process CPU s | reviews per CPU-s | re-index s (nothing changed) | embedded on re-index | disk MB |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
              f"| {stats['n_reviews']:,} | {stats['n_passages']:,} | {stats['seconds']:.0f} | "
              f"{rate} | {cpu_s:.0f} | {rate_cpu} | "
              f"{again['seconds']:.1f} | {again['embedded']} | {size10 / 1e6:.1f} |"]

    # 2. known-item retrieval
    rows, pool = known_item(idx, reviews, args.n_queries, args.seed)
    bm25 = next(r for r in rows if r["mode"] == "bm25")
    lines += ["", f"## Known-item retrieval ({min(args.n_queries, pool):,} of {pool:,} eligible summaries as "
              f"queries, seed {args.seed})", "",
              "| ranking | recall@10 | MRR@10 | recall@10 vs BM25 |", "|---|---:|---:|---:|"]
    for r in rows:
        default = " (default)" if r["mode"] == DEFAULT_MODE else ""
        lines.append(f"| {r['mode']}{default} | {r['recall@10']:.3f} | {r['mrr@10']:.3f} | "
                     f"{100 * (r['recall@10'] - bm25['recall@10']):+.1f} pts |")

    # 3. latency at 10k and replicated
    rng = np.random.default_rng(args.seed)
    titles = reviews["title"].dropna().astype(str)
    queries = titles.iloc[rng.choice(len(titles), size=args.latency_queries, replace=False)].tolist()
    product = str(reviews["product_id"].value_counts().index[0])
    lat, cold10 = latency_rows(ReviewIndex(work / "idx10k"), f"{len(reviews):,}", queries, product)
    shutil.rmtree(work / "idxbig", ignore_errors=True)
    big = ReviewIndex(work / "idxbig")
    n_big, write_s = replicate(idx, big, args.replicas)
    size_big = dir_size(work / "idxbig")
    big = ReviewIndex(work / "idxbig")
    lat_big, cold_big = latency_rows(big, f"{len(reviews) * args.replicas:,}", queries, product)
    lines += ["", f"## Query latency ({args.latency_queries} queries, k=10, query embedding included; "
              f"product filter = the most reviewed product, {product})", "",
              "| reviews | ranking | filters | p50 ms | p95 ms |", "|---:|---|---|---:|---:|"]
    for r in lat + lat_big:
        lines.append(f"| {r['size']} | {r['mode']} | {r['filters']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |")
    lines += ["", f"First query after opening (reads the corpus copy, fits BM25): {cold10:.1f} s at "
              f"{len(reviews):,} reviews, {cold_big:.1f} s at {len(reviews) * args.replicas:,}.",
              f"Replicated index: {n_big:,} passages written in {write_s:.0f} s (vectors reused, no embedding); "
              f"disk {size_big / 1e6:.0f} MB ({size10 / 1e6:.1f} MB at the real size)."]
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
