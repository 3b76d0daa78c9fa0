"""The agent: ``langchain.agents.create_agent`` over the tools, with an in-memory checkpointer so each chat
session (one thread_id) keeps its own multi-turn memory."""

from __future__ import annotations

from typing import Any, Sequence

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver

__all__ = ["build_agent", "default_system_prompt"]


def default_system_prompt() -> str:
    from prompts import load_prompt

    return load_prompt("system")


def build_agent(llm: BaseChatModel, tools: Sequence[BaseTool], system_prompt: str | None = None,
                checkpointer: Any = None) -> Any:
    """A compiled agent graph; pass ``config={"configurable": {"thread_id": ...}}`` when invoking it."""
    return create_agent(
        llm,
        list(tools),
        system_prompt=system_prompt if system_prompt is not None else default_system_prompt(),
        checkpointer=checkpointer if checkpointer is not None else InMemorySaver(),
    )
