"""models.pipeline: the one ordered list of workspace steps that `mka demo`, the Data tab, tests and benches run."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from models import pipeline
from models.pipeline import Step


def _recording(calls: list, name: str):
    def fn(ws, progress=True, **options):
        calls.append((name, ws, progress, options))
        return {"step": name}
    return fn


def test_the_steps_in_order_and_what_the_data_tab_refits():
    assert [s.name for s in pipeline.STEPS][:5] == ["ingest_demo", "train", "segment", "forecast", "index"]
    assert pipeline.FIT_STEPS == pipeline.STEPS[1:]
    assert all(s.label and s.description.endswith("…") for s in pipeline.STEPS)
    assert pipeline.step("segment") is pipeline.STEPS[2]
    with pytest.raises(ValueError, match=", ".join(s.name for s in pipeline.STEPS)):
        pipeline.step("bake")
    import ui.data_tab

    assert list(ui.data_tab.STEPS) == [s.name for s in pipeline.FIT_STEPS]  # the Data tab's buttons, in order


def test_each_step_gets_only_its_own_options_and_unknown_ones_are_refused():
    calls: list = []
    ingest = Step("ingest_demo", "Load", "Loading…", _recording(calls, "ingest"), ("n_customers",))
    train = Step("train", "Train", "Training…", _recording(calls, "train"), ("quick",))
    seen: list[str] = []
    out = pipeline.run("WS", (ingest, train), on_step=lambda s: seen.append(s.name), n_customers=60, quick=True)
    assert out == {"ingest_demo": {"step": "ingest"}, "train": {"step": "train"}} and seen == ["ingest_demo", "train"]
    assert calls == [("ingest", "WS", False, {"n_customers": 60}), ("train", "WS", False, {"quick": True})]
    with pytest.raises(TypeError, match="unknown pipeline option.*quik"):
        train("WS", quik=True)


def test_mka_demo_runs_the_pipeline_steps_in_order_with_their_words(tmp_path, monkeypatch):
    import assistant.commands.data as data_cmd

    calls: list = []
    steps = tuple(Step(s.name, s.label, s.description, _recording(calls, s.name), s.options) for s in pipeline.STEPS)
    monkeypatch.setattr(pipeline, "STEPS", steps)
    monkeypatch.setattr(data_cmd, "_print_ingest", lambda result: calls.append(("printed", result)))
    monkeypatch.setattr("models.analytics.overview.overview", lambda ws: {})
    monkeypatch.setattr(data_cmd, "print_overview", lambda ov: None)
    res = CliRunner().invoke(data_cmd.demo_cmd, ["--customers", "60", "--quick", "--no-chat", "--workspace",
                                                  str(tmp_path / "ws")])
    assert res.exit_code == 0, res.output
    names = [c[0] for c in calls]
    assert names == ["ingest_demo", "printed", "train", "segment", "forecast", "index", "value", "recommend"]
    assert calls[0][2] is True and calls[0][3] == {"n_customers": 60} and calls[2][3] == {"quick": True}
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert lines == [s.description for s in steps]
