"""Settings → "Test connection" (issue 19): assistant.llm.check_endpoint against the local fake server."""

from __future__ import annotations

import socket
import time

from assistant.llm import check_endpoint
from tests.fake_openai import FakeOpenAI
from ui.app import check_connection

KEY = "sk-secret-123456"


def test_a_tool_calling_endpoint_is_reachable_and_the_key_goes_as_a_bearer_token():
    with FakeOpenAI([{"tool_calls": [("ping", {"ok": True})]}]) as srv:
        line = check_endpoint(srv.base_url, KEY, "fake-model", timeout=5)
    assert line.startswith("✅ Reachable") and "tool calling works" in line
    assert KEY not in line and "\n" not in line
    assert srv.headers[0]["Authorization"] == f"Bearer {KEY}"
    req = srv.requests[0]
    assert req["model"] == "fake-model" and req["tools"][0]["function"]["name"] == "ping"


def test_a_model_that_answers_in_words_is_flagged_as_maybe_without_tool_calling():
    with FakeOpenAI([{"content": "ok"}]) as srv:
        line = check_endpoint(srv.base_url, None, "m", timeout=5)
    assert line.startswith("⚠️ Reachable") and "tool-calling" in line


def test_auth_failure_and_no_tool_support_are_named_without_the_key():
    with FakeOpenAI([{"status": 401, "error": f"invalid api key {KEY}"}]) as srv:
        line = check_endpoint(srv.base_url, KEY, "m", timeout=5)
    assert line.startswith("❌ Auth failed") and KEY not in line
    with FakeOpenAI([{"status": 400, "error": f"tools are not supported by this model ({KEY})"}]) as srv:
        line = check_endpoint(srv.base_url, KEY, "m", timeout=5)
    assert "no tool-calling support" in line and KEY not in line and "***" in line


def test_timeout_and_unreachable_endpoints():
    def slow(body):
        time.sleep(1.5)
        return {"content": "late"}

    with FakeOpenAI(slow) as srv:
        line = check_endpoint(srv.base_url, KEY, "m", timeout=0.3)
    assert line.startswith("❌ Timeout")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on this port now
    line = check_endpoint(f"http://127.0.0.1:{port}/v1", KEY, "m", timeout=2)
    assert line.startswith("❌ Unreachable") and KEY not in line
    assert "offline planner" in check_endpoint("", KEY)


def test_the_settings_button_uses_the_key_applied_earlier():
    class Holder:
        overrides = {"api_key": KEY}

    with FakeOpenAI([{"tool_calls": [("ping", {"ok": True})]}]) as srv:
        line = check_connection(srv.base_url + "/", "", "", Holder(), timeout=5)
    assert line.startswith("✅") and srv.headers[0]["Authorization"] == f"Bearer {KEY}"
