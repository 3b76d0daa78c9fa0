"""Issue 17 #8: nested/list columns and duplicate column names are refused naming the column."""

from __future__ import annotations

import pandas as pd
import pytest

from models.data.errors import DataValidationError
from models.data.loaders import read_raw
from models.data.validate import validate_table


def test_duplicate_amount_column_in_a_csv_is_refused(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("customer_id,timestamp,amount,amount\na,2020-01-01,1,2\n")
    with pytest.raises(DataValidationError, match="column 'amount' appears more than once"):
        validate_table("orders", read_raw(path), str(path))


def test_nested_ids_and_list_text_are_refused():
    df = pd.DataFrame({"customer_id": [["a"], ["b"]], "timestamp": ["2020-01-01"] * 2, "amount": [1.0, 2.0]})
    with pytest.raises(DataValidationError, match="nested values .* column 'customer_id'"):
        validate_table("orders", df)
    prods = pd.DataFrame({"product_id": ["p1", "p2"], "name": [{"x": 1}, {"x": 2}]})
    with pytest.raises(DataValidationError, match="column 'name'"):
        validate_table("products", prods)
