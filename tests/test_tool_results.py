"""Every tool's real output (over the fake workspace) fits the shape it declares in tools/results.py."""

from __future__ import annotations

import json

import pydantic
import pytest

from tools import TOOL_NAMES, build_tools
from tools.results import (RESULT_SHAPES, ErrorResult, ResultKind, declared_shape, is_error, result_kind,
                           result_schema, validate_result)

# at least one call per tool, and each branch that returns a differently filled shape
CALLS = [
    ("predict_buyers", {"horizon_days": 14, "top_k": 3}),
    ("predict_buyers", {"horizon_days": 7, "segment": "lapsed", "min_probability": 0.3}),
    ("explain_customer", {"customer_id": "100"}),
    ("list_segments", {}),
    ("segment_audience", {"segment": "loyal", "limit": 2}),
    ("search_reviews", {"query": "leaked bottle", "product": "Soft Drinks", "max_rating": 2}),
    ("search_reviews", {"query": "chips", "since": "2017-01-01"}),
    ("summarize_reviews", {"product": "Cheese"}),
    ("summarize_reviews", {}),
    ("write_campaign", {"segment": "loyal", "channel": "email", "offer": "10% off"}),
    ("write_campaign", {"segment": "lapsed", "channel": "sms", "tone": "playful"}),
    ("write_campaign", {"audience": "at_risk", "channel": "email", "min_value_quantile": 0.5}),
    ("data_overview", {}),
    ("data_overview", {"metric": "revenue", "by": "month"}),
    ("query_data", {"metrics": ["revenue"], "by": ["month"]}),
    ("query_data", {"metrics": ["revenue", "orders"], "by": ["category"], "compare": ["2017-06", "2017-07"], "top": 2}),
    ("forecast", {}),
    ("recommend_products", {"customer_id": "100", "k": 2}),
    ("recommend_products", {"segment": "loyal"}),
    ("product_audience", {"product_or_category": "Cheese", "horizon_days": 30, "top_k": 3}),
    ("product_audience", {"product_or_category": "chips"}),
    ("customer_value", {"customer_id": "103"}),
    ("at_risk_customers", {}),
    ("at_risk_customers", {"min_value_quantile": 0.5, "top_k": 3, "segment": "loyal"}),
    ("at_risk_customers", {"rank_by": "value", "top_k": 3}),
]


@pytest.fixture()
def tools_by_name(fake_ctx):
    return {t.name: t for t in build_tools(fake_ctx)}


def test_every_tool_declares_a_result_shape(tools_by_name):
    assert set(TOOL_NAMES) == {name for name, _ in CALLS}
    for name, tool in tools_by_name.items():
        assert declared_shape(tool) in RESULT_SHAPES.values(), name


@pytest.mark.parametrize("name, args", CALLS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CALLS)])
def test_tool_output_fits_its_declared_shape(tools_by_name, name, args):
    tool = tools_by_name[name]
    out = json.loads(tool.invoke(args))
    assert not is_error(out), out
    assert RESULT_SHAPES[result_kind(out)] is declared_shape(tool)
    validate_result(out)


def test_llm_campaign_copy_fits_the_campaign_shape(fake_ctx):
    fake_ctx.copywriter = lambda fields: ('{"variants": [{"subject": "S", "preheader": "P", "body": "B", "cta": "Go",'
                                          ' "angle": "loyalty"}], "facts_used": ["x"]}')
    tool = {t.name: t for t in build_tools(fake_ctx)}["write_campaign"]
    out = json.loads(tool.invoke({"segment": "lapsed"}))
    assert out["generated_by"] == "llm"
    validate_result(out)


@pytest.mark.parametrize("name, args", [("predict_buyers", {"horizon_days": 5}), ("explain_customer", {"customer_id": "0"}),
                                        ("segment_audience", {"segment": ""}), ("data_overview", {"metric": "profit"}),
                                        ("query_data", {"metrics": ["profit"]})])
def test_errors_fit_the_error_shape(tools_by_name, name, args):
    out = json.loads(tools_by_name[name].invoke(args))
    assert is_error(out) and result_kind(out) is None
    assert validate_result(out) == ErrorResult(error=out["error"])


def test_validation_rejects_what_the_shape_does_not_declare(tools_by_name):
    out = json.loads(tools_by_name["list_segments"].invoke({}))
    with pytest.raises(pydantic.ValidationError):
        validate_result({**out, "surprise": 1})
    with pytest.raises(pydantic.ValidationError):
        validate_result({k: v for k, v in out.items() if k != "segments"})
    with pytest.raises(ValueError, match="not a result kind"):
        validate_result({"kind": "horoscope"})


def test_every_kind_has_a_json_schema():
    for kind in ResultKind:
        schema = result_schema(kind)
        assert schema["properties"]["kind"]["const"] == kind.value
        assert schema["additionalProperties"] is False
    assert result_schema(None)["required"] == ["error"]
    assert json.dumps({"kind": ResultKind.AUDIENCE}) == '{"kind": "audience"}'  # kinds are plain strings in JSON


@pytest.mark.slow
def test_tool_outputs_on_the_demo_workspace_fit_their_shapes(demo_workspace):
    """The real models' records (profiles, model cards, review themes) fit the same shapes."""
    from tools import ToolContext

    ctx = ToolContext(demo_workspace)
    tools = {t.name: t for t in build_tools(ctx)}
    segments = json.loads(tools["list_segments"].invoke({}))
    seg = segments["segments"][0]["name"]
    category = ctx.reviewed_names()[0]
    customer = str(ctx.scores(7)["customer_id"].iloc[0])
    real = {"segment": seg, "customer_id": customer, "product": category}
    for name, args in CALLS:
        args = {k: real.get(k, v) if k in ("segment", "customer_id", "product") else v for k, v in args.items()}
        out = json.loads(tools[name].invoke(args))
        assert not is_error(out), (name, args, out)
        assert RESULT_SHAPES[result_kind(out)] is declared_shape(tools[name])
        validate_result(out)


def test_every_tool_output_renders_in_the_ui_and_the_offline_answer(tools_by_name, tmp_path):
    from assistant.offline.compose import compose_answer
    from ui.render import render_result

    for name, args in CALLS:
        out = json.loads(tools_by_name[name].invoke(args))
        view = render_result(out, tmp_path, name)
        assert not view.empty and not any("Could not display" in m for m in view.markdown), (name, view.markdown)
        assert "returned:" not in compose_answer([(name, args, out)])  # a composer for every kind
