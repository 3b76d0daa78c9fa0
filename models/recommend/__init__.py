"""Next-basket recommendations: which products each customer buys next.

Baselines (G-TopFreq, P-TopFreq, TIFU-KNN), a time-based backtest with repeat/explore metrics, the
``Recommender`` estimator and the workspace fit. A Transformer over baskets is not built yet (issue 14).
"""

from .baselines import METHODS, Baskets, GTopFreq, PTopFreq, TIFUKNN, make_method, to_baskets
from .evaluate import backtest, evaluate_method, split_at
from .recommender import Recommender
from .workspace import fit_workspace, recommend, RECS_FILE, CARD_FILE

__all__ = ["METHODS", "Baskets", "GTopFreq", "PTopFreq", "TIFUKNN", "make_method", "to_baskets", "backtest",
           "evaluate_method", "split_at", "Recommender", "fit_workspace", "recommend", "RECS_FILE", "CARD_FILE"]
