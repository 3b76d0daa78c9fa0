"""Loaders: every supported format, chosen by extension, read to the same raw rows; mapping and dates."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from models.data.errors import DataValidationError
from models.data.loaders import apply_mapping, file_format, parse_mapping, read_raw
from models.data.validate import validate_table

ROWS = [
    {"customer_id": "C1", "timestamp": "2017-01-03", "amount": "12.50", "product_id": "0042"},
    {"customer_id": "C2", "timestamp": "2017-01-04 10:30:00", "amount": "3", "product_id": "0043"},
    {"customer_id": "C1", "timestamp": "2017-02-01", "amount": "7.25", "product_id": "0042"},
]


def _csv_text(rows, sep=","):
    cols = list(rows[0])
    return "\n".join([sep.join(cols)] + [sep.join(str(r[c]) for c in cols) for r in rows]) + "\n"


def _write(path, rows):
    name = path.name
    if name.endswith((".csv", ".tsv")):
        path.write_text(_csv_text(rows, "\t" if name.endswith(".tsv") else ","), "utf-8")
    elif name.endswith((".csv.gz", ".tsv.gz")):
        path.write_bytes(gzip.compress(_csv_text(rows, "\t" if ".tsv" in name else ",").encode()))
    elif name.endswith(".parquet"):
        pd.DataFrame(rows).to_parquet(path, index=False)
    elif name.endswith((".jsonl", ".ndjson")):
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    elif name.endswith((".jsonl.gz", ".json.gz")):
        path.write_bytes(gzip.compress(("\n".join(json.dumps(r) for r in rows) + "\n").encode()))
    elif name.endswith(".json"):
        path.write_text(json.dumps(rows), "utf-8")
    return path


@pytest.mark.parametrize("name", ["o.csv", "o.tsv", "o.csv.gz", "o.parquet", "o.jsonl", "o.ndjson", "o.jsonl.gz",
                                  "o.json.gz", "o.json"])
def test_every_format_loads_the_same_canonical_orders(tmp_path, name):
    raw = read_raw(_write(tmp_path / name, ROWS))
    assert list(raw.index) == [1, 2, 3]  # 1-based data rows
    orders = validate_table("orders", raw, name)
    assert orders["customer_id"].tolist() == ["C1", "C2", "C1"]
    assert orders["product_id"].tolist() == ["0042", "0043", "0042"]  # leading zeros survive every format
    assert orders["amount"].tolist() == [12.5, 3.0, 7.25]
    assert orders["timestamp"].tolist() == [pd.Timestamp("2017-01-03"), pd.Timestamp("2017-01-04 10:30"),
                                            pd.Timestamp("2017-02-01")]
    assert str(orders["timestamp"].dtype) == "datetime64[ns]"
    assert orders["customer_id"].dtype == "string"


def test_file_format_by_extension():
    assert file_format("a/b.CSV") == ("csv", False)
    assert file_format("x.csv.gz") == ("csv", True)
    assert file_format("x.json.gz") == ("json", True)
    assert file_format("x.parquet") == ("parquet", False)
    with pytest.raises(DataValidationError, match="unsupported file type"):
        file_format("x.xlsx")


def test_semicolon_bom_and_trailing_blank_lines(tmp_path):
    p = tmp_path / "excel.csv"
    p.write_bytes("\ufeffcustomer_id;timestamp;amount\nC1;2017-01-03;1.5\n\n\n".encode("utf-8"))
    raw = read_raw(p)
    assert list(raw.columns) == ["customer_id", "timestamp", "amount"]  # BOM not glued to the first name
    assert len(raw) == 1


def test_explicit_encoding_is_converted(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes("customer_id,city\nC1,Münster\n".encode("latin-1"))
    raw = read_raw(p, encoding="latin-1")
    assert raw.loc[1, "city"] == "Münster"


def test_three_column_orders_get_order_ids_and_quantity(tmp_path):
    p = tmp_path / "three.csv"
    p.write_text("cust,date,value\nC1,2017-01-03,12.5\nC1,2017-01-03,1\nC2,2017-01-04,-3\n")
    raw = read_raw(p)
    df, used = apply_mapping(raw, parse_mapping(["customer_id=cust", "timestamp=date", "amount=value"]), "orders",
                             ["customer_id", "timestamp", "amount"])
    assert used == {"customer_id", "timestamp", "amount"}
    orders = validate_table("orders", df, "three.csv")
    # one order per customer per timestamp
    assert orders["order_id"].nunique() == 2
    assert orders.loc[0, "order_id"] == orders.loc[1, "order_id"] != orders.loc[2, "order_id"]
    assert orders["quantity"].tolist() == [1.0, 1.0, 1.0]
    # a negative amount is a refund: kept and flagged
    assert orders["is_return"].tolist() == [False, False, True]
    assert orders["amount"].tolist() == [12.5, 1.0, -3.0]


def test_mapping_table_qualified_and_case_insensitive(tmp_path):
    raw = pd.DataFrame({"Customer ID": ["C1"], "when": ["2017-01-01"], "value": ["1"]}, index=[1])
    df, used = apply_mapping(raw, {"orders.timestamp": "when", "products.name": "value", "amount": "value"},
                             "orders", ["customer_id", "timestamp", "amount"])
    assert set(df.columns) == {"customer_id", "timestamp", "amount"}
    assert used == {"orders.timestamp", "amount"}


@pytest.mark.parametrize("bad", ["amount", "amount=", "=x"])
def test_parse_mapping_rejects_malformed(bad):
    with pytest.raises(ValueError, match="canonical=source"):
        parse_mapping([bad])


@pytest.mark.parametrize("values, expected", [
    (["2017-06-30", "2017-07-01"], ["2017-06-30", "2017-07-01"]),
    (["2017-06-30 14:05:00", "2017-06-30T15:00:00"], ["2017-06-30 14:05:00", "2017-06-30 15:00:00"]),
    (["1498831500", "1498917900"], ["2017-06-30 14:05:00", "2017-07-01 14:05:00"]),
    (["02 28, 2014", "Jun 30 2017"], ["2014-02-28", "2017-06-30"]),
])
def test_date_parsing(values, expected):
    raw = pd.DataFrame({"customer_id": ["a", "b"], "timestamp": values, "amount": ["1", "2"]}, index=[1, 2])
    out = validate_table("orders", raw, "f.csv")
    assert out["timestamp"].tolist() == [pd.Timestamp(e) for e in expected]


def test_unix_seconds_as_numbers_and_parquet_datetimes(tmp_path):
    p = tmp_path / "o.parquet"
    pd.DataFrame({"customer_id": [1, 2], "timestamp": pd.to_datetime(["2017-01-01", "2017-01-02"]).tz_localize(
        "Europe/Berlin"), "amount": [1.0, 2.0]}).to_parquet(p)
    out = validate_table("orders", read_raw(p), "o.parquet")
    assert out["customer_id"].tolist() == ["1", "2"]  # integer ids become text
    assert out["timestamp"].tolist() == [pd.Timestamp("2017-01-01"), pd.Timestamp("2017-01-02")]  # local time kept
    raw = pd.DataFrame({"customer_id": ["a"], "timestamp": [1498831500], "amount": [1]}, index=[1])
    assert validate_table("orders", raw)["timestamp"].iloc[0] == pd.Timestamp("2017-06-30 14:05:00")


def test_customer_attributes_are_kept(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("customer_id,age,income,loyalty tier\n1,35-44,50-74K,gold\n2,,,silver\n")
    out = validate_table("customers", read_raw(p), "c.csv")
    assert list(out.columns) == ["customer_id", "age", "income", "loyalty tier"]
    assert out["loyalty tier"].tolist() == ["gold", "silver"]
    assert out["age"].isna().tolist() == [False, True]


def test_common_column_names_are_read_and_reported(tmp_path):
    from models.data.ingest import ingest_files
    from models.data.workspace import Workspace

    p = tmp_path / "orders.csv"
    p.write_text("Customer,Order Date,sales_value,SKU\nc1,2024-01-02,10.50,p1\nc2,2024-01-03,4.00,p2\n")
    res = ingest_files(Workspace(tmp_path / "ws"), orders=p, progress=False)
    assert res["auto_mapped"] == {"orders": {"Customer": "customer_id", "Order Date": "timestamp",
                                             "sales_value": "amount", "SKU": "product_id"}}
    o = Workspace(tmp_path / "ws").read_table("orders")
    assert list(o["customer_id"]) == ["c1", "c2"] and o["amount"].sum() == 14.5
    # a bad value is named by the user's own column
    bad = tmp_path / "bad.csv"
    bad.write_text("customer,date,amount\nc1,not a date,1\n")
    with pytest.raises(DataValidationError) as exc:
        ingest_files(Workspace(tmp_path / "ws2"), orders=bad, progress=False)
    assert "column 'date'" in str(exc.value) and exc.value.rows == [1]  # data rows count from 1
    # two candidates for one column: no guess, the error asks for --map
    two = tmp_path / "two.csv"
    two.write_text("customer,client,date,amount\nc1,k1,2024-01-02,1\n")
    with pytest.raises(DataValidationError, match="--map customer_id="):
        ingest_files(Workspace(tmp_path / "ws3"), orders=two, progress=False)
    # a canonical column present wins over a common name
    both = tmp_path / "both.csv"
    both.write_text("customer_id,customer,timestamp,amount\nc1,x,2024-01-02,1\n")
    res = ingest_files(Workspace(tmp_path / "ws4"), orders=both, progress=False)
    assert "auto_mapped" not in res
