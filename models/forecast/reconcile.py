"""Forecast reconciliation over a two- or three-level hierarchy: bottom-up and MinT with a shrunk covariance.

MinT (Wickramasuriya, Athanasopoulos & Hyndman, JASA 2019): reconciled = S (S' W⁻¹ S)⁻¹ S' W⁻¹ ŷ, with W the
covariance of the base models' one-step in-sample errors shrunk towards its diagonal (Schäfer & Strimmer 2005,
the same estimator as R's hts::MinT "shrink"). The h-step covariance is taken as D_h^½ R D_h^½ — the base
models' own h-step variances with the one-step error correlation R — and pushed through the same projection
(``intervals="projected"``); or each series keeps its base model's interval width, re-centred on the reconciled
mean (``intervals="recentred"``, the default). On Complete Journey the projected intervals of the total covered
about half of the held-out weeks at 80% nominal: with ~30 residuals per series the shrinkage removes most of the
correlation between categories, so the variance of their sum is understated; the re-centred ones keep the
base models' backtested coverage.
"""

from __future__ import annotations

import numpy as np

__all__ = ["summing_matrix", "shrunk_covariance", "reconcile", "RECONCILERS"]

RECONCILERS = ("none", "bottom_up", "mint_shrink")


def summing_matrix(series: list[str], parent: dict[str, str]) -> tuple[np.ndarray, list[str]]:
    """(S: one row per series, one column per bottom series; the bottom series). A bottom series is one
    that is nobody's parent."""
    parents = set(parent.values())
    bottom = [s for s in series if s not in parents]
    col = {b: j for j, b in enumerate(bottom)}
    S = np.zeros((len(series), len(bottom)))
    row = {s: i for i, s in enumerate(series)}
    for b in bottom:
        node = b
        while node is not None:
            S[row[node], col[b]] = 1.0
            node = parent.get(node)
    return S, bottom


def shrunk_covariance(resid: np.ndarray) -> tuple[np.ndarray, float]:
    """(shrunk covariance, lambda) of residuals ``resid`` (T × n, uncentred, as in hts::shrink.estim)."""
    x = np.asarray(resid, dtype=np.float64)
    t = len(x)
    cov = x.T @ x / t
    d = np.diag(cov).copy()
    floor = max(float(d.max()) * 1e-8, 1e-12) if len(d) else 1e-12
    d = np.maximum(d, floor)
    if t < 3:
        return np.diag(d), 1.0
    xs = x / np.sqrt(d)
    v = (1.0 / (t * (t - 1))) * ((xs ** 2).T @ (xs ** 2) - (xs.T @ xs) ** 2 / t)
    np.fill_diagonal(v, 0.0)
    cor = cov / np.sqrt(np.outer(d, d))
    np.fill_diagonal(cor, 0.0)
    denom = float((cor ** 2).sum())
    lam = 1.0 if denom == 0 else float(min(max(v.sum() / denom, 0.0), 1.0))
    shrunk = lam * np.diag(d) + (1 - lam) * cov
    np.fill_diagonal(shrunk, d)
    return shrunk, lam


def reconcile(method: str, mean: np.ndarray, sd: np.ndarray, resid: np.ndarray, S: np.ndarray,
              bottom_rows: list[int], nonnegative: bool = False,
              intervals: str = "recentred") -> tuple[np.ndarray, np.ndarray, dict]:
    """Reconciled (mean, sd), both series × horizon, and facts about the run (lambda).

    ``resid``: T × series one-step errors in the rows' order; ``bottom_rows``: the row of each column of S.
    ``nonnegative``: negative bottom means are set to
    0 and the aggregates re-summed (so the result stays coherent).
    """
    if method not in RECONCILERS:
        raise ValueError(f"reconciliation {method!r} is not known; use one of {list(RECONCILERS)}")
    if method == "none":
        return mean, sd, {}
    n, nb = S.shape
    W, lam = shrunk_covariance(resid)
    dw = np.sqrt(np.diag(W))
    R = W / np.outer(dw, dw)
    if method == "bottom_up":
        G = np.zeros((nb, n))
        G[np.arange(nb), bottom_rows] = 1.0
    else:
        Winv = np.linalg.pinv(W, hermitian=True)
        G = np.linalg.solve(S.T @ Winv @ S, S.T @ Winv)
    P = S @ G
    out_mean = P @ mean
    if nonnegative:
        b = np.maximum(G @ mean, 0.0)
        out_mean = S @ b
    if intervals == "recentred":
        return out_mean, sd, {"shrinkage_lambda": round(lam, 4)}
    out_sd = np.empty_like(sd)
    for k in range(sd.shape[1]):
        Wh = R * np.outer(sd[:, k], sd[:, k])
        out_sd[:, k] = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", P, Wh, P), 0.0))
    return out_mean, out_sd, {"shrinkage_lambda": round(lam, 4)}
