"""The Gradio app: chat with evidence beside it, a Data tab and Settings.

``build_app(session_factory, workspace)`` is handed a factory of chat sessions; the UI never builds an agent.
The factory is called as ``session_factory(overrides)`` with ``overrides`` a dict of settings the user chose
in the Settings tab (``base_url``, ``model``, ``api_key``), or ``None`` for the defaults. It may expose
``reload()`` — called after the Data tab changes the workspace so that new sessions see the new artifacts —
and ``warm()`` — run in the background when the app launches (``ui.warmup``), so the first answer does not wait
for the models to load. Every browser session gets its own chat session (``gr.State``), so histories never mix.
Gradio's analytics are off (``analytics_enabled=False`` here; the environment flag is set by the edge,
``assistant.settings.configure_process``).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import gradio as gr

from assistant.redact import redact

from .compact import NOWRAP_CSS
from .data_tab import build_data_tab
from .turn import N_BARS, N_LINES, N_PLOTS, N_SCATTERS, N_TABLES, respond_turn, view_updates
from .warmup import Warmup

__all__ = ["build_app", "launch_app", "backend_label", "check_connection", "N_TABLES", "N_BARS", "N_LINES"]

SessionFactory = Callable[[dict | None], Any]

EXAMPLES = [
    "Which customers will buy this week?",
    "Show me the segments",
    "What do reviews say about coffee?",
    "Revenue by month",
]
# asked once, unseen, at the end of the warm-up (offline planner only): one of each view kind, so the first
# question a user asks pays neither the planner's, the tools' nor the renderers' first run
WARM_QUESTIONS = EXAMPLES + [
    "Which high-value customers are at risk of churning?",
    "Forecast revenue for the next 8 weeks",
    "Compare revenue this month vs last month",
]


def backend_label(session: Any, overrides: dict | None = None) -> str:
    """The always-visible line saying whether an LLM or the offline planner answers."""
    name = str(getattr(session, "backend_name", None) or getattr(session, "backend", None) or "")
    if not name or "offline" in name.lower():
        return ("🟢 **Offline mode** — the built-in planner answers from your workspace; "
                "nothing leaves this machine.")
    model = (overrides or {}).get("model")
    return f"🔵 **LLM mode** — `{name}`" + (f" · model `{model}`" if model and model not in name else "")


def private_export_dir() -> Path:
    """A new 0700 folder for one browser session's downloads, inside Gradio's upload folder: Gradio serves a
    file from there as it is, where it would otherwise copy it into its cache (``mka chat`` makes that cache a
    private folder too, ``assistant.settings.private_ui_cache``)."""
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder())
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="mka-ui-", dir=root))


class _Holder:
    """Per-browser-session state: its chat session, its settings and its download folder."""

    def __init__(self, session: Any, overrides: dict | None, data_version: int) -> None:
        self.session = session
        self.overrides = overrides
        self.data_version = data_version
        self.export_dir = private_export_dir()

    def __deepcopy__(self, memo: dict) -> "_Holder":  # gradio may copy state; a session must not be cloned
        return self


class _Sessions:
    """The chat sessions of the browser sessions, made by the factory and rebuilt after the data changed."""

    def __init__(self, factory: SessionFactory) -> None:
        self.factory = factory
        self.data_version = 0
        self.warmup = Warmup(self._warm if callable(getattr(factory, "warm", None)) else None)
        self._lock = threading.Lock()
        self.warm_answers: dict[str, float] = {}  # seconds per warm-up question, the last warm-up

    def _warm(self) -> None:
        self.factory.warm()
        self.warm_answers = self.answer_unseen(WARM_QUESTIONS)

    def answer_unseen(self, questions: list[str]) -> dict[str, float]:
        """Answer each question in a throwaway conversation and render its evidence (nothing reaches a page):
        the planner, the tools and the renderers run once before a user asks. Only with the offline planner:
        an LLM endpoint is never called on the user's behalf."""
        import time

        from .turn import respond_turn as answer  # this module's name may be wrapped (bench/ui.py times it)

        took: dict[str, float] = {}
        holder = self.new(None)
        if "offline" not in str(getattr(holder.session, "backend", "offline")).lower():
            return took
        try:
            for q in questions:
                t0 = time.perf_counter()
                holder.session = self.factory(None)  # a new conversation per question: no follow-up context
                for _ in answer(lambda h: h, q, [], holder):
                    pass
                took[q] = round(time.perf_counter() - t0, 3)
        finally:
            shutil.rmtree(holder.export_dir, ignore_errors=True)
        return took

    def new(self, overrides: dict | None) -> _Holder:
        return _Holder(self.factory(overrides), overrides, self.data_version)

    def ensure(self, holder: _Holder | None) -> _Holder:
        if holder is None:
            return self.new(None)
        if holder.data_version != self.data_version:
            # the workspace changed (Data tab): a session built earlier still reads the old artifacts
            return self.new(holder.overrides)
        return holder

    def data_changed(self) -> None:
        with self._lock:
            reload = getattr(self.factory, "reload", None)
            if callable(reload):
                reload()
            self.data_version += 1
        if self.warmup.started:  # the app is running: load the new artifacts before the next question
            self.warmup.start()


# -- layout ------------------------------------------------------------------------------------------

@dataclass
class _ChatTab:
    chatbot: Any
    box: Any
    send: Any
    clear: Any
    evidence: list[Any]  # markdown, tables, card, bar charts, line charts, downloads (ui.turn.view_updates)


def _chat_tab() -> _ChatTab:
    with gr.Tab("Chat", id="chat"):
        with gr.Row():
            with gr.Column(scale=4):
                chatbot = gr.Chatbot(label="Chat", elem_id="chat", height=620,
                                     placeholder="Ask about buyers, segments, reviews or revenue.")
                with gr.Row():
                    box = gr.Textbox(placeholder="e.g. Which customers will buy this week?",
                                     show_label=False, scale=8, elem_id="question", autofocus=True)
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                gr.Examples(EXAMPLES, inputs=box, label="Try")
                clear = gr.Button("New conversation", size="sm", elem_id="clear")
            with gr.Column(scale=6):
                evidence = [gr.Markdown(visible=False, elem_id="evidence-md")]
                evidence += [gr.Dataframe(visible=False, interactive=False, wrap=True, max_height=420,
                                          elem_id=f"evidence-table-{i + 1}") for i in range(N_TABLES)]
                evidence.append(gr.Markdown(visible=False, elem_id="evidence-card"))
                evidence += [gr.BarPlot(visible=False, elem_id=f"evidence-bar-{i + 1}", height=320)
                             for i in range(N_BARS)]
                evidence += [gr.LinePlot(visible=False, elem_id=f"evidence-line-{i + 1}", height=320)
                             for i in range(N_LINES)]
                evidence += [gr.ScatterPlot(visible=False, elem_id=f"evidence-scatter-{i + 1}", height=320)
                             for i in range(N_SCATTERS)]
                evidence += [gr.Plot(visible=False, elem_id=f"evidence-plot-{i + 1}", show_label=False)
                             for i in range(N_PLOTS)]
                evidence.append(gr.File(label="Download (CSV)", file_count="multiple", visible=False,
                                        interactive=False, elem_id="downloads"))
    return _ChatTab(chatbot, box, send, clear, evidence)


@dataclass
class _SettingsTab:
    base_url: Any
    model: Any
    api_key: Any
    apply: Any
    offline: Any
    status: Any
    test: Any = None


def _settings_tab() -> _SettingsTab:
    with gr.Tab("Settings", id="settings"):
        gr.Markdown("Point the assistant at an OpenAI-compatible endpoint, or leave the endpoint empty "
                    "to use the offline planner. The API key is kept for this browser session only "
                    "and is never shown again.")
        base_url = gr.Textbox(label="LLM endpoint (base URL)", placeholder="http://localhost:11434/v1",
                              elem_id="settings-base-url")
        model = gr.Textbox(label="Model", placeholder="e.g. llama3.1:8b", elem_id="settings-model")
        api_key = gr.Textbox(label="API key", type="password", value="", elem_id="settings-api-key")
        with gr.Row():
            apply = gr.Button("Apply", variant="primary", elem_id="settings-apply")
            offline = gr.Button("Use offline mode", elem_id="settings-offline")
            test = gr.Button("Test connection", elem_id="settings-test")
        status = gr.Markdown(elem_id="settings-status")
    return _SettingsTab(base_url, model, api_key, apply, offline, status, test)


def check_connection(url: str, model_name: str, key: str, holder: Any = None, timeout: float = 10.0) -> str:
    """The Settings tab's "Test connection": one line from ``assistant.llm.check_endpoint`` for the typed
    endpoint (the key typed now, else the one this browser session applied earlier); the key is never shown."""
    from assistant.llm import check_endpoint

    if not key and holder is not None and getattr(holder, "overrides", None):
        key = holder.overrides.get("api_key") or ""
    return check_endpoint((url or "").strip(), key or None, (model_name or "").strip() or None, timeout=timeout)


# -- wiring ------------------------------------------------------------------------------------------

def _wire_page(app: gr.Blocks, sessions: _Sessions, holder_state: Any, indicator: Any, model_status: Any) -> None:
    """On page load: this browser session's chat session and the backend line; the models' loading note until
    the warm-up is done (a timer asks each second, then stops)."""
    timer = gr.Timer(1.0)

    def on_load(holder: _Holder | None):
        status = sessions.warmup.status()
        try:
            holder = sessions.ensure(holder)
        except Exception as exc:  # noqa: BLE001 — a broken workspace must still show a page that says so
            return holder, redact(f"⚠️ The assistant could not start: {exc}"), status
        return holder, backend_label(holder.session, holder.overrides), status

    def poll_models():
        return sessions.warmup.status(), gr.Timer(active=not sessions.warmup.ready)

    app.load(on_load, inputs=[holder_state], outputs=[holder_state, indicator, model_status])
    timer.tick(poll_models, outputs=[model_status, timer], show_progress="hidden")


def _wire_chat(sessions: _Sessions, holder_state: Any, chat: _ChatTab) -> None:
    def respond(message: str, history: list | None, holder: _Holder | None) -> Iterator[tuple]:
        yield from respond_turn(sessions.ensure, message, history, holder)

    def on_clear(holder: _Holder | None):
        overrides = holder.overrides if holder is not None else None
        try:
            holder = sessions.new(overrides)  # a fresh session forgets the conversation
        except Exception:  # noqa: BLE001
            holder = None
        return ([], holder, *view_updates(None))

    outputs = [chat.box, chat.chatbot, holder_state, *chat.evidence]
    chat.box.submit(respond, inputs=[chat.box, chat.chatbot, holder_state], outputs=outputs, concurrency_limit=None)
    chat.send.click(respond, inputs=[chat.box, chat.chatbot, holder_state], outputs=outputs, concurrency_limit=None)
    chat.clear.click(on_clear, inputs=[holder_state], outputs=[chat.chatbot, holder_state, *chat.evidence])


def _wire_settings(sessions: _Sessions, holder_state: Any, tab: _SettingsTab, indicator: Any, chatbot: Any) -> None:
    def apply_settings(url: str, model_name: str, key: str, holder: _Holder | None):
        url = (url or "").strip()
        # an empty endpoint means the offline planner, whatever the environment configured
        overrides = {"base_url": url or None, "model": (model_name or "").strip() or None, "offline": not url}
        if key:
            overrides["api_key"] = key
        elif holder is not None and holder.overrides and holder.overrides.get("api_key"):
            overrides["api_key"] = holder.overrides["api_key"]  # keep the key typed earlier
        try:
            holder = sessions.new(overrides)
        except Exception as exc:  # noqa: BLE001 — a bad endpoint is a message, not a crash
            return "", holder, redact(f"⚠️ Settings not applied: {exc}"), gr.update(), []
        label = backend_label(holder.session, overrides)
        # the key field is emptied: a password never travels back to the browser
        return "", holder, "Settings applied; a new conversation started.", label, []

    def go_offline(holder: _Holder | None):
        holder = sessions.new({"base_url": None, "model": None, "offline": True})
        return "", "", "", holder, "Offline mode on; a new conversation started.", \
            backend_label(holder.session, holder.overrides), []

    tab.apply.click(apply_settings, inputs=[tab.base_url, tab.model, tab.api_key, holder_state],
                    outputs=[tab.api_key, holder_state, tab.status, indicator, chatbot])
    tab.test.click(check_connection, inputs=[tab.base_url, tab.model, tab.api_key, holder_state], outputs=[tab.status])
    tab.offline.click(go_offline, inputs=[holder_state],
                      outputs=[tab.base_url, tab.model, tab.api_key, holder_state, tab.status, indicator, chatbot])


def build_app(session_factory: SessionFactory, workspace: Any, *, title: str = "Marketing assistant") -> gr.Blocks:
    """The whole app as Blocks; ``workspace`` is a ``models.data.workspace.Workspace`` (used by the Data tab).
    Building reads no files and loads no model: ``launch_app`` starts the warm-up."""
    sessions = _Sessions(session_factory)
    with gr.Blocks(title=title, analytics_enabled=False) as app:
        holder_state = gr.State(None)
        with gr.Row():
            gr.Markdown(f"## {title}")
            indicator = gr.Markdown("…", elem_id="backend-indicator")
        model_status = gr.Markdown(sessions.warmup.status(), elem_id="model-status")
        with gr.Tabs():
            chat = _chat_tab()
            with gr.Tab("Data", id="data") as data_tab:
                build_data_tab(workspace, on_change=sessions.data_changed, tab=data_tab)
            settings = _settings_tab()
        _wire_page(app, sessions, holder_state, indicator, model_status)
        _wire_chat(sessions, holder_state, chat)
        _wire_settings(sessions, holder_state, settings, indicator, chat.chatbot)
    app.mka_warmup = sessions.warmup  # read by launch_app
    return app


def _is_local(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def launch_app(app: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860,
               auth: tuple[str, str] | None = None, warn: Callable[[str], None] = print,
               **kwargs: Any) -> Any:
    """Start loading the models in the background, then launch with analytics off; warn when the app is reachable
    from other machines without a password."""
    warmup = getattr(app, "mka_warmup", None)
    if warmup is not None:
        warmup.start()
    if not _is_local(host) and auth is None:
        warn(f"Warning: serving on {host}:{port} without --auth: anyone who can reach this machine can use "
             f"the assistant and read your customer data. Add --auth user:pass (or set MKA_AUTH).")
    kwargs.setdefault("css", NOWRAP_CSS)  # table cells never wrap inside a word or number
    return app.launch(server_name=host, server_port=port, auth=auth, share=False, inbrowser=False,
                      footer_links=[], **kwargs)
