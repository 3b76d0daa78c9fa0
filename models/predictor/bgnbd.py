"""BG/NBD (Fader, Hardie & Lee 2005), fitted by maximum likelihood: the classic buy-till-you-die baseline.

Inputs per customer, as of a cutoff, in weeks: ``x`` repeat purchases (orders - 1), ``t_x`` time from the
first to the last purchase, ``T`` time from the first purchase to the cutoff.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from scipy import optimize, special

from models.data.errors import NotFittedError

__all__ = ["BetaGeoModel", "rft_from_features"]

WEEK = 7.0


@functools.lru_cache(maxsize=4)
def _gauss_legendre01(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, 1] (computed once per n: an eigenvalue problem)."""
    v, w = np.polynomial.legendre.leggauss(n)
    v, w = (v + 1) / 2, w / 2
    v.setflags(write=False)
    w.setflags(write=False)
    return v, w


class _Quadrature:
    """The exact integral behind ``BetaGeoModel._expected_alive_quadrature`` for the customers ``x``; the Beta
    quantiles (one ``betaincinv`` row per distinct x) are computed lazily, once, and reused for every horizon."""

    def __init__(self, model: "BetaGeoModel", x: np.ndarray, n: int = 96) -> None:
        p = model._check()
        self.r, self.alpha, self.a, self.b = p["r"], p["alpha"], p["a"], p["b"]
        self.x, self.n = x, n
        self._q: dict[float, np.ndarray] = {}

    def __call__(self, t: float, mask: np.ndarray, T: np.ndarray) -> np.ndarray:
        v, w = _gauss_legendre01(self.n)
        xs = self.x[mask]
        ux, inv = np.unique(xs, return_inverse=True)
        todo = [u for u in ux if u not in self._q]
        if todo:
            rows = np.clip(special.betaincinv(self.a, self.b + np.asarray(todo)[:, None], v[None, :]), 1e-300, 1.0)
            self._q.update(zip(todo, rows))
        q = np.stack([self._q[u] for u in ux])[inv]
        xr = xs[:, None]
        f = -np.expm1(-(self.r + xr) * np.log1p(q * t / (self.alpha + T[:, None]))) / q
        return f @ w


def rft_from_features(features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) in weeks from ``features_at`` columns (frequency, recency_days, tenure_days)."""
    x = np.clip(features["frequency"].to_numpy(np.float64) - 1, 0, None)
    T = features["tenure_days"].to_numpy(np.float64) / WEEK
    t_x = np.clip(T - features["recency_days"].to_numpy(np.float64) / WEEK, 0, None)
    return x, t_x, T


class BetaGeoModel:
    """BG/NBD with parameters r, alpha (purchase rate, gamma) and a, b (dropout, beta)."""

    def __init__(self, penalizer: float = 0.0, max_iter: int = 500) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter

    @staticmethod
    def _loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, a, b = params
        common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        a1 = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore"):
            a2 = np.where(
                x > 0,
                special.betaln(a + 1, b + np.maximum(x, 1) - 1) - special.betaln(a, b) - (r + x) * np.log(alpha + t_x),
                -np.inf,
            )
        return common + np.logaddexp(a1, a2)

    def fit(self, x, t_x, T) -> "BetaGeoModel":
        x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
        if len(x) == 0:
            raise ValueError("BG/NBD: no customers to fit")
        if (x < 0).any() or (t_x < 0).any() or (t_x > T + 1e-9).any():
            raise ValueError("BG/NBD: expected x >= 0 and 0 <= recency <= age for every customer")

        def nll(logp: np.ndarray) -> float:
            p = np.exp(logp)
            val = -self._loglik(p, x, t_x, T).sum() / len(x)
            return float(val + self.penalizer * np.sum(p**2))

        best = None
        for start in (np.log([1.0, 1.0, 1.0, 1.0]), np.log([0.5, 2.0, 0.5, 5.0])):
            res = optimize.minimize(nll, start, method="L-BFGS-B", bounds=[(-10, 8)] * 4,
                                    options={"maxiter": self.max_iter})
            if best is None or res.fun < best.fun:
                best = res
        self.params_ = dict(zip(("r", "alpha", "a", "b"), np.exp(best.x)))
        self.converged_ = bool(best.success)
        self.neg_loglik_ = float(best.fun)
        return self

    def _check(self) -> dict:
        if not hasattr(self, "params_"):
            raise NotFittedError("BetaGeoModel is not fitted yet: call fit() first")
        return self.params_

    def p_alive(self, x, t_x, T) -> np.ndarray:
        p = self._check()
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
        log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        odds = np.where(x > 0, np.exp(np.clip(np.log(a) - np.log(b + np.maximum(x, 1) - 1) + log_ratio, -700, 700)), 0.0)
        return 1.0 / (1.0 + odds)

    def expected_purchases_alive(self, t: float, x, T) -> np.ndarray:
        """E[purchases in (T, T + t] | alive at T]; ``t`` in weeks. Closed form through 2F1; where that fails
        numerically (non-finite, or outside its bounds 0 ≤ E ≤ E[λ | data]·t, as it can for heavy buyers with
        a short history when a < 1) the exact one-dimensional integral over the dropout probability instead."""
        x, T = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(T, dtype=np.float64))
        return self.expected_purchases_alive_many([t], x.ravel(), T.ravel())[0].reshape(x.shape)

    def expected_purchases_alive_many(self, ts, x, T) -> np.ndarray:
        """``expected_purchases_alive`` at several horizons ``ts`` (weeks) at once: a (len(ts), n) array.

        The value depends on the history only through x and u = t ÷ (α + T). Customers with the same (x, T) —
        common when purchases are dated by day — are computed once; for many customers the exact values are
        tabulated per distinct x on a fine grid in log u and interpolated (``_alive_table``), else computed
        directly; the quadrature fallback's Beta quantiles are computed once per distinct x."""
        alpha = self._check()["alpha"]
        x = np.asarray(x, dtype=np.float64).ravel()
        T = np.asarray(T, dtype=np.float64).ravel()
        ts = np.asarray(ts, dtype=np.float64).ravel()
        inv = None
        if len(x) > 1024:
            tc, tu = pd.factorize(T, sort=False)
            xc, xu = pd.factorize(x, sort=False)
            key = tc.astype(np.int64) * (len(xu) + 1) + xc
            kc, ku = pd.factorize(key, sort=False)
            if len(ku) < 0.9 * len(x):
                inv = kc
                x, T = np.asarray(xu)[ku % (len(xu) + 1)], np.asarray(tu)[ku // (len(xu) + 1)]
        u = ts[:, None] / (alpha + T)[None, :]
        out = self._alive_tabulated(x, T, ts, u)
        return out if inv is None else out[:, inv]

    def _alive_exact(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """E[purchases | alive] for repeat purchases ``x`` and ``u`` = window ÷ (α + T), elementwise: it depends
        on the history only through x and u. 2F1, and the exact integral where 2F1 fails."""
        p = self._check()
        r, a, b = p["r"], p["a"], p["b"]
        shape = u.shape
        x, u = np.ravel(x).astype(np.float64), np.ravel(u).astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # Pfaff transform of 2F1(r+x, b+x; a+b+x-1; z), z = t/(α+T+t): stays finite for heavy buyers
            hyp = special.hyp2f1(a + b - 1 - r, b + x, a + b + x - 1, -u)
            e = (a + b + x - 1) / (a - 1) * (1.0 - (1.0 + u) ** (b - r) * hyp)
        upper = (r + x) * u  # the purchase rate's posterior mean × t: dropout only lowers it
        bad = ~np.isfinite(e) | (e < -1e-9) | (e > upper * (1 + 1e-6) + 1e-9)
        if bad.any():
            e[bad] = _Quadrature(self, x)(1.0, bad, 1.0 / u[bad] - p["alpha"])
        return np.clip(e, 0.0, upper).reshape(shape)

    def _alive_tabulated(self, x: np.ndarray, T: np.ndarray, ts: np.ndarray, u: np.ndarray,
                         step: float = 0.01) -> np.ndarray:
        """``_alive_exact(x, u)`` for a (len(ts), n) ``u``. For each distinct x shared by enough customers, the
        exact values on a grid in log u over that x's own range (nodes ``step`` apart), interpolated log-log
        linearly (relative error < 1e-5); the other customers directly."""
        out = np.empty(u.shape)
        ux, xcode, cnt = np.unique(x, return_inverse=True, return_counts=True)
        t_min = np.full(ux.size, np.inf)
        t_max = np.full(ux.size, -np.inf)
        np.minimum.at(t_min, xcode, T)
        np.maximum.at(t_max, xcode, T)
        alpha = self.params_["alpha"]
        lo = np.log(ts.min()) - np.log(alpha + t_max)
        hi = np.log(ts.max()) - np.log(alpha + t_min)
        n_grid = np.ceil((hi - lo) / step).astype(np.int64) + 2
        tab = (2 * n_grid < cnt * len(ts)) & np.isfinite(lo) & np.isfinite(hi)
        direct = ~tab[xcode]
        if direct.any():
            out[:, direct] = self._alive_exact(np.broadcast_to(x[direct], (len(ts), int(direct.sum()))), u[:, direct])
        if tab.any():
            codes = np.flatnonzero(tab)
            sizes = n_grid[codes]
            start = np.zeros(ux.size, dtype=np.int64)
            start[codes] = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            node = np.concatenate([lo[c] + step * np.arange(k) for c, k in zip(codes, sizes)])
            logv = np.log(np.maximum(self._alive_exact(np.repeat(ux[codes], sizes), np.exp(node)), 1e-300))
            cols = ~direct
            c = xcode[cols]
            pos = (np.log(u[:, cols]) - lo[c]) / step
            i = np.clip(pos.astype(np.int64), 0, n_grid[c] - 2)
            f = pos - i
            idx = start[c] + i
            out[:, cols] = np.exp(logv[idx] * (1.0 - f) + logv[idx + 1] * f)
        return out

    def _expected_alive_quadrature(self, t: float, x: np.ndarray, T: np.ndarray, n: int = 96) -> np.ndarray:
        """E_p[(1 − ((α+T)/(α+T+p·t))^(r+x)) / p] with p ~ Beta(a, b + x): given alive, λ | data ~
        Gamma(r + x, α + T) and p | data ~ Beta(a, b + x), independent. Integrated over p's quantiles
        (p = F⁻¹(v), v uniform) with Gauss-Legendre nodes in v: the integrand is bounded and smooth there."""
        x = np.asarray(x, dtype=np.float64)
        return _Quadrature(self, x, n)(t, np.ones(len(x), dtype=bool), np.asarray(T, dtype=np.float64))

    def expected_purchases(self, t: float, x, t_x, T) -> np.ndarray:
        """E[purchases in (T, T + t]] given the history; ``t`` in weeks."""
        return np.clip(self.expected_purchases_alive(t, x, T) * self.p_alive(x, t_x, T), 0, None)

    def prob_purchase(self, t: float, x, t_x, T) -> np.ndarray:
        """P(>= 1 purchase in (T, T + t]): alive × P(a Poisson purchase in the window), exactly — a customer
        drops out only just after a purchase, so the first one in the window comes before any dropout."""
        p = self._check()
        r, alpha = p["r"], p["alpha"]
        x, T = (np.asarray(v, dtype=np.float64) for v in (x, T))
        none = np.exp(-(r + x) * np.log1p(t / (alpha + T)))
        return self.p_alive(x, t_x, T) * (1.0 - none)
