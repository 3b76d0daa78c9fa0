"""The workspace write lock: one writer at a time, readers never wait.

An OS advisory lock (``fcntl.flock``) on ``WS/.lock`` is held from the moment a writer reads the manifest it
will change until the manifest swap (and the removal of files no longer referenced) is done. A second writer
waits up to ``timeout`` seconds, then fails with "another mka process is writing to WS". Readers take no lock:
the manifest swap is one rename, so they always see a complete manifest and the files it names.
The lock is released by the OS when the holding process dies, so a killed ingest never leaves it stuck.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

from models.data.errors import WorkspaceError

__all__ = ["WorkspaceLock", "DEFAULT_LOCK_TIMEOUT_S", "LOCK_NAME", "held_here"]

DEFAULT_LOCK_TIMEOUT_S = 60.0
LOCK_NAME = ".lock"

_held: dict[str, int] = {}  # resolved lock path -> depth held by this process (re-entrant within a process)
_held_guard = threading.RLock()


def held_here(ws_path: str | os.PathLike) -> bool:
    """Whether this process holds the write lock of ``ws_path`` now (any thread). Never waits: a reader asks
    this while another thread may hold the lock for minutes (a dict read is atomic)."""
    return _held.get(str((Path(ws_path) / LOCK_NAME).resolve()), 0) > 0


class WorkspaceLock:
    """``with WorkspaceLock(ws_path, timeout=...):`` — exclusive across processes, re-entrant within one."""

    def __init__(self, ws_path: str | os.PathLike, timeout: float = DEFAULT_LOCK_TIMEOUT_S,
                 poll_s: float = 0.05, on_wait: Callable[[str], None] | None = None) -> None:
        self.ws_path = Path(ws_path)
        self.timeout = float(timeout)
        self.poll_s = float(poll_s)
        self.on_wait = on_wait
        self._fd: int | None = None

    @property
    def path(self) -> Path:
        return self.ws_path / LOCK_NAME

    def __enter__(self) -> "WorkspaceLock":
        import fcntl

        key = str(self.path.resolve())
        # threads of this process (the web app) queue here; the same thread re-enters
        if not _held_guard.acquire(timeout=self.timeout):
            raise WorkspaceError(f"another mka process is writing to {self.ws_path} (waited {self.timeout:g} s); "
                                 f"try again when it has finished")
        if _held.get(key, 0) > 0:
            _held[key] += 1
            self._fd = -1
            return self
        self.ws_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        told = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not told and self.on_wait is not None:
                        self.on_wait(f"waiting for another mka process writing to {self.ws_path}")
                        told = True
                    if time.monotonic() >= deadline:
                        raise WorkspaceError(
                            f"another mka process is writing to {self.ws_path} (waited {self.timeout:g} s); "
                            f"try again when it has finished") from None
                    time.sleep(self.poll_s)
        except BaseException:
            os.close(fd)
            _held_guard.release()
            raise
        _held[key] = 1
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        import fcntl

        key = str(self.path.resolve())
        try:
            _held[key] -= 1
            if _held[key] == 0:
                del _held[key]
                if self._fd is not None and self._fd >= 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
            self._fd = None
        finally:
            _held_guard.release()

