"""Issue 17 #6 (and the review-index part of #11): corrupt artifacts and a corrupt Chroma database give one clean
line, "retrain with `mka train`" / "rebuild with `mka index`", exit 2 — never a traceback or torch's
``weights_only`` advice; the previous good artifact stays until a new one is complete; artifact writes take
the workspace write lock; a read-only `mka reviews search` leaves chroma.sqlite3 byte for byte as it was."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.settings import Settings
from models.data.errors import ArtifactError, WorkspaceError
from models.data.workspace import Workspace
from tests.lock_holder import lock_held_elsewhere

GARBAGE = b"\x80\x02garbage: not a model, not parquet, not json \x00\xff" * 20


@pytest.fixture()
def ws(demo_workspace, tmp_path):
    dest = tmp_path / "ws"
    shutil.copytree(demo_workspace.path, dest)
    return Workspace(dest, lock_timeout=1.0)


def _run(ws, *args):
    obj = Settings.from_env({"workspace": ws.path}, env={})
    return CliRunner().invoke(cli, [*args, "-w", str(ws.path)], obj=obj)


@pytest.mark.parametrize("artifact, command", [
    ("predictor.pt", ["predict", "--top", "3"]),
    ("segments.parquet", ["segment-members", "1"]),
    ("segment_profiles.json", ["segments"]),
    ("customer_value.parquet", ["value", "--top", "3"]),
    ("recommendations.parquet", ["recommend", "--all", "--k", "3"]),
    ("recommend.json", ["recommend", "--all", "--k", "3"]),
    ("forecast.json", ["forecast", "--horizon", "2"]),
    ("forecast.parquet", ["forecast", "--horizon", "2"]),
])
def test_a_garbage_artifact_says_retrain_and_exits_2(ws, artifact, command):
    path = ws.artifact_path(artifact)
    assert path.exists(), f"the demo workspace should have {artifact}"
    path.write_bytes(GARBAGE)
    res = _run(ws, *command)
    assert res.exit_code == 2, res.output
    assert "retrain with `mka train`" in res.stderr and artifact in res.stderr, res.output
    assert "Traceback" not in res.output and "weights_only" not in res.output
    assert len(res.stderr.strip().splitlines()) == 1


def test_a_pickle_in_predictor_pt_is_refused_without_torch_advice(ws, tmp_path):
    """A file torch could only read with weights_only=False (a pickled object): refused, nothing executed."""
    import pickle

    marker = tmp_path / "executed"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    ws.artifact_path("predictor.pt").write_bytes(pickle.dumps(Evil()))
    res = _run(ws, "predict", "--top", "3")
    assert res.exit_code == 2 and "retrain with `mka train`" in res.stderr
    assert "weights_only" not in res.output and not marker.exists()


def test_a_corrupt_chroma_database_says_rebuild_the_index(ws):
    db = ws.chroma_dir / "chroma.sqlite3"
    assert db.exists()
    db.write_bytes(GARBAGE)
    res = _run(ws, "reviews", "search", "strap broke")
    assert res.exit_code == 2, res.output
    assert "rebuild with `mka index`" in res.stderr and "Traceback" not in res.output
    assert len(res.stderr.strip().splitlines()) == 1


def _hash(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reviews_search_does_not_rewrite_chroma_sqlite(ws):
    db = ws.chroma_dir / "chroma.sqlite3"
    before = {p.name: _hash(p) for p in ws.chroma_dir.glob("chroma.sqlite3*")}
    for _ in range(2):  # the first search may write the passage snapshot; neither touches Chroma's files
        res = _run(ws, "reviews", "search", "great quality")
        assert res.exit_code == 0, res.output
    res = _run(ws, "reviews", "summary", "quality")
    assert res.exit_code == 0, res.output
    assert {p.name: _hash(p) for p in ws.chroma_dir.glob("chroma.sqlite3*")} == before
    assert db.exists()


def test_the_read_only_revision_matches_chromas_own(ws):
    from models.reviews.index import COLLECTION, ReviewIndex, _REVISION_KEY
    from models.reviews.readonly import peek_revision

    index = ReviewIndex(ws.chroma_dir)
    assert peek_revision(ws.chroma_dir, COLLECTION, _REVISION_KEY) == index._revision(index._open())
    assert index.count() == index._open().count()


def test_the_previous_predictor_stays_when_a_save_fails(ws, monkeypatch):
    import torch

    from models.predictor.scoring import load_predictor

    path = ws.artifact_path("predictor.pt")
    good = path.read_bytes()
    est = load_predictor(ws)

    def broken_save(obj, f, *a, **k):
        with open(f, "wb") as fh:
            fh.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        est.save(path)
    assert path.read_bytes() == good
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_artifact_writes_wait_for_the_workspace_write_lock(ws):
    """Another process holds the lock (an ingest in progress): a fit step fails cleanly after the timeout and
    leaves the artifacts as they were."""
    from models import pipeline

    with lock_held_elsewhere(ws.path):
        before = _hash(ws.artifact_path("customer_value.parquet"))
        with pytest.raises(WorkspaceError, match="another mka process is writing"):
            pipeline.step("value")(ws)
        assert _hash(ws.artifact_path("customer_value.parquet")) == before


def test_artifact_error_is_a_workspace_error_so_every_command_reports_it():
    assert issubclass(ArtifactError, WorkspaceError)
