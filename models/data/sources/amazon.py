"""Adapter: Amazon review JSON lines (McAuley 2014 format) → canonical ``reviews`` and ``products``.

Fields: reviewerID, asin, reviewerName, helpful, reviewText, overall, summary, unixReviewTime, reviewTime.
The files carry no product names, so products are named "Product <asin>".
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from models.data.errors import DataValidationError
from models.data.loaders import read_raw
from models.data.validate import validate_table

__all__ = ["AMAZON_FIELDS", "is_amazon_reviews", "amazon_to_canonical", "load_amazon_reviews"]

AMAZON_FIELDS = ("reviewerID", "asin", "overall", "reviewText")


def is_amazon_reviews(df: pd.DataFrame) -> bool:
    """True when a raw frame has the Amazon review fields (so ``mka ingest --reviews`` can adapt it)."""
    return all(c in df.columns for c in AMAZON_FIELDS)


def _review_id(asin: str, reviewer: str, when: str) -> str:
    # stable across runs and row order: the same review always gets the same id
    digest = hashlib.sha1(f"{asin}|{reviewer}|{when}".encode()).hexdigest()[:12]
    return f"AMZ-{digest}"


def amazon_to_canonical(raw: pd.DataFrame, file: str = "<amazon>", category: str = "Musical Instruments") -> dict[
        str, pd.DataFrame]:
    """``{"reviews": ..., "products": ...}`` from a raw Amazon frame (validated like any review file)."""
    missing = [c for c in AMAZON_FIELDS if c not in raw.columns]
    if missing:
        raise DataValidationError(file, f"not an Amazon review file: missing field '{missing[0]}'",
                                  column=missing[0], expected="fields " + ", ".join(AMAZON_FIELDS))
    when = raw["unixReviewTime"] if "unixReviewTime" in raw.columns else raw.get("reviewTime")
    asin = raw["asin"].astype("string").str.strip()
    reviewer = raw["reviewerID"].astype("string").str.strip()
    when_text = when.astype("string").fillna("") if when is not None else pd.Series("", index=raw.index)
    ids = [_review_id(a, r, w) for a, r, w in zip(asin.fillna(""), reviewer.fillna(""), when_text)]
    text = raw["reviewText"].astype("string")
    summary = raw["summary"].astype("string") if "summary" in raw.columns else pd.Series(pd.NA, index=raw.index,
                                                                                         dtype="string")
    # a handful of Amazon reviews have only a summary; the summary is then the text
    text = text.where(text.fillna("").str.strip() != "", summary)
    frame = pd.DataFrame({
        "review_id": ids,
        "product_id": asin,
        "customer_id": reviewer,
        "rating": raw["overall"],
        "title": summary,
        "text": text,
        "timestamp": when if when is not None else pd.NaT,
        "synthetic": False,
    }, index=raw.index)
    reviews = validate_table("reviews", frame, file)
    pids = pd.Series(pd.unique(reviews["product_id"].dropna()), dtype="string").sort_values(ignore_index=True)
    products = pd.DataFrame({
        "product_id": pids,
        "name": ("Product " + pids).astype("string"),
        "category": pd.Series(category, index=pids.index, dtype="string"),
    })
    return {"reviews": reviews, "products": validate_table("products", products, file)}


def load_amazon_reviews(path: str | Path, category: str = "Musical Instruments") -> dict[str, pd.DataFrame]:
    """Read an Amazon review file (.json / .json.gz lines) into canonical reviews and products."""
    raw = read_raw(path)
    return amazon_to_canonical(raw, str(path), category=category)
