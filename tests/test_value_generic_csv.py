"""Issue 13 "done when", through the CLI only: a generic customer/date/amount CSV (no products, no customers table)
is ingested; `mka backtest --target churn`, `mka churn` and `mka ask "which high-value customers are at risk of
churning?"` then list customers who are both valuable and overdue, with the definition, the numbers and the
backtest — checked against pandas on the same CSV."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from assistant.cli import cli

QUESTION = "which high-value customers are at risk of churning?"


def _write_csv(path) -> pd.DataFrame:
    """90 customers, each with a buying rhythm and basket size of their own; a third of them stopped buying."""
    rng = np.random.default_rng(7)
    rows, end = [], pd.Timestamp("2024-12-31")
    for c in range(90):
        gap = rng.uniform(5, 40)
        t = pd.Timestamp("2023-01-01") + pd.Timedelta(days=float(rng.uniform(0, 120)))
        stop = end - pd.Timedelta(days=float(rng.uniform(40, 200))) if c % 3 == 0 else end
        basket = rng.uniform(10, 150)
        while t < stop:
            rows.append({"customer": f"C{c:03d}", "date": t.date().isoformat(),
                         "amount": round(float(basket * rng.uniform(0.5, 1.5)), 2)})
            t += pd.Timedelta(days=float(rng.exponential(gap)) + 1)
    df = pd.DataFrame(rows)
    df.to_csv(path, index=False)
    return df


def _invoke(*args) -> str:
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout  # progress lines go to stderr


@pytest.fixture(scope="module")
def generic_ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("generic_csv")
    df = _write_csv(root / "orders.csv")
    ws = root / "ws"
    _invoke("ingest", "--orders", str(root / "orders.csv"), "--map", "customer_id=customer",
            "--map", "timestamp=date", "-w", str(ws))
    return ws, df


def _per_customer(df: pd.DataFrame, as_of) -> pd.DataFrame:
    """Per customer from the raw CSV (one order per row): days since the last purchase, mean gap, spend."""
    d = df.assign(date=pd.to_datetime(df["date"]))
    as_of = pd.Timestamp(as_of)
    assert d["date"].max() < as_of <= d["date"].max() + pd.Timedelta(days=1)
    g = d.groupby("customer").agg(first=("date", "min"), last=("date", "max"), n=("date", "size"),
                                  spend=("amount", "sum"))
    g["days_since_last"] = (as_of - g["last"]).dt.days
    g["mean_gap"] = (g["last"] - g["first"]).dt.days / (g["n"] - 1)
    return g


def test_churn_and_ask_list_valuable_overdue_customers_from_a_generic_csv(generic_ws):
    ws, df = generic_ws
    bt = json.loads(_invoke("backtest", "--target", "churn", "--quick", "--json", "-w", str(ws)))
    assert bt["default"] and len(bt["cutoffs"]) == 3

    # every customer's CLV, to check "valuable" against the top-20% threshold the list uses
    vdoc = json.loads(_invoke("value", "--top", "1000", "--json", "-w", str(ws)))
    raw = _per_customer(df, vdoc["as_of"])
    values = vdoc["customers"]
    clv = pd.Series({r["customer_id"]: r["clv"] for r in values})
    assert set(clv.index) == set(raw.index)
    threshold = clv.quantile(0.8)

    doc = json.loads(_invoke("churn", "--top", "50", "--json", "-w", str(ws)))
    rows = doc["customers"]
    assert rows, "nobody both valuable and overdue"
    assert doc["value_threshold"] == pytest.approx(threshold, rel=1e-4)
    assert doc["definitions"][0] == "churn risk = P(no purchase in the next 30 days)"
    assert any(d.startswith("overdue = days since the last purchase") for d in doc["definitions"])
    assert doc["churn_backtest"].startswith("Churn model: ") and "lift" in doc["churn_backtest"]
    # valuable and overdue, by pandas on the CSV itself
    overdue = raw["days_since_last"] / raw["mean_gap"]
    expected = {c for c in raw.index if clv[c] >= threshold and overdue[c] > 1}
    assert {r["customer_id"] for r in rows} == expected
    for r in rows:
        c = r["customer_id"]
        assert r["clv"] >= threshold
        assert r["days_since_last"] == pytest.approx(raw.loc[c, "days_since_last"])
        assert r["overdue_ratio"] == pytest.approx(overdue[c], rel=1e-3)
        assert r["last_purchase"] == raw.loc[c, "last"].date().isoformat()
    # the listed customers are the valuable ones in the raw data too: they spent more than the median customer
    listed = [r["customer_id"] for r in rows]
    assert raw.loc[listed, "spend"].median() > raw["spend"].median()

    # the same list through the assistant, with the definition, the numbers and the backtest
    ans = json.loads(_invoke("ask", QUESTION, "--json", "-w", str(ws)))
    text = ans["answer"]
    assert "at_risk_customers" in str(ans["tool_calls"])
    assert "churn risk = P(no purchase in the next 30 days)" in text
    assert "Backtest" in text and "lift" in text
    assert f"{len(rows)} of the {doc['n_high_value']} customers" in text
    shown = set(re.findall(r"^\| (C\d{3}) \|", text, flags=re.M))
    assert shown and shown <= expected
    first = rows[0]
    assert f"| {first['customer_id']} | ${first['clv']:,.2f} |" in text
