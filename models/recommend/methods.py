"""Every next-basket method by name: the baselines and the Transformer."""

from __future__ import annotations

from .baselines import BASELINES
from .rerank import RepeatReranker
from .transformer import NextBasketTransformer

__all__ = ["METHODS", "make_method", "LABELS"]

METHODS = {**BASELINES, "tifu-rerank": RepeatReranker, "transformer": NextBasketTransformer}
LABELS = {"g-topfreq": "G-TopFreq", "p-topfreq": "P-TopFreq", "gp-topfreq": "GP-TopFreq", "item-knn": "item-kNN",
          "tifu-knn": "TIFU-KNN", "tifu-rerank": "TIFU-KNN re-ranked", "transformer": "Transformer"}


def make_method(name: str, **params):
    key = name.strip().lower()
    if key not in METHODS:
        raise ValueError(f"unknown method {name!r}; expected one of {', '.join(METHODS)}")
    return METHODS[key](**params)
