"""The workspace steps, in order: the one list that `mka demo`, the Data tab, the tests and the benches run.

Each step is a function ``fn(ws, progress=..., **its options) -> dict`` that fits one capability on the
workspace and records its artifacts. A new capability appends its step to ``STEPS``; everything after the
demo's ingest (``FIT_STEPS``) is what the Data tab re-runs when the data changes.

    from models import pipeline
    pipeline.run(ws, n_customers=300, quick=True)       # build a small demo workspace
    pipeline.step("segment")(ws)                          # re-fit one capability
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from models.data.ingest import ingest_demo
from models.forecast.fit import fit_workspace as fit_forecasts
from models.predictor.workspace import train_workspace
from models.recommend.workspace import fit_workspace as fit_recommender
from models.reviews.index import index_workspace
from models.segments.workspace import fit_workspace
from models.value.workspace import fit_workspace as fit_value

__all__ = ["Step", "STEPS", "FIT_STEPS", "TRAIN_STEPS", "OPTIONS", "step", "run"]


@dataclass(frozen=True)
class Step:
    name: str
    label: str  # a button's words
    description: str  # what is running, for a progress line
    fn: Callable[..., Mapping[str, Any]]
    options: tuple[str, ...] = ()  # keyword options the step takes besides ``progress``

    def __call__(self, ws: Any, *, progress: bool = False, **options: Any) -> Mapping[str, Any]:
        """Run on ``ws``. ``options`` are the pipeline's (see ``OPTIONS``); the step gets the ones it takes."""
        unknown = sorted(set(options) - OPTIONS)
        if unknown:
            raise TypeError(f"unknown pipeline option(s) {', '.join(unknown)}; known: {', '.join(sorted(OPTIONS))}")
        # the workspace write lock (models/data/lock.py) from the first read to the last artifact recorded: the
        # data cannot change under a fit, and a second writer (ingest, train, the Data tab) waits, then fails
        # with "another mka process is writing"; readers never wait
        lock = getattr(ws, "write_lock", None)
        with lock() if callable(lock) else contextlib.nullcontext():
            return self.fn(ws, progress=progress, **{k: v for k, v in options.items() if k in self.options})


STEPS: tuple[Step, ...] = (
    Step("ingest_demo", "Load the demo data", "Ingesting the demo data (Complete Journey + synthetic reviews)…",
         ingest_demo, ("n_customers",)),
    Step("train", "Retrain predictor", "Training the purchase predictor (rolling backtest, then the final model)…",
         train_workspace, ("quick",)),
    Step("segment", "Re-segment customers", "Fitting customer segments…", fit_workspace),
    Step("forecast", "Refit sales forecasts", "Backtesting and fitting the weekly sales forecasts…", fit_forecasts,
         ("quick",)),
    Step("index", "Re-index reviews", "Indexing reviews…", index_workspace),
    Step("value", "Refit customer value", "Backtesting and fitting customer value and churn risk (BG/NBD + "
         "Gamma-Gamma: P(alive), CLV)…", fit_value, ("quick",)),
    Step("recommend", "Refit recommendations", "Backtesting and fitting next-basket recommendations…",
         fit_recommender, ("quick",)),
)
FIT_STEPS: tuple[Step, ...] = STEPS[1:]
# what `mka train` fits: the models (segments and the review index have their own commands)
TRAIN_STEPS: tuple[Step, ...] = tuple(s for s in STEPS if s.name in ("train", "forecast", "recommend", "value"))
OPTIONS: frozenset[str] = frozenset(o for s in STEPS for o in s.options)


def step(name: str) -> Step:
    for s in STEPS:
        if s.name == name:
            return s
    raise ValueError(f"unknown step {name!r}; expected one of {', '.join(s.name for s in STEPS)}")


def run(ws: Any, steps: tuple[Step, ...] = STEPS, *, progress: bool = False,
        on_step: Callable[[Step], None] | None = None, **options: Any) -> dict[str, Mapping[str, Any]]:
    """Run ``steps`` in order (default: all of them); ``on_step(step)`` is told before each one starts.
    Returns each step's result by name."""
    results: dict[str, Mapping[str, Any]] = {}
    for s in steps:
        if on_step is not None:
            on_step(s)
        results[s.name] = s(ws, progress=progress, **options)
    return results
