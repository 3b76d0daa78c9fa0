"""ToolContext: one workspace's fitted artifacts, loaded lazily and cached for the tools.

Tools call only the read API (``ReadAPI``: the functions in docs/ARCHITECTURE.md) through this object; it
never trains. Tests hand ToolContext a fake ReadAPI built from the same fields.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from dataclasses import dataclass

from models.analytics.overview import data_query, overview
from models.analytics.query import describe_layer, run_query
from models.data.atomic import atomic_path
from models.data.workspace import Workspace
from models.forecast.query import forecast
from models.recommend.workspace import product_audience, recommend
from models.predictor.scoring import model_card, score_customers, trained_horizons
from models.reviews.index import ReviewIndex
from models.reviews.passages import quote_review  # one fence for review text, re-exported for the tools
from models.reviews.summary import summarize_reviews
from models.segments.store import find_segment, load_segments
from models.value.workspace import customer_values
from models.data.export import to_csv_safe

__all__ = ["ToolContext", "ReadAPI", "quote_review"]

Copywriter = Callable[[dict], str]  # campaign fields -> raw LLM reply


@dataclass(frozen=True)
class ReadAPI:
    """The model functions the tools may call (each takes the workspace first); tests swap in fakes."""

    score_customers: Callable[..., pd.DataFrame] = score_customers
    model_card: Callable[..., dict] = model_card
    trained_horizons: Callable[..., tuple] = trained_horizons
    load_segments: Callable[..., tuple] = load_segments
    find_segment: Callable[..., dict] = find_segment
    review_index: Callable[..., Any] = ReviewIndex
    summarize_reviews: Callable[..., dict] = summarize_reviews
    overview: Callable[..., dict] = overview
    data_query: Callable[..., dict] = data_query
    run_query: Callable[..., dict] = run_query
    describe_layer: Callable[..., dict] = describe_layer
    forecast: Callable[..., dict] = forecast
    recommend: Callable[..., dict] = recommend
    product_audience: Callable[..., dict] = product_audience
    customer_values: Callable[..., tuple] = customer_values


class ToolContext:
    """Lazily loaded, cached view of a workspace for the tools.

    ``copywriter`` (optional) turns a campaign brief (segment, channel, tone, offer, facts, themes) into the
    LLM's reply; the assistant layer sets it with an LLM backend. Without it write_campaign fills templates.
    """

    def __init__(self, workspace: str | Path | Workspace, *, copywriter: Copywriter | None = None,
                 api: ReadAPI | None = None) -> None:
        self.workspace = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        self.copywriter = copywriter
        self.api = api or ReadAPI()
        self._cache: dict[Any, Any] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"ToolContext({str(self.workspace.path)!r})"

    def _cached(self, key: Any, load: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = load()
            return self._cache[key]

    # -- predictor ---------------------------------------------------------------------------------
    def scores(self, horizon_days: int) -> pd.DataFrame:
        return self._cached(("scores", horizon_days),
                            lambda: self.api.score_customers(self.workspace, horizon_days=horizon_days))

    def model_card(self, horizon_days: int) -> dict:
        return self._cached(("card", horizon_days),
                            lambda: self.api.model_card(self.workspace, horizon_days=horizon_days))

    def horizons(self) -> tuple[int, ...]:
        """The horizons (days) the trained predictor predicts."""
        return self._cached("horizons", lambda: tuple(self.api.trained_horizons(self.workspace)))

    # -- segments ----------------------------------------------------------------------------------
    def segments(self) -> tuple[pd.DataFrame, list[dict]]:
        return self._cached("segments", lambda: self.api.load_segments(self.workspace))

    def find_segment(self, name_or_id: Any) -> dict:
        _, profiles = self.segments()
        return self.api.find_segment(profiles, name_or_id)

    def segment_of(self) -> dict[str, str]:
        """customer_id -> segment name ({} when segments are not fitted)."""
        def load() -> dict[str, str]:
            try:
                assign, _ = self.segments()
            except Exception:  # segments are an optional enrichment of other tools' output
                return {}
            return dict(zip(assign["customer_id"].astype(str), assign["segment"].astype(str)))
        return self._cached("segment_of", load)

    def artifact_as_of(self, *names: str) -> str | None:
        arts = self.workspace.manifest().get("artifacts", {})
        for key, info in arts.items():
            if any(n in key for n in names) and isinstance(info, dict) and info.get("as_of"):
                return str(info["as_of"])
        return None

    # -- reviews -----------------------------------------------------------------------------------
    def review_index(self) -> Any:
        url = getattr(self.workspace, "chroma_url", None)  # the review index on a Chroma server (settings)
        return self._cached("review_index", lambda: self.api.review_index(
            self.workspace.chroma_dir, **({"url": url} if url else {})))

    def summarize_reviews(self, product: str | None = None, query: str | None = None,
                          intent: str | None = None) -> dict:
        extra = {"intent": intent} if intent else {}
        return self._cached(("summary", product, query, intent), lambda: self.api.summarize_reviews(
            self.workspace, product=product, query=query, **extra))

    def reviewed_names(self) -> list[str]:
        """Category and product names that have reviews (what a review question can be about)."""
        def load() -> list[str]:
            ws = self.workspace
            if not ws.has_table("reviews"):
                return []
            pids = ws.read_table("reviews", columns=["product_id"])["product_id"].astype(str).unique()
            if not ws.has_table("products"):
                return []
            prod = self.products()
            prod = prod[prod["product_id"].astype(str).isin(set(pids))]
            names: set[str] = set()
            for col in ("category", "name"):
                if col in prod.columns:
                    names.update(str(v) for v in prod[col].dropna().unique())
            return sorted(names)
        return self._cached("reviewed_names", load)

    # -- tables ------------------------------------------------------------------------------------
    def orders(self) -> pd.DataFrame:
        return self._cached("orders", lambda: self.workspace.read_table("orders"))

    def products(self) -> pd.DataFrame:
        return self._cached("products", lambda: self.workspace.read_table("products"))

    def overview(self) -> dict:
        return self._cached("overview", lambda: self.api.overview(self.workspace))

    def data_query(self, metric: str, by: str | None, period: str | None) -> dict:
        return self._cached(("query", metric, by, period), lambda: self.api.data_query(
            self.workspace, metric, by=by, period=period))

    def run_query(self, spec: dict) -> dict:
        """One semantic-layer query (not cached: specs are many and each query is fast)."""
        return self.api.run_query(self.workspace, spec)

    def query_vocabulary(self) -> dict:
        """What a question's words are matched against: the layer's metrics and dimensions (and why others are
        unavailable), the stored values of the text dimensions, segment names and the first/last order date."""
        return self._cached("query_vocabulary", self._load_vocabulary)

    def _load_vocabulary(self) -> dict:
        ws = self.workspace
        out: dict[str, Any] = {"metrics": {}, "dimensions": {}, "unavailable": {}, "values": {},
                               "product_words": [], "first_date": None, "last_date": None}
        # a review-only workspace (an Amazon review file) still has the review metrics; its dates are the reviews'
        dated = next((t for t in ("orders", "reviews") if ws.has_table(t)), None)
        if dated is None:
            return out
        out.update({k: dict(v) for k, v in self.api.describe_layer(ws).items()})
        ts = (ws.read_table(dated, columns=["timestamp"])["timestamp"].dropna()
              if "timestamp" in ws.table_info(dated).get("columns", ["timestamp"]) else ())
        if len(ts):
            out["first_date"], out["last_date"] = str(ts.min().date()), str(ts.max().date())
        values: dict[str, list[str]] = {}
        dims = out["dimensions"]
        if ws.has_table("products"):
            prod = self.products()
            for col in ("department", "category", "brand"):
                if col in dims and col in prod.columns:
                    values[col] = sorted(str(v) for v in prod[col].dropna().unique())
            if "product" in dims and "name" in prod.columns:
                words = prod["name"].dropna().astype(str).str.lower().str.findall(r"[a-z]{3,}").explode().dropna()
                out["product_words"] = sorted(set(words))
        if ws.has_table("customers"):
            cust = ws.read_table("customers")
            for col in cust.columns:
                if col in dims and col != "customer_id" and cust[col].nunique() <= 60:
                    values[col] = sorted(str(v) for v in cust[col].dropna().unique())
        if ws.has_table("campaigns"):
            camp = ws.read_table("campaigns")
            for col, dim in (("campaign_id", "campaign"), ("campaign_type", "campaign_type")):
                if col in camp.columns:
                    values[dim] = sorted(str(v) for v in camp[col].dropna().unique())
        try:
            _, profiles = self.segments()
            values["segment"] = [str(p["name"]) for p in profiles]
        except Exception:  # segments not fitted: the segment dimension has no values
            pass
        out["values"] = values
        return out

    def forecast(self, metric: str, by: str | None, horizon: int, segment: str | None) -> dict:
        return self._cached(("forecast", metric, by, horizon, segment), lambda: self.api.forecast(
            self.workspace, metric=metric, by=by, horizon=horizon, segment=segment))

    def recommend(self, customer_ids: tuple[str, ...] | None, k: int) -> dict:
        return self._cached(("recommend", customer_ids, k), lambda: self.api.recommend(
            self.workspace, customer_ids=None if customer_ids is None else list(customer_ids), k=k))

    def product_audience(self, query: str, horizon_days: int, top_k: int) -> dict:
        return self._cached(("product_audience", query, horizon_days, top_k), lambda: self.api.product_audience(
            self.workspace, query, horizon_days=horizon_days, top_k=top_k))

    # -- customer value ----------------------------------------------------------------------------
    def customer_values(self) -> tuple[pd.DataFrame, dict]:
        """(per-customer value table indexed by customer_id, info with as_of, model and definitions)."""
        return self._cached("customer_values", lambda: self.api.customer_values(self.workspace))

    # -- exports -----------------------------------------------------------------------------------
    @property
    def exports_dir(self) -> Path:
        return self.workspace.path / "exports"

    def export_csv(self, df: pd.DataFrame, stem: str) -> str:
        """Write ``df`` to ws/exports/<stem>.csv atomically; the only write a tool may do."""
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_")[:80] or "export"
        target = self.exports_dir / f"{safe}.csv"
        with atomic_path(target, suffix=".csv") as tmp:
            to_csv_safe(df, tmp)
        return str(target)
