"""The display model of one assistant turn (tables, charts, markdown, downloads) and the small helpers the
renderers share. Nothing here imports gradio: the app maps a :class:`View` onto its components."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

import pandas as pd
from models.data.export import to_csv_safe

__all__ = ["Table", "Chart", "View", "csv_for_rows", "MAX_TABLE_ROWS", "fmt", "cell", "cell_text", "frame",
           "round_floats", "download"]

MAX_TABLE_ROWS = 500  # the browser table stays responsive; the CSV download holds every row


@dataclass
class Table:
    title: str
    data: pd.DataFrame


@dataclass
class Chart:
    kind: Literal["bar", "line", "scatter", "vega"]
    data: pd.DataFrame
    x: str
    y: str
    title: str
    color: str | None = None
    x_title: str | None = None
    y_title: str | None = None
    sort: list[str] | None = None  # explicit order of a nominal x axis (vega sorts alphabetically otherwise)
    spec: dict | None = None  # kind "vega": a whole Vega-Lite spec (shaded bands, grouped bars), drawn as it is


@dataclass
class View:
    """Everything one assistant turn shows beside the chat."""

    markdown: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)  # markdown shown under the tables (the model card)
    charts: list[Chart] = field(default_factory=list)
    downloads: list[Path] = field(default_factory=list)

    def extend(self, other: "View") -> "View":
        self.markdown += other.markdown
        self.tables += other.tables
        self.cards += other.cards
        self.charts += other.charts
        self.downloads += other.downloads
        return self

    def offer_download(self, result: Mapping[str, Any], rows: list[Mapping[str, Any]], export_dir: Path,
                       stem: str) -> Path | None:
        """Add the result's CSV (its own export, or one written from ``rows``) to the downloads; return its path."""
        path = download(result, rows, export_dir, stem)
        if path is not None:
            self.downloads.append(path)
        return path

    @property
    def empty(self) -> bool:
        return not (self.markdown or self.tables or self.cards or self.charts or self.downloads)


# -- small helpers -----------------------------------------------------------------------------------

def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != value:  # NaN
            return "—"
        return f"{value:.{digits}f}"
    return str(value)


def cell(value: Any) -> Any:
    """A table cell: lists and dicts become readable text (the Dataframe shows strings, not JSON)."""
    if isinstance(value, (list, tuple)):
        return "; ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {cell_text(v)}" for k, v in value.items())
    return value


def cell_text(value: Any) -> str:
    if isinstance(value, dict):
        # top_categories entries and similar: show the name-like field first
        for key in ("category", "name", "label", "segment"):
            if key in value:
                return str(value[key])
        return json.dumps(value, default=str)
    if isinstance(value, float):
        return fmt(value)
    return str(value)


def frame(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    df = pd.DataFrame([{k: cell(v) for k, v in row.items()} for row in rows])
    if columns:
        present = [c for c in columns if c in df.columns]
        rest = [c for c in df.columns if c not in present]
        df = df[present + rest]
    return df


def round_floats(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(digits)
    return out


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:60] or "export"


def _private(path: Path) -> Path:
    """Customer lists are for this user only: 0600 (the session's folder is 0700)."""
    os.chmod(path, 0o600)
    return path


def csv_for_rows(rows: list[Mapping[str, Any]], export_dir: Path, stem: str) -> Path:
    """Write rows to ``export_dir/<stem>.csv`` (lists joined with '; ') and return the path."""
    export_dir.mkdir(parents=True, exist_ok=True)
    path = export_dir / f"{_safe_name(stem)}.csv"
    df = frame(rows)
    to_csv_safe(df, path, quoting=csv.QUOTE_MINIMAL)
    return _private(path)


def download(result: Mapping[str, Any], rows: list[Mapping[str, Any]], export_dir: Path, stem: str) -> Path | None:
    """The tool's own export when it exists, copied next to the session's other downloads (the browser may
    only fetch files from the app's temp folder); otherwise a CSV written from the rows."""
    src = result.get("export_csv")
    export_dir.mkdir(parents=True, exist_ok=True)
    if src and Path(src).is_file():
        dest = export_dir / Path(src).name
        if Path(src).resolve() != dest.resolve():
            shutil.copyfile(src, dest)
        return _private(dest)
    if not rows:
        return None
    return csv_for_rows(rows, export_dir, stem)

