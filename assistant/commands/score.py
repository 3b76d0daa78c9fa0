"""`mka score`: every customer's purchase scores as of a date, written as Parquet, in-process or on Spark."""

from __future__ import annotations

from pathlib import Path

import click

from .common import echo_json, json_option, parse_as_of, user_errors, workspace_option

__all__ = ["COMMANDS", "score_cmd"]


@click.command("score")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="local: pandas in this process; spark: hash buckets of customers scored with applyInPandas.")
@click.option("--master", default=None, help="With --engine spark: the Spark master URL (default: local[2]).")
@click.option("--orders", "orders_path", type=click.Path(exists=True, path_type=Path), default=None,
              help="Orders as Parquet (file or folder) or CSV with customer_id, timestamp, amount "
                   "(default: the workspace's orders).")
@click.option("--as-of", "as_of", default=None, help="Score as of this date (default: the model's as-of date).")
@click.option("--buckets", type=click.IntRange(1, 100_000), default=64, show_default=True,
              help="With --engine spark: hash buckets of customers (one pandas call each).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the Parquet output (replaced).")
@workspace_option
@json_option
@user_errors
def score_cmd(ws, engine: str, master: str | None, orders_path: Path | None, as_of: str | None, buckets: int,
              out_dir: Path, as_json: bool) -> None:
    """Score every customer with the trained predictor: customer_id, p_buy_<h>d, expected_orders_<h>d and
    expected_spend_<h>d for each trained horizon, as of a date, to Parquet in --out."""
    from models.data.errors import WorkspaceError
    from models.predictor.batch import write_scores

    ck = ws.artifact_path("predictor.pt")
    if not ck.exists():
        raise WorkspaceError(f"{ck}: no trained predictor in workspace {ws.path}; run `mka train` "
                             f"(or `mka demo`) first")
    if orders_path is None and not ws.has_table("orders"):
        raise WorkspaceError(f"workspace {ws.path} has no orders; pass --orders PATH or run `mka ingest`")
    if orders_path is None:  # the range is the workspace's orders; an --orders file is checked by its scorer
        as_of = parse_as_of(ws, as_of)
    orders = orders_path if orders_path is not None else ws.read_table("orders")
    products = ws.read_table("products") if ws.has_table("products") else None
    try:
        info = write_scores(orders, ck, out_dir, as_of=as_of, products=products, engine=engine, master=master,
                            n_buckets=buckets)
    except ValueError as exc:  # orders without the needed columns
        raise WorkspaceError(str(exc)) from exc
    if as_json:
        echo_json(info)
    else:
        click.echo(f"Scored {info['rows']} customers as of {info['as_of']} ({engine}) -> {info['out']}")
        click.echo("Columns: " + ", ".join(info["columns"]))


COMMANDS = [score_cmd]
