"""OfflinePlanner: a LangChain chat model that plans tool calls itself, so the same agent loop runs offline.

Each call looks at the conversation: with no tool results yet for the latest question it routes and parses
the question into tool calls; with results in, it either chains the next calls (a campaign per segment) or
composes the final grounded answer. Review text in results is never read as instructions: the plan depends
only on the user's words and on segment/product names.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from .compose import HELP_TEXT, OUT_OF_SCOPE_TEXT, compose_answer
from .plan import Entities, Plan, make_plan
from .router import Router

__all__ = ["OfflinePlanner"]

MAX_ROUNDS = 3


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content or "")


def _parse(content: Any) -> dict:
    try:
        v = json.loads(_text(content))
    except ValueError:
        return {"text": _text(content)}
    return v if isinstance(v, dict) else {"value": v}


class OfflinePlanner(BaseChatModel):
    """Routes by MiniLM similarity to example utterances + argument parsing; composes answers from results."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    context: Any = None          # tools.ToolContext: segment and product names for parsing
    router: Any = None           # assistant.offline.router.Router (built lazily when None)
    _entities: Entities | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "mka-offline-planner"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> "OfflinePlanner":
        # the planner already knows the tool set; create_agent only needs a runnable back
        return self

    def get_router(self) -> Router:
        if self.router is None:
            self.router = Router()
        return self.router

    def entities(self) -> Entities:
        if self._entities is None:
            self._entities = Entities.from_context(self.context)
        return self._entities

    def plan(self, question: str, history: list[tuple[str, dict]] | None = None) -> Plan:
        return make_plan(question, self.get_router(), self.entities(), history)

    # -- the chat-model hook ------------------------------------------------------------------------
    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages))])

    def respond(self, messages: list[BaseMessage]) -> AIMessage:
        last_h = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None)
        if last_h is None:
            return AIMessage(content=HELP_TEXT)
        question = _text(messages[last_h].content)
        history = _previous_turn_calls(messages[:last_h])
        plan = self.plan(question, history)
        after = messages[last_h + 1:]
        rounds = sum(1 for m in after if isinstance(m, AIMessage) and m.tool_calls)
        if rounds == 0:
            if plan.route == "help":
                return AIMessage(content=HELP_TEXT)
            if plan.route == "out_of_scope":
                return AIMessage(content=OUT_OF_SCOPE_TEXT)
            if plan.route == "clarify":
                return AIMessage(content=plan.message or HELP_TEXT)
            return _calls(plan.first_calls())
        results = _results(after)
        if rounds < MAX_ROUNDS:
            nxt = plan.next_calls(results)
            if nxt:
                return _calls(nxt)
        return AIMessage(content=compose_answer(results, note=plan.message))


def _calls(calls: list[tuple[str, dict]]) -> AIMessage:
    return AIMessage(content="", tool_calls=[
        {"name": n, "args": a, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"} for n, a in calls])


def _results(after: list[BaseMessage]) -> list[tuple[str, dict, dict]]:
    """(tool, args, result) for this question's tool calls, in call order."""
    by_id = {m.tool_call_id: _parse(m.content) for m in after if isinstance(m, ToolMessage)}
    out = []
    for m in after:
        if isinstance(m, AIMessage):
            for tc in m.tool_calls:
                if tc.get("id") in by_id:
                    out.append((tc["name"], dict(tc.get("args") or {}), by_id[tc["id"]]))
    return out


def _previous_turn_calls(messages: list[BaseMessage]) -> list[tuple[str, dict]]:
    """Tool calls made for the most recent earlier question that used tools (for follow-ups)."""
    turns: list[list[tuple[str, dict]]] = [[]]
    for m in messages:
        if isinstance(m, HumanMessage):
            turns.append([])
        elif isinstance(m, AIMessage) and m.tool_calls:
            turns[-1].extend((tc["name"], dict(tc.get("args") or {})) for tc in m.tool_calls)
    for calls in reversed(turns):
        if calls:
            return calls
    return []
