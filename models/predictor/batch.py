"""Batch scoring of every customer as of a date, in-process (pandas) or on Spark, with the same code.

``score_part`` is the one scoring function: the pure leak-free ``features_at`` (through the estimator) and
the predictor's ``predict`` on a set of customers' orders. Features of one customer depend only on that
customer's orders (category columns and scaling come from the checkpoint), so customers can be split into
hash buckets and scored bucket by bucket: ``engine="spark"`` does exactly that with ``applyInPandas``, the
checkpoint bytes (and the small products table) broadcast to the executors; ``engine="local"`` runs
``score_part`` once on all orders. Both give one row per customer with an order before ``as_of``:
``customer_id``, then ``p_buy_<h>d``, ``expected_orders_<h>d``, ``expected_spend_<h>d`` per trained horizon.
"""

from __future__ import annotations

import hashlib
import io
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from models.data.artifacts import load_torch, read_artifact
from models.predictor.estimator import PurchasePredictor

__all__ = ["ENGINES", "score_part", "score_batch", "write_scores", "output_columns", "checkpoint_bytes",
           "predictor_from_bytes", "spark_session"]

ENGINES = ("local", "spark")
DEFAULT_BUCKETS = 64
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


def output_columns(horizons) -> list[str]:
    cols = ["customer_id"]
    for kind in ("p_buy", "expected_orders", "expected_spend"):
        cols += [f"{kind}_{int(h)}d" for h in horizons]
    return cols


def _spark_schema(horizons) -> str:
    return ", ".join(["customer_id string"] + [f"{c} double" for c in output_columns(horizons)[1:]])


def score_part(est: PurchasePredictor, orders: pd.DataFrame, as_of, products: pd.DataFrame | None = None) -> pd.DataFrame:
    """Scores of the customers in ``orders`` with an order before ``as_of`` (sorted by customer_id)."""
    cols = output_columns(est.horizons_)
    if len(orders) == 0:
        return pd.DataFrame({c: pd.Series([], dtype="string" if c == "customer_id" else "float64") for c in cols})
    feats = est.features(orders, pd.Timestamp(as_of), products)
    if len(feats) == 0:
        return pd.DataFrame({c: pd.Series([], dtype="string" if c == "customer_id" else "float64") for c in cols})
    pred = est.predict(feats)
    out = {"customer_id": feats.index.astype("string").to_numpy(dtype=object)}
    for kind in ("p_buy", "expected_orders", "expected_spend"):
        for h in est.horizons_:
            out[f"{kind}_{int(h)}d"] = pred[f"{kind}_{int(h)}"].to_numpy(np.float64)
    frame = pd.DataFrame(out, columns=cols)
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame.sort_values("customer_id", kind="stable").reset_index(drop=True)


def spark_session(master: str | None = None):
    """A Spark session whose Python workers run this interpreter (``spark.pyspark.python``), in UTC.

    ``master`` None reuses the active session if there is one, else starts ``local[2]``."""
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
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
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
    path = Path(orders)
    if path.suffix.lower() == ".csv":
        return spark.read.option("header", True).option("inferSchema", True).csv(str(path))
    return spark.read.parquet(str(path))


def _spark_scores(spark, data: bytes, orders, as_of, products: pd.DataFrame | None, n_buckets: int, tmp: Path):
    from pyspark.sql import functions as F

    est = predictor_from_bytes(data)
    shared = spark.sparkContext.broadcast((data, products))
    as_of = str(pd.Timestamp(as_of))
    sdf = _spark_orders(spark, orders, tmp)
    sdf = sdf.withColumn("customer_id", F.col("customer_id").cast("string"))
    sdf = sdf.withColumn("_bucket", F.pmod(F.xxhash64("customer_id"), F.lit(int(n_buckets))))

    def score_bucket(pdf: pd.DataFrame) -> pd.DataFrame:
        ck, prods = shared.value
        part = score_part(predictor_from_bytes(ck), pdf.drop(columns=["_bucket"]), as_of, prods)
        part["customer_id"] = part["customer_id"].astype(object)
        return part

    return sdf.groupBy("_bucket").applyInPandas(score_bucket, schema=_spark_schema(est.horizons_))


def _read_orders(orders) -> pd.DataFrame:
    if isinstance(orders, pd.DataFrame):
        return orders
    path = Path(orders)
    return pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)


def score_batch(orders, checkpoint, as_of=None, products: pd.DataFrame | None = None, engine: str = "local",
                master: str | None = None, n_buckets: int = DEFAULT_BUCKETS) -> pd.DataFrame:
    """Every customer's scores as of ``as_of`` (default: the model's as-of), sorted by customer_id.

    ``orders``: canonical (or generic customer_id/timestamp/amount) orders, as a frame or a Parquet/CSV path;
    ``checkpoint``: a ``predictor.pt`` path, a fitted predictor or its bytes. The Spark result is collected
    to the driver here; ``write_scores`` writes it from the executors instead."""
    data = checkpoint_bytes(checkpoint)
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(predictor_from_bytes(data).as_of_)
    if engine == "local":
        return score_part(predictor_from_bytes(data), _read_orders(orders), as_of, products)
    if engine != "spark":
        raise ValueError(f"engine {engine!r}: choose one of {', '.join(ENGINES)}")
    spark = spark_session(master)
    with tempfile.TemporaryDirectory(prefix="mka-score-") as tmp:
        out = _spark_scores(spark, data, orders, as_of, products, n_buckets, Path(tmp)).toPandas()
    out["customer_id"] = out["customer_id"].astype("string")
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)


def write_scores(orders, checkpoint, out_dir, as_of=None, products: pd.DataFrame | None = None,
                 engine: str = "local", master: str | None = None, n_buckets: int = DEFAULT_BUCKETS) -> dict:
    """Score as ``score_batch`` and write Parquet into ``out_dir`` (replaced): one file locally, one part per
    bucket group on Spark. Returns {rows, columns, as_of, engine, out}."""
    from models.data.atomic import atomic_path

    data = checkpoint_bytes(checkpoint)
    est = predictor_from_bytes(data)
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(est.as_of_)
    out_dir = Path(out_dir)
    if engine == "local":
        frame = score_part(est, _read_orders(orders), as_of, products)
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("*.parquet"):
            old.unlink()
        with atomic_path(out_dir / "part-00000.parquet", suffix=".parquet") as tmp:
            frame.to_parquet(tmp, index=False)
        rows = len(frame)
    elif engine == "spark":
        spark = spark_session(master)
        with tempfile.TemporaryDirectory(prefix="mka-score-") as tmp:
            sdf = _spark_scores(spark, data, orders, as_of, products, n_buckets, Path(tmp))
            sdf.write.mode("overwrite").parquet(str(out_dir))
        rows = int(spark.read.parquet(str(out_dir)).count())
    else:
        raise ValueError(f"engine {engine!r}: choose one of {', '.join(ENGINES)}")
    return {"rows": rows, "columns": output_columns(est.horizons_), "as_of": str(as_of.date()), "engine": engine,
            "out": str(out_dir)}
