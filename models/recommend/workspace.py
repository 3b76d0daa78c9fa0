"""Fit the recommender on a workspace (``mka train`` / the pipeline step ``recommend``) and read it back.

``fit_workspace`` backtests G-TopFreq, P-TopFreq and TIFU-KNN on the same cutoffs, keeps the better of
P-TopFreq and TIFU-KNN by Recall@10, fits it on all orders and saves every customer's top ``SAVED_K`` picks
(``artifacts/recommendations.parquet``) and the card (``recommend.json``). ``recommend`` answers from the
artifact, or fits in memory when there is none or the data changed since.
"""

from __future__ import annotations

import json
import time

import pandas as pd

from models.data.artifacts import read_artifact

from .evaluate import backtest
from .recommender import Recommender

__all__ = ["fit_workspace", "recommend", "choose_method", "RECS_FILE", "CARD_FILE", "SAVED_K", "CANDIDATES"]

RECS_FILE = "recommendations.parquet"
CARD_FILE = "recommend.json"
SAVED_K = 20
CANDIDATES = ("p-topfreq", "tifu-knn")
_COLS = ("customer_id", "order_id", "timestamp", "product_id")


def _orders(ws) -> pd.DataFrame:
    have = set(ws.table_info("orders")["columns"])
    if "product_id" not in have:
        raise ValueError("the orders table has no product_id column: product recommendations need one")
    return ws.read_table("orders", columns=[c for c in _COLS if c in have])


def choose_method(bt: dict, k: int = 10) -> str:
    """The candidate with the best backtest Recall@k (P-TopFreq when nothing could be scored)."""
    m = bt.get("methods") or {}
    scored = [(m[c].get(f"recall@{k}") or 0.0, c) for c in CANDIDATES if c in m]
    return max(scored)[1] if scored else "p-topfreq"


def _card(ws, orders: pd.DataFrame, quick: bool) -> dict:
    bt = backtest(orders, n_cutoffs=1 if quick else 3)
    method = choose_method(bt)
    as_of = (pd.to_datetime(orders["timestamp"]).max().normalize() + pd.Timedelta(days=1)).date().isoformat()
    return {"as_of": as_of, "data_hash": ws.data_hash(), "method": method, "backtest": bt,
            "target": "the products of each customer's next basket", "quick": bool(quick)}


def fit_workspace(ws, progress: bool = True, *, quick: bool = False) -> dict:
    from models.data.atomic import atomic_path, atomic_write_text

    say = (lambda m: print(m, flush=True)) if progress else (lambda m: None)
    t0 = time.perf_counter()
    if "product_id" not in set(ws.table_info("orders")["columns"]):
        # a plain customer/date/amount file: every other model still trains; say which part needs more columns
        reason = "skipped: the orders table has no product_id column, and product recommendations need one"
        say(f"recommend: {reason}")
        return {"skipped": reason}
    orders = _orders(ws)
    card = _card(ws, orders, quick)
    say(f"recommend: backtest {card['backtest'].get('methods', card['backtest'].get('error'))}; "
        f"chosen {card['method']}")
    recs = Recommender(card["method"]).fit(orders).recommend(None, k=SAVED_K)
    with atomic_path(ws.artifact_path(RECS_FILE), suffix=".parquet") as tmp:
        recs.astype({"customer_id": "string", "product_id": "string", "kind": "string"}).to_parquet(tmp, index=False)
    atomic_write_text(ws.artifact_path(CARD_FILE), json.dumps(card, indent=1, default=str))
    m = (card["backtest"].get("methods") or {}).get(card["method"], {})
    info = {"as_of": card["as_of"], "data_hash": card["data_hash"], "method": card["method"],
            "metrics": {k: v for k, v in m.items() if k != "n"}, "n_customers": int(recs["customer_id"].nunique()),
            "files": [RECS_FILE, CARD_FILE], "seconds": round(time.perf_counter() - t0, 1)}
    ws.record_artifact("recommend", info)
    say(f"saved {ws.artifact_path(RECS_FILE)} ({info['seconds']} s)")
    return info


def _names(ws) -> dict[str, str]:
    if not ws.has_table("products") or "name" not in ws.table_info("products")["columns"]:
        return {}
    p = ws.read_table("products", columns=["product_id", "name"]).dropna()
    return dict(zip(p["product_id"].astype(str), p["name"].astype(str)))


def recommend(ws, customer_ids=None, k: int = 10) -> dict:
    """{method, as_of, backtest, source, rows: customer_id, rank, product_id, product_name, score, kind}."""
    k = int(k)
    card_path, recs_path = ws.artifact_path(CARD_FILE), ws.artifact_path(RECS_FILE)
    card = read_artifact(card_path, lambda p: dict(json.loads(p.read_text("utf-8"))), what="recommender card") \
        if card_path.exists() else None
    fresh = card is not None and recs_path.exists() and card.get("data_hash") == ws.data_hash() and k <= SAVED_K
    ids = None if customer_ids is None else [str(c) for c in customer_ids]
    if fresh:
        recs = read_artifact(recs_path, pd.read_parquet, what="saved recommendations")
        recs = recs[recs["rank"] <= k]
        if ids is not None:
            known = set(recs["customer_id"].astype(str))
            if any(c not in known for c in ids):
                fresh = False
            else:
                recs = recs[recs["customer_id"].astype(str).isin(set(ids))]
        source = "saved at the last fit"
    if not fresh:
        orders = _orders(ws)
        card = card if card is not None and card.get("data_hash") == ws.data_hash() else _card(ws, orders, True)
        recs = Recommender(card["method"]).fit(orders).recommend(ids, k=k)
        source = "fitted now (no saved recommender for this data: run `mka train` to save one)"
    names = _names(ws)
    recs = recs.assign(customer_id=recs["customer_id"].astype(str), product_id=recs["product_id"].astype(str))
    recs.insert(3, "product_name", recs["product_id"].map(lambda p: names.get(p, p)))
    return {"method": card["method"], "as_of": card["as_of"], "backtest": card["backtest"], "source": source,
            "k": k, "rows": recs.reset_index(drop=True)}
