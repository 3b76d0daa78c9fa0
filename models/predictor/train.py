"""Training the purchase network on rolling snapshots: the fit loop, which knows the net and nothing else.

Leakage rules, for a model that may use data before ``as_of`` = C:
- features at a snapshot t use orders before t only (``features_from_prepared``);
- validation (early stopping + calibration) for horizon h uses the snapshot V_h = C - h, labels in [C - h, C);
- a training label window [t, t + h) is used only if it ends by C - max(h) (the purge gap): no training label
  reaches any validation window, and nothing at all reaches C.

``train_net`` returns a ``TrainedNet`` (the network and everything scoring needs with it); the estimator
(``models.predictor.estimator``) turns that into its fitted attributes.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import nn

from models.features import PreparedOrders, default_as_of, features_from_prepared, prepare_orders, week_columns
from models.predictor.net import PredictorConfig, PurchaseNet, static_feature_names, transform_static
from models.runtime import limit_threads

__all__ = ["TrainSettings", "TrainedNet", "train_net", "window_targets", "snapshot_cutoffs"]


@dataclass(frozen=True)
class TrainSettings:
    """Everything one fit needs besides the data (the estimator's hyperparameters; defaults live there)."""

    horizons: tuple[int, ...]
    n_weeks: int
    hidden: int
    conv_channels: int
    dropout: float
    top_categories: int
    snapshot_step_days: int
    max_snapshots: int
    min_history_days: int
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    patience: int
    calibration: str
    random_state: int
    n_threads: int


@dataclass
class TrainedNet:
    """What a fit produces: the network, its input transform (features, scaler, spend scale), calibration."""

    net: PurchaseNet
    config: PredictorConfig
    feature_names: list[str]
    categories: list[str]
    scaler_mean: np.ndarray
    scaler_std: np.ndarray
    spend_scale: float
    calibrators: list[tuple[float, float]]
    as_of: pd.Timestamp
    training: dict


class _Rows(NamedTuple):
    """One row per (snapshot, customer): static features, weekly sequence, targets per horizon, usable mask."""

    xs: np.ndarray
    seq: np.ndarray
    bought: np.ndarray
    n_orders: np.ndarray
    spend: np.ndarray
    mask: np.ndarray


def window_targets(prep: PreparedOrders, cutoff, horizon_days: int, index: pd.Index) -> tuple[np.ndarray, ...]:
    """(bought, n_orders, spend) in [cutoff, cutoff + h) for the customers in ``index``."""
    start = np.datetime64(pd.Timestamp(cutoff).to_datetime64(), "ns")
    end = start + np.timedelta64(int(horizon_days), "D")
    m = (prep.ts >= start) & (prep.ts < end)
    n = np.bincount(prep.cust[m], minlength=len(prep.customers)).astype(np.float64)
    spend = np.clip(np.bincount(prep.cust[m], weights=prep.amount[m], minlength=len(prep.customers)), 0, None)
    pos = prep.customers.get_indexer(index)
    return (n[pos] > 0).astype(np.float32), n[pos].astype(np.float32), spend[pos].astype(np.float32)


def snapshot_cutoffs(first: pd.Timestamp, as_of: pd.Timestamp, step_days: int, min_history_days: int,
                     max_snapshots: int, max_h: int, min_h: int) -> list[pd.Timestamp]:
    """Training cutoffs ``step_days`` apart (the newest kept when capped) whose shortest label window ends by
    as_of - max_h."""
    last = as_of - pd.Timedelta(days=max_h + min_h)
    earliest = first.normalize() + pd.Timedelta(days=min_history_days)
    out = []
    t = last
    while t >= earliest and len(out) < max_snapshots:
        out.append(t)
        t -= pd.Timedelta(days=step_days)
    return sorted(out)


def _platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit P = sigmoid(a * logit + b) by maximum likelihood (two parameters: safe on one snapshot)."""
    from scipy.optimize import minimize

    if len(y) == 0 or y.min() == y.max():
        return 1.0, 0.0
    x = logits.astype(np.float64)
    t = y.astype(np.float64)

    def nll(ab):
        z = ab[0] * x + ab[1]
        # log(1 + e^z) - t z, and its gradient
        loss = np.logaddexp(0, z) - t * z
        g = 1 / (1 + np.exp(-z)) - t
        return loss.mean(), np.array([(g * x).mean(), g.mean()])

    res = minimize(nll, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    a, b = (float(v) for v in res.x)
    if not np.isfinite([a, b]).all() or a <= 0:
        return 1.0, 0.0
    return a, b


class _AdamW:
    """AdamW with decoupled weight decay. Written out because the first ``torch.optim`` optimizer in a process
    imports torch._dynamo (5-10 s here), which dominated quick training and every `mka train`."""

    def __init__(self, params, lr: float, weight_decay: float, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.wd, self.b1, self.b2, self.eps = lr, weight_decay, betas[0], betas[1], eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            p.mul_(1 - self.lr * self.wd)
            m.mul_(self.b1).add_(p.grad, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
            p.addcdiv_(m / c1, (v / c2).sqrt_().add_(self.eps), value=-self.lr)


def _stack(prep: PreparedOrders, cutoffs, horizons, allowed_end: pd.Timestamp, n_weeks: int,
           names: list[str]) -> _Rows | None:
    """Rows for every (snapshot, customer); a horizon's label counts only if its window ends by ``allowed_end``."""
    parts = []
    for t in cutoffs:
        f = features_from_prepared(prep, t, n_weeks=n_weeks)
        if len(f) == 0:
            continue
        targets = [window_targets(prep, t, h, f.index) for h in horizons]
        usable = [np.full(len(f), (t + pd.Timedelta(days=h)) <= allowed_end, dtype=np.float32) for h in horizons]
        parts.append(_Rows(transform_static(f, names), np.log1p(f[week_columns(n_weeks)].to_numpy(np.float64)),
                           *(np.stack([tg[k] for tg in targets], 1) for k in range(3)), np.stack(usable, 1)))
    if not parts:
        return None
    return _Rows(*(np.concatenate(col) for col in zip(*parts)))


def _training_rows(prep: PreparedOrders, as_of: pd.Timestamp, s: TrainSettings, names: list[str]):
    """(snapshot cutoffs, training rows, one validation set per horizon or None) under the leakage rules."""
    horizons = tuple(int(h) for h in s.horizons)
    max_h, min_h = max(horizons), min(horizons)
    first = pd.Timestamp(prep.ts.min())
    cutoffs = snapshot_cutoffs(first, as_of, s.snapshot_step_days, s.min_history_days, s.max_snapshots, max_h, min_h)
    train = _stack(prep, cutoffs, horizons, as_of - pd.Timedelta(days=max_h), s.n_weeks, names)
    if train is None or len(train.xs) < 50:
        raise ValueError(f"orders: {(as_of - first).days} days of history before {as_of.date()} is too little to "
                         f"train on; need at least {s.min_history_days + max_h + min_h} days")
    # validation: one snapshot per horizon, V_h = as_of - h, labels up to as_of
    val = [_stack(prep, [as_of - pd.Timedelta(days=h)], (h,), as_of, s.n_weeks, names) for h in horizons]
    return cutoffs, train, val


class _Data(NamedTuple):
    xs: torch.Tensor
    seq: torch.Tensor
    bought: torch.Tensor
    n_orders: torch.Tensor
    spend: torch.Tensor
    mask: torch.Tensor


def _tensors(rows: _Rows, mean: np.ndarray, std: np.ndarray, spend_scale: float) -> _Data:
    t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    return _Data(t((rows.xs - mean) / std), t(rows.seq), t(rows.bought), t(rows.n_orders),
                 t(rows.spend / spend_scale), t(rows.mask))


_BCE = nn.BCEWithLogitsLoss(reduction="none")
_POISSON = nn.PoissonNLLLoss(log_input=True, full=False, reduction="none")


def _loss(out: torch.Tensor, d: _Data, idx: torch.Tensor) -> torch.Tensor:
    """Masked mean of BCE on buying plus half-weighted Poisson losses on order counts and scaled spend."""
    per = (_BCE(out[:, 0], d.bought[idx]) + 0.5 * _POISSON(out[:, 1], d.n_orders[idx])
           + 0.5 * _POISSON(out[:, 2], d.spend[idx]))
    mb = d.mask[idx]
    return (per * mb).sum() / mb.sum().clamp(min=1.0)


def _val_loss(net: PurchaseNet, val: list[_Data | None]) -> float:
    """Sum over horizons of the BCE on that horizon's validation snapshot."""
    net.eval()
    total = 0.0
    with torch.no_grad():
        for j, v in enumerate(val):
            if v is not None:
                total += float(_BCE(net(v.xs, v.seq)[:, 0, j], v.bought[:, 0]).mean())
    net.train()
    return total


def _fit_epochs(net: PurchaseNet, data: _Data, val: list[_Data | None], s: TrainSettings,
                progress: Callable[[str], None] | None) -> tuple[float, list[dict]]:
    """Mini-batch epochs with early stopping on the validation loss; leaves ``net`` at its best epoch."""
    gen = torch.Generator().manual_seed(s.random_state)
    opt = _AdamW(net.parameters(), lr=s.lr, weight_decay=s.weight_decay)
    best, best_state, bad, history = float("inf"), None, 0, []
    n_rows = len(data.xs)
    for epoch in range(s.epochs):
        net.train()
        perm = torch.randperm(n_rows, generator=gen)
        run = 0.0
        for i in range(0, n_rows, s.batch_size):
            idx = perm[i:i + s.batch_size]
            opt.zero_grad()
            loss = _loss(net(data.xs[idx], data.seq[idx]), data, idx)
            loss.backward()
            opt.step()
            run += float(loss.detach()) * len(idx)
        vl = _val_loss(net, val)
        history.append({"epoch": epoch + 1, "train_loss": run / n_rows, "val_loss": vl})
        if progress:
            progress(f"epoch {epoch + 1}: train {run / n_rows:.4f} val {vl:.4f}")
        if vl < best - 1e-5:
            best, best_state, bad = vl, copy.deepcopy(net.state_dict()), 0
        else:
            bad += 1
            if bad >= s.patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return best, history


def _calibrate(net: PurchaseNet, val: list[_Data | None], method: str) -> list[tuple[float, float]]:
    """Per horizon, Platt scaling on its validation snapshot (identity without one, or with ``"none"``)."""
    out = []
    with torch.no_grad():
        for j, v in enumerate(val):
            if v is None or method == "none":
                out.append((1.0, 0.0))
            else:
                out.append(_platt(net(v.xs, v.seq)[:, 0, j].numpy(), v.bought[:, 0].numpy()))
    return out


def train_net(orders: pd.DataFrame, products: pd.DataFrame | None, settings: TrainSettings, *, as_of=None,
              progress: Callable[[str], None] | None = None) -> TrainedNet:
    """Fit a ``PurchaseNet`` on orders before ``as_of`` (default: the day after the last order)."""
    started = time.perf_counter()
    s = settings
    as_of = pd.Timestamp(as_of) if as_of is not None else default_as_of(orders)
    before = orders[pd.to_datetime(orders["timestamp"]) < as_of]
    if len(before) == 0:
        raise ValueError(f"orders: no rows before as_of={as_of.date()}")
    prep = prepare_orders(before, products, top_categories=s.top_categories)
    names = static_feature_names(prep.categories)
    cutoffs, rows, val_rows = _training_rows(prep, as_of, s, names)
    mean, std = rows.xs.mean(0), rows.xs.std(0)
    std[std < 1e-6] = 1.0
    # spend targets are scaled by the mean order value so the Poisson-style loss works on order-count units
    spend_scale = float(max(np.nansum(prep.gross) / max(len(prep.ts), 1), 1e-3))
    cfg = PredictorConfig(n_static=len(names), n_weeks=s.n_weeks, horizons=tuple(int(h) for h in s.horizons),
                          hidden=s.hidden, conv_channels=s.conv_channels, dropout=s.dropout)
    with limit_threads(s.n_threads):  # this thread only: sessions running beside a fit keep their threads
        torch.manual_seed(s.random_state)
        net = PurchaseNet(cfg)
        data = _tensors(rows, mean, std, spend_scale)
        val = [_tensors(v, mean, std, spend_scale) if v is not None else None for v in val_rows]
        best, history = _fit_epochs(net, data, val, s, progress)
        calibrators = _calibrate(net, val, s.calibration)
    training = {
        "n_snapshots": len(cutoffs),
        "first_snapshot": str(cutoffs[0].date()),
        "last_snapshot": str(cutoffs[-1].date()),
        "n_rows": int(len(rows.xs)),
        "n_customers": int(len(prep.customers)),
        "epochs_run": len(history),
        "best_val_loss": float(best),
        "seconds": round(time.perf_counter() - started, 2),
    }
    return TrainedNet(net=net, config=cfg, feature_names=names, categories=list(prep.categories),
                      scaler_mean=mean.astype(np.float64), scaler_std=std.astype(np.float64), spend_scale=spend_scale,
                      calibrators=calibrators, as_of=as_of, training=training)
