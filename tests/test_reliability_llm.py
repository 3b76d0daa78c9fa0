"""Issue 17 #4: a failing LLM endpoint gives one clean line naming it and what to check (exit 2 in the CLI, a
chat message in the app), never a traceback or the API key; a hang times out; 429/5xx are retried with backoff.

Every case runs against the local fake OpenAI server (tests/fake_openai.py): connection refused, a 401 whose
body echoes the Authorization header, HTTP 500, a garbage body, a server that never answers.
"""

from __future__ import annotations

import logging
import socket
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.llm import LLMEndpointError, make_chat_model
from assistant.llm_errors import retry_delay
from assistant.redact import install_log_redaction, redact, register_secret
from assistant.settings import Settings
from tests.agent_fakes import make_fake_workspace
from tests.fake_openai import FakeOpenAI

KEY = "sk-live-TOPSECRET-0123456789"


@pytest.fixture()
def ws(tmp_path):
    return make_fake_workspace(tmp_path / "ws")


def _refused_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return f"http://127.0.0.1:{port}/v1"


def _ask(ws, base_url: str, **settings):
    obj = Settings.from_env({"base_url": base_url, "api_key": KEY, "workspace": ws.path, "llm_backoff_s": 0.01,
                             **settings}, env={})
    return CliRunner().invoke(cli, ["ask", "who will buy next week?", "-w", str(ws.path)], obj=obj)


def _assert_clean(res, base_url: str, *words: str) -> str:
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert err.startswith("Error: the LLM endpoint ") and base_url in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in res.output
    assert KEY not in res.output and "TOPSECRET" not in res.output
    for w in words:
        assert w in err, err
    return err


def test_connection_refused_names_the_endpoint_and_what_to_check(ws):
    url = _refused_url()
    _assert_clean(_ask(ws, url), url, "unreachable", "--base-url")


def test_a_401_that_echoes_the_authorization_header_never_prints_the_key(ws):
    with FakeOpenAI([{"status": 401, "echo_auth": True}]) as srv:
        res = _ask(ws, srv.base_url)
    sent = {k.lower(): v for k, v in srv.headers[0].items()}
    assert sent["authorization"] == f"Bearer {KEY}"  # the server did get (and echo) the real key
    _assert_clean(res, srv.base_url, "HTTP 401", "API key")


def test_http_500_is_retried_with_backoff_then_reported(ws):
    with FakeOpenAI([{"status": 500, "error": f"internal error for Bearer {KEY}"}]) as srv:
        res = _ask(ws, srv.base_url)
    assert len(srv.requests) == 3  # one try and the two retries of Settings.llm_retries
    _assert_clean(res, srv.base_url, "HTTP 500", "tried 3 times")


def test_a_5xx_then_an_answer_succeeds_after_a_retry(ws):
    with FakeOpenAI([{"status": 503, "error": "busy"}, {"content": "Nobody yet."}]) as srv:
        res = _ask(ws, srv.base_url)
    assert res.exit_code == 0, res.output
    assert "Nobody yet." in res.stdout and len(srv.requests) == 2


def test_a_garbage_body_is_named_as_not_an_openai_endpoint(ws):
    with FakeOpenAI([{"raw": "<html><body>It works!</body></html>"}]) as srv:
        res = _ask(ws, srv.base_url)
    _assert_clean(res, srv.base_url, "not an OpenAI chat completion")


def test_an_endpoint_that_never_answers_times_out(ws):
    with FakeOpenAI([{"hang": 5}]) as srv:
        res = _ask(ws, srv.base_url, timeout_s=0.5)
    _assert_clean(res, srv.base_url, "did not answer within 0.5 s", "MKA_LLM_TIMEOUT_S")
    assert len(srv.requests) == 1  # a timeout is not retried: a hung server is reported after one limit


def test_the_chat_window_shows_the_clean_line_without_the_key(ws):
    from assistant.commands.chat import AgentSessionFactory
    from ui.turn import respond_turn

    settings = Settings.from_env({"base_url": "", "api_key": KEY, "workspace": ws.path}, env={})
    with FakeOpenAI([{"status": 401, "echo_auth": True}]) as srv:
        factory = AgentSessionFactory(ws, settings.with_(base_url=srv.base_url))
        holder = SimpleNamespace(session=factory(None), export_dir=ws.path.parent / "exports", overrides=None)
        *_, last = respond_turn(lambda h: h, "who will buy?", [], holder)
    text = "\n".join(str(m["content"]) for m in last[1])
    assert "HTTP 401" in text and srv.base_url in text
    assert KEY not in text and "TOPSECRET" not in text and "Traceback" not in text


def test_the_timeout_setting_reaches_the_client():
    assert Settings().timeout_s == 60.0
    s = Settings.from_env({"base_url": "http://127.0.0.1:9/v1"}, env={"MKA_LLM_TIMEOUT_S": "7.5"})
    llm = make_chat_model(s)
    assert s.timeout_s == 7.5 and llm.request_timeout.read == 7.5 and llm.max_retries == 0
    with pytest.raises(ValueError, match="MKA_LLM_TIMEOUT_S"):
        Settings.from_env(env={"MKA_LLM_TIMEOUT_S": "soon"})


def test_retry_only_rate_limits_and_server_errors():
    class Resp:
        headers = {"retry-after": "2"}

    class Status(Exception):
        def __init__(self, code, response=None):
            super().__init__(f"HTTP {code}")
            self.status_code, self.response = code, response

    assert retry_delay(Status(429), 0, 1.0) == 1.0 and retry_delay(Status(502), 2, 1.0) == 4.0
    assert retry_delay(Status(429, Resp()), 0, 1.0) == 2.0  # the server's Retry-After wins
    assert retry_delay(Status(401), 0, 1.0) is None and retry_delay(Status(400), 0, 1.0) is None
    assert retry_delay(ValueError("x"), 0, 1.0) is None


def test_one_redaction_function_masks_keys_bearer_tokens_and_registered_secrets():
    register_secret("local-server-pass-42")
    text = redact(f"Authorization: Bearer abc.def-123 key {KEY} api_key='zz9' and local-server-pass-42 here")
    assert "abc.def-123" not in text and KEY not in text and "zz9" not in text and "local-server-pass-42" not in text
    assert "Bearer ***" in text and "here" in text
    assert redact("max_tokens: 16, a plain sentence") == "max_tokens: 16, a plain sentence"


def test_log_records_pass_through_the_redaction(caplog):
    install_log_redaction()
    register_secret("opaque-key-without-prefix")
    log = logging.getLogger("mka.test")
    with caplog.at_level(logging.INFO):
        log.warning("endpoint said %s", "denied for Bearer opaque-key-without-prefix")
        try:
            raise RuntimeError(f"failed with {KEY}")
        except RuntimeError:
            log.exception("boom")
    assert "opaque-key-without-prefix" not in caplog.text and KEY not in caplog.text
    assert "endpoint said" in caplog.text
    # a malformed call must not raise at the call site (logging reports it in the handler, as before)
    record = logging.getLogRecordFactory()("mka.test", logging.WARNING, __file__, 1, "bad %s %s", ("one",), None)
    assert record.msg == "bad %s %s"


def test_llm_endpoint_error_is_redacted_even_when_built_by_hand():
    assert KEY not in str(LLMEndpointError(f"the LLM endpoint x said {KEY}"))
