"""`mka ingest`, `mka overview`, `mka demo`: get data into a workspace and see what is there."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from .common import echo_json, json_option, user_errors, workspace_option

__all__ = ["COMMANDS", "ingest_cmd", "overview_cmd", "demo_cmd", "print_overview"]

_FILE = click.Path(dir_okay=False, path_type=Path)


def _console():
    from rich.console import Console

    return Console()


def _print_ingest(result: dict) -> None:
    from rich.table import Table

    table = Table(title=f"Workspace {result['workspace']}", title_justify="left")
    for col, kw in (("table", {}), ("status", {}), ("rows", {"justify": "right"}), ("source", {"overflow": "fold"})):
        table.add_column(col, **kw)
    colour = {"added": "green", "replaced": "yellow", "unchanged": "dim"}
    for name, status in result["status"].items():
        table.add_row(name, f"[{colour.get(status, '')}]{status}[/]", f"{result['rows'].get(name, 0):,}",
                      result["sources"].get(name, ""))
    _console().print(table)
    for name, cols in result.get("auto_mapped", {}).items():
        _console().print(f"{name}: read " + ", ".join(f"'{src}' as {canon}" for src, canon in cols.items())
                         + " (pass --map to read another column)", highlight=False)
    for name, n in result.get("duplicates_dropped", {}).items():
        _console().print(f"{n:,} exact duplicate row(s) dropped from {name} (same reviewer, product, text and "
                         "rating as an earlier row).", highlight=False)


def print_overview(ov: dict) -> None:
    """The overview as readable tables (shared with `mka demo`)."""
    from rich.table import Table

    console = _console()
    head = Table(title="Workspace overview", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column(justify="right")
    head.add_row("Customers", f"{ov['customers']:,}")
    head.add_row("Orders", f"{ov['orders']:,}")
    head.add_row("Line items", f"{ov['line_items']:,}")
    head.add_row("Revenue (net of returns)", f"${ov['revenue']:,.2f}")
    head.add_row("Date range", f"{ov['date_range'][0]} .. {ov['date_range'][1]}")
    head.add_row("Returns / refunds", f"{ov['returns']['rows']:,} lines, ${ov['returns']['amount']:,.2f}")
    if "reviews" in ov:
        r = ov["reviews"]
        synth = f" ({r['synthetic_rows']:,} SYNTHETIC)" if r["synthetic_rows"] else ""
        head.add_row("Reviews", f"{r['rows']:,}{synth}, mean rating {r['mean_rating']:.2f}")
    console.print(head)

    months = Table(title="Revenue by month", title_justify="left")
    for col in ("month", "revenue", "orders", "customers"):
        months.add_column(col, justify="left" if col == "month" else "right")
    for m in ov["revenue_by_month"]:
        months.add_row(m["month"], f"${m['revenue']:,.2f}", f"{m['orders']:,}", f"{m['customers']:,}")
    console.print(months)

    if ov["top_categories"]:
        cats = Table(title="Top categories by revenue" + (" (fuel, coupons and misc left out)"
                                                          if ov.get("top_categories_note") else ""),
                     title_justify="left")
        for col in ("category", "revenue", "share"):
            cats.add_column(col, justify="left" if col == "category" else "right")
        for c in ov["top_categories"]:
            share = "–" if c["share"] is None else f"{c['share']:.1%}"
            cats.add_row(c["category"], f"${c['revenue']:,.2f}", share)
        console.print(cats)
    else:
        console.print("[dim]No product categories: ingest a products file with a category column to see them.[/]")
    synthetic = [n for n, t in ov.get("tables", {}).items() if "SYNTHETIC" in str(t.get("source", "")).upper()]
    if synthetic:
        console.print(f"[yellow]Note: the {', '.join(synthetic)} table is synthetic demo data, not real "
                      f"customers' words.[/]")


@click.command("ingest")
@click.option("--orders", type=_FILE, help="Orders / line items: customer, date, amount (more columns optional).")
@click.option("--products", type=_FILE, help="Products: product_id, name, category, brand, price.")
@click.option("--customers", type=_FILE, help="Customers: customer_id plus any attribute columns.")
@click.option("--reviews", type=_FILE, help="Reviews: review_id, product_id, rating 1-5, text (Amazon JSON lines too).")
@click.option("--map", "mapping", multiple=True, metavar="CANONICAL=SOURCE",
              help="Map a column of your file to a canonical name, e.g. --map amount=dollar_value (repeatable; "
                   "orders.amount=value limits it to one table).")
@click.option("--allow-returns", is_flag=True, help="The orders contain returns: accept negative quantities.")
@click.option("--encoding", default=None, help="Text encoding of the files when not UTF-8 (e.g. latin-1, cp1252).")
@click.option("--date-format", default=None, metavar="FORMAT",
              help="How the files write dates when ambiguous, e.g. %d/%m/%Y (day first) or %m/%d/%Y.")
@click.option("--non-merch", "non_merch", default=None, metavar="NAMES",
              help="Categories/departments that are not merchandise, beside the built-in rule (fuel, gift cards, "
                   "lottery, coupons, misc), comma-separated, e.g. \"Fuel,Misc Transactions\"; 'none' clears it. "
                   "Product rankings leave them out and say so.")
@click.option("--merch", "merch", default=None, metavar="NAMES",
              help="Categories/departments the built-in rule would leave out that ARE merchandise; 'none' clears it.")
@workspace_option
@json_option
@user_errors
def ingest_cmd(ws: Any, orders: Path | None, products: Path | None, customers: Path | None, reviews: Path | None,
               mapping: tuple[str, ...], allow_returns: bool, encoding: str | None, date_format: str | None,
               non_merch: str | None, merch: str | None, as_json: bool) -> None:
    """Validate your files and add them to the workspace (all or nothing: a bad file changes nothing)."""
    from models.data.ingest import ingest_files
    from models.data.loaders import parse_mapping

    if not any((orders, products, customers, reviews)) and non_merch is None and merch is None:
        raise click.UsageError("give at least one of --orders, --products, --customers, --reviews "
                               "(or --non-merch / --merch to set the non-merchandise override)")
    if not any((orders, products, customers, reviews)):
        _set_override(ws, non_merch, merch, as_json)
        return
    try:
        maps = parse_mapping(mapping)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--map") from None
    result = ingest_files(ws, orders=orders, products=products, customers=customers, reviews=reviews,
                          mapping=maps, allow_returns=allow_returns, progress=not as_json, encoding=encoding,
                          date_format=date_format)
    if non_merch is not None or merch is not None:
        _set_override(ws, non_merch, merch, as_json, result)
        return
    if as_json:
        echo_json(result)
    else:
        _print_ingest(result)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [] if text.strip().lower() in ("", "none") else [t.strip() for t in text.split(",") if t.strip()]


def _set_override(ws: Any, non_merch: str | None, merch: str | None, as_json: bool, ingested: dict | None = None) -> None:
    from models.analytics.query import QueryError, set_non_merchandise

    try:
        out = set_non_merchandise(ws, _names(non_merch), _names(merch))
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint="--non-merch/--merch") from None
    if as_json:
        echo_json({**({"ingested": ingested} if ingested is not None else {}), "non_merchandise": out})
        return
    if ingested is not None:
        _print_ingest(ingested)
    click.echo("Non-merchandise override stored: also excluded: " + (", ".join(out["non_merchandise"]) or "none")
               + "; kept as merchandise: " + (", ".join(out["merchandise"]) or "none"))
    if out["excluded"]:
        click.echo("Product and category rankings now leave out: " + ", ".join(out["excluded"]))


@click.command("overview")
@workspace_option
@json_option
@user_errors
def overview_cmd(ws: Any, as_json: bool) -> None:
    """Customers, orders, revenue by month, top categories and date range of the workspace."""
    from models.analytics.overview import overview

    ov = overview(ws)
    if as_json:
        echo_json(ov)
    else:
        print_overview(ov)


@click.command("demo")
@click.option("--customers", "n_customers", type=click.IntRange(min=10), default=None,
              help="Use a seeded sample of this many households (default: all 2,469).")
@click.option("--quick", is_flag=True, help="Quick model training (fewer snapshots and epochs).")
@click.option("--no-chat", is_flag=True, help="Stop after building the workspace; do not open the chat.")
@workspace_option
@user_errors
@click.pass_context
def demo_cmd(ctx: click.Context, ws: Any, n_customers: int | None, quick: bool, no_chat: bool) -> None:
    """Build a demo workspace from the real Complete Journey data (with SYNTHETIC reviews), train, segment,
    index the reviews, print the overview, then open the chat."""
    from models import pipeline
    from models.analytics.overview import overview

    from .chat import chat as chat_cmd

    for step in pipeline.STEPS:
        click.secho(step.description, bold=True)
        result = step(ws, progress=True, n_customers=n_customers, quick=quick)
        if step.name == "ingest_demo":
            _print_ingest(result)
    print_overview(overview(ws))
    if not no_chat:
        ctx.invoke(chat_cmd, workspace=ws.path)


COMMANDS = [ingest_cmd, overview_cmd, demo_cmd]
