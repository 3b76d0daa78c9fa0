"""LLM backends: any OpenAI-compatible endpoint through langchain-openai, or the offline planner."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI

from .messages import message_text
from .settings import Settings

__all__ = ["make_chat_model", "NullSafeChatOpenAI", "make_copywriter"]


class NullSafeChatOpenAI(ChatOpenAI):
    """ChatOpenAI that sends assistant tool-call turns with ``content: ""`` instead of ``null``.

    llama.cpp's server (and some other OpenAI-compatible servers) reject ``content: null`` with HTTP 400,
    which is what langchain-openai sends for an assistant message that only carries tool calls.
    """

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        for msg in payload.get("messages", []) or []:
            if msg.get("role") == "assistant" and msg.get("content") is None:
                msg["content"] = ""
        return payload


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
        key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
        llm = NullSafeChatOpenAI(
            base_url=settings.base_url,
            # local servers (llama.cpp, vLLM, Ollama) ignore the key but the client requires one
            api_key=key or "not-needed",
            model=settings.model,
            temperature=settings.temperature,
            timeout=settings.timeout_s,
            max_retries=1,
        )
        if tools_context is not None:
            tools_context.copywriter = make_copywriter(llm)
        return llm
    from .offline import OfflinePlanner

    return OfflinePlanner(context=tools_context, router=router)
