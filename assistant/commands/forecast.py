"""`mka forecast`: weekly revenue, orders or active customers ahead, with 80%/95% intervals and the backtest;
and the forecast half of `mka backtest --target forecast`."""

from __future__ import annotations

from pathlib import Path

import click

from .common import csv_option, echo_json, json_option, user_errors, workspace_option, write_csv

__all__ = ["COMMANDS", "forecast_cmd", "print_forecast_backtest", "backtest_line"]

SHOWN_SERIES = 10


def _money(metric: str, v) -> str:
    if v is None:
        return "-"
    return f"${float(v):,.0f}" if metric == "revenue" else f"{float(v):,.0f}"


def backtest_line(doc: dict) -> str:
    """One sentence per level: the chosen model's MASE and coverage vs naive and drift."""
    from models.forecast.query import headline_scores

    bt = doc.get("backtest", {})
    heads = headline_scores(bt)
    if not heads:
        return "Backtest: not enough history to score the models."
    parts = [f"{h['level']}: {h['model']} MASE {h['mase']:.2f} ("
             + ", ".join(f"{b} {v:.2f}" for b, v in h["baselines"].items())
             + f"), 80% interval covered {h['coverage80']:.0%}, 95% covered {h['coverage95']:.0%}" for h in heads]
    return (f"Backtest over {bt.get('n_origins', 0)} rolling origins, {heads[0]['window']}-{bt.get('unit', 'week')} "
            f"windows (MASE < 1 beats the in-sample naive step): " + "; ".join(parts) + ".")


@click.command("forecast")
@click.option("--metric", type=click.Choice(["revenue", "orders", "customers"]), default="revenue",
              show_default=True, help="What to forecast per week.")
@click.option("--by", type=click.Choice(["category", "department", "segment"]), default=None,
              help="One series per category / department / segment (reconciled to the total where additive).")
@click.option("--horizon", type=click.IntRange(1, 26), default=8, show_default=True, help="Weeks ahead.")
@click.option("--segment", default=None, help="Only this segment's customers (name; needs `mka segment`).")
@click.option("--freq", type=click.Choice(["week", "day"]), default="week", show_default=True,
              help="Weekly series (default) or daily (fitted on demand; --horizon is then in days).")
@workspace_option
@csv_option("Write every forecast row to this CSV file.")
@json_option
@user_errors
def forecast_cmd(ws, metric: str, by: str | None, horizon: int, segment: str | None, freq: str,
                 csv_path: Path | None, as_json: bool) -> None:
    """Forecast weekly revenue, orders or active customers with 80%/95% intervals, the model chosen by a
    rolling-origin backtest against naive and drift."""
    import pandas as pd

    from models.forecast.query import forecast

    if segment is not None:
        segment = _segment_name(ws, segment)
    try:
        doc = forecast(ws, metric=metric, by=by, horizon=horizon, segment=segment, freq=freq[0].upper(), n_jobs=2)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    doc["backtest_line"] = backtest_line(doc)
    wrote = None
    if csv_path is not None:
        rows = pd.DataFrame(doc["forecasts"])
        rows.insert(0, "metric", metric)
        rows["model"] = doc["model"]
        wrote = write_csv(rows, csv_path)
    if as_json:
        echo_json(doc)
        return
    unit = doc["unit"]
    click.echo(f"Forecast: {doc['target']}" + (f" — segment {segment}" if segment else "")
               + f" — as of {doc['as_of']} (history to the {unit} of {doc['history_end']})")
    click.echo(f"Model: {doc['model']}. Hierarchy: {doc['reconciliation']}.")
    click.echo(doc["backtest_line"])
    for note in doc["notes"]:
        click.secho(f"Note: {note}", fg="yellow")
    click.echo("")
    head = f"{'series':<28} {unit + ' of':<11} {'forecast':>11} {'80% interval':>23} {'95% interval':>23}"
    click.echo(head)
    click.echo("-" * len(head))
    names = list(dict.fromkeys(r["series"] for r in doc["forecasts"]))
    for r in doc["forecasts"]:
        if r["series"] not in names[:SHOWN_SERIES]:
            continue
        hol = f"  ({r['holiday']})" if r.get("holiday") else ""
        click.echo(f"{str(r['series'])[:28]:<28} {r['period']:<11} {_money(metric, r['forecast']):>11} "
                   f"{_money(metric, r['lo80']) + ' – ' + _money(metric, r['hi80']):>23} "
                   f"{_money(metric, r['lo95']) + ' – ' + _money(metric, r['hi95']):>23}{hol}")
    if len(names) > SHOWN_SERIES:
        click.echo(f"... {len(names) - SHOWN_SERIES} more series" + ("" if csv_path else " (use --csv FILE)"))
    if wrote:
        click.echo("\n" + wrote)


def _segment_name(ws, segment: str) -> str:
    from models.segments.profiles import find_segment
    from models.segments.segmenter import load_segments

    try:
        _, profiles = load_segments(ws)
    except FileNotFoundError:
        raise click.UsageError(f"no segments in workspace {ws.path}: run `mka segment` first") from None
    try:
        return str(find_segment(profiles, segment)["name"])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--segment") from None


def print_forecast_backtest(ws, metric: str, by: str | None, rerun: bool, quick: bool, as_json: bool) -> None:
    """`mka backtest --target forecast`: every method per level, the model chosen, the reconciliation."""
    from models.forecast.query import forecast_backtest

    bt = forecast_backtest(ws, metric=metric, by=by, rerun=rerun, quick=quick, n_jobs=2,
                           progress=None if as_json else (lambda m: click.echo(m, err=True)))
    if as_json:
        echo_json(bt)
        return
    if "error" in bt:
        raise click.UsageError(bt["error"])
    unit = bt["unit"]
    click.echo(f"Forecast backtest: {metric}{' by ' + by if by else ''} per {unit}, {len(bt['origins'])} rolling "
               f"origins {bt['origins'][0]} .. {bt['origins'][-1]} (as of {bt.get('as_of')}, {bt.get('source')})")
    click.echo(bt["scaling"] + ".")
    if bt.get("holiday_periods"):
        click.echo("Holiday " + unit + "s left out of the scores: "
                   + ", ".join(f"{p} ({n})" for p, n in bt["holiday_periods"].items()))
    for lv, e in bt["levels"].items():
        click.echo("")
        sel = f" — {e['series_selection']}" if e.get("series_selection") else ""
        click.echo(f"{lv} ({e['n_series']} series{sel}); chosen: {e['chosen']}")
        head = f"  {'method':<15}" + "".join(f" {'MASE ' + w:>8} {'sMAPE ' + w:>9} {'cov80 ' + w:>9} {'cov95 ' + w:>9}"
                                            for w in map(str, bt["windows"]))
        click.echo(head)
        for meth, sc in e["methods"].items():
            cells = "".join(f" {_f(sc[w]['mase']):>8} {_f(sc[w]['smape'], 1):>9} {_pct(sc[w]['coverage80']):>9} "
                            f"{_pct(sc[w]['coverage95']):>9}" for w in map(str, bt["windows"]))
            click.echo(f"  {meth + (' *' if meth == e['chosen'] else ''):<15}{cells}")
        for meth, why in e.get("not_available", {}).items():
            click.echo(f"  {meth}: not available — {why}")
    rec = bt.get("reconciliation")
    if rec:
        click.echo("")
        if "levels" in rec:
            click.echo(f"Reconciliation over all {rec['n_series']} series, {rec['n_origins']} origins (MASE at "
                       f"{bt['horizon']} {unit}s): "
                       + "; ".join(f"{r} {v:.3f}" for r, v in rec["mean_mase"].items()) + f" → {rec['chosen']}")
        else:
            click.echo(f"Reconciliation: {rec['chosen']} ({rec.get('reason')})")


def _f(v, nd: int = 3) -> str:
    return "-" if v is None else f"{v:.{nd}f}"


def _pct(v) -> str:
    return "-" if v is None else f"{v:.0%}"


COMMANDS = [forecast_cmd]
