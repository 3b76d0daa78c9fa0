"""How a query ranks reviews: the review's own BM25 and dense scores, its product's context, and their fusion.

Four scores per review, each standardized over the reviews inside the filter:
- ``bm25``: BM25 of the review's whole text (models/bm25.py);
- ``dense``: cosine of the query to the review's best passage (all-MiniLM-L6-v2);
- ``product_bm25`` / ``product_dense``: the same two for the review's product, all its reviews read as one text
  and one centroid. A review that says "holds well, no buzz" is about a capo because its product is a capo:
  the context carries what a short review leaves unsaid.

A complaint or praise query (models/reviews/intent.py) re-ranks the ``POLARITY_POOL`` most relevant reviews by
``relevance + POLARITY_WEIGHT * negativity`` (``-`` for praise; weight and pool per intent), negativity being the review's standardized
held-out polarity score (models/reviews/polarity.py): relevance picks the candidates, polarity orders them, so
the top is complaints about the aspect rather than any complaint. Both were chosen on the dev aspect queries of
bench/reviews_quality.py.

The weights in ``FUSION`` were chosen on the dev half of the known-item queries of bench/reviews.py (real
Amazon reviews; each review's own summary line as the query) and are reported on the other half, in
bench/results/reviews.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

__all__ = ["Fusion", "FUSION", "SCORES", "zscore", "fuse", "with_polarity", "POLARITY_WEIGHT", "POLARITY_POOL"]

SCORES = ("bm25", "dense", "product_bm25", "product_dense")


@dataclass(frozen=True)
class Fusion:
    """Weights of the hybrid score ``r + context * c``, with
    ``r = bm25 * z(bm25) + (1 - bm25) * z(dense)`` and
    ``c = context_bm25 * z(product_bm25) + (1 - context_bm25) * z(product_dense)``."""

    bm25: float = 0.6
    context: float = 0.6
    context_bm25: float = 0.5

    def __post_init__(self) -> None:
        for name in ("bm25", "context_bm25"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"Fusion.{name} must be within [0, 1], got {getattr(self, name)}")
        if self.context < 0:
            raise ValueError(f"Fusion.context must be >= 0, got {self.context}")


FUSION = Fusion()


def zscore(x: np.ndarray) -> np.ndarray:
    """``x`` standardized over its finite entries (the reviews inside the filter); -inf stays -inf.

    A constant score (e.g. the product context when one product is filtered) carries no ranking: all zeros.
    """
    x = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(x)
    out = np.full(x.shape, -np.inf)
    if not ok.any():
        return out
    vals = x[ok]
    mean, sd = float(vals.mean()), float(vals.std())
    # rounding leaves a constant with a tiny nonzero spread, which must not be blown up into a ranking
    out[ok] = (vals - mean) / sd if sd > 1e-9 * max(1.0, abs(mean)) else 0.0
    return out


def fuse(scores: Mapping[str, np.ndarray], fusion: Fusion = FUSION) -> np.ndarray:
    """Hybrid score per review from the four scores of ``SCORES`` (-inf outside the filter stays -inf).

    ``product_*`` may be missing when ``fusion.context`` is 0.
    """
    review = fusion.bm25 * zscore(scores["bm25"]) + (1.0 - fusion.bm25) * zscore(scores["dense"])
    if fusion.context == 0:
        return review
    context = (fusion.context_bm25 * zscore(scores["product_bm25"])
               + (1.0 - fusion.context_bm25) * zscore(scores["product_dense"]))
    # -inf + finite = -inf, so a review outside the filter stays out
    return review + fusion.context * np.where(np.isfinite(review), context, 0.0)


# Per intent. Praise is not re-ranked (weight 0): most reviews are positive already (88% of 4-5 stars on the Amazon
# file, praise P@10 0.95-0.96 by relevance alone), and praise re-ranking costs known-item recall, since many summary
# lines read as praise ("Great strings, bright tone"). Complaints: weight 1.5, pool 100, chosen on the dev aspect
# queries and a 400-query known-item sample (scratch grid, session 3): P@10 0.47 at known-item 0.2825 vs 0.2875;
# weight 2 gave 0.485 at 0.280, and on bench/reviews_quality.py's 600-query test half cost 1 pt (0.340 -> 0.330).
POLARITY_WEIGHT = {"negative": 1.5, "positive": 0.0}
POLARITY_POOL = {"negative": 100, "positive": 30}


def with_polarity(final: np.ndarray, negativity: np.ndarray, intent: str, weight: float | None = None,
                  pool: int | None = None) -> np.ndarray:
    """``final`` re-ranked for a "negative" (complaints) or "positive" (praise) ``intent``: the ``pool`` best
    finite scores get ``weight * ±negativity`` added, every other review drops out (-inf)."""
    weight = POLARITY_WEIGHT[intent] if weight is None else weight
    pool = POLARITY_POOL[intent] if pool is None else pool
    final = np.asarray(final, dtype=np.float64)
    sign = 1.0 if intent == "negative" else -1.0
    cand = np.flatnonzero(np.isfinite(final))
    if len(cand) > pool:
        cand = cand[np.argpartition(-final[cand], pool - 1)[:pool]]
    out = np.full(final.shape, -np.inf)
    out[cand] = final[cand] + weight * sign * np.asarray(negativity, dtype=np.float64)[cand]
    return out
