"""The user's workspace: ingested tables (Parquet), fitted artifacts, the review index, and a manifest.

The manifest is the single commit point. Tables are written under content-hashed names first, then the
manifest is replaced in one rename; only then are files no longer referenced removed. A crash or Ctrl-C at
any moment leaves the previous manifest, and every table it names, intact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Callable, Mapping

import pandas as pd

from models.data.atomic import atomic_path, atomic_write_text
from models.data.errors import WorkspaceError
from models.data.lock import DEFAULT_LOCK_TIMEOUT_S, WorkspaceLock, held_here
from models.data.schema import EXTRA_TABLES, SCHEMA_VERSION, TABLES

__all__ = ["Workspace", "DEFAULT_WORKSPACE", "frame_hash"]

DEFAULT_WORKSPACE = "mka-workspace"


def frame_hash(df: pd.DataFrame) -> str:
    """Content hash of a table (column names, dtypes and values); row order matters."""
    h = hashlib.sha256()
    h.update(json.dumps([[c, str(t)] for c, t in df.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def _date_range(df: pd.DataFrame) -> list[str] | None:
    if "timestamp" not in df.columns or df["timestamp"].notna().sum() == 0:
        return None
    ts = df["timestamp"].dropna()
    return [ts.min().isoformat(), ts.max().isoformat()]


class Workspace:
    """A folder holding everything the assistant knows about one shop.

    ``Workspace(path)`` touches nothing on disk; reading methods raise ``WorkspaceError`` with a hint
    when the workspace or a table is missing. ``chroma_url`` (``http://host:port``, from the settings) puts the
    review index on that Chroma server instead of ``chroma_dir`` (models/reviews/index.py).
    """

    def __init__(self, path: str | Path = DEFAULT_WORKSPACE, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
                 chroma_url: str | None = None) -> None:
        self.path = Path(path)
        self._opened = False
        self.lock_timeout = float(lock_timeout)
        self.chroma_url = chroma_url or None

    def write_lock(self) -> WorkspaceLock:
        """The workspace's write lock (see models/data/lock.py): hold it from reading the manifest you will
        change to the manifest swap. Re-entrant within a process; readers never need it."""
        return WorkspaceLock(self.path, timeout=self.lock_timeout)

    # -- layout -------------------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    @property
    def artifacts_dir(self) -> Path:
        return self.path / "artifacts"

    @property
    def chroma_dir(self) -> Path:
        return self.path / "chroma"

    def artifact_path(self, name: str) -> Path:
        return self.artifacts_dir / name

    def exists(self) -> bool:
        return self.manifest_path.exists()

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    # -- manifest -----------------------------------------------------------------------------------
    def manifest(self) -> dict:
        if not self._opened:
            self._opened = True
            self._clean_on_open()
        if not self.manifest_path.exists():
            return {"schema_version": SCHEMA_VERSION, "tables": {}, "artifacts": {}}
        try:
            return json.loads(self.manifest_path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise WorkspaceError(f"{self.manifest_path}: manifest is not valid JSON ({exc})") from exc

    def _write_manifest(self, manifest: dict) -> None:
        manifest["schema_version"] = SCHEMA_VERSION
        atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True, default=str))

    # -- tables -------------------------------------------------------------------------------------
    def table_names(self) -> list[str]:
        return sorted(self.manifest().get("tables", {}))

    def has_table(self, name: str) -> bool:
        return name in self.manifest().get("tables", {})

    def table_info(self, name: str) -> dict:
        tables = self.manifest().get("tables", {})
        if name not in tables:
            raise WorkspaceError(self._missing_hint(name))
        return tables[name]

    def read_table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        info = self.table_info(name)
        path = self.path / info["file"]
        if not path.exists():
            raise WorkspaceError(f"{path}: table '{name}' is listed in the manifest but its file is missing")
        return pd.read_parquet(path, columns=columns)

    def _missing_hint(self, name: str) -> str:
        if not self.exists():
            return (f"no workspace at {self.path}: run `mka demo` for the demo data or "
                    f"`mka ingest --orders FILE` for your own")
        return f"workspace {self.path} has no '{name}' table: ingest it with `mka ingest --{name} FILE`"

    def ingest(
        self,
        tables: Mapping[str, pd.DataFrame],
        sources: Mapping[str, str] | None = None,
        *,
        progress: Callable[[str], None] | None = None,
    ) -> dict:
        """Store validated canonical tables and commit them in one manifest swap.

        Tables not given are kept as they are. Returns ``{table: "added"|"replaced"|"unchanged"}``.
        """
        sources = dict(sources or {})
        for name in tables:
            if name not in TABLES and name not in EXTRA_TABLES:
                raise ValueError(f"unknown table {name!r}")
        self.path.mkdir(parents=True, exist_ok=True)
        with self.write_lock():
            self._clean_stale_tmp()
            manifest = self.manifest()
            old_tables = dict(manifest.get("tables", {}))
            new_tables = dict(old_tables)
            status: dict[str, str] = {}
            self.data_dir.mkdir(parents=True, exist_ok=True)
            for name, df in tables.items():
                if progress:
                    progress(name)
                digest = frame_hash(df)
                rel = f"data/{name}-{digest}.parquet"
                if name in old_tables and old_tables[name].get("hash") == digest and (self.path / rel).exists():
                    status[name] = "unchanged"
                    continue
                target = self.path / rel
                if not target.exists():
                    with atomic_path(target, suffix=".parquet") as tmp:
                        df.to_parquet(tmp, index=False)
                new_tables[name] = {
                    "file": rel,
                    "hash": digest,
                    "rows": int(len(df)),
                    "columns": [str(c) for c in df.columns],
                    "source": sources.get(name, ""),
                    "date_range": _date_range(df),
                    "ingested_at": dt.datetime.now().isoformat(timespec="seconds"),
                }
                status[name] = "replaced" if name in old_tables else "added"
            if any(s != "unchanged" for s in status.values()):
                manifest["tables"] = new_tables
                manifest.setdefault("artifacts", {})
                self._write_manifest(manifest)
                self._collect_garbage(new_tables)
        return status

    def _clean_on_open(self) -> None:
        """Temp files a killed writer left (a hidden ``.name.XXXX.tmp`` beside a table, artifact or snapshot) are
        removed the first time this workspace is read, when no writer is running: the lock is free (taken without
        waiting) and not held by this process, whose own writes may be in flight."""
        dirs = [d for d in (self.data_dir, self.artifacts_dir, self.chroma_dir) if d.is_dir()]
        stale = [f for d in dirs for f in d.glob(".*.tmp")]
        if not stale or held_here(self.path):
            return
        try:
            with WorkspaceLock(self.path, timeout=0):
                for f in stale:
                    f.unlink(missing_ok=True)
        except (WorkspaceError, OSError):
            pass  # a writer is at work (its temp files are live) or the folder is read-only: leave them

    def _clean_stale_tmp(self) -> None:
        # under the write lock no other writer is mid-write, so a temp table file is left from a killed run
        if self.data_dir.is_dir():
            for f in self.data_dir.glob(".*.tmp"):
                f.unlink(missing_ok=True)

    def _collect_garbage(self, tables: Mapping[str, dict]) -> None:
        keep = {self.path / t["file"] for t in tables.values()}
        for f in self.data_dir.glob("*.parquet"):
            if f not in keep:
                f.unlink(missing_ok=True)
        for f in self.data_dir.glob(".*.tmp"):
            f.unlink(missing_ok=True)

    # -- artifacts ----------------------------------------------------------------------------------
    def record_artifact(self, name: str, info: Mapping) -> None:
        """Note a fitted artifact (already written atomically under artifacts/) in the manifest."""
        with self.write_lock():
            manifest = self.manifest()
            manifest.setdefault("tables", {})
            manifest.setdefault("artifacts", {})[name] = dict(info)
            self._write_manifest(manifest)

    # -- settings -----------------------------------------------------------------------------------
    def settings(self) -> dict:
        """User choices stored with the data (e.g. ``non_merchandise``: category/department names)."""
        return dict(self.manifest().get("settings", {}) or {})

    def set_setting(self, name: str, value) -> None:
        """Store one setting in the manifest (``None`` removes it)."""
        self.path.mkdir(parents=True, exist_ok=True)
        with self.write_lock():
            manifest = self.manifest()
            manifest.setdefault("tables", {})
            settings = dict(manifest.get("settings", {}) or {})
            if value is None:
                settings.pop(name, None)
            else:
                settings[name] = value
            manifest["settings"] = settings
            self._write_manifest(manifest)

    def artifact_info(self, name: str) -> dict | None:
        return self.manifest().get("artifacts", {}).get(name)

    def data_hash(self) -> str:
        """Hash of all ingested tables: artifacts record it to tell when they are stale."""
        tables = self.manifest().get("tables", {})
        joined = ",".join(f"{k}:{v['hash']}" for k, v in sorted(tables.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]
