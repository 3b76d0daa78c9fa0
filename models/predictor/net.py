"""The purchase network: a small PyTorch model over static features and the weekly purchase sequence.

``PurchaseNet`` (next to its ``@dataclass`` config, as in nanoGPT's ``model.py``) maps one customer's features
at a cutoff to, for each horizon h: the logit of P(>= 1 purchase in [cutoff, cutoff + h)), log expected orders
and log expected spend. ``build_net`` rebuilds it from a checkpoint's config and state_dict. This module knows
nothing of training (``models.predictor.train``) or of the estimator (``models.predictor.estimator``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from models.features import STATIC_FEATURES
from models.predictor import DEFAULT_HORIZONS

__all__ = ["PredictorConfig", "PurchaseNet", "build_net", "transform_static", "static_feature_names"]

# features kept as they are (already shares in [0, 1]); everything else is a count, amount or duration and
# gets a signed log1p so heavy tails do not dominate the scaler
_SHARE_FEATURES = {"return_share", "discount_share", "coupon_share", "tenure_in_window", "active_weeks_share"}


def transform_static(frame: pd.DataFrame, names: list[str], dtype=np.float64) -> np.ndarray:
    """The static features ``names`` of ``frame`` as a matrix, counts and amounts signed-log1p'd, NaN → 0."""
    x = frame.reindex(columns=names).to_numpy(dtype, na_value=0.0)
    logged = np.flatnonzero([not (n in _SHARE_FEATURES or n.startswith("cat_share__")) for n in names])
    sub = x[:, logged]
    x[:, logged] = np.copysign(np.log1p(np.abs(sub)), sub)
    return np.nan_to_num(x, copy=False, nan=0.0, posinf=0.0, neginf=0.0)


@dataclass
class PredictorConfig:
    n_static: int
    n_weeks: int = 26
    horizons: tuple[int, ...] = DEFAULT_HORIZONS
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


def static_feature_names(categories: list[str]) -> list[str]:
    """The static features the network sees, in order (the category shares of this fit appended)."""
    return list(STATIC_FEATURES) + [f"cat_share__{c}" for c in categories]


def build_net(config: dict, state_dict: dict) -> PurchaseNet:
    """The network a checkpoint describes (its ``config`` dict and ``state_dict``), in eval mode."""
    cfg = dict(config, horizons=tuple(int(h) for h in config["horizons"]))
    net = PurchaseNet(PredictorConfig(**cfg))  # TypeError for a config of another version
    net.load_state_dict(state_dict)
    return net.eval()
