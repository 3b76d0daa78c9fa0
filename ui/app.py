"""The Gradio app: chat with evidence beside it, a Data tab and Settings.

``build_app(session_factory, workspace)`` is handed a factory of chat sessions; the UI never builds an agent.
The factory is called as ``session_factory(overrides)`` with ``overrides`` a dict of settings the user chose
in the Settings tab (``base_url``, ``model``, ``api_key``), or ``None`` for the defaults. It may expose
``reload()`` — called after the Data tab changes the workspace so that new sessions see the new artifacts.
Every browser session gets its own chat session (``gr.State``), so histories never mix.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (analytics must be off before gradio is imported)

from .data_tab import build_data_tab  # noqa: E402
from .events import answer_chunks, iter_events  # noqa: E402
from .render import Chart, View, render_tool_calls, step_message  # noqa: E402

__all__ = ["build_app", "launch_app", "backend_label", "N_TABLES", "N_BARS", "N_LINES"]

N_TABLES, N_BARS, N_LINES = 3, 2, 2
SessionFactory = Callable[[dict | None], Any]

EXAMPLES = [
    "Which customers will buy this week?",
    "Show me the segments",
    "What do reviews say about coffee?",
    "Revenue by month",
]

def backend_label(session: Any, overrides: dict | None = None) -> str:
    """The always-visible line saying whether an LLM or the offline planner answers."""
    name = str(getattr(session, "backend_name", None) or getattr(session, "backend", None) or "")
    if not name or "offline" in name.lower():
        return ("🟢 **Offline mode** — the built-in planner answers from your workspace; "
                "nothing leaves this machine.")
    model = (overrides or {}).get("model")
    return f"🔵 **LLM mode** — `{name}`" + (f" · model `{model}`" if model and model not in name else "")


class _Holder:
    """Per-browser-session state: its chat session, its settings and its download folder."""

    def __init__(self, session: Any, overrides: dict | None, data_version: int) -> None:
        self.session = session
        self.overrides = overrides
        self.data_version = data_version
        self.export_dir = Path(tempfile.mkdtemp(prefix="mka-ui-"))  # gradio serves files from the temp dir

    def __deepcopy__(self, memo: dict) -> "_Holder":  # gradio may copy state; a session must not be cloned
        return self


def _chart_update(c: Chart) -> Any:
    data, color = c.data, c.color
    if color is None:
        # a slot that once had a colour field keeps it unless told otherwise: name the single series instead
        data = data.assign(series=c.y_title or c.y)
        color = "series"
    longest = max((len(str(v)) for v in data[c.x]), default=0) if c.sort else 0
    return gr.update(value=data, x=c.x, y=c.y, color=color, title=c.title, label=c.title,
                     x_title=c.x_title or c.x, y_title=c.y_title or c.y, sort=c.sort,
                     x_label_angle=-25 if longest > 12 else 0, visible=True)


def _view_updates(view: View | None) -> list[Any]:
    """Map a view onto the fixed evidence slots (markdown, tables, bar charts, line charts, downloads)."""
    view = view or View()
    updates: list[Any] = [gr.update(value="\n\n".join(view.markdown), visible=bool(view.markdown))]
    for i in range(N_TABLES):
        if i < len(view.tables):
            t = view.tables[i]
            updates.append(gr.update(value=t.data, label=t.title, visible=True))
        else:
            updates.append(gr.update(value=None, visible=False))
    updates.append(gr.update(value="\n\n".join(view.cards), visible=bool(view.cards)))
    for kind, n in (("bar", N_BARS), ("line", N_LINES)):
        charts: list[Chart] = [c for c in view.charts if c.kind == kind]
        for i in range(n):
            if i < len(charts):
                updates.append(_chart_update(charts[i]))
            else:
                updates.append(gr.update(value=None, visible=False))
    files = [str(p) for p in view.downloads]
    updates.append(gr.update(value=files or None, visible=bool(files)))
    return updates


def _match_call(calls: list[dict], end: dict) -> dict | None:
    """The started call a ``tool_end`` event closes: same id when the backend gives ids, else the first
    open call with that name."""
    open_calls = [c for c in calls if not c.get("done")]
    if end.get("id") is not None:
        for c in open_calls:
            if c.get("id") == end["id"]:
                return c
    return next((c for c in open_calls if c.get("name") == end.get("name")), None)


def build_app(session_factory: SessionFactory, workspace: Any, *, title: str = "Marketing assistant") -> gr.Blocks:
    """The whole app as Blocks; ``workspace`` is a ``models.data.workspace.Workspace`` (used by the Data tab)."""
    state = {"data_version": 0}
    lock = threading.Lock()

    def new_holder(overrides: dict | None) -> _Holder:
        return _Holder(session_factory(overrides), overrides, state["data_version"])

    def ensure(holder: _Holder | None) -> _Holder:
        if holder is None:
            return new_holder(None)
        if holder.data_version != state["data_version"]:
            # the workspace changed (Data tab): a session built earlier still reads the old artifacts
            return new_holder(holder.overrides)
        return holder

    def data_changed() -> None:
        with lock:
            reload = getattr(session_factory, "reload", None)
            if callable(reload):
                reload()
            state["data_version"] += 1

    with gr.Blocks(title=title, analytics_enabled=False) as app:
        holder_state = gr.State(None)
        with gr.Row():
            gr.Markdown(f"## {title}")
            indicator = gr.Markdown("…", elem_id="backend-indicator")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row():
                    with gr.Column(scale=5):
                        chatbot = gr.Chatbot(label="Chat", elem_id="chat", height=620,
                                             placeholder="Ask about buyers, segments, reviews or revenue.")
                        with gr.Row():
                            box = gr.Textbox(placeholder="e.g. Which customers will buy this week?",
                                             show_label=False, scale=8, elem_id="question", autofocus=True)
                            send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                        gr.Examples(EXAMPLES, inputs=box, label="Try")
                        clear = gr.Button("New conversation", size="sm", elem_id="clear")
                    with gr.Column(scale=5):
                        evidence_md = gr.Markdown(visible=False, elem_id="evidence-md")
                        tables = [gr.Dataframe(visible=False, interactive=False, wrap=True, max_height=420,
                                               elem_id=f"evidence-table-{i + 1}") for i in range(N_TABLES)]
                        evidence_card = gr.Markdown(visible=False, elem_id="evidence-card")
                        bars = [gr.BarPlot(visible=False, elem_id=f"evidence-bar-{i + 1}", height=320)
                                for i in range(N_BARS)]
                        lines = [gr.LinePlot(visible=False, elem_id=f"evidence-line-{i + 1}", height=320)
                                 for i in range(N_LINES)]
                        downloads = gr.File(label="Download (CSV)", file_count="multiple", visible=False,
                                            interactive=False, elem_id="downloads")
            with gr.Tab("Data", id="data") as data_tab:
                build_data_tab(workspace, on_change=data_changed, tab=data_tab)
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
                settings_status = gr.Markdown(elem_id="settings-status")

        evidence = [evidence_md, *tables, evidence_card, *bars, *lines, downloads]

        # -- handlers ----------------------------------------------------------------------------------
        def on_load(holder: _Holder | None):
            try:
                holder = ensure(holder)
            except Exception as exc:  # noqa: BLE001 — a broken workspace must still show a page that says so
                return holder, f"⚠️ The assistant could not start: {exc}"
            return holder, backend_label(holder.session, holder.overrides)

        def respond(message: str, history: list | None, holder: _Holder | None) -> Iterator[tuple]:
            history = list(history or [])
            message = (message or "").strip()
            if not message:
                yield ("", list(history), holder, *[gr.update() for _ in evidence])
                return
            history.append({"role": "user", "content": message})
            try:
                holder = ensure(holder)
            except Exception as exc:  # noqa: BLE001
                history.append({"role": "assistant", "content": f"⚠️ The assistant could not start: {exc}"})
                yield ("", list(history), holder, *[gr.update() for _ in evidence])
                return
            yield ("", list(history), holder, *[gr.update() for _ in evidence])
            calls: list[dict] = []
            answer_at: int | None = None
            for kind, payload in iter_events(holder.session, message):
                if kind == "tool_start":
                    history.append(step_message(payload, status="pending"))
                    calls.append({**payload, "_index": len(history) - 1})
                elif kind == "tool_end":
                    call = _match_call(calls, payload)
                    if call is None:
                        call = {**payload, "args": payload.get("args") or {}}
                        history.append(step_message(call))
                        call["_index"] = len(history) - 1
                        calls.append(call)
                    else:
                        call.update({k: v for k, v in payload.items() if k != "args" or v})
                        call["done"] = True
                        history[call["_index"]] = step_message(call)
                    call["done"] = True
                    view = render_tool_calls([c for c in calls if c.get("done")], holder.export_dir)
                    yield ("", list(history), holder, *_view_updates(view))
                    continue
                elif kind == "token":
                    # a backend that answers in one piece is still shown arriving progressively
                    for piece in answer_chunks(payload):
                        if answer_at is None:
                            history.append({"role": "assistant", "content": ""})
                            answer_at = len(history) - 1
                        history[answer_at] = {"role": "assistant", "content": history[answer_at]["content"] + piece}
                        yield ("", list(history), holder, *[gr.update() for _ in evidence])
                    continue
                elif kind == "error":
                    history.append({"role": "assistant", "content": f"⚠️ {payload}"})
                elif kind == "final":
                    if answer_at is None:
                        history.append({"role": "assistant", "content": payload})
                    else:
                        history[answer_at] = {"role": "assistant", "content": payload}
                yield ("", list(history), holder, *[gr.update() for _ in evidence])
            for c in calls:  # a step that never reported back is not left spinning
                if not c.get("done"):
                    history[c["_index"]] = step_message({**c, "result": {"error": "no result"}})
            view = render_tool_calls([c for c in calls if c.get("done")], holder.export_dir)
            yield ("", list(history), holder, *_view_updates(view))

        def on_clear(holder: _Holder | None):
            overrides = holder.overrides if holder is not None else None
            try:
                holder = new_holder(overrides)  # a fresh session forgets the conversation
            except Exception:  # noqa: BLE001
                holder = None
            return ([], holder, *_view_updates(None))

        def apply_settings(url: str, model_name: str, key: str, holder: _Holder | None):
            url = (url or "").strip()
            # an empty endpoint means the offline planner, whatever the environment configured
            overrides = {"base_url": url or None, "model": (model_name or "").strip() or None, "offline": not url}
            if key:
                overrides["api_key"] = key
            elif holder is not None and holder.overrides and holder.overrides.get("api_key"):
                overrides["api_key"] = holder.overrides["api_key"]  # keep the key typed earlier
            try:
                holder = new_holder(overrides)
            except Exception as exc:  # noqa: BLE001 — a bad endpoint is a message, not a crash
                return "", holder, f"⚠️ Settings not applied: {exc}", gr.update(), []
            label = backend_label(holder.session, overrides)
            # the key field is emptied: a password never travels back to the browser
            return "", holder, "Settings applied; a new conversation started.", label, []

        def go_offline(holder: _Holder | None):
            holder = new_holder({"base_url": None, "model": None, "offline": True})
            return "", "", "", holder, "Offline mode on; a new conversation started.", \
                backend_label(holder.session, holder.overrides), []

        app.load(on_load, inputs=[holder_state], outputs=[holder_state, indicator])
        outputs = [box, chatbot, holder_state, *evidence]
        box.submit(respond, inputs=[box, chatbot, holder_state], outputs=outputs, concurrency_limit=None)
        send.click(respond, inputs=[box, chatbot, holder_state], outputs=outputs, concurrency_limit=None)
        clear.click(on_clear, inputs=[holder_state], outputs=[chatbot, holder_state, *evidence])
        apply.click(apply_settings, inputs=[base_url, model, api_key, holder_state],
                    outputs=[api_key, holder_state, settings_status, indicator, chatbot])
        offline.click(go_offline, inputs=[holder_state],
                      outputs=[base_url, model, api_key, holder_state, settings_status, indicator, chatbot])
    return app


def _is_local(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def launch_app(app: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860,
               auth: tuple[str, str] | None = None, warn: Callable[[str], None] = print,
               **kwargs: Any) -> Any:
    """Launch with analytics off; warn when the app is reachable from other machines without a password."""
    if not _is_local(host) and auth is None:
        warn(f"Warning: serving on {host}:{port} without --auth: anyone who can reach this machine can use "
             f"the assistant and read your customer data. Add --auth user:pass (or set MKA_AUTH).")
    return app.launch(server_name=host, server_port=port, auth=auth, share=False, inbrowser=False,
                      footer_links=[], **kwargs)
