"""Score the offline planner on a question set (tests/planner_questions.jsonl): tool choice and exact args.

Questions name segments and categories through placeholders ({seg0}, {seg2_id}, {cat0}...) filled from the
workspace's own names, so the same set runs on the test fakes and on the demo workspace. Arguments are
compared as the effective call: the tool's defaults filled in on both sides; keys listed in "free" (the
free-text review query) only need to be present.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .plan import Entities, Plan

__all__ = ["placeholders", "load_questions", "effective_args", "check", "TOOL_DEFAULTS"]

TOOL_DEFAULTS: dict[str, dict[str, Any]] = {
    "predict_buyers": {"horizon_days": 7, "top_k": 10, "segment": None, "min_probability": None},
    "explain_customer": {},
    "list_segments": {},
    "segment_audience": {"limit": None},
    "search_reviews": {"product": None, "min_rating": None, "max_rating": None, "since": None, "until": None},
    "summarize_reviews": {"product": None, "query": None},
    "write_campaign": {"channel": "email", "tone": None, "offer": None},
    "data_overview": {"metric": None, "by": None, "period": None},
}


def placeholders(ent: Entities, categories: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, p in enumerate(ent.profiles[:3]):
        out[f"seg{i}"] = str(p["name"])
        out[f"seg{i}_id"] = str(p["segment_id"])
    for i, c in enumerate(categories[:2]):
        out[f"cat{i}"] = c
    return out


def _fill(obj: Any, ph: dict[str, str]) -> Any:
    if isinstance(obj, str):
        return re.sub(r"\{(\w+)\}", lambda m: ph.get(m.group(1), m.group(0)), obj)
    if isinstance(obj, list):
        return [_fill(x, ph) for x in obj]
    if isinstance(obj, dict):
        return {k: _fill(v, ph) for k, v in obj.items()}
    return obj


def load_questions(path: str | Path, ph: dict[str, str]) -> list[dict]:
    rows = [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line.strip()]
    return [_fill(r, ph) for r in rows]


def effective_args(tool: str, args: dict) -> dict:
    return {**TOOL_DEFAULTS.get(tool, {}), **{k: v for k, v in args.items() if v is not None}}


def check(plan: Plan, item: dict) -> tuple[bool, bool]:
    """(tool correct, args exactly correct) for one planned question."""
    tool_ok = plan.route == item["tool"] and bool(plan.each_segment) == bool(item.get("each_segment", False))
    if not tool_ok:
        return False, False
    if plan.route not in TOOL_DEFAULTS:
        return True, True
    free = set(item.get("free", []))
    got = effective_args(plan.route, plan.args)
    want = effective_args(item["tool"], item["args"])
    for k in free:
        if k not in got or not str(got[k]).strip():
            return True, False
        got.pop(k), want.pop(k, None)
    return True, got == want
