"""The one-line backtest summary of a next-basket recommender (CLI, tool and UI share it; no heavy imports,
so `mka recommend --all` starts fast)."""

from __future__ import annotations

__all__ = ["METHOD_NAMES", "backtest_line"]

METHOD_NAMES = {"g-topfreq": "G-TopFreq (global popularity)", "p-topfreq": "P-TopFreq (own purchase frequency)",
          "gp-topfreq": "GP-TopFreq (own purchase frequency, then popularity)", "item-knn": "item-kNN",
          "transformer": "Transformer over baskets + TIFU-KNN",
          "tifu-knn": "TIFU-KNN (time-decayed own + nearest customers)"}
_NAMES = METHOD_NAMES


def backtest_line(method: str, bt: dict, k: int = 10) -> str:
    """The chosen method's backtest Recall@k / NDCG@k beside each baseline's."""
    m = bt.get("methods") or {}
    if method not in m:
        return f"Backtest: {bt.get('error', 'not available')}."

    def f(v):
        return "-" if v is None else f"{v:.3f}"
    own = m[method]
    others = ", ".join(f"{_NAMES.get(b, b).split(' (')[0]} {f(s.get(f'recall@{k}'))}" for b, s in m.items()
                       if b != method)
    cuts = bt.get("cutoffs") or []
    return (f"Backtest (next basket after {len(cuts)} cutoff{'s' if len(cuts) != 1 else ''}"
            f"{' ' + ', '.join(cuts) if cuts else ''}, {own.get('n')} customer-baskets): "
            f"{_NAMES.get(method, method).split(' (')[0]} Recall@{k} {f(own.get(f'recall@{k}'))} vs {others}; "
            f"NDCG@{k} {f(own.get(f'ndcg@{k}'))}, repeat-item recall {f(own.get(f'recall_repeat@{k}'))}, "
            f"explore-item recall {f(own.get(f'recall_explore@{k}'))}.")
