"""The canonical tables every capability reads. Loaders map user files onto these; nothing else guesses columns.

dtypes after validation (pandas):
- ids (customer_id, order_id, product_id, review_id): ``string``
- timestamps: ``datetime64[ns]``, naive (local time of the source)
- money and quantities: ``float64``
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SCHEMA_VERSION", "EXTRA_TABLES", "TableSpec", "TABLES", "ORDERS", "PRODUCTS", "CUSTOMERS", "REVIEWS", "table_spec"]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class TableSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    id_columns: tuple[str, ...] = ()
    datetime_columns: tuple[str, ...] = ()
    numeric_columns: tuple[str, ...] = ()
    string_columns: tuple[str, ...] = ()
    # extra columns the user brings are kept (e.g. customer attributes)
    keep_extra: bool = False
    description: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


ORDERS = TableSpec(
    name="orders",
    required=("customer_id", "timestamp", "amount"),
    optional=("order_id", "product_id", "quantity", "discount", "coupon_discount", "store_id"),
    id_columns=(),  # line items: the same order_id repeats once per product
    datetime_columns=("timestamp",),
    numeric_columns=("amount", "quantity", "discount", "coupon_discount"),
    string_columns=("customer_id", "order_id", "product_id", "store_id"),
    description={
        "customer_id": "who bought",
        "timestamp": "when (date or date-time)",
        "amount": "money paid for the line; negative for a return/refund",
        "order_id": "basket / order; missing: one order per customer per timestamp",
        "product_id": "what was bought",
        "quantity": "units; missing: 1",
        "discount": "retailer discount on the line (>= 0)",
        "coupon_discount": "coupon discount on the line (>= 0)",
    },
)

PRODUCTS = TableSpec(
    name="products",
    required=("product_id",),
    optional=("name", "category", "brand", "price", "department"),
    id_columns=("product_id",),
    numeric_columns=("price",),
    string_columns=("product_id", "name", "category", "brand", "department"),
)

CUSTOMERS = TableSpec(
    name="customers",
    required=("customer_id",),
    id_columns=("customer_id",),
    string_columns=("customer_id",),
    keep_extra=True,
)

REVIEWS = TableSpec(
    name="reviews",
    required=("review_id", "product_id", "rating", "text"),
    optional=("customer_id", "title", "timestamp", "synthetic"),
    id_columns=("review_id",),
    datetime_columns=("timestamp",),
    numeric_columns=("rating",),
    string_columns=("review_id", "product_id", "customer_id", "title", "text"),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (ORDERS, PRODUCTS, CUSTOMERS, REVIEWS)}

# Common names for a canonical column in users' files (compared lower-case, spaces and dashes as underscores).
# Used only when the canonical name is absent and exactly one of these is present; the ingest summary says which
# column was read as what, and --map overrides it.
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer", "customer_key", "customerid", "household_key", "household_id", "household",
                    "client_id", "client", "user_id", "user", "buyer_id", "buyer", "member_id", "shopper_id",
                    "account_id"),
    "timestamp": ("date", "order_date", "orderdate", "datetime", "date_time", "purchase_date", "transaction_date",
                  "invoice_date", "invoicedate", "created_at", "order_time", "time", "day"),
    "amount": ("sales_value", "sales", "revenue", "order_total", "total", "line_total", "value", "spend",
               "net_sales", "amount_paid", "price_paid"),
    "order_id": ("basket_id", "basket", "invoice", "invoice_no", "invoiceno", "invoice_id", "transaction_id",
                 "order", "order_number", "receipt_id"),
    "product_id": ("product", "sku", "item_id", "item", "stockcode", "stock_code", "article_id", "product_code"),
    "quantity": ("qty", "units", "quantity_sold"),
    "store_id": ("store", "shop_id", "shop", "location_id"),
    "review_id": ("id",),
    "rating": ("stars", "star_rating", "score", "overall"),
    "text": ("review", "review_text", "body", "comment", "reviewtext"),
    "name": ("product_name", "title", "description"),
}

# Tables some sources bring (Complete Journey); stored as they come, used where present.
EXTRA_TABLES = ("campaigns", "coupon_redemptions")


def table_spec(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}") from None
