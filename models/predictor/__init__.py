"""Purchase predictor: the PyTorch net, its training loop, the estimator, scoring, backtest and baselines."""

__all__: list[str] = []
