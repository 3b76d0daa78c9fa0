"""DuckDB over the workspace's Parquet tables: one in-memory database per workspace revision, a cursor per query.

The database is opened on the first query and kept (``connect`` hands out cursors on it) until the workspace's
tables change: the key is the manifest's content-hashed file names plus the segments file's stat, so a new ingest
or a refit is seen by the next query. Tables up to ``MATERIALIZE_MAX_ROWS`` rows in all are copied into DuckDB's
memory once (the Parquet files are decoded once, not on every question); bigger workspaces get views that read the
files in place. Nothing is written to the workspace, and after setup the database can read no other file.

In the in-memory copy the text id columns (``ID_COLUMNS``) are stored as ENUMs, one type per column name shared by
every table that has it, its values in text order: distinct counts, GROUP BYs and joins on an id then work on
integers (the headline's two COUNT DISTINCTs over 1.47M lines take about half the time), while a comparison with a
text value, ``CAST(... AS VARCHAR)``, ``ORDER BY`` and ``min``/``max`` give what the text ids gave.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict

import duckdb

from models.data.workspace import Workspace

__all__ = ["connect", "close_all", "table_columns", "SEGMENTS_FILE", "LIMITS", "MATERIALIZE_MAX_ROWS", "ID_COLUMNS"]

# DuckDB resource limits for every connection, set by the caller (a bench, a server); None = DuckDB's defaults
LIMITS: dict[str, str | int | None] = {"memory_limit": None, "threads": None}

# tables are copied into memory when the workspace holds at most this many rows in all (the 1.47M-line demo is ~0.3
# GB in DuckDB's columnar memory); above it, views read the Parquet files on every query
MATERIALIZE_MAX_ROWS = 20_000_000
_KEEP = 2  # databases kept open (workspaces), least recently used closed first
# id columns stored as ENUMs in the in-memory copy (when every table that has one holds it as text)
ID_COLUMNS = ("customer_id", "order_id", "product_id")

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


_DATABASES: "OrderedDict[str, tuple[tuple, duckdb.DuckDBPyConnection]]" = OrderedDict()
_LOCK = threading.Lock()


def _revision(ws: Workspace, tables: dict) -> tuple:
    """What the database depends on: each table's content-hashed file, the segments file's stat, the limits."""
    files = tuple(sorted((name, info.get("file"), info.get("hash")) for name, info in tables.items()))
    seg = _segments_path(ws)
    seg_stat = None
    if seg is not None:
        st = os.stat(seg)
        seg_stat = (st.st_mtime_ns, st.st_size)
    return files, seg_stat, tuple(sorted(LIMITS.items()))


def _quoted(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def _id_enums(con: duckdb.DuckDBPyConnection, columns: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
    """id column -> the ENUM type created for it: the distinct text values of that column over every table that has
    it, sorted (so ORDER BY and min/max on the enum follow the text). A column some table holds as non-text keeps
    its stored types everywhere (an ENUM beside a number would change what a join compares)."""
    out = {}
    for col in ID_COLUMNS:
        holders = [path for path, cols in columns.items() if any(c == col for c, _ in cols)]
        if not holders or any(t != "VARCHAR" for path in holders for c, t in columns[path] if c == col):
            continue
        union = " UNION ALL ".join(f"SELECT {col} AS v FROM read_parquet({_quoted(p)})" for p in holders)
        out[col] = f"{col}_enum"
        con.execute(f"CREATE TYPE {out[col]} AS ENUM (SELECT DISTINCT v FROM ({union}) WHERE v IS NOT NULL ORDER BY v)")
    return out


# optimizers whose planning time grows with the ENUMs' sizes (DuckDB 2.0, measured on the full CJ): common_subplan
# compares the plan's types value by value (12-50 ms a query at 1x), partitioned_execution took 6.5 s to plan one
# "orders per customer" at 10x (1.56M order ids). Neither changes an answer; each is turned off where it exists
_SLOW_WITH_ENUMS = ("common_subplan", "partitioned_execution")


def _skip_slow_optimizers(con: duckdb.DuckDBPyConnection) -> None:
    known = {r[0] for r in con.execute("SELECT name FROM duckdb_optimizers()").fetchall()}
    off = [name for name in _SLOW_WITH_ENUMS if name in known]
    if off:
        con.execute(f"SET disabled_optimizers = '{','.join(off)}'")


def _open(ws: Workspace, tables: dict) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")  # no progress output on the terminal
    if LIMITS.get("memory_limit"):
        con.execute("SET memory_limit = ?", [str(LIMITS["memory_limit"])])
    if LIMITS.get("threads"):
        con.execute("SET threads = ?", [int(LIMITS["threads"])])
    rows = sum(int(info.get("rows") or 0) for info in tables.values())
    kind = "TABLE" if rows <= MATERIALIZE_MAX_ROWS else "VIEW"
    sources = [(name, ws.path / info["file"]) for name, info in tables.items() if _IDENT.match(name)]
    seg = _segments_path(ws)
    if seg is not None and "segments" not in tables:
        sources.append(("segments", seg))
    paths = [str(file.resolve()) for _, file in sources]
    columns = {p: [(c, t) for c, t, *_ in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_quoted(p)})").fetchall()]
               for p in paths} if kind == "TABLE" else {}
    enums = _id_enums(con, columns) if kind == "TABLE" else {}
    if enums:
        _skip_slow_optimizers(con)
    for (name, _), path in zip(sources, paths):
        if kind == "TABLE":
            cols = [c for c, _ in columns[path]]
            quoted = {c: '"' + c.replace('"', '""') + '"' for c in cols}
            select = ", ".join(f"CAST({quoted[c]} AS {enums[c]}) AS {quoted[c]}" if c in enums else quoted[c]
                               for c in cols)
            order = " ORDER BY timestamp" if "timestamp" in cols else ""  # a period filter skips whole row groups
        else:
            select, order = "*", ""
        con.execute(f"CREATE {kind} {name} AS SELECT {select} FROM read_parquet({_quoted(path)}){order}")
    con.execute("SET allowed_paths = ?", [paths if kind == "VIEW" else []])
    con.execute("SET enable_external_access = false")  # after the tables: no further file or network reads
    con.execute("SET lock_configuration = true")
    return con


def connect(ws: Workspace) -> duckdb.DuckDBPyConnection:
    """A cursor on the workspace's database (``orders``, ``products``... as tables or views); close it when done.

    The database is opened once per workspace revision and shared by every query of this process (DuckDB cursors
    are safe to use from several threads, one cursor each)."""
    tables = ws.manifest().get("tables", {})
    key = str(ws.path.resolve())
    rev = _revision(ws, tables)
    with _LOCK:
        held = _DATABASES.get(key)
        if held is None or held[0] != rev:
            if held is not None:
                held[1].close()
            _DATABASES[key] = held = (rev, _open(ws, tables))
            while len(_DATABASES) > _KEEP:
                _DATABASES.popitem(last=False)[1][1].close()
        _DATABASES.move_to_end(key)
        return held[1].cursor()


def close_all() -> None:
    """Close every open database (tests, a bench switching workspaces, shutdown)."""
    with _LOCK:
        while _DATABASES:
            _DATABASES.popitem()[1][1].close()
