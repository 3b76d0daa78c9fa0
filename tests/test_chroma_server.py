"""The review index on a Chroma server (issue 16): `chroma run` on a free loopback port, `--chroma-url` /
MKA_CHROMA_URL making index, search, summary and the agent use ``chromadb.HttpClient``, with the same results as
the workspace's own (PersistentClient) index."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.settings import Settings
from models.data.errors import WorkspaceError
from models.data.workspace import Workspace
from models.reviews.index import ReviewIndex, index_workspace, parse_chroma_url, workspace_index

QUERIES = [("tastes great", {}), ("arrived damaged", {"max_rating": 3}),
           ("good value for the money", {"min_rating": 4, "since": "2017-01-01"}), ("fresh", {"k": 3})]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A real Chroma server (`chroma run`, this interpreter's chromadb) on a free loopback port; its URL."""
    root = tmp_path_factory.mktemp("chroma_server")
    port = _free_port()
    log = open(root / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", "from chromadb.cli.cli import app; app()", "run",
                             "--path", str(root / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"chroma run did not come up on {url}:\n{(root / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def local_ws(cj_small, tmp_path_factory):
    """Orders, products and 160 synthetic reviews of cj_small, indexed in the workspace (PersistentClient)."""
    from models.data.sources.synthetic_reviews import synthetic_reviews

    reviews = synthetic_reviews(cj_small["orders"], cj_small["products"], n_reviews=160, n_products=24,
                                n_categories=4, random_state=0)
    ws = Workspace(tmp_path_factory.mktemp("local_ws") / "ws")
    ws.ingest({"orders": cj_small["orders"], "products": cj_small["products"], "reviews": reviews})
    index_workspace(ws, progress=False)
    return ws


@pytest.fixture(scope="module")
def server_ws(chroma_server, local_ws, tmp_path_factory):
    """A copy of local_ws's tables (not its local index) whose review index is on the server."""
    path = tmp_path_factory.mktemp("server_ws") / "ws"
    shutil.copytree(local_ws.path, path, ignore=shutil.ignore_patterns("chroma"))
    ws = Workspace(path, chroma_url=chroma_server)
    info = index_workspace(ws, progress=False)
    assert info["server"] == chroma_server and info["path"] == chroma_server
    assert info["n_reviews"] == len(local_ws.read_table("reviews")) and info["embedded"] == info["n_passages"] > 0
    return ws


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_server_index_searches_like_the_local_one(server_ws, local_ws, chroma_server):
    local, remote = workspace_index(local_ws), workspace_index(server_ws)
    assert remote.url == chroma_server and local.url is None
    assert remote.count() == local.count() > 0
    assert not (server_ws.chroma_dir / "chroma.sqlite3").exists()  # the collection is on the server
    for query, kw in QUERIES:
        for mode in ("hybrid", "dense", "bm25"):
            a, b = local.search(query, mode=mode, **kw), remote.search(query, mode=mode, **kw)
            assert [h["review_id"] for h in a] == [h["review_id"] for h in b], (query, mode)
            assert [h["score"] for h in a] == pytest.approx([h["score"] for h in b], abs=1e-5)
            assert [h["text"] for h in a] == [h["text"] for h in b]
    # Chroma's own filtered query, answered by the server, agrees with the in-memory ranking
    vec = remote._load_corpus().vecs[0]
    filt = remote._filters(None, 4, None, None, None)
    assert remote._dense_chroma(vec, filt, 5)[:3] == local._dense_chroma(vec, filt, 5)[:3]
    # re-indexing is an idempotent upsert on the server too
    again = index_workspace(server_ws, progress=False)
    assert again["embedded"] == 0 and again["unchanged"] == again["n_passages"]


def test_a_write_by_another_client_is_seen(server_ws, chroma_server, tmp_path):
    reader = ReviewIndex(tmp_path / "cache_a", url=chroma_server)
    before = reader.search("taste", k=5)
    assert before
    victim = before[0]["review_id"]
    coll = ReviewIndex(tmp_path / "cache_b", url=chroma_server)._open()
    got = coll.get(where={"review_id": victim}, include=["documents", "metadatas", "embeddings"])
    writer = ReviewIndex(tmp_path / "cache_b", url=chroma_server)
    try:
        writer._open().delete(ids=got["ids"])
        writer._bump_revision()
        assert victim not in [h["review_id"] for h in reader.search("taste", k=5)]
    finally:  # put it back for the other tests
        writer.upsert_passages(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
    assert victim in [h["review_id"] for h in reader.search("taste", k=5)]


def test_cli_index_search_summary_and_ask_through_the_server(server_ws, local_ws, chroma_server):
    res = _run("index", "-w", str(server_ws.path), "--chroma-url", chroma_server, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["index"]["server"] == chroma_server
    for args in (["reviews", "search", "tastes great", "--max-rating", "4"], ["reviews", "summary", "taste"]):
        local = _run(*args, "-w", str(local_ws.path), "--json")
        remote = _run(*args, "-w", str(server_ws.path), "--chroma-url", chroma_server, "--json")
        assert local.exit_code == 0 and remote.exit_code == 0, (local.output, remote.output)
        assert json.loads(local.output) == json.loads(remote.output)
    question = "what do reviews say about the taste?"
    local = _run("ask", question, "-w", str(local_ws.path), "--json")
    remote = _run("ask", question, "-w", str(server_ws.path), "--chroma-url", chroma_server, "--json")
    assert local.exit_code == 0 and remote.exit_code == 0, (local.output, remote.output)
    a, b = json.loads(local.output), json.loads(remote.output)
    assert any(c["name"] in ("search_reviews", "summarize_reviews") for c in b["tool_calls"]), b
    assert a["answer"] == b["answer"] and a["tool_calls"] == b["tool_calls"]


def test_the_agent_tools_use_the_server(server_ws, local_ws, chroma_server):
    from tools import ToolContext, build_tools

    def search(ws):
        tool = {t.name: t for t in build_tools(ToolContext(ws))}["search_reviews"]
        return json.loads(tool.invoke({"query": "tastes great", "k": 5}))

    remote = search(Workspace(server_ws.path, chroma_url=chroma_server))
    assert remote["reviews"] and remote["kind"] == "reviews"
    assert remote == search(local_ws)


def test_bad_or_unreachable_server_is_a_clean_error(server_ws, tmp_path):
    with pytest.raises(ValueError, match="http://host:port"):
        parse_chroma_url("127.0.0.1:8000")
    with pytest.raises(ValueError, match="MKA_CHROMA_URL|http://host:port"):
        Settings.from_env(env={"MKA_CHROMA_URL": "ftp://x"})
    assert Settings.from_env(env={"MKA_CHROMA_URL": "http://127.0.0.1:9/"}).chroma_url == "http://127.0.0.1:9"
    assert parse_chroma_url("https://chroma.example.com") == ("chroma.example.com", 443, True)
    dead = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(WorkspaceError, match="cannot reach the Chroma server"):
        ReviewIndex(tmp_path / "cache", url=dead).search("taste")
    res = CliRunner().invoke(cli, ["reviews", "search", "taste", "-w", str(server_ws.path), "--chroma-url", dead])
    assert res.exit_code == 2 and "cannot reach the Chroma server" in res.output
    res = CliRunner().invoke(cli, ["reviews", "search", "taste", "-w", str(server_ws.path), "--chroma-url", "nope"])
    assert res.exit_code == 2 and "http://host:port" in res.output
    # MKA_CHROMA_URL reaches the commands through the settings
    res = CliRunner().invoke(cli, ["reviews", "summary", "-w", str(server_ws.path)], obj=Settings(chroma_url=dead))
    assert res.exit_code == 2 and dead in res.output
