"""ChatSession: one conversation with the agent (its own thread_id → its own memory).

``ask`` returns an ``AskResult``; ``stream`` yields events for a UI: ``tool_start``, ``tool_end``, ``token``
and finally ``final`` (carrying the AskResult).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

from .messages import message_text, tool_result

__all__ = ["ChatSession", "AskResult"]


@dataclass
class AskResult:
    answer: str
    tool_calls: list[dict] = field(default_factory=list)  # [{name, args, result, duration_s}]
    backend: str = "offline"

    def to_json(self, with_results: bool = False) -> dict:
        calls = [{k: v for k, v in c.items() if with_results or k in ("name", "args")} for c in self.tool_calls]
        return {"answer": self.answer, "tool_calls": calls, "backend": self.backend}


class _ToolTimer(BaseCallbackHandler):
    """Wall time of each tool run, keyed by tool_call_id."""

    def __init__(self) -> None:
        self.started: dict[Any, tuple[str | None, float]] = {}
        self.durations: dict[str, float] = {}
        self._lock = threading.Lock()

    def on_tool_start(self, serialized: dict, input_str: str, *, run_id: Any, **kwargs: Any) -> None:
        with self._lock:
            self.started[run_id] = (kwargs.get("tool_call_id"), time.perf_counter())

    def _end(self, run_id: Any) -> None:
        with self._lock:
            call_id, t0 = self.started.pop(run_id, (None, None))
            if call_id is not None and t0 is not None:
                self.durations[call_id] = time.perf_counter() - t0

    def on_tool_end(self, output: Any, *, run_id: Any, **kwargs: Any) -> None:
        self._end(run_id)

    def on_tool_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self._end(run_id)


class ChatSession:
    """A conversation with memory. ``backend`` is a label for output (e.g. "offline", "openai:qwen")."""

    def __init__(self, agent: Any, backend: str = "offline", thread_id: str | None = None,
                 recursion_limit: int = 30) -> None:
        self.agent = agent
        self.backend = backend
        self.thread_id = thread_id or uuid.uuid4().hex
        self.recursion_limit = recursion_limit

    def __repr__(self) -> str:
        return f"ChatSession(backend={self.backend!r}, thread_id={self.thread_id!r})"

    def ask(self, question: str) -> AskResult:
        result = None
        for event in self.stream(question):
            if event["type"] == "final":
                result = event["result"]
        assert result is not None  # stream always ends with a final event
        return result

    def stream(self, question: str) -> Iterator[dict]:
        """Run one turn, yielding ``{"type": "tool_start"|"tool_end"|"token"|"final", ...}`` events."""
        timer = _ToolTimer()
        config = {"configurable": {"thread_id": self.thread_id}, "callbacks": [timer],
                  "recursion_limit": self.recursion_limit}
        calls: dict[str, dict] = {}
        order: list[str] = []
        answer = ""
        streamed_tokens = False
        for mode, chunk in self.agent.stream({"messages": [HumanMessage(content=str(question))]}, config=config,
                                             stream_mode=["updates", "messages"]):
            if mode == "messages":
                msg, meta = chunk
                if isinstance(msg, AIMessageChunk) and message_text(msg.content) and not msg.tool_call_chunks:
                    streamed_tokens = True
                    yield {"type": "token", "text": message_text(msg.content)}
                continue
            for update in (chunk or {}).values():
                msgs = (update or {}).get("messages", []) if isinstance(update, dict) else []
                for m in msgs:
                    if isinstance(m, AIMessage) and m.tool_calls:
                        for tc in m.tool_calls:
                            cid = tc.get("id") or uuid.uuid4().hex
                            calls[cid] = {"name": tc["name"], "args": dict(tc.get("args") or {}),
                                          "result": None, "duration_s": None}
                            order.append(cid)
                            yield {"type": "tool_start", "id": cid, "name": tc["name"], "args": calls[cid]["args"]}
                    elif isinstance(m, AIMessage):
                        answer = message_text(m.content)
                    elif isinstance(m, ToolMessage):
                        cid = m.tool_call_id
                        call = calls.setdefault(cid, {"name": m.name, "args": {}, "result": None, "duration_s": None})
                        if cid not in order:
                            order.append(cid)
                        call["result"] = tool_result(m.content)
                        d = timer.durations.get(cid)
                        call["duration_s"] = round(d, 4) if d is not None else None
                        yield {"type": "tool_end", "id": cid, "name": call["name"], "result": call["result"],
                               "duration_s": call["duration_s"]}
        if not streamed_tokens and answer:
            yield {"type": "token", "text": answer}
        result = AskResult(answer=answer, tool_calls=[calls[c] for c in order], backend=self.backend)
        yield {"type": "final", "answer": answer, "result": result}
