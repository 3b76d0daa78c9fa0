"""One chat turn in the app: a question's events become chat messages and the evidence beside them.

The evidence column has fixed slots (markdown, ``N_TABLES`` tables, a card, ``N_BARS`` bar charts, ``N_LINES`` line
charts, downloads); ``view_updates`` maps a rendered ``View`` onto them.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

import gradio as gr
from gradio.components.plot import PlotData

from assistant.redact import redact

from .compact import column_widths, compact_markdown_tables, evidence_columns, header_words
from .events import answer_chunks, iter_events
from .render import Chart, View, render_tool_calls, step_message

__all__ = ["respond_turn", "view_updates", "N_TABLES", "N_BARS", "N_LINES", "N_SCATTERS", "N_PLOTS",
           "N_EVIDENCE"]

N_TABLES, N_BARS, N_LINES, N_SCATTERS, N_PLOTS = 3, 2, 2, 1, 2
N_EVIDENCE = 1 + N_TABLES + 1 + N_BARS + N_LINES + N_SCATTERS + N_PLOTS + 1


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


def _plot_update(c: Chart) -> Any:
    """A whole Vega-Lite spec (bands, grouped bars) in a gr.Plot: gradio draws an "altair" plot's JSON as it is."""
    return gr.update(value=PlotData(type="altair", plot=json.dumps(c.spec, allow_nan=False)), label=c.title,
                     visible=True)


def view_updates(view: View | None) -> list[Any]:
    """Map a view onto the fixed evidence slots (markdown, tables, bar, line and scatter charts, Vega-Lite
    plots, downloads)."""
    view = view or View()
    updates: list[Any] = [gr.update(value="\n\n".join(view.markdown), visible=bool(view.markdown))]
    for i in range(N_TABLES):
        if i < len(view.tables):
            t = view.tables[i]
            shown, rest = evidence_columns(list(t.data.columns))
            label = t.title + (f" · {len(rest)} more columns in the CSV ({', '.join(header_words(c) for c in rest)})"
                               if rest else "")
            # share the pane's width: cells wrap between words instead of pushing the table past the pane
            data = t.data[shown].rename(columns=header_words)
            updates.append(gr.update(value=data, label=label, visible=True,
                                     column_widths=column_widths(data) if shown else None))
        else:
            updates.append(gr.update(value=None, visible=False))
    updates.append(gr.update(value="\n\n".join(view.cards), visible=bool(view.cards)))
    for kind, n in (("bar", N_BARS), ("line", N_LINES), ("scatter", N_SCATTERS), ("vega", N_PLOTS)):
        charts: list[Chart] = [c for c in view.charts if c.kind == kind]
        for i in range(n):
            if i < len(charts):
                updates.append(_plot_update(charts[i]) if kind == "vega" else _chart_update(charts[i]))
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


class _Turn:
    """One question's chat history as its events arrive: each step pending then done, the answer growing."""

    def __init__(self, history: list, holder: Any) -> None:
        self.history = history
        self.holder = holder
        self.calls: list[dict] = []
        self.answer_at: int | None = None
        self.raw_answer = ""  # as the backend wrote it; the chat shows it with compact tables

    def outputs(self, evidence: list[Any]) -> tuple:
        return ("", list(self.history), self.holder, *evidence)

    def view(self) -> list[Any]:
        return view_updates(render_tool_calls([c for c in self.calls if c.get("done")], self.holder.export_dir))

    def tool_start(self, payload: dict) -> None:
        self.history.append(step_message(payload, status="pending"))
        self.calls.append({**payload, "_index": len(self.history) - 1})

    def tool_end(self, payload: dict) -> None:
        call = _match_call(self.calls, payload)
        if call is None:  # a result whose start was never reported
            call = {**payload, "args": payload.get("args") or {}}
            self.history.append(step_message(call))
            call["_index"] = len(self.history) - 1
            self.calls.append(call)
        else:
            call.update({k: v for k, v in payload.items() if k != "args" or v})
            call["done"] = True
            self.history[call["_index"]] = step_message(call)
        call["done"] = True

    def tokens(self, text: str) -> Iterator[None]:
        """Add the text piece by piece (a backend that answers in one piece still arrives progressively)."""
        for piece in answer_chunks(text):
            if self.answer_at is None:
                self.history.append({"role": "assistant", "content": ""})
                self.answer_at = len(self.history) - 1
            self.raw_answer += piece
            self.history[self.answer_at] = {"role": "assistant",
                                            "content": compact_markdown_tables(self.raw_answer)}
            yield

    def final(self, answer: str) -> None:
        answer = compact_markdown_tables(answer)  # the full tables are in the evidence pane
        if self.answer_at is None:
            self.history.append({"role": "assistant", "content": answer})
        else:
            self.history[self.answer_at] = {"role": "assistant", "content": answer}

    def close(self) -> None:
        for c in self.calls:  # a step that never reported back is not left spinning
            if not c.get("done"):
                self.history[c["_index"]] = step_message({**c, "result": {"error": "no result"}})


def respond_turn(ensure: Callable[[Any], Any], message: str, history: list | None, holder: Any) -> Iterator[tuple]:
    """The app's outputs (textbox, chat history, holder, evidence slots) after each event of one question;
    ``ensure(holder)`` gives the browser session's holder (its ``session`` and ``export_dir``)."""
    history = list(history or [])
    message = (message or "").strip()
    unchanged = [gr.update() for _ in range(N_EVIDENCE)]
    if not message:
        yield ("", list(history), holder, *unchanged)
        return
    history.append({"role": "user", "content": message})
    try:
        holder = ensure(holder)
    except Exception as exc:  # noqa: BLE001
        history.append({"role": "assistant", "content": redact(f"⚠️ The assistant could not start: {exc}")})
        yield ("", list(history), holder, *unchanged)
        return
    turn = _Turn(history, holder)
    yield turn.outputs(unchanged)
    for kind, payload in iter_events(holder.session, message):
        if kind == "tool_start":
            turn.tool_start(payload)
        elif kind == "tool_end":
            turn.tool_end(payload)
            yield turn.outputs(turn.view())
            continue
        elif kind == "token":
            for _ in turn.tokens(payload):
                yield turn.outputs(unchanged)
            continue
        elif kind == "error":
            history.append({"role": "assistant", "content": f"⚠️ {payload}"})
        elif kind == "final":
            turn.final(payload)
        yield turn.outputs(unchanged)
    turn.close()
    yield turn.outputs(turn.view())
