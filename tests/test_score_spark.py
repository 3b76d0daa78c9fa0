"""Batch scoring (`mka score`): Spark local[2] with applyInPandas gives the same scores as in-process pandas."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

from models.predictor.batch import output_columns, score_batch, write_scores
from models.predictor.scoring import load_predictor


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide Java 17 for the Spark tests (scripts/test installs default-jre-headless)")
        pytest.skip("Java is not installed: the Spark scoring test needs a JRE (apt install default-jre-headless)")
    pytest.importorskip("pyspark", reason="pyspark is in the test extra: pip install -e .[test]")
    from models.predictor.batch import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def test_local_scores_match_the_predictor(cj_trained_workspace):
    ws = cj_trained_workspace
    est = load_predictor(ws)
    orders, products = ws.read_table("orders"), ws.read_table("products")
    local = score_batch(orders, ws.artifact_path("predictor.pt"), products=products)
    assert list(local.columns) == output_columns(est.horizons_)
    assert list(local.columns)[:4] == ["customer_id", "p_buy_7d", "p_buy_14d", "p_buy_30d"]
    assert local["customer_id"].is_unique and local["customer_id"].is_monotonic_increasing
    assert len(local) == orders["customer_id"].nunique()
    feats = est.features(orders, est.as_of_, products)
    direct = est.predict(feats)
    got = local.set_index("customer_id")
    np.testing.assert_allclose(got.loc[direct.index.astype("string"), "p_buy_7d"].to_numpy(),
                               direct["p_buy_7"].to_numpy(),
                               atol=1e-12)
    assert (got["p_buy_30d"] >= got["p_buy_7d"] - 1e-9).mean() > 0.95


def test_spark_equals_local(spark, cj_trained_workspace, tmp_path):
    ws = cj_trained_workspace
    orders, products = ws.read_table("orders"), ws.read_table("products")
    ck = ws.artifact_path("predictor.pt")
    as_of = "2017-09-01"  # a past date: customers whose first order is later are not scored by either engine
    local = score_batch(orders, ck, as_of=as_of, products=products)
    on_spark = score_batch(orders, ck, as_of=as_of, products=products, engine="spark", master="local[2]",
                           n_buckets=7)
    assert list(on_spark.columns) == list(local.columns)
    assert on_spark["customer_id"].tolist() == local["customer_id"].tolist()
    assert len(local) < orders["customer_id"].nunique()
    for c in local.columns[1:]:
        np.testing.assert_allclose(on_spark[c].to_numpy(), local[c].to_numpy(), rtol=0, atol=1e-6, err_msg=c)

    # written from the executors as Parquet, and the same from a generic customer/date/amount CSV
    info = write_scores(orders, ck, tmp_path / "out", as_of=as_of, products=products, engine="spark",
                        master="local[2]")
    written = pd.read_parquet(tmp_path / "out").sort_values("customer_id").reset_index(drop=True)
    assert info["rows"] == len(local) == len(written)
    np.testing.assert_allclose(written["p_buy_14d"].to_numpy(), local["p_buy_14d"].to_numpy(), atol=1e-6)
    generic = orders[["customer_id", "timestamp", "amount"]]
    generic.to_csv(tmp_path / "generic.csv", index=False)
    g_local = score_batch(tmp_path / "generic.csv", ck, as_of=as_of)
    g_spark = score_batch(tmp_path / "generic.csv", ck, as_of=as_of, engine="spark", master="local[2]")
    assert g_spark["customer_id"].tolist() == g_local["customer_id"].tolist()
    np.testing.assert_allclose(g_spark["p_buy_7d"].to_numpy(), g_local["p_buy_7d"].to_numpy(), atol=1e-6)


def test_cli_score_local_and_spark(spark, cj_trained_workspace, tmp_path):
    import json

    from click.testing import CliRunner

    from assistant.cli import cli

    ws = cj_trained_workspace
    runner = CliRunner()
    outs = {}
    for engine in ("local", "spark"):
        args = ["score", "-w", str(ws.path), "--engine", engine, "--out", str(tmp_path / engine), "--json"]
        if engine == "spark":
            args += ["--master", "local[2]", "--buckets", "5"]
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, res.output
        info = json.loads(res.output)
        assert info["engine"] == engine and info["as_of"] == "2018-01-02"
        outs[engine] = pd.read_parquet(tmp_path / engine).sort_values("customer_id").reset_index(drop=True)
        assert info["rows"] == len(outs[engine]) == ws.read_table("orders")["customer_id"].nunique()
    assert outs["spark"]["customer_id"].tolist() == outs["local"]["customer_id"].tolist()
    np.testing.assert_allclose(outs["spark"]["expected_spend_30d"].to_numpy(),
                               outs["local"]["expected_spend_30d"].to_numpy(), atol=1e-6)
    # a user error is one clean message, exit 2
    res = runner.invoke(cli, ["score", "-w", str(tmp_path / "empty"), "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "no trained predictor" in res.output


@pytest.fixture(scope="module")
def cj_value_ws(cj_trained_workspace, tmp_path_factory):
    """A copy of cj_trained_workspace with the value model (no backtest) and the recommender fitted too."""
    from models.data.workspace import Workspace
    from models.recommend.workspace import fit_workspace as fit_recommend
    from models.value.workspace import fit_workspace as fit_value

    path = tmp_path_factory.mktemp("cj_value") / "ws"
    shutil.copytree(cj_trained_workspace.path, path)
    ws = Workspace(path)
    fit_value(ws, progress=False, backtest=False)
    fit_recommend(ws, progress=False, quick=True)
    return ws


def test_value_and_picks_on_spark_equal_local(spark, cj_value_ws, tmp_path):
    import json

    from click.testing import CliRunner

    from assistant.cli import cli
    from models.value.batch import value_spec
    from models.value.workspace import customer_values

    ws = cj_value_ws
    runner = CliRunner()
    outs, infos = {}, {}
    for engine in ("local", "spark"):
        args = ["score", "-w", str(ws.path), "--engine", engine, "--out", str(tmp_path / engine), "--json",
                "--picks", "3"]
        if engine == "spark":
            args += ["--master", "local[2]", "--buckets", "6"]
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, res.output
        infos[engine] = json.loads(res.output)
        outs[engine] = pd.read_parquet(tmp_path / engine).sort_values("customer_id").reset_index(drop=True)
    local, on_spark = outs["local"], outs["spark"]
    assert infos["local"]["columns"] == infos["spark"]["columns"] == list(local.columns) == list(on_spark.columns)
    assert list(local.columns)[-4:] == ["clv", "p_alive", "churn_risk_30d", "top_picks"]
    assert "BG/NBD" in infos["local"]["value"] and "next basket" in infos["local"]["picks"]
    assert "purchase predictor" in infos["local"]["churn_model"]
    assert on_spark["customer_id"].tolist() == local["customer_id"].tolist()
    for c in local.columns[1:-1]:
        np.testing.assert_allclose(on_spark[c].to_numpy(), local[c].to_numpy(), rtol=0, atol=1e-6, err_msg=c)
    assert on_spark["top_picks"].tolist() == local["top_picks"].tolist()
    # the same numbers as the value model's own table (as of the same date) and the recommender's saved top 3
    values, _ = customer_values(ws)
    got = local.set_index("customer_id")
    np.testing.assert_allclose(got.loc[values.index, "clv"].to_numpy(), values["clv"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(got["churn_risk_30d"].to_numpy(), 1 - got["p_buy_30d"].to_numpy(), atol=1e-12)
    recs = pd.read_parquet(ws.artifact_path("recommendations.parquet"))
    first = recs[recs["customer_id"] == local["customer_id"].iloc[0]].sort_values("rank")["product_id"].head(3)
    assert local["top_picks"].iloc[0] == " ".join(first.astype(str))
    # at an earlier date, on a generic customer/date/amount CSV: value columns agree across engines too
    ck, spec = ws.artifact_path("predictor.pt"), value_spec(ws.artifact_info("value"))
    generic = ws.read_table("orders")[["customer_id", "timestamp", "amount"]]
    generic.to_csv(tmp_path / "generic.csv", index=False)
    g_local = score_batch(tmp_path / "generic.csv", ck, as_of="2017-09-01", value=spec)
    g_spark = score_batch(tmp_path / "generic.csv", ck, as_of="2017-09-01", value=spec, engine="spark",
                          master="local[2]", n_buckets=4)
    assert g_spark["customer_id"].tolist() == g_local["customer_id"].tolist()
    for c in ("clv", "p_alive", "churn_risk_30d"):
        np.testing.assert_allclose(g_spark[c].to_numpy(), g_local[c].to_numpy(), rtol=0, atol=1e-6, err_msg=c)
    assert g_local["clv"].notna().all() and (g_local["p_alive"].between(0, 1)).all()


def test_uris_are_left_to_spark(tmp_path):
    from click.testing import CliRunner

    from assistant.cli import cli
    from models.predictor.batch import _location, is_uri

    assert is_uri("s3a://bucket/orders/") and is_uri("dbfs:/lake/orders") and is_uri("abfss://c@a.dfs.core/x")
    assert not is_uri("/tmp/orders.parquet") and not is_uri("orders.csv") and not is_uri("C:/data/orders.csv")
    assert _location("s3a://bucket/orders/") == "s3a://bucket/orders/"  # Path would fold the //
    res = CliRunner().invoke(cli, ["score", "-w", str(tmp_path), "--orders", "s3a://b/o", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "needs --engine spark" in res.output
    res = CliRunner().invoke(cli, ["score", "-w", str(tmp_path), "--orders", str(tmp_path / "nope.csv"),
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no such file" in res.output


def test_recommend_step_skips_a_generic_orders_file(tmp_path):
    """A customer/date/amount file gets an empty product_id column at ingest: `mka train`'s recommend step must
    skip (and say why) rather than crash, so the predictor and value model still serve `mka score`."""
    from models.data.workspace import Workspace
    from models.recommend.workspace import fit_workspace

    csv = tmp_path / "orders.csv"
    pd.DataFrame({"customer_id": ["a", "a", "b"], "timestamp": ["2020-01-01", "2020-02-01", "2020-01-15"],
                  "amount": [10.0, 12.5, 7.0]}).to_csv(csv, index=False)
    from models.data.ingest import ingest_files

    ws = Workspace(tmp_path / "ws")
    ingest_files(ws, orders=csv, progress=False)
    out = fit_workspace(ws, progress=False, quick=True)
    assert "skipped" in out and "product_id" in out["skipped"]
