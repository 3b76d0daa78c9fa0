"""MiniLM embeddings from the installed package, and the Chroma embedding function that persists with a collection."""

from __future__ import annotations

import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

from models.embeddings import EMBEDDING_DIM, MiniLMEmbeddingFunction, embed, get_embedder

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]


def test_import_loads_no_model():
    code = ("import sys, models.embeddings as e; "
            "print('sentence_transformers' in sys.modules, e._load.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "0"]


def test_embed_is_normalized_float32_and_semantic():
    texts = ["The guitar strings broke after a week.", "These strings snapped within days.",
             "Fast shipping, the box arrived on Monday."]
    v = embed(texts)
    assert v.shape == (3, EMBEDDING_DIM) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sim = v @ v.T
    assert sim[0, 1] > sim[0, 2] + 0.2  # two texts about broken strings are closer than one about shipping
    assert embed([]).shape == (0, EMBEDDING_DIM)
    assert get_embedder() is get_embedder()
    np.testing.assert_array_equal(embed(texts[:1]), embed(texts[:1]))  # deterministic


def test_embedding_function_is_registered_and_round_trips():
    from chromadb.utils.embedding_functions import known_embedding_functions

    assert known_embedding_functions[MiniLMEmbeddingFunction.name()] is MiniLMEmbeddingFunction
    ef = MiniLMEmbeddingFunction(batch_size=16)
    again = MiniLMEmbeddingFunction.build_from_config(ef.get_config())
    assert again.get_config() == ef.get_config() and not ef.is_legacy()
    out = ef(["a capo that holds tight"])
    assert len(out) == 1 and np.asarray(out[0]).shape == (EMBEDDING_DIM,)


def test_persisted_collection_reopens_with_our_function_without_warnings(tmp_path):
    import chromadb
    from chromadb.config import Settings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = chromadb.PersistentClient(path=str(tmp_path), settings=Settings(anonymized_telemetry=False))
        coll = client.get_or_create_collection("reviews-test", embedding_function=MiniLMEmbeddingFunction())
        coll.add(ids=["1", "2"], documents=["loud amp hum", "soft nylon strings"])
    # a fresh process: the function is rebuilt from the stored config and embeds the query text
    # (Chroma's ONNX default would need a download and fail offline)
    code = ("import warnings, chromadb; warnings.simplefilter('error'); import models.embeddings; "
            "from chromadb.config import Settings; "
            f"c = chromadb.PersistentClient(path={str(tmp_path)!r}, settings=Settings(anonymized_telemetry=False))"
            ".get_collection('reviews-test'); "
            "print(type(c.configuration.get('embedding_function')).__name__, c.count(), "
            "c.query(query_texts=['amplifier buzz'], n_results=1)['ids'][0][0])")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["MiniLMEmbeddingFunction", "2", "1"]


def test_worker_threads_return_each_text_s_own_vector_in_input_order():
    import torch

    texts = ["Great tuner.", "The strap broke after two gigs and the seller never answered my emails about it.",
             "Cheap cable, loud hum through the amp at any volume.", "Five stars",
             "This pedal adds a warm overdrive without losing the low end, and the true bypass is really quiet.",
             "Arrived late.", "Strings sound bright for a week, then go dull.", "Nice stand, sturdy and light.",
             "The capo slips on my twelve-string.", "Does what it says."]
    threads_before = torch.get_num_threads()
    batched = embed(texts, batch_size=3, workers=2)  # four batches over two threads, short and long texts mixed
    alone = np.vstack([embed([t]) for t in texts])  # one text per call: the caller's thread, no padding
    assert batched.shape == (len(texts), EMBEDDING_DIM) and batched.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert (batched * alone).sum(axis=1).min() > 0.995  # same vector per row, up to bf16 noise from padding
    assert torch.get_num_threads() == threads_before  # workers pin themselves to one thread, not the caller


def test_bias_inside_the_matmul_gives_torch_linear_s_numbers():
    import torch

    from models.embeddings import _fuse_linear_bias

    torch.manual_seed(0)
    lin = torch.nn.Linear(384, 1536).to(torch.bfloat16)
    x = torch.randn(3, 7, 384, dtype=torch.bfloat16)
    with torch.inference_mode():
        expected = lin(x)
        if not _fuse_linear_bias(lin):
            pytest.skip("oneDNN bf16 linear does not run on this CPU (no native bf16) or torch build")
        torch.testing.assert_close(lin(x), expected)
    model = get_embedder()
    if next(model.parameters()).dtype == torch.bfloat16:
        assert sum("forward" in vars(m) for m in model.modules()) == _fuse_linear_bias(model)


def test_a_single_query_runs_on_one_torch_thread_and_gives_the_same_vector(monkeypatch):
    import torch

    import models.embeddings as embeddings

    query = "warm tone, no buzz"
    embed(["load the model first"])
    before = torch.get_num_threads()
    two_threads = embeddings._forward(get_embedder(), [query])[0]  # the forward as the caller's threads run it
    seen, elsewhere = [], []
    forward = embeddings._forward

    def watched(model, texts):
        seen.append(torch.get_num_threads())
        # another thread (a second chat session) keeps the process's count while this query runs
        other = threading.Thread(target=lambda: elsewhere.append(torch.get_num_threads()))
        other.start()
        other.join()
        return forward(model, texts)

    monkeypatch.setattr(embeddings, "_forward", watched)
    vec = embed([query])[0]
    assert seen == [1] and elsewhere == [before] and torch.get_num_threads() == before
    np.testing.assert_allclose(vec, two_threads / np.linalg.norm(two_threads), rtol=0, atol=1e-6)
