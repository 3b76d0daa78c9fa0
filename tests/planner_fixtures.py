"""Fixtures the offline-planner test files share: one embedding thread, a small real Complete Journey workspace,
an offline chat session over it, and the decline phrases. Import the fixtures into a test module by name."""

from __future__ import annotations

import re

import pytest

DECLINE = re.compile(r"can't|cannot|don't have|no such|not in your data", re.I)

__all__ = ["DECLINE", "one_embedding_thread", "ws", "session", "offline_session"]


@pytest.fixture(scope="module", autouse=True)
def one_embedding_thread():
    from models import runtime

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runtime, "current", lambda: runtime.Runtime(threads=1))
        yield


@pytest.fixture(scope="module")
def ws(request, tmp_path_factory, cj_small):
    from models.data.workspace import Workspace

    w = Workspace(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "ws")
    w.ingest(cj_small)
    return w


def offline_session(ws):
    """A chat session on the offline planner over ``ws``'s tools."""
    from assistant.agent import build_agent
    from assistant.offline import OfflinePlanner
    from assistant.offline.router import Router
    from assistant.session import ChatSession
    from tools import ToolContext, build_tools

    ctx = ToolContext(ws)
    return ChatSession(build_agent(OfflinePlanner(context=ctx, router=Router()), build_tools(ctx)), "offline")


@pytest.fixture(scope="module")
def session(ws):
    return offline_session(ws)
