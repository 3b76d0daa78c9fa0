"""Chat-message content as plain values: the text of a message, the result in a tool message."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["message_text", "tool_result"]


def message_text(content: Any) -> str:
    """A message's content as text: a string as is, content blocks joined by their text, None as ""."""
    if isinstance(content, list):
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content or "")


def tool_result(content: Any) -> dict:
    """A tool message's JSON content as a dict (text that is not JSON becomes ``{"text": ...}``)."""
    text = message_text(content)
    try:
        val = json.loads(text)
    except ValueError:
        return {"text": text}
    return val if isinstance(val, dict) else {"value": val}
