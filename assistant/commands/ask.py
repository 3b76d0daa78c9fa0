"""`mka ask "QUESTION"`: one question to the assistant (offline planner, or an OpenAI-compatible LLM)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import chroma_option, current_settings, echo_json, json_option, user_errors

__all__ = ["ask", "COMMANDS", "make_session"]


def make_session(settings):
    """A ChatSession over the settings' workspace and backend (shared by the CLI, bench and tests)."""
    from assistant.agent import build_agent
    from assistant.llm import make_chat_model
    from assistant.session import ChatSession
    from models.data.workspace import Workspace
    from tools import ToolContext, build_tools

    ctx = ToolContext(Workspace(settings.workspace, lock_timeout=settings.lock_timeout_s,
                                chroma_url=settings.chroma_url))
    llm = make_chat_model(settings, ctx)
    return ChatSession(build_agent(llm, build_tools(ctx)), settings.backend_label)


@click.command("ask")
@click.argument("question")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Workspace folder (default: $MKA_WORKSPACE or ./mka-workspace).")
@click.option("--base-url", default=None, help="OpenAI-compatible endpoint (default: $MKA_LLM_BASE_URL / "
                                               "$OPENAI_BASE_URL; none = offline planner).")
@click.option("--model", default=None, help="Model name for the endpoint (default: $MKA_MODEL).")
@chroma_option
@json_option
@user_errors
def ask(question: str, workspace: Path | None, base_url: str | None, model: str | None, chroma_url: str | None,
        as_json: bool) -> None:
    """Ask one question about your customers, segments, reviews or sales."""
    settings = current_settings().updated({"workspace": workspace, "base_url": base_url, "model": model,
                                           "chroma_url": chroma_url})
    if not settings.workspace.joinpath("manifest.json").exists():
        from models.data.errors import WorkspaceError

        raise WorkspaceError(f"no workspace at {settings.workspace}: run `mka demo` or pass --workspace")
    # a failing endpoint raises LLMEndpointError: user_errors prints its one redacted line, exit 2
    result = make_session(settings).ask(question)
    if as_json:
        echo_json(result.to_json())
    else:
        click.echo(result.answer)
        if result.tool_calls:
            calls = ", ".join(f"{c['name']}({', '.join(f'{k}={v!r}' for k, v in c['args'].items())})"
                              for c in result.tool_calls)
            click.secho(f"\n[{result.backend}] tools: {calls}", dim=True, err=True)


COMMANDS = [ask]
