"""The agent loop: scripted fake chat models, the offline planner end to end (chains, memory, injection),
the streaming events, and `mka ask` on the demo workspace."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.agent import build_agent
from assistant.offline import OfflinePlanner
from assistant.session import ChatSession
from tests.agent_fakes import INJECTION, SEGMENTS
from tools import ToolContext, build_tools



class ScriptedModel(GenericFakeChatModel):
    """Replies from a script; tools are already known, so bind_tools returns the model itself."""

    # GenericFakeChatModel streams nothing for a content-less tool-call message; the agent streams tokens
    disable_streaming: bool = True

    def bind_tools(self, tools, **kwargs):
        return self


@pytest.fixture(scope="module", autouse=True)
def one_embedding_thread():
    """One embedding worker while this module runs: on a shared 2-core host, sentence embedding is several
    times faster on one thread."""
    from models import runtime

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runtime, "current", lambda: runtime.Runtime(threads=1))
        yield


@pytest.fixture(scope="module")
def router():
    from assistant.offline.router import Router

    return Router()


def offline_session(ctx, router):
    return ChatSession(build_agent(OfflinePlanner(context=ctx, router=router), build_tools(ctx)), "offline")


def test_scripted_model_drives_tools_and_errors_go_back(fake_ctx):
    script = iter([
        AIMessage("", tool_calls=[{"name": "predict_buyers", "args": {"horizon_days": 5}, "id": "c1"}]),
        AIMessage("", tool_calls=[{"name": "predict_buyers", "args": {"horizon_days": 7, "top_k": 2}, "id": "c2"}]),
        AIMessage("Two customers stand out."),
    ])
    session = ChatSession(build_agent(ScriptedModel(messages=script), build_tools(fake_ctx)), "scripted")
    res = session.ask("who buys?")
    assert [c["name"] for c in res.tool_calls] == ["predict_buyers", "predict_buyers"]
    assert "7, 14, 30" in res.tool_calls[0]["result"]["error"]  # the bad horizon came back as a message
    assert len(res.tool_calls[1]["result"]["customers"]) == 2
    assert all(c["duration_s"] is not None and c["duration_s"] >= 0 for c in res.tool_calls)
    assert res.answer == "Two customers stand out." and res.backend == "scripted"


def test_offline_predict_answer_is_grounded(fake_ctx, router):
    res = offline_session(fake_ctx, router).ask("which customers will buy this week?")
    assert [c["name"] for c in res.tool_calls] == ["predict_buyers"]
    assert res.tool_calls[0]["args"] == {"horizon_days": 7}
    r = res.tool_calls[0]["result"]
    for c in r["customers"][:3]:
        assert c["customer_id"] in res.answer
    assert r["as_of"] in res.answer and "ROC-AUC 0.81" in res.answer and r["target"] in res.answer
    assert r["export_csv"] in res.answer


def test_offline_campaign_for_each_segment_chains(fake_ctx, router):
    res = offline_session(fake_ctx, router).ask("write an email campaign for each segment")
    names = [c["name"] for c in res.tool_calls]
    assert names == ["list_segments"] + ["write_campaign"] * len(SEGMENTS)
    assert {c["args"]["segment"] for c in res.tool_calls[1:]} == {s["name"] for s in SEGMENTS}
    for c in res.tool_calls[1:]:
        assert c["result"]["kind"] == "campaign" and c["result"]["segment"] in res.answer
        assert c["result"]["variants"][0]["subject"] in res.answer


def test_offline_reviews_cite_ids_and_injection_changes_nothing(fake_ctx, router):
    session = offline_session(fake_ctx, router)
    res = session.ask("what do customers complain about in the reviews of bag snacks?")
    assert [(c["name"], c["args"].get("product"), c["args"].get("max_rating")) for c in res.tool_calls] == [
        ("search_reviews", "Bag Snacks", 2)]
    assert "[r6]" in res.answer
    # the injected review is in the index; asking about chips returns it, and the plan stays one search
    res2 = session.ask("show me all reviews about chips")
    assert [c["name"] for c in res2.tool_calls] == ["search_reviews"]
    texts = [v["text"] for v in res2.tool_calls[0]["result"]["reviews"]]
    assert any("IGNORE ALL PREVIOUS" in t for t in texts)
    assert not any(c["name"] == "write_campaign" for c in res2.tool_calls)
    assert "free money" not in json.dumps([c["args"] for c in res2.tool_calls])
    assert INJECTION.split(".")[0] not in "".join(str(c["args"]) for c in res2.tool_calls)


def test_offline_memory_follow_up_and_separate_sessions(fake_ctx, router):
    s1 = offline_session(fake_ctx, router)
    s1.ask("top 3 customers likely to buy this week")
    res = s1.ask("and for next month?")
    assert res.tool_calls[0]["name"] == "predict_buyers"
    assert res.tool_calls[0]["args"] == {"horizon_days": 30, "top_k": 3}
    s2 = ChatSession(s1.agent, "offline")  # same agent, new thread: no memory of s1
    res2 = s2.ask("and for next month?")
    assert all(c["args"].get("top_k") != 3 for c in res2.tool_calls)  # s1's "top 3" did not leak into s2


def test_out_of_scope_and_revenue(fake_ctx, router):
    s = offline_session(fake_ctx, router)
    res = s.ask("what's the weather in Paris tomorrow?")
    assert res.tool_calls == [] and "campaign" in res.answer.lower()
    res = s.ask("revenue by month")
    assert res.tool_calls[0]["name"] == "data_overview"
    assert res.tool_calls[0]["args"] == {"metric": "revenue", "by": "month"}
    first = res.tool_calls[0]["result"]["rows"][0]
    assert first["month"] in res.answer


def test_stream_events(fake_ctx, router):
    events = list(offline_session(fake_ctx, router).stream("what segments do we have?"))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "tool_start" and "tool_end" in kinds and kinds[-1] == "final"
    assert events[-1]["result"].tool_calls[0]["name"] == "list_segments"
    assert any(e["type"] == "token" for e in events)


# -- the real demo workspace (all areas built) ---------------------------------------------------------------
DONE_WHEN = [
    ("which customers will buy this week?", ["predict_buyers"]),
    ("write an email campaign for each segment", ["list_segments", "write_campaign"]),
    ("revenue by month", ["data_overview"]),
]


@pytest.mark.slow
def test_mka_ask_on_demo_workspace(demo_workspace):
    from assistant.cli import cli

    runner = CliRunner()
    for q, tools in DONE_WHEN:
        out = runner.invoke(cli, ["ask", q, "--json", "-w", str(demo_workspace.path)])
        assert out.exit_code == 0, out.output
        data = json.loads(out.output)
        assert data["backend"] == "offline"
        assert [c["name"] for c in data["tool_calls"]][: len(tools)] == tools[: len(data["tool_calls"])]
        assert "error" not in data["answer"].lower()[:200]
    from models.reviews.index import resolve_product

    ctx = ToolContext(demo_workspace)
    matches = list(resolve_product(demo_workspace, "a"))
    cat = matches[0]["category"] if matches else None
    names = ctx.reviewed_names()
    assert names
    q = f"what do customers complain about in the reviews of {cat or names[0]}?"
    out = runner.invoke(cli, ["ask", q, "--json", "-w", str(demo_workspace.path)])
    data = json.loads(out.output)
    assert data["tool_calls"][0]["name"] == "search_reviews" and data["tool_calls"][0]["args"]["max_rating"] == 2
    assert "★" in data["answer"]
