"""Prompt templates stored as files in this package, read with importlib.resources (never at import time)."""

from __future__ import annotations

import functools
from importlib import resources

__all__ = ["load_prompt", "PROMPTS"]

PROMPTS = ("system", "campaign")


@functools.lru_cache(maxsize=None)
def load_prompt(name: str) -> str:
    """The text of ``prompts/<name>.md``; ValueError naming the known prompts when missing."""
    fname = name if name.endswith((".md", ".txt")) else f"{name}.md"
    path = resources.files(__name__).joinpath(fname)
    if not path.is_file():
        raise ValueError(f"no prompt {name!r} in the prompts package; known: {', '.join(PROMPTS)}")
    return path.read_text(encoding="utf-8")
