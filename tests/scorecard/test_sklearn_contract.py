"""The scorecard is a scikit-learn binary classifier: sklearn's own estimator checks, model
selection (cross_val_score, GridSearchCV), Pipeline and clone, numpy input and any two labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special
from sklearn.base import clone, is_classifier
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from riskmodels.scorecard import ScorecardModel

from .conftest import SPECIAL_CODES, make_applications

# sklearn's checks fit on a few dozen random or toy rows. On those the default filters (IV,
# held-out search, significance) rightly keep no characteristic and fit raises, so the checks
# run with every filter switched off: they test the API, not the statistics.
OPEN_FILTERS = ScorecardModel(iv_min=0.0, max_corr=1.0, max_vif=np.inf, selection_method="none",
                              max_features=None, sign_rule=False, p_max=None)
ONE_BIN = ("toy data whose classes separate perfectly (or whose pre-bins hold one class each): optbinning "
           "merges every bin that lacks goods or bads, since a WoE needs both, so each column is left with "
           "one bin, no characteristic remains and fit raises 'no variable passed selection'")
EXPECTED_FAILED_CHECKS = {
    "check_sample_weights_shape": ONE_BIN,
    "check_sample_weights_not_overwritten": ONE_BIN,
    "check_sample_weight_equivalence_on_dense_data": ONE_BIN,
    "check_pipeline_consistency": ONE_BIN,
    "check_classifiers_classes": ONE_BIN,
    "check_fit2d_1feature": ONE_BIN + " (the check then wants an error naming '1 feature(s)')",
}


@parametrize_with_checks([OPEN_FILTERS], expected_failed_checks=lambda _: EXPECTED_FAILED_CHECKS)
def test_sklearn_estimator_checks(estimator, check) -> None:
    check(estimator)


@pytest.fixture(scope="module")
def small_data() -> tuple[pd.DataFrame, np.ndarray]:
    return make_applications(6_000, seed=11)


def _model(**params: object) -> ScorecardModel:
    return ScorecardModel(categorical_features=["industry"], special_codes=SPECIAL_CODES).set_params(**params)


def test_cross_val_score_gives_each_folds_auc(small_data) -> None:
    X, y = small_data
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(_model(), X, y, scoring="roc_auc", cv=folds)
    # The same folds by hand: the AUC of each fold's model on its held-out rows.
    expected = [roc_auc_score(y[test], _model().fit(X.iloc[train], y[train]).predict_pd(X.iloc[test]))
                for train, test in folds.split(X, y)]
    np.testing.assert_allclose(scores, expected, rtol=1e-12)
    assert np.isfinite(scores).all() and (scores > 0.7).all()


def test_grid_search_chooses_the_number_of_characteristics(small_data) -> None:
    X, y = small_data
    search = GridSearchCV(_model(), {"max_features": [1, 3]}, scoring="roc_auc", cv=3).fit(X, y)
    means = search.cv_results_["mean_test_score"]
    assert np.isfinite(means).all()
    assert search.best_params_ == {"max_features": [1, 3][int(np.argmax(means))]}
    assert len(search.best_estimator_.selected_features_) <= search.best_params_["max_features"]
    np.testing.assert_allclose(search.predict_proba(X), search.best_estimator_.predict_proba(X))


def test_the_model_is_a_pipelines_last_step(small_data) -> None:
    X, y = small_data

    def add_ratio(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(leverage_per_utilisation=frame["leverage"] - frame["utilisation"])

    pipeline = make_pipeline(FunctionTransformer(add_ratio), _model()).fit(X, y)
    alone = _model().fit(add_ratio(X), y)
    np.testing.assert_array_equal(pipeline.predict_proba(X), alone.predict_proba(add_ratio(X)))
    assert pipeline.score(X, y) == alone.score(add_ratio(X), y)
    assert "leverage_per_utilisation" in pipeline[-1].selection_table_["variable"].tolist()


def test_predictions_agree_with_one_another(small_data) -> None:
    X, y = small_data
    model = _model().fit(X, y)
    assert is_classifier(model) and model.classes_.tolist() == [0, 1]
    log_odds = model.decision_function(X)
    np.testing.assert_allclose(model.predict_pd(X), special.expit(log_odds), rtol=1e-12)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], special.expit(log_odds), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), (log_odds > 0).astype(int))
    assert model.score(X, y) == accuracy_score(y, model.predict(X))
    assert 0 < model.predict(X).mean() < y.mean()  # a few rows are likelier bad than good

    refit = clone(model)
    assert refit.get_params() == model.get_params() and not hasattr(refit, "compiled_")


def test_any_two_labels_and_numpy_input(small_data) -> None:
    X, y = small_data
    numeric = X.drop(columns="industry")
    names = {c: f"x{i}" for i, c in enumerate(numeric.columns)}
    codes = {names[k]: v for k, v in SPECIAL_CODES.items()}
    by_frame = ScorecardModel(special_codes=codes).fit(numeric.rename(columns=names), y)
    labels = np.where(y == 1, "yes", "no")  # the greater label, "yes", is the event
    by_array = ScorecardModel(special_codes=codes).fit(numeric.to_numpy(), labels)
    assert by_array.classes_.tolist() == ["no", "yes"] and by_array.n_features_in_ == numeric.shape[1]
    assert not hasattr(by_array, "feature_names_in_")
    assert by_array.selected_features_ == by_frame.selected_features_
    np.testing.assert_array_equal(by_array.predict_pd(numeric.to_numpy()), by_frame.predict_pd(numeric.rename(columns=names)))
    np.testing.assert_array_equal(by_array.predict(numeric.to_numpy()),
                                  np.where(by_frame.predict(numeric.rename(columns=names)) == 1, "yes", "no"))
    with pytest.raises(ValueError, match="X has 4 features, but ScorecardModel is expecting 5 features"):
        by_array.predict(numeric.to_numpy()[:, :4])


def test_undeclared_category_columns_are_binned_as_categorical(small_data) -> None:
    X, y = small_data
    as_category = X.assign(industry=X["industry"].astype("category"))
    found = ScorecardModel(special_codes=SPECIAL_CODES).fit(as_category, y)
    declared = _model().fit(X, y)
    assert found.config_.categorical_features == ["industry"]
    spec = {f["name"]: f for f in found.compiled_.to_spec()["features"]}
    assert spec["industry"]["type"] == "categorical"
    np.testing.assert_allclose(found.predict_pd(as_category), declared.predict_pd(X), rtol=1e-9)


def test_the_unseen_category_rule_is_a_parameter(small_data) -> None:
    X, y = small_data
    strict = _model(unseen_category="error").fit(X, y)
    assert strict.compiled_.to_spec()["unseen_category"] == "error"
    with pytest.raises(ValueError, match=r"feature 'industry' must take a category seen in development; "
                                         r"got unseen \['fishing'\] in 2 row\(s\)"):
        strict.predict_pd(X.head(5).assign(industry=["fishing", "retail", "fishing", "retail", "retail"]))
