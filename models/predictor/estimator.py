"""``PurchasePredictor``: the purchase network in the scikit-learn estimator contract, and its checkpoint.

``__init__`` stores hyperparameters only; ``fit`` validates, runs the fit loop (``models.predictor.train``) and
assigns the fitted state (``*_``) itself; predicting before fit raises ``NotFittedError``. One checkpoint holds
state_dict + net config + hyperparameters + feature list + scaler + calibrators + as_of, plus the data hash
and backtest summary given to ``save``; ``load`` rebuilds the net from config + state_dict (``net.build_net``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator

from models.data.artifacts import load_torch, read_artifact
from models.data.atomic import atomic_path
from models.data.errors import NotFittedError
from models.features import features_at, week_columns
from models.predictor import DEFAULT_HORIZONS
from models.predictor.net import build_net, transform_static
from models.predictor.train import TrainSettings, train_net

__all__ = ["PurchasePredictor", "CHECKPOINT_VERSION"]

CHECKPOINT_VERSION = 1


class PurchasePredictor(BaseEstimator):
    """P(>= 1 purchase within h days), expected orders and spend, for several horizons at once.

    ``fit(orders, products=None, as_of=None)`` uses only orders before ``as_of`` (default: the day after
    the last order). ``predict(features)`` takes the output of ``features_at`` (see ``features``).
    """

    def __init__(
        self,
        horizons: tuple[int, ...] = DEFAULT_HORIZONS,
        n_weeks: int = 26,
        hidden: int = 48,
        conv_channels: int = 8,
        dropout: float = 0.1,
        top_categories: int = 8,
        snapshot_step_days: int = 7,
        max_snapshots: int = 40,
        min_history_days: int = 28,
        epochs: int = 15,
        batch_size: int = 1024,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        patience: int = 3,
        calibration: str = "platt",
        random_state: int = 0,
        n_threads: int = 1,
        verbose: bool = False,
    ) -> None:
        self.horizons = horizons
        self.n_weeks = n_weeks
        self.hidden = hidden
        self.conv_channels = conv_channels
        self.dropout = dropout
        self.top_categories = top_categories
        self.snapshot_step_days = snapshot_step_days
        self.max_snapshots = max_snapshots
        self.min_history_days = min_history_days
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.calibration = calibration
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("this PurchasePredictor is not fitted yet: call fit() or load() first "
                                 "(or run `mka train`)")

    def _check_horizon(self, horizon_days: int) -> int:
        hs = [int(h) for h in self.config_.horizons]
        if int(horizon_days) not in hs:
            raise ValueError(f"horizon_days={horizon_days} is not a trained horizon; use one of {', '.join(map(str, hs))}")
        return hs.index(int(horizon_days))

    # -- fit ----------------------------------------------------------------------------------------
    def _settings(self) -> TrainSettings:
        horizons = tuple(int(h) for h in self.horizons)
        if not horizons or min(horizons) < 1:
            raise ValueError(f"horizons={self.horizons!r}: expected one or more whole numbers of days >= 1")
        if self.calibration not in ("platt", "none"):
            raise ValueError(f"calibration={self.calibration!r}: expected 'platt' or 'none'")
        params = {f.name: getattr(self, f.name) for f in dataclasses.fields(TrainSettings)}
        return TrainSettings(**dict(params, horizons=horizons))

    def fit(self, orders: pd.DataFrame, products: pd.DataFrame | None = None, as_of=None,
            progress=None) -> "PurchasePredictor":
        """Fit on the orders before ``as_of`` (default: the day after the last order); returns self."""
        if len(orders) == 0:
            raise ValueError("orders: no rows to train on")
        settings = self._settings()
        if progress is None and self.verbose:
            progress = print
        fitted = train_net(orders, products, settings, as_of=as_of, progress=progress)
        self.config_ = fitted.config
        self.model_ = fitted.net
        self.feature_names_ = fitted.feature_names
        self.categories_ = fitted.categories
        self.scaler_mean_ = fitted.scaler_mean
        self.scaler_std_ = fitted.scaler_std
        self.spend_scale_ = fitted.spend_scale
        self.calibrators_ = fitted.calibrators
        self.as_of_ = fitted.as_of
        self.training_ = fitted.training
        # provenance, known only to whoever saves the model (see ``save``)
        self.data_hash_ = None
        self.backtest_ = None
        return self

    # -- inference ----------------------------------------------------------------------------------
    @property
    def horizons_(self) -> tuple[int, ...]:
        """The horizons this fitted model predicts (from its checkpoint when loaded)."""
        self._check_fitted()
        return tuple(int(h) for h in self.config_.horizons)

    def features(self, orders: pd.DataFrame, as_of, products: pd.DataFrame | None = None) -> pd.DataFrame:
        """``features_at`` with the category columns this model was trained on."""
        self._check_fitted()
        return features_at(orders, as_of, products, n_weeks=self.config_.n_weeks, categories=self.categories_)

    def _tensors(self, features: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        # float32 end to end: scoring a million customers is memory-bound
        xs = transform_static(features, self.feature_names_, dtype=np.float32)
        xs -= self.scaler_mean_.astype(np.float32)
        xs /= self.scaler_std_.astype(np.float32)
        seq = features.reindex(columns=week_columns(self.config_.n_weeks)).to_numpy(np.float32, na_value=0.0)
        np.log1p(seq, out=seq)
        return torch.from_numpy(xs), torch.from_numpy(seq)

    def raw_outputs(self, features: pd.DataFrame, batch_size: int = 65536) -> np.ndarray:
        """Network outputs (n, 3, n_horizons) before calibration."""
        self._check_fitted()
        xs, seq = self._tensors(features)
        self.model_.eval()
        outs = []
        with torch.inference_mode():
            for i in range(0, len(xs), batch_size):
                outs.append(self.model_(xs[i:i + batch_size], seq[i:i + batch_size]).numpy())
        return np.concatenate(outs) if outs else np.zeros((0, 3, len(self.config_.horizons)), np.float32)

    def calibrate_logits(self, logits: np.ndarray, j: int) -> np.ndarray:
        a, b = self.calibrators_[j]
        return 1.0 / (1.0 + np.exp(-(a * logits.astype(np.float64) + b)))

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per customer and horizon h: ``p_buy_{h}`` (calibrated), ``expected_orders_{h}``, ``expected_spend_{h}``."""
        raw = self.raw_outputs(features)
        cols = {}
        for j, h in enumerate(self.config_.horizons):
            cols[f"p_buy_{h}"] = self.calibrate_logits(raw[:, 0, j], j)
        for j, h in enumerate(self.config_.horizons):
            cols[f"expected_orders_{h}"] = np.exp(np.clip(raw[:, 1, j].astype(np.float64), -20, 10))
        for j, h in enumerate(self.config_.horizons):
            cols[f"expected_spend_{h}"] = np.exp(np.clip(raw[:, 2, j].astype(np.float64), -20, 10)) * self.spend_scale_
        return pd.DataFrame(cols, index=features.index)

    def predict_proba(self, features: pd.DataFrame, horizon_days: int = 7) -> np.ndarray:
        """Calibrated P(>= 1 purchase in the next ``horizon_days``), one value per row of ``features``."""
        self._check_fitted()
        j = self._check_horizon(horizon_days)
        return self.calibrate_logits(self.raw_outputs(features)[:, 0, j], j)

    # -- persistence --------------------------------------------------------------------------------
    def checkpoint(self, *, data_hash: str | None = None, backtest: dict | None = None) -> dict:
        """The checkpoint dict; ``data_hash`` / ``backtest`` default to the model's own (set when loaded)."""
        self._check_fitted()
        return {
            "format_version": CHECKPOINT_VERSION,
            "state_dict": self.model_.state_dict(),
            "config": dataclasses.asdict(self.config_),
            "params": self.get_params(),
            "feature_names": list(self.feature_names_),
            "categories": list(self.categories_),
            "scaler": {"mean": self.scaler_mean_.tolist(), "std": self.scaler_std_.tolist()},
            "spend_scale": float(self.spend_scale_),
            "calibrators": [list(map(float, c)) for c in self.calibrators_],
            "as_of": str(pd.Timestamp(self.as_of_).date()),
            "data_hash": data_hash if data_hash is not None else self.data_hash_,
            "backtest": backtest if backtest is not None else self.backtest_,
            "training": self.training_,
        }

    def save(self, path: str | Path, *, data_hash: str | None = None, backtest: dict | None = None) -> Path:
        """Write the checkpoint atomically, with the hash of the data it was fitted on and its backtest summary."""
        path = Path(path)
        ck = self.checkpoint(data_hash=data_hash, backtest=backtest)
        with atomic_path(path, suffix=".pt") as tmp:
            torch.save(ck, tmp)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "PurchasePredictor":
        """The predictor saved at ``path``, its network rebuilt from the checkpoint's config and state_dict."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no trained predictor; run `mka train` first")
        return read_artifact(path, lambda p: cls.from_checkpoint(load_torch(p), source=str(p)),
                             what="trained predictor")

    @classmethod
    def from_checkpoint(cls, ck: dict, source: str = "checkpoint") -> "PurchasePredictor":
        """The predictor rebuilt from a checkpoint dict (``checkpoint()``; what ``save`` writes)."""
        path = source
        if ck.get("format_version") != CHECKPOINT_VERSION:
            raise ValueError(f"{path}: checkpoint format {ck.get('format_version')} is not supported "
                             f"(expected {CHECKPOINT_VERSION}); retrain with `mka train`")
        est = cls(**{k: (tuple(v) if k == "horizons" else v) for k, v in ck["params"].items()})
        est.model_ = build_net(ck["config"], ck["state_dict"])
        est.config_ = est.model_.cfg
        est.feature_names_ = list(ck["feature_names"])
        est.categories_ = list(ck["categories"])
        est.scaler_mean_ = np.asarray(ck["scaler"]["mean"], dtype=np.float64)
        est.scaler_std_ = np.asarray(ck["scaler"]["std"], dtype=np.float64)
        est.spend_scale_ = float(ck["spend_scale"])
        est.calibrators_ = [tuple(c) for c in ck["calibrators"]]
        est.as_of_ = pd.Timestamp(ck["as_of"])
        est.data_hash_ = ck.get("data_hash")
        est.backtest_ = ck.get("backtest")
        est.training_ = ck.get("training", {})
        return est
