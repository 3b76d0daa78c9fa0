"""Issue 18: exact duplicate reviews are dropped at ingest (counted in the summary); reviews sharing an id
with conflicting content are still refused, naming the rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from models.data.errors import DataValidationError
from models.data.ingest import ingest_files
from models.data.validate import validate_table
from models.data.workspace import Workspace

REVIEWS = ("review_id,product_id,customer_id,rating,text\n"
           "R1,P1,C1,5,Great strings\n"
           "R2,P1,C2,2,Broke in a week\n"
           "R1,P1,C1,5,Great strings\n"          # exact repeat of row 1 (a style variant in Amazon 2018)
           "R3,P2,C1,4,Fine cable\n"
           "R3,P2,C1,4,Fine cable\n")           # exact repeat of row 4


def test_exact_duplicates_dropped_and_counted(tmp_path):
    (tmp_path / "r.csv").write_text(REVIEWS)
    ws = Workspace(tmp_path / "ws")
    res = ingest_files(ws, reviews=tmp_path / "r.csv", progress=False)
    assert res["duplicates_dropped"] == {"reviews": 2}
    assert res["rows"]["reviews"] == 3
    assert ws.read_table("reviews")["review_id"].tolist() == ["R1", "R2", "R3"]
    json.dumps(res)  # the summary stays JSON


def test_no_duplicates_no_count(tmp_path):
    (tmp_path / "r.csv").write_text("review_id,product_id,rating,text\nR1,P1,5,a\nR2,P1,4,b\n")
    res = ingest_files(Workspace(tmp_path / "ws"), reviews=tmp_path / "r.csv", progress=False)
    assert "duplicates_dropped" not in res


def test_same_id_conflicting_content_refused_naming_rows():
    df = pd.DataFrame({"review_id": ["R1", "R2", "R1"], "product_id": ["P1", "P1", "P1"],
                       "customer_id": ["C1", "C2", "C1"], "rating": [5, 2, 1],
                       "text": ["Great strings", "Broke", "Great strings"]})
    with pytest.raises(DataValidationError) as e:
        validate_table("reviews", df, "r.csv")
    assert e.value.column == "review_id" and "duplicate" in e.value.problem
    assert 3 in e.value.rows  # the conflicting later row, numbered as in the file
    assert "1" in e.value.expected and "3" in e.value.expected  # both rows sharing the id are named


def test_without_customer_column_exact_rows_dropped():
    df = pd.DataFrame({"review_id": ["R1", "R1"], "product_id": ["P1", "P1"], "rating": [5, 5],
                       "text": ["same", "same"]})
    out = validate_table("reviews", df, "r.csv")
    assert len(out) == 1 and out.attrs["duplicates_dropped"] == 1


def test_amazon_file_with_repeated_reviews_ingests(tmp_path):
    row = {"reviewerID": "A1", "asin": "B1", "overall": 5.0, "reviewText": "Nice pick", "summary": "ok",
           "unixReviewTime": 1400000000}
    other = dict(row, reviewerID="A2", reviewText="Snapped", overall=1.0)
    path = tmp_path / "amz.json"
    path.write_text("\n".join(json.dumps(r) for r in (row, other, row)) + "\n")
    res = ingest_files(Workspace(tmp_path / "ws"), reviews=path, progress=False)
    assert res["duplicates_dropped"] == {"reviews": 1} and res["rows"]["reviews"] == 2


def test_amazon_2018_format_ingests(tmp_path):
    """The 2018 release's extra fields (style, vote as "1,204", image, verified), a review repeated across style
    variants, one with only a summary and one with neither text nor summary all load."""
    import gzip

    rows = [
        {"overall": 5.0, "verified": True, "reviewTime": "09 13, 2009", "reviewerID": "A1", "asin": "B001",
         "style": {"Size:": " Small"}, "reviewerName": "Ann", "reviewText": "Great strings, bright tone.",
         "summary": "Great", "unixReviewTime": 1252800000, "vote": "1,204"},
        {"overall": 5.0, "verified": True, "reviewTime": "09 13, 2009", "reviewerID": "A1", "asin": "B001",
         "style": {"Size:": " Large"}, "reviewerName": "Ann", "reviewText": "Great strings, bright tone.",
         "summary": "Great", "unixReviewTime": 1252800000},
        {"overall": 2.0, "verified": False, "reviewTime": "01 02, 2010", "reviewerID": "A2", "asin": "B001",
         "summary": "Broke fast", "unixReviewTime": 1262390400, "image": ["https://example.invalid/y.jpg"]},
        {"overall": 4.0, "verified": True, "reviewTime": "01 05, 2010", "reviewerID": "A3", "asin": "B002",
         "reviewText": "Solid stand.", "summary": "Good", "unixReviewTime": 1262649600},
        {"overall": 3.0, "verified": True, "reviewTime": "01 06, 2010", "reviewerID": "A4", "asin": "B002",
         "unixReviewTime": 1262736000},
    ]
    path = tmp_path / "Musical_Instruments.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    ws = Workspace(tmp_path / "ws")
    res = ingest_files(ws, reviews=path, progress=False)
    assert res["duplicates_dropped"] == {"reviews": 1}
    got = ws.read_table("reviews").set_index("customer_id")
    assert len(got) == 4 and got.loc["A2", "text"] == "Broke fast" and got.loc["A1", "rating"] == 5
