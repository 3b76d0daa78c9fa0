"""Churn risk, value at risk and the at-risk high-value list, with reasons in plain words."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

__all__ = ["CHURN_DEFINITION", "VALUE_AT_RISK_DEFINITION", "churn_risk", "at_risk_table"]

CHURN_DEFINITION = "churn risk = P(no purchase in the next 30 days)"
VALUE_AT_RISK_DEFINITION = "value at risk = CLV × churn risk"
PREDICTOR_SOURCE = "purchase predictor: 1 − P(≥1 purchase in the next 30 days)"
BGNBD_SOURCE = "BG/NBD: 1 − P(≥1 purchase in the next 30 days) (no trained 30-day purchase predictor)"
BGNBD_CHOSEN = "BG/NBD: 1 − P(≥1 purchase in the next 30 days) (it beat the purchase predictor in the churn backtest)"


def churn_risk(values: pd.DataFrame, p_buy_30: pd.Series | None = None,
               chosen: str | None = None) -> tuple[pd.Series, str]:
    """(churn risk per customer, which model gave it): the predictor's 30-day P(buy) when given, else BG/NBD's;
    BG/NBD's also when the churn backtest chose it (``chosen="bgnbd"``). A customer the predictor does not
    score keeps the BG/NBD figure."""
    bg = values["p_no_purchase_30d_bgnbd"].astype("float64")
    if chosen == "bgnbd":
        return bg.rename("churn_risk"), BGNBD_CHOSEN
    if p_buy_30 is None or len(p_buy_30) == 0:
        return bg.rename("churn_risk"), BGNBD_SOURCE
    p = pd.Series(p_buy_30, dtype="float64")
    p.index = p.index.astype(str)
    risk = 1.0 - p.reindex(values.index.astype(str)).to_numpy()
    return pd.Series(np.where(np.isfinite(risk), risk, bg.to_numpy()), index=values.index,
                     name="churn_risk"), PREDICTOR_SOURCE


def _reasons(row, threshold: float, q: float, segment: str | None) -> list[str]:
    out = [f"last purchase {pd.Timestamp(row.last_purchase).date().isoformat()} ({row.days_since_last:.0f} days ago)",
           f"usually buys every {row.mean_gap_days:.0f} days, so {row.overdue_ratio:.1f}× overdue",
           f"expected value {row.clv:,.2f} over the coming year (top {1 - q:.0%} of customers start at "
           f"{threshold:,.2f})",
           f"{row.churn_risk:.0%} chance of no purchase in the next 30 days"]
    last, prior = getattr(row, "spend_last_90d", None), getattr(row, "spend_prior_90d", None)
    if last is not None and prior is not None and np.isfinite(last) and np.isfinite(prior) and prior > 0:
        out.append(f"spent {last:,.2f} in the last 90 days against {prior:,.2f} in the 90 before "
                   f"({last / prior - 1:+.0%})")
    if segment:
        out.append(f"segment: {segment}")
    return out


def at_risk_table(values: pd.DataFrame, churn: pd.Series, *, min_value_quantile: float = 0.8, top_k: int = 50,
                  segment_of: Mapping[str, str] | None = None, segment: str | None = None,
                  rank_by: str = "value_at_risk") -> tuple[pd.DataFrame, dict]:
    """Customers whose CLV is at or above the ``min_value_quantile`` of all customers and who are overdue
    (overdue ratio > 1), ranked by value at risk; at most ``top_k``. Returns (rows, summary counts).
    ``rank_by="value"``: every customer at or above the quantile, overdue or not, ranked by CLV (the most
    valuable customers)."""
    if not 0 <= min_value_quantile < 1:
        raise ValueError(f"min_value_quantile={min_value_quantile} must be from 0 to below 1 (0.8: the top 20%)")
    # filter on arrays first: only the high-value rows are copied into a frame (scoring 1M customers stays fast)
    clv = values["clv"].to_numpy(np.float64)
    risk = churn.reindex(values.index).to_numpy(np.float64)
    threshold = float(np.nanquantile(clv, min_value_quantile)) if np.isfinite(clv).any() else float("nan")
    seg_map = dict(segment_of or {})
    keep = np.ones(len(values), dtype=bool)
    if segment is not None:
        seg_all = pd.Series(values.index.astype(str)).map(seg_map).to_numpy()
        keep = seg_all == segment
    in_scope = int(keep.sum())
    high = keep & (clv >= threshold)
    df = values[high].copy()
    df["churn_risk"] = risk[high]
    df["value_at_risk"] = df["clv"] * df["churn_risk"]
    seg = pd.Series(df.index.astype(str), index=df.index).map(seg_map) if seg_map else None
    df["segment"] = None if seg is None else seg.astype(object).where(seg.notna(), None)
    valuable = df
    overdue = valuable[valuable["overdue_ratio"] > 1]
    if rank_by == "value":
        ranked = valuable.sort_values(["clv", "value_at_risk"], ascending=False, kind="mergesort").head(int(top_k))
    else:
        ranked = overdue.sort_values(["value_at_risk", "clv"], ascending=False, kind="mergesort").head(int(top_k))
    ranked = ranked.assign(reasons=[_reasons(r, threshold, min_value_quantile, r.segment)
                                    for r in ranked.itertuples()])
    summary = {"value_threshold": threshold, "n_customers": in_scope, "n_high_value": int(len(valuable)),
               "n_high_value_overdue": int(len(overdue)),
               "n_high_value_one_order": int(valuable["mean_gap_days"].isna().sum()),
               "value_at_risk_total": float(overdue["value_at_risk"].sum())}
    return ranked, summary
