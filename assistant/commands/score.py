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
@click.option("--orders", "orders_path", default=None,
              help="Orders as Parquet (file or folder) or CSV with customer_id, timestamp, amount "
                   "(default: the workspace's orders). With --engine spark also a URI Spark reads "
                   "(s3a://, abfss://, dbfs:/).")
@click.option("--as-of", "as_of", default=None, help="Score as of this date (default: the model's as-of date).")
@click.option("--buckets", type=click.IntRange(1, 100_000), default=64, show_default=True,
              help="With --engine spark: hash buckets of customers (one pandas call each).")
@click.option("--picks", "n_picks", type=click.IntRange(0, 20), default=5, show_default=True,
              help="Product ids per customer in top_picks (from the trained recommender); 0: no top_picks.")
@click.option("--no-value", is_flag=True, help="Leave out clv, p_alive and churn_risk_30d.")
@click.option("--out", "out_dir", required=True,
              help="Folder for the Parquet output (replaced); with --engine spark also a URI.")
@workspace_option
@json_option
@user_errors
def score_cmd(ws, engine: str, master: str | None, orders_path: Path | None, as_of: str | None, buckets: int,
              n_picks: int, no_value: bool, out_dir: Path, as_json: bool) -> None:
    """Score every customer with the trained predictor: customer_id, p_buy_<h>d, expected_orders_<h>d and
    expected_spend_<h>d for each trained horizon, as of a date, to Parquet in --out; and, when those models
    are trained, clv, p_alive, churn_risk_30d (value model) and top_picks (recommender)."""
    from models.data.errors import WorkspaceError
    from models.predictor.batch import write_scores

    orders_path, out_dir = _where(orders_path, engine, "--orders"), _where(out_dir, engine, "--out")
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
    value, picks, extras = _extras(ws, no_value, n_picks)
    try:
        info = write_scores(orders, ck, out_dir, as_of=as_of, products=products, engine=engine, master=master,
                            n_buckets=buckets, value=value, picks=picks, n_picks=max(n_picks, 1))
    except ValueError as exc:  # orders without the needed columns
        raise WorkspaceError(str(exc)) from exc
    info.update(extras)
    if value is not None:
        from models.predictor.batch import predictor_from_bytes, checkpoint_bytes
        from models.value.batch import churn_source

        info["churn_model"] = churn_source(value, predictor_from_bytes(checkpoint_bytes(ck)).horizons_)
    if as_json:
        echo_json(info)
    else:
        click.echo(f"Scored {info['rows']} customers as of {info['as_of']} ({engine}) -> {info['out']}")
        click.echo("Columns: " + ", ".join(info["columns"]))
        for key in ("value", "picks"):
            click.echo(f"{key}: {info[key]}")


def _where(value: str | None, engine: str, flag: str):
    """A local path (``--orders`` must exist), or on Spark a URI kept as the string Spark reads."""
    from models.predictor.batch import is_uri

    if value is None:
        return None
    if is_uri(value):
        if engine != "spark":
            raise click.BadParameter(f"{value}: a URI needs --engine spark (local reads local files)", param_hint=flag)
        return value
    path = Path(value)
    if flag == "--orders" and not path.exists():
        raise click.BadParameter(f"{value}: no such file or folder", param_hint=flag)
    return path


def _extras(ws, no_value: bool, n_picks: int) -> tuple[dict | None, Path | None, dict]:
    """(value spec or None, the recommender's saved picks or None, what the output says about both)."""
    from models.value.batch import value_spec

    notes: dict = {}
    value = None
    v_info = ws.artifact_info("value")
    if no_value:
        notes["value"] = "left out (--no-value)"
    elif not v_info or "params" not in v_info:
        notes["value"] = "not fitted: run `mka train` for clv, p_alive and churn_risk_30d"
    else:
        from models.value.workspace import saved_value_backtest

        bt = saved_value_backtest(ws)
        value = value_spec(v_info, churn_default=(bt or {}).get("churn", {}).get("default"))
        notes["value"] = (f"{v_info.get('model')} fitted as of {v_info.get('as_of')}; "
                          f"{v_info.get('clv_definition')}; churn_risk_30d = P(no purchase in the next 30 days); "
                          f"backtest: {(bt or {}).get('clv', {}).get('backtest_line', 'not backtested yet')}")
    picks = None
    r_info = ws.artifact_info("recommend")
    if n_picks == 0:
        notes["picks"] = "left out (--picks 0)"
    elif not r_info or not ws.artifact_path("recommendations.parquet").exists():
        notes["picks"] = ("not fitted: run `mka train` (needs product_id in the orders) for top_picks")
    else:
        picks = ws.artifact_path("recommendations.parquet")
        notes["picks"] = (f"top {n_picks} products of each customer's next basket ({r_info.get('method')}, fitted "
                          f"as of {r_info.get('as_of')}; backtest {r_info.get('metrics')}); customers the "
                          f"recommender did not see have none")
    return value, picks, notes


COMMANDS = [score_cmd]
