"""Issue 18: review search and summary abstain ("no review mentions X") when no retrieved review is about the
topic, instead of presenting unrelated reviews as matches; a present topic still returns its reviews."""

from __future__ import annotations

import json

import pytest

from assistant.offline.compose import compose_answer
from models.reviews.relevance import any_mention, content_terms, mentions
from tools import build_tools


@pytest.fixture()
def tools_by_name(fake_ctx):
    return {t.name: t for t in build_tools(fake_ctx)}


def call(tools, name, **args) -> dict:
    return json.loads(tools[name].invoke(args))


def test_content_terms_are_stemmed_without_stopwords():
    assert content_terms("the strings of a guitar") == ["string", "guitar"]
    assert mentions("broken strings", "One string broke, the other strings are broken too")
    assert not mentions("produce freshness", "tastes fresh")  # one of two terms is not a mention
    assert mentions("what about the", "anything")  # no content term: never abstain


@pytest.mark.parametrize("topic", ["delivery drone", "produce freshness"])
def test_absent_topic_abstains(tools_by_name, topic):
    r = call(tools_by_name, "search_reviews", query=topic)
    assert r["no_match"] is True and r["reviews"] == []
    assert r["message"].startswith("No review mentions")
    text = compose_answer([("search_reviews", {"query": topic}, r)])
    assert text.startswith(f"No review mentions “{topic}”")


def test_present_topic_does_not_abstain(tools_by_name):
    r = call(tools_by_name, "search_reviews", query="stale chips")
    assert r["no_match"] is False and "message" not in r
    assert r["reviews"][0]["review_id"] == "r6"
    assert "No review mentions" not in compose_answer([("search_reviews", {"query": "stale chips"}, r)])


def test_summary_composer_words_abstention():
    r = {"kind": "review_summary", "product": None, "query": "delivery drone", "n_reviews": 0, "mean_rating": None,
         "rating_distribution": {}, "trend": [], "themes": [], "review_ids": [], "synthetic": True,
         "note": "", "no_match": True, "message": "No review mentions “delivery drone”."}
    assert compose_answer([("summarize_reviews", {"query": "delivery drone"}, r)]).startswith(
        "No review mentions “delivery drone”")


def test_synthetic_demo_reviews_abstain_on_absent_topics(tmp_path):
    """The demo's synthetic review texts: absent topics are mentioned by none, present ones by some."""
    from models.data.sources.synthetic_reviews import synthetic_reviews
    from tests.agent_fakes import make_fake_workspace

    ws = make_fake_workspace(tmp_path / "ws")
    orders, products = ws.read_table("orders"), ws.read_table("products")
    texts = synthetic_reviews(orders, products, n_reviews=300, n_products=3, random_state=0)["text"].tolist()
    assert texts
    for absent in ("delivery drone", "produce freshness", "guitar strings"):
        assert not any_mention(absent, texts), absent
    words = [w for w in " ".join(texts).lower().split() if w.isalpha() and len(w) > 4]
    present = max(set(words), key=words.count)  # the commonest word of the reviews is a present topic
    assert any_mention(present, texts)
