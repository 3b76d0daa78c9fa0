"""The purchase predictor: a small PyTorch network over static features and the weekly purchase sequence.

``PurchaseNet`` (next to its ``@dataclass`` config) maps one customer's features at a cutoff to, for each
horizon h: the logit of P(>= 1 purchase in [cutoff, cutoff + h)), log expected orders and log expected spend.
``PurchasePredictor`` wraps it in the scikit-learn estimator contract (hyperparameters in ``__init__``,
``fit`` returns self, learned state ends in ``_``, ``NotFittedError`` before fit) and saves/loads one
checkpoint: state_dict + config + feature list + scaler + calibrators + as_of + data hash + backtest metrics.
Training itself (rolling snapshots, purge gap, early stopping, calibration) lives in ``models.predictor.train``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from models.data.atomic import atomic_path
from models.data.errors import NotFittedError
from models.features import STATIC_FEATURES, features_at, week_columns

__all__ = ["PredictorConfig", "PurchaseNet", "PurchasePredictor", "transform_static", "static_feature_names",
           "CHECKPOINT_VERSION"]

CHECKPOINT_VERSION = 1

# features kept as they are (already shares in [0, 1]); everything else is a count, amount or duration and
# gets a signed log1p so heavy tails do not dominate the scaler
_SHARE_FEATURES = {"return_share", "discount_share", "coupon_share", "tenure_in_window", "active_weeks_share"}


def transform_static(frame: pd.DataFrame, names: list[str], dtype=np.float64) -> np.ndarray:
    x = frame.reindex(columns=names).to_numpy(dtype, na_value=0.0)
    logged = np.flatnonzero([not (n in _SHARE_FEATURES or n.startswith("cat_share__")) for n in names])
    sub = x[:, logged]
    x[:, logged] = np.copysign(np.log1p(np.abs(sub)), sub)
    return np.nan_to_num(x, copy=False, nan=0.0, posinf=0.0, neginf=0.0)


@dataclass
class PredictorConfig:
    n_static: int
    n_weeks: int = 26
    horizons: tuple[int, ...] = (7, 14, 30)
    hidden: int = 48
    conv_channels: int = 8
    dropout: float = 0.1


class PurchaseNet(nn.Module):
    """Static MLP + dilated 1-D convolution over the weekly order counts → per-horizon heads."""

    def __init__(self, cfg: PredictorConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ch = cfg.conv_channels
        self.static = nn.Sequential(nn.Linear(cfg.n_static, cfg.hidden), nn.ReLU())
        # week_00 (most recent) is position 0; the first conv output summarizes the latest weeks. Strided
        # kernels keep the backward pass cheap on CPU (it dominated training time with stride 1).
        self.conv = nn.Sequential(
            nn.Conv1d(1, ch, kernel_size=4, stride=2), nn.ReLU(),
            nn.Conv1d(ch, ch, kernel_size=3, stride=1), nn.ReLU(),
        )
        self.trunk = nn.Sequential(nn.Linear(cfg.hidden + 2 * ch, cfg.hidden), nn.ReLU(), nn.Dropout(cfg.dropout))
        # per horizon: logit P(buy), log E[orders], log E[spend / spend_scale]
        self.head = nn.Linear(cfg.hidden, 3 * len(cfg.horizons))

    def forward(self, x_static: torch.Tensor, x_seq: torch.Tensor) -> torch.Tensor:
        s = self.static(x_static)
        c = self.conv(x_seq.unsqueeze(1))
        z = torch.cat([s, c[:, :, 0], c.mean(dim=2)], dim=1)
        out = self.head(self.trunk(z))
        return out.view(-1, 3, len(self.cfg.horizons))  # [:, 0] logits, [:, 1] log orders, [:, 2] log spend


class PurchasePredictor:
    """P(>= 1 purchase within h days), expected orders and spend, for several horizons at once.

    ``fit(orders, products=None, as_of=None)`` uses only orders before ``as_of`` (default: the day after
    the last order). ``predict(features)`` takes the output of ``features_at`` (see ``features``).
    """

    def __init__(
        self,
        horizons: tuple[int, ...] = (7, 14, 30),
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

    # -- sklearn plumbing ---------------------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict:
        import inspect

        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def set_params(self, **params) -> "PurchasePredictor":
        for k, v in params.items():
            if k not in self.get_params():
                raise ValueError(f"unknown parameter {k!r} for PurchasePredictor")
            setattr(self, k, v)
        return self

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
    def fit(self, orders: pd.DataFrame, products: pd.DataFrame | None = None, as_of=None,
            progress=None) -> "PurchasePredictor":
        from models.predictor.train import fit_predictor  # training lives in its own module

        if len(orders) == 0:
            raise ValueError("orders: no rows to train on")
        if progress is None and self.verbose:
            progress = print
        fit_predictor(self, orders, products, as_of=as_of, progress=progress)
        return self

    # -- inference ----------------------------------------------------------------------------------
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
    def checkpoint(self) -> dict:
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
            "data_hash": getattr(self, "data_hash_", None),
            "backtest": getattr(self, "backtest_", None),
            "training": self.training_,
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        with atomic_path(path, suffix=".pt") as tmp:
            torch.save(self.checkpoint(), tmp)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "PurchasePredictor":
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no trained predictor; run `mka train` first")
        ck = torch.load(path, map_location="cpu", weights_only=True)
        if ck.get("format_version") != CHECKPOINT_VERSION:
            raise ValueError(f"{path}: checkpoint format {ck.get('format_version')} is not supported "
                             f"(expected {CHECKPOINT_VERSION}); retrain with `mka train`")
        est = cls(**{k: (tuple(v) if k == "horizons" else v) for k, v in ck["params"].items()})
        cfg = dict(ck["config"])
        cfg["horizons"] = tuple(cfg["horizons"])
        est.config_ = PredictorConfig(**cfg)
        est.model_ = PurchaseNet(est.config_)
        est.model_.load_state_dict(ck["state_dict"])
        est.model_.eval()
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


# feature list the network sees, in order (categories appended per fit)
def static_feature_names(categories: list[str]) -> list[str]:
    return list(STATIC_FEATURES) + [f"cat_share__{c}" for c in categories]
