"""Fraud model and A-card challenger on small simulated data with a planted, known signal."""

from __future__ import annotations

import itertools
import json
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.metrics import log_loss, roc_auc_score

from riskmodels.contract import ENTITY_TYPES, INDUSTRIES, TAX_GRADES
from riskmodels.features.catalogue import APPLICATION_FEATURES, FEATURES, FRAUD_FEATURES
from riskmodels.models.challenger import GBMChallenger
from riskmodels.models.fraud import FraudModel
from riskmodels.models.gbm import fit_platt, monotone_direction
from riskmodels.models.specs import load_model

N_ROWS = 6000  # a test-only fraud rate near 6% (real: 0.3-2%) keeps the sample small and the AUC stable
# One LightGBM thread: on a shared 2-core machine, OpenMP threads spinning against other jobs
# cost more than they save on a few thousand rows.
THREADS = 1
LEVELS = {"tax_grade": TAX_GRADES, "entity_type": ENTITY_TYPES, "industry": INDUSTRIES}


def _feature_frame(names: tuple[str, ...], n: int, rng: np.random.Generator) -> pd.DataFrame:
    columns: dict[str, np.ndarray] = {}
    for name in names:
        if name in LEVELS:
            columns[name] = rng.choice(np.array([*LEVELS[name], None], dtype=object), n)
        elif FEATURES[name].unit == "flag":
            columns[name] = (rng.random(n) < 0.3).astype(float)
        else:
            columns[name] = rng.poisson(rng.gamma(2.0, 2.0, n)).astype(float)
    frame = pd.DataFrame(columns)
    frame.loc[rng.random(n) < 0.4, ["eb_overdue_24m", "eb_max_dpd_24m"]] = np.nan  # no enterprise report
    return frame


def _fraud_logit(x: pd.DataFrame) -> np.ndarray:
    declared = np.log(x["af_declared_vs_observed_revenue"].fillna(1.0) + 0.5)
    return (-7.8 + 0.45 * x["af_device_shared"] + 0.25 * x["af_applications_7d"] + 0.6 * declared
            - 0.12 * x["af_phone_tenure_months"] + 0.1 * x["bureau_inquiries_3m"]).to_numpy()


@pytest.fixture(scope="module")
def fraud_data() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    x = _feature_frame(FRAUD_FEATURES, 2 * N_ROWS, rng)
    x.loc[rng.random(len(x)) < 0.1, "af_declared_vs_observed_revenue"] = np.nan  # no observed revenue
    truth = expit(_fraud_logit(x))
    return x, (rng.random(len(x)) < truth).astype(int), truth


@pytest.fixture(scope="module")
def fraud_model(fraud_data: tuple[pd.DataFrame, np.ndarray, np.ndarray]) -> FraudModel:
    x, y, _ = fraud_data
    return FraudModel(num_threads=THREADS).fit(x.iloc[:N_ROWS], y[:N_ROWS])


def test_learns_the_planted_signal(fraud_model: FraudModel, fraud_data: tuple) -> None:
    x, y, truth = fraud_data
    test_x, test_y = x.iloc[N_ROWS:], y[N_ROWS:]
    oracle = roc_auc_score(test_y, truth[N_ROWS:])
    assert roc_auc_score(test_y, fraud_model.fraud_probability(test_x)) >= 0.93 * oracle
    assert fraud_model.n_trees_ <= 150


def test_monotone_where_the_direction_is_known(fraud_model: FraudModel, fraud_data: tuple) -> None:
    rows = fraud_data[0].iloc[N_ROWS:N_ROWS + 40].reset_index(drop=True)
    constrained = [f for f in fraud_model.features_ if monotone_direction(f) != 0]
    assert "af_device_shared" in constrained and "af_phone_tenure_months" in constrained
    for name in constrained:
        grid = np.linspace(0, fraud_data[0][name].quantile(0.99) * 1.5, 12)
        probs = np.column_stack([fraud_model.fraud_probability(rows.assign(**{name: v})) for v in grid])
        steps = np.diff(probs, axis=1) * monotone_direction(name)
        assert (steps >= -1e-12).all(), name


def test_contributions_equal_shap_tree_explainer(fraud_model: FraudModel, fraud_data: tuple) -> None:
    import shap

    sample = fraud_data[0].iloc[N_ROWS:N_ROWS + 200]
    # shap announces its LightGBM binary output format on every call: expected, nothing to act on.
    with pytest.warns(UserWarning, match="LightGBM binary classifier"):
        expected = shap.TreeExplainer(fraud_model.booster_).shap_values(fraud_model._encode(sample))
    ours = fraud_model.contributions(sample)
    np.testing.assert_allclose(ours.drop(columns="bias").to_numpy(), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.sum(axis=1), fraud_model.predict_raw(sample), atol=1e-9)


def _expected_value(node: dict, x: np.ndarray, known: frozenset[int]) -> float:
    """E[tree(x) | features in ``known``] weighting unknown splits by training counts."""
    if "leaf_value" in node:
        return node["leaf_value"]
    left, right = node["left_child"], node["right_child"]
    if node["split_feature"] in known:
        return _expected_value(left if x[node["split_feature"]] <= node["threshold"] else right, x, known)
    weights = [child.get("internal_count", child.get("leaf_count")) for child in (left, right)]
    values = [_expected_value(child, x, known) for child in (left, right)]
    return float(np.dot(weights, values) / sum(weights))


def test_contributions_are_exact_shapley_values(fraud_data: tuple) -> None:
    # shap's TreeExplainer hands LightGBM boosters back to pred_contrib, so check against
    # Shapley values computed from their definition on a model small enough to enumerate.
    x, y, _ = fraud_data
    names = ("af_device_shared", "af_applications_7d", "af_phone_tenure_months", "bureau_inquiries_3m")
    model = FraudModel(features=names, n_estimators=15, num_threads=THREADS).fit(x.iloc[:N_ROWS], y[:N_ROWS])
    trees = [t["tree_structure"] for t in model.booster_.dump_model()["tree_info"]]
    rows = model._encode(x.iloc[N_ROWS:N_ROWS + 5])
    m = len(names)
    for row, contribution in zip(rows, model.contribution_matrix(x.iloc[N_ROWS:N_ROWS + 5])):
        value = {s: sum(_expected_value(t, row, frozenset(s)) for t in trees)
                 for k in range(m + 1) for s in itertools.combinations(range(m), k)}
        for i in range(m):
            phi = sum(math.factorial(len(s)) * math.factorial(m - len(s) - 1) / math.factorial(m)
                      * (value[tuple(sorted((*s, i)))] - value[s]) for s in value if i not in s)
            assert contribution[i] == pytest.approx(phi, abs=1e-9)
        assert contribution[-1] == pytest.approx(value[()], abs=1e-9)


def test_platt_recovers_a_known_map_and_improves_log_loss() -> None:
    rng = np.random.default_rng(1)
    margin = rng.normal(-3, 2, 40_000)  # overconfident raw scores: truth is expit(0.5 m - 1)
    y = (rng.random(margin.size) < expit(0.5 * margin - 1)).astype(int)
    slope, intercept = fit_platt(margin, y)
    assert slope == pytest.approx(0.5, abs=0.05) and intercept == pytest.approx(-1, abs=0.15)
    assert log_loss(y, expit(slope * margin + intercept)) < log_loss(y, expit(margin))


def test_calibrated_rates_match_observed_by_decile(fraud_model: FraudModel, fraud_data: tuple) -> None:
    x, y, _ = fraud_data
    p, observed = fraud_model.fraud_probability(x.iloc[N_ROWS:]), y[N_ROWS:]
    assert abs(p.mean() - observed.mean()) < 3 * math.sqrt(observed.mean() / len(observed))
    for decile in np.array_split(np.argsort(p), 10):
        expected, seen = p[decile].mean(), observed[decile].mean()
        assert abs(seen - expected) < 3.5 * math.sqrt(expected * (1 - expected) / len(decile)) + 0.01


def test_score_scale_and_verdicts(fraud_model: FraudModel, fraud_data: tuple) -> None:
    assert fraud_model.score_from_logit(np.array([math.log(1 / 20)]))[0] == pytest.approx(60)
    # Below the pass line: 10 points per doubling (40 is 16.7% fraud, as before); above it the
    # remaining 40 points spread evenly in log-odds up to 8,000:1 at 100 (models/fraud.py).
    assert fraud_model.score_from_logit(np.array([math.log(1 / 5)]))[0] == pytest.approx(40)
    assert fraud_model.score_from_logit(np.array([math.log(1 / 8000)]))[0] == pytest.approx(100)
    assert fraud_model.score_from_logit(np.array([math.log(1 / 400)]))[0] == pytest.approx(80)
    assert fraud_model.score_of_logit(math.log(1 / 400)) == fraud_model.score_from_logit(
        np.array([math.log(1 / 400)]))[0]
    assert fraud_model.score_from_logit(np.array([-50.0, 50.0])).tolist() == [100.0, 0.0]
    assert fraud_model.verdict_of_score(np.array([60.0, 59.9, 40.0, 39.9])).tolist() == [
        "pass", "review", "review", "reject"]
    sample = fraud_data[0].iloc[N_ROWS:N_ROWS + 300]
    assessed = fraud_model.assess(sample)
    np.testing.assert_allclose(assessed.score, fraud_model.fraud_score(sample), atol=1e-9)
    np.testing.assert_allclose(assessed.probability, fraud_model.fraud_probability(sample), atol=1e-12)
    assert set(assessed.verdict) <= {"pass", "review", "reject"}
    one = fraud_model.assess(sample.iloc[0].to_dict())  # the live API's dict of one row
    np.testing.assert_allclose(one.contributions[0], assessed.contributions[0], atol=1e-12)


def test_the_one_row_path_gives_the_frame_paths_answer_exactly(fraud_data: tuple) -> None:
    """``assess_one`` (the live path) must be ``assess`` to the last bit, categories included
    (an unseen level and a missing one), and its cached level maps must follow a refit."""
    x, y, _ = fraud_data
    names = (*FRAUD_FEATURES, "industry")
    rng = np.random.default_rng(21)
    frame = x.assign(industry=_feature_frame(("industry",), len(x), rng)["industry"].to_numpy())
    model = FraudModel(features=list(names), n_estimators=40, num_threads=THREADS)
    for rows in (slice(0, 3000), slice(3000, 6000)):  # the second fit must not reuse the first's maps
        kept = frame.iloc[rows]
        if rows.start:
            kept = kept[kept["industry"] != INDUSTRIES[0]]  # a level the first fit knew is now unseen
        model.fit(kept, y[rows][kept.index - rows.start])
        sample = frame.iloc[N_ROWS:N_ROWS + 200].copy()
        sample.iloc[0, sample.columns.get_loc("industry")] = "space_mining"
        assessed = model.assess(sample)
        for i, row in enumerate(sample.to_dict(orient="records")):
            one = model.assess_one(row)
            assert (one.score, one.probability, one.verdict) == (
                assessed.score[i], assessed.probability[i], assessed.verdict[i]), i
            assert one.contributions == assessed.contributions[i, :-1].tolist(), i
    with pytest.raises(ValueError, match="af_phone_shared must be numeric; got 'three'"):
        model.assess_one({**sample.iloc[0].to_dict(), "af_phone_shared": "three"})
    with pytest.raises(ValueError, match="every model feature"):
        model.assess_one({k: v for k, v in sample.iloc[0].to_dict().items() if k != "industry"})


def test_the_one_row_path_is_exact_from_many_threads(fraud_model: FraudModel, fraud_data: tuple) -> None:
    """``assess_one`` from several threads at once, two models alternating in each, still gets
    ``assess``'s answer: the tables are built once per model, and a model they don't cover keeps
    LightGBM's single-row predictor per thread (it must not be shared)."""
    x, y, _ = fraud_data
    # The other model splits on a category, which the tables don't cover: LightGBM's path.
    frame = x.assign(industry=_feature_frame(("industry",), len(x), np.random.default_rng(21))["industry"].to_numpy())
    other = FraudModel(features=[*FRAUD_FEATURES, "industry"], n_estimators=20,
                       num_threads=THREADS).fit(frame.iloc[:3000], y[:3000])
    assert fraud_model._shap_tables() is not None and other._shap_tables() is None
    sample = frame.iloc[N_ROWS:N_ROWS + 120]
    rows = sample.to_dict(orient="records")
    expected = {id(m): m.assess(sample).contributions[:, :-1].tolist() for m in (fraud_model, other)}

    def score(offset: int) -> list[bool]:
        return [model.assess_one(rows[i]).contributions == expected[id(model)][i]
                for i in range(offset, len(rows), 3) for model in (fraud_model, other)]

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(score, range(3)))
    assert all(all(r) for r in results) and sum(len(r) for r in results) == 2 * len(rows)


def test_persistence_round_trip_is_exact(fraud_model: FraudModel, fraud_data: tuple) -> None:
    sample = fraud_data[0].iloc[N_ROWS:N_ROWS + 500]
    loaded = load_model(json.loads(json.dumps(fraud_model.to_dict())))
    assert isinstance(loaded, FraudModel) and loaded.get_params() == fraud_model.get_params() | {
        "features": list(fraud_model.features_)}
    np.testing.assert_array_equal(loaded.fraud_probability(sample), fraud_model.fraud_probability(sample))
    np.testing.assert_array_equal(loaded.contribution_matrix(sample), fraud_model.contribution_matrix(sample))
    with pytest.raises(ValueError, match="must be a 'application_challenger' model"):
        GBMChallenger.from_dict(fraud_model.to_dict())


def test_deterministic(fraud_data: tuple) -> None:
    x, y, _ = fraud_data
    first, second = (FraudModel(n_estimators=30, num_threads=THREADS).fit(x.iloc[:3000], y[:3000]) for _ in range(2))
    assert first.booster_.model_to_string() == second.booster_.model_to_string()


def test_bad_input_is_rejected_clearly(fraud_data: tuple, fraud_model: FraudModel) -> None:
    x, y, _ = fraud_data
    small_x, small_y = x.iloc[:500], y[:500]
    with pytest.raises(ValueError, match="y must be binary"):
        FraudModel(num_threads=THREADS).fit(small_x, np.where(small_y == 1, 2, 0))
    with pytest.raises(ValueError, match="y must be binary"):
        FraudModel(num_threads=THREADS).fit(small_x, ["fraud"] * 500)
    with pytest.raises(TypeError, match="X must be a pandas DataFrame"):
        FraudModel(num_threads=THREADS).fit(small_x.iloc[0].to_dict(), small_y[:1])
    with pytest.raises(ValueError, match="one label per row"):
        FraudModel(num_threads=THREADS).fit(small_x, small_y[:-1])
    with pytest.raises(ValueError, match="both classes"):
        FraudModel(num_threads=THREADS).fit(small_x, np.zeros(500))
    with pytest.raises(ValueError, match=r"every model feature; got none for \['af_device_shared'\]"):
        FraudModel(num_threads=THREADS).fit(small_x.drop(columns="af_device_shared"), small_y)
    with pytest.raises(ValueError, match="every model feature"):
        fraud_model.fraud_score(small_x.drop(columns="bureau_lenders"))
    with pytest.raises(ValueError, match="af_phone_shared must be numeric"):
        fraud_model.fraud_score(small_x.assign(af_phone_shared="three"))
    with pytest.raises(ValueError, match="af_phone_shared must be numeric; got 'three'"):
        fraud_model.assess({**small_x.iloc[0].to_dict(), "af_phone_shared": "three"})
    with pytest.raises(ValueError, match="review_score <= pass_score"):
        FraudModel(pass_score=30, num_threads=THREADS).fit(small_x, small_y)


def test_challenger_with_categories(fraud_data: tuple) -> None:
    rng = np.random.default_rng(9)
    x = _feature_frame(APPLICATION_FEATURES, 2 * N_ROWS, rng)
    risky = np.isin(x["industry"], ["catering", "entertainment"]) | (x["tax_grade"] == "D")
    truth = expit(-3.2 + 1.2 * risky + 0.3 * x["bureau_inquiries_3m"] - 0.15 * x["years_in_business"])
    y = (rng.random(len(x)) < truth).astype(int)
    model = GBMChallenger(num_threads=THREADS).fit(x.iloc[:N_ROWS], y[:N_ROWS])
    test = x.iloc[N_ROWS:]
    assert roc_auc_score(y[N_ROWS:], model.predict_pd(test)) >= 0.9 * roc_auc_score(y[N_ROWS:], truth[N_ROWS:])
    assert model.levels_["industry"] == sorted(INDUSTRIES)
    unseen = model.predict_pd(test.iloc[:3].assign(industry="space tourism"))  # unknown level = missing
    assert np.isfinite(unseen).all()
    loaded = load_model(json.loads(json.dumps(model.to_dict())))
    np.testing.assert_array_equal(loaded.predict_pd(test), model.predict_pd(test))
