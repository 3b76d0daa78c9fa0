"""A Transformer over each customer's sequence of baskets, mixed with the repeat signal.

- Tokens: products in at least ``min_count`` baskets are their own token; rarer products back off to their
  category's token (``Baskets.item_group``), or to one shared "rare" token when the orders carry no category.
- A basket is the mean of its tokens' embeddings (an EmbeddingBag), plus an embedding of the time gap since the
  previous basket (log-spaced day buckets); no absolute position (a window's last slot is where every
  prediction is read, whatever the window's length: the causal mask and the gaps carry the order). A causal Transformer encoder reads the last
  ``max_baskets`` baskets; the output at basket t scores every token for basket t + 1 (tied output embeddings;
  a softmax over tokens, the target spread evenly over the next basket's tokens). A category token's probability
  is shared among its rare products by their popularity.
- Most next-basket recall comes from repeat items (ReCANet, TIFU-KNN, the reality check of Li et al.), so the
  final score mixes the model with a repeat method (TIFU-KNN by default), both normalised to sum to one:
  ``(1 - mix) * repeat + mix * transformer``. ``mix`` is chosen on an inner split (each customer's last
  training basket, never a training target of the network): ``mix = 0`` is the repeat method itself;
  ``mix_metric`` says which inner metric picks it (Recall@10 or NDCG@10).
- ``blend="rerank"`` instead learns the combination (``models.recommend.rerank``): a gradient-boosted re-ranker
  of each customer's candidates (the repeat method's and the network's top ``n_candidates``) on the same inner
  split, from both scores, their ranks and the customer's own history of the item.

Same contract as the baselines: ``fit(baskets)`` returns self; ``scores(rows)`` a dense score block.
torch is imported inside ``fit`` and ``scores`` only.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from .baselines import BASELINES, Baskets, GTopFreq, drop_last, last_baskets
from .rerank import candidate_features, candidates, fit_reranker, history_stats, lift_candidates
from .topk import topk

__all__ = ["NextBasketTransformer", "GAP_EDGES", "gap_bucket"]

# days since the previous basket -> bucket (0: the first basket of a window's customer history)
GAP_EDGES = np.array([0.5, 1.5, 2.5, 3.5, 5.5, 7.5, 10.5, 14.5, 21.5, 30.5, 60.5, 120.5])


def gap_bucket(gap_days: np.ndarray) -> np.ndarray:
    """1 + the log-spaced bucket of each gap; NaN (no previous basket) -> 0."""
    g = np.asarray(gap_days, dtype=np.float64)
    out = 1 + np.searchsorted(GAP_EDGES, np.nan_to_num(g, nan=0.0))
    out[np.isnan(g)] = 0
    return out.astype(np.int64)


class NextBasketTransformer:
    """Hyperparameters: ``min_count`` (baskets a product needs for its own token), ``max_baskets`` (sequence
    length), ``max_items`` (tokens kept per input basket), ``dim``, ``heads``, ``layers``, ``dropout``, ``epochs``,
    ``batch_size``, ``lr``, ``weight_decay``, ``repeat`` (the repeat method it is mixed with) and
    ``repeat_params``, ``blend`` ("mix": a linear mix, or "rerank": a learned re-ranker), ``mix_grid`` (mixing
    weights tried), ``mix_metric`` ("recall" or "ndcg": the inner metric that picks the mix), ``n_candidates``
    (per source, for "rerank"), ``max_seconds`` (stop training early past this), ``random_state``,
    ``n_threads``."""

    name = "Transformer"

    def __init__(self, min_count: int = 10, max_baskets: int = 32, max_items: int = 32, dim: int = 64,
                 heads: int = 4, layers: int = 2, dropout: float = 0.1, epochs: int = 8, batch_size: int = 64,
                 lr: float = 2e-3, weight_decay: float = 1e-5, repeat: str = "tifu-knn",
                 repeat_params: dict | None = None, blend: str = "mix",
                 mix_grid: tuple = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), mix_metric: str = "recall",
                 n_candidates: int = 50, max_seconds: float | None = None, random_state: int = 0,
                 n_threads: int = 2) -> None:
        self.min_count, self.max_baskets, self.max_items = min_count, max_baskets, max_items
        self.dim, self.heads, self.layers, self.dropout = dim, heads, layers, dropout
        self.epochs, self.batch_size, self.lr, self.weight_decay = epochs, batch_size, lr, weight_decay
        self.repeat, self.repeat_params, self.blend, self.mix_grid = repeat, repeat_params, blend, mix_grid
        self.mix_metric, self.n_candidates = mix_metric, n_candidates
        self.max_seconds, self.random_state, self.n_threads = max_seconds, random_state, n_threads

    # ---- data -------------------------------------------------------------------------------------------
    def _vocab(self, b: Baskets) -> None:
        cnt = np.asarray(b.B.sum(axis=0)).ravel()
        frequent = np.flatnonzero(cnt >= self.min_count)
        groups = b.item_group if b.item_group is not None else np.full(len(b.items), "", dtype=object)
        rare = np.setdiff1d(np.arange(len(b.items)), frequent)
        gnames = np.unique(groups[rare].astype(str)) if len(rare) else np.array([], dtype=object)
        tok = np.empty(len(b.items), dtype=np.int64)
        tok[frequent] = np.arange(len(frequent))
        if len(rare):
            tok[rare] = len(frequent) + np.searchsorted(gnames, groups[rare].astype(str))
        self.item_token_, self.n_tokens_ = tok, len(frequent) + len(gnames)
        self.frequent_ = frequent
        # a rare item's share of its back-off token (by popularity), a frequent item's is 1
        share = np.ones(len(b.items))
        if len(rare):
            tot = np.bincount(tok[rare], weights=cnt[rare], minlength=self.n_tokens_)
            share[rare] = cnt[rare] / np.maximum(tot[tok[rare]], 1e-12)
        self.item_share_ = share

    def _sequences(self, b: Baskets):
        """Chronological baskets: per customer row the ordered basket ids; per basket its tokens (CSR) and gap."""
        order = np.lexsort((-b.basket_rank_from_end, b.basket_user))
        Bt = b.B[order].tocsr()
        tok = self.item_token_[Bt.indices]
        rows = np.repeat(np.arange(Bt.shape[0]), np.diff(Bt.indptr))
        T = sp.csr_matrix((np.ones(len(tok)), (rows, tok)), shape=(Bt.shape[0], self.n_tokens_))
        T.sum_duplicates()
        indptr, indices = T.indptr.copy(), T.indices.astype(np.int64)
        user = b.basket_user[order]
        day = b.basket_day[order] if b.basket_day is not None else np.arange(len(order), dtype=np.float64)
        gap = np.full(len(order), np.nan)
        same = np.r_[False, user[1:] == user[:-1]]
        gap[same] = np.diff(day)[same[1:]]
        starts = np.r_[0, np.cumsum(b.n_baskets)[:-1]]
        return indptr, indices, gap_bucket(gap), starts, b.n_baskets.copy()

    def _bags(self, slots: np.ndarray, indptr: np.ndarray, indices: np.ndarray, rng=None):
        """Flat tokens and offsets of the baskets in ``slots`` (-1: an empty bag), at most ``max_items`` each."""
        flat = slots.ravel()
        real = flat >= 0
        lens = np.zeros(len(flat), dtype=np.int64)
        lens[real] = np.diff(indptr)[flat[real]]
        take = np.minimum(lens, self.max_items)
        offsets = np.r_[0, np.cumsum(take)[:-1]]
        start = np.zeros(len(flat), dtype=np.int64)
        start[real] = indptr[flat[real]]
        within = np.arange(take.sum()) - np.repeat(offsets, take)
        if rng is not None and (lens > take).any():  # a random subset of an oversized basket
            shift = np.where(lens > take, rng.integers(0, np.maximum(lens - take + 1, 1)), 0)
            start = start + shift
        return indices[np.repeat(start, take) + within], offsets

    # ---- network ----------------------------------------------------------------------------------------
    def _net(self):
        import torch
        from torch import nn

        d, n_tok, L = self.dim, self.n_tokens_, self.max_baskets

        class Net(nn.Module):
            def __init__(self, outer) -> None:
                super().__init__()
                self.bag = nn.EmbeddingBag(n_tok, d, mode="mean")
                self.gap = nn.Embedding(len(GAP_EDGES) + 2, d)
                layer = nn.TransformerEncoderLayer(d, outer.heads, 2 * d, outer.dropout, batch_first=True,
                                                   norm_first=True)
                self.enc = nn.TransformerEncoder(layer, outer.layers, enable_nested_tensor=False)
                self.norm = nn.LayerNorm(d)
                self.bias = nn.Parameter(torch.zeros(n_tok))
                nn.init.normal_(self.bag.weight, std=0.1)
                self.register_buffer("causal", torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1))

            def forward(self, tokens, offsets, gaps, pad):
                n, length = gaps.shape
                x = self.bag(tokens, offsets).view(n, length, d)
                x = x + self.gap(gaps)  # no absolute position: order comes from the causal mask and the gaps
                h = self.enc(x, mask=self.causal[:length, :length], src_key_padding_mask=pad)
                return self.norm(h)

            def logits(self, h):
                return h @ self.bag.weight.T + self.bias

        return Net(self)

    def _batch(self, windows, seq, rng=None):
        import torch

        indptr, indices, gaps, starts, _ = seq
        L = self.max_baskets
        n = len(windows)
        slots = np.full((n, L), -1, dtype=np.int64)
        for i, (s, e) in enumerate(windows):
            slots[i, :e - s] = np.arange(s, e)
        tokens, offsets = self._bags(slots, indptr, indices, rng)
        g = np.where(slots >= 0, gaps[np.maximum(slots, 0)], 0)
        return (slots, torch.from_numpy(tokens), torch.from_numpy(offsets), torch.from_numpy(g),
                torch.from_numpy(slots < 0))

    # ---- fit / score ------------------------------------------------------------------------------------
    def fit(self, b: Baskets) -> "NextBasketTransformer":
        import torch

        from models.runtime import limit_threads

        if self.blend not in ("mix", "rerank"):
            raise ValueError(f"blend={self.blend!r}: expected 'mix' (a linear mix) or 'rerank' (a learned re-ranker)")
        if self.mix_metric not in ("recall", "ndcg"):
            raise ValueError(f"mix_metric={self.mix_metric!r}: expected 'recall' or 'ndcg'")
        t0 = time.perf_counter()
        self.pop_ = GTopFreq().fit(b).pop_
        self._vocab(b)
        inner = drop_last(b)
        seq = self._sequences(b)
        indptr, indices, _, starts, counts = seq
        L = self.max_baskets
        # training windows over every customer's baskets except the last (kept for choosing ``mix``); the input
        # window [s, e) predicts baskets s+1 .. e, all before the last one
        windows = []
        for u in np.flatnonzero(counts >= 3):
            last_input = starts[u] + counts[u] - 3   # the input that predicts the last training basket
            e = last_input + 1
            while e > starts[u]:
                s = max(starts[u], e - L)
                windows.append((s, e))
                e = s
        windows = np.array(windows, dtype=np.int64).reshape(-1, 2)
        rng = np.random.default_rng(self.random_state)
        self.loss_history_ = []
        with limit_threads(self.n_threads):
            torch.manual_seed(self.random_state)
            net = self._net()
            opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            steps = max(1, self.epochs * ((len(windows) + self.batch_size - 1) // self.batch_size))
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=steps, pct_start=0.1)
            done = 0
            for epoch in range(self.epochs if len(windows) else 0):
                net.train()
                perm = rng.permutation(len(windows))
                total, nb = 0.0, 0
                for s in range(0, len(perm), self.batch_size):
                    w = windows[perm[s:s + self.batch_size]]
                    slots, tokens, offsets, g, pad = self._batch(w, seq, rng)
                    # the target of slot (i, t) is the basket after it, when that one is in the window's customer
                    nxt = np.where(slots >= 0, slots + 1, -1)
                    nxt[np.arange(len(w)), w[:, 1] - w[:, 0] - 1] = w[:, 1]
                    flat = nxt.ravel()
                    pos = np.flatnonzero(flat >= 0)
                    ln = np.diff(indptr)[flat[pos]]
                    cols = indices[np.repeat(indptr[flat[pos]], ln) + (np.arange(ln.sum()) - np.repeat(
                        np.r_[0, np.cumsum(ln)[:-1]], ln))]
                    rows = np.repeat(np.arange(len(pos)), ln)
                    h = net(tokens, offsets, g, pad).reshape(-1, self.dim)[torch.from_numpy(pos)]
                    logits = net.logits(h)
                    lse = torch.logsumexp(logits, dim=1)
                    picked = logits[torch.from_numpy(rows), torch.from_numpy(cols)]
                    w_row = torch.from_numpy(1.0 / ln[rows]).float()
                    loss = (lse.sum() - (picked * w_row).sum()) / len(pos)
                    opt.zero_grad()
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                    opt.step()
                    if done < steps - 1:
                        sched.step()
                    done += 1
                    total, nb = total + float(loss.detach()), nb + 1
                self.loss_history_.append(round(total / max(nb, 1), 4))
                if self.max_seconds is not None and time.perf_counter() - t0 > self.max_seconds:
                    break
            net.eval()
            self.net_, self.seq_ = net, seq
            # choose the mix (or fit the re-ranker) on each customer's last basket, from everything before it
            self.reranker_, self.rerank_info_ = None, {}
            if self.blend == "rerank":
                self.mix_, self.mix_recall_, self.mix_ndcg_ = None, {}, {}
                self.reranker_, self.rerank_info_ = self._fit_reranker(b, inner)
            else:
                self.mix_, self.mix_recall_, self.mix_ndcg_ = self._choose_mix(b, inner)
            self.repeat_ = BASELINES[self.repeat](**(self.repeat_params or {})).fit(b)
            if self.blend == "rerank":
                self.stats_, self.n_baskets_ = history_stats(b), b.n_baskets.copy()
        self.seconds_ = round(time.perf_counter() - t0, 1)
        return self

    def _model_probs(self, rows: np.ndarray, end_offset: int = 0, chunk: int = 256) -> np.ndarray:
        """P(item) from the network for each customer row, reading its baskets up to ``end_offset`` before
        its last (0: all of them); a row with no basket to read gets zeros."""
        import torch

        indptr, indices, gaps, starts, counts = self.seq_
        out = np.zeros((len(rows), len(self.item_token_)), dtype=np.float64)
        with torch.no_grad():
            for c in range(0, len(rows), chunk):
                r = rows[c:c + chunk]
                e = starts[r] + counts[r] - end_offset
                s = np.maximum(starts[r], e - self.max_baskets)
                ok = e > s
                if not ok.any():
                    continue
                w = np.stack([s[ok], e[ok]], axis=1)
                _, tokens, offsets, g, pad = self._batch(w, self.seq_)
                h = self.net_(tokens, offsets, g, pad)
                last = torch.from_numpy(w[:, 1] - w[:, 0] - 1)
                p = torch.softmax(self.net_.logits(h[torch.arange(len(w)), last]), dim=1).double().numpy()
                out[np.flatnonzero(ok) + c] = p[:, self.item_token_] * self.item_share_
        return out

    def _mixed(self, rep: np.ndarray, model: np.ndarray, mix: float) -> np.ndarray:
        rep = rep / np.maximum(rep.sum(axis=1, keepdims=True), 1e-12)
        return (1 - mix) * rep + mix * model + 1e-12 * self.pop_

    def _choose_mix(self, b: Baskets, inner: Baskets, k: int = 10, max_customers: int = 3000):
        """(the mix with the best inner ``mix_metric``, Recall@k by mix, NDCG@k by mix)."""
        target = last_baskets(b)
        rows = np.array(sorted(u for u in target if inner.n_baskets[u] >= 1), dtype=np.int64)
        if len(rows) == 0:
            return 0.0, {}, {}
        if len(rows) > max_customers:
            rows = np.sort(np.random.default_rng(self.random_state).choice(rows, max_customers, replace=False))
        rep = BASELINES[self.repeat](**(self.repeat_params or {})).fit(inner).scores(rows)
        model = self._model_probs(rows, end_offset=1)
        disc = 1 / np.log2(np.arange(2, k + 2))
        recall, ndcg = {}, {}
        for mix in self.mix_grid:
            top = topk(self._mixed(rep, model, float(mix)), k)
            hit = np.array([np.isin(top[i], target[u]) for i, u in enumerate(rows)], dtype=np.float64)
            n_t = np.array([len(target[u]) for u in rows])
            idcg = np.cumsum(disc)[np.minimum(n_t, k) - 1]
            recall[float(mix)] = round(float(np.mean(hit.sum(axis=1) / n_t)), 4)
            ndcg[float(mix)] = round(float(np.mean((hit * disc).sum(axis=1) / idcg)), 4)
        by = recall if self.mix_metric == "recall" else ndcg
        best = max(by.values())
        return min(m for m, v in by.items() if v >= best - 1e-9), recall, ndcg  # ties: the least model weight

    def _rerank_features(self, rep_model, stats, n_baskets, pop, rows, end_offset):
        rep = rep_model.scores(rows)
        own = rep_model.own_[rows].toarray() if hasattr(rep_model, "own_") else rep
        model = self._model_probs(rows, end_offset=end_offset)
        cand = candidates(rep, model, self.n_candidates)
        return cand, candidate_features(rows, cand, rep, own, model, *stats, n_baskets, pop), rep

    def _fit_reranker(self, b: Baskets, inner: Baskets, chunk: int = 256):
        """The re-ranker fitted on every customer's last training basket (features from the baskets before it:
        the repeat method refitted on them, the network reading up to the one before)."""
        target = last_baskets(b)
        rows = np.array(sorted(u for u in target if inner.n_baskets[u] >= 1), dtype=np.int64)
        rep_model = BASELINES[self.repeat](**(self.repeat_params or {})).fit(inner)
        stats, pop = history_stats(inner), GTopFreq().fit(inner).pop_
        Xs, ys = [], []
        for c in range(0, len(rows), chunk):
            r = rows[c:c + chunk]
            cand, X, _ = self._rerank_features(rep_model, stats, inner.n_baskets, pop, r, 1)
            Xs.append(X)
            ys.append(np.concatenate([np.isin(cd, target[u]) for cd, u in zip(cand, r)]))
        y = np.concatenate(ys) if ys else np.zeros(0, dtype=bool)
        info = {"customers": int(len(rows)), "pairs": int(len(y)),
                "positive_share": round(float(y.mean()), 4) if len(y) else None}
        if len(y) == 0 or y.all() or not y.any():  # one class: nothing to learn, the repeat method's order
            return None, info
        return fit_reranker(np.concatenate(Xs), y, self.random_state), info

    def _reranked(self, rows: np.ndarray, chunk: int = 256) -> np.ndarray:
        """Candidates at 1 + P(in the next basket), the rest at the repeat method's order (far below)."""
        out = np.zeros((len(rows), len(self.item_token_)))
        for c in range(0, len(rows), chunk):
            r = rows[c:c + chunk]
            cand, X, rep = self._rerank_features(self.repeat_, self.stats_, self.n_baskets_, self.pop_, r, 0)
            block = 1e-6 * self._mixed(rep, np.zeros_like(rep), 0.0)
            if self.reranker_ is not None:
                lift_candidates(block, cand, self.reranker_.predict_proba(X)[:, 1])
            out[c:c + len(r)] = block
        return out

    def scores(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if self.blend == "rerank":
            return self._reranked(rows)
        rep = self.repeat_.scores(rows)
        if self.mix_ == 0:
            return self._mixed(rep, np.zeros_like(rep), 0.0)
        return self._mixed(rep, self._model_probs(rows), self.mix_)
