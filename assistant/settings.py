"""Settings read once at the edge (CLI/UI) from the environment and flags, then passed down.

No endpoint configured means the offline planner. The API key is a ``SecretStr``: it never appears in
``repr``, logs or command output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from pydantic import SecretStr

from models.data.workspace import DEFAULT_WORKSPACE

__all__ = ["Settings", "DEFAULT_MODEL"]

DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class Settings:
    base_url: str | None = None
    api_key: SecretStr | None = field(default=None, repr=False)
    model: str = DEFAULT_MODEL
    workspace: Path = Path(DEFAULT_WORKSPACE)
    temperature: float = 0.0
    timeout_s: float = 120.0

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
                f"workspace={str(self.workspace)!r}, api_key={key})")

    __str__ = __repr__

    @classmethod
    def from_env(cls, overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> "Settings":
        """Environment first, then non-None ``overrides`` (CLI flags) on top.

        Variables: MKA_LLM_BASE_URL (or OPENAI_BASE_URL), OPENAI_API_KEY, MKA_MODEL, MKA_WORKSPACE.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {
            "base_url": env.get("MKA_LLM_BASE_URL") or env.get("OPENAI_BASE_URL") or None,
            "api_key": env.get("OPENAI_API_KEY") or None,
            "model": env.get("MKA_MODEL") or DEFAULT_MODEL,
            "workspace": env.get("MKA_WORKSPACE") or DEFAULT_WORKSPACE,
        }
        for k, v in dict(overrides or {}).items():
            if k not in cls.__dataclass_fields__:
                raise ValueError(f"unknown setting {k!r}; known: {', '.join(cls.__dataclass_fields__)}")
            if v is not None:
                values[k] = v
        key = values.get("api_key")
        if key is not None and not isinstance(key, SecretStr):
            values["api_key"] = SecretStr(str(key))
        values["workspace"] = Path(values["workspace"])
        values["base_url"] = str(values["base_url"]).rstrip("/") if values.get("base_url") else None
        return cls(**values)

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **changes)
