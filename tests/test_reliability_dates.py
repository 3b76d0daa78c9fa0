"""Issue 17 #2 and #5: day/month order is decided once per column (never per row); a column ambiguous
throughout is refused with the --date-format hint, or read by it; dates past 2262 or before 1900 (9999-12-31)
are refused naming the rows instead of crashing with OutOfBoundsDatetime."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from assistant.commands.data import ingest_cmd
from models.data.errors import DataValidationError
from models.data.validate import validate_table


def _orders(dates):
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(dates))], "timestamp": dates,
                         "amount": [1.0] * len(dates)})


def _ts(dates, **kw):
    return validate_table("orders", _orders(dates), "o.csv", **kw)["timestamp"].dt.strftime("%Y-%m-%d").tolist()


def test_one_day_first_value_settles_the_whole_column():
    # was: 05/01/2018 -> May 1 while 13/01/2018 -> Jan 13 in the same file
    assert _ts(["05/01/2018", "13/01/2018", "07/02/2019"]) == ["2018-01-05", "2018-01-13",
                                                                                   "2019-02-07"]


def test_one_month_first_value_settles_the_whole_column():
    assert _ts(["05/01/2018", "01/13/2018 14:05", "2/3/2020"]) == ["2018-05-01", "2018-01-13", "2020-02-03"]


def test_ambiguous_throughout_is_refused_with_the_flag_or_read_by_it():
    with pytest.raises(DataValidationError, match=r"add --date-format %d/%m/%Y"):
        _ts(["05/01/2018", "06/02/2018"])
    assert _ts(["05/01/2018", "06/02/2018"], date_format="%d/%m/%Y") == ["2018-01-05", "2018-02-06"]
    assert _ts(["05/01/2018", "06/02/2018"], date_format="%m/%d/%Y") == ["2018-05-01", "2018-06-02"]
    with pytest.raises(DataValidationError, match="row 2"):
        _ts(["05/01/2018", "2018-02-06"], date_format="%d/%m/%Y")


def test_contradicting_orders_in_one_column_are_refused():
    with pytest.raises(DataValidationError, match="day/month order differs"):
        _ts(["13/01/2018", "01/13/2018"])


@pytest.mark.parametrize("dates,row", [(["2020-01-01", "9999-12-31"], 2), (["1850-01-01", "2020-01-01"], 1),
                                       (["31/12/9999", "13/01/2018"], 1), (["2020-01-01 10:00", "9999-12-31"], 2)])
def test_out_of_range_dates_name_the_rows(dates, row):
    with pytest.raises(DataValidationError, match="date out of range") as info:
        _ts(dates)
    assert info.value.rows == [row]


def test_cli_ingest_date_format_flag(tmp_path):
    path = tmp_path / "o.csv"
    _orders(["05/01/2018", "06/02/2018"]).to_csv(path, index=False)
    ws = tmp_path / "ws"
    runner = CliRunner()
    refused = runner.invoke(ingest_cmd, ["--orders", str(path), "-w", str(ws), "--json"])
    assert refused.exit_code == 2 and "--date-format %d/%m/%Y" in refused.output
    ok = runner.invoke(ingest_cmd, ["--orders", str(path), "-w", str(ws), "--json", "--date-format", "%d/%m/%Y"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["status"] == {"orders": "added"}
    assert pd.read_parquet(next((ws / "data").glob("orders-*.parquet")))["timestamp"].dt.month.tolist() == [1, 2]
