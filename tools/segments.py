"""Segment tools: the fitted customer segments and the audience (customer list) of one segment."""

from __future__ import annotations

from typing import Optional

from langchain_core.tools import BaseTool, StructuredTool

from models.segments.store import rank_audience

from ._common import ToolArgError, check_count, safe_tool
from .context import ToolContext
from .results import AudienceMember, AudienceResult, ResultKind, SegmentsResult

__all__ = ["make_segment_tools", "DEFAULT_AUDIENCE_ROWS"]

DEFAULT_AUDIENCE_ROWS = 25
MAX_AUDIENCE_ROWS = 500


def list_segments_impl(ctx: ToolContext) -> SegmentsResult:
    _, profiles = ctx.segments()
    return {"kind": ResultKind.SEGMENTS, "as_of": ctx.artifact_as_of("segment"), "segments": list(profiles)}


def segment_audience_impl(ctx: ToolContext, segment: str, limit: Optional[int] = None) -> AudienceResult:
    if segment is None or str(segment).strip() == "":
        raise ToolArgError("segment is required; call list_segments to see the names")
    n = check_count(DEFAULT_AUDIENCE_ROWS if limit is None else limit, "limit", MAX_AUDIENCE_ROWS,
                    "the CSV export has everyone")
    try:
        prof = ctx.find_segment(segment)
    except ValueError as exc:
        raise ToolArgError(str(exc)) from exc
    assign, _ = ctx.segments()
    members = rank_audience(assign, prof)  # the one ranking: `mka segment-members` lists the same order
    members["customer_id"] = members["customer_id"].astype(str)
    members["segment"] = str(prof["name"])
    # with a trained predictor, each customer's expected spend and last purchase (the order stays as ranked)
    try:
        s = ctx.scores(30)[["customer_id", "expected_spend", "last_purchase", "days_since_last"]].copy()
        s["customer_id"] = s["customer_id"].astype(str)
        members = members.merge(s, on="customer_id", how="left", validate="one_to_one")
    except Exception:
        pass
    rows: list[AudienceMember] = members.head(n).astype(object).where(members.head(n).notna(), None).to_dict("records")
    return {
        "kind": ResultKind.AUDIENCE,
        "segment": str(prof["name"]),
        "segment_id": prof["segment_id"],
        "customers": rows,
        "n_total": int(len(members)),
        "export_csv": ctx.export_csv(members, f"audience_{prof['name']}"),
    }


def make_segment_tools(ctx: ToolContext) -> list[BaseTool]:
    @safe_tool
    def list_segments() -> SegmentsResult:
        """List the customer segments with their profiles: size, share of revenue, recency, orders, spend,
        average basket, coupon use, 30-day purchase probability and top categories. Use it for "what
        segments do we have", "describe our customer groups", or to get segment names for other tools."""
        return list_segments_impl(ctx)

    @safe_tool
    def segment_audience(segment: str, limit: Optional[int] = None) -> AudienceResult:
        """The customers in one segment (an audience list for a campaign), ranked by 30-day purchase
        probability, with a CSV export of the whole segment.

        Args:
            segment: segment name or id (see list_segments).
            limit: how many customers to list (default 25); the CSV has all of them.
        """
        return segment_audience_impl(ctx, segment, limit)

    return [StructuredTool.from_function(list_segments),
            StructuredTool.from_function(segment_audience, parse_docstring=True)]
