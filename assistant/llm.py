"""LLM backends: any OpenAI-compatible endpoint through langchain-openai, or the offline planner."""

from __future__ import annotations

import time
from typing import Any, Iterator

from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI

from .llm_errors import LLMEndpointError, endpoint_error, retry_delay
from .messages import message_text
from .redact import redact, register_secret
from .settings import Settings

__all__ = ["make_chat_model", "NullSafeChatOpenAI", "make_copywriter", "check_endpoint", "LLMEndpointError"]


class NullSafeChatOpenAI(ChatOpenAI):
    """ChatOpenAI that sends assistant tool-call turns with ``content: ""`` instead of ``null``, retries rate
    limits and server errors with backoff, and fails with one clean ``LLMEndpointError`` line.

    llama.cpp's server (and some other OpenAI-compatible servers) reject ``content: null`` with HTTP 400,
    which is what langchain-openai sends for an assistant message that only carries tool calls. The client's
    own retries are off (``max_retries=0``): they would also retry a timeout, so a hung server would take
    several timeouts to report; here only HTTP 429 and 5xx are tried again, ``retry_attempts`` more times.
    """

    retry_attempts: int = 2
    retry_backoff_s: float = 1.0

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        for msg in payload.get("messages", []) or []:
            if msg.get("role") == "assistant" and msg.get("content") is None:
                msg["content"] = ""
        return payload

    def _failure(self, exc: BaseException, tries: int) -> BaseException:
        timeout = self.request_timeout
        timeout_s = getattr(timeout, "read", timeout) if timeout is not None else None
        clean = endpoint_error(exc, self.openai_api_base, model=self.model_name,
                               timeout_s=float(timeout_s) if isinstance(timeout_s, (int, float)) else None,
                               tries=tries)
        return clean if clean is not None else exc

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        attempt = 0
        while True:
            try:
                return super()._generate(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 — classified: the endpoint's failures become one clean line
                wait = retry_delay(exc, attempt, self.retry_backoff_s) if attempt < self.retry_attempts else None
                if wait is None:
                    raise self._failure(exc, attempt + 1) from None
                time.sleep(wait)
                attempt += 1

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        attempt = 0
        while True:
            started = False
            try:
                for chunk in super()._stream(*args, **kwargs):
                    started = True
                    yield chunk
                if not started:  # an OpenAI stream always opens with a chunk: the body was something else
                    raise ValueError("no generation chunks: not an OpenAI chat completion stream")
                return
            except Exception as exc:  # noqa: BLE001 — as in _generate; a half-streamed answer is not retried
                wait = retry_delay(exc, attempt, self.retry_backoff_s) \
                    if attempt < self.retry_attempts and not started else None
                if wait is None:
                    raise self._failure(exc, attempt + 1) from None
                time.sleep(wait)
                attempt += 1


def make_copywriter(llm: BaseChatModel):
    """``campaign fields -> reply text`` over the chat model, with prompts/campaign.md, for write_campaign."""
    from prompts import load_prompt

    def copywriter(fields: dict) -> str:
        return message_text(llm.invoke(load_prompt("campaign").format(**fields)).content)

    return copywriter


def make_chat_model(settings: Settings, tools_context: Any = None, router: Any = None) -> BaseChatModel:
    """ChatOpenAI for a configured endpoint, else the offline planner over ``tools_context`` (with ``router``,
    an ``assistant.offline.Router`` several planners share; by default each builds its own).

    With an endpoint, the tool context also gets a copywriter so write_campaign uses the LLM for copy.
    """
    if settings.backend == "openai":
        from openai import Timeout  # the client's own HTTP library's Timeout (httpx, or httpx2 from openai 3.x)

        key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
        register_secret(key)  # redact() masks it in every error text, chat message and log record
        llm = NullSafeChatOpenAI(
            base_url=settings.base_url,
            # local servers (llama.cpp, vLLM, Ollama) ignore the key but the client requires one
            api_key=key or "not-needed",
            model=settings.model,
            temperature=settings.temperature,
            # connect and read: a server that never answers fails after timeout_s instead of hanging
            timeout=Timeout(settings.timeout_s, connect=min(settings.timeout_s, 10.0)),
            max_retries=0,
            retry_attempts=settings.llm_retries,
            retry_backoff_s=settings.llm_backoff_s,
        )
        if tools_context is not None:
            tools_context.copywriter = make_copywriter(llm)
        return llm
    from .offline import OfflinePlanner

    return OfflinePlanner(context=tools_context, router=router)


_PROBE_TOOL = {"type": "function", "function": {
    "name": "ping", "description": "Answer the connection test.",
    "parameters": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}}}


def _scrub(text: Any, secret: str | None) -> str:
    return redact(" ".join(str(text).split()), [secret] if secret else [])[:200]


def check_endpoint(base_url: str, api_key: str | None = None, model: str | None = None,
                   timeout: float = 10.0) -> str:
    """One line saying whether an OpenAI-compatible endpoint answers a one-token chat request that offers a
    tool: reachable (tool calling works, or the model did not call the tool), auth failed, no tool-calling
    support, model not found, unreachable or timeout. The key is sent as a bearer token, never echoed."""
    import json
    import socket
    import urllib.error
    import urllib.request

    url = (base_url or "").strip().rstrip("/")
    if not url:
        return "No endpoint set: the offline planner answers (nothing to test)."
    body = {"model": model or "default", "max_tokens": 16, "temperature": 0,
            "messages": [{"role": "user", "content": "Call the ping tool with ok=true."}],
            "tools": [_PROBE_TOOL], "tool_choice": "auto"}
    req = urllib.request.Request(f"{url}/chat/completions", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {api_key or 'not-needed'}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            reply = json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = _scrub(exc.read().decode("utf-8", "replace"), api_key)
        if exc.code in (401, 403):
            return f"❌ Auth failed (HTTP {exc.code}): check the API key."
        low = detail.lower()
        if exc.code == 404 and "model" in low:
            return f"❌ Reachable, but model {model!r} was not found (HTTP 404)."
        if "tool" in low or "function" in low:
            return f"❌ Reachable, but no tool-calling support (HTTP {exc.code}): {detail}"
        return f"❌ Reachable, but the request failed (HTTP {exc.code}): {detail}"
    except (TimeoutError, socket.timeout):
        return f"❌ Timeout: no answer within {timeout:g} s."
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            return f"❌ Timeout: no answer within {timeout:g} s."
        return f"❌ Unreachable: {_scrub(exc.reason, api_key)}"
    except (ValueError, OSError) as exc:
        return f"❌ Unreachable or not an OpenAI-compatible endpoint: {_scrub(exc, api_key)}"
    choices = reply.get("choices") if isinstance(reply, dict) else None
    if not choices:
        return "❌ Reachable, but the reply is not an OpenAI chat completion."
    msg = (choices[0] or {}).get("message") or {}
    name = _scrub(reply.get("model") or model or "the model", api_key)  # a server may echo what it was sent
    if msg.get("tool_calls"):
        return f"✅ Reachable: {name} answered and called the test tool (tool calling works)."
    return (f"⚠️ Reachable: {name} answered but did not call the test tool — it may have no tool-calling "
            f"support; answers will be unreliable.")
