"""The TreeSHAP tables against LightGBM's own ``pred_contrib``, on boosters grown to exercise
every kind of split the tables read: NaN, zero and no missing handling, deep paths that test
a feature twice, infinite thresholds, single-leaf trees and early stopping."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskmodels.models.tree_shap import tables_for

N_FEATURES = 6
TOLERANCE = 1e-12  # the tables and LightGBM add the same terms in different orders


def _data(seed: int = 3, n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, N_FEATURES))
    x[:, 2] = rng.poisson(1.0, n)  # many exact zeros
    x[rng.random(n) < 0.15, 0] = np.nan  # missing, and informative
    x[rng.random(n) < 0.1, 3] = np.nan
    logit = 1.2 * x[:, 1] - 0.8 * (x[:, 2] == 0) + np.where(np.isnan(x[:, 0]), 1.5, 0.5 * np.nan_to_num(x[:, 0]))
    logit += 0.7 * x[:, 4] * x[:, 5]
    return x, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def _booster(**params: object) -> lgb.Booster:
    x, y = _data()
    base = {"objective": "binary", "num_leaves": 15, "max_depth": 5, "min_data_in_leaf": 20, "verbosity": -1,
            "num_threads": 1, "seed": 1}
    return lgb.train({**base, **params}, lgb.Dataset(x, y), num_boost_round=25)


BOOSTERS = {
    "nan missing": {},
    "zero as missing": {"zero_as_missing": True},
    "no missing handling": {"use_missing": False},
    "deep paths": {"num_leaves": 63, "max_depth": -1, "min_data_in_leaf": 5},
}


@pytest.fixture(scope="module", params=list(BOOSTERS))
def booster(request: pytest.FixtureRequest) -> lgb.Booster:
    return _booster(**BOOSTERS[request.param])


def _thresholds(booster: lgb.Booster) -> list[tuple[int, float]]:
    found: list[tuple[int, float]] = []
    stack = [t["tree_structure"] for t in booster.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            found.append((node["split_feature"], node["threshold"]))
            stack += [node["left_child"], node["right_child"]]
    return found


def _edge_rows(booster: lgb.Booster, data: st.DataObject, n: int) -> np.ndarray:
    """Rows whose values sit on and beside the booster's thresholds, or are NaN, zero, tiny,
    infinite or beyond LightGBM's 1e300 stand-in for infinity."""
    thresholds = _thresholds(booster)
    specials = [np.nan, 0.0, -0.0, 1e-36, -1e-36, np.inf, -np.inf, 1e301, -1e301]
    rows = np.asarray(_data(seed=8, n=n)[0])
    for i in range(n):
        for _ in range(data.draw(st.integers(0, 4))):
            feature, threshold = thresholds[data.draw(st.integers(0, len(thresholds) - 1))]
            step = data.draw(st.sampled_from(["on", "above", "below", "special"]))
            rows[i, feature] = (threshold if step == "on" else np.nextafter(threshold, np.inf) if step == "above"
                                else np.nextafter(threshold, -np.inf) if step == "below"
                                else data.draw(st.sampled_from(specials)))
    return rows


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_the_tables_give_pred_contrib_on_rows_at_every_kind_of_split(booster: lgb.Booster, data: st.DataObject) -> None:
    tables = tables_for(booster)
    assert tables is not None
    rows = _edge_rows(booster, data, 40)
    np.testing.assert_allclose(tables.contributions(rows), booster.predict(rows, pred_contrib=True),
                               rtol=0, atol=TOLERANCE)


def test_paths_that_test_a_feature_twice_are_covered() -> None:
    booster = _booster(**BOOSTERS["deep paths"])
    repeated = 0
    stack = [(t["tree_structure"], ()) for t in booster.dump_model()["tree_info"]]
    while stack:
        node, path = stack.pop()
        if "split_feature" in node:
            repeated += node["split_feature"] in path
            stack += [(node[c], (*path, node["split_feature"])) for c in ("left_child", "right_child")]
    assert repeated > 0  # else the deep booster would not test the zero fractions' products
    rows = _data(seed=11, n=3000)[0]
    np.testing.assert_allclose(tables_for(booster).contributions(rows),  # type: ignore[union-attr]
                               booster.predict(rows, pred_contrib=True), rtol=0, atol=TOLERANCE)


def test_one_row_gets_the_frames_numbers_to_the_last_bit(booster: lgb.Booster) -> None:
    tables = tables_for(booster)
    assert tables is not None
    rows = _data(seed=12, n=300)[0]
    frame = tables.contributions(rows)
    assert all(np.array_equal(tables.contributions(rows[i:i + 1])[0], frame[i], equal_nan=True)
               for i in range(len(rows)))


def test_the_trees_predict_uses_are_tabulated_after_early_stopping() -> None:
    x, y = _data()
    params = {"objective": "binary", "num_leaves": 15, "verbosity": -1, "num_threads": 1, "learning_rate": 0.5}
    booster = lgb.train(params, lgb.Dataset(x[:2000], y[:2000]), num_boost_round=200,
                        valid_sets=[lgb.Dataset(x[2000:], y[2000:])], callbacks=[lgb.early_stopping(3, verbose=False)],
                        keep_training_booster=True)  # else train drops the trees past the best one
    assert 0 < booster.best_iteration < booster.num_trees()
    tables = tables_for(booster)
    assert tables is not None
    np.testing.assert_allclose(tables.contributions(x), booster.predict(x, pred_contrib=True), rtol=0, atol=TOLERANCE)


def test_single_leaf_trees_are_all_bias() -> None:
    booster = _booster(min_gain_to_split=1e9)  # nothing is worth a split
    tables = tables_for(booster)
    assert tables is not None
    rows = _data(seed=13, n=50)[0]
    contributions = tables.contributions(rows)
    np.testing.assert_array_equal(contributions[:, :-1], 0.0)
    np.testing.assert_allclose(contributions[:, -1], booster.predict(rows, raw_score=True), rtol=0, atol=TOLERANCE)


def test_categorical_splits_are_left_to_lightgbm() -> None:
    x, y = _data()
    x[:, 5] = np.floor(np.abs(x[:, 5]) * 3)  # a categorical code
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1, "min_data_per_group": 5},
                        lgb.Dataset(x, y, categorical_feature=[5]), num_boost_round=10)
    assert any(t["num_cat"] for t in booster.dump_model()["tree_info"])
    assert tables_for(booster) is None


def test_no_rows_give_no_contributions(booster: lgb.Booster) -> None:
    tables = tables_for(booster)
    assert tables is not None
    assert tables.contributions(np.zeros((0, N_FEATURES))).shape == (0, N_FEATURES + 1)


def test_rows_of_the_wrong_width_are_refused(booster: lgb.Booster) -> None:
    tables = tables_for(booster)
    assert tables is not None
    with pytest.raises(ValueError, match=rf"rows must have shape \(n, {N_FEATURES}\); got \(2, 3\)"):
        tables.contributions(np.zeros((2, 3)))
