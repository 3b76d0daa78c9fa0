"""One stream of chat events from a chat session, whichever way it answers.

The app consumes ``(kind, payload)`` pairs:
``("tool_start", {name, args})``, ``("tool_end", {name, args, result, duration_s})``, ``("token", text)``,
``("final", answer_markdown)`` and ``("error", message)``.
A session with ``stream(question)`` is followed event by event; one with only ``ask(question)`` is asked
once and its reply replayed in small pieces so the browser still sees the answer arrive progressively.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator, Mapping

__all__ = ["iter_events", "normalize_event", "answer_chunks"]

_START = {"tool_start", "tool_call", "on_tool_start"}
_END = {"tool_end", "tool_result", "on_tool_end"}
_TOKEN = {"token", "delta", "text", "answer_delta", "on_chat_model_stream"}
_FINAL = {"final", "answer", "done", "end"}


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _as_call(obj: Any) -> dict:
    call = _get(obj, "tool_call") or _get(obj, "call") or obj
    result = _get(call, "result")
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except json.JSONDecodeError:
            pass
    out = {"name": _get(call, "name") or _get(call, "tool") or "tool", "args": _get(call, "args") or {}}
    if _get(obj, "id") is not None:
        out["id"] = _get(obj, "id")
    if result is not None or _get(call, "duration_s") is not None:
        out["result"] = result
        out["duration_s"] = _get(call, "duration_s")
    return out


def answer_chunks(text: str, size: int = 24) -> Iterator[str]:
    """Split text into pieces of about ``size`` characters on whitespace, keeping every character."""
    piece = ""
    for token in re.findall(r"\S+\s*|\s+", text):
        piece += token
        if len(piece) >= size:
            yield piece
            piece = ""
    if piece:
        yield piece


def normalize_event(event: Any) -> list[tuple[str, Any]]:
    """A streamed event (dict or object) → zero or more ``(kind, payload)`` pairs."""
    if isinstance(event, str):
        return [("token", event)]
    kind = str(_get(event, "type") or _get(event, "kind") or _get(event, "event") or "").lower()
    if not kind and _get(event, "answer") is not None:  # an AskResult yielded at the end
        kind = "final"
    if kind in _START:
        return [("tool_start", _as_call(event))]
    if kind in _END:
        return [("tool_end", _as_call(event))]
    if kind in _TOKEN:
        text = _get(event, "text") or _get(event, "delta") or _get(event, "content") or _get(event, "token") or ""
        return [("token", str(text))] if text else []
    if kind == "error":
        return [("error", str(_get(event, "message") or _get(event, "error") or event))]
    if kind in _FINAL:
        answer = _get(event, "answer")
        if answer is None:
            answer = _get(event, "text") or _get(event, "content")
        result = _get(event, "result")
        if answer is None and result is not None:
            answer = _get(result, "answer")
        return [("final", str(answer))] if answer is not None else []
    return []


def iter_events(session: Any, question: str) -> Iterator[tuple[str, Any]]:
    """Events for one question; an exception from the session ends the turn with an ``error`` event."""
    try:
        stream = getattr(session, "stream", None)
        if callable(stream):
            for event in stream(question):
                yield from normalize_event(event)
            return
        result = session.ask(question)
    except Exception as exc:  # noqa: BLE001 — the chat reports the failure and stays usable
        yield ("error", f"The assistant failed: {type(exc).__name__}: {exc}")
        return
    for call in _get(result, "tool_calls") or []:
        yield ("tool_start", {"name": _get(call, "name"), "args": _get(call, "args") or {}})
        yield ("tool_end", _as_call(call))
    answer = str(_get(result, "answer") or "")
    for piece in answer_chunks(answer):
        yield ("token", piece)
    yield ("final", answer)
