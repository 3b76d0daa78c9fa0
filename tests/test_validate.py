"""Every refusal names the file, the column, the first offending 1-based rows, the values found and what was
expected. Files are written to disk and read through the real loader, as a user's would be."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from models.data.errors import DataValidationError
from models.data.loaders import read_raw
from models.data.validate import validate_table


def _load(tmp_path, name, text, table="orders", **kw):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return validate_table(table, read_raw(p), str(p), **kw)


def _err(tmp_path, name, text, table="orders", **kw) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        _load(tmp_path, name, text, table, **kw)
    return info.value


def test_missing_required_column_lists_columns_and_suggests_map(tmp_path):
    e = _err(tmp_path, "o.csv", "customer_id,date,amount\nC1,2017-01-01,1\n")
    assert e.column == "timestamp"
    assert "o.csv" in str(e) and "columns found: customer_id, date, amount" in str(e)
    assert "--map timestamp=" in str(e)


def test_unparseable_date_names_rows_and_values(tmp_path):
    e = _err(tmp_path, "o.csv", "customer_id,timestamp,amount\nC1,2017-01-01,1\nC2,yesterday,2\nC3,2017-13-45,3\n")
    assert (e.column, e.rows, e.examples) == ("timestamp", [2, 3], ["yesterday", "2017-13-45"])
    assert "ISO date" in e.expected


def test_non_numeric_amount(tmp_path):
    e = _err(tmp_path, "o.csv", "customer_id,timestamp,amount\nC1,2017-01-01,1.5\nC2,2017-01-01,$2\nC3,2017-01-01,"
                                "two\n")
    assert (e.column, e.rows, e.examples) == ("amount", [3], ["two"])  # "$2" is a number with a currency sign
    assert "a number" in e.expected


def test_negative_quantity_needs_allow_returns(tmp_path):
    text = "customer_id,timestamp,amount,quantity\nC1,2017-01-01,5,1\nC1,2017-01-02,-5,-1\n"
    e = _err(tmp_path, "o.csv", text)
    assert (e.column, e.rows) == ("quantity", [2])
    assert "--allow-returns" in e.expected
    ok = _load(tmp_path, "o2.csv", text, allow_returns=True)
    assert ok["is_return"].tolist() == [False, True]
    assert ok["quantity"].tolist() == [1.0, -1.0]


def test_negative_amounts_are_kept_and_flagged_without_allow_returns(tmp_path):
    out = _load(tmp_path, "o.csv", "customer_id,timestamp,amount\nC1,2017-01-01,5\nC1,2017-01-02,-5\n")
    assert len(out) == 2 and out["is_return"].tolist() == [False, True]


def test_rating_outside_1_to_5(tmp_path):
    e = _err(tmp_path, "r.csv", "review_id,product_id,rating,text\nR1,P1,5,good\nR2,P1,0,bad\nR3,P1,6,wow\n",
             table="reviews")
    assert (e.column, e.rows, e.examples) == ("rating", [2, 3], ["0.0", "6.0"])
    assert "1 to 5" in e.expected


@pytest.mark.parametrize("table, text, column", [
    ("products", "product_id,name\nP1,a\nP2,b\nP1,c\n", "product_id"),
    ("customers", "customer_id,age\n1,30\n1,31\n", "customer_id"),
    ("reviews", "review_id,product_id,rating,text\nR1,P1,5,a\nR2,P1,4,b\nR1,P2,3,c\n", "review_id"),
])
def test_duplicate_ids(tmp_path, table, text, column):
    e = _err(tmp_path, f"{table}.csv", text, table=table)
    assert e.column == column and "duplicate" in e.problem
    assert e.rows == [len(text.strip().splitlines()) - 1]  # the repeat, counted as a data row


def test_missing_customer_ids(tmp_path):
    e = _err(tmp_path, "o.csv", "customer_id,timestamp,amount\nC1,2017-01-01,1\n,2017-01-01,2\n  ,2017-01-02,3\n")
    assert (e.column, e.rows) == ("customer_id", [2, 3])
    assert "missing customer id" in e.problem


@pytest.mark.parametrize("name, content, problem", [
    ("o.csv", b"", "empty file"),
    ("o.csv", b"customer_id,timestamp,amount\n", "no data rows"),
    ("o.csv", b"\n\n  \n", "empty file"),
    ("o.jsonl", b"", "empty file"),
    ("o.csv.gz", gzip.compress(b""), "empty file"),
])
def test_empty_files(tmp_path, name, content, problem):
    e = _err(tmp_path, name, content)
    assert problem in str(e) and name in str(e)


def test_parquet_extension_with_csv_inside(tmp_path):
    e = _err(tmp_path, "o.parquet", "customer_id,timestamp,amount\nC1,2017-01-01,1\n")
    assert "not a Parquet file" in e.problem and "CSV" in e.problem


def test_gz_that_is_not_gzip(tmp_path):
    e = _err(tmp_path, "o.csv.gz", "customer_id,timestamp,amount\nC1,2017-01-01,1\n")
    assert "not gzip-compressed" in e.problem


def test_csv_extension_with_parquet_or_gzip_inside(tmp_path):
    buf = tmp_path / "real.parquet"
    pd.DataFrame({"customer_id": ["a"], "timestamp": ["2017-01-01"], "amount": [1.0]}).to_parquet(buf)
    e = _err(tmp_path, "o.csv", buf.read_bytes())
    assert "Parquet" in e.problem
    e = _err(tmp_path, "o2.csv", gzip.compress(b"customer_id,timestamp,amount\nC1,2017-01-01,1\n"))
    assert "gzip" in e.problem


def test_truncated_gzip(tmp_path):
    data = gzip.compress(b"customer_id,timestamp,amount\n" + b"C1,2017-01-01,1\n" * 1000)
    e = _err(tmp_path, "o.csv.gz", data[: len(data) // 2])
    assert "damaged or truncated" in e.problem


def test_wrong_encoding_names_row_and_byte(tmp_path):
    text = "customer_id,city\nC1,Berlin\nC2,Münster\n".encode("latin-1")
    e = _err(tmp_path, "c.csv", text, table="customers")
    assert "not UTF-8" in e.problem and e.rows == [2]
    bad_byte = text.index("ü".encode("latin-1"))
    assert f"byte {bad_byte}" in e.problem
    assert "--encoding" in e.expected
    utf16 = "customer_id\nC1\n".encode("utf-16")
    assert "UTF-16" in _err(tmp_path, "c16.csv", utf16, table="customers").problem


def test_malformed_json_line_is_named(tmp_path):
    e = _err(tmp_path, "o.jsonl", '{"customer_id": "a", "timestamp": "2017-01-01", "amount": 1}\n{"customer_id": \n')
    assert e.rows == [2] and "invalid JSON" in e.problem


def test_ragged_csv(tmp_path):
    e = _err(tmp_path, "o.csv", "customer_id,timestamp,amount\nC1,2017-01-01,1\nC2,2017-01-01,2,extra\n")
    assert "malformed CSV" in e.problem


def test_message_reads_as_one_actionable_line(tmp_path):
    e = _err(tmp_path, "o.csv", "customer_id,timestamp,amount\nC1,2017-01-01,x\n")
    msg = str(e)
    assert msg.startswith(str(tmp_path / "o.csv"))
    for part in ("column 'amount'", "row 1", "found 'x'", "expected a number"):
        assert part in msg
    assert e.to_dict()["rows"] == [1]


def test_discounts_stored_negative_become_positive(tmp_path):
    out = _load(tmp_path, "o.csv", "customer_id,timestamp,amount,discount\nC1,2017-01-01,1,-0.5\nC1,2017-01-01,1,0\n")
    assert out["discount"].tolist() == [0.5, 0.0]
    e = _err(tmp_path, "o2.csv", "customer_id,timestamp,amount,discount\nC1,2017-01-01,1,-0.5\nC1,2017-01-01,1,2\n")
    assert e.column == "discount" and e.rows == [1]
