"""`mka value` (CLV, P(alive), expected purchases) and `mka churn` (the at-risk high-value list)."""

from __future__ import annotations

import math

import click

from .common import echo_json, json_option, user_errors, workspace_option

__all__ = ["COMMANDS", "value_cmd", "churn_cmd", "print_value_backtest"]


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
           "total_clv": _clean(float(values["clv"].sum())), "backtest": info.get("clv_backtest"), "customers": rows}
    if as_json:
        echo_json(doc)
        return
    click.echo(f"Customer value as of {doc['as_of']} — {doc['model']} ({doc['source']}), {doc['n_customers']:,} "
               f"customers, total CLV {doc['total_clv']:,.2f}")
    click.echo(info["clv_definition"] + ".")
    click.echo(f"Backtest: {doc['backtest']}")
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
    click.echo(f"  backtest: {doc['clv_backtest']}")
    if doc["churn_backtest"] != doc["clv_backtest"]:
        click.echo(f"  backtest: {doc['churn_backtest']}")
    for r in rows:
        click.echo(f"{r['customer_id']:>12}  value at risk {r['value_at_risk'] or 0:,.2f}  (CLV {r['clv'] or 0:,.2f}, "
                   f"churn risk {r['churn_risk'] or 0:.0%})")
        click.echo("              " + "; ".join(r["reasons"]))
    if doc["n_high_value_one_order"]:
        click.echo(f"({doc['n_high_value_one_order']} high-value customers have a single order: no usual gap to be "
                   f"overdue against, not listed.)")


def _f(v, nd: int = 3) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "-"
    return f"{f:.{nd}f}" if math.isfinite(f) else "-"


def print_value_backtest(ws, target: str, rerun: bool, quick: bool, as_json: bool) -> None:
    """`mka backtest --target clv|churn`: per cutoff and mean, every candidate and baseline, the default chosen
    and its paired 95% CIs against each other model."""
    from models.value.workspace import value_backtest

    bt = value_backtest(ws, rerun=rerun, quick=quick, progress=lambda m: click.echo(m, err=True))
    part = bt[target]
    if as_json:
        echo_json({"target": part["target"], "as_of": bt["as_of"], "cutoffs": bt["cutoffs"],
                   "default": part["default"], "default_label": part["default_label"],
                   "choice_rule": part["choice_rule"], "labels": part["labels"], "baselines": part["baselines"],
                   "per_cutoff": part["per_cutoff"], "mean": part["mean"], "paired": part["paired"],
                   "paired_sign": part["paired_sign"], "backtest_line": part["backtest_line"],
                   **({"at_risk_list": part["at_risk_list"]} if "at_risk_list" in part else {}),
                   "warnings": bt.get("warnings", []), "note": bt.get("note"), "source": bt.get("source")})
        return
    metrics = ["spearman", "top_decile_capture", "mae", "pred_over_actual"] if target == "clv" else \
        ["precision_at_10pct", "lift_at_10pct", "pr_auc", "roc_auc"]
    click.echo(f"Target: {part['target']} — as of {bt['as_of']}, {len(bt['cutoffs'])} rolling cutoffs "
               f"({bt['cutoffs'][0]} … {bt['cutoffs'][-1]}; {bt.get('source')})")
    click.echo(part["backtest_line"])
    click.echo(f"Default: {part['default_label']} — {part['choice_rule']}.")
    click.echo("")
    click.echo(f"{'mean over cutoffs':<45} " + " ".join(f"{m:>18}" for m in metrics))
    for name, m in part["mean"].items():
        tag = " (default)" if name == part["default"] else " (baseline)" if name in part["baselines"] else ""
        click.echo(f"{(part['labels'][name] + tag)[:45]:<45} " + " ".join(f"{_f(m.get(k)):>18}" for k in metrics))
    click.echo("")
    click.echo(f"Default minus each other model, mean over cutoffs [95% CI] ({part['paired_sign']}):")
    for name, diffs in part["paired"].items():
        cells = [f"{k} {_f(d['mean_diff'])} [{_f(d['ci_low'])}, {_f(d['ci_high'])}]" for k, d in diffs.items()]
        click.echo(f"  vs {part['labels'][name]}: " + "; ".join(cells))
    if bt.get("note"):
        click.echo(f"Note: {bt['note']}")
    for w in bt.get("warnings", []):
        click.secho(f"Warning: {w}", fg="yellow")


COMMANDS = [value_cmd, churn_cmd]
