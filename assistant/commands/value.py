"""`mka value` (CLV, P(alive), expected purchases) and `mka churn` (the at-risk high-value list)."""

from __future__ import annotations

import math

import click

from .common import echo_json, json_option, user_errors, workspace_option

__all__ = ["COMMANDS", "value_cmd", "churn_cmd"]


def _clean(v):
    """JSON-safe scalars: NaN/inf -> None, timestamps -> ISO dates, numpy -> Python."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if hasattr(v, "isoformat"):
        try:
            return v.date().isoformat() if hasattr(v, "date") else v.isoformat()
        except ValueError:  # NaT
            return None
    if isinstance(v, float):
        return None if not math.isfinite(v) else round(v, 4)
    return v


def _segment_of(ws) -> dict:
    from models.segments.store import load_segments

    try:
        assign, _ = load_segments(ws)
    except Exception:  # segments are optional here
        return {}
    return dict(zip(assign["customer_id"].astype(str), assign["segment"].astype(str)))


@click.command("value")
@click.option("--top", type=click.IntRange(1, 100000), default=20, show_default=True, help="Customers shown, by CLV.")
@workspace_option
@json_option
@user_errors
def value_cmd(ws, top: int, as_json: bool) -> None:
    """Customer lifetime value (BG/NBD + Gamma-Gamma): CLV over the coming year, P(alive), expected purchases."""
    from models.value.clv import OVERDUE_DEFINITION
    from models.value.workspace import customer_values

    values, info = customer_values(ws)
    seg = _segment_of(ws)
    cols = ["clv", "p_alive", "expected_purchases_30d", "expected_purchases_horizon", "expected_spend_per_order",
            "orders", "spend", "last_purchase", "mean_gap_days", "overdue_ratio"]
    shown = values.sort_values("clv", ascending=False).head(top)
    rows = [{"customer_id": str(cid), **{c: _clean(r[c]) for c in cols}, "segment": seg.get(str(cid))}
            for cid, r in shown.iterrows()]
    doc = {"as_of": info["as_of"], "model": info["model"], "params": info["params"], "source": info.get("source"),
           "definitions": [info["clv_definition"], OVERDUE_DEFINITION], "n_customers": int(len(values)),
           "total_clv": _clean(float(values["clv"].sum())), "customers": rows}
    if as_json:
        echo_json(doc)
        return
    click.echo(f"Customer value as of {doc['as_of']} — {doc['model']} ({doc['source']}), {doc['n_customers']:,} "
               f"customers, total CLV {doc['total_clv']:,.2f}")
    click.echo(info["clv_definition"] + ".")
    click.echo(f"{'customer':>12} {'CLV':>10} {'P(alive)':>8} {'E[30d]':>7} {'E[1y]':>7} {'per order':>10} "
               f"{'orders':>6}  last purchase  segment")
    for r in rows:
        click.echo(f"{r['customer_id']:>12} {r['clv'] or 0:>10,.2f} {r['p_alive'] or 0:>8.1%} "
                   f"{r['expected_purchases_30d'] or 0:>7.2f} {r['expected_purchases_horizon'] or 0:>7.2f} "
                   f"{r['expected_spend_per_order'] or 0:>10,.2f} {r['orders']:>6}  {r['last_purchase']}     "
                   f"{r['segment'] or ''}")


@click.command("churn")
@click.option("--top", type=click.IntRange(1, 100000), default=20, show_default=True, help="Customers listed.")
@click.option("--min-value-quantile", type=click.FloatRange(0, 1, max_open=True), default=0.8, show_default=True,
              help="CLV quantile a customer must reach to count as high-value (0.8: the top 20%).")
@click.option("--segment", default=None, help="Only this segment's customers (exact name; needs `mka segment`).")
@workspace_option
@json_option
@user_errors
def churn_cmd(ws, top: int, min_value_quantile: float, segment: str | None, as_json: bool) -> None:
    """High-value customers at risk of churning: CLV above a quantile, overdue against their own usual gap,
    ranked by value at risk (CLV × P(no purchase in the next 30 days)), with reasons."""
    from models.value.workspace import at_risk

    doc = at_risk(ws, min_value_quantile=min_value_quantile, top_k=top, segment=segment, segment_of=_segment_of(ws))
    rows_df = doc.pop("rows")
    doc.pop("values")
    info = doc.pop("info")
    cols = ["clv", "churn_risk", "value_at_risk", "p_alive", "overdue_ratio", "last_purchase", "days_since_last",
            "mean_gap_days", "segment"]
    rows = [{"customer_id": str(cid), **{c: _clean(r[c]) for c in cols}, "reasons": list(r["reasons"])}
            for cid, r in rows_df.iterrows()]
    doc = {k: _clean(v) if not isinstance(v, (list, dict)) else v for k, v in doc.items()}
    doc.update(source=info.get("source"), customers=rows)
    if as_json:
        echo_json(doc)
        return
    click.echo(f"High-value customers at risk as of {doc['as_of']}: {doc['n_high_value_overdue']} of "
               f"{doc['n_high_value']} with CLV ≥ {doc['value_threshold']:,.2f} are overdue "
               f"(value at risk {doc['value_at_risk_total']:,.2f}).")
    for d in doc["definitions"]:
        click.echo(f"  {d}")
    click.echo(f"  value model: {doc['value_model']}; churn model: {doc['churn_model']}")
    for r in rows:
        click.echo(f"{r['customer_id']:>12}  value at risk {r['value_at_risk'] or 0:,.2f}  (CLV {r['clv'] or 0:,.2f}, "
                   f"churn risk {r['churn_risk'] or 0:.0%})")
        click.echo("              " + "; ".join(r["reasons"]))
    if doc["n_high_value_one_order"]:
        click.echo(f"({doc['n_high_value_one_order']} high-value customers have a single order: no usual gap to be "
                   f"overdue against, not listed.)")


COMMANDS = [value_cmd, churn_cmd]
