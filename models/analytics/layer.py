"""The semantic layer: declared metrics and dimensions, each with a one-line definition and the columns it needs.

SQL fragments use fixed aliases: ``f`` the fact table (orders, or coupon_redemptions), ``p`` products and ``c``
customers (joined on product_id / customer_id, declared once here). No user text ever appears in them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Metric", "Dimension", "METRICS", "TIME_DIMENSIONS", "PRODUCT_DIMENSIONS", "Layer", "build_layer",
           "NON_MERCHANDISE", "is_non_merchandise"]

# fuel, gift cards, tickets/lottery, coupons and misc transactions are not merchandise (data-driven rule)
NON_MERCHANDISE = re.compile(r"fuel|gasoline|\bgas\b|coupon|gift ?card|lottery|^tickets?$"
                             r"|^misc(ellaneous|\.)?( items| sales.*| trans.*)?$", re.IGNORECASE)


def is_non_merchandise(name: object) -> bool:
    return isinstance(name, str) and bool(NON_MERCHANDISE.search(name))


@dataclass(frozen=True)
class Metric:
    name: str
    sql: str  # an aggregate over the fact alias f; {order_key} is the basket key
    definition: str
    needs: tuple[tuple[str, str], ...]  # (table, column)
    fact: str = "orders"
    money: bool = False


@dataclass(frozen=True)
class Dimension:
    name: str
    sql: str
    definition: str
    needs: tuple[tuple[str, str], ...]
    time: bool = False
    order_sql: str | None = None  # how to sort it when not by its label (weekday)


METRICS: tuple[Metric, ...] = (
    Metric("revenue", "SUM(f.amount)", "net revenue: sum of line amounts, returns (negative amounts) subtracted",
           (("orders", "amount"),), money=True),
    Metric("orders", "COUNT(DISTINCT {order_key})", "number of distinct orders (baskets)", (("orders", "customer_id"),)),
    Metric("line_items", "COUNT(*)", "number of order lines", (("orders", "customer_id"),)),
    Metric("units", "SUM(COALESCE(f.quantity, 1))", "units sold: sum of line quantities", (("orders", "quantity"),)),
    Metric("customers", "COUNT(DISTINCT f.customer_id)", "number of distinct customers who bought",
           (("orders", "customer_id"),)),
    Metric("avg_basket", "SUM(f.amount) / NULLIF(COUNT(DISTINCT {order_key}), 0)",
           "average basket: net revenue divided by the number of orders", (("orders", "amount"),), money=True),
    Metric("orders_per_customer", "COUNT(DISTINCT {order_key}) / NULLIF(COUNT(DISTINCT f.customer_id), 0)",
           "orders divided by distinct customers", (("orders", "customer_id"),)),
    Metric("revenue_per_customer", "SUM(f.amount) / NULLIF(COUNT(DISTINCT f.customer_id), 0)",
           "net revenue divided by distinct customers", (("orders", "amount"),), money=True),
    Metric("discount", "SUM(f.discount)", "retailer discount given on the lines", (("orders", "discount"),), money=True),
    Metric("coupon_discount", "SUM(f.coupon_discount)", "coupon discount given on the lines",
           (("orders", "coupon_discount"),), money=True),
    Metric("coupon_redemptions", "COUNT(*)", "number of coupons redeemed (coupon_redemptions table)",
           (("coupon_redemptions", "customer_id"),), fact="coupon_redemptions"),
    Metric("redeeming_customers", "COUNT(DISTINCT f.customer_id)", "distinct customers who redeemed a coupon",
           (("coupon_redemptions", "customer_id"),), fact="coupon_redemptions"),
)

_TS = "f.timestamp"
TIME_DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("day", f"strftime({_TS}, '%Y-%m-%d')", "calendar day (YYYY-MM-DD)", (), time=True),
    Dimension("week", f"strftime(date_trunc('week', {_TS}), '%Y-%m-%d')", "week starting Monday (its date)", (),
              time=True),
    Dimension("month", f"strftime({_TS}, '%Y-%m')", "calendar month (YYYY-MM)", (), time=True),
    Dimension("quarter", f"CAST(year({_TS}) AS VARCHAR) || '-Q' || CAST(quarter({_TS}) AS VARCHAR)",
              "calendar quarter (YYYY-Qn)", (), time=True),
    Dimension("year", f"CAST(year({_TS}) AS VARCHAR)", "calendar year", (), time=True),
    Dimension("weekday", f"dayname({_TS})", "day of the week", (), time=True, order_sql=f"min(isodow({_TS}))"),
    Dimension("hour", f"CAST(hour({_TS}) AS INTEGER)", "hour of the day (0-23)", (), time=True),
)

PRODUCT_DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("department", "COALESCE(p.department, 'Unknown')", "product department", (("products", "department"),)),
    Dimension("category", "COALESCE(p.category, 'Unknown')", "product category", (("products", "category"),)),
    Dimension("brand", "COALESCE(p.brand, 'Unknown')", "product brand", (("products", "brand"),)),
    Dimension("product", "COALESCE(p.name, f.product_id)", "product (its name)", (("products", "name"),)),
)

STORE = Dimension("store", "f.store_id", "store the order was placed in", (("orders", "store_id"),))


@dataclass(frozen=True)
class Layer:
    """The metrics and dimensions declared for one workspace, and why the others are unavailable."""

    metrics: dict[str, Metric]
    dimensions: dict[str, Dimension]
    unavailable: dict[str, str]  # name -> reason (missing table/column)
    columns: dict[str, list[str]]

    def has(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, [])

    @property
    def order_key(self) -> str:
        return "f.order_id" if self.has("orders", "order_id") else "(f.customer_id, f.timestamp)"


def _missing(needs: tuple[tuple[str, str], ...], columns: dict[str, list[str]], extra: tuple[str, ...] = ()) -> str | None:
    for table, col in needs:
        if table not in columns:
            return f"needs the {table} table, which this workspace does not have"
        if col not in columns[table]:
            return f"needs the {table}.{col} column, which this workspace does not have"
    for table in extra:
        if table not in columns:
            return f"needs the {table} table, which this workspace does not have"
    return None


def build_layer(columns: dict[str, list[str]]) -> Layer:
    """The layer for a workspace with these tables -> columns."""
    metrics, dims, unavailable = {}, {}, {}
    for m in METRICS:
        needs = m.needs + ((m.fact, "timestamp"),) if m.fact == "coupon_redemptions" else m.needs
        why = _missing(needs, columns)
        if why:
            unavailable[m.name] = why
        else:
            metrics[m.name] = m
    for d in TIME_DIMENSIONS + PRODUCT_DIMENSIONS + (STORE,):
        why = _missing(d.needs, columns)
        if d in PRODUCT_DIMENSIONS and not why and "product_id" not in columns.get("orders", []):
            why = "needs the orders.product_id column, which this workspace does not have"
        if why:
            unavailable[d.name] = why
        else:
            dims[d.name] = d
    for col in columns.get("customers", []):
        if col == "customer_id" or col in dims or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", col):
            continue
        dims[col] = Dimension(col, f'CAST(c."{col}" AS VARCHAR)', f"customer attribute '{col}' (customers table)",
                              (("customers", col),))
    return Layer(metrics, dims, unavailable, columns)
