"""Lifecycle stage per customer — lapsed / at risk / active — by the same P(alive) and overdue rules the value
and churn views use; segment names take their status word from these shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["LIFECYCLE_DEFINITION", "STAGES", "lifecycle_stages", "lifecycle_from_orders", "stage_shares"]

STAGES = ("lapsed", "at risk", "active")
LAPSED_P_ALIVE, AT_RISK_P_ALIVE, AT_RISK_OVERDUE = 0.5, 0.8, 2.0
LIFECYCLE_DEFINITION = (
    "lapsed: P(alive) below 50% (BG/NBD), or a single order longer ago than 3× the usual gap of repeat customers "
    "(at least 60 days); at risk: not lapsed, and overdue 2× or more against their own usual gap, P(alive) below "
    "80%, or a single order more than 1.5× that usual gap ago (at least 30 days); active: everyone else")


def lifecycle_stages(values: pd.DataFrame) -> pd.Series:
    """Stage per customer from a customer value table (p_alive, overdue_ratio, orders, days_since_last,
    mean_gap_days); index kept."""
    alive = values["p_alive"].to_numpy(np.float64)
    overdue = values["overdue_ratio"].to_numpy(np.float64)
    days = values["days_since_last"].to_numpy(np.float64)
    single = values["orders"].to_numpy() <= 1
    gaps = values["mean_gap_days"].to_numpy(np.float64)
    usual = float(np.nanmedian(gaps)) if np.isfinite(gaps).any() else 30.0
    lapsed = np.where(single, days > max(60.0, 3 * usual), alive < LAPSED_P_ALIVE)
    risk = np.where(single, days > max(30.0, 1.5 * usual),
                    (np.nan_to_num(overdue) >= AT_RISK_OVERDUE) | (alive < AT_RISK_P_ALIVE))
    stage = np.where(lapsed, "lapsed", np.where(risk, "at risk", "active"))
    return pd.Series(stage, index=values.index, name="lifecycle")


def lifecycle_from_orders(orders: pd.DataFrame, as_of) -> pd.Series | None:
    """Stages for the customers with orders before ``as_of`` (BG/NBD fitted on them); None when the fit is not
    possible (too few customers)."""
    from models.value.clv import CustomerValueModel, customer_summary

    try:
        summary = customer_summary(orders, as_of)
        values = CustomerValueModel().fit(summary).predict(summary)
    except ValueError:
        return None
    return lifecycle_stages(values)


def stage_shares(stages: pd.Series, members) -> dict:
    """share_lapsed / share_at_risk / share_active among ``members`` (customer ids)."""
    s = stages.reindex(pd.Index(members).astype(str))
    n = int(s.notna().sum())
    return {f"share_{k.replace(' ', '_')}": (round(float((s == k).sum() / n), 4) if n else None) for k in STAGES}
