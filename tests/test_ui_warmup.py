"""The app loads its models in the background when it launches, so the first answer does not wait for them."""

from __future__ import annotations

import dataclasses
import threading
import time

from ui.app import build_app, launch_app
from ui.warmup import LOADING, Warmup


class WarmingFactory:
    """A session factory whose warm() blocks until the test lets it finish."""

    def __init__(self):
        self.release = threading.Event()
        self.warmed = 0
        self.reloads = 0

    def __call__(self, overrides=None):
        from tests.test_ui_app import ScriptedSession

        return ScriptedSession(overrides)

    def warm(self):
        assert self.release.wait(30)
        self.warmed += 1

    def reload(self):
        self.reloads += 1


def _fn(app, name):
    return next(f.fn for f in app.fns.values() if f.name == name)


def test_launch_starts_the_warm_up_and_the_page_says_loading_until_ready(tmp_path, monkeypatch):
    from models.data.workspace import Workspace

    factory = WarmingFactory()
    app = build_app(factory, Workspace(tmp_path / "ws"))
    warmup = app.mka_warmup
    assert not warmup.started and factory.warmed == 0  # building the app loads nothing
    monkeypatch.setattr(app, "launch", lambda **kw: None)
    launch_app(app, host="127.0.0.1", port=7999)
    assert warmup.started and not warmup.ready
    _, label, status = _fn(app, "on_load")(None)
    assert "Offline mode" in label and status == LOADING
    status, timer = _fn(app, "poll_models")()
    assert status == LOADING and timer.active is True
    factory.release.set()
    assert warmup.wait(30) and factory.warmed == 1 and warmup.error is None
    status, timer = _fn(app, "poll_models")()
    assert status == "" and timer.active is False  # ready: the note goes and the timer stops
    # new data (the Data tab): the sessions reload and the models are loaded again in the background
    monkeypatch.setattr("ui.data_tab.run_pipeline_step", lambda ws, step: f"✅ {step} done.")
    _fn(app, "do_all")()
    assert warmup.wait(30) and factory.reloads == 1 and factory.warmed == 2


def test_a_start_while_warming_runs_once_more_and_a_failure_still_ends_ready():
    runs, gate = [], threading.Event()

    def warm():
        runs.append(time.perf_counter())
        assert gate.wait(30)

    w = Warmup(warm)
    w.start()
    w.start()  # the data changed again meanwhile
    assert not w.ready
    gate.set()
    assert w.wait(30) and len(runs) == 2

    def broken():
        raise RuntimeError("no predictor")

    bad = Warmup(broken)
    bad.start()
    assert bad.wait(30) and "no predictor" in bad.error
    assert Warmup(None).ready and Warmup(None).status() == ""


def test_the_chat_factory_warms_what_the_first_answers_read(demo_workspace):
    """After warm(), the first answers load nothing: scores, segments and the review index come from the
    context's cache, and every session's planner shares the router whose example embeddings are computed."""
    from assistant.commands.chat import AgentSessionFactory
    from assistant.settings import Settings

    settings = Settings.from_env({"workspace": demo_workspace.path}, env={})
    factory = AgentSessionFactory(demo_workspace, settings)
    took = factory.warm()
    assert set(took) == {"session", "router", "predictor", "segments", "reviews", "overview", "value",
                         "analytics"}, took
    ctx = factory._context(settings)
    loads: list[str] = []

    def counted(name):
        real = getattr(ctx.api, name)
        return lambda *a, **kw: loads.append(name) or real(*a, **kw)

    ctx.api = dataclasses.replace(ctx.api, **{n: counted(n) for n in
                                             ("score_customers", "model_card", "load_segments", "review_index",
                                              "overview", "customer_values")})
    router = factory.router()
    assert router.method == "embeddings"
    batches: list[int] = []
    embed = router._embed
    router._embed = lambda texts: batches.append(len(texts)) or embed(texts)
    for question in ("Which customers will buy this week?", "Show me the segments",
                     "What do reviews say about coffee?", "Revenue by month",
                     "Which high-value customers are at risk of churning?"):
        t = time.perf_counter()
        result = factory(None).ask(question)  # a new conversation each time, as a new browser tab
        print(f"first answer after warm-up: {time.perf_counter() - t:.2f} s  {question!r}")
        assert result.tool_calls and result.answer
    assert loads == []
    # every conversation routed with the shared router, embedding only its question, never the examples again
    assert batches and set(batches) == {1}


def test_the_warm_up_answers_one_question_of_each_view_kind_unseen_offline_only(tmp_path):
    """After the factory's warm(), the app answers its warm-up questions in throwaway conversations (so the
    first real question pays no first run), and never with an LLM backend."""
    from models.data.workspace import Workspace
    from ui.app import WARM_QUESTIONS

    factory = WarmingFactory()
    factory.release.set()
    asked: list = []
    made: list = []

    def offline(overrides=None):
        s = factory(overrides)
        made.append(s)
        real = s.stream
        s.stream = lambda q: asked.append(q) or real(q)
        return s

    offline.warm = factory.warm
    app = build_app(offline, Workspace(tmp_path / "ws"))
    app.mka_warmup.start()
    assert app.mka_warmup.wait(30) and app.mka_warmup.error is None
    assert factory.warmed == 1 and asked == WARM_QUESTIONS
    assert len({id(s) for s in made}) == len(made) > len(WARM_QUESTIONS)  # a new conversation per question
    kinds = " ".join(WARM_QUESTIONS).lower()
    assert all(w in kinds for w in ("buy", "segments", "reviews", "revenue by month", "risk", "forecast", "vs"))

    def llm(overrides=None):
        s = factory({"base_url": "http://127.0.0.1:9/v1"})
        s.stream = lambda q: asked.append(q) or iter(())
        return s

    llm.warm = factory.warm
    asked.clear()
    app = build_app(llm, Workspace(tmp_path / "ws"))
    app.mka_warmup.start()
    assert app.mka_warmup.wait(30) and app.mka_warmup.error is None and asked == []  # no endpoint call
