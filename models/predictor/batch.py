"""Batch scoring of every customer as of a date, in-process (pandas) or on Spark, with the same code.

``score_part`` is the one scoring function: the pure leak-free ``features_at`` (through the estimator) and
the predictor's ``predict`` on a set of customers' orders. Features of one customer depend only on that
customer's orders (category columns and scaling come from the checkpoint), so customers can be split into
hash buckets and scored bucket by bucket: ``engine="spark"`` does exactly that with ``applyInPandas``, the
checkpoint bytes (and the small products table) broadcast to the executors; ``engine="local"`` runs
``score_part`` once on all orders. Both give one row per customer with an order before ``as_of``:
``customer_id``, then ``p_buy_<h>d``, ``expected_orders_<h>d``, ``expected_spend_<h>d`` per trained horizon.

Optional, when those models are fitted: ``value`` (a models.value.batch spec: the fitted BG/NBD + Gamma-Gamma
parameters) adds ``clv``, ``p_alive`` and ``churn_risk_30d``, computed in the same per-bucket call (a customer's
value depends only on their own orders); ``picks`` (the recommender's saved rows customer_id, rank, product_id,
as a frame or a Parquet path) adds ``top_picks``, the customer's first ``n_picks`` product ids in rank order,
joined by customer_id (in Spark on Spark). Both engines give the same columns.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from models.data.artifacts import load_torch, read_artifact
from models.predictor.estimator import PurchasePredictor

__all__ = ["ENGINES", "score_part", "score_batch", "write_scores", "output_columns", "checkpoint_bytes",
           "predictor_from_bytes", "spark_session", "top_picks", "is_uri", "DEFAULT_PICKS"]

ENGINES = ("local", "spark")
DEFAULT_BUCKETS = 64
DEFAULT_PICKS = 5
_WORKER_MODELS: dict[str, PurchasePredictor] = {}  # per Python worker: checkpoint sha → loaded predictor
_WORKER_LOCK = threading.Lock()


def checkpoint_bytes(checkpoint) -> bytes:
    """The checkpoint as bytes, from a path to a saved ``predictor.pt``, a fitted predictor, or bytes."""
    if isinstance(checkpoint, (bytes, bytearray)):
        return bytes(checkpoint)
    if isinstance(checkpoint, PurchasePredictor):
        import torch

        buf = io.BytesIO()
        torch.save(checkpoint.checkpoint(), buf)
        return buf.getvalue()
    path = Path(checkpoint)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no trained predictor; run `mka train` first")
    return path.read_bytes()


def predictor_from_bytes(data: bytes) -> PurchasePredictor:
    """The predictor in ``data`` (cached per process by content, so each executor loads it once)."""
    key = hashlib.sha256(data).hexdigest()
    with _WORKER_LOCK:
        if key not in _WORKER_MODELS:
            model = read_artifact("predictor.pt", lambda _: PurchasePredictor.from_checkpoint(
                load_torch(io.BytesIO(data))), what="trained predictor")
            _WORKER_MODELS.clear()
            _WORKER_MODELS[key] = model
        return _WORKER_MODELS[key]


def output_columns(horizons, value: bool = False, picks: bool = False) -> list[str]:
    cols = ["customer_id"]
    for kind in ("p_buy", "expected_orders", "expected_spend"):
        cols += [f"{kind}_{int(h)}d" for h in horizons]
    if value:
        from models.value.batch import VALUE_COLUMNS

        cols += VALUE_COLUMNS
    return cols + (["top_picks"] if picks else [])


def _spark_schema(horizons, value: bool = False) -> str:
    return ", ".join(["customer_id string"] + [f"{c} double" for c in output_columns(horizons, value)[1:]])


def _empty(cols) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="string" if c in ("customer_id", "top_picks") else "float64")
                         for c in cols})


def score_part(est: PurchasePredictor, orders: pd.DataFrame, as_of, products: pd.DataFrame | None = None,
               value: dict | None = None) -> pd.DataFrame:
    """Scores of the customers in ``orders`` with an order before ``as_of`` (sorted by customer_id); with a
    ``value`` spec also their clv, p_alive and churn_risk_30d (models.value.batch)."""
    cols = output_columns(est.horizons_, value is not None)
    if len(orders) == 0:
        return _empty(cols)
    feats = est.features(orders, pd.Timestamp(as_of), products)
    if len(feats) == 0:
        return _empty(cols)
    pred = est.predict(feats)
    out = {"customer_id": feats.index.astype("string").to_numpy(dtype=object)}
    for kind in ("p_buy", "expected_orders", "expected_spend"):
        for h in est.horizons_:
            out[f"{kind}_{int(h)}d"] = pred[f"{kind}_{int(h)}"].to_numpy(np.float64)
    if value is not None:
        from models.value.batch import value_columns

        vals = value_columns(value, orders, pd.Timestamp(as_of), out["customer_id"], out.get("p_buy_30d"))
        out.update({c: vals[c].to_numpy(np.float64) for c in vals.columns})
    frame = pd.DataFrame(out, columns=cols)
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame.sort_values("customer_id", kind="stable").reset_index(drop=True)


def top_picks(picks, n_picks: int = DEFAULT_PICKS) -> pd.DataFrame:
    """customer_id, top_picks (the first ``n_picks`` product ids in rank order, space-separated) of the
    recommender's rows (a frame or a Parquet path with customer_id, rank, product_id)."""
    recs = pd.read_parquet(picks, columns=["customer_id", "rank", "product_id"]) if not isinstance(
        picks, pd.DataFrame) else picks[["customer_id", "rank", "product_id"]]
    recs = recs[recs["rank"] <= int(n_picks)].astype({"customer_id": "string", "product_id": "string"})
    recs = recs.sort_values(["customer_id", "rank"], kind="stable")
    out = recs.groupby("customer_id", sort=True)["product_id"].agg(" ".join).rename("top_picks").reset_index()
    return out.astype({"customer_id": "string", "top_picks": "string"})


def _with_picks(frame: pd.DataFrame, picks, n_picks: int) -> pd.DataFrame:
    if picks is None:
        return frame
    out = frame.merge(top_picks(picks, n_picks), on="customer_id", how="left")
    out["top_picks"] = out["top_picks"].astype("string")
    return out


def spark_session(master: str | None = None, conf: dict | None = None):
    """A Spark session whose Python workers run this interpreter (``spark.pyspark.python``), in UTC.

    ``master`` None reuses the active session if there is one, else starts ``local[2]``. ``conf``: more Spark
    settings for a new session (e.g. ``{"spark.driver.memory": "4g"}``)."""
    from pyspark.sql import SparkSession

    if master is None:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        master = "local[2]"
    builder = (SparkSession.builder.master(master).appName("mka-score")
               .config("spark.pyspark.python", sys.executable)
               .config("spark.pyspark.driver.python", sys.executable)
               .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "8"))
    if master.startswith("local"):
        # local workers import this very checkout (not another installed copy of the package); a cluster's
        # executors import the package installed there (docs/SCALE.md)
        root = str(Path(__file__).resolve().parents[2])
        builder = (builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.executorEnv.PYTHONPATH", root))
    for key, val in (conf or {}).items():
        builder = builder.config(key, str(val))
    return builder.getOrCreate()


def _spark_orders(spark, orders, tmp: Path):
    """A Spark DataFrame of the orders: a pandas frame (written to Parquet in ``tmp``, microsecond times) or a
    path to Parquet (file or folder) or CSV with a header."""
    if isinstance(orders, pd.DataFrame):
        import pyarrow as pa
        import pyarrow.parquet as pq

        df = orders.copy()
        for c in df.columns:
            if str(df[c].dtype).startswith("string") or df[c].dtype == object:
                df[c] = df[c].astype(object).where(df[c].notna(), None)
        path = tmp / "orders.parquet"
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, coerce_timestamps="us",
                       allow_truncated_timestamps=True)
        return spark.read.parquet(str(path))
    path = _location(orders)  # a local path or a URI (s3a://, abfss://, dbfs:/) Spark reads itself
    if path.lower().endswith(".csv"):
        return spark.read.option("header", True).option("inferSchema", True).csv(path)
    return spark.read.parquet(path)


def is_uri(path) -> bool:
    """True for a URI Spark reads itself (``s3a://``, ``abfss://``, ``dbfs:/``), not a local path."""
    return isinstance(path, str) and re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", path) is not None


def _location(path) -> str:
    """A path as Spark should see it: URIs unchanged (``Path`` would fold their ``//``)."""
    return path if is_uri(path) else str(Path(path))


def _spark_picks(spark, picks, n_picks: int, tmp: Path):
    """The ``top_picks`` of ``picks`` computed in Spark: customer_id, top_picks."""
    from pyspark.sql import functions as F

    if isinstance(picks, pd.DataFrame):
        path = tmp / "picks.parquet"
        picks[["customer_id", "rank", "product_id"]].astype(
            {"customer_id": "string", "product_id": "string"}).to_parquet(path, index=False)
        picks = path
    r = spark.read.parquet(str(picks)).where(F.col("rank") <= int(n_picks)).select(
        F.col("customer_id").cast("string").alias("customer_id"), F.col("rank").cast("int").alias("rank"),
        F.col("product_id").cast("string").alias("product_id"))
    agg = r.groupBy("customer_id").agg(F.array_sort(F.collect_list(F.struct("rank", "product_id"))).alias("_p"))
    return agg.select("customer_id", F.concat_ws(" ", F.transform("_p", lambda x: x["product_id"])).alias("top_picks"))


def _spark_scores(spark, data: bytes, orders, as_of, products: pd.DataFrame | None, n_buckets: int, tmp: Path,
                  value: dict | None = None, picks=None, n_picks: int = DEFAULT_PICKS):
    from pyspark.sql import functions as F

    est = predictor_from_bytes(data)
    shared = spark.sparkContext.broadcast((data, products, value))
    as_of = str(pd.Timestamp(as_of))
    sdf = _spark_orders(spark, orders, tmp)
    sdf = sdf.withColumn("customer_id", F.col("customer_id").cast("string"))
    sdf = sdf.withColumn("_bucket", F.pmod(F.xxhash64("customer_id"), F.lit(int(n_buckets))))

    def score_bucket(pdf: pd.DataFrame) -> pd.DataFrame:
        ck, prods, spec = shared.value
        part = score_part(predictor_from_bytes(ck), pdf.drop(columns=["_bucket"]), as_of, prods, spec)
        part["customer_id"] = part["customer_id"].astype(object)
        return part

    scores = sdf.groupBy("_bucket").applyInPandas(score_bucket, schema=_spark_schema(est.horizons_, value is not None))
    if picks is not None:
        scores = scores.join(_spark_picks(spark, picks, n_picks, tmp), on="customer_id", how="left")
    return scores


def _read_orders(orders) -> pd.DataFrame:
    if isinstance(orders, pd.DataFrame):
        return orders
    path = Path(orders)
    return pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)


def score_batch(orders, checkpoint, as_of=None, products: pd.DataFrame | None = None, engine: str = "local",
                master: str | None = None, n_buckets: int = DEFAULT_BUCKETS, value: dict | None = None,
                picks=None, n_picks: int = DEFAULT_PICKS) -> pd.DataFrame:
    """Every customer's scores as of ``as_of`` (default: the model's as-of), sorted by customer_id.

    ``orders``: canonical (or generic customer_id/timestamp/amount) orders, as a frame or a Parquet/CSV path;
    ``checkpoint``: a ``predictor.pt`` path, a fitted predictor or its bytes. The Spark result is collected
    to the driver here; ``write_scores`` writes it from the executors instead. ``value`` / ``picks``: see the
    module docstring."""
    data = checkpoint_bytes(checkpoint)
    est = predictor_from_bytes(data)
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(est.as_of_)
    if engine == "local":
        return _with_picks(score_part(est, _read_orders(orders), as_of, products, value), picks, n_picks)
    if engine != "spark":
        raise ValueError(f"engine {engine!r}: choose one of {', '.join(ENGINES)}")
    spark = spark_session(master)
    with tempfile.TemporaryDirectory(prefix="mka-score-") as tmp:
        out = _spark_scores(spark, data, orders, as_of, products, n_buckets, Path(tmp), value, picks,
                            n_picks).toPandas()
    out["customer_id"] = out["customer_id"].astype("string")
    if "top_picks" in out:
        out["top_picks"] = out["top_picks"].astype("string")
    cols = output_columns(est.horizons_, value is not None, picks is not None)
    return out[cols].sort_values("customer_id", kind="stable").reset_index(drop=True)


def write_scores(orders, checkpoint, out_dir, as_of=None, products: pd.DataFrame | None = None,
                 engine: str = "local", master: str | None = None, n_buckets: int = DEFAULT_BUCKETS,
                 value: dict | None = None, picks=None, n_picks: int = DEFAULT_PICKS) -> dict:
    """Score as ``score_batch`` and write Parquet into ``out_dir`` (replaced): one file locally, one part per
    bucket group on Spark. Returns {rows, columns, as_of, engine, out}."""
    from models.data.atomic import atomic_path

    data = checkpoint_bytes(checkpoint)
    est = predictor_from_bytes(data)
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(est.as_of_)
    if engine == "local":
        out_dir = Path(out_dir)
        frame = _with_picks(score_part(est, _read_orders(orders), as_of, products, value), picks, n_picks)
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("*.parquet"):
            old.unlink()
        with atomic_path(out_dir / "part-00000.parquet", suffix=".parquet") as tmp:
            frame.to_parquet(tmp, index=False)
        rows = len(frame)
    elif engine == "spark":
        spark = spark_session(master)
        with tempfile.TemporaryDirectory(prefix="mka-score-") as tmp:
            sdf = _spark_scores(spark, data, orders, as_of, products, n_buckets, Path(tmp), value, picks, n_picks)
            sdf.select(*output_columns(est.horizons_, value is not None, picks is not None)).write.mode("overwrite").parquet(_location(out_dir))
        rows = int(spark.read.parquet(_location(out_dir)).count())
    else:
        raise ValueError(f"engine {engine!r}: choose one of {', '.join(ENGINES)}")
    return {"rows": rows, "columns": output_columns(est.horizons_, value is not None, picks is not None), "as_of": str(as_of.date()), "engine": engine,
            "out": str(out_dir)}
