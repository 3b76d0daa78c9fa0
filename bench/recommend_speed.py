"""Recommending speed on a trained workspace (issue 14): `mka recommend --all --k 10 --csv F` end to end (a fresh
process: interpreter start, imports, reading the saved picks and the product names, writing the CSV), and the
scoring parts alone in this process: serving the saved top-20 (what the CLI does), and scoring every customer
live with GP-TopFreq and TIFU-KNN (the ``Recommender`` fitted on all orders). CPU seconds (wall time on a
shared 2-core host is noise); wall is reported beside them. Appends a section to bench/results/recommend.md
(or --out).

    python3 bench/recommend_speed.py --workspace /tmp/ws_with_mka_train_done
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from models.data.workspace import Workspace
from models.recommend import Recommender
from models.recommend.workspace import orders_for_recommend, recommend


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True, help="a workspace where the recommender was trained")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default="bench/results/recommend.md")
    args = ap.parse_args()
    ws = Workspace(Path(args.workspace))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "all.csv"
        for _ in range(args.repeat):
            c0, w0 = _child_cpu(), time.perf_counter()
            subprocess.run([sys.executable, "-m", "assistant.cli", "recommend", "--all", "--k", "10", "--csv",
                            str(csv), "-w", str(ws.path)], check=True, capture_output=True)
            rows.append(("`mka recommend --all --k 10 --csv F` (new process, end to end)",
                         _child_cpu() - c0, time.perf_counter() - w0))
        c0, w0 = _child_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-c", "import pandas, click, pyarrow.parquet"], check=True)
        start = (_child_cpu() - c0, time.perf_counter() - w0)
    for _ in range(args.repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        res = recommend(ws, None, k=10)
        rows.append(("serve the saved picks (`recommend(ws)`: read top-20, names)", time.process_time() - c0,
                     time.perf_counter() - w0))
    n = res["rows"]["customer_id"].nunique()
    orders = orders_for_recommend(ws)
    for m in ("gp-topfreq", "tifu-knn"):
        rec = Recommender(m).fit(orders)
        for _ in range(args.repeat):
            c0, w0 = time.process_time(), time.perf_counter()
            rec.recommend(None, k=10)
            rows.append((f"score live, {m} (`Recommender.recommend`, all customers)", time.process_time() - c0,
                         time.perf_counter() - w0))
    best: dict[str, tuple[float, float]] = {}
    for name, c, w in rows:
        best[name] = min(best.get(name, (c, w)), (c, w))
    load = os.getloadavg()
    lines = ["", f"## Recommending speed, every customer ({n} customers, k = 10)", "",
             f"Command: `python3 bench/recommend_speed.py --workspace {args.workspace}` (after fitting the "
             f"recommender there); {dt.date.today()}, load {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} on 2 cores; "
             f"best of {args.repeat}. A bare `python3 -c 'import pandas, click, pyarrow.parquet'` costs "
             f"{start[0]:.2f} CPU s ({start[1]:.1f} s wall) here.", "",
             "| what | CPU s | customers per CPU s | wall s |", "|---|---|---|---|"]
    lines += [f"| {name} | {c:.2f} | {n / max(c, 1e-9):,.0f} | {w:.1f} |" for name, (c, w) in best.items()]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "a") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
