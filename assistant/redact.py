"""The one redaction function: every error text passes through ``redact`` before it reaches the CLI, the chat
window or a log record.

It removes the secrets this process knows (the API key and the browser password, registered by the edge with
``register_secret``) and anything shaped like a credential: ``Bearer …`` tokens, ``sk-…`` keys and
``api_key=…`` / ``"api_key": "…"`` pairs. ``install_log_redaction`` makes every log record pass through it.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Iterable

__all__ = ["redact", "register_secret", "install_log_redaction", "MASK"]

MASK = "***"
_MIN_SECRET = 4  # shorter "secrets" (e.g. "x", "not-needed") would mask ordinary words
_PATTERNS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=:-]+"), r"\1 " + MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{4,}"), "sk-" + MASK),
    (re.compile(r"(?i)((?:api[_-]?key|x-api-key|password|access[_-]?token|auth[_-]?token)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}&]+"), r"\1" + MASK),
)
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: Any) -> None:
    """Remember a secret (str or pydantic ``SecretStr``) so ``redact`` masks it wherever it appears."""
    if value is None:
        return
    text = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    if len(text) >= _MIN_SECRET and text != "not-needed":
        with _lock:
            _secrets.add(text)


def redact(text: Any, secrets: Iterable[Any] = ()) -> str:
    """``text`` as a string with the registered ``secrets`` (and any given here) and credential-shaped
    substrings replaced by ``***``."""
    out = str(text)
    extra = [s.get_secret_value() if hasattr(s, "get_secret_value") else str(s) for s in secrets if s]
    with _lock:
        known = sorted({*_secrets, *(s for s in extra if len(s) >= _MIN_SECRET)}, key=len, reverse=True)
    for secret in known:
        out = out.replace(secret, MASK)
    for pattern, repl in _PATTERNS:
        out = pattern.sub(repl, out)
    return out


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — bad %-args: left for the handler to report, as logging does
            return True
        clean = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return True


_FILTER = _RedactingFilter()


def install_log_redaction() -> None:
    """Make every log record (this process's, and its libraries') pass through ``redact``: a record factory
    runs for each record that passes its logger's level, whichever handler later writes it."""
    old = logging.getLogRecordFactory()
    if getattr(old, "_mka_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = old(*args, **kwargs)
        _FILTER.filter(record)
        return record

    factory._mka_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
