"""CustomerSegmenter: estimator contract, seeded reproducibility, stable ids across refits, stability measures."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from models.data.errors import NotFittedError
from models.features import features_at
from models.segments.segmenter import CustomerSegmenter
from models.segments.stability import bootstrap_ari, cutoff_ari


@pytest.fixture(scope="module")
def cutoff(cj_small):
    return cj_small["orders"]["timestamp"].max().normalize() + pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def X(cj_small, cutoff):
    return features_at(cj_small["orders"], cutoff, products=cj_small["products"])


@pytest.fixture(scope="module")
def fitted(X):
    return CustomerSegmenter(random_state=0).fit(X)


def test_predict_before_fit_raises_not_fitted(X):
    with pytest.raises(NotFittedError):
        CustomerSegmenter().predict(X)


def test_init_only_stores_hyperparameters_and_fit_returns_self(X):
    seg = CustomerSegmenter(k_range=(3, 5), methods=("kmeans",), random_state=7)
    assert seg.get_params()["k_range"] == (3, 5)
    assert not [a for a in vars(seg) if a.endswith("_")]  # nothing learned before fit
    assert seg.fit(X) is seg
    learned = [a for a in vars(seg) if a.endswith("_") and not a.startswith("_")]
    assert {"model_", "centers_", "segment_ids_", "k_", "method_", "selection_"} <= set(learned)
    assert 3 <= seg.k_ <= 5 and seg.method_ == "kmeans"
    assert clone(seg).get_params() == seg.get_params()


def test_same_seed_same_segments(X, fitted):
    again = CustomerSegmenter(random_state=0).fit(X)
    assert again.selection_ == fitted.selection_
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))


def test_choice_follows_the_stated_criterion(fitted):
    """Best silhouette among candidates whose every segment holds >= min_share of customers."""
    ok = [r for r in fitted.selection_ if r["admissible"]]
    assert ok, fitted.selection_
    best = max(ok, key=lambda r: r["silhouette"])
    assert (fitted.method_, fitted.k_) == (best["method"], best["k"])
    assert all(r["admissible"] == (r["min_share"] >= 0.02) for r in fitted.selection_)
    assert {r["method"] for r in fitted.selection_} == {"kmeans", "gmm"}


def test_every_segment_is_at_least_two_percent(X, fitted):
    ids = fitted.predict(X)
    shares = pd.Series(ids).value_counts(normalize=True)
    assert shares.min() >= 0.02
    assert sorted(shares.index) == sorted(fitted.segment_ids_)


def test_missing_feature_column_is_named(X):
    with pytest.raises(ValueError, match="monetary"):
        CustomerSegmenter().fit(X.drop(columns=["monetary"]))
    with pytest.raises(TypeError, match="DataFrame"):
        CustomerSegmenter().fit(X.to_numpy())


def test_non_finite_feature_names_customer(X):
    bad = X.copy()
    bad.iloc[3, bad.columns.get_loc("avg_basket")] = np.nan
    with pytest.raises(ValueError, match=str(bad.index[3])):
        CustomerSegmenter().fit(bad)


def _perturbed(X: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Same customers minus 10%, every number jittered by up to ±5%."""
    rng = np.random.default_rng(seed)
    keep = rng.random(len(X)) > 0.10
    noise = rng.uniform(0.95, 1.05, size=X.shape)
    return (X * noise)[keep]


def best_relabelled_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Highest share of equal labels over every one-to-one relabelling of ``b`` (the ideal id matching)."""
    from itertools import permutations

    la, lb = np.unique(a), np.unique(b)
    best = 0.0
    for perm in permutations(la, len(lb)) if len(lb) <= len(la) else []:
        mapped = np.array(perm)[np.searchsorted(lb, b)]
        best = max(best, float((mapped == a).mean()))
    return best


FOUR = dict(methods=("kmeans",), k_range=(4, 4))


def test_ids_survive_refit_on_perturbed_data(X):
    ref = CustomerSegmenter(random_state=0, **FOUR).fit(X)
    X2 = _perturbed(X, seed=1)
    refit = CustomerSegmenter(random_state=123, **FOUR).fit(X2, reference=ref)
    old, new = ref.predict(X2), refit.predict(X2)
    # centroid matching must hand out (nearly) the best possible ids for the new partition
    assert (new == old).mean() >= 0.97 * best_relabelled_agreement(old, new)
    assert (new == old).mean() >= 0.7
    assert set(refit.id_match_) == set(ref.segment_ids_)


def test_ids_come_from_the_reference_by_centroid(X):
    """Relabel the reference's segments; a refit must hand out the relabelled ids."""
    fitted = CustomerSegmenter(random_state=0, **FOUR).fit(X)
    relabel = {int(s): 100 + 7 * i for i, s in enumerate(fitted.segment_ids_[::-1])}
    ref = copy.deepcopy(fitted)
    ref.segment_ids_ = np.array([relabel[int(s)] for s in fitted.segment_ids_])
    ref.id_of_label_ = np.array([relabel[int(s)] for s in fitted.id_of_label_])
    refit = CustomerSegmenter(random_state=5, **FOUR).fit(_perturbed(X, seed=2), reference=ref)
    assert sorted(refit.segment_ids_) == sorted(relabel.values())
    expected = np.array([relabel[int(s)] for s in fitted.predict(X)])
    got = refit.predict(X)
    assert (got == expected).mean() >= 0.97 * best_relabelled_agreement(expected, got)


def test_extra_clusters_get_fresh_ids(X, fitted):
    more = CustomerSegmenter(k_range=(fitted.k_ + 2, fitted.k_ + 2), methods=("kmeans",), min_share=0.0)
    more.fit(X, reference=fitted)
    ids = sorted(int(i) for i in more.segment_ids_)
    assert len(ids) == len(set(ids)) == fitted.k_ + 2
    assert set(fitted.segment_ids_) < set(ids)
    assert ids[-2:] == [max(fitted.segment_ids_) + 1, max(fitted.segment_ids_) + 2]


def test_bootstrap_ari_measures_agreement(X):
    seg = CustomerSegmenter(methods=("kmeans",), k_range=(4, 5))
    r = bootstrap_ari(seg, X, n_boot=3, random_state=0)
    assert len(r["values"]) == 3 and r["min"] <= r["mean"] <= 1.0
    assert r["mean"] > 0.3  # partitions unrelated to each other score ~0 (300 customers: noisy)


def test_cutoff_ari_compares_consecutive_months(cj_small, cutoff):
    seg = CustomerSegmenter(methods=("kmeans",), k_range=(4, 5))
    r = cutoff_ari(seg, cj_small["orders"], cutoff, products=cj_small["products"])
    then, now = (pd.Timestamp(c) for c in r["cutoffs"])
    assert now == cutoff and then == cutoff - pd.DateOffset(months=1)
    assert 0 < r["n_customers"] <= 300 and -1.0 <= r["ari"] <= 1.0
