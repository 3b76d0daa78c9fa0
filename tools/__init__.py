"""LangChain tools over a workspace: one per capability, thin and typed, read-only except CSV exports.

``build_tools(ctx)`` returns them in the order fixed by docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool

from .campaign import make_campaign_tools
from .context import ToolContext
from .forecast import make_forecast_tools
from .overview import make_overview_tools
from .predict import make_predict_tools
from .reviews import make_review_tools
from .segments import make_segment_tools

__all__ = ["build_tools", "ToolContext", "TOOL_NAMES"]

TOOL_NAMES = ("predict_buyers", "explain_customer", "list_segments", "segment_audience", "search_reviews",
              "summarize_reviews", "write_campaign", "data_overview", "forecast")


def build_tools(ctx: ToolContext) -> list[BaseTool]:
    tools = (make_predict_tools(ctx) + make_segment_tools(ctx) + make_review_tools(ctx)
             + make_campaign_tools(ctx) + make_overview_tools(ctx) + make_forecast_tools(ctx))
    assert tuple(t.name for t in tools) == TOOL_NAMES, [t.name for t in tools]
    return tools
