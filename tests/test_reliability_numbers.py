"""Issue 17 #3: inf / -inf / 1e400 amounts and prices are refused with the rows named; CLI JSON never has NaN."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from assistant.commands.common import dumps_json
from models.data.errors import DataValidationError
from models.data.ingest import ingest_files
from models.data.validate import validate_table
from models.data.workspace import Workspace


def _orders(amounts):
    n = len(amounts)
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                         "timestamp": ["2021-01-0%d" % (1 + i % 9) for i in range(n)], "amount": amounts})


@pytest.mark.parametrize("bad", ["inf", "-inf", "1e400", "Infinity", "1e300"])
def test_infinite_or_overflowing_amount_text_is_refused_naming_rows(bad):
    with pytest.raises(DataValidationError, match="infinite or overflowing") as info:
        validate_table("orders", _orders(["1.5", bad, "2", bad]), "o.csv")
    assert info.value.rows == [2, 4] and info.value.column == "amount"


def test_infinite_numeric_amount_and_price_are_refused():
    with pytest.raises(DataValidationError, match="row 3"):
        validate_table("orders", _orders([1.0, 2.0, np.inf]), "o.parquet")
    with pytest.raises(DataValidationError, match="column 'price'"):
        validate_table("products", pd.DataFrame({"product_id": ["a", "b"], "price": [1.0, -np.inf]}), "p.csv")


def test_csv_with_1e400_leaves_workspace_untouched(tmp_path):
    path = tmp_path / "o.csv"
    _orders(["1", "1e400"]).to_csv(path, index=False)
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(DataValidationError, match="row 2"):
        ingest_files(ws, orders=path, progress=False)
    assert not ws.path.exists()


def test_nan_and_inf_never_reach_json_output():
    doc = {"revenue": float("nan"), "x": np.float64("inf"), "rows": [np.float32("nan"), 1.5, pd.NA, pd.NaT],
           "ok": np.float64(2.0)}
    text = dumps_json(doc)
    assert "NaN" not in text and "Infinity" not in text
    back = json.loads(text)
    assert back == {"revenue": None, "x": None, "rows": [None, 1.5, None, None], "ok": 2.0}
    assert not any(isinstance(v, float) and math.isnan(v) for v in back["rows"] if v is not None)
