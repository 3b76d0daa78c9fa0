"""The Data tab: upload the shop's files, see validation problems in plain words, ingest, retrain,
re-segment and re-index with progress, and look at the workspace overview.

The step functions (``ingest_uploads``, ``run_pipeline_step``, ``overview_view``) are plain functions over a
workspace so they are tested without a browser; ``build_data_tab`` only wires them to components.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import gradio as gr
import pandas as pd

from models.pipeline import FIT_STEPS

__all__ = ["build_data_tab", "ingest_uploads", "run_pipeline_step", "overview_view", "explain_error",
           "TABLE_KINDS", "STEPS"]

TABLE_KINDS = ("orders", "products", "customers", "reviews")
FILE_TYPES = [".csv", ".tsv", ".txt", ".json", ".jsonl", ".parquet", ".gz", ".xlsx"]

# the steps that refit the models after new data, by name, in pipeline order
STEPS = {s.name: s for s in FIT_STEPS}


def explain_error(exc: BaseException) -> str:
    """A user-fixable error in plain words (markdown). Validation errors list file, column, rows, found and
    expected on separate lines so a marketer can fix the spreadsheet."""
    from models.data.errors import DataValidationError, WorkspaceError

    if isinstance(exc, DataValidationError):
        d = exc.to_dict()
        lines = [f"❌ **{Path(d['file']).name}**: {d['problem']}"]
        if d.get("column"):
            lines.append(f"- column: `{d['column']}`")
        if d.get("rows"):
            more = d["n_rows"] - len(d["rows"])
            lines.append("- rows: " + ", ".join(map(str, d["rows"])) + (f" (and {more} more)" if more > 0 else ""))
        if d.get("found"):
            lines.append("- found: " + ", ".join(f"`{v}`" for v in d["found"]))
        if d.get("expected"):
            lines.append(f"- expected: {d['expected']}")
        lines.append("\nNothing was changed in the workspace. Fix the file and upload it again.")
        return "\n".join(lines)
    if isinstance(exc, WorkspaceError):
        return f"❌ {exc}"
    return f"❌ {type(exc).__name__}: {exc}"


def ingest_uploads(ws: Any, files: Mapping[str, Any], allow_returns: bool = False) -> str:
    """Validate and ingest the uploaded files (any subset of TABLE_KINDS); returns a markdown report.

    All files go in one ingest call, so a problem in one of them leaves the workspace unchanged."""
    paths = {k: str(getattr(v, "name", v)) for k, v in files.items() if v}
    if not paths:
        return "Choose at least one file (orders are required the first time)."
    unknown = set(paths) - set(TABLE_KINDS)
    if unknown:
        return f"❌ Unknown table(s): {', '.join(sorted(unknown))}; expected {', '.join(TABLE_KINDS)}."
    from models.data.ingest import ingest_files

    try:
        report = ingest_files(ws, **paths, allow_returns=allow_returns, progress=False)
    except Exception as exc:  # noqa: BLE001 — every failure is shown, validation ones in detail
        return explain_error(exc)
    lines = ["✅ Ingested " + ", ".join(f"**{k}** ({Path(v).name})" for k, v in paths.items()) + "."]
    rows = report.get("rows", {}) if isinstance(report, Mapping) else {}
    status = report.get("status", {}) if isinstance(report, Mapping) else {}
    for name, n in rows.items():
        lines.append(f"- {name}: {int(n):,} rows" + (f" ({status[name]})" if name in status else ""))
    lines.append("\nNext: retrain the predictor, re-segment and re-index reviews so answers use the new data.")
    return "\n".join(lines)


def run_pipeline_step(ws: Any, step: str) -> str:
    """Run one fitting step over the workspace and say what it produced (markdown)."""
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}; expected one of {', '.join(STEPS)}")
    label = STEPS[step].label
    try:
        info = STEPS[step](ws)
    except Exception as exc:  # noqa: BLE001
        return explain_error(exc)
    bits = []
    if isinstance(info, Mapping):
        for key, value in info.items():
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                bits.append(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
    return f"✅ {label} done" + (" — " + ", ".join(bits[:8]) if bits else "") + "."


def _artifacts_markdown(ws: Any) -> str:
    """Which models are fitted, as of when, and whether the data changed since (then they need a refit)."""
    try:
        artifacts = ws.manifest().get("artifacts", {}) or {}
        current = ws.data_hash()
    except Exception:  # noqa: BLE001 — the overview still shows the tables
        return ""
    if not artifacts:
        return "\n_No models fitted yet: run the steps above._"
    lines = ["\n| model | as of | status |", "|---|---|---|"]
    for name, info in sorted(artifacts.items()):
        info = info if isinstance(info, Mapping) else {}
        stale = info.get("data_hash") not in (None, current)
        lines.append(f"| {name} | {info.get('as_of', '—')} | {'⚠️ data changed: refit' if stale else 'up to date'} |")
    return "\n".join(lines)


def overview_view(ws: Any) -> tuple[str, pd.DataFrame | None, pd.DataFrame | None]:
    """(summary markdown, revenue-by-month frame, top-categories frame) for the workspace."""
    from models.analytics.overview import overview

    try:
        ov = overview(ws)
    except Exception as exc:  # noqa: BLE001 — an empty workspace says what to do instead
        return explain_error(exc), None, None
    dr = ov.get("date_range") or ["—", "—"]
    ret = ov.get("returns") or {}
    lines = [
        "### Workspace overview",
        f"**{ov.get('customers', 0):,}** customers · **{ov.get('orders', 0):,}** orders · "
        f"**{ov.get('line_items', 0):,}** line items",
        f"**Revenue:** {float(ov.get('revenue') or 0):,.2f} · **from** {str(dr[0])[:10]} **to** {str(dr[-1])[:10]}",
    ]
    if ret:
        lines.append(f"**Returns:** {ret.get('rows', 0):,} rows, {float(ret.get('amount') or 0):,.2f}")
    rev = ov.get("reviews") or {}
    if rev:
        synth = rev.get("synthetic_rows", 0)
        lines.append(f"**Reviews:** {rev.get('rows', 0):,}, mean rating {rev.get('mean_rating', '—')}"
                     + (f" — {synth:,} of them synthetic (demo data, not real customers)" if synth else ""))
    tables = ov.get("tables") or {}
    if tables:
        lines.append("\n| table | rows | source |\n|---|---|---|")
        lines += [f"| {name} | {int(info.get('rows') or 0):,} | {Path(str(info.get('source') or '—')).name} |"
                  for name, info in tables.items()]
    lines.append(_artifacts_markdown(ws))
    md = "\n".join(lines)
    months = pd.DataFrame(ov.get("revenue_by_month") or [])
    if not months.empty and "month" in months:
        months["month"] = pd.to_datetime(months["month"].astype(str), errors="coerce")
        months = months.dropna(subset=["month"])
    cats = pd.DataFrame(ov.get("top_categories") or [])
    if not cats.empty and "share" in cats:
        cats["share"] = (cats["share"].astype(float) * 100).round(1)
        cats = cats.rename(columns={"share": "share_pct"})
    return md, (months if not months.empty else None), (cats.round(2) if not cats.empty else None)


def build_data_tab(ws: Any, on_change: Callable[[], None], tab: Any = None) -> None:
    """Components of the Data tab, inside the caller's ``gr.Tab``. ``on_change`` runs after the workspace
    changed, so the chat sessions pick up the new artifacts."""
    gr.Markdown("Upload your shop's files (CSV, JSON lines, Parquet or Excel). Orders need `customer_id`, "
                "`timestamp` and `amount`; see the README for every column.")
    with gr.Row():
        uploads = {k: gr.File(label=k.capitalize(), file_types=FILE_TYPES, type="filepath",
                              elem_id=f"upload-{k}") for k in TABLE_KINDS}
    with gr.Row():
        returns = gr.Checkbox(label="Orders include returns (negative amounts are refunds, not errors)",
                              value=False, elem_id="allow-returns")
        ingest_btn = gr.Button("Validate and ingest", variant="primary", elem_id="ingest")
    with gr.Row():
        step_btns = {name: gr.Button(s.label, elem_id=f"step-{name}") for name, s in STEPS.items()}
        all_btn = gr.Button("Run all steps", elem_id="step-all")
    status = gr.Markdown(elem_id="data-status")
    refresh = gr.Button("Refresh overview", size="sm", elem_id="refresh-overview")
    ov_md = gr.Markdown(elem_id="overview-md")
    ov_plot = gr.LinePlot(x="month", y="revenue", title="Revenue by month", visible=False, height=260,
                          elem_id="overview-revenue")
    ov_cats = gr.Dataframe(label="Top categories", visible=False, interactive=False, elem_id="overview-categories")

    def show_overview():
        md, months, cats = overview_view(ws)
        return (md, gr.update(value=months, visible=months is not None),
                gr.update(value=cats, visible=cats is not None))

    def do_ingest(orders, products, customers, reviews, allow_returns, progress=gr.Progress(track_tqdm=True)):
        progress(0.1, desc="Validating files…")
        msg = ingest_uploads(ws, dict(zip(TABLE_KINDS, (orders, products, customers, reviews))), allow_returns)
        if msg.startswith("✅"):
            on_change()
        return (msg, *show_overview())

    def make_step(step: str):
        def do_step(progress=gr.Progress(track_tqdm=True)):
            progress(0.05, desc=STEPS[step].description)
            msg = run_pipeline_step(ws, step)
            on_change()
            return msg
        return do_step

    def do_all(progress=gr.Progress(track_tqdm=True)):
        msgs = []
        for i, step in enumerate(STEPS):
            progress(i / len(STEPS), desc=STEPS[step].description)
            msgs.append(run_pipeline_step(ws, step))
        on_change()
        return "\n\n".join(msgs)

    overview_out = [ov_md, ov_plot, ov_cats]
    ingest_btn.click(do_ingest, inputs=[*uploads.values(), returns], outputs=[status, *overview_out])
    for step, btn in step_btns.items():
        btn.click(make_step(step), outputs=[status])
    all_btn.click(do_all, outputs=[status])
    refresh.click(show_overview, outputs=overview_out)
    if tab is not None:
        # computed when the tab is opened, not when the app is built (building reads no files)
        tab.select(show_overview, outputs=overview_out)
