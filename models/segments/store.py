"""Saved segments: where they live, loading them, and the one audience ranking of a segment's customers.

``rank_audience`` is the only place that orders a segment's members: ``mka segment-members`` and the
``segment_audience`` tool both call it, so they list the same customers in the same order.
"""

from __future__ import annotations

import json

import pandas as pd

from models.data.artifacts import read_artifact
from models.data.errors import WorkspaceError
from models.segments.profiles import find_segment  # re-exported: resolving a name is part of reading segments

__all__ = ["load_segments", "find_segment", "rank_audience", "segment_members", "MODEL_FILE", "ASSIGN_FILE",
           "PROFILES_FILE"]

MODEL_FILE, ASSIGN_FILE, PROFILES_FILE = "segmenter.joblib", "segments.parquet", "segment_profiles.json"


def load_segments(ws) -> tuple[pd.DataFrame, list[dict]]:
    """Saved assignments (customer_id, segment_id, segment, plus recency_days, orders, spend, avg_basket,
    p_buy_30d) and profiles. WorkspaceError with a hint when segments were never fitted."""
    assign_path, prof_path = ws.artifact_path(ASSIGN_FILE), ws.artifact_path(PROFILES_FILE)
    if not assign_path.exists() or not prof_path.exists():
        raise WorkspaceError(f"no segments in {ws.path}: run `mka segments` to fit them")
    assignments = read_artifact(assign_path, pd.read_parquet, what="segment assignments")
    profiles = read_artifact(prof_path, lambda p: list(json.loads(p.read_text("utf-8"))["segments"]),
                             what="segment profiles")
    return assignments, profiles


def rank_audience(assignments: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """The customers of segment ``profile`` with their key numbers, most likely buyers first (by the saved
    30-day purchase probability; without one, biggest spenders first), ties by customer id."""
    members = assignments[assignments["segment_id"] == profile["segment_id"]]
    has_p = "p_buy_30d" in members and members["p_buy_30d"].notna().any()
    keys = [k for k in (["p_buy_30d"] if has_p else []) + ["spend"] if k in members] + ["customer_id"]
    members = members.sort_values(keys, ascending=[False] * (len(keys) - 1) + [True], kind="stable")
    if not has_p:
        members = members.drop(columns=["p_buy_30d"], errors="ignore")
    # rounded for people and CSV files; the parquet keeps full precision
    members = members.reset_index(drop=True).round({"recency_days": 1, "spend": 2, "avg_basket": 2, "p_buy_30d": 4})
    if "orders" in members:
        members["orders"] = members["orders"].astype("int64")
    return members


def segment_members(ws, name_or_id, limit: int | None = None) -> tuple[dict, pd.DataFrame]:
    """The profile of one segment and its ranked customers (``rank_audience``), the first ``limit`` of them."""
    assignments, profiles = load_segments(ws)
    profile = find_segment(profiles, name_or_id)
    members = rank_audience(assignments, profile)
    return profile, members.head(limit) if limit is not None else members
