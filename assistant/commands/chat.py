"""`mka chat`: open the browser app on a workspace.

The agent factory lives here, not in ``ui``: the UI is handed a factory and never builds an agent.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any, Callable, Mapping

import click

from .common import chroma_option, current_settings, user_errors, workspace_option

__all__ = ["COMMANDS", "chat", "AgentSessionFactory", "parse_auth"]

log = logging.getLogger(__name__)


class AgentSessionFactory:
    """``factory(overrides) -> ChatSession``: one new conversation per call.

    ``overrides`` come from the app's Settings tab: ``base_url``, ``model``, ``api_key`` and ``offline``
    (True: the offline planner whatever the environment says). Tool contexts are cached per backend so
    every browser session shares the loaded artifacts; an LLM backend gets its own context because
    ``make_chat_model`` attaches its copywriter to the context it is given. The offline planner's router is
    shared too, so its example utterances are embedded once, not once per conversation.
    """

    def __init__(self, workspace: Any, settings: Any) -> None:
        self.workspace = workspace
        self.settings = settings
        self._contexts: dict[str, Any] = {}
        self._router: Any = None
        self._lock = threading.Lock()

    def resolve(self, overrides: Mapping[str, Any] | None = None) -> Any:
        """The Settings one session runs with."""
        from pydantic import SecretStr

        s = self.settings
        o = dict(overrides or {})
        if o.get("offline"):
            return s.with_(base_url=None)
        changes: dict[str, Any] = {}
        if o.get("base_url"):
            changes["base_url"] = str(o["base_url"]).rstrip("/")
        if o.get("model"):
            changes["model"] = str(o["model"])
        if o.get("api_key"):
            changes["api_key"] = SecretStr(str(o["api_key"]))
        return s.with_(**changes) if changes else s

    def _context(self, settings: Any) -> Any:
        from tools import ToolContext

        key = "offline"
        if settings.backend != "offline":
            secret = settings.api_key.get_secret_value() if settings.api_key is not None else ""
            key = "|".join([settings.base_url or "", settings.model,
                            hashlib.sha256(secret.encode()).hexdigest()[:12]])
        with self._lock:
            if key not in self._contexts:
                self._contexts[key] = ToolContext(self.workspace)
            return self._contexts[key]

    def router(self) -> Any:
        """The offline planner's router, one for every session."""
        from assistant.offline import Router

        with self._lock:
            if self._router is None:
                self._router = Router()
            return self._router

    def __call__(self, overrides: Mapping[str, Any] | None = None) -> Any:
        from assistant.agent import build_agent
        from assistant.llm import make_chat_model
        from assistant.session import ChatSession
        from tools import build_tools

        settings = self.resolve(overrides)
        ctx = self._context(settings)
        llm = make_chat_model(settings, ctx, router=self.router())
        return ChatSession(build_agent(llm, build_tools(ctx)), backend=settings.backend_label)

    def warm(self) -> dict[str, float]:
        """Load what answers read, so that the first answer is as quick as later ones (the app runs this in the
        background at launch, ``ui.warmup``): a session (the agent's imports), the router's example embeddings
        (and MiniLM), every horizon's scores and model card, the segments, the review index, the overview,
        customer values and the analytics engine.
        Returns seconds per part; a part this workspace lacks is skipped, and its tool says so when asked."""
        ctx = self._context(self.settings)
        parts: dict[str, Callable[[], Any]] = {
            "session": lambda: self(None),  # the agent's imports and graph
            "router": lambda: self.router().warm([]),
            "predictor": lambda: [(ctx.scores(h), ctx.model_card(h)) for h in ctx.horizons()],
            "segments": ctx.segment_of,
            "reviews": lambda: (ctx.reviewed_names(), ctx.review_index().search("warm-up")),
            "overview": ctx.overview,
            "value": ctx.customer_values,  # CLV and churn risk (the at-risk list)
            "analytics": lambda: ctx.run_query({"metrics": ["revenue"]}),  # DuckDB and the layer's views
        }
        took: dict[str, float] = {}
        for name, load in parts.items():
            t0 = time.perf_counter()
            try:
                load()
            except Exception as exc:  # noqa: BLE001 — e.g. no reviews in this workspace
                log.info("warm-up: %s not loaded (%s: %s)", name, type(exc).__name__, exc)
                continue
            took[name] = round(time.perf_counter() - t0, 3)
        return took

    def reload(self) -> None:
        """Forget loaded artifacts (after ingest/retrain) so the next sessions read the new ones."""
        with self._lock:
            self._contexts.clear()


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:pass`` → ``(user, pass)``; the password may itself contain ':'."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise click.BadParameter("expected user:password (e.g. --auth alice:s3cret)", param_hint="--auth")
    return user, password


@click.command("chat")
@chroma_option
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but localhost exposes your data: use --auth.")
@click.option("--port", default=7860, show_default=True, type=int)
@click.option("--auth", "auth", default=None, metavar="USER:PASS",
              help="Ask for this user name and password in the browser (default: $MKA_AUTH).")
@click.option("--base-url", default=None, help="OpenAI-compatible endpoint (default: env; none = offline planner).")
@click.option("--model", default=None, help="Model name at that endpoint (env MKA_MODEL).")
@user_errors
def chat(ws: Any, host: str, port: int, auth: str | None, base_url: str | None, model: str | None) -> None:
    """Open the chat app in your browser (tables, charts, review evidence, CSV downloads)."""
    from assistant.settings import private_ui_cache
    from models.data.errors import WorkspaceError

    private_ui_cache()  # before the app is built: Gradio reads its cache folder then
    from ui.app import build_app, launch_app

    settings = current_settings().updated({"base_url": base_url, "model": model, "workspace": ws.path,
                                           "auth": auth})
    credentials = parse_auth(settings.auth.get_secret_value() if settings.auth is not None else None)
    if not ws.exists():
        raise WorkspaceError(f"no workspace at {ws.path}: run `mka demo` for the demo data or "
                             f"`mka ingest --orders FILE` for your own")
    factory = AgentSessionFactory(ws, settings)
    factory(None)  # fail here, with a clean message, rather than in the browser
    click.echo(f"Backend: {settings.backend_label} · workspace: {ws.path}")
    app = build_app(factory, ws)
    launch_app(app, host=host, port=port, auth=credentials,
               warn=lambda msg: click.secho(msg, fg="yellow", err=True))


COMMANDS = [chat]
