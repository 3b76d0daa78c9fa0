"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"): each customer's mean order value, shrunk
towards the population mean by how many orders back it up."""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from models.data.errors import NotFittedError

__all__ = ["GammaGammaModel"]


class GammaGammaModel:
    """Gamma-Gamma with parameters p, q, v; fit on (frequency, mean order value) of customers with frequency > 0.

    ``fit(frequency, monetary)``; ``conditional_expected_spend(frequency, monetary)`` is E[spend per order]."""

    def __init__(self, penalizer: float = 0.0, max_iter: int = 1000) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter

    @staticmethod
    def _loglik(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        p, q, v = params
        px = p * x
        return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
                + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(x * m + v))

    def fit(self, frequency, monetary) -> "GammaGammaModel":
        x = np.asarray(frequency, dtype=np.float64)
        m = np.asarray(monetary, dtype=np.float64)
        keep = (x > 0) & (m > 0) & np.isfinite(m)
        x, m = x[keep], m[keep]
        if len(x) < 2:
            raise ValueError("Gamma-Gamma: need at least two customers with orders and positive spend")

        def nll(logp: np.ndarray) -> float:
            p = np.exp(logp)
            return float(-self._loglik(p, x, m).mean() + self.penalizer * np.sum(p**2))

        scale = float(np.log(np.median(m)))
        best = None
        for start in (np.array([0.0, 0.0, scale]), np.array([np.log(5.0), np.log(3.0), scale + 1])):
            res = optimize.minimize(nll, start, method="L-BFGS-B", bounds=[(-10, 10), (-10, 10), (-15, 20)],
                                    options={"maxiter": self.max_iter})
            if best is None or res.fun < best.fun:
                best = res
        self.params_ = dict(zip(("p", "q", "v"), (float(v) for v in np.exp(best.x))))
        self.converged_ = bool(best.success)
        self.neg_loglik_ = float(best.fun)
        return self

    def _check(self) -> dict:
        if not hasattr(self, "params_"):
            raise NotFittedError("GammaGammaModel is not fitted yet: call fit() first")
        return self.params_

    def population_mean(self) -> float:
        p = self._check()
        return p["p"] * p["v"] / (p["q"] - 1) if p["q"] > 1 else float("nan")

    def conditional_expected_spend(self, frequency, monetary) -> np.ndarray:
        """E[spend per order | frequency, mean order value]; the population mean where frequency is 0."""
        p = self._check()
        x = np.asarray(frequency, dtype=np.float64)
        m = np.nan_to_num(np.asarray(monetary, dtype=np.float64), nan=0.0)
        if p["q"] <= 1:  # no finite population mean: fall back to the customer's own mean
            return np.where(x > 0, m, np.nan)
        w = p["p"] * x / (p["p"] * x + p["q"] - 1)
        return (1 - w) * self.population_mean() + w * m
