"""Fit the recommender on a workspace (``mka train`` / the pipeline step ``recommend``) and read it back.

``fit_workspace`` backtests G-TopFreq, P-TopFreq, GP-TopFreq and TIFU-KNN on the same cutoffs, keeps the
better of GP-TopFreq and TIFU-KNN by Recall@10, fits it on all orders and saves every customer's top ``SAVED_K`` picks
(``artifacts/recommendations.parquet``) and the card (``recommend.json``). ``recommend`` answers from the
artifact, or fits in memory when there is none or the data changed since.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd

from models.data.artifacts import read_artifact

from .evaluate import backtest
from .recommender import Recommender

__all__ = ["fit_workspace", "recommend", "choose_method", "RECS_FILE", "CARD_FILE", "SAVED_K", "CANDIDATES", "orders_for_recommend",
           "resolve_products", "product_audience", "category_orders", "recommend_categories"]

RECS_FILE = "recommendations.parquet"
CARD_FILE = "recommend.json"
SAVED_K = 20
CANDIDATES = ("gp-topfreq", "tifu-knn")
# the workspace backtest: every baseline the issue names that is cheap at any scale (item-kNN and the Transformer
# are benched in bench/recommend.py: see bench/results/recommend.md for why they are not the default)
BACKTEST_METHODS = ("g-topfreq", "p-topfreq", "gp-topfreq", "tifu-knn")
_COLS = ("customer_id", "order_id", "timestamp", "product_id")


def _orders(ws) -> pd.DataFrame:
    have = set(ws.table_info("orders")["columns"])
    if "product_id" not in have:
        raise ValueError("the orders table has no product_id column: product recommendations need one")
    orders = ws.read_table("orders", columns=[c for c in _COLS if c in have])
    if ws.has_table("products") and "category" in ws.table_info("products")["columns"]:
        p = ws.read_table("products", columns=["product_id", "category"]).dropna()
        cat = dict(zip(p["product_id"].astype(str), p["category"].astype(str)))
        orders = orders.assign(category=orders["product_id"].astype(str).map(cat))
    return orders


def orders_for_recommend(ws) -> pd.DataFrame:
    """The orders a recommender learns from: customer_id, [order_id], timestamp, product_id, and each product's
    category when the workspace has a products table with one (the Transformer's back-off for rare products)."""
    return _orders(ws)


def choose_method(bt: dict, k: int = 10) -> str:
    """The candidate with the best backtest Recall@k (GP-TopFreq when nothing could be scored)."""
    m = bt.get("methods") or {}
    scored = [(m[c].get(f"recall@{k}") or 0.0, c) for c in CANDIDATES if c in m]
    return max(scored)[1] if scored else "gp-topfreq"


def _card(ws, orders: pd.DataFrame, quick: bool) -> dict:
    bt = backtest(orders, methods=BACKTEST_METHODS, n_cutoffs=1 if quick else 3)
    method = choose_method(bt)
    as_of = (pd.to_datetime(orders["timestamp"]).max().normalize() + pd.Timedelta(days=1)).date().isoformat()
    return {"as_of": as_of, "data_hash": ws.data_hash(), "method": method, "backtest": bt,
            "target": "the products of each customer's next basket", "quick": bool(quick)}


def fit_workspace(ws, progress: bool = True, *, quick: bool = False) -> dict:
    from models.data.atomic import atomic_path, atomic_write_text

    say = (lambda m: print(m, flush=True)) if progress else (lambda m: None)
    t0 = time.perf_counter()
    if ("product_id" not in set(ws.table_info("orders")["columns"])
            or ws.read_table("orders", columns=["product_id"])["product_id"].isna().all()):
        # a plain customer/date/amount file (ingest adds an empty product_id): every other model still trains;
        # say which part needs more columns
        reason = "skipped: the orders table has no product_id values, and product recommendations need them"
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
    note = None if names else ("this workspace has no products table with names, so the picks show product ids; "
                               "`mka ingest --products FILE` (product_id, name, category) adds names and "
                               "category-level picks")
    return {"method": card["method"], "as_of": card["as_of"], "backtest": card["backtest"], "source": source,
            "k": k, "rows": recs.reset_index(drop=True), "note": note}


def resolve_products(ws, query: str) -> dict:
    """What ``query`` names, tried in order: a category, a department (exact, any case), product names that
    contain it, a product id. {kind, label, product_ids, note}; ValueError with the closest categories when
    nothing matches."""
    import difflib

    q = str(query).strip()
    if not q:
        raise ValueError("name a product, a category or a department")
    have = set(ws.table_info("products")["columns"]) if ws.has_table("products") else set()
    if have:
        cols = [c for c in ("product_id", "name", "category", "department") if c in have]
        p = ws.read_table("products", columns=cols).astype({"product_id": str})
        for col in ("category", "department"):
            if col in p:
                hit = p[p[col].astype(str).str.casefold() == q.casefold()]
                if len(hit):
                    return {"kind": col, "label": str(hit[col].iloc[0]), "product_ids": sorted(hit["product_id"]),
                            "note": None}
        if "name" in p:
            hit = p[p["name"].astype(str).str.contains(q, case=False, regex=False)]
            if len(hit):
                cats = (hit["category"].astype(str).value_counts().head(3).index.tolist()
                        if "category" in hit else [])
                return {"kind": "product_name", "label": f"products named like {q!r}",
                        "product_ids": sorted(hit["product_id"]),
                        "note": f"{len(hit)} products whose name contains {q!r}"
                                + (f" (mostly in {', '.join(cats)})" if cats else "")}
    ids = set(ws.read_table("orders", columns=["product_id"])["product_id"].astype(str))
    if q in ids:
        return {"kind": "product_id", "label": f"product {q}", "product_ids": [q], "note": None}
    pool = sorted(set(p["category"].astype(str))) if have and "category" in have else []
    close = difflib.get_close_matches(q, pool, n=3, cutoff=0.5) if pool else []
    where = "a category, a department, a product name or a product id" if have else \
        "a product id (this workspace has no products table, so names and categories are unknown)"
    raise ValueError(f"{q!r} is not {where} in this workspace"
                     + (f"; closest categories: {', '.join(close)}" if close else ""))


def product_audience(ws, query: str, horizon_days: int = 30, top_k: int = 100) -> dict:
    """Who will buy ``query`` (a category, department, product name or id) within ``horizon_days``: every
    customer's probability, top ``top_k`` first, with the backtest one horizon back against "bought it before"
    and popularity. {target, as_of, horizon_days, resolved, rows (customer_id, probability, bought_before,
    days_since_last), backtest, base_rate, n_customers}."""
    from .audience import ProductAudience, _baskets, audience_backtest, audience_features

    if "product_id" not in set(ws.table_info("orders")["columns"]):
        raise ValueError("the orders table has no product_id column: product audiences need one")
    res = resolve_products(ws, query)
    orders = ws.read_table("orders", columns=[c for c in ("customer_id", "order_id", "timestamp", "product_id")
                                              if c in set(ws.table_info("orders")["columns"])])
    hit = orders["product_id"].astype(str).isin(set(res["product_ids"])).to_numpy()
    baskets = _baskets(orders, hit)
    as_of = baskets["ts"].max().normalize() + pd.Timedelta(days=1)
    model = ProductAudience(horizon_days).fit(baskets, as_of)
    customers = np.sort(baskets["customer_id"].unique())
    prob = model.predict_proba(customers)
    X = audience_features(baskets, as_of, customers)
    rows = pd.DataFrame({"customer_id": customers, "probability": np.round(prob, 4),
                         "bought_before": np.round(np.expm1(X["n_ever"].to_numpy())).astype(int),
                         "days_since_last": np.where(X["n_ever"].to_numpy() > 0,
                                                     np.round(np.expm1(X["log_days_since"].to_numpy())), np.nan)})
    rows = rows.sort_values(["probability", "customer_id"], ascending=[False, True]).reset_index(drop=True)
    bt = audience_backtest(baskets, as_of, horizon_days, top_k)
    return {"target": f"buys from {res['label']} within {horizon_days} days after {as_of.date().isoformat()}",
            "as_of": as_of.date().isoformat(), "horizon_days": int(horizon_days), "resolved": res,
            "rows": rows, "top_k": int(top_k), "backtest": bt, "base_rate": model.base_rate_,
            "n_customers": int(len(rows)), "model": "logistic regression on the customer's history of it"}


def category_orders(ws) -> pd.DataFrame:
    """The orders with each product replaced by its category (needs a products table with one)."""
    orders = _orders(ws)
    if "category" not in orders:
        raise ValueError("category-level picks need a products table with a category column")
    out = orders[orders["category"].notna()].drop(columns=["product_id"])
    return out.rename(columns={"category": "product_id"})


def recommend_categories(ws, customer_ids=None, k: int = 10) -> dict:
    """Next-basket picks at the category level, fitted now (categories are few, so this is seconds): the better
    of GP-TopFreq and TIFU-KNN on a one-cutoff backtest. Same shape as ``recommend``; product_id and product_name
    are the category."""
    orders = category_orders(ws)
    bt = backtest(orders, methods=BACKTEST_METHODS, n_cutoffs=1)
    method = choose_method(bt)
    ids = None if customer_ids is None else [str(c) for c in customer_ids]
    recs = Recommender(method).fit(orders).recommend(ids, k=int(k))
    recs.insert(3, "product_name", recs["product_id"].astype(str))
    as_of = (pd.to_datetime(orders["timestamp"]).max().normalize() + pd.Timedelta(days=1)).date().isoformat()
    return {"method": method, "as_of": as_of, "backtest": bt, "source": "fitted now at the category level",
            "k": int(k), "rows": recs.reset_index(drop=True), "level": "category"}
