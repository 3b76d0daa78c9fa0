"""Next-basket recommendations: which products each customer buys next.

Baselines (G-TopFreq, P-TopFreq, GP-TopFreq, item-kNN, TIFU-KNN), a Transformer over baskets mixed with the
repeat signal, a time-based backtest with repeat/explore metrics, the ``Recommender`` estimator and the
workspace fit.
"""

from .baselines import Baskets, GTopFreq, GPTopFreq, ItemKNN, PTopFreq, TIFUKNN, to_baskets
from .evaluate import backtest, evaluate_method, split_at
from .methods import LABELS, METHODS, make_method
from .recommender import Recommender
from .rerank import RepeatReranker
from .transformer import NextBasketTransformer
from .workspace import fit_workspace, recommend, RECS_FILE, CARD_FILE

__all__ = ["METHODS", "LABELS", "Baskets", "GTopFreq", "PTopFreq", "GPTopFreq", "ItemKNN", "TIFUKNN",
           "NextBasketTransformer", "RepeatReranker", "make_method", "to_baskets", "backtest", "evaluate_method", "split_at",
           "Recommender", "fit_workspace", "recommend", "RECS_FILE", "CARD_FILE"]
