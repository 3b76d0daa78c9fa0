"""Query latency of the semantic layer (DuckDB) vs the same queries in pandas, on the full Complete Journey line
items (1×, 1,469,307 lines) and replicated to 10× and 100× (customer, order and household ids shifted per copy,
so each copy is a distinct set of customers).

DuckDB: ``run_query(ws, spec)`` end to end (a cursor on the workspace's database, SQL, result rows), as `mka query`
and the ``query_data`` tool run it. The database is opened by the first query of a process and kept per workspace
revision: up to 20M rows the tables are copied into memory once (that first query's time is listed as its load), above
it views read the Parquet files on every query. pandas: the same question written by hand over DataFrames already
in memory (the load is timed separately), as a notebook user or a pandas agent would. Every (engine, scale) runs in
its own process, so its peak RSS (ru_maxrss) is its own.

    python bench/analytics.py --source /work/wt/demo_full --work /tmp/bench_analytics --scales 1,10,100
    python bench/analytics.py ... --case duckdb:10      # one case (what the driver runs in a subprocess)

A file WORK/only100 holding "0,1,2" limits the 100× cases to those spec indexes (the shared machine's time).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (name, spec): representative questions; the pandas twin of each is in PANDAS below
SPECS: list[tuple[str, dict]] = [
    ("headline", {"metrics": ["revenue", "orders", "customers"]}),
    ("revenue by month", {"metrics": ["revenue"], "by": ["month"]}),
    ("top 10 categories", {"metrics": ["revenue"], "by": ["category"], "top": 10}),
    ("top 5 categories in Meat", {"metrics": ["revenue"], "by": ["category"], "top": 5,
                                  "filters": [{"dimension": "department", "op": "equals", "values": ["Meat"]}]}),
    ("Q2 vs Q3 by department", {"metrics": ["revenue"], "by": ["department"], "compare": ["2017-Q2", "2017-Q3"]}),
    ("last quarter share by dept", {"metrics": ["revenue"], "by": ["department"], "period": "last_quarter",
                                    "share_of_total": True, "include_non_merchandise": True}),
    ("customers inactive 60 days", {"metrics": ["customers"], "inactive_days": 60}),
    ("customers with >= 10 orders", {"metrics": ["customers"],
                                     "customer_conditions": [{"measure": "orders", "op": ">=", "value": 10}]}),
    ("top 10% customers' share", {"metrics": ["revenue"], "concentration": {"top_pct": [10]}}),
    ("spend quantiles per customer", {"distribution": {"measure": "revenue", "per": "customer",
                                                       "quantiles": [0.25, 0.5, 0.75, 0.9]}}),
    ("basket histogram", {"distribution": {"measure": "revenue", "per": "order", "bins": 10}}),
    ("avg basket by weekday", {"metrics": ["avg_basket"], "by": ["weekday"]}),
    ("new vs returning by quarter", {"metrics": ["new_customers", "returning_customers"], "by": ["quarter"]}),
    ("repeat share by quarter", {"metrics": ["repeat_customer_share"], "by": ["quarter"]}),
    ("revenue by income, age 35-54", {"metrics": ["revenue"], "by": ["income"],
                                      "filters": [{"dimension": "age", "op": "range", "min": 35, "max": 54}]}),
    ("redemption rate by campaign type", {"metrics": ["coupon_redemption_rate"], "by": ["campaign_type"]}),
]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- scaled workspaces ------------------------------------------------------------------------------------------
def build_scaled(source: Path, work: Path, k: int) -> Path:
    """A workspace whose orders (and customers, campaigns, redemptions) are ``k`` copies with shifted ids."""
    import duckdb

    dest = work / f"ws-{k}x"
    if (dest / "manifest.json").exists():
        return dest
    (dest / "data").mkdir(parents=True, exist_ok=True)
    manifest = json.loads((source / "manifest.json").read_text())
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    if os.environ.get("BENCH_BUILD_THREADS"):  # be polite on a shared machine
        con.execute(f"SET threads = {int(os.environ['BENCH_BUILD_THREADS'])}")
    shift = {"orders": ("customer_id", "order_id"), "customers": ("customer_id",),
             "campaigns": ("customer_id",), "coupon_redemptions": ("customer_id",)}
    for name, info in manifest["tables"].items():
        src = source / info["file"]
        out = dest / info["file"]
        if name not in shift or k == 1:
            shutil.copyfile(src, out)
            continue
        cols = info["columns"]
        sel = ", ".join(f"{c} || '-' || CAST(i AS VARCHAR) AS {c}" if c in shift[name] else c for c in cols)
        con.execute(f"COPY (SELECT {sel} FROM read_parquet('{src}'), range({k}) t(i)) TO '{out}' "
                    f"(FORMAT parquet, ROW_GROUP_SIZE 1000000)")
        info["rows"] = int(info["rows"]) * k
        info["hash"] = f"{info['hash']}x{k}"
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return dest


# -- pandas twins ----------------------------------------------------------------------------------------------
def _pandas_data(ws_path: Path) -> dict:
    import pandas as pd

    manifest = json.loads((ws_path / "manifest.json").read_text())
    read = lambda name: pd.read_parquet(ws_path / manifest["tables"][name]["file"])  # noqa: E731
    return {"orders": read("orders"), "products": read("products"), "customers": read("customers"),
            "campaigns": read("campaigns"), "redemptions": read("coupon_redemptions")}


def _pandas_fns():
    import numpy as np
    import pandas as pd

    from models.analytics.layer import is_non_merchandise

    def lines(d, with_products=False):
        o = d["orders"]
        if not with_products:
            return o
        if "_lp" not in d:
            p = d["products"][["product_id", "category", "department"]]
            lp = o.merge(p, on="product_id", how="left")
            lp["category"] = lp["category"].fillna("Unknown")
            lp["department"] = lp["department"].fillna("Unknown")
            d["_lp"] = lp
        return d["_lp"]

    def merch(lp):
        bad = [v for v in set(lp["category"].unique()) | set(lp["department"].unique()) if is_non_merchandise(v)]
        return lp[~lp["category"].isin(bad) & ~lp["department"].isin(bad)]

    def headline(d):
        o = lines(d)
        return o["amount"].sum(), o["order_id"].nunique(), o["customer_id"].nunique()

    def by_month(d):
        o = lines(d)
        return o.groupby(o["timestamp"].dt.to_period("M"))["amount"].sum()

    def top_cats(d):
        return merch(lines(d, True)).groupby("category")["amount"].sum().nlargest(10)

    def top_meat(d):
        lp = merch(lines(d, True))
        return lp[lp["department"] == "Meat"].groupby("category")["amount"].sum().nlargest(5)

    def q2_q3(d):
        lp = merch(lines(d, True))
        q = lp["timestamp"].dt.to_period("Q")
        a = lp[q == pd.Period("2017Q2")].groupby("department")["amount"].sum()
        b = lp[q == pd.Period("2017Q3")].groupby("department")["amount"].sum()
        both = pd.concat([a, b], axis=1, keys=["a", "b"]).fillna(0.0)
        both["change"] = both["b"] - both["a"]
        both["pct"] = both["change"] / both["a"].abs() * 100
        return both.sort_values("change", ascending=False)

    def last_q_share(d):
        lp = lines(d, True)
        last = pd.Period(lp["timestamp"].max(), freq="Q") - 1
        w = lp[(lp["timestamp"] >= last.start_time) & (lp["timestamp"] < (last + 1).start_time)]
        g = w.groupby("department")["amount"].sum()
        return (g / g.sum() * 100).sort_values(ascending=False)

    def inactive(d):
        o = lines(d)
        as_of = o["timestamp"].max().normalize() + pd.Timedelta(days=1)
        last = o.groupby("customer_id")["timestamp"].max()
        return int((last < as_of - pd.Timedelta(days=60)).sum())

    def ten_orders(d):
        return int((lines(d).groupby("customer_id")["order_id"].nunique() >= 10).sum())

    def concentration(d):
        s = lines(d).groupby("customer_id")["amount"].sum().sort_values(ascending=False)
        k = math.ceil(len(s) * 0.10)
        return s.head(k).sum() / s.sum()

    def quantiles(d):
        return lines(d).groupby("customer_id")["amount"].sum().quantile([0.25, 0.5, 0.75, 0.9])

    def histogram(d):
        return np.histogram(lines(d).groupby("order_id")["amount"].sum(), bins=10)

    def weekday(d):
        o = lines(d)
        g = o.groupby(o["timestamp"].dt.dayofweek)
        return g["amount"].sum() / g["order_id"].nunique()

    def new_returning(d):
        o = lines(d)
        q = o["timestamp"].dt.to_period("Q")
        first = o.groupby("customer_id")["timestamp"].min().dt.to_period("Q")
        pairs = pd.DataFrame({"q": q, "c": o["customer_id"]}).drop_duplicates()
        pairs["new"] = pairs["c"].map(first) == pairs["q"]
        return pairs.groupby("q")["new"].agg(["sum", "size"])

    def repeat_share(d):
        o = lines(d)
        per = o.groupby([o["timestamp"].dt.to_period("Q"), "customer_id"])["order_id"].nunique()
        return (per >= 2).groupby(level=0).mean()

    def income_age(d):
        o = lines(d)
        c = d["customers"]
        keep = c[c["age"].isin(["35-44", "45-54"])][["customer_id", "income"]]
        return o.merge(keep, on="customer_id").groupby("income")["amount"].sum().sort_values(ascending=False)

    def redemption_rate(d):
        camp, red = d["campaigns"], d["redemptions"]
        pairs = red[["customer_id", "campaign_id"]].drop_duplicates().assign(r=1)
        m = camp.merge(pairs, on=["customer_id", "campaign_id"], how="left")
        return m["r"].notna().groupby(m["campaign_type"]).mean()

    return [headline, by_month, top_cats, top_meat, q2_q3, last_q_share, inactive, ten_orders, concentration,
            quantiles, histogram, weekday, new_returning, repeat_share, income_age, redemption_rate]


# -- one case in its own process -------------------------------------------------------------------------------
def run_case(engine: str, ws_path: Path, reps: int, only: list[int] | None) -> dict:
    sys.path.insert(0, str(REPO))
    idx = only if only is not None else list(range(len(SPECS)))
    times: dict[str, list[float]] = {SPECS[i][0]: [] for i in idx}
    cpu: dict[str, list[float]] = {SPECS[i][0]: [] for i in idx}
    load_s = None
    if engine == "duckdb":
        from models.analytics import engine as duck
        from models.analytics.query import run_query

        duck.LIMITS["memory_limit"] = os.environ.get("BENCH_DUCKDB_MEMORY", "8GB")  # shared 24 GiB machine
        from models.data.workspace import Workspace

        ws = Workspace(ws_path)
        run = {SPECS[i][0]: (lambda s=SPECS[i][1]: run_query(ws, s)) for i in idx}
    else:
        t0 = time.perf_counter()
        data = _pandas_data(ws_path)
        load_s = time.perf_counter() - t0
        fns = _pandas_fns()
        run = {SPECS[i][0]: (lambda f=fns[i]: f(data)) for i in idx}
    first = True
    for name, fn in run.items():  # one warm-up run each (imports, first Parquet footer reads), not timed
        t0 = time.perf_counter()
        fn()
        if first and engine == "duckdb":  # opens (and, up to 20M rows, fills) the in-memory database
            load_s, first = time.perf_counter() - t0, False
        if len(run) > 4 and reps <= 1:
            break
    for _ in range(reps):
        for name, fn in run.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    return {"engine": engine, "times": times, "cpu": cpu, "load_s": load_s, "peak_rss_mb": _rss_mb()}


def _p(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))
    return xs[i]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", type=Path, default=Path("/work/wt/demo_full"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_analytics"))
    ap.add_argument("--scales", default="1,10,100")
    ap.add_argument("--reps", default="10,3,1", help="repetitions per scale")
    ap.add_argument("--pandas-scales", default="1,10", help="scales pandas runs at (100x does not fit)")
    ap.add_argument("--case", default=None, help="engine:scale (internal)")
    ap.add_argument("--only", default=None, help="comma-separated spec indexes")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "analytics.md")
    a = ap.parse_args()
    only = [int(x) for x in a.only.split(",")] if a.only else None
    if a.case:
        engine, k = a.case.split(":")
        sub = a.work / f"only{k}"
        if only is None and sub.exists():  # a subset for the largest scale (time on the shared machine)
            only = [int(x) for x in sub.read_text().split(",")]
        reps = int(os.environ.get("BENCH_REPS", "3"))
        print(json.dumps(run_case(engine, a.work / f"ws-{k}x", reps, only)))
        return
    a.work.mkdir(parents=True, exist_ok=True)
    scales = [int(s) for s in a.scales.split(",")]
    reps = dict(zip(scales, [int(r) for r in a.reps.split(",")]))
    pandas_scales = {int(s) for s in a.pandas_scales.split(",") if s}
    results = {}
    for k in scales:
        t0 = time.perf_counter()
        build_scaled(a.source, a.work, k)
        print(f"[bench] {k}x workspace ready ({time.perf_counter() - t0:.0f}s)", flush=True)
        for engine in ("duckdb", "pandas"):
            if engine == "pandas" and k not in pandas_scales:
                continue
            cmd = [sys.executable, __file__, "--work", str(a.work), "--case", f"{engine}:{k}"] + \
                (["--only", a.only] if a.only else [])
            t0 = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "BENCH_REPS": str(reps[k])})
            if p.returncode != 0:
                results[(engine, k)] = {"error": (p.stderr or p.stdout)[-800:], "rc": p.returncode, "reps": reps[k]}
                print(f"[bench] {engine} {k}x failed rc={p.returncode}: {p.stderr[-400:]}", flush=True)
                continue
            results[(engine, k)] = json.loads(p.stdout.strip().splitlines()[-1])
            results[(engine, k)]["reps"] = reps[k]
            (a.work / "results").mkdir(exist_ok=True)
            (a.work / "results" / f"{engine}-{k}.json").write_text(json.dumps(results[(engine, k)]))
            print(f"[bench] {engine} {k}x done ({time.perf_counter() - t0:.0f}s)", flush=True)
            _write(a.out, _all(a.work, results), only)
    _write(a.out, _all(a.work, results), only)


def _all(work: Path, results: dict) -> dict:
    """This run's cases plus those saved by earlier runs in the same work folder."""
    out = {}
    for f in sorted((work / "results").glob("*.json")) if (work / "results").is_dir() else []:
        e, k = f.stem.split("-")
        out[(e, int(k))] = json.loads(f.read_text())
    out.update(results)
    return out


def _write(out: Path, results: dict, only) -> None:
    scales = sorted({k for _, k in results})
    reps = {k: max(r.get("reps", 0) for (e, kk), r in results.items() if kk == k) for k in scales}
    names = [SPECS[i][0] for i in (only if only is not None else range(len(SPECS)))]
    lines = ["# Analytics bench: semantic layer (DuckDB) vs pandas", "",
             f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {os.cpu_count()} CPU cores, "
             f"load average at the end {os.getloadavg()[0]:.1f} (shared with other agents; absolute times are "
             f"inflated accordingly).", "",
             "Commands (same --work folder; each run adds its cases): `nice -n 10 python3 bench/analytics.py --scales 1 "
             "--reps 5 --pandas-scales ''` (light, no lock), then `flock /work/wt/bench.lock nice -n 10 python3 "
             "bench/analytics.py --scales 1,10,100 ...` for pandas 1× and the 10× / 100× cases", "",
             "DuckDB = `run_query` end to end (a cursor on the database kept per workspace revision: tables in memory "
             "up to 20M rows, Parquet views above; its first query, which opens it, is listed as its load); pandas = "
             "the same question by hand on DataFrames already in memory (load time listed separately). Times in ms, p95 over the "
             "repetitions of each query (after one untimed warm-up); 'all' = p95 over every query run. Wall time "
             "suffers from the shared machine's load; CPU = process CPU time summed over threads (DuckDB uses "
             "2 threads here, memory_limit 8GB), the better guide to an idle 2-core machine.", ""]
    cols = [(e, k) for k in scales for e in ("duckdb", "pandas") if (e, k) in results and "times" in results[(e, k)]]
    head = "| query | " + " | ".join(f"{e} {k}× wall p95 | {e} {k}× CPU p95" for e, k in cols) + " |"
    lines += [head, "|" + "---|" * (1 + 2 * len(cols))]
    for n in names:
        row = [n]
        for c in cols:
            got = results[c]["times"].get(n)
            row += [f"{_p(got, 0.95) * 1000:,.0f}", f"{_p(results[c]['cpu'][n], 0.95) * 1000:,.0f}"] if got \
                else ["not run", "not run"]
        lines.append("| " + " | ".join(row) + " |")
    row = ["**all queries (p95)**"]
    for c in cols:
        t = [x for v in results[c]["times"].values() for x in v]
        u = [x for v in results[c]["cpu"].values() for x in v]
        row += [f"**{_p(t, 0.95) * 1000:,.0f}**", f"**{_p(u, 0.95) * 1000:,.0f}**"]
    lines.append("| " + " | ".join(row) + " |")
    lines += ["", "| case | rows | peak RSS (MB) | load (s): pandas frames / DuckDB first query | reps |", "|---|---|---|---|---|"]
    for (e, k), r in results.items():
        if "times" in r:
            load = "" if r["load_s"] is None else f"{r['load_s']:.1f}"
            lines.append(f"| {e} {k}× | {1469307 * k:,} | {r['peak_rss_mb']:,.0f} | {load} | {reps[k]} |")
        else:
            lines.append(f"| {e} {k}× | {1469307 * k:,} | failed (rc {r['rc']}) | | |")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
