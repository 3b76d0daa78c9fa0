"""Score the offline planner on a question set (tests/planner_questions.jsonl): tool choice and exact args.

Questions name segments and categories through placeholders ({seg0}, {seg2_id}, {cat0}...) filled from the
workspace's own names, so the same set runs on the test fakes and on the demo workspace. Arguments are
compared as the effective call: the planned arguments fitted to the tool's schema, with the schema's defaults
filled in on both sides; keys listed in "free" (the free-text review query) only need to be present.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .binding import ToolSpec, fit_args
from .plan import Entities, Plan

__all__ = ["placeholders", "load_questions", "effective_args", "check", "Miss", "Score", "score_questions"]


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


def effective_args(spec: ToolSpec, args: Mapping[str, Any]) -> dict:
    """``args`` over the schema's defaults."""
    return {**spec.defaults, **{k: v for k, v in args.items() if v is not None}}


def check(plan: Plan, item: dict, specs: Mapping[str, ToolSpec]) -> tuple[bool, bool]:
    """(tool correct, args exactly correct) for one planned question; ``specs``: the bound tools."""
    tool_ok = plan.route == item["tool"] and bool(plan.each_segment) == bool(item.get("each_segment", False))
    if not tool_ok:
        return False, False
    if plan.route not in specs:
        return True, True
    free = set(item.get("free", []))
    got = effective_args(specs[plan.route], fit_args(specs[plan.route], plan.args)[0])  # what would be called
    want = effective_args(specs[item["tool"]], item["args"])
    for k in free:
        if k not in got or not str(got[k]).strip():
            return True, False
        got.pop(k), want.pop(k, None)
    return True, got == want


@dataclass(frozen=True)
class Miss:
    """One question the planner got wrong: what was asked, what was expected, what it planned."""

    question: str
    expected: str
    got: str
    tool_ok: bool

    def __str__(self) -> str:
        return f"- `{self.question}`: expected {self.expected}, got {self.got}"


@dataclass
class Score:
    n: int = 0
    tool_ok: int = 0
    args_ok: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def tool_accuracy(self) -> float:
        return self.tool_ok / self.n if self.n else 0.0

    @property
    def args_accuracy(self) -> float:
        return self.args_ok / self.n if self.n else 0.0

    def report(self, name: str = "questions") -> str:
        """Both accuracies, then every miss by name (question, expected, got)."""
        lines = [f"{name}: tool {self.tool_accuracy:.1%} ({self.tool_ok}/{self.n}), "
                 f"arguments {self.args_accuracy:.1%} ({self.args_ok}/{self.n}); "
                 f"{len(self.misses)} miss{'' if len(self.misses) == 1 else 'es'}"]
        return "\n".join(lines + [str(m) for m in self.misses])


def _call_text(tool: str, args: Mapping[str, Any], each_segment: bool) -> str:
    return f"{tool} {dict(args)}" + (" (each segment)" if each_segment else "")


def score_questions(planner: Any, questions: Iterable[dict], specs: Mapping[str, ToolSpec]) -> Score:
    """Plan every question (with its "history" for follow-ups) and score it; ``planner`` has ``.plan``."""
    score = Score()
    for item in questions:
        plan = planner.plan(item["q"], [(n, a) for n, a in item.get("history", [])])
        t_ok, a_ok = check(plan, item, specs)
        score.n += 1
        score.tool_ok += t_ok
        score.args_ok += a_ok
        if not a_ok:
            score.misses.append(Miss(item["q"], _call_text(item["tool"], item["args"], item.get("each_segment", False)),
                                     _call_text(plan.route, plan.args, plan.each_segment), bool(t_ok)))
    return score
