"""The real ChatOpenAI path against a local fake OpenAI-compatible server: tool calls, the second turn after a
tool result (content "" not null), LLM campaign copy, and the API key never printed."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner

from assistant.agent import build_agent
from assistant.llm import NullSafeChatOpenAI, make_chat_model
from assistant.session import ChatSession
from assistant.settings import Settings
from tests.fake_openai import FakeOpenAI
from tools import build_tools

SECRET = "sk-test-SECRET-123456"


def _session(server, ctx):
    settings = Settings.from_env({"base_url": server.base_url, "api_key": SECRET, "model": "fake-model",
                                  "workspace": ctx.workspace.path}, env={})
    llm = make_chat_model(settings, ctx)
    assert isinstance(llm, NullSafeChatOpenAI)
    return ChatSession(build_agent(llm, build_tools(ctx)), settings.backend_label)


def test_tool_call_then_answer_through_real_client(fake_ctx):
    def answer(body):
        tool_msg = next(m for m in body["messages"] if m["role"] == "tool")
        data = json.loads(tool_msg["content"])
        top = data["customers"][0]
        return {"content": f"Customer {top['customer_id']} is most likely to buy ({top['p_buy']:.0%})."}

    with FakeOpenAI([{"tool_calls": [("predict_buyers", {"horizon_days": 7, "top_k": 5})]}, answer]) as srv:
        res = _session(srv, fake_ctx).ask("which customers will buy this week?")
    assert [c["name"] for c in res.tool_calls] == ["predict_buyers"]
    assert res.tool_calls[0]["args"] == {"horizon_days": 7, "top_k": 5}
    top = fake_ctx.scores(7).iloc[0]
    assert f"Customer {top['customer_id']}" in res.answer
    assert res.backend == "openai:fake-model"
    first, second = srv.requests
    assert {t["function"]["name"] for t in first["tools"]} >= {"predict_buyers", "write_campaign", "data_overview"}
    assert first["messages"][0]["role"] == "system"
    assistant_turn = next(m for m in second["messages"] if m["role"] == "assistant")
    assert assistant_turn["content"] == "" and assistant_turn["tool_calls"]
    assert {k.lower(): v for k, v in srv.headers[0].items()}["authorization"] == f"Bearer {SECRET}"


def test_plain_chatopenai_would_be_rejected(fake_ctx):
    """The fake really enforces llama.cpp's rule: stock ChatOpenAI sends null and gets HTTP 400."""
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
    from langchain_openai import ChatOpenAI

    msgs = [HumanMessage("hi"), AIMessage("", tool_calls=[{"name": "list_segments", "args": {}, "id": "c1"}]),
            ToolMessage("{}", tool_call_id="c1")]
    with FakeOpenAI([{"content": "ok"}]) as srv:
        with pytest.raises(Exception, match="400|content"):
            ChatOpenAI(base_url=srv.base_url, api_key="x", model="m", max_retries=0).invoke(msgs)
        assert NullSafeChatOpenAI(base_url=srv.base_url, api_key="x", model="m", max_retries=0).invoke(msgs).content == "ok"


def test_campaign_for_each_segment_and_llm_copy(fake_ctx):
    def step(body):
        msgs = body["messages"]
        if not msgs[-1]["role"] in ("tool", "user") or msgs[-1]["role"] == "user" and "Facts about the segment" in msgs[-1]["content"]:
            pass
        if len(msgs) == 1 and "Facts about the segment" in msgs[0]["content"]:  # copywriter request
            return {"content": json.dumps({"variants": [{"subject": "Hello", "preheader": "p", "body": "b", "cta": "Go"}],
                                           "facts_used": ["grounded"]})}
        tool_results = [m for m in msgs if m["role"] == "tool"]
        if not tool_results:
            return {"tool_calls": [("list_segments", {})]}
        if len(tool_results) == 1:
            segs = json.loads(tool_results[0]["content"])["segments"]
            return {"tool_calls": [("write_campaign", {"segment": s["name"], "channel": "email"}) for s in segs]}
        return {"content": f"Wrote {len(tool_results) - 1} campaigns."}

    with FakeOpenAI(step) as srv:
        res = _session(srv, fake_ctx).ask("write an email campaign for each segment")
    names = [c["name"] for c in res.tool_calls]
    assert names == ["list_segments"] + ["write_campaign"] * 3
    assert all(c["result"]["generated_by"] == "llm" for c in res.tool_calls[1:])
    assert res.answer == "Wrote 3 campaigns."


def test_api_key_never_printed(fake_ctx, monkeypatch, caplog):
    from assistant.cli import cli

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    s = Settings.from_env(env={"OPENAI_API_KEY": SECRET, "MKA_LLM_BASE_URL": "http://127.0.0.1:9/v1"})
    assert SECRET not in repr(s) and SECRET not in str(s) and "api_key=set" in repr(s)
    with FakeOpenAI([{"tool_calls": [("list_segments", {})]}, {"content": "3 segments."}]) as srv:
        monkeypatch.setenv("MKA_LLM_BASE_URL", srv.base_url)
        out = CliRunner().invoke(cli, ["ask", "what segments do we have?", "--json", "-w", str(fake_ctx.workspace.path)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["answer"] == "3 segments." and data["tool_calls"] == [{"name": "list_segments", "args": {}}]
    assert SECRET not in out.output and SECRET not in caplog.text
    # an unreachable endpoint: a clean error, still no key
    monkeypatch.setenv("MKA_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    out = CliRunner().invoke(cli, ["ask", "hi", "-w", str(fake_ctx.workspace.path)])
    assert out.exit_code != 0 and SECRET not in out.output and "Traceback" not in out.output


def test_settings_from_env():
    s = Settings.from_env(env={})
    assert s.backend == "offline" and s.api_key is None
    s = Settings.from_env(env={"OPENAI_BASE_URL": "http://h/v1/", "MKA_MODEL": "qwen", "MKA_WORKSPACE": "w"})
    assert (s.backend, s.base_url, s.model, str(s.workspace)) == ("openai", "http://h/v1", "qwen", "w")
    s = Settings.from_env({"base_url": "http://x/v1", "model": None},
                          env={"MKA_LLM_BASE_URL": "http://a/v1", "OPENAI_BASE_URL": "http://b/v1"})
    assert s.base_url == "http://x/v1"
    assert Settings.from_env(env={"MKA_LLM_BASE_URL": "http://a/v1", "OPENAI_BASE_URL": "http://b/v1"}).base_url == "http://a/v1"
    with pytest.raises(ValueError, match="unknown setting"):
        Settings.from_env({"bogus": 1}, env={})
