"""Turn a raw table into its canonical form (models/schema.py), or refuse it with a message a user can act on.

Every refusal is a ``DataValidationError`` naming the file, the column, the first offending 1-based data rows,
the values found and what was expected. Nothing is silently dropped: a negative amount is a return or refund,
kept and flagged in ``is_return``.

Row numbers come from the frame's index (``models.data.loaders.read_raw`` indexes by data row); a frame with a
0-based ``RangeIndex`` (built in code) is counted from 1.
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from models.data.errors import DataValidationError
from models.data.schema import TableSpec, table_spec

__all__ = ["validate_table", "parse_datetimes", "parse_numbers", "parse_ids", "DATE_FORMATS_HELP"]

DATE_FORMATS_HELP = "an ISO date (2017-06-30), date-time (2017-06-30 14:05:00) or unix seconds (1498831500)"
_UNIX_RE = r"[+-]?\d{9,13}(\.\d+)?"
_CURRENCY_RE = re.compile(r"^([+-]?)\s*[$€£¥]\s*")


def _rows(df_or_index, mask) -> list[int]:
    idx = df_or_index.index if hasattr(df_or_index, "index") else df_or_index
    return [int(i) for i in idx[np.asarray(mask, dtype=bool)]]


def _missing_column_error(file: str, spec: TableSpec, col: str, found: list[str]) -> DataValidationError:
    close = difflib.get_close_matches(col, found, n=1, cutoff=0.6)
    guess = close[0] if close else "<column>"
    what = spec.description.get(col, "")
    return DataValidationError(
        file, f"missing required column '{col}'" + (f" ({what})" if what else "") + f" for the {spec.name} table",
        column=col,
        expected=f"a column named '{col}'; columns found: {', '.join(found) or 'none'}. "
                 f"If one of them holds it, pass --map {col}={guess}")


def _arrow_cast(s: pd.Series, to: pa.DataType) -> pd.Series | None:
    """Fast path for clean text columns (a million rows in a fraction of a second); None if any value fails."""
    try:
        arr = pa.array(s.array) if isinstance(s.array, pd.arrays.ArrowStringArray) else pa.array(s, pa.large_string())
        out = pc.cast(pc.utf8_trim_whitespace(arr), to)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if pa.types.is_floating(to):
        return pd.Series(out.to_numpy(zero_copy_only=False), index=s.index, dtype="float64")
    return pd.Series(out.to_pandas().to_numpy(), index=s.index)


def parse_ids(s: pd.Series, file: str, column: str, *, required: bool) -> pd.Series:
    """Ids as pandas ``string``; integral floats (1.0) become "1". Missing ids are refused when required."""
    if pd.api.types.is_float_dtype(s) and s.dropna().mod(1).eq(0).all():
        s = s.astype("Int64")
    out = s.astype("string").str.strip()
    out = out.mask(out == "")
    if required and out.isna().any():
        bad = out.isna()
        raise DataValidationError(file, f"missing {column.replace('_', ' ')} in {int(bad.sum())} row(s)",
                                  column=column, rows=_rows(out, bad), expected=f"a {column} on every row")
    return out


def parse_datetimes(s: pd.Series, file: str, column: str, *, required: bool,
                    date_format: str | None = None) -> pd.Series:
    """ISO dates and date-times, other common date spellings, or unix seconds → naive ``datetime64[ns]``.

    Day/month order (``05/01/2018``) is decided once per column, never per row: a first number above 12
    anywhere means day first, a second number above 12 means month first; a column where every value could
    be either is refused unless ``date_format`` (e.g. ``%d/%m/%Y``) says which. Dates before 1900 or after
    2262 (``9999-12-31``, the usual "no end date") are refused naming the rows.
    """
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_localize(None)  # keep the local wall-clock time of the source
    elif pd.api.types.is_datetime64_dtype(s):
        out = s
    elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = _from_unix(pd.to_numeric(s, errors="coerce"))
    else:
        text = s.astype("string").str.strip()
        text = text.mask(text == "")
        present = text.notna()
        fast = None if date_format else _arrow_cast(text, pa.timestamp("ns"))  # clean ISO text: common, fast
        is_unix = text.str.fullmatch(_UNIX_RE).fillna(False) if fast is None else None
        dm = _day_month(text, present, file, column) if fast is None and not date_format else None
        if fast is not None:
            out = fast
        elif date_format:
            out = pd.to_datetime(text, format=date_format, errors="coerce")
            bad = present & out.isna()
            if bad.any():
                raise DataValidationError(file, f"date not in the format {date_format} in {int(bad.sum())} row(s)",
                                          column=column, rows=_rows(text, bad), examples=text[bad].head(5).tolist(),
                                          expected=f"dates written as {date_format} (--date-format)")
        elif present.any() and bool(is_unix[present].all()):
            out = _from_unix(pd.to_numeric(text, errors="coerce"))
        elif dm is not None:
            out = dm
            bad = present & out.isna()
            if bad.any():
                raise DataValidationError(file, f"unparseable date in {int(bad.sum())} row(s)", column=column,
                                          rows=_rows(text, bad), examples=text[bad].head(5).tolist(),
                                          expected=DATE_FORMATS_HELP)
        else:
            out = _parse_text_dates(text)
            bad = present & out.isna()
            if bad.any():
                # other spellings ("02 28, 2014", "Jun 30 2017"), but never bare numbers: "12" is not a date
                retry = bad & ~text.str.fullmatch(r"[+-]?\d+(\.\d+)?").fillna(False)
                if retry.any():
                    again = _parse_text_dates(text[retry], fmt="mixed")
                    out = out.copy()
                    out[retry] = again
                bad = present & out.isna()
            if bad.any():
                raise DataValidationError(file, f"unparseable date in {int(bad.sum())} row(s)", column=column,
                                          rows=_rows(text, bad), examples=text[bad].head(5).tolist(),
                                          expected=DATE_FORMATS_HELP)
    _check_date_range(out, s, file, column)
    out = out.astype("datetime64[ns]")
    if required and out.isna().any():
        bad = out.isna()
        raise DataValidationError(file, f"missing date in {int(bad.sum())} row(s)", column=column,
                                  rows=_rows(out, bad), expected=DATE_FORMATS_HELP)
    return out


_DM_RE = r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(.*)$"
_EARLIEST, _LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2262-04-11")


def _day_month(text: pd.Series, present: pd.Series, file: str, column: str) -> pd.Series | None:
    """Dates written nn/nn/yyyy (or with . or -): one day/month order for the whole column, or None when the
    column is not written that way. Vectorised: one regex extract, no per-row Python."""
    if not present.any():
        return None
    parts = text[present].str.extract(_DM_RE)
    if parts[0].isna().any():
        return None
    first, second = parts[0].astype("int64"), parts[2].astype("int64")
    day_first, month_first = bool((first > 12).any()), bool((second > 12).any())
    if day_first and month_first:
        r1, r2 = _rows(first, first > 12)[:1], _rows(second, second > 12)[:1]
        raise DataValidationError(file, "day/month order differs between rows (a first number above 12 in row "
                                  f"{r1[0]}, a second number above 12 in row {r2[0]})", column=column,
                                  rows=r1 + r2, expected="one date format for the whole column")
    if not day_first and not month_first:
        raise DataValidationError(file, "ambiguous dates: every value could be day/month or month/day",
                                  column=column, examples=text[present].head(3).tolist(),
                                  expected="add --date-format %d/%m/%Y (day first) or --date-format %m/%d/%Y "
                                           "(month first)")
    day, month = (parts[0], parts[2]) if day_first else (parts[2], parts[0])
    iso = parts[3] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + parts[4].fillna("")
    parsed = _parse_text_dates(iso)
    _check_date_range(parsed, text[present], file, column)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    out[present] = parsed.astype("datetime64[ns]")
    return out


def _check_date_range(out: pd.Series, raw: pd.Series, file: str, column: str) -> None:
    bad = out.notna() & ((out < _EARLIEST) | (out > _LATEST))
    if bad.any():
        raise DataValidationError(file, f"date out of range in {int(bad.sum())} row(s)", column=column,
                                  rows=_rows(out, bad), examples=raw[bad].head(5).tolist(),
                                  expected="a date between 1900-01-01 and 2262-04-11; a 'no end date' sentinel "
                                           "such as 9999-12-31 is not an order date: leave the cell empty")


def _from_unix(x: pd.Series) -> pd.Series:
    # milliseconds are common in web exports; seconds after 1e11 would be the year 5138
    unit = "ms" if x.abs().median() > 1e11 else "s"
    return pd.to_datetime(x, unit=unit, errors="coerce")


def _parse_text_dates(text: pd.Series, fmt: str = "ISO8601") -> pd.Series:
    try:
        out = pd.to_datetime(text, format=fmt, errors="coerce")
    except (ValueError, TypeError):  # mixed UTC offsets: compare on UTC, then drop the zone
        out = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_localize(None)
    return out


def parse_numbers(s: pd.Series, file: str, column: str, *, required: bool, example: str = "12.50") -> pd.Series:
    """Numbers as float64; a leading currency sign is accepted. Text that is not a number is refused."""
    if pd.api.types.is_bool_dtype(s):
        out = s.astype("float64")
    elif pd.api.types.is_numeric_dtype(s):
        out = s.astype("float64")
    else:
        text = s.astype("string").str.strip()
        text = text.mask(text == "")
        out = _arrow_cast(text, pa.float64())
        if out is None:
            cleaned = text.str.replace(_CURRENCY_RE, r"\1", regex=True)
            out = pd.to_numeric(cleaned, errors="coerce").astype("float64")
            bad = text.notna() & out.isna()
            if bad.any():
                raise DataValidationError(file, f"non-numeric value in {int(bad.sum())} row(s)", column=column,
                                          rows=_rows(text, bad), examples=text[bad].head(5).tolist(),
                                          expected=f"a number such as {example}")
    _check_finite(out, s, file, column, example)
    if required and out.isna().any():
        bad = out.isna()
        raise DataValidationError(file, f"missing value in {int(bad.sum())} row(s)", column=column,
                                  rows=_rows(out, bad), expected=f"a number such as {example} on every row")
    return out


MAX_ABS_NUMBER = 1e15  # larger amounts, prices or quantities are overflow or junk, and overflow sums to inf


def _check_finite(out: pd.Series, raw: pd.Series, file: str, column: str, example: str) -> None:
    """inf, -inf and overflowing values (1e400 reads as inf) are refused with the rows: they would make every
    total NaN or inf downstream. One vectorised pass."""
    values = out.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = np.isinf(values) | (np.abs(values) > MAX_ABS_NUMBER)
    if bad.any():
        raise DataValidationError(file, f"infinite or overflowing number in {int(bad.sum())} row(s)", column=column,
                                  rows=_rows(out, bad), examples=raw[bad].head(5).tolist(),
                                  expected=f"a finite number such as {example} (at most {MAX_ABS_NUMBER:.0e} in size)")


def _parse_bools(s: pd.Series, file: str, column: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.fillna(False).astype(bool)
    text = s.astype("string").str.strip().str.lower()
    table = {"true": True, "1": True, "yes": True, "y": True, "t": True, "1.0": True,
             "false": False, "0": False, "no": False, "n": False, "f": False, "0.0": False}
    out = text.map(table)
    bad = text.notna() & out.isna()
    if bad.any():
        raise DataValidationError(file, "not a yes/no value", column=column, rows=_rows(text, bad),
                                  examples=text[bad].head(5).tolist(), expected="true/false, yes/no or 1/0")
    return out.fillna(False).astype(bool)


def _check_unique(s: pd.Series, file: str, column: str, table: str) -> None:
    dup = s.duplicated(keep=False) & s.notna()
    if dup.any():
        later = s.duplicated(keep="first") & s.notna()
        raise DataValidationError(
            file, f"duplicate {column} in the {table} table: {int(later.sum())} row(s) repeat an earlier id",
            column=column, rows=_rows(s, later), examples=s[later].head(5).tolist(),
            expected=f"each {column} once (rows sharing an id: {', '.join(map(str, _rows(s, dup)[:6]))})")


def _check_min(x: pd.Series, file: str, column: str, low: float, expected: str) -> None:
    bad = x < low
    if bad.any():
        raise DataValidationError(file, f"value below {low:g} in {int(bad.sum())} row(s)", column=column,
                                  rows=_rows(x, bad), examples=x[bad].head(5).tolist(), expected=expected)


def _as_row_indexed(df: pd.DataFrame) -> pd.DataFrame:
    if isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1:
        df = df.set_axis(pd.RangeIndex(1, len(df) + 1), axis=0)
    return df


def _orders(df: pd.DataFrame, file: str, allow_returns: bool, date_format: str | None = None) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    out["customer_id"] = parse_ids(df["customer_id"], file, "customer_id", required=True)
    out["timestamp"] = parse_datetimes(df["timestamp"], file, "timestamp", required=True, date_format=date_format)
    out["amount"] = parse_numbers(df["amount"], file, "amount", required=True)
    if "quantity" in df.columns:
        q = parse_numbers(df["quantity"], file, "quantity", required=False, example="1 or 2.5")
        if not allow_returns:
            _check_min(q, file, "quantity", 0, "quantity >= 0; if the file contains returns, pass "
                                               "--allow-returns (allow_returns=True) to keep them as returns")
        out["quantity"] = q.fillna(1.0)
    else:
        out["quantity"] = 1.0
    if "order_id" in df.columns:
        oid = parse_ids(df["order_id"], file, "order_id", required=False)
    else:
        oid = pd.Series(pd.NA, index=df.index, dtype="string")
    if oid.isna().any():
        # one order per customer per timestamp: the most a file without baskets can tell us
        secs = (out["timestamp"].astype("int64") // 10**9).astype("string")
        oid = oid.fillna(out["customer_id"] + "-" + secs)
    out["order_id"] = oid
    out["product_id"] = (parse_ids(df["product_id"], file, "product_id", required=False)
                         if "product_id" in df.columns else pd.Series(pd.NA, index=df.index, dtype="string"))
    for col in ("discount", "coupon_discount"):
        if col in df.columns:
            d = parse_numbers(df[col], file, col, required=False)
            # some exports (Complete Journey among them) store discounts as negative numbers
            if bool((d.dropna() <= 0).all()):
                d = d.abs()
            _check_min(d, file, col, 0, f"{col} >= 0 (all discounts as positive numbers, or all as negative)")
            out[col] = d.fillna(0.0)
    if "store_id" in df.columns:
        out["store_id"] = parse_ids(df["store_id"], file, "store_id", required=False)
    is_return = out["amount"] < 0
    if "quantity" in out:
        is_return = is_return | (out["quantity"] < 0)
    out["is_return"] = is_return.astype(bool)
    order = ["customer_id", "order_id", "timestamp", "product_id", "quantity", "amount", "discount",
             "coupon_discount", "store_id", "is_return"]
    return out[[c for c in order if c in out.columns]]


def _products(df: pd.DataFrame, file: str) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    out["product_id"] = parse_ids(df["product_id"], file, "product_id", required=True)
    _check_unique(out["product_id"], file, "product_id", "products")
    for col in ("name", "category", "brand", "department"):
        if col in df.columns:
            out[col] = df[col].astype("string").str.strip()
    if "price" in df.columns:
        out["price"] = parse_numbers(df["price"], file, "price", required=False)
        _check_min(out["price"], file, "price", 0, "price >= 0")
    return out


def _customers(df: pd.DataFrame, file: str) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    out["customer_id"] = parse_ids(df["customer_id"], file, "customer_id", required=True)
    _check_unique(out["customer_id"], file, "customer_id", "customers")
    for col in df.columns:
        if col != "customer_id":
            # attributes are kept as text: their meaning is the user's, not ours
            out[col] = df[col].astype("string")
    return out


def _exact_duplicate_reviews(df: pd.DataFrame, file: str) -> pd.Series:
    """Rows repeating an earlier review exactly: same reviewer (``customer_id`` when the file has one, else the
    same ``review_id``), same product, same text and same rating. Raw Amazon 2018 files repeat a review once per
    style variant; such copies carry no new information and are dropped (counted in the ingest summary)."""
    who = "customer_id" if "customer_id" in df.columns else "review_id"
    key = pd.DataFrame({
        "who": parse_ids(df[who], file, who, required=who == "review_id").fillna(""),
        "product": df["product_id"].astype("string").str.strip().fillna(""),
        "text": df["text"].astype("string").fillna("").str.strip(),
        "rating": df["rating"].astype("string").str.strip().fillna(""),
    }, index=df.index)
    known = key["who"] != ""
    return key.duplicated(keep="first") & known


def _reviews(df: pd.DataFrame, file: str, date_format: str | None = None) -> pd.DataFrame:
    dropped = _exact_duplicate_reviews(df, file)
    df = df[~dropped]
    out = pd.DataFrame(index=df.index)
    out["review_id"] = parse_ids(df["review_id"], file, "review_id", required=True)
    # what is left sharing an id is a conflict (same id, different reviewer/product/text/rating): refused
    _check_unique(out["review_id"], file, "review_id", "reviews")
    out["product_id"] = parse_ids(df["product_id"], file, "product_id", required=True)
    rating = parse_numbers(df["rating"], file, "rating", required=True, example="4")
    bad = (rating < 1) | (rating > 5)
    if bad.any():
        raise DataValidationError(file, f"rating outside 1-5 in {int(bad.sum())} row(s)", column="rating",
                                  rows=_rows(rating, bad), examples=rating[bad].head(5).tolist(),
                                  expected="a rating from 1 to 5 (stars)")
    out["rating"] = rating
    out["text"] = df["text"].astype("string").fillna("")
    if "title" in df.columns:
        out["title"] = df["title"].astype("string")
    if "customer_id" in df.columns:
        out["customer_id"] = parse_ids(df["customer_id"], file, "customer_id", required=False)
    if "timestamp" in df.columns:
        out["timestamp"] = parse_datetimes(df["timestamp"], file, "timestamp", required=False,
                                           date_format=date_format)
    out["synthetic"] = (_parse_bools(df["synthetic"], file, "synthetic") if "synthetic" in df.columns
                        else False)
    out.attrs["duplicates_dropped"] = int(dropped.sum())
    return out


def _check_structure(df: pd.DataFrame, file: str) -> None:
    """Duplicate column names (the CSV reader renames the second ``amount`` to ``amount.1``) and nested
    list/struct values are refused naming the column, never coerced to their string repr."""
    cols = [str(c) for c in df.columns]
    names = set(cols)
    for i, c in enumerate(cols):
        m = re.fullmatch(r"(.+)\.(\d+)", c)
        if cols.index(c) != i or (m and m.group(1) in names):
            name = m.group(1) if m and m.group(1) in names else c
            raise DataValidationError(file, f"column '{name}' appears more than once", column=name,
                                      expected="each column name once: rename or remove the extra column")
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_object_dtype(s) and len(s):
            try:
                t = pa.array(s.dropna(), from_pandas=True).type
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                continue
            if pa.types.is_nested(t):
                raise DataValidationError(file, f"nested values ({t}) in column '{c}'", column=str(c),
                                          expected="one plain value (text, number or date) per cell; flatten the "
                                                   "column before ingesting")


def validate_table(name: str, df: pd.DataFrame, file: str = "<data>", *, allow_returns: bool = False,
                   source_columns: list[str] | None = None, date_format: str | None = None) -> pd.DataFrame:
    """The canonical form of table ``name`` (``orders``, ``products``, ``customers``, ``reviews``).

    Raises ``DataValidationError`` for a missing required column, unparseable date, non-numeric amount,
    negative quantity (unless ``allow_returns``), rating outside 1–5, duplicate ids, missing customer ids.
    Reviews: exact duplicates (same reviewer, product, text and rating) are dropped, their count in
    ``result.attrs["duplicates_dropped"]``; rows sharing a ``review_id`` with different content are refused.
    ``source_columns``: the file's own column names, for the missing-column message when a mapping renamed some.
    """
    spec = table_spec(name)
    file = str(file)
    if len(df) == 0:
        raise DataValidationError(file, f"empty {name} table: no data rows", expected="at least one data row")
    df = _as_row_indexed(df)
    _check_structure(df, file)
    # name the columns as they are in the user's file (before --map), which is what they can see
    found = [str(c) for c in (source_columns if source_columns is not None else df.columns)]
    for col in spec.required:
        if col not in df.columns:
            raise _missing_column_error(file, spec, col, found)
    if name == "orders":
        out = _orders(df, file, allow_returns, date_format)
    elif name == "products":
        out = _products(df, file)
    elif name == "customers":
        out = _customers(df, file)
    else:
        out = _reviews(df, file, date_format)
    dropped = int(out.attrs.get("duplicates_dropped", 0))
    out = out.reset_index(drop=True)
    if name == "reviews":
        # exact duplicate reviews dropped (see _exact_duplicate_reviews); ingest reports the count
        out.attrs["duplicates_dropped"] = dropped
    return out


