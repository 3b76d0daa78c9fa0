"""`mka recommend`: next-basket product picks per customer (repeat and explore apart), a segment's shared picks,
every customer's picks as CSV, and the next-basket backtest (`--backtest`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import csv_option, echo_json, json_option, user_errors, workspace_option, write_csv

__all__ = ["COMMANDS", "recommend_cmd", "audience_cmd", "print_next_basket_backtest"]

CSV_COLUMNS = ["customer_id", "rank", "product_id", "product_name", "score", "kind"]


@click.command("recommend")
@click.option("--customer", "customer", default=None, help="One customer's id.")
@click.option("--segment", default=None, help="A segment's most shared picks (name; needs `mka segment`).")
@click.option("--all", "all_", is_flag=True, help="Every customer's picks (use with --csv).")
@click.option("--k", type=click.IntRange(1, 20), default=10, show_default=True, help="Picks per customer.")
@click.option("--backtest", "show_backtest", is_flag=True,
              help="Show the next-basket backtest (G-TopFreq, P-TopFreq, GP-TopFreq, TIFU-KNN) instead of picks.")
@click.option("--rerun", is_flag=True, help="With --backtest: run it again instead of reading the saved one.")
@click.option("--level", type=click.Choice(["product", "category"]), default="product", show_default=True,
              help="With --customer or --all: pick products, or categories (needs a products table).")
@workspace_option
@csv_option("Write one row per customer and pick: " + ", ".join(CSV_COLUMNS) + ".")
@json_option
@user_errors
def recommend_cmd(ws, customer: str | None, segment: str | None, all_: bool, k: int, csv_path: Path | None,
                  show_backtest: bool, rerun: bool, level: str, as_json: bool) -> None:
    """What each customer will most likely buy next: the method (GP-TopFreq or TIFU-KNN) chosen by a
    next-basket backtest, with its Recall@10 against the baselines."""
    from models.recommend.card import backtest_line

    if "product_id" not in set(ws.table_info("orders")["columns"]):
        raise click.UsageError("the orders table has no product_id column: product recommendations need one "
                               "(every other command works on a customer/date/amount file)")
    chosen = [n for n, v in (("--customer", customer), ("--segment", segment), ("--all", all_), ("--backtest",
                                                                                                  show_backtest)) if v]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --customer ID, --segment S, --all or --backtest")
    if show_backtest:
        return print_next_basket_backtest(ws, rerun, as_json)
    if segment is not None:
        return _segment(ws, segment, k, csv_path, as_json)
    from models.recommend.workspace import recommend, recommend_categories

    if level == "category" and (segment is not None or show_backtest):
        raise click.UsageError("--level category goes with --customer or --all")
    pick = recommend_categories if level == "category" else recommend  # the same shape, categories as items
    if customer is not None:
        orders = ws.read_table("orders", columns=["customer_id"])
        if customer not in set(orders["customer_id"].astype(str)):
            raise click.BadParameter(f"customer {customer!r} has no orders in this workspace", param_hint="--customer")
    try:
        res = pick(ws, None if all_ else [customer], k=k)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    rows = res["rows"][CSV_COLUMNS]
    line = backtest_line(res["method"], res["backtest"])
    wrote = write_csv(rows, csv_path, f"rows ({rows['customer_id'].nunique()} customers)")
    if as_json:
        echo_json(json.loads(json.dumps({"method": res["method"], "as_of": res["as_of"], "source": res["source"],
                                         "backtest_line": line, "note": res.get("note"),
                                         "picks": rows.to_dict("records")}, default=str)))
        return
    click.echo(f"Next-basket {'category ' if level == 'category' else ''}picks "
               f"({'all customers' if all_ else 'customer ' + customer}) — as of {res['as_of']}; "
               f"method {res['method']} ({res['source']})")
    click.echo(line)
    if res.get("note"):
        click.echo(f"Note: {res['note']}.")
    if not all_:
        click.echo("")
        click.echo(f"{'rank':>4}  {'product':<45} {'kind':<8} {'score':>7}")
        for r in rows.itertuples():
            click.echo(f"{r.rank:>4}  {str(r.product_name)[:45]:<45} {r.kind:<8} {r.score:>7.3f}")
    if wrote:
        click.echo("\n" + wrote)
    elif all_:
        click.echo(f"{rows['customer_id'].nunique()} customers; use --csv FILE to write every pick")


def _segment(ws, segment: str, k: int, csv_path: Path | None, as_json: bool) -> None:
    import pandas as pd

    from tools._common import ToolArgError
    from tools.context import ToolContext
    from tools.recommend import recommend_products_impl

    try:
        res = recommend_products_impl(ToolContext(ws), segment=segment, k=k)
    except (ToolArgError, FileNotFoundError) as exc:
        raise click.BadParameter(str(exc), param_hint="--segment") from None
    wrote = write_csv(pd.read_csv(res["export_csv"])[CSV_COLUMNS], csv_path, "picks of the members")
    if as_json:
        echo_json(json.loads(json.dumps({k_: v for k_, v in res.items() if k_ != "backtest"}, default=str)))
        return
    click.echo(f"Next-basket picks shared in segment {res['segment']} ({res['n_customers']} customers) — as of "
               f"{res['as_of']}; method {res['method']}")
    click.echo(res["backtest_line"])
    click.echo("")
    click.echo(f"{'product':<45} {'customers':>9} {'mean rank':>9} {'repeat':>7}")
    for p in res["segment_picks"]:
        click.echo(f"{str(p['product_name'])[:45]:<45} {p['customers']:>9} {p['mean_rank']:>9.1f} "
                   f"{p['repeat_share']:>7.0%}")
    if wrote:
        click.echo("\n" + wrote)


def print_next_basket_backtest(ws, rerun: bool, as_json: bool) -> None:
    """`mka recommend --backtest` and `mka backtest --target next-basket`: every method's Recall@10, NDCG@10,
    PHR@10 and repeat / explore recall on the same cutoffs, the chosen one starred, its paired 95% CIs."""
    from models.data.artifacts import read_artifact
    from models.recommend.evaluate import backtest
    from models.recommend.workspace import BACKTEST_METHODS, CARD_FILE, _orders

    path = ws.artifact_path(CARD_FILE)
    if path.exists() and not rerun:
        card = read_artifact(path, lambda p: dict(json.loads(p.read_text("utf-8"))), what="recommender card")
        bt, source = card["backtest"], f"saved at the last fit ({card['as_of']})"
    else:
        bt, source = backtest(_orders(ws), methods=BACKTEST_METHODS), "run now"
        card = {"method": None}
    if as_json:
        echo_json({**bt, "chosen": card.get("method"), "source": source})
        return
    if "error" in bt:
        raise click.UsageError(bt["error"])
    k = bt["k"]
    click.echo(f"Next-basket backtest ({source}): target {bt['target']}; cutoffs {', '.join(bt['cutoffs'])}; "
               f"{bt['n_customers']} customer-baskets")
    cols = [f"recall@{k}", f"ndcg@{k}", f"phr@{k}", f"recall_repeat@{k}", f"recall_explore@{k}"]
    click.echo(f"  {'method':<12}" + "".join(f" {c:>18}" for c in cols))
    for m, sc in bt["methods"].items():
        mark = " *" if m == card.get("method") else ""
        click.echo(f"  {m + mark:<12}" + "".join(f" {'-' if sc.get(c) is None else format(sc[c], '.4f'):>18}"
                                                  for c in cols))
    best = card.get("method")
    if best and best in bt.get("paired_recall_diff", {}):
        for other, d in bt["paired_recall_diff"][best].items():
            click.echo(f"  {best} − {other}: Recall@{k} {d['diff']:+.4f} (paired 95% CI {d['ci95'][0]:+.4f} .. "
                       f"{d['ci95'][1]:+.4f})")


AUDIENCE_COLUMNS = ["customer_id", "probability", "bought_before", "days_since_last"]


@click.command("audience")
@click.option("--product", "product", default=None, help="Words of a product name, or a product id.")
@click.option("--category", "category", default=None, help="A category or department name (e.g. Coffee).")
@click.option("--horizon", type=click.IntRange(7, 365), default=30, show_default=True, help="Window in days.")
@click.option("--top", "top", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="Customers to list (the CSV has everyone).")
@workspace_option
@csv_option("Write every customer: " + ", ".join(AUDIENCE_COLUMNS) + ".", with_json=True)
@json_option
@user_errors
def audience_cmd(ws, product: str | None, category: str | None, horizon: int, top: int, csv_path: Path | None,
                 as_json: bool) -> None:
    """Who will buy a product or category within --horizon days ("who will buy coffee next month?"): each
    customer's probability, with a backtest one window back against "bought it before" and popularity."""
    if (product is None) == (category is None):
        raise click.UsageError("give exactly one of --product or --category")
    from models.recommend.workspace import product_audience
    from tools.recommend import audience_backtest_line

    query = category if category is not None else product
    hint = "--category" if category is not None else "--product"
    try:
        res = product_audience(ws, query, horizon_days=horizon, top_k=top)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None
    kind = res["resolved"]["kind"]
    if category is not None and kind not in ("category", "department"):
        raise click.BadParameter(f"{category!r} is not a category or department name (it matches "
                                 f"{res['resolved']['label']}); use --product for product names", param_hint=hint)
    rows = res["rows"][AUDIENCE_COLUMNS]
    line = audience_backtest_line(res["backtest"], top)
    wrote = write_csv(rows, csv_path, "customers")
    if as_json:
        echo_json(json.loads(json.dumps({
            "target": res["target"], "as_of": res["as_of"], "horizon_days": horizon, "resolved": {
                k: v for k, v in res["resolved"].items() if k != "product_ids"} | {
                "n_products": len(res["resolved"]["product_ids"])}, "model": res["model"],
            "base_rate": round(res["base_rate"], 4), "expected_buyers": round(float(rows["probability"].sum()), 1),
            "backtest": res["backtest"], "backtest_line": line,
            "customers": json.loads(rows.head(top).to_json(orient="records"))}, default=str)))
        return
    click.echo(f"Target: {res['target']} ({len(res['resolved']['product_ids'])} products; model: {res['model']})")
    if res["resolved"].get("note"):
        click.echo(res["resolved"]["note"])
    click.echo(f"Expected buyers: {rows['probability'].sum():.0f} of {len(rows)} customers "
               f"(base rate {res['base_rate']:.1%})")
    click.echo(line)
    click.echo("")
    click.echo(f"{'customer':<12} {'P(buys)':>8} {'bought before':>13} {'last bought':>12}")
    for r in rows.head(top).itertuples():
        last = "never" if r.days_since_last != r.days_since_last else f"{r.days_since_last:.0f} d ago"
        click.echo(f"{str(r.customer_id):<12} {r.probability:>8.1%} {r.bought_before:>13} {last:>12}")
    if wrote:
        click.echo("\n" + wrote)


COMMANDS = [recommend_cmd, audience_cmd]
