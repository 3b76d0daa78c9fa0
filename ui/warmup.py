"""Load the models in the background when the app starts, so the first answer is as quick as later ones.

The session factory's ``warm()`` (optional) loads what answers read: predictor scores, segments, the review
index, the router's embeddings. ``Warmup`` runs it in one daemon thread at launch and again after the Data tab
changed the workspace; the page says "loading models…" until it is done. A question asked meanwhile is
answered all the same: it waits only for the parts it needs.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

__all__ = ["Warmup", "LOADING"]

log = logging.getLogger(__name__)

LOADING = "⏳ Loading models… an answer asked now waits for them."


class Warmup:
    """``start()`` runs ``warm`` in a background thread; ``ready`` says whether it has finished. A start while
    it runs (the data changed again) runs it once more afterwards. Without ``warm`` it is ready at once."""

    def __init__(self, warm: Callable[[], Any] | None) -> None:
        self._warm = warm
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self.started = False
        self.seconds: float | None = None  # how long the last run took
        self.error: str | None = None
        if warm is None:
            self._done.set()

    def start(self) -> None:
        if self._warm is None:
            return
        with self._lock:
            self.started = True
            self._done.clear()
            if self._running:
                self._again = True
                return
            self._running = True
        threading.Thread(target=self._run, name="mka-warmup", daemon=True).start()

    def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            try:
                self._warm()
                self.error = None
            except Exception as exc:  # noqa: BLE001 — answers still load what they need themselves
                self.error = f"{type(exc).__name__}: {exc}"
                log.warning("model warm-up failed (%s); answers load the models themselves", self.error)
            self.seconds = time.perf_counter() - t0
            with self._lock:
                if not self._again:
                    self._running = False
                    self._done.set()
                    return
                self._again = False

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def status(self) -> str:
        """The page's line: the loading note while it runs, empty once ready."""
        return "" if self.ready else LOADING
