"""How the models run in this process: torch's CPU thread budget and the embedding dtype, chosen once.

The edge (``assistant.settings.configure_process``: `mka` at start, the benches) calls :func:`configure` once;
library code reads :func:`current` and never the environment.

``torch.set_num_threads`` is process-wide: in torch 2.13 every thread follows the last call, so toggling it
around one call changes the thread count of whatever another chat session runs at that moment. Code that wants
fewer threads for its own work (one embedding batch, a model fit) uses :func:`limit_threads`, which sets the
calling thread's OpenMP and MKL thread counts only (both libraries keep them per thread) and restores them.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["Runtime", "configure", "current", "limit_threads", "DEFAULT_THREADS", "EMBED_DTYPES"]

log = logging.getLogger(__name__)

# The host has 2 cores shared with other processes: more torch threads only add contention.
DEFAULT_THREADS = 2
# "auto": bf16 where the CPU has native bf16 (see models.embeddings), else float32
EMBED_DTYPES = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class Runtime:
    threads: int = DEFAULT_THREADS  # torch intra-op threads, and the embedding's worker threads
    embed_dtype: str = "auto"

    def __post_init__(self) -> None:
        if int(self.threads) < 1:
            raise ValueError(f"threads={self.threads!r}: the thread budget must be at least 1")
        if self.embed_dtype not in EMBED_DTYPES:
            raise ValueError(f"embed_dtype={self.embed_dtype!r}: expected one of {', '.join(EMBED_DTYPES)}")


_current = Runtime()


def current() -> Runtime:
    return _current


def configure(threads: int | None = None, embed_dtype: str | None = None) -> Runtime:
    """Set the process's choices; ``None`` keeps one. Call once, at the edge, before any session runs.

    torch takes the thread count now when it is loaded; when it is not, it starts with ``OMP_NUM_THREADS``,
    which ``configure_process`` sets beside this call (importing torch here would cost every command seconds).
    """
    global _current
    _current = Runtime(threads=int(threads) if threads is not None else _current.threads,
                       embed_dtype=embed_dtype if embed_dtype is not None else _current.embed_dtype)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(_current.threads)
    return _current


@dataclass(frozen=True)
class _PerThread:
    get: Callable[[], int]
    set: Callable[[int], Any]
    set_mkl: Callable[[int], int] | None  # returns the previous per-thread value (0: none)


@functools.lru_cache(maxsize=1)
def _per_thread() -> _PerThread | None:
    """The OpenMP and MKL calls that set one thread's count, from the libraries torch already loaded."""
    import torch

    try:
        omp = ctypes.CDLL(None)  # torch loads its OpenMP runtime into the global namespace
        get, put = omp.omp_get_max_threads, omp.omp_set_num_threads
    except (OSError, AttributeError, TypeError):
        log.debug("no OpenMP runtime found: limit_threads leaves the thread count as it is")
        return None
    put.argtypes = [ctypes.c_int]
    set_mkl = None
    # MKL is linked into libtorch_cpu on x86 builds; MKL_Set_Num_Threads_Local is its by-value C entry point
    for lib in sorted((Path(torch.__file__).parent / "lib").glob("libtorch_cpu.*")):
        try:
            set_mkl = ctypes.CDLL(str(lib)).MKL_Set_Num_Threads_Local
        except (OSError, AttributeError):
            continue
        set_mkl.argtypes, set_mkl.restype = [ctypes.c_int], ctypes.c_int
        break
    return _PerThread(get=get, set=put, set_mkl=set_mkl)


@contextlib.contextmanager
def limit_threads(n: int = 1) -> Iterator[None]:
    """At most ``n`` torch intra-op threads for work done in the calling thread during the block; every other
    thread keeps its count. Never raises the count above the process budget."""
    import torch

    torch.get_num_threads()  # torch sets up this thread's count at its first call: let it, before the limit
    calls = _per_thread()
    before = calls.get() if calls is not None else 1
    n = min(max(1, int(n)), before)
    if calls is None or n == before:
        yield
        return
    calls.set(n)
    mkl_before = calls.set_mkl(n) if calls.set_mkl is not None else None
    try:
        yield
    finally:
        if mkl_before is not None:
            calls.set_mkl(mkl_before)
        calls.set(before)
