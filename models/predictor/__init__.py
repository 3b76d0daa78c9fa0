"""Purchase predictor: the PyTorch net, its training loop, the estimator, scoring, backtest and baselines."""

__all__ = ["DEFAULT_HORIZONS"]

# the windows (days) a new model is trained for by default; a trained model's own are in its checkpoint, and
# everything that reads a model (scoring, tools, CLI) takes them from there
DEFAULT_HORIZONS: tuple[int, ...] = (7, 14, 30)
