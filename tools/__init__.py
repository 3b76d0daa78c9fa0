"""LangChain tools over a workspace: one per capability, thin and typed, read-only except CSV exports.

``build_tools(ctx)`` returns them in the order fixed by docs/ARCHITECTURE.md; ``tools.results`` declares what
they return. The tool modules load the models, so they are imported when the tools are built: reading the
result shapes (the UI does) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from .context import ToolContext

__all__ = ["build_tools", "ToolContext", "TOOL_NAMES"]

TOOL_NAMES = ("predict_buyers", "explain_customer", "list_segments", "segment_audience", "search_reviews",
              "summarize_reviews", "write_campaign", "data_overview", "query_data", "forecast", "recommend_products",
              "product_audience", "customer_value", "at_risk_customers")


def build_tools(ctx: ToolContext) -> list[BaseTool]:
    from .campaign import make_campaign_tools
    from .forecast import make_forecast_tools
    from .overview import make_overview_tools
    from .predict import make_predict_tools
    from .query import make_query_tools
    from .recommend import make_recommend_tools
    from .reviews import make_review_tools
    from .segments import make_segment_tools
    from .value import make_value_tools

    tools = (make_predict_tools(ctx) + make_segment_tools(ctx) + make_review_tools(ctx)
             + make_campaign_tools(ctx) + make_overview_tools(ctx) + make_query_tools(ctx)
             + make_forecast_tools(ctx) + make_recommend_tools(ctx)
             + make_value_tools(ctx))
    assert tuple(t.name for t in tools) == TOOL_NAMES, [t.name for t in tools]
    return tools


def __getattr__(name: str) -> Any:
    if name == "ToolContext":  # loading it imports the models
        from .context import ToolContext

        return ToolContext
    raise AttributeError(f"module 'tools' has no attribute {name!r}")
