"""A failing LLM endpoint as one clean line: which endpoint, what went wrong, what to check (issue 17).

``endpoint_error(exc, base_url, ...)`` turns what the OpenAI client (or langchain-openai around it) raises into
an ``LLMEndpointError`` whose message is one redacted line; ``retry_delay`` says whether (and how long to
wait before) a failed request is tried again: only rate limits (429) and server errors (5xx) are retried.
Anything else is left alone (``None``): a bug in our code must stay a bug, not become "the endpoint failed".
"""

from __future__ import annotations

import json
from typing import Any

from .redact import redact

__all__ = ["LLMEndpointError", "endpoint_error", "retry_delay", "RETRY_STATUSES"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_WAIT_S = 30.0
_GARBAGE_HINTS = ("choices", "generation chunks", "expecting value", "not an openai")


class LLMEndpointError(RuntimeError):
    """The configured LLM endpoint failed; the message is one redacted line naming it and what to check."""

    def __init__(self, message: str, *, status: int | None = None, base_url: str | None = None) -> None:
        super().__init__(redact(" ".join(str(message).split())))
        self.status = status
        self.base_url = base_url


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen and len(seen) < 8:
        seen.append(exc)
        exc = exc.__cause__ if exc.__cause__ is not None else (None if exc.__suppress_context__ else exc.__context__)
    return seen


def _status(exc: BaseException) -> int | None:
    for e in _chain(exc):
        code = getattr(e, "status_code", None)
        if isinstance(code, int):
            return code
    return None


def _detail(exc: BaseException) -> str:
    """What the server said, short: the error message from a JSON body, else the exception's text."""
    body = getattr(exc, "body", None)
    msg = None
    if isinstance(body, dict):
        err = body.get("error")
        msg = body.get("message") or (err.get("message") if isinstance(err, dict) else err)
    text = str(msg) if msg else str(exc)
    text = text.split(" - ", 1)[-1] if text.startswith("Error code:") else text
    text = " ".join(text.split())
    return text[:160] + ("…" if len(text) > 160 else "")


def _is_garbage(exc: BaseException) -> bool:
    import openai

    for e in _chain(exc):
        if isinstance(e, (json.JSONDecodeError, openai.APIResponseValidationError)):
            return True
        if isinstance(e, (TypeError, ValueError, KeyError)) and any(h in str(e).lower() for h in _GARBAGE_HINTS):
            return True
    return False


def retry_delay(exc: BaseException, attempt: int, backoff_s: float) -> float | None:
    """Seconds to wait before trying again after ``exc`` on try number ``attempt`` (0-based), or None when it
    must not be retried. Exponential backoff; a server's ``Retry-After`` (seconds) wins, capped at 30 s."""
    if _status(exc) not in RETRY_STATUSES:
        return None
    wait = backoff_s * (2 ** attempt)
    for e in _chain(exc):
        response = getattr(e, "response", None)
        header = getattr(response, "headers", {}).get("retry-after") if response is not None else None
        if header:
            try:
                wait = float(header)
            except ValueError:
                pass
            break
    return max(0.0, min(wait, _MAX_WAIT_S))


def endpoint_error(exc: BaseException, base_url: str | None, *, model: str | None = None,
                   timeout_s: float | None = None, tries: int = 1) -> LLMEndpointError | None:
    """``exc`` as a one-line ``LLMEndpointError`` when it is the endpoint's failure, else None."""
    import openai

    if isinstance(exc, LLMEndpointError):
        return exc
    where = f"the LLM endpoint {base_url}"
    tried = f", tried {tries} times" if tries > 1 else ""
    status = _status(exc)
    top = next((e for e in _chain(exc) if isinstance(e, openai.OpenAIError)), None)
    if isinstance(top, openai.APITimeoutError):
        limit = f"within {timeout_s:g} s" if timeout_s else "in time"
        msg = (f"{where} did not answer {limit}: check that the server is running and not overloaded, or raise "
               f"the limit with MKA_LLM_TIMEOUT_S")
    elif isinstance(top, openai.APIConnectionError):
        reason = next((str(e) for e in _chain(exc)[1:] if str(e) and not isinstance(e, openai.OpenAIError)),
                      "connection failed")
        msg = (f"{where} is unreachable ({_detail_text(reason)}): check the URL (--base-url / MKA_LLM_BASE_URL) "
               f"and that the server is running, or unset it to use the offline planner")
    elif status in (401, 403):
        msg = (f"{where} refused the credentials (HTTP {status}): check the API key (OPENAI_API_KEY) "
               f"for this endpoint")
    elif status == 404:
        msg = (f"{where} has no model {model!r} or no such route (HTTP 404): check --model / MKA_MODEL and that "
               f"the URL ends where the API starts (usually /v1)")
    elif status == 429:
        msg = f"{where} is rate-limiting requests (HTTP 429{tried}): wait a minute and ask again, or check the quota"
    elif status is not None and status >= 500:
        msg = (f"{where} failed with a server error (HTTP {status}{tried}): {_detail(top or exc)}; check the "
               f"server's log")
    elif status is not None:
        msg = f"{where} rejected the request (HTTP {status}): {_detail(top or exc)}"
    elif _is_garbage(exc):
        msg = (f"{where} answered with something that is not an OpenAI chat completion: check that the URL "
               f"points at an OpenAI-compatible API (usually ending in /v1)")
    elif top is not None:
        msg = f"{where} failed ({type(top).__name__}): {_detail(top)}"
    else:
        return None
    return LLMEndpointError(msg, status=status, base_url=base_url)


def _detail_text(text: str) -> str:
    text = " ".join(str(text).split())
    return text[:120] + ("…" if len(text) > 120 else "")
