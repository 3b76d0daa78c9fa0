"""Data, features and fitted models. Never imports langchain or gradio; nothing runs at import time."""

__all__: list[str] = []
