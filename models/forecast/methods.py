"""One forecasting method per name, behind a scikit-learn-style estimator with 80% and 95% intervals.

Baselines: ``naive`` (last value), ``drift`` (the line from the first to the last value) and
``seasonal_naive`` (the value one season back), with the textbook Gaussian intervals (Hyndman & Athanasopoulos,
FPP3 §5.5) from the one-step residuals. Models: ``ets`` (statsmodels ETSModel, additive errors; the lower AICc of
a level-only and a damped-trend model, plus an additive season when ``season_length`` is given) and ``theta``
(statsmodels ThetaModel, deseasonalized only with a season). A model that cannot be fitted (a constant series,
too few points) falls back to ``naive`` and says so in ``fallback_``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.exceptions import NotFittedError

__all__ = ["Forecaster", "METHODS", "BASELINES", "MODELS", "Z", "min_history", "effective_season"]

BASELINES = ("naive", "drift", "seasonal_naive")
MODELS = ("ets", "theta")
METHODS = BASELINES + MODELS
Z = {80: float(stats.norm.ppf(0.90)), 95: float(stats.norm.ppf(0.975))}


def min_history(method: str, season_length: int | None) -> int:
    """Fewest points a method needs (seasonal naive: two seasons, so its residuals span a full season;
    ETS and Theta run without a season below two seasons)."""
    m = season_length or 0
    return {"naive": 2, "drift": 3, "seasonal_naive": 2 * m if m else 10 ** 9, "ets": 8, "theta": 6}[method]


def effective_season(season_length: int | None, n: int) -> int | None:
    """The season a fit on ``n`` points uses: ``season_length`` when two full seasons are there, else none."""
    return season_length if season_length and season_length > 1 and n >= 2 * season_length else None


class Forecaster:
    """``Forecaster(method="ets").fit(y).predict(h)`` -> dict of arrays mean, lo80, hi80, lo95, hi95, sd.

    ``season_length`` is the longest season to use; it is used only with two full seasons of data.
    ``resid_`` holds the in-sample one-step errors (the reconciliation's covariance is built from them).
    """

    def __init__(self, method: str = "ets", season_length: int | None = None) -> None:
        self.method = method
        self.season_length = season_length

    def fit(self, y) -> "Forecaster":
        if self.method not in METHODS:
            raise ValueError(f"method={self.method!r} is not known; use one of {list(METHODS)}")
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1 or len(y) < 2 or not np.isfinite(y).all():
            raise ValueError(f"need a finite 1-d series of at least 2 points, got shape {y.shape}")
        m = effective_season(self.season_length, len(y))
        self.y_ = y
        self.n_ = len(y)
        self.fallback_ = None
        method = self.method
        need = min_history(method, self.season_length)
        if len(y) < need:
            self.fallback_ = f"{method} needs at least {need} points, has {len(y)}: naive used"
            method = "naive"
        elif method in MODELS and np.ptp(y) == 0:
            self.fallback_ = f"{method}: the series is constant: naive used"
            method = "naive"
        self.method_used_ = method
        self.spec_ = method
        fit = getattr(self, f"_fit_{method}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit(y, m)
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as exc:
            self.fallback_ = f"{method} failed ({str(exc)[:80]}): naive used"
            self.method_used_ = self.spec_ = "naive"
            self._fit_naive(y, m)
        return self

    # -- baselines -------------------------------------------------------------------------------------
    def _fit_naive(self, y, m) -> None:
        self.resid_ = np.diff(y)
        self._sigma = _rms(self.resid_)

    def _fit_drift(self, y, m) -> None:
        self._slope = (y[-1] - y[0]) / (len(y) - 1)
        self.resid_ = np.diff(y) - self._slope
        self._sigma = _rms(self.resid_)

    def _fit_seasonal_naive(self, y, m) -> None:
        self._m = m
        self.resid_ = y[m:] - y[:-m]
        self._sigma = _rms(self.resid_)

    # -- models ----------------------------------------------------------------------------------------
    def _fit_ets(self, y, m) -> None:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        s = pd.Series(y)
        best = None
        for trend in (None, "add"):
            kw = dict(error="add", trend=trend, damped_trend=trend is not None)
            if m:
                kw.update(seasonal="add", seasonal_periods=m)
            res = ETSModel(s, **kw).fit(disp=False)
            if not np.isfinite(res.aicc):
                continue
            if best is None or res.aicc < best.aicc:
                best = res
        if best is None:
            raise ValueError("no ETS model converged")
        self._res = best
        self.spec_ = "ETS(A,{},{})".format("Ad" if best.model.trend else "N", "A" if m else "N")
        self.resid_ = np.asarray(best.resid, dtype=np.float64)

    def _fit_theta(self, y, m) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        res = ThetaModel(y, period=m or 1, deseasonalize=bool(m), method="additive").fit()
        self._res = res
        self.spec_ = "Theta" + (f"(season {m})" if m else "")
        # one-step in-sample errors of the underlying SES-with-drift (level recursion, drift b0)
        alpha, b0 = float(res.params["alpha"]), float(res.params["b0"])
        level, fitted = y[0], np.empty(len(y) - 1)
        for t in range(1, len(y)):
            fitted[t - 1] = level + b0
            level = alpha * y[t] + (1 - alpha) * level
        self.resid_ = y[1:] - fitted

    # -- prediction ------------------------------------------------------------------------------------
    def predict(self, h: int) -> dict[str, np.ndarray]:
        if not hasattr(self, "y_"):
            raise NotFittedError("this Forecaster is not fitted yet; call fit(y) first")
        h = int(h)
        if h < 1:
            raise ValueError(f"horizon must be at least 1, got {h}")
        k = np.arange(1, h + 1, dtype=np.float64)
        y, method = self.y_, self.method_used_
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "naive":
                mean, sd = np.full(h, y[-1]), self._sigma * np.sqrt(k)
            elif method == "drift":
                n = len(y)
                mean, sd = y[-1] + self._slope * k, self._sigma * np.sqrt(k * (1 + k / (n - 1)))
            elif method == "seasonal_naive":
                m = self._m
                mean = y[len(y) - m + (np.arange(h) % m)]
                sd = self._sigma * np.sqrt(np.floor((k - 1) / m) + 1)
            elif method == "ets":
                frame = self._res.get_prediction(start=self.n_, end=self.n_ + h - 1).summary_frame(alpha=0.05)
                mean = frame["mean"].to_numpy(np.float64)
                sd = (frame["pi_upper"].to_numpy(np.float64) - mean) / Z[95]
            else:  # theta
                mean = np.asarray(self._res.forecast(h), dtype=np.float64)
                pi = self._res.prediction_intervals(h, alpha=0.05)
                sd = (np.asarray(pi["upper"], dtype=np.float64) - mean) / Z[95]
        sd = np.nan_to_num(np.maximum(sd, 0.0))
        out = {"mean": mean, "sd": sd}
        for level, z in Z.items():
            out[f"lo{level}"] = mean - z * sd
            out[f"hi{level}"] = mean + z * sd
        return out


def _rms(r: np.ndarray) -> float:
    r = r[np.isfinite(r)]
    return float(np.sqrt(np.mean(r ** 2))) if len(r) else 0.0
