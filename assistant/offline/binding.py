"""The tools bound to the offline planner, read from their schemas (as pydantic-ai's TestModel builds calls).

``bind_tools`` hands the planner each tool's JSON schema, the same one an LLM reads. The planner calls only
tools that are bound, keeps only the arguments a schema declares with a value of its type, and fills nothing
a schema would default: defaults are the tool's to apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from langchain_core.utils.function_calling import convert_to_openai_tool

__all__ = ["ToolSpec", "tool_schemas", "tool_specs", "fit_args", "Checked", "check_calls"]

_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                            "boolean": (bool,), "array": (list, tuple), "object": (dict,),
                                            "null": (type(None),)}


@dataclass(frozen=True)
class ToolSpec:
    """A bound tool as its schema declares it: argument schemas, required names, defaults."""

    name: str
    properties: Mapping[str, Mapping[str, Any]]
    required: frozenset[str]

    @classmethod
    def from_schema(cls, schema: Mapping[str, Any]) -> "ToolSpec":
        """From an OpenAI-format tool (``{"type": "function", "function": {name, parameters}}``)."""
        fn = schema.get("function", schema)
        params = fn.get("parameters") or {}
        return cls(str(fn["name"]), dict(params.get("properties") or {}), frozenset(params.get("required") or ()))

    @property
    def defaults(self) -> dict[str, Any]:
        return {k: p["default"] for k, p in self.properties.items() if "default" in p}

    def accepts(self, name: str, value: Any) -> bool:
        """Whether ``name`` is an argument and ``value`` is of a JSON type its schema allows."""
        if name not in self.properties:
            return False
        prop = self.properties[name]
        types = [prop["type"]] if "type" in prop else [s["type"] for s in prop.get("anyOf", []) if "type" in s]
        if not types:
            return True  # an untyped argument takes anything
        for t in (x for ts in types for x in (ts if isinstance(ts, list) else [ts])):
            if isinstance(value, _JSON_TYPES.get(t, ())) and not (t in ("integer", "number") and isinstance(value, bool)):
                return True
        return False


def tool_schemas(tools: Iterable[Any]) -> list[dict]:
    """OpenAI-format schemas of LangChain tools, functions or schema dicts (what an LLM would be sent)."""
    return [convert_to_openai_tool(t) for t in tools]


def tool_specs(schemas: Iterable[Mapping[str, Any]] | None) -> dict[str, ToolSpec]:
    """name -> ToolSpec for the bound tool schemas (none bound: empty)."""
    specs = [ToolSpec.from_schema(s) for s in schemas or ()]
    return {s.name: s for s in specs}


def fit_args(spec: ToolSpec, args: Mapping[str, Any]) -> tuple[dict, dict]:
    """(arguments the tool takes, arguments left out because the schema has no such argument or type)."""
    kept, dropped = {}, {}
    for k, v in args.items():
        (kept if spec.accepts(k, v) else dropped)[k] = v
    return kept, dropped


@dataclass
class Checked:
    """Planned calls fitted to the bound tools; ``unbound`` / ``missing`` say why they cannot be made."""

    calls: list[tuple[str, dict]]
    dropped: list[tuple[str, str, Any]]       # (tool, argument, value) left out
    unbound: list[str]                        # planned tools that are not bound
    missing: list[tuple[str, list[str]]]      # (tool, required arguments the plan has no value for)

    @property
    def ok(self) -> bool:
        return not self.unbound and not self.missing


def check_calls(calls: Iterable[tuple[str, Mapping[str, Any]]], specs: Mapping[str, ToolSpec],
                needs: Iterable[str] = ()) -> Checked:
    """Fit ``calls`` to ``specs``. ``needs``: tools the plan will call later (e.g. once per segment)."""
    out = Checked([], [], [], [])
    for name in needs:
        if name not in specs and name not in out.unbound:
            out.unbound.append(name)
    for name, args in calls:
        spec = specs.get(name)
        if spec is None:
            if name not in out.unbound:
                out.unbound.append(name)
            continue
        kept, dropped = fit_args(spec, args)
        out.dropped += [(name, k, v) for k, v in dropped.items()]
        lacking = sorted(spec.required - set(kept))
        if lacking:
            out.missing.append((name, lacking))
        out.calls.append((name, kept))
    return out
