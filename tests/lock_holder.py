"""A second process that holds a workspace's write lock, for the tests of what other writers and readers do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]

_HOLDER = textwrap.dedent("""
    import sys, time
    from models.data.lock import WorkspaceLock
    with WorkspaceLock(sys.argv[1], timeout=5):
        print("held", flush=True)
        time.sleep(60)
""")


@contextmanager
def lock_held_elsewhere(ws_path: Path | str) -> Iterator[None]:
    """Another process holds ``ws_path``'s write lock inside the block; it is killed (the OS releases the lock)
    on the way out."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(ws_path)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
