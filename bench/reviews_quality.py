"""Review answer quality on the real Amazon Musical Instruments reviews (../shared/data): complaints and praise
found by meaning, abstention on absent topics, known-item retrieval, negation (issue 18).

    python bench/reviews_quality.py --index DIR [--out bench/results/reviews_quality.md]

``DIR``: a review index of the whole file (bench/reviews.py --workdir W leaves one in W/idx10k); built there
when missing. Sections:
1. Polarity model (models/reviews/polarity.py): held-out AUC of review negativity against the stars.
2. Aspect polarity precision@10 without a rating filter: share of 1-2 star reviews in the top 10 for complaint
   queries ("stopped working after a few weeks"), of 4-5 star ones for praise queries, beside Okapi BM25, MiniLM
   alone, a plain reciprocal-rank fusion and the default ranking by relevance alone; on-topic@10 (share of the
   top 10 about the query by the calibrated rule of models/reviews/relevance.py) shows relevance is kept. The
   polarity weight and pool were chosen on the dev queries; the test queries were written after.
3. Known-item recall@10: each review's own summary line as the query (bench/reviews.py's sample and halves),
   default ranking with and without the intent re-ranking the search tool applies.
4. Abstention: the calibration (cosines of true known-item pairs vs random query-review pairs), then 22 topics
   absent from the corpus and 22 present: share answered "no review mentions", calibrated rule vs lexical alone.
5. Negation: query intent on negated phrasings; the issue's "packaging arrived damaged" example.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.data.sources.amazon import load_amazon_reviews  # noqa: E402
from models.embeddings import embed  # noqa: E402
from models.reviews.bm25 import BM25  # noqa: E402
from models.reviews.index import ReviewIndex, _top  # noqa: E402
from models.reviews.intent import query_polarity  # noqa: E402
from models.reviews.ranking import POLARITY_POOL, POLARITY_WEIGHT, fuse, with_polarity  # noqa: E402
from models.reviews.relevance import (DENSE_ALL_WORDS, DENSE_ALONE, DENSE_WITH_WORDS, any_mention,  # noqa: E402
                                      is_about, topic_text)

DATA = REPO.parent / "shared" / "data" / "reviews_Musical_Instruments_5.json.gz"

NEG_DEV = ["stopped working after a few weeks", "cheap flimsy plastic", "broke the first time I used it",
           "arrived damaged", "too much noise and hum", "does not stay in tune", "strings broke quickly",
           "poor build quality", "waste of money", "stopped working", "the cable crackles", "fell apart",
           "returned it", "uncomfortable to wear", "battery died fast", "cheaply made", "sounds thin and tinny",
           "the pedal is noisy", "the strap slipped off", "knobs are loose and wobbly"]
POS_DEV = ["works perfectly", "great sound for the price", "very sturdy and well made", "stays in tune",
           "comfortable strap", "excellent value", "quiet cable no noise", "easy to use", "love the tone",
           "solid construction", "holds the guitar securely", "bright clear sound", "durable strings last long",
           "accurate tuner", "great quality", "would buy again", "highly recommend", "fits perfectly",
           "looks beautiful", "easy to install"]
NEG_TEST = ["the input jack is broken", "it buzzes constantly", "the clip broke off", "tuning pegs slip",
            "poorly made and fell apart quickly", "sound quality is terrible", "too small and uncomfortable",
            "the stand wobbles", "disappointed with the strings", "the switch failed"]
POS_TEST = ["sounds amazing", "very comfortable to play", "great value for the money",
            "built like a tank and very sturdy", "the tuner is accurate and easy to read", "love these strings",
            "perfect for beginners", "excellent quality cable", "holds my guitar securely", "clear and quiet"]
ABSENT = ["pet food", "coffee beans", "lawn mower", "produce freshness", "delivery drone", "car tires",
          "running shoes", "phone battery life", "baby diapers", "shampoo scent", "dog leash", "wine taste",
          "laptop screen", "printer ink", "kitchen knife sharpness", "vacuum cleaner suction", "mattress comfort",
          "sunscreen", "hotel room service", "yoga mat", "toothpaste flavor", "frozen pizza"]
PRESENT = ["guitar strings", "clip-on tuner", "capo", "microphone", "instrument cable", "guitar strap",
           "effects pedal", "amplifier", "guitar picks", "drum sticks", "keyboard stand", "string winder",
           "pop filter", "power supply", "ukulele", "harmonica", "strap locks", "headphones", "xlr cable",
           "keeps going out of tune", "shipping and packaging", "complaints about the strap"]
NEGATED = {"no problems with the cable": "positive", "not broken": "positive", "never had any issues": "positive",
           "didn't break after a year": "positive", "not flimsy at all": "positive",
           "no complaints about the sound": "positive", "no hum or noise": "positive", "hum free": "positive",
           "not worth the money": "negative", "not great": "negative", "not comfortable to wear": "negative",
           "doesn't stay in tune": "negative", "does not hold the guitar": "negative", "never accurate": "negative"}


def rrf(*scores: np.ndarray, k: int = 60) -> np.ndarray:
    out = np.zeros(len(scores[0]))
    for s in scores:
        order = np.argsort(-s, kind="stable")
        rank = np.empty(len(s))
        rank[order] = np.arange(1, len(s) + 1)
        out += 1.0 / (k + rank)
    return out


def aspect(index, corpus, okapi, queries, good, intent_name):
    """Mean precision@10 (and on-topic@10) per ranking over ``queries``."""
    vecs = embed(queries)
    negativity = index.negativity(corpus)
    docs = corpus.review_docs()
    topic_vecs = embed([topic_text(q) or q for q in queries])
    rows: dict[str, list] = {}
    for q, v, tv in zip(queries, vecs, topic_vecs):
        sc = index.review_scores(q, mode="hybrid", query_embedding=v, corpus=corpus)
        f = fuse(sc)
        intent = query_polarity(q)
        rankings = {"okapi": okapi.scores(q), "dense": sc["dense"], "rrf": rrf(sc["bm25"], sc["dense"]),
                    "default": f,
                    "polarity": with_polarity(f, negativity, intent) if intent else f,
                    "polarity (intent forced)": with_polarity(f, negativity, intent_name)}
        cos = corpus.per_review(corpus.dense_scores(tv), None)
        for name, s in rankings.items():
            top = _top(s, 10, positive=name == "okapi")
            about = is_about(q, [docs[i] for i in top], [float(cos[i]) for i in top])
            rows.setdefault(name, []).append((float(good[top].mean()), float(np.mean(about))))
    return {k: (float(np.mean([a for a, _ in v])), float(np.mean([b for _, b in v]))) for k, v in rows.items()}


def known_item(index, corpus, reviews, n_queries, seed):
    title = reviews["title"].fillna("").astype(str)
    text = reviews["text"].fillna("").astype(str)
    ok = (title.str.split().str.len() >= 4) & (title.str.strip().str.lower() != text.str.strip().str.lower())
    sample = reviews[ok].sample(n=min(n_queries, int(ok.sum())), random_state=seed)
    half = len(sample) // 2
    test = set(np.random.default_rng(seed).permutation(len(sample))[half:].tolist())
    qvecs = embed(sample["title"].astype(str).tolist())
    row = {r: i for i, r in enumerate(corpus.reviews)}
    negativity = index.negativity(corpus)
    ranks = {"default": [], "default + intent re-ranking": []}
    n_intent = 0
    for j, (rid, q, v) in enumerate(zip(sample["review_id"].astype(str), sample["title"].astype(str), qvecs)):
        if j not in test:
            continue
        f = fuse(index.review_scores(q, mode="hybrid", query_embedding=v, corpus=corpus))
        intent = query_polarity(q)
        n_intent += bool(intent)
        for name, s in (("default", f), ("default + intent re-ranking",
                                         with_polarity(f, negativity, intent) if intent else f)):
            top = list(_top(s, 10))
            ranks[name].append(top.index(row[rid]) + 1 if row[rid] in top else None)
    out = {}
    for name, rs in ranks.items():
        arr = np.array([np.nan if r is None else r for r in rs], dtype=float)
        out[name] = (float(np.mean(~np.isnan(arr))), float(np.nansum(1.0 / arr) / len(arr)))
    return out, len(ranks["default"]), n_intent


def calibration(corpus, reviews, seed, n=2000, per_query=50):
    title = reviews["title"].fillna("").astype(str)
    text = reviews["text"].fillna("").astype(str)
    ok = (title.str.split().str.len() >= 4) & (title.str.strip().str.lower() != text.str.strip().str.lower())
    s = reviews[ok].sample(n=min(n, int(ok.sum())), random_state=seed + 1)
    q = embed(s["title"].astype(str).tolist())
    row = {r: i for i, r in enumerate(corpus.reviews)}
    rng = np.random.default_rng(seed)
    true, rnd = [], []
    for rid, v in zip(s["review_id"].astype(str), q):
        d = corpus.per_review(corpus.dense_scores(v), None)
        true.append(d[row[rid]])
        others = rng.integers(len(d), size=per_query)
        rnd.extend(d[others[others != row[rid]]])
    return np.array(true), np.array(rnd)


def abstention(index, corpus, topics):
    docs_lower = [d.lower() for d in corpus.review_docs()]
    out = []
    for t in topics:
        hits = index.search(t, k=8)
        check = index.check_topic(t, hits)
        lexical_no = bool(hits) and not any_mention(t, [h["text"] for h in hits])
        words = topic_text(t).lower().split()
        all_words = sum(all(w in d for w in words) for d in docs_lower) if words else 0
        out.append({"topic": t, "no_match": check["no_match"], "lexical_no_match": lexical_no,
                    "near": ", ".join(x["topic"] for x in check["nearest_topics"]), "all_words": all_words})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=DATA, help="the Amazon review file (default ../shared/data/…)")
    ap.add_argument("--n-queries", type=int, default=6000)
    ap.add_argument("--calib-queries", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    tables = load_amazon_reviews(args.data)
    reviews = tables["reviews"]
    index = ReviewIndex(args.index)
    if index.count() == 0:
        index.upsert_reviews(reviews, tables["products"], progress=True)
    corpus = index._load_corpus()
    t = time.perf_counter()
    pol = index.polarity_info()
    pol_s = time.perf_counter() - t
    rating = corpus.rating[corpus.first_passage]
    okapi = BM25(k1=1.2, b=0.75, stem=False, stop_words=True).fit(corpus.review_docs())
    lines = [f"Data: {args.data.name}: {len(corpus.reviews):,} reviews. Host: {os.cpu_count()} cores shared with other "
             f"jobs, load average at start {load0:.1f}; no GPU.", "",
             "## 1. Polarity model (held out, 2 folds by review id)", "",
             f"Logistic regressions over MiniLM review vectors and TF-IDF uni/bigrams, weak labels 1-2 vs 4-5 stars "
             f"({pol.get('n_negative')} negative, {pol.get('n_positive')} positive of {pol.get('n_reviews')}): "
             f"**held-out AUC {pol.get('auc')}** for a review scored by {pol.get('scored_by', 'its whole text')}; "
             f"each of the {pol.get('n_passages', 0):,} passages scored alone (its own text and MiniLM vector) "
             f"against its review's stars: AUC {pol.get('passage_auc')}; fitted or loaded in {pol_s:.0f} s.", ""]
    base_neg, base_pos = float((rating <= 2).mean()), float((rating >= 4).mean())
    names = {"okapi": "Okapi BM25 (whole reviews, k1 1.2, b 0.75)", "dense": "MiniLM alone (best passage)",
             "rrf": "plain RRF (k 60) of this index's BM25 and MiniLM", "default": "default ranking, relevance alone",
             "polarity": f"**this: default + polarity re-ranking** (weight / pool {POLARITY_WEIGHT} / {POLARITY_POOL}, "
                         f"when the query's intent is detected)",
             "polarity (intent forced)": "this, intent forced (every query of the set treated as complaint/praise)"}
    lines += ["## 2. Aspect polarity precision@10, no rating filter", "",
              f"Base rates: 1-2 stars {base_neg:.3f}, 4-5 stars {base_pos:.3f}. P@10 = share of 1-2 star (complaint "
              "queries) or 4-5 star (praise queries) reviews in the top 10; on-topic@10 = share of the top 10 "
              "about the query (calibrated rule).", "",
              "| ranking | complaints dev (20) P@10 | on-topic | complaints test (10) P@10 | on-topic | praise dev (20) P@10 | on-topic | praise test (10) P@10 | on-topic |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    res = [aspect(index, corpus, okapi, NEG_DEV, rating <= 2, "negative"),
           aspect(index, corpus, okapi, NEG_TEST, rating <= 2, "negative"),
           aspect(index, corpus, okapi, POS_DEV, rating >= 4, "positive"),
           aspect(index, corpus, okapi, POS_TEST, rating >= 4, "positive")]
    for k, label in names.items():
        lines.append(f"| {label} | " + " | ".join(f"{r[k][0]:.3f} | {r[k][1]:.2f}" for r in res) + " |")
    missed = [q for q in NEG_DEV + NEG_TEST if query_polarity(q) != "negative"] + \
        [q for q in POS_DEV + POS_TEST if query_polarity(q) != "positive"]
    lines += ["", f"Queries whose intent is not detected (ranked by relevance alone): {missed or 'none'}."]

    ki, n_ki, n_intent = known_item(index, corpus, reviews, args.n_queries, args.seed)
    lines += ["", f"## 3. Known-item retrieval (test half, {n_ki:,} summary lines as queries, seed {args.seed}; "
              f"{n_intent:,} of them read as complaint or praise and are re-ranked)", "",
              "| ranking | recall@10 | MRR@10 |", "|---|---:|---:|"]
    lines += [f"| {k} | {r:.3f} | {m:.3f} |" for k, (r, m) in ki.items()]

    true, rnd = calibration(corpus, reviews, args.seed, n=args.calib_queries)
    pct = lambda a, ps: ", ".join(f"p{p} {np.percentile(a, p):.3f}" for p in ps)  # noqa: E731
    lines += ["", "## 4. Abstention", "",
              f"Calibration ({len(true):,} known-item queries; each against 50 random other reviews, "
              f"{len(rnd):,} random pairs): MiniLM cosine of query to review (best passage).", "",
              f"- true pairs: {pct(true, (10, 25, 50, 75, 90))}; share >= {DENSE_WITH_WORDS}: "
              f"{(true >= DENSE_WITH_WORDS).mean():.3f}, >= {DENSE_ALONE}: {(true >= DENSE_ALONE).mean():.3f}",
              f"- random pairs: {pct(rnd, (50, 90, 95, 99, 99.9))}; share >= {DENSE_ALL_WORDS}: "
              f"{(rnd >= DENSE_ALL_WORDS).mean():.4f}, >= {DENSE_WITH_WORDS}: {(rnd >= DENSE_WITH_WORDS).mean():.4f}, "
              f">= {DENSE_ALONE}: {(rnd >= DENSE_ALONE).mean():.4f}",
              f"- thresholds in models/reviews/relevance.py: every word and cosine >= {DENSE_ALL_WORDS}, more than half "
              f"the words and >= {DENSE_WITH_WORDS}, or cosine alone >= {DENSE_ALONE}", ""]
    ab, pr = abstention(index, corpus, ABSENT), abstention(index, corpus, PRESENT)
    rate = lambda rows, key: sum(r[key] for r in rows) / len(rows)  # noqa: E731
    lines += ["| topics | calibrated rule: 'no review mentions' | lexical rule alone | target |", "|---|---:|---:|---|",
              f"| {len(ab)} absent | **{rate(ab, 'no_match'):.0%}** | {rate(ab, 'lexical_no_match'):.0%} | >= 90% |",
              f"| {len(pr)} present (false abstention) | **{rate(pr, 'no_match'):.0%}** | "
              f"{rate(pr, 'lexical_no_match'):.0%} | <= 10% |", "",
              "| topic | absent? | reviews holding every word | abstains | lexical alone abstains | nearest topics offered |",
              "|---|---|---:|---|---|---|"]
    for kind, rows in (("absent", ab), ("present", pr)):
        for r in rows:
            lines.append(f"| {r['topic']} | {kind} | {r['all_words']} | {r['no_match']} | {r['lexical_no_match']} | "
                         f"{r['near']} |")
    ok = sum(query_polarity(q) == e for q, e in NEGATED.items())
    lines += ["", "## 5. Negation", "", f"Query intent on {len(NEGATED)} negated phrasings written for it: "
              f"**{ok}/{len(NEGATED)}** right (" + "; ".join(f"“{q}” -> {query_polarity(q)}" for q in NEGATED) + ").",
              ""]
    for intent in (None, "negative"):
        h = index.search("packaging arrived damaged", k=3, intent=intent)
        lines.append(f"- “packaging arrived damaged”, {'relevance alone' if intent is None else 'complaint intent'}: "
                     + "; ".join(f"{x['rating']}★ “{x['text'][:90]}…”" for x in h))
    md = "\n".join(lines)
    print(md)
    if args.out:
        cmd = "python bench/reviews_quality.py " + " ".join(sys.argv[1:])
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()
        args.out.write_text(f"# Review answer quality (issue 18)\n\nCommand: `{cmd}` (repo at {commit} + working "
                            f"tree), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at end "
                            f"{os.getloadavg()[0]:.1f}.\n\n" + md + "\n", "utf-8")


if __name__ == "__main__":
    main()
