"""The shape of every tool result: one typed definition per result kind.

Tools build their results with these types; the offline planner's composer, the UI renderers and the tests
read them. They are TypedDicts, so a result stays a plain JSON-able dict at no cost; pydantic turns each into a
JSON schema and validates a result against it (``validate_result``, used by the tests).

The types describe the JSON a tool returns (after ``safe_tool``): dates are ISO strings there, though a tool
may hold a pandas Timestamp until ``jsonable`` writes it. The top-level shapes forbid unlisted keys; the nested
records the models produce (a model card, a segment profile, a copy variant from an LLM) may carry more.
"""

from __future__ import annotations

import functools
import inspect
import typing
from enum import StrEnum
from typing import Any, Literal, Mapping, Union

from pydantic import ConfigDict, TypeAdapter, with_config
from typing_extensions import NotRequired, TypedDict

__all__ = [
    "ResultKind", "ModelCard", "ScoredCustomer", "PredictionsResult", "RecentOrder", "CustomerStats",
    "CustomerResult", "TopCategory", "SegmentProfile", "SegmentsResult", "AudienceMember", "AudienceResult",
    "ReviewFilters", "ReviewHit", "ReviewsResult", "ReviewQuote", "ReviewTheme", "RatingTrend",
    "ReviewSummaryResult", "CopyVariant", "CampaignTheme", "CampaignResult", "OverviewResult", "QueryResult", "ForecastPoint", "ForecastResult", "Pick",
    "RecommendResult", "ProductAudienceMember", "ProductAudienceResult", "CustomerValueResult", "AtRiskCustomer", "AtRiskResult", "ErrorResult",
    "ToolResult", "RESULT_SHAPES", "result_kind", "is_error", "validate_result", "result_schema", "declared_shape",
]

_CLOSED = ConfigDict(extra="forbid")
_OPEN = ConfigDict(extra="allow")


class ResultKind(StrEnum):
    """The ``kind`` field of a result; compares equal to its string ("predictions" ...)."""

    PREDICTIONS = "predictions"
    CUSTOMER = "customer"
    SEGMENTS = "segments"
    AUDIENCE = "audience"
    REVIEWS = "reviews"
    REVIEW_SUMMARY = "review_summary"
    CAMPAIGN = "campaign"
    OVERVIEW = "overview"
    QUERY = "query"
    FORECAST = "forecast"
    RECOMMEND = "recommend"
    PRODUCT_AUDIENCE = "product_audience"
    CUSTOMER_VALUE = "customer_value"
    AT_RISK = "at_risk"


# -- predictions -------------------------------------------------------------------------------------------
@with_config(_OPEN)
class ModelCard(TypedDict, total=False):
    """What a probability means and how its model did (models.predictor.scoring.model_card)."""

    target: str
    horizon_days: int
    as_of: str
    trained_on: dict[str, Any]
    backtest: dict[str, Any]
    baselines: dict[str, Any]
    reliability: list[dict[str, Any]]


@with_config(_CLOSED)
class ScoredCustomer(TypedDict):
    customer_id: str
    p_buy: float
    expected_orders: float | None
    expected_spend: float | None
    last_purchase: str | None
    segment: str | None
    reasons: list[str]


@with_config(_CLOSED)
class PredictionsResult(TypedDict):
    """predict_buyers: the top customers by purchase probability, the model card and a CSV of everyone."""

    kind: Literal[ResultKind.PREDICTIONS]
    target: str
    horizon_days: int
    as_of: str | None
    model_card: ModelCard
    segment: str | None
    min_probability: float | None
    customers: list[ScoredCustomer]
    n_scored: int
    n_matching: int
    expected_buyers_total: float
    export_csv: str


# -- one customer ------------------------------------------------------------------------------------------
@with_config(_CLOSED)
class RecentOrder(TypedDict):
    order_id: str
    date: str
    amount: float
    items: int


@with_config(_CLOSED)
class CustomerStats(TypedDict):
    orders: int
    spend: float
    avg_basket: float | None
    first_purchase: str | None
    last_purchase: str | None
    days_since_last: int | None


@with_config(_CLOSED)
class CustomerResult(TypedDict):
    """explain_customer: probabilities per horizon (keys are the horizons in days), orders and reasons."""

    kind: Literal[ResultKind.CUSTOMER]
    customer_id: str
    as_of: str | None
    p_buy: dict[str, float]
    segment: str | None
    recent_orders: list[RecentOrder]
    reasons: list[str]
    stats: CustomerStats
    stale_note: str | None  # set when the predictor is older than the data



# -- segments ----------------------------------------------------------------------------------------------
@with_config(_OPEN)
class TopCategory(TypedDict, total=False):
    category: str
    share: float | None
    lift: float | None


@with_config(_OPEN)
class SegmentProfile(TypedDict, total=False):
    """One segment's profile (models.segments.profiles); the keys the readers use."""

    segment_id: int
    name: str
    description: str | None
    size: int
    share_customers: float | None
    share_revenue: float | None
    recency_days_median: float | None
    orders_mean: float | None
    spend_mean: float | None
    avg_basket: float | None
    coupon_rate: float | None
    p_buy_30d: float | None
    top_categories: list[TopCategory]


@with_config(_CLOSED)
class SegmentsResult(TypedDict):
    kind: Literal[ResultKind.SEGMENTS]
    as_of: str | None
    segments: list[SegmentProfile]


@with_config(_CLOSED)
class AudienceMember(TypedDict):
    """A segment member (models.segments.store.rank_audience): the saved per-customer numbers, and with a
    trained purchase predictor its expected spend and last purchase."""

    customer_id: str
    segment_id: int
    segment: str
    recency_days: NotRequired[float | None]
    orders: NotRequired[int | None]
    spend: NotRequired[float | None]
    avg_basket: NotRequired[float | None]
    p_buy_30d: NotRequired[float | None]
    expected_spend: NotRequired[float | None]
    last_purchase: NotRequired[str | None]
    days_since_last: NotRequired[float | None]


@with_config(_CLOSED)
class AudienceResult(TypedDict):
    """segment_audience: the first members of one segment and a CSV of all of them."""

    kind: Literal[ResultKind.AUDIENCE]
    segment: str
    segment_id: int
    customers: list[AudienceMember]
    n_total: int
    export_csv: str


# -- reviews -----------------------------------------------------------------------------------------------
@with_config(_CLOSED)
class ReviewFilters(TypedDict, total=False):
    """Only the filters that were set."""

    product: str
    min_rating: int
    max_rating: int
    since: str
    until: str


@with_config(_CLOSED)
class NearTopic(TypedDict):
    """A topic that does occur in the reviews nearest an abstained query (models/reviews/topics.py)."""

    topic: str
    n_reviews: int  # how many of the nearest reviews hold it


class ReviewHit(TypedDict):
    review_id: str
    product_name: str | None
    category: str | None
    rating: float | None
    timestamp: str | None
    text: str  # fenced by models.reviews.passages.quote_review
    score: float | None
    synthetic: bool | None


@with_config(_CLOSED)
class ReviewsResult(TypedDict):
    """search_reviews: the best-matching reviews, each quoted inside the review fence."""

    kind: Literal[ResultKind.REVIEWS]
    query: str
    filters: ReviewFilters
    reviews: list[ReviewHit]
    synthetic: bool
    note: str
    no_match: NotRequired[bool]  # True: no retrieved review mentions the query's topic; reviews is empty
    message: NotRequired[str]  # "No review mentions …" when no_match
    nearest_topics: NotRequired[list[NearTopic]]  # when no_match: topics that do occur near the query
    intent: NotRequired[str]  # "negative" / "positive": ranked by relevance and learned polarity (complaints/praise)


@with_config(_OPEN)
class ReviewQuote(TypedDict):
    review_id: str
    text: str  # fenced
    rating: float | None


@with_config(_CLOSED)
class ReviewTheme(TypedDict):
    label: str
    key_phrases: list[str]
    count: int
    share: NotRequired[float]  # count / reviews summarized
    mean_rating: float | None
    quotes: list[ReviewQuote]
    trend: NotRequired[list[dict]]  # per period: n, mean_rating (as RatingTrend)
    review_ids: NotRequired[list[str]]


@with_config(_OPEN)
class RatingTrend(TypedDict):
    period: str
    n: int
    mean_rating: float | None


@with_config(_CLOSED)
class ReviewSummaryResult(TypedDict):
    """summarize_reviews: counts, ratings, trend and themes with fenced quotes."""

    kind: Literal[ResultKind.REVIEW_SUMMARY]
    product: str | None
    query: str | None
    n_reviews: int
    mean_rating: float | None
    rating_distribution: dict[str, int]
    trend: list[RatingTrend]
    themes: list[ReviewTheme]
    review_ids: list[str]
    synthetic: bool
    note: str
    no_match: NotRequired[bool]  # True: no review mentions the query's topic; nothing summarized
    message: NotRequired[str]
    nearest_topics: NotRequired[list[NearTopic]]
    intent: NotRequired[str]  # "negative" / "positive": only complaints / praise summarized
    selection: NotRequired[str]  # how those reviews were chosen


# -- campaign ----------------------------------------------------------------------------------------------
@with_config(_OPEN)
class CopyVariant(TypedDict, total=False):
    """Email copy has subject, preheader, body and cta; sms and push copy has text. An LLM may add keys."""

    subject: str
    preheader: str
    body: str
    cta: str
    text: str


@with_config(_CLOSED)
class CampaignTheme(TypedDict):
    category: str
    label: str | None
    count: int | None
    mean_rating: float | None


@with_config(_CLOSED)
class CampaignResult(TypedDict):
    """write_campaign: copy variants for one segment (or the at-risk high-value list, ``audience="at_risk"``,
    with its recipients in ``recipients_csv``) and the facts and reviews they rest on."""

    kind: Literal[ResultKind.CAMPAIGN]
    segment: str
    segment_id: int | None
    channel: str
    tone: str
    offer: str | None
    variants: list[CopyVariant]
    facts_used: list[str]
    review_themes: list[CampaignTheme]
    review_ids: list[str]
    generated_by: Literal["offline templates", "llm"]
    audience: Literal["segment", "at_risk"]
    recipients: int
    recipients_csv: str | None
    personalisation: NotRequired[dict[str, Any]]


# -- data overview -----------------------------------------------------------------------------------------
@with_config(_CLOSED)
class OverviewResult(TypedDict):
    """data_overview: one metric's table (``rows``) and a summary; without a metric the headline numbers."""

    kind: Literal[ResultKind.OVERVIEW]
    metric: str | None
    by: str | None
    period: str | None
    rows: list[dict[str, Any]]
    n_rows: NotRequired[int]
    summary: dict[str, Any] | str | None


# -- query_data ------------------------------------------------------------------------------------------
@with_config(_CLOSED)
class QueryResult(TypedDict):
    """query_data: rows of one semantic-layer query, what it computed in plain words, its SQL and definitions."""

    kind: Literal[ResultKind.QUERY]
    rows: list[dict[str, Any]]
    n_rows: int
    columns: list[str]
    restatement: str
    sql: str
    params: list[str]
    definitions: dict[str, str]
    chart: Literal["line", "bar", "none"]
    notes: list[str]
    spec: dict[str, Any]
    windows: list[dict[str, str]]  # the resolved periods: {"label", "start", "end"} (end inclusive)
    as_of: str | None


# -- forecast --------------------------------------------------------------------------------------------
@with_config(_OPEN)
class ForecastPoint(TypedDict, total=False):
    """One series and period: the point forecast and its 80% / 95% prediction intervals."""

    series: str
    period: str
    forecast: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    holiday: str | None


@with_config(_CLOSED)
class ForecastResult(TypedDict):
    """forecast: weekly (or daily) forecasts per series with intervals, the model chosen by backtest and its
    scores (models.forecast.query.forecast), at most ten series shown; every row in ``export_csv``."""

    kind: Literal[ResultKind.FORECAST]
    metric: str
    by: str | None
    segment: str | None
    freq: str
    unit: str
    target: str
    horizon: int
    as_of: str | None
    history_end: str | None
    model: str | dict[str, Any]
    models: dict[str, Any] | list[Any] | None
    reconciliation: str | None
    forecasts: list[ForecastPoint]
    history: list[dict[str, Any]]
    n_series: int
    partial_periods: list[Any]
    backtest: dict[str, Any]
    notes: list[str]
    source: str | dict[str, Any] | None
    seconds: float
    series_shown: list[str]
    export_csv: str
    bottom_up_check: NotRequired[dict[str, Any]]


# -- recommendations ---------------------------------------------------------------------------------------
@with_config(_CLOSED)
class Pick(TypedDict):
    """One recommended product for one customer (rank 1 = best); kind: repeat (bought before) or explore."""

    customer_id: str
    rank: int
    product_id: str
    product_name: str
    score: float
    kind: str


@with_config(_CLOSED)
class RecommendResult(TypedDict):
    """recommend_products: next-basket picks for one customer or a segment's most shared picks, the method
    chosen by the next-basket backtest and its Recall@10 against the baselines
    (models.recommend.workspace.recommend); every pick in ``export_csv``."""

    kind: Literal[ResultKind.RECOMMEND]
    target: str
    customer_id: str | None
    segment: str | None
    k: int
    method: str
    as_of: str | None
    picks: list[Pick]
    segment_picks: list[dict[str, Any]]
    n_customers: int
    backtest: dict[str, Any]
    backtest_line: str
    source: str
    export_csv: str


@with_config(_CLOSED)
class ProductAudienceMember(TypedDict):
    """One customer's probability of buying the target within the window, and their history of it."""

    customer_id: str
    probability: float
    bought_before: int
    days_since_last: float | None


@with_config(_CLOSED)
class ProductAudienceResult(TypedDict):
    """product_audience: who will buy a category / department / named products within ``horizon_days``
    (models.recommend.workspace.product_audience): the top customers, what the query resolved to, and the
    backtest one window back (PR-AUC, lift) against "bought it before" and popularity; everyone in
    ``export_csv``."""

    kind: Literal[ResultKind.PRODUCT_AUDIENCE]
    query: str
    target: str
    resolved_kind: str
    resolved_label: str
    n_products: int
    horizon_days: int
    as_of: str
    model: str
    customers: list[ProductAudienceMember]
    n_customers: int
    expected_buyers: float
    base_rate: float
    backtest: dict[str, Any]
    backtest_line: str
    notes: list[str]
    export_csv: str


# -- customer value and churn ------------------------------------------------------------------------------
@with_config(_CLOSED)
class CustomerValueResult(TypedDict):
    """customer_value: one customer's P(alive), expected purchases, spend per order, CLV, churn risk and how
    overdue they are (models.value), with the definitions, the as-of date and the models that gave them."""

    kind: Literal[ResultKind.CUSTOMER_VALUE]
    customer_id: str
    as_of: str
    value_model: str
    churn_model: str
    definitions: list[str]
    p_alive: float | None
    expected_purchases_30d: float | None
    expected_purchases_365d: float | None
    expected_spend_per_order: float | None
    clv: float | None
    value_percentile: float | None
    churn_risk: float | None
    value_at_risk: float | None
    orders: int
    spend: float | None
    first_purchase: str | None
    last_purchase: str | None
    days_since_last: float | None
    mean_gap_days: float | None
    overdue_ratio: float | None
    segment: str | None
    source: str
    backtest: list[str]


@with_config(_CLOSED)
class AtRiskCustomer(TypedDict):
    customer_id: str
    clv: float | None
    churn_risk: float | None
    value_at_risk: float | None
    p_alive: float | None
    overdue_ratio: float | None
    last_purchase: str | None
    days_since_last: float | None
    mean_gap_days: float | None
    segment: str | None
    reasons: list[str]


@with_config(_CLOSED)
class AtRiskResult(TypedDict):
    """at_risk_customers: high-value customers (CLV at or above a quantile) who are overdue, ranked by value at
    risk (CLV × churn risk), with reasons; every listed row in ``export_csv``."""

    kind: Literal[ResultKind.AT_RISK]
    as_of: str
    value_model: str
    churn_model: str
    definitions: list[str]
    min_value_quantile: float
    value_threshold: float | None
    segment: str | None
    n_customers: int
    n_high_value: int
    n_high_value_overdue: int
    n_high_value_one_order: int
    value_at_risk_total: float | None
    customers: list[AtRiskCustomer]
    export_csv: str
    notes: list[str]
    backtest: list[str]
    rank_by: NotRequired[str]       # "value_at_risk" (the at-risk list) or "value" (most valuable, overdue or not)


# -- errors ------------------------------------------------------------------------------------------------
@with_config(_CLOSED)
class ErrorResult(TypedDict):
    """What any tool returns instead of raising: a message the model can act on."""

    error: str


ToolResult = Union[PredictionsResult, CustomerResult, SegmentsResult, AudienceResult, ReviewsResult,
                   ReviewSummaryResult, CampaignResult, OverviewResult, QueryResult, ForecastResult, RecommendResult,
                   ProductAudienceResult, CustomerValueResult, AtRiskResult, ErrorResult]

RESULT_SHAPES: dict[ResultKind, type] = {
    ResultKind.PREDICTIONS: PredictionsResult,
    ResultKind.CUSTOMER: CustomerResult,
    ResultKind.SEGMENTS: SegmentsResult,
    ResultKind.AUDIENCE: AudienceResult,
    ResultKind.REVIEWS: ReviewsResult,
    ResultKind.REVIEW_SUMMARY: ReviewSummaryResult,
    ResultKind.CAMPAIGN: CampaignResult,
    ResultKind.OVERVIEW: OverviewResult,
    ResultKind.QUERY: QueryResult,
    ResultKind.FORECAST: ForecastResult,
    ResultKind.RECOMMEND: RecommendResult,
    ResultKind.PRODUCT_AUDIENCE: ProductAudienceResult,
    ResultKind.CUSTOMER_VALUE: CustomerValueResult,
    ResultKind.AT_RISK: AtRiskResult,
}


def is_error(result: Mapping[str, Any]) -> bool:
    """True for an ErrorResult (a tool that could not answer)."""
    return bool(result.get("error"))


def result_kind(result: Mapping[str, Any]) -> ResultKind | None:
    """The result's kind; None for an error or a shape no tool produces."""
    if is_error(result):
        return None
    try:
        return ResultKind(str(result.get("kind")))
    except ValueError:
        return None


@functools.cache
def _adapter(shape: type) -> TypeAdapter:
    return TypeAdapter(shape)


def _shape(result: Mapping[str, Any]) -> type:
    if "error" in result:
        return ErrorResult
    kind = result_kind(result)
    if kind is None:
        raise ValueError(f"kind={result.get('kind')!r} is not a result kind; one of {[k.value for k in ResultKind]}")
    return RESULT_SHAPES[kind]


def validate_result(result: Mapping[str, Any]) -> dict:
    """``result`` checked against the shape its kind declares (pydantic ValidationError when it does not fit)."""
    return _adapter(_shape(result)).validate_python(dict(result))


def result_schema(kind: ResultKind | str | None = None) -> dict:
    """The JSON schema of one result kind (``None``: the error shape)."""
    shape = ErrorResult if kind is None else RESULT_SHAPES[ResultKind(kind)]
    return _adapter(shape).json_schema()


def declared_shape(tool: Any) -> type:
    """The result shape a tool declares: the return annotation of its function (under ``safe_tool``)."""
    fn = inspect.unwrap(getattr(tool, "func", None) or tool)
    shape = typing.get_type_hints(fn).get("return")
    if shape not in RESULT_SHAPES.values():
        raise TypeError(f"{getattr(tool, 'name', fn)!r} declares no result shape from tools.results (got {shape!r})")
    return shape
