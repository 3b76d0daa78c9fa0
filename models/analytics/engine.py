"""DuckDB over the workspace's Parquet tables: one fresh in-memory connection per query, views only (no copy).

The views read the files the manifest names, in place; nothing is written to the workspace.
"""

from __future__ import annotations

import re

import duckdb

from models.data.workspace import Workspace

__all__ = ["connect", "table_columns", "SEGMENTS_FILE", "LIMITS"]

# DuckDB resource limits for every connection, set by the caller (a bench, a server); None = DuckDB's defaults
LIMITS: dict[str, str | int | None] = {"memory_limit": None, "threads": None}

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


SEGMENTS_FILE = "segments.parquet"  # models.segments.store.ASSIGN_FILE (customer_id, segment_id, segment...)


def _segments_path(ws: Workspace):
    path = ws.artifact_path(SEGMENTS_FILE)
    return path if path.exists() else None


def table_columns(ws: Workspace) -> dict[str, list[str]]:
    """table -> its columns, from the manifest (plus ``segments`` when fitted: its schema is read, not its rows)."""
    tables = ws.manifest().get("tables", {})
    out = {name: list(info.get("columns", [])) for name, info in tables.items() if _IDENT.match(name)}
    seg = _segments_path(ws)
    if seg is not None and "segments" not in out:
        import pyarrow.parquet as pq

        out["segments"] = list(pq.read_schema(seg).names)
    return out


def connect(ws: Workspace) -> duckdb.DuckDBPyConnection:
    """A new in-memory connection with one view per workspace table (``orders``, ``products``...)."""
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")  # no progress output on the terminal
    if LIMITS.get("memory_limit"):
        con.execute("SET memory_limit = ?", [str(LIMITS["memory_limit"])])
    if LIMITS.get("threads"):
        con.execute("SET threads = ?", [int(LIMITS["threads"])])
    paths = []
    for name, info in ws.manifest().get("tables", {}).items():
        if not _IDENT.match(name):
            continue
        path = str((ws.path / info["file"]).resolve())
        paths.append(path)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path.replace(chr(39), chr(39) * 2)}')")
    seg = _segments_path(ws)
    if seg is not None and "segments" not in ws.manifest().get("tables", {}):
        path = str(seg.resolve())
        paths.append(path)
        con.execute(f"CREATE VIEW segments AS SELECT * FROM read_parquet('{path.replace(chr(39), chr(39) * 2)}')")
    con.execute("SET allowed_paths = ?", [paths])
    con.execute("SET enable_external_access = false")  # after the views: no further file or network reads
    con.execute("SET lock_configuration = true")
    return con
