"""The semantic layer: declared facts, joins, metrics and dimensions, each with a one-line definition and the
columns it needs.

SQL fragments use fixed aliases declared once in ``JOINS``: ``f`` the fact table (orders, coupon_redemptions or
campaigns), ``p`` products, ``c`` customers, ``s`` segments, ``cl`` one row per campaign, ``fo`` each customer's
first order, ``r`` the (customer, campaign) pairs that redeemed. ``{ts}`` is the fact's time column. No user text
ever appears in them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

__all__ = ["Metric", "Dimension", "METRICS", "TIME_DIMENSIONS", "PRODUCT_DIMENSIONS", "CAMPAIGN_DIMENSIONS",
           "PRODUCT_ID", "FACT_TIME", "JOINS", "Layer", "build_layer", "NON_MERCHANDISE", "is_non_merchandise",
           "MIN_REVIEWS_FOR_RATING"]

# fuel, gift cards, tickets/lottery, coupons and misc transactions are not merchandise (data-driven rule)
NON_MERCHANDISE = re.compile(r"fuel|gasoline|\bgas\b|coupon|gift ?card|lottery|^tickets?$"
                             r"|^misc(ellaneous|\.)?( items| sales.*| trans.*)?$", re.IGNORECASE)


def is_non_merchandise(name: object, extra: tuple[str, ...] | list[str] = (),
                       keep: tuple[str, ...] | list[str] = ()) -> bool:
    """The data-driven rule, plus the user's override stored at ingest: ``extra`` names (exact, any case) are
    non-merchandise too, ``keep`` names are merchandise even when the rule matches them."""
    if not isinstance(name, str):
        return False
    low = name.strip().lower()
    if low in {k.strip().lower() for k in keep}:
        return False
    return bool(NON_MERCHANDISE.search(name)) or low in {e.strip().lower() for e in extra}


# the time column of each fact table
FACT_TIME = {"orders": "timestamp", "coupon_redemptions": "timestamp", "campaigns": "start_date",
             "reviews": "timestamp"}
# "worst rated" needs enough reviews to mean anything: a group with fewer has no average rating (NULL, sorted last)
MIN_REVIEWS_FOR_RATING = 5

JOINS = {
    "p": "LEFT JOIN products p ON f.product_id = p.product_id",
    "c": "LEFT JOIN customers c ON f.customer_id = c.customer_id",
    "s": "LEFT JOIN segments s ON f.customer_id = s.customer_id",
    "cl": "LEFT JOIN (SELECT campaign_id, min(campaign_type) AS campaign_type FROM campaigns GROUP BY campaign_id) cl"
          " ON f.campaign_id = cl.campaign_id",
    "fo": "LEFT JOIN (SELECT customer_id, min(timestamp) AS first_ts FROM orders GROUP BY customer_id) fo"
          " ON f.customer_id = fo.customer_id",
    "r": "LEFT JOIN (SELECT DISTINCT customer_id, campaign_id FROM coupon_redemptions) r"
         " ON f.customer_id = r.customer_id AND f.campaign_id = r.campaign_id",
}
_JOIN_TABLE = {"p": "products", "c": "customers", "s": "segments", "cl": "campaigns", "fo": "orders",
               "r": "coupon_redemptions"}


@dataclass(frozen=True)
class Metric:
    name: str
    sql: str  # an aggregate over the fact alias f; {order_key} is the basket key, {is_new} "first order in period"
    definition: str
    needs: tuple[tuple[str, str], ...]  # (table, column)
    fact: str = "orders"
    money: bool = False
    additive: bool = True  # a sum or count: absent in a window means 0, and a share of the total makes sense
    joins: tuple[str, ...] = ()
    two_level: bool = False  # computed per (group, customer) first: repeat_customer_share


@dataclass(frozen=True)
class Dimension:
    name: str
    sql: str
    definition: str
    needs: tuple[tuple[str, str], ...]
    time: bool = False
    order_sql: str | None = None  # how to sort it when not by its label (weekday)
    group_sql: str | None = None  # a cheaper per-row grouping key ({ts}); label_sql turns it into the label
    label_sql: str | None = None  # over the grouped value {v}
    join: str | None = None  # the JOINS alias it reads
    facts: tuple[str, ...] = ("orders",)
    values_sql: str | None = None  # its distinct values without scanning the fact table
    date: bool = False  # its values are days (YYYY-MM-DD): a range filter compares them as text


_ALL_FACTS = tuple(FACT_TIME)
_PRODUCT_FACTS = ("orders", "reviews")  # the facts with a product_id

# baskets (the order key is filled in at compile time): all, those with a coupon discount, those with a discount
_ORDERS = "NULLIF(COUNT(DISTINCT {order_key}), 0)"
_COUPON_ORDERS = "COUNT(DISTINCT CASE WHEN f.coupon_discount > 0 THEN {order_key} END)"
_DISCOUNT_ORDERS = "COUNT(DISTINCT CASE WHEN f.discount > 0 THEN {order_key} END)"
# net revenue of the whole baskets that had a coupon discount on at least one line
_COUPON_ORDER_REVENUE = ("SUM(CASE WHEN f.order_id IN (SELECT order_id FROM orders WHERE coupon_discount > 0) "
                         "THEN f.amount END)")

METRICS: tuple[Metric, ...] = (
    Metric("revenue", "SUM(f.amount)", "net revenue: sum of line amounts, returns (negative amounts) subtracted",
           (("orders", "amount"),), money=True),
    Metric("orders", "COUNT(DISTINCT {order_key})", "number of distinct orders (baskets)", (("orders", "customer_id"),)),
    Metric("line_items", "COUNT(*)", "number of order lines", (("orders", "customer_id"),)),
    Metric("units", "SUM(COALESCE(f.quantity, 1))", "units sold: sum of line quantities", (("orders", "quantity"),)),
    Metric("customers", "COUNT(DISTINCT f.customer_id)", "number of distinct customers who bought",
           (("orders", "customer_id"),)),
    Metric("avg_basket", "SUM(f.amount) / NULLIF(COUNT(DISTINCT {order_key}), 0)",
           "average basket: net revenue divided by the number of orders", (("orders", "amount"),), money=True,
           additive=False),
    Metric("orders_per_customer", "COUNT(DISTINCT {order_key}) / NULLIF(COUNT(DISTINCT f.customer_id), 0)",
           "orders divided by distinct customers", (("orders", "customer_id"),), additive=False),
    Metric("line_items_per_order", "COUNT(*) / NULLIF(COUNT(DISTINCT {order_key}), 0)",
           "order lines divided by the number of orders (items in an average basket)", (("orders", "customer_id"),),
           additive=False),
    Metric("units_per_order", "SUM(COALESCE(f.quantity, 1)) / NULLIF(COUNT(DISTINCT {order_key}), 0)",
           "units (sum of line quantities) divided by the number of orders", (("orders", "quantity"),),
           additive=False),
    Metric("revenue_per_customer", "SUM(f.amount) / NULLIF(COUNT(DISTINCT f.customer_id), 0)",
           "net revenue divided by distinct customers", (("orders", "amount"),), money=True, additive=False),
    Metric("repeat_customer_share", "", "share of the customers who bought (in the window / row) with 2 or more "
           "orders there", (("orders", "customer_id"),), additive=False, two_level=True),
    Metric("repeat_customers", "", "customers with 2 or more orders in the window / row",
           (("orders", "customer_id"),), two_level=True),
    Metric("days_between_orders", "", "average days between a customer's orders: for each customer with 2 or more "
           "orders in the window / row, (last order date - first order date) / (orders - 1), averaged over those "
           "customers", (("orders", "customer_id"),), additive=False, two_level=True),
    Metric("new_customers", "COUNT(DISTINCT CASE WHEN {is_new} THEN f.customer_id END)",
           "customers whose first order ever (all data) falls in the window, or in the row's period",
           (("orders", "customer_id"),), joins=("fo",)),
    Metric("returning_customers", "COUNT(DISTINCT CASE WHEN NOT ({is_new}) THEN f.customer_id END)",
           "customers who bought in the window (or the row's period) and had ordered before it",
           (("orders", "customer_id"),), joins=("fo",)),
    Metric("new_customer_revenue", "SUM(CASE WHEN {is_new} THEN f.amount END)",
           "net revenue from new customers (first order ever in the window, or in the row's period)",
           (("orders", "amount"),), money=True, joins=("fo",)),
    Metric("returning_customer_revenue", "SUM(CASE WHEN NOT ({is_new}) THEN f.amount END)",
           "net revenue from returning customers (who had ordered before the window, or the row's period)",
           (("orders", "amount"),), money=True, joins=("fo",)),
    # distinct counts of what was sold / where: "how many stores", "how many products do we sell"
    Metric("products", "COUNT(DISTINCT f.product_id)", "number of distinct products bought (every line)",
           (("orders", "product_id"),)),
    Metric("products_per_customer", "COUNT(DISTINCT CAST(f.customer_id AS VARCHAR) || '|' || CAST(f.product_id AS "
           "VARCHAR)) * 1.0 / NULLIF(COUNT(DISTINCT f.customer_id), 0)",
           "average number of distinct products a customer bought", (("orders", "product_id"),), additive=False),
    Metric("stores", "COUNT(DISTINCT f.store_id)", "number of distinct stores with an order",
           (("orders", "store_id"),)),
    Metric("brands", "COUNT(DISTINCT p.brand)", "number of distinct brands bought (products table)",
           (("orders", "product_id"), ("products", "brand")), joins=("p",)),
    Metric("categories", "COUNT(DISTINCT p.category)", "number of distinct product categories bought",
           (("orders", "product_id"), ("products", "category")), joins=("p",)),
    Metric("departments", "COUNT(DISTINCT p.department)", "number of distinct departments bought",
           (("orders", "product_id"), ("products", "department")), joins=("p",)),
    Metric("new_customer_share", "", "share of the customers who bought (in the window / row) whose first order "
           "ever falls there", (("orders", "customer_id"),), joins=("fo",), additive=False),
    Metric("returning_customer_share", "", "share of the customers who bought (in the window / row) who had "
           "ordered before it", (("orders", "customer_id"),), joins=("fo",), additive=False),
    Metric("orders_with_coupon", _COUPON_ORDERS,
           "orders with a coupon discount on at least one line", (("orders", "coupon_discount"),)),
    Metric("coupon_order_share", f"{_COUPON_ORDERS} * 1.0 / {_ORDERS}",
           "share of the orders with a coupon discount on at least one line",
           (("orders", "coupon_discount"),), additive=False),
    Metric("coupon_order_revenue", _COUPON_ORDER_REVENUE,
           "net revenue of the orders (whole baskets) with a coupon discount on at least one line",
           (("orders", "coupon_discount"), ("orders", "order_id")), money=True),
    Metric("coupon_order_revenue_share", f"{_COUPON_ORDER_REVENUE} * 1.0 / NULLIF(SUM(f.amount), 0)",
           "share of net revenue from orders (whole baskets) with a coupon discount on at least one line",
           (("orders", "coupon_discount"), ("orders", "order_id")), additive=False),
    Metric("orders_with_discount", _DISCOUNT_ORDERS,
           "orders with a retailer discount on at least one line", (("orders", "discount"),)),
    Metric("discount_order_share", f"{_DISCOUNT_ORDERS} * 1.0 / {_ORDERS}",
           "share of the orders with a retailer discount on at least one line", (("orders", "discount"),),
           additive=False),
    Metric("price_per_unit", "SUM(f.amount) / NULLIF(SUM(COALESCE(f.quantity, 1)), 0)",
           "average price per unit: net revenue divided by units sold", (("orders", "quantity"),), money=True,
           additive=False),
    Metric("coupon_discount_per_coupon_order", f"SUM(f.coupon_discount) / NULLIF({_COUPON_ORDERS}, 0)",
           "coupon discount divided by the orders with a coupon discount", (("orders", "coupon_discount"),),
           money=True, additive=False),
    Metric("discount_share_of_revenue", "SUM(f.discount) * 1.0 / NULLIF(SUM(f.amount), 0)",
           "retailer discount as a share of net revenue", (("orders", "discount"),), additive=False),
    Metric("units_per_customer", "SUM(COALESCE(f.quantity, 1)) * 1.0 / NULLIF(COUNT(DISTINCT f.customer_id), 0)",
           "units (sum of line quantities) divided by distinct customers", (("orders", "quantity"),), additive=False),
    Metric("discount_per_order", f"SUM(f.discount) / {_ORDERS}",
           "retailer discount divided by the number of orders", (("orders", "discount"),), money=True,
           additive=False),
    Metric("discount", "SUM(f.discount)", "retailer discount given on the lines", (("orders", "discount"),), money=True),
    Metric("all_discounts", "SUM(COALESCE(f.discount, 0) + COALESCE(f.coupon_discount, 0))",
           "retailer and coupon discounts together, on the lines", (("orders", "discount"), ("orders", "coupon_discount")),
           money=True),
    Metric("coupon_discount", "SUM(f.coupon_discount)", "coupon discount given on the lines",
           (("orders", "coupon_discount"),), money=True),
    Metric("coupon_redemptions", "COUNT(*)", "number of coupons redeemed (coupon_redemptions table)",
           (("coupon_redemptions", "customer_id"),), fact="coupon_redemptions"),
    Metric("redeeming_customers", "COUNT(DISTINCT f.customer_id)", "distinct customers who redeemed a coupon",
           (("coupon_redemptions", "customer_id"),), fact="coupon_redemptions"),
    Metric("campaign_reach", "COUNT(DISTINCT f.customer_id)", "distinct customers targeted by a campaign "
           "(campaigns table)", (("campaigns", "customer_id"),), fact="campaigns"),
    Metric("campaigns", "COUNT(DISTINCT f.campaign_id)", "number of distinct campaigns",
           (("campaigns", "campaign_id"),), fact="campaigns"),
    Metric("reach_per_campaign", "COUNT(DISTINCT CAST(f.customer_id AS VARCHAR) || '|' || CAST(f.campaign_id AS VARCHAR)) "
           "* 1.0 / NULLIF(COUNT(DISTINCT f.campaign_id), 0)", "customers targeted per campaign, on average",
           (("campaigns", "campaign_id"),), fact="campaigns", additive=False),
    Metric("campaign_days", "list_avg([x.d FOR x IN list(DISTINCT struct_pack(c := f.campaign_id, d := "
           "date_diff('day', CAST(f.start_date AS DATE), CAST(f.end_date AS DATE))))])",
           "days from a campaign's start date to its end date (averaged over the campaigns in the row)",
           (("campaigns", "start_date"), ("campaigns", "end_date")), fact="campaigns", additive=False),
    Metric("coupon_redemption_rate", "AVG(CASE WHEN r.customer_id IS NOT NULL THEN 1.0 ELSE 0.0 END)",
           "share of (customer, campaign) targetings where the customer redeemed at least one coupon of that "
           "campaign", (("campaigns", "campaign_id"), ("coupon_redemptions", "campaign_id")), fact="campaigns",
           additive=False, joins=("r",)),
    Metric("customer_redemption_rate",
           "COUNT(DISTINCT CASE WHEN r.customer_id IS NOT NULL THEN f.customer_id END) * 1.0 / "
           "NULLIF(COUNT(DISTINCT f.customer_id), 0)",
           "share of the targeted customers who redeemed at least one coupon of a campaign that targeted them",
           (("campaigns", "campaign_id"), ("coupon_redemptions", "campaign_id")), fact="campaigns",
           additive=False, joins=("r",)),
    # reviews (issue 18): by product / category / month like any fact with a product_id and a timestamp
    Metric("review_count", "COUNT(*)", "number of reviews (reviews table)", (("reviews", "rating"),), fact="reviews"),
    Metric("avg_rating", f"CASE WHEN COUNT(f.rating) >= {MIN_REVIEWS_FOR_RATING} THEN AVG(f.rating) END",
           f"mean star rating (1-5) of the reviews; a row with fewer than {MIN_REVIEWS_FOR_RATING} rated reviews "
           "shows none (too few to rank as best or worst rated)", (("reviews", "rating"),), fact="reviews",
           additive=False),
    Metric("share_negative", "AVG(CASE WHEN f.rating <= 2 THEN 1.0 WHEN f.rating IS NOT NULL THEN 0.0 END)",
           "share of the rated reviews with 1 or 2 stars", (("reviews", "rating"),), fact="reviews", additive=False),
)

_DAYS = "['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']"
TIME_DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("day", "strftime({ts}, '%Y-%m-%d')", "calendar day (YYYY-MM-DD)", (), time=True, facts=_ALL_FACTS,
              group_sql="date_trunc('day', {ts})", label_sql="strftime({v}, '%Y-%m-%d')"),
    Dimension("week", "strftime(date_trunc('week', {ts}), '%Y-%m-%d')", "week starting Monday (its date)", (),
              time=True, facts=_ALL_FACTS, group_sql="date_trunc('week', {ts})", label_sql="strftime({v}, '%Y-%m-%d')"),
    Dimension("month", "strftime({ts}, '%Y-%m')", "calendar month (YYYY-MM)", (), time=True, facts=_ALL_FACTS,
              group_sql="date_trunc('month', {ts})", label_sql="strftime({v}, '%Y-%m')"),
    Dimension("quarter", "CAST(year({ts}) AS VARCHAR) || '-Q' || CAST(quarter({ts}) AS VARCHAR)",
              "calendar quarter (YYYY-Qn)", (), time=True, facts=_ALL_FACTS, group_sql="date_trunc('quarter', {ts})",
              label_sql="CAST(year({v}) AS VARCHAR) || '-Q' || CAST(quarter({v}) AS VARCHAR)"),
    Dimension("year", "CAST(year({ts}) AS VARCHAR)", "calendar year", (), time=True, facts=_ALL_FACTS,
              group_sql="year({ts})", label_sql="CAST({v} AS VARCHAR)"),
    Dimension("weekday", "dayname({ts})", "day of the week", (), time=True, order_sql="{v}",
              facts=_ALL_FACTS, group_sql="isodow({ts})", label_sql=_DAYS + "[{v}]"),
    Dimension("hour", "CAST(hour({ts}) AS INTEGER)", "hour of the day (0-23)", (), time=True, facts=_ALL_FACTS),
    Dimension("day_type", "CASE WHEN isodow({ts}) >= 6 THEN 'Weekend' ELSE 'Weekday' END",
              "weekend (Saturday and Sunday) or weekday (Monday to Friday)", (), facts=_ALL_FACTS,
              values_sql="SELECT unnest(['Weekday', 'Weekend'])"),
)

PRODUCT_DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("department", "COALESCE(p.department, 'Unknown')", "product department", (("products", "department"),),
              join="p", facts=_PRODUCT_FACTS,
              values_sql="SELECT DISTINCT COALESCE(department, 'Unknown') FROM products"),
    Dimension("category", "COALESCE(p.category, 'Unknown')", "product category", (("products", "category"),),
              join="p", facts=_PRODUCT_FACTS,
              values_sql="SELECT DISTINCT COALESCE(category, 'Unknown') FROM products"),
    Dimension("brand", "COALESCE(p.brand, 'Unknown')", "product brand", (("products", "brand"),), join="p",
              facts=_PRODUCT_FACTS,
              values_sql="SELECT DISTINCT COALESCE(brand, 'Unknown') FROM products"),
    Dimension("product", "COALESCE(p.name, CAST(f.product_id AS VARCHAR))", "product (its name)",
              (("products", "name"),), join="p", facts=_PRODUCT_FACTS,
              values_sql="SELECT DISTINCT COALESCE(name, CAST(product_id AS VARCHAR)) FROM products"),
)
PRODUCT_ID = Dimension("product_id", "CAST(f.product_id AS VARCHAR)", "product id (as in the orders)",
                       (("orders", "product_id"),))

STORE = Dimension("store", "CAST(f.store_id AS VARCHAR)", "store the order was placed in", (("orders", "store_id"),))
CUSTOMER = Dimension("customer", "CAST(f.customer_id AS VARCHAR)", "customer (household id)", (("orders", "customer_id"),),
                     facts=("orders", "coupon_redemptions", "campaigns"))

CAMPAIGN_DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("campaign", "CAST(f.campaign_id AS VARCHAR)", "campaign (its id)", (("campaigns", "campaign_id"),),
              facts=("coupon_redemptions", "campaigns"),
              values_sql="SELECT DISTINCT CAST(campaign_id AS VARCHAR) FROM campaigns"),
    Dimension("campaign_start", "strftime(f.start_date, '%Y-%m-%d')", "the day a campaign started (YYYY-MM-DD); a "
              "range filter on it keeps the campaigns that started in a period", (("campaigns", "start_date"),),
              facts=("campaigns",), date=True),
    Dimension("campaign_end", "strftime(f.end_date, '%Y-%m-%d')", "the day a campaign ended (YYYY-MM-DD)",
              (("campaigns", "end_date"),), facts=("campaigns",), date=True),
    Dimension("campaign_type", "COALESCE(cl.campaign_type, 'Unknown')", "campaign type",
              (("campaigns", "campaign_type"),), join="cl", facts=("coupon_redemptions", "campaigns"),
              values_sql="SELECT DISTINCT COALESCE(campaign_type, 'Unknown') FROM campaigns"),
)

SEGMENT = Dimension("segment", "COALESCE(s.segment, '(no segment)')", "customer segment (fitted segments)",
                    (("segments", "segment"),), join="s", facts=_ALL_FACTS,
                    values_sql="SELECT DISTINCT COALESCE(segment, '(no segment)') FROM segments")


@dataclass(frozen=True)
class Layer:
    """The metrics and dimensions declared for one workspace, and why the others are unavailable."""

    metrics: dict[str, Metric]
    dimensions: dict[str, Dimension]
    unavailable: dict[str, str]  # name -> reason (missing table/column)
    columns: dict[str, list[str]]

    def has(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, [])

    def order_key(self, alias: str = "f") -> str:
        return f"{alias}.order_id" if self.has("orders", "order_id") else f"({alias}.customer_id, {alias}.timestamp)"

    def dim_sql(self, name: str, fact: str, ts: str | None = None) -> str:
        """The dimension's SQL on ``fact`` (``ts`` replaces the fact's time column, e.g. ``fo.first_ts``)."""
        return self.dimensions[name].sql.replace("{ts}", ts or f"f.{FACT_TIME[fact]}")

    def group_sql(self, name: str, fact: str, ts: str | None = None) -> str:
        """The per-row grouping key (cheaper than the label where one is declared)."""
        d = self.dimensions[name]
        return d.group_sql.replace("{ts}", ts or f"f.{FACT_TIME[fact]}") if d.group_sql else self.dim_sql(name, fact, ts)

    def label(self, name: str, value_sql: str) -> str:
        """The label of a grouped value (itself when the dimension groups by its label)."""
        d = self.dimensions[name]
        return d.label_sql.replace("{v}", value_sql) if d.label_sql else value_sql

    def fact_of(self, metrics) -> str:
        return self.metrics[metrics[0]].fact


def _missing(needs: tuple[tuple[str, str], ...], columns: dict[str, list[str]]) -> str | None:
    for table, col in needs:
        if table not in columns:
            return f"needs the {table} table, which this workspace does not have"
        if col not in columns[table]:
            return f"needs the {table}.{col} column, which this workspace does not have"
    return None


def build_layer(columns: dict[str, list[str]]) -> Layer:
    """The layer for a workspace with these tables -> columns."""
    metrics, dims, unavailable = {}, {}, {}
    for m in METRICS:
        who = () if m.fact == "reviews" else ((m.fact, "customer_id"),)  # a review file may name no reviewer
        needs = m.needs + ((m.fact, FACT_TIME[m.fact]),) + who
        why = _missing(needs, columns)
        if why:
            unavailable[m.name] = why
        else:
            metrics[m.name] = m
    for d in TIME_DIMENSIONS + PRODUCT_DIMENSIONS + (PRODUCT_ID, STORE, CUSTOMER) + CAMPAIGN_DIMENSIONS + (SEGMENT,):
        why = _missing(d.needs, columns)
        if d in PRODUCT_DIMENSIONS and not why:
            # on the facts that carry a product_id (orders, reviews): a review-only workspace still has products
            facts = tuple(f for f in d.facts if "product_id" in columns.get(f, []))
            if not facts:
                why = "needs the orders.product_id column, which this workspace does not have"
            else:
                d = dataclasses.replace(d, facts=facts)
        if d.name == "segment" and why:
            why = "needs fitted segments (run `mka segments` or `mka train`)"
        if why:
            unavailable[d.name] = why
        else:
            dims[d.name] = d
    for col in columns.get("customers", []):
        if col == "customer_id" or col in dims or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", col):
            continue
        dims[col] = Dimension(col, f'CAST(c."{col}" AS VARCHAR)', f"customer attribute '{col}' (customers table)",
                              (("customers", col),), join="c", facts=_ALL_FACTS,
                              values_sql=f'SELECT DISTINCT CAST("{col}" AS VARCHAR) FROM customers')
    if "customer_id" in columns.get("campaigns", []) and "orders" in columns:  # "targeted vs not targeted"
        dims["targeted"] = Dimension(
            "targeted", "CASE WHEN f.customer_id IN (SELECT customer_id FROM campaigns) THEN 'Targeted' "
            "ELSE 'Not targeted' END", "whether the customer was targeted by any campaign (campaigns table)",
            (("campaigns", "customer_id"),), facts=("orders",),
            values_sql="SELECT unnest(['Not targeted', 'Targeted'])")
    if len(columns.get("customers", [])) > 1 and "orders" in columns:  # "households we have no demographics for"
        dims["demographics"] = Dimension(
            "demographics", "CASE WHEN c.customer_id IS NULL OR (" + " AND ".join(
                f'c."{a}" IS NULL' for a in columns["customers"] if a != "customer_id") + ") THEN 'Not recorded' "
            "ELSE 'Recorded' END",
            "whether any household attribute of the customer is recorded (customers table) or none is",
            (("customers", "customer_id"),), join="c", facts=_ALL_FACTS,
            values_sql="SELECT unnest(['Not recorded', 'Recorded'])")
    if "customer_id" in columns.get("coupon_redemptions", []) and "orders" in columns:  # "redeemers vs not"
        dims["redeemer"] = Dimension(
            "redeemer", "CASE WHEN f.customer_id IN (SELECT customer_id FROM coupon_redemptions) THEN 'Redeemed a "
            "coupon' ELSE 'Never redeemed' END", "whether the customer ever redeemed a coupon (coupon_redemptions "
            "table)", (("coupon_redemptions", "customer_id"),),
            facts=("orders", "campaigns") if "customer_id" in columns.get("campaigns", []) else ("orders",),
            values_sql="SELECT unnest(['Never redeemed', 'Redeemed a coupon'])")
    if "kids_count" in dims and "has_kids" not in dims:  # "families with kids vs without": two groups, not 0/1/2/3+
        dims["has_kids"] = Dimension(
            "has_kids", "CASE WHEN c.kids_count IS NULL THEN NULL WHEN CAST(c.kids_count AS VARCHAR) = '0' "
            "THEN 'No kids' ELSE 'With kids' END", "households with kids (kids_count 1 or more) or without (0); "
            "unrecorded stays unrecorded", (("customers", "kids_count"),), join="c", facts=_ALL_FACTS,
            values_sql="SELECT DISTINCT CASE WHEN CAST(kids_count AS VARCHAR) = '0' THEN 'No kids' ELSE 'With kids' "
                       "END FROM customers WHERE kids_count IS NOT NULL")
    return Layer(metrics, dims, unavailable, columns)
