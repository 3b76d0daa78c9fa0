"""Top-k over score rows: dense (``topk``) and sparse without a dense rows × items block (``sparse_topk``)."""

from __future__ import annotations

import numpy as np

__all__ = ["topk", "sparse_topk"]


def topk(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's k best scores, best first (ties: lower column first)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def sparse_topk(S, k: int, fill: np.ndarray, floor: np.ndarray | None = None, block: int = 512,
                dedupe: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k best columns of a sparse score matrix (best first) and their scores, without a dense
    rows × items block: rows are taken in blocks of similar length and their stored entries packed into a
    block × (longest row in the block) array for ``argpartition``. A row with fewer than k stored entries is
    filled with ``fill`` (column indices, best first) it does not hold yet, scored 0.

    ``floor``: for each row a value at or below its k-th best score (a lower bound the caller knows); entries
    under it cannot be in the top k and are dropped before packing. A row the floor would leave with fewer
    entries than it needs keeps all of them, so the result is the same with or without it. ``dedupe=False``: the
    caller knows no row holds a column twice (a sparse product's output), so the sort that checks it is skipped
    (with a ``floor``, what is left is sorted, so ties still rank the lower column first)."""
    S = S.tocsr()
    if dedupe and not S.has_canonical_format:
        S.sum_duplicates()
    n, k = S.shape[0], min(k, S.shape[1])
    data, indices, indptr = S.data, S.indices, S.indptr
    lens0 = np.diff(indptr)
    if floor is not None and len(data):
        fl = np.asarray(floor, dtype=np.float64)
        keep = data >= np.repeat(fl, lens0)
        row = np.repeat(np.arange(n), lens0)
        short = np.bincount(row[keep], minlength=n) < np.minimum(k, lens0)
        if short.any():  # the bound was not a bound for these rows (should not happen): keep them whole
            keep |= short[row]
        rows_of = row[keep]
        data, indices = data[keep], indices[keep]
        if not S.has_sorted_indices:  # ties rank the lower column first: sort what is left (a few a row)
            o = np.lexsort((indices, rows_of))
            data, indices = data[o], indices[o]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows_of, minlength=n))])
    lens = np.diff(indptr)
    top = np.zeros((n, k), dtype=np.int64)
    score = np.zeros((n, k), dtype=np.float64)
    order = np.argsort(lens, kind="stable")
    for s in range(0, n, block):
        rr = order[s:s + block]
        ln = lens[rr]
        width = max(int(ln.max()) if len(rr) else 0, k)
        tot = int(ln.sum())
        vals = np.full((len(rr), width), np.inf, dtype=np.float64)   # negated scores: argpartition takes the smallest
        cols = np.full((len(rr), width), -1, dtype=np.int64)
        if tot:
            r = np.repeat(np.arange(len(rr)), ln)
            c = np.arange(tot) - np.repeat(np.cumsum(ln) - ln, ln)
            src = np.repeat(indptr[rr], ln) + c
            vals[r, c] = -data[src]
            cols[r, c] = indices[src]
        part = np.argpartition(vals, k - 1, axis=1)[:, :k]
        pv = np.take_along_axis(vals, part, axis=1)
        o = np.argsort(pv, axis=1, kind="stable")
        part = np.take_along_axis(part, o, axis=1)
        top[rr] = np.take_along_axis(cols, part, axis=1)
        score[rr] = -np.take_along_axis(pv, o, axis=1)
    for i in np.flatnonzero(lens < k):  # few rows: fill from the fallback order
        have = set(top[i, :lens[i]].tolist())
        extra = [j for j in fill[: k + lens[i]] if j not in have][: k - lens[i]]
        top[i, lens[i]:], score[i, lens[i]:] = extra, 0.0
    return top, score
