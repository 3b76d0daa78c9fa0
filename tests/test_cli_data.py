"""`mka ingest`, `mka overview`, `mka demo` through click's CliRunner."""

from __future__ import annotations

import json
import sys

import click
import pytest
from click.testing import CliRunner

from assistant.commands.data import demo_cmd, ingest_cmd, overview_cmd
from models.data.workspace import Workspace

THREE = "cust,date,value\nC1,2017-01-03,12.5\nC2,2017-01-04,-3\nC1,2017-02-01,7\n"
MAP = ["--map", "customer_id=cust", "--map", "timestamp=date", "--map", "amount=value"]


@pytest.fixture
def runner():
    return CliRunner()


def test_ingest_three_column_csv_then_overview(runner, tmp_path):
    (tmp_path / "x.csv").write_text(THREE)
    ws = str(tmp_path / "ws")
    res = runner.invoke(ingest_cmd, ["--orders", str(tmp_path / "x.csv"), *MAP, "--workspace", ws])
    assert res.exit_code == 0, res.output
    assert "orders" in res.output and "added" in res.output
    again = runner.invoke(ingest_cmd, ["--orders", str(tmp_path / "x.csv"), *MAP, "--workspace", ws, "--json"])
    assert json.loads(again.output)["status"] == {"orders": "unchanged"}
    ov = runner.invoke(overview_cmd, ["--workspace", ws, "--json"])
    assert ov.exit_code == 0, ov.output
    data = json.loads(ov.output)
    assert (data["customers"], data["orders"], data["revenue"]) == (2, 3, 16.5)
    assert data["returns"] == {"rows": 1, "amount": -3.0}
    text = runner.invoke(overview_cmd, ["--workspace", ws])
    assert "Revenue by month" in text.output and "2017-01-03 .. 2017-02-01" in text.output


def test_bad_file_exits_2_with_file_column_row(runner, tmp_path):
    (tmp_path / "bad.csv").write_text("cust,date,value\nC1,2017-01-03,12.5\nC2,not a date,3\n")
    ws = tmp_path / "ws"
    res = runner.invoke(ingest_cmd, ["--orders", str(tmp_path / "bad.csv"), *MAP, "--workspace", str(ws)])
    assert res.exit_code == 2
    # the column as the user's file names it, and what we read it as
    assert "bad.csv" in res.output and "column 'date' (read as 'timestamp')" in res.output and "row 2" in res.output
    assert "Traceback" not in res.output
    assert not ws.exists()


def test_missing_file_and_usage_errors_exit_2(runner, tmp_path):
    ws = str(tmp_path / "ws")
    res = runner.invoke(ingest_cmd, ["--orders", str(tmp_path / "nope.csv"), "--workspace", ws])
    assert res.exit_code == 2 and "nope.csv" in res.output
    assert runner.invoke(ingest_cmd, ["--workspace", ws]).exit_code == 2
    res = runner.invoke(ingest_cmd, ["--orders", str(tmp_path / "nope.csv"), "--map", "amount", "--workspace", ws])
    assert res.exit_code == 2 and "canonical=source" in res.output


def test_allow_returns_flag(runner, tmp_path):
    (tmp_path / "r.csv").write_text("customer_id,timestamp,amount,quantity\nC1,2017-01-03,5,1\nC1,2017-01-05,-5,-1\n")
    ws = str(tmp_path / "ws")
    res = runner.invoke(ingest_cmd, ["--orders", str(tmp_path / "r.csv"), "--workspace", ws])
    assert res.exit_code == 2 and "--allow-returns" in res.output and "row 2" in res.output
    res = runner.invoke(ingest_cmd, ["--orders", str(tmp_path / "r.csv"), "--allow-returns", "--workspace", ws])
    assert res.exit_code == 0, res.output


def test_overview_without_workspace_explains(runner, tmp_path):
    res = runner.invoke(overview_cmd, ["--workspace", str(tmp_path / "none")])
    assert res.exit_code == 2 and "mka demo" in res.output


def test_demo_builds_every_step_then_opens_chat(runner, tmp_path, monkeypatch):
    """`mka demo` ingests, trains, segments and indexes a real sample, prints the overview, then opens the chat;
    running it again re-ingests nothing."""
    import assistant.commands.chat as chat_mod

    opened = []

    @click.command("chat")
    @click.option("--workspace")
    def fake_chat(workspace):
        opened.append(workspace)

    monkeypatch.setattr(chat_mod, "chat", fake_chat)
    ws_path = tmp_path / "ws"
    res = runner.invoke(demo_cmd, ["--customers", "60", "--quick", "--workspace", str(ws_path)])
    assert res.exit_code == 0, res.output
    assert "Workspace overview" in res.output and "SYNTHETIC" in res.output
    ws = Workspace(ws_path)
    for name in ("predictor", "segments", "review_index"):
        assert ws.artifact_info(name), f"demo did not build {name}"
    assert ws.artifact_path("predictor.pt").exists() and ws.artifact_path("segments.parquet").exists()
    assert [str(w) for w in opened] == [str(ws_path)]
    res = runner.invoke(demo_cmd, ["--customers", "60", "--quick", "--no-chat", "--workspace", str(ws_path)])
    assert res.exit_code == 0 and len(opened) == 1
    assert "unchanged" in res.output


def test_commands_are_registered_on_mka():
    from assistant.cli import cli

    for name in ("ingest", "overview", "demo"):
        assert name in cli.commands

