"""`mka train`, `mka backtest`, `mka predict`: the purchase predictor from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import csv_option, echo_json, json_option, parse_as_of, user_errors, workspace_option, write_csv

__all__ = ["COMMANDS", "train_cmd", "backtest_cmd", "predict_cmd"]


@click.command("train")
@click.option("--quick", is_flag=True, help="Few snapshots, epochs and backtest cutoffs (seconds, for a try-out).")
@workspace_option
@json_option
@user_errors
def train_cmd(ws, quick: bool, as_json: bool) -> None:
    """Fit the models on all orders, each after its rolling backtest against baselines: the purchase predictor,
    then the weekly sales forecasts (`mka forecast`)."""
    from models import pipeline

    info: dict = {}
    for s in pipeline.TRAIN_STEPS:
        if not as_json:
            click.secho(s.description, bold=True)
        out = dict(s(ws, progress=not as_json, quick=quick))
        if s.name == "train":  # the predictor's summary at the top (as before other models joined)
            info.update(out)
        else:  # each other model under its step's name
            info[s.name] = out
    if as_json:
        echo_json(info)


def _fmt(v, nd: int = 3) -> str:
    try:
        return f"{float(v):.{nd}f}"
    except (TypeError, ValueError):
        return "-"


def _load_or_run_backtest(ws, quick: bool, rerun: bool) -> dict:
    path = ws.artifact_path("backtest.json")
    if path.exists() and not rerun:
        from models.data.artifacts import read_artifact

        return read_artifact(path, lambda p: dict(json.loads(p.read_text("utf-8"))), what="predictor backtest")
    import pandas as pd

    from models.features import default_as_of
    from models.predictor.backtest import run_backtest
    from models.predictor.workspace import quick_params

    orders = ws.read_table("orders")
    products = ws.read_table("products") if ws.has_table("products") else None
    click.echo("No saved backtest: running it now (this fits the model at every cutoff) ...", err=True)
    bt = run_backtest(orders, products, n_cutoffs=3 if quick else 8,
                      model_params=quick_params() if quick else None,
                      progress=lambda m: click.echo(m, err=True))
    bt["as_of"] = str(pd.Timestamp(default_as_of(orders)).date())
    return bt


@click.command("backtest")
@click.option("--target", type=click.Choice(["predictor", "forecast", "clv", "churn", "next-basket"]),
              default="predictor", show_default=True, help="The purchase predictor, the weekly sales forecast "
              "(`mka forecast`), customer value (`mka value`), churn risk (`mka churn`) or the next-basket "
              "recommender (`mka recommend`).")
@click.option("--metric", type=click.Choice(["revenue", "orders", "customers"]), default="revenue",
              show_default=True, help="With --target forecast: the series to backtest.")
@click.option("--by", type=click.Choice(["category", "department", "segment"]), default=None,
              help="With --target forecast: backtest every level of this breakdown.")
@click.option("--horizon", "horizon", type=int, default=None,
              help="Window length in days (default: the shortest one backtested).")
@click.option("--rerun", is_flag=True, help="Run the backtest again instead of reading the saved one.")
@click.option("--quick", is_flag=True, help="With a run: 3 cutoffs and quick model settings.")
@workspace_option
@json_option
@user_errors
def backtest_cmd(ws, target: str, metric: str, by: str | None, horizon: int | None, rerun: bool, quick: bool,
                 as_json: bool) -> None:
    """Rolling backtest: per cutoff and mean, the model against every baseline, with paired 95% CIs
    (--target forecast: MASE, sMAPE and interval coverage per level against naive and drift)."""
    from models.predictor.card import backtest_card, backtest_line, summarize_for_card, target_text

    if target == "forecast":
        from .forecast import print_forecast_backtest

        return print_forecast_backtest(ws, metric, by, rerun, quick, as_json)
    if target in ("clv", "churn"):
        from .value import print_value_backtest

        return print_value_backtest(ws, target, rerun, quick, as_json)
    if target == "next-basket":
        from .recommend import print_next_basket_backtest

        return print_next_basket_backtest(ws, rerun, as_json)

    bt = _load_or_run_backtest(ws, quick, rerun)
    available = list(bt.get("per_cutoff", {}))
    if horizon is None and available:
        horizon = min(int(k) for k in available)
    key = str(horizon)
    if key not in available:
        raise click.BadParameter(f"no backtest for {horizon}-day windows; available: "
                                 f"{', '.join(available)}", param_hint="--horizon")
    rows = bt["per_cutoff"][key]
    mean = bt["mean"][key]
    line = backtest_line(backtest_card(summarize_for_card(bt)[key], horizon))
    warnings = [w for w in bt.get("warnings", []) if f", {key}-day window" in w]
    if as_json:
        echo_json({"target": target_text(horizon), "horizon_days": int(horizon), "as_of": bt.get("as_of"),
                   "cutoffs": bt["cutoffs"], "per_cutoff": rows, "mean": mean, "paired": bt["paired"][key],
                   "reliability": bt["reliability"][key], "warnings": warnings, "backtest_line": line,
                   "note": bt.get("note")})
        return
    click.echo(f"Target: {target_text(horizon)} — as of {bt.get('as_of', '?')}")
    click.echo(line)
    click.echo("")
    head = f"{'cutoff':<11} {'customers':>9} {'buyers':>7} {'PR-AUC':>7} {'ROC-AUC':>7} {'BrierSS':>7} " \
           f"{'ECE':>6} {'lift@10%':>8} {'pred/act':>8} {'LR-RFM PR':>9}"
    click.echo(head)
    click.echo("-" * len(head))
    for r in rows:
        m = r["model"]
        click.echo(f"{r['cutoff']:<11} {m['n_customers']:>9} {m['n_buyers']:>7} {_fmt(m['pr_auc']):>7} "
                   f"{_fmt(m['roc_auc']):>7} {_fmt(m['brier_skill']):>7} {_fmt(m['ece']):>6} "
                   f"{_fmt(m['lift_at_10pct'], 2):>8} {_fmt(m['predicted_vs_actual_buyers'], 2):>8} "
                   f"{_fmt(r['baselines'].get('logistic_rfm', {}).get('pr_auc')):>9}")
    click.echo("")
    click.echo(f"{'mean over cutoffs':<20} {'PR-AUC':>7} {'ROC-AUC':>7} {'BrierSS':>7} {'ECE':>6} {'lift@10%':>8} {'pred/act':>8}")
    for name, m in mean.items():
        click.echo(f"{name:<20} {_fmt(m['pr_auc']):>7} {_fmt(m['roc_auc']):>7} {_fmt(m['brier_skill']):>7} "
                   f"{_fmt(m['ece']):>6} {_fmt(m['lift_at_10pct'], 2):>8} {_fmt(m['predicted_vs_actual_buyers'], 2):>8}")
    click.echo("")
    click.echo("Model minus baseline, mean over cutoffs [95% CI]:")
    for name, diffs in bt["paired"][key].items():
        parts = [f"{m} {_fmt(d['mean_diff'])} [{_fmt(d['ci_low'])}, {_fmt(d['ci_high'])}]"
                 for m, d in diffs.items() if m in ("pr_auc", "roc_auc", "brier_skill")]
        click.echo(f"  vs {name:<13} " + "; ".join(parts))
    if bt.get("note"):
        click.echo(f"Note: {bt['note']}")
    for w in warnings:
        click.secho(f"Warning: {w}", fg="yellow")


@click.command("predict")
@click.option("--horizon", type=int, default=None,
              help="Window length in days, one the model was trained for (default: its shortest).")
@click.option("--top", type=int, default=50, show_default=True, help="How many customers to list.")
@click.option("--segment", default=None, help="Only customers in this segment (name or id; needs `mka segment`).")
@click.option("--as-of", "as_of", default=None, help="Score as of this date (default: the model's as-of date).")
@workspace_option
@csv_option("Write the ranked customers to this CSV file.")
@json_option
@user_errors
def predict_cmd(ws, horizon: int | None, top: int, segment: str | None, as_of: str | None, csv_path: Path | None,
                as_json: bool) -> None:
    """Customers most likely to buy in the next HORIZON days, with reasons and the model's backtest line."""
    import pandas as pd

    from models.predictor.scoring import backtest_line, model_card, score_customers, trained_horizons

    if top < 1:
        raise click.BadParameter("must be at least 1", param_hint="--top")
    as_of = parse_as_of(ws, as_of)
    if horizon is None:
        horizon = min(trained_horizons(ws))
    try:
        scored = score_customers(ws, horizon_days=horizon, as_of=as_of)
        card = model_card(ws, horizon_days=horizon)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--horizon") from None
    if as_of is not None:
        card["as_of"] = str(as_of.date())
    seg_name = None
    if segment is not None:
        scored, seg_name = _filter_segment(ws, scored, segment)
    n_scored = len(scored)
    expected_buyers = float(scored["p_buy"].sum())
    shown = scored.head(top)
    line = backtest_line(card)
    wrote = None
    if csv_path is not None:
        out = scored.assign(reasons=scored["reasons"].map(lambda r: "; ".join(r)))
        out.insert(1, "target", card["target"])
        wrote = write_csv(out, csv_path)
    if as_json:
        echo_json({"target": card["target"], "horizon_days": horizon, "as_of": card["as_of"], "segment": seg_name,
                   "n_scored": n_scored, "expected_buyers_total": expected_buyers, "backtest_line": line,
                   "stale": card.get("stale_note") is not None, "stale_note": card.get("stale_note"),
                   "model_card": card,
                   "customers": [{**r, "last_purchase": str(r["last_purchase"])} for r in shown.to_dict("records")]})
        return
    click.echo(f"Target: {card['target']} — as of {card['as_of']}"
               + (f" — segment {seg_name}" if seg_name else ""))
    click.echo(line)
    for w in card.get("warnings", []):
        click.secho(f"Warning: {w}", fg="yellow")
    if card.get("stale_note"):
        click.secho(f"Warning: {card['stale_note']}", fg="yellow")
    click.echo(f"{n_scored} customers scored; expected buyers in the window: {expected_buyers:.0f}")
    click.echo("")
    click.echo(f"{'#':>3} {'customer':<12} {'p_buy':>6} {'exp.orders':>10} {'exp.spend':>9} {'last purchase':<13} reasons")
    for i, r in enumerate(shown.itertuples(index=False), 1):
        click.echo(f"{i:>3} {str(r.customer_id):<12} {r.p_buy:>6.3f} {r.expected_orders:>10.2f} "
                   f"{r.expected_spend:>9.2f} {str(pd.Timestamp(r.last_purchase).date()):<13} {'; '.join(r.reasons)}")
    if wrote:
        click.echo("\n" + wrote)


def _filter_segment(ws, scored, segment: str):
    from models.segments.store import find_segment, load_segments  # imported only when asked for
    try:
        assignments, profiles = load_segments(ws)
    except FileNotFoundError:
        raise click.UsageError(f"no segments in workspace {ws.path}: run `mka segment` first") from None
    try:
        prof = find_segment(profiles, segment)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--segment") from None
    ids = assignments.loc[assignments["segment_id"] == prof["segment_id"], "customer_id"].astype("string")
    return scored[scored["customer_id"].isin(set(ids))].reset_index(drop=True), prof["name"]


COMMANDS = [train_cmd, backtest_cmd, predict_cmd]
