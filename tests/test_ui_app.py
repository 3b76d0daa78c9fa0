"""The Gradio app's handlers (driven directly, no browser), `mka chat`, auth and the Data tab."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from models import pipeline
from click.testing import CliRunner

from ui.app import backend_label, build_app, launch_app


class ScriptedSession:
    """Streams events the way assistant.session.ChatSession does, from a fixed script per question."""

    def __init__(self, overrides=None, fail=False):
        self.overrides = overrides
        self.backend = "openai:test-model" if (overrides or {}).get("base_url") else "offline"
        self.asked: list[str] = []
        self.fail = fail

    def stream(self, question):
        self.asked.append(question)
        if self.fail:
            raise RuntimeError("endpoint down")
        if "buy" in question:
            rows = [{"customer_id": f"C{i}", "p_buy": round(0.9 - 0.1 * i, 2), "segment": "Loyal",
                     "reasons": ["recent order"]} for i in range(5)]
            yield {"type": "tool_start", "id": "t1", "name": "predict_buyers", "args": {"horizon_days": 7}}
            yield {"type": "tool_end", "id": "t1", "name": "predict_buyers", "duration_s": 0.25,
                   "result": {"kind": "predictions", "horizon_days": 7, "as_of": "2018-01-02", "customers": rows,
                              "model_card": {"as_of": "2018-01-02", "horizon_days": 7,
                                             "target": "P(≥1 purchase in next 7 days)"}}}
        answer = f"Answer {len(self.asked)} to: {question}. " + "More words follow here. " * 3
        yield {"type": "token", "text": answer}
        yield {"type": "final", "answer": answer, "result": None}


class Factory:
    def __init__(self, fail=False):
        self.calls: list = []
        self.reloads = 0
        self.fail = fail

    def __call__(self, overrides=None):
        self.calls.append(overrides)
        return ScriptedSession(overrides, fail=self.fail)

    def reload(self):
        self.reloads += 1


def _fn(app, name):
    return next(f.fn for f in app.fns.values() if f.name == name)


def _components(app):
    return {getattr(b, "elem_id", None): b for b in app.blocks.values() if getattr(b, "elem_id", None)}


@pytest.fixture
def app_and_factory(tmp_path):
    from models.data.workspace import Workspace

    factory = Factory()
    return build_app(factory, Workspace(tmp_path / "ws")), factory


def _evidence(outputs):
    # outputs: textbox, chatbot, holder, markdown, 3 tables, card, 2 bars, 2 lines, 1 scatter, 2 plots, downloads
    return {"markdown": outputs[3], "tables": outputs[4:7], "card": outputs[7], "bars": outputs[8:10],
            "lines": outputs[10:12], "scatters": outputs[12:13], "plots": outputs[13:15], "downloads": outputs[15]}


def test_building_the_app_creates_no_session_and_has_the_parts(app_and_factory):
    app, factory = app_and_factory
    assert factory.calls == []  # sessions are per browser session, made on page load
    ids = _components(app)
    for elem in ("chat", "question", "send", "backend-indicator", "evidence-table-1", "evidence-bar-1",
                 "evidence-line-1", "evidence-scatter-1", "evidence-plot-1", "downloads", "upload-orders",
                 "upload-reviews", "ingest", "step-train",
                 "settings-api-key", "settings-base-url"):
        assert elem in ids, elem
    assert ids["settings-api-key"].type == "password" and ids["settings-api-key"].value == ""


def test_respond_streams_steps_then_the_answer_and_fills_the_evidence(app_and_factory):
    app, factory = app_and_factory
    respond = _fn(app, "respond")
    outs = list(respond("Which customers will buy this week?", [], None))
    first = outs[0][1]
    assert first == [{"role": "user", "content": "Which customers will buy this week?"}]
    # the step appears pending before it is done
    assert any(o[1][-1].get("metadata", {}).get("status") == "pending" for o in outs)
    # the answer arrives in several growing pieces
    answers = [o[1][-1]["content"] for o in outs if o[1][-1].get("role") == "assistant"
               and not o[1][-1].get("metadata")]
    assert len(set(answers)) >= 3 and all(a in answers[-1] for a in answers)
    text, history, holder = outs[-1][:3]
    assert text == "" and len(factory.calls) == 1
    step = history[1]
    assert step["metadata"] == {"title": "🛠 predict_buyers", "status": "done", "duration": 0.25}
    assert '"horizon_days": 7' in step["content"]
    assert history[-1]["content"].startswith("Answer 1 to: Which customers")
    ev = _evidence(outs[-1])
    table = ev["tables"][0]
    assert table["visible"] is True and list(table["value"]["P(buy)"]) == [0.9, 0.8, 0.7, 0.6, 0.5]
    assert ev["tables"][1]["visible"] is False
    assert "2018-01-02" in ev["card"]["value"]
    assert ev["bars"][0]["visible"] is True and ev["bars"][0]["value"]["customers"].sum() == 5
    (csv_path,) = ev["downloads"]["value"]
    assert pd.read_csv(csv_path)["customer_id"].tolist() == [f"C{i}" for i in range(5)]
    assert os.path.dirname(csv_path) == str(holder.export_dir)


def test_each_browser_session_keeps_its_own_conversation(app_and_factory):
    app, factory = app_and_factory
    respond = _fn(app, "respond")
    a = list(respond("first question from A", [], None))[-1]
    b = list(respond("question from B", [], None))[-1]
    a2 = list(respond("second question from A", a[1], a[2]))[-1]
    assert a[2] is a2[2] and a[2] is not b[2] and len(factory.calls) == 2
    assert a[2].session.asked == ["first question from A", "second question from A"]
    assert b[2].session.asked == ["question from B"]
    assert [m["content"] for m in b[1] if m["role"] == "user"] == ["question from B"]
    assert a2[1][-1]["content"].startswith("Answer 2 to: second question from A")


def test_a_failing_backend_is_a_message_and_the_chat_goes_on(tmp_path):
    from models.data.workspace import Workspace

    app = build_app(Factory(fail=True), Workspace(tmp_path))
    last = list(_fn(app, "respond")("hello", [], None))[-1]
    assert "endpoint down" in last[1][-1]["content"] and last[1][-1]["role"] == "assistant"
    # an empty message does nothing
    assert list(_fn(app, "respond")("   ", last[1], last[2]))[-1][1] == last[1]


def test_settings_pass_the_key_to_the_factory_and_never_back_to_the_page(app_and_factory):
    app, factory = app_and_factory
    apply = _fn(app, "apply_settings")
    key_out, holder, status, label, chat = apply("http://127.0.0.1:9/v1", "qwen", "sk-secret", None)
    assert key_out == "" and "sk-secret" not in f"{status}{label}"
    assert factory.calls[-1] == {"base_url": "http://127.0.0.1:9/v1", "model": "qwen", "offline": False,
                                 "api_key": "sk-secret"}
    assert "LLM mode" in label and chat == []
    # applying again without retyping the key keeps it; an empty endpoint means offline
    apply("http://127.0.0.1:9/v1", "qwen2", "", holder)
    assert factory.calls[-1]["api_key"] == "sk-secret"
    _, _, _, label, _ = apply("", "", "", holder)
    assert factory.calls[-1]["offline"] is True and "Offline mode" in label


def test_backend_label_says_offline_or_llm():
    class S:
        backend = "offline"

    assert "Offline mode" in backend_label(S())
    S.backend = "openai:qwen"
    assert "LLM mode" in backend_label(S()) and "openai:qwen" in backend_label(S())


def test_after_the_data_changes_sessions_are_rebuilt(app_and_factory, monkeypatch):
    app, factory = app_and_factory
    respond = _fn(app, "respond")
    first = list(respond("hi", [], None))[-1]
    import ui.data_tab as data_tab

    monkeypatch.setattr(data_tab, "run_pipeline_step", lambda ws, step: f"✅ {step} done.")
    assert _fn(app, "do_all")() .count("✅") == len(pipeline.FIT_STEPS)
    assert factory.reloads == 1
    second = list(respond("hi again", first[1], first[2]))[-1]
    assert second[2] is not first[2] and len(factory.calls) == 2


def test_launch_warns_beyond_localhost_without_auth(app_and_factory, monkeypatch):
    app, _ = app_and_factory
    seen = {}
    monkeypatch.setattr(app, "launch", lambda **kw: seen.update(kw))
    warnings: list[str] = []
    launch_app(app, host="0.0.0.0", port=7999, warn=warnings.append)
    assert len(warnings) == 1 and "--auth" in warnings[0]
    assert seen["server_name"] == "0.0.0.0" and seen["auth"] is None and seen["share"] is False
    warnings.clear()
    launch_app(app, host="0.0.0.0", port=7999, auth=("u", "p"), warn=warnings.append)
    launch_app(app, host="127.0.0.1", port=7999, warn=warnings.append)
    assert warnings == [] and seen["auth"] is None


# -- mka chat ------------------------------------------------------------------------------------------

def test_parse_auth():
    import click

    from assistant.commands.chat import parse_auth

    assert parse_auth("alice:pa:ss") == ("alice", "pa:ss") and parse_auth(None) is None
    for bad in ("alice", ":x", "alice:"):
        with pytest.raises(click.BadParameter):
            parse_auth(bad)


def test_mka_chat_refuses_a_missing_workspace_cleanly(tmp_path):
    from assistant.cli import cli

    res = CliRunner().invoke(cli, ["chat", "--workspace", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "mka demo" in res.output and "Traceback" not in res.output


def test_mka_chat_launches_with_host_port_and_auth_from_env(tmp_path, monkeypatch):
    import assistant.commands.chat as chat_cmd
    import ui.app
    from assistant.cli import cli
    from models.data.workspace import Workspace

    Workspace(tmp_path).ingest({"customers": pd.DataFrame({"customer_id": pd.Series(["1"], dtype="string")})})
    built, launched = {}, {}
    monkeypatch.setattr(chat_cmd.AgentSessionFactory, "__call__", lambda self, overrides=None: ScriptedSession())
    monkeypatch.setattr(ui.app, "build_app", lambda factory, ws: built.update(factory=factory, ws=ws) or "APP")
    monkeypatch.setattr(ui.app, "launch_app", lambda app, **kw: launched.update(app=app, **kw))
    res = CliRunner().invoke(cli, ["chat", "--workspace", str(tmp_path), "--host", "0.0.0.0", "--port", "7001"],
                             env={"MKA_AUTH": "bob:pw"})
    assert res.exit_code == 0, res.output
    assert launched["app"] == "APP" and launched["host"] == "0.0.0.0" and launched["port"] == 7001
    assert launched["auth"] == ("bob", "pw") and built["ws"].path == tmp_path
    assert "pw" not in res.output
    res = CliRunner().invoke(cli, ["chat", "--workspace", str(tmp_path), "--auth", "nobody"])
    assert res.exit_code == 2 and "user:password" in res.output


def test_session_factory_resolves_settings_from_the_settings_tab(tmp_path):
    from assistant.commands.chat import AgentSessionFactory
    from assistant.settings import Settings

    base = Settings.from_env({"base_url": "http://127.0.0.1:8/v1", "model": "m1"}, env={})
    f = AgentSessionFactory(tmp_path, base)
    assert f.resolve(None) is base
    assert f.resolve({"offline": True, "base_url": "http://x"}).backend == "offline"
    s = f.resolve({"base_url": "http://127.0.0.1:9/v1/", "model": "m2", "api_key": "sk-1", "offline": False})
    assert (s.base_url, s.model, s.api_key.get_secret_value()) == ("http://127.0.0.1:9/v1", "m2", "sk-1")
    assert "sk-1" not in repr(s)


# -- Data tab ------------------------------------------------------------------------------------------

def test_validation_errors_are_explained_in_plain_words():
    from models.data.errors import DataValidationError
    from ui.data_tab import explain_error

    exc = DataValidationError("/tmp/up/orders.csv", "amount is not a number", column="amount", rows=[3, 7, 9, 11,
                              12, 15], examples=["abc"], expected="a number like 12.50")
    text = explain_error(exc)
    assert "**orders.csv**: amount is not a number" in text
    assert "column: `amount`" in text and "rows: 3, 7, 9, 11, 12 (and 1 more)" in text
    assert "found: `abc`" in text and "expected: a number like 12.50" in text
    assert "Nothing was changed" in text


def test_unknown_pipeline_step_is_refused(tmp_path):
    from ui.data_tab import ingest_uploads, run_pipeline_step

    with pytest.raises(ValueError, match=", ".join(s.name for s in pipeline.FIT_STEPS)):
        run_pipeline_step(None, "bake")
    assert "at least one file" in ingest_uploads(None, {"orders": None})


def test_uploads_are_validated_in_plain_words_then_ingested(tmp_path, cj_small):
    from models.data.workspace import Workspace
    from ui.data_tab import ingest_uploads, overview_view

    ws = Workspace(tmp_path / "ws")
    orders = cj_small["orders"].head(500)[["customer_id", "timestamp", "amount", "order_id", "product_id"]]
    bad = orders.astype({"amount": "string"}).copy()
    bad.loc[bad.index[3], "amount"] = "twelve"
    bad.to_csv(tmp_path / "orders.csv", index=False)
    msg = ingest_uploads(ws, {"orders": str(tmp_path / "orders.csv")})
    assert msg.startswith("❌ **orders.csv**") and "`amount`" in msg and "twelve" in msg and "rows: 4" in msg
    assert not ws.exists()  # nothing half-ingested
    good = tmp_path / "good" / "orders.csv"
    good.parent.mkdir()
    orders.to_csv(good, index=False)
    msg = ingest_uploads(ws, {"orders": str(good), "products": None})
    assert msg.startswith("✅") and "orders: 500 rows" in msg
    md, months, _ = overview_view(ws)
    assert f"**{orders['customer_id'].nunique():,}** customers" in md
    assert months is not None and months["revenue"].sum() == pytest.approx(orders["amount"].sum(), rel=1e-6)
    assert "No models fitted yet" in md
