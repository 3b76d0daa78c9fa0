"""Training the purchase predictor on rolling snapshots, and the workspace pipeline step ``train_workspace``.

Leakage rules, for a model that may use data before ``as_of`` = C:
- features at a snapshot t use orders before t only (``features_from_prepared``);
- validation (early stopping + calibration) for horizon h uses the snapshot V_h = C - h, labels in [C - h, C);
- a training label window [t, t + h) is used only if it ends by C - max(h) (the purge gap): no training label
  reaches any validation window, and nothing at all reaches C.
"""

from __future__ import annotations

import copy
import time
from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import nn

from models.features import PreparedOrders, features_from_prepared, prepare_orders, week_columns
from models.runtime import limit_threads

__all__ = ["fit_predictor", "window_targets", "train_workspace", "snapshot_cutoffs", "default_as_of"]

DAY = pd.Timedelta(days=1)


def default_as_of(orders: pd.DataFrame) -> pd.Timestamp:
    """The day after the last order (midnight): everything in the data is before it."""
    return pd.Timestamp(orders["timestamp"].max()).normalize() + DAY


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
    """Weekly training cutoffs t (newest first kept) whose shortest label window ends by as_of - max_h."""
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


def _stack(prep, cutoffs, horizons, allowed_end, est, names):
    """Rows for every (snapshot, customer): static, seq, targets and a mask of usable horizons."""
    from models.predictor.estimator import transform_static

    xs, seqs, ys, ns, ss, masks = [], [], [], [], [], []
    for t in cutoffs:
        f = features_from_prepared(prep, t, n_weeks=est.n_weeks)
        if len(f) == 0:
            continue
        xs.append(transform_static(f, names))
        seqs.append(np.log1p(f[week_columns(est.n_weeks)].to_numpy(np.float64)))
        y, n, s, mk = [], [], [], []
        for h in horizons:
            b, cnt, sp = window_targets(prep, t, h, f.index)
            ok = (t + pd.Timedelta(days=h)) <= allowed_end
            y.append(b), n.append(cnt), s.append(sp), mk.append(np.full(len(f), ok, dtype=np.float32))
        ys.append(np.stack(y, 1)), ns.append(np.stack(n, 1)), ss.append(np.stack(s, 1)), masks.append(np.stack(mk, 1))
    if not xs:
        return None
    return [np.concatenate(a) for a in (xs, seqs, ys, ns, ss, masks)]


def fit_predictor(est, orders: pd.DataFrame, products: pd.DataFrame | None = None, *, as_of=None,
                  progress: Callable[[str], None] | None = None) -> None:
    """Fit ``est`` (a ``PurchasePredictor``) in place on orders before ``as_of``."""
    from models.predictor.estimator import PredictorConfig, PurchaseNet, static_feature_names

    started = time.perf_counter()
    horizons = tuple(int(h) for h in est.horizons)
    max_h, min_h = max(horizons), min(horizons)
    as_of = pd.Timestamp(as_of) if as_of is not None else default_as_of(orders)
    before = orders[pd.to_datetime(orders["timestamp"]) < as_of]
    if len(before) == 0:
        raise ValueError(f"orders: no rows before as_of={as_of.date()}")
    prep = prepare_orders(before, products, top_categories=est.top_categories)
    first = pd.Timestamp(prep.ts.min())
    names = static_feature_names(prep.categories)

    train_end = as_of - pd.Timedelta(days=max_h)
    cutoffs = snapshot_cutoffs(first, as_of, est.snapshot_step_days, est.min_history_days, est.max_snapshots,
                               max_h, min_h)
    train = _stack(prep, cutoffs, horizons, train_end, est, names)
    if train is None or len(train[0]) < 50:
        span = (as_of - first).days
        raise ValueError(f"orders: {span} days of history before {as_of.date()} is too little to train on; "
                         f"need at least {est.min_history_days + max_h + min_h} days")
    # validation: one snapshot per horizon, V_h = as_of - h, labels up to as_of
    val = []
    for j, h in enumerate(horizons):
        v = _stack(prep, [as_of - pd.Timedelta(days=h)], (h,), as_of, est, names)
        val.append(v)

    xs, seq, y, n, s, mask = train
    mean = xs.mean(0)
    std = xs.std(0)
    std[std < 1e-6] = 1.0
    # spend targets are scaled by the mean order value so the Poisson-style loss works on order-count units
    spend_scale = float(max(np.nansum(prep.gross) / max(len(prep.ts), 1), 1e-3))

    torch.manual_seed(est.random_state)
    gen = torch.Generator().manual_seed(est.random_state)
    with limit_threads(est.n_threads):  # this thread only: sessions running beside a fit keep their threads
        cfg = PredictorConfig(n_static=len(names), n_weeks=est.n_weeks, horizons=horizons, hidden=est.hidden,
                              conv_channels=est.conv_channels, dropout=est.dropout)
        net = PurchaseNet(cfg)
        T = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
        Xs, Sq = T((xs - mean) / std), T(seq)
        Y, N, Sp, M = T(y), T(n), T(s / spend_scale), T(mask)
        Vt = [(T((v[0] - mean) / std), T(v[1]), T(v[2][:, 0]), T(v[3][:, 0]), T(v[4][:, 0] / spend_scale))
              if v is not None else None for v in val]
        opt = _AdamW(net.parameters(), lr=est.lr, weight_decay=est.weight_decay)
        bce = nn.BCEWithLogitsLoss(reduction="none")
        pois = nn.PoissonNLLLoss(log_input=True, full=False, reduction="none")

        def loss_fn(out, yb, nb, sb, mb):
            per = bce(out[:, 0], yb) + 0.5 * pois(out[:, 1], nb) + 0.5 * pois(out[:, 2], sb)
            return (per * mb).sum() / mb.sum().clamp(min=1.0)

        def val_loss() -> float:
            net.eval()
            total = 0.0
            with torch.no_grad():
                for j, v in enumerate(Vt):
                    if v is None:
                        continue
                    out = net(v[0], v[1])[:, :, j]
                    total += float(bce(out[:, 0], v[2]).mean())
            net.train()
            return total

        best, best_state, bad, history = float("inf"), None, 0, []
        n_rows = len(Xs)
        for epoch in range(est.epochs):
            net.train()
            perm = torch.randperm(n_rows, generator=gen)
            run = 0.0
            for i in range(0, n_rows, est.batch_size):
                idx = perm[i:i + est.batch_size]
                opt.zero_grad()
                loss = loss_fn(net(Xs[idx], Sq[idx]), Y[idx], N[idx], Sp[idx], M[idx])
                loss.backward()
                opt.step()
                run += float(loss.detach()) * len(idx)
            vl = val_loss()
            history.append({"epoch": epoch + 1, "train_loss": run / n_rows, "val_loss": vl})
            if progress:
                progress(f"epoch {epoch + 1}: train {run / n_rows:.4f} val {vl:.4f}")
            if vl < best - 1e-5:
                best, best_state, bad = vl, copy.deepcopy(net.state_dict()), 0
            else:
                bad += 1
                if bad >= est.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        calibrators = []
        with torch.no_grad():
            for j, v in enumerate(Vt):
                if v is None or est.calibration == "none":
                    calibrators.append((1.0, 0.0))
                    continue
                logits = net(v[0], v[1])[:, 0, j].numpy()
                calibrators.append(_platt(logits, v[2].numpy()))

    est.config_ = cfg
    est.model_ = net
    est.feature_names_ = names
    est.categories_ = list(prep.categories)
    est.scaler_mean_ = mean.astype(np.float64)
    est.scaler_std_ = std.astype(np.float64)
    est.spend_scale_ = spend_scale
    est.calibrators_ = calibrators
    est.as_of_ = as_of
    est.training_ = {
        "n_snapshots": len(cutoffs),
        "first_snapshot": str(cutoffs[0].date()),
        "last_snapshot": str(cutoffs[-1].date()),
        "n_rows": int(n_rows),
        "n_customers": int(len(prep.customers)),
        "epochs_run": len(history),
        "best_val_loss": float(best),
        "seconds": round(time.perf_counter() - started, 2),
    }


def train_workspace(ws, horizons=(7, 14, 30), quick: bool = False, progress: bool = True) -> dict:
    """Backtest the predictor against the baselines, fit the final model on all data, save the artifacts.

    Writes ``artifacts/predictor.pt`` and ``artifacts/backtest.json`` atomically and records ``predictor``
    in the manifest. ``quick`` = few snapshots, epochs and backtest cutoffs (tests, demos).
    """
    import json

    from models.data.atomic import atomic_write_text
    from models.predictor.backtest import run_backtest, summarize_for_card
    from models.predictor.estimator import PurchasePredictor

    say = (lambda m: print(m, flush=True)) if progress else (lambda m: None)
    started = time.perf_counter()
    orders = ws.read_table("orders")
    products = ws.read_table("products") if ws.has_table("products") else None
    params = quick_params() if quick else {}
    horizons = tuple(int(h) for h in horizons)
    say(f"backtest: {'quick' if quick else 'full'} run over {'3' if quick else '8'} cutoffs ...")
    bt = run_backtest(orders, products, horizons=horizons, n_cutoffs=3 if quick else 8,
                      model_params=dict(params, horizons=horizons), progress=say)
    as_of = default_as_of(orders)
    say(f"final model: fitting on all orders before {as_of.date()} ...")
    est = PurchasePredictor(horizons=horizons, **params).fit(orders, products, as_of=as_of)
    est.data_hash_ = ws.data_hash()
    est.backtest_ = summarize_for_card(bt)
    path = est.save(ws.artifact_path("predictor.pt"))
    bt_path = ws.artifact_path("backtest.json")
    bt_doc = dict(bt, as_of=str(as_of.date()), data_hash=est.data_hash_)
    atomic_write_text(bt_path, json.dumps(bt_doc, indent=2, default=_json_default))
    info = {
        "path": str(path.relative_to(ws.path)),
        "backtest_path": str(bt_path.relative_to(ws.path)),
        "as_of": str(as_of.date()),
        "data_hash": est.data_hash_,
        "horizons": list(horizons),
        "quick": bool(quick),
        "training": est.training_,
        "metrics": {str(h): est.backtest_.get(str(h), {}).get("model", {}) for h in horizons},
        "seconds": round(time.perf_counter() - started, 1),
    }
    ws.record_artifact("predictor", info)
    say(f"saved {path} ({info['seconds']} s)")
    return info


def quick_params() -> dict:
    """Settings for tests and the quick demo: a handful of snapshots and epochs."""
    return {"max_snapshots": 10, "snapshot_step_days": 14, "epochs": 8, "patience": 3, "hidden": 32,
            "batch_size": 256}


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, (pd.Timestamp,)):
        return str(o.date())
    return str(o)
