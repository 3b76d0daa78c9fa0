"""Per-customer features as of a cutoff, from events strictly before it (leak-free), and labels after it.

``features_at`` is the one pure entry point (the segmenter uses it too). Training computes features at many
rolling cutoffs, so the expensive part (line items → one row per order) is done once by ``prepare_orders``
and each cutoff then only filters orders by timestamp (``features_from_prepared``); a test checks both paths
give the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "default_as_of",
    "features_at",
    "labels_at",
    "prepare_orders",
    "features_from_prepared",
    "labels_from_prepared",
    "PreparedOrders",
    "STATIC_FEATURES",
    "week_columns",
    "normalize_orders",
]

DAY = np.timedelta64(1, "D")

# numeric per-customer features besides the weekly sequence and category shares (fixed order: the model
# stores this list in its checkpoint)
STATIC_FEATURES = [
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_basket",
    "gap_mean_days",
    "gap_std_days",
    "gap_last_days",
    "orders_last_7d",
    "orders_last_14d",
    "orders_last_30d",
    "orders_last_90d",
    "spend_last_30d",
    "spend_last_90d",
    "return_share",
    "discount_share",
    "coupon_share",
    "tenure_in_window",
    "active_weeks_share",
]


def default_as_of(timestamps) -> pd.Timestamp:
    """The day after the last event (midnight): every row of the data is before it.

    ``timestamps``: a table with a ``timestamp`` column (orders, reviews), a timestamp column, or the last
    timestamp itself.
    """
    if isinstance(timestamps, pd.DataFrame):
        timestamps = timestamps["timestamp"]
    last = pd.Timestamp(pd.to_datetime(timestamps).max()) if isinstance(timestamps, pd.Series) \
        else pd.Timestamp(timestamps)
    return last.normalize() + pd.Timedelta(days=1)


def week_columns(n_weeks: int) -> list[str]:
    return [f"week_{i:02d}" for i in range(n_weeks)]


def normalize_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Canonical orders with the optional columns the features need filled in.

    Generic data may bring only customer_id, timestamp and amount: order_id becomes one order per
    (customer_id, timestamp), discounts 0.
    """
    missing = [c for c in ("customer_id", "timestamp", "amount") if c not in orders.columns]
    if missing:
        raise ValueError(f"orders: missing column(s) {', '.join(missing)}; expected customer_id, timestamp, amount")
    cols = ["customer_id", "timestamp", "amount"] + [
        c for c in ("order_id", "product_id", "discount", "coupon_discount") if c in orders.columns
    ]
    df = orders[cols].copy()
    for c in ("customer_id", "order_id", "product_id"):
        if c in df.columns and str(df[c].dtype) != "string":
            df[c] = df[c].astype("string")
    if str(df["timestamp"].dtype) != "datetime64[ns]":
        df["timestamp"] = pd.to_datetime(df["timestamp"]).astype("datetime64[ns]")
    df["amount"] = df["amount"].astype("float64")
    if "order_id" not in df.columns:
        df["order_id"] = df["customer_id"] + "@" + df["timestamp"].astype("int64").astype(str)
    for c in ("discount", "coupon_discount"):
        df[c] = df[c].astype("float64").fillna(0.0).abs() if c in df.columns else 0.0
    return df


@dataclass
class PreparedOrders:
    """Orders collapsed to one row per (customer, order), sorted by customer then time; built once."""

    customers: pd.Index  # customer_id values (string), position = customer code
    cust: np.ndarray  # int32 customer code per order
    ts: np.ndarray  # datetime64[ns] order time (first line of the order)
    amount: np.ndarray  # net amount (returns included, negative)
    gross: np.ndarray  # sum of positive line amounts
    returns: np.ndarray  # sum of |negative line amounts|
    discount: np.ndarray
    coupon: np.ndarray
    # line-level category spend, for category shares (may be empty)
    categories: list[str]
    line_cust: np.ndarray
    line_cat: np.ndarray
    line_ts: np.ndarray
    line_amount: np.ndarray


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes into the sorted uniques (arrow-backed factorize is fast; sorting only the uniques)."""
    codes, uniques = pd.Series(values).factorize(use_na_sentinel=True)
    uniq = np.asarray(uniques.astype(object))
    order = np.argsort(uniq.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = np.where(codes >= 0, rank[np.clip(codes, 0, None)], -1) if len(order) else codes.astype(np.int64)
    return codes.astype(np.int64), pd.Index(uniq[order], dtype="string")


def _line_categories(lines: pd.DataFrame, products: pd.DataFrame | None) -> np.ndarray | None:
    """Category name (object array, None when unknown) per line, or None without product categories."""
    if products is None or "category" not in products.columns or "product_id" not in lines.columns:
        return None
    pcodes, puniq = _codes(lines["product_id"])
    cat_of = products.drop_duplicates("product_id").set_index("product_id")["category"].astype("string")
    per_product = cat_of.reindex(puniq).to_numpy(dtype=object, na_value=None)
    out = per_product[np.where(pcodes >= 0, pcodes, 0)]
    out[pcodes < 0] = None
    return out


def _top_categories(amount: np.ndarray, cat: np.ndarray, top_k: int) -> list[str]:
    codes, uniq = pd.factorize(cat, sort=True)
    ok = codes >= 0
    spend = np.bincount(codes[ok], weights=np.clip(amount[ok], 0, None), minlength=len(uniq))
    # ties broken by name so the column list is deterministic
    order = sorted(range(len(uniq)), key=lambda i: (-spend[i], str(uniq[i])))
    return [str(uniq[i]) for i in order[:top_k]]


def prepare_orders(
    orders: pd.DataFrame,
    products: pd.DataFrame | None = None,
    *,
    top_categories: int = 8,
    categories: list[str] | None = None,
) -> PreparedOrders:
    """Collapse line items to orders once. ``categories`` fixes the category-share columns (else the top
    ``top_categories`` by spend in the given orders)."""
    df = normalize_orders(orders)
    df = df[df["customer_id"].notna() & df["timestamp"].notna()]
    cust, customers = _codes(df["customer_id"])
    ocode, ouniq = _codes(df["order_id"])
    ts = df["timestamp"].to_numpy("datetime64[ns]")
    amount = df["amount"].to_numpy(np.float64)
    # one row per (customer, order); the order's time is its first line's
    key = cust * max(len(ouniq), 1) + ocode
    ukey, inv = np.unique(key, return_inverse=True)
    n = len(ukey)
    o_cust = (ukey // max(len(ouniq), 1)).astype(np.int32)
    o_ts = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(o_ts, inv, ts.view(np.int64))
    o_ts = o_ts.view("datetime64[ns]")

    def osum(x: np.ndarray) -> np.ndarray:
        return np.bincount(inv, weights=x, minlength=n)

    pos = np.clip(amount, 0, None)
    o_amount, o_gross, o_ret = osum(amount), osum(pos), osum(np.clip(-amount, 0, None))
    o_disc = osum(df["discount"].to_numpy(np.float64))
    o_coup = osum(df["coupon_discount"].to_numpy(np.float64))
    order = np.lexsort((o_ts, o_cust))

    cat = _line_categories(df, products)
    if cat is None:
        cats: list[str] = []
    elif categories is None:
        cats = _top_categories(amount, cat, top_categories) if top_categories > 0 else []
    else:
        cats = [str(c) for c in categories]
    if cats and cat is not None:
        code = pd.Categorical(cat, categories=cats).codes
        keep = code >= 0
        line_cust, line_cat = cust[keep].astype(np.int32), code[keep].astype(np.int32)
        line_ts, line_amount = ts[keep], pos[keep]
    else:
        line_cust = line_cat = np.zeros(0, np.int32)
        line_ts = np.zeros(0, "datetime64[ns]")
        line_amount = np.zeros(0)
    return PreparedOrders(
        customers=customers,
        cust=o_cust[order],
        ts=o_ts[order],
        amount=o_amount[order],
        gross=o_gross[order],
        returns=o_ret[order],
        discount=o_disc[order],
        coupon=o_coup[order],
        categories=cats,
        line_cust=line_cust,
        line_cat=line_cat,
        line_ts=line_ts,
        line_amount=line_amount,
    )


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros_like(a, dtype=np.float64)
    np.divide(a, b, out=out, where=b > 0)
    return out


def features_from_prepared(prep: PreparedOrders, cutoff, n_weeks: int = 26) -> pd.DataFrame:
    """Features at ``cutoff`` from the prepared orders with time < cutoff (see ``features_at``)."""
    cutoff = np.datetime64(pd.Timestamp(cutoff).to_datetime64(), "ns")
    m = prep.ts < cutoff
    c, ts = prep.cust[m], prep.ts[m]
    n_all = len(prep.customers)
    freq = np.bincount(c, minlength=n_all).astype(np.float64)
    present = np.flatnonzero(freq > 0)
    if len(present) == 0:
        cols = STATIC_FEATURES + [f"cat_share__{k}" for k in prep.categories] + week_columns(n_weeks)
        return pd.DataFrame(columns=cols, index=pd.Index([], dtype="string", name="customer_id"), dtype="float64")

    def sums(x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        if mask is None:
            return np.bincount(c, weights=x, minlength=n_all)
        return np.bincount(c[mask], weights=x[mask], minlength=n_all)

    age = (cutoff - ts) / DAY  # days before the cutoff, > 0
    # orders are sorted by (customer, time): first/last per customer are at group boundaries
    starts = np.r_[0, np.flatnonzero(np.diff(c)) + 1]
    ends = np.r_[starts[1:], len(c)] - 1
    gc = c[starts]
    last_age = np.full(n_all, np.nan)
    first_age = np.full(n_all, np.nan)
    last_age[gc] = age[ends]
    first_age[gc] = age[starts]

    # gaps between consecutive orders of the same customer
    same = np.r_[False, c[1:] == c[:-1]]
    gaps = np.r_[0.0, np.diff(ts) / DAY]
    gsum = np.bincount(c[same], weights=gaps[same], minlength=n_all)
    gsq = np.bincount(c[same], weights=gaps[same] ** 2, minlength=n_all)
    gn = np.bincount(c[same], minlength=n_all).astype(np.float64)
    gap_mean = _safe_div(gsum, gn)
    gap_var = np.clip(_safe_div(gsq, gn) - gap_mean**2, 0, None)
    # one order: the time since it is a lower bound on the gap, and the best single guess we have
    gap_mean = np.where(gn > 0, gap_mean, last_age)
    last_gap = np.zeros(n_all)
    last_gap[gc] = np.where(ends > starts, gaps[ends], last_age[gc])

    amount = prep.amount[m]
    gross = prep.gross[m]
    monetary = sums(amount)
    gross_sum = sums(gross)
    pre_discount = gross_sum + sums(prep.discount[m]) + sums(prep.coupon[m])

    week = np.floor(age / 7.0).astype(np.int64)
    in_seq = week < n_weeks
    seq = np.zeros((n_all, n_weeks))
    np.add.at(seq, (c[in_seq], week[in_seq]), 1.0)

    window_days = n_weeks * 7.0
    out = {
        "recency_days": last_age,
        "frequency": freq,
        "monetary": monetary,
        "tenure_days": first_age,
        "avg_basket": _safe_div(monetary, freq),
        "gap_mean_days": gap_mean,
        "gap_std_days": np.sqrt(gap_var),
        "gap_last_days": last_gap,
        "orders_last_7d": sums(np.ones_like(age), age <= 7),
        "orders_last_14d": sums(np.ones_like(age), age <= 14),
        "orders_last_30d": sums(np.ones_like(age), age <= 30),
        "orders_last_90d": sums(np.ones_like(age), age <= 90),
        "spend_last_30d": sums(amount, age <= 30),
        "spend_last_90d": sums(amount, age <= 90),
        "return_share": _safe_div(sums(prep.returns[m]), gross_sum),
        "discount_share": _safe_div(sums(prep.discount[m]), pre_discount),
        "coupon_share": _safe_div(sums(prep.coupon[m]), pre_discount),
        # how much of the sequence window the customer could have been active in (new customers: < 1)
        "tenure_in_window": np.minimum(np.nan_to_num(first_age), window_days) / window_days,
        "active_weeks_share": (seq > 0).sum(axis=1) / np.clip(np.ceil(np.minimum(np.nan_to_num(first_age), window_days) / 7.0), 1, None),
    }
    frame = {k: v[present] for k, v in out.items()}
    if prep.categories:
        lm = prep.line_ts < cutoff
        cat_spend = np.zeros((n_all, len(prep.categories)))
        np.add.at(cat_spend, (prep.line_cust[lm], prep.line_cat[lm]), prep.line_amount[lm])
        share = cat_spend / np.where(gross_sum > 0, gross_sum, 1.0)[:, None]
        for j, name in enumerate(prep.categories):
            frame[f"cat_share__{name}"] = share[present, j]
    for j, name in enumerate(week_columns(n_weeks)):
        frame[name] = seq[present, j]
    index = pd.Index(prep.customers[present], dtype="string", name="customer_id")
    return pd.DataFrame(frame, index=index)


def features_at(
    orders: pd.DataFrame,
    cutoff,
    products: pd.DataFrame | None = None,
    n_weeks: int = 26,
    *,
    top_categories: int = 8,
    categories: list[str] | None = None,
) -> pd.DataFrame:
    """Per-customer features as of ``cutoff`` from order lines with ``timestamp < cutoff`` only.

    Index: customer_id (customers with at least one order before the cutoff), sorted. Columns: the
    ``STATIC_FEATURES`` (recency_days, frequency = distinct orders, monetary = net spend, tenure_days,
    avg_basket, inter-order gap mean/std/last, orders in the last 7/14/30/90 days, spend in the last 30/90,
    return/discount/coupon shares — 0 where the data has no such column), ``cat_share__<category>`` (share of
    gross spend, top categories by spend before the cutoff, or ``categories``) when ``products`` has a category,
    and ``week_00 .. week_{n_weeks-1}``: orders per 7-day week, week_00 = the 7 days just before the cutoff.
    """
    cutoff_ts = pd.Timestamp(cutoff)
    ts = pd.to_datetime(orders["timestamp"])
    # cut first, so nothing on or after the cutoff can reach any feature, including the category list
    prep = prepare_orders(orders[ts < cutoff_ts], products, top_categories=top_categories, categories=categories)
    return features_from_prepared(prep, cutoff_ts, n_weeks=n_weeks)


def labels_from_prepared(prep: PreparedOrders, cutoff, horizon_days: int, index: pd.Index | None = None) -> pd.Series:
    """1 where the customer has an order in [cutoff, cutoff + h); over ``index`` (default: all customers)."""
    start = np.datetime64(pd.Timestamp(cutoff).to_datetime64(), "ns")
    end = start + np.timedelta64(int(horizon_days), "D")
    m = (prep.ts >= start) & (prep.ts < end)
    buyers = np.zeros(len(prep.customers), dtype=np.int64)
    buyers[np.unique(prep.cust[m])] = 1
    s = pd.Series(buyers, index=pd.Index(prep.customers, dtype="string", name="customer_id"), name=f"buy_{horizon_days}d")
    if index is not None:
        s = s.reindex(pd.Index(index, dtype="string", name="customer_id"), fill_value=0)
    return s


def labels_at(orders: pd.DataFrame, cutoff, horizon_days: int) -> pd.Series:
    """1 if the customer has >= 1 order in [cutoff, cutoff + horizon_days), else 0; indexed by customer_id.

    Covers every customer in ``orders``; reindex onto ``features_at(...).index`` to get the training rows.
    """
    df = normalize_orders(orders)
    start = pd.Timestamp(cutoff)
    end = start + pd.Timedelta(days=int(horizon_days))
    customers = pd.Index(np.sort(df["customer_id"].dropna().unique().astype(object)), dtype="string", name="customer_id")
    win = df[(df["timestamp"] >= start) & (df["timestamp"] < end)]
    buyers = customers.isin(win["customer_id"].dropna().unique()).astype(np.int64)
    return pd.Series(buyers, index=customers, name=f"buy_{horizon_days}d")
