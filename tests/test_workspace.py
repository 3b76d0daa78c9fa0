"""The workspace: a crash or Ctrl-C mid-ingest leaves the previous manifest and tables intact; the same
content twice changes nothing."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import models.data.workspace as workspace_mod
from models.data.errors import WorkspaceError
from models.data.validate import validate_table
from models.data.workspace import Workspace


def _tables(cj_small, n=2000):
    orders = cj_small["orders"].head(n).reset_index(drop=True)
    return {"orders": validate_table("orders", orders), "products": cj_small["products"],
            "customers": cj_small["customers"]}


def _snapshot(ws: Workspace) -> tuple[str, dict]:
    text = ws.manifest_path.read_text("utf-8")
    return text, {name: ws.read_table(name) for name in ws.table_names()}


def test_new_workspace_touches_nothing_and_explains(tmp_path):
    ws = Workspace(tmp_path / "ws")
    assert not (tmp_path / "ws").exists()
    with pytest.raises(WorkspaceError, match="mka demo"):
        ws.read_table("orders")


def test_ingest_round_trips_and_records_manifest(tmp_path, cj_small):
    ws = Workspace(tmp_path / "ws")
    tables = _tables(cj_small)
    assert ws.ingest(tables, {"orders": "o.csv"}) == {"orders": "added", "products": "added", "customers": "added"}
    pd.testing.assert_frame_equal(ws.read_table("orders"), tables["orders"])
    info = ws.table_info("orders")
    assert info["rows"] == 2000 and info["source"] == "o.csv"
    assert info["date_range"][0] == tables["orders"]["timestamp"].min().isoformat()
    assert json.loads(ws.manifest_path.read_text())["schema_version"] == 1
    with pytest.raises(WorkspaceError, match="mka ingest --reviews"):
        ws.read_table("reviews")


def test_same_content_twice_is_unchanged_and_manifest_byte_identical(tmp_path, cj_small):
    ws = Workspace(tmp_path / "ws")
    ws.ingest(_tables(cj_small))
    before = ws.manifest_path.read_text()
    hash_before = ws.data_hash()
    status = ws.ingest(_tables(cj_small))
    assert set(status.values()) == {"unchanged"}
    assert ws.manifest_path.read_text() == before and ws.data_hash() == hash_before


@pytest.mark.parametrize("exc", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_failure_after_first_table_file_keeps_old_state(tmp_path, cj_small, monkeypatch, exc):
    ws = Workspace(tmp_path / "ws")
    ws.ingest(_tables(cj_small, 1000))
    manifest_before, tables_before = _snapshot(ws)
    files_before = sorted(p.name for p in ws.data_dir.iterdir())

    real = pd.DataFrame.to_parquet
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 1:  # the first new table file is written, then the process "dies"
            raise exc
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    changed = _tables(cj_small, 3000)
    changed["customers"] = changed["customers"].assign(extra="x")
    with pytest.raises(type(exc)):
        ws.ingest(changed)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)

    assert len(calls) == 2
    manifest_after, tables_after = _snapshot(ws)
    assert manifest_after == manifest_before
    for name, df in tables_before.items():
        pd.testing.assert_frame_equal(tables_after[name], df)
    # no temp file survives; the orphan table file is not referenced and goes at the next commit
    assert not list(ws.data_dir.glob(".*.tmp"))
    ws.ingest(changed)
    assert ws.read_table("orders").shape[0] == 3000
    assert len(list(ws.data_dir.glob("*.parquet"))) == len(files_before)


def test_failure_while_swapping_manifest_keeps_old_state(tmp_path, cj_small, monkeypatch):
    ws = Workspace(tmp_path / "ws")
    ws.ingest(_tables(cj_small, 1000))
    manifest_before, tables_before = _snapshot(ws)

    def boom(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(workspace_mod, "atomic_write_text", boom)
    with pytest.raises(KeyboardInterrupt):
        ws.ingest(_tables(cj_small, 3000))
    manifest_after, tables_after = _snapshot(ws)
    assert manifest_after == manifest_before
    assert tables_after["orders"].shape[0] == 1000


def test_record_artifact_and_data_hash(tmp_path, cj_small):
    ws = Workspace(tmp_path / "ws")
    ws.ingest(_tables(cj_small, 500))
    h = ws.data_hash()
    ws.record_artifact("predictor", {"as_of": "2018-01-02", "data_hash": h})
    assert ws.artifact_info("predictor")["data_hash"] == h
    ws.ingest({"orders": _tables(cj_small, 600)["orders"]})
    assert ws.data_hash() != h  # artifacts can tell they are stale
    assert ws.artifact_info("predictor") is not None  # ingest keeps artifacts noted


def test_corrupt_manifest_is_a_clear_error(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.path.mkdir()
    ws.manifest_path.write_text("{not json")
    with pytest.raises(WorkspaceError, match="manifest is not valid JSON"):
        ws.manifest()
