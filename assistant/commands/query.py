"""`mka query`: one exact query over the semantic layer (metrics x dimensions, filters, windows, comparisons)."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import click

from .common import EXIT_USER_ERROR, echo_json, json_option, user_errors, workspace_option

__all__ = ["COMMANDS", "query_cmd", "spec_from_flags", "parse_where", "parse_condition"]


_WHERE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(!=|~|>=|<=|=)\s*(.*)$")
_COND = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|>|<|=)\s*(.+)$")
_PCT = re.compile(r"^\s*([a-z_]+)\s+(top|bottom)\s+([\d.]+)\s*%?\s*$")


def parse_where(w: str) -> dict:
    """DIM=V[,V] (in), DIM!=V[,V] (not in), DIM~TEXT (name contains), DIM=LO..HI (range; LO or HI may be empty),
    DIM>=X, DIM<=X."""
    m = _WHERE.match(w)
    if not m:
        raise click.UsageError(f"--where takes DIMENSION=VALUE[,VALUE...], DIM!=V, DIM~TEXT, DIM=LO..HI, DIM>=X "
                               f"or DIM<=X; got {w!r}")
    dim, op, rest = m.group(1), m.group(2), m.group(3).strip()
    if op == ">=":
        return {"dimension": dim, "op": "range", "min": rest}
    if op == "<=":
        return {"dimension": dim, "op": "range", "max": rest}
    if op == "=" and ".." in rest:
        lo, hi = (x.strip() for x in rest.split("..", 1))
        return {"dimension": dim, "op": "range", **({"min": lo} if lo else {}), **({"max": hi} if hi else {})}
    values = [v.strip() for v in rest.split(",") if v.strip()]
    return {"dimension": dim, "op": {"=": "in", "!=": "not_in", "~": "contains"}[op], "values": values}


def parse_condition(c: str) -> dict:
    """"orders>=10", "revenue>500", "revenue=100..500", "days_since_last_order>=60", "revenue top 10%"."""
    t = c.strip().lower()
    m = _PCT.match(t)
    if m:
        return {"measure": m.group(1), "op": f"{m.group(2)}_pct", "value": float(m.group(3))}
    m = _COND.match(t)
    if not m:
        raise click.UsageError(f"--customer takes MEASURE>=N (or >, <, <=, =, =LO..HI) or 'MEASURE top N%'; got {c!r}")
    measure, op, rest = m.groups()
    rest = rest.replace("$", "").replace(",", "").strip()
    if op == "=" and ".." in rest:
        lo, hi = rest.split("..", 1)
        return {"measure": measure, "op": "between", "value": [lo.strip(), hi.strip()]}
    return {"measure": measure, "op": op, "value": rest}


def spec_from_flags(metric: tuple[str, ...], by: tuple[str, ...], where: tuple[str, ...], top: int | None,
                    compare: str | None, start: str | None, end: str | None, sort: str | None,
                    inactive_days: int | None, include_non_merchandise: bool, period: str | None = None,
                    bottom: int | None = None, share: bool = False, customer: tuple[str, ...] = (),
                    concentration: str | None = None, distribution: str | None = None, per: str = "customer",
                    bins: int | None = None, quantiles: str | None = None, ascending: bool = False) -> dict:
    filters = [parse_where(w) for w in where]
    metrics = [m.strip() for x in metric for m in x.split(",") if m.strip()] or ["revenue"]
    dims = [d.strip() for x in by for d in x.split(",") if d.strip()]
    spec = {"metrics": metrics, "by": dims, "filters": filters, "top": top, "bottom": bottom, "compare": compare,
            "period": period, "start": start, "end": end, "sort": sort, "inactive_days": inactive_days,
            "share_of_total": share, "customer_conditions": [parse_condition(c) for c in customer],
            "include_non_merchandise": include_non_merchandise}
    if ascending:
        spec["descending"] = False
    if concentration:
        spec["concentration"] = {"top_pct": [p.strip().rstrip("%") for p in concentration.split(",") if p.strip()]}
    if distribution:
        d: dict = {"measure": distribution, "per": per}
        if bins is not None:
            d["bins"] = bins
        if quantiles:
            d["quantiles"] = [q.strip() for q in quantiles.split(",") if q.strip()]
        spec["distribution"] = d
    return spec


def _print(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{res['restatement']}[/]")
    table = Table()
    for c in res["columns"]:
        table.add_column(str(c), justify="left" if c in res["spec"]["by"] else "right")
    for r in res["rows"]:
        table.add_row(*["–" if r.get(c) is None else f"{r[c]:,.2f}" if isinstance(r.get(c), float)
                        else f"{r[c]:,}" if isinstance(r.get(c), int) else str(r[c]) for c in res["columns"]])
    console.print(table)
    for n in res["notes"]:
        console.print(f"[dim]Note: {n}[/]")
    for k, v in res["definitions"].items():
        console.print(f"[dim]{k}: {v}[/]")


@click.command("query")
@click.option("--metric", "-m", multiple=True, help="Metric(s): revenue, orders, customers, units, avg_basket...")
@click.option("--by", "-b", multiple=True, help="Dimension(s): month, week, quarter, department, category...")
@click.option("--where", multiple=True,
              help="Filter (repeatable): DIM=V[,V] | DIM!=V | DIM~TEXT (contains) | DIM=LO..HI | DIM>=X | DIM<=X.")
@click.option("--period", "-p", default=None,
              help="One window: 2017-Q3, 2017-06, 2017, A..B, or last_quarter, last_month, last_30_days, ytd...")
@click.option("--top", type=int, default=None, help="Keep the first N rows after sorting.")
@click.option("--bottom", type=int, default=None, help="Keep the last N rows (smallest first).")
@click.option("--compare", default=None, help="Two periods A:B, e.g. 2017-Q2:2017-Q3 (absolute and % change).")
@click.option("--start", default=None, help="First period or date included (2017-06, 2017-Q2, 2017-06-15).")
@click.option("--end", default=None, help="Last period or date included.")
@click.option("--sort", default=None, help="Sort by a metric, a dimension, 'change' or 'share'.")
@click.option("--ascending", is_flag=True, help="Sort smallest first.")
@click.option("--share", is_flag=True, help="Add each row's percent of the total.")
@click.option("--inactive-days", type=int, default=None, help="Only customers with no order in the last N days.")
@click.option("--customer", multiple=True,
              help="Customer condition (repeatable): orders>=10, revenue>500, revenue=100..500, 'revenue top 10%'.")
@click.option("--concentration", default=None, help="Top X% of customers and their share, e.g. 1,10,20.")
@click.option("--distribution", default=None, help="Distribution of a measure: revenue, orders, units, avg_basket...")
@click.option("--per", type=click.Choice(["customer", "order"]), default="customer", help="Distribution unit.")
@click.option("--bins", type=int, default=None, help="Histogram bins (default: quantiles).")
@click.option("--quantiles", default=None, help="Quantiles, e.g. 0.25,0.5,0.75.")
@click.option("--include-non-merchandise", is_flag=True, help="Keep fuel/coupon/misc lines in rankings.")
@click.option("--spec", "spec_json", default=None, help="The whole query as JSON (overrides the flags).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the rows to this CSV file.")
@click.option("--list", "list_layer", is_flag=True, help="List the metrics and dimensions this workspace supports.")
@json_option
@workspace_option
@user_errors
def query_cmd(ws, metric, by, where, period, top, bottom, compare, start, end, sort, ascending, share, inactive_days,
              customer, concentration, distribution, per, bins, quantiles, include_non_merchandise, spec_json,
              csv_path, list_layer, as_json) -> None:
    """Answer one exact question: e.g. `mka query --metric revenue --by month --where department=MEAT`."""
    from models.analytics.query import QueryError, describe_layer, run_query

    try:
        if list_layer:
            echo_json(describe_layer(ws))
            return
        if spec_json:
            try:
                spec = json.loads(spec_json)
            except json.JSONDecodeError as exc:
                raise QueryError(f"--spec is not valid JSON: {exc}") from exc
        else:
            spec = spec_from_flags(metric, by, where, top, compare, start, end, sort, inactive_days,
                                   include_non_merchandise, period, bottom, share, customer, concentration,
                                   distribution, per, bins, quantiles, ascending)
        res = run_query(ws, spec)
    except QueryError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(EXIT_USER_ERROR)
    if csv_path is not None:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=res["columns"])
            w.writeheader()
            w.writerows(res["rows"])
    if as_json:
        echo_json(res)
    else:
        _print(res)
        if csv_path is not None:
            click.echo(f"Rows written to {csv_path}")


COMMANDS = [query_cmd]
