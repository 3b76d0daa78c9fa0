"""The offline planner: routes questions to tools without an LLM, and composes grounded answers."""

from __future__ import annotations

from .plan import Entities, Plan, make_plan
from .planner import OfflinePlanner
from .router import Router

__all__ = ["OfflinePlanner", "Router", "Plan", "Entities", "make_plan"]
