"""Per-customer value as of a date: P(alive) and expected purchases (BG/NBD), spend per order (Gamma-Gamma),
CLV over a horizon with a discount rate, and how overdue each customer is against their own usual gap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.data.errors import NotFittedError
from models.features import normalize_orders
from models.predictor.bgnbd import WEEK, BetaGeoModel
from models.value.gamma_gamma import GammaGammaModel

__all__ = ["CustomerValueModel", "customer_summary", "CLV_DEFINITION", "OVERDUE_DEFINITION", "MODEL_NAME"]

MODEL_NAME = "BG/NBD + Gamma-Gamma"
CLV_DEFINITION = ("CLV = expected spend over the next {days} days (BG/NBD expected purchases × Gamma-Gamma spend "
                  "per order), discounted at {rate:.0%} a year")
OVERDUE_DEFINITION = "overdue = days since the last purchase ÷ the customer's own mean gap between purchases"


def customer_summary(orders: pd.DataFrame, as_of) -> pd.DataFrame:
    """One row per customer with orders before ``as_of``: orders, first/last purchase, spend, mean order value,
    mean gap in days, days since last; and the BG/NBD inputs x, t_x, T (weeks). Index: customer_id."""
    cutoff = pd.Timestamp(as_of)
    o = normalize_orders(orders)
    o = o[o["timestamp"] < cutoff]
    if o.empty:
        raise ValueError(f"no orders before {cutoff.date()}: no customer value to compute")
    per = o.groupby("order_id", sort=False).agg(customer_id=("customer_id", "first"), ts=("timestamp", "min"),
                                                amount=("amount", "sum"))
    g = per.groupby("customer_id").agg(orders=("amount", "size"), first=("ts", "min"), last=("ts", "max"),
                                       spend=("amount", "sum"))
    g.index = g.index.astype("string")
    g["mean_order_value"] = g["spend"] / g["orders"]
    span = (g["last"] - g["first"]).dt.total_seconds() / 86400.0
    g["mean_gap_days"] = np.where(g["orders"] > 1, span / (g["orders"] - 1).clip(lower=1), np.nan)
    g["days_since_last"] = (cutoff - g["last"]).dt.total_seconds() / 86400.0
    # spend trend: the last 90 days against the 90 before them
    recent = per["ts"] >= cutoff - pd.Timedelta(days=90)
    prior = (per["ts"] >= cutoff - pd.Timedelta(days=180)) & ~recent
    for name, m in (("spend_last_90d", recent), ("spend_prior_90d", prior)):
        s = per.loc[m].groupby("customer_id")["amount"].sum()
        s.index = s.index.astype("string")
        g[name] = s.reindex(g.index).fillna(0.0).to_numpy()
    g["x"] = (g["orders"] - 1).astype("float64")
    g["T"] = (cutoff - g["first"]).dt.total_seconds() / 86400.0 / WEEK
    g["t_x"] = np.clip(span / WEEK, 0, g["T"])
    return g


class CustomerValueModel:
    """BG/NBD for purchases and P(alive), Gamma-Gamma for spend per order; CLV over ``horizon_days``.

    ``fit(summary)`` / ``predict(summary)`` take ``customer_summary`` tables."""

    def __init__(self, horizon_days: int = 365, discount_rate: float = 0.10, penalizer: float = 0.0,
                 steps: int = 12) -> None:
        self.horizon_days = horizon_days
        self.discount_rate = discount_rate
        self.penalizer = penalizer
        self.steps = steps

    def fit(self, summary: pd.DataFrame) -> "CustomerValueModel":
        self.bgnbd_ = BetaGeoModel(penalizer=self.penalizer).fit(summary["x"], summary["t_x"], summary["T"])
        self.gamma_gamma_ = GammaGammaModel(penalizer=self.penalizer).fit(summary["orders"],
                                                                          summary["mean_order_value"])
        self.n_customers_ = int(len(summary))
        return self

    @property
    def params_(self) -> dict:
        self._check()
        return {"bgnbd": dict(self.bgnbd_.params_), "gamma_gamma": dict(self.gamma_gamma_.params_)}

    def _check(self) -> None:
        if not hasattr(self, "bgnbd_"):
            raise NotFittedError("CustomerValueModel is not fitted yet: call fit() first")

    def definition(self) -> str:
        return CLV_DEFINITION.format(days=self.horizon_days, rate=self.discount_rate)

    def clv(self, summary: pd.DataFrame) -> np.ndarray:
        """Discounted expected spend over the horizon: monthly-ish steps of expected purchases × spend."""
        self._check()
        return self._clv_and_horizon(summary)[0]

    def _clv_and_horizon(self, summary: pd.DataFrame, alive: np.ndarray | None = None,
                         spend: np.ndarray | None = None, extra_days=()) -> tuple[np.ndarray, np.ndarray]:
        """(CLV, expected purchases over the whole horizon): the last step's cumulative count is the latter.
        With ``extra_days``, also the expected purchases over each of those windows (a third item)."""
        x, t_x, T = (summary[c].to_numpy(np.float64) for c in ("x", "t_x", "T"))
        if alive is None:
            alive = self.bgnbd_.p_alive(x, t_x, T)
        if spend is None:
            spend = self.gamma_gamma_.conditional_expected_spend(summary["orders"], summary["mean_order_value"])
        days = self.horizon_days * np.arange(1, self.steps + 1) / self.steps
        cum = self.bgnbd_.expected_purchases_alive_many(np.r_[days, list(extra_days)] / WEEK, x, T) * alive
        steps = np.diff(cum[: self.steps], axis=0, prepend=0.0)
        disc = (1.0 + self.discount_rate) ** (-days / 365.0)
        total = (disc @ steps) * spend
        if extra_days:
            return total, cum[self.steps - 1], cum[self.steps:]
        return total, cum[self.steps - 1]

    def predict(self, summary: pd.DataFrame, purchase_days: int = 30) -> pd.DataFrame:
        """Per customer: p_alive, expected purchases in ``purchase_days`` and the horizon, spend per order, CLV,
        P(no purchase in ``purchase_days``) from BG/NBD, and the overdue ratio."""
        self._check()
        x, t_x, T = (summary[c].to_numpy(np.float64) for c in ("x", "t_x", "T"))
        out = pd.DataFrame(index=summary.index)
        out["orders"] = summary["orders"].to_numpy()
        out["spend"] = summary["spend"].to_numpy()
        out["first_purchase"] = summary["first"].to_numpy()
        out["last_purchase"] = summary["last"].to_numpy()
        out["days_since_last"] = summary["days_since_last"].to_numpy()
        out["mean_gap_days"] = summary["mean_gap_days"].to_numpy()
        for c in ("spend_last_90d", "spend_prior_90d"):
            if c in summary.columns:
                out[c] = summary[c].to_numpy()
        out["overdue_ratio"] = out["days_since_last"] / out["mean_gap_days"]
        alive = self.bgnbd_.p_alive(x, t_x, T)
        spend = self.gamma_gamma_.conditional_expected_spend(summary["orders"], summary["mean_order_value"])
        clv, horizon, extra = self._clv_and_horizon(summary, alive, spend, extra_days=(purchase_days,))
        out["p_alive"] = alive
        out[f"expected_purchases_{purchase_days}d"] = extra[0]
        out["expected_purchases_horizon"] = horizon
        out["expected_spend_per_order"] = spend
        out["clv"] = clv
        out[f"p_no_purchase_{purchase_days}d_bgnbd"] = 1.0 - self.bgnbd_.prob_purchase(purchase_days / WEEK, x, t_x, T)
        out.index.name = "customer_id"
        return out
