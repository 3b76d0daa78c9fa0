"""Issue 17 #11, the minor items: a killed writer's hidden .tmp file is removed the next time the workspace is
opened; `mka ask` prints no traceback when a tool fails; the web app's downloads are 0600 files in a private
(0700) folder that Gradio serves in place instead of copying them into its shared cache. (The read-only review
search is tests/test_reliability_artifacts.py::test_reviews_search_does_not_rewrite_chroma_sqlite.)"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd

from models.data.lock import WorkspaceLock
from models.data.workspace import Workspace
from tests.agent_fakes import make_fake_workspace
from tests.lock_holder import lock_held_elsewhere

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
       "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False", "MKA_LLM_BASE_URL": "",
       "OPENAI_BASE_URL": ""}


def _stale_files(ws: Workspace) -> list[Path]:
    ws.artifacts_dir.mkdir(parents=True, exist_ok=True)
    files = [ws.data_dir / ".orders.parquet.k1ll3d.tmp", ws.artifacts_dir / ".predictor.pt.x9.pt.tmp"]
    for f in files:
        f.write_bytes(b"\0" * 4096)
    return files


def test_a_killed_writers_tmp_file_is_removed_on_the_next_open(tmp_path):
    ws = make_fake_workspace(tmp_path / "ws")
    files = _stale_files(ws)
    reader = Workspace(ws.path)  # opening touches nothing; the first read cleans up
    assert all(f.exists() for f in files)
    assert reader.table_names()
    assert not any(f.exists() for f in files)


def test_tmp_files_of_a_running_writer_are_left_alone(tmp_path):
    ws = make_fake_workspace(tmp_path / "ws")
    files = _stale_files(ws)
    with lock_held_elsewhere(ws.path):
        assert Workspace(ws.path).table_names()  # a reader neither waits nor deletes a live writer's files
        assert all(f.exists() for f in files)
    with WorkspaceLock(ws.path):  # this process writing: its own temp files are in flight
        assert Workspace(ws.path).table_names() and all(f.exists() for f in files)


def test_mka_ask_prints_no_traceback_when_a_tool_fails(tmp_path):
    ws = make_fake_workspace(tmp_path / "ws")  # no trained predictor: predict_buyers fails inside the tool
    res = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "which customers will buy this week?",
                          "-w", str(ws.path)], capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Traceback" not in res.stderr and "File \"" not in res.stderr, res.stderr
    assert "mka train" in res.stdout  # the answer says what failed and what to do


def test_web_downloads_are_private(tmp_path, monkeypatch):
    from assistant.settings import private_ui_cache
    from ui.app import private_export_dir
    from ui.view import csv_for_rows, download

    monkeypatch.setenv("GRADIO_TEMP_DIR", "")
    cache = Path(private_ui_cache())
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700 and os.environ["GRADIO_TEMP_DIR"] == str(cache)
    folder = private_export_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and cache in folder.parents  # served in place
    rows = [{"customer_id": "=cmd|' /C calc'!A0", "p_buy": 0.5}]
    written = csv_for_rows(rows, folder, "buyers")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    src = tmp_path / "tool_export.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    copied = download({"export_csv": str(src)}, rows, folder, "buyers")
    assert copied.parent == folder and stat.S_IMODE(copied.stat().st_mode) == 0o600
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "mine"))
    assert private_ui_cache() == str(tmp_path / "mine")  # a folder the user chose is kept
