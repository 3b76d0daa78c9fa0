"""The predictor's model card in words: what the probability means, the backtest summary and its one sentence.

Plain dicts in, strings out, no torch: the CLI, the offline answer composer and the UI say it the same way.
"""

from __future__ import annotations

__all__ = ["target_text", "summarize_for_card", "backtest_card", "backtest_line", "CARD_METRICS"]

CARD_METRICS = ("roc_auc", "pr_auc", "brier_skill", "lift_at_10pct", "ece", "predicted_vs_actual_buyers")


def target_text(horizon_days: int) -> str:
    return f"P(≥1 purchase in next {int(horizon_days)} days)"


def summarize_for_card(bt: dict) -> dict:
    """Per horizon: the model's mean backtest line, the baselines' PR-AUC/ROC-AUC, the reliability table."""
    out = {}
    for key in bt["mean"]:
        mean = bt["mean"][key]
        out[key] = {
            "n_cutoffs": len(bt["per_cutoff"][key]),
            "model": {m: mean["model"][m] for m in CARD_METRICS},
            "baselines": {b: {m: mean[b][m] for m in ("pr_auc", "roc_auc", "brier_skill")} for b in bt["baselines"]},
            "paired_vs_logistic_rfm": bt["paired"][key].get("logistic_rfm", {}).get("pr_auc"),
            "reliability": bt["reliability"][key],
            "warnings": [w for w in bt["warnings"] if f", {key}-day window" in w],
        }
    return out


def backtest_card(summary: dict | None, horizon_days: int) -> dict:
    """The backtest part of a model card from one horizon of ``summarize_for_card`` (or None)."""
    bt = summary or {}
    return {
        "horizon_days": int(horizon_days),
        "backtest": {"n_cutoffs": bt.get("n_cutoffs", 0), **bt.get("model", {})},
        "baselines": bt.get("baselines", {}),
        "paired_pr_auc_vs_logistic_rfm": bt.get("paired_vs_logistic_rfm"),
        "reliability": bt.get("reliability", []),
        "warnings": bt.get("warnings", []),
    }


# (card key, words, format) in the order the sentence gives them
_METRICS = (("roc_auc", "ROC-AUC", ".3f"), ("brier_skill", "Brier skill", ".3f"), ("lift_at_10pct", "top-10% lift", ".2f"),
            ("ece", "calibration error", ".3f"), ("predicted_vs_actual_buyers", "predicted/actual buyers", ".2f"))


def backtest_line(card: dict) -> str:
    """One sentence a marketer can read: how the model did in the backtest for this horizon's windows."""
    b = card.get("backtest") or {}
    h = card.get("horizon_days", "?")
    if not b.get("n_cutoffs") or b.get("pr_auc") is None:
        return f"Backtest: not available for {h}-day windows (retrain with `mka train`)."
    base = (card.get("baselines") or {}).get("logistic_rfm") or {}
    cmp = f" vs {base['pr_auc']:.3f} for logistic regression on RFM" if base.get("pr_auc") is not None else ""
    rest = "".join(f"; {words} {b[k]:{fmt}}" for k, words, fmt in _METRICS if b.get(k) is not None)
    return f"Backtest over {b['n_cutoffs']} past cutoffs ({h}-day windows): PR-AUC {b['pr_auc']:.3f}{cmp}{rest}."
