"""models.recommend (next-basket baselines, backtest, Recommender, workspace fit), the recommend_products tool
and `mka recommend`, on tiny frames where the right answer is known."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from models.recommend import Recommender, backtest, split_at, to_baskets
from models.recommend.baselines import TIFUKNN
from models.recommend.evaluate import basket_metrics

T0 = pd.Timestamp("2021-01-04")


def _orders(spec: dict[str, list[list[str]]], every_days: int = 7) -> pd.DataFrame:
    """customer -> baskets (oldest first), one basket every ``every_days``."""
    rows = [(c, f"{c}-{i}", T0 + pd.Timedelta(days=every_days * i), p)
            for c, baskets in spec.items() for i, b in enumerate(baskets) for p in b]
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "product_id"])


def test_p_topfreq_ranks_what_a_customer_always_buys_first_and_unknown_customers_get_popularity():
    orders = _orders({"ann": [["A", "B"], ["A", "B", "C"], ["A", "B"]],
                      "bob": [["C", "D"], ["C"], ["D", "E"]], "cy": [["C"], ["E"]]})
    recs = Recommender("p-topfreq").fit(orders).recommend(["ann", "zed"], k=3)
    ann = recs[recs.customer_id == "ann"]
    assert list(ann["product_id"][:2]) == ["A", "B"] and list(ann["rank"]) == [1, 2, 3]
    assert list(ann["kind"]) == ["repeat", "repeat", "repeat"]  # C was bought once
    zed = recs[recs.customer_id == "zed"]
    assert zed["product_id"].iloc[0] == "C" and set(zed["kind"]) == {"explore"}  # C: in the most baskets


def test_metrics_on_a_hand_example():
    m = basket_metrics(["A", "X", "B", "Y"], target={"A", "B", "C"}, seen={"A", "C"}, k=4)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["phr"] == 1.0
    assert m["ndcg"] == pytest.approx((1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3) + 1 / np.log2(4)))
    assert m["recall_repeat"] == pytest.approx(0.5)   # A of {A, C}
    assert m["recall_explore"] == pytest.approx(1.0)  # B of {B}
    none = basket_metrics(["X"], target={"A"}, seen=set(), k=1)
    assert none["recall"] == 0 and none["phr"] == 0 and np.isnan(none["recall_repeat"])


def test_the_split_targets_only_the_first_basket_after_the_cutoff_of_customers_with_history():
    orders = _orders({"ann": [["A"], ["B"], ["C"], ["D"]], "bob": [["E"], ["F"]]})
    new = pd.DataFrame([("new", "n-0", T0 + pd.Timedelta(days=20), "Z")], columns=orders.columns)
    train, target = split_at(pd.concat([orders, new]), T0 + pd.Timedelta(days=10))
    assert set(train["product_id"]) == {"A", "B", "E", "F"}
    assert target == {"ann": {"C"}}  # ann's first basket after it; bob has none after; "new" has no history


def test_tifu_knn_weights_recent_baskets_and_borrows_neighbours_items():
    orders = _orders({"ann": [["A"], ["A"], ["B"]], "bob": [["A", "X"], ["B", "X"]], "cy": [["Q"]]})
    b = to_baskets(orders)
    own = TIFUKNN(k=1, group_size=7, alpha=1.0).fit(b)
    row = list(b.customers).index("ann")
    s = own.scores(np.array([row]))[0]
    items = list(b.items)
    # two As decayed across 3 baskets (r_b=0.9) vs one B that is the latest: (0.81 + 0.9) / 3 > 1 / 3
    assert s[items.index("A")] == pytest.approx((0.81 + 0.9) / 3) and s[items.index("B")] == pytest.approx(1 / 3)
    blended = TIFUKNN(k=1, alpha=0.5).fit(b).scores(np.array([row]))[0]
    assert blended[items.index("X")] > 0 and blended[items.index("Q")] < 1e-6  # bob is ann's nearest customer
    recs = Recommender("tifu-knn", {"k": 1, "alpha": 0.5}).fit(orders).recommend(["ann"], k=3)
    assert dict(zip(recs["product_id"], recs["kind"]))["X"] == "explore"


def _habitual(n: int = 30, weeks: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spec = {f"c{c}": [[f"fav{c % 6}", f"fav{c % 6 + 6}", f"r{rng.integers(0, 40)}"] for _ in range(weeks)]
            for c in range(n)}
    return _orders(spec)


def test_backtest_scores_every_method_on_the_same_customers_and_personal_beats_popularity():
    bt = backtest(_habitual(), n_cutoffs=2)
    assert set(bt["methods"]) == {"g-topfreq", "p-topfreq", "tifu-knn"} and len(bt["cutoffs"]) == 2
    assert len({s["n"] for s in bt["methods"].values()}) == 1
    m = bt["methods"]
    assert m["p-topfreq"]["recall@10"] > m["g-topfreq"]["recall@10"]
    assert m["p-topfreq"]["recall_repeat@10"] >= 0.9  # the two favourites come back every week
    d = bt["paired_recall_diff"]["p-topfreq"]["g-topfreq"]
    assert d["ci95"][0] > 0
    nd = bt["paired_ndcg_diff"]["p-topfreq"]["g-topfreq"]   # the same customers: the mean of the differences
    assert nd["diff"] == pytest.approx(m["p-topfreq"]["ndcg@10"] - m["g-topfreq"]["ndcg@10"], abs=2e-4)
    assert nd["ci95"][0] > 0 and bt["paired_ndcg_diff"]["g-topfreq"]["p-topfreq"]["ci95"][1] < 0
    json.dumps(bt, allow_nan=False)


def _orders_only_workspace(tmp_path):
    from models.data.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    o = _habitual(n=20, weeks=12).assign(amount=5.0)
    ws.ingest({"orders": o.astype({"customer_id": "string", "order_id": "string", "product_id": "string"})})
    return ws


def test_fit_workspace_on_an_orders_file_without_a_product_table(tmp_path):
    from models import pipeline
    from models.recommend.workspace import recommend

    ws = _orders_only_workspace(tmp_path)
    info = pipeline.step("recommend")(ws, quick=True)
    assert info["method"] in ("gp-topfreq", "tifu-knn") and info["data_hash"] == ws.data_hash()
    assert ws.manifest()["artifacts"]["recommend"]["as_of"] == info["as_of"]
    res = recommend(ws, ["c0"], k=2)
    assert res["source"].startswith("saved")
    assert list(res["rows"]["product_id"]) == ["fav0", "fav6"]
    assert list(res["rows"]["product_name"]) == ["fav0", "fav6"]  # no product table: names are the ids
    assert "recommend" in [s.name for s in pipeline.TRAIN_STEPS]


def test_the_cli_picks_csv_and_backtest(tmp_path):
    from assistant.cli import cli

    ws = _orders_only_workspace(tmp_path)
    run = CliRunner()
    out = run.invoke(cli, ["recommend", "--customer", "c1", "--k", "3", "--json", "-w", str(ws.path)])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert [p["product_id"] for p in doc["picks"]][:2] == ["fav1", "fav7"] and "Recall@10" in doc["backtest_line"]
    csv = tmp_path / "all.csv"
    out = run.invoke(cli, ["recommend", "--all", "--k", "4", "--csv", str(csv), "-w", str(ws.path)])
    assert out.exit_code == 0, out.output
    df = pd.read_csv(csv)
    assert list(df.columns) == ["customer_id", "rank", "product_id", "product_name", "score", "kind"]
    assert len(df) == 20 * 4 and set(df["kind"]) <= {"repeat", "explore"}
    out = run.invoke(cli, ["recommend", "--backtest", "--json", "-w", str(ws.path)])
    assert out.exit_code == 0, out.output
    assert set(json.loads(out.output)["methods"]) == {"g-topfreq", "p-topfreq", "gp-topfreq", "tifu-knn"}
    out = run.invoke(cli, ["recommend", "--customer", "nobody", "-w", str(ws.path)])
    assert out.exit_code == 2 and "no orders" in out.output


def test_the_tool_names_the_method_and_its_backtest(fake_ctx):
    from tools import build_tools

    tool = {t.name: t for t in build_tools(fake_ctx)}["recommend_products"]
    out = json.loads(tool.invoke({"customer_id": "103", "k": 3}))
    assert out["kind"] == "recommend" and out["customer_id"] == "103"
    assert [p["rank"] for p in out["picks"]] == [1, 2, 3]
    assert out["picks"][0]["product_name"] in {"Cola (National 2 L)", "Cheddar (Private 8 OZ)",
                                               "Potato Chips (National 10 OZ)"}
    assert out["method"] and "Recall@10" in out["backtest_line"]
    err = json.loads(tool.invoke({"customer_id": "nobody"}))
    assert "no orders" in err["error"]
    seg = json.loads(tool.invoke({"segment": "loyal"}))
    assert seg["segment_picks"] and not seg["picks"]


def test_the_offline_planner_routes_next_basket_questions_to_the_tool():
    from assistant.offline import Entities
    from assistant.offline.plan import make_plan
    from assistant.offline.router import Router
    from tests.agent_fakes import SEGMENTS

    ent = Entities(profiles=[dict(s) for s in SEGMENTS], product_names=["Soft Drinks"])
    router = Router(examples=None)
    router.method = "keywords"  # token overlap + cues: no embedding model needed
    plan = make_plan("what will customer 4321 buy next?", router, ent)
    assert (plan.route, plan.args) == ("recommend_products", {"customer_id": "4321"})
    plan = make_plan("suggest 3 products for customer 55", router, ent)
    assert plan.route == "recommend_products" and plan.args["customer_id"] == "55"
    assert make_plan("who will buy next week?", router, ent).route == "predict_buyers"


def _progression(n: int = 60, weeks: int = 14, stages: int = 30, seed: int = 1) -> pd.DataFrame:
    """Each customer buys their favourite every week and moves one stage up a product ladder (s0 -> s1 -> ...):
    the next stage is always new to them, so only a sequence model can see it coming."""
    rng = np.random.default_rng(seed)
    spec = {}
    for c in range(n):
        start = int(rng.integers(0, stages - weeks))
        spec[f"c{c}"] = [[f"fav{c % 5}", f"s{start + w}"] for w in range(weeks)]
    return _orders(spec)


TINY_TRANSFORMER = {"min_count": 2, "dim": 32, "heads": 2, "layers": 1, "dropout": 0.0, "epochs": 30,
                    "batch_size": 8, "lr": 1e-2, "max_baskets": 8, "repeat_params": {"k": 5}, "n_threads": 1}


def test_the_transformer_learns_a_planted_sequence_that_repeat_and_popularity_miss():
    bt = backtest(_progression(n=40), methods=("g-topfreq", "tifu-knn", "transformer"), n_cutoffs=1,
                  params={"transformer": TINY_TRANSFORMER, "tifu-knn": {"k": 5}})
    m = bt["methods"]
    assert m["transformer"]["recall_explore@10"] > 0.8       # the next rung of the ladder
    assert m["tifu-knn"]["recall_explore@10"] < 0.3
    assert m["transformer"]["recall@10"] > m["tifu-knn"]["recall@10"] + 0.3
    assert m["transformer"]["recall@10"] > m["g-topfreq"]["recall@10"] + 0.3
    assert m["transformer"]["recall_repeat@10"] >= 0.95     # the favourite still comes from the repeat signal
    assert bt["paired_recall_diff"]["transformer"]["tifu-knn"]["ci95"][0] > 0


def test_the_transformer_mix_is_chosen_on_an_inner_split_and_rare_products_back_off_to_their_category():
    from models.recommend import NextBasketTransformer

    orders = _progression(n=30).assign(category=lambda d: np.where(d["product_id"].str.startswith("fav"), "Fav",
                                                                   "Ladder"))
    b = to_baskets(orders)
    model = NextBasketTransformer(**(TINY_TRANSFORMER | {"min_count": 6, "epochs": 20})).fit(b)
    assert set(model.mix_recall_) == set(map(float, model.mix_grid)) and model.mix_ > 0
    assert model.mix_recall_[model.mix_] > model.mix_recall_[0.0]   # mix 0 is TIFU-KNN alone
    rare = [i for i, p in enumerate(b.items) if model.item_token_[i] >= len(model.frequent_)]
    assert rare and {b.item_group[i] for i in rare} <= {"Ladder", "Fav"}
    assert len(set(model.item_token_[rare])) <= 2                     # one token per category
    s = model.scores(np.arange(3))
    assert s.shape == (3, len(b.items)) and np.isfinite(s).all()
    assert len(model.loss_history_) == 20 and model.loss_history_[-1] < model.loss_history_[0]


def test_the_transformer_mix_can_be_picked_by_inner_ndcg_and_a_bad_blend_is_refused():
    from models.recommend import NextBasketTransformer

    b = to_baskets(_progression(n=30))
    model = NextBasketTransformer(**(TINY_TRANSFORMER | {"epochs": 10, "mix_metric": "ndcg"})).fit(b)
    assert set(model.mix_ndcg_) == set(map(float, model.mix_grid))
    assert model.mix_ndcg_[model.mix_] == max(model.mix_ndcg_.values())
    with pytest.raises(ValueError, match="blend='linear'"):
        NextBasketTransformer(blend="linear").fit(b)
    with pytest.raises(ValueError, match="mix_metric='map'"):
        NextBasketTransformer(mix_metric="map").fit(b)


def test_the_reranked_transformer_learns_the_planted_sequence_keeps_the_repeat_and_repeats_with_a_seed():
    from models.recommend import NextBasketTransformer

    orders = _progression(n=40)
    params = TINY_TRANSFORMER | {"blend": "rerank", "n_candidates": 10}
    bt = backtest(orders, methods=("tifu-knn", "transformer"), n_cutoffs=1,
                  params={"transformer": params, "tifu-knn": {"k": 5}})
    m = bt["methods"]
    assert m["transformer"]["recall_explore@10"] > 0.8 and m["transformer"]["recall_repeat@10"] >= 0.95
    assert bt["paired_ndcg_diff"]["transformer"]["tifu-knn"]["ci95"][0] > 0
    assert bt["model_notes"]["transformer"][0]["rerank"]["pairs"] > 0
    b = to_baskets(orders)
    model = NextBasketTransformer(**params).fit(b)
    assert model.fit(b) is model and model.reranker_ is not None and model.mix_ is None
    rows = np.arange(5)
    s = model.scores(rows)
    # the state is the model's own: changing the baskets it was fitted on changes nothing
    b.B.data[:] = 0.0
    b.n_baskets[:] = 0
    assert np.array_equal(model.scores(rows), s)
    again = NextBasketTransformer(**params).fit(to_baskets(orders)).scores(rows)
    assert np.array_equal(again, s)                                 # same seed, same scores
    assert (s.max(axis=1) > 1).all()                                # candidates rank above the rest


def test_the_repeat_reranker_fits_on_the_inner_split_owns_its_state_and_repeats_with_a_seed():
    from models.recommend import RepeatReranker
    from models.recommend.rerank import REPEAT_FEATURES

    orders = _habitual(n=40, weeks=12)
    b = to_baskets(orders)
    est = RepeatReranker(repeat_params={"k": 5}, n_candidates=5)
    assert vars(est) == {"repeat": "tifu-knn", "repeat_params": {"k": 5}, "n_candidates": 5, "n_inner": 1,
                         "precompute_k": 20, "random_state": 0}                         # __init__ only stores its arguments
    with pytest.raises(AttributeError):
        est.topk(np.arange(2), 3)                                     # not fitted yet
    assert est.fit(b) is est and est.classifier_ is not None
    assert est.classifier_.n_features_in_ == len(REPEAT_FEATURES)
    assert est.info_["customer_baskets"] == 40 and 0 < est.info_["positive_share"] < 1
    rows = np.arange(6)
    top, sc = est.topk(rows, 3)
    items = list(b.items)
    for r, t in zip(rows, top):   # each customer's two favourites (in every basket) lead
        c = int(b.customers[r][1:])
        assert {items[i] for i in t[:2]} == {f"fav{c % 6}", f"fav{c % 6 + 6}"}
    live = est.scores(rows)
    assert np.array_equal(np.take_along_axis(live, top, axis=1), sc)  # the kept lists are the live scores
    b.B.data[:] = 0.0
    b.n_baskets[:] = 0
    assert np.array_equal(est.scores(rows), live)                       # fitted state is its own
    again = RepeatReranker(repeat_params={"k": 5}, n_candidates=5).fit(to_baskets(orders))
    assert np.array_equal(again.scores(rows), live)
    recs = Recommender("tifu-rerank", {"repeat_params": {"k": 5}}).fit(orders).recommend(["c0"], k=3)
    assert set(recs["product_id"][:2]) == {"fav0", "fav6"} and recs["kind"].iloc[0] == "repeat"


def test_gp_topfreq_fills_with_popularity_and_item_knn_borrows_items_bought_together():
    orders = _orders({"ann": [["A", "B"], ["A"]], "bob": [["A", "X"], ["X", "B"]], "cy": [["A", "X"], ["X"]],
                      "dee": [["Q"], ["Q"]]})
    b = to_baskets(orders)
    items, ann = list(b.items), list(b.customers).index("ann")
    from models.recommend import GPTopFreq, ItemKNN, PTopFreq

    p = PTopFreq().fit(b).scores(np.array([ann]))[0]
    gp = GPTopFreq().fit(b).scores(np.array([ann]))[0]
    assert p[items.index("X")] == 0 and gp[items.index("X")] > gp[items.index("Q")] > 0  # X in more baskets
    assert np.argmax(gp) == items.index("A")
    s = ItemKNN(k=3, shrink=0.0).fit(b).scores(np.array([ann]))[0]
    assert s[items.index("A")] == s.max()                      # her own repeat first
    assert s[items.index("X")] > 0 and s[items.index("Q")] < 1e-6  # X goes with A; Q with nothing she buys


def _audience_workspace(tmp_path):
    """Weekly shoppers; the first 10 buy coffee every other week, the rest never."""
    from models.data.workspace import Workspace

    spec = {f"c{c}": [["milk"] + (["coffee1" if w % 4 == 0 else "coffee2"] if c < 10 and w % 2 == 0 else [])
                      for w in range(30)] for c in range(30)}
    o = _orders(spec).assign(amount=3.0)
    products = pd.DataFrame({"product_id": ["milk", "coffee1", "coffee2"],
                             "name": ["Whole Milk (1 GAL)", "Ground Coffee (12 OZ)", "Coffee Beans (1 LB)"],
                             "category": ["Milk", "Coffee", "Coffee"], "department": ["Dairy", "Grocery", "Grocery"]})
    ws = Workspace(tmp_path / "aud")
    ws.ingest({"orders": o.astype({"customer_id": "string", "order_id": "string", "product_id": "string"}),
               "products": products.astype("string")})
    return ws


def test_product_audience_ranks_the_category_buyers_first_and_beats_popularity(tmp_path):
    from models.recommend.workspace import product_audience, resolve_products

    ws = _audience_workspace(tmp_path)
    assert resolve_products(ws, "coffee")["product_ids"] == ["coffee1", "coffee2"]
    assert resolve_products(ws, "beans")["kind"] == "product_name"
    with pytest.raises(ValueError, match="closest categories: Coffee"):
        resolve_products(ws, "Cofee")
    res = product_audience(ws, "Coffee", horizon_days=30, top_k=10)
    top = set(res["rows"]["customer_id"].head(10))
    assert top == {f"c{c}" for c in range(10)}
    assert res["rows"]["probability"].head(10).min() > 0.5 > res["rows"]["probability"].iloc[10:].max()
    m = res["backtest"]["methods"]
    assert m["model"]["pr_auc"] == pytest.approx(1.0) and m["popularity"]["pr_auc"] < 0.5
    assert m["model"]["lift_top10pct"] > 2.5


def test_the_audience_cli_and_the_tool(tmp_path):
    from assistant.cli import cli
    from tools import ToolContext, build_tools

    ws = _audience_workspace(tmp_path)
    run = CliRunner()
    csv = tmp_path / "aud.csv"
    out = run.invoke(cli, ["audience", "--category", "coffee", "--top", "5", "--csv", str(csv), "--json",
                           "-w", str(ws.path)])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["resolved"]["kind"] == "category" and len(doc["customers"]) == 5 and "PR-AUC" in doc["backtest_line"]
    assert list(pd.read_csv(csv).columns) == ["customer_id", "probability", "bought_before", "days_since_last"]
    out = run.invoke(cli, ["audience", "--category", "beans", "-w", str(ws.path)])
    assert out.exit_code == 2 and "use --product" in out.output
    out = run.invoke(cli, ["backtest", "--target", "next-basket", "--json", "-w", str(ws.path)])
    assert out.exit_code == 0, out.output
    assert "tifu-knn" in json.loads(out.output)["methods"]
    tool = {t.name: t for t in build_tools(ToolContext(ws))}["product_audience"]
    res = json.loads(tool.invoke({"product_or_category": "coffee", "top_k": 3}))
    assert res["kind"] == "product_audience" and res["resolved_label"] == "Coffee" and len(res["customers"]) == 3
    err = json.loads(tool.invoke({"product_or_category": "caviar"}))
    assert "not a category" in err["error"]


def test_the_offline_planner_routes_who_will_buy_a_category_to_product_audience():
    from assistant.offline import Entities
    from assistant.offline.plan import make_plan
    from assistant.offline.router import Router

    ent = Entities(profiles=[], product_names=["Soft Drinks", "Cheese"])
    router = Router(examples=None)
    router.method = "keywords"
    plan = make_plan("who will buy coffee next month?", router, ent)
    assert (plan.route, plan.args) == ("product_audience", {"product_or_category": "coffee", "horizon_days": 30})
    plan = make_plan("top 50 likely buyers of soft drinks", router, ent)
    assert plan.route == "product_audience" and plan.args["product_or_category"] == "Soft Drinks"
    assert plan.args["top_k"] == 50
    assert make_plan("who will buy next week?", router, ent).route == "predict_buyers"
    assert make_plan("which customers will purchase again?", router, ent).route == "predict_buyers"


def test_write_campaign_personalises_each_member_with_their_picks(fake_ctx):
    from tools import build_tools

    tool = {t.name: t for t in build_tools(fake_ctx)}["write_campaign"]
    out = json.loads(tool.invoke({"segment": "loyal", "channel": "email"}))
    pers = out["personalisation"]
    assert pers["merge_fields"] == ["pick_1", "pick_2", "pick_3", "discover_1", "discover_2"]
    df = pd.read_csv(pers["export_csv"], dtype=str)
    members = sorted(c for c, s in fake_ctx.segment_of().items() if s == out["segment"])
    assert sorted(df["customer_id"]) == members and pers["n_customers"] == len(members)
    recs = fake_ctx.recommend(tuple(members), 20)["rows"]
    first = df.iloc[0]
    mine = recs[recs.customer_id == first["customer_id"]]
    repeat = list(mine[mine.kind == "repeat"]["product_name"])
    assert first["pick_1"] == (repeat[0] if repeat else mine["product_name"].iloc[0])
    assert all("{{pick_1}}" in v["body"] for v in out["variants"])
    sms = json.loads(tool.invoke({"segment": "loyal", "channel": "sms"}))
    assert all("{{" not in v["text"] for v in sms["variants"]) and sms["personalisation"]["line"]


def test_sparse_top_k_picks_what_the_dense_scores_pick():
    from models.recommend import GPTopFreq
    from models.recommend.evaluate import sparse_topk, topk

    b = to_baskets(_habitual(n=25, weeks=6, seed=3))
    rows = np.arange(len(b.customers))
    for model in (TIFUKNN(k=5).fit(b), GPTopFreq().fit(b)):
        dense = model.scores(rows)
        top, score = sparse_topk(model.sparse_scores(rows), 12, model.fill_)
        want = topk(dense, 12)
        np.testing.assert_allclose(np.take_along_axis(dense, top, axis=1)[:, :8],
                                   np.take_along_axis(dense, want, axis=1)[:, :8])
        assert (np.diff(score[:, :3], axis=1) <= 1e-7).all()  # best first (ties in any order)
        assert all(len(set(r)) == 12 for r in top)  # filled by popularity, no repeats


def test_a_generic_orders_file_says_which_parts_need_a_product_table_or_a_product_id(tmp_path):
    from assistant.cli import cli
    from models.data.workspace import Workspace

    ws = _orders_only_workspace(tmp_path)  # customer, order, timestamp, product_id, amount: no products table
    run = CliRunner()
    out = run.invoke(cli, ["audience", "--category", "Coffee", "-w", str(ws.path)])
    assert out.exit_code == 2 and "no products table" in out.output
    out = run.invoke(cli, ["audience", "--product", "fav0", "--top", "3", "--json", "-w", str(ws.path)])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["resolved"]["kind"] == "product_id" and {c["customer_id"] for c in doc["customers"]} <= {
        f"c{i}" for i in range(0, 20, 6)}                      # fav0 buyers: c0, c6, c12, c18
    plain = Workspace(tmp_path / "plain")
    o = _habitual(n=5, weeks=4)[["customer_id", "order_id", "timestamp"]].drop_duplicates().assign(amount=5.0)
    plain.ingest({"orders": o.astype({"customer_id": "string", "order_id": "string"})})
    out = run.invoke(cli, ["audience", "--category", "Coffee", "-w", str(plain.path)])
    assert out.exit_code == 2 and "no product_id column" in out.output
    out = run.invoke(cli, ["recommend", "--customer", "c1", "-w", str(plain.path)])
    assert out.exit_code == 2 and "product_id" in out.output


def test_category_level_picks_on_the_cli(tmp_path):
    from assistant.cli import cli

    ws = _audience_workspace(tmp_path)
    run = CliRunner()
    out = run.invoke(cli, ["recommend", "--customer", "c3", "--level", "category", "--k", "2", "--json",
                           "-w", str(ws.path)])
    assert out.exit_code == 0, out.output
    assert [p["product_id"] for p in json.loads(out.output)["picks"]] == ["Milk", "Coffee"]  # c3 buys both
    out = run.invoke(cli, ["recommend", "--customer", "c3", "--level", "category", "-w",
                           str(_orders_only_workspace(tmp_path).path)])
    assert out.exit_code == 2 and "category column" in out.output


def _tifu_reference(model: TIFUKNN, rows: np.ndarray) -> np.ndarray:
    """TIFU-KNN's blend written out densely, independently of the sparse code: alpha * own vector + (1 - alpha)
    * the mean of the k neighbours' own vectors (+ the popularity tie-break)."""
    U = model.own_.toarray()
    nbr = U[model.neighbours_[rows]].mean(axis=1)
    return model.alpha * U[rows] + (1 - model.alpha) * nbr + 1e-9 * model.pop_


@pytest.mark.parametrize("precompute_k", [0, 3, 20])  # off; kept lists shorter than some k (k=5, 10 blend); all kept
def test_tifu_knn_pruned_top_k_equals_the_full_blend(precompute_k):
    from models.recommend.evaluate import model_topk, sparse_topk

    rng = np.random.default_rng(7)
    # varied histories: long and short (fewer items than k, where the floor cannot prune), many shared products
    spec = {f"c{c}": [[f"p{j}" for j in rng.choice(60, size=rng.integers(1, 6), replace=False)]
                      for _ in range(int(rng.integers(1, 15)))] for c in range(40)}
    b = to_baskets(_orders(spec))
    model = TIFUKNN(k=6, group_size=3, precompute_k=precompute_k).fit(b)
    assert (model.best_items_ is None) == (precompute_k == 0)
    rows = np.arange(len(b.customers))
    ref = _tifu_reference(model, rows)
    for k in (1, 5, 10):
        top, score = model_topk(model, rows, k)
        np.testing.assert_allclose(np.take_along_axis(ref, top, axis=1), score, rtol=1e-9, atol=1e-15)
        want = -np.sort(-ref, axis=1)[:, :k]   # the best k scores: equal (ties aside, the items too)
        np.testing.assert_allclose(score, want, rtol=1e-9, atol=1e-15)
        assert all(len(set(r)) == k for r in top)
        plain = sparse_topk(model.sparse_scores(rows), k, model.fill_)
        np.testing.assert_allclose(plain[1], score, rtol=1e-12)
        unique = np.diff(-np.sort(-ref, axis=1)[:, k - 1:k + 1], axis=1).ravel() < -1e-12  # no tie at the k-th
        assert all(set(top[i]) == set(np.argsort(-ref[i])[:k]) for i in np.flatnonzero(unique))
        sub = rows[::-3]   # any subset, in any order: the same rows as scored together
        np.testing.assert_allclose(model_topk(model, sub, k)[1], score[sub], rtol=1e-12)
    recs = Recommender("tifu-knn", {"k": 6, "group_size": 3, "precompute_k": precompute_k}).fit(
        _orders(spec)).recommend(k=5)
    assert len(recs) == 5 * len(b.customers)


def test_sparse_top_k_floor_drops_only_what_cannot_rank():
    import scipy.sparse as sp
    from models.recommend.evaluate import sparse_topk

    rng = np.random.default_rng(3)
    S = sp.random(30, 200, density=0.2, random_state=4, format="csr")
    S.data = rng.random(S.nnz)
    fill = np.arange(200)
    full = sparse_topk(S, 8, fill)
    kth = full[1][:, 7]
    for floor in (kth * 0.999, kth * 0.5, np.zeros(30), kth * 2):  # the last is no floor at all: rows kept whole
        top, score = sparse_topk(S, 8, fill, floor=floor)
        np.testing.assert_array_equal(score, full[1])
        np.testing.assert_array_equal(top, full[0])


def test_a_generic_customer_date_amount_product_csv_gets_picks_audiences_and_a_personalised_campaign(tmp_path):
    """A plain orders export (customer, date, amount, product; no products table) through the CLI: picks for
    one customer and for all, a product audience and a personalised campaign, each saying what needs more
    columns (names, categories)."""
    from assistant.cli import cli
    from models.data.workspace import Workspace
    from tools import ToolContext, build_tools

    rng = np.random.default_rng(0)
    rows = []
    for c in range(30):
        for w in range(int(rng.integers(6, 12))):
            d = (T0 + pd.Timedelta(days=7 * w + int(rng.integers(0, 3)))).date().isoformat()
            for p in {f"SKU{c % 5}", f"SKU{c % 5 + 5}", f"SKU{10 + int(rng.integers(0, 20))}"}:
                rows.append((f"cust{c}", d, round(float(rng.uniform(2, 20)), 2), p))
    csv = tmp_path / "orders.csv"
    pd.DataFrame(rows, columns=["customer", "date", "amount", "product"]).to_csv(csv, index=False)
    w = ["-w", str(tmp_path / "ws")]
    run = CliRunner()
    out = run.invoke(cli, ["ingest", "--orders", str(csv), "--map", "customer_id=customer", "--map", "timestamp=date",
                           "--map", "product_id=product", *w])
    assert out.exit_code == 0, out.output
    out = run.invoke(cli, ["recommend", "--customer", "cust1", "--k", "3", "--json", *w])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert {p["product_id"] for p in doc["picks"][:2]} == {"SKU1", "SKU6"}  # what cust1 buys every week
    assert "products table" in doc["note"] and all(p["product_name"] == p["product_id"] for p in doc["picks"])
    out = run.invoke(cli, ["recommend", "--customer", "cust1", *w])
    assert out.exit_code == 0 and "Note:" in out.output and "products table" in out.output
    picks = tmp_path / "picks.csv"
    out = run.invoke(cli, ["recommend", "--all", "--k", "5", "--csv", str(picks), *w])
    assert out.exit_code == 0, out.output
    df = pd.read_csv(picks, dtype=str)
    assert len(df) == 30 * 5 and set(df["kind"]) <= {"repeat", "explore"}
    out = run.invoke(cli, ["audience", "--product", "SKU2", "--top", "3", "--json", *w])
    assert out.exit_code == 0, out.output
    buyers = {f"cust{c}" for c in range(30) if c % 5 == 2}
    assert {c["customer_id"] for c in json.loads(out.output)["customers"]} <= buyers
    out = run.invoke(cli, ["audience", "--category", "Coffee", *w])
    assert out.exit_code == 2 and "no products table" in out.output  # categories need one: it says so
    out = run.invoke(cli, ["recommend", "--customer", "cust1", "--level", "category", *w])
    assert out.exit_code == 2 and "category column" in out.output
    assert run.invoke(cli, ["segments", *w]).exit_code == 0
    ctx = ToolContext(Workspace(tmp_path / "ws"))
    tool = {t.name: t for t in build_tools(ctx)}["write_campaign"]
    seg = next(iter(set(ctx.segment_of().values())))
    res = json.loads(tool.invoke({"segment": seg, "channel": "email"}))
    pers = res["personalisation"]
    mine = pd.read_csv(pers["export_csv"], dtype=str)
    assert set(mine["customer_id"]) == {c for c, s in ctx.segment_of().items() if s == res["segment"]}
    assert mine["pick_1"].str.startswith("SKU").all() and "products table" in pers["note"]
    assert all("{{pick_1}}" in v["body"] for v in res["variants"])
    copy = " ".join(f"{v['subject']} {v['preheader']} {v['body']}" for v in res["variants"])
    assert "a your" not in copy and "your your" not in copy  # no category: phrasings that need none


def test_review_phrases_enter_copy_only_when_a_reviewer_wrote_them():
    from tools.campaign_copy import CampaignBrief, natural_phrase, offline_variants

    quotes = ["The flavor is spot on and the resealable packaging keeps it fresh.", "Great value for the money"]
    assert natural_phrase("resealable packaging", quotes) and natural_phrase("great value", quotes)
    for glued in ("flavor spot", "of the", "packaging packaging", "value 2", "keeps", "the flavor", 42):
        assert not natural_phrase(glued, quotes), glued
    profile = {"recency_days_median": 10, "top_categories": [{"category": "Coffee"}]}
    theme = {"label": "flavor spot", "mean_rating": 4.6, "key_phrases": ["flavor spot", "resealable packaging"],
             "quotes": [{"text": q} for q in quotes]}
    copy = " ".join(" ".join(v.values()) for v in offline_variants(CampaignBrief(profile, [theme]), "email"))
    assert "resealable packaging" in copy and "flavor spot" not in copy
    only_glued = dict(theme, key_phrases=["flavor spot", "coffee taste"])   # neither written by a reviewer
    copy = " ".join(" ".join(v.values()) for v in offline_variants(CampaignBrief(profile, [only_glued]), "email"))
    assert "flavor spot" not in copy and "coffee taste" not in copy and "Shoppers keep mentioning" not in copy


def test_rolling_audience_backtest_pairs_every_target_and_cutoff_and_beats_popularity():
    from models.recommend.audience import audience_rolling

    rng = np.random.default_rng(5)
    # c0-c9 buy coffee most weeks, c10-c19 milk; everyone buys bread, and a stray coffee / milk now and then
    spec = {f"c{c}": [["bread"] + (["coffee"] if (c < 10 and rng.random() < 0.7) or rng.random() < 0.03 else [])
                      + (["milk"] if (10 <= c < 20 and rng.random() < 0.7) or rng.random() < 0.03 else [])
                      for _ in range(40)] for c in range(40)}
    orders = _orders(spec)
    targets = {p: (orders["product_id"] == p).to_numpy() for p in ("coffee", "milk")}
    as_of = orders["timestamp"].max() + pd.Timedelta(days=1)
    res = audience_rolling(orders, targets, as_of, n_cutoffs=3, horizon_days=28, top_k=10)
    assert res["pairs"] == 6 and len(res["cutoffs"]) == 3
    per = res["rows"]
    wide = per.pivot_table(index=["target", "cutoff"], columns="method", values="pr_auc")
    d = res["paired_vs_model"]["pr_auc"]["popularity"]
    assert d["n"] == 6 and d["diff"] == pytest.approx((wide["model"] - wide["popularity"]).mean(), abs=1e-4)
    assert d["ci95"][0] > 0.3 and res["methods"]["model"]["pr_auc"] > 0.8
    assert res["paired_vs_model"]["lift_top10pct"]["popularity"]["diff"] > 1.5
    assert "bought_before" in res["paired_vs_model"]["pr_auc"]
    # one score for everyone: ties at the cut count at their expected value, so lift is exactly 1
    assert res["methods"]["popularity"]["lift_top10pct"] == 1.0 and res["methods"]["popularity"]["lift_top10"] == 1.0
    from models.recommend.audience import _lift

    y = np.array([1, 0, 0, 1, 0, 0, 0, 0, 1, 0])   # top 3 of [3, 3, 1 x 8]: 1 hit + 1 place at the ties' 2/8
    assert _lift(y, np.array([3, 3] + [1] * 8, dtype=float), 3) == pytest.approx((1 + 2 / 8) / 3 / 0.3, abs=1e-3)
