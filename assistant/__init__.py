"""Settings, LLM backends, the agent and the CLI. Nothing runs at import time."""

__all__: list[str] = []
