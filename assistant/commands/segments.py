"""`mka segments` (named segment profiles) and `mka segment-members` (a segment's audience, exportable)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from assistant.commands.common import check_csv_path, echo_json, json_option, parse_as_of, user_errors, workspace_option
from models.data.export import to_csv_safe

__all__ = ["COMMANDS", "segments_cmd", "segment_members_cmd"]


def _fmt(x, spec: str = ",.0f", none: str = "–") -> str:
    return none if x is None else format(x, spec)


def _current_segments(ws, refit: bool) -> tuple[list[dict], dict, str, bool]:
    """Profiles, overall numbers and as_of of the saved segments; (re)fits when asked, missing or stale."""
    import json

    from models.data.artifacts import read_artifact
    from models.segments.store import PROFILES_FILE
    from models.segments.workspace import fit_workspace

    info = ws.artifact_info("segments")
    path = ws.artifact_path(PROFILES_FILE)
    stale = info is not None and info.get("data_hash") != ws.data_hash()
    if refit or stale or info is None or not path.exists():
        result = fit_workspace(ws, progress=False)
        return result["profiles"], result["overall"], result["as_of"], True
    saved = read_artifact(path, lambda p: dict(json.loads(p.read_text("utf-8"))), what="segment profiles")
    return saved["segments"], saved["overall"], saved["as_of"], False


def _console():
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped / captured: don't squeeze the table into 80 columns
        console = Console(width=200)
    return console


def _print_profiles(profiles: list[dict], overall: dict, as_of: str, note: str) -> None:
    from rich.table import Table

    console = _console()
    has_p = any(p.get("p_buy_30d") is not None for p in profiles)
    has_coupon = any(p.get("coupon_rate") is not None for p in profiles)
    table = Table(title=f"Customer segments as of {as_of}", title_justify="left")
    for col, kw in [("id", {"justify": "right"}), ("segment", {}), ("customers", {"justify": "right"}),
                    ("% cust", {"justify": "right"}), ("revenue", {"justify": "right"}),
                    ("% rev", {"justify": "right"}), ("days since\nlast (med)", {"justify": "right"}),
                    ("orders\n(med)", {"justify": "right"}), ("spend\n(med)", {"justify": "right"}),
                    ("avg\nbasket", {"justify": "right"})] \
            + ([("coupon\norders", {"justify": "right"})] if has_coupon else []) \
            + ([("P(buy\n30d)", {"justify": "right"})] if has_p else []) + [("over-indexes on", {})]:
        table.add_column(col, **kw)

    def row(p: dict, label: str, top: str) -> list[str]:
        return ([label, f"{p['size']:,}", f"{p['share_customers']:.0%}", _fmt(p["revenue"]),
                 f"{p['share_revenue']:.0%}", _fmt(p["recency_days_median"], ".0f"), _fmt(p["orders_median"], "g"),
                 _fmt(p["spend_median"]), _fmt(p["avg_basket"], ",.2f")]
                + ([_fmt(p.get("coupon_rate"), ".0%")] if has_coupon else [])
                + ([_fmt(p.get("p_buy_30d"), ".0%")] if has_p else []) + [top])

    for p in profiles:
        top = ", ".join(f"{c['category']} ({c['lift']:.1f}x)" for c in p["top_categories"][:2])
        table.add_row(str(p["segment_id"]), *row(p, p["name"], top))
    table.add_section()
    table.add_row("", *row({**overall, "share_customers": 1.0, "share_revenue": 1.0}, "All customers", ""))
    console.print(table)
    for p in profiles:
        console.print(f"[bold]{p['segment_id']}. {p['name']}[/bold]: {p['description']}", highlight=False)
    console.print(f"[dim]Totals: {overall['n_customers']:,} customers, {overall['n_orders']:,} orders, revenue "
                  f"{overall['revenue']:,.2f} (the same as `mka overview` over all orders before {as_of}). "
                  f"{note}[/dim]", highlight=False)


@click.command("segments")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Segment as of this date (orders before it only); a what-if view, not saved.")
@click.option("--refit", is_flag=True, help="Refit the segments (ids of the previous fit are kept).")
@json_option
@workspace_option
@user_errors
def segments_cmd(ws, as_of: dt.datetime | None, refit: bool, as_json: bool) -> None:
    """Named customer segments with their numbers (fits them if the workspace has none)."""
    from models.segments.workspace import fit_workspace

    if as_of is not None:
        as_of = parse_as_of(ws, as_of)  # inside the orders' range, or exit 2 with the range
        try:
            result = fit_workspace(ws, progress=False, as_of=as_of, save=None)
        except ValueError as exc:  # e.g. no orders before the date
            raise click.BadParameter(str(exc), param_hint="--as-of") from exc
        profiles, overall, when, fitted = result["profiles"], result["overall"], result["as_of"], True
        note = "Fitted now and saved." if result["saved"] else f"Fitted as of {when}; not saved."
    else:
        profiles, overall, when, fitted = _current_segments(ws, refit)
        note = "Fitted now and saved." if fitted else "Saved segments (use --refit to refit)."
    if as_json:
        echo_json({"kind": "segments", "as_of": when, "fitted_now": fitted, "overall": overall,
                   "segments": profiles})
        return
    _print_profiles(profiles, overall, when, note)


@click.command("segment-members")
@click.argument("name")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the members (all, or --limit) to this CSV file.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N members.")
@json_option
@workspace_option
@user_errors
def segment_members_cmd(ws, name: str, csv_path: Path | None, limit: int | None, as_json: bool) -> None:
    """Customers in segment NAME (its id, name, or a unique prefix/words), likeliest buyers first."""
    check_csv_path(csv_path, ws)
    from models.data.atomic import atomic_path
    from models.segments.store import segment_members

    _current_segments(ws, refit=False)  # fits when missing or stale, so the audience matches `mka segments`
    try:
        profile, members = segment_members(ws, name, limit=limit)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from exc
    if csv_path is not None:
        with atomic_path(csv_path, suffix=".csv") as tmp:
            to_csv_safe(members, tmp)
    if as_json:
        echo_json({"kind": "audience", "segment": {k: profile[k] for k in ("segment_id", "name", "description")},
                   "n_total": int(profile["size"]), "n_shown": int(len(members)),
                   "export_csv": str(csv_path) if csv_path else None,
                   "customers": members.astype(object).where(members.notna(), None).to_dict("records")})
        return
    from rich.table import Table

    console = _console()
    shown = members.head(limit or 20)
    table = Table(title=f"{profile['segment_id']}. {profile['name']} — {profile['size']:,} customers",
                  title_justify="left")
    cols = [c for c in ("customer_id", "recency_days", "orders", "spend", "avg_basket", "p_buy_30d") if c in shown]
    for c in cols:
        table.add_column(c.replace("_", " "), justify="left" if c == "customer_id" else "right")
    for r in shown.itertuples(index=False):
        table.add_row(*[str(r.customer_id) if c == "customer_id" else _fmt(getattr(r, c), {
            "recency_days": ".0f", "orders": ".0f", "spend": ",.2f", "avg_basket": ",.2f", "p_buy_30d": ".1%"}[c])
                        for c in cols])
    console.print(table)
    more = len(members) - len(shown)
    console.print((f"… and {more:,} more (--limit / --csv / --json for all). " if more > 0 else "")
                  + (f"Wrote {len(members):,} rows to {csv_path}." if csv_path else ""), highlight=False)


COMMANDS = [segments_cmd, segment_members_cmd]
