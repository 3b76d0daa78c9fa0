"""`mka segments` and `mka segment-members` through click's CliRunner."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from assistant.cli import cli
from models.data.workspace import Workspace


@pytest.fixture(scope="module")
def ws_path(cj_small, tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("cli") / "ws")
    ws.ingest(cj_small)
    return ws.path


def run(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False, terminal_width=240)


@pytest.fixture(scope="module")
def fitted_json(ws_path):
    res = run("segments", "-w", ws_path, "--json")  # no artifact yet: fits and saves
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_segments_json_fits_and_saves(fitted_json, ws_path, cj_small):
    assert fitted_json["kind"] == "segments" and fitted_json["fitted_now"] is True
    assert fitted_json["as_of"] == "2018-01-02"
    assert Workspace(ws_path).artifact_info("segments")["k"] == len(fitted_json["segments"])
    assert fitted_json["overall"]["revenue"] == pytest.approx(cj_small["orders"]["amount"].sum(), abs=0.01)
    again = json.loads(run("segments", "-w", ws_path, "--json").output)
    assert again["fitted_now"] is False and again["segments"] == fitted_json["segments"]


def test_segments_table_shows_names_and_checkable_totals(fitted_json, ws_path):
    res = run("segments", "-w", ws_path)
    assert res.exit_code == 0, res.output
    for p in fitted_json["segments"]:
        assert p["name"] in res.output
        assert f"{p['size']:,}" in res.output
    assert f"{fitted_json['overall']['revenue']:,.2f}" in res.output
    assert "All customers" in res.output


def test_segment_members_csv_export(fitted_json, ws_path, tmp_path):
    p = fitted_json["segments"][0]
    out = tmp_path / "audience.csv"
    res = run("segment-members", "-w", ws_path, p["name"].upper(), "--csv", out)
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(out, dtype={"customer_id": str})
    assert len(csv) == p["size"]
    assign = pd.read_parquet(Workspace(ws_path).artifact_path("segments.parquet"))
    expected = set(assign.loc[assign["segment_id"] == p["segment_id"], "customer_id"])
    assert set(csv["customer_id"]) == expected
    assert (csv["segment"] == p["name"]).all()
    assert csv["spend"].sum() == pytest.approx(p["revenue"], abs=0.01 * len(csv))
    assert f"Wrote {p['size']:,} rows" in res.output


def test_segment_members_json_with_limit(fitted_json, ws_path):
    p = fitted_json["segments"][-1]
    res = run("segment-members", "-w", ws_path, str(p["segment_id"]), "--json", "--limit", 3)
    data = json.loads(res.output)
    assert data["kind"] == "audience" and data["n_total"] == p["size"] and data["n_shown"] == 3
    assert [c["segment_id"] for c in data["customers"]] == [p["segment_id"]] * 3
    spends = [c["spend"] for c in data["customers"]]
    assert spends == sorted(spends, reverse=True)


def test_unknown_segment_is_a_clean_error(fitted_json, ws_path):
    res = CliRunner().invoke(cli, ["segment-members", "-w", str(ws_path), "no such segment"])
    assert res.exit_code == 2
    assert "no segment matches 'no such segment'" in res.output
    assert fitted_json["segments"][0]["name"] in res.output
    assert "Traceback" not in res.output


def test_missing_workspace_is_a_clean_error(tmp_path):
    res = CliRunner().invoke(cli, ["segments", "-w", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert "mka demo" in res.output and "Traceback" not in res.output


def test_as_of_is_a_what_if_view(fitted_json, ws_path):
    before = Workspace(ws_path).artifact_path("segments.parquet").read_bytes()
    res = run("segments", "-w", ws_path, "--as-of", "2017-09-01", "--json")
    data = json.loads(res.output)
    assert data["as_of"] == "2017-09-01"
    assert data["overall"]["revenue"] < fitted_json["overall"]["revenue"]
    assert Workspace(ws_path).artifact_path("segments.parquet").read_bytes() == before
    bad = CliRunner().invoke(cli, ["segments", "-w", str(ws_path), "--as-of", "2001-01-01"])
    assert bad.exit_code == 2 and "no orders before 2001-01-01" in bad.output
