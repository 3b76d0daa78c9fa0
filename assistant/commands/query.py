"""`mka query`: one exact query over the semantic layer (metrics x dimensions, filters, windows, comparisons)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from .common import EXIT_USER_ERROR, echo_json, json_option, user_errors, workspace_option

__all__ = ["COMMANDS", "query_cmd", "spec_from_flags"]


def spec_from_flags(metric: tuple[str, ...], by: tuple[str, ...], where: tuple[str, ...], top: int | None,
                    compare: str | None, start: str | None, end: str | None, sort: str | None,
                    inactive_days: int | None, include_non_merchandise: bool) -> dict:
    filters = []
    for w in where:
        if "=" not in w:
            raise click.UsageError(f"--where takes DIMENSION=VALUE[,VALUE...], got {w!r}")
        dim, vals = w.split("=", 1)
        filters.append({"dimension": dim.strip(), "op": "in", "values": [v.strip() for v in vals.split(",") if v.strip()]})
    metrics = [m.strip() for x in metric for m in x.split(",") if m.strip()] or ["revenue"]
    dims = [d.strip() for x in by for d in x.split(",") if d.strip()]
    return {"metrics": metrics, "by": dims, "filters": filters, "top": top, "compare": compare, "start": start,
            "end": end, "sort": sort, "inactive_days": inactive_days,
            "include_non_merchandise": include_non_merchandise}


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
@click.option("--where", multiple=True, help="Filter DIMENSION=VALUE[,VALUE...] (repeatable).")
@click.option("--top", type=int, default=None, help="Keep the first N rows after sorting.")
@click.option("--compare", default=None, help="Two periods A:B, e.g. 2017-Q2:2017-Q3 (absolute and % change).")
@click.option("--start", default=None, help="First period or date included (2017-06, 2017-Q2, 2017-06-15).")
@click.option("--end", default=None, help="Last period or date included.")
@click.option("--sort", default=None, help="Sort by a metric, a dimension or 'change'.")
@click.option("--inactive-days", type=int, default=None, help="Only customers with no order in the last N days.")
@click.option("--include-non-merchandise", is_flag=True, help="Keep fuel/coupon/misc lines in rankings.")
@click.option("--spec", "spec_json", default=None, help="The whole query as JSON (overrides the flags).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the rows to this CSV file.")
@click.option("--list", "list_layer", is_flag=True, help="List the metrics and dimensions this workspace supports.")
@json_option
@workspace_option
@user_errors
def query_cmd(ws, metric, by, where, top, compare, start, end, sort, inactive_days, include_non_merchandise,
              spec_json, csv_path, list_layer, as_json) -> None:
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
                                   include_non_merchandise)
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
