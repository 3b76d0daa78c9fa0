"""Settings read once at the edge (CLI/UI) from the environment and flags, then passed down.

This module is the only reader (and writer) of environment variables. No endpoint configured means the
offline planner. The API key and the browser password are ``SecretStr``: they never appear in ``repr``, logs
or command output. ``configure_process`` applies the process-wide part once, when `mka` starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from pydantic import SecretStr

from models.data.workspace import DEFAULT_WORKSPACE
from models.runtime import DEFAULT_THREADS, EMBED_DTYPES

__all__ = ["Settings", "DEFAULT_MODEL", "LIBRARY_FLAGS", "LIBRARY_DEFAULTS", "configure_process", "private_ui_cache"]

DEFAULT_MODEL = "gpt-4o-mini"
_DTYPE_NAMES = {"fp32": "float32", "bf16": "bfloat16"}

# Read by libraries when they load, so set before they are imported. Forced: the MiniLM weights come from the
# installed package and nothing is fetched from the Hugging Face Hub. Defaults a user may override: Gradio's
# and Chroma's usage analytics stay off.
LIBRARY_FLAGS = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
LIBRARY_DEFAULTS = {"GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False"}


@dataclass(frozen=True)
class Settings:
    base_url: str | None = None
    api_key: SecretStr | None = field(default=None, repr=False)
    model: str = DEFAULT_MODEL
    workspace: Path = Path(DEFAULT_WORKSPACE)
    temperature: float = 0.0
    timeout_s: float = 60.0  # connect/read limit for one LLM request (MKA_LLM_TIMEOUT_S)
    llm_retries: int = 2  # HTTP 429 / 5xx from the endpoint are tried again this many times, with backoff
    llm_backoff_s: float = 1.0  # the first wait; each retry doubles it (a server's Retry-After wins)
    auth: SecretStr | None = field(default=None, repr=False)  # "user:password" for the browser app
    torch_threads: int = DEFAULT_THREADS
    embed_dtype: str = "auto"
    lock_timeout_s: float = 60.0  # a second writer to one workspace waits this long, then fails (models/data/lock.py)
    chroma_url: str | None = None  # the review index on this Chroma server (http://host:port), not in the workspace

    @property
    def backend(self) -> str:
        """"openai" when an endpoint is configured, else "offline"."""
        return "openai" if self.base_url else "offline"

    @property
    def backend_label(self) -> str:
        return f"openai:{self.model}" if self.base_url else "offline"

    def __repr__(self) -> str:  # the key is shown only as set/unset
        key = "set" if self.api_key is not None and self.api_key.get_secret_value() else "unset"
        return (f"Settings(backend={self.backend!r}, base_url={self.base_url!r}, model={self.model!r}, "
                f"workspace={str(self.workspace)!r}, api_key={key}, torch_threads={self.torch_threads}, "
                f"embed_dtype={self.embed_dtype!r})")

    __str__ = __repr__

    @classmethod
    def from_env(cls, overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> "Settings":
        """Environment first, then non-None ``overrides`` (CLI flags) on top.

        Variables: MKA_LLM_BASE_URL (or OPENAI_BASE_URL), OPENAI_API_KEY, MKA_MODEL, MKA_WORKSPACE, MKA_AUTH,
        MKA_TORCH_THREADS (or OMP_NUM_THREADS), MKA_EMBED_DTYPE (auto, float32 or bfloat16), MKA_LLM_TIMEOUT_S
        (seconds one LLM request may take, default 60), MKA_CHROMA_URL (a Chroma server for the review index,
        http://host:port).
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {
            "base_url": env.get("MKA_LLM_BASE_URL") or env.get("OPENAI_BASE_URL") or None,
            "api_key": env.get("OPENAI_API_KEY") or None,
            "model": env.get("MKA_MODEL") or DEFAULT_MODEL,
            "workspace": env.get("MKA_WORKSPACE") or DEFAULT_WORKSPACE,
            "auth": env.get("MKA_AUTH") or None,
            "torch_threads": (env.get("MKA_TORCH_THREADS") or (env.get("OMP_NUM_THREADS") or "").split(",")[0]
                              or DEFAULT_THREADS),
            "embed_dtype": env.get("MKA_EMBED_DTYPE") or "auto",
            "timeout_s": env.get("MKA_LLM_TIMEOUT_S") or cls.timeout_s,
            "chroma_url": env.get("MKA_CHROMA_URL") or None,
        }
        return cls._build(values, overrides)

    def updated(self, overrides: Mapping[str, Any] | None) -> "Settings":
        """These settings with the non-None ``overrides`` (CLI flags) on top, checked as ``from_env`` checks."""
        return self._build({name: getattr(self, name) for name in self.__dataclass_fields__}, overrides)

    @classmethod
    def _build(cls, values: dict[str, Any], overrides: Mapping[str, Any] | None) -> "Settings":
        for k, v in dict(overrides or {}).items():
            if k not in cls.__dataclass_fields__:
                raise ValueError(f"unknown setting {k!r}; known: {', '.join(cls.__dataclass_fields__)}")
            if v is not None:
                values[k] = v
        for secret in ("api_key", "auth"):
            if values.get(secret) is not None and not isinstance(values[secret], SecretStr):
                values[secret] = SecretStr(str(values[secret]))
        threads = str(values["torch_threads"]).strip()
        if not threads.isdigit() or int(threads) < 1:
            raise ValueError(f"torch threads {threads!r} (MKA_TORCH_THREADS or OMP_NUM_THREADS): expected a whole "
                             f"number, at least 1")
        values["torch_threads"] = int(threads)
        dtype = _DTYPE_NAMES.get(str(values["embed_dtype"]).lower(), str(values["embed_dtype"]).lower())
        if dtype not in EMBED_DTYPES:
            raise ValueError(f"MKA_EMBED_DTYPE={values['embed_dtype']!r}: expected one of {', '.join(EMBED_DTYPES)}")
        values["embed_dtype"] = dtype
        try:
            values["timeout_s"] = float(values["timeout_s"])
            if not values["timeout_s"] > 0:
                raise ValueError
        except ValueError:
            raise ValueError(f"MKA_LLM_TIMEOUT_S={values['timeout_s']!r}: expected a number of seconds above 0") \
                from None
        values["workspace"] = Path(values["workspace"])
        values["base_url"] = str(values["base_url"]).rstrip("/") if values.get("base_url") else None
        if values.get("chroma_url"):
            from models.reviews.index import parse_chroma_url

            url = str(values["chroma_url"]).strip().rstrip("/")
            parse_chroma_url(url)  # ValueError naming the expected form (MKA_CHROMA_URL or --chroma-url)
            values["chroma_url"] = url
        else:
            values["chroma_url"] = None
        return cls(**values)

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **changes)


def private_ui_cache() -> str:
    """Point Gradio's file cache (GRADIO_TEMP_DIR) at a new 0700 folder unless the user chose one: by default it
    is a folder in /tmp shared by every user, where downloads (customer lists) would sit world-readable.
    Called by `mka chat` before the app is built."""
    import tempfile

    if not os.environ.get("GRADIO_TEMP_DIR"):
        os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="mka-gradio-")
    return os.environ["GRADIO_TEMP_DIR"]


def configure_process(settings: Settings) -> None:
    """Apply the process-wide settings, once, at the edge (`mka` at start, a bench's main), before transformers,
    gradio, chromadb or torch are imported: the library flags above, and the models' runtime (torch's thread
    budget and the embedding dtype, ``models.runtime``). Library code never reads the environment."""
    from models import runtime

    from .redact import install_log_redaction, register_secret

    # every log record passes through the one redaction function; the key and password are masked by value too
    install_log_redaction()
    register_secret(settings.api_key)
    if settings.auth is not None:
        register_secret(settings.auth.get_secret_value().partition(":")[2])
    os.environ.update(LIBRARY_FLAGS)
    for name, value in LIBRARY_DEFAULTS.items():
        os.environ.setdefault(name, value)
    # torch starts with this many threads; when it is loaded already, runtime.configure sets them
    os.environ["OMP_NUM_THREADS"] = str(settings.torch_threads)
    runtime.configure(threads=settings.torch_threads, embed_dtype=settings.embed_dtype)
