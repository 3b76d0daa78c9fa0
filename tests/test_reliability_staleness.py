"""Issue 17 #7: after new orders are ingested, every answer from the (now older) predictor says it is out of
date — `mka predict` (text and a JSON field), `mka ask`, the chat — and an ``--as-of`` outside the data's range
is refused with the valid range instead of predicting from an empty past."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.settings import Settings
from models.data.freshness import AsOfRangeError, check_as_of, orders_range, staleness_note
from models.data.workspace import Workspace

QUESTION = "which customers will buy this week?"


@pytest.fixture()
def ws(demo_workspace, tmp_path):
    dest = tmp_path / "ws"
    shutil.copytree(demo_workspace.path, dest)
    return Workspace(dest)


@pytest.fixture()
def stale_ws(ws):
    """The same workspace after a day of new orders was ingested (the models are not retrained)."""
    orders = ws.read_table("orders")
    last = orders[orders["timestamp"] >= orders["timestamp"].max().normalize()]
    new = last.assign(timestamp=last["timestamp"] + pd.Timedelta(days=1),
                      order_id=("new-" + last["order_id"].astype(str)).astype(last["order_id"].dtype))
    ws.ingest({"orders": pd.concat([orders, new], ignore_index=True)})
    return ws


def _run(ws, *args):
    return CliRunner().invoke(cli, [*args, "-w", str(ws.path)], obj=Settings.from_env({"workspace": ws.path}, env={}))


def test_a_current_model_says_nothing(ws):
    res = _run(ws, "predict", "--top", "3", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["stale"] is False and out["stale_note"] is None


def test_predict_says_the_model_is_out_of_date_in_text_and_json(stale_ws):
    res = _run(stale_ws, "predict", "--top", "3")
    assert res.exit_code == 0, res.output
    assert "Out of date" in res.output and "mka train" in res.output
    out = json.loads(_run(stale_ws, "predict", "--top", "3", "--json").stdout)
    assert out["stale"] is True and "Out of date" in out["stale_note"]
    last = orders_range(stale_ws)[1].date().isoformat()
    assert last in out["stale_note"]  # names how far the data now runs


def test_mka_ask_says_the_model_is_out_of_date(stale_ws):
    res = _run(stale_ws, "ask", QUESTION)
    assert res.exit_code == 0, res.output
    assert "Out of date" in res.stdout and "mka train" in res.stdout
    fresh = _run(stale_ws, "ask", "explain customer " + str(stale_ws.read_table("orders")["customer_id"].iloc[0]))
    assert fresh.exit_code == 0 and "Out of date" in fresh.stdout


def test_the_chat_answer_says_the_model_is_out_of_date(stale_ws):
    from assistant.commands.chat import AgentSessionFactory
    from ui.turn import respond_turn

    factory = AgentSessionFactory(stale_ws, Settings.from_env({"workspace": stale_ws.path}, env={}))
    holder = SimpleNamespace(session=factory({"offline": True}), export_dir=stale_ws.path.parent / "exports",
                             overrides=None)
    *_, last = respond_turn(lambda h: h, QUESTION, [], holder)
    answer = [m["content"] for m in last[1] if m["role"] == "assistant"][-1]
    assert "Out of date" in str(answer)


@pytest.mark.parametrize("as_of", ["2099-01-01", "9999-12-31", "1990-01-01"])
def test_as_of_outside_the_data_is_refused_with_the_valid_range(ws, as_of):
    first, last = orders_range(ws)
    res = _run(ws, "predict", "--as-of", as_of, "--top", "3")
    assert res.exit_code == 2, res.output
    assert "--as-of" in res.output and str(first.date()) in res.output and str(last.date()) in res.output
    assert "shopped in" not in res.output and "choose a later" not in res.output
    seg = _run(ws, "segments", "--as-of", as_of)
    assert seg.exit_code == 2 and str(last.date()) in seg.output


def test_as_of_inside_the_range_still_works(ws):
    first, last = orders_range(ws)
    inside = (last - pd.Timedelta(days=30)).date().isoformat()
    res = _run(ws, "predict", "--as-of", inside, "--top", "3", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["as_of"] == inside
    assert check_as_of(ws, last.normalize() + pd.Timedelta(days=1)) == last.normalize() + pd.Timedelta(days=1)
    with pytest.raises(AsOfRangeError):
        check_as_of(ws, last.normalize() + pd.Timedelta(days=2))


def test_staleness_note_is_none_for_the_current_data_or_an_unknown_hash(ws):
    assert staleness_note(ws, ws.data_hash()) is None and staleness_note(ws, None) is None
    assert staleness_note(ws, "something-else", "2018-01-01").startswith("Out of date")
