"""Issue 17 #1: two real processes ingesting into one workspace at once never corrupt it (the write lock);
a second writer that cannot get the lock fails with a clear message; a stale temp table is cleaned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from models.data.errors import WorkspaceError
from models.data.lock import WorkspaceLock
from models.data.validate import validate_table
from models.data.workspace import Workspace
from tests.lock_holder import lock_held_elsewhere

ROOT = Path(__file__).resolve().parents[1]

_WRITER = textwrap.dedent("""
    import os, sys, time
    import pandas as pd
    from models.data.ingest import ingest_files
    from models.data.workspace import Workspace
    ws_path, table, folder, go = sys.argv[1:5]
    while not os.path.exists(go):
        time.sleep(0.005)
    for i in range(10):
        # new content every time: each run replaces its table and removes the file it replaced
        n = 200 + i
        if table == "orders":
            df = pd.DataFrame({"customer_id": [f"c{k % 7}" for k in range(n)],
                               "timestamp": pd.date_range("2021-01-01", periods=n, freq="h").astype(str),
                               "amount": [1.0 + k for k in range(n)]})
        else:
            df = pd.DataFrame({"product_id": [f"p{k}" for k in range(n)], "category": ["x"] * n})
        path = os.path.join(folder, f"{table}_{i}.csv")
        df.to_csv(path, index=False)
        ingest_files(Workspace(ws_path), progress=False, **{table: path})
""")


def _assert_consistent(ws: Workspace) -> None:
    manifest = json.loads(ws.manifest_path.read_text("utf-8"))
    assert set(manifest["tables"]) == {"orders", "products"}
    for name, info in manifest["tables"].items():
        assert (ws.path / info["file"]).exists(), f"{name}: manifest names a deleted file {info['file']}"
        assert len(ws.read_table(name)) == info["rows"]
    referenced = {ws.path / t["file"] for t in manifest["tables"].values()}
    assert set(ws.data_dir.glob("*.parquet")) == referenced
    assert not list(ws.data_dir.glob(".*.tmp"))


@pytest.mark.parametrize("trial", range(3))
def test_two_processes_ingesting_at_once_keep_the_workspace_consistent(tmp_path, cj_small, trial):
    # one process replaces orders, the other products, ten times each, at the same time: without the lock
    # each committed a manifest from its own stale view while the other deleted the files that view named
    ws = Workspace(tmp_path / "ws")
    ws.ingest({"orders": validate_table("orders", cj_small["orders"].head(50).reset_index(drop=True)),
               "products": cj_small["products"].head(50).reset_index(drop=True)})
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for table in ("orders", "products"):
        folder = tmp_path / table
        folder.mkdir()
        procs.append(subprocess.Popen([sys.executable, "-c", _WRITER, str(ws.path), table, str(folder), str(go)],
                                      cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True))
    time.sleep(1.0)  # both have imported pandas and are polling; then both start at once
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-2000:]
    _assert_consistent(ws)
    assert ws.table_info("orders")["rows"] == 209 and ws.table_info("products")["rows"] == 209


def test_second_writer_fails_with_a_clear_message_after_the_timeout(tmp_path, cj_small):
    ws_path = tmp_path / "ws"
    with lock_held_elsewhere(ws_path):
        ws = Workspace(ws_path, lock_timeout=0.3)
        orders = validate_table("orders", cj_small["orders"].head(50).reset_index(drop=True))
        with pytest.raises(WorkspaceError, match="another mka process is writing to"):
            ws.ingest({"orders": orders})
        assert not ws.manifest_path.exists()
        # readers never block on the lock
        assert ws.table_names() == []
    # the OS released a killed holder's lock: the next writer goes through
    Workspace(ws_path, lock_timeout=5).ingest({"orders": orders})


def test_lock_is_reentrant_in_one_process(tmp_path):
    with WorkspaceLock(tmp_path, timeout=0.2), WorkspaceLock(tmp_path, timeout=0.2):
        pass


def test_stale_tmp_from_a_killed_ingest_is_cleaned_on_next_write(tmp_path, cj_small):
    ws = Workspace(tmp_path / "ws")
    orders = validate_table("orders", cj_small["orders"].head(50).reset_index(drop=True))
    ws.ingest({"orders": orders})
    stale = ws.data_dir / ".orders-dead.parquet.tmp"
    stale.write_bytes(b"x" * 100)
    ws.ingest({"orders": orders})  # nothing changed, still cleans
    assert not stale.exists()
