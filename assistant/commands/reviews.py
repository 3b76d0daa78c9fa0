"""`mka index` (build the review index), `mka reviews search` and `mka reviews summary` (evidence with review ids)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

import click

from assistant.commands.common import chroma_option, echo_json, json_option, user_errors, workspace_option

__all__ = ["COMMANDS", "index_cmd", "reviews_group", "search_cmd", "summary_cmd"]

SYNTHETIC_NOTE = "Reviews marked synthetic were generated for the demo; they are not real customer text."


def _value_errors(fn: Callable) -> Callable:
    """A bad filter (unknown product, rating out of range, unreadable date) is a usage error: exit 2, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None

    return wrapper


def _console():
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped / captured: don't squeeze tables into 80 columns
        console = Console(width=200)
    return console


def _short(text: str, n: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


@click.command("index")
@click.option("--reviews", "reviews_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ingest this review file (CSV/Parquet/JSON lines, Amazon format recognised) first.")
@chroma_option
@workspace_option
@json_option
@user_errors
def index_cmd(ws: Any, reviews_file: Path | None, as_json: bool) -> None:
    """Build or update the review search index (only new or changed reviews are embedded)."""
    from models.reviews.index import index_workspace

    ingested = None
    if reviews_file is not None:
        from models.data.ingest import ingest_files

        ingested = ingest_files(ws, reviews=reviews_file, progress=not as_json)
    info = index_workspace(ws, progress=not as_json)
    if as_json:
        echo_json({"ingested": ingested, "index": info})
        return
    console = _console()
    console.print(f"Review index in {info['path']}: {info['n_reviews']:,} reviews as {info['n_passages']:,} passages "
                  f"({info['embedded']:,} embedded, {info['metadata_updated']:,} updated, "
                  f"{info['deleted']:,} removed, {info['unchanged']:,} unchanged) in {info['seconds']:.1f} s.",
                  highlight=False)
    if info.get("n_synthetic"):
        console.print(f"[yellow]{info['n_synthetic']:,} of the reviews are synthetic (demo data).[/]")


@click.group("reviews")
def reviews_group() -> None:
    """Search the reviews and summarize what customers say, with review ids as evidence."""


@reviews_group.command("search")
@click.argument("query")
@click.option("--product", "-p", help="Product id, name or category.")
@click.option("--min-rating", type=click.IntRange(1, 5))
@click.option("--max-rating", type=click.IntRange(1, 5))
@click.option("--since", help="Only reviews on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only reviews on or before this date (YYYY-MM-DD).")
@click.option("-k", "--limit", "k", type=click.IntRange(1, 200), default=10, show_default=True)
@chroma_option
@workspace_option
@json_option
@user_errors
@_value_errors
def search_cmd(ws: Any, query: str, product: str | None, min_rating: int | None, max_rating: int | None,
               since: str | None, until: str | None, k: int, as_json: bool) -> None:
    """Reviews matching QUERY (meaning and words), one row per review."""
    from models.reviews.index import workspace_index
    from models.reviews.intent import query_polarity

    index = workspace_index(ws)
    intent = query_polarity(query)  # complaints / praise rank by relevance and learned polarity
    hits = index.search(query, product=product, min_rating=min_rating, max_rating=max_rating,
                        since=since, until=until, k=k, intent=intent)
    check = index.check_topic(query, hits[:8])  # abstain: no hit is about the topic
    if check["no_match"]:
        hits = []
    filters = {"product": product, "min_rating": min_rating, "max_rating": max_rating, "since": since,
               "until": until}
    if as_json:
        echo_json({"query": query, "filters": {f: v for f, v in filters.items() if v is not None}, "reviews": hits,
                   "intent": intent, "no_match": check["no_match"], "nearest_topics": check["nearest_topics"]})
        return
    from rich.table import Table

    console = _console()
    if check["no_match"]:
        near = ", ".join(f"“{t['topic']}”" for t in check["nearest_topics"])
        console.print(f"No review mentions “{query}”." + (f" Nearest topics that do occur: {near}." if near else ""))
        return
    if intent:
        console.print(f"Ranked by relevance and by how much each reads like a "
                      f"{'complaint' if intent == 'negative' else 'praise'} (learned from the star ratings).")
    shown = ", ".join(f"{f}={v}" for f, v in filters.items() if v is not None)
    table = Table(title=f"Reviews for {query!r}" + (f" ({shown})" if shown else ""), title_justify="left")
    for col, kw in [("#", {"justify": "right"}), ("review id", {}), ("product", {}), ("rating", {"justify": "right"}),
                    ("date", {}), ("text", {"ratio": 1})]:
        table.add_column(col, **kw)
    for i, h in enumerate(hits, 1):
        rid = h["review_id"] + (" (synthetic)" if h["synthetic"] else "")
        table.add_row(str(i), rid, _short(h["product_name"], 40), "★" * h["rating"], h["timestamp"] or "–",
                      _short(h["text"]))
    console.print(table)
    if not hits:
        console.print("No review matches these filters.")
    if any(h["synthetic"] for h in hits):
        console.print(f"[yellow]{SYNTHETIC_NOTE}[/]")


@reviews_group.command("summary")
@click.argument("query", required=False)
@click.option("--product", "-p", help="Product id, name or category.")
@click.option("--focus", type=click.Choice(["complaints", "praise"]),
              help="Only reviews that read as complaints (or praise): their themes ranked by count and share.")
@chroma_option
@workspace_option
@json_option
@user_errors
@_value_errors
def summary_cmd(ws: Any, query: str | None, product: str | None, focus: str | None, as_json: bool) -> None:
    """Rating distribution, trend and themes (with quoted review ids) for a product and/or QUERY."""
    from models.reviews.summary import summarize_reviews

    intent = {"complaints": "negative", "praise": "positive"}.get(focus or "")
    s = summarize_reviews(ws, product=product, query=query, intent=intent)
    if as_json:
        echo_json(s)
        return
    from rich.table import Table

    console = _console()
    if s.get("no_match"):
        near = ", ".join(f"“{t['topic']}”" for t in s.get("nearest_topics") or [])
        console.print(f"No review mentions “{query}”." + (f" Nearest topics that do occur: {near}." if near else ""))
        return
    if s.get("selection"):
        console.print(f"{focus.capitalize()}: {s['selection']}.")
    scope = " and ".join(x for x in (f"product {product!r}" if product else "", f"query {query!r}" if query else "")
                         if x) or "all reviews"
    if not s["n_reviews"]:
        console.print(f"No reviews for {scope}.")
        return
    console.print(f"[bold]{s['n_reviews']:,} reviews[/bold] for {scope}, mean rating {s['mean_rating']:.2f}"
                  + (" [yellow](synthetic demo reviews)[/]" if s["synthetic"] else ""), highlight=False)
    dist = Table(title="Ratings", title_justify="left")
    dist.add_column("rating")
    dist.add_column("reviews", justify="right")
    dist.add_column("share", justify="right")
    for r in ("5", "4", "3", "2", "1"):
        n = s["rating_distribution"][r]
        dist.add_row("★" * int(r), f"{n:,}", f"{n / s['n_reviews']:.0%}")
    console.print(dist)
    if s["trend"]:
        trend = Table(title="Trend", title_justify="left")
        for col in ("period", "reviews", "mean rating"):
            trend.add_column(col, justify="right" if col != "period" else "left")
        for t in s["trend"][-12:]:
            trend.add_row(t["period"], f"{t['n']:,}", f"{t['mean_rating']:.2f}")
        console.print(trend)
    themes = Table(title="Themes", title_justify="left", show_lines=True)
    for col, kw in [("theme", {}), ("reviews", {"justify": "right"}), ("share", {"justify": "right"}),
                    ("mean\nrating", {"justify": "right"}), ("what they say (review id, rating)", {"ratio": 1})]:
        themes.add_column(col, **kw)
    for t in s["themes"]:
        quotes = "\n".join(f"“{_short(q['text'], 140)}” ({q['review_id']}, {q['rating']}★)" for q in t["quotes"])
        themes.add_row(t["label"], f"{t['count']:,}", f"{t.get('share', 0):.0%}", f"{t['mean_rating']:.2f}", quotes)
    console.print(themes)
    if s["synthetic"]:
        console.print(f"[yellow]{SYNTHETIC_NOTE}[/]")


COMMANDS = [index_cmd, reviews_group]
