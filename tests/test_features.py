"""Features are pure and leak-free; labels mark a purchase in [cutoff, cutoff + h)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.features import (
    STATIC_FEATURES,
    features_at,
    features_from_prepared,
    labels_at,
    labels_from_prepared,
    prepare_orders,
    week_columns,
)

CUTOFF = pd.Timestamp("2017-07-01")


@pytest.fixture(scope="module")
def orders(cj_small):
    return cj_small["orders"]


@pytest.fixture(scope="module")
def products(cj_small):
    return cj_small["products"]


def test_contract_columns_and_index(orders, products):
    f = features_at(orders, CUTOFF, products)
    required = ["recency_days", "frequency", "monetary", "tenure_days", "avg_basket", "gap_mean_days",
                "gap_std_days", "orders_last_7d", "orders_last_30d", "orders_last_90d", "spend_last_30d",
                "spend_last_90d", "return_share", "discount_share", "coupon_share"]
    assert set(required) <= set(f.columns)
    assert list(f.columns[-26:]) == week_columns(26)
    assert any(c.startswith("cat_share__") for c in f.columns)
    assert f.index.name == "customer_id" and str(f.index.dtype) == "string"
    before = orders[orders["timestamp"] < CUTOFF]
    assert set(f.index) == set(before["customer_id"].unique())
    assert np.isfinite(f.to_numpy()).all()


def test_features_match_a_direct_count(orders):
    f = features_at(orders, CUTOFF)
    cid = f.index[0]
    mine = orders[(orders["customer_id"] == cid) & (orders["timestamp"] < CUTOFF)]
    assert f.loc[cid, "frequency"] == mine["order_id"].nunique()
    assert f.loc[cid, "monetary"] == pytest.approx(mine["amount"].sum())
    last = mine["timestamp"].max()
    assert f.loc[cid, "recency_days"] == pytest.approx((CUTOFF - last) / pd.Timedelta(days=1))
    last7 = mine[mine["timestamp"] >= CUTOFF - pd.Timedelta(days=7)]["order_id"].nunique()
    assert f.loc[cid, "week_00"] == last7
    # the weekly sequence counts every order in the window exactly once
    window = mine[mine["timestamp"] >= CUTOFF - pd.Timedelta(days=7 * 26)]
    assert f.loc[cid, week_columns(26)].sum() == window["order_id"].nunique()


def test_events_on_or_after_cutoff_change_no_feature(orders, products):
    base = features_at(orders, CUTOFF, products)
    after = orders["timestamp"] >= CUTOFF
    changed = orders.copy()
    # change everything on or after the cutoff: amounts, discounts, timestamps, and add new lines,
    # including a line exactly at the cutoff and a brand-new customer
    changed.loc[after, "amount"] = changed.loc[after, "amount"] * 10 + 5
    changed.loc[after, "coupon_discount"] = 3.0
    changed.loc[after, "timestamp"] = changed.loc[after, "timestamp"] + pd.Timedelta(days=2)
    extra = orders[~after].head(50).copy()
    extra["timestamp"] = CUTOFF
    extra["order_id"] = extra["order_id"] + "x"
    newcomer = extra.head(3).copy()
    newcomer["customer_id"] = pd.array(["new-customer"] * 3, dtype="string")
    changed = pd.concat([changed, extra, newcomer], ignore_index=True)
    again = features_at(changed, CUTOFF, products)
    pd.testing.assert_frame_equal(base, again)
    # and a change before the cutoff does show up (the test can fail)
    moved = orders.copy()
    moved.loc[~after, "amount"] = moved.loc[~after, "amount"] + 1
    assert not features_at(moved, CUTOFF, products)["monetary"].equals(base["monetary"])


def test_prepared_path_equals_features_at(orders, products):
    cats = [c[len("cat_share__"):] for c in features_at(orders, CUTOFF, products).columns if c.startswith("cat_share__")]
    prep = prepare_orders(orders, products, categories=cats)
    for cutoff in ["2017-03-15", CUTOFF, "2017-11-20 13:00"]:
        direct = features_at(orders, cutoff, products, categories=cats)
        pd.testing.assert_frame_equal(features_from_prepared(prep, cutoff), direct)


def test_labels_window_is_half_open(orders):
    lab = labels_at(orders, CUTOFF, 7)
    in_window = orders[(orders["timestamp"] >= CUTOFF) & (orders["timestamp"] < CUTOFF + pd.Timedelta(days=7))]
    assert set(lab[lab == 1].index) == set(in_window["customer_id"].unique())
    assert set(lab.index) == set(orders["customer_id"].unique())
    prep = prepare_orders(orders)
    pd.testing.assert_series_equal(labels_from_prepared(prep, CUTOFF, 7), lab)
    # a purchase exactly at cutoff + h belongs to the next window
    cid = lab[lab == 0].index[0]
    row = orders.head(1).copy()
    row["customer_id"] = pd.array([cid], dtype="string")
    row["timestamp"] = CUTOFF + pd.Timedelta(days=7)
    assert labels_at(pd.concat([orders, row]), CUTOFF, 7)[cid] == 0
    row["timestamp"] = CUTOFF
    assert labels_at(pd.concat([orders, row]), CUTOFF, 7)[cid] == 1


def test_generic_customer_date_amount_only():
    orders = pd.DataFrame({
        "customer_id": pd.array(["a", "a", "a", "b", "b"], dtype="string"),
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-03", "2024-02-01"]),
        "amount": [10.0, 5.0, -2.0, 7.0, 100.0],
    })
    f = features_at(orders, "2024-01-15")
    assert list(f.index) == ["a", "b"]
    assert f.loc["a", "frequency"] == 2  # two timestamps = two orders
    assert f.loc["a", "monetary"] == pytest.approx(13.0)
    assert f.loc["a", "return_share"] == pytest.approx(2 / 15)
    assert f.loc["a", "gap_mean_days"] == pytest.approx(7.0)
    assert f.loc["b", "gap_mean_days"] == pytest.approx(12.0)  # one order: time since it
    assert f.loc["a", "discount_share"] == 0 and f.loc["a", "coupon_share"] == 0
    assert set(STATIC_FEATURES) <= set(f.columns) and not any(c.startswith("cat_share") for c in f.columns)
    assert len(features_at(orders, "2023-12-01")) == 0


def test_default_as_of_is_the_day_after_the_last_event():
    from models.features import default_as_of

    ts = pd.Series(pd.to_datetime(["2017-03-01 08:00:00", "2017-03-04 23:59:59", "2017-02-01 00:00:00"]))
    want = pd.Timestamp("2017-03-05")
    assert default_as_of(ts) == want
    assert default_as_of(pd.DataFrame({"timestamp": ts})) == want
    assert default_as_of(ts.max()) == want
    assert default_as_of(pd.Timestamp("2017-03-05")) == pd.Timestamp("2017-03-06")  # midnight is in the data
