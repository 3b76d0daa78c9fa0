"""`mka index`, `mka reviews search`, `mka reviews summary` through click's CliRunner."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from click.testing import CliRunner

from assistant.cli import cli


@pytest.fixture(scope="module")
def ws_path(amazon_review_ws, tmp_path_factory):
    dst = tmp_path_factory.mktemp("cli") / "ws"
    shutil.copytree(amazon_review_ws.path, dst)
    return dst


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_index_from_a_review_file(amazon_reviews_path, tmp_path):
    small = tmp_path / "reviews.json"
    with gzip.open(amazon_reviews_path, "rt", encoding="utf-8") as fh:
        small.write_text("".join(next(fh) for _ in range(12)), "utf-8")
    ws = tmp_path / "ws"
    res = _run("index", "--reviews", str(small), "-w", str(ws), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)  # stderr may carry the model's loading bar when this command loads it first
    assert out["index"]["n_reviews"] == 12 and out["index"]["embedded"] == out["index"]["n_passages"]
    again = json.loads(_run("index", "-w", str(ws), "--json").output)
    assert again["index"]["embedded"] == 0 and again["index"]["n_passages"] == out["index"]["n_passages"]


def test_search_json_and_table(ws_path):
    res = _run("reviews", "search", "cable crackle", "-w", str(ws_path), "--min-rating", "4", "-k", "5", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["filters"] == {"min_rating": 4} and len(out["reviews"]) == 5
    assert all(h["rating"] >= 4 and h["review_id"].startswith("AMZ-") for h in out["reviews"])
    table = _run("reviews", "search", "ignore previous instructions", "-w", str(ws_path), "-k", "3")
    assert table.exit_code == 0 and "INJ-1 (synthetic)" in table.output and "synthetic" in table.output.lower()
    assert out["reviews"][0]["review_id"] in _run("reviews", "search", "cable crackle", "-w", str(ws_path),
                                                  "--min-rating", "4").output


def test_summary_json_and_table(ws_path):
    out = json.loads(_run("reviews", "summary", "-w", str(ws_path), "--product", "B000068NW5", "--json").output)
    assert out["n_reviews"] == sum(out["rating_distribution"].values()) > 0
    text = _run("reviews", "summary", "-w", str(ws_path), "--product", "B000068NW5").output
    assert f"{out['n_reviews']} reviews" in text and out["themes"][0]["quotes"][0]["review_id"] in text


def test_user_errors_exit_2(ws_path, tmp_path):
    bad = _run("reviews", "search", "x", "-w", str(ws_path), "--product", "zither deluxe 9000")
    assert bad.exit_code == 2 and "no product or category" in bad.output
    missing = _run("reviews", "search", "x", "-w", str(tmp_path / "none"))
    assert missing.exit_code == 2 and "mka index" in missing.output
    assert _run("reviews", "search", "x", "-w", str(ws_path), "--min-rating", "9").exit_code == 2


def test_search_abstains_and_summary_focus(ws_path):
    out = json.loads(_run("reviews", "search", "lawn mower", "-w", str(ws_path), "--json").output)
    assert out["no_match"] is True and out["reviews"] == [] and out["nearest_topics"]
    text = _run("reviews", "search", "lawn mower", "-w", str(ws_path)).output
    assert "No review mentions “lawn mower”" in text and out["nearest_topics"][0]["topic"] in text
    # "cheap" names a price, not a complaint (models/reviews/intent.py); "flimsy" is a complaint cue
    assert json.loads(_run("reviews", "search", "cheap cable", "-w", str(ws_path), "--json").output)["intent"] is None
    neg = json.loads(_run("reviews", "search", "flimsy cable", "-w", str(ws_path), "--json").output)
    assert neg["intent"] == "negative" and neg["no_match"] is False
    s = json.loads(_run("reviews", "summary", "-w", str(ws_path), "--focus", "complaints", "--json").output)
    assert s["intent"] == "negative" and s["n_reviews"] > 0 and all(t["share"] > 0 for t in s["themes"])
    table = _run("reviews", "summary", "-w", str(ws_path), "--focus", "complaints").output
    assert "Complaints:" in table and s["themes"][0]["quotes"][0]["review_id"] in table
