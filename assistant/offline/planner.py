"""OfflinePlanner: a LangChain chat model that plans tool calls itself, so the same agent loop runs offline.

Each call looks at the conversation: with no tool results yet for the latest question it routes and parses
the question into tool calls; with results in, it either chains the next calls (a campaign per segment) or
composes the final grounded answer. Review text in results is never read as instructions: the plan depends
only on the user's words and on segment/product names.

``bind_tools`` hands the planner the tools' schemas (as a chat model is sent them); it calls only tools that
are bound, with the arguments their schemas declare, and says so when a question needs a tool that is not.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any, Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import ConfigDict, PrivateAttr

from ..messages import message_text, tool_result
from .binding import ToolSpec, check_calls, tool_schemas, tool_specs
from .compose import (HELP_TEXT, OUT_OF_SCOPE_TEXT, cannot_call_text, compose_answer, left_out_text,
                      query_lacking_text)
from .plan import Entities, Plan, make_plan
from .router import Router

__all__ = ["OfflinePlanner"]

MAX_ROUNDS = 3
_SCHEMA_CACHE = 16  # tool lists whose schemas are kept (the agent binds the same list on every model call)


class OfflinePlanner(BaseChatModel):
    """Routes by MiniLM similarity to example utterances + argument parsing; composes answers from results."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    context: Any = None          # tools.ToolContext: segment and product names for parsing
    router: Any = None           # assistant.offline.router.Router (built lazily when None)
    _entities: Entities | None = PrivateAttr(default=None)
    _schemas: dict = PrivateAttr(default_factory=dict)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "mka-offline-planner"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable:
        """The planner with ``tools`` bound: their schemas reach ``_generate`` as ``tools=`` (tool_choice and
        other options are ignored: the planner decides from the question)."""
        key = tuple(id(t) for t in tools)
        with self._lock:
            hit = self._schemas.get(key)
            if hit is None or any(a is not b for a, b in zip(hit[0], tools)):
                if len(self._schemas) >= _SCHEMA_CACHE:
                    self._schemas.clear()
                hit = self._schemas[key] = (list(tools), tool_schemas(tools))
        return self.bind(tools=hit[1])

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
        specs = tool_specs(kwargs.get("tools"))
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages, specs))])

    def respond(self, messages: list[BaseMessage], specs: dict[str, ToolSpec] | None = None) -> AIMessage:
        """The next message: tool calls (only to tools in ``specs``, the bound ones) or the answer."""
        specs = specs or {}
        last_h = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None)
        if last_h is None:
            return AIMessage(content=HELP_TEXT)
        question = message_text(messages[last_h].content)
        history = _previous_turn_calls(messages[:last_h])
        plan = self.plan(question, history)
        after = messages[last_h + 1:]
        rounds = sum(1 for m in after if isinstance(m, AIMessage) and m.tool_calls)
        first = check_calls(plan.first_calls(), specs, needs=plan.tools())
        if rounds == 0:
            if plan.route == "help":
                return AIMessage(content=HELP_TEXT)
            if plan.route == "out_of_scope":
                return AIMessage(content=OUT_OF_SCOPE_TEXT)
            if plan.route == "clarify":
                return AIMessage(content=plan.message or HELP_TEXT)
            if not first.ok:
                return AIMessage(content=cannot_call_text(first.unbound, first.missing, specs))
            lacking = [(a, v) for t, a, v in first.dropped if t == "query_data"]
            if lacking:  # a part of the question the bound query tool cannot express: say so, do not run less
                return AIMessage(content=query_lacking_text(lacking, plan.args))
            return _calls(first.calls)
        results = _results(after)
        notes = []
        dropped = list(first.dropped)
        if rounds < MAX_ROUNDS:
            nxt = check_calls(plan.next_calls(results), specs)
            if nxt.calls and nxt.ok:
                return _calls(nxt.calls)
            if not nxt.ok:
                notes.append(cannot_call_text(nxt.unbound, nxt.missing, specs))
            dropped += nxt.dropped
        # the same argument left out of every per-segment call is named once
        notes.append(left_out_text({(t, a, repr(v)): (t, a, v) for t, a, v in dropped}.values()))
        return AIMessage(content="\n\n".join([compose_answer(results, note=plan.message, focus=plan.focus)] + [n for n in notes if n]))


def _calls(calls: list[tuple[str, dict]]) -> AIMessage:
    return AIMessage(content="", tool_calls=[
        {"name": n, "args": a, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"} for n, a in calls])


def _results(after: list[BaseMessage]) -> list[tuple[str, dict, dict]]:
    """(tool, args, result) for this question's tool calls, in call order."""
    by_id = {m.tool_call_id: tool_result(m.content) for m in after if isinstance(m, ToolMessage)}
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
