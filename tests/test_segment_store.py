"""One audience ranking: `mka segment-members` and the `segment_audience` tool list a segment the same way."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from assistant.cli import cli
from models.data.workspace import Workspace
from models.segments.store import load_segments, rank_audience
from models.segments.workspace import fit_workspace
from tools import ToolContext, build_tools


def assert_cli_and_tool_agree(ws) -> None:
    _, profiles = load_segments(ws)
    tool = {t.name: t for t in build_tools(ToolContext(ws))}["segment_audience"]
    for prof in profiles:
        res = CliRunner().invoke(cli, ["segment-members", "-w", str(ws.path), str(prof["segment_id"]), "--json"],
                                 catch_exceptions=False)
        assert res.exit_code == 0, res.output
        cli_ids = [str(c["customer_id"]) for c in json.loads(res.output)["customers"]]
        out = json.loads(tool.invoke({"segment": str(prof["segment_id"]), "limit": 10}))
        assert [c["customer_id"] for c in out["customers"]] == cli_ids[:10]
        exported = pd.read_csv(out["export_csv"], dtype={"customer_id": str})
        assert exported["customer_id"].tolist() == cli_ids and len(cli_ids) == prof["size"]


def test_cli_and_tool_list_the_same_customers_in_the_same_order(demo_workspace):
    assert_cli_and_tool_agree(demo_workspace)  # ranked by the predictor's 30-day probability


@pytest.fixture(scope="module")
def segments_without_predictor(cj_small, tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("seg_store") / "ws")
    ws.ingest({"orders": cj_small["orders"], "products": cj_small["products"]})
    fit_workspace(ws, progress=False)
    return ws


def test_cli_and_tool_agree_without_a_predictor(segments_without_predictor):
    assert_cli_and_tool_agree(segments_without_predictor)  # ranked by spend


def test_rank_audience_likeliest_then_biggest_spenders_then_id():
    assign = pd.DataFrame({"customer_id": pd.array(["c", "a", "b", "d", "e"], dtype="string"),
                           "segment_id": [1, 1, 1, 1, 2], "spend": [10.0, 10.0, 30.0, 5.0, 99.0],
                           "p_buy_30d": [0.5, 0.5, 0.2, 0.9, 0.99]})
    assert rank_audience(assign, {"segment_id": 1})["customer_id"].tolist() == ["d", "a", "c", "b"]
    no_p = assign.assign(p_buy_30d=float("nan"))
    ranked = rank_audience(no_p, {"segment_id": 1})
    assert ranked["customer_id"].tolist() == ["b", "a", "c", "d"] and "p_buy_30d" not in ranked
