"""Product audiences: P(customer buys from a product set — one product, a category — within ``horizon_days``).

``ProductAudience`` is a logistic regression over a handful of leak-free features of each customer's history
before a date: baskets containing the target in the last 30 / 90 / 365 days and ever, the share of their
baskets with it, days since they last bought it, their baskets in the last 90 days and days since their last
basket. It is fitted on a label window that ends at the scoring date (features before ``as_of - horizon``,
label: bought it in ``[as_of - horizon, as_of)``) and scores everyone's history before ``as_of``.

``audience_backtest`` moves that one horizon back: fit with labels ending at ``as_of - horizon``, score at
``as_of - horizon`` and compare with who bought it in ``[as_of - horizon, as_of)``: PR-AUC and lift in the top
10% / top ``top_k`` against "bought it before" (ever-bought count) and popularity (everyone the same score).
``audience_rolling`` repeats that for several targets (product sets) and rolling cutoffs, one horizon apart,
with paired 95% CIs of the model's difference to each baseline over the (target, cutoff) pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ProductAudience", "audience_features", "audience_backtest", "audience_rolling", "FEATURES"]

FEATURES = ["n30", "n90", "n365", "n_ever", "share", "log_days_since", "baskets90", "log_days_since_any"]


def _baskets(orders: pd.DataFrame, is_target: np.ndarray) -> pd.DataFrame:
    """One row per basket: customer_id, day, has_target."""
    key = "order_id" if "order_id" in orders else None
    df = pd.DataFrame({"customer_id": orders["customer_id"].astype(str).to_numpy(),
                       "ts": pd.to_datetime(orders["timestamp"]).to_numpy(), "hit": is_target})
    df["basket"] = orders[key].astype(str).to_numpy() if key else df["ts"].dt.strftime("%Y-%m-%d").to_numpy()
    g = df.groupby(["customer_id", "basket"], sort=False)
    return pd.DataFrame({"ts": g["ts"].min(), "hit": g["hit"].any()}).reset_index()


def audience_features(baskets: pd.DataFrame, at: pd.Timestamp, customers) -> pd.DataFrame:
    """The features of each customer in ``customers`` from their baskets before ``at`` (index: customer_id)."""
    b = baskets[baskets["ts"] < at]
    age = (at - b["ts"]).dt.total_seconds().to_numpy() / 86400
    hit = b["hit"].to_numpy()
    f = pd.DataFrame({"customer_id": b["customer_id"].to_numpy(), "n30": hit & (age <= 30),
                      "n90": hit & (age <= 90), "n365": hit & (age <= 365), "n_ever": hit,
                      "any90": age <= 90, "all": 1,
                      "since": np.where(hit, age, np.inf), "since_any": age})
    g = f.groupby("customer_id").agg(n30=("n30", "sum"), n90=("n90", "sum"), n365=("n365", "sum"),
                                     n_ever=("n_ever", "sum"), baskets90=("any90", "sum"), n=("all", "sum"),
                                     since=("since", "min"), since_any=("since_any", "min"))
    g = g.reindex(pd.Index([str(c) for c in customers], name="customer_id"))
    out = pd.DataFrame(index=g.index)
    for c in ("n30", "n90", "n365", "n_ever", "baskets90"):
        out[c] = np.log1p(g[c].fillna(0).astype(float))
    out["share"] = (g["n_ever"] / g["n"]).fillna(0.0).astype(float)
    never = 3 * 365.0  # never bought / no basket: treated as a long time ago
    out["log_days_since"] = np.log1p(g["since"].replace(np.inf, never).fillna(never).astype(float))
    out["log_days_since_any"] = np.log1p(g["since_any"].fillna(never).astype(float))
    return out[FEATURES]


class ProductAudience:
    """``fit(baskets, as_of)`` then ``predict_proba(customers)``: P(buys the target within ``horizon_days``
    after ``as_of``). ``baskets``: the output of ``_baskets`` (customer_id, basket, ts, hit)."""

    def __init__(self, horizon_days: int = 30, C: float = 1.0) -> None:
        self.horizon_days, self.C = horizon_days, C

    def fit(self, baskets: pd.DataFrame, as_of) -> "ProductAudience":
        from sklearn.linear_model import LogisticRegression

        as_of = pd.Timestamp(as_of)
        t = as_of - pd.Timedelta(days=self.horizon_days)
        customers = np.sort(baskets.loc[baskets["ts"] < t, "customer_id"].unique())
        X = audience_features(baskets, t, customers)
        win = baskets[(baskets["ts"] >= t) & (baskets["ts"] < as_of) & baskets["hit"]]
        y = X.index.isin(set(win["customer_id"])).astype(int)
        self.base_rate_ = float(y.mean()) if len(y) else 0.0
        self.n_train_ = int(len(y))
        self.model_ = None
        if len(np.unique(y)) == 2:
            self.model_ = LogisticRegression(C=self.C, max_iter=500).fit(X.to_numpy(), y)
        self.as_of_, self.baskets_ = as_of, baskets
        return self

    def predict_proba(self, customers) -> np.ndarray:
        X = audience_features(self.baskets_, self.as_of_, customers)
        if self.model_ is None:
            return np.full(len(X), self.base_rate_)
        return self.model_.predict_proba(X.to_numpy())[:, 1]


def _pr_auc(y: np.ndarray, s: np.ndarray) -> float | None:
    if y.sum() == 0 or y.sum() == len(y):
        return None
    from sklearn.metrics import average_precision_score

    return round(float(average_precision_score(y, s)), 4)


def _lift(y: np.ndarray, s: np.ndarray, n: int) -> float | None:
    if y.mean() == 0 or n <= 0:
        return None
    # ties at the cut count at their expected value (the group's buyer rate for the places left), so a constant
    # score gets lift exactly 1 and the result does not hang on the order of the ids or a random draw
    n = min(n, len(s))
    kth = np.sort(s)[::-1][n - 1]
    above, tied = s > kth, s == kth
    hits = y[above].sum() + (n - above.sum()) * y[tied].mean()
    return round(float(hits / n / y.mean()), 3)


def audience_backtest(baskets: pd.DataFrame, as_of, horizon_days: int = 30, top_k: int = 100) -> dict:
    """The audience model one horizon back against "bought it before" and popularity (see module doc)."""
    as_of = pd.Timestamp(as_of)
    t = as_of - pd.Timedelta(days=horizon_days)
    model = ProductAudience(horizon_days).fit(baskets[baskets["ts"] < t], t)
    customers = np.sort(baskets.loc[baskets["ts"] < t, "customer_id"].unique())
    win = baskets[(baskets["ts"] >= t) & (baskets["ts"] < as_of) & baskets["hit"]]
    y = np.isin(customers, win["customer_id"].unique()).astype(int)
    if len(customers) == 0:
        return {"error": "no customer has history before the backtest cutoff"}
    X = audience_features(baskets, t, customers)
    scores = {"model": model.predict_proba(customers), "bought_before": np.expm1(X["n_ever"].to_numpy()),
              "popularity": np.zeros(len(customers))}
    n10 = max(1, len(customers) // 10)
    out = {name: {"pr_auc": _pr_auc(y, s), "lift_top10pct": _lift(y, s, n10),
                  f"lift_top{top_k}": _lift(y, s, min(top_k, len(customers)))} for name, s in scores.items()}
    return {"cutoff": t.date().isoformat(), "window_days": int(horizon_days), "n_customers": int(len(customers)),
            "buyers": int(y.sum()), "base_rate": round(float(y.mean()), 4), "methods": out}


def audience_rolling(orders: pd.DataFrame, targets: dict[str, np.ndarray], as_of, n_cutoffs: int = 3,
                     horizon_days: int = 30, top_k: int = 100) -> dict:
    """``audience_backtest`` for each target (name -> boolean mask over the order rows) at ``n_cutoffs`` scoring
    dates one horizon apart ending at ``as_of``; per (target, cutoff) rows, the mean of each metric, and the
    paired 95% CI of the model's difference to "bought it before" and popularity over the pairs where both
    are defined."""
    as_of = pd.Timestamp(as_of)
    rows = []
    for name, mask in targets.items():
        b = _baskets(orders, np.asarray(mask, dtype=bool))
        for i in range(n_cutoffs):
            bt = audience_backtest(b, as_of - pd.Timedelta(days=horizon_days * i), horizon_days, top_k)
            if "error" in bt:
                continue
            for method, m in bt["methods"].items():
                rows.append({"target": name, "cutoff": bt["cutoff"], "buyers": bt["buyers"],
                             "base_rate": bt["base_rate"], "method": method, **m})
    per = pd.DataFrame(rows)
    if per.empty:
        return {"error": "no target has customers with history before any cutoff"}
    metrics = ["pr_auc", "lift_top10pct", f"lift_top{top_k}"]
    wide = per.pivot_table(index=["target", "cutoff"], columns="method", values=metrics, aggfunc="first")
    paired: dict[str, dict] = {}
    for metric in metrics:
        for base in ("bought_before", "popularity"):
            d = (wide[(metric, "model")] - wide[(metric, base)]).dropna().to_numpy(dtype=float)
            se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
            paired.setdefault(metric, {})[base] = {
                "diff": round(float(d.mean()), 4) if len(d) else None, "n": int(len(d)),
                "ci95": [round(float(d.mean() - 1.96 * se), 4), round(float(d.mean() + 1.96 * se), 4)]
                if len(d) > 1 else None}
    means = {m: {c: round(float(g[c].dropna().mean()), 4) if g[c].notna().any() else None for c in metrics}
             for m, g in per.groupby("method")}
    return {"window_days": int(horizon_days), "cutoffs": sorted(per["cutoff"].unique().tolist()),
            "targets": list(targets), "pairs": int(len(wide)), "methods": means, "paired_vs_model": paired,
            "rows": per}
