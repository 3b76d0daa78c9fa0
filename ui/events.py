"""One stream of chat events from a chat session, whichever way it answers.

The app consumes ``(kind, payload)`` pairs:
``("tool_start", {name, args})``, ``("tool_end", {name, args, result, duration_s})``, ``("token", text)``,
``("final", answer_markdown)`` and ``("error", message)``.
A session with ``stream(question)`` (``assistant.session.ChatSession``, the one producer: events are dicts with
``type`` one of the kinds above) is followed event by event; one with only ``ask(question)`` is asked once and
its reply replayed in small pieces so the browser still sees the answer arrive progressively.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator, Mapping

from assistant.llm_errors import LLMEndpointError
from assistant.redact import redact

__all__ = ["iter_events", "normalize_event", "answer_chunks"]


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _as_call(obj: Any) -> dict:
    """A tool event, or one of an AskResult's tool calls, as ``{name, args[, id][, result, duration_s]}``."""
    result = _get(obj, "result")
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except json.JSONDecodeError:
            pass
    out = {"name": _get(obj, "name") or "tool", "args": _get(obj, "args") or {}}
    if _get(obj, "id") is not None:
        out["id"] = _get(obj, "id")
    if result is not None or _get(obj, "duration_s") is not None:
        out["result"] = result
        out["duration_s"] = _get(obj, "duration_s")
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
    """One of ``ChatSession.stream``'s events (or a bare text piece) → zero or more ``(kind, payload)`` pairs."""
    if isinstance(event, str):
        return [("token", event)]
    kind = _get(event, "type")
    if kind in ("tool_start", "tool_end"):
        return [(kind, _as_call(event))]
    if kind == "token":
        text = _get(event, "text") or ""
        return [("token", str(text))] if text else []
    if kind == "error":
        return [("error", redact(_get(event, "message") or event))]
    if kind == "final":
        answer = _get(event, "answer")
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
    except LLMEndpointError as exc:  # one clean line naming the endpoint and what to check
        yield ("error", str(exc))
        return
    except Exception as exc:  # noqa: BLE001 — the chat reports the failure and stays usable
        yield ("error", redact(f"The assistant failed: {type(exc).__name__}: {exc}"))
        return
    for call in _get(result, "tool_calls") or []:
        yield ("tool_start", {"name": _get(call, "name"), "args": _get(call, "args") or {}})
        yield ("tool_end", _as_call(call))
    answer = str(_get(result, "answer") or "")
    for piece in answer_chunks(answer):
        yield ("token", piece)
    yield ("final", answer)
